#!/usr/bin/env node
// Proves Fulcio accepts ID tokens from the loopback issuer:
//
//   node e2e/oidc/fulcio-check.mjs [--fulcio /root/.cache/sigstore-onprem-e2e/bin/fulcio-v1.8.8/fulcio]
//
// Starts issuer.mjs (realm "sigstore", client "sigstore") and `fulcio serve --ca=ephemeralca` with an
// "email"-type OIDCIssuers entry for it (HTTP/gRPC on 127.0.0.1, no CT log), then POSTs
// /api/v2/signingCert with a fresh ECDSA P-256 key and a proof of possession (signature over the email).
// Also checks that a tampered token and a wrong proof of possession are refused. Stops everything.
// Note: fulcio v1.8.8 has no host flag for its Prometheus listener (--metrics-port binds all interfaces).

import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";

import { freePort, startIssuer } from "./run-issuer.mjs";
import { getIdToken } from "./token-client.mjs";

const { values: opt } = parseArgs({
    options: { fulcio: { type: "string", default: "/root/.cache/sigstore-onprem-e2e/bin/fulcio-v1.8.8/fulcio" } },
});
const USER = "alice@corp.example";

let iss;
let fulcio;
let fulcioLog = "";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fulcio-oidc-"));
let failed = false;
try {
    iss = await startIssuer({ port: await freePort(), realm: "sigstore", clientId: "sigstore" });
    const configPath = path.join(tmp, "config.json");
    fs.writeFileSync(
        configPath,
        JSON.stringify(
            {
                OIDCIssuers: { [iss.issuer]: { IssuerURL: iss.issuer, ClientID: "sigstore", Type: "email" } },
            },
            null,
            2,
        ),
    );

    const [httpPort, grpcPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    fulcio = spawn(
        opt.fulcio,
        [
            "serve",
            "--ca=ephemeralca",
            `--config-path=${configPath}`,
            "--ct-log-url=",
            "--host=127.0.0.1",
            `--port=${httpPort}`,
            "--grpc-host=127.0.0.1",
            `--grpc-port=${grpcPort}`,
            `--metrics-port=${metricsPort}`,
            `--legacy-unix-domain-socket=${path.join(tmp, "legacy.sock")}`,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
    );
    fulcio.stdout.on("data", (d) => {
        fulcioLog += d;
    });
    fulcio.stderr.on("data", (d) => {
        fulcioLog += d;
    });
    const fulcioExit = new Promise((resolve) => fulcio.once("exit", (c, s) => resolve(c ?? s)));

    const base = `http://127.0.0.1:${httpPort}`;
    let cfg;
    for (let i = 0; i < 100 && !cfg; i += 1) {
        if (fulcio.exitCode !== null) throw new Error(`fulcio exited: ${fulcio.exitCode}`);
        cfg = await fetch(`${base}/api/v2/configuration`).then(
            (r) => (r.ok ? r.json() : undefined),
            () => undefined,
        );
        if (!cfg) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(cfg, "fulcio did not come up");
    console.error(`  fulcio up on ${base}; configuration: ${JSON.stringify(cfg)}`);

    const token = await getIdToken({ issuer: iss.issuer, clientId: "sigstore", user: USER });
    const { publicKey, privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const request = (tok, signedSubject) =>
        fetch(`${base}/api/v2/signingCert`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
                credentials: { oidcIdentityToken: tok },
                publicKeyRequest: {
                    publicKey: { algorithm: "ECDSA", content: publicKey.export({ type: "spki", format: "pem" }) },
                    // ECDSA-SHA256 (DER) over the identity Fulcio extracts from the token (the email, for Type "email")
                    proofOfPossession: crypto.sign("sha256", Buffer.from(signedSubject), privateKey).toString("base64"),
                },
            }),
        });

    const res = await request(token, USER);
    const body = await res.json();
    assert.equal(res.status, 200, `signingCert: HTTP ${res.status} ${JSON.stringify(body)}`);
    const chain = (body.signedCertificateEmbeddedSct ?? body.signedCertificateDetachedSct).chain.certificates;
    const leaf = new crypto.X509Certificate(chain[0]);
    assert.equal(leaf.subjectAltName, `email:${USER}`);
    assert.ok(leaf.publicKey.equals(publicKey), "certificate carries our public key");
    assert.ok(leaf.verify(new crypto.X509Certificate(chain[chain.length - 1]).publicKey), "leaf chains to the ephemeral CA");
    assert.ok(leaf.raw.includes(Buffer.from(iss.issuer)), "OIDC issuer extension (1.3.6.1.4.1.57264.1.8) carries the issuer URL");
    console.error(
        `  ok: certificate issued: SAN ${leaf.subjectAltName}, issuer "${leaf.issuer.replace(/\n/g, ", ")}", ` +
            `valid ${leaf.validFrom} .. ${leaf.validTo}, chain length ${chain.length}`,
    );

    const [h, p, s] = token.split(".");
    const claims = JSON.parse(Buffer.from(p, "base64url"));
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, email: "mallory@corp.example" })).toString("base64url")}.${s}`;
    const r2 = await request(forged, "mallory@corp.example");
    assert.notEqual(r2.status, 200, "tampered token must be refused");
    console.error(`  ok: tampered token refused: HTTP ${r2.status} ${(await r2.text()).trim()}`);
    const r3 = await request(token, "bob@corp.example");
    assert.notEqual(r3.status, 200, "proof of possession over the wrong subject must be refused");
    console.error(`  ok: wrong proof of possession refused: HTTP ${r3.status} ${(await r3.text()).trim()}`);

    fulcio.kill("SIGTERM");
    const code = await fulcioExit;
    console.error(`  fulcio stopped (${code})`);
    fulcio = undefined;
} catch (err) {
    failed = true;
    console.error(`fulcio check FAILED: ${err.stack || err}\n--- fulcio log ---\n${fulcioLog.slice(-4000)}`);
} finally {
    if (fulcio && fulcio.exitCode === null) {
        fulcio.kill("SIGTERM");
        setTimeout(() => fulcio.kill("SIGKILL"), 5000).unref();
        await new Promise((r) => fulcio.once("exit", r));
    }
    if (iss) await iss.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
}
if (failed) process.exit(1);
console.log("fulcio accepted the OIDC token: OK");
