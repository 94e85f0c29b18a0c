/**
 * Keys that only apply under a condition are refused when it does not hold, naming the key and the
 * setting that would make it apply (config/applicability.ts: one rule, one place). Without this a
 * key set by mistake would be silently ignored.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { applicabilityRules, defaults, secretKeys } from "../../config";
import { expectProblem, load, problems } from "../support/config-source";
import { generatedTsaChain, TsaChainFixture } from "../support/tsa-fixture";

const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/** A valid value other than the default, for every key a rule governs. */
const sample: Record<string, string> = {
    databaseHost: "db.corp.example",
    databaseEngine: "postgresql",
    databasePort: "3307",
    trillianSignerLeaseDuration: "30s",
    policyControllerNamespace: "admission",
    policyControllerReplicas: "2",
    policyControllerNoMatchPolicy: "warn",
    policyControllerTrust: "tuf",
    policyControllerEgressCidrs: "10.1.0.0/16",
    policyControllerEgressPorts: "5000",
    policyControllerTag: "v0.13.0",
    policyWebhookResources: "cpu=10m/100m,memory=16Mi/128Mi",
    trillianSignerLeaseRetryPeriod: "5s",
    databaseName: "logs",
    databaseUser: "logs",
    databaseEgressCidrs: "10.20.30.40/32",
    ldapHost: "ldap.corp.example",
    ldapPort: "1636",
    ldapTransport: "starttls",
    ldapCaCert: pem,
    ldapBindDn: "cn=dex,dc=corp,dc=example",
    ldapUserBaseDn: "ou=people,dc=corp,dc=example",
    ldapUserFilter: "(objectClass=user)",
    ldapUsernameAttribute: "sAMAccountName",
    ldapIdAttribute: "objectGUID",
    ldapEmailAttribute: "userPrincipalName",
    ldapNameAttribute: "displayName",
    ldapSignerGroups: "cn=signers,dc=corp,dc=example",
    ldapMemberOfAttribute: "isMemberOf",
    ldapGroupBaseDn: "ou=groups,dc=corp,dc=example",
    ldapGroupFilter: "(objectClass=group)",
    ldapGroupMemberAttribute: "uniqueMember",
    ldapGroupNameAttribute: "name",
    ldapEgressCidrs: "10.20.30.41/32",
    backupRetentionDays: "30",
    backupStorageSize: "50Gi",
    backupStorageClass: "fast",
    backupMaxAgeHours: "48",
    monitoringLabels: "release=prometheus",
    caExpiryWarningDays: "30",
    ingressNamespaceSelector: "team=edge",
    ingressPodSelector: "app=nginx",
    metricsNamespaceSelector: "team=obs",
    metricsPodSelector: "app=prom",
    oidcEgressCidrs: "10.0.0.0/8",
    apiServerEgressCidrs: "10.0.0.1/32",
    apiServerEgressPorts: "6443",
    createtreeImage: "registry.corp.example/createtree:v1.7.3",
    createtreeBinary: "/opt/createtree",
    updatetreeBinary: "/opt/updatetree",
    caRootCert: pem,
    caHsmRootId: "1",
    caKmsResource: "hashivault://fulcio",
    caCertChain: pem,
    fulcioCaGeneration: "2",
    ingressClusterIssuer: "corp-ca",
    ingressTlsSecret: "sigstore-tls",
    tsaReplicas: "3",
    tsaGeneration: "2",
    tsaOrganization: "Corp",
    tsaCommonName: "corp-tsa",
    tsaValidityHours: "8760",
    tsaCertChain: pem,
    tsaNtpServers: "ntp1.corp.example",
    tsaNtpEgressCidrs: "10.0.0.123/32",
    rekorV2FromGeneration: "2",
    rekorV1AfterMigration: "stopped",
    rekorV2CheckpointInterval: "500ms",
    rekorV2BatchMaxSize: "512",
    rekorV2BatchMaxAge: "100ms",
    rekorV2StorageSize: "50Gi",
    rekorV2BackupStorageSize: "100Gi",
    tufReplicas: "2",
    tufRootGeneration: "2",
    tufRootKeyCount: "3",
    tufRootThreshold: "2",
    tufRootExpiryDays: "200",
    tufTargetsExpiryDays: "90",
    tufSnapshotExpiryDays: "30",
    tufTimestampExpiryDays: "14",
    tufRenewalDays: "7",
};

const dex = {
    identityProvider: "dex",
    oidcIssuerUrl: undefined,
    ldapHost: "ldap.corp.example",
    ldapCaCert: pem,
    ldapBindDn: "cn=dex,dc=corp,dc=example",
    ldapUserBaseDn: "ou=people,dc=corp,dc=example",
    ldapEgressCidrs: "10.20.30.41/32",
};

/** A stack in which the rule does not hold (the defaults, unless the rule holds by default). */
function whereRuleDoesNotHold(keys: readonly string[]): Record<string, string | undefined> {
    if (keys.includes("oidcEgressCidrs")) return { networkPolicies: "false" };
    if (keys.includes("createtreeBinary")) return { createtreeMode: "pod", createtreeImage: sample.createtreeImage };
    if (keys.includes("fulcioCaGeneration")) return { caMode: "kms", caKmsResource: sample.caKmsResource, caCertChain: pem };
    if (keys.length === 3 && keys.includes("ldapGroupFilter")) return dex;
    if (keys.includes("tsaReplicas")) return { timestampAuthority: "false" };
    if (keys.includes("tufReplicas")) return { tuf: "false" };
    if (keys.length === 3 && keys.includes("tsaOrganization")) return { tsaCertChain: tsa.chainPem };
    return {};
}

let tsa: TsaChainFixture;

describe("config: keys that do not apply are refused (config/applicability.ts)", () => {
    before(async () => {
        tsa = await generatedTsaChain();
    });

    const declared = Object.keys(YAML.parse(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")).config);

    it("every key a rule governs is a declared key or a secret key, and has a sample here", () => {
        for (const rule of applicabilityRules) {
            for (const key of rule.keys) {
                assert.ok(declared.includes(key), `${key} is not declared in Pulumi.yaml`);
                assert.ok(key in sample && sample[key] !== String(defaults[key]), `no non-default sample value for ${key}`);
            }
            for (const key of rule.secretKeys ?? []) assert.ok((secretKeys as readonly string[]).includes(key), `${key} is not a secret key`);
        }
    });

    for (const rule of applicabilityRules) {
        it(`refuses ${[...rule.keys, ...(rule.secretKeys ?? [])].join(", ")} where they do not apply`, () => {
            const base = whereRuleDoesNotHold(rule.keys);
            const secrets: Record<string, string> = base === dex ? { ldapBindPassword: "pw" } : base.tsaCertChain ? { tsaSigningKey: tsa.leafKeyPem } : {};
            for (const key of rule.keys) {
                const { message } = problems({ ...base, [key]: sample[key] }, secrets);
                assert.match(
                    message,
                    new RegExp(`sigstore:${key} = ${JSON.stringify(sample[key]).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: only applies`),
                    `${key} set where it does not apply is not refused:\n${message || "(loaded)"}`,
                );
            }
            for (const key of rule.secretKeys ?? []) {
                const message = expectProblem(base, key, "[secret]", /only applies/, { [key]: "s3cret-value" });
                assert.ok(!message.includes("s3cret-value"), `${key}'s value is echoed`);
            }
        });
    }

    it("the four silent cases of issue 18: monitoring keys with monitoring off, network keys without policies, createtreeImage in port-forward mode, caRootCert with a self-signed CA", () => {
        expectProblem({ caExpiryWarningDays: "30" }, "caExpiryWarningDays", "30", /only applies with monitoring true/);
        expectProblem({ networkPolicies: "false", metricsPodSelector: "app=prom" }, "metricsPodSelector", "app=prom", /only applies with networkPolicies true/);
        expectProblem({ createtreeImage: sample.createtreeImage }, "createtreeImage", sample.createtreeImage, /only applies when createtreeMode is "pod"/);
        expectProblem({ caRootCert: pem }, "caRootCert", pem, /only applies when caMode is "chained".*caMode is "self-signed"/);
    });

    it("a key set to its default counts as unset (the CLI writes every default into the stack)", () => {
        const atDefaults = Object.fromEntries(Object.keys(sample).map((key) => [key, String(defaults[key as keyof typeof defaults])]));
        assert.ok(load(atDefaults));
    });

    it("a key refused by one rule is not refused again by another", () => {
        const { lines } = problems({ networkPolicies: "false", databaseEgressCidrs: "10.0.0.1/32" });
        assert.equal(lines.filter((l) => l.startsWith("sigstore:databaseEgressCidrs")).length, 1, lines.join("\n"));
    });
});
