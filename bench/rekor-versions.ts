/**
 * Rekor v1 against Rekor v2, on this machine, with the real servers run from the program's config
 * (e2e/harness.ts), one stack at a time:
 *  1. write throughput with the same kind of payload, a hashedrekord entry for a fresh random
 *     64-byte artifact signed (ECDSA P-256, SHA-256) by a fresh key: v1 as v0.0.1 to
 *     /api/v1/log/entries (bench/rekor.ts), v2 as v0.0.2 to /api/v2/log/entries
 *     (rekor-tiles v2.3.0 CLIENTS.md: the digest and the DER SubjectPublicKeyInfo, keyDetails
 *     PKIX_ECDSA_P256_SHA_256; the server verifies the signature over that digest). Concurrency 1, 4,
 *     16, 64, then 256 and 1024 (BENCH_EXTRA_CONCURRENCY), after an untimed warm-up; per level
 *     entries/s, p50/p95/p99 latency, errors (anything but a 201) and the CPU seconds of every server
 *     process, MariaDB (this machine's) and this client (utime+stime from /proc/<pid>/stat). Then the
 *     ratio of saturated throughput (the best level), v2 over v1, over levels 1-64 and over all.
 *     Rekor v1 is the dev stack on Rekor v1 (harness `rekor: "v1"`), Rekor v2 the dev stack's own
 *     config (`rekor: "stack"`: checkpoint interval 1s, the program's default). A v2 write is answered
 *     once the server's checkpoint poller, which looks every second (rekor-tiles v2.3.0
 *     internal/tessera: NewPublicationAwaiter(…, 1*time.Second)), sees a checkpoint covering it: a
 *     closed-loop client gets at most about `concurrency` entries/s, hence the levels beyond 64;
 *  2. how Rekor v2's --checkpoint-interval sets latency at concurrency 1: the server restarted on the
 *     same log with the flag appended (the last copy of a flag wins) at 100ms, 1s and 10s (the
 *     server's upstream default); then, by default, the whole sweep again at the other of 100ms and 1s;
 *  3. bytes per entry once each log holds BENCH_SCALE_ENTRIES entries (filled at concurrency 64):
 *     Rekor v1 = MariaDB data + index of Trillian's tables after ANALYZE TABLE, growth since the
 *     stack started (as bench/write-path.ts measures it), with the tablespace files' sizes and Redis
 *     (used memory, keys, its data directory with the AOF); Rekor v2 = its POSIX storage directory
 *     (the server's --storage-dir) by part: entry bundles, hash tiles, checkpoint, and each part of
 *     `.state/` (the antispam badger database, the tree state), apparent size (du --apparent-size -sb)
 *     and disk use (du -sB1).
 * The client is the same for both: node:http, one keep-alive connection per worker (an http.Agent
 * with keepAlive and maxSockets = concurrency), every body prepared before its level starts (key
 * generation and signing are not timed). A level stops issuing requests after BENCH_LEVEL_SECONDS
 * (requests in flight finish and count).
 * Env: BENCH_LEVEL_ENTRIES (3000: a level's most entries are this or 8 × concurrency, the larger),
 * BENCH_LEVEL_SECONDS (30), BENCH_EXTRA_CONCURRENCY (256,1024; empty for none), BENCH_SCALE_ENTRIES
 * (10000, log size for the bytes per entry), BENCH_INTERVAL_ENTRIES (50: at most this many per
 * interval: 50 at 100ms, 20 at 1s, 5 at 10s), BENCH_V2_FAST_SWEEP (1: 0 skips the comparison sweep at the other interval, 1s or 100ms),
 * BENCH_TIMEOUT_S (1800, the whole run), BENCH_OUT (/tmp/sigstore-bench-rekor-versions.json).
 * Needs what the e2e suite needs (see e2e/harness.ts): MariaDB on 127.0.0.1:3306, redis-server, nginx,
 * the built binaries; no other stack running (Fulcio binds a machine-wide socket). Every server is
 * stopped at the end, on error, timeout and Ctrl-C. Exits non-zero if any write failed at concurrency
 * 64 or below, in the interval runs or in the fill; failures at the overload levels beyond 64 are
 * results (shown with samples), not failures of the run.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { Stack, startStack } from "../e2e/harness";
import { runBenchmark } from "./runner";
import { anyPod, freePort, RunningProcess } from "../e2e/local-cluster";
import { BurstResult, hashedrekordEntry, hashedrekordV2Request, timedBurst } from "./rekor";
import { cpuSecondsOf, LevelStats } from "./sweep";
import { percentile, table } from "./stats";

const envInt = (name: string, dflt: number, min = 1) => {
    const v = Number(process.env[name] ?? dflt);
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}`);
    return v;
};
const levelEntries = envInt("BENCH_LEVEL_ENTRIES", 3000);
const levelSeconds = envInt("BENCH_LEVEL_SECONDS", 30);
const scaleEntries = envInt("BENCH_SCALE_ENTRIES", 10_000, 0);
const intervalEntries = envInt("BENCH_INTERVAL_ENTRIES", 50);
const fastSweep = process.env.BENCH_V2_FAST_SWEEP !== "0";
const timeoutMs = envInt("BENCH_TIMEOUT_S", 1800) * 1000;
const outFile = process.env.BENCH_OUT ?? "/tmp/sigstore-bench-rekor-versions.json";

/** The levels every sweep runs, and beyond them (BENCH_EXTRA_CONCURRENCY) the ones that can saturate Rekor v2. */
const concurrencies = [1, 4, 16, 64];
const extraConcurrencies = (process.env.BENCH_EXTRA_CONCURRENCY ?? "256,1024")
    .split(",")
    .filter(Boolean)
    .map((c) => {
        if (!/^\d+$/.test(c) || Number(c) < 1) throw new Error("BENCH_EXTRA_CONCURRENCY must be a comma-separated list of positive integers");
        return Number(c);
    });
const levelsRun = [...concurrencies, ...extraConcurrencies];
/** A level's most entries: enough for a few rounds at high concurrency. */
const entriesAt = (c: number) => Math.max(levelEntries, 8 * c);
const warmUp = { concurrency: 4, entries: 40 };
const fillConcurrency = 64;
/** Checkpoint intervals for the concurrency-1 latency, and how many entries each (capped by BENCH_INTERVAL_ENTRIES). */
const intervals: Array<[string, number]> = [
    ["100ms", 50],
    ["1s", 20],
    ["10s", 5],
];
const requestTimeoutMs = 60_000;

const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const log = (line: string) => console.log(`\n${new Date().toISOString().slice(11, 19)} ${line} ...`);

// ---------------------------------------------------------------------------------------------
// Payloads

interface Target {
    name: "v1" | "v2";
    url: URL;
    body: () => string;
}

function v1Target(s: Stack): Target {
    return { name: "v1", url: new URL(`${s.rekorUrl}/api/v1/log/entries`), body: hashedrekordEntry };
}

function v2Target(s: Stack): Target {
    return { name: "v2", url: new URL(`http://127.0.0.1:${s.cluster.localPort("rekor-v2", 3000)}/api/v2/log/entries`), body: hashedrekordV2Request };
}

// ---------------------------------------------------------------------------------------------
// The client: the same for both logs

function post(agent: http.Agent, url: URL, body: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            {
                agent,
                host: url.hostname,
                port: url.port,
                path: url.pathname,
                method: "POST",
                headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
                timeout: requestTimeoutMs,
            },
            (res) => {
                let text = "";
                res.setEncoding("utf8");
                res.on("data", (chunk: string) => (text += chunk));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
                res.on("error", reject);
            },
        );
        req.on("timeout", () => req.destroy(new Error(`no answer in ${requestTimeoutMs} ms`)));
        req.on("error", reject);
        req.end(body);
    });
}

/** Writes answered 201 per log, warm-ups included: against how much its log grew. */
const accepted = { v1: 0, v2: 0 };

/** POSTs the bodies with `concurrency` workers, each on a keep-alive connection of its own; 201 is success. */
async function burst(target: Target, bodies: string[], concurrency: number, timeBoundMs = Infinity): Promise<BurstResult> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    try {
        const result = await timedBurst(bodies, concurrency, (body) => post(agent, target.url, body), timeBoundMs);
        accepted[target.name] += result.latenciesMs.length;
        return result;
    } finally {
        agent.destroy();
    }
}

// ---------------------------------------------------------------------------------------------
// CPU per process

const alive = (p: RunningProcess) => p.child.pid !== undefined && p.child.exitCode === null && p.child.signalCode === null;

/** CPU seconds so far of every running server process, this machine's MariaDB and this client, by name. */
function cpuSnapshot(s: Stack): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of s.cluster.processes.filter(alive)) {
        try {
            out[p.name] = cpuSecondsOf(p.child.pid!);
        } catch {
            /* exited meanwhile */
        }
    }
    out.mariadb = cpuSecondsOf(Number(execFileSync("pidof", ["mariadbd"], { encoding: "utf8" }).trim().split(" ")[0]));
    const own = process.cpuUsage();
    out.client = (own.user + own.system) / 1e6;
    return out;
}

// ---------------------------------------------------------------------------------------------
// Sweep

/** A level as bench/sweep.ts reports one ("mariadb" is this machine's), with the extremes and a few failures. */
interface Level extends LevelStats {
    min: number;
    max: number;
    errorSamples: Array<{ status: number; body: string }>;
}

async function level(s: Stack, target: Target, concurrency: number, entries: number, timeBoundS: number): Promise<Level> {
    const bodies = Array.from({ length: entries }, target.body);
    const cpu0 = cpuSnapshot(s);
    const r = await burst(target, bodies, concurrency, timeBoundS * 1000);
    const cpu1 = cpuSnapshot(s);
    const wallSeconds = r.elapsedMs / 1000;
    const done = r.latenciesMs.length;
    return {
        concurrency,
        entries: done,
        entriesPerSecond: round(done / wallSeconds),
        p50: round(percentile(r.latenciesMs, 50), 1),
        p95: round(percentile(r.latenciesMs, 95), 1),
        p99: round(percentile(r.latenciesMs, 99), 1),
        min: round(Math.min(...r.latenciesMs), 1),
        max: round(Math.max(...r.latenciesMs), 1),
        errors: r.failures.length,
        errorSamples: r.failures.slice(0, 3),
        wallSeconds: round(wallSeconds),
        cpuSeconds: Object.fromEntries(Object.keys(cpu1).map((k) => [k, round(cpu1[k] - (cpu0[k] ?? cpu1[k]))])),
    };
}

async function sweep(s: Stack, target: Target, label: string): Promise<Level[]> {
    await burst(target, Array.from({ length: warmUp.entries }, target.body), warmUp.concurrency);
    const out: Level[] = [];
    for (const c of levelsRun) {
        const l = await level(s, target, c, entriesAt(c), levelSeconds);
        console.log(`  ${label} c=${c}: ${l.entries} entries, ${l.entriesPerSecond}/s, p50 ${l.p50} ms, ${l.errors} errors`);
        out.push(l);
    }
    return out;
}

/** Fills the log up to `size` entries at concurrency 64, in chunks; what it wrote and how fast. */
async function fill(target: Target, current: () => Promise<number>, size: number) {
    let entries = 0;
    let errors = 0;
    let ms = 0;
    const samples: BurstResult["failures"] = [];
    for (let n = await current(); n < size; n = await current()) {
        const r = await burst(target, Array.from({ length: Math.min(2000, size - n) }, target.body), fillConcurrency);
        entries += r.latenciesMs.length;
        errors += r.failures.length;
        ms += r.elapsedMs;
        samples.push(...r.failures.slice(0, 3 - samples.length));
        if (r.latenciesMs.length === 0) throw new Error(`${target.name}: filling the log failed: ${JSON.stringify(r.failures.slice(0, 3))}`);
    }
    return { concurrency: fillConcurrency, entries, errors, errorSamples: samples, entriesPerSecond: ms > 0 ? round(entries / (ms / 1000)) : 0 };
}

// ---------------------------------------------------------------------------------------------
// Bytes: Rekor v1 (MariaDB, Redis)

interface TableBytes {
    table: string;
    rows: number;
    dataBytes: number;
    indexBytes: number;
    /** The tablespace file (.ibd): its size and what it takes on disk. */
    fileBytes: number;
    allocatedBytes: number;
}

/** Trillian's tables after ANALYZE TABLE (data_length and index_length are then current), with their tablespace files. */
function trillianTables(s: Stack): TableBytes[] {
    const db = s.database;
    const names = s.sql(`SELECT table_name FROM information_schema.tables WHERE table_schema='${db}'`).split("\n").filter(Boolean);
    s.sql(`ANALYZE TABLE ${names.map((t) => `${db}.${t}`).join(", ")}`);
    const files = new Map<string, [number, number]>();
    for (const line of s.sql(`SELECT name, file_size, allocated_size FROM information_schema.innodb_sys_tablespaces WHERE name LIKE '${db}/%'`).split("\n")) {
        const [name, size, allocated] = line.split("\t");
        if (name) files.set(name.slice(db.length + 1).toLowerCase(), [Number(size), Number(allocated)]);
    }
    return s
        .sql(`SELECT table_name, table_rows, data_length, index_length FROM information_schema.tables WHERE table_schema='${db}' ORDER BY table_name`)
        .split("\n")
        .filter(Boolean)
        .map((line) => {
            const [table, rows, data, index] = line.split("\t");
            const [fileBytes, allocatedBytes] = files.get(table.toLowerCase()) ?? [NaN, NaN];
            return { table, rows: Number(rows), dataBytes: Number(data), indexBytes: Number(index), fileBytes, allocatedBytes };
        });
}

async function v1TreeSize(s: Stack): Promise<number> {
    const res = await fetch(`${s.rekorUrl}/api/v1/log`);
    if (res.status !== 200) throw new Error(`GET /api/v1/log: ${res.status} ${await res.text()}`);
    return Number(((await res.json()) as { treeSize: number }).treeSize);
}

function du(paths: string[]): { apparent: number; disk: number } {
    if (paths.length === 0) return { apparent: 0, disk: 0 };
    const sum = (args: string[]) =>
        execFileSync("du", [...args, "-c", ...paths], { encoding: "utf8" })
            .trim()
            .split("\n")
            .pop()!
            .split("\t")[0];
    return { apparent: Number(sum(["--apparent-size", "-sb"])), disk: Number(sum(["-sB1"])) };
}

function findFile(dir: string, name: string): string | undefined {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isFile() && e.name === name) return p;
        if (e.isDirectory()) {
            const found = findFile(p, name);
            if (found) return found;
        }
    }
    return undefined;
}

interface RedisBytes {
    keys: number;
    usedMemory: number;
    usedMemoryDataset: number;
    aofBytes: number;
    dataDir: { apparent: number; disk: number };
}

/** Rekor v1's Redis (its search index): memory, keys, and its data directory (the program's redis.conf: appendonly, dir = its volume). */
function redisBytes(s: Stack): RedisBytes {
    const p = s.cluster.processes.find((x) => x.name === "rekor-redis" && alive(x))!;
    const conf = fs.readFileSync(findFile(s.cluster.podRoot("rekor-redis"), "redis.conf")!, "utf8");
    const password = /^requirepass (.*)$/m.exec(conf)![1].trim();
    const cli = (...args: string[]) =>
        execFileSync("redis-cli", ["-h", "127.0.0.1", "-p", String(s.cluster.localPort("rekor-redis", 6379)), "-a", password, "--no-auth-warning", ...args], {
            encoding: "utf8",
        });
    const info = cli("INFO");
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? NaN);
    return {
        keys: Number(cli("DBSIZE").trim()),
        usedMemory: field("used_memory"),
        usedMemoryDataset: field("used_memory_dataset"),
        aofBytes: field("aof_current_size"),
        dataDir: du([fs.readlinkSync(`/proc/${p.child.pid}/cwd`)]),
    };
}

// ---------------------------------------------------------------------------------------------
// Bytes: Rekor v2 (its POSIX storage directory)

function runningV2(s: Stack): RunningProcess {
    const p = s.cluster.processes.find((x) => x.name === "rekor-v2" && alive(x));
    if (!p) throw new Error("Rekor v2's server is not running");
    return p;
}

/** A running server's flag value, as it was started (the last copy wins). */
function flagOf(p: RunningProcess, flag: string): string {
    const value = fs
        .readFileSync(`/proc/${p.child.pid}/cmdline`, "utf8")
        .split("\0")
        .filter((a) => a.startsWith(`${flag}=`))
        .pop();
    if (value === undefined) throw new Error(`${p.name} runs without ${flag}`);
    return value.slice(flag.length + 1);
}

function v2TreeSize(storageDir: string): number {
    return Number(fs.readFileSync(path.join(storageDir, "checkpoint"), "utf8").split("\n")[1]);
}

interface StoragePart {
    part: string;
    apparent: number;
    disk: number;
    files: number;
}

/** The storage directory by part: entry bundles, hash tiles, checkpoint, each entry of .state/, anything else; and the whole. */
function v2Storage(storageDir: string): StoragePart[] {
    const at = (...p: string[]) => path.join(storageDir, ...p);
    const ls = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
    const count = (paths: string[]) =>
        paths.length === 0 ? 0 : Number(execFileSync("bash", ["-c", 'find "$@" -type f | wc -l', "find", ...paths], { encoding: "utf8" }).trim());
    const part = (name: string, paths: string[]): StoragePart => ({ part: name, ...du(paths), files: count(paths) });
    const known = new Set(["tile", "checkpoint", ".state"]);
    const parts = [
        part("tile/entries (entry bundles)", [at("tile", "entries")].filter(fs.existsSync)),
        part(
            "tile/<level> (hash tiles)",
            ls(at("tile"))
                .filter((d) => d !== "entries")
                .map((d) => at("tile", d)),
        ),
        part("checkpoint", [at("checkpoint")]),
        ...ls(at(".state")).map((e) => part(`.state/${e}`, [at(".state", e)])),
    ];
    const others = ls(storageDir).filter((e) => !known.has(e));
    if (others.length > 0)
        parts.push(
            part(
                `other (${others.join(", ")})`,
                others.map((e) => at(e)),
            ),
        );
    parts.push(part("served: tile/ + checkpoint (the read path's)", [at("tile"), at("checkpoint")].filter(fs.existsSync)));
    parts.push(part("total", [storageDir]));
    return parts;
}

/** Every file under .state/: badger preallocates (sparse) files, so its apparent size is not what it stores. */
function stateFiles(storageDir: string): Array<{ file: string; apparent: number; disk: number }> {
    const dir = path.join(storageDir, ".state");
    return execFileSync("find", [dir, "-type", "f", "-printf", "%P\t%s\t%b\n"], { encoding: "utf8" })
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => {
            const [file, size, blocks] = line.split("\t");
            return { file, apparent: Number(size), disk: Number(blocks) * 512 };
        });
}

/** Restarts Rekor v2's server on the same log with the checkpoint interval appended to its flags (the last copy wins). */
async function restartRekorV2(s: Stack, interval: string): Promise<void> {
    const running = runningV2(s);
    await s.cluster.stop("rekor-v2");
    // As e2e/rekor-v2-server.ts starts it: its gRPC listener on a free port of its own.
    await s.cluster.start("rekor-v2", running.binary, [`--grpc-port=${await freePort()}`, `--checkpoint-interval=${interval}`], anyPod, true, running.adapt);
    const now = flagOf(runningV2(s), "--checkpoint-interval");
    if (now !== interval) throw new Error(`Rekor v2 restarted with --checkpoint-interval=${now}, not ${interval}`);
}

// ---------------------------------------------------------------------------------------------
// The run

async function benchV1() {
    log("Rekor v1: starting the dev stack on Rekor v1 (key generation 1)");
    const s = await startStack({ rekor: "v1", database: `trillian_rv_v1_${process.pid}` });
    try {
        const target = v1Target(s);
        const size0 = await v1TreeSize(s);
        const tables0 = trillianTables(s);
        const redis0 = redisBytes(s);
        log("Rekor v1: sweep");
        const levels = await sweep(s, target, "v1");
        log(`Rekor v1: filling the log to ${scaleEntries} entries`);
        const filled = await fill(target, () => v1TreeSize(s), scaleEntries);
        const entries = (await v1TreeSize(s)) - size0;
        const tables1 = trillianTables(s);
        const redis1 = redisBytes(s);
        const tables = tables1.map((t) => {
            const b = tables0.find((x) => x.table === t.table);
            return {
                ...t,
                grewDataBytes: t.dataBytes - (b?.dataBytes ?? 0),
                grewIndexBytes: t.indexBytes - (b?.indexBytes ?? 0),
                grewAllocatedBytes: t.allocatedBytes - (b?.allocatedBytes ?? 0),
            };
        });
        const scale = { entries, accepted201: accepted.v1, fill: filled, tables, redisBefore: redis0, redisAfter: redis1 };
        return { processes: s.cluster.processes.map((p) => p.name), levels, scale };
    } finally {
        await s.stop();
    }
}

async function benchV2() {
    log("Rekor v2: starting the dev stack's own config (Rekor v2 from key generation 2)");
    const s = await startStack({ rekor: "stack", database: `trillian_rv_v2_${process.pid}` });
    try {
        const target = v2Target(s);
        const storageDir = flagOf(runningV2(s), "--storage-dir");
        const programInterval = flagOf(runningV2(s), "--checkpoint-interval");
        const size0 = v2TreeSize(storageDir);
        log(`Rekor v2: sweep (--checkpoint-interval=${programInterval}, the program's)`);
        const levels = await sweep(s, target, "v2");
        log(`Rekor v2: filling the log to ${scaleEntries} entries`);
        const filled = await fill(target, async () => v2TreeSize(storageDir), scaleEntries);
        // Let the last checkpoint and the antispam database settle before measuring.
        await new Promise((r) => setTimeout(r, 3000));
        const entries = v2TreeSize(storageDir) - size0;
        const storage = v2Storage(storageDir);
        const scale = { entries, accepted201: accepted.v2, totalEntries: v2TreeSize(storageDir), fill: filled, storage, stateFiles: stateFiles(storageDir) };

        log("Rekor v2: concurrency-1 latency per checkpoint interval (server restarted on the same log)");
        const byInterval: Array<{ interval: string } & Level> = [];
        for (const [interval, n] of [...intervals].reverse()) {
            await restartRekorV2(s, interval);
            await burst(target, [target.body()], 1); // untimed: the first write after a start
            const l = await level(s, target, 1, Math.min(n, intervalEntries), 600);
            console.log(`  --checkpoint-interval=${interval}: p50 ${l.p50} ms, p95 ${l.p95} ms (${l.entries} entries)`);
            byInterval.push({ interval, ...l });
        }
        byInterval.reverse();
        // The comparison: the same sweep at the other of the two intervals worth running (the program's default is one).
        const otherInterval = programInterval === "100ms" ? "1s" : "100ms";
        let fast: Level[] | undefined;
        if (fastSweep) {
            log(`Rekor v2: sweep at --checkpoint-interval=${otherInterval}`);
            await restartRekorV2(s, otherInterval);
            fast = await sweep(s, target, `v2@${otherInterval}`);
        }
        return { processes: s.cluster.processes.filter(alive).map((p) => p.name), storageDir, programInterval, otherInterval, levels, scale, byInterval, fast };
    } finally {
        await s.stop();
    }
}

const mib = (b: number) => round(b / 1024 / 1024, 1);
const perEntry = (b: number, n: number) => (n > 0 ? Math.round(b / n) : NaN);

function printSweep(title: string, levels: Level[]): void {
    table(
        title,
        ["concurrency", "entries", "entries/s", "p50 ms", "p95 ms", "p99 ms", "errors", "wall s"],
        levels.map((l) => [l.concurrency, l.entries, l.entriesPerSecond, l.p50, l.p95, l.p99, l.errors, l.wallSeconds]),
    );
}

/** CPU seconds per level for the named processes, the rest summed; total, per entry and busy cores. */
function printCpu(title: string, levels: Level[], shown: string[]): void {
    table(
        title,
        ["concurrency", ...shown, "others", "total", "CPU ms/entry", "busy cores"],
        levels.map((l) => {
            const total = Object.values(l.cpuSeconds).reduce((a, b) => a + b, 0);
            const named = shown.map((n) => l.cpuSeconds[n] ?? 0);
            return [
                l.concurrency,
                ...named,
                round(total - named.reduce((a, b) => a + b, 0)),
                round(total),
                round((total * 1000) / l.entries, 1),
                round(total / l.wallSeconds),
            ];
        }),
    );
}

async function main(): Promise<number> {
    const loadBefore = os.loadavg().map((x) => round(x));
    console.log(`load average before: ${loadBefore.join(" ")} (${os.cpus().length} CPUs)`);
    const started = performance.now();
    const v1 = await benchV1();
    const v2 = await benchV2();
    const loadAfter = os.loadavg().map((x) => round(x));

    printSweep(`Rekor v1 hashedrekord v0.0.1 writes (the program's Trillian; ${levelSeconds} s or ${levelEntries} entries per level)`, v1.levels);
    printSweep(`Rekor v2 hashedrekord v0.0.2 writes (--checkpoint-interval=${v2.programInterval}, the program's)`, v2.levels);
    if (v2.fast) printSweep(`Rekor v2 writes at --checkpoint-interval=${v2.otherInterval}`, v2.fast);

    printCpu("CPU seconds per process per level, Rekor v1", v1.levels, [
        "rekor-server",
        "trillian-log-server",
        "trillian-log-signer",
        "rekor-redis",
        "mariadb",
        "client",
    ]);
    printCpu(`CPU seconds per process per level, Rekor v2 (${v2.programInterval})`, v2.levels, ["rekor-v2", "mariadb", "client"]);
    if (v2.fast) printCpu(`CPU seconds per process per level, Rekor v2 (${v2.otherInterval})`, v2.fast, ["rekor-v2", "mariadb", "client"]);

    /** The best level (saturated throughput) among those up to `maxConcurrency`. */
    const best = (ls: Level[], maxConcurrency = Infinity) =>
        ls.filter((l) => l.concurrency <= maxConcurrency).reduce((a, b) => (b.entriesPerSecond > a.entriesPerSecond ? b : a));
    const saturated = (maxConcurrency: number) => {
        const v1Best = best(v1.levels, maxConcurrency);
        const v2Best = best(v2.levels, maxConcurrency);
        const fastBest = v2.fast ? best(v2.fast, maxConcurrency) : undefined;
        return {
            levels: `concurrency ${maxConcurrency === Infinity ? "any" : `<= ${maxConcurrency}`}`,
            v1: v1Best,
            v2: v2Best,
            ratio: round(v2Best.entriesPerSecond / v1Best.entriesPerSecond),
            v2AtOtherInterval: fastBest,
            ratioAtOtherInterval: fastBest ? round(fastBest.entriesPerSecond / v1Best.entriesPerSecond) : undefined,
        };
    };
    const saturation = [saturated(64), ...(extraConcurrencies.length > 0 ? [saturated(Infinity)] : [])];
    table(
        "v2 / v1 entries/s per level",
        ["concurrency", "v1 entries/s", `v2 (${v2.programInterval})`, "ratio", ...(v2.fast ? [`v2 (${v2.otherInterval})`, "ratio"] : [])],
        v1.levels.map((l, i) => [
            l.concurrency,
            l.entriesPerSecond,
            v2.levels[i].entriesPerSecond,
            round(v2.levels[i].entriesPerSecond / l.entriesPerSecond),
            ...(v2.fast ? [v2.fast[i].entriesPerSecond, round(v2.fast[i].entriesPerSecond / l.entriesPerSecond)] : []),
        ]),
    );
    table(
        "Saturated throughput (the best level) and the ratio v2 / v1 (target: >= 5)",
        ["levels", "log", "entries/s", "at concurrency", "v2 / v1"],
        saturation.flatMap((x) => [
            [x.levels, "Rekor v1", x.v1.entriesPerSecond, x.v1.concurrency, ""],
            [x.levels, `Rekor v2, ${v2.programInterval}`, x.v2.entriesPerSecond, x.v2.concurrency, x.ratio],
            ...(x.v2AtOtherInterval
                ? [[x.levels, `Rekor v2, ${v2.otherInterval}`, x.v2AtOtherInterval.entriesPerSecond, x.v2AtOtherInterval.concurrency, x.ratioAtOtherInterval!]]
                : []),
        ]),
    );
    table(
        "Rekor v2 latency at concurrency 1 by --checkpoint-interval (same log, server restarted; ms)",
        ["interval", "entries", "p50", "p95", "min", "max", "errors"],
        v2.byInterval.map((l) => [l.interval, l.entries, l.p50, l.p95, l.min, l.max, l.errors]),
    );

    const s1 = v1.scale;
    const sum = (f: (t: (typeof s1.tables)[number]) => number) => s1.tables.reduce((n, t) => n + f(t), 0);
    const v1Rows: Array<Array<string | number>> = s1.tables
        .filter((t) => t.grewDataBytes + t.grewIndexBytes !== 0)
        .map((t) => [
            `MariaDB ${t.table}`,
            t.grewDataBytes + t.grewIndexBytes,
            perEntry(t.grewDataBytes + t.grewIndexBytes, s1.entries),
            t.grewAllocatedBytes,
            perEntry(t.grewAllocatedBytes, s1.entries),
        ]);
    const dbGrew = sum((t) => t.grewDataBytes + t.grewIndexBytes);
    const dbAllocated = sum((t) => t.grewAllocatedBytes);
    v1Rows.push(["MariaDB, all of Trillian's tables", dbGrew, perEntry(dbGrew, s1.entries), dbAllocated, perEntry(dbAllocated, s1.entries)]);
    const redisDir = s1.redisAfter.dataDir.apparent - s1.redisBefore.dataDir.apparent;
    const redisDisk = s1.redisAfter.dataDir.disk - s1.redisBefore.dataDir.disk;
    const redisMem = s1.redisAfter.usedMemoryDataset - s1.redisBefore.usedMemoryDataset;
    v1Rows.push(["Redis data dir (AOF)", redisDir, perEntry(redisDir, s1.entries), redisDisk, perEntry(redisDisk, s1.entries)]);
    v1Rows.push(["Redis used_memory_dataset", redisMem, perEntry(redisMem, s1.entries), "", ""]);
    table(
        `Rekor v1 bytes per entry: growth over ${s1.entries} entries (data+index after ANALYZE TABLE; disk = tablespace files' allocated size, du -sB1)`,
        ["part", "bytes", "per entry", "disk bytes", "disk per entry"],
        v1Rows,
    );
    console.log(
        `  Redis: ${s1.redisAfter.keys - s1.redisBefore.keys} keys added, used_memory ${mib(s1.redisBefore.usedMemory)} -> ${mib(s1.redisAfter.usedMemory)} MiB, AOF ${s1.redisAfter.aofBytes} bytes`,
    );
    const s2 = v2.scale;
    table(
        `Rekor v2 bytes per entry: its storage directory at ${s2.totalEntries} entries (${s2.entries} written here; apparent = du --apparent-size -sb, disk = du -sB1)`,
        ["part", "files", "apparent bytes", "per entry", "disk bytes", "disk per entry"],
        s2.storage.map((p) => [p.part, p.files, p.apparent, perEntry(p.apparent, s2.totalEntries), p.disk, perEntry(p.disk, s2.totalEntries)]),
    );
    console.log(`  .state/ files (apparent / disk bytes): ${s2.stateFiles.map((f) => `${f.file} ${f.apparent} / ${f.disk}`).join(", ")}`);
    const v1Total = dbGrew + redisDir;
    table(
        "Bytes per entry, side by side",
        ["log", "entries", "bytes", "per entry", "disk bytes", "disk per entry"],
        [
            [
                "Rekor v1: MariaDB (data+index) + Redis AOF",
                s1.entries,
                v1Total,
                perEntry(v1Total, s1.entries),
                dbAllocated + redisDisk,
                perEntry(dbAllocated + redisDisk, s1.entries),
            ],
            ...s2.storage
                .filter((p) => p.part === "total" || p.part.startsWith("served"))
                .map((p) => [
                    `Rekor v2: ${p.part === "total" ? "storage directory" : p.part}`,
                    s2.totalEntries,
                    p.apparent,
                    perEntry(p.apparent, s2.totalEntries),
                    p.disk,
                    perEntry(p.disk, s2.totalEntries),
                ]),
        ],
    );
    table(
        "Filling the logs (concurrency 64, not part of the sweep)",
        ["log", "entries", "entries/s", "errors"],
        [
            ["Rekor v1", s1.fill.entries, s1.fill.entriesPerSecond, s1.fill.errors],
            ["Rekor v2", s2.fill.entries, s2.fill.entriesPerSecond, s2.fill.errors],
        ],
    );

    console.log(
        `\nWrites answered 201 against log growth: Rekor v1 ${s1.accepted201} / ${s1.entries}, Rekor v2 ${s2.accepted201} / ${s2.entries} (up to the bytes measurement)`,
    );
    const all = [
        ...v1.levels.map((l) => ({ log: "v1", ...l })),
        ...v2.levels.map((l) => ({ log: "v2", ...l })),
        ...(v2.fast ?? []).map((l) => ({ log: `v2@${v2.otherInterval}`, ...l })),
    ];
    for (const l of [...all, ...v2.byInterval.map((l) => ({ log: `v2@${l.interval}`, ...l }))]) {
        if (l.errors > 0) console.error(`${l.log}: ${l.errors} errors at concurrency ${l.concurrency}, e.g.:`, l.errorSamples);
    }
    const errors = [...all.filter((l) => l.concurrency <= 64), ...v2.byInterval].reduce((n, l) => n + l.errors, 0) + s1.fill.errors + s2.fill.errors;
    const results = {
        date: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        loadAverage: { before: loadBefore, after: loadAfter },
        wallSeconds: round((performance.now() - started) / 1000, 0),
        client: "node:http, one keep-alive connection per worker (http.Agent keepAlive, maxSockets = concurrency); bodies prepared before each level",
        settings: {
            levels: levelsRun.map((c) => ({ concurrency: c, maxEntries: entriesAt(c) })),
            levelEntries,
            levelSeconds,
            scaleEntries,
            intervalEntries,
            warmUp,
            fillConcurrency,
        },
        v1,
        v2,
        saturation,
    };
    fs.writeFileSync(outFile, JSON.stringify(results, null, 2) + "\n");
    console.log(`\nload average after: ${loadAfter.join(" ")}; ${results.wallSeconds} s in all; wrote ${outFile}`);
    if (errors > 0) {
        console.error(`${errors} writes failed (not 201) at concurrency 64 or below, in the interval runs or the fill; see above`);
        return 1;
    }
    return 0;
}

runBenchmark(main, timeoutMs);
