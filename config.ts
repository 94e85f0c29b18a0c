/**
 * The one module that reads stack configuration. Everything else receives a typed, validated
 * `SigstoreConfig`. Every problem is reported with the key, the offending value and what is allowed,
 * and all problems are reported at once so a bad stack file is fixed in one round.
 *
 * Defaults here must equal the `default:` entries in Pulumi.yaml (a unit test enforces it). The CLI
 * writes every Pulumi.yaml default into the stack config before the program runs, and treats a key
 * declared without one as required; so every optional key is declared with a default, and a value
 * equal to its default means "not set" (e.g. "" for an unused setting, 0 for the engine's own port).
 * The three secret keys are the exception: the CLI rejects a `secret: true` key whose value comes
 * from a default (defaults are never encrypted), so they are not declared in Pulumi.yaml at all and
 * this module enforces their secrecy itself (`secretKeys`).
 */
import * as pulumi from "@pulumi/pulumi";
import { parseResourceBounds, ResourceBounds, resourceBoundsFormat } from "./lib/resources";
import { parsePositiveInt64 } from "./lib/tree-id";
import { ImageName, upstream, upstreamImages } from "./versions";

export const caModes = ["self-signed", "chained", "pkcs11", "kms"] as const;
export const databaseModes = ["in-cluster", "external"] as const;
export const databaseEngines = ["mysql", "postgresql"] as const;
export const createtreeModes = ["port-forward", "pod"] as const;
/** Who issues signing identities: an existing OIDC issuer (Keycloak…), or a Dex this program deploys in front of LDAP/AD. */
export const identityProviders = ["external", "dex"] as const;
/** How Dex reaches the directory: TLS from the first byte (ldaps, port 636) or StartTLS on the plain port (389). */
export const ldapTransports = ["ldaps", "starttls"] as const;
export const ldapPorts = { ldaps: 636, starttls: 389 } as const;
/**
 * Fulcio v1.8.8 issuer types this program can configure: those that need nothing beyond issuer URL,
 * client ID and type (uri, username, spiffe and ci-provider need extra fields we do not expose yet).
 */
export const oidcIssuerTypes = [
    "email", "kubernetes", "github-workflow", "gitlab-pipeline", "buildkite-job", "codefresh-workflow", "chainguard-identity",
] as const;

export type CaMode = (typeof caModes)[number];
export type DatabaseMode = (typeof databaseModes)[number];
export type DatabaseEngine = (typeof databaseEngines)[number];
export type CreatetreeMode = (typeof createtreeModes)[number];

/**
 * Keys whose values are secrets: read only as secret Outputs, and refused unless stored encrypted
 * (`pulumi config set --secret`). Optional, so not declared in Pulumi.yaml (see the header).
 */
export const secretKeys = ["databasePassword", "caRootKey", "caPkcs11Config", "ldapBindPassword"] as const;

/** The standard port of each external database engine (databasePort 0 means this one). */
export const databasePorts: Record<DatabaseEngine, number> = { mysql: 3306, postgresql: 5432 };

export interface ClusterConfig {
    /** Path to a kubeconfig file; empty means the ambient one (KUBECONFIG or ~/.kube/config). */
    kubeconfig?: string;
    kubeContext?: string;
    namespace: string;
}

export interface ImagesConfig {
    /** Fully resolved image references, registry mirroring and tag overrides applied. */
    refs: Record<ImageName, string>;
}

export interface DatabaseConfig {
    mode: DatabaseMode;
    storageSize: string;
    /** Capacity planning (lib/capacity.ts): expected signings a day (0 = not planned) and years kept. */
    expectedSigningsPerDay: number;
    retentionYears: number;
    storageClass?: string;
    /** Only for mode "external". */
    external?: {
        engine: DatabaseEngine;
        host: string;
        port: number;
        name: string;
        user: string;
        password: pulumi.Output<string>;
    };
}

/**
 * The signer's sequencing and both Trillian servers' MySQL connection pools. Defaults are Trillian
 * v1.7.3's own, kept because the write-path sweep (`npm run bench`, README "Performance") found no
 * other value faster on the test machine; they are passed explicitly so a deployment shows them.
 */
export interface TrillianTuning {
    /** --sequencer_interval: time between sequencing passes over the logs (Go duration). */
    sequencerInterval: string;
    /** --batch_size: most leaves sequenced per pass and log. */
    batchSize: number;
    /** --num_sequencers: logs sequenced in parallel. */
    numSequencers: number;
    /** --mysql_max_conns: open connections per server (0 = unlimited). MySQL only. */
    mysqlMaxConns: number;
    /** --mysql_max_idle_conns: idle connections kept per server (-1 = Go's default, 2). MySQL only. */
    mysqlMaxIdleConns: number;
}

export interface TrillianConfig {
    serverReplicas: number;
    signerReplicas: number;
    tuning: TrillianTuning;
    /** Adopt existing trees instead of creating them (disaster recovery, migration). */
    rekorTreeId?: string;
    ctlogTreeId?: string;
    /**
     * How the program reaches Trillian's admin API: createtree makes trees, updatetree freezes a
     * retired one (rekorKeyGeneration, ctlogKeyGeneration). port-forward runs the local binaries;
     * pod runs the image, which then holds both at /createtree and /updatetree.
     */
    createtree: { mode: CreatetreeMode; binary: string; updatetreeBinary: string; image?: string };
}

export interface OidcConfig {
    issuerUrl: string;
    clientId: string;
    issuerType: string;
    /** PEM of the private CA that signed the IdP's TLS certificate, if any. */
    issuerCaCert?: string;
    /** The organisation's email domain: used in the ready-to-paste verify command. */
    emailDomain: string;
}

export interface CaConfig {
    mode: CaMode;
    organization: string;
    commonName: string;
    validityHours: number;
    /**
     * Which CA is active (self-signed and chained modes): raising it makes a new key and certificate,
     * keeps every earlier one in the trusted root (validFor.end = the next one's start) and the CT
     * log's accepted roots. Never lowered.
     */
    generation: number;
    /** Enterprise root for mode "chained". */
    rootCertPem?: string;
    rootKeyPem?: pulumi.Output<string>;
    /** Public chain (issuing cert first, root last) for "pkcs11" and "kms". */
    certChainPem?: string;
    hsmRootId?: string;
    pkcs11Config?: pulumi.Output<string>;
    kmsResource?: string;
}

export type IngressTls = { clusterIssuer: string } | { secretName: string };

/**
 * The corporate directory behind the bundled Dex (components/dex.ts, lib/dex-config.ts). Who may sign
 * is decided here: a user must match userFilter, have an email in emailDomain and, when signerGroups
 * is set, be a member of one of them (through memberOfAttribute); nobody else can log in at all.
 */
export interface LdapConfig {
    host: string;
    port: number;
    transport: (typeof ldapTransports)[number];
    /** The CA that signed the directory's certificate (Dex's rootCAData). */
    caCertPem: string;
    bindDn: string;
    bindPassword: pulumi.Output<string>;
    userBaseDn: string;
    userFilter: string;
    /** What users type at the login prompt (uid, sAMAccountName, userPrincipalName, mail). */
    usernameAttribute: string;
    /** A stable, unique user ID (uid, objectGUID): the token's `sub`. */
    idAttribute: string;
    emailAttribute: string;
    nameAttribute: string;
    /** DNs of the groups whose members may sign (empty: every user of emailDomain matching userFilter). */
    signerGroups: string[];
    memberOfAttribute: string;
    /** Group search for the token's `groups` claim (informational: who may sign is decided by signerGroups). */
    groupSearch?: { baseDn: string; filter: string; memberAttribute: string; nameAttribute: string };
}

export interface BackupConfig {
    schedule: string;
    retentionDays: number;
    storageSize: string;
    storageClass?: string;
    /** The backup alert fires when the newest successful backup is older than this. */
    maxAgeHours: number;
}

export type IdentityConfig = { provider: "external" } | { provider: "dex"; ldap: LdapConfig };

/** The workloads whose CPU and memory are set in config (`<workload>Resources`, lib/resources.ts). */
export const workloads = ["fulcio", "rekor", "redis", "ctlog", "trillianServer", "trillianSigner", "database", "dex", "backup"] as const;
export type Workload = (typeof workloads)[number];

/** A Kubernetes label selector written as `key=value,key=value` (an empty pod selector: every pod). */
export type LabelSelector = Record<string, string>;

/**
 * Network isolation (components/network.ts): who may reach the public servers and what lies outside
 * the namespace that the servers must reach. Absent when networkPolicies is false.
 */
export interface NetworkConfig {
    /** The ingress controller's pods: the only clients of Fulcio, Rekor and the CT log from outside the namespace. */
    ingressNamespaceSelector: LabelSelector;
    ingressPodSelector: LabelSelector;
    /** Prometheus: may scrape the metrics ports. */
    metricsNamespaceSelector: LabelSelector;
    metricsPodSelector: LabelSelector;
    /** Where the OIDC issuer lives (Fulcio fetches its discovery document and keys); port from oidcIssuerUrl. */
    oidcEgressCidrs: string[];
    /** The API server's endpoints (the signers' lease election), and their ports. */
    apiServerEgressCidrs: string[];
    apiServerEgressPorts: number[];
    /** External database only: where it lives (port: databasePort). */
    databaseEgressCidrs: string[];
    /** identityProvider dex only: where the directory lives (port: ldapPort), which Dex may reach. */
    ldapEgressCidrs: string[];
}

export interface SigstoreConfig {
    cluster: ClusterConfig;
    images: ImagesConfig;
    database: DatabaseConfig;
    trillian: TrillianConfig;
    rekor: {
        replicas: number;
        redisStorageSize: string;
        /**
         * Which signing key and tree are active: raising it makes a new key on a new tree (the
         * active shard), freezes the earlier trees and keeps them readable as inactive shards, each
         * with its own key, in the trusted root until its freeze time. Never lowered.
         */
        keyGeneration: number;
    };
    fulcio: { replicas: number };
    ctlog: {
        replicas: number;
        /** The first log's prefix; later key generations' logs are "<prefix>-g<n>". */
        prefix: string;
        /**
         * Which key and log are active: raising it makes a new log (tree, key, prefix) that Fulcio
         * submits to, freezes the earlier trees and keeps those logs readable, each key in the trusted
         * root until its tree's freeze. Never lowered.
         */
        keyGeneration: number;
    };
    oidc: OidcConfig;
    /** Scheduled dumps of the Trillian database (components/backup.ts); absent when backupSchedule is empty. */
    backup?: BackupConfig;
    /** Where signing identities come from (README "Identity"). */
    identity: IdentityConfig;
    ca: CaConfig;
    publicDomain: string;
    ingressClassName?: string;
    /** TLS on the Ingresses: a cert-manager ClusterIssuer, or an existing TLS Secret covering the three hosts. */
    ingressTls?: IngressTls;
    /** protect/retainOnDelete for everything whose loss loses data or trust. */
    protectData: boolean;
    resources: Record<Workload, ResourceBounds>;
    network?: NetworkConfig;
    /** TLS on every internal hop that carries credentials or log data (components/internal-tls.ts). */
    internalTls: boolean;
    /** Apply the verification policy as policy-controller TrustRoot + ClusterImagePolicy (components/admission-policy.ts). */
    policyControllerResources: boolean;
    /** Prometheus Operator ServiceMonitors and alert rules (components/monitoring.ts); absent when off. */
    monitoring?: { labels: LabelSelector; caExpiryWarningDays: number };
}

/** Every default, in one place (mirrored in Pulumi.yaml; a test keeps them equal). */
export const defaults = {
    kubeconfig: "",
    kubeContext: "",
    namespace: "sigstore",
    imageRegistry: "",
    trillianTag: upstream.trillian,
    rekorTag: upstream.rekor,
    fulcioTag: upstream.fulcio,
    ctlogTag: upstream.ctfe,
    redisTag: upstream.redis,
    dexTag: upstream.dex,
    databaseMode: "in-cluster",
    databaseStorageSize: "10Gi",
    expectedSigningsPerDay: 0,
    retentionYears: 10,
    databaseStorageClass: "",
    databaseEngine: "mysql",
    databaseHost: "",
    /** 0 = the engine's standard port (databasePorts). */
    databasePort: 0,
    databaseName: "trillian",
    databaseUser: "trillian",
    trillianServerReplicas: 1,
    trillianSignerReplicas: 1,
    trillianSequencerInterval: "100ms",
    trillianBatchSize: 1000,
    trillianNumSequencers: 10,
    trillianMysqlMaxConns: 0,
    trillianMysqlMaxIdleConns: -1,
    rekorTreeId: "",
    ctlogTreeId: "",
    createtreeMode: "port-forward",
    createtreeBinary: "createtree",
    updatetreeBinary: "updatetree",
    createtreeImage: "",
    rekorReplicas: 1,
    redisStorageSize: "1Gi",
    rekorKeyGeneration: 1,
    fulcioReplicas: 1,
    ctlogReplicas: 1,
    ctlogPrefix: "sigstore",
    ctlogKeyGeneration: 1,
    /** Required with identityProvider external; with dex, "" means https://oidc.<publicDomain>. */
    oidcIssuerUrl: "",
    oidcClientId: "sigstore",
    oidcIssuerType: "email",
    oidcIssuerCaCert: "",
    caMode: "self-signed",
    caOrganization: "Sigstore on-prem",
    caCommonName: "sigstore-onprem-fulcio",
    caValidityHours: 87600,
    fulcioCaGeneration: 1,
    caRootCert: "",
    caCertChain: "",
    caHsmRootId: "",
    caKmsResource: "",
    publicDomain: "sigstore.internal",
    ingressClassName: "",
    ingressClusterIssuer: "",
    ingressTlsSecret: "",
    protectData: false,
    fulcioResources: "cpu=100m/1,memory=128Mi/1Gi",
    rekorResources: "cpu=100m/1,memory=128Mi/1Gi",
    redisResources: "cpu=50m/500m,memory=64Mi/512Mi",
    ctlogResources: "cpu=100m/1,memory=128Mi/1Gi",
    trillianServerResources: "cpu=100m/1,memory=128Mi/1Gi",
    trillianSignerResources: "cpu=100m/1,memory=128Mi/1Gi",
    databaseResources: "cpu=250m/2,memory=512Mi/2Gi",
    dexResources: "cpu=50m/500m,memory=64Mi/256Mi",
    backupResources: "cpu=100m/1,memory=128Mi/512Mi",
    networkPolicies: true,
    internalTls: false,
    monitoring: false,
    policyControllerResources: false,
    monitoringLabels: "",
    caExpiryWarningDays: 90,
    ingressNamespaceSelector: "kubernetes.io/metadata.name=ingress-nginx",
    ingressPodSelector: "",
    metricsNamespaceSelector: "kubernetes.io/metadata.name=monitoring",
    metricsPodSelector: "app.kubernetes.io/name=prometheus",
    oidcEgressCidrs: "0.0.0.0/0",
    apiServerEgressCidrs: "0.0.0.0/0",
    apiServerEgressPorts: "443,6443",
    databaseEgressCidrs: "",
    backupSchedule: "",
    backupRetentionDays: 14,
    backupStorageSize: "20Gi",
    backupStorageClass: "",
    backupMaxAgeHours: 36,
    identityProvider: "external",
    ldapHost: "",
    /** 0 = the transport's standard port (ldapPorts). */
    ldapPort: 0,
    ldapTransport: "ldaps",
    ldapCaCert: "",
    ldapBindDn: "",
    ldapUserBaseDn: "",
    ldapUserFilter: "(objectClass=person)",
    ldapUsernameAttribute: "uid",
    ldapIdAttribute: "uid",
    ldapEmailAttribute: "mail",
    ldapNameAttribute: "cn",
    ldapSignerGroups: "",
    ldapMemberOfAttribute: "memberOf",
    ldapGroupBaseDn: "",
    ldapGroupFilter: "(objectClass=groupOfNames)",
    ldapGroupMemberAttribute: "member",
    ldapGroupNameAttribute: "cn",
    ldapEgressCidrs: "",
} as const;

/** Reads raw values; a seam so tests can feed values without the Pulumi runtime. */
export interface ConfigSource {
    get(key: string): string | undefined;
    getSecret(key: string): pulumi.Output<string> | undefined;
    /** Whether the stack stores the key encrypted (`secure:`). */
    isStoredSecret(key: string): boolean;
}

export function pulumiConfigSource(config = new pulumi.Config()): ConfigSource {
    return {
        get: (key) => config.get(key),
        getSecret: (key) => config.getSecret(key),
        isStoredSecret: (key) => storedSecretCheck()(`${config.name}:${key}`),
    };
}

/**
 * The SDK's own record of which config keys the CLI delivered as secrets (PULUMI_CONFIG_SECRET_KEYS,
 * or setAllConfig's secret keys under mocks). Not in the SDK's typings; @pulumi/pulumi is pinned and
 * a unit test fails if this disappears.
 */
function storedSecretCheck(): (fullKey: string) => boolean {
    const check = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    if (typeof check !== "function") throw new Error("@pulumi/pulumi no longer exports runtime.isConfigSecret: config.ts cannot tell encrypted config from plain text");
    return check;
}

/** Collects every problem so the user sees all of them at once. */
class Reader {
    readonly problems: string[] = [];
    constructor(private readonly source: ConfigSource, private readonly project: string) {}

    private fail(key: string, value: unknown, allowed: string): void {
        this.problems.push(`${this.project}:${key} = ${JSON.stringify(value)}: ${allowed}`);
    }

    raw(key: string): string | undefined {
        const v = this.source.get(key);
        return v === undefined || v === "" ? undefined : v;
    }

    string(key: string, fallback: string, check?: (v: string) => string | undefined): string {
        const v = this.raw(key) ?? fallback;
        const problem = check?.(v);
        if (problem) this.fail(key, v, problem);
        return v;
    }

    /** A value that is parsed, parsed once: the result, or (reported) the fallback's. */
    parsed<T>(key: string, fallback: string, parse: (v: string) => T | undefined, allowed: string): T {
        const v = this.raw(key) ?? fallback;
        const value = parse(v);
        if (value !== undefined) return value;
        this.fail(key, v, allowed);
        return parse(fallback) as T;
    }

    optional(key: string, check?: (v: string) => string | undefined): string | undefined {
        const v = this.raw(key);
        if (v === undefined) return undefined;
        const problem = check?.(v);
        if (problem) this.fail(key, v, problem);
        return v;
    }

    /** `why`: the condition that makes the key required, e.g. 'when identityProvider is "dex"'. */
    required(key: string, check?: (v: string) => string | undefined, why?: string): string {
        const v = this.raw(key);
        if (v === undefined) {
            this.fail(key, v, `is required${why ? ` ${why}` : ""}; set it with \`pulumi config set ${key} <value>\``);
            return "";
        }
        return this.optional(key, check) ?? "";
    }

    oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
        const v = this.raw(key) ?? fallback;
        if (!(allowed as readonly string[]).includes(v)) {
            this.fail(key, v, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
            return fallback;
        }
        return v as T;
    }

    int(key: string, fallback: number, min: number, max: number): number {
        const text = this.raw(key);
        if (text === undefined) return fallback;
        const n = Number(text);
        if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
            this.fail(key, text, `must be a whole number from ${min} to ${max}`);
            return fallback;
        }
        return n;
    }

    bool(key: string, fallback: boolean): boolean {
        const text = this.raw(key);
        if (text === undefined) return fallback;
        if (text !== "true" && text !== "false") {
            this.fail(key, text, 'must be "true" or "false"');
            return fallback;
        }
        return text === "true";
    }

    /** A secret key: refused (without echoing it) unless the stack stores it encrypted. */
    secret(key: string): pulumi.Output<string> | undefined {
        const s = this.source.getSecret(key);
        if (s !== undefined && !this.source.isStoredSecret(key)) {
            this.fail(key, "[plain text]", `is a secret and must be stored encrypted: set it with \`pulumi config set --secret ${key} ...\``);
        }
        return s;
    }

    requiredSecret(key: string, why: string): pulumi.Output<string> | undefined {
        const s = this.secret(key);
        if (s === undefined) this.fail(key, undefined, `is required ${why}; set it with \`pulumi config set --secret ${key} ...\``);
        return s;
    }

    demand(key: string, value: unknown, allowed: string): void {
        this.fail(key, value, allowed);
    }

    /**
     * Refuses keys that only apply under a condition that does not hold: plain keys set by hand (the
     * CLI writes each default into the stack config, so only a value other than it), and secret keys
     * set at all (without echoing them). Either would otherwise be silently ignored.
     */
    refuseSet(keys: readonly (keyof typeof defaults)[], secretKeys: readonly string[], allowed: string): void {
        for (const key of keys) {
            const v = this.raw(key);
            if (v !== undefined && v !== String(defaults[key])) this.fail(key, v, allowed);
        }
        for (const key of secretKeys) if (this.secret(key) !== undefined) this.fail(key, "[secret]", allowed);
    }
}

// ---- value checks: each returns a description of what is allowed, or undefined when fine ----

const dnsLabel = (v: string) =>
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v) ? undefined
        : "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending alphanumeric, at most 63 characters";

const dnsName = (v: string) =>
    v.length <= 253 && v.split(".").every((l) => dnsLabel(l) === undefined) ? undefined
        : "must be a DNS name such as sigstore.corp.example (lowercase labels separated by dots)";

const quantity = (v: string) =>
    /^[1-9]\d*(Ki|Mi|Gi|Ti|Pi)$/.test(v) ? undefined : "must be a Kubernetes storage quantity such as 10Gi or 500Mi";

const imageTag = (v: string) =>
    /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?$/.test(v) ? undefined
        : "must be an image tag (e.g. v1.7.3), optionally pinned with @sha256:<64 hex digits>";

const registry = (v: string) =>
    /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9._-]+)*$/.test(v) ? undefined
        : "must be a registry host with an optional path, such as registry.corp.example:5000/sigstore (no scheme, no trailing slash)";

const treeId = (v: string) =>
    parsePositiveInt64(v) !== undefined ? undefined : "must be a Trillian tree ID: a positive 64-bit decimal integer";

const pem = (kind: string) => (v: string) =>
    v.includes(`-----BEGIN ${kind}-----`) ? undefined : `must be PEM text containing a "-----BEGIN ${kind}-----" block`;

/** Label keys (optional DNS prefix + name) and values as Kubernetes allows them. */
const labelKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export function parseLabelSelector(v: string): LabelSelector | undefined {
    const selector: LabelSelector = {};
    if (v.trim() === "") return selector;
    for (const pair of v.split(",")) {
        const m = /^\s*([^=\s]+)=([^=\s]*)\s*$/.exec(pair);
        if (!m || !labelKey.test(m[1]) || !labelValue.test(m[2]) || m[1] in selector) return undefined;
        selector[m[1]] = m[2];
    }
    return selector;
}

const labelSelectorFormat = 'must be a label selector written as "key=value[,key=value…]" (Kubernetes label syntax)';

export function parseCidrs(v: string): string[] | undefined {
    const cidrs = v.split(",").map((c) => c.trim()).filter((c) => c !== "");
    const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
    const ipv6 = /^[0-9a-fA-F:]+:[0-9a-fA-F:]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/;
    return cidrs.length > 0 && cidrs.every((c) => ipv4.test(c) || ipv6.test(c)) ? cidrs : undefined;
}

const cidrListFormat = 'must be one or more CIDRs separated by commas, e.g. "10.20.0.0/16,192.0.2.10/32"';

export function parsePorts(v: string): number[] | undefined {
    const ports = v.split(",").map((p) => p.trim());
    return ports.every((p) => /^\d+$/.test(p) && Number(p) >= 1 && Number(p) <= 65535) ? ports.map(Number) : undefined;
}

const portListFormat = 'must be TCP ports from 1 to 65535 separated by commas, e.g. "443,6443"';

const pathLike = (v: string) => (/^[^\0\n]+$/.test(v) ? undefined : "must be a file path");

/** Keycloak ≥17 issuers look like https://host/realms/<realm>; Fulcio compares `iss` byte for byte. */
const issuerUrl = (v: string) => {
    let url: URL;
    try {
        url = new URL(v);
    } catch {
        return "must be an absolute URL such as https://keycloak.corp.example/realms/sigstore";
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return "must use https:// (or http:// for a test issuer)";
    if (v.endsWith("/")) return "must not end with '/': it must equal the token's `iss` claim exactly";
    if (url.search || url.hash) return "must not contain a query or fragment";
    return undefined;
};

const emailDomain = (v: string) =>
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(v) ? undefined
        : "must be an email domain such as corp.example";

const ctPrefix = (v: string) =>
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(v) ? undefined : "must be a URL path segment of letters, digits, '_' and '-'";

export function loadConfig(source: ConfigSource = pulumiConfigSource(), project = "sigstore"): SigstoreConfig {
    const r = new Reader(source, project);

    const cluster: ClusterConfig = {
        kubeconfig: r.optional("kubeconfig", pathLike),
        kubeContext: r.optional("kubeContext"),
        namespace: r.string("namespace", defaults.namespace, dnsLabel),
    };

    const images = readImages(r);
    const database = readDatabase(r);
    const trillian = readTrillian(r);
    const publicDomain = r.string("publicDomain", defaults.publicDomain, dnsName);
    const identity = readIdentity(r);

    const config: SigstoreConfig = {
        cluster,
        images,
        database,
        trillian,
        rekor: {
            replicas: r.int("rekorReplicas", defaults.rekorReplicas, 1, 20),
            redisStorageSize: r.string("redisStorageSize", defaults.redisStorageSize, quantity),
            keyGeneration: r.int("rekorKeyGeneration", defaults.rekorKeyGeneration, 1, 100),
        },
        fulcio: { replicas: r.int("fulcioReplicas", defaults.fulcioReplicas, 1, 20) },
        ctlog: {
            replicas: r.int("ctlogReplicas", defaults.ctlogReplicas, 1, 20),
            prefix: r.string("ctlogPrefix", defaults.ctlogPrefix, ctPrefix),
            keyGeneration: r.int("ctlogKeyGeneration", defaults.ctlogKeyGeneration, 1, 100),
        },
        oidc: {
            issuerUrl: identity.provider === "dex" ? dexIssuerUrl(r, publicDomain) : r.required("oidcIssuerUrl", issuerUrl, 'when identityProvider is "external" (the default)'),
            clientId: r.string("oidcClientId", defaults.oidcClientId, (v) =>
                /^[\x21-\x7e]+$/.test(v) ? undefined : "must be a non-empty client ID without spaces"),
            issuerType: r.oneOf("oidcIssuerType", oidcIssuerTypes, defaults.oidcIssuerType),
            issuerCaCert: r.optional("oidcIssuerCaCert", pem("CERTIFICATE")),
            emailDomain: r.required("emailDomain", emailDomain),
        },
        identity,
        backup: readBackup(r, database),
        ca: readCa(r),
        publicDomain,
        ingressClassName: r.optional("ingressClassName", dnsLabel),
        ingressTls: readIngressTls(r),
        protectData: r.bool("protectData", defaults.protectData),
        resources: readResources(r),
        internalTls: r.bool("internalTls", defaults.internalTls),
        policyControllerResources: r.bool("policyControllerResources", defaults.policyControllerResources),
        monitoring: r.bool("monitoring", defaults.monitoring) ? {
            labels: r.parsed("monitoringLabels", defaults.monitoringLabels, parseLabelSelector, labelSelectorFormat),
            caExpiryWarningDays: r.int("caExpiryWarningDays", defaults.caExpiryWarningDays, 1, 3650),
        } : undefined,
    };
    config.network = readNetwork(r, database, identity);

    if (r.problems.length > 0) {
        throw new Error(`Invalid stack configuration (${r.problems.length} problem${r.problems.length > 1 ? "s" : ""}):\n  - ${r.problems.join("\n  - ")}`);
    }
    return config;
}

function readImages(r: Reader): ImagesConfig {
    const mirror = r.optional("imageRegistry", registry);
    const tags: Record<ImageName, string> = {
        trillianLogServer: r.string("trillianTag", defaults.trillianTag, imageTag),
        trillianLogSigner: "",
        trillianDatabase: "",
        rekor: r.string("rekorTag", defaults.rekorTag, imageTag),
        fulcio: r.string("fulcioTag", defaults.fulcioTag, imageTag),
        ctlog: r.string("ctlogTag", defaults.ctlogTag, imageTag),
        redis: r.string("redisTag", defaults.redisTag, imageTag),
        dex: r.string("dexTag", defaults.dexTag, imageTag),
    };
    // The three Trillian images are released together and must match.
    tags.trillianLogSigner = tags.trillianLogServer;
    tags.trillianDatabase = tags.trillianLogServer;
    const refs = {} as Record<ImageName, string>;
    for (const name of Object.keys(upstreamImages) as ImageName[]) {
        refs[name] = imageRef(upstreamImages[name], tags[name], mirror);
    }
    return { refs };
}

/**
 * Rewrites an upstream image to a mirror that keeps the upstream path (the layout `crane copy` and
 * most registry mirrors produce): gcr.io/trillian-opensource-ci/log_server → <mirror>/trillian-opensource-ci/log_server.
 */
export function imageRef(upstreamRef: string, tag: string, mirror?: string): string {
    const repository = upstreamRef.slice(0, upstreamRef.lastIndexOf(":"));
    const path = repository.slice(repository.indexOf("/") + 1);
    const base = mirror ? `${mirror}/${path}` : repository;
    return tag.startsWith("@") ? `${base}${tag}` : `${base}:${tag}`;
}

function readDatabase(r: Reader): DatabaseConfig {
    const mode = r.oneOf("databaseMode", databaseModes, defaults.databaseMode);
    const database: DatabaseConfig = {
        mode,
        storageSize: r.string("databaseStorageSize", defaults.databaseStorageSize, quantity),
        storageClass: r.optional("databaseStorageClass", dnsName),
        expectedSigningsPerDay: r.int("expectedSigningsPerDay", defaults.expectedSigningsPerDay, 0, 100_000_000),
        retentionYears: r.int("retentionYears", defaults.retentionYears, 1, 100),
    };
    const externalKeys = ["databaseHost", "databaseEngine", "databasePort", "databaseName", "databaseUser"] as const;
    if (mode === "external") {
        const why = "when databaseMode is \"external\"";
        const engine = r.oneOf("databaseEngine", databaseEngines, defaults.databaseEngine);
        const port = r.int("databasePort", defaults.databasePort, 0, 65535);
        database.external = {
            engine,
            host: r.required("databaseHost", hostWithoutPort("databasePort")),
            port: port === 0 ? databasePorts[engine] : port,
            name: r.string("databaseName", defaults.databaseName, sqlIdentifier),
            user: r.string("databaseUser", defaults.databaseUser, sqlIdentifier),
            password: r.requiredSecret("databasePassword", why) ?? pulumi.secret(""),
        };
    } else {
        // The in-cluster database uses a generated password: a configured one is refused too.
        r.refuseSet(externalKeys, ["databasePassword"], 'only applies when databaseMode is "external"; remove it or set databaseMode');
    }
    return database;
}

/** A host name or IP address, its port being the key `portKey`. */
const hostWithoutPort = (portKey: string) => (v: string) =>
    /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(v) || /^[0-9a-fA-F:]+$/.test(v) ? undefined
        : `must be a host name or IP address without a port (set ${portKey} separately)`;

const sqlIdentifier = (v: string) =>
    /^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(v) ? undefined : "must be letters, digits and '_' (at most 32 characters)";

/** A Go duration the signer accepts, from 10ms to 1m: shorter burns CPU, longer delays every entry. */
const sequencerInterval = (v: string) => {
    const m = /^(\d+)(ms|s)$/.exec(v);
    const ms = m ? Number(m[1]) * (m[2] === "s" ? 1000 : 1) : NaN;
    return ms >= 10 && ms <= 60_000 ? undefined : 'must be a duration from 10ms to 60s written as <n>ms or <n>s, e.g. "100ms"';
};

function readTrillian(r: Reader): TrillianConfig {
    const mode = r.oneOf("createtreeMode", createtreeModes, defaults.createtreeMode);
    const image = r.optional("createtreeImage", (v) =>
        /^[a-z0-9][a-z0-9./:_-]*(@sha256:[a-f0-9]{64})?$/.test(v) ? undefined : "must be an image reference");
    if (mode === "pod" && !image) {
        r.demand("createtreeImage", image, 'is required when createtreeMode is "pod": an image with Trillian\'s createtree at /createtree');
    }
    return {
        serverReplicas: r.int("trillianServerReplicas", defaults.trillianServerReplicas, 1, 20),
        signerReplicas: r.int("trillianSignerReplicas", defaults.trillianSignerReplicas, 1, 5),
        tuning: {
            sequencerInterval: r.string("trillianSequencerInterval", defaults.trillianSequencerInterval, sequencerInterval),
            batchSize: r.int("trillianBatchSize", defaults.trillianBatchSize, 1, 100000),
            numSequencers: r.int("trillianNumSequencers", defaults.trillianNumSequencers, 1, 100),
            mysqlMaxConns: r.int("trillianMysqlMaxConns", defaults.trillianMysqlMaxConns, 0, 1000),
            mysqlMaxIdleConns: r.int("trillianMysqlMaxIdleConns", defaults.trillianMysqlMaxIdleConns, -1, 1000),
        },
        rekorTreeId: r.optional("rekorTreeId", treeId),
        ctlogTreeId: r.optional("ctlogTreeId", treeId),
        createtree: {
            mode,
            binary: r.string("createtreeBinary", defaults.createtreeBinary, pathLike),
            updatetreeBinary: r.string("updatetreeBinary", defaults.updatetreeBinary, pathLike),
            image,
        },
    };
}

function readCa(r: Reader): CaConfig {
    const mode = r.oneOf("caMode", caModes, defaults.caMode);
    const ca: CaConfig = {
        mode,
        organization: r.string("caOrganization", defaults.caOrganization, (v) =>
            v.trim().length > 0 && v.length <= 64 ? undefined : "must be 1 to 64 characters"),
        commonName: r.string("caCommonName", defaults.caCommonName, (v) =>
            v.trim().length > 0 && v.length <= 64 ? undefined : "must be 1 to 64 characters"),
        // At least a day, at most 30 years: Fulcio refuses to issue past its CA's expiry.
        validityHours: r.int("caValidityHours", defaults.caValidityHours, 24, 262800),
        generation: r.int("fulcioCaGeneration", defaults.fulcioCaGeneration, 1, 100),
    };
    if ((mode === "pkcs11" || mode === "kms") && ca.generation !== 1) {
        r.demand("fulcioCaGeneration", ca.generation, `only applies to generated CAs (caMode "self-signed" or "chained"); with "${mode}" the chain is config: rotate the key in the ${mode === "kms" ? "KMS" : "HSM"} and set caCertChain`);
    }
    const needs = (modes: CaMode[]) => `is required when caMode is ${modes.map((m) => `"${m}"`).join(" or ")}`;
    switch (mode) {
        case "chained":
            ca.rootCertPem = r.optional("caRootCert", pem("CERTIFICATE"));
            if (!ca.rootCertPem) r.demand("caRootCert", undefined, needs(["chained"]) + ": the enterprise root certificate (PEM)");
            ca.rootKeyPem = r.requiredSecret("caRootKey", "when caMode is \"chained\" (the enterprise root's private key, PEM)");
            break;
        case "pkcs11":
            ca.hsmRootId = r.optional("caHsmRootId", (v) => (/^\d+$/.test(v) ? undefined : "must be the numeric CKA_ID of the CA key in the HSM"));
            if (!ca.hsmRootId) r.demand("caHsmRootId", undefined, needs(["pkcs11"]));
            ca.pkcs11Config = r.requiredSecret("caPkcs11Config", "when caMode is \"pkcs11\" (crypto11 JSON: Path, TokenLabel, Pin)");
            ca.certChainPem = r.optional("caCertChain", pem("CERTIFICATE"));
            if (!ca.certChainPem) r.demand("caCertChain", undefined, needs(["pkcs11"]) + ": the CA's public chain (PEM, root last) for the trusted root");
            break;
        case "kms":
            ca.kmsResource = r.optional("caKmsResource", (v) =>
                /^(awskms|gcpkms|azurekms|hashivault):\/\/.+/.test(v) ? undefined : "must be a KMS URI such as hashivault://fulcio-ca or awskms:///arn:...");
            if (!ca.kmsResource) r.demand("caKmsResource", undefined, needs(["kms"]));
            ca.certChainPem = r.optional("caCertChain", pem("CERTIFICATE"));
            if (!ca.certChainPem) r.demand("caCertChain", undefined, needs(["kms"]) + ": the CA's chain (PEM, issuing cert first, root last)");
            break;
        case "self-signed":
            break;
    }
    return ca;
}

function readResources(r: Reader): Record<Workload, ResourceBounds> {
    const resources = {} as Record<Workload, ResourceBounds>;
    for (const workload of workloads) {
        const key = `${workload}Resources` as const;
        resources[workload] = r.parsed(key, defaults[key], parseResourceBounds, resourceBoundsFormat);
    }
    return resources;
}

function readNetwork(r: Reader, database: DatabaseConfig, identity: IdentityConfig): NetworkConfig | undefined {
    if (!r.bool("networkPolicies", defaults.networkPolicies)) return undefined;
    const ldapCidrs = r.optional("ldapEgressCidrs", (v) => (parseCidrs(v) ? undefined : cidrListFormat));
    if (identity.provider === "dex" && ldapCidrs === undefined) {
        r.demand("ldapEgressCidrs", ldapCidrs, 'is required when identityProvider is "dex" and networkPolicies is true: ' +
            "the CIDRs of the directory server(s), e.g. 10.20.30.41/32, which Dex may reach on ldapPort");
    }
    const selector = (key: "ingressNamespaceSelector" | "ingressPodSelector" | "metricsNamespaceSelector" | "metricsPodSelector") =>
        r.parsed(key, defaults[key], parseLabelSelector, labelSelectorFormat);
    const cidrs = (key: "oidcEgressCidrs" | "apiServerEgressCidrs") => r.parsed(key, defaults[key], parseCidrs, cidrListFormat);
    let databaseEgressCidrs: string[] = [];
    const dbCidrs = r.optional("databaseEgressCidrs", (v) => (parseCidrs(v) ? undefined : cidrListFormat));
    if (database.mode === "external") {
        if (dbCidrs === undefined) {
            r.demand("databaseEgressCidrs", dbCidrs, 'is required when databaseMode is "external" and networkPolicies is true: ' +
                "the CIDRs of the database host(s), e.g. 10.20.30.40/32, which Trillian may reach on databasePort");
        }
        databaseEgressCidrs = parseCidrs(dbCidrs ?? "") ?? [];
    } else if (dbCidrs !== undefined) {
        r.demand("databaseEgressCidrs", dbCidrs, 'only applies when databaseMode is "external"; remove it or set databaseMode');
    }
    return {
        ingressNamespaceSelector: selector("ingressNamespaceSelector"),
        ingressPodSelector: selector("ingressPodSelector"),
        metricsNamespaceSelector: selector("metricsNamespaceSelector"),
        metricsPodSelector: selector("metricsPodSelector"),
        oidcEgressCidrs: cidrs("oidcEgressCidrs"),
        apiServerEgressCidrs: cidrs("apiServerEgressCidrs"),
        apiServerEgressPorts: r.parsed("apiServerEgressPorts", defaults.apiServerEgressPorts, parsePorts, portListFormat),
        databaseEgressCidrs,
        ldapEgressCidrs: parseCidrs(ldapCidrs ?? "") ?? [],
    };
}

/** Public-edge TLS: certificates from cert-manager, or one TLS Secret the cluster already has. */
function readIngressTls(r: Reader): IngressTls | undefined {
    const issuer = r.optional("ingressClusterIssuer", dnsName);
    const secretName = r.optional("ingressTlsSecret", dnsName);
    if (issuer && secretName) {
        r.demand("ingressTlsSecret", secretName, "cannot be combined with ingressClusterIssuer: choose cert-manager certificates or one existing TLS Secret");
    }
    if ((issuer || secretName) && !r.raw("ingressClassName")) {
        r.demand(issuer ? "ingressClusterIssuer" : "ingressTlsSecret", issuer ?? secretName, "only applies with ingressClassName (no Ingresses are created without it)");
    }
    if (issuer) return { clusterIssuer: issuer };
    return secretName ? { secretName } : undefined;
}

// ---- identity: an external OIDC issuer, or the bundled Dex in front of LDAP / Active Directory ----

const ldapAttribute = (v: string) =>
    /^[A-Za-z][A-Za-z0-9-]*$/.test(v) ? undefined : "must be an LDAP attribute name such as uid, mail or sAMAccountName";

/**
 * The user attribute listing group DNs, optionally with an extensible-match rule: Active Directory's
 * `memberOf:1.2.840.113556.1.4.1941:` (LDAP_MATCHING_RULE_IN_CHAIN) also matches nested groups.
 */
const memberOfAttribute = (v: string) =>
    /^[A-Za-z][A-Za-z0-9-]*(:\d+(\.\d+)*:)?$/.test(v) ? undefined
        : "must be an LDAP attribute name such as memberOf, optionally with a matching rule: memberOf:1.2.840.113556.1.4.1941: (nested groups on Active Directory)";

/** RFC 4514 in practice: `attr=value` pairs separated by commas, with `\\,` escapes inside values. */
const dnPattern = /^\s*[A-Za-z][A-Za-z0-9-]*\s*=\s*([^,\\]|\\.)+(,\s*[A-Za-z][A-Za-z0-9-]*\s*=\s*([^,\\]|\\.)+)*$/;
const distinguishedName = (v: string) =>
    dnPattern.test(v) && !/[\n\r\0]/.test(v) ? undefined : "must be an LDAP distinguished name such as ou=people,dc=corp,dc=example";

/** An RFC 4515 filter: one parenthesised expression with balanced parentheses. */
export function isLdapFilter(v: string): boolean {
    if (!v.startsWith("(") || !v.endsWith(")") || /[\n\r\0]/.test(v)) return false;
    let depth = 0;
    for (let i = 0; i < v.length; i++) {
        if (v[i] === "\\") { i += 2; continue; } // \XX hex escape
        if (v[i] === "(") depth++;
        if (v[i] === ")" && --depth === 0 && i !== v.length - 1) return false;
        if (depth < 0) return false;
    }
    return depth === 0;
}
const ldapFilter = (v: string) => (isLdapFilter(v) ? undefined : "must be an LDAP filter in parentheses, such as (objectClass=person)");

/** Group DNs separated by ";" (DNs themselves contain commas). */
export function parseDnList(v: string): string[] | undefined {
    const dns = v.split(";").map((d) => d.trim()).filter((d) => d !== "");
    return dns.every((d) => distinguishedName(d) === undefined) ? dns : undefined;
}
const dnListFormat = 'must be group DNs separated by ";", e.g. "cn=signers,ou=groups,dc=corp,dc=example;cn=release,ou=groups,dc=corp,dc=example"';

/** Keys that only mean something with the bundled Dex. */
const dexOnlyKeys = [
    "ldapHost", "ldapPort", "ldapTransport", "ldapCaCert", "ldapBindDn", "ldapUserBaseDn", "ldapUserFilter", "ldapUsernameAttribute",
    "ldapIdAttribute", "ldapEmailAttribute", "ldapNameAttribute", "ldapSignerGroups", "ldapMemberOfAttribute", "ldapGroupBaseDn",
    "ldapGroupFilter", "ldapGroupMemberAttribute", "ldapGroupNameAttribute", "ldapEgressCidrs",
] as const;

function readIdentity(r: Reader): IdentityConfig {
    const provider = r.oneOf("identityProvider", identityProviders, defaults.identityProvider);
    if (provider === "external") {
        r.refuseSet(dexOnlyKeys, ["ldapBindPassword"], 'only applies when identityProvider is "dex"; remove it or set identityProvider');
        return { provider };
    }
    const why = 'when identityProvider is "dex"';
    const transport = r.oneOf("ldapTransport", ldapTransports, defaults.ldapTransport);
    const port = r.int("ldapPort", defaults.ldapPort, 0, 65535);
    const attribute = (key: "ldapUsernameAttribute" | "ldapIdAttribute" | "ldapEmailAttribute" | "ldapNameAttribute" |
        "ldapGroupMemberAttribute" | "ldapGroupNameAttribute") => r.string(key, defaults[key], ldapAttribute);
    const groupBaseDn = r.optional("ldapGroupBaseDn", distinguishedName);
    const ldap: LdapConfig = {
        host: r.required("ldapHost", hostWithoutPort("ldapPort"), why),
        port: port === 0 ? ldapPorts[transport] : port,
        transport,
        caCertPem: r.required("ldapCaCert", pem("CERTIFICATE"), `${why} (the CA that signed the directory's certificate; Dex never talks to it in plain text)`),
        bindDn: r.required("ldapBindDn", distinguishedName, why),
        bindPassword: r.requiredSecret("ldapBindPassword", `${why} (the bind DN's password)`) ?? pulumi.secret(""),
        userBaseDn: r.required("ldapUserBaseDn", distinguishedName, why),
        userFilter: r.string("ldapUserFilter", defaults.ldapUserFilter, ldapFilter),
        usernameAttribute: attribute("ldapUsernameAttribute"),
        idAttribute: attribute("ldapIdAttribute"),
        emailAttribute: attribute("ldapEmailAttribute"),
        nameAttribute: attribute("ldapNameAttribute"),
        signerGroups: r.parsed("ldapSignerGroups", defaults.ldapSignerGroups, parseDnList, dnListFormat),
        memberOfAttribute: r.string("ldapMemberOfAttribute", defaults.ldapMemberOfAttribute, memberOfAttribute),
        groupSearch: groupBaseDn ? {
            baseDn: groupBaseDn,
            filter: r.string("ldapGroupFilter", defaults.ldapGroupFilter, ldapFilter),
            memberAttribute: attribute("ldapGroupMemberAttribute"),
            nameAttribute: attribute("ldapGroupNameAttribute"),
        } : undefined,
    };
    const issuerType = r.raw("oidcIssuerType");
    if (issuerType !== undefined && issuerType !== "email") {
        r.demand("oidcIssuerType", issuerType, 'must be "email" when identityProvider is "dex": Dex issues the directory\'s email addresses');
    }
    return { provider, ldap };
}

/** With Dex the issuer is ours: https://oidc.<publicDomain> unless oidcIssuerUrl places it elsewhere. */
function dexIssuerUrl(r: Reader, publicDomain: string): string {
    return r.optional("oidcIssuerUrl", (v) => issuerUrl(v) ?? (v.startsWith("https://") ? undefined : 'must use https:// when identityProvider is "dex"'))
        ?? `https://oidc.${publicDomain}`;
}

// ---- backups of the Trillian database (components/backup.ts) ----

/** A CronJob schedule: five fields, or one of the macros Kubernetes accepts. */
export function isCronSchedule(v: string): boolean {
    if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(v)) return true;
    const fields = v.trim().split(/\s+/);
    return fields.length === 5 && fields.every((f) => /^[0-9A-Za-z*?/,-]+$/.test(f));
}

const backupKeys = ["backupRetentionDays", "backupStorageSize", "backupStorageClass", "backupMaxAgeHours"] as const;

function readBackup(r: Reader, database: DatabaseConfig): BackupConfig | undefined {
    const schedule = r.optional("backupSchedule", (v) => (isCronSchedule(v) ? undefined
        : 'must be a CronJob schedule: five fields such as "17 2 * * *" (02:17 daily), or @daily / @hourly'));
    if (schedule === undefined) {
        r.refuseSet(backupKeys, [], "only applies with backupSchedule set (backups are off without it)");
        return undefined;
    }
    if (database.external?.engine === "postgresql") {
        r.demand("backupSchedule", schedule, "backs up MySQL only (mysqldump); back an external PostgreSQL up with your database's own tooling (pg_dump, PITR)");
    }
    return {
        schedule,
        retentionDays: r.int("backupRetentionDays", defaults.backupRetentionDays, 1, 3650),
        storageSize: r.string("backupStorageSize", defaults.backupStorageSize, quantity),
        storageClass: r.optional("backupStorageClass", dnsName),
        maxAgeHours: r.int("backupMaxAgeHours", defaults.backupMaxAgeHours, 1, 8760),
    };
}
