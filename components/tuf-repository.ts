/**
 * TufRepository: a TUF repository (TUF 1.0, consistent snapshots) of the trusted root and the
 * signing config, served read-only by nginx at `https://tuf.<publicDomain>`. Clients bootstrap once
 * from the initial root (`cosign initialize --mirror … --root …`) and from then on fetch the current
 * trust material themselves, checked against expiry and rollback, across every rotation.
 *
 * - Keys: Ed25519, generated here per tufRootGeneration (tufRootKeyCount root keys, one each for
 *   targets, snapshot and timestamp), never regenerated, protected in prod. Raising the generation
 *   publishes the next root signed by the old and the new root keys.
 * - Files: rendered and signed in the program (lib/tuf-repository.ts); only the versions and expiry
 *   dates are state (TufScheduleState), so the same stack renders the same bytes and a no-op preview
 *   shows no change, while an `up` inside tufRenewalDays re-signs.
 * - Serving: the files in a ConfigMap, mounted read-only into nginx-unprivileged (uid 101, port
 *   8080, read-only root filesystem). The metadata is public; no Secret is mounted.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import { ResourceBounds, containerResources } from "../lib/resources";
import { renderTufRepository, rootBody, targetsDigest, TufFiles, tufPublicKey } from "../lib/tuf-repository";
import { TufExpiryDays, TufSchedule } from "../lib/tuf-schedule";
import { generatedEd25519Key, generationSuffix, perGeneration } from "./key-material";
import { exposeService, httpProbe, IngressSpec, internalUrl, labels, protectedIf, restrictedContainer, scratchVolume, serverWorkload } from "./kube";
import { TufScheduleState } from "./tuf-schedule";

export const tufService = "tuf-server";
export const tufPorts = { http: 8080 } as const;
/** nginx-unprivileged's own user: its image owns /tmp and the cache paths for it. */
const nginxUid = 101;
const contentMount = "/usr/share/tuf";
const configMount = "/etc/nginx/conf.d";

export interface TufRepositoryArgs {
    readonly namespace: pulumi.Input<string>;
    readonly namespaceName: string;
    readonly image: string;
    readonly replicas: number;
    readonly resources: ResourceBounds;
    /** Which key set signs (tufRootGeneration); earlier sets stay to re-sign the roots they signed. */
    readonly generation: number;
    readonly rootKeyCount: number;
    readonly rootThreshold: number;
    readonly expiryDays: TufExpiryDays;
    readonly renewalDays: number;
    /** Target name → the exact bytes the stack exports (trusted_root.json, signing_config.v0.2.json). */
    readonly targets: pulumi.Input<Record<string, pulumi.Input<string>>>;
    readonly ingress?: IngressSpec;
    readonly protectData: boolean;
}

/** One key set: tufRootKeyCount root keys and the three online roles' keys. */
interface KeySet {
    root: tls.PrivateKey[];
    targets: tls.PrivateKey;
    snapshot: tls.PrivateKey;
    timestamp: tls.PrivateKey;
}

export class TufRepository extends pulumi.ComponentResource {
    /** Path → content of every file served. */
    readonly files: pulumi.Output<TufFiles>;
    /** 1.root.json: what clients bootstrap from, distributed out of band. */
    readonly initialRoot: pulumi.Output<string>;
    readonly initialRootSha256: pulumi.Output<string>;
    /** Versions and expiry dates of the roles (for the expiry alert and the outputs). */
    readonly schedule: pulumi.Output<TufSchedule>;
    readonly internalUrl: string;
    readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: TufRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:TufRepository", name, {}, opts);
        this.internalUrl = internalUrl(tufService, args.namespaceName, tufPorts.http);
        const keySets = perGeneration(args.generation, (g) => this.keySet(name, args, g));
        const active = keySets[keySets.length - 1];

        const roleKeys = pulumi
            .all([pulumi.all(active.root.map((k) => k.publicKeyPem)), active.targets.publicKeyPem, active.snapshot.publicKeyPem, active.timestamp.publicKeyPem])
            .apply(([root, targets, snapshot, timestamp]) => ({
                root: root.map(tufPublicKey),
                rootThreshold: args.rootThreshold,
                targets: tufPublicKey(targets),
                snapshot: tufPublicKey(snapshot),
                timestamp: tufPublicKey(timestamp),
            }));
        const targets = pulumi.output(args.targets);

        const state = new TufScheduleState(
            `${name}-schedule`,
            {
                rootBody: roleKeys.apply(rootBody),
                targetsDigest: targets.apply(targetsDigest),
                keyIds: roleKeys.apply((k) => ({ targets: k.targets.keyId, snapshot: k.snapshot.keyId, timestamp: k.timestamp.keyId })),
                expiryDays: args.expiryDays,
                renewalDays: args.renewalDays,
            },
            { parent: this, ...protectedIf(args.protectData) },
        );
        this.schedule = state.schedule;

        // Signed with the private keys, but every file is public: signatures and public keys only.
        this.files = pulumi.unsecret(
            pulumi
                .all([state.schedule, targets, privateKeysById(keySets)])
                .apply(([schedule, targetFiles, privateKeys]) => renderTufRepository({ schedule, targets: targetFiles, privateKeys })),
        );
        this.initialRoot = this.files.apply((f) => f["1.root.json"]);
        this.initialRootSha256 = this.initialRoot.apply((root) => crypto.createHash("sha256").update(root).digest("hex"));

        const layout = this.files.apply(configMapLayout);
        const content = new k8s.core.v1.ConfigMap(
            `${name}-content`,
            { metadata: { namespace: args.namespace, labels: labels(tufService, "tuf") }, data: layout.apply((l) => l.data) },
            { parent: this },
        );
        const server = new k8s.core.v1.ConfigMap(
            `${name}-nginx`,
            { metadata: { namespace: args.namespace, labels: labels(tufService, "tuf") }, data: { "default.conf": nginxConfig() } },
            { parent: this },
        );

        this.deployment = serverWorkload(
            `${name}-server`,
            {
                service: tufService,
                component: "tuf",
                namespace: args.namespace,
                replicas: args.replicas,
                ports: tufPorts,
                container: {
                    name: "nginx",
                    image: args.image,
                    readinessProbe: httpProbe("/healthz", "http"),
                    livenessProbe: httpProbe("/healthz", "http", 30),
                    resources: containerResources(args.resources),
                    securityContext: { ...restrictedContainer, runAsUser: nginxUid, runAsGroup: nginxUid },
                    volumeMounts: [
                        { name: "content", mountPath: contentMount, readOnly: true },
                        { name: "config", mountPath: configMount, readOnly: true },
                        { name: "tmp", mountPath: "/tmp" },
                    ],
                },
                volumes: [
                    { name: "content", configMap: { name: content.metadata.name, items: layout.apply((l) => l.items) } },
                    { name: "config", configMap: { name: server.metadata.name } },
                    scratchVolume("tmp"),
                ],
            },
            { parent: this },
        ).deployment;

        if (args.ingress) exposeService(`${name}-ingress`, this, args.namespace, args.ingress, tufService, tufPorts.http);

        this.registerOutputs({
            files: this.files,
            initialRoot: this.initialRoot,
            initialRootSha256: this.initialRootSha256,
            schedule: this.schedule,
            internalUrl: this.internalUrl,
            deployment: this.deployment,
        });
    }

    /** Generation `generation`'s keys: `<name>-root-key-<i>`, `<name>-targets-key`, … with the generation's suffix. */
    private keySet(name: string, args: TufRepositoryArgs, generation: number): KeySet {
        const suffix = generationSuffix(generation);
        const opts = { parent: this, ...protectedIf(args.protectData) };
        return {
            root: Array.from({ length: args.rootKeyCount }, (_, i) => generatedEd25519Key(`${name}-root-key-${i + 1}${suffix}`, opts)),
            targets: generatedEd25519Key(`${name}-targets-key${suffix}`, opts),
            snapshot: generatedEd25519Key(`${name}-snapshot-key${suffix}`, opts),
            timestamp: generatedEd25519Key(`${name}-timestamp-key${suffix}`, opts),
        };
    }
}

/** Every private key of every generation, by TUF key ID. */
function privateKeysById(keySets: KeySet[]): pulumi.Output<Record<string, string>> {
    const keys = keySets.flatMap((s) => [...s.root, s.targets, s.snapshot, s.timestamp]);
    return pulumi
        .all(keys.map((k) => pulumi.all([k.publicKeyPem, k.privateKeyPem])))
        .apply((pairs) => Object.fromEntries(pairs.map(([pub, priv]) => [tufPublicKey(pub).keyId, priv])));
}

/**
 * The files as ConfigMap keys and the paths they are mounted at. A key cannot hold "/", and a
 * target's path carries its content's hash, so `targets/<sha256>.<name>` is stored under
 * `target.<name>` (a stable key: the same name whatever the content) and mounted back at its path.
 */
export function configMapLayout(files: TufFiles): { data: Record<string, string>; items: Array<{ key: string; path: string }> } {
    const entries = Object.entries(files).map(([filePath, content]) => {
        const target = /^targets\/[0-9a-f]{64}\.(.+)$/.exec(filePath);
        return { key: target ? `target.${target[1]}` : filePath, path: filePath, content };
    });
    entries.sort((a, b) => a.key.localeCompare(b.key));
    return { data: Object.fromEntries(entries.map((e) => [e.key, e.content])), items: entries.map(({ key, path }) => ({ key, path })) };
}

/**
 * The server: static files only, no listing; versioned files are immutable and may be cached, while
 * timestamp.json and root.json, the only names that change content, must be fetched fresh.
 */
export function nginxConfig(): string {
    return [
        "server {",
        `    listen ${tufPorts.http};`,
        `    root ${contentMount};`,
        "    autoindex off;",
        "    server_tokens off;",
        "    default_type application/json;",
        "    location = /healthz { access_log off; return 200 'ok\\n'; }",
        '    location = /timestamp.json { add_header Cache-Control "no-cache"; try_files $uri =404; }',
        '    location = /root.json { add_header Cache-Control "no-cache"; try_files $uri =404; }',
        '    location / { add_header Cache-Control "public, max-age=300"; try_files $uri =404; }',
        "}",
        "",
    ].join("\n");
}
