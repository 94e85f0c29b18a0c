/**
 * A tiny "kubelet" for the end-to-end suite: runs the program's Deployments as local processes with
 * exactly the args, env, ConfigMaps and Secrets the program registered (as recorded by the mocks).
 *
 * The translation from the cluster to this machine is small and explicit, and is all here:
 *  - every Service port gets a free loopback port: "<svc>.<ns>.svc:<port>" → "127.0.0.1:<local>",
 *    a host-only "<svc>.<ns>.svc" → "127.0.0.1" and its companion port flag → <local>;
 *  - a container's own listen address "0.0.0.0:<port>" (or its bare port flag) → its local port;
 *  - each volume mount path → a temp dir holding the ConfigMap/Secret keys as files, byte for byte;
 *  - the same host and path rewriting is applied inside mounted files (the CT config names both);
 *  - image → locally built binary of the same version.
 * Nothing else is changed: if a flag, key, password or file is wrong, the real server fails.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { MockCloud, RegisteredResource } from "../tests/support/mocks";

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address() as net.AddressInfo;
            srv.close(() => resolve(port));
        });
    });
}

/** Flags whose value is a port of another Service, named by the host flag beside them. */
const companionPortFlags: Record<string, string> = {
    "--trillian_log_server.port": "--trillian_log_server.address",
    "--redis_server.port": "--redis_server.address",
};

/** Flags whose value is one of the container's own ports. */
const ownPortFlags = ["--port", "--grpc-port", "--metrics-port"];

export interface RunningProcess { name: string; child: ChildProcess; logFile: string }

export class LocalCluster {
    readonly processes: RunningProcess[] = [];
    /** "<service>:<port>" → local port. */
    readonly ports = new Map<string, number>();

    constructor(private readonly cloud: MockCloud, readonly namespace: string, readonly workDir: string) {
        fs.mkdirSync(workDir, { recursive: true });
    }

    /** Allocates local ports for every Service port the program declares. */
    async allocateServicePorts(): Promise<void> {
        for (const svc of this.cloud.ofType("kubernetes:core/v1:Service")) {
            for (const p of svc.inputs.spec?.ports ?? []) {
                const key = `${svc.inputs.metadata.name}:${p.port}`;
                if (!this.ports.has(key)) this.ports.set(key, await freePort());
            }
        }
    }

    localPort(service: string, port: number | string): number {
        const local = this.ports.get(`${service}:${port}`);
        if (local === undefined) throw new Error(`no Service port ${service}:${port} in the program`);
        return local;
    }

    /** "service:port=local ..." for fake-kubectl. */
    servicePortsEnv(): string {
        return [...this.ports.entries()].map(([k, v]) => `${k}=${v}`).join(" ");
    }

    /** The recorded object data (ConfigMap data, or Secret stringData/data decoded). */
    objectData(kind: "ConfigMap" | "Secret", name: string): Record<string, string> {
        const type = kind === "ConfigMap" ? "kubernetes:core/v1:ConfigMap" : "kubernetes:core/v1:Secret";
        const obj = this.cloud.ofType(type).find((r) => r.state.metadata?.name === name);
        if (!obj) throw new Error(`${kind} ${name} is referenced but not created by the program`);
        const data: Record<string, string> = { ...(obj.inputs.stringData ?? {}) };
        for (const [k, v] of Object.entries<string>(obj.inputs.data ?? {})) data[k] = kind === "Secret" ? Buffer.from(v, "base64").toString("utf8") : v;
        return data;
    }

    /** Rewrites in-cluster host names and mount paths for this machine. */
    translate(text: string, mounts: Record<string, string>): string {
        let out = text.replace(/([a-z0-9-]+)\.([a-z0-9-]+)\.svc:(\d+)/g, (m, svc, ns, port) =>
            ns === this.namespace ? `127.0.0.1:${this.localPort(svc, port)}` : m);
        out = out.replace(new RegExp(`([a-z0-9-]+)\\.${this.namespace}\\.svc\\b`, "g"), "127.0.0.1");
        for (const [mountPath, dir] of Object.entries(mounts)) out = out.split(mountPath).join(dir);
        return out;
    }

    deployment(resourceName: string): RegisteredResource {
        return this.cloud.one("kubernetes:apps/v1:Deployment", resourceName);
    }

    /** Starts the Deployment's (first) container as `binary`; resolves once its readiness probe passes. */
    async start(resourceName: string, binary: string, extraArgs: string[] = []): Promise<RunningProcess> {
        const deployment = this.deployment(resourceName);
        const pod = deployment.inputs.spec.template.spec;
        const container = pod.containers[0];
        const service = deployment.inputs.spec.selector.matchLabels["app.kubernetes.io/name"];
        const root = path.join(this.workDir, resourceName);
        const mounts = this.materializeVolumes(pod, container, root);
        for (const file of listFiles(root)) {
            // Mounted config names hosts and paths too (e.g. ct_server's log_config).
            const text = fs.readFileSync(file, "utf8");
            if (text.includes("-----BEGIN")) continue; // keys and certificates are used byte for byte
            const translated = this.translate(text, mounts);
            if (translated !== text) fs.writeFileSync(file, translated);
        }
        const env = this.resolveEnv(container.env ?? []);
        const args = [...this.translateArgs(container.args ?? [], service, mounts).map((a) => expandVars(a, env)), ...extraArgs];
        const logFile = path.join(this.workDir, `${resourceName}.log`);
        const log = fs.openSync(logFile, "w");
        const child = spawn(binary, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ["ignore", log, log] });
        const proc = { name: resourceName, child, logFile };
        this.processes.push(proc);
        await this.waitReady(proc, container.readinessProbe, service);
        return proc;
    }

    private materializeVolumes(pod: any, container: any, root: string): Record<string, string> {
        const mounts: Record<string, string> = {};
        for (const mount of container.volumeMounts ?? []) {
            const volume = (pod.volumes ?? []).find((v: any) => v.name === mount.name);
            const dir = path.join(root, mount.mountPath);
            fs.mkdirSync(dir, { recursive: true });
            let data: Record<string, string> = {};
            if (volume?.configMap) data = this.objectData("ConfigMap", volume.configMap.name);
            else if (volume?.secret) data = this.objectData("Secret", volume.secret.secretName);
            const items: Array<{ key: string; path: string }> | undefined = volume?.configMap?.items ?? volume?.secret?.items;
            const files = items ? items.map((i) => [i.path, data[i.key]] as const) : Object.entries(data);
            for (const [name, content] of files) fs.writeFileSync(path.join(dir, name), content, { mode: 0o600 });
            mounts[mount.mountPath] = dir;
        }
        return mounts;
    }

    private resolveEnv(env: any[]): Record<string, string> {
        const out: Record<string, string> = {};
        for (const e of env) {
            if (e.value !== undefined) out[e.name] = e.value;
            else if (e.valueFrom?.secretKeyRef) out[e.name] = this.objectData("Secret", e.valueFrom.secretKeyRef.name)[e.valueFrom.secretKeyRef.key];
            else if (e.valueFrom?.configMapKeyRef) out[e.name] = this.objectData("ConfigMap", e.valueFrom.configMapKeyRef.name)[e.valueFrom.configMapKeyRef.key];
            else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.name") out[e.name] = "e2e-pod";
            if (out[e.name] === undefined) throw new Error(`env ${e.name}: referenced key is missing`);
        }
        return out;
    }

    private translateArgs(args: string[], self: string, mounts: Record<string, string>): string[] {
        const hostFlagService = new Map<string, string>();
        for (const a of args) {
            const m = /^(--[^=]+)=([a-z0-9-]+)\.[a-z0-9-]+\.svc$/.exec(a);
            if (m) hostFlagService.set(m[1], m[2]);
        }
        return args.map((a) => {
            const [flag, ...rest] = a.split("=");
            const value = rest.join("=");
            if (flag in companionPortFlags) {
                const service = hostFlagService.get(companionPortFlags[flag]);
                if (!service) throw new Error(`${flag} without its host flag ${companionPortFlags[flag]}`);
                return `${flag}=${this.localPort(service, value)}`;
            }
            if (ownPortFlags.includes(flag) && /^\d+$/.test(value)) return `${flag}=${this.localPort(self, value)}`;
            const listen = /^0\.0\.0\.0:(\d+)$/.exec(value);
            if (listen) return `${flag}=127.0.0.1:${this.localPort(self, listen[1])}`;
            return this.translate(a, mounts);
        });
    }

    private async waitReady(proc: RunningProcess, probe: any, service: string, timeoutMs = 90_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        const portOf = (p: number | string) => {
            if (typeof p === "number") return this.localPort(service, p);
            const svc = this.cloud.ofType("kubernetes:core/v1:Service").find((s) => s.inputs.metadata.name === service);
            const port = svc?.inputs.spec.ports.find((x: any) => x.targetPort === p || x.name === p);
            return this.localPort(service, port.port);
        };
        while (Date.now() < deadline) {
            if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited with ${proc.child.exitCode}:\n${tail(proc.logFile)}`);
            try {
                if (probe?.httpGet) {
                    const res = await fetch(`http://127.0.0.1:${portOf(probe.httpGet.port)}${probe.httpGet.path}`);
                    if (res.ok) return;
                } else if (probe?.tcpSocket) {
                    await new Promise<void>((res, rej) => { const s = net.connect(portOf(probe.tcpSocket.port), "127.0.0.1", () => { s.end(); res(); }); s.on("error", rej); });
                    return;
                } else {
                    return;
                }
            } catch { /* not yet */ }
            await new Promise((r) => setTimeout(r, 300));
        }
        throw new Error(`${proc.name} not ready after ${timeoutMs} ms:\n${tail(proc.logFile)}`);
    }

    async stopAll(): Promise<void> {
        for (const p of this.processes.reverse()) {
            if (p.child.exitCode === null) {
                p.child.kill("SIGTERM");
                await new Promise((r) => { const t = setTimeout(() => { p.child.kill("SIGKILL"); r(null); }, 5000); p.child.once("exit", () => { clearTimeout(t); r(null); }); });
            }
        }
    }
}

/** Kubernetes' $(VAR) expansion in args. */
export function expandVars(arg: string, env: Record<string, string>): string {
    return arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name) => (name in env ? env[name] : m));
}

function listFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true, recursive: true } as any)
        .filter((d: any) => d.isFile())
        .map((d: any) => path.join(d.parentPath ?? d.path, d.name));
}

export function tail(file: string, lines = 30): string {
    try {
        return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log)";
    }
}
