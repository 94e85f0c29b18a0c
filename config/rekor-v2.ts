/** Rekor v2 (rekorVersion v2): the tile-based log that takes the writes, beside the kept v1 log. */
import { quantity } from "./checks";
import { defaults } from "./defaults";
import { Reader } from "./reader";
import { RekorV2Config } from "./types";

export const rekorVersions = ["v1", "v2"] as const;
/** What Rekor v1 does once Rekor v2 takes the writes: serve its frozen log read-only, or stop (its data kept). */
export const rekorV1AfterMigrationModes = ["read-only", "stopped"] as const;

/** A Go duration of seconds or milliseconds from `minMs` to 60 s, as rekor-tiles' duration flags take it. */
function duration(minMs: number): (v: string) => string | undefined {
    return (v) => {
        const m = /^(\d+)(ms|s)$/.exec(v);
        if (!m) return "must be a duration in s or ms, such as 1s or 500ms";
        const ms = Number(m[1]) * (m[2] === "s" ? 1000 : 1);
        return ms < minMs || ms > 60_000 ? `must be from ${minMs}ms to 60s` : undefined;
    };
}

/**
 * Rekor v2's generations continue Rekor v1's in one sequence (rekorKeyGeneration): generations
 * before rekorV2FromGeneration are v1 trees, the rest v2 logs. Moving to v2 is a rotation to a log of
 * the new kind, so the v1 log is frozen like any retired generation and nothing is reinterpreted.
 */
function fromGeneration(r: Reader, keyGeneration: number): number {
    const how =
        "the first rekorKeyGeneration written by Rekor v2, which never changes afterwards. To move a stack on rekorKeyGeneration N to v2, " +
        "set rekorKeyGeneration and rekorV2FromGeneration both to N+1 (generations 1…N stay Rekor v1's frozen trees)";
    const from = r.int("rekorV2FromGeneration", defaults.rekorV2FromGeneration, 0, 100);
    if (from === 0) r.reject("rekorV2FromGeneration", "unset", `is required with rekorVersion v2: ${how}`);
    else if (from < 2 || from > keyGeneration) r.reject("rekorV2FromGeneration", from, `must be from 2 to rekorKeyGeneration (${keyGeneration}): ${how}`);
    return from;
}

export function readRekorV2(r: Reader, tsaDeployed: boolean, keyGeneration: number): RekorV2Config | undefined {
    if (r.oneOf("rekorVersion", rekorVersions, defaults.rekorVersion) === "v1") return undefined;
    if (!tsaDeployed) {
        r.reject(
            "rekorVersion",
            "v2",
            "needs timestampAuthority true: cosign refuses keyless signing against Rekor v2 without a timestamp authority in the signing config",
        );
    }
    return {
        fromGeneration: fromGeneration(r, keyGeneration),
        v1AfterMigration: r.oneOf("rekorV1AfterMigration", rekorV1AfterMigrationModes, defaults.rekorV1AfterMigration),
        // Tessera's POSIX storage publishes no faster than every 100ms.
        checkpointInterval: r.string("rekorV2CheckpointInterval", defaults.rekorV2CheckpointInterval, duration(100)),
        batchMaxSize: r.int("rekorV2BatchMaxSize", defaults.rekorV2BatchMaxSize, 1, 10_000),
        batchMaxAge: r.string("rekorV2BatchMaxAge", defaults.rekorV2BatchMaxAge, duration(1)),
        storageSize: r.string("rekorV2StorageSize", defaults.rekorV2StorageSize, quantity),
        backupStorageSize: r.string("rekorV2BackupStorageSize", defaults.rekorV2BackupStorageSize, quantity),
    };
}
