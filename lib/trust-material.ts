// Client trust material for cosign v3.1.2: trusted_root.json (--trusted-root)
// and signing_config.json (--signing-config).
//
// cosign reads both through sigstore-go v1.2.1 (pkg/root/trusted_root.go,
// pkg/root/signing_config.go), i.e. protojson into the protobuf-specs v0.5.1
// messages dev.sigstore.trustroot.v1.TrustedRoot / SigningConfig. protojson
// rejects unknown fields, so every key below is the lowerCamel JSON name of a
// field in protos/sigstore_trustroot.proto or protos/sigstore_common.proto,
// emitted in proto field order (which also makes the output deterministic).

import { createHash, createPublicKey, KeyObject, X509Certificate } from "node:crypto";
import { requireHttpUrl, requireText } from "./checks";
import { isSelfSigned, parseCertificateBundle, parseRfc3339, subjectAttributes } from "./pem";
import { rekorV2LogId } from "./rekor-v2";

export interface CaEntry {
    /** Service URL (CertificateAuthority.uri). */
    url: string;
    /** PEM bundle, issuing cert first, root last (CertificateAuthority.cert_chain). */
    certChainPem: string;
    /** RFC 3339 (CertificateAuthority.valid_for.start). */
    validFrom: string;
    /** RFC 3339; set when the CA is retired (valid_for.end). */
    validTo?: string;
    /** Informational (CertificateAuthority.subject); defaults to O/CN of the root certificate. */
    subject?: { organization?: string; commonName?: string };
    /** Informational (CertificateAuthority.operator). */
    operator?: string;
}

export interface LogEntry {
    /** Base URL of the log (TransparencyLogInstance.base_url). */
    baseUrl: string;
    /** SPKI PEM ("PUBLIC KEY") of the log's signing key. */
    publicKeyPem: string;
    /** RFC 3339 (public_key.valid_for.start; sigstore-go requires it). */
    validFrom: string;
    /** RFC 3339; set when the key is retired (public_key.valid_for.end). */
    validTo?: string;
    /** Informational (TransparencyLogInstance.operator). */
    operator?: string;
    /**
     * A Rekor v2 log's checkpoint origin: its log ID is then the note key hash of origin and key
     * (lib/rekor-v2.ts), and baseUrl's host must be the origin (sigstore-go verifies checkpoints
     * under that name).
     */
    checkpointOrigin?: string;
}

export const TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
export const SIGNING_CONFIG_MEDIA_TYPE = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
/** Service.operator is REQUIRED in sigstore_trustroot.proto; used when the caller gives none. */
export const DEFAULT_OPERATOR = "sigstore-onprem";

/**
 * The log ID: base64(SHA-256(DER SubjectPublicKeyInfo)). This is how Rekor
 * and RFC 6962 CT logs derive their log ID, and sigstore-go matches SCTs and
 * tlog entries to trusted-root logs by it.
 */
export function keyIdOf(publicKeyPem: string): string {
    return createHash("sha256")
        .update(spkiDer(loadPublicKey(publicKeyPem, "publicKeyPem")))
        .digest("base64");
}

export function buildTrustedRoot(input: {
    certificateAuthorities: CaEntry[];
    tlogs: LogEntry[];
    ctlogs: LogEntry[];
    timestampAuthorities?: CaEntry[];
}): object {
    if (input === null || typeof input !== "object") throw new Error("buildTrustedRoot: input must be an object");
    const root: Record<string, unknown> = { mediaType: TRUSTED_ROOT_MEDIA_TYPE };
    root.tlogs = logInstances(nonEmptyList(input.tlogs, "tlogs"), "tlogs");
    root.certificateAuthorities = nonEmptyList(input.certificateAuthorities, "certificateAuthorities").map((ca, i) =>
        certificateAuthority(ca, `certificateAuthorities[${i}]`, true),
    );
    root.ctlogs = logInstances(nonEmptyList(input.ctlogs, "ctlogs"), "ctlogs");
    const tsas = input.timestampAuthorities ?? [];
    if (!Array.isArray(tsas)) throw new Error("timestampAuthorities must be an array when given");
    // protojson omits empty repeated fields; do the same so output round-trips exactly.
    if (tsas.length > 0) {
        root.timestampAuthorities = tsas.map((ca, i) => certificateAuthority(ca, `timestampAuthorities[${i}]`, false));
    }
    return root;
}

export function buildSigningConfig(input: {
    caUrls: string[];
    oidcUrls: string[];
    /** Rekor v1 URLs, or `{url, majorApiVersion}` to name a Rekor v2 log (majorApiVersion 2). */
    rekorUrls: Array<string | { url: string; majorApiVersion: 1 | 2 }>;
    tsaUrls?: string[];
    validFrom: string;
    /** Service.operator for every entry; default DEFAULT_OPERATOR. */
    operator?: string;
}): object {
    if (input === null || typeof input !== "object") throw new Error("buildSigningConfig: input must be an object");
    const start = parseRfc3339(input.validFrom, "validFrom").canonical;
    const operator = input.operator ?? DEFAULT_OPERATOR;
    requireText(operator, "operator");
    // majorApiVersion 1 for Fulcio v1, OIDC (cosign only accepts 1) and the RFC 3161 TSA v1; Rekor 1,
    // or 2 for a Rekor v2 log (sigstore-go sign.*APIVersions).
    const services = (urls: string[], field: string, checkSlash: boolean) =>
        urls.map((url, i) => service(validateUrl(url, `${field}[${i}]`, checkSlash), start, operator));
    const config: Record<string, unknown> = { mediaType: SIGNING_CONFIG_MEDIA_TYPE };
    config.caUrls = services(nonEmptyList(input.caUrls, "caUrls"), "caUrls", true);
    // The OIDC URL must equal the issuer exactly, so it is never slash-checked or rewritten.
    config.oidcUrls = services(nonEmptyList(input.oidcUrls, "oidcUrls"), "oidcUrls", false);
    config.rekorTlogUrls = nonEmptyList(input.rekorUrls, "rekorUrls").map((r, i) => {
        const { url, majorApiVersion } = typeof r === "string" ? { url: r, majorApiVersion: 1 } : r;
        return service(validateUrl(url, `rekorUrls[${i}]`, true), start, operator, majorApiVersion);
    });
    // Always present: sigstore-go's RekorLogURLsConfig()/TimestampAuthorityURLsConfig()
    // dereference these messages without a nil check.
    config.rekorTlogConfig = { selector: "ANY" };
    const tsaUrls = input.tsaUrls ?? [];
    if (!Array.isArray(tsaUrls)) throw new Error("tsaUrls must be an array when given");
    if (tsaUrls.length > 0) config.tsaUrls = services(tsaUrls, "tsaUrls", true);
    config.tsaConfig = { selector: "ANY" };
    return config;
}

function service(url: string, start: string, operator: string, majorApiVersion = 1): object {
    return { url, majorApiVersion, validFor: { start }, operator };
}

function logInstances(entries: LogEntry[], field: string): object[] {
    const seen = new Map<string, number>();
    return entries.map((entry, i) => {
        const at = `${field}[${i}]`;
        const built = logInstance(entry, at);
        const keyId = built.logId.keyId;
        // sigstore-go keys logs by ID; a duplicate would silently replace the first.
        if (seen.has(keyId)) throw new Error(`${at} has the same public key (log ID ${keyId}) as ${field}[${seen.get(keyId)}]`);
        seen.set(keyId, i);
        return built;
    });
}

function logInstance(entry: LogEntry, at: string) {
    if (entry === null || typeof entry !== "object") throw new Error(`${at} must be an object`);
    const key = loadPublicKey(entry.publicKeyPem, `${at}.publicKeyPem`);
    const der = spkiDer(key);
    const instance = {
        baseUrl: validateUrl(entry.baseUrl, `${at}.baseUrl`, true),
        hashAlgorithm: "SHA2_256", // the only tree hash sigstore-go accepts
        publicKey: {
            rawBytes: der.toString("base64"),
            keyDetails: keyDetailsOf(key, `${at}.publicKeyPem`),
            validFor: timeRange(entry.validFrom, entry.validTo, at),
        },
        logId: { keyId: entry.checkpointOrigin === undefined ? createHash("sha256").update(der).digest("base64") : v2LogId(entry, at) },
    };
    return entry.operator === undefined ? instance : { ...instance, operator: requireText(entry.operator, `${at}.operator`) };
}

/** A Rekor v2 log's ID, after checking that clients will verify its checkpoints under its baseUrl's host. */
function v2LogId(entry: LogEntry, at: string): string {
    const origin = entry.checkpointOrigin!;
    const host = new URL(entry.baseUrl).hostname;
    if (host !== origin) throw new Error(`${at}.baseUrl's host ${host} is not the log's checkpoint origin ${origin}: clients would reject every checkpoint`);
    return rekorV2LogId(entry.publicKeyPem, origin);
}

/**
 * A CertificateAuthority entry. sigstore-go treats the last certificate as the
 * root and the others as intermediates (for TSAs a first non-CA cert is the
 * leaf), so the order is checked: each cert must be issued and signed by the
 * next one, and the last must be self-signed.
 */
function certificateAuthority(ca: CaEntry, at: string, firstMustBeCa: boolean): object {
    if (ca === null || typeof ca !== "object") throw new Error(`${at} must be an object`);
    const certs = parseCertificateBundle(ca.certChainPem, `${at}.certChainPem`);
    checkChain(certs, `${at}.certChainPem`, firstMustBeCa);
    const entry: Record<string, unknown> = {};
    const subject = distinguishedName(ca.subject, certs[certs.length - 1], at);
    if (Object.keys(subject).length > 0) entry.subject = subject;
    entry.uri = validateUrl(ca.url, `${at}.url`, false);
    entry.certChain = { certificates: certs.map((c) => ({ rawBytes: c.raw.toString("base64") })) };
    entry.validFor = timeRange(ca.validFrom, ca.validTo, at);
    if (ca.operator !== undefined) entry.operator = requireText(ca.operator, `${at}.operator`);
    return entry;
}

function checkChain(certs: X509Certificate[], field: string, firstMustBeCa: boolean): void {
    certs.forEach((cert, i) => {
        const isLast = i === certs.length - 1;
        if ((i > 0 || firstMustBeCa) && !cert.ca) {
            throw new Error(`${field}: certificate #${i + 1} (${oneLine(cert.subject)}) is not a CA certificate`);
        }
        if (!isLast) {
            const issuer = certs[i + 1];
            if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
                throw new Error(
                    `${field}: certificate #${i + 1} (${oneLine(cert.subject)}) is not issued by the next certificate (${oneLine(issuer.subject)}); order must be issuing cert first, root last`,
                );
            }
        } else if (!isSelfSigned(cert)) {
            throw new Error(
                `${field}: the chain must end with a self-signed root, but the last certificate (${oneLine(cert.subject)}) is issued by ${oneLine(cert.issuer)}`,
            );
        }
    });
}

/** DistinguishedName {organization, commonName}: explicit values win, else the root's O and CN. */
function distinguishedName(given: CaEntry["subject"], root: X509Certificate, at: string): Record<string, string> {
    const fromCert = subjectAttributes(root.subject);
    const organization = given?.organization ?? fromCert.O;
    const commonName = given?.commonName ?? fromCert.CN;
    const dn: Record<string, string> = {};
    if (organization) dn.organization = requireText(organization, `${at}.subject.organization`);
    if (commonName) dn.commonName = requireText(commonName, `${at}.subject.commonName`);
    return dn;
}

function timeRange(validFrom: string, validTo: string | undefined, at: string): Record<string, string> {
    const start = parseRfc3339(validFrom, `${at}.validFrom`);
    if (validTo === undefined) return { start: start.canonical };
    const end = parseRfc3339(validTo, `${at}.validTo`);
    if (end.seconds < start.seconds || (end.seconds === start.seconds && end.nanos < start.nanos)) {
        throw new Error(`${at}.validTo (${end.canonical}) is before validFrom (${start.canonical})`);
    }
    return { start: start.canonical, end: end.canonical };
}

/**
 * PublicKeyDetails enum name for the key, limited to the values sigstore-go
 * v1.2.1 ParseTransparencyLogs accepts for a PKIX key.
 */
function keyDetailsOf(key: KeyObject, field: string): string {
    const d = key.asymmetricKeyDetails ?? {};
    switch (key.asymmetricKeyType) {
        case "ec": {
            const byCurve: Record<string, string> = {
                prime256v1: "PKIX_ECDSA_P256_SHA_256",
                secp384r1: "PKIX_ECDSA_P384_SHA_384",
                secp521r1: "PKIX_ECDSA_P521_SHA_512",
            };
            const details = byCurve[d.namedCurve ?? ""];
            if (!details) throw new Error(`${field}: EC curve "${d.namedCurve}" is not supported (use P-256, P-384 or P-521)`);
            return details;
        }
        case "rsa": {
            const bits = d.modulusLength ?? 0;
            if (bits !== 2048 && bits !== 3072 && bits !== 4096) {
                throw new Error(`${field}: RSA key size ${bits} is not supported (use 2048, 3072 or 4096 bits)`);
            }
            return `PKIX_RSA_PKCS1V15_${bits}_SHA256`;
        }
        case "ed25519":
            return "PKIX_ED25519";
        default:
            throw new Error(`${field}: key type "${key.asymmetricKeyType}" is not supported (use ECDSA, RSA or Ed25519)`);
    }
}

/** Accepts only a "PUBLIC KEY" (SPKI) PEM, so a private key can never be published by mistake. */
function loadPublicKey(pem: string, field: string): KeyObject {
    if (typeof pem !== "string" || !/-----BEGIN PUBLIC KEY-----/.test(pem)) {
        throw new Error(`${field} must be an SPKI PEM ("-----BEGIN PUBLIC KEY-----")`);
    }
    if (/PRIVATE KEY/.test(pem)) throw new Error(`${field} contains a private key; pass only the public key`);
    try {
        return createPublicKey({ key: pem, format: "pem" });
    } catch (e) {
        throw new Error(`${field} is not a valid public key PEM: ${(e as Error).message}`);
    }
}

/**
 * Re-encodes the key as DER SPKI. Node/OpenSSL produce the same canonical
 * encoding as Go's x509.MarshalPKIXPublicKey (named curve, uncompressed
 * point), which is what Rekor and ctfe hash into their log IDs.
 */
function spkiDer(key: KeyObject): Buffer {
    return key.export({ format: "der", type: "spki" });
}

/** Service URLs: absolute http(s), no query/fragment; slash-checked where clients append API paths. */
function validateUrl(value: string, field: string, rejectTrailingSlash: boolean): string {
    const url = requireHttpUrl(value, field);
    if (rejectTrailingSlash && url.endsWith("/")) {
        throw new Error(`${field} must not end with "/" (clients append API paths to it): ${JSON.stringify(url)}`);
    }
    return url;
}

function nonEmptyList<T>(list: T[], field: string): T[] {
    if (!Array.isArray(list) || list.length === 0) throw new Error(`${field} must be a non-empty array`);
    return list;
}

function oneLine(dn: string): string {
    return dn.split("\n").join(", ");
}
