/**
 * `npm run bench:internal-tls`: what prod's internal TLS costs Rekor v1, and the connection churn that
 * made it cost more (a TLS handshake for every new database connection while Trillian's MySQL pools
 * kept Go's default of 2 idle connections). In one run, three stacks one after the other, each the
 * Rekor sweep of bench/sweep.ts (concurrency 1, 4, 16, 64) with the CPU per process, MariaDB
 * commits/s and the new database connections per entry:
 *  1. the control: the program's configuration on a MariaDB of the run's own, without TLS;
 *  2. internal TLS with the pools as they were (trillianMysqlMaxConns 0, trillianMysqlMaxIdleConns -1: Go's 2 idle);
 *  3. internal TLS, the program's configuration (pools of 64, all kept idle).
 * Env: BENCH_OUT (/tmp/sigstore-bench-internal-tls.json). Needs what the e2e suite needs.
 */
import * as fs from "node:fs";
import { startStack } from "../e2e/harness";
import { runBenchmark } from "./runner";
import { table } from "./stats";
import { sweep, SweepLevel } from "./sweep";

const variants: Array<{ name: string; overrides: Record<string, string>; ownDatabaseServer?: boolean }> = [
    { name: "control: own database, no TLS", overrides: {}, ownDatabaseServer: true },
    { name: "internal TLS, unbounded pools, Go's 2 idle", overrides: { internalTls: "true", trillianMysqlMaxConns: "0", trillianMysqlMaxIdleConns: "-1" } },
    { name: "internal TLS, the program's pools (64, 64 idle)", overrides: { internalTls: "true" } },
];

async function main(): Promise<number> {
    const results: Record<string, SweepLevel[]> = {};
    for (const v of variants) {
        console.log(`==> ${v.name}`);
        const stack = await startStack({
            database: `trillian_tls_${Object.keys(results).length}_${process.pid}`,
            overrides: v.overrides,
            ownDatabaseServer: v.ownDatabaseServer,
        });
        try {
            results[v.name] = await sweep(stack);
        } finally {
            await stack.stop();
        }
    }
    for (const [name, levels] of Object.entries(results)) {
        table(
            name,
            ["concurrency", "entries/s", "p50 ms", "p95 ms", "db connections/entry", "commits/s", "CPU ms/entry: log server, mariadb"],
            levels.map((l) => [
                l.concurrency,
                l.entriesPerSecond,
                l.p50,
                l.p95,
                l.connectionsPerEntry,
                l.commitsPerSecond,
                `${perEntryMs(l, "trillian-log-server")}, ${perEntryMs(l, "mariadb")}`,
            ]),
        );
    }
    const [control, tls, idle] = variants.map((v) => results[v.name]);
    table(
        "Ratios per level (entries/s)",
        ["concurrency", "TLS, Go's 2 idle ÷ control", "TLS, program ÷ control", "program ÷ Go's 2 idle"],
        control.map((c, i) => [c.concurrency, ratio(tls[i], c), ratio(idle[i], c), ratio(idle[i], tls[i])]),
    );
    const out = process.env.BENCH_OUT ?? "/tmp/sigstore-bench-internal-tls.json";
    fs.writeFileSync(out, JSON.stringify(results, null, 2));
    console.log(`\nwritten to ${out}`);
    const errors = Object.values(results)
        .flat()
        .reduce((n, l) => n + l.errors, 0);
    if (errors > 0) console.error(`${errors} uploads failed (not 201); see the tables`);
    return errors > 0 ? 1 : 0;
}

function perEntryMs(l: SweepLevel, process: string): number {
    return Number((((l.cpuSeconds[process] ?? 0) * 1000) / Math.max(1, l.entries)).toFixed(2));
}

function ratio(a: SweepLevel, b: SweepLevel): number {
    return Number((a.entriesPerSecond / b.entriesPerSecond).toFixed(2));
}

runBenchmark(main, 1800_000);
