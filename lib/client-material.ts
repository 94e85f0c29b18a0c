/**
 * What a client (cosign, a CI pipeline, another stack) needs to sign and verify against this
 * deployment: the trusted root, the signing config and ready-to-paste commands. Pure functions of
 * public material only: nothing here may ever see a private key or password.
 */
import { buildSigningConfig, buildTrustedRoot } from "./trust-material";

export interface PublicEndpoints {
    fulcio: string;
    rekor: string;
    /** CT log base URL including its prefix. */
    ctlog: string;
    oidcIssuer: string;
}

export interface ClientMaterialInput {
    urls: PublicEndpoints;
    /** Every Fulcio CA, oldest first, each valid from its start to the next one's (fulcioCaGeneration). */
    fulcioCas: Array<{ chainPem: string; validFrom: string; validTo?: string }>;
    /** Every Rekor key, oldest first, each valid until its tree was frozen (rekorKeyGeneration). */
    rekorKeys: Array<{ publicKeyPem: string; frozenAt?: string }>;
    /** Every CT log, oldest first, each valid until its tree was frozen (ctlogKeyGeneration). */
    ctlogKeys: Array<{ baseUrl: string; publicKeyPem: string; frozenAt?: string }>;
    /**
     * The timestamp authority, if deployed: its full timestamping URL and every chain (leaf first),
     * oldest first, each valid from its leaf's start until the next one took over (tsaGeneration).
     */
    tsa?: { url: string; chains: Array<{ chainPem: string; validFrom: string; validTo?: string }> };
    /**
     * Rekor v2's logs, oldest first, when it takes the writes (rekorVersion v2): each one's checkpoint
     * origin (the host of its URL), key and, once retired, when its server stopped. The signing config
     * names only the newest; the v1 keys and the retired logs stay in the trusted root.
     */
    rekorV2?: Array<{ origin: string; publicKeyPem: string; retiredAt?: string }>;
    /** RFC 3339; start of validity of the logs and the signing config (the first CA's notBefore, from state: stable). */
    validFrom: string;
    oidcClientId: string;
    emailDomain: string;
}

export interface ClientMaterial {
    trustedRoot: string;
    signingConfig: string;
    cosignV3SignCommand: string;
    cosignV3VerifyCommand: string;
    /** Container images, signed by digest ($IMAGE) into the registry beside them; see imageSigning. */
    cosignImageSignCommand: string;
    cosignImageVerifyCommand: string;
    /** Whether policy-controller v0.13.1 can verify what cosignImageSignCommand signs, and why. */
    imageAdmission: { policyControllerVerifies: boolean; why: string };
    cosignV2Environment: string;
    cosignV2SignCommand: string;
    cosignV2VerifyCommand: string;
}

export function buildClientMaterial(input: ClientMaterialInput): ClientMaterial {
    const trustedRoot = buildTrustedRoot({
        certificateAuthorities: input.fulcioCas.map((ca) => ({
            url: input.urls.fulcio,
            certChainPem: ca.chainPem,
            validFrom: ca.validFrom,
            validTo: ca.validTo,
        })),
        tlogs: [
            ...keyWindows(input.rekorKeys, input.validFrom).map((key) => ({ baseUrl: input.urls.rekor, ...key })),
            ...rekorV2Logs(input.rekorV2 ?? [], input.validFrom),
        ],
        ctlogs: keyWindows(input.ctlogKeys, input.validFrom).map((key, i) => ({ baseUrl: input.ctlogKeys[i].baseUrl, ...key })),
        timestampAuthorities: (input.tsa?.chains ?? []).map((c) => ({
            url: input.tsa!.url,
            certChainPem: c.chainPem,
            validFrom: c.validFrom,
            validTo: c.validTo,
        })),
    });
    const signingConfig = buildSigningConfig({
        caUrls: [input.urls.fulcio],
        oidcUrls: [input.urls.oidcIssuer],
        rekorUrls: input.rekorV2?.length ? [{ url: `https://${input.rekorV2[input.rekorV2.length - 1].origin}`, majorApiVersion: 2 }] : [input.urls.rekor],
        tsaUrls: input.tsa ? [input.tsa.url] : [],
        validFrom: input.validFrom,
    });
    const identity = identityRegexp(input.emailDomain);
    const issuer = shellQuote(input.urls.oidcIssuer);
    return {
        trustedRoot: JSON.stringify(trustedRoot, null, 2),
        signingConfig: JSON.stringify(signingConfig, null, 2),
        cosignV3SignCommand:
            `cosign sign-blob --yes --signing-config=signing_config.json --trusted-root=trusted_root.json ` +
            `--oidc-client-id=${shellQuote(input.oidcClientId)} --bundle=artifact.sigstore.json artifact`,
        cosignV3VerifyCommand:
            `cosign verify-blob --trusted-root=trusted_root.json --bundle=artifact.sigstore.json ` +
            `--certificate-identity-regexp=${shellQuote(identity)} --certificate-oidc-issuer=${issuer} artifact`,
        ...imageSigning(input, identity, issuer),
        cosignV2Environment: [
            "export SIGSTORE_ROOT_FILE=fulcio_chain.pem",
            "export SIGSTORE_REKOR_PUBLIC_KEY=rekor.pub",
            "export SIGSTORE_CT_LOG_PUBLIC_KEY_FILE=ctlog.pub",
        ].join("\n"),
        cosignV2SignCommand:
            `cosign sign-blob --yes --fulcio-url=${shellQuote(input.urls.fulcio)} --rekor-url=${shellQuote(input.urls.rekor)} ` +
            `--oidc-issuer=${issuer} --oidc-client-id=${shellQuote(input.oidcClientId)} --bundle=artifact.sigstore.json artifact`,
        cosignV2VerifyCommand:
            `cosign verify-blob --rekor-url=${shellQuote(input.urls.rekor)} --bundle=artifact.sigstore.json ` +
            `--certificate-identity-regexp=${shellQuote(identity)} --certificate-oidc-issuer=${issuer} artifact`,
    };
}

/**
 * How images are signed. policy-controller v0.13.1, the newest release, verifies only cosign's
 * legacy image signatures: a `sha256-<digest>.sig` tag whose Rekor v1 SET it checks offline (its
 * cosign v2.5.0 answers "bundle support for image signatures is not yet implemented" to cosign v3's
 * default bundles). cosign v3 writes that format with --new-bundle-format=false, which it allows only
 * without a signing config (--use-signing-config=false), so the command names each service. A stack
 * on Rekor v2 cannot log a legacy signature (its v1 tree is frozen, and a v2 entry has no SET): its
 * images are signed as bundles, which cosign verifies and policy-controller v0.13.1 does not.
 */
function imageSigning(
    input: ClientMaterialInput,
    identity: string,
    quotedIssuer: string,
): Pick<ClientMaterial, "cosignImageSignCommand" | "cosignImageVerifyCommand" | "imageAdmission"> {
    const verify = `cosign verify --trusted-root=trusted_root.json --certificate-identity-regexp=${shellQuote(identity)} --certificate-oidc-issuer=${quotedIssuer} "$IMAGE"`;
    if (input.rekorV2?.length) {
        return {
            cosignImageSignCommand: `cosign sign --yes --signing-config=signing_config.json --trusted-root=trusted_root.json --oidc-client-id=${shellQuote(input.oidcClientId)} "$IMAGE"`,
            cosignImageVerifyCommand: verify,
            imageAdmission: {
                policyControllerVerifies: false,
                why: "Rekor v2 entries carry no SET and policy-controller v0.13.1 verifies only legacy signatures logged in Rekor v1; cosign verifies these bundles",
            },
        };
    }
    return {
        cosignImageSignCommand:
            `cosign sign --yes --new-bundle-format=false --use-signing-config=false --fulcio-url=${shellQuote(input.urls.fulcio)} ` +
            `--rekor-url=${shellQuote(input.urls.rekor)} --oidc-issuer=${quotedIssuer} --oidc-client-id=${shellQuote(input.oidcClientId)} ` +
            `--trusted-root=trusted_root.json "$IMAGE"`,
        cosignImageVerifyCommand: verify,
        imageAdmission: {
            policyControllerVerifies: true,
            why: "legacy signatures (a .sig tag with the Rekor v1 SET), which policy-controller v0.13.1 and cosign both verify",
        },
    };
}

/**
 * Validity windows of keys that succeeded one another: the first from `validFrom`, each next one from
 * the moment the previous one was retired (frozenAt), which is also where that one ends. Only the
 * newest may be unretired. `validFrom` (the first CA's start) can be later than a retirement when that
 * CA was replaced after a key rotation; the first key then starts at its own retirement at the latest.
 */
export function keyWindows(
    keys: Array<{ publicKeyPem: string; frozenAt?: string }>,
    validFrom: string,
): Array<{ publicKeyPem: string; validFrom: string; validTo?: string }> {
    return keys.map((key, i) => {
        if (i < keys.length - 1 && key.frozenAt === undefined) throw new Error(`key ${i + 1} of ${keys.length} has no retirement time, but a later key exists`);
        const first = key.frozenAt !== undefined && Date.parse(key.frozenAt) < Date.parse(validFrom) ? key.frozenAt : validFrom;
        const start = i === 0 ? first : keys[i - 1].frozenAt!;
        return { publicKeyPem: key.publicKeyPem, validFrom: start, ...(key.frozenAt !== undefined ? { validTo: key.frozenAt } : {}) };
    });
}

/**
 * Rekor v2's logs as trusted-root entries: each valid as its key's window (keyWindows: from the
 * previous log's retirement to its own), under its own origin.
 */
function rekorV2Logs(logs: Array<{ origin: string; publicKeyPem: string; retiredAt?: string }>, validFrom: string) {
    const windows = keyWindows(
        logs.map((log) => ({ publicKeyPem: log.publicKeyPem, frozenAt: log.retiredAt })),
        validFrom,
    );
    return logs.map((log, i) => ({ baseUrl: `https://${log.origin}`, ...windows[i], checkpointOrigin: log.origin }));
}

/** Any address at the organisation's domain, anchored so evil.corp.example.attacker.net cannot match. */
export function identityRegexp(emailDomain: string): string {
    return `^[^@]+@${emailDomain.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
}

function shellQuote(value: string): string {
    return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
