// Legacy (RFC 1423, "Proc-Type: 4,ENCRYPTED") PEM encryption of an EC key.
//
// Why this exists: ct_server loads its signing key through trillian's
// crypto/keys/pem.ReadPrivateKeyFile, which refuses an empty password and
// decrypts with Go's x509.DecryptPEMBlock — i.e. it only reads the legacy
// OpenSSL format (`openssl ec -aes256`), not PKCS#8-encrypted keys. Node's
// crypto can only *write* PKCS#8 encryption, so we build the legacy block here.

import { createCipheriv, createHash, createHmac, createPrivateKey, KeyObject } from "node:crypto";
import { encodePem } from "./pem";

const CIPHER = "aes-256-cbc";
const KEY_BYTES = 32; // AES-256
const IV_BYTES = 16; // AES block size; Go checks len(iv) == block size

/**
 * Encrypts an unencrypted EC private key ("EC PRIVATE KEY" SEC1 or PKCS#8
 * "PRIVATE KEY", as @pulumi/tls emits) into one legacy encrypted PEM block:
 *
 *   -----BEGIN EC PRIVATE KEY-----
 *   Proc-Type: 4,ENCRYPTED
 *   DEK-Info: AES-256-CBC,<IV as upper-case hex>
 *
 *   <base64 of AES-256-CBC(SEC1 DER), 64 columns>
 *   -----END EC PRIVATE KEY-----
 *
 * The result ends with exactly one newline; do not append more when writing
 * it to a file, trillian rejects anything after the first PEM block.
 */
export function encryptLegacyPem(privateKeyPem: string, password: string): string {
    if (typeof password !== "string" || password.length === 0) {
        throw new Error("encryptLegacyPem: password must be a non-empty string (ct_server/trillian refuse PEM key files with an empty password)");
    }
    const sec1 = ecPrivateKeyToSec1Der(privateKeyPem);
    const iv = deterministicIv(password, sec1);
    const key = evpBytesToKeyMd5(Buffer.from(password, "utf8"), iv.subarray(0, 8), KEY_BYTES);
    const cipher = createCipheriv(CIPHER, key, iv); // Node pads with PKCS#7 by default, as RFC 1423 requires
    const body = Buffer.concat([cipher.update(sec1), cipher.final()]);
    return encodePem("EC PRIVATE KEY", body, [
        ["Proc-Type", "4,ENCRYPTED"],
        ["DEK-Info", `AES-256-CBC,${iv.toString("hex").toUpperCase()}`],
    ]);
}

/**
 * The IV must be deterministic so that re-running the Pulumi program yields a
 * byte-identical Secret (a random IV would show a diff on every preview).
 * HMAC-SHA256 keyed with the password over the plaintext gives an IV that is
 * stable for the same (key, password), differs whenever either changes, and
 * cannot be predicted without the password. Reusing it for the *same*
 * plaintext and password reveals nothing beyond "unchanged".
 */
function deterministicIv(password: string, sec1Der: Buffer): Buffer {
    return createHmac("sha256", Buffer.from(password, "utf8")).update(sec1Der).digest().subarray(0, IV_BYTES);
}

/**
 * OpenSSL EVP_BytesToKey with MD5 and one iteration, which is what Go's
 * x509 rfc1423Algo.deriveKey implements: D_i = MD5(D_{i-1} || password || salt),
 * concatenated until keyLen bytes. The salt is the first 8 bytes of the IV.
 */
function evpBytesToKeyMd5(password: Buffer, salt: Buffer, keyLen: number): Buffer {
    const parts: Buffer[] = [];
    let prev = Buffer.alloc(0);
    let have = 0;
    while (have < keyLen) {
        prev = createHash("md5").update(prev).update(password).update(salt).digest();
        parts.push(prev);
        have += prev.length;
    }
    return Buffer.concat(parts).subarray(0, keyLen);
}

/** Loads an unencrypted EC key (SEC1 or PKCS#8 PEM) and re-exports it as SEC1 DER. */
function ecPrivateKeyToSec1Der(privateKeyPem: string): Buffer {
    if (typeof privateKeyPem !== "string" || !privateKeyPem.includes("-----BEGIN ")) {
        throw new Error('encryptLegacyPem: privateKeyPem must be a PEM string ("EC PRIVATE KEY" or "PRIVATE KEY")');
    }
    if (/Proc-Type:\s*4,ENCRYPTED|BEGIN ENCRYPTED PRIVATE KEY/.test(privateKeyPem)) {
        throw new Error("encryptLegacyPem: privateKeyPem is already encrypted; pass the unencrypted key");
    }
    let key: KeyObject;
    try {
        key = createPrivateKey({ key: privateKeyPem, format: "pem" });
    } catch (e) {
        throw new Error(`encryptLegacyPem: privateKeyPem is not a readable unencrypted private key: ${(e as Error).message}`);
    }
    if (key.asymmetricKeyType !== "ec") {
        throw new Error(
            `encryptLegacyPem: privateKeyPem must be an ECDSA key, got "${key.asymmetricKeyType}" (the block label "EC PRIVATE KEY" only fits SEC1 EC keys)`,
        );
    }
    // Re-export rather than reuse the input bytes so SEC1 and PKCS#8 inputs of
    // the same key give the same output.
    return key.export({ format: "der", type: "sec1" });
}
