/**
 * Rekor v2's pod, run from the program's StatefulSet: the real rekor-tiles POSIX server with the
 * first container's flags and mounts (its volume the claim's directory here), and its read path,
 * the Debian nginx with the second container's server block over the same directory.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { rekorV2Service } from "../components/rekor-v2";
import { rekorV2Ports } from "../lib/rekor-v2";
import { anyPod, freePort, LocalCluster } from "./local-cluster";
import { nginxBinary, nginxMainConfig } from "./tuf-server";

export async function startRekorV2(c: LocalCluster, server: string): Promise<void> {
    await c.allocateServicePorts();
    // The gRPC listener is the HTTP gateway's alone (loopback in the pod): here a free port of its own.
    await c.start(rekorV2Service, server, [`--grpc-port=${await freePort()}`], anyPod, true, { drop: (a) => a.startsWith("--grpc-port=") });
    const pod = c.objects.workload(rekorV2Service).spec.template.spec;
    const claim = pod.volumes.find((v: any) => v.persistentVolumeClaim).persistentVolumeClaim.claimName;
    const readPath = pod.volumes.find((v: any) => v.name === "read-path").configMap.name;
    const dir = path.join(c.workDir, "rekor-v2-read-path");
    const confD = path.join(dir, "conf.d");
    fs.mkdirSync(confD, { recursive: true });
    const storageMount = pod.containers[1].volumeMounts.find((m: any) => m.name === "data").mountPath;
    fs.writeFileSync(
        path.join(confD, "default.conf"),
        c
            .objectData("ConfigMap", readPath)
            ["default.conf"].replace(`root ${storageMount};`, `root ${path.join(c.workDir, "volumes", claim)};`)
            .replace(`listen ${rekorV2Ports.read};`, `listen 127.0.0.1:${c.localPort(rekorV2Service, rekorV2Ports.read)};`),
    );
    fs.writeFileSync(path.join(dir, "nginx.conf"), nginxMainConfig(dir, confD));
    const logFile = path.join(c.workDir, "rekor-v2-read-path.log");
    const log = fs.openSync(logFile, "w");
    const child = spawn(nginxBinary, ["-p", dir, "-e", path.join(dir, "error.log"), "-c", path.join(dir, "nginx.conf"), "-g", "daemon off;"], {
        stdio: ["ignore", log, log],
    });
    c.processes.push({ name: "rekor-v2-read-path", child, logFile, binary: nginxBinary, adapt: {} });
    for (let i = 0; i < 50; i++) {
        if ((await fetch(`http://127.0.0.1:${c.localPort(rekorV2Service, rekorV2Ports.read)}/healthz`).catch(() => undefined))?.ok) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Rekor v2's read path did not start: ${fs.readFileSync(path.join(dir, "error.log"), "utf8")}`);
}
