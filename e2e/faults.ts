/**
 * Faults under load (issue 22), the library. Bounded loads of the writes a Sigstore serves, each
 * recording what every request got (a client backs off 100 ms after a failure), a server process
 * killed with SIGKILL in the middle of them and started again the way its pod would be, and the
 * checks each log must pass afterwards:
 *  - Rekor v1 (`rekorV1Load`): every entry acknowledged (201 with a log index) is at that index with
 *    the same body and an inclusion proof into the latest signed tree head; the tree heads before and
 *    after are consistent (RFC 9162: no fork); a retry of every failed upload lands once or is
 *    refused as a duplicate (409), never twice.
 *  - Fulcio and the CT log (`fulcioLoad`): every certificate issued carries one SCT, and the CT log
 *    serves the precertificate entry behind it with an inclusion proof into its STH; the STHs before
 *    and after are consistent.
 *  - Rekor v2 (`rekorV2Load`): every entry acknowledged is in the tiles at its index (its leaf hash),
 *    the checkpoint's root is the root of the tiles, the checkpoint before is consistent with the one
 *    after; a retry of every failed upload lands once or is found already logged, never twice.
 * Loopback only; every load is bounded in count and time.
 */
import * as x509 from "@peculiar/x509";
import { CtLogClient, embeddedScts, precertLeaf, SignedTreeHead } from "./ct-log";
import { LocalCluster } from "./local-cluster";
import { consistencyProof, leafHash, merkleRoot, verifyConsistency, verifyInclusion } from "./merkle";
import { leafHashesOf } from "./rekor-v2-server";
import { Checkpoint, verifyCheckpoint } from "../lib/rekor-v2";
import { hashedrekordEntry, hashedrekordV2Request } from "../bench/rekor";
import { certificateRequest } from "../bench/fulcio";
import { inParallel } from "../bench/stats";

/** What a request got, as its client saw it. */
export interface Outcome {
    sentAt: number;
    /** When the answer (or the error) came back; set by throughFault. */
    doneAt?: number;
    /** Acknowledged: the server promised the write (Rekor 201, Fulcio a certificate). */
    ok: boolean;
    status: number;
    error?: string;
}

/** What the checks after a fault found for one load. */
export interface LoadVerdict {
    /** Acknowledged, then not served as promised: must be 0. */
    lost: number;
    /** The log before the fault is a prefix of the log after (no fork). */
    consistent: boolean;
    /** Failed requests sent again once the server was back: landed, found already logged, failed again. */
    retried?: { landed: number; duplicate: number; failedAgain: number };
    /** What the retries that failed again were answered (status and message, each once). */
    retryErrors?: string[];
    /** Writes found more than once in the log after the retries: must be 0. */
    duplicates?: number;
    /** Rekor v1: logged entries its search index cannot find (cosign's lookup by artifact digest misses them). */
    unindexed?: number;
}

/** One kind of write: how to send it, and how to check afterwards that every promise held. */
export interface Load<O extends Outcome = Outcome> {
    name: string;
    /** Before the load starts: e.g. the tree head to prove consistency from. */
    before(): Promise<void>;
    send(): Promise<O>;
    /** After the fault and the restart, with every outcome of the run. */
    after(outcomes: O[]): Promise<LoadVerdict>;
}

export interface FaultReport extends LoadVerdict {
    fault: string;
    load: string;
    sent: number;
    acknowledged: number;
    failed: number;
    /**
     * From the kill until a request sent after it was first acknowledged (ms): how long new writes
     * were refused or held, whether the client saw errors or a slow answer.
     */
    recoveryMs: number;
}

export interface FaultOptions {
    /** Clients per load. */
    concurrency: number;
    durationMs: number;
    /** At most this many requests per load. */
    maxRequests: number;
    faultAfterMs: number;
    /** How long the process stays dead before it is started again (a container restart's delay). */
    downMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Kills the running process named `processName` (an app, or a pod's container) with SIGKILL, and
 * `downMs` later starts it again exactly as it was started, as the kubelet restarts a crashed
 * container. Resolves with the time of the kill once it is running again.
 */
export async function killAndRestart(cluster: LocalCluster, processName: string, downMs: number): Promise<number> {
    const running = cluster.processes.find((p) => p.name === processName && p.child.exitCode === null && p.child.signalCode === null);
    if (!running) throw new Error(`${processName} is not running (running: ${cluster.processes.map((p) => p.name).join(", ")})`);
    const killedAt = Date.now();
    running.child.kill("SIGKILL");
    await sleep(downMs);
    await running.restart();
    return killedAt;
}

/**
 * Runs every load's clients for `durationMs`; after `faultAfterMs`, `inject` kills a server (and
 * brings it back as its pod would) and returns when it killed. Then each load checks its promises.
 */
export async function throughFault(fault: string, loads: Load[], inject: () => Promise<number>, options: FaultOptions): Promise<FaultReport[]> {
    for (const load of loads) await load.before();
    const outcomes = loads.map(() => [] as Outcome[]);
    const end = Date.now() + options.durationMs;
    const killed = sleep(options.faultAfterMs).then(inject);
    const client = async (i: number) => {
        while (Date.now() < end && outcomes[i].length < options.maxRequests) {
            const o = await loads[i].send();
            o.doneAt = Date.now();
            outcomes[i].push(o);
            if (!o.ok) await sleep(100);
        }
    };
    await Promise.all(loads.flatMap((_, i) => Array.from({ length: options.concurrency }, () => client(i))));
    const killedAt = await killed;
    const reports: FaultReport[] = [];
    for (const [i, load] of loads.entries()) {
        const verdict = await load.after(outcomes[i]);
        const acknowledged = outcomes[i].filter((o) => o.ok);
        const after = acknowledged.filter((o) => o.sentAt > killedAt).map((o) => o.doneAt!);
        reports.push({
            fault,
            load: load.name,
            sent: outcomes[i].length,
            acknowledged: acknowledged.length,
            failed: outcomes[i].length - acknowledged.length,
            recoveryMs: after.length > 0 ? Math.min(...after) - killedAt : Infinity,
            ...verdict,
        });
    }
    return reports;
}

/** POSTs a JSON body; a network error or timeout is status 0. */
async function post(url: string, body: string): Promise<{ status: number; text: string }> {
    try {
        const res = await fetch(url, { method: "POST", body, headers: { "Content-Type": "application/json" }, signal: AbortSignal.timeout(30_000) });
        return { status: res.status, text: await res.text() };
    } catch (e) {
        return { status: 0, text: String(e) };
    }
}

async function getJson(url: string): Promise<any> {
    const res = await fetch(url);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text);
}

/**
 * Sends every failed request once more (the server is back) and tallies what `judge` makes of each
 * answer; a retry that failed again keeps its answer for the report.
 */
async function retryOnce<O extends Outcome>(
    failed: O[],
    concurrency: number,
    resend: (o: O) => Promise<O>,
    judge: (again: O) => "landed" | "duplicate" | "failed",
): Promise<Required<Pick<LoadVerdict, "retried" | "retryErrors">>> {
    const retried = { landed: 0, duplicate: 0, failedAgain: 0 };
    const errors = new Set<string>();
    await inParallel(failed, concurrency, async (o) => {
        const again = await resend(o);
        const verdict = judge(again);
        if (verdict === "landed") retried.landed++;
        else if (verdict === "duplicate") retried.duplicate++;
        else {
            retried.failedAgain++;
            errors.add(`${again.status} ${again.error}`);
        }
    });
    return { retried, retryErrors: [...errors] };
}

const hex = (h: string) => Buffer.from(h, "hex");

/** Polls `read` until it stops changing for `quietMs` (the signer has integrated what was queued). */
async function settled<T>(read: () => Promise<T>, size: (t: T) => number, quietMs = 3000, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last = await read();
    for (;;) {
        await sleep(quietMs);
        const now = await read();
        if (size(now) === size(last) || Date.now() > deadline) return now;
        last = now;
    }
}

// ---------------------------------------------------------------------------------------------
// Rekor v1

export interface RekorV1Target {
    rekorUrl: string;
    /** Rekor's search index: the UUIDs of the entries for an artifact's SHA-256 (hex). */
    rekorIndexSearch(sha256Hex: string): Promise<string[]>;
    /** Told each artifact that is in the log but not in the search index (to repair it afterwards). */
    onUnindexed?: (sha256Hex: string) => void;
}

interface RekorV1Outcome extends Outcome {
    body: string;
    /** The artifact's SHA-256 (hex): what Rekor's index finds the entry by. */
    digest: string;
    /** With a 201: where Rekor says the entry is, and the body it logged. */
    logIndex?: number;
    loggedBody?: string;
}

interface RekorTreeHead {
    treeSize: number;
    rootHash: string;
}

async function rekorUpload(rekorUrl: string, body: string): Promise<RekorV1Outcome> {
    const digest = JSON.parse(body).spec.data.hash.value as string;
    const sentAt = Date.now();
    const res = await post(`${rekorUrl}/api/v1/log/entries`, body);
    if (res.status !== 201) return { body, digest, sentAt, ok: false, status: res.status, error: res.text.slice(0, 200) };
    const entry = Object.values<any>(JSON.parse(res.text))[0];
    return { body, digest, sentAt, ok: true, status: 201, logIndex: Number(entry.logIndex), loggedBody: entry.body };
}

export function rekorV1Load(target: RekorV1Target, concurrency: number): Load<RekorV1Outcome> {
    const get = (p: string) => getJson(`${target.rekorUrl}${p}`);
    const head = async (): Promise<RekorTreeHead> => {
        const log = await get("/api/v1/log");
        return { treeSize: Number(log.treeSize), rootHash: String(log.rootHash) };
    };
    const consistent = async (older: RekorTreeHead, newer: RekorTreeHead): Promise<boolean> => {
        if (older.treeSize === 0) return true;
        const proof = await get(`/api/v1/log/proof?firstSize=${older.treeSize}&lastSize=${newer.treeSize}`);
        return verifyConsistency(older.treeSize, newer.treeSize, hex(older.rootHash), hex(newer.rootHash), proof.hashes.map(hex));
    };
    /** The acknowledged entry is at its index with the same body, and its inclusion proof leads into `latest`. */
    const stillThere = async (o: RekorV1Outcome, latest: RekorTreeHead): Promise<boolean> => {
        const entry = Object.values<any>(await get(`/api/v1/log/entries?logIndex=${o.logIndex}`))[0];
        if (entry.body !== o.loggedBody) return false;
        const proof = entry.verification.inclusionProof;
        const included = verifyInclusion(
            Number(proof.logIndex),
            Number(proof.treeSize),
            leafHash(Buffer.from(entry.body, "base64")),
            proof.hashes.map(hex),
            hex(proof.rootHash),
        );
        return included && (await consistent({ treeSize: Number(proof.treeSize), rootHash: proof.rootHash }, latest));
    };
    let before: RekorTreeHead;
    return {
        name: "Rekor v1 uploads",
        before: async () => {
            before = await settled(head, (h) => h.treeSize, 500);
        },
        send: () => rekorUpload(target.rekorUrl, hashedrekordEntry()),
        after: async (outcomes) => {
            const latest = await settled(head, (h) => h.treeSize);
            const acknowledged = outcomes.filter((o) => o.ok);
            let lost = 0;
            for (const o of acknowledged) if (!(await stillThere(o, latest))) lost++;
            // Rekor v1 refuses an entry it already has with 409 (Trillian's identity hash).
            const retries = await retryOnce(
                outcomes.filter((o) => !o.ok),
                concurrency,
                (o) => rekorUpload(target.rekorUrl, o.body),
                (again) => (again.ok ? "landed" : again.status === 409 ? "duplicate" : "failed"),
            );
            await settled(head, (h) => h.treeSize);
            let duplicates = 0;
            let unindexed = 0;
            for (const o of outcomes) {
                const found = (await target.rekorIndexSearch(o.digest)).length;
                if (found > 1) duplicates++;
                if (found === 0) {
                    unindexed++; // every upload was acknowledged, or retried until it was: it is in the log
                    target.onUnindexed?.(o.digest);
                }
            }
            return { lost, consistent: await consistent(before, latest), ...retries, duplicates, unindexed };
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Fulcio and the CT log

export interface FulcioTarget {
    fulcioUrl: string;
    /** The active CT log's base URL (`<host>/<prefix>`), the one Fulcio submits to. */
    ctlogUrl: string;
    token(): Promise<string>;
    /** The token's subject (its email): what the proof of possession signs. */
    subject: string;
}

interface FulcioOutcome extends Outcome {
    /** With a certificate: the leaf and its issuer, DER. */
    certificate?: Buffer;
    issuer?: Buffer;
}

export function fulcioLoad(target: FulcioTarget): Load<FulcioOutcome> {
    const ct = new CtLogClient(target.ctlogUrl);
    let token: string;
    let before: SignedTreeHead;
    /** The certificate carries exactly one SCT, and the CT log serves its entry with a proof into `latest`. */
    const logged = async (o: FulcioOutcome, latest: SignedTreeHead): Promise<boolean> => {
        const scts = embeddedScts(o.certificate!);
        return scts.length === 1 && (await ct.includes(precertLeaf(o.certificate!, o.issuer!, scts[0]), latest));
    };
    return {
        name: "Fulcio certificates (CT log)",
        before: async () => {
            token = await target.token();
            before = await settled(
                () => ct.sth(),
                (h) => h.treeSize,
                500,
            );
        },
        send: async () => {
            const sentAt = Date.now();
            const res = await post(`${target.fulcioUrl}/api/v2/signingCert`, certificateRequest(token, target.subject));
            const answer = res.status === 200 || res.status === 201 ? JSON.parse(res.text) : undefined;
            const pems: string[] | undefined = answer?.signedCertificateEmbeddedSct?.chain?.certificates;
            if (!pems?.length) return { sentAt, ok: false, status: res.status, error: res.text.slice(0, 200) };
            const der = (pem: string) => Buffer.from(new x509.X509Certificate(pem).rawData);
            return { sentAt, ok: true, status: res.status, certificate: der(pems[0]), issuer: der(pems[1]) };
        },
        after: async (outcomes) => {
            const latest = await settled(
                () => ct.sth(),
                (h) => h.treeSize,
            );
            const issued = outcomes.filter((x) => x.ok);
            await refuseUnloggedLeaf(ct, issued[0], latest);
            let lost = 0;
            for (const o of issued) if (!(await logged(o, latest))) lost++;
            return { lost, consistent: await ct.consistent(before, latest) };
        },
    };
}

/** The check itself can fail: the same certificate's leaf with a timestamp 1 ms off is not in the log. */
async function refuseUnloggedLeaf(ct: CtLogClient, o: FulcioOutcome | undefined, head: SignedTreeHead): Promise<void> {
    if (!o) return;
    const [sct] = embeddedScts(o.certificate!);
    if (await ct.includes(precertLeaf(o.certificate!, o.issuer!, { ...sct, timestampMs: sct.timestampMs + 1 }), head)) {
        throw new Error("the CT log check found a leaf nobody logged: it proves nothing");
    }
}

// ---------------------------------------------------------------------------------------------
// Rekor v2

export interface RekorV2Target {
    /** The active log's write API (`/api/v2/log/entries` below it). */
    writeUrl: string;
    /** Its read path (checkpoint and tiles). */
    readUrl: string;
    /** The log's key and origin: every checkpoint read must be signed by them. */
    publicKeyPem: string;
    origin: string;
}

interface RekorV2Outcome extends Outcome {
    body: string;
    logIndex?: number;
    /** The leaf hash of the entry the log says it appended. */
    leaf?: Buffer;
}

/** The log's checkpoint, its signature checked (C2SP tlog-checkpoint). */
async function readCheckpoint(target: RekorV2Target): Promise<Checkpoint> {
    const res = await fetch(`${target.readUrl}/checkpoint`);
    if (!res.ok) throw new Error(`GET checkpoint: ${res.status}`);
    return verifyCheckpoint(await res.text(), target.publicKeyPem, target.origin);
}

async function rekorV2Upload(writeUrl: string, body: string): Promise<RekorV2Outcome> {
    const sentAt = Date.now();
    const res = await post(`${writeUrl}/api/v2/log/entries`, body);
    if (res.status !== 201) return { body, sentAt, ok: false, status: res.status, error: res.text.slice(0, 200) };
    const entry = JSON.parse(res.text);
    return { body, sentAt, ok: true, status: 201, logIndex: Number(entry.logIndex), leaf: leafHash(Buffer.from(entry.canonicalizedBody, "base64")) };
}

export function rekorV2Load(target: RekorV2Target, concurrency: number): Load<RekorV2Outcome> {
    let before: Checkpoint;
    const checkpoint = () => readCheckpoint(target);
    return {
        name: "Rekor v2 uploads",
        before: async () => {
            before = await settled(checkpoint, (c) => c.size, 500);
        },
        send: () => rekorV2Upload(target.writeUrl, hashedrekordV2Request()),
        after: async (outcomes) => {
            const latest = await settled(checkpoint, (c) => c.size);
            const leaves = await leafHashesOf(target.readUrl, latest.size);
            const lost = outcomes.filter((o) => o.ok && !leaves[o.logIndex!]?.equals(o.leaf!)).length;
            const consistent =
                merkleRoot(leaves).equals(latest.rootHash) &&
                (before.size === 0 || verifyConsistency(before.size, latest.size, before.rootHash, latest.rootHash, consistencyProof(before.size, leaves)));
            const known = new Set(leaves.map((l) => l.toString("hex")));
            const retries = await retryOnce(
                outcomes.filter((o) => !o.ok),
                concurrency,
                (o) => rekorV2Upload(target.writeUrl, o.body),
                (again) => {
                    // A duplicate is refused with 409 naming where the entry already is (persistent antispam).
                    const existing = again.status === 409 ? /already exists in the transparency log with index (\d+)/.exec(again.error ?? "") : null;
                    if (existing && Number(existing[1]) < latest.size) return "duplicate";
                    if (again.ok && known.has(again.leaf!.toString("hex")) && again.logIndex! < latest.size) return "duplicate";
                    return again.ok ? "landed" : "failed";
                },
            );
            const final = await settled(checkpoint, (c) => c.size);
            const counts = new Map<string, number>();
            for (const l of await leafHashesOf(target.readUrl, final.size)) counts.set(l.toString("hex"), (counts.get(l.toString("hex")) ?? 0) + 1);
            const duplicates = [...counts.values()].filter((n) => n > 1).length;
            return { lost, consistent, ...retries, duplicates };
        },
    };
}
