/**
 * Rekor write-path sweep: hashedrekord uploads at rising concurrency against the local real servers,
 * with where the CPU went. For each level: entries/s, p50/p95/p99, errors, the CPU seconds each
 * server process, MariaDB and this client spent (utime+stime from /proc/<pid>/stat), and MariaDB
 * commits/s (Com_commit). Bounded in count and time per level; loopback only.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { Stack } from "../e2e/harness";
import { hashedrekordEntry, uploadBurst } from "./rekor";
import { percentile } from "./stats";

/** One level of a write sweep: what every benchmark of a log reports (bench/rekor-versions.ts too). */
export interface LevelStats {
    concurrency: number;
    entries: number;
    entriesPerSecond: number;
    p50: number;
    p95: number;
    p99: number;
    errors: number;
    /** CPU seconds per process name over the level; "client" is this process. */
    cpuSeconds: Record<string, number>;
    wallSeconds: number;
}

export interface SweepLevel extends LevelStats {
    commitsPerSecond: number;
    /** New connections the database accepted per entry (MariaDB's Connections counter): connection churn. */
    connectionsPerEntry: number;
}

const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** CPU seconds (user + system) a process has spent so far. */
export function cpuSecondsOf(pid: number): number {
    // Fields after the command name (which may contain spaces, so split after its closing paren).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond; // utime, stime
}

function mariadbPid(): number {
    return Number(execFileSync("pidof", ["mariadbd"], { encoding: "utf8" }).trim().split(" ")[0]);
}

/** A counter of the database server the stack uses (this machine's MariaDB, or the run's own with TLS). */
function statusCounter(stack: Stack, name: "Com_commit" | "Connections"): number {
    return Number(stack.sql(`SHOW GLOBAL STATUS LIKE '${name}'`).split(/\s+/)[1]);
}

/** CPU seconds of every process we watch, by name. */
function cpuSnapshot(stack: Stack): Record<string, number> {
    const out: Record<string, number> = {};
    // The database is "mariadb" either way: the run's own (the trillian-db "pod", with TLS) or this machine's.
    for (const p of stack.cluster.processes) if (p.child.pid) out[p.name === "trillian-db" ? "mariadb" : p.name] = cpuSecondsOf(p.child.pid);
    out.mariadb ??= cpuSecondsOf(mariadbPid());
    const own = process.cpuUsage();
    out.client = (own.user + own.system) / 1e6;
    return out;
}

/**
 * One level: `entries` uploads at `concurrency`, prepared beforehand (key generation is not timed).
 * Stops issuing new uploads after `timeBoundS` seconds.
 */
export async function sweepLevel(stack: Stack, concurrency: number, entries: number, timeBoundS: number): Promise<SweepLevel> {
    const bodies = Array.from({ length: entries }, hashedrekordEntry);
    const cpu0 = cpuSnapshot(stack);
    const commits0 = statusCounter(stack, "Com_commit");
    const connections0 = statusCounter(stack, "Connections");
    const r = await uploadBurst(stack.rekorUrl, bodies, concurrency, 30_000, timeBoundS * 1000);
    const wallSeconds = r.elapsedMs / 1000;
    const cpu1 = cpuSnapshot(stack);
    const done = r.latenciesMs.length;
    const round = (x: number) => Number(x.toFixed(2));
    return {
        concurrency,
        entries: done,
        entriesPerSecond: round(done / wallSeconds),
        p50: round(percentile(r.latenciesMs, 50)),
        p95: round(percentile(r.latenciesMs, 95)),
        p99: round(percentile(r.latenciesMs, 99)),
        errors: r.failures.length,
        cpuSeconds: Object.fromEntries(Object.keys(cpu1).map((k) => [k, round(cpu1[k] - (cpu0[k] ?? 0))])),
        commitsPerSecond: round((statusCounter(stack, "Com_commit") - commits0) / wallSeconds),
        // The counter includes this measurement's own connection (one per sql() call): 2 of them.
        connectionsPerEntry: round((statusCounter(stack, "Connections") - connections0 - 2) / Math.max(1, done)),
        wallSeconds: round(wallSeconds),
    };
}

/** The default sweep: concurrency 1, 4, 16, 64, with entry counts that give each level a few seconds. */
export const defaultLevels: Array<[number, number]> = [
    [1, 30],
    [4, 120],
    [16, 400],
    [64, 800],
];

/** Each sweep starts with an untimed warm-up, so a cold first stack is not what a level measures. */
const warmUp: [number, number] = [4, 40];

export async function sweep(stack: Stack, levels = defaultLevels, timeBoundS = 60): Promise<SweepLevel[]> {
    await sweepLevel(stack, warmUp[0], warmUp[1], timeBoundS);
    const out: SweepLevel[] = [];
    for (const [c, n] of levels) out.push(await sweepLevel(stack, c, n, timeBoundS));
    return out;
}
