/**
 * `npm run bench`: how fast the program evaluates, and how fast the Sigstore it deploys signs,
 * verifies and logs when run locally.
 *  1. evaluation of the dev and prod stacks under the default deterministic mocks (time, heap, RSS);
 *  2. cosign sign-blob / verify-blob with the program's own commands against the real local servers,
 *     and the timestamp authority (bench/timestamps.ts): timestamps per second at concurrency 1 and
 *     16, and what it adds to sign-blob (with and without it in the signing config, same run);
 *  3. the write path (bench/write-path.ts): a Rekor sweep at concurrency 1, 4, 16, 64 with the CPU
 *     every process spent and MariaDB commits/s, against Trillian's upstream defaults, the program's
 *     configuration and the candidate settings tried, with the ratios; Fulcio's issuance rate at
 *     concurrency 16; the database bytes per log entry;
 *  4. loading the program in a fresh Node.js process, as Pulumi's language host does on every
 *     `preview`/`up`: transpile-only (our tsconfig's `noCheck`) against type-checked (ts-node's default);
 *  5. the real Pulumi CLI against a real API server (bench/cluster.ts): first `up`, no-op `preview`
 *     and no-op `up` per stack, loading the program transpile-only (our deploys) and, for dev, with
 *     type-checking. The inline program re-loads the program in one long-lived process, so a
 *     type-checking ts-node stays warm there; the fresh-process cost is what (4) measures. Skipped,
 *     saying why, when the provider plugins are missing (cluster/toolchain.ts).
 * Env: BENCH_EVALS (5), BENCH_SIGNS (10), BENCH_TSA_SECONDS (10, per concurrency level), BENCH_TIMEOUT_S (2400, for the whole run),
 * BENCH_OUT (/tmp/sigstore-bench.json).
 * Needs what the e2e suite needs (see e2e/harness.ts). Exits non-zero on any failure, including
 * a non-201 answer from Rekor or a certificate without an SCT from Fulcio. Every server is stopped at the end, on error, timeout and Ctrl-C.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { evaluate } from "../tests/support/mocks";
import { Stack, startStack } from "../e2e/harness";
import { runBenchmark } from "./runner";
import { benchWritePath, WritePathResult } from "./write-path";
import { missingPlugins } from "../cluster/toolchain";
import { execFileSync } from "node:child_process";
import { percentile, table } from "./stats";
import { benchTimestamps, printTimestamps } from "./timestamps";

const envInt = (name: string, dflt: number) => {
    const v = Number(process.env[name] ?? dflt);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
    return v;
};
const evals = envInt("BENCH_EVALS", 5);
const signs = envInt("BENCH_SIGNS", 10);
const timeoutMs = envInt("BENCH_TIMEOUT_S", 2400) * 1000;
const outFile = process.env.BENCH_OUT ?? "/tmp/sigstore-bench.json";

v8.setFlagsFromString("--expose-gc");
const gc: () => void = vm.runInNewContext("gc");

const MB = 1024 * 1024;
const round = (x: number, digits = 1) => Number(x.toFixed(digits));
const summary = (xs: number[]) => ({ min: round(Math.min(...xs)), median: round(percentile(xs, 50)), max: round(Math.max(...xs)) });
const latency = (xs: number[]) => ({ n: xs.length, p50: round(percentile(xs, 50)), p95: round(percentile(xs, 95)), max: round(Math.max(...xs)) });

/** 1. N evaluations of a stack under the default mocks, after one untimed warm-up (ts-node compiles the program). */
async function benchEvaluation(stack: string) {
    const t = performance.now();
    await evaluate({ stack });
    const warmupMs = performance.now() - t;
    const ms: number[] = [],
        heap: number[] = [],
        rss: number[] = [];
    for (let i = 0; i < evals; i++) {
        gc();
        const before = process.memoryUsage();
        const t0 = performance.now();
        const { cloud } = await evaluate({ stack });
        ms.push(performance.now() - t0);
        const after = process.memoryUsage();
        heap.push((after.heapUsed - before.heapUsed) / MB);
        rss.push((after.rss - before.rss) / MB);
        if (cloud.resources.length === 0) throw new Error(`${stack}: the program registered nothing`);
    }
    return { warmupMs: round(warmupMs), ms: summary(ms), heapUsedDeltaMB: summary(heap), rssDeltaMB: summary(rss) };
}

/** 2. The program's cosign v3 sign and verify commands, each iteration on a fresh artifact. */
async function benchCosign(s: Stack) {
    const { sign, verify } = s.outputs.cosign.v3;
    const signMs: number[] = [],
        verifyMs: number[] = [];
    for (let i = 0; i < signs; i++) {
        fs.writeFileSync(path.join(s.work, "artifact"), `bench artifact ${i} ${Date.now()}\n`);
        fs.rmSync(path.join(s.work, "artifact.sigstore.json"), { force: true });
        const token = await s.token();
        let t0 = performance.now();
        await s.sh(`${sign} --identity-token="$ID_TOKEN"`, { ID_TOKEN: token }).catch((e) => {
            throw new Error(`cosign sign-blob failed: ${e.stderr ?? e}\n${s.logs()}`);
        });
        signMs.push(performance.now() - t0);
        t0 = performance.now();
        const out = await s.sh(verify).catch((e) => {
            throw new Error(`cosign verify-blob failed: ${e.stderr ?? e}`);
        });
        verifyMs.push(performance.now() - t0);
        if (!/Verified OK/.test(out.stdout + out.stderr)) throw new Error(`cosign verify-blob did not say Verified OK:\n${out.stderr}`);
    }
    return { sign: latency(signMs), verify: latency(verifyMs) };
}

/** 3. The write path's tables; returns the number of failed requests. */
function printWritePath(w: WritePathResult): number {
    for (const [name, levels] of Object.entries(w.sweeps)) {
        table(
            `Rekor hashedrekord uploads: ${name} (ms; commits = MariaDB Com_commit/s)`,
            ["concurrency", "entries", "entries/s", "p50", "p95", "p99", "errors", "commits/s"],
            levels.map((l) => [l.concurrency, l.entries, l.entriesPerSecond, l.p50, l.p95, l.p99, l.errors, l.commitsPerSecond]),
        );
    }
    const base = w.sweeps["upstream defaults"];
    const ratios: Array<Array<string | number>> = [];
    for (const [name, levels] of Object.entries(w.sweeps)) {
        if (name === "upstream defaults") continue;
        for (const l of levels) {
            const b = base.find((x) => x.concurrency === l.concurrency)!;
            ratios.push([name, l.concurrency, round(l.entriesPerSecond / b.entriesPerSecond, 2), round(l.p95 / b.p95, 2)]);
        }
    }
    table(
        "Against Trillian's upstream defaults (ratio per level; throughput > 1 and p95 < 1 are better)",
        ["configuration", "concurrency", "entries/s ratio", "p95 ratio"],
        ratios,
    );
    const tls = w.sweeps["program + internal TLS"];
    const control = w.sweeps["program, own database"];
    if (tls && control) {
        table(
            "Internal TLS against the same kind of database without it (ratio per level; TLS alone)",
            ["concurrency", "entries/s ratio", "p50 ratio", "p95 ratio"],
            tls.map((l, i) => [
                l.concurrency,
                round(l.entriesPerSecond / control[i].entriesPerSecond, 2),
                round(l.p50 / control[i].p50, 2),
                round(l.p95 / control[i].p95, 2),
            ]),
        );
    }
    for (const name of ["program", "program + internal TLS"]) {
        const levels = w.sweeps[name];
        if (!levels) continue;
        const names = Object.keys(levels[0].cpuSeconds);
        table(
            `Where the CPU goes, ${name} (CPU ms per entry; busy = CPU seconds / wall seconds)`,
            ["concurrency", ...names, "busy cores"],
            levels.map((l) => [
                l.concurrency,
                ...names.map((n) => round((l.cpuSeconds[n] * 1000) / l.entries, 2)),
                round(Object.values(l.cpuSeconds).reduce((a, b) => a + b, 0) / l.wallSeconds, 2),
            ]),
        );
    }
    table(
        "Fulcio signing certificates, each with an SCT from our CT log",
        ["concurrency", "certificates", "per second", "p50 ms", "p95 ms", "failures"],
        [[w.fulcio.concurrency, w.fulcio.certificates, w.fulcio.perSecond, w.fulcio.p50, w.fulcio.p95, w.fulcio.failures.length]],
    );
    table(
        "Trillian database growth per entry (MariaDB, data + indexes; a signing makes one of each)",
        ["log", "entries", "bytes", "bytes per entry"],
        [
            ["Rekor (hashedrekord)", w.bytesPerEntry.entries, w.bytesPerEntry.bytes, w.bytesPerEntry.perEntry],
            ["CT log (pre-certificate)", w.bytesPerCtEntry.entries, w.bytesPerCtEntry.bytes, w.bytesPerCtEntry.perEntry],
        ],
    );
    const errors = Object.values(w.sweeps)
        .flat()
        .reduce((n, l) => n + l.errors, 0);
    if (w.fulcio.failures.length > 0) console.error("Fulcio failures, e.g.:", w.fulcio.failures);
    return errors + w.fulcio.failures.length;
}

/**
 * 4. A fresh process that registers ts-node as Pulumi's run.js does and evaluates the dev stack
 * under mocks: the per-command cost of loading the program, whole process timed.
 */
function benchFreshLoad(): Record<string, ReturnType<typeof summary>> {
    const out: Record<string, ReturnType<typeof summary>> = {};
    for (const transpileOnly of [true, false]) {
        const script = `require("ts-node").register({ transpileOnly: ${transpileOnly}, project: "tsconfig.json"${transpileOnly ? "" : ", compilerOptions: { noCheck: false }"} });
            require("./tests/support/mocks").evaluate({ stack: "dev" }).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });`;
        const seconds: number[] = [];
        for (let i = 0; i < 3; i++) {
            const t0 = performance.now();
            execFileSync(process.execPath, ["-e", script], { cwd: path.resolve(__dirname, ".."), stdio: ["ignore", "ignore", "inherit"] });
            seconds.push((performance.now() - t0) / 1000);
        }
        out[transpileOnly ? "transpile-only" : "type-check"] = summary(seconds);
    }
    return out;
}

/** 5. The cluster timings, in a child process per TypeScript mode (ts-node registers once per process). */
function benchCluster(): Record<string, unknown> | string {
    const missing = missingPlugins();
    if (missing.length > 0) return `not run: provider plugins missing (${missing.length}); see cluster/toolchain.ts`;
    const runMode = (transpileOnly: boolean, stacks: string[]) =>
        JSON.parse(
            execFileSync(process.execPath, [require.resolve("ts-node/dist/bin"), path.join(__dirname, "cluster.ts"), ...stacks], {
                cwd: path.resolve(__dirname, ".."),
                encoding: "utf8",
                stdio: ["ignore", "pipe", "inherit"],
                maxBuffer: 64 << 20,
                env: {
                    ...process.env,
                    TS_NODE_TRANSPILE_ONLY: String(transpileOnly),
                    ...(transpileOnly ? {} : { TS_NODE_COMPILER_OPTIONS: '{"noCheck":false}' }),
                },
            })
                .trim()
                .split("\n")
                .pop()!,
        );
    return { transpileOnly: runMode(true, ["dev", "prod"]), typeCheck: runMode(false, ["dev"]) };
}

function printCluster(cluster: Record<string, any> | string): void {
    if (typeof cluster === "string") {
        console.log(`
Real Pulumi CLI against a real API server: ${cluster}`);
        return;
    }
    const rows: Array<Array<string | number>> = [];
    for (const run of Object.values<any>(cluster)) {
        for (const [stack, t] of Object.entries<any>(run.stacks)) {
            rows.push([`${stack} (${run.mode})`, t.resources, t.firstUpS, Math.min(...t.noopPreviewS), Math.max(...t.noopPreviewS), t.noopUpS]);
        }
    }
    table(
        "Real Pulumi CLI against a real API server (kwok node, real servers behind the pods; seconds)",
        ["stack (program loading)", "resources", "first up", "no-op preview min", "no-op preview max", "no-op up"],
        rows,
    );
}

async function main(): Promise<number> {
    const evaluation = { dev: await benchEvaluation("dev"), prod: await benchEvaluation("prod") };
    table(
        `Program evaluation under mocks (${evals} runs each, after one warm-up; ms and MB)`,
        ["stack", "warm-up", "min", "median", "max", "heap Δ med", "heap Δ max", "RSS Δ med", "RSS Δ max"],
        Object.entries(evaluation).map(([k, e]) => [
            k,
            e.warmupMs,
            e.ms.min,
            e.ms.median,
            e.ms.max,
            e.heapUsedDeltaMB.median,
            e.heapUsedDeltaMB.max,
            e.rssDeltaMB.median,
            e.rssDeltaMB.max,
        ]),
    );
    const freshLoad = benchFreshLoad();
    table(
        "Loading the program in a fresh process, as `pulumi preview`/`up` does (dev stack, 3 runs; seconds)",
        ["program loading", "min", "median", "max"],
        Object.entries(freshLoad).map(([k, t]) => [k, t.min, t.median, t.max]),
    );

    console.log("\nstarting trillian, ct_server, rekor, fulcio and the OIDC issuer on 127.0.0.1 ...");
    const s = await startStack({ log: (l) => console.log(`  ${l}`), database: `trillian_bench_${process.pid}` });
    let cosign;
    let timestamps;
    let tsaErrors = 0;
    try {
        cosign = await benchCosign(s);
        table(
            `cosign v3 against the local servers (${signs} iterations; ms)`,
            ["operation", "n", "p50", "p95", "max"],
            Object.entries(cosign).map(([k, l]) => [`${k}-blob`, l.n, l.p50, l.p95, l.max]),
        );
        timestamps = await benchTimestamps(s, signs, envInt("BENCH_TSA_SECONDS", 10));
        tsaErrors = printTimestamps(timestamps);
    } finally {
        await s.stop();
    }

    // One stack at a time from here: Fulcio binds a machine-wide abstract socket.
    const writePath = await benchWritePath((l) => console.log(`\n${l} ...`));
    const failures = printWritePath(writePath);

    const cluster = benchCluster();
    printCluster(cluster);

    const results = { date: new Date().toISOString(), node: process.version, evaluation, freshLoad, cosign, timestamps, writePath, cluster };
    fs.writeFileSync(outFile, JSON.stringify(results, null, 2) + "\n");
    console.log(`\nwrote ${outFile}`);
    if (failures > 0 || tsaErrors > 0) {
        console.error(`${failures + tsaErrors} requests failed (non-201 from Rekor, no SCT from Fulcio, no timestamp from the TSA); see above`);
        return 1;
    }
    return 0;
}

runBenchmark(main, timeoutMs);
