/**
 * Rekor v2 (rekor-tiles v2.3.0, POSIX backend): the server's flags, the log's identity as clients
 * check it, its read path, and its signed checkpoints. Checked against the real server, cosign
 * v3.1.2 and nginx by e2e/rekor-v2.e2e.ts.
 *
 * The identity is the origin (--hostname) and the key. The server never notices either changing
 * on an existing log: it just signs new checkpoints under the new identity, and every client whose
 * trusted root names the old one stops verifying. So both are pinned by the caller, never derived
 * from a pod.
 */
import { createHash, createPublicKey, KeyObject, verify } from "node:crypto";

/** The server's ports: the write API (HTTP gateway), its gRPC (the gateway dials it in-process), metrics; and the read path's. */
export const rekorV2Ports = { http: 3000, grpc: 3001, metrics: 2112, read: 8080 } as const;

export interface RekorV2Server {
    /** The checkpoint origin: the log's public host name, bare (no scheme, no port). */
    readonly origin: string;
    readonly storageDir: string;
    /** The signing key (PEM: SEC1 or PKCS #8, ECDSA P-256 or Ed25519), from a mounted Secret. */
    readonly signerPath: string;
    /** How often a checkpoint is published (Go duration): a write returns once a checkpoint covers it. */
    readonly checkpointInterval: string;
    /** Tessera's batching (--batch-max-size, --batch-max-age); absent: the server's defaults (256, 250ms). */
    readonly batch?: { readonly maxSize: number; readonly maxAge: string };
}

/** A host name as a checkpoint origin: what sigstore-go compares with the trusted root's baseUrl host. */
export function isOriginName(origin: string): boolean {
    return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(origin);
}

/**
 * `posix serve` flags (cobra, `--name=value`). Both listeners default to 127.0.0.1 and the origin to
 * the machine's name, so all three are always set. Persistent antispam keeps deduplication across
 * restarts and locks the storage against a second writer.
 */
export function rekorV2ServerArgs(s: RekorV2Server): string[] {
    if (!isOriginName(s.origin)) throw new Error(`Rekor v2 origin "${s.origin}" must be a bare host name (no scheme, port or path)`);
    return [
        "serve",
        `--hostname=${s.origin}`,
        `--storage-dir=${s.storageDir}`,
        `--signer-filepath=${s.signerPath}`,
        "--http-address=0.0.0.0",
        `--http-port=${rekorV2Ports.http}`,
        // The HTTP gateway is the only client of the gRPC listener: it stays on loopback.
        "--grpc-address=127.0.0.1",
        `--grpc-port=${rekorV2Ports.grpc}`,
        `--http-metrics-port=${rekorV2Ports.metrics}`,
        "--persistent-antispam",
        `--checkpoint-interval=${s.checkpointInterval}`,
        ...(s.batch ? [`--batch-max-size=${s.batch.maxSize}`, `--batch-max-age=${s.batch.maxAge}`] : []),
    ];
}

/**
 * The log ID clients look entries up by (trusted root `logId.keyId`): rekor-tiles' note key hash
 * (pkg/note KeyHash). ECDSA: SHA-256 of the DER SubjectPublicKeyInfo (as a v1 log's); Ed25519:
 * SHA-256(origin ‖ "\n" ‖ 0x01 ‖ the raw 32-byte key), so the origin is part of the identity.
 */
export function rekorV2LogId(publicKeyPem: string, origin: string): string {
    const key = createPublicKey(publicKeyPem);
    const der = key.export({ type: "spki", format: "der" });
    switch (key.asymmetricKeyType) {
        case "ec":
            return createHash("sha256").update(der).digest("base64");
        case "ed25519":
            return createHash("sha256")
                .update(Buffer.concat([Buffer.from(`${origin}\n`), Buffer.from([1]), der.subarray(der.length - 32)]))
                .digest("base64");
        default:
            throw new Error(`a Rekor v2 log key must be ECDSA or Ed25519, not ${key.asymmetricKeyType}`);
    }
}

/**
 * The read path's nginx server block over the log's storage: the checkpoint (always fresh), tiles
 * (full ones immutable, partial ones fresh), GET and HEAD only, and never the server's private
 * state under `.state/` (locks, tree state, the antispam database).
 */
export function rekorV2ReadPathConfig(storageDir: string, port: number = rekorV2Ports.read): string {
    return [
        "server {",
        `    listen ${port};`,
        `    root ${storageDir};`,
        "    autoindex off;",
        "    server_tokens off;",
        "    if ($request_method !~ ^(GET|HEAD)$) { return 405; }",
        "    location ~ (^|/)\\. { return 404; }",
        "    location = /healthz { access_log off; default_type text/plain; return 200 'ok\\n'; }",
        '    location = /checkpoint { default_type text/plain; add_header Cache-Control "no-cache" always; }',
        '    location ~ ^/tile/.*\\.p/ { default_type application/octet-stream; add_header Cache-Control "no-cache" always; }',
        '    location /tile/ { default_type application/octet-stream; add_header Cache-Control "public, max-age=31536000, immutable" always; }',
        "    location / { return 404; }",
        "}",
        "",
    ].join("\n");
}

/** A checkpoint (C2SP tlog-checkpoint) as served at `<read path>/checkpoint`. */
export interface Checkpoint {
    origin: string;
    size: number;
    rootHash: Buffer;
}

/**
 * Parses a signed checkpoint and checks its signature with the log's key: a C2SP signed note whose
 * signature line names the origin and carries the 4-byte key hash (the log ID's first 4 bytes)
 * and the signature over the note's text (ECDSA over SHA-256; Ed25519 over the text itself).
 */
export function verifyCheckpoint(note: string, publicKeyPem: string, origin: string): Checkpoint {
    const split = note.indexOf("\n\n");
    if (split < 0) throw new Error("not a signed note: no blank line before the signatures");
    const text = note.slice(0, split + 1);
    const [noteOrigin, size, root] = text.split("\n");
    if (noteOrigin !== origin) throw new Error(`the checkpoint's origin is "${noteOrigin}", not "${origin}"`);
    const key = createPublicKey(publicKeyPem);
    const keyHash = Buffer.from(rekorV2LogId(publicKeyPem, origin), "base64").subarray(0, 4);
    const signed = note
        .slice(split + 2)
        .split("\n")
        .filter((line) => line.startsWith(`— ${origin} `))
        .map((line) => Buffer.from(line.slice(`— ${origin} `.length), "base64"))
        .find((sig) => sig.subarray(0, 4).equals(keyHash) && verifies(key, Buffer.from(text), sig.subarray(4)));
    if (!signed) throw new Error(`no signature on the checkpoint verifies with the log's key (origin ${origin})`);
    if (!/^\d+$/.test(size)) throw new Error(`the checkpoint's size "${size}" is not a number`);
    return { origin: noteOrigin, size: Number(size), rootHash: Buffer.from(root, "base64") };
}

function verifies(key: KeyObject, text: Buffer, signature: Buffer): boolean {
    return verify(key.asymmetricKeyType === "ed25519" ? null : "sha256", text, key, signature);
}
