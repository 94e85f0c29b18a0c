/**
 * Rekor: the transparency log for signatures, on its Trillian tree, with Redis as its index.
 *
 * The signing key is generated once by @pulumi/tls and mounted from a Secret (never the memory
 * signer, which makes a new public key at every restart and breaks every client's trust root).
 * The tree ID comes from the Trillian tree ConfigMap: an env var reads it and the pod template
 * carries it as an annotation, so the Deployment depends on the ConfigMap and rolls if it changes.
 *
 * Key rotation (rekorKeyGeneration): one key per generation, each signing its own tree. The newest
 * is the active shard; the retired trees are frozen (components/trillian.ts) and listed, each with
 * its own key, in the --trillian_log_server.sharding_config file (lib/rekor-sharding.ts), so their
 * entries stay readable and verifiable and the new tree's entries are numbered after them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { containerResources, ResourceBounds } from "../lib/resources";
import { generatedPassword, generationKeys, LogKeyRecord, logKeyRecords } from "./key-material";
import { caFile, ClientTls, ServerTls, tlsMount, tlsVolumes } from "./internal-tls";
import { renderShardingConfig } from "../lib/rekor-sharding";
import { freezeRecords, LogGenerations, logServerService, oldestFirst, trillianPorts } from "./trillian";
import {
    configFiles,
    configMapEnv,
    exposeService,
    goServerContainer,
    imageUserContainer,
    IngressSpec,
    internalUrl,
    labels,
    podSecurity,
    protectedIf,
    retainCopy,
    secretEnv,
    serverWorkload,
    serviceHost,
    tcpProbe,
} from "./kube";

export interface RekorArgs {
    readonly namespace: pulumi.Input<string>;
    readonly namespaceName: string;
    /** One tree per key generation: the retired ones frozen, the newest active. */
    readonly trees: LogGenerations;
    readonly replicas: number;
    /** Rekor v2 took the writes and rekorV1AfterMigration is "stopped": the server and Redis run 0 replicas; nothing is deleted. */
    readonly stopped?: boolean;
    readonly redisStorageSize: string;
    readonly resources: { rekor: ResourceBounds; redis: ResourceBounds };
    /** Internal TLS: Rekor trusts the internal CA for Trillian and Redis; Redis serves TLS only. */
    readonly tls?: { client: ClientTls; redis: ServerTls };
    readonly images: { rekor: string; redis: string };
    /** Public host name, e.g. rekor.sigstore.corp.example (--rekor_server.hostname). */
    readonly publicHost: string;
    readonly protectData: boolean;
    /** Public exposure through an Ingress (omitted: none). */
    readonly ingress?: IngressSpec;
}

/** One key generation as clients must trust it: valid until its tree was frozen (absent: the active one). */
export type RekorKeyGeneration = LogKeyRecord;

export const rekorPorts = { http: 3000, metrics: 2112, redis: 6379 } as const;
export const rekorService = "rekor-server";
export const redisService = "rekor-redis";
const signerMount = "/var/run/rekor/signer";
/** The redis image's own unprivileged user. */
const redisUid = 999;

export class Rekor extends pulumi.ComponentResource {
    /** The active key's public half (what /api/v1/log/publicKey serves). */
    readonly publicKeyPem: pulumi.Output<string>;
    /** Every key generation, oldest first (rekorKeyGeneration). */
    readonly keyGenerations: pulumi.Output<RekorKeyGeneration[]>;
    readonly internalUrl: string;
    readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: RekorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:Rekor", name, {}, opts);
        this.internalUrl = internalUrl(rekorService, args.namespaceName, rekorPorts.http);

        const { retired, active } = args.trees;
        const trees = oldestFirst(args.trees);
        const keys = generationKeys(name, trees.length, { parent: this, ...protectedIf(args.protectData) });
        const activeKey = keys[keys.length - 1];
        this.publicKeyPem = activeKey.publicKeyPem;
        this.keyGenerations = logKeyRecords(trees, keys);

        const redisSecret = this.redis(name, args);
        const tls = tlsVolumes(undefined, args.tls?.client);
        const signerSecret = new k8s.core.v1.Secret(
            `${name}-signer`,
            {
                metadata: { namespace: args.namespace, labels: labels(rekorService, "rekor") },
                stringData: signerFiles(
                    activeKey.privateKeyPem,
                    retired.map((tree, i) => ({ treeId: tree.treeId, privateKeyPem: keys[i].privateKeyPem })),
                ),
            },
            { parent: this, ...retainCopy(args.protectData) },
        ); // a rotation replaces it: the keys are protected in the state
        const signer = configFiles([{ name: "signer", path: signerMount, secret: signerSecret.metadata.name }]);

        this.deployment = serverWorkload(
            `${name}-server`,
            {
                service: rekorService,
                component: "rekor",
                namespace: args.namespace,
                replicas: args.stopped ? 0 : args.replicas,
                podAnnotations: { "sigstore.dev/tree-id": active.treeId },
                ports: { http: rekorPorts.http, metrics: rekorPorts.metrics },
                container: {
                    name: "rekor-server",
                    image: args.images.rekor,
                    args: rekorArgs({ ...args, inactiveShards: retired.length }),
                    env: [
                        configMapEnv("TREE_ID", active.configMap.metadata.name, "treeID"),
                        secretEnv("REDIS_PASSWORD", redisSecret.metadata.name, "password"),
                        // Rekor's Redis client verifies against the system roots: make those our internal CA.
                        ...(args.tls ? [{ name: "SSL_CERT_FILE", value: caFile }] : []),
                    ],
                    ...goServerContainer("/ping", args.resources.rekor),
                    volumeMounts: [...signer.mounts, ...tls.mounts],
                },
                volumes: [...signer.volumes, ...tls.volumes],
                // Rekor reads each inactive shard's length once, at startup: only after the tree is frozen.
            },
            { parent: this, dependsOn: freezeRecords(args.trees) },
        ).deployment;

        if (args.ingress) exposeService(`${name}-ingress`, this, args.namespace, args.ingress, rekorService, rekorPorts.http);

        this.registerOutputs({ publicKeyPem: this.publicKeyPem, keyGenerations: this.keyGenerations, internalUrl: this.internalUrl });
    }

    /** Redis with a password (from a generated secret, via a config file, never argv) and a volume. */
    private redis(name: string, args: RekorArgs): k8s.core.v1.Secret {
        const appLabels = labels(redisService, "rekor");
        const password = generatedPassword(`${name}-redis-password`, { parent: this });
        // With internal TLS Redis listens on TLS only; clients authenticate with the password, not certificates.
        const listen = args.tls
            ? `port 0\ntls-port ${rekorPorts.redis}\ntls-cert-file ${tlsMount}/tls.crt\ntls-key-file ${tlsMount}/tls.key\ntls-ca-cert-file ${tlsMount}/ca.crt\ntls-auth-clients no\n`
            : "";
        const secret = new k8s.core.v1.Secret(
            `${name}-redis`,
            {
                metadata: { namespace: args.namespace, labels: appLabels },
                stringData: {
                    password: password.result,
                    "redis.conf": pulumi.interpolate`requirepass ${password.result}\nappendonly yes\ndir /data\nprotected-mode no\n${listen}`,
                },
            },
            { parent: this },
        );
        const tls = tlsVolumes(args.tls?.redis, undefined, 0o440);
        const volume = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-redis-data`,
            {
                metadata: { namespace: args.namespace, labels: appLabels },
                spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: args.redisStorageSize } } },
            },
            { parent: this, ...protectedIf(args.protectData) },
        );
        serverWorkload(
            `${name}-redis`,
            {
                service: redisService,
                component: "rekor",
                namespace: args.namespace,
                replicas: args.stopped ? 0 : 1,
                strategy: { type: "Recreate" },
                podSecurityContext: { ...podSecurity, fsGroup: redisUid },
                ports: { redis: rekorPorts.redis },
                container: {
                    name: "redis",
                    image: args.images.redis,
                    args: ["/etc/redis/redis.conf"],
                    readinessProbe: tcpProbe("redis"),
                    livenessProbe: tcpProbe("redis", 30),
                    resources: containerResources(args.resources.redis),
                    // Redis writes only to /data (its volume); the image's own user, never root.
                    securityContext: imageUserContainer(redisUid),
                    volumeMounts: [{ name: "data", mountPath: "/data" }, { name: "config", mountPath: "/etc/redis", readOnly: true }, ...tls.mounts],
                },
                volumes: [
                    { name: "data", persistentVolumeClaim: { claimName: volume.metadata.name } },
                    { name: "config", secret: { secretName: secret.metadata.name, items: [{ key: "redis.conf", path: "redis.conf" }] } },
                    ...tls.volumes,
                ],
            },
            { parent: this },
        );
        return secret;
    }
}

/**
 * The signer Secret's files: the active key as signer.pem; with retired generations also each one's
 * key (signer-g<n>.pem) and the sharding config naming them. A stack that never rotated has only signer.pem.
 */
function signerFiles(
    activeKeyPem: pulumi.Output<string>,
    retired: Array<{ treeId: pulumi.Output<string>; privateKeyPem: pulumi.Output<string> }>,
): Record<string, pulumi.Input<string>> {
    const files: Record<string, pulumi.Input<string>> = { "signer.pem": activeKeyPem };
    if (retired.length === 0) return files;
    retired.forEach((r, i) => {
        files[retiredKeyFile(i + 1)] = r.privateKeyPem;
    });
    files[shardingConfigFile] = pulumi
        .all(retired.map((r) => r.treeId))
        .apply((treeIds) => renderShardingConfig(treeIds.map((treeId, i) => ({ treeId, signerKeyPath: `${signerMount}/${retiredKeyFile(i + 1)}` }))));
    return files;
}

const retiredKeyFile = (generation: number) => `signer-g${generation}.pem`;
const shardingConfigFile = "sharding-config.yaml";

/** rekor-server flags (cobra: `--name=value`; addresses are hosts, ports are separate flags). */
export function rekorArgs(args: Pick<RekorArgs, "namespaceName" | "publicHost" | "tls"> & { inactiveShards?: number }): string[] {
    const tls = args.tls ? [`--trillian_log_server.tls_ca_cert=${caFile}`, "--redis_server.enable-tls=true"] : [];
    const sharding = (args.inactiveShards ?? 0) > 0 ? [`--trillian_log_server.sharding_config=${signerMount}/${shardingConfigFile}`] : [];
    return [
        "serve",
        `--trillian_log_server.address=${serviceHost(logServerService, args.namespaceName)}`,
        `--trillian_log_server.port=${trillianPorts.grpc}`,
        "--trillian_log_server.tlog_id=$(TREE_ID)",
        ...sharding,
        `--redis_server.address=${serviceHost(redisService, args.namespaceName)}`,
        `--redis_server.port=${rekorPorts.redis}`,
        "--redis_server.password=$(REDIS_PASSWORD)",
        "--rekor_server.address=0.0.0.0",
        `--port=${rekorPorts.http}`,
        `--rekor_server.hostname=${args.publicHost}`,
        `--rekor_server.signer=${signerMount}/signer.pem`,
        "--log_type=prod",
        ...tls,
    ];
}
