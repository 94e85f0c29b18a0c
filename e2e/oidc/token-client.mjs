// Non-interactive OIDC login for tests: drives the real authorization-code + PKCE (S256) flow over HTTP
// against e2e/oidc/issuer.mjs (discovery -> /auth -> login form -> resume -> redirect with code -> /token)
// and resolves to the raw ID token (JWT).
//
//   import { getIdToken } from './e2e/oidc/token-client.mjs';
//   const jwt = await getIdToken({ issuer, clientId: 'sigstore', user: 'alice@corp.example' });
//
// Rejects with an Error whose message says which step failed (including the provider's error JSON).

import * as crypto from "node:crypto";

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/** Minimal cookie jar honouring Path and deletion (Max-Age<=0 / Expires in the past). */
class CookieJar {
    #cookies = new Map(); // `${path}\0${name}` -> { name, value, path }

    store(res, url) {
        for (const line of res.headers.getSetCookie()) {
            const [pair, ...attrs] = line.split(";").map((s) => s.trim());
            const eq = pair.indexOf("=");
            const name = pair.slice(0, eq);
            const value = pair.slice(eq + 1);
            let path = url.pathname.replace(/\/[^/]*$/, "") || "/";
            let expired = false;
            for (const attr of attrs) {
                const [k, v = ""] = attr.split("=");
                const key = k.toLowerCase();
                if (key === "path" && v.startsWith("/")) path = v;
                if (key === "max-age" && Number(v) <= 0) expired = true;
                if (key === "expires" && Date.parse(v) <= Date.now()) expired = true;
            }
            const id = `${path}\0${name}`;
            if (expired) this.#cookies.delete(id);
            else this.#cookies.set(id, { name, value, path });
        }
    }

    header(url) {
        const p = url.pathname;
        return [...this.#cookies.values()]
            .filter(({ path }) => p === path || p.startsWith(path.endsWith("/") ? path : `${path}/`))
            .map(({ name, value }) => `${name}=${value}`)
            .join("; ");
    }
}

async function describe(res) {
    const text = (await res.text()).trim().slice(0, 500);
    return `HTTP ${res.status}${text ? `: ${text}` : ""}`;
}

/**
 * @param {{issuer: string, clientId: string, user: string, redirectUri?: string, scope?: string}} opts
 * @returns {Promise<string>} the ID token
 */
export async function getIdToken({ issuer, clientId, user, redirectUri = "http://127.0.0.1/auth/callback", scope = "openid email" }) {
    if (!issuer || !clientId || !user) throw new Error("issuer, clientId and user are required");

    // 1. Discovery; the advertised issuer must match byte for byte (what Fulcio/go-oidc checks too).
    const discoveryUrl = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    const dres = await fetch(discoveryUrl);
    if (!dres.ok) throw new Error(`discovery ${discoveryUrl} failed: ${await describe(dres)}`);
    const meta = await dres.json();
    if (meta.issuer !== issuer) throw new Error(`discovery issuer ${JSON.stringify(meta.issuer)} != ${JSON.stringify(issuer)}`);

    // 2. Authorization request with PKCE, state and nonce.
    const verifier = b64url(crypto.randomBytes(32));
    const state = b64url(crypto.randomBytes(16));
    const nonce = b64url(crypto.randomBytes(16));
    const authUrl = new URL(meta.authorization_endpoint);
    authUrl.search = new URLSearchParams({
        client_id: clientId,
        response_type: "code",
        scope,
        redirect_uri: redirectUri,
        state,
        nonce,
        code_challenge: b64url(crypto.createHash("sha256").update(verifier).digest()),
        code_challenge_method: "S256",
    }).toString();

    // 3. Follow redirects by hand, keeping cookies, and submit the login form when it shows up.
    const jar = new CookieJar();
    let url = authUrl;
    let init = { method: "GET" };
    let callback;
    let loginSubmitted = false;
    for (let hop = 0; hop < 15 && !callback; hop += 1) {
        const headers = { ...(init.headers || {}) };
        const cookie = jar.header(url);
        if (cookie) headers.cookie = cookie;
        const res = await fetch(url, { ...init, headers, redirect: "manual" });
        jar.store(res, url);

        if (res.status >= 300 && res.status < 400) {
            await res.body?.cancel();
            const next = new URL(res.headers.get("location"), url);
            const target = new URL(redirectUri);
            if (next.origin === target.origin && next.pathname === target.pathname) callback = next;
            else {
                url = next;
                init = { method: "GET" };
            }
        } else if (res.status === 200 && !loginSubmitted) {
            const html = await res.text();
            const action = /<form[^>]*\baction="([^"]+)"/i.exec(html)?.[1];
            if (!action || !/name="login"/.test(html)) throw new Error(`unexpected page at ${url}: ${html.slice(0, 200)}`);
            url = new URL(
                action.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(n)),
                url,
            );
            init = {
                method: "POST",
                headers: { "content-type": "application/x-www-form-urlencoded" },
                body: new URLSearchParams({ login: user }).toString(),
            };
            loginSubmitted = true;
        } else {
            throw new Error(`authorization flow failed at ${init.method} ${url.origin}${url.pathname}: ${await describe(res)}`);
        }
    }
    if (!callback) throw new Error("authorization flow did not reach the redirect_uri (too many redirects)");

    const p = callback.searchParams;
    if (p.get("error")) throw new Error(`authorization error: ${p.get("error")}: ${p.get("error_description") ?? ""}`);
    if (p.get("state") !== state) throw new Error("state mismatch in authorization response");
    if (p.has("iss") && p.get("iss") !== issuer) throw new Error(`iss mismatch in authorization response: ${p.get("iss")}`);
    const code = p.get("code");
    if (!code) throw new Error("no code in authorization response");

    // 4. Code exchange (public client: client_id in the body, no secret; PKCE verifier).
    const tres = await fetch(meta.token_endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({
            grant_type: "authorization_code",
            code,
            redirect_uri: redirectUri,
            client_id: clientId,
            code_verifier: verifier,
        }).toString(),
    });
    if (!tres.ok) throw new Error(`token endpoint failed: ${await describe(tres)}`);
    const { id_token: idToken } = await tres.json();
    if (typeof idToken !== "string" || idToken.split(".").length !== 3) throw new Error("token response has no id_token");

    // Cheap sanity check (signature verification is the relying party's job, see selftest.mjs).
    const claims = JSON.parse(Buffer.from(idToken.split(".")[1], "base64url").toString());
    if (claims.nonce !== nonce) throw new Error("nonce mismatch in ID token");
    return idToken;
}
