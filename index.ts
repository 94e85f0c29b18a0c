/**
 * Wiring only: reads the config (config/), creates the Kubernetes provider and the namespace, and
 * connects the components: InternalTls, Database, DatabaseBackup, Trillian, Rekor, Dex, Fulcio,
 * CtLog, TimestampAuthority, RekorV2, RekorV2Backup, TufRepository, NetworkIsolation, Monitoring and AdmissionPolicy. The stack outputs, shaped by outputs.ts,
 * are a versioned contract other stacks consume (docs/outputs.md).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { loadConfig } from "./config";
import { planDatabaseCapacity, planRekorV2Capacity } from "./lib/capacity";
import {
    clientMaterial,
    imageList as listImages,
    outputsVersion as version,
    PublicHosts,
    rekorV2Output,
    timestampUrl,
    tufOutput,
    tufTargets,
    verificationPolicyOutput,
} from "./outputs";
import { AdmissionPolicy } from "./components/admission-policy";
import { PolicyController } from "./components/policy-controller";
import { remoteTrustRootName } from "./lib/verification-policy";
import { backupClaimName, backupCronJobName, DatabaseBackup } from "./components/backup";
import { CtLog, ctlogGenerationPrefix, ctLogUrl, ctlogService } from "./components/ctlog";
import { Database, databaseService } from "./components/database";
import { Dex } from "./components/dex";
import { Fulcio } from "./components/fulcio";
import { InternalTls } from "./components/internal-tls";
import { podSecurityLabels, protectedIf } from "./components/kube";
import { Monitoring, sigstoreScrapeTargets } from "./components/monitoring";
import { NetworkIsolation, sigstoreEdges } from "./components/network";
import { Rekor, redisService } from "./components/rekor";
import { TimestampAuthority } from "./components/timestamp-authority";
import { logServerService, Trillian } from "./components/trillian";
import { TufRepository } from "./components/tuf-repository";
import { RekorV2 } from "./components/rekor-v2";
import { RekorV2Backup } from "./components/rekor-v2-backup";

const config = loadConfig();
const { protectData, identity } = config;
const images = config.images.refs;
const hosts = new PublicHosts(config.publicDomain);
const inClusterDb = config.database.mode === "in-cluster";

const provider = new k8s.Provider("cluster", {
    kubeconfig: config.cluster.kubeconfig,
    context: config.cluster.kubeContext,
    enableServerSideApply: true,
});
const opts = { providers: [provider] };

const namespace = new k8s.core.v1.Namespace(
    "namespace",
    {
        metadata: { name: config.cluster.namespace, labels: { "app.kubernetes.io/part-of": "sigstore", ...podSecurityLabels } },
    },
    { provider, ...protectedIf(protectData) },
);
const ns = { namespace: namespace.metadata.name, namespaceName: config.cluster.namespace };
const ingress = (service: string) =>
    config.ingressClassName ? { className: config.ingressClassName, host: hosts.host(service), tls: config.ingressTls } : undefined;

// TLS inside the namespace: one certificate per Service that terminates it, one CA for the clients.
const internalTls = config.internalTls
    ? new InternalTls(
          "internal-tls",
          {
              ...ns,
              protectData,
              services: [logServerService, ctlogService, redisService, ...(inClusterDb ? [databaseService] : [])],
          },
          opts,
      )
    : undefined;
const serverTls = (service: string) => internalTls?.servers[service];
const clientTls = internalTls ? { caConfigMapName: internalTls.caConfigMapName } : undefined;

const database = new Database(
    "database",
    {
        ...ns,
        storage: { size: config.database.storageSize, storageClass: config.database.storageClass },
        external: config.database.external,
        image: images.trillianDatabase,
        resources: config.resources.database,
        clients: { pods: config.trillian.serverReplicas + config.trillian.signerReplicas, maxConnsPerPod: config.trillian.tuning.mysqlMaxConns },
        tls: serverTls(databaseService),
        protectData,
    },
    opts,
);

// Scheduled, verified dumps of the Trillian database onto a volume of their own (backupSchedule).
const backup = config.backup
    ? new DatabaseBackup(
          "backup",
          {
              namespace: namespace.metadata.name,
              image: images.trillianDatabase,
              connection: database.connection,
              schedule: config.backup.schedule,
              retentionDays: config.backup.retentionDays,
              storageSize: config.backup.storageSize,
              storageClass: config.backup.storageClass,
              resources: config.resources.backup,
              tls: inClusterDb ? clientTls : undefined,
              protectData,
          },
          opts,
      )
    : undefined;

// Rekor v2 (rekorVersion v2): its logs continue Rekor v1's generations and take the writes; Rekor v1's
// trees are frozen once the first v2 log is ready, and stay in the trusted root.
const rekorV2Config = config.rekorV2;
const rekorV2 = rekorV2Config
    ? new RekorV2(
          "rekor-v2",
          {
              ...ns,
              images: { server: images.rekorV2, readPath: images.tufServer },
              resources: config.resources.rekorV2,
              generations: { from: rekorV2Config.fromGeneration, to: config.rekor.keyGeneration },
              originOf: (service) => hosts.host(service),
              checkpointInterval: rekorV2Config.checkpointInterval,
              batch: { maxSize: rekorV2Config.batchMaxSize, maxAge: rekorV2Config.batchMaxAge },
              storageSize: rekorV2Config.storageSize,
              ingress: config.ingressClassName ? { className: config.ingressClassName, tls: config.ingressTls } : undefined,
              protectData,
          },
          opts,
      )
    : undefined;

// Each Rekor v2 log's volume archived on the backup schedule onto a volume of its own (backupSchedule).
const rekorV2Backup =
    rekorV2 && rekorV2Config && config.backup
        ? new RekorV2Backup(
              "rekor-v2-backup",
              {
                  namespace: namespace.metadata.name,
                  image: images.tufServer,
                  logs: rekorV2.volumes,
                  schedule: config.backup.schedule,
                  retentionDays: config.backup.retentionDays,
                  storageSize: rekorV2Config.backupStorageSize,
                  storageClass: config.backup.storageClass,
                  resources: config.resources.backup,
                  protectData,
              },
              opts,
          )
        : undefined;

const trillian = new Trillian(
    "trillian",
    {
        ...ns,
        replicas: { logServer: config.trillian.serverReplicas, logSigner: config.trillian.signerReplicas },
        tuning: config.trillian.tuning,
        election: config.trillian.election,
        pinnedTreeIds: { rekor: config.trillian.rekorTreeId, ctlog: config.trillian.ctlogTreeId },
        admin: {
            mode: config.trillian.createtree.mode,
            createtreeBinary: config.trillian.createtree.binary,
            updatetreeBinary: config.trillian.createtree.updatetreeBinary,
            image: config.trillian.createtree.image,
            kubeconfig: config.cluster.kubeconfig,
            kubeContext: config.cluster.kubeContext,
        },
        // With Rekor v2 the generations from rekorV2FromGeneration on are its logs, not trees.
        keyGenerations: { rekor: rekorV2Config ? rekorV2Config.fromGeneration - 1 : config.rekor.keyGeneration, ctlog: config.ctlog.keyGeneration },
        freezeActive: rekorV2 ? { rekor: [rekorV2.statefulSet] } : undefined,
        database: database.connection,
        databaseReady: database.ready,
        images: { logServer: images.trillianLogServer, logSigner: images.trillianLogSigner },
        resources: { logServer: config.resources.trillianServer, logSigner: config.resources.trillianSigner },
        tls: internalTls ? { logServer: serverTls(logServerService)!, client: clientTls! } : undefined,
        protectData,
    },
    opts,
);

const rekor = new Rekor(
    "rekor",
    {
        ...ns,
        trees: trillian.generations.rekor,
        replicas: config.rekor.replicas,
        stopped: rekorV2Config?.v1AfterMigration === "stopped",
        redisStorageSize: config.rekor.redisStorageSize,
        resources: { rekor: config.resources.rekor, redis: config.resources.redis },
        tls: internalTls ? { client: clientTls!, redis: serverTls(redisService)! } : undefined,
        images: { rekor: images.rekor, redis: images.redis },
        publicHost: hosts.host("rekor"),
        ingress: ingress("rekor"),
        protectData,
    },
    opts,
);

// The bundled OIDC issuer in front of the directory (identityProvider dex): Fulcio's issuer is its URL.
if (identity.provider === "dex") {
    new Dex(
        "dex",
        {
            namespace: namespace.metadata.name,
            image: images.dex,
            resources: config.resources.dex,
            issuerUrl: config.oidc.issuerUrl,
            clientId: config.oidc.clientId,
            emailDomain: config.oidc.emailDomain,
            ldap: identity.ldap,
            bindPassword: identity.ldap.bindPassword,
            ingress: config.ingressClassName ? { className: config.ingressClassName, tls: config.ingressTls } : undefined,
        },
        opts,
    );
}

// The CT log Fulcio submits to: the newest key generation's (ctlogKeyGeneration).
const activeCtlogPrefix = ctlogGenerationPrefix(config.ctlog.prefix, config.ctlog.keyGeneration);

const fulcio = new Fulcio(
    "fulcio",
    {
        ...ns,
        replicas: config.fulcio.replicas,
        resources: config.resources.fulcio,
        image: images.fulcio,
        ca: config.ca,
        oidc: config.oidc,
        ctLogUrl: ctLogUrl(config.cluster.namespace, activeCtlogPrefix, config.internalTls),
        ctLogReady: trillian.generations.ctlog.retired.map((tree) => tree.freezeRecord),
        tls: clientTls,
        ingress: ingress("fulcio"),
        protectData,
    },
    opts,
);

const ctlog = new CtLog(
    "ctlog",
    {
        ...ns,
        trees: trillian.generations.ctlog,
        trillianAddress: trillian.logServerAddress,
        replicas: config.ctlog.replicas,
        resources: config.resources.ctlog,
        image: images.ctlog,
        prefix: config.ctlog.prefix,
        fulcioRootsPem: fulcio.acceptedRootsPem,
        ingress: ingress("ctlog"),
        tls: internalTls ? { server: serverTls(ctlogService)!, client: clientTls! } : undefined,
        protectData,
    },
    opts,
);

// RFC 3161 timestamps (timestampAuthority): listed in the trusted root and the signing config.
const tsaConfig = config.timestampAuthority;
/** What the network edges and the alerts need to know of it. */
const tsaWatch = tsaConfig ? { ntp: tsaConfig.ntpServers !== undefined } : undefined;
const tsa = tsaConfig
    ? new TimestampAuthority(
          "tsa",
          {
              ...ns,
              image: images.timestampAuthority,
              replicas: tsaConfig.replicas,
              resources: config.resources.tsa,
              generation: tsaConfig.generation,
              chain: tsaConfig.chain,
              ntpServers: tsaConfig.ntpServers,
              ingress: ingress("tsa"),
              protectData,
          },
          opts,
      )
    : undefined;

const publicUrls = { fulcio: hosts.url("fulcio"), rekor: hosts.url("rekor"), ctlog: hosts.ctlogBaseUrl(activeCtlogPrefix), oidcIssuer: config.oidc.issuerUrl };
const trust = { hosts, urls: publicUrls, fulcio, rekor, ctlog, tsa, rekorV2, oidc: config.oidc };
const client = clientMaterial(trust);

// Trust distribution (tuf): the trusted root and signing config, signed and served, so clients follow every rotation.
const tufConfig = config.tuf;
const tuf = tufConfig
    ? new TufRepository(
          "tuf",
          {
              ...ns,
              image: images.tufServer,
              replicas: tufConfig.replicas,
              resources: config.resources.tuf,
              generation: tufConfig.generation,
              rootKeyCount: tufConfig.rootKeyCount,
              rootThreshold: tufConfig.rootThreshold,
              expiryDays: tufConfig.expiryDays,
              renewalDays: tufConfig.renewalDays,
              targets: tufTargets(client),
              ingress: ingress("tuf"),
              protectData,
          },
          opts,
      )
    : undefined;
const policy = verificationPolicyOutput({
    ...trust,
    name: config.publicDomain,
    tuf: tuf ? { mirrorUrl: hosts.url("tuf"), initialRoot: tuf.initialRoot } : undefined,
});

if (config.network) {
    const external = config.database.external;
    new NetworkIsolation(
        "network",
        {
            namespace: namespace.metadata.name,
            edges: sigstoreEdges({
                network: config.network,
                oidcIssuerUrl: config.oidc.issuerUrl,
                database: external ? { inCluster: false, port: external.port, engine: external.engine } : { inCluster: true, port: database.connection.port },
                signerElection: config.trillian.signerReplicas > 1,
                createtreeInPod: config.trillian.createtree.mode === "pod",
                dex: identity.provider === "dex" ? { ldapPort: identity.ldap.port } : undefined,
                backup: backup !== undefined,
                tsa: tsaWatch,
                tuf: tuf !== undefined,
                rekorV2: rekorV2 ? { services: rekorV2.services } : undefined,
            }),
        },
        opts,
    );
}

// Capacity planning: the volume the expected signing rate needs, and a preview warning when it is smaller.
const capacity = planDatabaseCapacity({
    signingsPerDay: config.database.expectedSigningsPerDay,
    retentionYears: config.database.retentionYears,
    redoLogBytes: database.redoLogBytes,
    configuredSize: config.database.storageSize,
    inCluster: inClusterDb,
    rekorV2: rekorV2 !== undefined,
});
// The engine prints it in preview and up; nothing waits on the logging call itself.
if (capacity.warning) void pulumi.log.warn(capacity.warning);
const rekorV2Capacity = rekorV2Config
    ? planRekorV2Capacity({
          signingsPerDay: config.database.expectedSigningsPerDay,
          retentionYears: config.database.retentionYears,
          configuredSize: rekorV2Config.storageSize,
      })
    : undefined;
if (rekorV2Capacity?.warning) void pulumi.log.warn(rekorV2Capacity.warning);

if (config.monitoring) {
    const backupMaxAgeHours = config.backup?.maxAgeHours;
    new Monitoring(
        "monitoring",
        {
            ...ns,
            targets: sigstoreScrapeTargets({
                namespaceName: config.cluster.namespace,
                internalTlsCaConfigMapName: internalTls?.caConfigMapName,
                dex: identity.provider === "dex",
                tsa: tsa !== undefined,
                rekorV2Service: rekorV2?.services[rekorV2.services.length - 1],
            }),
            extraLabels: config.monitoring.labels,
            databaseClaimName: database.dataClaimName,
            fulcioChainPem: fulcio.chainPem,
            caExpiryWarningDays: config.monitoring.caExpiryWarningDays,
            backup: config.backup ? { cronJob: backupCronJobName, maxAgeHours: config.backup.maxAgeHours } : undefined,
            tsa: tsaWatch,
            tuf: tuf && tufConfig ? { schedule: tuf.schedule, renewalDays: tufConfig.renewalDays, stack: pulumi.getStack() } : undefined,
            rekorV2ClaimName: rekorV2?.activeClaimName,
            rekorV2Backups:
                rekorV2Backup && backupMaxAgeHours !== undefined
                    ? rekorV2Backup.cronJobNames.map((cronJob) => ({ cronJob, maxAgeHours: backupMaxAgeHours }))
                    : undefined,
        },
        opts,
    );
}

const policyController = config.policyController
    ? new PolicyController(
          "policy-controller",
          {
              namespace: config.policyController.namespace,
              replicas: config.policyController.replicas,
              image: images.policyController,
              resources: config.resources.policyWebhook,
              noMatchPolicy: config.policyController.noMatchPolicy,
              network: config.network && {
                  apiServerCidrs: config.network.apiServerEgressCidrs,
                  apiServerPorts: config.network.apiServerEgressPorts,
                  egressCidrs: config.policyController.egressCidrs,
                  egressPorts: config.policyController.egressPorts,
              },
          },
          opts,
      )
    : undefined;

// A deployed policy-controller gets the policy once its webhook (which validates policies) is up.
if (config.policyControllerResources || policyController) {
    const trustRoot =
        config.policyController?.trust === "tuf"
            ? { name: remoteTrustRootName(config.publicDomain), spec: policy.apply((p) => p.trustRootRemote!.spec) }
            : { name: config.publicDomain, spec: policy.trustRoot.spec };
    new AdmissionPolicy(
        "admission-policy",
        { name: config.publicDomain, trustRoot, clusterImagePolicySpec: policy.clusterImagePolicy.spec, after: policyController?.ready },
        opts,
    );
}

// ---- Stack outputs: a versioned contract (docs/outputs.md). Public material only. ----
export const outputsVersion = version;
export const namespaceName = namespace.metadata.name;
export const urls = publicUrls;
export const internalUrls = {
    fulcio: fulcio.internalUrl,
    rekor: rekor.internalUrl,
    ctlog: ctlog.internalUrl,
    trillian: trillian.logServerAddress,
    ...(tsa ? { tsa: tsa.internalUrl } : {}),
    ...(tuf ? { tuf: tuf.internalUrl } : {}),
    ...(rekorV2 ? { rekorV2: rekorV2.internalUrl, rekorV2ReadPath: rekorV2.internalReadUrl } : {}),
};
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
    /** Container images by digest (set IMAGE=registry/repository@sha256:…), and whether policy-controller v0.13.1 admits them. */
    images: { sign: client.cosignImageSignCommand, verify: client.cosignImageVerifyCommand, admission: client.imageAdmission },
    v2: { environment: client.cosignV2Environment, sign: client.cosignV2SignCommand, verify: client.cosignV2VerifyCommand },
};
/** The verification policy: issuer, identity regexp, and policy-controller TrustRoot + ClusterImagePolicy objects. */
export const verificationPolicy = policy;
/** Every image this stack runs: mirror these into the registry of an air-gapped cluster. */
export const imageList = listImages(
    images,
    (image) =>
        (image !== "dex" || identity.provider === "dex") &&
        (image !== "timestampAuthority" || tsa !== undefined) &&
        (image !== "tufServer" || tuf !== undefined || rekorV2 !== undefined) &&
        (image !== "rekorV2" || rekorV2 !== undefined) &&
        (image !== "policyController" || policyController !== undefined),
);
/** The database volume the expected signing rate needs (expectedSigningsPerDay, retentionYears), with its formula. */
export const databaseCapacity = capacity.report;
/** Backups (backupSchedule): the CronJob, the volume and the ConfigMap holding backup.sh (docs/runbooks/backup-restore.md). */
export const databaseBackup =
    backup && config.backup
        ? {
              enabled: true,
              cronJob: backupCronJobName,
              claimName: backupClaimName,
              scriptConfigMap: backup.scriptConfigMapName,
              schedule: config.backup.schedule,
              retentionDays: config.backup.retentionDays,
          }
        : { enabled: false };
/** Name (not content) of the database credentials Secret, for automation such as backups. */
export const databaseCredentialsSecretName = database.connection.secretName;
/** The timestamp authority (timestampAuthority): where clients ask, the active chain (leaf first) and every chain with its window. */
export const timestampAuthority = tsa
    ? { enabled: true, url: timestampUrl(hosts), certChainPem: tsa.chainPem, generations: tsa.generations }
    : { enabled: false };
/** The TUF repository (tuf): the mirror clients initialise from, the initial root to hand out with its SHA-256, and each role's version and expiry. */
export const tufRepository = tuf ? tufOutput(hosts.url("tuf"), tuf) : { enabled: false };
/** The mirror URL on its own, for `cosign initialize --mirror` and sigstore-js's tufMirrorURL. */
export const tufMirrorUrl = tuf ? hosts.url("tuf") : "";
/** The initial root.json to distribute offline (cosign initialize --root); its SHA-256 is tufRepository.rootSha256. */
export const tufRoot = tuf ? tuf.initialRoot : "";
/** Rekor v2 (rekorVersion v2): where clients write, its checkpoint origin and key, and its read path. */
export const rekorV2Log = rekorV2 && rekorV2Capacity ? rekorV2Output(rekorV2, rekorV2Capacity.report) : { enabled: false };
