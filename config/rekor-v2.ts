/** Rekor v2 (rekorVersion v2): the tile-based log that takes the writes, beside the kept v1 log. */
import { quantity } from "./checks";
import { defaults } from "./defaults";
import { Reader } from "./reader";
import { RekorV2Config } from "./types";

export const rekorVersions = ["v1", "v2"] as const;

/** A Go duration of seconds or milliseconds, as --checkpoint-interval takes it (Tessera's POSIX minimum is 100ms). */
function checkpointInterval(v: string): string | undefined {
    const m = /^(\d+)(ms|s)$/.exec(v);
    if (!m) return "must be a duration in s or ms, such as 1s or 500ms";
    const ms = Number(m[1]) * (m[2] === "s" ? 1000 : 1);
    return ms < 100 || ms > 60_000 ? "must be from 100ms to 60s" : undefined;
}

export function readRekorV2(r: Reader, tsaDeployed: boolean): RekorV2Config | undefined {
    if (r.oneOf("rekorVersion", rekorVersions, defaults.rekorVersion) === "v1") return undefined;
    if (!tsaDeployed) {
        r.reject(
            "rekorVersion",
            "v2",
            "needs timestampAuthority true: cosign refuses keyless signing against Rekor v2 without a timestamp authority in the signing config",
        );
    }
    return {
        checkpointInterval: r.string("rekorV2CheckpointInterval", defaults.rekorV2CheckpointInterval, checkpointInterval),
        storageSize: r.string("rekorV2StorageSize", defaults.rekorV2StorageSize, quantity),
    };
}
