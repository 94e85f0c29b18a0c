/**
 * Faults under load (issue 22), the library: a bounded load of hashedrekord uploads to Rekor v1 that
 * records what every request got (clients back off 100 ms after a failure), a server killed with SIGKILL in the middle of it and started again
 * the way its pod would be, and the checks a log must pass afterwards:
 *  - every entry Rekor acknowledged (201 with a log index) is at that index with the same body, and
 *    an inclusion proof puts it in the latest signed tree head;
 *  - the tree head before the fault is consistent with the one after (RFC 9162): no fork;
 *  - a retry of every failed upload lands once or is refused as a duplicate (409), never twice.
 * Loopback only; the load is bounded in count and time.
 */
import { Stack } from "./harness";
import { leafHash, verifyConsistency, verifyInclusion } from "./merkle";
import { hashedrekordEntry } from "../bench/rekor";
import { inParallel } from "../bench/stats";

export interface Upload {
    body: string;
    /** The artifact's SHA-256 (hex): what Rekor's index finds the entry by. */
    digest: string;
    sentAt: number;
    status: number;
    /** With a 201: where Rekor says the entry is, and the body it logged. */
    logIndex?: number;
    loggedBody?: string;
    error?: string;
}

export interface FaultReport {
    app: string;
    sent: number;
    acknowledged: number;
    failed: number;
    /** Acknowledged, then not found at its index with its body: must be 0. */
    lost: number;
    /** From the kill until the first 201 of a request sent after it (ms). */
    recoveryMs: number;
    retried: { landed: number; duplicate: number; failedAgain: number };
    /** Artifacts found more than once in the log after the retries: must be 0. */
    duplicates: number;
}

interface TreeHead {
    treeSize: number;
    rootHash: string;
}

/** One upload: its fate as the client sees it. */
async function upload(rekorUrl: string, body: string): Promise<Upload> {
    const digest = JSON.parse(body).spec.data.hash.value as string;
    const sentAt = Date.now();
    try {
        const res = await fetch(`${rekorUrl}/api/v1/log/entries`, {
            method: "POST",
            body,
            headers: { "Content-Type": "application/json" },
            signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status !== 201) return { body, digest, sentAt, status: res.status, error: text.slice(0, 200) };
        const entry = Object.values<any>(JSON.parse(text))[0];
        return { body, digest, sentAt, status: 201, logIndex: Number(entry.logIndex), loggedBody: entry.body };
    } catch (e) {
        return { body, digest, sentAt, status: 0, error: String(e) };
    }
}

async function rekorGet(stack: Stack, p: string): Promise<any> {
    const res = await fetch(`${stack.rekorUrl}${p}`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${text}`);
    return JSON.parse(text);
}

async function treeHead(stack: Stack): Promise<TreeHead> {
    const log = await rekorGet(stack, "/api/v1/log");
    return { treeSize: Number(log.treeSize), rootHash: String(log.rootHash) };
}

/** Waits until Rekor's tree head stops growing (the signer has integrated what was queued). */
async function settledHead(stack: Stack, quietMs = 3000, timeoutMs = 60_000): Promise<TreeHead> {
    const deadline = Date.now() + timeoutMs;
    let last = await treeHead(stack);
    for (;;) {
        await new Promise((r) => setTimeout(r, quietMs));
        const now = await treeHead(stack);
        if (now.treeSize === last.treeSize || Date.now() > deadline) return now;
        last = now;
    }
}

function consistent(stack: Stack, older: TreeHead, newer: TreeHead): Promise<boolean> {
    if (older.treeSize === 0) return Promise.resolve(true);
    return rekorGet(stack, `/api/v1/log/proof?firstSize=${older.treeSize}&lastSize=${newer.treeSize}`).then((proof) =>
        verifyConsistency(
            older.treeSize,
            newer.treeSize,
            Buffer.from(older.rootHash, "hex"),
            Buffer.from(newer.rootHash, "hex"),
            proof.hashes.map((h: string) => Buffer.from(h, "hex")),
        ),
    );
}

/** The acknowledged entry is at its index with the same body, and its inclusion proof leads into `head`. */
async function stillThere(stack: Stack, u: Upload, head: TreeHead): Promise<boolean> {
    const entry = Object.values<any>(await rekorGet(stack, `/api/v1/log/entries?logIndex=${u.logIndex}`))[0];
    if (entry.body !== u.loggedBody) return false;
    const proof = entry.verification.inclusionProof;
    const included = verifyInclusion(
        Number(proof.logIndex),
        Number(proof.treeSize),
        leafHash(Buffer.from(entry.body, "base64")),
        proof.hashes.map((h: string) => Buffer.from(h, "hex")),
        Buffer.from(proof.rootHash, "hex"),
    );
    return included && (await consistent(stack, { treeSize: Number(proof.treeSize), rootHash: proof.rootHash }, head));
}

/**
 * Runs uploads from `concurrency` clients for `durationMs` (at most `maxUploads`), each client waiting
 * 100 ms after a failure as a real one backs off; after `faultAfterMs` kills `app` with SIGKILL and
 * starts it again after `downMs`, as the kubelet restarts a crashed container. Then checks the log
 * and retries every failed upload once.
 */
export async function uploadsThroughFault(
    stack: Stack,
    app: string,
    options: { concurrency: number; durationMs: number; maxUploads: number; faultAfterMs: number; downMs: number },
): Promise<FaultReport> {
    const before = await settledHead(stack, 500);
    const uploads: Upload[] = [];
    let killedAt = 0;
    const fault = (async () => {
        await new Promise((r) => setTimeout(r, options.faultAfterMs));
        const running = stack.cluster.processes.find((p) => p.name === app && p.child.exitCode === null && p.child.signalCode === null);
        if (!running) throw new Error(`${app} is not running`);
        killedAt = Date.now();
        running.child.kill("SIGKILL");
        await new Promise((r) => setTimeout(r, options.downMs));
        await running.restart();
    })();
    const end = Date.now() + options.durationMs;
    const client = async () => {
        while (Date.now() < end && uploads.length < options.maxUploads) {
            const u = await upload(stack.rekorUrl, hashedrekordEntry());
            uploads.push(u);
            if (u.status !== 201) await new Promise((r) => setTimeout(r, 100));
        }
    };
    await Promise.all(Array.from({ length: options.concurrency }, client));
    await fault;

    const head = await settledHead(stack);
    const acknowledged = uploads.filter((u) => u.status === 201);
    let lost = 0;
    for (const u of acknowledged) if (!(await stillThere(stack, u, head))) lost++;
    if (!(await consistent(stack, before, head)))
        throw new Error(`${app}: the tree head before the fault (${before.treeSize}) is not consistent with the one after: a fork`);
    const recovered = acknowledged.filter((u) => u.sentAt > killedAt).map((u) => u.sentAt);
    const recoveryMs = recovered.length > 0 ? Math.min(...recovered) - killedAt : Infinity;

    // Retry every failed upload once: it lands, or Rekor finds it logged already (409); never twice.
    const failed = uploads.filter((u) => u.status !== 201);
    const retried = { landed: 0, duplicate: 0, failedAgain: 0 };
    await inParallel(failed, options.concurrency, async (u) => {
        const again = await upload(stack.rekorUrl, u.body);
        if (again.status === 201) retried.landed++;
        else if (again.status === 409) retried.duplicate++;
        else retried.failedAgain++;
    });
    await settledHead(stack);
    let duplicates = 0;
    for (const u of [...acknowledged, ...failed]) if ((await stack.rekorIndexSearch(u.digest)).length > 1) duplicates++;
    return { app, sent: uploads.length, acknowledged: acknowledged.length, failed: failed.length, lost, recoveryMs, retried, duplicates };
}
