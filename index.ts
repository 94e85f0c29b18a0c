/**
 * Wiring only: read config, create the provider and namespace, connect the five components, export
 * the contract other stacks consume (README "Outputs"; `outputsVersion` is bumped on breaking change).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { loadConfig } from "./config";
import { capacityPlan, capacityWarning } from "./lib/capacity";
import { buildClientMaterial } from "./lib/client-material";
import { verificationPolicy as buildVerificationPolicy } from "./lib/verification-policy";
import { CtLog, ctlogGenerationPrefix, ctLogUrl, ctlogService } from "./components/ctlog";
import { AdmissionPolicy } from "./components/admission-policy";
import { backupClaimName, backupCronJobName, DatabaseBackup } from "./components/backup";
import { Database, databaseService } from "./components/database";
import { Dex, dexService } from "./components/dex";
import { Fulcio, fulcioService } from "./components/fulcio";
import { InternalTls } from "./components/internal-tls";
import { protectedIf, podSecurityLabels } from "./components/kube";
import { Monitoring } from "./components/monitoring";
import { NetworkIsolation, sigstoreEdges } from "./components/network";
import { Rekor, redisService, rekorService } from "./components/rekor";
import { logServerService, logSignerService, Trillian } from "./components/trillian";

const config = loadConfig();

const provider = new k8s.Provider("cluster", {
    kubeconfig: config.cluster.kubeconfig,
    context: config.cluster.kubeContext,
    enableServerSideApply: true,
});

const namespace = new k8s.core.v1.Namespace("namespace", {
    metadata: { name: config.cluster.namespace, labels: { "app.kubernetes.io/part-of": "sigstore", ...podSecurityLabels } },
}, { provider, ...protectedIf(config.protectData) });

const opts = { providers: [provider] };
const ns = { namespace: namespace.metadata.name, namespaceName: config.cluster.namespace };
const images = config.images.refs;
const protectData = config.protectData;
const publicHost = (service: string) => `${service}.${config.publicDomain}`;
/** A CT log's public base URL: the host, then the log's prefix (one per ctlogKeyGeneration). */
const ctlogBaseUrl = (prefix: string) => `https://${publicHost("ctlog")}/${prefix}`;
const ingress = (service: string) => config.ingressClassName ? { className: config.ingressClassName, host: publicHost(service), tls: config.ingressTls } : undefined;

// TLS inside the namespace: one certificate per Service that terminates it, one CA for the clients.
const inClusterDb = config.database.mode === "in-cluster";
const internalTls = config.internalTls ? new InternalTls("internal-tls", {
    ...ns, protectData,
    services: [logServerService, ctlogService, redisService, ...(inClusterDb ? [databaseService] : [])],
}, opts) : undefined;
const serverTls = (service: string) => internalTls?.servers[service];
const clientTls = internalTls ? { caConfigMapName: internalTls.caConfigMapName } : undefined;

const database = new Database("database", {
    ...ns, storage: { size: config.database.storageSize, storageClass: config.database.storageClass }, external: config.database.external, image: images.trillianDatabase, resources: config.resources.database,
    clients: { pods: config.trillian.serverReplicas + config.trillian.signerReplicas, maxConnsPerPod: config.trillian.tuning.mysqlMaxConns },
    tls: serverTls(databaseService), protectData,
}, opts);

// Scheduled, verified dumps of the Trillian database onto a volume of their own (backupSchedule).
const backup = config.backup ? new DatabaseBackup("backup", {
    namespace: namespace.metadata.name, image: images.trillianDatabase, connection: database.connection,
    schedule: config.backup.schedule, retentionDays: config.backup.retentionDays, storageSize: config.backup.storageSize,
    storageClass: config.backup.storageClass, resources: config.resources.backup,
    tls: inClusterDb ? clientTls : undefined, protectData,
}, opts) : undefined;

const trillian = new Trillian("trillian", {
    ...ns,
    replicas: { logServer: config.trillian.serverReplicas, logSigner: config.trillian.signerReplicas },
    tuning: config.trillian.tuning,
    pinnedTreeIds: { rekor: config.trillian.rekorTreeId, ctlog: config.trillian.ctlogTreeId },
    admin: {
        mode: config.trillian.createtree.mode, createtreeBinary: config.trillian.createtree.binary, updatetreeBinary: config.trillian.createtree.updatetreeBinary,
        image: config.trillian.createtree.image, kubeconfig: config.cluster.kubeconfig, kubeContext: config.cluster.kubeContext,
    },
    keyGenerations: { rekor: config.rekor.keyGeneration, ctlog: config.ctlog.keyGeneration },
    database: database.connection, databaseReady: database.ready,
    images: { logServer: images.trillianLogServer, logSigner: images.trillianLogSigner },
    resources: { logServer: config.resources.trillianServer, logSigner: config.resources.trillianSigner },
    tls: internalTls ? { logServer: serverTls(logServerService)!, client: clientTls! } : undefined, protectData,
}, opts);

const rekor = new Rekor("rekor", {
    ...ns, trees: trillian.generations.rekor, replicas: config.rekor.replicas, redisStorageSize: config.rekor.redisStorageSize,
    resources: { rekor: config.resources.rekor, redis: config.resources.redis },
    tls: internalTls ? { client: clientTls!, redis: serverTls(redisService)! } : undefined,
    images: { rekor: images.rekor, redis: images.redis }, publicHost: publicHost("rekor"), ingress: ingress("rekor"), protectData,
}, opts);

// The bundled OIDC issuer in front of the directory (identityProvider dex): Fulcio's issuer is its URL.
const identity = config.identity;
if (identity.provider === "dex") {
    new Dex("dex", {
        namespace: namespace.metadata.name, image: images.dex, resources: config.resources.dex,
        issuerUrl: config.oidc.issuerUrl, clientId: config.oidc.clientId, emailDomain: config.oidc.emailDomain,
        ldap: identity.ldap, bindPassword: identity.ldap.bindPassword,
        ingress: config.ingressClassName ? { className: config.ingressClassName, tls: config.ingressTls } : undefined,
    }, opts);
}

// The CT log Fulcio submits to: the newest key generation's (ctlogKeyGeneration).
const activeCtlogPrefix = ctlogGenerationPrefix(config.ctlog.prefix, config.ctlog.keyGeneration);

const fulcio = new Fulcio("fulcio", {
    ...ns, replicas: config.fulcio.replicas, resources: config.resources.fulcio, image: images.fulcio, ca: config.ca, oidc: config.oidc,
    ctLogUrl: ctLogUrl(config.cluster.namespace, activeCtlogPrefix, config.internalTls),
    ctLogReady: trillian.generations.ctlog.retired.map((tree) => tree.freezeRecord), tls: clientTls, ingress: ingress("fulcio"), protectData,
}, opts);

const ctlog = new CtLog("ctlog", {
    ...ns, trees: trillian.generations.ctlog, trillianAddress: trillian.logServerAddress, replicas: config.ctlog.replicas, resources: config.resources.ctlog,
    image: images.ctlog, prefix: config.ctlog.prefix, fulcioRootsPem: fulcio.acceptedRootsPem, ingress: ingress("ctlog"),
    tls: internalTls ? { server: serverTls(ctlogService)!, client: clientTls! } : undefined, protectData,
}, opts);

if (config.network) {
    const external = config.database.external;
    new NetworkIsolation("network", {
        namespace: namespace.metadata.name,
        edges: sigstoreEdges({
            network: config.network,
            oidcIssuerUrl: config.oidc.issuerUrl,
            database: external ? { inCluster: false, port: external.port, engine: external.engine } : { inCluster: true, port: database.connection.port },
            signerElection: config.trillian.signerReplicas > 1,
            createtreeInPod: config.trillian.createtree.mode === "pod",
            dex: identity.provider === "dex" ? { ldapPort: identity.ldap.port } : undefined,
            backup: backup !== undefined,
        }),
    }, opts);
}

// Capacity planning: the volume the expected signing rate needs, and a warning when it is smaller.
const capacity = config.database.expectedSigningsPerDay > 0 ? capacityPlan({
    signingsPerDay: config.database.expectedSigningsPerDay,
    retentionYears: config.database.retentionYears,
    redoLogBytes: database.redoLogBytes,
}) : undefined;
const capacityShortfall = capacity && inClusterDb ? capacityWarning(capacity, config.database.storageSize) : undefined;
if (capacityShortfall) pulumi.log.warn(capacityShortfall);

if (config.monitoring) {
    const trillianTls = internalTls ? { caConfigMapName: internalTls.caConfigMapName, serverName: `${logServerService}.${config.cluster.namespace}.svc` } : undefined;
    new Monitoring("monitoring", {
        ...ns,
        targets: [
            { service: fulcioService, port: "metrics" }, { service: rekorService, port: "metrics" }, { service: ctlogService, port: "metrics" },
            { service: logServerService, port: "http", tls: trillianTls }, { service: logSignerService, port: "http" },
            ...(identity.provider === "dex" ? [{ service: dexService, port: "metrics" }] : []),
        ],
        extraLabels: config.monitoring.labels,
        databaseClaimName: database.dataClaimName,
        fulcioChainPem: fulcio.chainPem,
        caExpiryWarningDays: config.monitoring.caExpiryWarningDays,
        backup: config.backup ? { cronJob: backupCronJobName, maxAgeHours: config.backup.maxAgeHours } : undefined,
    }, opts);
}

const publicUrls = {
    fulcio: `https://${publicHost("fulcio")}`,
    rekor: `https://${publicHost("rekor")}`,
    ctlog: ctlogBaseUrl(activeCtlogPrefix),
    oidcIssuer: config.oidc.issuerUrl,
};

const client = pulumi.all([fulcio.caGenerations, rekor.keyGenerations, ctlog.generations, fulcio.validFrom])
    .apply(([fulcioCas, rekorKeys, ctlogs, validFrom]) => buildClientMaterial({
        urls: publicUrls, fulcioCas, rekorKeys, validFrom,
        ctlogKeys: ctlogs.map((l) => ({ baseUrl: ctlogBaseUrl(l.prefix), publicKeyPem: l.publicKeyPem, frozenAt: l.frozenAt })),
        oidcClientId: config.oidc.clientId, emailDomain: config.oidc.emailDomain,
    }));

// Who is trusted, as data for other stacks and admission controllers (policy-controller objects).
const policy = pulumi.all([fulcio.caGenerations, rekor.keyGenerations, ctlog.generations]).apply(([cas, rekorKeys, ctlogs]) =>
    buildVerificationPolicy({
        name: config.publicDomain, issuerUrl: config.oidc.issuerUrl, emailDomain: config.oidc.emailDomain,
        urls: publicUrls, fulcioChainPems: cas.map((ca) => ca.chainPem), rekorPublicKeyPems: rekorKeys.map((k) => k.publicKeyPem),
        ctlogs: ctlogs.map((l) => ({ baseUrl: ctlogBaseUrl(l.prefix), publicKeyPem: l.publicKeyPem })),
    }));

if (config.policyControllerResources) {
    new AdmissionPolicy("admission-policy", {
        name: config.publicDomain, trustRootSpec: policy.trustRoot.spec, clusterImagePolicySpec: policy.clusterImagePolicy.spec,
    }, opts);
}

// ---- Stack outputs: a versioned contract (README "Outputs"). Public material only. ----
export const outputsVersion = 1;
export const namespaceName = namespace.metadata.name;
export const urls = publicUrls;
export const internalUrls = { fulcio: fulcio.internalUrl, rekor: rekor.internalUrl, ctlog: ctlog.internalUrl, trillian: trillian.logServerAddress };
export const rekorTreeId = trillian.trees.rekor.treeId;
export const ctlogTreeId = trillian.trees.ctlog.treeId;
export const fulcioCertChainPem = fulcio.chainPem;
export const rekorPublicKeyPem = rekor.publicKeyPem;
/** Rekor's shards, oldest first (rekorKeyGeneration): tree, public key, and for retired ones when the tree was frozen. */
export const rekorShards = rekor.keyGenerations;
/** The CT logs, oldest first (ctlogKeyGeneration): tree, prefix, public key, and for retired ones when the tree was frozen. */
export const ctlogs = ctlog.generations;
export const ctlogPublicKeyPem = ctlog.publicKeyPem;
export const trustedRoot = client.trustedRoot;
export const signingConfig = client.signingConfig;
export const cosign = {
    v3: { sign: client.cosignV3SignCommand, verify: client.cosignV3VerifyCommand },
    v2: { environment: client.cosignV2Environment, sign: client.cosignV2SignCommand, verify: client.cosignV2VerifyCommand },
};
/** The verification policy: issuer, identity regexp, and policy-controller TrustRoot + ClusterImagePolicy objects. */
export const verificationPolicy = policy;
/** Every image this stack runs: mirror these into the registry of an air-gapped cluster. */
export const imageList = Object.entries(images).filter(([image]) => image !== "dex" || identity.provider === "dex").map(([, ref]) => ref).sort();
/** The database volume the expected signing rate needs (expectedSigningsPerDay, retentionYears), with its formula. */
export const databaseCapacity = capacity
    ? { planned: true, ...capacity, configuredSize: config.database.storageSize, fits: capacityShortfall === undefined }
    : { planned: false, configuredSize: config.database.storageSize };
/** Backups (backupSchedule): the CronJob, the volume and the ConfigMap holding backup.sh (docs/runbooks/backup-restore.md). */
export const databaseBackup = backup
    ? { enabled: true, cronJob: backupCronJobName, claimName: backupClaimName, scriptConfigMap: backup.scriptConfigMapName, schedule: config.backup!.schedule, retentionDays: config.backup!.retentionDays }
    : { enabled: false };
/** Name (not content) of the database credentials Secret, for automation such as backups. */
export const databaseCredentialsSecretName = database.connection.secretName;
