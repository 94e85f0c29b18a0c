/**
 * What trust by TUF costs (`npm run bench:tuf`):
 *  - rendering and signing the repository in the program (lib/tuf-repository.ts) for the dev
 *    stack's trust material, per `up`, at 1 and 3 root keys;
 *  - cosign verify-blob, which refreshes the TUF metadata from the mirror on every command, against
 *    the same verification with the exported trusted root as a file (cosign's `--trusted-root`,
 *    what clients did before), interleaved in the same run (BENCH_VERIFIES each);
 *  - the program's nginx serving timestamp.json (what every refresh fetches first) at concurrency 1
 *    and 16 for BENCH_TUF_SECONDS each.
 * The stack runs with Ingresses and the ingress stand-in, so cosign reaches the mirror and the
 * servers by their public URLs over TLS, as a client does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tufService } from "../components/tuf-repository";
import { runOnStack, Stack, user } from "../e2e/harness";
import { renderTufRepository } from "../lib/tuf-repository";
import { planTufSchedule } from "../lib/tuf-schedule";
import { keySet, privateKeys, roleKeys, scheduleInputs } from "../tests/support/tuf-keys";
import { inParallel, percentile, table } from "./stats";

const round = (x: number, digits = 1) => Number(x.toFixed(digits));
const stats = (xs: number[]) => ({ p50: round(percentile(xs, 50)), p95: round(percentile(xs, 95)) });

/** Render and sign time for the stack's two targets, `rootKeys` root keys, fresh keys each run. */
function renderMs(targets: Record<string, string>, rootKeys: number, runs: number): { p50: number; p95: number } {
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
        const keys = keySet(rootKeys);
        const t0 = performance.now();
        const schedule = planTufSchedule(undefined, scheduleInputs(roleKeys(keys, rootKeys), targets), Date.now());
        renderTufRepository({ schedule, targets, privateKeys: privateKeys(keys) });
        ms.push(performance.now() - t0);
    }
    return stats(ms);
}

/** verify-blob through TUF (no trust flags) and with the trusted root file, alternating. */
async function verifyBothWays(s: Stack, verifies: number) {
    const issuer = s.outputs.urls.oidcIssuer;
    // s.sh rejects on a non-zero exit: a failed initialize or sign ends the run.
    await s.sh(`cosign initialize --mirror=${s.outputs.tufMirrorUrl} --root=tuf-root.json --root-checksum=${s.outputs.tufRepository.rootChecksum}`);
    fs.writeFileSync(path.join(s.work, "bench.txt"), `bench ${Date.now()}\n`);
    await s.sh(`cosign sign-blob --yes --bundle=bench.sigstore.json --identity-token="$ID_TOKEN" bench.txt`, { ID_TOKEN: await s.token() });
    const identity = `--certificate-identity=${user} --certificate-oidc-issuer=${issuer}`;
    const ms: Record<"tuf" | "file", number[]> = { tuf: [], file: [] };
    for (let i = 0; i < verifies; i++) {
        for (const how of ["tuf", "file"] as const) {
            const t0 = performance.now();
            await s.sh(`cosign verify-blob --bundle=bench.sigstore.json ${identity} ${how === "file" ? "--trusted-root=trusted_root.json " : ""}bench.txt`);
            ms[how].push(performance.now() - t0);
        }
    }
    const tuf = stats(ms.tuf);
    const file = stats(ms.file);
    return { tuf, file, addedP50: round(tuf.p50 - file.p50) };
}

async function serveLevel(url: string, concurrency: number, seconds: number) {
    const latencies: number[] = [];
    let errors = 0;
    const elapsed = await inParallel(
        Array.from({ length: 1_000_000 }, (_, i) => i),
        concurrency,
        async () => {
            const t0 = performance.now();
            const res = await fetch(url);
            const body = await res.text();
            if (res.status !== 200 || !body.includes('"_type": "timestamp"')) errors++;
            else latencies.push(performance.now() - t0);
        },
        seconds * 1000,
    );
    return { concurrency, requests: latencies.length, perSecond: round((latencies.length / elapsed) * 1000), ...stats(latencies), errors };
}

if (require.main === module) {
    runOnStack({ log: (l) => console.log(`  ${l}`), overrides: { ingressClassName: "nginx" } }, async (s) => {
        fs.writeFileSync(path.join(s.work, "tuf-root.json"), s.outputs.tufRoot);
        const targets = { "trusted_root.json": s.outputs.trustedRoot, "signing_config.v0.2.json": s.outputs.signingConfig };
        const render = { oneRootKey: renderMs(targets, 1, 50), threeRootKeys: renderMs(targets, 3, 50) };
        const verify = await verifyBothWays(s, Number(process.env.BENCH_VERIFIES ?? 20));
        const seconds = Number(process.env.BENCH_TUF_SECONDS ?? 10);
        const direct = `http://127.0.0.1:${s.cluster.localPort(tufService, 8080)}/timestamp.json`;
        const serving = [await serveLevel(direct, 1, seconds), await serveLevel(direct, 16, seconds)];
        table(
            "Rendering and signing the repository per up (ms, 50 runs)",
            ["root keys", "p50", "p95"],
            [
                [1, render.oneRootKey.p50, render.oneRootKey.p95],
                [3, render.threeRootKeys.p50, render.threeRootKeys.p95],
            ],
        );
        table(
            "cosign verify-blob: trust from the TUF mirror vs the trusted root file (same run, interleaved; ms)",
            ["trust", "p50", "p95"],
            [
                ["TUF (refreshes timestamp.json each command)", verify.tuf.p50, verify.tuf.p95],
                ["--trusted-root file", verify.file.p50, verify.file.p95],
                ["added by TUF (p50)", verify.addedP50, ""],
            ],
        );
        table(
            "nginx serving timestamp.json (direct to the pod; ms)",
            ["concurrency", "requests", "per second", "p50", "p95", "errors"],
            serving.map((l) => [l.concurrency, l.requests, l.perSecond, l.p50, l.p95, l.errors]),
        );
        const result = { date: new Date().toISOString(), render, verify, serving };
        fs.writeFileSync(process.env.BENCH_OUT ?? "/tmp/sigstore-bench-tuf.json", JSON.stringify(result, null, 2) + "\n");
        return serving.some((l) => l.errors > 0) ? 1 : 0;
    });
}
