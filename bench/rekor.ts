/**
 * Rekor upload burst: M hashedrekord v0.0.1 entries, each a fresh artifact hash signed by a fresh
 * ECDSA P-256 key, POSTed to /api/v1/log/entries with a fixed concurrency.
 * Body shape per rekor v1.5.4 pkg/types/hashedrekord/v0.0.1 (schema + entry.go validate()):
 * signature.content = base64 DER signature over the sha256 digest, publicKey.content = base64 of the
 * PEM public key, data.hash = {algorithm: "sha256", value: lower-case hex of the digest}.
 */
import * as crypto from "node:crypto";
import { inParallel } from "./stats";

export function hashedrekordEntry(): string {
    const artifact = crypto.randomBytes(64);
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const signature = crypto.sign("sha256", artifact, privateKey); // ECDSA, DER-encoded
    const pem = publicKey.export({ type: "spki", format: "pem" }) as string;
    return JSON.stringify({
        apiVersion: "0.0.1",
        kind: "hashedrekord",
        spec: {
            signature: { content: signature.toString("base64"), publicKey: { content: Buffer.from(pem).toString("base64") } },
            data: { hash: { algorithm: "sha256", value: crypto.createHash("sha256").update(artifact).digest("hex") } },
        },
    });
}

export interface BurstResult {
    latenciesMs: number[];
    elapsedMs: number;
    failures: Array<{ status: number; body: string }>;
}

/**
 * POSTs every body (prepared beforehand, so key generation is not timed) with `concurrency` workers;
 * no new upload starts after `timeBoundMs`.
 */
export async function uploadBurst(
    rekorUrl: string,
    bodies: string[],
    concurrency: number,
    requestTimeoutMs = 30_000,
    timeBoundMs = Infinity,
): Promise<BurstResult> {
    const latenciesMs: number[] = [];
    const failures: BurstResult["failures"] = [];
    const elapsedMs = await inParallel(
        bodies,
        concurrency,
        async (body) => {
            const t0 = performance.now();
            try {
                const res = await fetch(`${rekorUrl}/api/v1/log/entries`, {
                    method: "POST",
                    body,
                    headers: { "Content-Type": "application/json" },
                    signal: AbortSignal.timeout(requestTimeoutMs),
                });
                const text = await res.text();
                latenciesMs.push(performance.now() - t0);
                if (res.status !== 201) failures.push({ status: res.status, body: text.slice(0, 300) });
            } catch (e) {
                failures.push({ status: 0, body: String(e) });
            }
        },
        timeBoundMs,
    );
    return { latenciesMs, elapsedMs, failures };
}
