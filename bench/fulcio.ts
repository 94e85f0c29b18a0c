/**
 * Fulcio issuance rate: signing certificates from POST /api/v2/signingCert (fulcio v1.8.8,
 * CreateSigningCertificateRequest as JSON), each for a fresh ECDSA P-256 key with its proof of
 * possession (a signature over the token's subject, pkg/challenges), with a fixed concurrency. Every
 * answer must carry an embedded SCT: Fulcio got it from our CT log before it issued.
 */
import * as crypto from "node:crypto";
import { inParallel } from "./stats";

export interface IssuanceResult {
    certificates: number;
    perSecond: number;
    latenciesMs: number[];
    failures: string[];
}

/** A CreateSigningCertificateRequest for a fresh key, with its proof of possession of `subject`. */
export function certificateRequest(token: string, subject: string): string {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    return JSON.stringify({
        credentials: { oidcIdentityToken: token },
        publicKeyRequest: {
            publicKey: { algorithm: "ECDSA", content: publicKey.export({ type: "spki", format: "pem" }) },
            proofOfPossession: crypto.sign("sha256", Buffer.from(subject), privateKey).toString("base64"),
        },
    });
}

/** `count` certificates for `subject` (the token's email) at `concurrency`; requests are prepared untimed. */
export async function issuanceBurst(fulcioUrl: string, token: string, subject: string, count: number, concurrency: number): Promise<IssuanceResult> {
    const bodies = Array.from({ length: count }, () => certificateRequest(token, subject));
    const latenciesMs: number[] = [];
    const failures: string[] = [];
    const seconds =
        (await inParallel(bodies, concurrency, async (body) => {
            const t0 = performance.now();
            const res = await fetch(`${fulcioUrl}/api/v2/signingCert`, { method: "POST", body, headers: { "Content-Type": "application/json" } });
            const answer: any = await res.json().catch(() => ({}));
            latenciesMs.push(performance.now() - t0);
            if (res.status !== 200 && res.status !== 201) failures.push(`${res.status} ${JSON.stringify(answer).slice(0, 200)}`);
            else if (!answer.signedCertificateEmbeddedSct?.chain?.certificates?.length)
                failures.push(`no embedded SCT: ${JSON.stringify(answer).slice(0, 200)}`);
        })) / 1000;
    return { certificates: count - failures.length, perSecond: Number(((count - failures.length) / seconds).toFixed(1)), latenciesMs, failures };
}
