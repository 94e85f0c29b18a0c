/**
 * Server options for the in-cluster MySQL 8.4 (Trillian's db_server image), derived from the pod's
 * memory limit, the data volume and the Trillian connection pools. A transparency log is a
 * write-heavy, append-only workload whose every commit must survive a crash, so:
 *  - durability is never traded: innodb_flush_log_at_trx_commit=1 and sync_binlog=1 are set
 *    explicitly (they are MySQL's defaults; writing them down keeps a later "tuning" honest);
 *  - the buffer pool follows the memory limit the way MySQL's own innodb_dedicated_server sizes it
 *    from host memory (under 1 GiB: the 128 MiB default; up to 4 GiB: half; above: three quarters),
 *    because mysqld in a container does not see the cgroup limit and would otherwise keep 128 MiB;
 *  - the redo log gets room for write bursts (half the buffer pool, at least MySQL 8.4's 100 MiB
 *    default) but never more than a tenth of the data volume, which it shares;
 *  - binary logs, which MySQL 8.4 writes by default and keeps 30 days, are kept 7 days: enough for
 *    point-in-time recovery between daily backups without filling the volume under load;
 *  - max_connections covers every Trillian pod's pool when the pools are bounded.
 * The entrypoint passes container arguments that start with "-" to mysqld (also to its init-time
 * server), so these are plain `--name=value` arguments, visible in the pod spec.
 */
import { memoryBytes } from "./resources";

export interface MysqlSizing {
    /** The database container's memory limit (Kubernetes quantity). */
    memoryLimit: string;
    /** The data volume's size (Kubernetes quantity). */
    storageSize: string;
    /** Trillian pods that open connections (log servers + signers). */
    trillianPods: number;
    /** Trillian's --mysql_max_conns per pod (0 = unbounded). */
    maxConnsPerPod: number;
}

/** Days the in-cluster MySQL keeps binary logs (capacity planning counts them too). */
export const binlogRetentionDays = 7;

const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** InnoDB rounds the buffer pool to multiples of chunk size × instances; 128 MiB chunks by default. */
const bufferPoolChunk = 128 * MiB;
const mysqlDefaultMaxConnections = 151;

export interface MysqlOptions {
    bufferPoolBytes: number;
    redoLogBytes: number;
    maxConnections: number;
}

export function mysqlOptions(s: MysqlSizing): MysqlOptions {
    const memory = memoryBytes(s.memoryLimit);
    const share = memory < GiB ? 0 : memory <= 4 * GiB ? 0.5 : 0.75;
    const bufferPoolBytes = Math.max(bufferPoolChunk, Math.floor((memory * share) / bufferPoolChunk) * bufferPoolChunk);
    const redoCeiling = Math.floor(memoryBytes(s.storageSize) / 10 / MiB) * MiB;
    const redoLogBytes = Math.max(100 * MiB, Math.min(bufferPoolBytes / 2, redoCeiling));
    // A few connections beyond the pools for the schema load, backups and an operator's mysql shell.
    const pooled = s.maxConnsPerPod > 0 ? s.trillianPods * s.maxConnsPerPod + 10 : 0;
    return { bufferPoolBytes, redoLogBytes, maxConnections: Math.max(mysqlDefaultMaxConnections, pooled) };
}

/** mysqld arguments for the options above (the entrypoint hands arguments starting with "-" to mysqld). */
export function mysqldArgs(s: MysqlSizing): string[] {
    const o = mysqlOptions(s);
    return [
        `--innodb-buffer-pool-size=${o.bufferPoolBytes / MiB}M`,
        `--innodb-redo-log-capacity=${o.redoLogBytes / MiB}M`,
        "--innodb-flush-log-at-trx-commit=1",
        "--sync-binlog=1",
        `--binlog-expire-logs-seconds=${binlogRetentionDays * 24 * 3600}`,
        `--max-connections=${o.maxConnections}`,
    ];
}
