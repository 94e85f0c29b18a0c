/**
 * The write path, side by side: the Rekor sweep (bench/sweep.ts) against Trillian's upstream
 * defaults, against the program's configuration, and against the candidate settings that were tried
 * to beat them, each in a stack of its own, one after the other in this process. With the program's
 * configuration also: Fulcio's issuance rate at concurrency 16 (each certificate with an SCT from
 * our CT log) and the database bytes per log entry.
 */
import { Stack, startStack } from "../e2e/harness";
import { issuanceBurst } from "./fulcio";
import { sweep, SweepLevel } from "./sweep";
import { percentile } from "./stats";

/** Trillian v1.7.3's own flag defaults (cmd/trillian_log_signer/main.go, storage/mysql/provider.go). */
export const upstreamDefaults: Record<string, string[]> = {
    "trillian-log-signer": ["--sequencer_interval=100ms", "--batch_size=1000", "--num_sequencers=10", "--mysql_max_conns=0", "--mysql_max_idle_conns=-1"],
    "trillian-log-server": ["--mysql_max_conns=0", "--mysql_max_idle_conns=-1"],
};

/** Settings tried against the defaults (appended to the program's args: the last Go flag wins). */
export const candidates: Record<string, Record<string, string[]>> = {
    "signer --sequencer_interval=20ms": { "trillian-log-signer": ["--sequencer_interval=20ms"] },
    "both --mysql_max_idle_conns=64": { "trillian-log-signer": ["--mysql_max_idle_conns=64"], "trillian-log-server": ["--mysql_max_idle_conns=64"] },
};

export interface WritePathResult {
    sweeps: Record<string, SweepLevel[]>;
    fulcio: { concurrency: number; certificates: number; perSecond: number; p50: number; p95: number; failures: string[] };
    /** Database growth per Rekor entry (hashedrekord uploads) and per CT log entry (Fulcio pre-certificates). */
    bytesPerEntry: { entries: number; bytes: number; perEntry: number };
    bytesPerCtEntry: { entries: number; bytes: number; perEntry: number };
}

function databaseBytes(s: Stack): number {
    const db = s.database;
    const tables = s.sql(`SELECT table_name FROM information_schema.tables WHERE table_schema='${db}'`).split("\n").filter(Boolean);
    s.sql(`ANALYZE TABLE ${tables.map((t) => `${db}.${t}`).join(", ")}`);
    return Number(s.sql(`SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema='${db}'`));
}

async function withStack<T>(
    name: string,
    extraArgs: Record<string, string[]>,
    run: (s: Stack) => Promise<T>,
    options: { overrides?: Record<string, string>; ownDatabaseServer?: boolean } = {},
): Promise<T> {
    const s = await startStack({ database: `trillian_wp_${name.replace(/[^a-z0-9]/gi, "").slice(0, 20)}_${process.pid}`, extraArgs, ...options });
    try {
        return await run(s);
    } finally {
        await s.stop();
    }
}

export async function benchWritePath(log: (line: string) => void): Promise<WritePathResult> {
    const sweeps: Record<string, SweepLevel[]> = {};
    log("write path: Trillian's upstream defaults");
    sweeps["upstream defaults"] = await withStack("upstream", upstreamDefaults, (s) => sweep(s));
    log("write path: the program's configuration (+ Fulcio issuance, bytes per entry)");
    let fulcio!: WritePathResult["fulcio"];
    let bytesPerEntry!: WritePathResult["bytesPerEntry"];
    let bytesPerCtEntry!: WritePathResult["bytesPerCtEntry"];
    sweeps["program"] = await withStack("program", {}, async (s) => {
        const token = await s.token();
        // Every certificate's pre-certificate becomes a CT log entry: the burst also measures their bytes.
        const ctBefore = databaseBytes(s);
        const f = await issuanceBurst(`http://127.0.0.1:${s.cluster.localPort("fulcio-server", 5555)}`, token, "alice@corp.example", 600, 16);
        const ctBytes = databaseBytes(s) - ctBefore;
        bytesPerCtEntry = { entries: f.certificates, bytes: ctBytes, perEntry: Math.round(ctBytes / f.certificates) };
        fulcio = {
            concurrency: 16,
            certificates: f.certificates,
            perSecond: f.perSecond,
            p50: Number(percentile(f.latenciesMs, 50).toFixed(1)),
            p95: Number(percentile(f.latenciesMs, 95).toFixed(1)),
            failures: f.failures.slice(0, 3),
        };
        const before = databaseBytes(s);
        const levels = await sweep(s);
        const entries = levels.reduce((n, l) => n + l.entries, 0);
        const bytes = databaseBytes(s) - before;
        bytesPerEntry = { entries, bytes, perEntry: Math.round(bytes / entries) };
        return levels;
    });
    // What TLS on every internal hop (prod's internalTls) costs. With TLS the database is a MariaDB of
    // the run's own (started with the StatefulSet's flags), so the control is that same kind of
    // database without TLS; the ratio between these two rows is TLS alone.
    log("write path: the program's configuration, database of its own (control for TLS)");
    sweeps["program, own database"] = await withStack("owndb", {}, (s) => sweep(s), { ownDatabaseServer: true });
    log("write path: the program's configuration with internal TLS (prod)");
    sweeps["program + internal TLS"] = await withStack("tls", {}, (s) => sweep(s), { overrides: { internalTls: "true" } });
    for (const [name, extraArgs] of Object.entries(candidates)) {
        log(`write path: ${name}`);
        sweeps[name] = await withStack(name, extraArgs, (s) => sweep(s));
    }
    return { sweeps, fulcio, bytesPerEntry, bytesPerCtEntry };
}
