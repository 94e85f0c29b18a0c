/**
 * Fulcio: the CA that issues short-lived code-signing certificates to OIDC identities, logging each
 * pre-certificate to our CT log.
 *
 * CA modes (config caMode):
 *  - self-signed: a root generated once by @pulumi/tls (dev default).
 *  - chained:     an intermediate generated here and signed by the enterprise root from config; the
 *                 chain file is intermediate first, root last, and the intermediate carries the
 *                 codeSigning EKU Fulcio requires of a multi-cert chain.
 *  - pkcs11/kms:  the key stays in an HSM or KMS; config supplies its public chain.
 * Generated keys are encrypted (legacy PEM, deterministic) with a generated password, which Fulcio
 * needs anyway (--fileca-key-passwd is mandatory). Key and certificates ignore input changes and are
 * protected in prod: a CA is rotated on purpose (`pulumi up --replace <urn>`), never by accident.
 *
 * OIDC issuers live only in the --config-path file (Fulcio has no issuer flags), rendered from typed
 * config by lib/fulcio-config.ts.
 */
import { X509Certificate } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import { ResourceBounds } from "../lib/resources";
import { renderFulcioConfig } from "../lib/fulcio-config";
import { parseCertificateBundle } from "../lib/pem";
import { caCertIgnoreChanges, encryptedKeyPem, generatedKey, generatedPassword, generationSuffix, perGeneration } from "./key-material";
import { caFile, ClientTls, tlsVolumes } from "./internal-tls";
import { configFiles, exposeService, goServerContainer, IngressSpec, internalUrl, labels, protectedIf, retainCopy, secretEnv, serverWorkload } from "./kube";

interface CaSubject {
    readonly organization: string;
    readonly commonName: string;
    readonly validityHours: number;
    /** How many generated CAs there are (fulcioCaGeneration): the newest signs. 1 for pkcs11 and kms. */
    readonly generation: number;
}

/** A CA generated here: self-signed, or an intermediate under the enterprise root. */
export type GeneratedCa = CaSubject &
    ({ readonly mode: "self-signed" } | { readonly mode: "chained"; readonly rootCertPem: string; readonly rootKeyPem: pulumi.Input<string> });

/** Fulcio's CA: generated, or held in an HSM or a KMS with its public chain given (issuing cert first, root last). */
export type FulcioCa =
    | GeneratedCa
    | (CaSubject & { readonly mode: "pkcs11"; readonly hsmRootId: string; readonly pkcs11Config: pulumi.Input<string>; readonly certChainPem: string })
    | (CaSubject & { readonly mode: "kms"; readonly kmsResource: string; readonly certChainPem: string });

/** The OIDC issuer Fulcio trusts, exactly as its tokens' `iss`. */
export interface FulcioIssuer {
    readonly issuerUrl: string;
    readonly clientId: string;
    readonly issuerType: string;
    /** PEM of the private CA that signed the issuer's TLS certificate, if any. */
    readonly issuerCaCert?: string;
}

export interface FulcioArgs {
    readonly namespace: pulumi.Input<string>;
    readonly namespaceName: string;
    readonly replicas: number;
    readonly resources: ResourceBounds;
    readonly image: string;
    readonly ca: FulcioCa;
    readonly oidc: FulcioIssuer;
    /** Where Fulcio submits pre-certificates: http(s)://<ctlog service>:<port>/<prefix> (the active CT log). */
    readonly ctLogUrl: string;
    /** What must exist before Fulcio's pods roll to a new CT log: the freezes of the retired CT trees. */
    readonly ctLogReady?: pulumi.Resource[];
    /** Internal TLS: the CA Fulcio trusts for the CT log. */
    readonly tls?: ClientTls;
    readonly protectData: boolean;
    /** Public exposure through an Ingress (omitted: none). */
    readonly ingress?: IngressSpec;
}

export const fulcioPorts = { http: 5555, grpc: 5554, metrics: 2112 } as const;
export const fulcioService = "fulcio-server";
const configMount = "/etc/fulcio/config";
const caMount = "/etc/fulcio/ca";

/** One CA as the trusted root lists it: validTo is the next generation's start (absent: the active one). */
export interface CaGeneration {
    chainPem: string;
    validFrom: string;
    validTo?: string;
}

/** What the CA mode yields: the public chain and, for generated keys, the Secret-bound key material. */
interface CaMaterial {
    /** The active CA's chain (issuing certificate first, root last). */
    chainPem: pulumi.Output<string>;
    /** RFC 3339 start of the first CA's validity: the trusted root's validFor.start (stable: from state). */
    validFrom: pulumi.Output<string>;
    /** Every CA this deployment has had, oldest first (fulcioCaGeneration). */
    generations: pulumi.Output<CaGeneration[]>;
    /** Extra Secret data and Fulcio flags for this mode. */
    secretData: Record<string, pulumi.Input<string>>;
    args: string[];
    /** Whether Fulcio reads the key password from the Secret's `password` key. */
    keyPassword: boolean;
}

export class Fulcio extends pulumi.ComponentResource {
    readonly chainPem: pulumi.Output<string>;
    readonly validFrom: pulumi.Output<string>;
    readonly caGenerations: pulumi.Output<CaGeneration[]>;
    /**
     * Every certificate of every generation's chain, once each: what the CT log accepts, so that a
     * pre-certificate from a Fulcio pod still on the previous CA during a rollout is logged too.
     */
    readonly acceptedRootsPem: pulumi.Output<string>;
    readonly internalUrl: string;
    readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: FulcioArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:Fulcio", name, {}, opts);
        this.internalUrl = internalUrl(fulcioService, args.namespaceName, fulcioPorts.http);

        const ca = this.caMaterial(name, args);
        this.chainPem = ca.chainPem;
        this.validFrom = ca.validFrom;
        this.caGenerations = ca.generations;
        this.acceptedRootsPem = ca.generations.apply((gens) => {
            // Once each (a chained CA's root is in every generation), in PEM as the chains carry them.
            const certs = gens.flatMap((g) => parseCertificateBundle(g.chainPem, "Fulcio CA chain"));
            return [...new Map(certs.map((c) => [c.fingerprint256, c.toString()])).values()].join("");
        });

        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { namespace: args.namespace, labels: labels(fulcioService, "fulcio") },
                data: {
                    "config.json": renderFulcioConfig([
                        {
                            issuerUrl: args.oidc.issuerUrl,
                            clientId: args.oidc.clientId,
                            type: args.oidc.issuerType,
                            caCert: args.oidc.issuerCaCert,
                        },
                    ]),
                    "chain.pem": ca.chainPem,
                },
            },
            { parent: this },
        );

        const secret = new k8s.core.v1.Secret(
            `${name}-ca`,
            {
                metadata: { namespace: args.namespace, labels: labels(fulcioService, "fulcio") },
                stringData: ca.secretData,
            },
            { parent: this, ...retainCopy(args.protectData) },
        ); // a CA rotation replaces it: the key is protected in the state

        const tls = tlsVolumes(undefined, args.tls);
        const files = configFiles([
            { name: "config", path: configMount, configMap: configMap.metadata.name },
            { name: "ca", path: caMount, secret: secret.metadata.name },
        ]);
        this.deployment = serverWorkload(
            `${name}-server`,
            {
                service: fulcioService,
                component: "fulcio",
                namespace: args.namespace,
                replicas: args.replicas,
                ports: fulcioPorts,
                container: {
                    name: "fulcio",
                    image: args.image,
                    args: [...fulcioArgs(args.ctLogUrl, ca.args), ...(args.tls ? [`--ct-log.tls-ca-cert=${caFile}`] : [])],
                    env: ca.keyPassword ? [secretEnv("CA_KEY_PASSWORD", secret.metadata.name, "password")] : [],
                    ...goServerContainer("/healthz", args.resources),
                    volumeMounts: [...files.mounts, ...tls.mounts],
                },
                volumes: [...files.volumes, ...tls.volumes],
            },
            { parent: this, dependsOn: args.ctLogReady },
        ).deployment;

        if (args.ingress) exposeService(`${name}-ingress`, this, args.namespace, args.ingress, fulcioService, fulcioPorts.http);

        this.registerOutputs({
            chainPem: this.chainPem,
            validFrom: this.validFrom,
            caGenerations: this.caGenerations,
            acceptedRootsPem: this.acceptedRootsPem,
            internalUrl: this.internalUrl,
            deployment: this.deployment,
        });
    }

    private caMaterial(name: string, args: FulcioArgs): CaMaterial {
        const ca = args.ca;
        switch (ca.mode) {
            case "self-signed":
            case "chained":
                return this.generatedCa(name, ca, args.protectData);
            case "pkcs11":
                return {
                    ...externalChain(ca.certChainPem),
                    secretData: { "crypto11.conf": ca.pkcs11Config },
                    args: ["--ca=pkcs11ca", `--hsm-caroot-id=${ca.hsmRootId}`, `--pkcs11-config-path=${caMount}/crypto11.conf`],
                    keyPassword: false,
                };
            case "kms":
                return {
                    ...externalChain(ca.certChainPem),
                    secretData: {},
                    args: ["--ca=kmsca", `--kms-resource=${ca.kmsResource}`, `--kms-cert-chain-path=${configMount}/chain.pem`],
                    keyPassword: false,
                };
        }
    }

    /**
     * CAs generated here, one per generation up to fulcioCaGeneration: every earlier one is still
     * declared (so it is never deleted, and stays protected in prod) and listed in the trusted root;
     * Fulcio signs with the newest. Generation 1 keeps the names of a stack that never rotated.
     */
    private generatedCa(name: string, ca: GeneratedCa, protectData: boolean): CaMaterial {
        const all = perGeneration(ca.generation, (g) => this.generatedCaGeneration(name, ca, protectData, g));
        const active = all[all.length - 1];
        const generations = pulumi
            .all(all.map((g) => pulumi.all([g.chainPem, g.validFrom])))
            .apply((list) =>
                list.map(([chainPem, validFrom], i): CaGeneration => ({ chainPem, validFrom, ...(i + 1 < list.length ? { validTo: list[i + 1][1] } : {}) })),
            );
        return { ...active, validFrom: all[0].validFrom, generations };
    }

    /** One generation: self-signed root, or intermediate under the enterprise root. */
    private generatedCaGeneration(baseName: string, ca: GeneratedCa, protectData: boolean, generation: number): Omit<CaMaterial, "generations"> {
        const protect = protectedIf(protectData);
        const name = (role: string) => `${baseName}-${role}${generationSuffix(generation)}`;
        const key = generatedKey(name("ca-key"), "P384", { parent: this, ...protect });
        const subject = { organization: ca.organization, commonName: ca.commonName };
        let cert: tls.SelfSignedCert | tls.LocallySignedCert;
        let chainPem: pulumi.Output<string>;
        if (ca.mode === "self-signed") {
            cert = new tls.SelfSignedCert(
                name("ca-cert"),
                {
                    privateKeyPem: key.privateKeyPem,
                    subject,
                    isCaCertificate: true,
                    allowedUses: ["cert_signing", "crl_signing"],
                    validityPeriodHours: ca.validityHours,
                    earlyRenewalHours: 0,
                    setSubjectKeyId: true,
                },
                { parent: this, ...protect, ignoreChanges: caCertIgnoreChanges },
            );
            chainPem = cert.certPem;
        } else {
            const request = new tls.CertRequest(name("ca-csr"), { privateKeyPem: key.privateKeyPem, subject }, { parent: this, ignoreChanges: ["subject"] });
            cert = new tls.LocallySignedCert(
                name("ca-cert"),
                {
                    certRequestPem: request.certRequestPem,
                    caCertPem: ca.rootCertPem,
                    caPrivateKeyPem: ca.rootKeyPem,
                    isCaCertificate: true,
                    // Fulcio requires codeSigning on the issuing cert when the chain has more than one cert.
                    allowedUses: ["cert_signing", "crl_signing", "code_signing"],
                    validityPeriodHours: ca.validityHours,
                    earlyRenewalHours: 0,
                    setSubjectKeyId: true,
                },
                { parent: this, ...protect, ignoreChanges: [...caCertIgnoreChanges, "certRequestPem", "caCertPem", "caPrivateKeyPem"] },
            );
            // Issuing certificate first, root last.
            chainPem = pulumi.interpolate`${cert.certPem.apply(ensureNewline)}${ensureNewline(ca.rootCertPem)}`;
        }
        const password = generatedPassword(name("ca-key-password"), { parent: this, ...protect });
        const encryptedKey = encryptedKeyPem(key, password);
        return {
            chainPem,
            validFrom: cert.validityStartTime,
            secretData: { "key.pem": encryptedKey, password: password.result },
            args: ["--ca=fileca", `--fileca-cert=${configMount}/chain.pem`, `--fileca-key=${caMount}/key.pem`, "--fileca-key-passwd=$(CA_KEY_PASSWORD)"],
            keyPassword: true,
        };
    }
}

function ensureNewline(pem: string): string {
    return pem.endsWith("\n") ? pem : `${pem}\n`;
}

/** For HSM/KMS modes: the chain is config, and its first certificate's notBefore is the validity start. */
function externalChain(chainPem: string): Pick<CaMaterial, "chainPem" | "validFrom" | "generations"> {
    const first = new X509Certificate(chainPem);
    const validFrom = new Date(first.validFrom).toISOString().replace(/\.\d{3}Z$/, "Z");
    return {
        chainPem: pulumi.output(ensureNewline(chainPem)),
        validFrom: pulumi.output(validFrom),
        generations: pulumi.output([{ chainPem: ensureNewline(chainPem), validFrom }]),
    };
}

/** fulcio serve flags (cobra: `--name=value`). Issuers are only in the --config-path file. */
export function fulcioArgs(ctLogUrl: string, caArgs: string[]): string[] {
    return [
        "serve",
        `--port=${fulcioPorts.http}`,
        `--grpc-port=${fulcioPorts.grpc}`,
        `--metrics-port=${fulcioPorts.metrics}`,
        ...caArgs,
        `--ct-log-url=${ctLogUrl}`,
        `--config-path=${configMount}/config.json`,
        "--log_type=prod",
    ];
}
