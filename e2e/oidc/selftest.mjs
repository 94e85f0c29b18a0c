#!/usr/bin/env node
// Self-test of the loopback OIDC issuer:  node e2e/oidc/selftest.mjs
// Starts issuer.mjs on a free 127.0.0.1 port, gets an ID token for alice@corp.example through the
// get-token.mjs CLI (real auth-code + PKCE flow over HTTP), verifies it with `jose` against the JWKS
// from discovery, runs negative checks, stops the issuer. Prints "oidc selftest OK" on success.

import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as jose from "jose";

import { freePort, startIssuer } from "./run-issuer.mjs";
import { getIdToken } from "./token-client.mjs";

const REALM = "sigstore";
const CLIENT_ID = "sigstore";
const USER = "alice@corp.example";
const GET_TOKEN = fileURLToPath(new URL("./get-token.mjs", import.meta.url));

const rejects = async (promise, pattern, what) => {
    await assert.rejects(
        promise,
        (err) => {
            assert.match(err.message, pattern, `${what}: unexpected error ${err.message}`);
            return true;
        },
        `${what} should have been refused`,
    );
    console.error(`  ok: ${what} refused`);
};

let iss;
let failed = false;
try {
    const port = await freePort();
    iss = await startIssuer({ port, realm: REALM, clientId: CLIENT_ID });
    const expectedIssuer = `http://127.0.0.1:${port}/realms/${REALM}`;
    assert.equal(iss.issuer, expectedIssuer, "ready line must carry the exact issuer");
    console.error(`  issuer ready: ${iss.issuer}`);

    // Discovery + JWKS.
    const meta = await (await fetch(`${iss.issuer}/.well-known/openid-configuration`)).json();
    assert.equal(meta.issuer, expectedIssuer, "discovery issuer");
    assert.ok(meta.jwks_uri.startsWith(`${expectedIssuer}/`), "jwks_uri under the issuer");
    const jwks = await (await fetch(meta.jwks_uri)).json();
    assert.ok(jwks.keys.length >= 1 && jwks.keys.every((k) => !k.d), "JWKS has public keys only");

    // Token via the CLI (exactly what a shell-driven test would do).
    const { stdout } = await promisify(execFile)(process.execPath, [GET_TOKEN, "--issuer", iss.issuer, "--client-id", CLIENT_ID, "--user", USER]);
    assert.match(stdout, /^[\w-]+\.[\w-]+\.[\w-]+$/, "get-token stdout must be exactly one JWT");

    const { payload, protectedHeader } = await jose.jwtVerify(stdout, jose.createRemoteJWKSet(new URL(meta.jwks_uri)), {
        issuer: expectedIssuer,
        audience: CLIENT_ID,
        algorithms: meta.id_token_signing_alg_values_supported,
    });
    assert.equal(payload.iss, expectedIssuer, "iss (exact, no trailing slash)");
    assert.equal(payload.aud, CLIENT_ID, "aud");
    assert.equal(payload.sub, USER, "sub");
    assert.equal(payload.email, USER, "email");
    assert.equal(payload.email_verified, true, "email_verified");
    assert.ok(payload.exp > Date.now() / 1000, "exp in the future");
    console.error(`  ok: token verified (alg ${protectedHeader.alg}, kid ${protectedHeader.kid}, exp in ${payload.exp - Math.floor(Date.now() / 1000)} s)`);

    // The importable function gives a fresh, equally valid token.
    const t2 = await getIdToken({ issuer: iss.issuer, clientId: CLIENT_ID, user: "bob@other.example" });
    const v2 = await jose.jwtVerify(t2, jose.createLocalJWKSet(jwks), { issuer: expectedIssuer, audience: CLIENT_ID });
    assert.equal(v2.payload.email, "bob@other.example");
    console.error("  ok: getIdToken() module function");

    // Negative checks.
    await rejects(getIdToken({ issuer: iss.issuer, clientId: "not-a-client", user: USER }), /invalid_client/, "unknown client_id");
    await rejects(getIdToken({ issuer: iss.issuer, clientId: CLIENT_ID, user: "alice" }), /invalid login/, "login without @domain");
    await rejects(getIdToken({ issuer: `${iss.issuer}/`, clientId: CLIENT_ID, user: USER }), /discovery issuer/, "issuer with trailing slash");
    await rejects(
        promisify(execFile)(process.execPath, [GET_TOKEN, "--issuer", iss.issuer, "--client-id", "not-a-client", "--user", USER]),
        /get-token: .*invalid_client/,
        "get-token CLI with unknown client_id",
    );
    const [h, p, s] = stdout.split(".");
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, email: "mallory@corp.example" })).toString("base64url")}.${s}`;
    await rejects(jose.jwtVerify(forged, jose.createLocalJWKSet(jwks)), /signature verification failed/, "tampered token");
    await rejects(jose.jwtVerify(`${h}.${p}.${s}`, jose.createLocalJWKSet(jwks), { audience: "other-client" }), /"aud"/, "token for another audience");

    // PKCE is mandatory for this public client: an authorization request without code_challenge is refused.
    const noPkce = new URL(meta.authorization_endpoint);
    noPkce.search = new URLSearchParams({
        client_id: CLIENT_ID,
        response_type: "code",
        scope: "openid email",
        redirect_uri: "http://127.0.0.1/auth/callback",
        state: "s",
    });
    const noPkceRes = await fetch(noPkce, { redirect: "manual" });
    const noPkceErr = new URL(noPkceRes.headers.get("location") ?? "about:blank").searchParams;
    assert.equal(noPkceErr.get("error"), "invalid_request", "auth request without PKCE must be refused");
    console.error(`  ok: auth request without PKCE refused (${noPkceErr.get("error_description")})`);
} catch (err) {
    failed = true;
    console.error(`oidc selftest FAILED: ${err.stack || err}`);
    if (iss) console.error(`issuer stderr:\n${iss.stderr()}`);
} finally {
    if (iss) {
        const code = await iss.stop();
        if (code !== 0) {
            failed = true;
            console.error(`issuer did not exit cleanly on SIGTERM (${code})`);
        }
    }
}
if (failed) process.exit(1);
console.log("oidc selftest OK");
