/**
 * identityProvider dex: the directory settings, derived issuer and ports, and what is refused.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { defaults, loadConfig, SigstoreConfig } from "../../config";
import { expectProblem, fakeSource, load, oneOf, problems, required } from "../support/config-source";

describe("config: identityProvider dex (the bundled Dex in front of LDAP / Active Directory)", () => {
    const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    /** A complete dex stack: the Identity example of docs/identity.md, without oidcIssuerUrl (Dex's is derived). */
    const dex: Record<string, string | undefined> = {
        oidcIssuerUrl: undefined,
        identityProvider: "dex",
        publicDomain: "sigstore.corp.example",
        ldapHost: "ldap.corp.example",
        ldapCaCert: ca,
        ldapBindDn: "cn=dex,ou=services,dc=corp,dc=example",
        ldapUserBaseDn: "ou=people,dc=corp,dc=example",
        ldapEgressCidrs: "10.20.30.41/32",
    };
    const password = { ldapBindPassword: "bind-pw" };
    const loadDex = (values: Record<string, string | undefined> = {}) => {
        const merged = Object.fromEntries(Object.entries({ ...required, ...dex, ...values }).filter(([, v]) => v !== undefined)) as Record<string, string>;
        return loadConfig(fakeSource(merged, password).source, "sigstore");
    };
    const ldapOf = (c: SigstoreConfig) => {
        assert.equal(c.identity.provider, "dex");
        return c.identity.ldap;
    };

    it("derives the issuer (https://oidc.<publicDomain>), LDAPS on 636, and no group claim without a group base DN", () => {
        const c = loadDex();
        assert.equal(c.oidc.issuerUrl, "https://oidc.sigstore.corp.example");
        const ldap = ldapOf(c);
        assert.deepEqual([ldap.host, ldap.port, ldap.transport], ["ldap.corp.example", 636, "ldaps"]);
        assert.deepEqual(ldap.signerGroups, []);
        assert.equal(ldap.groupSearch, undefined);
        assert.deepEqual(c.network!.ldapEgressCidrs, ["10.20.30.41/32"]);
        assert.ok(pulumi.Output.isInstance(ldap.bindPassword));
    });

    it("StartTLS defaults to 389; an explicit port, issuer URL, signer groups and group search are taken as given", () => {
        const groups = "cn=signers,ou=groups,dc=corp,dc=example; cn=release\\, eng,ou=groups,dc=corp,dc=example";
        const c = loadDex({
            ldapTransport: "starttls",
            oidcIssuerUrl: "https://sso.corp.example/dex",
            ldapSignerGroups: groups,
            ldapGroupBaseDn: "ou=groups,dc=corp,dc=example",
        });
        const ldap = ldapOf(c);
        assert.equal(ldap.port, 389);
        assert.equal(c.oidc.issuerUrl, "https://sso.corp.example/dex");
        assert.deepEqual(ldap.signerGroups, ["cn=signers,ou=groups,dc=corp,dc=example", "cn=release\\, eng,ou=groups,dc=corp,dc=example"]);
        assert.deepEqual(ldap.groupSearch, {
            baseDn: "ou=groups,dc=corp,dc=example",
            filter: "(objectClass=groupOfNames)",
            memberAttribute: "member",
            nameAttribute: "cn",
        });
        assert.equal(ldapOf(loadDex({ ldapPort: "3269" })).port, 3269);
        assert.equal(ldapOf(loadDex({ ldapMemberOfAttribute: "memberOf:1.2.840.113556.1.4.1941:" })).memberOfAttribute, "memberOf:1.2.840.113556.1.4.1941:");
    });

    it("requires the directory's host, CA, bind DN and password, user base DN and (with network policies) its CIDRs", () => {
        const { lines } = problems({
            ...dex,
            ldapHost: undefined,
            ldapCaCert: undefined,
            ldapBindDn: undefined,
            ldapUserBaseDn: undefined,
            ldapEgressCidrs: undefined,
        });
        const why = /is required when identityProvider is "dex"/;
        for (const key of ["ldapHost", "ldapCaCert", "ldapBindDn", "ldapUserBaseDn", "ldapBindPassword"]) {
            const line = lines.find((l) => l.startsWith(`sigstore:${key} = undefined: `));
            assert.ok(line, `${key} not reported in:\n${lines.join("\n")}`);
            assert.match(line, why);
        }
        assert.ok(lines.some((l) => /^sigstore:ldapEgressCidrs = undefined: is required when identityProvider is "dex" and networkPolicies is true/.test(l)));
        assert.doesNotThrow(() => loadDex({ ldapEgressCidrs: undefined, networkPolicies: "false" }));
    });

    it("rejects bad directory settings, naming each", () => {
        const bad: Array<[string, string, RegExp]> = [
            ["ldapHost", "ldap.corp.example:636", /without a port \(set ldapPort separately\)/],
            ["ldapTransport", "plain", oneOf(["ldaps", "starttls"])],
            ["ldapPort", "70000", /whole number from 0 to 65535/],
            ["ldapCaCert", "not a pem", /-----BEGIN CERTIFICATE-----/],
            ["ldapBindDn", "dex", /distinguished name/],
            ["ldapUserFilter", "(&(objectClass=person)", /LDAP filter in parentheses/],
            ["ldapUserFilter", "objectClass=person", /LDAP filter in parentheses/],
            ["ldapUserFilter", "(a=1)(b=2)", /LDAP filter in parentheses/],
            ["ldapUsernameAttribute", "user name", /LDAP attribute name/],
            ["ldapSignerGroups", "signers", /group DNs separated by ";"/],
            ["ldapMemberOfAttribute", "memberOf:chain", /optionally with a matching rule/],
            ["oidcIssuerUrl", "http://oidc.corp.example", /must use https:\/\/ when identityProvider is "dex"/],
            ["oidcIssuerType", "kubernetes", /must be "email" when identityProvider is "dex"/],
        ];
        for (const [key, value, allowed] of bad) {
            const { message, lines } = problems({ ...dex, [key]: value }, password);
            const line = lines.find((l) => l.startsWith(`sigstore:${key} = ${JSON.stringify(value)}: `));
            assert.ok(line, `${key}=${value} not reported in:\n${message}`);
            assert.match(line, allowed, key);
        }
    });

    it("the directory's settings only apply with dex: set with the default external issuer, they are refused", () => {
        expectProblem({ ldapHost: "ldap.corp.example" }, "ldapHost", "ldap.corp.example", /only applies when identityProvider is "dex"/);
        expectProblem({ ldapSignerGroups: "cn=x,dc=y" }, "ldapSignerGroups", "cn=x,dc=y", /only applies when identityProvider is "dex"/);
        expectProblem({}, "ldapBindPassword", "[secret]", /only applies when identityProvider is "dex"/, password);
        // The CLI writes each default into the stack: a default value is "not set".
        assert.doesNotThrow(() => load({ ldapUserFilter: defaults.ldapUserFilter, ldapPort: "0" }));
    });

    it("the bind password stored in plain text is refused without echoing it", () => {
        const merged = Object.fromEntries(Object.entries({ ...required, ...dex }).filter(([, v]) => v !== undefined)) as Record<string, string>;
        assert.throws(
            () => loadConfig(fakeSource(merged, { ldapBindPassword: "hunter2-ldap" }, ["ldapBindPassword"]).source, "sigstore"),
            (e: Error) => /sigstore:ldapBindPassword = "\[plain text\]": is a secret/.test(e.message) && !e.message.includes("hunter2-ldap"),
        );
    });
});
