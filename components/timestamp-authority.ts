/**
 * TimestampAuthority: RFC 3161 timestamps (timestamp-server v2.1.3, file signer). cosign asks it for
 * a timestamp over each signature when the signing config lists it, and verification can then rest
 * on that timestamp instead of the log's integrated time (Rekor v2 has none).
 *
 * The chain is generated here (an RSA root and an ECDSA P-256 leaf whose single timeStamping EKU is
 * critical, lib/tsa-chain.ts) or the organisation's own (tsaCertChain and the secret
 * tsaSigningKey). Each generation's chain is recorded once in a fixed-name ConfigMap that no input
 * edit changes (`ignoreChanges: ["data"]`, protected in prod): timestamps name the certificate that
 * signed them, so a leaf must never change under them. Raising tsaGeneration makes a new chain and
 * key; the earlier chains stay in the trusted root until the moment the new one took over, recorded
 * once by a create-only Command after the pods rolled.
 *
 * The server has no TLS listener of its own (its go-swagger TLS flags are not wired in v2.1.3) and no
 * in-cluster client: the ingress controller terminates TLS, as for Fulcio and Rekor. Metrics are on a
 * fixed :2112. The key is in a Secret, mounted as a file; never in an argument or an env value.
 */
import { X509Certificate } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import * as YAML from "yaml";
import { ResourceBounds } from "../lib/resources";
import { issueTimestampingLeaf } from "../lib/tsa-chain";
import { caCertIgnoreChanges, generatedKey, generatedRsaKey, generationSuffix, perGeneration, recordedTime } from "./key-material";
import { configFiles, exposeService, goServerContainer, IngressSpec, internalUrl, labels, protectedIf, retainCopy, serverWorkload } from "./kube";

export const tsaService = "tsa-server";
export const tsaPorts = { http: 5555, metrics: 2112 } as const;
/** Where clients ask for timestamps, below the public URL. */
export const timestampPath = "/api/v1/timestamp";
const keyMount = "/var/run/tsa";
const chainMount = "/etc/tsa/chain";
const ntpMount = "/etc/tsa/ntp";

/** Where the chain comes from: generated here, or the organisation's with its key. */
export type TsaChainSource =
    | { readonly source: "generated"; readonly organization: string; readonly commonName: string; readonly validityHours: number }
    | { readonly source: "supplied"; readonly certChainPem: string; readonly signingKeyPem: pulumi.Input<string> };

export interface TimestampAuthorityArgs {
    readonly namespace: pulumi.Input<string>;
    readonly namespaceName: string;
    readonly image: string;
    readonly replicas: number;
    readonly resources: ResourceBounds;
    /** How many chains there have been (tsaGeneration): the newest signs. */
    readonly generation: number;
    readonly chain: TsaChainSource;
    /** The organisation's NTP servers to monitor the clock against; absent: monitoring off. */
    readonly ntpServers?: readonly string[];
    /** Public exposure through an Ingress (omitted: none). */
    readonly ingress?: IngressSpec;
    readonly protectData: boolean;
}

/** One chain as the trusted root lists it: valid from its leaf's start until the next one took over (absent: active). */
export interface TsaGeneration {
    chainPem: string;
    validFrom: string;
    validTo?: string;
}

export class TimestampAuthority extends pulumi.ComponentResource {
    /** The active chain, leaf first: what GET /api/v1/timestamp/certchain serves. */
    readonly chainPem: pulumi.Output<string>;
    /** Every chain, oldest first (tsaGeneration). */
    readonly generations: pulumi.Output<TsaGeneration[]>;
    readonly internalUrl: string;
    readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: TimestampAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:TimestampAuthority", name, {}, opts);
        this.internalUrl = internalUrl(tsaService, args.namespaceName, tsaPorts.http);
        const chains = perGeneration(args.generation, (g) => this.chain(name, args, g));
        const active = chains[chains.length - 1];
        this.chainPem = active.chainPem;

        const key = new k8s.core.v1.Secret(
            `${name}-signer`,
            { metadata: { namespace: args.namespace, labels: labels(tsaService, "tsa") }, stringData: { "key.pem": pulumi.secret(active.keyPem) } },
            { parent: this, ...retainCopy(args.protectData) }, // a rotation replaces it: the key itself is protected in the state (or the stack config)
        );
        const ntp = args.ntpServers ? this.ntpConfig(name, args, args.ntpServers) : undefined;
        const files = configFiles([
            { name: "signing-key", path: keyMount, secret: key.metadata.name },
            { name: "chain", path: chainMount, configMap: active.record.metadata.name },
            ...(ntp ? [{ name: "ntp", path: ntpMount, configMap: ntp.metadata.name }] : []),
        ]);

        this.deployment = serverWorkload(
            `${name}-server`,
            {
                service: tsaService,
                component: "tsa",
                namespace: args.namespace,
                replicas: args.replicas,
                ports: tsaPorts,
                container: {
                    name: "timestamp-server",
                    image: args.image,
                    args: timestampServerArgs(ntp !== undefined),
                    ...goServerContainer("/ping", args.resources),
                    volumeMounts: files.mounts,
                },
                volumes: files.volumes,
            },
            { parent: this },
        ).deployment;

        // When each newer chain took over: recorded once, after the pods rolled onto it, so every
        // timestamp the older key made falls inside the older chain's window.
        const tookOver = chains.slice(1).map((c) =>
            recordedTime(`${name}-took-over${generationSuffix(c.generation)}`, `tsaGeneration ${c.generation} took over`, {
                parent: this,
                dependsOn: [this.deployment],
                ...protectedIf(args.protectData),
            }),
        );
        this.generations = pulumi
            .all([pulumi.all(chains.map((c) => c.chainPem)), pulumi.all(tookOver)])
            .apply(([pems, ends]) =>
                pems.map((chainPem, i) => ({ chainPem, validFrom: leafStart(chainPem), ...(i < ends.length ? { validTo: ends[i] } : {}) })),
            );

        if (args.ingress) exposeService(`${name}-ingress`, this, args.namespace, args.ingress, tsaService, tsaPorts.http);

        this.registerOutputs({ chainPem: this.chainPem, generations: this.generations, internalUrl: this.internalUrl, deployment: this.deployment });
    }

    /** One generation's chain and key, its chain recorded in a fixed-name ConfigMap no edit changes. */
    private chain(name: string, args: TimestampAuthorityArgs, generation: number) {
        const suffix = generationSuffix(generation);
        const protect = protectedIf(args.protectData);
        const made =
            args.chain.source === "generated"
                ? this.generatedChain(name, args.chain, suffix, protect)
                : { chainPem: pulumi.output(args.chain.certChainPem), keyPem: pulumi.output(args.chain.signingKeyPem) };
        const record = new k8s.core.v1.ConfigMap(
            `${name}-chain${suffix}`,
            {
                metadata: { name: `timestamp-authority-chain${suffix}`, namespace: args.namespace, labels: labels(tsaService, "tsa") },
                data: { "chain.pem": made.chainPem },
            },
            // Recorded once: a timestamp names the certificate that signed it, so the chain never changes under it.
            { parent: this, ...protect, ignoreChanges: ["data"] },
        );
        return { generation, record, keyPem: made.keyPem, chainPem: record.data.apply((d) => d["chain.pem"]) };
    }

    /** An RSA root (deterministic signatures) and an ECDSA leaf with the one critical timeStamping EKU. */
    private generatedChain(
        name: string,
        chain: Extract<TsaChainSource, { source: "generated" }>,
        suffix: string,
        protect: pulumi.CustomResourceOptions,
    ): { chainPem: pulumi.Output<string>; keyPem: pulumi.Output<string> } {
        const rootKey = generatedRsaKey(`${name}-root-key${suffix}`, 3072, { parent: this, ...protect });
        const root = new tls.SelfSignedCert(
            `${name}-root-cert${suffix}`,
            {
                privateKeyPem: rootKey.privateKeyPem,
                subject: { organization: chain.organization, commonName: chain.commonName },
                isCaCertificate: true,
                allowedUses: ["cert_signing", "crl_signing"],
                validityPeriodHours: chain.validityHours,
                earlyRenewalHours: 0,
                setSubjectKeyId: true,
            },
            { parent: this, ...protect, ignoreChanges: caCertIgnoreChanges },
        );
        const leafKey = generatedKey(`${name}-signing-key${suffix}`, "P256", { parent: this, ...protect });
        // The root's key only signs here; what comes out is public.
        const leafPem = pulumi.unsecret(
            pulumi
                .all([root.certPem, rootKey.privateKeyPem, leafKey.publicKeyPem])
                .apply(([rootCertPem, rootKeyPem, leafPublicKeyPem]) => issueTimestampingLeaf({ rootCertPem, rootKeyPem, leafPublicKeyPem })),
        );
        return { chainPem: pulumi.interpolate`${leafPem}${root.certPem}`, keyPem: leafKey.privateKeyPem };
    }

    /** The NTP monitor's configuration: only the organisation's servers, never public ones. */
    private ntpConfig(name: string, args: TimestampAuthorityArgs, servers: readonly string[]): k8s.core.v1.ConfigMap {
        return new k8s.core.v1.ConfigMap(
            `${name}-ntp`,
            { metadata: { namespace: args.namespace, labels: labels(tsaService, "tsa") }, data: { "ntp.yaml": renderNtpConfig(servers) } },
            { parent: this },
        );
    }
}

/** RFC 3339 start of the chain's leaf (the first certificate). */
function leafStart(chainPem: string): string {
    return new Date(new X509Certificate(chainPem).validFrom).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * pkg/ntpmonitor's YAML: every server asked, a majority must agree within 6 s (the upstream
 * defaults for attempts, timeout, drift and period). A drift only logs and counts errors.
 */
export function renderNtpConfig(servers: readonly string[]): string {
    return YAML.stringify({
        request_attempts: 3,
        request_timeout: 5,
        num_servers: servers.length,
        server_threshold: Math.floor(servers.length / 2) + 1,
        max_time_delta: 6,
        period: 60,
        servers: [...servers],
    });
}

/** timestamp-server serve flags (cobra: `--name=value`). */
export function timestampServerArgs(ntp: boolean): string[] {
    return [
        "serve",
        "--host=0.0.0.0",
        `--port=${tsaPorts.http}`,
        "--timestamp-signer=file",
        `--file-signer-key-path=${keyMount}/key.pem`,
        `--certificate-chain-path=${chainMount}/chain.pem`,
        ntp ? `--ntp-monitoring=${ntpMount}/ntp.yaml` : "--disable-ntp-monitoring",
        "--log-type=prod",
    ];
}
