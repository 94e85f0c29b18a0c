// Renders the --log_config file of ct_server (certificate-transparency-go
// v1.3.3) as a text-format configpb.LogMultiConfig.
//
// Field names come from trillian/ctfe/configpb/config.proto (LogMultiConfig,
// LogBackendSet, LogBackend, LogConfigSet, LogConfig) and trillian's
// crypto/keyspb/keyspb.proto (PEMKeyFile). ct_server parses the file with
// prototext.Unmarshal, which rejects unknown fields, so every name below is
// exactly the proto field name.

import { parseRfc3339, Rfc3339Time } from "./pem";

export interface CtLogConfigInput {
    /** Trillian tree ID (LogConfig.log_id, int64), as printed by createtree. */
    treeId: string;
    /** Log name; the log is served at /<prefix>/ct/v1/… (LogConfig.prefix). */
    prefix: string;
    /** Trillian log server gRPC address, "host:port" (LogBackend.backend_spec). */
    trillianBackend: string;
    /** Path of the PEM file with the roots accepted by add-chain (LogConfig.roots_pem_file). */
    rootsPemFile: string;
    /** Path of the legacy-encrypted PEM signing key (keyspb.PEMKeyFile.path). */
    privateKeyPath: string;
    /** Password of that key; must be non-empty (keyspb.PEMKeyFile.password). */
    privateKeyPassword: string;
    /** Accepted EKUs (LogConfig.ext_key_usages); default ["CodeSigning"] for Fulcio certs. */
    extKeyUsages?: string[];
    /** RFC 3339; inclusive lower bound on accepted certificates' NotAfter (LogConfig.not_after_start). */
    notAfterStart?: string;
    /** RFC 3339; exclusive upper bound on accepted certificates' NotAfter (LogConfig.not_after_limit). */
    notAfterLimit?: string;
    /** Name tying the log to its backend (LogBackend.name / LogConfig.log_backend_name); default "trillian". */
    backendName?: string;
}

/**
 * EKU names ctfe understands: the keys of stringToKeyUsage in
 * trillian/ctfe/config.go. Anything else makes ValidateLogConfig fail with
 * "unknown extended key usage".
 */
export const CTFE_EXT_KEY_USAGES: readonly string[] = [
    "Any",
    "ServerAuth",
    "ClientAuth",
    "CodeSigning",
    "EmailProtection",
    "IPSECEndSystem",
    "IPSECTunnel",
    "IPSECUser",
    "TimeStamping",
    "OCSPSigning",
    "MicrosoftServerGatedCrypto",
    "NetscapeServerGatedCrypto",
];

const INT64_MAX = 9223372036854775807n;
// ctfe itself only requires a non-empty prefix (config.go validateConfigs) and
// config.proto says it must not contain "/". We are stricter: the prefix ends
// up verbatim in URLs (Fulcio's --ct-log-url, cosign), so keep it to one
// unreserved path segment.
const PREFIX_RE = /^[A-Za-z0-9_-]+$/;
const HOST_PORT_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

/** Renders a LogMultiConfig text proto with one backend and one log. */
export function renderCtLogConfig(input: CtLogConfigInput): string {
    return renderCtLogMultiConfig([input]);
}

/**
 * Renders a LogMultiConfig text proto with one backend and several logs (a CT key rotation keeps
 * serving the earlier logs beside the active one): each log its own tree, prefix and key; all on
 * the same Trillian backend. Prefixes and tree IDs must be unique (ctfe ValidateLogMultiConfig).
 */
export function renderCtLogMultiConfig(inputs: CtLogConfigInput[]): string {
    if (!Array.isArray(inputs) || inputs.length === 0) throw new Error("renderCtLogMultiConfig: at least one log");
    const logs = inputs.map(validate);
    const [first] = logs;
    for (const [i, v] of logs.entries()) {
        if (v.trillianBackend !== first.trillianBackend || v.backendName !== first.backendName)
            throw new Error(`log ${i + 1}: every log must use the same Trillian backend`);
        if (logs.findIndex((o) => o.prefix === v.prefix) !== i) throw new Error(`log ${i + 1}: prefix ${JSON.stringify(v.prefix)} is used twice`);
        if (logs.findIndex((o) => o.treeId === v.treeId) !== i) throw new Error(`log ${i + 1}: tree ${v.treeId} is used twice`);
    }
    const lines: string[] = [];
    lines.push("# Generated: ct_server --log_config (configpb.LogMultiConfig, text format)");
    lines.push("backends {");
    lines.push("  backend {");
    lines.push(`    name: ${q(first.backendName)}`);
    lines.push(`    backend_spec: ${q(first.trillianBackend)}`);
    lines.push("  }");
    lines.push("}");
    lines.push("log_configs {");
    for (const v of logs) lines.push(...logConfig(v));
    lines.push("}");
    return lines.join("\n") + "\n";
}

/** One LogConfig entry of log_configs. */
function logConfig(v: ValidInput): string[] {
    const lines: string[] = [];
    lines.push("  config {");
    lines.push(`    log_id: ${v.treeId}`);
    lines.push(`    prefix: ${q(v.prefix)}`);
    lines.push(`    roots_pem_file: ${q(v.rootsPemFile)}`);
    lines.push("    private_key {");
    // google.protobuf.Any in text format: the expanded [type_url] { … } form.
    lines.push("      [type.googleapis.com/keyspb.PEMKeyFile] {");
    lines.push(`        path: ${q(v.privateKeyPath)}`);
    lines.push(`        password: ${q(v.privateKeyPassword)}`);
    lines.push("      }");
    lines.push("    }");
    for (const eku of v.extKeyUsages) lines.push(`    ext_key_usages: ${q(eku)}`);
    if (v.notAfterStart) lines.push(...timestampField("not_after_start", v.notAfterStart));
    if (v.notAfterLimit) lines.push(...timestampField("not_after_limit", v.notAfterLimit));
    lines.push(`    log_backend_name: ${q(v.backendName)}`);
    lines.push("  }");
    return lines;
}

interface ValidInput {
    treeId: string;
    prefix: string;
    trillianBackend: string;
    rootsPemFile: string;
    privateKeyPath: string;
    privateKeyPassword: string;
    extKeyUsages: string[];
    notAfterStart?: Rfc3339Time;
    notAfterLimit?: Rfc3339Time;
    backendName: string;
}

function validate(input: CtLogConfigInput): ValidInput {
    if (input === null || typeof input !== "object") throw new Error("renderCtLogConfig: input must be an object");
    const notAfterStart = input.notAfterStart === undefined ? undefined : parseRfc3339(input.notAfterStart, "notAfterStart");
    const notAfterLimit = input.notAfterLimit === undefined ? undefined : parseRfc3339(input.notAfterLimit, "notAfterLimit");
    if (notAfterStart && notAfterLimit && compareTime(notAfterLimit, notAfterStart) < 0) {
        // Same rule as ctfe ValidateLogConfig ("limit before start").
        throw new Error(`notAfterLimit (${notAfterLimit.canonical}) is before notAfterStart (${notAfterStart.canonical})`);
    }
    return {
        treeId: validateTreeId(input.treeId),
        prefix: validatePrefix(input.prefix),
        trillianBackend: validateBackend(input.trillianBackend),
        rootsPemFile: nonEmpty(input.rootsPemFile, "rootsPemFile"),
        privateKeyPath: nonEmpty(input.privateKeyPath, "privateKeyPath"),
        privateKeyPassword: nonEmpty(input.privateKeyPassword, "privateKeyPassword", " (trillian's PEM key loader rejects an empty password)"),
        extKeyUsages: validateEkus(input.extKeyUsages),
        notAfterStart,
        notAfterLimit,
        backendName: nonEmpty(input.backendName ?? "trillian", "backendName"),
    };
}

/**
 * log_id is an int64 and ctfe rejects 0 ("empty log ID"). Surrounding
 * whitespace is trimmed because createtree prints the ID followed by a
 * newline. Leading zeros are refused: the text format would read "0123" as octal.
 */
function validateTreeId(treeId: string): string {
    const s = typeof treeId === "string" ? treeId.trim() : "";
    if (!/^[1-9][0-9]*$/.test(s) || BigInt(s) > INT64_MAX) {
        throw new Error(`treeId must be a positive int64 in decimal without leading zeros (the output of createtree), got ${JSON.stringify(treeId)}`);
    }
    return s;
}

function validatePrefix(prefix: string): string {
    if (typeof prefix !== "string" || !PREFIX_RE.test(prefix)) {
        throw new Error(`prefix must match ${PREFIX_RE} (non-empty, one URL path segment, no "/"), got ${JSON.stringify(prefix)}`);
    }
    return prefix;
}

function validateBackend(spec: string): string {
    const m = typeof spec === "string" ? HOST_PORT_RE.exec(spec) : null;
    if (!m || +m[1] < 1 || +m[1] > 65535) {
        throw new Error(
            `trillianBackend must be "host:port" of the Trillian log server gRPC endpoint (e.g. "trillian-log-server:8090"), got ${JSON.stringify(spec)}`,
        );
    }
    return spec;
}

function validateEkus(ekus: string[] | undefined): string[] {
    const list = ekus ?? ["CodeSigning"];
    if (!Array.isArray(list) || list.length === 0) {
        throw new Error(`extKeyUsages must be a non-empty array of ${CTFE_EXT_KEY_USAGES.join(", ")} (omit it for the default ["CodeSigning"])`);
    }
    for (const eku of list) {
        if (!CTFE_EXT_KEY_USAGES.includes(eku)) {
            throw new Error(`extKeyUsages contains ${JSON.stringify(eku)}; ctfe accepts only: ${CTFE_EXT_KEY_USAGES.join(", ")}`);
        }
    }
    return [...list];
}

function nonEmpty(value: string, field: string, why = ""): string {
    if (typeof value !== "string" || value.length === 0) {
        throw new Error(`${field} must be a non-empty string${why}`);
    }
    if (Buffer.from(value, "utf8").toString("utf8") !== value) {
        // A lone UTF-16 surrogate cannot be written as UTF-8; prototext rejects invalid UTF-8.
        throw new Error(`${field} contains an unpaired UTF-16 surrogate and cannot be encoded as UTF-8`);
    }
    return value;
}

function compareTime(a: Rfc3339Time, b: Rfc3339Time): number {
    if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
    return a.nanos - b.nanos;
}

/** google.protobuf.Timestamp has no string form in the text format: write seconds/nanos. */
function timestampField(name: string, t: Rfc3339Time): string[] {
    const inner = [`      seconds: ${t.seconds}`];
    if (t.nanos !== 0) inner.push(`      nanos: ${t.nanos}`);
    return [`    ${name} {  # ${t.canonical}`, ...inner, "    }"];
}

/**
 * Quotes a string for the protobuf text format. Backslash and double quote are
 * escaped; control bytes (newline is not allowed raw inside a text-format
 * string) become three-digit octal escapes, which Go's prototext decodes
 * byte-for-byte. Other characters, including non-ASCII, pass through as UTF-8.
 */
export function quoteTextProtoString(value: string): string {
    let out = '"';
    for (const ch of value) {
        const code = ch.codePointAt(0) as number;
        if (ch === "\\") out += "\\\\";
        else if (ch === '"') out += '\\"';
        else if (code < 0x20 || code === 0x7f) out += "\\" + code.toString(8).padStart(3, "0");
        else out += ch;
    }
    return out + '"';
}

const q = quoteTextProtoString;
