/**
 * Dex: the OIDC issuer this program deploys when identities come from the corporate LDAP / Active
 * Directory (identityProvider "dex"). cosign logs in through it; Fulcio verifies its tokens.
 *
 * Its whole configuration, bind password included, is one Secret (lib/dex-config.ts renders it);
 * the Deployment reads nothing else. It keeps no state worth keeping (storage "memory": logins in
 * flight and its own signing keys, which are re-created on restart and published in the JWKS Fulcio
 * fetches), so it runs one replica and has no volume: a restart costs a login in progress, nothing
 * more. Exposed at the issuer's host through an Ingress like the other public servers.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { dexEnvironment, dexPorts, LdapDirectory, renderDexConfig } from "../lib/dex-config";
import { containerResources, ResourceBounds } from "../lib/resources";
import { exposeService, httpProbe, imageUserContainer, IngressSpec, labels, scratchVolume, serverWorkload } from "./kube";

export const dexService = "dex";
const configMount = "/etc/dex";
/** The image's own user (Dockerfile: `adduser -u 1001 … dex`). */
const dexUid = 1001;

export interface DexArgs {
    readonly namespace: pulumi.Input<string>;
    readonly image: string;
    readonly resources: ResourceBounds;
    /** Where Dex is reached, exactly as its tokens' `iss` (https://oidc.<publicDomain> by default). */
    readonly issuerUrl: string;
    /** cosign's OIDC client ID. */
    readonly clientId: string;
    /** Only users whose email is in this domain can log in. */
    readonly emailDomain: string;
    /** The directory users log in with, and who among them may sign. */
    readonly ldap: LdapDirectory;
    /** The bind DN's password (a secret): only ever in Dex's config Secret. */
    readonly bindPassword: pulumi.Input<string>;
    /** Public exposure through an Ingress at the issuer's host (omitted: none). */
    readonly ingress?: Omit<IngressSpec, "host">;
}

export class Dex extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    /** The config Secret's name (its content is the rendered Dex config, bind password included). */
    readonly configSecretName: pulumi.Output<string>;

    constructor(name: string, args: DexArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:Dex", name, {}, opts);

        // Auto-named: a config change creates a new Secret and so rolls the pod.
        const config = new k8s.core.v1.Secret(
            `${name}-config`,
            {
                metadata: { namespace: args.namespace, labels: labels(dexService, "identity") },
                stringData: {
                    "config.yaml": pulumi.secret(args.bindPassword).apply((password) =>
                        renderDexConfig({
                            issuerUrl: args.issuerUrl,
                            clientId: args.clientId,
                            emailDomain: args.emailDomain,
                            ldap: args.ldap,
                            bindPassword: password,
                        }),
                    ),
                },
            },
            { parent: this },
        );
        this.configSecretName = config.metadata.name;

        this.deployment = serverWorkload(
            `${name}-server`,
            {
                service: dexService,
                component: "identity",
                namespace: args.namespace,
                replicas: 1,
                ports: { http: dexPorts.http, metrics: dexPorts.metrics },
                container: {
                    name: "dex",
                    image: args.image,
                    // The binary directly: the image's entrypoint would first run the file through gomplate.
                    command: ["/usr/local/bin/dex"],
                    args: ["serve", `${configMount}/config.yaml`],
                    env: Object.entries(dexEnvironment).map(([envName, value]) => ({ name: envName, value })),
                    readinessProbe: httpProbe("/healthz/ready", "metrics"),
                    livenessProbe: httpProbe("/healthz/live", "metrics", 30),
                    resources: containerResources(args.resources),
                    securityContext: imageUserContainer(dexUid),
                    volumeMounts: [
                        { name: "config", mountPath: configMount, readOnly: true },
                        { name: "tmp", mountPath: "/tmp" },
                    ],
                },
                volumes: [{ name: "config", secret: { secretName: config.metadata.name } }, scratchVolume("tmp")],
            },
            { parent: this },
        ).deployment;

        if (args.ingress) {
            exposeService(`${name}-ingress`, this, args.namespace, { ...args.ingress, host: new URL(args.issuerUrl).hostname }, dexService, dexPorts.http);
        }

        this.registerOutputs({ deployment: this.deployment, configSecretName: this.configSecretName });
    }
}
