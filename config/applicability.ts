/**
 * Keys that only apply under a condition, in one table: one rule, one place. A key set while its
 * condition does not hold would be silently ignored, so it is refused, naming the key and the
 * setting that would make it apply. "Set" means a value other than the key's default (the CLI writes
 * each default into the stack config); secret keys count as set when present at all, and are never
 * echoed.
 */
import { defaults, DefaultedKey, SecretKey } from "./defaults";
import { Reader } from "./reader";

export interface ApplicabilityRule {
    /** Plain keys that only apply when `applies` holds. */
    keys: readonly DefaultedKey[];
    secretKeys?: readonly SecretKey[];
    /** Whether the condition holds, from the raw settings (defaults applied). */
    applies: (setting: (key: DefaultedKey) => string) => boolean;
    /** What the user reads: when the keys apply, and what to do. */
    why: (setting: (key: DefaultedKey) => string) => string;
}

const fixed = (text: string) => () => text;

export const applicabilityRules: readonly ApplicabilityRule[] = [
    {
        keys: ["databaseHost", "databaseEngine", "databasePort", "databaseName", "databaseUser", "databaseEgressCidrs"],
        // The in-cluster database uses a generated password: a configured one is refused too.
        secretKeys: ["databasePassword"],
        applies: (s) => s("databaseMode") === "external",
        why: fixed('only applies when databaseMode is "external"; remove it or set databaseMode'),
    },
    {
        keys: [
            "ldapHost",
            "ldapPort",
            "ldapTransport",
            "ldapCaCert",
            "ldapBindDn",
            "ldapUserBaseDn",
            "ldapUserFilter",
            "ldapUsernameAttribute",
            "ldapIdAttribute",
            "ldapEmailAttribute",
            "ldapNameAttribute",
            "ldapSignerGroups",
            "ldapMemberOfAttribute",
            "ldapGroupBaseDn",
            "ldapGroupFilter",
            "ldapGroupMemberAttribute",
            "ldapGroupNameAttribute",
            "ldapEgressCidrs",
        ],
        secretKeys: ["ldapBindPassword"],
        applies: (s) => s("identityProvider") === "dex",
        why: fixed('only applies when identityProvider is "dex"; remove it or set identityProvider'),
    },
    {
        keys: ["ldapGroupFilter", "ldapGroupMemberAttribute", "ldapGroupNameAttribute"],
        applies: (s) => s("identityProvider") !== "dex" || s("ldapGroupBaseDn") !== "",
        why: fixed("only applies with ldapGroupBaseDn set (no group search without it)"),
    },
    {
        keys: [
            "policyControllerNamespace",
            "policyControllerReplicas",
            "policyControllerNoMatchPolicy",
            "policyControllerTrust",
            "policyControllerEgressCidrs",
            "policyControllerEgressPorts",
            "policyControllerTag",
            "policyWebhookResources",
        ],
        applies: (s) => s("policyController") === "deploy",
        why: fixed('only applies with policyController "deploy" (the program runs no policy-controller otherwise)'),
    },
    {
        keys: ["trillianSignerLeaseDuration", "trillianSignerLeaseRetryPeriod"],
        applies: (s) => Number(s("trillianSignerReplicas")) > 1,
        why: fixed("only applies with trillianSignerReplicas above 1 (one signer is forced master and elects nothing)"),
    },
    {
        keys: ["backupRetentionDays", "backupStorageSize", "backupStorageClass", "backupMaxAgeHours"],
        applies: (s) => s("backupSchedule") !== "",
        why: fixed("only applies with backupSchedule set (backups are off without it)"),
    },
    {
        keys: ["monitoringLabels", "caExpiryWarningDays"],
        applies: (s) => s("monitoring") === "true",
        why: fixed("only applies with monitoring true (no ServiceMonitors or alerts are created without it)"),
    },
    {
        keys: [
            "ingressNamespaceSelector",
            "ingressPodSelector",
            "metricsNamespaceSelector",
            "metricsPodSelector",
            "oidcEgressCidrs",
            "apiServerEgressCidrs",
            "apiServerEgressPorts",
            "databaseEgressCidrs",
            "ldapEgressCidrs",
            "tsaNtpEgressCidrs",
        ],
        applies: (s) => s("networkPolicies") === "true",
        why: fixed("only applies with networkPolicies true (no NetworkPolicies are created without it)"),
    },
    {
        keys: ["createtreeImage"],
        applies: (s) => s("createtreeMode") === "pod",
        why: fixed('only applies when createtreeMode is "pod" (port-forward runs createtreeBinary and updatetreeBinary)'),
    },
    {
        keys: ["createtreeBinary", "updatetreeBinary"],
        applies: (s) => s("createtreeMode") === "port-forward",
        why: fixed('only applies when createtreeMode is "port-forward" (pod runs /createtree and /updatetree from createtreeImage)'),
    },
    {
        keys: ["caRootCert"],
        secretKeys: ["caRootKey"],
        applies: (s) => s("caMode") === "chained",
        why: (s) => `only applies when caMode is "chained" (the enterprise root Fulcio's CA is chained to); caMode is "${s("caMode")}"`,
    },
    {
        keys: ["caHsmRootId"],
        secretKeys: ["caPkcs11Config"],
        applies: (s) => s("caMode") === "pkcs11",
        why: (s) => `only applies when caMode is "pkcs11"; caMode is "${s("caMode")}"`,
    },
    {
        keys: ["caKmsResource"],
        applies: (s) => s("caMode") === "kms",
        why: (s) => `only applies when caMode is "kms"; caMode is "${s("caMode")}"`,
    },
    {
        keys: ["caCertChain"],
        applies: (s) => s("caMode") === "pkcs11" || s("caMode") === "kms",
        why: (s) => `only applies when caMode is "pkcs11" or "kms" (generated CAs make their own chain); caMode is "${s("caMode")}"`,
    },
    {
        keys: ["fulcioCaGeneration"],
        applies: (s) => s("caMode") === "self-signed" || s("caMode") === "chained",
        why: (s) =>
            `only applies to generated CAs (caMode "self-signed" or "chained"); with "${s("caMode")}" the chain is config: ` +
            `rotate the key in the ${s("caMode") === "kms" ? "KMS" : "HSM"} and set caCertChain`,
    },
    {
        keys: ["tsaReplicas", "tsaGeneration", "tsaOrganization", "tsaCommonName", "tsaValidityHours", "tsaCertChain", "tsaNtpServers", "tsaNtpEgressCidrs"],
        secretKeys: ["tsaSigningKey"],
        applies: (s) => s("timestampAuthority") === "true",
        why: fixed("only applies with timestampAuthority true (no timestamp authority is deployed without it)"),
    },
    {
        keys: ["tsaOrganization", "tsaCommonName", "tsaValidityHours"],
        applies: (s) => s("tsaCertChain") === "",
        why: fixed("only applies to a generated chain: with tsaCertChain the organisation's chain says it"),
    },
    {
        keys: [],
        secretKeys: ["tsaSigningKey"],
        applies: (s) => s("tsaCertChain") !== "",
        why: fixed("only applies with tsaCertChain (a generated chain's key is generated too)"),
    },
    {
        keys: ["tsaNtpEgressCidrs"],
        applies: (s) => s("tsaNtpServers") !== "",
        why: fixed("only applies with tsaNtpServers (NTP monitoring is off without them)"),
    },
    {
        keys: [
            "rekorV2FromGeneration",
            "rekorV1AfterMigration",
            "rekorV2CheckpointInterval",
            "rekorV2BatchMaxSize",
            "rekorV2BatchMaxAge",
            "rekorV2StorageSize",
        ],
        applies: (s) => s("rekorVersion") === "v2",
        why: fixed("only applies with rekorVersion v2 (Rekor v2 is not deployed with v1)"),
    },
    {
        keys: ["rekorV2BackupStorageSize"],
        applies: (s) => s("rekorVersion") === "v2" && s("backupSchedule") !== "",
        why: fixed("only applies with rekorVersion v2 and backupSchedule set (no Rekor v2 log is backed up otherwise)"),
    },
    {
        keys: [
            "tufReplicas",
            "tufRootGeneration",
            "tufRootKeyCount",
            "tufRootThreshold",
            "tufRootExpiryDays",
            "tufTargetsExpiryDays",
            "tufSnapshotExpiryDays",
            "tufTimestampExpiryDays",
            "tufRenewalDays",
        ],
        applies: (s) => s("tuf") === "true",
        why: fixed("only applies with tuf true (no TUF repository is deployed without it)"),
    },
    {
        keys: ["ingressClusterIssuer", "ingressTlsSecret"],
        applies: (s) => s("ingressClassName") !== "",
        why: fixed("only applies with ingressClassName (no Ingresses are created without it)"),
    },
];

/**
 * Refuses every key set while its rule does not hold; a key refused by one rule is not refused
 * again by another. Returns the keys refused, which the area readers then leave alone.
 */
export function refuseInapplicableKeys(r: Reader, rules: readonly ApplicabilityRule[] = applicabilityRules): Set<string> {
    const setting = (key: DefaultedKey) => r.raw(key) ?? String(defaults[key]);
    const refused = new Set<string>();
    for (const rule of rules) {
        if (rule.applies(setting)) continue;
        const why = rule.why(setting);
        for (const key of rule.keys) {
            const v = r.raw(key);
            if (v === undefined || v === String(defaults[key]) || refused.has(key)) continue;
            r.reject(key, v, why);
            refused.add(key);
        }
        for (const key of rule.secretKeys ?? []) {
            if (!r.hasSecret(key) || refused.has(key)) continue;
            r.reject(key, "[secret]", why);
            refused.add(key);
        }
    }
    return refused;
}
