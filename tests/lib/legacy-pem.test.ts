import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encryptLegacyPem } from "../../lib/legacy-pem";

function ecKey(namedCurve = "P-256"): { sec1: string; pkcs8: string; key: KeyObject } {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve });
    return {
        sec1: privateKey.export({ format: "pem", type: "sec1" }) as string,
        pkcs8: privateKey.export({ format: "pem", type: "pkcs8" }) as string,
        key: privateKey,
    };
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
    return a.export({ format: "der", type: "pkcs8" }).equals(b.export({ format: "der", type: "pkcs8" }));
}

function hasOpenssl(): boolean {
    return spawnSync("openssl", ["version"], { encoding: "utf8" }).status === 0;
}

describe("lib/legacy-pem encryptLegacyPem", () => {
    const password = "s3cret-\u00e9-pass";

    it("writes one legacy RFC 1423 block with the headers Go's x509.DecryptPEMBlock reads", () => {
        const out = encryptLegacyPem(ecKey().sec1, password);
        const lines = out.split("\n");
        assert.equal(lines[0], "-----BEGIN EC PRIVATE KEY-----");
        assert.equal(lines[1], "Proc-Type: 4,ENCRYPTED");
        assert.match(lines[2], /^DEK-Info: AES-256-CBC,[0-9A-F]{32}$/);
        assert.equal(lines[3], "");
        const body = lines.slice(4, lines.indexOf("-----END EC PRIVATE KEY-----"));
        assert.ok(body.length > 0);
        body.slice(0, -1).forEach((l) => assert.equal(l.length, 64));
        assert.ok(body[body.length - 1].length <= 64);
        assert.equal(Buffer.from(body.join(""), "base64").length % 16, 0, "ciphertext is whole AES blocks");
        // Exactly one block and exactly one trailing newline (trillian rejects trailing data).
        assert.ok(out.endsWith("-----END EC PRIVATE KEY-----\n"));
        assert.equal(out.match(/-----BEGIN /g)?.length, 1);
    });

    it("is deterministic: same key and password give byte-identical output", () => {
        const k = ecKey();
        assert.equal(encryptLegacyPem(k.sec1, password), encryptLegacyPem(k.sec1, password));
    });

    it("gives the same output for SEC1 and PKCS#8 input of the same key", () => {
        const k = ecKey();
        assert.equal(encryptLegacyPem(k.pkcs8, password), encryptLegacyPem(k.sec1, password));
    });

    it("changes the IV when the password or the key changes", () => {
        const k = ecKey();
        const iv = (pem: string) => /DEK-Info: AES-256-CBC,([0-9A-F]+)/.exec(pem)?.[1];
        assert.notEqual(iv(encryptLegacyPem(k.sec1, "a")), iv(encryptLegacyPem(k.sec1, "b")));
        assert.notEqual(iv(encryptLegacyPem(k.sec1, "a")), iv(encryptLegacyPem(ecKey().sec1, "a")));
    });

    for (const curve of ["P-256", "P-384", "P-521"]) {
        it(`decrypts back to the same ${curve} key with node crypto`, () => {
            const k = ecKey(curve);
            const decrypted = createPrivateKey({ key: encryptLegacyPem(k.sec1, password), format: "pem", passphrase: password });
            assert.ok(sameKey(decrypted, k.key));
        });
    }

    it("cannot be decrypted with a wrong password", () => {
        const out = encryptLegacyPem(ecKey().sec1, password);
        assert.throws(() => createPrivateKey({ key: out, format: "pem", passphrase: "wrong" }));
    });

    it("is accepted by `openssl ec` with the password and rejected with a wrong one", function () {
        if (!hasOpenssl()) {
            console.warn("    (skipped: `openssl` is not on PATH, cannot cross-check with openssl ec)");
            this.skip();
        }
        const dir = mkdtempSync(join(tmpdir(), "legacy-pem-"));
        try {
            const file = join(dir, "key.pem");
            writeFileSync(file, encryptLegacyPem(ecKey().sec1, "pw-for-openssl"));
            const ok = spawnSync("openssl", ["ec", "-in", file, "-passin", "pass:pw-for-openssl", "-noout"], { encoding: "utf8" });
            assert.equal(ok.status, 0, `openssl ec failed: ${ok.stderr}`);
            const bad = spawnSync("openssl", ["ec", "-in", file, "-passin", "pass:nope", "-noout"], { encoding: "utf8" });
            assert.notEqual(bad.status, 0);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("rejects an empty password, naming it", () => {
        assert.throws(() => encryptLegacyPem(ecKey().sec1, ""), /password must be a non-empty string/);
    });

    it("rejects non-EC, encrypted and malformed keys with clear errors", () => {
        const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "pem", type: "pkcs8" }) as string;
        assert.throws(() => encryptLegacyPem(rsa, password), /must be an ECDSA key, got "rsa"/);
        const already = encryptLegacyPem(ecKey().sec1, password);
        assert.throws(() => encryptLegacyPem(already, password), /already encrypted/);
        const pkcs8Enc = ecKey().key.export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: "x" }) as string;
        assert.throws(() => encryptLegacyPem(pkcs8Enc, password), /already encrypted/);
        assert.throws(() => encryptLegacyPem("not a pem", password), /must be a PEM string/);
        assert.throws(
            () => encryptLegacyPem("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", password),
            /not a readable unencrypted private key/,
        );
    });
});
