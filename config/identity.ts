/** Identity: an external OIDC issuer, or the bundled Dex in front of LDAP / Active Directory. */
import { isDistinguishedName, isLdapFilter, parseDnList } from "../lib/ldap-syntax";
import { defaults } from "./defaults";
import { hostWithoutPort, issuerUrl, pem } from "./checks";
import { Check, Reader } from "./reader";
import { IdentityConfig, identityProviders, LdapConfig, ldapPorts, ldapTransports, OidcConfig, oidcIssuerTypes } from "./types";

const ldapAttribute: Check = (v) => (/^[A-Za-z][A-Za-z0-9-]*$/.test(v) ? undefined : "must be an LDAP attribute name such as uid, mail or sAMAccountName");

/**
 * The user attribute listing group DNs, optionally with an extensible-match rule: Active Directory's
 * `memberOf:1.2.840.113556.1.4.1941:` (LDAP_MATCHING_RULE_IN_CHAIN) also matches nested groups.
 */
const memberOfAttribute: Check = (v) =>
    /^[A-Za-z][A-Za-z0-9-]*(:\d+(\.\d+)*:)?$/.test(v)
        ? undefined
        : "must be an LDAP attribute name such as memberOf, optionally with a matching rule: memberOf:1.2.840.113556.1.4.1941: (nested groups on Active Directory)";

const distinguishedName: Check = (v) => (isDistinguishedName(v) ? undefined : "must be an LDAP distinguished name such as ou=people,dc=corp,dc=example");

const ldapFilter: Check = (v) => (isLdapFilter(v) ? undefined : "must be an LDAP filter in parentheses, such as (objectClass=person)");

const dnListFormat = 'must be group DNs separated by ";", e.g. "cn=signers,ou=groups,dc=corp,dc=example;cn=release,ou=groups,dc=corp,dc=example"';

const emailDomain: Check = (v) =>
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(v) ? undefined : "must be an email domain such as corp.example";

const clientId: Check = (v) => (/^[\x21-\x7e]+$/.test(v) ? undefined : "must be a non-empty client ID without spaces");

export function readIdentity(r: Reader): IdentityConfig {
    const provider = r.oneOf("identityProvider", identityProviders, defaults.identityProvider);
    return provider === "dex" ? { provider, ldap: readLdap(r) } : { provider };
}

function readLdap(r: Reader): LdapConfig {
    const why = 'when identityProvider is "dex"';
    const transport = r.oneOf("ldapTransport", ldapTransports, defaults.ldapTransport);
    const port = r.int("ldapPort", defaults.ldapPort, 0, 65535);
    const attribute = (
        key: "ldapUsernameAttribute" | "ldapIdAttribute" | "ldapEmailAttribute" | "ldapNameAttribute" | "ldapGroupMemberAttribute" | "ldapGroupNameAttribute",
    ) => r.string(key, defaults[key], ldapAttribute);
    const groupBaseDn = r.optional("ldapGroupBaseDn", distinguishedName);
    return {
        host: r.required("ldapHost", hostWithoutPort("ldapPort"), why),
        port: port === 0 ? ldapPorts[transport] : port,
        transport,
        caCertPem: r.required("ldapCaCert", pem("CERTIFICATE"), `${why} (the CA that signed the directory's certificate; Dex never talks to it in plain text)`),
        bindDn: r.required("ldapBindDn", distinguishedName, why),
        bindPassword: r.requiredSecret("ldapBindPassword", `${why} (the bind DN's password)`),
        userBaseDn: r.required("ldapUserBaseDn", distinguishedName, why),
        userFilter: r.string("ldapUserFilter", defaults.ldapUserFilter, ldapFilter),
        usernameAttribute: attribute("ldapUsernameAttribute"),
        idAttribute: attribute("ldapIdAttribute"),
        emailAttribute: attribute("ldapEmailAttribute"),
        nameAttribute: attribute("ldapNameAttribute"),
        signerGroups: r.parsed("ldapSignerGroups", defaults.ldapSignerGroups, parseDnList, dnListFormat),
        memberOfAttribute: r.string("ldapMemberOfAttribute", defaults.ldapMemberOfAttribute, memberOfAttribute),
        groupSearch: groupBaseDn
            ? {
                  baseDn: groupBaseDn,
                  filter: r.string("ldapGroupFilter", defaults.ldapGroupFilter, ldapFilter),
                  memberAttribute: attribute("ldapGroupMemberAttribute"),
                  nameAttribute: attribute("ldapGroupNameAttribute"),
              }
            : undefined,
    };
}

/** The OIDC issuer Fulcio trusts: the configured one, or with Dex ours at https://oidc.<publicDomain> unless oidcIssuerUrl places it elsewhere. */
export function readOidc(r: Reader, identity: IdentityConfig, publicDomain: string): OidcConfig {
    const dex = identity.provider === "dex";
    const issuerType = r.oneOf("oidcIssuerType", oidcIssuerTypes, defaults.oidcIssuerType);
    if (dex && issuerType !== "email") {
        r.reject("oidcIssuerType", issuerType, 'must be "email" when identityProvider is "dex": Dex issues the directory\'s email addresses');
    }
    return {
        issuerUrl: dex ? dexIssuerUrl(r, publicDomain) : r.required("oidcIssuerUrl", issuerUrl, 'when identityProvider is "external" (the default)'),
        clientId: r.string("oidcClientId", defaults.oidcClientId, clientId),
        issuerType,
        issuerCaCert: r.optional("oidcIssuerCaCert", pem("CERTIFICATE")),
        emailDomain: r.required("emailDomain", emailDomain),
    };
}

function dexIssuerUrl(r: Reader, publicDomain: string): string {
    return (
        r.optional("oidcIssuerUrl", (v) => issuerUrl(v) ?? (v.startsWith("https://") ? undefined : 'must use https:// when identityProvider is "dex"')) ??
        `https://oidc.${publicDomain}`
    );
}
