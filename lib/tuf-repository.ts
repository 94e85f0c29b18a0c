/**
 * The files of a TUF repository (TUF 1.0, consistent snapshots) that distributes Sigstore's trust
 * material: N.root.json for every root version, N.targets.json, N.snapshot.json, timestamp.json, and
 * the targets under targets/<sha256>.<name>. Built and signed with @tufjs/models, keys Ed25519.
 *
 * Pure and deterministic: Ed25519 signatures depend only on key and message, the versions and
 * expiry dates come from the schedule (lib/tuf-schedule.ts), and objects are built in a fixed key
 * order, so the same stack renders byte-identical files.
 */
import * as crypto from "node:crypto";
import { Metadata, Root, Signature, Snapshot, TargetFile, Targets, Timestamp } from "@tufjs/models";
import { RoleVersion, TufSchedule } from "./tuf-schedule";

export const tufSpecVersion = "1.0.31";

/** A key as TUF lists it: Ed25519, keyval the hex of the raw 32-byte public key. */
export interface TufPublicKey {
    readonly keyId: string;
    readonly json: { keytype: "ed25519"; keyval: { public: string }; scheme: "ed25519" };
}

/** The TUF form of an Ed25519 public key (SPKI PEM), with its key ID: the SHA-256 of its canonical JSON. */
export function tufPublicKey(publicKeyPem: string): TufPublicKey {
    const key = crypto.createPublicKey(publicKeyPem);
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`a TUF key must be Ed25519, not ${key.asymmetricKeyType}`);
    const raw = key.export({ format: "der", type: "spki" }).subarray(-32);
    // Keys in sorted order and no whitespace: this is the canonical JSON the key ID is defined over.
    const json = { keytype: "ed25519" as const, keyval: { public: raw.toString("hex") }, scheme: "ed25519" as const };
    return { keyId: crypto.createHash("sha256").update(JSON.stringify(json)).digest("hex"), json };
}

/** The public keys of the four roles, and how many root signatures a client requires. */
export interface TufRoleKeys {
    readonly root: readonly TufPublicKey[];
    readonly rootThreshold: number;
    readonly targets: TufPublicKey;
    readonly snapshot: TufPublicKey;
    readonly timestamp: TufPublicKey;
}

/** The root's signed fields other than version and expiry, as stable JSON: what a root version signs for. */
export function rootBody(keys: TufRoleKeys): string {
    if (keys.rootThreshold < 1 || keys.rootThreshold > keys.root.length) {
        throw new Error(`the root threshold (${keys.rootThreshold}) must be between 1 and the number of root keys (${keys.root.length})`);
    }
    const all = [...keys.root, keys.targets, keys.snapshot, keys.timestamp];
    const ids = (list: readonly TufPublicKey[]) => [...new Set(list.map((k) => k.keyId))].sort();
    return JSON.stringify({
        consistent_snapshot: true,
        keys: Object.fromEntries([...new Map(all.map((k) => [k.keyId, k.json])).entries()].sort(([a], [b]) => a.localeCompare(b))),
        roles: {
            root: { keyids: ids(keys.root), threshold: keys.rootThreshold },
            snapshot: { keyids: ids([keys.snapshot]), threshold: 1 },
            targets: { keyids: ids([keys.targets]), threshold: 1 },
            timestamp: { keyids: ids([keys.timestamp]), threshold: 1 },
        },
    });
}

/** The digest of the targets: what the targets role's version follows. */
export function targetsDigest(targets: Record<string, string>): string {
    const listed = Object.keys(targets)
        .sort()
        .map((name) => [name, sha256(targets[name])]);
    return crypto.createHash("sha256").update(JSON.stringify(listed)).digest("hex");
}

export interface TufRepositoryInput {
    readonly schedule: TufSchedule;
    /** Target name → content (e.g. trusted_root.json): the exact bytes clients receive. */
    readonly targets: Record<string, string>;
    /** Every private key (PKCS #8 PEM) the repository ever used, by key ID: old roots are re-signed from them. */
    readonly privateKeys: Record<string, string>;
}

/** Path in the repository → file content. */
export type TufFiles = Record<string, string>;

/** Renders and signs every file of the repository. */
export function renderTufRepository(input: TufRepositoryInput): TufFiles {
    const { schedule } = input;
    const signer = (keyId: string) => {
        const pem = input.privateKeys[keyId];
        if (!pem) throw new Error(`no private key for TUF key ${keyId}: a key that signed a published root must be kept`);
        return (data: Buffer) => new Signature({ keyID: keyId, sig: crypto.sign(null, data, pem).toString("hex") });
    };
    const files: TufFiles = {};

    // Each root is signed by its own root keys and by the previous root's, so a client holding the
    // previous one accepts it (TUF 5.3.4: both thresholds).
    let previousRootKeys: string[] = [];
    for (const r of schedule.roots) {
        const body = JSON.parse(r.body);
        const signed = Root.fromJSON({ _type: "root", spec_version: tufSpecVersion, version: r.version, expires: r.expires, ...body });
        const ownKeys: string[] = body.roles.root.keyids;
        files[`${r.version}.root.json`] = serialize(signedBy(signed, [...new Set([...ownKeys, ...previousRootKeys])].sort(), signer));
        previousRootKeys = ownKeys;
    }
    files["root.json"] = files[`${schedule.roots[schedule.roots.length - 1].version}.root.json`];

    const targets = new Targets({ version: schedule.targets.version, specVersion: tufSpecVersion, expires: schedule.targets.expires });
    for (const name of Object.keys(input.targets).sort()) {
        const content = input.targets[name];
        const hash = sha256(content);
        targets.targets[name] = new TargetFile({ path: name, length: Buffer.byteLength(content), hashes: { sha256: hash } });
        files[`targets/${hash}.${name}`] = content;
    }
    files[`${schedule.targets.version}.targets.json`] = serialize(signedBy(targets, [schedule.targets.keyId], signer));

    const snapshot = Snapshot.fromJSON(listing("snapshot", schedule.snapshot, "targets.json", schedule.targets.version));
    files[`${schedule.snapshot.version}.snapshot.json`] = serialize(signedBy(snapshot, [schedule.snapshot.keyId], signer));
    const timestamp = Timestamp.fromJSON(listing("timestamp", schedule.timestamp, "snapshot.json", schedule.snapshot.version));
    files["timestamp.json"] = serialize(signedBy(timestamp, [schedule.timestamp.keyId], signer));
    return files;
}

/** The signed part of a snapshot or timestamp: each lists the one metadata file below it, by version. */
function listing(type: "snapshot" | "timestamp", role: RoleVersion, listed: string, listedVersion: number) {
    return { _type: type, spec_version: tufSpecVersion, version: role.version, expires: role.expires, meta: { [listed]: { version: listedVersion } } };
}

function signedBy<T extends Root | Targets | Snapshot | Timestamp>(
    signed: T,
    keyIds: string[],
    signer: (keyId: string) => (data: Buffer) => Signature,
): Metadata<T> {
    const metadata = new Metadata(signed);
    for (const keyId of keyIds) metadata.sign(signer(keyId), true);
    return metadata;
}

function serialize(metadata: Metadata<Root | Targets | Snapshot | Timestamp>): string {
    return JSON.stringify(metadata.toJSON(), null, 2) + "\n";
}

function sha256(content: string): string {
    return crypto.createHash("sha256").update(content).digest("hex");
}
