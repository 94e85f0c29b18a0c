/**
 * Starts the program's Sigstore on this machine, for the end-to-end suite and the benchmark alike:
 * evaluates the dev stack under mocks with real keys, certificates and passwords, pointed at a local
 * OIDC issuer (e2e/oidc); runs the Trillian admin scripts (createtree, freeze) for real against a
 * local Trillian (kubectl replaced by e2e/fake-kubectl); then starts Redis, ct_server, Rekor and Fulcio from the program's Deployments,
 * Secrets and ConfigMaps (e2e/local-cluster.ts).
 * Trillian uses the program's own database and user (`trillian`, as db_server creates them), unless
 * `database` names another one: the benchmark uses one of its own so that it can run beside the
 * suite, by appending a --mysql_uri (the last copy of a Go flag wins).
 * Needs MariaDB on 127.0.0.1:3306 (root, no password) and redis-server on PATH. Loopback only.
 * With the program's internal TLS on (the end-to-end suite), the database "pod" is a MariaDB of this
 * run's own, started with the program's TLS server flags (require_secure_transport), and Redis gets
 * its TLS port; Service names resolve to 127.0.0.1 through /etc/hosts (local-cluster.ts).
 */
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import "reflect-metadata";
import { evaluate, Evaluation, MockCloud, rekorV1Overrides, repoRoot, StackState } from "../tests/support/mocks";
import { ensureBinaries, trillianSchemaPath } from "./binaries";
import { anyPod, LocalCluster, registeredObjects, tail } from "./local-cluster";
import { tufService } from "../components/tuf-repository";
import { removeStalePodNetworks } from "./pod-network";
import { LocalIngress, startIngress } from "./ingress";
import { startTufServer } from "./tuf-server";
import { syncRekorV2 } from "./rekor-v2-server";
import { rekorV2Ports } from "../lib/rekor-v2";

const namespace = "sigstore";
export const user = "alice@corp.example";

/** How the harness reaches a MariaDB as root: this machine's on 127.0.0.1:3306, or a run's own over its socket. */
export type MysqlServer = { socket: string } | undefined;

function mysqlConnection(server: MysqlServer): string[] {
    return server ? [`--socket=${server.socket}`, "--user=root"] : ["--host=127.0.0.1", "--port=3306", "--user=root"];
}

export function mysql(sql: string, database?: string, server?: MysqlServer): string {
    const args = [...mysqlConnection(server), "--batch", "--skip-column-names", ...(database ? [database] : []), "-e", sql];
    return execFileSync("mysql", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export function requireLocalServices(): void {
    try {
        mysql("SELECT 1");
    } catch {
        throw new Error(
            "MariaDB is not reachable at 127.0.0.1:3306 as root without a password; start it with " +
                "'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd'",
        );
    }
    if (spawnSync("redis-server", ["--version"]).status !== 0) throw new Error("redis-server is not on PATH (Debian package redis-server)");
}

function randomPassword(): string {
    return crypto
        .randomBytes(24)
        .toString("base64")
        .replace(/[^A-Za-z0-9]/g, "")
        .slice(0, 32)
        .padEnd(32, "x");
}

/**
 * What Trillian's db_server image does on its first start, on this machine's MariaDB: a fresh
 * database, the user with the program's generated password, and Trillian's schema.
 */
export function createTrillianDatabase(db: string, user: string, password: string, server?: MysqlServer): void {
    mysql(
        `DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}; ` +
            `CREATE OR REPLACE USER '${user}'@'%' IDENTIFIED BY '${password}'; CREATE OR REPLACE USER '${user}'@'localhost' IDENTIFIED BY '${password}'; ` +
            `GRANT ALL ON ${db}.* TO '${user}'@'%'; GRANT ALL ON ${db}.* TO '${user}'@'localhost';`,
        undefined,
        server,
    );
    execFileSync("mysql", [...mysqlConnection(server), db], { input: fs.readFileSync(trillianSchemaPath()) });
}

/** mysqld options of MySQL 8.4 (the db_server image) that MariaDB does not have: dropped when MariaDB stands in. */
const mysql84Only = (arg: string) => /^--innodb-redo-log-capacity=/.test(arg);

/**
 * The database "pod" when the program gives it TLS: a MariaDB of this run's own with the
 * StatefulSet's arguments (its TLS flags and certificate files, require_secure_transport), so
 * Trillian must connect over TLS and verify the certificate as the program configured it.
 */
export async function startOwnMariadb(c: LocalCluster, work: string, app = "trillian-db"): Promise<MysqlServer> {
    const datadir = path.join(work, "mariadb");
    const socket = path.join(work, "mariadb.sock");
    execFileSync(
        "mariadb-install-db",
        [
            "--no-defaults",
            `--datadir=${datadir}`,
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            ...(process.getuid?.() === 0 ? ["--user=root"] : []),
        ],
        { stdio: "ignore" },
    );
    await c.start(
        app,
        "/usr/sbin/mariadbd",
        [
            `--datadir=${datadir}`,
            `--socket=${socket}`,
            "--bind-address=127.0.0.1",
            `--port=${c.localPort(app, 3306)}`,
            ...(process.getuid?.() === 0 ? ["--user=root"] : []),
        ],
        undefined,
        true,
        { prefix: ["--no-defaults"], drop: mysql84Only },
    );
    for (let i = 0; i < 100; i++) {
        try {
            mysql("SELECT 1", undefined, { socket });
            return { socket };
        } catch {
            await new Promise((r) => setTimeout(r, 200));
        }
    }
    throw new Error(`the run's own MariaDB did not start:\n${c.processes.find((p) => p.name === app)?.logFile}`);
}

/** Whether the program's database requires TLS (its StatefulSet's mysqld flags). */
export function databaseRequiresTls(c: LocalCluster, app = "trillian-db"): boolean {
    try {
        return (c.objects.workload(app).spec.template.spec.containers[0].args ?? []).includes("--require-secure-transport=ON");
    } catch {
        return false; // external database mode: no StatefulSet
    }
}

/** Drops a database made by createTrillianDatabase, and its user. */
export function dropTrillianDatabase(db: string): void {
    mysql(`DROP DATABASE IF EXISTS ${db}; DROP USER IF EXISTS '${db}'@'%', '${db}'@'localhost';`);
}

/**
 * A shell command line's result where a non-zero exit is a result, not an error (cosign failing to
 * verify, say): its exit status and everything it printed.
 */
export async function shellResult(run: Promise<{ stdout: string; stderr: string }>): Promise<{ status: number; output: string }> {
    try {
        const { stdout, stderr } = await run;
        return { status: 0, output: stdout + stderr };
    } catch (e: any) {
        return { status: typeof e.code === "number" ? e.code : 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
    }
}

/** The app's --mysql_uri with `db` as user and database; appended to its args, so it wins (Go flags). */
export function ownDatabase(c: LocalCluster, app: string, db: string, password: string): string {
    const arg: string = c.objects.workload(app).spec.template.spec.containers[0].args.find((a: string) => a.startsWith("--mysql_uri="));
    const uri = c.translate(arg, {}).replace("$(DB_PASSWORD)", password);
    const m = /^--mysql_uri=trillian:([^@]*)@(tcp\([^)]+\))\/trillian(\?.*)?$/.exec(uri);
    if (!m) throw new Error(`${app}: unexpected ${arg}`);
    return `--mysql_uri=${db}:${m[1]}@${m[2]}/${db}${m[3] ?? ""}`;
}

export interface Stack {
    work: string;
    /** The Trillian database in use. */
    database: string;
    /** Runs SQL as root on the database server in use (this machine's MariaDB, or the run's own with TLS). */
    sql(statement: string, database?: string): string;
    /** The first `up`: outputs and what was registered. */
    first: Evaluation;
    outputs: Evaluation["outputs"];
    /** What each Trillian admin Command (createtree, freeze) printed, by resource name (the latest run). */
    createtreePrinted: Record<string, string>;
    /** Another `up` against the running servers (e.g. with lost state: a fresh Map), at `now` (default: the real clock). */
    up(state: StackState, overrides?: Record<string, string | undefined>, now?: () => Date): Promise<Evaluation>;
    /**
     * A config change applied to the running stack: evaluates again on the first `up`'s state with
     * `overrides`, points the local cluster at the new objects, restarts `apps` from them and
     * rewrites the client material; returns the new evaluation.
     */
    reconfigure(overrides: Record<string, string | undefined>, apps: string[], now?: () => Date): Promise<Evaluation>;
    /** The ingress controller's stand-in, when the stack has Ingresses (config ingressClassName): the public URLs work as they are. */
    ingress?: LocalIngress;
    cluster: LocalCluster;
    rekorUrl: string;
    /** Rekor's search index: the UUIDs of the entries for an artifact's SHA-256 (hex); fails unless Rekor answers 200. */
    rekorIndexSearch(sha256Hex: string): Promise<string[]>;
    /** A fresh ID token for the suite's signer from the stack's issuer. */
    token(): Promise<string>;
    /** Runs a shell command line in `work` with cosign on PATH (as the e2e suite's cosign()). */
    sh(command: string, env?: Record<string, string>): Promise<{ stdout: string; stderr: string }>;
    /** Last lines of every server's log, for error messages. */
    logs(): string;
    stop(): Promise<void>;
}

/** Rekor v1's search index: the UUIDs of the entries for an artifact's SHA-256 (hex); fails unless Rekor answers 200. */
export async function rekorIndexSearch(rekorUrl: string, sha256Hex: string): Promise<string[]> {
    const res = await fetch(`${rekorUrl}/api/v1/index/retrieve`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ hash: `sha256:${sha256Hex}` }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`Rekor's index search failed: ${res.status} ${text}`);
    return JSON.parse(text) as string[];
}

const active = new Set<() => Promise<void>>();
const runningGroups = new Set<number>();

/** Stops every stack started here, including one still starting (for timeouts and signals). */
export async function stopAllStacks(): Promise<void> {
    for (const pgid of runningGroups) killGroup(pgid);
    for (const stop of [...active]) await stop();
}

function killGroup(pgid: number): void {
    try {
        process.kill(-pgid, "SIGKILL");
    } catch {
        /* already gone */
    }
}

export interface StackOptions {
    log?: (line: string) => void;
    /** A database and user of this run's own instead of the program's `trillian` (dropped at stop). */
    database?: string;
    /** Keep the work directory at stop (for debugging). */
    keepWork?: boolean;
    /** Flags appended to an app's args (Go flags: the last copy wins), e.g. to run upstream defaults. */
    extraArgs?: Record<string, string[]>;
    /** Stack config beyond the dev stack's (as `pulumi config set`), e.g. internalTls. */
    overrides?: Record<string, string>;
    /**
     * Which Rekor the stack writes to: "v1" (the default) runs the scenario as every stack runs by
     * default and prod runs, Rekor v1 on key generation 1; "stack" keeps the dev stack's own (Rekor v2
     * from key generation 2, its v1 tree frozen).
     */
    rekor?: "v1" | "stack";
    /**
     * Run the database "pod" as a MariaDB of this run's own (with the StatefulSet's flags) even
     * without TLS: the benchmark's control for internal TLS, which always runs one.
     */
    ownDatabaseServer?: boolean;
    /** Who issues the signing identities (default: the local issuer standing in for Keycloak, `localIssuer`). */
    issuer?: IssuerRunner;
}

/**
 * An OIDC issuer for a stack: the config that points the program at it, how to start it once the
 * program's objects exist (before Fulcio, which trusts it), a token for the suite's signer, and stop.
 */
export interface IssuerRunner {
    /** Stack config for this issuer (as `pulumi config set`), e.g. oidcIssuerUrl or identityProvider. */
    overrides: Record<string, string>;
    start(cluster: LocalCluster): Promise<void>;
    token(): Promise<string>;
    stop(): Promise<void>;
}

/** The organisation's Keycloak, stood in for by a local OIDC provider (e2e/oidc) that issues `user`'s tokens. */
export async function localIssuer(): Promise<IssuerRunner> {
    const { startIssuer, getIdToken } = await oidc();
    const issuer: { issuer: string; stop: () => Promise<unknown> } = await startIssuer({ port: 0, realm: "sigstore", clientId: "sigstore" });
    return {
        overrides: { oidcIssuerUrl: issuer.issuer, emailDomain: "corp.example" },
        start: async () => {},
        token: () => getIdToken({ issuer: issuer.issuer, clientId: "sigstore", user }),
        stop: async () => {
            await issuer.stop();
        },
    };
}

/** Starts everything; on failure stops whatever was started before rethrowing. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
    const log = options.log ?? (() => {});
    requireLocalServices();
    const bins = ensureBinaries(log);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "sigstore-e2e-"));
    let cluster: LocalCluster | undefined;
    let issuer: IssuerRunner | undefined;
    let trillianStarted: Promise<void> | undefined;
    const db = options.database ?? "trillian";
    const ownDb = options.database !== undefined;
    let dbCreated = false;
    let dbServer: MysqlServer;
    let ingress: LocalIngress | undefined;
    const createtreePrinted: Record<string, string> = {};

    let stopped: Promise<void> | undefined;
    const stop = () =>
        (stopped ??= (async () => {
            active.delete(stop);
            await ingress?.stop();
            await cluster?.stopAll();
            await issuer?.stop();
            if (dbCreated && ownDb) dropTrillianDatabase(db);
            if (options.keepWork) log(`kept ${work}`);
            else fs.rmSync(work, { recursive: true, force: true });
        })());
    active.add(stop);

    function startTrillian(cloud: MockCloud): Promise<void> {
        trillianStarted ??= (async () => {
            removeStalePodNetworks();
            const c = new LocalCluster(registeredObjects(cloud), namespace, path.join(work, "cluster"));
            cluster = c;
            const tlsDb = databaseRequiresTls(c) || options.ownDatabaseServer === true;
            if (!tlsDb) c.ports.set("trillian-db:3306", 3306); // the Database "pod" is this machine's MariaDB
            await c.allocateServicePorts();
            const server = tlsDb ? await startOwnMariadb(c, work) : undefined;
            dbServer = server;
            // What Trillian's db_server image does on first start: database, user (with the
            // program's generated password, as the log server reads it), schema.
            const pw = c.containerEnv("trillian-log-server").DB_PASSWORD;
            dbCreated = !tlsDb;
            createTrillianDatabase(db, ownDb ? db : "trillian", pw, server);
            for (const [name, bin] of [
                ["trillian-log-server", bins.trillian_log_server],
                ["trillian-log-signer", bins.trillian_log_signer],
            ]) {
                await c.start(name, bin, [...(ownDb ? [ownDatabase(c, name, db, pw)] : []), ...(options.extraArgs?.[name] ?? [])]);
            }
        })();
        return trillianStarted;
    }

    async function runAdminCommand(cloud: MockCloud, name: string, inputs: Record<string, any>) {
        await startTrillian(cloud);
        const shims = path.join(work, "shims");
        fs.mkdirSync(shims, { recursive: true });
        if (!fs.existsSync(path.join(shims, "kubectl"))) fs.symlinkSync(path.join(repoRoot, "e2e", "fake-kubectl"), path.join(shims, "kubectl"));
        // Internal TLS: the CA ConfigMap createtree.sh reads, as applied before the Command runs.
        const caConfigMap = inputs.environment.TRILLIAN_CA_CONFIGMAP;
        if (caConfigMap) {
            const cm = cloud.ofType("kubernetes:core/v1:ConfigMap").find((r) => r.state.metadata?.name === caConfigMap);
            if (!cm) throw new Error(`${name}: ConfigMap ${caConfigMap} was not registered before the Command`);
            applyConfigMap(caConfigMap, cm.inputs.data);
        }
        const result = await runInOwnGroup(
            inputs.interpreter[0],
            [...inputs.interpreter.slice(1), inputs.create],
            {
                ...inputs.environment,
                PATH: `${shims}:${path.dirname(bins.createtree)}:${process.env.PATH}`,
                E2E_CLUSTER_DIR: path.join(work, "applied"),
                E2E_SERVICE_PORTS: cluster!.servicePortsEnv(),
            },
            120_000,
        );
        if (result.status !== 0) throw new Error(`Trillian admin command ${name} failed (${result.status}):\n${result.stderr}`);
        createtreePrinted[name] = result.stdout.trim();
        return { stdout: result.stdout, stderr: result.stderr };
    }

    /** Evaluates the dev stack pointed at the local OIDC issuer; the Trillian admin Commands (createtree, freeze) run for real. */
    async function up(state: StackState, overrides: Record<string, string | undefined> = {}, now?: () => Date): Promise<Evaluation> {
        const cloud: MockCloud = new MockCloud({ password: () => randomPassword(), runCommand: (n, i) => runAdminCommand(cloud, n, i), now }, state);
        const rekor = options.rekor === "stack" ? {} : rekorV1Overrides;
        return evaluate({ stack: "dev", cloud, overrides: { ...rekor, ...options.overrides, ...issuer!.overrides, ...overrides } });
    }

    /** A ConfigMap as fake-kubectl reads it back: one file per key under applied/configmaps/<name>/. */
    function applyConfigMap(name: string, data: Record<string, string>): void {
        const dir = path.join(work, "applied", "configmaps", name);
        fs.mkdirSync(dir, { recursive: true });
        for (const [key, value] of Object.entries(data)) fs.writeFileSync(path.join(dir, key), value);
    }

    /** What applying an `up` leaves in the cluster: the tree and freeze records the admin scripts check. */
    function recordAppliedConfigMaps(e: Evaluation): void {
        for (const cm of e.cloud.ofType("kubernetes:core/v1:ConfigMap")) {
            if (cm.inputs.data?.treeID) applyConfigMap(cm.state.metadata.name, cm.inputs.data);
        }
    }

    try {
        issuer = options.issuer ?? (await localIssuer());
        const first = await up(new Map());
        const outputs = first.outputs;
        recordAppliedConfigMaps(first);
        const c = cluster!;
        await c.allocateServicePorts();
        await c.start("rekor-redis", "redis-server", redisListenArgs(c, "rekor-redis"));
        await c.start("ctlog", bins.ct_server, options.extraArgs?.ctlog);
        await c.start("rekor-server", bins["rekor-server"], options.extraArgs?.["rekor-server"]);
        await issuer.start(c);
        await c.start("fulcio-server", bins.fulcio, options.extraArgs?.["fulcio-server"]);
        // Its metrics port is fixed at :2112 like Rekor's: a network namespace of its own, as its pod has.
        if (outputs.timestampAuthority.enabled) await c.start("tsa-server", bins["timestamp-server"], [], anyPod, true, { ownNetwork: true });
        if (outputs.rekorV2Log.enabled) await syncRekorV2(c, bins.posix);
        if (outputs.tufRepository.enabled) await startTufServer(c);
        /** (Re)starts the ingress stand-in on the current Ingresses; its CA is copied to one path, which clients keep trusting. */
        const ingressCa = path.join(work, "ingress-ca.pem");
        const startIngressHere = async () => {
            await ingress?.stop();
            const started = await startIngress(c, path.join(work, "ingress"));
            fs.copyFileSync(started.caFile, ingressCa);
            ingress = { ...started, caFile: ingressCa };
        };
        if (c.objects.ingresses().length > 0) await startIngressHere();

        const rekorUrl = writeClientMaterial(work, outputs, c);

        const env = {
            PATH: `${path.dirname(bins.cosign)}:${process.env.PATH}`,
            HOME: work,
            TUF_ROOT: path.join(work, "tuf"),
            // Go's TLS trusts exactly this file: the ingress stand-in's CA, as a cluster's clients trust the organisation's.
            ...(ingress ? { SSL_CERT_FILE: ingress.caFile } : {}),
        };
        const signer = issuer;
        const logs = () => c.processes.map((p) => `--- ${p.name}\n${tail(p.logFile, 15)}`).join("\n");
        return {
            work,
            database: db,
            first,
            outputs,
            createtreePrinted,
            up,
            cluster: c,
            rekorUrl,
            stop,
            get ingress() {
                return ingress;
            },
            reconfigure: async (overrides, apps, now) => {
                const next = await up(first.cloud.stackState, overrides, now);
                recordAppliedConfigMaps(next);
                c.objects = registeredObjects(next.cloud);
                for (const app of apps) {
                    const running = c.processes.find((p) => p.name === app && p.child.exitCode === null);
                    if (!running) throw new Error(`reconfigure: ${app} is not running`);
                    await c.stop(app);
                    if (app === tufService) await startTufServer(c);
                    else await c.start(app, running.binary, [], anyPod, true, running.adapt);
                }
                // Rekor v2's logs as the new config has them (a log added, a retired one's server stopped), and the Ingresses routing to them.
                if (next.outputs.rekorV2Log.enabled) await syncRekorV2(c, bins.posix);
                if (ingress) await startIngressHere();
                writeClientMaterial(work, next.outputs, c);
                return next;
            },
            sql: (statement, database) => mysql(statement, database, dbServer),
            rekorIndexSearch: (sha256Hex) =>
                rekorIndexSearch(rekorUrl, sha256Hex).catch((e) => {
                    throw new Error(`${e.message}\n${logs()}`);
                }),
            token: () => signer.token(),
            sh: (command, extraEnv = {}) => promisify(execFile)("bash", ["-c", command], { cwd: work, timeout: 120_000, env: { ...env, ...extraEnv } }),
            logs,
        };
    } catch (e) {
        await stop();
        throw e;
    }
}

/** One of the program's cosign v3 commands for the blob `<name>.txt` and the bundle `<name>.sigstore.json` instead of `artifact`. */
export function forBlob(command: string, name: string): string {
    return command.replace("--bundle=artifact.sigstore.json", `--bundle=${name}.sigstore.json`).replace(/ artifact$/, ` ${name}.txt`);
}

/** Writes `<name>.txt` (unique content) and signs it with the stack's cosign v3 command; returns the bundle. */
export async function signBlob(stack: Stack, name: string): Promise<any> {
    fs.writeFileSync(path.join(stack.work, `${name}.txt`), `${name} ${Date.now()}\n`);
    const signed = await shellResult(
        stack.sh(`${forBlob(stack.outputs.cosign.v3.sign, name)} --identity-token="$ID_TOKEN"`, { ID_TOKEN: await stack.token() }),
    );
    if (signed.status !== 0) throw new Error(`cosign sign-blob (${name}) failed:\n${signed.output}\n${stack.logs()}`);
    return JSON.parse(fs.readFileSync(path.join(stack.work, `${name}.sigstore.json`), "utf8"));
}

/** Redis listens where its config says, on this machine's port: TLS only when the program gives it TLS. */
export function redisListenArgs(c: LocalCluster, app: string): string[] {
    const port = String(c.localPort(app, 6379));
    const config = c.objects.workload(app).spec.template.spec.volumes.find((v: any) => v.name === "config").secret.secretName;
    const tls = /^tls-port /m.test(c.objectData("Secret", config)["redis.conf"]);
    return [...(tls ? ["--port", "0", "--tls-port", port] : ["--port", port]), "--bind", "127.0.0.1"];
}

/**
 * Writes the stack's trusted_root.json and signing_config.json into `work` for cosign. Public URLs →
 * the local servers is the only change to the program's signing config. Returns the local Rekor URL.
 */
export function writeClientMaterial(work: string, outputs: Record<string, any>, c: LocalCluster): string {
    const rekorUrl = `http://127.0.0.1:${c.localPort("rekor-server", 3000)}`;
    fs.writeFileSync(path.join(work, "trusted_root.json"), outputs.trustedRoot);
    let signingConfig: string = outputs.signingConfig
        .split(outputs.urls.fulcio)
        .join(`http://127.0.0.1:${c.localPort("fulcio-server", 5555)}`)
        .split(outputs.urls.rekor)
        .join(rekorUrl);
    if (outputs.timestampAuthority.enabled) signingConfig = signingConfig.split(outputs.timestampAuthority.url).join(timestampUrl(c));
    // Rekor v2: writes go straight to the active log's server; the trusted root keeps its public URL,
    // whose host is the checkpoint origin clients verify.
    if (outputs.rekorV2Log.enabled) {
        const service = String(outputs.rekorV2Log.origin).split(".")[0];
        signingConfig = signingConfig.split(outputs.rekorV2Log.url).join(`http://127.0.0.1:${c.localPort(service, rekorV2Ports.http)}`);
    }
    fs.writeFileSync(path.join(work, "signing_config.json"), signingConfig);
    return rekorUrl;
}

/** Where the host asks the running timestamp authority for timestamps (its pod's own address). */
export function timestampUrl(c: LocalCluster): string {
    return `http://${c.address("tsa-server")}:${c.localPort("tsa-server", 5555)}/api/v1/timestamp`;
}

/**
 * Runs a command in a process group of its own and ends the whole group once the command exits (or
 * after timeoutMs), so nothing it started in the background (a port-forward) outlives it.
 */
async function runInOwnGroup(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
    const child = spawn(command, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "",
        stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const pgid = child.pid!;
    runningGroups.add(pgid);
    const timer = setTimeout(() => killGroup(pgid), timeoutMs);
    try {
        const closed = once(child, "close").catch(() => undefined);
        const [status] = (await once(child, "exit")) as [number | null];
        killGroup(pgid);
        await closed;
        return { status, stdout, stderr };
    } finally {
        clearTimeout(timer);
        runningGroups.delete(pgid);
    }
}

/** The OIDC helpers are ES modules (e2e/oidc); CommonJS reaches them with a real dynamic import. */
export async function oidc() {
    const { startIssuer } = await import("../e2e/oidc/run-issuer.mjs");
    const { getIdToken } = await import("../e2e/oidc/token-client.mjs");
    return { startIssuer, getIdToken };
}

/**
 * The main of a script that runs on one stack (a benchmark): starts it with `options`, runs `body`,
 * stops everything whatever happens, and exits with body's code (1 on an error).
 */
export function runOnStack(options: StackOptions, body: (s: Stack) => Promise<number>): void {
    (async () => {
        const s = await startStack(options);
        try {
            return await body(s);
        } finally {
            await s.stop();
        }
    })().then(
        async (code) => {
            await stopAllStacks();
            process.exit(code);
        },
        async (e) => {
            console.error(e);
            await stopAllStacks();
            process.exit(1);
        },
    );
}

/**
 * Writes `<name>.txt` and signs it keyless with nothing but cosign's TUF cache ($TUF_ROOT, after
 * `cosign initialize`): no --trusted-root, no --signing-config. Returns the bundle.
 */
export async function signWithServedTrust(stack: Stack, name: string): Promise<any> {
    fs.writeFileSync(path.join(stack.work, `${name}.txt`), `${name} ${Date.now()}\n`);
    const signed = await shellResult(
        stack.sh(`cosign sign-blob --yes --bundle=${name}.sigstore.json --identity-token="$ID_TOKEN" ${name}.txt`, { ID_TOKEN: await stack.token() }),
    );
    if (signed.status !== 0) throw new Error(`cosign sign-blob (${name}) failed:\n${signed.output}\n${stack.logs()}`);
    return JSON.parse(fs.readFileSync(path.join(stack.work, `${name}.sigstore.json`), "utf8"));
}
