/**
 * CtLog: a Certificate Transparency log (ct_server) on its own Trillian tree, trusting Fulcio's CA,
 * so Fulcio can embed SCTs in the certificates it issues.
 *
 * ct_server has no tree or Trillian flags: both live in the --log_config text-proto (rendered by
 * lib/ctlog-config.ts). Its key must be a legacy-encrypted PEM with a non-empty password; we encrypt
 * the @pulumi/tls key deterministically (lib/legacy-pem.ts) so the stored form, and thus every
 * preview, stays the same. Config and key are in one Secret (the config holds the key's password).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { renderCtLogConfig } from "../lib/ctlog-config";
import { ResourceBounds } from "../lib/resources";
import { encryptedKeyPem, generatedKey, generatedPassword } from "./generated";
import { caFile, ClientTls, ServerTls, tlsMount, tlsVolumes } from "./internal-tls";
import { LogTree } from "./trillian";
import { exposeService, serverWorkload, keep, labels, serviceHost, IngressSpec, goServerContainer } from "./kube";

export interface CtLogArgs {
    namespace: pulumi.Input<string>;
    namespaceName: string;
    tree: LogTree;
    /** Trillian log server gRPC address (host:port). */
    trillianAddress: string;
    replicas: number;
    resources: ResourceBounds;
    image: string;
    prefix: string;
    /** The certificates the log accepts pre-certificates under: every Fulcio CA's chain (all generations). */
    fulcioRootsPem: pulumi.Input<string>;
    /** Internal TLS: HTTPS for Fulcio's submissions, and the CA for the Trillian connection. */
    tls?: { server: ServerTls; client: ClientTls };
    protectData: boolean;
    /** Public exposure through an Ingress (omitted: none). */
    ingress?: IngressSpec;
}

export const ctlogPorts = { http: 6962, metrics: 6963 } as const;
export const ctlogService = "ctlog";
const configMount = "/etc/ctlog/config";
const rootsMount = "/etc/ctlog/roots";

export class CtLog extends pulumi.ComponentResource {
    readonly publicKeyPem: pulumi.Output<string>;
    /** Base URL of the log including its prefix (what Fulcio's --ct-log-url wants). */
    readonly internalUrl: string;
    readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: CtLogArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:CtLog", name, {}, opts);
        this.internalUrl = ctLogUrl(args.namespaceName, args.prefix, args.tls !== undefined);
        const protect = keep(args.protectData);

        const key = generatedKey(`${name}-signing-key`, "P256", { parent: this, ...protect });
        const password = generatedPassword(`${name}-key-password`, { parent: this, ...protect });
        this.publicKeyPem = key.publicKeyPem;

        const roots = new k8s.core.v1.ConfigMap(`${name}-roots`, {
            metadata: { namespace: args.namespace, labels: labels(ctlogService, "ctlog") },
            data: { "roots.pem": args.fulcioRootsPem },
        }, { parent: this });

        const logConfig = pulumi.all([args.tree.treeId, password.result]).apply(([treeId, pw]) => renderCtLogConfig({
            treeId,
            prefix: args.prefix,
            trillianBackend: args.trillianAddress,
            rootsPemFile: `${rootsMount}/roots.pem`,
            privateKeyPath: `${configMount}/key.pem`,
            privateKeyPassword: pw,
            extKeyUsages: ["CodeSigning"],
        }));
        const secret = new k8s.core.v1.Secret(`${name}-config`, {
            metadata: { namespace: args.namespace, labels: labels(ctlogService, "ctlog") },
            stringData: {
                "config.textproto": pulumi.secret(logConfig),
                "key.pem": encryptedKeyPem(key, password),
            },
        }, { parent: this, ...protect });

        const tls = tlsVolumes(args.tls?.server, args.tls?.client);
        this.deployment = serverWorkload(`${name}-server`, {
            service: ctlogService,
            component: "ctlog",
            namespace: args.namespace,
            replicas: args.replicas,
            podAnnotations: { "sigstore.dev/tree-id": args.tree.treeId },
            ports: { http: ctlogPorts.http, metrics: ctlogPorts.metrics },
            container: {
                name: "ct-server",
                image: args.image,
                args: ctServerArgs(args.tls !== undefined),
                ...goServerContainer("/healthz", args.resources, args.tls !== undefined),
                volumeMounts: [
                    { name: "config", mountPath: configMount, readOnly: true },
                    { name: "roots", mountPath: rootsMount, readOnly: true },
                    ...tls.mounts,
                ],
            },
            volumes: [
                { name: "config", secret: { secretName: secret.metadata.name } },
                { name: "roots", configMap: { name: roots.metadata.name } },
                ...tls.volumes,
            ],
        }, { parent: this }).deployment;

        if (args.ingress) exposeService(`${name}-ingress`, this, args.namespace, args.ingress, ctlogService, ctlogPorts.http, args.tls !== undefined);

        this.registerOutputs({ publicKeyPem: this.publicKeyPem, internalUrl: this.internalUrl });
    }
}

/** The in-cluster URL of the log; Fulcio is configured before the CtLog exists, so it is derived. */
export function ctLogUrl(namespaceName: string, prefix: string, https: boolean): string {
    return `${https ? "https" : "http"}://${serviceHost(ctlogService, namespaceName)}:${ctlogPorts.http}/${prefix}`;
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
