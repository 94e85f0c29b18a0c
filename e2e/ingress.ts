/**
 * The cluster's ingress controller (ingress-nginx), stood in for by the Debian nginx binary: it
 * serves the program's Ingress objects on <address>:443, each Ingress host resolving there through
 * /etc/hosts, so that clients (cosign, Node) use the stack's exact public URLs
 * `https://<service>.<publicDomain>`. The trust material the program signs (trusted root, signing
 * config) names those URLs, and with this stand-in it works unmodified: nothing is rewritten to a
 * local port.
 *
 * What differs from the cluster, and only that: the serving certificate comes from a throwaway CA
 * made here (clients trust it through `caFile`), not from cert-manager or the Ingress's TLS Secret;
 * and a backend is the local port of its Service (LocalCluster), at the address of the pod behind it.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tls from "node:tls";
import { testCertificates } from "./directory";
import { appLabel, KubeObject, LocalCluster, resolveHostNames, tail } from "./local-cluster";

export interface LocalIngress {
    caFile: string;
    /** PEM of the CA that issued the serving certificate */
    caPem: string;
    address: string;
    hosts: string[];
    stop(): Promise<void>;
}

/** One Ingress path: requests for `host` under `path` go to `backendUrl` (scheme, address and port only). */
export interface IngressRoute {
    host: string;
    path: string;
    /** The Ingress's pathType: "Exact", "Prefix" or "ImplementationSpecific". */
    pathType?: string;
    backendUrl: string;
}

export interface IngressOptions {
    /** Where nginx listens and the hosts resolve; any 127.0.0.0/8 address is loopback on Linux. */
    address?: string;
}

const backendProtocol = "nginx.ingress.kubernetes.io/backend-protocol";
const nginxBinary = "/usr/sbin/nginx";

/** Every rule host and path of the Ingresses, routed to the local port of its Service at its pod's address. */
export function ingressRoutes(c: LocalCluster, ingresses: KubeObject[]): IngressRoute[] {
    return ingresses.flatMap((ingress: any) => {
        const scheme = ingress.metadata?.annotations?.[backendProtocol] === "HTTPS" ? "https" : "http";
        return (ingress.spec?.rules ?? []).flatMap((rule: any) => {
            // A rule without a host would be the controller's catch-all; the program always names its public host.
            if (!rule.host) throw new Error(`an Ingress rule without a host is not supported here: ${JSON.stringify(rule)}`);
            return (rule.http?.paths ?? []).map((p: any): IngressRoute => {
                const backend = p.backend?.service;
                if (!backend) throw new Error(`${rule.host}: only Service backends are supported, not ${JSON.stringify(p.backend)}`);
                const svc = c.objects.services().find((s) => s.metadata.name === backend.name);
                if (!svc) throw new Error(`${rule.host}: the Ingress names Service ${backend.name}, which the program does not create`);
                const port = backend.port.number ?? svc.spec?.ports?.find((x: any) => x.name === backend.port.name)?.port;
                // The pod behind the Service is the app its selector names (its own network namespace has its own address).
                const app = svc.spec?.selector?.[appLabel] ?? backend.name;
                return {
                    host: rule.host,
                    path: p.path ?? "/",
                    pathType: p.pathType,
                    backendUrl: `${scheme}://${c.address(app)}:${c.localPort(backend.name, port)}`,
                };
            });
        });
    });
}

/** Serves the cluster's Ingresses at https://<host> (see the header). */
export async function startIngress(c: LocalCluster, work: string, options: IngressOptions = {}): Promise<LocalIngress> {
    return startIngressFor(ingressRoutes(c, c.objects.ingresses()), work, options.address);
}

/** The TLS-terminating reverse proxy for `routes`, on `address`:443, with its hosts resolving there. */
export async function startIngressFor(routes: IngressRoute[], work: string, address = "127.0.0.44"): Promise<LocalIngress> {
    const hosts = [...new Set(routes.map((r) => r.host))];
    // The dev stack has no ingressClassName, hence no Ingress: an empty proxy would only hide that.
    if (hosts.length === 0) throw new Error("startIngress: no Ingress routes (the stack needs config ingressClassName)");
    if (!fs.existsSync(nginxBinary)) throw new Error(`startIngress needs ${nginxBinary} (Debian package nginx-light)`);
    fs.mkdirSync(work, { recursive: true });
    const cert = testCertificates(
        work,
        "ingress",
        hosts[0],
        hosts.map((h) => `DNS:${h}`),
    );
    const config = path.join(work, "nginx.conf");
    const errorLog = path.join(work, "nginx-error.log");
    fs.writeFileSync(config, nginxConfig(routes, work, address, cert));
    // Before nginx starts: a host that already resolves elsewhere is a setup error, best found with nothing to clean up.
    const releaseHosts = resolveHostNames(`ingress ${address}`, hosts, address);
    let child: ChildProcess | undefined;
    let stopped: Promise<void> | undefined;
    const stop = () =>
        (stopped ??= (async () => {
            if (child) await stopNginx(child);
            releaseHosts();
        })());
    try {
        // A process group of its own: the workers go with the master when it must be killed.
        const out = fs.openSync(path.join(work, "nginx.out"), "w");
        child = spawn(nginxBinary, ["-c", config, "-p", work, "-e", errorLog], { detached: true, stdio: ["ignore", out, out] });
        fs.closeSync(out);
        await waitForTls(child, address, hosts[0], cert.caPem, errorLog);
    } catch (e) {
        await stop();
        throw e;
    }
    return { caFile: cert.caFile, caPem: cert.caPem, address, hosts, stop };
}

function nginxConfig(routes: IngressRoute[], work: string, address: string, cert: { certFile: string; keyFile: string }): string {
    const byHost = new Map<string, IngressRoute[]>();
    for (const r of routes) byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
    const tlsLines = [`ssl_certificate ${cert.certFile};`, `ssl_certificate_key ${cert.keyFile};`, "ssl_protocols TLSv1.2 TLSv1.3;"];
    const servers = [...byHost.entries()].map(([host, hostRoutes]) => {
        const locations = new Map<string, string>();
        for (const r of hostRoutes) {
            for (const match of locationMatches(r)) {
                if (locations.has(match)) throw new Error(`${host}: two Ingress paths match ${match}`);
                locations.set(match, r.backendUrl);
            }
        }
        return [
            "server {",
            `    listen ${address}:443 ssl;`,
            `    server_name ${host};`,
            ...tlsLines.map((l) => `    ${l}`),
            ...[...locations.entries()].flatMap(([match, url]) => [
                `    location ${match} {`,
                // No URI after the address: the request URI goes to the backend unchanged, as ingress-nginx sends it.
                `        proxy_pass ${url};`,
                // The backend's certificate names its in-cluster Service, not this address; ingress-nginx does not verify it by default either.
                ...(url.startsWith("https:") ? ["        proxy_ssl_verify off;"] : []),
                "    }",
            ]),
            "}",
        ].join("\n");
    });
    const under = (name: string) => path.join(work, name);
    return [
        // Root's workers would otherwise run as nobody, who cannot write the temp paths under `work`.
        ...(process.getuid?.() === 0 ? ["user root;"] : []),
        "daemon off;",
        "master_process on;",
        "worker_processes 1;",
        `pid ${under("nginx.pid")};`,
        `error_log ${under("nginx-error.log")} info;`,
        "events { worker_connections 1024; }",
        "http {",
        `    access_log ${under("nginx-access.log")};`,
        ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `    ${t}_temp_path ${under(`nginx-${t}-temp`)};`),
        // Rekor's entries and Fulcio's requests can exceed nginx's 1m default; ingress-nginx is usually configured larger.
        "    client_max_body_size 32m;",
        "    proxy_http_version 1.1;",
        // The servers see the public host and scheme, as behind ingress-nginx.
        "    proxy_set_header Host $host;",
        "    proxy_set_header X-Real-IP $remote_addr;",
        "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "    proxy_set_header X-Forwarded-Host $host;",
        "    proxy_set_header X-Forwarded-Proto $scheme;",
        // Unknown Host (or SNI): 404, as ingress-nginx's default backend answers.
        "    server {",
        `        listen ${address}:443 ssl default_server;`,
        ...tlsLines.map((l) => `        ${l}`),
        "        return 404;",
        "    }",
        ...servers.map((s) => s.replace(/^/gm, "    ")),
        "}",
        "",
    ].join("\n");
}

/** nginx location matches for an Ingress path, by pathType as ingress-nginx reads them. */
function locationMatches(r: IngressRoute): string[] {
    if (/[\s{};]/.test(r.path)) throw new Error(`${r.host}: unsupported Ingress path ${JSON.stringify(r.path)}`);
    if (r.pathType === "Exact") return [`= ${r.path}`];
    // Prefix matches whole path elements: /api matches /api and /api/x, not /apix.
    if (r.pathType === "Prefix" && !r.path.endsWith("/")) return [`= ${r.path}`, `${r.path}/`];
    return [r.path];
}

/** Ready once a client that trusts the CA completes a handshake for `host`: a listening socket alone may still lack the certificate. */
async function waitForTls(child: ChildProcess, address: string, host: string, ca: string, errorLog: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${tail(errorLog)}`);
        try {
            await new Promise<void>((resolve, reject) => {
                const socket = tls.connect({ host: address, port: 443, servername: host, ca }, () => {
                    socket.end();
                    resolve();
                });
                socket.on("error", reject);
            });
            return;
        } catch (e) {
            last = e;
            await new Promise((r) => setTimeout(r, 100));
        }
    }
    throw new Error(`nginx did not accept TLS on ${address}:443 within ${timeoutMs} ms (${String(last)}):\n${tail(errorLog)}`);
}

/** SIGQUIT (nginx's graceful shutdown), then SIGKILL to its whole group after 5 s. */
async function stopNginx(child: ChildProcess): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGQUIT");
        const timer = new Promise((r) => setTimeout(() => r("timeout"), 5000));
        if ((await Promise.race([exited, timer])) === "timeout") child.kill("SIGKILL");
        await exited;
    }
    try {
        // Orphaned workers outlive a killed master.
        process.kill(-child.pid!, "SIGKILL");
    } catch {
        // The group is gone already.
    }
}
