/**
 * lib/mysql-tuning.ts: the in-cluster MySQL's options follow the memory limit (as MySQL's own
 * innodb_dedicated_server would from host memory), the volume and the pools, and never trade
 * durability.
 */
import * as assert from "node:assert/strict";
import { mysqldArgs, mysqlOptions } from "../../lib/mysql-tuning";

const MiB = 2 ** 20;
const base = { memoryLimit: "2Gi", storageSize: "10Gi", trillianPods: 2, maxConnsPerPod: 0 };

describe("lib/mysql-tuning", () => {
    it("keeps both durability settings at their safe values, whatever the sizing", () => {
        for (const memoryLimit of ["256Mi", "2Gi", "16Gi"]) {
            const args = mysqldArgs({ ...base, memoryLimit });
            assert.ok(args.includes("--innodb-flush-log-at-trx-commit=1") && args.includes("--sync-binlog=1"), args.join(" "));
        }
    });

    it("sizes the buffer pool like innodb_dedicated_server: 128M below 1Gi, half up to 4Gi, three quarters above, in 128M chunks", () => {
        assert.equal(mysqlOptions({ ...base, memoryLimit: "512Mi" }).bufferPoolBytes, 128 * MiB);
        assert.equal(mysqlOptions({ ...base, memoryLimit: "2Gi" }).bufferPoolBytes, 1024 * MiB);
        assert.equal(mysqlOptions({ ...base, memoryLimit: "3000Mi" }).bufferPoolBytes, 1408 * MiB, "1500M rounded down to 11 chunks");
        assert.equal(mysqlOptions({ ...base, memoryLimit: "8Gi", storageSize: "100Gi" }).bufferPoolBytes, 6144 * MiB);
    });

    it("gives the redo log half the buffer pool, at least MySQL's 100M, at most a tenth of the volume", () => {
        assert.equal(mysqlOptions(base).redoLogBytes, 512 * MiB);
        assert.equal(mysqlOptions({ ...base, storageSize: "2Gi" }).redoLogBytes, 204 * MiB, "a tenth of 2Gi, whole MiB");
        assert.equal(mysqlOptions({ ...base, memoryLimit: "512Mi" }).redoLogBytes, 100 * MiB);
        assert.equal(mysqlOptions({ ...base, storageSize: "500Mi" }).redoLogBytes, 100 * MiB, "never below MySQL's default");
    });

    it("raises max_connections to cover bounded pools, and keeps MySQL's 151 otherwise", () => {
        assert.equal(mysqlOptions(base).maxConnections, 151);
        assert.equal(mysqlOptions({ ...base, trillianPods: 4, maxConnsPerPod: 100 }).maxConnections, 410);
        assert.equal(mysqlOptions({ ...base, trillianPods: 2, maxConnsPerPod: 10 }).maxConnections, 151);
    });

    it("renders mysqld --name=value arguments with sizes in M", () => {
        assert.deepEqual(mysqldArgs(base), [
            "--innodb-buffer-pool-size=1024M",
            "--innodb-redo-log-capacity=512M",
            "--innodb-flush-log-at-trx-commit=1",
            "--sync-binlog=1",
            "--binlog-expire-logs-seconds=604800",
            "--max-connections=151",
        ]);
    });
});
