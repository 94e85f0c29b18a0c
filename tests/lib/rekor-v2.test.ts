/**
 * lib/rekor-v2.ts against what the real rekor-tiles v2.3.0 server produced here (2026-12-06): its
 * log IDs for an ECDSA P-256 and an Ed25519 key under origin rekor-v2.example.test (the IDs it put
 * into every entry, which cosign v3.1.2 then matched), and two checkpoints it signed.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { isOriginName, rekorV2LogId, rekorV2ReadPathConfig, rekorV2ServerArgs, verifyCheckpoint } from "../../lib/rekor-v2";
import { buildSigningConfig, buildTrustedRoot, keyIdOf } from "../../lib/trust-material";
import { privateKey, selfSignedCert } from "../support/tls-emulator";

const origin = "rekor-v2.example.test";
const ecKey =
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEW5B4YiqntuOd/uCmJ3ygthcniFis\nT8BNAqLCFogkedPeMeUIiMRoYhoGoQrj02lX8rHpBSGNPfAetiasUbKVzQ==\n-----END PUBLIC KEY-----\n";
const edKey = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAWZ5FZMFlEJYc+QfsVMQrXXjQe54Z68w9CCSeQR0apRk=\n-----END PUBLIC KEY-----\n";
const ecCheckpoint =
    "rekor-v2.example.test\n49382\nfkBbpHE2rqR2ZZzNCSNjxNQGEJkaXn0aF0umYBqj4EM=\n\n" +
    "— rekor-v2.example.test Xuy0uDBFAiEAq/flob5yz+ai1lDpmF+/qvNAM5Ep7wKQguyBbIDsD5ECIGQ7Tu12kISVKrUfOk2bDqBZ7PdPBmvKEzuEx6sWtuQi\n";
const edCheckpoint =
    "rekor-v2.example.test\n5\nwA841moQv9GSJHFFSUU3ThvL5s1t8jBwQnEfMWs8fKc=\n\n" +
    "— rekor-v2.example.test x6saAt1sNrpwmz1R/8NwFXdML2oeEbcloQV4ZpgNmPT2o+t1XbYNF1z/44oNiFPeClDe9neb97A+fnRIteAEssut+ww=\n";

describe("lib/rekor-v2: the log's identity, flags, read path and checkpoints", () => {
    it("computes the log IDs the real server used: ECDSA as a v1 log's, Ed25519 bound to the origin", () => {
        assert.equal(rekorV2LogId(ecKey, origin), "Xuy0uMeTl5yWtdPBEzg4FcOPEtKHV4WY7vHqLS9hazg=");
        assert.equal(rekorV2LogId(ecKey, origin), keyIdOf(ecKey));
        assert.equal(rekorV2LogId(edKey, origin), "x6saAuMl+JGRYZLYc3dkaZiKy/GDPojwjfIMsmIlE5M=");
        assert.notEqual(rekorV2LogId(edKey, "other.example.test"), rekorV2LogId(edKey, origin));
        const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }) as string;
        assert.throws(() => rekorV2LogId(rsa, origin), /must be ECDSA or Ed25519, not rsa/);
    });

    it("verifies the checkpoints the real server signed, and refuses another key, another origin or an edited size", () => {
        assert.deepEqual(verifyCheckpoint(ecCheckpoint, ecKey, origin), {
            origin,
            size: 49382,
            rootHash: Buffer.from("fkBbpHE2rqR2ZZzNCSNjxNQGEJkaXn0aF0umYBqj4EM=", "base64"),
        });
        assert.equal(verifyCheckpoint(edCheckpoint, edKey, origin).size, 5);
        assert.throws(() => verifyCheckpoint(ecCheckpoint, edKey, origin), /no signature on the checkpoint verifies/);
        assert.throws(() => verifyCheckpoint(ecCheckpoint, ecKey, "rekor.example.test"), /origin is "rekor-v2.example.test", not "rekor.example.test"/);
        assert.throws(() => verifyCheckpoint(ecCheckpoint.replace("\n49382\n", "\n49383\n"), ecKey, origin), /no signature on the checkpoint verifies/);
    });

    it("always sets the origin, both listeners and persistent antispam; refuses an origin that is not a bare host", () => {
        const args = rekorV2ServerArgs({ origin, storageDir: "/var/lib/rekor", signerPath: "/keys/signer.pem", checkpointInterval: "1s" });
        for (const flag of [
            `--hostname=${origin}`,
            "--http-address=0.0.0.0",
            "--grpc-address=127.0.0.1",
            "--persistent-antispam",
            "--checkpoint-interval=1s",
        ]) {
            assert.ok(args.includes(flag), flag);
        }
        assert.equal(args[0], "serve");
        for (const bad of ["https://rekor.example.test", "rekor.example.test:443", "Rekor.Example", ""]) assert.equal(isOriginName(bad), false, bad);
        assert.throws(
            () => rekorV2ServerArgs({ origin: "rekor.example.test:443", storageDir: "/d", signerPath: "/k", checkpointInterval: "1s" }),
            /bare host name/,
        );
    });

    it("the read path serves the checkpoint and tiles, never the server's .state", () => {
        const conf = rekorV2ReadPathConfig("/var/lib/rekor");
        assert.match(conf, /root \/var\/lib\/rekor;/);
        assert.match(conf, /location ~ \(\^\|\/\)\\\. \{ return 404; \}/);
        assert.match(conf, /if \(\$request_method !~ \^\(GET\|HEAD\)\$\) \{ return 405; \}/);
    });

    it("the trusted root names a v2 log by its origin's log ID, and refuses a baseUrl whose host is not the origin", async () => {
        const caKey = privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        const ca = await selfSignedCert({
            privateKeyPem: caKey.privateKeyPem,
            subject: { commonName: "test CA" },
            isCaCertificate: true,
            allowedUses: ["cert_signing"],
            validityPeriodHours: 24,
        });
        const root = (baseUrl: string) =>
            buildTrustedRoot({
                certificateAuthorities: [{ url: "https://fulcio.example.test", certChainPem: ca.certPem, validFrom: "2026-01-01T00:00:00Z" }],
                tlogs: [{ baseUrl, publicKeyPem: edKey, validFrom: "2026-01-01T00:00:00Z", checkpointOrigin: origin }],
                ctlogs: [{ baseUrl: "https://ctlog.example.test", publicKeyPem: ecKey, validFrom: "2026-01-01T00:00:00Z" }],
            }) as { tlogs: Array<{ baseUrl: string; logId: { keyId: string } }> };
        assert.deepEqual(root(`https://${origin}`).tlogs[0].logId, { keyId: "x6saAuMl+JGRYZLYc3dkaZiKy/GDPojwjfIMsmIlE5M=" });
        assert.throws(() => root("https://rekor.example.test"), /baseUrl's host rekor.example.test is not the log's checkpoint origin rekor-v2.example.test/);
        const config = buildSigningConfig({
            caUrls: ["https://fulcio.example.test"],
            oidcUrls: ["https://oidc.example.test"],
            rekorUrls: [{ url: `https://${origin}`, majorApiVersion: 2 }],
            validFrom: "2026-01-01T00:00:00Z",
        }) as { rekorTlogUrls: unknown[] };
        assert.deepEqual(config.rekorTlogUrls, [
            { url: `https://${origin}`, majorApiVersion: 2, validFor: { start: "2026-01-01T00:00:00Z" }, operator: "sigstore-onprem" },
        ]);
    });
});
