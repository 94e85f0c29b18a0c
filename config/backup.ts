/** Scheduled, verified dumps of the Trillian database (components/backup.ts): absent without a schedule. */
import { isCronSchedule } from "../lib/parse";
import { defaults } from "./defaults";
import { dnsName, quantity } from "./checks";
import { Reader } from "./reader";
import { BackupConfig, DatabaseConfig } from "./types";

export function readBackup(r: Reader, database: DatabaseConfig): BackupConfig | undefined {
    const schedule = r.optional("backupSchedule", (v) =>
        isCronSchedule(v) ? undefined : 'must be a CronJob schedule: five fields such as "17 2 * * *" (02:17 daily), or @daily / @hourly',
    );
    if (schedule === undefined) return undefined;
    if (database.external?.engine === "postgresql") {
        r.reject(
            "backupSchedule",
            schedule,
            "backs up MySQL only (mysqldump); back an external PostgreSQL up with your database's own tooling (pg_dump, PITR)",
        );
    }
    return {
        schedule,
        retentionDays: r.int("backupRetentionDays", defaults.backupRetentionDays, 1, 3650),
        storageSize: r.string("backupStorageSize", defaults.backupStorageSize, quantity),
        storageClass: r.optional("backupStorageClass", dnsName),
        maxAgeHours: r.int("backupMaxAgeHours", defaults.backupMaxAgeHours, 1, 8760),
    };
}
