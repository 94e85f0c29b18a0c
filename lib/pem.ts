// Small, pure PEM / X.509 / timestamp helpers shared by the lib/ renderers.
// No I/O and no Pulumi: everything here is a function of its arguments.

import { X509Certificate } from "node:crypto";

/** One decoded PEM block. */
export interface PemBlock {
    /** The label between "BEGIN " and "-----", e.g. "CERTIFICATE". */
    type: string;
    /** RFC 1421 headers ("Proc-Type", "DEK-Info", …) in file order. */
    headers: Array<[string, string]>;
    /** The base64-decoded body. */
    der: Buffer;
}

const PEM_BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END ([A-Z0-9 ]+)-----/g;
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Splits a PEM bundle into its blocks. Text outside blocks is ignored (that is
 * what Go's encoding/pem and OpenSSL do too), but a malformed block is an error
 * rather than being skipped, so a truncated bundle is not silently shortened.
 */
export function decodePemBlocks(text: string, what = "PEM input"): PemBlock[] {
    if (typeof text !== "string" || text.trim() === "") {
        throw new Error(`${what} is empty; expected PEM text`);
    }
    const blocks: PemBlock[] = [];
    for (const m of text.matchAll(PEM_BLOCK_RE)) {
        const [, beginType, inner, endType] = m;
        if (beginType !== endType) {
            throw new Error(`${what}: PEM block "BEGIN ${beginType}" is closed by "END ${endType}"`);
        }
        blocks.push(decodeBlockBody(beginType, inner, what));
    }
    if (blocks.length === 0) {
        throw new Error(`${what} contains no "-----BEGIN …-----" PEM block`);
    }
    return blocks;
}

function decodeBlockBody(type: string, inner: string, what: string): PemBlock {
    const lines = inner.split(/\r?\n/);
    const headers: Array<[string, string]> = [];
    // RFC 1421 headers come first and are separated from the body by a blank line.
    while (lines.length > 0 && lines[0].includes(":")) {
        const line = lines.shift() as string;
        const idx = line.indexOf(":");
        headers.push([line.slice(0, idx).trim(), line.slice(idx + 1).trim()]);
    }
    const body = lines.join("").replace(/[ \t]/g, "");
    if (!BASE64_RE.test(body) || body.length % 4 !== 0) {
        throw new Error(`${what}: PEM block "${type}" has a body that is not valid base64`);
    }
    return { type, headers, der: Buffer.from(body, "base64") };
}

/**
 * Encodes one PEM block the way Go's pem.EncodeToMemory does: headers, a blank
 * line after them, base64 wrapped at 64 columns, and exactly one trailing
 * newline. The single trailing newline matters: trillian's PEM key loader
 * rejects any bytes after the first block ("extra data found after first PEM
 * block").
 */
export function encodePem(type: string, der: Buffer, headers: Array<[string, string]> = []): string {
    const out: string[] = [`-----BEGIN ${type}-----`];
    for (const [k, v] of headers) out.push(`${k}: ${v}`);
    if (headers.length > 0) out.push("");
    const b64 = der.toString("base64");
    for (let i = 0; i < b64.length; i += 64) out.push(b64.slice(i, i + 64));
    out.push(`-----END ${type}-----`);
    return out.join("\n") + "\n";
}

/**
 * Parses every block of a PEM bundle as an X.509 certificate, in file order.
 * Any other block type (notably a private key pasted into a chain file) is an
 * error, so secrets can never leak into published trust material.
 */
export function parseCertificateBundle(pem: string, what = "certificate bundle"): X509Certificate[] {
    return decodePemBlocks(pem, what).map((block, i) => {
        if (block.type !== "CERTIFICATE") {
            throw new Error(`${what}: block #${i + 1} is "${block.type}", only "CERTIFICATE" blocks are allowed`);
        }
        try {
            return new X509Certificate(block.der);
        } catch (e) {
            throw new Error(`${what}: block #${i + 1} is not a valid X.509 certificate: ${(e as Error).message}`);
        }
    });
}

/** Node prints a subject as "C=US\nO=Example\nCN=Root"; its single-valued attributes by name. */
export function subjectAttributes(subject: string): Record<string, string> {
    const attrs: Record<string, string> = {};
    for (const line of subject.split("\n")) {
        const idx = line.indexOf("=");
        if (idx > 0 && !line.includes("+")) attrs[line.slice(0, idx)] = line.slice(idx + 1);
    }
    return attrs;
}

/** True when the certificate names itself as issuer and its own key verifies its signature. */
export function isSelfSigned(cert: X509Certificate): boolean {
    return cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

/** A parsed RFC 3339 instant, in the shapes the renderers need. */
export interface Rfc3339Time {
    /** Seconds since the Unix epoch (google.protobuf.Timestamp.seconds). */
    seconds: bigint;
    /** Nanoseconds within the second (google.protobuf.Timestamp.nanos). */
    nanos: number;
    /** Canonical UTC form, e.g. "2025-01-02T03:04:05Z" or "…05.250Z". */
    canonical: string;
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses a strict RFC 3339 timestamp ("2025-01-02T03:04:05Z", optional
 * fraction up to nanoseconds, "Z" or ±hh:mm offset). Strict because both
 * consumers (protojson in sigstore-go, prototext Timestamp in ctfe) need an
 * exact instant, and Date.parse accepts many ambiguous forms.
 * The range is that of google.protobuf.Timestamp (years 0001–9999).
 */
export function parseRfc3339(value: string, field: string): Rfc3339Time {
    const m = typeof value === "string" ? RFC3339_RE.exec(value) : null;
    if (!m) {
        throw new Error(`${field} must be an RFC 3339 timestamp like "2025-01-02T03:04:05Z", got ${JSON.stringify(value)}`);
    }
    const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
    // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
    const check = new Date(0);
    check.setUTCFullYear(+y, +mo - 1, +d);
    check.setUTCHours(+h, +mi, +s, 0);
    const ms = check.getTime();
    // Date.UTC silently rolls "02-30" over to March; reject such dates instead.
    if (check.getUTCFullYear() !== +y || check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59 || +y < 1) {
        throw new Error(`${field} is not a valid calendar date/time: ${JSON.stringify(value)}`);
    }
    let offsetSeconds = 0;
    if (!z) {
        if (+oh > 23 || +om > 59) throw new Error(`${field} has an invalid UTC offset: ${JSON.stringify(value)}`);
        offsetSeconds = (sign === "-" ? -1 : 1) * (+oh * 3600 + +om * 60);
    }
    const seconds = BigInt(ms / 1000 - offsetSeconds);
    const nanos = frac ? Number(frac.padEnd(9, "0")) : 0;
    return { seconds, nanos, canonical: canonicalUtc(seconds, nanos) };
}

function canonicalUtc(seconds: bigint, nanos: number): string {
    const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
    if (nanos === 0) return `${base}Z`;
    // Same digit grouping protojson uses: 3, 6 or 9 fractional digits.
    let frac = String(nanos).padStart(9, "0");
    while (frac.length > 3 && frac.endsWith("000")) frac = frac.slice(0, -3);
    return `${base}.${frac}Z`;
}
