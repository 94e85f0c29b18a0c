/**
 * Pure functions that turn the sigstore stack's outputs into the data of the "sigstore-trust"
 * ConfigMap. No Pulumi, no I/O: unit-testable and reusable by any consumer.
 *
 * Self-contained on purpose (nothing is imported from the sigstore program): a consumer project is
 * usually copied into another repository, and it must depend only on the published outputs contract.
 */

/** The only version of the sigstore stack's outputs contract this code understands. */
export const SUPPORTED_OUTPUTS_VERSION = 1;

/** Exactly what cosign v3 (sigstore-go) requires in the two JSON documents. */
export const TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
export const SIGNING_CONFIG_MEDIA_TYPE = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

/** Where pods are expected to mount the ConfigMap; the SIGSTORE_* path variables point here. */
export const DEFAULT_MOUNT_PATH = "/etc/sigstore";

/** File names inside the ConfigMap (the same names the sigstore stack's `cosign` output uses). */
export const files = {
    trustedRoot: "trusted_root.json",
    signingConfig: "signing_config.json",
    fulcioChain: "fulcio_chain.pem",
    rekorKey: "rekor.pub",
    ctlogKey: "ctlog.pub",
} as const;

/** The sigstore stack's `urls` output. */
export interface SigstoreUrls {
    fulcio: string;
    rekor: string;
    ctlog: string;
    oidcIssuer: string;
}

/** The sigstore stack outputs (outputsVersion 1) that the trust bundle is built from. */
export interface TrustBundleInput {
    trustedRoot: string;
    signingConfig: string;
    urls: SigstoreUrls;
    fulcioCertChainPem: string;
    rekorPublicKeyPem: string;
    ctlogPublicKeyPem: string;
}

/** Fails, naming the stack and both versions, unless the stack publishes the contract we understand. */
export function checkOutputsVersion(version: unknown, stack: string): void {
    if (version !== SUPPORTED_OUTPUTS_VERSION) {
        throw new Error(
            `sigstore stack "${stack}" publishes outputsVersion ${JSON.stringify(version)}, but this program only understands ` +
                `outputsVersion ${SUPPORTED_OUTPUTS_VERSION}. Read the sigstore repository's docs/outputs.md for what changed, ` +
                `update examples/consumer/trust-bundle.ts, then set SUPPORTED_OUTPUTS_VERSION.`,
        );
    }
}

/**
 * The ConfigMap data: the five trust files byte for byte as the stack publishes them, plus
 * environment-style keys for cosign v2 (load them with `envFrom`; the SIGSTORE_* ones are paths, so
 * also mount the ConfigMap at `mountPath`). Keys are sorted, so the result is deterministic.
 */
export function buildTrustBundle(input: TrustBundleInput, mountPath: string = DEFAULT_MOUNT_PATH): Record<string, string> {
    if (input === null || typeof input !== "object") throw new Error("buildTrustBundle: input must be an object");
    checkJsonDocument(input.trustedRoot, "trustedRoot", TRUSTED_ROOT_MEDIA_TYPE, ["tlogs", "certificateAuthorities", "ctlogs"]);
    checkJsonDocument(input.signingConfig, "signingConfig", SIGNING_CONFIG_MEDIA_TYPE, ["caUrls", "oidcUrls", "rekorTlogUrls"]);
    checkPem(input.fulcioCertChainPem, "fulcioCertChainPem", "CERTIFICATE");
    checkPem(input.rekorPublicKeyPem, "rekorPublicKeyPem", "PUBLIC KEY");
    checkPem(input.ctlogPublicKeyPem, "ctlogPublicKeyPem", "PUBLIC KEY");
    const urls = input.urls;
    if (urls === null || typeof urls !== "object") throw new Error("urls must be an object with fulcio, rekor, ctlog and oidcIssuer");
    for (const key of ["fulcio", "rekor", "ctlog", "oidcIssuer"] as const) checkUrl(urls[key], `urls.${key}`);
    checkMountPath(mountPath);

    const data: Record<string, string> = {
        [files.trustedRoot]: input.trustedRoot,
        [files.signingConfig]: input.signingConfig,
        [files.fulcioChain]: input.fulcioCertChainPem,
        [files.rekorKey]: input.rekorPublicKeyPem,
        [files.ctlogKey]: input.ctlogPublicKeyPem,
        // cosign v2: every flag can be given as COSIGN_<FLAG>.
        COSIGN_FULCIO_URL: urls.fulcio,
        COSIGN_REKOR_URL: urls.rekor,
        COSIGN_OIDC_ISSUER: urls.oidcIssuer,
        // cosign v2: the private deployment's keys and roots instead of the public-good TUF root.
        SIGSTORE_ROOT_FILE: `${mountPath}/${files.fulcioChain}`,
        SIGSTORE_REKOR_PUBLIC_KEY: `${mountPath}/${files.rekorKey}`,
        SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: `${mountPath}/${files.ctlogKey}`,
    };
    return Object.fromEntries(
        Object.keys(data)
            .sort()
            .map((k) => [k, data[k]]),
    );
}

function checkJsonDocument(text: string, field: string, mediaType: string, requiredArrays: string[]): void {
    if (typeof text !== "string" || text.trim() === "") throw new Error(`${field} must be a non-empty JSON string`);
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new Error(`${field} is not valid JSON: ${(e as Error).message}`);
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${field} must be a JSON object`);
    const actual = (doc as Record<string, unknown>).mediaType;
    if (actual !== mediaType) throw new Error(`${field}.mediaType is ${JSON.stringify(actual)}; cosign needs exactly "${mediaType}"`);
    for (const key of requiredArrays) {
        const value = (doc as Record<string, unknown>)[key];
        if (!Array.isArray(value) || value.length === 0) throw new Error(`${field}.${key} must be a non-empty array`);
    }
}

function checkPem(text: string, field: string, kind: "CERTIFICATE" | "PUBLIC KEY"): void {
    if (typeof text !== "string" || !text.includes(`-----BEGIN ${kind}-----`)) {
        throw new Error(`${field} must be PEM text containing a "-----BEGIN ${kind}-----" block`);
    }
    // A ConfigMap is world-readable inside its namespace: never let key material in by mistake.
    if (/PRIVATE KEY/.test(text)) throw new Error(`${field} contains a private key; only public material belongs in the trust bundle`);
}

function checkUrl(value: string, field: string): void {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        throw new Error(`${field} must be an absolute URL, got ${JSON.stringify(value)}`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`${field} must be an http(s) URL, got ${JSON.stringify(value)}`);
}

function checkMountPath(mountPath: string): void {
    if (typeof mountPath !== "string" || !/^\/[^\0\n]*[^/\0\n]$/.test(mountPath)) {
        throw new Error(`mountPath must be an absolute directory path without a trailing '/', got ${JSON.stringify(mountPath)}`);
    }
}
