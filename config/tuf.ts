/** The TUF repository that distributes the trusted root and signing config: keys, expiry and renewal. */
import { defaults } from "./defaults";
import { Reader } from "./reader";
import { TufConfig } from "./types";

export function readTuf(r: Reader): TufConfig | undefined {
    if (!r.bool("tuf", defaults.tuf)) return undefined;
    const rootKeyCount = r.int("tufRootKeyCount", defaults.tufRootKeyCount, 1, 10);
    const rootThreshold = r.int("tufRootThreshold", defaults.tufRootThreshold, 1, 10);
    if (rootThreshold > rootKeyCount) {
        r.reject("tufRootThreshold", String(rootThreshold), `must not exceed tufRootKeyCount (${rootKeyCount}): no root could ever be trusted`);
    }
    const expiryDays = {
        root: r.int("tufRootExpiryDays", defaults.tufRootExpiryDays, 1, 3650),
        targets: r.int("tufTargetsExpiryDays", defaults.tufTargetsExpiryDays, 1, 3650),
        snapshot: r.int("tufSnapshotExpiryDays", defaults.tufSnapshotExpiryDays, 1, 3650),
        timestamp: r.int("tufTimestampExpiryDays", defaults.tufTimestampExpiryDays, 1, 3650),
    };
    const renewalDays = r.int("tufRenewalDays", defaults.tufRenewalDays, 1, 3649);
    // A window as long as a period would re-sign that role at every `up`, and its version would race.
    const shortest = Object.entries(expiryDays).sort(([, a], [, b]) => a - b)[0];
    if (renewalDays >= shortest[1]) {
        r.reject("tufRenewalDays", String(renewalDays), `must be shorter than every role's expiry; the ${shortest[0]} role expires after ${shortest[1]} days`);
    }
    return {
        replicas: r.int("tufReplicas", defaults.tufReplicas, 1, 20),
        generation: r.int("tufRootGeneration", defaults.tufRootGeneration, 1, 100),
        rootKeyCount,
        rootThreshold,
        expiryDays,
        renewalDays,
    };
}
