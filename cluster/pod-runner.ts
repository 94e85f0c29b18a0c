/**
 * The real servers behind kwok's simulated pods. While `pulumi up` runs, this "kubelet" watches the
 * namespace through the API server and, as each workload appears, runs its container with the real
 * binary, exactly as the end-to-end suite does (e2e/local-cluster.ts: one translation, two sources):
 * here the Deployments, StatefulSets, ConfigMaps and Secrets are read back from the API server.
 *
 * Beyond e2e's translation, three things stand in for what a node would give a pod:
 *  - the database StatefulSet (Trillian's db_server image) becomes a database on this machine's
 *    MariaDB, made as that image makes it (e2e/harness.ts createTrillianDatabase), under a name of
 *    this run's own; when its flags require TLS (internalTls), on a MariaDB of its own started with
 *    those flags (e2e/harness.ts startOwnMariadb);
 *  - a container that reads its pod name (the lease-electing signer) runs once per pod, each with
 *    that pod's name, and one whose pod has a ServiceAccount gets a kubeconfig with that account's
 *    token (its in-cluster config), so RBAC and Lease election are the API server's;
 *  - the pod network for `kubectl port-forward`: a ClusterPortForward sends a port to a local proxy
 *    that holds each connection until the server behind that port is up (on a real node the pod
 *    would not be Ready before; kwok marks it Ready at once);
 *  - kube-proxy, for the one Service the API server itself calls (policy-controller's admission
 *    webhook): the API server dials the Service's ClusterIP (with `webhook.<namespace>.svc` as the
 *    TLS name), so that address is added to this host's loopback, where the webhook listens on every
 *    address (removed at stop).
 */
import { execFileSync } from "node:child_process";
import * as net from "node:net";
import { BinaryName } from "../e2e/binaries";
import { createTrillianDatabase, databaseRequiresTls, MysqlServer, ownDatabase, redisListenArgs, startOwnMariadb } from "../e2e/harness";
import { anyPod, appLabel, ClusterObjects, freePort, KubeObject, LocalCluster, objectText } from "../e2e/local-cluster";
import { startTufServer } from "../e2e/tuf-server";
import { rekorV2Apps, startRekorV2Log } from "../e2e/rekor-v2-server";
import { removeStalePodNetworks } from "../e2e/pod-network";
import { ControlPlane } from "./control-plane";

/** The namespace's objects as the API server holds them, re-read on refresh(). */
export class ApiObjects implements ClusterObjects {
    private items: Array<KubeObject & { kind: string }> = [];

    constructor(
        private readonly cp: ControlPlane,
        readonly namespace: string,
    ) {}

    refresh(): void {
        const list = JSON.parse(
            this.cp.kubectl(["get", "deployments,statefulsets,services,configmaps,secrets,pods,ingresses", "--namespace", this.namespace, "--output=json"]),
        );
        this.items = list.items;
    }

    private ofKind(kind: string): Array<KubeObject & { kind: string }> {
        return this.items.filter((i) => i.kind === kind);
    }

    services(): KubeObject[] {
        return this.ofKind("Service");
    }

    ingresses(): KubeObject[] {
        return this.ofKind("Ingress");
    }

    findWorkload(app: string): KubeObject | undefined {
        return [...this.ofKind("Deployment"), ...this.ofKind("StatefulSet")].find((w) => w.spec.selector.matchLabels?.[appLabel] === app);
    }

    workload(app: string): KubeObject {
        const w = this.findWorkload(app);
        if (!w) throw new Error(`no Deployment or StatefulSet with ${appLabel}=${app} in namespace ${this.namespace}`);
        return w;
    }

    apps(): string[] {
        return [...this.ofKind("Deployment"), ...this.ofKind("StatefulSet")].map((w) => w.spec.selector.matchLabels?.[appLabel]).filter(Boolean);
    }

    has(kind: "ConfigMap" | "Secret", name: string): boolean {
        return this.ofKind(kind).some((o) => o.metadata.name === name);
    }

    data(kind: "ConfigMap" | "Secret", name: string): Record<string, string> {
        const obj = this.ofKind(kind).find((o) => o.metadata.name === name);
        if (!obj) throw new Error(`${kind} ${name} is referenced but does not exist in namespace ${this.namespace}`);
        return objectText(kind, obj);
    }

    /** Names of the running (not terminating) pods of an app. */
    podNames(app: string): string[] {
        return this.ofKind("Pod")
            .filter((p: any) => p.metadata.labels?.[appLabel] === app && !p.metadata.deletionTimestamp)
            .map((p) => p.metadata.name)
            .sort();
    }
}

/** Local binaries by image repository name. */
const binaryOfImage: Record<string, BinaryName | "redis-server"> = {
    log_server: "trillian_log_server",
    log_signer: "trillian_log_signer",
    "rekor-server": "rekor-server",
    fulcio: "fulcio",
    ctfe: "ct_server",
    redis: "redis-server",
    "timestamp-server": "timestamp-server",
    "policy-controller": "webhook",
};

/** Servers whose fixed ports collide with another's here (timestamp-server's :2112 with Rekor's): a network namespace of their own, as their pods have. */
const ownNetwork = new Set<string>(["timestamp-server"]);

const databaseImage = "db_server";
/** The TUF repository's nginx: run by the Debian nginx with the image's main config (e2e/tuf-server.ts). */
const tufServerImage = "nginx-unprivileged";

function imageName(image: string): string {
    return image
        .replace(/[@:][^/]*$/, "")
        .split("/")
        .pop()!;
}

/** Every Secret and ConfigMap a pod template refers to (volumes and env). */
function referencedObjects(pod: any): Array<["ConfigMap" | "Secret", string]> {
    const refs: Array<["ConfigMap" | "Secret", string]> = [];
    for (const v of pod.volumes ?? []) {
        if (v.configMap) refs.push(["ConfigMap", v.configMap.name]);
        if (v.secret) refs.push(["Secret", v.secret.secretName]);
    }
    for (const c of pod.containers) {
        for (const e of c.env ?? []) {
            if (e.valueFrom?.secretKeyRef) refs.push(["Secret", e.valueFrom.secretKeyRef.name]);
            if (e.valueFrom?.configMapKeyRef) refs.push(["ConfigMap", e.valueFrom.configMapKeyRef.name]);
        }
    }
    return refs;
}

export interface PodRunnerOptions {
    namespace: string;
    workDir: string;
    binaries: Record<BinaryName, string>;
    /** The MariaDB database (and user) this run uses in place of the program's `trillian`. */
    database: string;
    /** Container ports that `kubectl port-forward` must reach (e.g. Trillian's gRPC admin port), by app. */
    portForwards: Array<{ app: string; port: number }>;
    log?: (line: string) => void;
    /** Another runner of the same cluster owns this host's pod networks: leave them (default: remove stale ones). */
    sharesHost?: boolean;
}

export class PodRunner {
    readonly objects: ApiObjects;
    readonly cluster: LocalCluster;
    /** app → started (per pod for pod-named containers). */
    private readonly started = new Map<string, Promise<void>>();
    private readonly proxies: net.Server[] = [];
    /** ClusterIPs added to this host's loopback (the admission webhook's), removed at stop. */
    private readonly clusterIps: string[] = [];
    /** app → resolved once its server is ready (what held port-forward connections wait for). */
    private readonly readiness = new Map<string, { promise: Promise<void>; resolve: () => void }>();
    private timer?: NodeJS.Timeout;
    private failure?: Error;
    private databasePassword?: string;
    private databaseApp?: string;
    /** The run's own MariaDB when the program's database requires TLS (as the end-to-end suite's); else this machine's. */
    databaseServer: MysqlServer;

    constructor(
        private readonly cp: ControlPlane,
        private readonly options: PodRunnerOptions,
    ) {
        this.objects = new ApiObjects(cp, options.namespace);
        if (!options.sharesHost) removeStalePodNetworks();
        this.cluster = new LocalCluster(this.objects, options.namespace, options.workDir);
    }

    /** The pod network for port-forwards; call before `pulumi up`. */
    async preparePortForwards(): Promise<void> {
        const forwards = [];
        for (const { app, port } of this.options.portForwards) {
            const proxyPort = await this.holdingProxy(app, port);
            forwards.push({ ports: [port], target: { address: "127.0.0.1", port: proxyPort } });
        }
        this.cp.apply({
            apiVersion: "kwok.x-k8s.io/v1alpha1",
            kind: "ClusterPortForward",
            metadata: { name: "local-servers" },
            spec: { selector: { matchNamespaces: [this.options.namespace] }, forwards },
        });
    }

    /** Starts watching; a failure to start a server surfaces in `check()`. */
    watch(intervalMs = 300): void {
        const tick = () => {
            try {
                this.objects.refresh();
                this.startNewWorkloads();
            } catch (e) {
                this.failure ??= e as Error;
            }
            if (!this.failure) this.timer = setTimeout(tick, intervalMs);
        };
        tick();
    }

    /** Throws the first failure of a server or of the watch. */
    check(): void {
        if (this.failure) throw this.failure;
    }

    /** Waits until every workload now in the namespace runs and is ready. */
    async settle(): Promise<void> {
        this.objects.refresh();
        this.startNewWorkloads();
        await Promise.all(this.started.values());
        this.check();
    }

    /** A rollout of `app`'s pods: stops its server and starts it again from what the API server holds now. */
    async restart(app: string): Promise<void> {
        await this.cluster.stop(app);
        this.started.delete(app);
        await this.settle();
    }

    async stop(): Promise<void> {
        if (this.timer) clearTimeout(this.timer);
        for (const p of this.proxies) p.close();
        for (const ip of this.clusterIps.splice(0)) execFileSync("ip", ["addr", "del", `${ip}/32`, "dev", "lo"], { stdio: "ignore" });
        await this.cluster.stopAll();
    }

    private startNewWorkloads(): void {
        // Databases first: a Trillian server found in the same poll waits for its database.
        const isDatabase = (app: string) => imageName(this.objects.workload(app).spec.template.spec.containers[0].image) === databaseImage;
        const apps = this.objects.apps().sort((a, b) => Number(isDatabase(b)) - Number(isDatabase(a)));
        for (const app of apps) {
            if (this.started.has(app)) continue;
            const workload = this.objects.workload(app);
            const pod = workload.spec.template.spec;
            if (!referencedObjects(pod).every(([kind, name]) => this.objects.has(kind, name))) continue;
            if (this.needsDatabase(app) && this.databasePassword === undefined) continue;
            const image = imageName(pod.containers[0].image);
            const pods = this.objects.podNames(app);
            const perPod = (pod.containers[0].env ?? []).some((e: any) => e.valueFrom?.fieldRef?.fieldPath === "metadata.name");
            if (perPod && pods.length < (workload.spec.replicas ?? 1)) continue; // the controller is still creating them
            const run = image === databaseImage ? this.startDatabase(app) : this.startServer(app, image, perPod ? pods : [anyPod], pod.serviceAccountName);
            run.catch((e) => {
                this.failure ??= new Error(`${app}: ${(e as Error).message}`);
            });
            const done = run.then(() => this.ready(app).resolve());
            done.catch(() => undefined); // reported through this.failure
            this.started.set(app, done);
        }
    }

    private async startDatabase(app: string): Promise<void> {
        const env = this.cluster.containerEnv(app);
        if (databaseRequiresTls(this.cluster, app)) {
            await this.cluster.allocateServicePorts();
            this.databaseServer = await startOwnMariadb(this.cluster, this.options.workDir, app);
        }
        createTrillianDatabase(this.options.database, this.options.database, env.MYSQL_PASSWORD, this.databaseServer);
        this.databasePassword = env.MYSQL_PASSWORD;
        this.databaseApp = app;
        this.options.log?.(
            `${app}: database ${this.options.database} on ${this.databaseServer ? "a MariaDB of its own with the program's TLS flags" : "the local MariaDB"}`,
        );
    }

    /** The database StatefulSet's Service (trillian-db) is this machine's MariaDB. */
    private mapDatabaseService(): void {
        if (this.databaseServer) return; // a MariaDB of its own, on the Service's allocated port
        for (const svc of this.objects.services().filter((s) => this.databaseApp && s.spec.selector?.[appLabel] === this.databaseApp)) {
            for (const p of svc.spec.ports) this.cluster.ports.set(`${svc.metadata.name}:${p.port}`, 3306);
        }
    }

    private async startServer(app: string, image: string, podNames: string[], serviceAccount?: string): Promise<void> {
        // A Rekor v2 log's pod (its server and read path, or the read path alone once retired).
        if (rekorV2Apps(this.cluster).includes(app)) {
            const writable = await startRekorV2Log(this.cluster, app, this.options.binaries.posix);
            this.options.log?.(`${app}: ${writable ? "rekor-tiles and its read path" : "the retired log's read path (no server)"} running`);
            return;
        }
        if (image === tufServerImage) {
            await this.cluster.allocateServicePorts();
            await startTufServer(this.cluster);
            this.options.log?.(`${app}: nginx serving the TUF repository`);
            return;
        }
        const binaryName = binaryOfImage[image];
        if (!binaryName) throw new Error(`no local binary for image ${image}`);
        const binary = binaryName === "redis-server" ? "redis-server" : this.options.binaries[binaryName];
        if (binaryName === "webhook") return this.startAdmissionWebhook(app, binary, serviceAccount!);
        this.mapDatabaseService();
        await this.cluster.allocateServicePorts();
        const args = [...this.databaseArgs(app), ...(await this.inClusterArgs(app, serviceAccount))];
        if (binaryName === "redis-server") args.push(...redisListenArgs(this.cluster, app));
        await Promise.all(podNames.map((podName, i) => this.cluster.start(app, binary, args, podName, i === 0, { ownNetwork: ownNetwork.has(binaryName) })));
        this.options.log?.(`${app}: ${binaryName} running${podNames[0] === anyPod ? "" : ` as ${podNames.join(", ")}`}`);
    }

    /**
     * policy-controller's webhook as its pod runs it: the in-cluster config of its ServiceAccount
     * (KUBECONFIG: its flags are parsed before knative registers --kubeconfig). It listens on :8443
     * whatever it is told (v0.13.1 reads --secure-port after storing its options, cmd/webhook/main.go),
     * so its Service's port is 8443 on this host too, and its ClusterIP is this host's.
     */
    private async startAdmissionWebhook(app: string, binary: string, serviceAccount: string): Promise<void> {
        await this.cluster.allocateServicePorts();
        const service = this.objects.services().find((s) => s.spec.selector?.[appLabel] === app)!;
        const port = service.spec.ports.find((p: any) => p.name === "https").port;
        this.cluster.ports.set(`${service.metadata.name}:${port}`, port);
        const env = {
            KUBECONFIG: this.cp.serviceAccountKubeconfig(this.options.namespace, serviceAccount),
            // Its metrics and profiling ports, moved off this shared host.
            METRICS_PROMETHEUS_PORT: String(await freePort()),
            PROFILING_PORT: String(await freePort()),
        };
        execFileSync("ip", ["addr", "replace", `${service.spec.clusterIP}/32`, "dev", "lo"]);
        this.clusterIps.push(service.spec.clusterIP);
        await this.cluster.start(app, binary, [], anyPod, true, { env });
        this.options.log?.(`${app}: policy-controller's webhook running, the API server reaching it at ${service.spec.clusterIP}:${port}`);
    }

    private needsDatabase(app: string): boolean {
        const args: string[] = this.objects.workload(app).spec.template.spec.containers[0].args ?? [];
        return args.some((a) => a.startsWith("--mysql_uri="));
    }

    /** Trillian's --mysql_uri pointed at this run's database. */
    private databaseArgs(app: string): string[] {
        return this.needsDatabase(app) ? [ownDatabase(this.cluster, app, this.options.database, this.databasePassword!)] : [];
    }

    /** A pod with a ServiceAccount talks to the API server as that account (Trillian's k8s election). */
    private async inClusterArgs(app: string, serviceAccount?: string): Promise<string[]> {
        const args: string[] = this.objects.workload(app).spec.template.spec.containers[0].args ?? [];
        if (!serviceAccount || !args.includes("--election_system=k8s")) return [];
        return [`--kubeconfig=${this.cp.serviceAccountKubeconfig(this.options.namespace, serviceAccount)}`];
    }

    private ready(app: string): { promise: Promise<void>; resolve: () => void } {
        if (!this.readiness.has(app)) {
            let resolve!: () => void;
            const promise = new Promise<void>((r) => {
                resolve = r;
            });
            this.readiness.set(app, { promise, resolve });
        }
        return this.readiness.get(app)!;
    }

    /** A local port whose connections wait for `app` to be ready, then reach its `port`. */
    private async holdingProxy(app: string, port: number): Promise<number> {
        const proxyPort = await freePort();
        const server = net.createServer((client) => {
            client.pause();
            this.ready(app)
                .promise.then(() => {
                    const upstream = net.connect(this.cluster.localPort(app, port), "127.0.0.1", () => {
                        client.pipe(upstream);
                        upstream.pipe(client);
                        client.resume();
                    });
                    upstream.on("error", () => client.destroy());
                    client.on("error", () => upstream.destroy());
                })
                .catch(() => client.destroy());
        });
        await new Promise<void>((resolve) => server.listen(proxyPort, "127.0.0.1", resolve));
        this.proxies.push(server);
        return proxyPort;
    }
}
