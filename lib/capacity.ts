/**
 * Capacity planning for the Trillian database: from the expected signing rate and how long the logs
 * are kept, the volume they need. Every signing appends one Rekor entry and one CT log entry (the
 * pre-certificate Fulcio submits), and neither log ever shrinks.
 *
 * The bytes per entry are measured, not assumed: `npm run bench` grows a real Trillian database
 * (MariaDB, data + indexes after ANALYZE) with 1350 hashedrekord uploads and 600 Fulcio
 * certificates and divides (docs/performance.md). The highest value seen over the runs is used.
 */
import { binlogRetentionDays } from "./mysql-tuning";
import { memoryBytes } from "./resources";

/** Measured database growth per entry (bench/write-path.ts), highest over the runs. */
export const measuredBytesPerEntry = { rekor: 1165, ctlog: 4861 };

/** Room above the logs' own bytes: InnoDB page fill and fragmentation, ANALYZE's estimate, growth spurts. */
export const headroom = 0.3;

export interface CapacityInputs {
    signingsPerDay: number;
    retentionYears: number;
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
    const bytesPerSigning = measuredBytesPerEntry.rekor + measuredBytesPerEntry.ctlog;
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
            `(Rekor ${measuredBytesPerEntry.rekor} + CT log ${measuredBytesPerEntry.ctlog}, measured) × ${1 + headroom} headroom ` +
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
    redoLogBytes: number;
    configuredSize: string;
    inCluster: boolean;
}): DatabaseCapacity {
    if (input.signingsPerDay <= 0) return { report: { planned: false, configuredSize: input.configuredSize } };
    const plan = capacityPlan(input);
    const warning = input.inCluster ? capacityWarning(plan, input.configuredSize) : undefined;
    return { report: { planned: true, ...plan, configuredSize: input.configuredSize, fits: warning === undefined }, warning };
}
