/**
 * A tiny "kubelet": runs the program's Deployments as local processes with exactly the args, env,
 * ConfigMaps and Secrets the program made. One mechanism, two sources of those objects
 * (`ClusterObjects`): what the mocks recorded (the end-to-end suite, `registeredObjects`), or what a
 * real API server holds after `pulumi up` (the cluster suite, cluster/api-objects.ts).
 *
 * The translation from the cluster to this machine is small and explicit, and is all here:
 *  - every Service port gets a free loopback port: "<svc>.<ns>.svc:<port>" → "<svc>.<ns>.svc:<local>",
 *    and a host flag's companion port flag → <local>; the Service names themselves stay (TLS clients
 *    verify them) and resolve to 127.0.0.1 through /etc/hosts entries added while the cluster runs;
 *  - a container's own listen address "0.0.0.0:<port>" (or its bare port flag) → its local port;
 *  - each volume mount path → a temp dir holding the ConfigMap/Secret keys as files, byte for byte;
 *  - the same host and path rewriting is applied inside mounted files (the CT config names both);
 *  - image → locally built binary of the same version.
 * Nothing else is changed: if a flag, key, password or file is wrong, the real server fails.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as https from "node:https";
import * as path from "node:path";
import { MockCloud } from "../tests/support/mocks";
import { PodNetwork } from "./pod-network";

/** A Kubernetes object as plain JSON (only the fields the kubelet reads are typed). */
export type KubeObject = {
    metadata: { name: string; labels?: Record<string, string> };
    spec?: any;
    data?: Record<string, string>;
    stringData?: Record<string, string>;
};

/** Where the kubelet finds the program's objects, by the names the pods refer to them with. */
export interface ClusterObjects {
    services(): KubeObject[];
    /** The Deployment or StatefulSet whose pods carry `app.kubernetes.io/name: <app>`. */
    workload(app: string): KubeObject;
    /** ConfigMap data, or Secret data decoded (stringData included). */
    data(kind: "ConfigMap" | "Secret", name: string): Record<string, string>;
    /** The Ingresses: what the ingress controller serves (e2e/ingress.ts). */
    ingresses(): KubeObject[];
}

export const appLabel = "app.kubernetes.io/name";

/** The pod name of a workload run once for all its replicas (its process is named after the app). */
export const anyPod = "e2e-pod";

/** Decoded key → text of a ConfigMap or Secret object (API form: Secret data base64; input form: stringData). */
export function objectText(kind: "ConfigMap" | "Secret", obj: KubeObject): Record<string, string> {
    const data: Record<string, string> = { ...(obj.stringData ?? {}) };
    for (const [k, v] of Object.entries(obj.data ?? {})) data[k] = kind === "Secret" ? Buffer.from(v, "base64").toString("utf8") : v;
    return data;
}

/** The objects the program registered under mocks (their inputs, with the names the mocks gave them). */
export function registeredObjects(cloud: MockCloud): ClusterObjects {
    return {
        services: () => cloud.ofType("kubernetes:core/v1:Service").map((s) => s.inputs as KubeObject),
        ingresses: () => cloud.ofType("kubernetes:networking.k8s.io/v1:Ingress").map((s) => s.inputs as KubeObject),
        workload: (app) => {
            const w = [...cloud.ofType("kubernetes:apps/v1:Deployment"), ...cloud.ofType("kubernetes:apps/v1:StatefulSet")].find(
                (d) => d.inputs.spec.selector.matchLabels[appLabel] === app,
            );
            if (!w) throw new Error(`no workload with ${appLabel}=${app} in the program`);
            return w.inputs as KubeObject;
        },
        data: (kind, name) => {
            const obj = cloud.ofType(`kubernetes:core/v1:${kind}`).find((r) => r.state.metadata?.name === name);
            if (!obj) throw new Error(`${kind} ${name} is referenced but not created by the program`);
            return objectText(kind, obj.inputs as KubeObject);
        },
    };
}

export async function freePort(): Promise<number> {
    // The kernel may hand a just-closed port out again: never give the same one twice in this process,
    // or two servers of a stack are told to listen on it (seen: ct_server on the log server's port).
    for (;;) {
        const port = await unusedPort();
        if (!handedOut.has(port)) {
            handedOut.add(port);
            return port;
        }
    }
}

/** Every port freePort has given out in this process. */
const handedOut = new Set<number>();

function unusedPort(): Promise<number> {
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
const ownPortFlags = ["--port", "--grpc-port", "--metrics-port", "--http-port", "--http-metrics-port"];

export interface RunningProcess {
    name: string;
    child: ChildProcess;
    logFile: string;
    /** What was started, and how: to start it again the same way. */
    binary: string;
    adapt: ArgAdaptation;
    /** Starts it again exactly as it was started (its container restarting); resolves once ready. */
    restart: () => Promise<RunningProcess>;
}

/** How a binary other than the image's own differs in its command line (e.g. MariaDB for MySQL 8.4). */
export interface ArgAdaptation {
    /** Arguments that must come before all others (e.g. mariadbd's --no-defaults). */
    prefix?: string[];
    /** Arguments of the image's binary this one does not know, dropped (listed where it is used). */
    drop?: (arg: string) => boolean;
    /** Rewrites a mounted file after the usual translation (e.g. a listener the kubelet would not bind here). */
    rewriteFile?: (file: string, text: string) => string;
    /**
     * Runs the pod in a network namespace of its own (e2e/pod-network.ts), for a server whose fixed
     * port another one here binds too; it is then reached at `address(app)`.
     */
    ownNetwork?: boolean;
    /** Mounted files used byte for byte, never translated (signed metadata whose hashes clients check). */
    verbatim?: (file: string) => boolean;
    /** Which of the pod's containers this process is, by name (default: the first); a sidecar's process is `<app>-<container>`. */
    container?: string;
    /** Environment a node gives the pod beyond its spec (e.g. KUBECONFIG for an in-cluster client), over the spec's. */
    env?: Record<string, string>;
}

const hostsFile = "/etc/hosts";

/**
 * Makes the namespace's Service names resolve to 127.0.0.1 (one marked line in /etc/hosts) so that
 * TLS clients see the names their certificates carry; returns a function that removes the line.
 */
export function resolveServiceNames(namespace: string, services: string[]): () => void {
    return resolveHostNames(
        `local cluster ${namespace}`,
        services.map((s) => `${s}.${namespace}.svc`),
    );
}

/**
 * Makes `names` resolve to `address` through one /etc/hosts line marked with `purpose`; returns its
 * remover. A name another line already maps elsewhere is an error: the resolver would answer with
 * that line, so requests would miss whatever listens at `address`.
 */
export function resolveHostNames(purpose: string, names: string[], address = "127.0.0.1"): () => void {
    const marker = `# sigstore-onprem ${purpose}`;
    const line = `${address} ${names.join(" ")} ${marker}`;
    const without = (text: string) =>
        text
            .split("\n")
            .filter((l) => !l.endsWith(marker))
            .join("\n")
            .replace(/\n*$/, "\n");
    const current = fs.readFileSync(hostsFile, "utf8");
    const mapped = new Map<string, string>();
    for (const l of current.split("\n")) {
        if (l.endsWith(marker)) continue;
        const [ip, ...aliases] = l.replace(/#.*/, "").trim().split(/\s+/);
        for (const a of aliases) if (!mapped.has(a)) mapped.set(a, ip);
    }
    const elsewhere = names.filter((n) => mapped.has(n) && mapped.get(n) !== address);
    if (elsewhere.length > 0)
        throw new Error(`${hostsFile} already maps ${elsewhere.map((n) => `${n} to ${mapped.get(n)}`).join(", ")}, not to ${address} (${purpose})`);
    // Already there (e.g. added by CI with sudo, where this process may not write the file): nothing to do.
    if (names.every((n) => mapped.get(n) === address)) return () => {};
    try {
        fs.writeFileSync(hostsFile, `${without(current)}${line}\n`);
    } catch (e) {
        throw new Error(`${purpose} needs its names in ${hostsFile} (${(e as Error).message}); add this line: ${line}`);
    }
    return () => fs.writeFileSync(hostsFile, without(fs.readFileSync(hostsFile, "utf8")));
}

export class LocalCluster {
    readonly processes: RunningProcess[] = [];
    /** "<service>:<port>" → local port. */
    readonly ports = new Map<string, number>();

    /** `objects` is replaced when the stack is reconfigured (what a new `up` applies). */
    constructor(
        public objects: ClusterObjects,
        readonly namespace: string,
        readonly workDir: string,
    ) {
        fs.mkdirSync(workDir, { recursive: true });
    }

    private releaseNames?: () => void;
    /** Pods started in a network namespace of their own, by app. */
    private readonly networks = new Map<string, PodNetwork>();

    /** Where the host reaches an app's pod: its own namespace's address, or loopback. */
    address(app: string): string {
        return this.networks.get(app)?.address ?? "127.0.0.1";
    }

    /** What a started container's process is called: the app (or its pod), and a sidecar's container name after it. */
    processName(app: string, podName = anyPod, container?: string): string {
        const pod = podName === anyPod ? app : podName;
        return container === undefined ? pod : `${pod}-${container}`;
    }

    /** Where a process's volumes are materialised, each under its mount path. */
    podRoot(processName: string): string {
        return path.join(this.workDir, processName);
    }

    /** Allocates local ports for every Service port the program declares (so far), and resolves their names. */
    async allocateServicePorts(): Promise<void> {
        for (const svc of this.objects.services()) {
            for (const p of svc.spec?.ports ?? []) {
                const key = `${svc.metadata.name}:${p.port}`;
                if (!this.ports.has(key)) this.ports.set(key, await freePort());
            }
        }
        this.releaseNames = resolveServiceNames(
            this.namespace,
            this.objects.services().map((s) => s.metadata.name),
        );
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

    objectData(kind: "ConfigMap" | "Secret", name: string): Record<string, string> {
        return this.objects.data(kind, name);
    }

    /** Rewrites in-cluster host names and mount paths for this machine. */
    translate(text: string, mounts: Record<string, string>): string {
        let out = text.replace(/([a-z0-9-]+)\.([a-z0-9-]+)\.svc:(\d+)/g, (m, svc, ns, port) =>
            ns === this.namespace ? `${svc}.${ns}.svc:${this.localPort(svc, port)}` : m,
        );
        // One pass, longest path first, whole paths only: a mount at /tmp must not rewrite the
        // /tmp/… that another mount's local directory starts with.
        const paths = Object.keys(mounts)
            .sort((a, b) => b.length - a.length)
            .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
        if (paths.length > 0) out = out.replace(new RegExp(`(?<![\\w/.-])(${paths.join("|")})(?![\\w.-])`, "g"), (m) => mounts[m]);
        return out;
    }

    /** The first container of the app's pods, with its env resolved from the ConfigMaps and Secrets. */
    containerEnv(app: string, podName = anyPod): Record<string, string> {
        return this.resolveEnv(this.objects.workload(app).spec.template.spec.containers[0].env ?? [], podName);
    }

    /**
     * Starts the (first) container of the app's pods as `binary`, as pod `podName` (its
     * metadata.name for fieldRefs); resolves once its readiness probe passes. The pod that
     * `ownsServicePorts` listens on the local ports of the app's Service; another replica of the same
     * app listens on ports of its own.
     */
    async start(
        app: string,
        binary: string,
        extraArgs: string[] = [],
        podName = anyPod,
        ownsServicePorts = true,
        adapt: ArgAdaptation = {},
    ): Promise<RunningProcess> {
        const workload = this.objects.workload(app);
        const pod = workload.spec.template.spec;
        const container = adapt.container === undefined ? pod.containers[0] : pod.containers.find((x: any) => x.name === adapt.container);
        if (!container) throw new Error(`${app} has no container ${adapt.container}`);
        const self = ownsServicePorts ? app : podName;
        if (!ownsServicePorts) {
            for (const p of this.objects.services().find((s) => s.metadata.name === app)?.spec.ports ?? [])
                this.ports.set(`${self}:${p.port}`, await freePort());
        }
        const name = this.processName(app, podName, adapt.container);
        const root = this.podRoot(name);
        const mounts = this.materializeVolumes(pod, container, root);
        for (const file of listFiles(root)) {
            // Mounted config names hosts and paths too (e.g. ct_server's log_config).
            const text = fs.readFileSync(file, "utf8");
            if (text.includes("-----BEGIN")) continue; // keys and certificates are used byte for byte
            if (adapt.verbatim?.(path.relative(root, file))) continue; // e.g. signed files, whose bytes are checked
            const translated = this.translate(text, mounts);
            const rewritten = adapt.rewriteFile ? adapt.rewriteFile(path.relative(root, file), translated) : translated;
            if (rewritten !== text) fs.writeFileSync(file, rewritten);
        }
        const env = { ...this.podEnv(container, podName, mounts), ...adapt.env };
        const own = (container.args ?? []).filter((a: string) => !adapt.drop?.(a));
        const args = [...(adapt.prefix ?? []), ...this.translateArgs(own, self, mounts).map((a) => expandVars(a, env)), ...extraArgs];
        const logFile = path.join(this.workDir, `${name}.log`);
        const log = fs.openSync(logFile, "w");
        let command: [string, string[]] = [binary, args];
        if (adapt.ownNetwork) {
            this.networks.get(self)?.remove();
            const network = PodNetwork.create();
            this.networks.set(self, network);
            command = network.wrap(binary, args);
        }
        const child = spawn(command[0], command[1], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ["ignore", log, log] });
        const proc = { name, child, logFile, binary, adapt, restart: () => this.start(app, binary, extraArgs, podName, ownsServicePorts, adapt) };
        this.processes.push(proc);
        await this.waitReady(proc, container.readinessProbe, app, self);
        return proc;
    }

    /**
     * Runs a Job's pod (e.g. a CronJob's jobTemplate) to completion: its first container's command
     * with its mounts and env as the kubelet would give them, mount paths rewritten for this machine
     * and `env` applied on top (what differs here, e.g. a Service's local port). Returns exit status
     * and output; `commandLine` replaces the container's command and args (as `kubectl run` would).
     */
    async runPod(
        name: string,
        pod: any,
        env: Record<string, string> = {},
        commandLine?: string[],
        timeoutMs = 120_000,
    ): Promise<{ status: number; output: string }> {
        const container = pod.containers[0];
        const root = this.podRoot(name);
        const mounts = this.materializeVolumes(pod, container, root);
        const podEnv = this.podEnv(container, name, mounts);
        const [command, ...rest] = (commandLine ?? [...(container.command ?? []), ...(container.args ?? [])]).map((a) => this.translate(a, mounts));
        const child = spawn(command, rest, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...podEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (c) => (output += c));
        child.stderr.on("data", (c) => (output += c));
        const status = await new Promise<number>((resolve) => {
            const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
            child.on("exit", (code) => {
                clearTimeout(t);
                resolve(code ?? -1);
            });
        });
        return { status, output };
    }

    /** Stops the running process of an app (or pod) by name, as a pod deletion would. */
    async stop(name: string): Promise<void> {
        for (const p of this.processes.filter((x) => x.name === name)) await stopProcess(p.child);
        this.networks.get(name)?.remove();
        this.networks.delete(name);
    }

    private materializeVolumes(pod: any, container: any, root: string): Record<string, string> {
        const mounts: Record<string, string> = {};
        // A new pod gets its ConfigMaps and Secrets afresh: nothing of a previous pod's stays (e.g. superseded TUF targets).
        for (const mount of container.volumeMounts ?? []) {
            const volume = (pod.volumes ?? []).find((v: any) => v.name === mount.name);
            if (volume?.configMap || volume?.secret) fs.rmSync(path.join(root, mount.mountPath), { recursive: true, force: true });
        }
        for (const mount of container.volumeMounts ?? []) {
            const volume = (pod.volumes ?? []).find((v: any) => v.name === mount.name);
            const dir = path.join(root, mount.mountPath);
            fs.mkdirSync(dir, { recursive: true });
            let data: Record<string, string> = {};
            if (volume?.persistentVolumeClaim) {
                // one directory per claim, whichever pod mounts it
                const claimDir = path.join(this.workDir, "volumes", volume.persistentVolumeClaim.claimName);
                fs.mkdirSync(claimDir, { recursive: true });
                mounts[mount.mountPath] = claimDir;
                continue;
            }
            if (volume?.emptyDir) {
                mounts[mount.mountPath] = dir;
                continue;
            }
            if (volume?.configMap) data = this.objectData("ConfigMap", volume.configMap.name);
            else if (volume?.secret) data = this.objectData("Secret", volume.secret.secretName);
            const items: Array<{ key: string; path: string }> | undefined = volume?.configMap?.items ?? volume?.secret?.items;
            const files = items ? items.map((i) => [i.path, data[i.key]] as const) : Object.entries(data);
            for (const [name, content] of files) {
                // An item's path may name a subdirectory (the TUF repository's targets/).
                fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
                fs.writeFileSync(path.join(dir, name), content, { mode: 0o600 });
            }
            mounts[mount.mountPath] = dir;
        }
        return mounts;
    }

    /** A container's env as its process here gets it: env names files too (Rekor's SSL_CERT_FILE), translated like args. */
    private podEnv(container: any, podName: string, mounts: Record<string, string>): Record<string, string> {
        return Object.fromEntries(Object.entries(this.resolveEnv(container.env ?? [], podName)).map(([k, v]) => [k, this.translate(v, mounts)]));
    }

    private resolveEnv(env: any[], podName: string): Record<string, string> {
        const out: Record<string, string> = {};
        for (const e of env) {
            if (e.value !== undefined) out[e.name] = e.value;
            else if (e.valueFrom?.secretKeyRef) out[e.name] = this.objectData("Secret", e.valueFrom.secretKeyRef.name)[e.valueFrom.secretKeyRef.key];
            else if (e.valueFrom?.configMapKeyRef)
                out[e.name] = this.objectData("ConfigMap", e.valueFrom.configMapKeyRef.name)[e.valueFrom.configMapKeyRef.key];
            else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.name") out[e.name] = podName;
            else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") out[e.name] = this.namespace;
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

    private async waitReady(proc: RunningProcess, probe: any, service: string, self: string, timeoutMs = 90_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        const portOf = (p: number | string) => {
            if (typeof p === "number") return this.localPort(self, p);
            const svc = this.objects.services().find((s) => s.metadata.name === service);
            const port = svc?.spec.ports.find((x: any) => x.targetPort === p || x.name === p);
            return this.localPort(self, port.port);
        };
        while (Date.now() < deadline) {
            if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited with ${proc.child.exitCode}:\n${tail(proc.logFile)}`);
            try {
                if (probe?.httpGet) {
                    const { scheme, port, path: probePath, httpHeaders } = probe.httpGet;
                    if (await probeHttp(scheme === "HTTPS", portOf(port), probePath ?? "/", this.address(self), httpHeaders)) return;
                } else if (probe?.tcpSocket) {
                    await new Promise<void>((res, rej) => {
                        const s = net.connect(portOf(probe.tcpSocket.port), this.address(self), () => {
                            s.end();
                            res();
                        });
                        s.on("error", rej);
                    });
                    return;
                } else {
                    return;
                }
            } catch {
                /* not yet */
            }
            await new Promise((r) => setTimeout(r, 300));
        }
        throw new Error(`${proc.name} not ready after ${timeoutMs} ms:\n${tail(proc.logFile)}`);
    }

    async stopAll(): Promise<void> {
        this.releaseNames?.();
        this.releaseNames = undefined;
        for (const p of this.processes.reverse()) await stopProcess(p.child);
        for (const network of this.networks.values()) network.remove();
        this.networks.clear();
    }
}

/** SIGTERM, then SIGKILL after 5 s (a pod's grace period, shortened); resolves once it has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await new Promise((r) => {
        const t = setTimeout(() => {
            child.kill("SIGKILL");
            r(null);
        }, 5000);
        child.once("exit", () => {
            clearTimeout(t);
            r(null);
        });
    });
}

/** A kubelet HTTP(S) probe: HTTPS probes do not verify the certificate (as the kubelet's). */
/** An httpGet probe as the kubelet sends it: its headers, and for HTTPS no certificate check. */
function probeHttp(
    tls: boolean,
    port: number,
    probePath: string,
    host = "127.0.0.1",
    httpHeaders: Array<{ name: string; value: string }> = [],
): Promise<boolean> {
    const headers = Object.fromEntries(httpHeaders.map((h) => [h.name, h.value]));
    if (!tls) return fetch(`http://${host}:${port}${probePath}`, { headers }).then((r) => r.ok);
    return new Promise((resolve, reject) => {
        const req = https.get({ host, port, path: probePath, headers, rejectUnauthorized: false }, (res) => {
            res.resume();
            resolve((res.statusCode ?? 500) < 400);
        });
        req.on("error", reject);
    });
}

/** Kubernetes' $(VAR) expansion in args. */
export function expandVars(arg: string, env: Record<string, string>): string {
    return arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name) => (name in env ? env[name] : m));
}

function listFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { withFileTypes: true, recursive: true } as any)
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
