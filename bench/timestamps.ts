/**
 * The timestamp authority under load, and what it adds to signing (part of `npm run bench`;
 * `npm run bench:tsa` runs only this):
 *  - RFC 3161 timestamps per second from the program's timestamp-server (the real v2.1.3 binary with
 *    the program's flags, chain and key) at concurrency 1 and 16, with p50 and p95: JSON requests
 *    (`POST /api/v1/timestamp`, a SHA-256 digest each, no certificates asked), as many as fit in
 *    BENCH_TSA_SECONDS per level;
 *  - cosign sign-blob with the program's signing config, which lists the TSA, against the same
 *    config without its tsaUrls, interleaved in the same run (BENCH_SIGNS each).
 * Every answer must be 200 with a timestamp response; anything else counts as an error and fails the run.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { runOnStack, Stack, timestampUrl } from "../e2e/harness";
import { inParallel, percentile, table } from "./stats";

export interface TimestampLevel {
    concurrency: number;
    timestamps: number;
    perSecond: number;
    p50: number;
    p95: number;
    errors: number;
}

export interface TimestampBench {
    levels: TimestampLevel[];
    signBlobMs: { withTsa: { p50: number; p95: number }; withoutTsa: { p50: number; p95: number }; addedP50: number };
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

async function timestampLevel(url: string, concurrency: number, seconds: number): Promise<TimestampLevel> {
    const latencies: number[] = [];
    let errors = 0;
    const requests = Array.from({ length: 1_000_000 }, (_, i) => i);
    const elapsed = await inParallel(
        requests,
        concurrency,
        async (i) => {
            const body = JSON.stringify({
                artifactHash: crypto.createHash("sha256").update(`bench ${concurrency} ${i} ${Math.random()}`).digest("base64"),
                hashAlgorithm: "sha256",
                certificates: false,
            });
            const t0 = performance.now();
            const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
            const reply = Buffer.from(await res.arrayBuffer());
            // A TimeStampResp is a DER SEQUENCE: anything else is an error, whatever the status.
            if (res.status !== 200 || reply[0] !== 0x30) errors++;
            else latencies.push(performance.now() - t0);
        },
        seconds * 1000,
    );
    return {
        concurrency,
        timestamps: latencies.length,
        perSecond: round((latencies.length / elapsed) * 1000),
        p50: round(percentile(latencies, 50)),
        p95: round(percentile(latencies, 95)),
        errors,
    };
}

/** sign-blob with the program's signing config and with it stripped of the TSA, alternating. */
async function signBlobWithAndWithout(s: Stack, signs: number) {
    const config = JSON.parse(fs.readFileSync(path.join(s.work, "signing_config.json"), "utf8"));
    delete config.tsaUrls;
    fs.writeFileSync(path.join(s.work, "signing_config_without_tsa.json"), JSON.stringify(config));
    const ms: Record<"withTsa" | "withoutTsa", number[]> = { withTsa: [], withoutTsa: [] };
    for (let i = 0; i < signs; i++) {
        for (const variant of ["withTsa", "withoutTsa"] as const) {
            fs.writeFileSync(path.join(s.work, "artifact"), `bench ${variant} ${i} ${Date.now()}\n`);
            fs.rmSync(path.join(s.work, "artifact.sigstore.json"), { force: true });
            const sign = s.outputs.cosign.v3.sign.replace(
                "--signing-config=signing_config.json",
                variant === "withTsa" ? "--signing-config=signing_config.json" : "--signing-config=signing_config_without_tsa.json",
            );
            const token = await s.token();
            const t0 = performance.now();
            await s.sh(`${sign} --identity-token="$ID_TOKEN"`, { ID_TOKEN: token });
            ms[variant].push(performance.now() - t0);
            const bundle = JSON.parse(fs.readFileSync(path.join(s.work, "artifact.sigstore.json"), "utf8"));
            const stamped = (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).length;
            if (stamped !== (variant === "withTsa" ? 1 : 0)) throw new Error(`sign-blob ${variant}: ${stamped} timestamps in the bundle`);
        }
    }
    const stats = (xs: number[]) => ({ p50: round(percentile(xs, 50)), p95: round(percentile(xs, 95)) });
    const withTsa = stats(ms.withTsa);
    const withoutTsa = stats(ms.withoutTsa);
    return { withTsa, withoutTsa, addedP50: round(withTsa.p50 - withoutTsa.p50) };
}

export async function benchTimestamps(s: Stack, signs: number, seconds: number): Promise<TimestampBench> {
    const url = timestampUrl(s.cluster);
    await timestampLevel(url, 4, 1); // warm-up: connections, the signer's first use
    const levels: TimestampLevel[] = [];
    for (const c of [1, 16]) levels.push(await timestampLevel(url, c, seconds));
    return { levels, signBlobMs: await signBlobWithAndWithout(s, signs) };
}

export function printTimestamps(t: TimestampBench): number {
    table(
        "Timestamp authority: RFC 3161 timestamps (JSON requests; ms)",
        ["concurrency", "timestamps", "per second", "p50", "p95", "errors"],
        t.levels.map((l) => [l.concurrency, l.timestamps, l.perSecond, l.p50, l.p95, l.errors]),
    );
    table(
        "cosign sign-blob with and without the TSA in the signing config (same run, interleaved; ms)",
        ["signing config", "p50", "p95"],
        [
            ["with tsaUrls (the program's)", t.signBlobMs.withTsa.p50, t.signBlobMs.withTsa.p95],
            ["without tsaUrls", t.signBlobMs.withoutTsa.p50, t.signBlobMs.withoutTsa.p95],
            ["added by the TSA (p50)", t.signBlobMs.addedP50, ""],
        ],
    );
    return t.levels.reduce((n, l) => n + l.errors, 0);
}

if (require.main === module) {
    runOnStack({ log: (l) => console.log(`  ${l}`) }, async (s) => {
        const result = await benchTimestamps(s, Number(process.env.BENCH_SIGNS ?? 10), Number(process.env.BENCH_TSA_SECONDS ?? 10));
        const errors = printTimestamps(result);
        fs.writeFileSync(process.env.BENCH_OUT ?? "/tmp/sigstore-bench-tsa.json", JSON.stringify(result, null, 2) + "\n");
        return errors > 0 ? 1 : 0;
    });
}
