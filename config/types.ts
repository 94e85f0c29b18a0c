/**
 * The typed, validated configuration the program runs on (`loadConfig`). Only index.ts reads it:
 * components declare their own arguments and never import from here.
 */
import * as pulumi from "@pulumi/pulumi";
import type { LdapDirectory } from "../lib/dex-config";
import type { LabelSelector } from "../lib/parse";
import type { ResourceBounds } from "../lib/resources";
import type { ImageName } from "../versions";

export type { LabelSelector } from "../lib/parse";

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
    "email",
    "kubernetes",
    "github-workflow",
    "gitlab-pipeline",
    "buildkite-job",
    "codefresh-workflow",
    "chainguard-identity",
] as const;

export type DatabaseEngine = (typeof databaseEngines)[number];

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

/** A database this program does not run (databaseMode "external"). */
export interface ExternalDatabase {
    engine: DatabaseEngine;
    host: string;
    port: number;
    name: string;
    user: string;
    password: pulumi.Output<string>;
}

interface DatabaseCommon {
    storageSize: string;
    /** Capacity planning (lib/capacity.ts): expected signings a day (0 = not planned) and years kept. */
    expectedSigningsPerDay: number;
    retentionYears: number;
    storageClass?: string;
}

export type DatabaseConfig =
    (DatabaseCommon & { mode: "in-cluster"; external?: undefined }) | (DatabaseCommon & { mode: "external"; external: ExternalDatabase });

/**
 * The signer's sequencing and both Trillian servers' MySQL connection pools. Defaults are Trillian
 * v1.7.3's own, kept because the write-path sweep (`npm run bench`, docs/performance.md) found no
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
    /** --mysql_max_idle_conns: idle connections kept per server (-1 = Go's default, 2; at most mysqlMaxConns). MySQL only. */
    mysqlMaxIdleConns: number;
}

/**
 * How the program reaches Trillian's admin API: createtree makes trees, updatetree freezes a
 * retired one (rekorKeyGeneration, ctlogKeyGeneration). port-forward runs the local binaries;
 * pod runs the image, which then holds both at /createtree and /updatetree.
 */
export type CreatetreeConfig =
    | { mode: "port-forward"; binary: string; updatetreeBinary: string; image?: undefined }
    | { mode: "pod"; binary: string; updatetreeBinary: string; image: string };

/**
 * The signers' lease election (trillianSignerReplicas > 1). Trillian's k8s election maps its flags
 * unusually: the Lease's duration is --master_hold_jitter and a follower's retry period is
 * --master_hold_interval (util/election2/k8s/provider.go); the leader never renews, it resigns.
 */
export interface SignerElection {
    /** Go duration: the Lease's duration, so a dead leader's trees wait at most about this long. */
    leaseDuration: string;
    /** Go duration: how often a follower tries to take a Lease. */
    retryPeriod: string;
}

export interface TrillianConfig {
    serverReplicas: number;
    signerReplicas: number;
    election: SignerElection;
    tuning: TrillianTuning;
    /** Adopt existing trees instead of creating them (disaster recovery, migration). */
    rekorTreeId?: string;
    ctlogTreeId?: string;
    createtree: CreatetreeConfig;
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

interface CaCommon {
    organization: string;
    commonName: string;
    validityHours: number;
    /**
     * Which CA is active (self-signed and chained modes): raising it makes a new key and certificate,
     * keeps every earlier one in the trusted root (validFor.end = the next one's start) and the CT
     * log's accepted roots. Never lowered. Always 1 for pkcs11 and kms, whose chain is config.
     */
    generation: number;
}

/** Fulcio's CA: generated (self-signed, or chained to the enterprise root), or held in an HSM or KMS. */
export type CaConfig = CaCommon &
    (
        | { mode: "self-signed" }
        | { mode: "chained"; rootCertPem: string; rootKeyPem: pulumi.Output<string> }
        /** certChainPem: the CA's public chain (issuing cert first, root last), for the trusted root. */
        | { mode: "pkcs11"; hsmRootId: string; pkcs11Config: pulumi.Output<string>; certChainPem: string }
        | { mode: "kms"; kmsResource: string; certChainPem: string }
    );

export type IngressTls = { clusterIssuer: string } | { secretName: string };

/** The directory behind the bundled Dex (components/dex.ts, lib/dex-config.ts), and its bind password. */
export interface LdapConfig extends LdapDirectory {
    bindPassword: pulumi.Output<string>;
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
export const workloads = [
    "fulcio",
    "rekor",
    "redis",
    "ctlog",
    "trillianServer",
    "trillianSigner",
    "database",
    "dex",
    "backup",
    "tsa",
    "tuf",
    "rekorV2",
    "policyWebhook",
] as const;
export type Workload = (typeof workloads)[number];

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
    /** tsaNtpServers only: where they are, which the timestamp authority may reach on UDP 123. */
    tsaNtpEgressCidrs: string[];
}

/** Where the timestamp authority's chain comes from: generated here, or the organisation's own with its key. */
export type TsaChainConfig =
    | { source: "generated"; organization: string; commonName: string; validityHours: number }
    | { source: "supplied"; certChainPem: string; signingKeyPem: pulumi.Output<string> };

/** The timestamp authority (components/timestamp-authority.ts); absent when timestampAuthority is false. */
export interface TsaConfig {
    replicas: number;
    /** Which chain and key are active (tsaGeneration): raising it rotates; earlier chains stay trusted until the rotation. */
    generation: number;
    chain: TsaChainConfig;
    /** The organisation's NTP servers the server monitors its clock against; absent: monitoring off. */
    ntpServers?: string[];
}

/** Rekor v2 (components/rekor-v2.ts); absent with rekorVersion v1. */
export interface RekorV2Config {
    /** The first rekorKeyGeneration that is a Rekor v2 log; the generations before it are Rekor v1's trees, all frozen. */
    fromGeneration: number;
    /** Rekor v1's server and Redis after the move: serving the frozen log read-only, or stopped (replicas 0, data kept). */
    v1AfterMigration: "read-only" | "stopped";
    /** How often a checkpoint is published (Go duration): a write waits for the next one. */
    checkpointInterval: string;
    /** Entries the server batches before sequencing (--batch-max-size), and how long a batch waits at most (--batch-max-age). */
    batchMaxSize: number;
    batchMaxAge: string;
    /** The tile volume (RWO, protected in prod). */
    storageSize: string;
    /** Each log's backup volume (with backupSchedule). */
    backupStorageSize: string;
}

/** policy-controller's admission webhook, deployed by the program (policyController: deploy). */
export interface PolicyControllerConfig {
    namespace: string;
    replicas: number;
    noMatchPolicy: "deny" | "warn" | "allow";
    trust: "inline" | "tuf";
    /** Where the webhook may connect besides the API server (NetworkPolicies): registries and the TUF mirror. */
    egressCidrs: string[];
    egressPorts: number[];
}

/** The TUF repository (components/tuf-repository.ts); absent when tuf is false. */
export interface TufConfig {
    replicas: number;
    /** Which set of keys signs (tufRootGeneration): raising it rotates every key; the new root is signed by old and new root keys. */
    generation: number;
    rootKeyCount: number;
    rootThreshold: number;
    /** How long each role's metadata is valid when signed. */
    expiryDays: { root: number; targets: number; snapshot: number; timestamp: number };
    /** An `up` re-signs any role that expires within this many days. */
    renewalDays: number;
}

export interface MonitoringConfig {
    labels: LabelSelector;
    caExpiryWarningDays: number;
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
    /** Where signing identities come from (docs/identity.md). */
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
    /** policy-controller deployed by the program (components/policy-controller.ts); absent when off. */
    policyController?: PolicyControllerConfig;
    /** Prometheus Operator ServiceMonitors and alert rules (components/monitoring.ts); absent when off. */
    monitoring?: MonitoringConfig;
    /** RFC 3161 timestamps (components/timestamp-authority.ts); absent when timestampAuthority is false. */
    timestampAuthority?: TsaConfig;
    /** Rekor v2 takes the writes (rekorVersion v2); Rekor v1 stays, readable, in the trusted root. */
    rekorV2?: RekorV2Config;
    /** Trust distribution by TUF (components/tuf-repository.ts); absent when tuf is false. */
    tuf?: TufConfig;
}
