/**
 * The program's nginx-unprivileged containers, run by the Debian nginx binary from their own
 * objects: the TUF repository's pod (its server block and the signed files, mounted at the item
 * paths the Deployment gives them) and Rekor v2's read path (its server block over the log's
 * volume). What the image adds around a server block is its main nginx.conf; this is that file
 * with this run's paths (pid, temp directories, the conf.d mount).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tufService } from "../components/tuf-repository";
import { anyPod, LocalCluster } from "./local-cluster";

export const nginxBinary = "/usr/sbin/nginx";

/** nginx-unprivileged's /etc/nginx/nginx.conf, its paths under `dir` and the conf.d mount at `confD`. */
export function nginxMainConfig(dir: string, confD: string): string {
    const temp = (name: string) => `${name}_temp_path ${path.join(dir, `${name}_temp`)};`;
    return [
        // The materialised files are root's (mode 0600): the workers read them as the user the master runs as.
        ...(process.getuid?.() === 0 ? ["user root;"] : []),
        "worker_processes 1;",
        `pid ${path.join(dir, "nginx.pid")};`,
        "events { worker_connections 1024; }",
        "http {",
        `    ${temp("client_body")} ${temp("proxy")} ${temp("fastcgi")} ${temp("uwsgi")} ${temp("scgi")}`,
        "    default_type application/octet-stream;",
        `    access_log ${path.join(dir, "access.log")};`,
        "    sendfile on;",
        `    include ${confD}/*.conf;`,
        "}",
        "",
    ].join("\n");
}

/**
 * Starts an nginx-unprivileged container of `app`'s pod (`container`, by name; default the first)
 * from the program's objects. The kubelet gives the pod its own address; here the server block
 * listens on its Service's local port. Restart: stop it and call this again with the new objects.
 */
export async function startNginxContainer(
    c: LocalCluster,
    app: string,
    options: { container?: string; verbatim?: (file: string) => boolean } = {},
): Promise<void> {
    if (!fs.existsSync(nginxBinary)) throw new Error(`${app} needs ${nginxBinary} (Debian package nginx-light)`);
    const name = c.processName(app, anyPod, options.container);
    const dir = path.join(c.workDir, `${name}-nginx`);
    fs.mkdirSync(dir, { recursive: true });
    const confD = path.join(c.podRoot(name), "etc", "nginx", "conf.d");
    const main = path.join(dir, "nginx.conf");
    fs.writeFileSync(main, nginxMainConfig(dir, confD));
    await c.start(app, nginxBinary, [], anyPod, true, {
        prefix: ["-p", dir, "-e", path.join(dir, "error.log"), "-c", main, "-g", "daemon off;"],
        rewriteFile: (file, text) =>
            file.endsWith(".conf") ? text.replace(/listen (\d+);/, (_, port) => `listen 127.0.0.1:${c.localPort(app, port)};`) : text,
        verbatim: options.verbatim,
        container: options.container,
    });
}

/** The TUF server: its signed files are served byte for byte. */
export function startTufServer(c: LocalCluster): Promise<void> {
    return startNginxContainer(c, tufService, { verbatim: (file) => file.startsWith(path.join("usr", "share", "tuf")) });
}
