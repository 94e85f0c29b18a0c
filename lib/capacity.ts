/**
 * Capacity planning for the Trillian database: from the expected signing rate and how long the logs
 * are kept, the volume they need. Every signing appends one Rekor entry and one CT log entry (the
 * pre-certificate Fulcio submits), and neither log ever shrinks.
 *
 * The bytes per entry are measured, not assumed: `npm run bench:rekor-v2` grows a real Trillian
 * database (MariaDB, data + indexes after ANALYZE) and a Rekor v2 log past 10,000 entries each, and
 * `npm run bench` measures the CT log's with 600 Fulcio certificates (docs/performance.md).
 */
import { binlogRetentionDays } from "./mysql-tuning";
import { memoryBytes } from "./resources";

/**
 * Measured database growth per entry: Rekor's from bench/rekor-versions.ts at 12,830 entries (data +
 * indexes after ANALYZE TABLE, higher than the 1129–1165 of the 1,350-entry runs of bench/write-path.ts),
 * the CT log's from bench/write-path.ts.
 */
export const measuredBytesPerEntry = { rekor: 1675, ctlog: 4861 };

/**
 * Measured growth of a Rekor v2 log's volume per entry (bench/rekor-versions.ts, 10,000 entries): tiles,
 * entry bundles and the deduplication index, as the filesystem allocates them.
 */
export const measuredRekorV2BytesPerEntry = 842;

/** Room above the logs' own bytes: InnoDB page fill and fragmentation, ANALYZE's estimate, growth spurts. */
export const headroom = 0.3;

export interface CapacityInputs {
    signingsPerDay: number;
    retentionYears: number;
    /** Rekor v2 takes the writes: the database grows by the CT log's entries only. */
    rekorV2?: boolean;
    /** The redo log the database keeps beside the data (lib/mysql-tuning.ts). */
    redoLogBytes: number;
}

export interface CapacityPlan {
    signingsPerDay: number;
    retentionYears: number;
    bytesPerSigning: number;
    requiredBytes: number;
    /** The required size as a Kubernetes quantity, rounded up to whole Gi. */
    requiredSize: string;
    formula: string;
}

const GiB = 2 ** 30;

export function capacityPlan(i: CapacityInputs): CapacityPlan {
    const rekorBytes = i.rekorV2 ? 0 : measuredBytesPerEntry.rekor;
    const bytesPerSigning = rekorBytes + measuredBytesPerEntry.ctlog;
    const logs = i.signingsPerDay * 365 * i.retentionYears * bytesPerSigning * (1 + headroom);
    // The binary logs kept (lib/mysql-tuning.ts) are roughly one more copy of that many days' writes.
    const binlogs = i.signingsPerDay * binlogRetentionDays * bytesPerSigning;
    const requiredBytes = Math.ceil(logs + binlogs + i.redoLogBytes);
    return {
        signingsPerDay: i.signingsPerDay,
        retentionYears: i.retentionYears,
        bytesPerSigning,
        requiredBytes,
        requiredSize: `${Math.max(1, Math.ceil(requiredBytes / GiB))}Gi`,
        formula:
            `signingsPerDay × 365 × retentionYears × ${bytesPerSigning} B per signing ` +
            `(${i.rekorV2 ? "CT log" : `Rekor ${measuredBytesPerEntry.rekor} + CT log`} ${measuredBytesPerEntry.ctlog}, measured${i.rekorV2 ? "; Rekor v2 writes to its own volume" : ""}) × ${1 + headroom} headroom ` +
            `+ ${binlogRetentionDays} days of binary logs + the redo log`,
    };
}

/** A warning when the configured volume is smaller than the plan needs (undefined when it fits). */
export function capacityWarning(plan: CapacityPlan, configuredSize: string): string | undefined {
    if (memoryBytes(configuredSize) >= plan.requiredBytes) return undefined;
    return (
        `databaseStorageSize ${configuredSize} is below the ${plan.requiredSize} that ${plan.signingsPerDay} signings a day ` +
        `kept ${plan.retentionYears} years need (${plan.formula}); raise databaseStorageSize (a PVC can grow if its StorageClass allows expansion)`
    );
}

/** The database volume as the stack reports it (output databaseCapacity) and the warning a preview shows. */
export interface DatabaseCapacity {
    /** What the stack exports: the plan with the configured size and whether it fits, or only the size when not planned. */
    report: ({ planned: true; configuredSize: string; fits: boolean } & CapacityPlan) | { planned: false; configuredSize: string };
    /** Set when the in-cluster volume is smaller than the plan needs. */
    warning?: string;
}

/**
 * Plans the database volume from expectedSigningsPerDay and retentionYears (0 signings: not planned).
 * Only the in-cluster volume is checked against the plan; an external database's size is not ours.
 */
export function planDatabaseCapacity(input: {
    signingsPerDay: number;
    retentionYears: number;
    rekorV2?: boolean;
    redoLogBytes: number;
    configuredSize: string;
    inCluster: boolean;
}): DatabaseCapacity {
    if (input.signingsPerDay <= 0) return { report: { planned: false, configuredSize: input.configuredSize } };
    const plan = capacityPlan(input);
    const warning = input.inCluster ? capacityWarning(plan, input.configuredSize) : undefined;
    return { report: { planned: true, ...plan, configuredSize: input.configuredSize, fits: warning === undefined }, warning };
}

/** The active Rekor v2 log's volume as the stack reports it (rekorV2Log.capacity) and the warning a preview shows. */
export interface RekorV2Capacity {
    report:
        | { planned: true; configuredSize: string; fits: boolean; bytesPerEntry: number; requiredBytes: number; requiredSize: string; formula: string }
        | { planned: false; configuredSize: string };
    warning?: string;
}

/**
 * Plans the Rekor v2 log's volume from expectedSigningsPerDay and retentionYears (one entry per
 * signing; 0 signings: not planned). A log holds its entries for good; rotating to a new log
 * (rekorKeyGeneration) starts a new volume.
 */
export function planRekorV2Capacity(input: { signingsPerDay: number; retentionYears: number; configuredSize: string }): RekorV2Capacity {
    if (input.signingsPerDay <= 0) return { report: { planned: false, configuredSize: input.configuredSize } };
    const requiredBytes = Math.ceil(input.signingsPerDay * 365 * input.retentionYears * measuredRekorV2BytesPerEntry * (1 + headroom));
    const requiredSize = `${Math.max(1, Math.ceil(requiredBytes / GiB))}Gi`;
    const formula = `signingsPerDay × 365 × retentionYears × ${measuredRekorV2BytesPerEntry} B per entry (measured) × ${1 + headroom} headroom`;
    const fits = memoryBytes(input.configuredSize) >= requiredBytes;
    const warning = fits
        ? undefined
        : `rekorV2StorageSize ${input.configuredSize} is below the ${requiredSize} that ${input.signingsPerDay} signings a day kept ${input.retentionYears} years ` +
          `need (${formula}); raise rekorV2StorageSize (a PVC can grow if its StorageClass allows expansion), or plan to rotate to a new log (rekorKeyGeneration) before it fills`;
    return {
        report: {
            planned: true,
            configuredSize: input.configuredSize,
            fits,
            bytesPerEntry: measuredRekorV2BytesPerEntry,
            requiredBytes,
            requiredSize,
            formula,
        },
        warning,
    };
}
