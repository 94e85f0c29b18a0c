/**
 * lib/dex-config.ts: the filter that decides who may sign, and the rendered Dex config's fields
 * (Dex ignores unknown keys, so a misspelt one would silently drop a safeguard).
 */
import * as assert from "node:assert/strict";
import * as YAML from "yaml";
import { escapeFilterValue, renderDexConfig, signerFilter } from "../../lib/dex-config";

const ldap = {
    host: "dc1.corp.example",
    port: 636,
    transport: "ldaps" as const,
    caCertPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    bindDn: "cn=dex,ou=services,dc=corp,dc=example",
    userBaseDn: "ou=people,dc=corp,dc=example",
    userFilter: "(objectClass=person)",
    usernameAttribute: "sAMAccountName",
    idAttribute: "objectGUID",
    emailAttribute: "mail",
    nameAttribute: "displayName",
    signerGroups: [] as string[],
    memberOfAttribute: "memberOf",
};

describe("lib/dex-config: who may sign, decided by the directory search", () => {
    it("escapes the RFC 4515 specials so a value cannot widen the match", () => {
        assert.equal(escapeFilterValue("a*b(c)d\\e\0"), "a\\2ab\\28c\\29d\\5ce\\00");
        assert.equal(escapeFilterValue("corp.example"), "corp.example");
    });

    it("every user must match the user filter and have an email in the domain", () => {
        assert.equal(signerFilter(ldap, "corp.example"), "(&(objectClass=person)(mail=*@corp.example))");
    });

    it("with signer groups, membership of one of them is required too (DNs escaped)", () => {
        assert.equal(
            signerFilter({ ...ldap, signerGroups: ["cn=signers,ou=groups,dc=corp,dc=example"] }, "corp.example"),
            "(&(objectClass=person)(mail=*@corp.example)(memberOf=cn=signers,ou=groups,dc=corp,dc=example))",
        );
        assert.equal(
            signerFilter({ ...ldap, memberOfAttribute: "memberOf:1.2.840.113556.1.4.1941:", signerGroups: ["cn=signers,dc=x"] }, "corp.example"),
            "(&(objectClass=person)(mail=*@corp.example)(memberOf:1.2.840.113556.1.4.1941:=cn=signers,dc=x))",
            "Active Directory's nested-group rule",
        );
        assert.equal(
            signerFilter({ ...ldap, signerGroups: ["cn=a,dc=x", "cn=b (eu),dc=x"] }, "corp.example"),
            "(&(objectClass=person)(mail=*@corp.example)(|(memberOf=cn=a,dc=x)(memberOf=cn=b \\28eu\\29,dc=x)))",
        );
    });
});

describe("lib/dex-config: the rendered config", () => {
    const render = (extra: Partial<typeof ldap> & { groupSearch?: any } = {}) =>
        YAML.parse(
            renderDexConfig({
                issuerUrl: "https://oidc.sigstore.corp.example",
                clientId: "sigstore",
                emailDomain: "corp.example",
                ldap: { ...ldap, ...extra },
                bindPassword: "pw$HOME",
            }),
        );

    it("has exactly Dex's top-level keys we mean to set", () => {
        assert.deepEqual(Object.keys(render()).sort(), [
            "connectors",
            "enablePasswordDB",
            "expiry",
            "issuer",
            "logger",
            "oauth2",
            "staticClients",
            "storage",
            "telemetry",
            "web",
        ]);
        assert.deepEqual(render().expiry, { idTokens: "10m" });
        assert.deepEqual(render().storage, { type: "memory" });
    });

    it("the LDAP connector: TLS verified against the CA, the bind password verbatim, Active Directory attributes", () => {
        const c = render().connectors[0];
        assert.deepEqual([c.type, c.id], ["ldap", "ldap"]);
        assert.deepEqual(Object.keys(c.config).sort(), [
            "bindDN",
            "bindPW",
            "host",
            "insecureNoSSL",
            "insecureSkipVerify",
            "rootCAData",
            "startTLS",
            "userSearch",
            "usernamePrompt",
        ]);
        assert.equal(c.config.bindPW, "pw$HOME", "no expansion here; DEX_EXPAND_ENV=false keeps Dex from expanding it");
        assert.equal(c.config.host, "dc1.corp.example:636");
        assert.deepEqual(c.config.userSearch, {
            baseDN: "ou=people,dc=corp,dc=example",
            filter: "(&(objectClass=person)(mail=*@corp.example))",
            username: "sAMAccountName",
            idAttr: "objectGUID",
            emailAttr: "mail",
            nameAttr: "displayName",
        });
        assert.equal(render({ transport: "starttls" } as any).connectors[0].config.startTLS, true);
    });

    it("a group search only when configured, matching members by DN", () => {
        const c = render({
            groupSearch: { baseDn: "ou=groups,dc=corp,dc=example", filter: "(objectClass=group)", memberAttribute: "member", nameAttribute: "cn" },
        }).connectors[0];
        assert.deepEqual(c.config.groupSearch, {
            baseDN: "ou=groups,dc=corp,dc=example",
            filter: "(objectClass=group)",
            userMatchers: [{ userAttr: "DN", groupAttr: "member" }],
            nameAttr: "cn",
        });
    });
});
