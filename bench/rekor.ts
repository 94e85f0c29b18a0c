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

/** Rekor v2's CreateEntryRequest for hashedrekord v0.0.2: the artifact's SHA-256, signed over that digest. */
export function hashedrekordV2Request(): string {
    const artifact = crypto.randomBytes(64);
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const signature = crypto.sign("sha256", artifact, privateKey); // ECDSA over SHA-256(artifact), DER
    return JSON.stringify({
        hashedRekordRequestV002: {
            digest: crypto.createHash("sha256").update(artifact).digest("base64"),
            signature: {
                content: signature.toString("base64"),
                verifier: {
                    publicKey: { rawBytes: publicKey.export({ type: "spki", format: "der" }).toString("base64") },
                    keyDetails: "PKIX_ECDSA_P256_SHA_256",
                },
            },
        },
    });
}

export interface BurstResult {
    latenciesMs: number[];
    elapsedMs: number;
    failures: Array<{ status: number; body: string }>;
}

/**
 * Sends every body (prepared beforehand, so key generation is not timed) with `concurrency` workers;
 * no new one starts after `timeBoundMs`. A 201 is a success, with its latency; anything else, or an
 * error, a failure.
 */
export async function timedBurst(
    bodies: string[],
    concurrency: number,
    send: (body: string) => Promise<{ status: number; text: string }>,
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
                const res = await send(body);
                if (res.status === 201) latenciesMs.push(performance.now() - t0);
                else failures.push({ status: res.status, body: res.text.slice(0, 300) });
            } catch (e) {
                failures.push({ status: 0, body: String(e) });
            }
        },
        timeBoundMs,
    );
    return { latenciesMs, elapsedMs, failures };
}

/** Rekor v1 uploads through fetch (bench/sweep.ts). */
export async function uploadBurst(
    rekorUrl: string,
    bodies: string[],
    concurrency: number,
    requestTimeoutMs = 30_000,
    timeBoundMs = Infinity,
): Promise<BurstResult> {
    const send = async (body: string) => {
        const res = await fetch(`${rekorUrl}/api/v1/log/entries`, {
            method: "POST",
            body,
            headers: { "Content-Type": "application/json" },
            signal: AbortSignal.timeout(requestTimeoutMs),
        });
        return { status: res.status, text: await res.text() };
    };
    return timedBurst(bodies, concurrency, send, timeBoundMs);
}
