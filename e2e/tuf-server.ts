/**
 * The TUF repository's pod, run by the Debian nginx binary from the program's own objects: its
 * server block (ConfigMap tuf-nginx) and the signed files (the content ConfigMap, mounted at the
 * item paths the Deployment gives them). What the image adds around the server block is its main
 * nginx.conf; this is that file with this run's paths (pid, temp directories, the conf.d mount).
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

/** Starts the TUF server from the program's Deployment (restart: stop it and call this again with the new objects). */
export async function startTufServer(c: LocalCluster): Promise<void> {
    if (!fs.existsSync(nginxBinary)) throw new Error(`the TUF server needs ${nginxBinary} (Debian package nginx-light)`);
    const dir = path.join(c.workDir, "tuf-nginx");
    fs.mkdirSync(dir, { recursive: true });
    // start() materialises the pod's volumes under <workDir>/<app>/<mountPath>.
    const confD = path.join(c.workDir, tufService, "etc", "nginx", "conf.d");
    const main = path.join(dir, "nginx.conf");
    fs.writeFileSync(main, nginxMainConfig(dir, confD));
    await c.start(tufService, nginxBinary, [], anyPod, true, {
        prefix: ["-p", dir, "-e", path.join(dir, "error.log"), "-c", main, "-g", "daemon off;"],
        // The kubelet gives the pod its own address; here it listens on its Service's local port.
        rewriteFile: (file, text) =>
            file.endsWith(".conf") ? text.replace(/listen (\d+);/, (_, port) => `listen 127.0.0.1:${c.localPort(tufService, port)};`) : text,
        verbatim: (file) => file.startsWith(path.join("usr", "share", "tuf")),
    });
}
