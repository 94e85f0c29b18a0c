/**
 * A stack with identityProvider "dex": docs/identity.md's example (Active Directory style
 * settings would differ only in attribute names). Shared by the program, network and policy tests.
 */

export const ldapBindPassword = "LdapB1ndPasswordForTests$HOME";

/** Any PEM certificate block passes config/; the tests that parse it use a real one. */
export const directoryCaPem = "-----BEGIN CERTIFICATE-----\nMIIBdirectoryCA\n-----END CERTIFICATE-----\n";

export const dexOverrides: Record<string, string> = {
    identityProvider: "dex",
    oidcIssuerUrl: "",
    ldapHost: "ldap.corp.example",
    ldapCaCert: directoryCaPem,
    ldapBindDn: "cn=dex,ou=services,dc=corp,dc=example",
    ldapBindPassword,
    ldapUserBaseDn: "ou=people,dc=corp,dc=example",
    ldapSignerGroups: "cn=signers,ou=groups,dc=corp,dc=example",
    ldapGroupBaseDn: "ou=groups,dc=corp,dc=example",
    ldapEgressCidrs: "10.20.30.41/32",
};
