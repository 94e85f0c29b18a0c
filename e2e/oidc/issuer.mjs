#!/usr/bin/env node
// Loopback OIDC provider standing in for Keycloak in the Sigstore e2e tests.
//
//   node e2e/oidc/issuer.mjs --port <p> --realm <realm> --client-id <id> [--host 127.0.0.1] [--alg RS256|ES256]
//
// Issuer: http://<host>:<port>/realms/<realm>  (Keycloak >= 17 shape, no /auth prefix).
// Endpoints use Keycloak's paths below the issuer (/protocol/openid-connect/{auth,token,certs,userinfo}),
// discovery is at <issuer>/.well-known/openid-configuration.
// Any login "<user>@<domain>" is accepted (no password) and gets
// sub = email = <login>, email_verified = true, as Fulcio's "email" issuer type requires.
// Everything (keys, sessions, codes) lives in memory only. `--port 0` picks a free port.
// ID tokens are signed RS256 by default (Keycloak's default). Keep it: cosign v3.1.2 treats an
// --identity-token value that does not parse as an RS256 JWS as a *file path* (internal/auth/auth.go idToken()).
// Prints exactly one line "ready <issuer>" on stdout once listening; all diagnostics go to stderr.

import * as crypto from "node:crypto";
import * as http from "node:http";
import { parseArgs } from "node:util";

// oidc-provider prints notices with console.info (stdout); keep stdout for the "ready" line only.
// This must happen before oidc-provider is loaded, hence the dynamic import below.
console.info = console.log = (...args) => console.error(...args);
const { default: Provider } = await import("oidc-provider");

const { values: opt } = parseArgs({
    options: {
        port: { type: "string" },
        realm: { type: "string" },
        "client-id": { type: "string" },
        host: { type: "string", default: "127.0.0.1" },
        alg: { type: "string", default: "RS256" },
    },
});
function die(msg) {
    console.error(`issuer: ${msg}`);
    process.exit(2);
}
if (!opt.port || !/^\d+$/.test(opt.port)) die("--port <number> is required");
if (!opt.realm || !/^[A-Za-z0-9._-]+$/.test(opt.realm)) die("--realm <name> is required ([A-Za-z0-9._-])");
if (!opt["client-id"]) die("--client-id <id> is required");
if (!["127.0.0.1", "::1", "localhost"].includes(opt.host)) die("--host must be a loopback address");
if (!["ES256", "RS256"].includes(opt.alg)) die("--alg must be RS256 or ES256");

const prefix = `/realms/${opt.realm}`; // the provider is mounted below this path
const interactionPath = `${prefix}/interaction/`; // our own minimal login UI

// Listen first so that --port 0 works; the issuer URL needs the real port.
let provider; // set once listening
const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
        console.error("issuer: request failed:", err);
        if (!res.headersSent) {
            res.statusCode = 500;
            res.end("internal error\n");
        } else res.destroy();
    });
});
await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(opt.port), opt.host, resolve);
}).catch((err) => die(`cannot listen on ${opt.host}:${opt.port}: ${err.message}`));
const hostPart = opt.host.includes(":") ? `[${opt.host}]` : opt.host;
const issuer = `http://${hostPart}:${server.address().port}${prefix}`; // no trailing slash

// Fresh signing key per process, never written to disk.
const { privateKey } =
    opt.alg === "ES256" ? crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }) : crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: "jwk" }), alg: opt.alg, use: "sig", kid: crypto.randomUUID() };

const EMAIL = /^[^@\s/]+@[^@\s/]+$/;

provider = new Provider(issuer, {
    clients: [
        {
            client_id: opt["client-id"],
            token_endpoint_auth_method: "none", // public client; PKCE (S256) is enforced for these by default
            // "web" (not "native": oidc-provider forces a consent prompt for native clients). Nothing listens on
            // the redirect URI; the token client just reads the code off the redirect's Location header.
            application_type: "web",
            redirect_uris: ["http://127.0.0.1/auth/callback"],
            grant_types: ["authorization_code"],
            response_types: ["code"],
            id_token_signed_response_alg: opt.alg,
        },
    ],
    responseTypes: ["code"],
    jwks: { keys: [signingJwk] },
    cookies: { keys: [crypto.randomBytes(32).toString("base64url")] },
    routes: {
        // Keycloak's endpoint paths
        authorization: "/protocol/openid-connect/auth",
        token: "/protocol/openid-connect/token",
        jwks: "/protocol/openid-connect/certs",
        userinfo: "/protocol/openid-connect/userinfo",
        end_session: "/protocol/openid-connect/logout",
    },
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    conformIdTokenClaims: false, // put the scope's claims (email, email_verified) into the ID token itself
    findAccount: (ctx, id) => (EMAIL.test(id) ? { accountId: id, claims: () => ({ sub: id, email: id, email_verified: true }) } : undefined),
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `${interactionPath}${interaction.uid}` },
    // First-party client, no consent screen (Keycloak "Consent required: off"): grant what was asked.
    async loadExistingGrant(ctx) {
        const grant = new ctx.oidc.provider.Grant({
            clientId: ctx.oidc.client.clientId,
            accountId: ctx.oidc.session.accountId,
        });
        grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(" "));
        await grant.save();
        return grant;
    },
    ttl: { IdToken: 600, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
    renderError(ctx, out) {
        // plain text errors, easy to surface in test logs
        ctx.type = "text/plain";
        ctx.body = `${JSON.stringify(out)}\n`;
    },
});
const providerCallback = provider.callback();
provider.on("server_error", (ctx, err) => console.error("issuer: server_error:", err));

const page = (body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>login</title></head><body>${body}</body></html>`;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req) {
    let body = "";
    for await (const chunk of req) {
        body += chunk;
        if (body.length > 16384) throw new Error("form too large");
    }
    return new URLSearchParams(body);
}

// Minimal login interaction: GET shows a form with a single "login" field, POST .../login completes it.
async function interaction(req, res, rest) {
    const [uid, action] = rest.split("/");
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error("interaction mismatch");
    if (details.prompt.name !== "login") throw new Error(`unsupported prompt ${details.prompt.name}`);
    if (req.method === "GET" && action === undefined) {
        res.setHeader("Content-Type", "text/html; charset=utf-8");
        res.end(
            page(
                `<form method="post" action="${esc(`${interactionPath}${uid}/login`)}">` +
                    '<input name="login" placeholder="user@domain" autofocus><button type="submit">Sign in</button></form>',
            ),
        );
        return;
    }
    if (req.method === "POST" && action === "login") {
        const login = (await readForm(req)).get("login") ?? "";
        if (!EMAIL.test(login)) {
            res.statusCode = 400;
            res.setHeader("Content-Type", "text/plain");
            res.end("invalid login: expected <user>@<domain>\n");
            return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
        return;
    }
    res.statusCode = 405;
    res.end();
}

async function handle(req, res) {
    const path = req.url.split("?")[0];
    try {
        if (path.startsWith(interactionPath)) return await interaction(req, res, path.slice(interactionPath.length));
    } catch (err) {
        res.statusCode = 400;
        res.setHeader("Content-Type", "text/plain");
        res.end(`interaction error: ${err.message}\n`);
        return undefined;
    }
    if (path === prefix || path.startsWith(`${prefix}/`)) {
        // Mount like Express does: the provider sees the path below the prefix and derives
        // its absolute URLs from originalUrl, so every endpoint URL carries the /realms/<realm> prefix.
        req.originalUrl = req.url;
        req.url = req.url.slice(prefix.length) || "/";
        return providerCallback(req, res);
    }
    res.statusCode = 404;
    res.setHeader("Content-Type", "text/plain");
    res.end("not found\n");
    return undefined;
}

function shutdown(signal) {
    console.error(`issuer: ${signal}, shutting down`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
}
process.once("SIGTERM", () => shutdown("SIGTERM"));
process.once("SIGINT", () => shutdown("SIGINT"));

process.stdout.write(`ready ${issuer}\n`);
