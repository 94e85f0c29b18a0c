/**
 * RekorV2: the tile-based transparency log (rekor-tiles v2.3.0, POSIX backend) that takes the writes
 * with rekorVersion v2, one log per key generation (rekorV2FromGeneration … rekorKeyGeneration). Each
 * log has its own origin, key and volume, in one StatefulSet pod:
 *  - the server (flags from lib/rekor-v2.ts), only in the newest log's pod: it appends entries,
 *    publishes tiles and a signed checkpoint on the volume, and answers writes at /api/v2; its reads
 *    are unimplemented upstream;
 *  - the read path: nginx-unprivileged serving `checkpoint` and `tile/…` from the same volume,
 *    read-only, never `.state/`. A retired log keeps only this: read-only for good, as the public
 *    instance's shards are.
 * Each log is exposed under its public host, its checkpoint origin: `/api/v2` to the server, the rest
 * to the read path. The origin and the key are pinned (the server would silently re-sign an existing
 * log under a new identity); the keys and volumes are protected in prod.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { containerResources, ResourceBounds } from "../lib/resources";
import { rekorV2Ports, rekorV2ReadPathConfig, rekorV2ServerArgs } from "../lib/rekor-v2";
import { generatedKey, recordedTime } from "./key-material";
import {
    exposeService,
    httpProbe,
    IngressSpec,
    internalUrl,
    labels,
    podSecurity,
    protectedIf,
    restrictedContainer,
    retainCopy,
    scratchVolume,
    selector,
} from "./kube";

/** The first v2 log's Service and app name; a later log's is "rekor-v2-g<generation>" (rekorV2Services). */
export const rekorV2Service = "rekor-v2";
/** Where every log's pod mounts its volume (the backups mount it at the same path). */
export const rekorV2StorageMount = "/var/lib/rekor-v2";
const storageMount = rekorV2StorageMount;
const keyMount = "/var/run/rekor-v2";
/** The server's user (the image's nonroot); the volume's group, so the server writes and nginx (uid 101, same group) reads. */
const serverUid = 65532;
const nginxUid = 101;

export interface RekorV2Args {
    readonly namespace: pulumi.Input<string>;
    readonly namespaceName: string;
    readonly images: { readonly server: string; readonly readPath: string };
    readonly resources: ResourceBounds;
    /** The key generations that are v2 logs (rekorV2FromGeneration … rekorKeyGeneration): the newest takes the writes. */
    readonly generations: { readonly from: number; readonly to: number };
    /** A log's public host name from its Service name: the checkpoint origin, and the host of the trusted root's baseUrl. */
    readonly originOf: (service: string) => string;
    readonly checkpointInterval: string;
    readonly batch: { readonly maxSize: number; readonly maxAge: string };
    readonly storageSize: string;
    readonly ingress?: Omit<IngressSpec, "host">;
    readonly protectData: boolean;
}

/** One Rekor v2 log as clients must trust it: valid until it was retired (absent: the active one). */
export interface RekorV2LogRecord {
    generation: number;
    origin: string;
    publicKeyPem: string;
    retiredAt?: string;
}

interface LogParts {
    generation: number;
    service: string;
    origin: string;
    publicKeyPem: pulumi.Output<string>;
    statefulSet: k8s.apps.v1.StatefulSet;
    claimName: pulumi.Output<string>;
}

export class RekorV2 extends pulumi.ComponentResource {
    /** The active log's origin and key: where new entries go. */
    readonly origin: string;
    readonly publicKeyPem: pulumi.Output<string>;
    readonly internalUrl: string;
    /** The active log's read path in the cluster (checkpoint and tiles), for in-cluster monitors and witnesses. */
    readonly internalReadUrl: string;
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    /** Every log, oldest first; the retired ones with when their server stopped. */
    readonly logs: pulumi.Output<RekorV2LogRecord[]>;
    /** Every log's Service (and app) name, oldest first; the last is the active one. */
    readonly services: string[];
    /** The active log's tile volume claim (what the disk alert watches). */
    readonly activeClaimName: pulumi.Output<string>;
    /** Every log's Service (its pods' app name) and tile volume claim, oldest first: what the backups copy. */
    readonly volumes: Array<{ service: string; claimName: pulumi.Output<string> }>;

    constructor(name: string, args: RekorV2Args, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:RekorV2", name, {}, opts);
        const { from, to } = args.generations;
        if (from > to) throw new Error(`Rekor v2: its first generation (${from}) is after the active one (${to})`);
        const readPath = new k8s.core.v1.ConfigMap(
            `${name}-read-path`,
            {
                metadata: { namespace: args.namespace, labels: labels(rekorV2Service, "rekor-v2") },
                data: { "default.conf": rekorV2ReadPathConfig(storageMount) },
            },
            { parent: this },
        );
        // The active log first: a retired log's server stops only once its successor is ready.
        const active = this.log(name, to, from, args, readPath, undefined);
        this.origin = active.origin;
        this.publicKeyPem = active.publicKeyPem;
        this.statefulSet = active.statefulSet;
        this.activeClaimName = active.claimName;
        this.internalUrl = internalUrl(active.service, args.namespaceName, rekorV2Ports.http);
        this.internalReadUrl = internalUrl(active.service, args.namespaceName, rekorV2Ports.read);

        const retired = Array.from({ length: to - from }, (_, i) => from + i).map((g) => {
            const log = this.log(name, g, from, args, readPath, active.statefulSet);
            const retiredAt = recordedTime(`${name}-retired${logSuffix(g, from)}`, `Rekor v2 log ${log.origin} (rekorKeyGeneration ${g}) retired`, {
                parent: this,
                dependsOn: [log.statefulSet],
                ...protectedIf(args.protectData),
            });
            return { log, retiredAt };
        });
        this.volumes = [...retired.map((r) => r.log), active].map((log) => ({ service: log.service, claimName: log.claimName }));
        this.services = this.volumes.map((v) => v.service);
        this.logs = pulumi
            .all([pulumi.all(retired.map((r) => pulumi.all([r.log.publicKeyPem, r.retiredAt]))), active.publicKeyPem])
            .apply(([old, activeKey]) => [
                ...old.map(([publicKeyPem, retiredAt], i) => ({
                    generation: retired[i].log.generation,
                    origin: retired[i].log.origin,
                    publicKeyPem,
                    retiredAt,
                })),
                { generation: to, origin: active.origin, publicKeyPem: activeKey },
            ]);
        this.registerOutputs({
            origin: this.origin,
            publicKeyPem: this.publicKeyPem,
            internalUrl: this.internalUrl,
            internalReadUrl: this.internalReadUrl,
            logs: this.logs,
        });
    }

    /**
     * One log generation: key, Secret, volume, Service, StatefulSet and Ingress. The active one
     * (`successor` undefined) runs the server beside the read path; a retired one only the read path,
     * once its successor is ready.
     */
    private log(
        name: string,
        generation: number,
        from: number,
        args: RekorV2Args,
        readPath: k8s.core.v1.ConfigMap,
        successor: k8s.apps.v1.StatefulSet | undefined,
    ): LogParts {
        const suffix = logSuffix(generation, from);
        const service = `${rekorV2Service}${suffix}`;
        const origin = args.originOf(service);
        // Each log its own app: its own pods, Service, policy edges and scrape target.
        const podLabels = labels(service, "rekor-v2");
        const podSelector = selector(service);
        const meta = { namespace: args.namespace, labels: podLabels };
        const writable = successor === undefined;

        const key = generatedKey(`${name}-signing-key${suffix}`, "P256", { parent: this, ...protectedIf(args.protectData) });
        const volume = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-data${suffix}`,
            { metadata: meta, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: args.storageSize } } } },
            { parent: this, ...protectedIf(args.protectData) },
        );
        // A retired log signs nothing again: its key leaves the cluster (it stays in the state, for the record).
        const signer = writable
            ? new k8s.core.v1.Secret(
                  `${name}-signer${suffix}`,
                  { metadata: meta, stringData: { "signer.pem": pulumi.secret(key.privateKeyPem) } },
                  { parent: this, ...retainCopy(args.protectData) },
              )
            : undefined;

        new k8s.core.v1.Service(
            `${name}-service${suffix}`,
            {
                metadata: { ...meta, name: service },
                spec: {
                    selector: podSelector,
                    ports: [
                        ...(writable
                            ? [
                                  { name: "http", port: rekorV2Ports.http, targetPort: "http" },
                                  { name: "metrics", port: rekorV2Ports.metrics, targetPort: "metrics" },
                              ]
                            : []),
                        { name: "read", port: rekorV2Ports.read, targetPort: "read" },
                    ],
                },
            },
            { parent: this },
        );

        const readPathContainer: k8s.types.input.core.v1.Container = {
            name: "read-path",
            image: args.images.readPath,
            ports: [{ name: "read", containerPort: rekorV2Ports.read }],
            readinessProbe: httpProbe("/healthz", "read"),
            livenessProbe: httpProbe("/healthz", "read", 30),
            resources: { requests: { cpu: "20m", memory: "16Mi" }, limits: { cpu: "500m", memory: "64Mi" } },
            // In the volume's group: the tiles are group-readable, .state/ (0700) is not.
            securityContext: { ...restrictedContainer, runAsUser: nginxUid, runAsGroup: serverUid },
            volumeMounts: [
                { name: "data", mountPath: storageMount, readOnly: true },
                { name: "read-path", mountPath: "/etc/nginx/conf.d", readOnly: true },
                { name: "tmp", mountPath: "/tmp" },
            ],
        };
        const statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-server${suffix}`,
            {
                metadata: meta,
                spec: {
                    // One writer: the POSIX log locks its storage, and a second pod would wait on the RWO volume.
                    replicas: 1,
                    serviceName: service,
                    selector: { matchLabels: podSelector },
                    template: {
                        metadata: { labels: podLabels },
                        spec: {
                            automountServiceAccountToken: false,
                            securityContext: { ...podSecurity, fsGroup: serverUid },
                            containers: [...(signer ? [this.serverContainer(args, origin)] : []), readPathContainer],
                            volumes: [
                                { name: "data", persistentVolumeClaim: { claimName: volume.metadata.name } },
                                ...(signer ? [{ name: "signer", secret: { secretName: signer.metadata.name } }] : []),
                                { name: "read-path", configMap: { name: readPath.metadata.name } },
                                scratchVolume("tmp"),
                            ],
                        },
                    },
                },
            },
            { parent: this, dependsOn: successor ? [successor] : [] },
        );

        // The log's host: writes to the server, everything else (checkpoint, tiles) to the read path.
        if (args.ingress) {
            exposeService(
                `${name}-ingress${suffix}`,
                this,
                args.namespace,
                { ...args.ingress, host: origin },
                service,
                writable
                    ? [
                          { path: "/api/v2", port: rekorV2Ports.http },
                          { path: "/", port: rekorV2Ports.read },
                      ]
                    : [{ path: "/", port: rekorV2Ports.read }],
            );
        }
        return { generation, service, origin, publicKeyPem: key.publicKeyPem, statefulSet, claimName: volume.metadata.name };
    }

    private serverContainer(args: RekorV2Args, origin: string): k8s.types.input.core.v1.Container {
        return {
            name: "rekor-tiles",
            image: args.images.server,
            args: rekorV2ServerArgs({
                origin,
                storageDir: storageMount,
                signerPath: `${keyMount}/signer.pem`,
                checkpointInterval: args.checkpointInterval,
                batch: args.batch,
            }),
            ports: [
                { name: "http", containerPort: rekorV2Ports.http },
                { name: "metrics", containerPort: rekorV2Ports.metrics },
            ],
            readinessProbe: httpProbe("/healthz", "http"),
            livenessProbe: httpProbe("/healthz", "http", 30),
            resources: containerResources(args.resources),
            securityContext: { ...restrictedContainer, runAsUser: serverUid, runAsGroup: serverUid },
            volumeMounts: [
                { name: "data", mountPath: storageMount },
                { name: "signer", mountPath: keyMount, readOnly: true },
            ],
        };
    }
}

/**
 * Resource and Service name suffix of a log: the first v2 log keeps the names it was deployed with;
 * later ones are "-g<generation>", as Rekor v1's keys are.
 */
function logSuffix(generation: number, from: number): string {
    return generation === from ? "" : `-g${generation}`;
}
