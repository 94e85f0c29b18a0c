/**
 * CtLog: a Certificate Transparency log (ct_server) on its own Trillian tree, trusting Fulcio's CA,
 * so Fulcio can embed SCTs in the certificates it issues.
 *
 * ct_server has no tree or Trillian flags: both live in the --log_config text-proto (rendered by
 * lib/ctlog-config.ts). Its key must be a legacy-encrypted PEM with a non-empty password; we encrypt
 * the @pulumi/tls key deterministically (lib/legacy-pem.ts) so the stored form, and thus every
 * preview, stays the same. Config and key are in one Secret (the config holds the key's password).
 *
 * Key rotation (ctlogKeyGeneration): one log per generation, each with its own tree, key, password
 * and prefix ("<prefix>-g<n>"), all in the one config. Fulcio submits to the newest; the retired
 * trees are frozen (components/trillian.ts) and their logs keep answering reads.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { renderCtLogMultiConfig } from "../lib/ctlog-config";
import { ResourceBounds } from "../lib/resources";
import { encryptedKeyPem, generatedPassword, generationKeys, generationSuffix, LogKeyRecord, logKeyRecords } from "./key-material";
import { caFile, ClientTls, ServerTls, tlsMount, tlsVolumes } from "./internal-tls";
import { LogGenerations, oldestFirst } from "./trillian";
import { configFiles, exposeService, goServerContainer, IngressSpec, internalUrl, labels, protectedIf, retainCopy, serverWorkload } from "./kube";

export interface CtLogArgs {
    readonly namespace: pulumi.Input<string>;
    readonly namespaceName: string;
    /** One tree per key generation: the retired ones frozen, the newest active. */
    readonly trees: LogGenerations;
    /** Trillian log server gRPC address (host:port). */
    readonly trillianAddress: string;
    readonly replicas: number;
    readonly resources: ResourceBounds;
    readonly image: string;
    /** The first log's prefix (ctlogPrefix); later generations' are ctlogGenerationPrefix(prefix, n). */
    readonly prefix: string;
    /** The certificates the log accepts pre-certificates under: every Fulcio CA's chain (all generations). */
    readonly fulcioRootsPem: pulumi.Input<string>;
    /** Internal TLS: HTTPS for Fulcio's submissions, and the CA for the Trillian connection. */
    readonly tls?: { server: ServerTls; client: ClientTls };
    readonly protectData: boolean;
    /** Public exposure through an Ingress (omitted: none). */
    readonly ingress?: IngressSpec;
}

/** One CT log as clients must trust it: valid until its tree was frozen (absent: the active one). */
export type CtLogGeneration = LogKeyRecord & { prefix: string };

/** The prefix of a key generation's log: the configured one first, then "<prefix>-g<n>". */
export function ctlogGenerationPrefix(prefix: string, generation: number): string {
    return `${prefix}${generationSuffix(generation)}`;
}

export const ctlogPorts = { http: 6962, metrics: 6963 } as const;
export const ctlogService = "ctlog";
const configMount = "/etc/ctlog/config";
const rootsMount = "/etc/ctlog/roots";

export class CtLog extends pulumi.ComponentResource {
    /** The active log's public key. */
    readonly publicKeyPem: pulumi.Output<string>;
    /** Every log, oldest first (ctlogKeyGeneration). */
    readonly generations: pulumi.Output<CtLogGeneration[]>;
    /** Base URL of the active log including its prefix (what Fulcio's --ct-log-url wants). */
    readonly internalUrl: string;
    readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: CtLogArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:CtLog", name, {}, opts);
        const { retired, active } = args.trees;
        const trees = oldestFirst(args.trees);
        this.internalUrl = ctLogUrl(args.namespaceName, ctlogGenerationPrefix(args.prefix, trees.length), args.tls !== undefined);
        const protect = protectedIf(args.protectData);

        // Generation 1 keeps the names of a stack that never rotated (key.pem among them).
        const keys = generationKeys(name, trees.length, { parent: this, ...protect });
        const logs = trees.map((tree, i) => {
            const suffix = generationSuffix(i + 1);
            const password = generatedPassword(`${name}-key-password${suffix}`, { parent: this, ...protect });
            return { tree, key: keys[i], password, prefix: ctlogGenerationPrefix(args.prefix, i + 1), keyFile: `key${suffix}.pem` };
        });
        this.publicKeyPem = keys[keys.length - 1].publicKeyPem;
        this.generations = logKeyRecords(trees, keys, (generation) => ({ prefix: ctlogGenerationPrefix(args.prefix, generation) }));

        const roots = new k8s.core.v1.ConfigMap(
            `${name}-roots`,
            {
                metadata: { namespace: args.namespace, labels: labels(ctlogService, "ctlog") },
                data: { "roots.pem": args.fulcioRootsPem },
            },
            { parent: this },
        );

        const logConfig = pulumi.all(logs.map((l) => pulumi.all([l.tree.treeId, l.password.result]))).apply((list) =>
            renderCtLogMultiConfig(
                list.map(([treeId, pw], i) => ({
                    treeId,
                    prefix: logs[i].prefix,
                    trillianBackend: args.trillianAddress,
                    rootsPemFile: `${rootsMount}/roots.pem`,
                    privateKeyPath: `${configMount}/${logs[i].keyFile}`,
                    privateKeyPassword: pw,
                    extKeyUsages: ["CodeSigning"],
                })),
            ),
        );
        const secret = new k8s.core.v1.Secret(
            `${name}-config`,
            {
                metadata: { namespace: args.namespace, labels: labels(ctlogService, "ctlog") },
                stringData: {
                    "config.textproto": pulumi.secret(logConfig),
                    ...Object.fromEntries(logs.map((l) => [l.keyFile, encryptedKeyPem(l.key, l.password)])),
                },
            },
            { parent: this, ...retainCopy(args.protectData) },
        ); // a rotation replaces it: keys and passwords are protected in the state

        const tls = tlsVolumes(args.tls?.server, args.tls?.client);
        const files = configFiles([
            { name: "config", path: configMount, secret: secret.metadata.name },
            { name: "roots", path: rootsMount, configMap: roots.metadata.name },
        ]);
        this.deployment = serverWorkload(
            `${name}-server`,
            {
                service: ctlogService,
                component: "ctlog",
                namespace: args.namespace,
                replicas: args.replicas,
                podAnnotations: { "sigstore.dev/tree-id": active.treeId },
                ports: ctlogPorts,
                container: {
                    name: "ct-server",
                    image: args.image,
                    args: ctServerArgs(args.tls !== undefined),
                    ...goServerContainer("/healthz", args.resources, args.tls !== undefined),
                    volumeMounts: [...files.mounts, ...tls.mounts],
                },
                volumes: [...files.volumes, ...tls.volumes],
            },
            { parent: this, dependsOn: retired.map((tree) => tree.freezeRecord) },
        ).deployment;

        if (args.ingress) exposeService(`${name}-ingress`, this, args.namespace, args.ingress, ctlogService, ctlogPorts.http, args.tls !== undefined);

        this.registerOutputs({ publicKeyPem: this.publicKeyPem, generations: this.generations, internalUrl: this.internalUrl, deployment: this.deployment });
    }
}

/** The in-cluster URL of the log; Fulcio is configured before the CtLog exists, so it is derived. */
export function ctLogUrl(namespaceName: string, prefix: string, https: boolean): string {
    return internalUrl(ctlogService, namespaceName, ctlogPorts.http, https, prefix);
}

/** ct_server flags (Go flag: `--name=value`). */
export function ctServerArgs(tls: boolean): string[] {
    return [
        `--log_config=${configMount}/config.textproto`,
        `--http_endpoint=0.0.0.0:${ctlogPorts.http}`,
        `--metrics_endpoint=0.0.0.0:${ctlogPorts.metrics}`,
        "--alsologtostderr",
        ...(tls ? [`--tls_certificate=${tlsMount}/tls.crt`, `--tls_key=${tlsMount}/tls.key`, `--trillian_tls_ca_cert_file=${caFile}`] : []),
    ];
}
