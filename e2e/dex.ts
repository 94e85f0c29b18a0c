/**
 * The program's Dex (identityProvider "dex") as the stack's issuer, run from the program's own
 * config Secret by the real Dex binary at the pinned version, in front of the run's slapd.
 *
 * What differs from the cluster, and only that: in the cluster the Ingress terminates TLS for
 * https://oidc.<publicDomain> with a certificate from the organisation's CA (oidcIssuerCaCert) and
 * forwards to Dex's plain HTTP port. Here Dex itself stands in for the Ingress: its `web.http`
 * listener becomes `web.https` on the issuer URL's port with such a certificate, and its telemetry
 * listener moves to the local port of its Service. The issuer's host resolves to 127.0.0.1
 * (/etc/hosts), so Fulcio, cosign and the login below all use the issuer URL exactly as configured.
 *
 * The Dex binary is not served by the Go module proxy: SIGSTORE_DEX_BINARY names one built from the
 * upstream source at upstream.dex (default ~/dex-bin/dex; docs/testing.md, "End-to-end").
 */
import * as crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { dexPorts } from "../lib/dex-config";
import { upstream } from "../versions";
import { Directory, dexBindDn, DirectoryUser, directoryUsers, peopleBase, signersGroup, suffix, testCertificates } from "./directory";
import type { IssuerRunner } from "./harness";
import { anyPod, freePort, LocalCluster, resolveHostNames } from "./local-cluster";

export const dexBinary = process.env.SIGSTORE_DEX_BINARY ?? path.join(os.homedir(), "dex-bin", "dex");

/** Why the Dex scenario cannot run here, or undefined when it can. */
export function dexUnavailable(): string | undefined {
    if (!fs.existsSync(dexBinary)) return `no Dex binary at ${dexBinary} (set SIGSTORE_DEX_BINARY to a dex ${upstream.dex} built from source)`;
    const version = execFileSync(dexBinary, ["version"], { encoding: "utf8" });
    if (!version.includes(`Dex Version: ${upstream.dex}`)) return `${dexBinary} is not Dex ${upstream.dex}: ${version.split("\n")[0]}`;
    return undefined;
}

/** The dev stack's public domain: Dex is at https://oidc.<it>. */
const issuerHost = "oidc.sigstore.dev.corp.example";

export interface LoginResult {
    /** The ID token, when Dex issued one. */
    idToken?: string;
    /** Where the login stopped otherwise: the status and Dex's message on the login page. */
    refusal?: string;
}

export interface DexIssuer extends IssuerRunner {
    issuerUrl: string;
    /** The edge CA (oidcIssuerCaCert) clients trust the issuer with. */
    edgeCaPem: string;
    /** cosign's login, driven by the test: authorization code with PKCE, user and password on Dex's LDAP form. */
    login(user: DirectoryUser): Promise<LoginResult>;
}

interface Reply {
    status: number;
    location?: string;
    body: string;
}

export async function dexIssuer(work: string, directory: Directory): Promise<DexIssuer> {
    const port = await freePort();
    const issuerUrl = `https://${issuerHost}:${port}`;
    const edge = testCertificates(path.join(work, "edge"), "edge", issuerHost, [`DNS:${issuerHost}`]);
    let releaseHost: (() => void) | undefined;

    /** The Ingress stand-in (see the header): Dex serves the edge certificate on the issuer's port. */
    const asIngress = (cluster: LocalCluster) => (file: string, text: string) => {
        if (!file.endsWith("config.yaml")) return text;
        const config = YAML.parse(text);
        if (config.web?.http !== `0.0.0.0:${dexPorts.http}`)
            throw new Error(`Dex's config listens on ${JSON.stringify(config.web)}, not the port its Service targets`);
        config.web = { https: `127.0.0.1:${port}`, tlsCert: edge.certFile, tlsKey: edge.keyFile };
        config.telemetry = { http: `127.0.0.1:${cluster.localPort("dex", dexPorts.metrics)}` };
        return YAML.stringify(config);
    };

    const request = (method: "GET" | "POST", url: string, form?: Record<string, string>) =>
        new Promise<Reply>((resolve, reject) => {
            const body = form ? new URLSearchParams(form).toString() : undefined;
            const req = https.request(
                url,
                {
                    method,
                    ca: edge.caPem,
                    headers: body ? { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } : {},
                },
                (res) => {
                    let text = "";
                    res.setEncoding("utf8");
                    res.on("data", (c) => (text += c));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: text }));
                },
            );
            req.on("error", reject);
            req.end(body);
        });

    async function login(user: DirectoryUser): Promise<LoginResult> {
        const clientId = "sigstore";
        const redirectUri = "http://localhost:43117/auth/callback"; // cosign's kind: loopback, any port; never dialled here
        const verifier = crypto.randomBytes(32).toString("base64url");
        const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
        const authorize = `${issuerUrl}/auth?${new URLSearchParams({
            client_id: clientId,
            redirect_uri: redirectUri,
            response_type: "code",
            scope: "openid email",
            state: "e2e-state",
            nonce: "e2e-nonce",
            code_challenge: challenge,
            code_challenge_method: "S256",
        })}`;
        // Follow Dex's redirects to its LDAP login form, submit it, and follow on to the callback.
        let url = authorize;
        let reply = await request("GET", url);
        let submitted = false;
        for (let hops = 0; hops < 10; hops++) {
            if (reply.location?.startsWith(redirectUri)) {
                const code = new URL(reply.location).searchParams.get("code");
                if (!code) return { refusal: `callback without a code: ${reply.location}` };
                const token = await request("POST", `${issuerUrl}/token`, {
                    grant_type: "authorization_code",
                    code,
                    redirect_uri: redirectUri,
                    client_id: clientId,
                    code_verifier: verifier,
                });
                const idToken = token.status === 200 ? JSON.parse(token.body).id_token : undefined;
                return idToken ? { idToken } : { refusal: `token endpoint ${token.status}: ${token.body}` };
            }
            if (reply.status >= 300 && reply.status < 400 && reply.location) {
                url = new URL(reply.location, url).toString();
                reply = await request("GET", url);
                continue;
            }
            const form = /<form method="post" action="([^"]*)"/.exec(reply.body);
            if (reply.status === 200 && form && !submitted) {
                url = new URL(form[1].replace(/&amp;/g, "&"), url).toString();
                reply = await request("POST", url, { login: user.uid, password: user.password });
                submitted = true;
                continue;
            }
            const message =
                /<div[^>]*id="login-error"[^>]*>([\s\S]*?)<\/div>/.exec(reply.body)?.[1].trim() ??
                reply.body
                    .replace(/<[^>]+>/g, " ")
                    .replace(/\s+/g, " ")
                    .slice(0, 300);
            return { refusal: `${reply.status}: ${message}` };
        }
        return { refusal: "too many redirects" };
    }

    return {
        issuerUrl,
        edgeCaPem: edge.caPem,
        overrides: {
            identityProvider: "dex",
            oidcIssuerUrl: issuerUrl,
            oidcIssuerCaCert: edge.caPem,
            emailDomain: "corp.example",
            ldapHost: directory.host,
            ldapPort: String(directory.port),
            ldapTransport: "ldaps",
            ldapCaCert: directory.caPem,
            ldapBindDn: dexBindDn,
            ldapBindPassword: directory.bindPassword,
            ldapUserBaseDn: peopleBase,
            ldapSignerGroups: signersGroup,
            ldapGroupBaseDn: `ou=groups,${suffix}`,
            ldapEgressCidrs: "127.0.0.1/32",
        },
        async start(cluster) {
            releaseHost = resolveHostNames(`dex issuer ${issuerHost}`, [issuerHost]);
            await cluster.start("dex", dexBinary, [], anyPod, true, { rewriteFile: asIngress(cluster) });
        },
        async token() {
            const result = await login(directoryUsers.alice);
            if (!result.idToken) throw new Error(`alice got no token from Dex: ${result.refusal}`);
            return result.idToken;
        },
        login,
        async stop() {
            releaseHost?.();
        },
    };
}
