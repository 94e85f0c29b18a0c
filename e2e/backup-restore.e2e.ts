/**
 * End-to-end: a backup taken by the CronJob's own command, the database lost, restored with the
 * documented procedure (docs/runbooks/backup-restore.md), the servers restarted, and the log whole:
 *  - the earlier signature verifies, and Rekor proves its inclusion against the restored tree head,
 *    which equals the head before the loss;
 *  - a new signature appends after the old entries: the tree grows and the old head is consistent
 *    with the new one (RFC 9162 proofs checked here, e2e/merkle.ts), so the log did not fork.
 * The stack runs with internal TLS, so the dump and the restore verify the database's certificate.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { ensureBinaries } from "./binaries";
import { leafHash, verifyConsistency, verifyInclusion } from "./merkle";
import { forBlob, shellResult, signBlob, Stack, startStack } from "./harness";
import { LocalCluster } from "./local-cluster";

/** The servers that use the database or depend on the log, in the order they start. */
const logServers = ["trillian-log-server", "trillian-log-signer", "ctlog", "rekor-server"];

describe("end-to-end: backup, database loss, documented restore", function () {
    let stack: Stack;
    let c: LocalCluster;
    let backupPod: any;
    let bins: Record<string, string>;

    before(async function () {
        stack = await startStack({
            log: (line) => console.log(`    ${line}`),
            overrides: { internalTls: "true", backupSchedule: "@daily" },
            keepWork: Boolean(process.env.E2E_KEEP),
        });
        c = stack.cluster;
        const cronJob = stack.first.cloud.ofType("kubernetes:batch/v1:CronJob").find((r) => r.inputs.metadata.name === "trillian-db-backup");
        assert.ok(cronJob, "the stack has no backup CronJob");
        backupPod = cronJob.inputs.spec.jobTemplate.spec.template.spec;
        bins = Object.fromEntries(c.processes.map((p) => [p.name, p.child.spawnfile]));
    });

    after(async function () {
        await stack?.stop();
    });

    /** The CronJob's pod, here: its env as the kubelet gives it, the Service port as this machine has it. */
    const runBackupPod = (commandLine?: string[]) =>
        c.runPod("trillian-db-backup", backupPod, { DB_PORT: String(c.localPort("trillian-db", 3306)) }, commandLine);

    const sign = (name: string) => signBlob(stack, name);
    const verify = (name: string) => shellResult(stack.sh(forBlob(stack.outputs.cosign.v3.verify, name)));

    const rekor = async (p: string) => {
        const res = await fetch(`${stack.rekorUrl}${p}`);
        const text = await res.text();
        assert.equal(res.status, 200, `GET ${p}: ${res.status} ${text}`);
        return JSON.parse(text);
    };

    it("backs up, loses the database, restores, and the log is whole: inclusion and consistency proofs check", async function () {
        // Three entries, so that the proofs below have real paths (a one-leaf tree proves nothing).
        await sign("earlier-1");
        await sign("earlier-2");
        const before = await sign("before-loss");
        // Protobuf JSON leaves out zero values: no logIndex is index 0.
        const logIndex = (bundle: any) => Number(bundle.verificationMaterial.tlogEntries[0].logIndex ?? 0);
        const index = logIndex(before);
        const head = await rekor("/api/v1/log");

        // 1. The CronJob's command: a verified, checksummed dump.
        const backup = await runBackupPod();
        assert.equal(backup.status, 0, `backup.sh backup failed:\n${backup.output}`);
        const summary = JSON.parse(backup.output.split("\n").find((l) => l.startsWith('{"backup"'))!);
        const volume = path.join(c.workDir, "volumes", "trillian-db-backups");
        assert.ok(fs.existsSync(path.join(volume, `${summary.backup}.sha256`)), "no checksum beside the dump");
        assert.ok(summary.bytes > 1000, `a ${summary.bytes}-byte dump`);

        // 2. The database is lost (an empty one, as a fresh volume gives).
        for (const app of [...logServers].reverse()) await c.stop(app);
        stack.sql(`DROP DATABASE ${stack.database}; CREATE DATABASE ${stack.database}`);
        assert.equal(stack.sql("SHOW TABLES", stack.database), "");

        // 3. The documented restore: the same script, verb "restore", from the same volume.
        const restore = await runBackupPod(["bash", "/etc/backup/backup.sh", "restore", `/backup/${summary.backup}`]);
        assert.equal(restore.status, 0, `backup.sh restore failed:\n${restore.output}`);
        assert.match(restore.output, /restored: 2 tree\(s\)/);
        const again = await runBackupPod(["bash", "/etc/backup/backup.sh", "restore", `/backup/${summary.backup}`]);
        assert.notEqual(again.status, 0, "a restore over a database that holds trees must be refused");
        assert.match(again.output, /already holds 2 tree\(s\)/);

        // 4. The servers restart on the restored database.
        for (const app of logServers) await c.start(app, bins[app]);

        // 5. The old signature verifies; Rekor's head is the one before the loss, and proves the entry in it.
        assert.equal((await verify("before-loss")).status, 0, "the signature from before the loss does not verify");
        const restoredHead = await rekor("/api/v1/log");
        assert.deepEqual([restoredHead.treeSize, restoredHead.rootHash], [head.treeSize, head.rootHash]);
        const entry = Object.values<any>(await rekor(`/api/v1/log/entries?logIndex=${index}`))[0];
        const proof = entry.verification.inclusionProof;
        const leaf = leafHash(Buffer.from(entry.body, "base64"));
        const hashes = proof.hashes.map((h: string) => Buffer.from(h, "hex"));
        assert.ok(hashes.length >= 1, "a proof without a path");
        assert.ok(verifyInclusion(index, proof.treeSize, leaf, hashes, Buffer.from(proof.rootHash, "hex")), "the inclusion proof does not check");
        assert.ok(
            !verifyInclusion(index, proof.treeSize, leafHash(Buffer.from("tampered")), hashes, Buffer.from(proof.rootHash, "hex")),
            "a wrong leaf passed",
        );

        // 6. New entries append after the old ones, and the old head is consistent with the new.
        const after = await sign("after-restore");
        assert.ok(logIndex(after) > index, `the new entry's index ${logIndex(after)} is not after ${index}`);
        assert.equal((await verify("after-restore")).status, 0);
        const grown = await rekor("/api/v1/log");
        assert.ok(grown.treeSize > head.treeSize, `the tree did not grow: ${head.treeSize} → ${grown.treeSize}`);
        const consistency = await rekor(`/api/v1/log/proof?firstSize=${head.treeSize}&lastSize=${grown.treeSize}`);
        const path_ = consistency.hashes.map((h: string) => Buffer.from(h, "hex"));
        assert.ok(
            verifyConsistency(head.treeSize, grown.treeSize, Buffer.from(head.rootHash, "hex"), Buffer.from(grown.rootHash, "hex"), path_),
            "the head before the loss is not consistent with the head after: the log forked",
        );
        assert.ok(
            !verifyConsistency(head.treeSize, grown.treeSize, leafHash(Buffer.from("fork")), Buffer.from(grown.rootHash, "hex"), path_),
            "a forked head passed",
        );
    });

    it("Redis lost: Rekor's backfill-index rebuilds the search index from the log, as the runbook does", async function () {
        const digest = crypto
            .createHash("sha256")
            .update(fs.readFileSync(path.join(stack.work, "before-loss.txt")))
            .digest("hex");
        const search = () => stack.rekorIndexSearch(digest);
        const found = await search();
        assert.equal(found.length, 1, "the signed artifact is not in Rekor's index");

        // The index is lost (what a new Redis volume gives).
        const redis = {
            host: "rekor-redis.sigstore.svc",
            port: String(c.localPort("rekor-redis", 6379)),
            password: c.containerEnv("rekor-server").REDIS_PASSWORD,
        };
        const caFile = path.join(stack.work, "internal-ca.crt");
        fs.writeFileSync(
            caFile,
            stack.cluster.objectData(
                "ConfigMap",
                stack.first.cloud.ofType("kubernetes:core/v1:ConfigMap").find((r) => r.name === "internal-tls-ca")!.state.metadata.name,
            )["ca.crt"],
        );
        execFileSync("redis-cli", ["--tls", "--cacert", caFile, "-h", redis.host, "-p", redis.port, "--no-auth-warning", "-a", redis.password, "FLUSHALL"]);
        assert.deepEqual(await search(), []);

        // The runbook's command, with this machine's port and the internal CA (internalTls).
        const size = (await rekor("/api/v1/log")).treeSize;
        execFileSync(
            ensureBinaries()["backfill-index"],
            [
                `--rekor-address=${stack.rekorUrl}`,
                `--redis-hostname=${redis.host}`,
                `--redis-port=${redis.port}`,
                `--redis-password=${redis.password}`,
                "--redis-enable-tls",
                "--start=0",
                `--end=${size - 1}`,
                "--concurrency=4",
            ],
            { env: { ...process.env, SSL_CERT_FILE: caFile }, stdio: "pipe" },
        );
        assert.deepEqual(await search(), found);
    });

    it("verify refuses a dump that does not match its checksum, and one that is truncated", async function () {
        const volume = path.join(c.workDir, "volumes", "trillian-db-backups");
        const name = fs.readdirSync(volume).find((f) => f.endsWith(".sql.gz"))!;
        const copy = (suffix: string, content: Buffer) => {
            fs.writeFileSync(path.join(volume, `${suffix}-${name}`), content);
            fs.writeFileSync(
                path.join(volume, `${suffix}-${name}.sha256`),
                fs.readFileSync(path.join(volume, `${name}.sha256`), "utf8").replace(name, `${suffix}-${name}`),
            );
        };
        const dump = fs.readFileSync(path.join(volume, name));
        copy("flipped", Buffer.concat([dump.subarray(0, 100), Buffer.from([dump[100] ^ 1]), dump.subarray(101)]));
        const flipped = await runBackupPod(["bash", "/etc/backup/backup.sh", "verify", `/backup/flipped-${name}`]);
        assert.notEqual(flipped.status, 0);
        assert.match(flipped.output, /does not match its checksum/);
        // Truncated but with a matching checksum (as a dump cut short and then checksummed would be).
        const cut = zlib.gzipSync(zlib.gunzipSync(dump).subarray(0, 2000));
        fs.writeFileSync(path.join(volume, `cut-${name}`), cut);
        fs.writeFileSync(path.join(volume, `cut-${name}.sha256`), `${crypto.createHash("sha256").update(cut).digest("hex")}  cut-${name}\n`);
        const truncated = await runBackupPod(["bash", "/etc/backup/backup.sh", "verify", `/backup/cut-${name}`]);
        assert.notEqual(truncated.status, 0);
        assert.match(truncated.output, /truncated/);
    });
});
