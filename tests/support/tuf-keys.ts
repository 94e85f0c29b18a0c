/**
 * TUF key sets made outside Pulumi, as TufRepository makes them (Ed25519: `rootKeys` root keys and
 * one per online role), for the repository's tests and its benchmark.
 */
import * as crypto from "node:crypto";
import { rootBody, targetsDigest, tufPublicKey, TufRoleKeys } from "../../lib/tuf-repository";
import { TufScheduleInputs } from "../../lib/tuf-schedule";

export interface KeyPair {
    pub: string;
    priv: string;
}

export function keyPair(): KeyPair {
    const k = crypto.generateKeyPairSync("ed25519");
    return { pub: k.publicKey.export({ format: "pem", type: "spki" }) as string, priv: k.privateKey.export({ format: "pem", type: "pkcs8" }) as string };
}

/** One generation's keys. */
export function keySet(rootKeys: number) {
    return { root: Array.from({ length: rootKeys }, keyPair), targets: keyPair(), snapshot: keyPair(), timestamp: keyPair() };
}
export type KeySet = ReturnType<typeof keySet>;

export function roleKeys(s: KeySet, threshold: number): TufRoleKeys {
    return {
        root: s.root.map((k) => tufPublicKey(k.pub)),
        rootThreshold: threshold,
        targets: tufPublicKey(s.targets.pub),
        snapshot: tufPublicKey(s.snapshot.pub),
        timestamp: tufPublicKey(s.timestamp.pub),
    };
}

/** Every private key of the sets, by TUF key ID (renderTufRepository's privateKeys). */
export function privateKeys(...sets: KeySet[]): Record<string, string> {
    return Object.fromEntries(sets.flatMap((s) => [...s.root, s.targets, s.snapshot, s.timestamp]).map((k) => [tufPublicKey(k.pub).keyId, k.priv]));
}

/** The schedule's inputs for these keys and targets, with the program's default periods. */
export function scheduleInputs(keys: TufRoleKeys, targets: Record<string, string>): TufScheduleInputs {
    return {
        rootBody: rootBody(keys),
        targetsDigest: targetsDigest(targets),
        keyIds: { targets: keys.targets.keyId, snapshot: keys.snapshot.keyId, timestamp: keys.timestamp.keyId },
        expiryDays: { root: 365, targets: 180, snapshot: 60, timestamp: 60 },
        renewalDays: 21,
    };
}
