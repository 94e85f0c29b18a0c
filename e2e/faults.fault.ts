/**
 * `npm run test:faults` (issue 22): every server of the signing path killed with SIGKILL, one at a
 * time, in the middle of a bounded signing load, and started again as its pod would be
 * (e2e/faults.ts). The load is what a signing does: hashedrekord uploads to Rekor, and certificate
 * requests to Fulcio, which must get an SCT from the CT log before it issues.
 * After each fault: no acknowledged entry or certificate is lost, the logs before and after are
 * consistent (no fork), writes resume by themselves, and retried failures land once or are refused as
 * duplicates. The database runs as a MariaDB of this run's own, with the StatefulSet's flags, so it
 * can be killed too. The two lease-electing signers of the prod shape need an API server: the
 * cluster suite kills the lease holder (cluster/deploy.cluster.ts).
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { ensureBinaries } from "./binaries";
import { Stack, startStack, user } from "./harness";
import { FaultOptions, FaultReport, fulcioLoad, killAndRestart, Load, rekorV1Load, rekorV2Load, throughFault } from "./faults";
import { rekorV2Ports } from "../lib/rekor-v2";

const options: FaultOptions = { concurrency: 8, durationMs: 8000, maxRequests: 2000, faultAfterMs: 2000, downMs: 1000 };
const reports: FaultReport[] = [];

after(function () {
    if (reports.length === 0) return;
    console.log("\n    Faults under load (issue 22): per fault and load");
    console.table(
        reports.map(({ retryErrors, ...r }) => ({ ...r, retried: r.retried ? JSON.stringify(r.retried) : "-", recoveryMs: Math.round(r.recoveryMs) })),
    );
    for (const r of reports.filter((x) => x.retryErrors?.length))
        console.log(`    ${r.fault} / ${r.load}: retries that failed again: ${r.retryErrors!.join("; ")}`);
});

/** The promises every fault must keep, for every load it ran under. */
function assertKept(report: FaultReport): void {
    const what = `${report.fault} / ${report.load}`;
    assert.equal(report.lost, 0, `${what}: ${report.lost} acknowledged writes are not served as promised`);
    assert.ok(report.consistent, `${what}: the log before the fault is not a prefix of the log after: a fork`);
    assert.ok(report.acknowledged > 0, `${what}: nothing was acknowledged`);
    assert.ok(Number.isFinite(report.recoveryMs), `${what}: no write was acknowledged after the fault`);
    if (report.retried) assert.equal(report.retried.failedAgain, 0, `${what}: a retry after recovery failed again: ${report.retryErrors?.join("; ")}`);
    if (report.duplicates !== undefined) assert.equal(report.duplicates, 0, `${what}: a write landed twice`);
}

function fulcio(stack: Stack): Load {
    const prefix = stack.outputs.ctlogs.at(-1).prefix;
    return fulcioLoad({
        fulcioUrl: `http://127.0.0.1:${stack.cluster.localPort("fulcio-server", 5555)}`,
        ctlogUrl: `http://127.0.0.1:${stack.cluster.localPort("ctlog", 6962)}/${prefix}`,
        token: () => stack.token(),
        subject: user,
    });
}

describe("faults under load: each server killed mid-write (Rekor v1, Fulcio, CT log)", function () {
    let stack: Stack;

    before(async function () {
        stack = await startStack({ log: (line) => console.log(`    ${line}`), keepWork: Boolean(process.env.E2E_KEEP), ownDatabaseServer: true });
    });

    after(async function () {
        await stack?.stop();
    });

    /** Artifacts in the log that Rekor's search index missed after a fault. */
    const unindexed: string[] = [];

    for (const app of ["trillian-log-signer", "trillian-log-server", "rekor-server", "rekor-redis", "ctlog", "fulcio-server", "trillian-db"]) {
        it(`${app}: nothing acknowledged is lost, no fork, writes resume, retries land once`, async function () {
            const rekor = {
                rekorUrl: stack.rekorUrl,
                rekorIndexSearch: (d: string) => stack.rekorIndexSearch(d),
                onUnindexed: (d: string) => unindexed.push(d),
            };
            const loads = [rekorV1Load(rekor, options.concurrency), fulcio(stack)];
            const found = await throughFault(app, loads, () => killAndRestart(stack.cluster, app, options.downMs), options);
            reports.push(...found);
            for (const report of found) assertKept(report);
        });
    }

    it("the search index Rekor missed during the faults is repaired by the runbook's backfill-index", async function () {
        // Rekor indexes an entry after Trillian logged it, best effort: an entry logged while Redis was
        // down, or whose request failed after it was logged, is in the log but not in the index.
        console.log(`      ${unindexed.length} logged entries were missing from the search index`);
        const log = (await (await fetch(`${stack.rekorUrl}/api/v1/log`)).json()) as { treeSize: number };
        const size = Number(log.treeSize);
        execFileSync(
            ensureBinaries()["backfill-index"],
            [
                `--rekor-address=${stack.rekorUrl}`,
                "--redis-hostname=127.0.0.1",
                `--redis-port=${stack.cluster.localPort("rekor-redis", 6379)}`,
                `--redis-password=${stack.cluster.containerEnv("rekor-server").REDIS_PASSWORD}`,
                "--start=0",
                `--end=${size - 1}`,
                "--concurrency=4",
            ],
            { stdio: "pipe" },
        );
        for (const digest of unindexed) assert.equal((await stack.rekorIndexSearch(digest)).length, 1, `${digest} is still not in the index`);
    });
});

describe("faults under load: the Rekor v2 server killed mid-batch", function () {
    let stack: Stack;

    before(async function () {
        stack = await startStack({ log: (line) => console.log(`    ${line}`), keepWork: Boolean(process.env.E2E_KEEP), rekor: "stack" });
    });

    after(async function () {
        await stack?.stop();
    });

    it("rekor-v2: nothing acknowledged is lost, the checkpoint stays consistent, writes resume, retries land once", async function () {
        const log = stack.outputs.rekorV2Log;
        const load = rekorV2Load(
            {
                writeUrl: `http://127.0.0.1:${stack.cluster.localPort("rekor-v2", rekorV2Ports.http)}`,
                readUrl: `http://127.0.0.1:${stack.cluster.localPort("rekor-v2", rekorV2Ports.read)}`,
                publicKeyPem: log.publicKeyPem,
                origin: log.origin,
            },
            options.concurrency,
        );
        const found = await throughFault("rekor-v2", [load, fulcio(stack)], () => killAndRestart(stack.cluster, "rekor-v2", options.downMs), options);
        reports.push(...found);
        for (const report of found) assertKept(report);
    });
});
