/**
 * RekorV2: the tile-based transparency log (rekor-tiles v2.3.0, POSIX backend) that takes the writes
 * with rekorVersion v2. One StatefulSet pod of two containers on one RWO volume:
 *  - the server (flags from lib/rekor-v2.ts): it appends entries, publishes tiles and a signed
 *    checkpoint on the volume, and answers writes at /api/v2; its reads are unimplemented upstream;
 *  - the read path: nginx-unprivileged serving `checkpoint` and `tile/…` from the same volume,
 *    read-only, never `.state/`.
 * Both are exposed under the log's public host, its checkpoint origin: `/api/v2` to the server, the
 * rest to the read path. The origin and the key are pinned (the server would silently re-sign an
 * existing log under a new identity); the key and the volume are protected in prod.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { containerResources, ResourceBounds } from "../lib/resources";
import { rekorV2Ports, rekorV2ReadPathConfig, rekorV2ServerArgs } from "../lib/rekor-v2";
import { generatedKey } from "./key-material";
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

export const rekorV2Service = "rekor-v2";
const storageMount = "/var/lib/rekor-v2";
const keyMount = "/var/run/rekor-v2";
/** The server's user (the image's nonroot); the volume's group, so the server writes and nginx (uid 101, same group) reads. */
const serverUid = 65532;
const nginxUid = 101;

export interface RekorV2Args {
    readonly namespace: pulumi.Input<string>;
    readonly namespaceName: string;
    readonly images: { readonly server: string; readonly readPath: string };
    readonly resources: ResourceBounds;
    /** The public host name: the checkpoint origin, and the host of the trusted root's baseUrl. */
    readonly origin: string;
    readonly checkpointInterval: string;
    readonly storageSize: string;
    readonly ingress?: Omit<IngressSpec, "host">;
    readonly protectData: boolean;
}

export class RekorV2 extends pulumi.ComponentResource {
    readonly origin: string;
    readonly publicKeyPem: pulumi.Output<string>;
    readonly internalUrl: string;
    readonly statefulSet: k8s.apps.v1.StatefulSet;

    constructor(name: string, args: RekorV2Args, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:RekorV2", name, {}, opts);
        this.origin = args.origin;
        this.internalUrl = internalUrl(rekorV2Service, args.namespaceName, rekorV2Ports.http);
        const appLabels = labels(rekorV2Service, "rekor-v2");
        const meta = { namespace: args.namespace, labels: appLabels };

        const key = generatedKey(`${name}-signing-key`, "P256", { parent: this, ...protectedIf(args.protectData) });
        this.publicKeyPem = key.publicKeyPem;
        const signer = new k8s.core.v1.Secret(
            `${name}-signer`,
            { metadata: meta, stringData: { "signer.pem": pulumi.secret(key.privateKeyPem) } },
            { parent: this, ...retainCopy(args.protectData) },
        );
        const volume = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-data`,
            { metadata: meta, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: args.storageSize } } } },
            { parent: this, ...protectedIf(args.protectData) },
        );
        const readPath = new k8s.core.v1.ConfigMap(
            `${name}-read-path`,
            { metadata: meta, data: { "default.conf": rekorV2ReadPathConfig(storageMount) } },
            { parent: this },
        );

        const service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { ...meta, name: rekorV2Service },
                spec: {
                    selector: selector(rekorV2Service),
                    ports: [
                        { name: "http", port: rekorV2Ports.http, targetPort: "http" },
                        { name: "metrics", port: rekorV2Ports.metrics, targetPort: "metrics" },
                        { name: "read", port: rekorV2Ports.read, targetPort: "read" },
                    ],
                },
            },
            { parent: this },
        );

        this.statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-server`,
            {
                metadata: meta,
                spec: {
                    // One writer: the POSIX log locks its storage, and a second pod would wait on the RWO volume.
                    replicas: 1,
                    serviceName: service.metadata.name,
                    selector: { matchLabels: selector(rekorV2Service) },
                    template: {
                        metadata: { labels: appLabels },
                        spec: {
                            automountServiceAccountToken: false,
                            securityContext: { ...podSecurity, fsGroup: serverUid },
                            containers: [
                                {
                                    name: "rekor-tiles",
                                    image: args.images.server,
                                    args: rekorV2ServerArgs({
                                        origin: args.origin,
                                        storageDir: storageMount,
                                        signerPath: `${keyMount}/signer.pem`,
                                        checkpointInterval: args.checkpointInterval,
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
                                },
                                {
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
                                },
                            ],
                            volumes: [
                                { name: "data", persistentVolumeClaim: { claimName: volume.metadata.name } },
                                { name: "signer", secret: { secretName: signer.metadata.name } },
                                { name: "read-path", configMap: { name: readPath.metadata.name } },
                                scratchVolume("tmp"),
                            ],
                        },
                    },
                },
            },
            { parent: this },
        );

        // The log's host: writes to the server, everything else (checkpoint, tiles) to the read path.
        if (args.ingress) {
            exposeService(`${name}-ingress`, this, args.namespace, { ...args.ingress, host: args.origin }, rekorV2Service, [
                { path: "/api/v2", port: rekorV2Ports.http },
                { path: "/", port: rekorV2Ports.read },
            ]);
        }
        this.registerOutputs({ origin: this.origin, publicKeyPem: this.publicKeyPem, internalUrl: this.internalUrl, statefulSet: this.statefulSet });
    }
}
