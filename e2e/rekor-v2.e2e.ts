/**
 * End-to-end: Rekor v2 as lib/rekor-v2.ts describes it, against the real rekor-tiles v2.3.0 POSIX
 * server, nginx and cosign v3.1.2. The server runs with exactly rekorV2ServerArgs (ports moved to
 * free local ones), the read path with rekorV2ReadPathConfig, and cosign with a trusted root and a
 * signing config from lib/trust-material.ts. The log key is an ECDSA P-256 key in the SEC1 form
 * @pulumi/tls writes.
 *
 * - Keyed `cosign sign-blob` writes through the v2 API; `verify-blob` with the trusted root passes.
 * - The bundle's inclusion proof leads to the root of the checkpoint it carries; that checkpoint and
 *   the one the read path serves verify with the log's key; the read path hides `.state/`.
 * - A trusted root naming another origin fails.
 * - A restarted server keeps its state: the next entry follows on, and the first still verifies.
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ChildProcess, execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { alertRules } from "../components/monitoring";
import { rekorV2LogId, rekorV2Ports, rekorV2ReadPathConfig, rekorV2ServerArgs, verifyCheckpoint } from "../lib/rekor-v2";
import { buildSigningConfig, buildTrustedRoot } from "../lib/trust-material";
import { privateKey, selfSignedCert } from "../tests/support/tls-emulator";
import { ensureBinaries } from "./binaries";
import { forBlob, shellResult, signBlob, signWithServedTrust, Stack, startStack, user } from "./harness";
import { tufService } from "../components/tuf-repository";
import { anyPod, freePort, LocalCluster, stopProcess } from "./local-cluster";
import { consistencyProof, leafHash, merkleRoot, verifyConsistency, verifyInclusion } from "./merkle";
import { leafHashesOf, startRekorV2Log } from "./rekor-v2-server";
import { rekorV2BackupName } from "../components/rekor-v2-backup";
import { rekorV2Service } from "../components/rekor-v2";
import { nginxBinary, nginxMainConfig } from "./tuf-server";

const origin = "rekor-v2.sigstore.test";
const run = promisify(execFile);

describe("end-to-end: Rekor v2 (rekor-tiles POSIX) with the flags, trust material and read path the program renders", function () {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "rekor-v2-e2e-"));
    const storage = path.join(work, "log");
    let bins: ReturnType<typeof ensureBinaries>;
    let server: ChildProcess | undefined;
    let reader: ChildProcess | undefined;
    let ports: { http: number; grpc: number; metrics: number; read: number };
    let logPublicKeyPem: string;

    /** The program's flags, its ports moved to this run's and its listener kept on loopback. */
    const startServer = async () => {
        const args = rekorV2ServerArgs({ origin, storageDir: storage, signerPath: path.join(work, "signer.pem"), checkpointInterval: "1s" }).map((a) =>
            a
                .replace(`--http-port=${rekorV2Ports.http}`, `--http-port=${ports.http}`)
                .replace(`--grpc-port=${rekorV2Ports.grpc}`, `--grpc-port=${ports.grpc}`)
                .replace(`--http-metrics-port=${rekorV2Ports.metrics}`, `--http-metrics-port=${ports.metrics}`)
                .replace("--http-address=0.0.0.0", "--http-address=127.0.0.1"),
        );
        const log = fs.openSync(path.join(work, "server.log"), "a");
        server = spawn(bins.posix, args, { stdio: ["ignore", log, log] });
        for (let i = 0; i < 100; i++) {
            if (server.exitCode !== null) throw new Error(`rekor-tiles exited: ${fs.readFileSync(path.join(work, "server.log"), "utf8")}`);
            if ((await fetch(`http://127.0.0.1:${ports.http}/healthz`).catch(() => undefined))?.ok) return;
            await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error("rekor-tiles did not become healthy");
    };
    const cosign = (args: string) =>
        shellResult(
            run("bash", ["-c", `${bins.cosign} ${args}`], {
                cwd: work,
                env: { ...process.env, COSIGN_PASSWORD: "", HOME: work, TUF_ROOT: path.join(work, "tuf") },
            }),
        );

    /** A trusted root listing the log under `logOrigin` (with a CA and CT log that keyed signing never uses). */
    const writeTrustedRoot = async (file: string, logOrigin: string, mutate: (root: any) => void = () => {}) => {
        const caKey = privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        const ca = await selfSignedCert({
            privateKeyPem: caKey.privateKeyPem,
            subject: { commonName: "unused CA" },
            isCaCertificate: true,
            allowedUses: ["cert_signing"],
            validityPeriodHours: 24,
        });
        const root = buildTrustedRoot({
            certificateAuthorities: [{ url: "https://fulcio.sigstore.test", certChainPem: ca.certPem, validFrom: "2026-01-01T00:00:00Z" }],
            tlogs: [{ baseUrl: `https://${logOrigin}`, publicKeyPem: logPublicKeyPem, validFrom: "2026-01-01T00:00:00Z", checkpointOrigin: logOrigin }],
            ctlogs: [
                {
                    baseUrl: "https://ctlog.sigstore.test",
                    publicKeyPem: privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" }).publicKeyPem,
                    validFrom: "2026-01-01T00:00:00Z",
                },
            ],
        });
        mutate(root);
        fs.writeFileSync(path.join(work, file), JSON.stringify(root));
    };

    const sign = async (name: string) => {
        fs.writeFileSync(path.join(work, `${name}.txt`), `${name} ${Date.now()}\n`);
        const signed = await cosign(
            `sign-blob --yes --key=cosign.key --signing-config=signing_config.json --trusted-root=trusted_root.json --bundle=${name}.json ${name}.txt`,
        );
        assert.equal(signed.status, 0, `${signed.output}\n${fs.readFileSync(path.join(work, "server.log"), "utf8").slice(-2000)}`);
        return JSON.parse(fs.readFileSync(path.join(work, `${name}.json`), "utf8"));
    };
    const verify = (name: string, trustedRoot = "trusted_root.json") =>
        cosign(`verify-blob --key=cosign.pub --trusted-root=${trustedRoot} --bundle=${name}.json ${name}.txt`);

    before(async function () {
        bins = ensureBinaries((l) => console.log(`    ${l}`));
        ports = { http: await freePort(), grpc: await freePort(), metrics: await freePort(), read: await freePort() };
        const key = privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        fs.writeFileSync(path.join(work, "signer.pem"), key.privateKeyPem, { mode: 0o600 });
        logPublicKeyPem = key.publicKeyPem;
        await startServer();
        // The read path: nginx with the program's server block over the same storage.
        const confD = path.join(work, "nginx-conf.d");
        fs.mkdirSync(confD, { recursive: true });
        fs.writeFileSync(
            path.join(confD, "read.conf"),
            rekorV2ReadPathConfig(storage, ports.read).replace(`listen ${ports.read};`, `listen 127.0.0.1:${ports.read};`),
        );
        fs.writeFileSync(path.join(work, "nginx.conf"), nginxMainConfig(work, confD));
        reader = spawn(nginxBinary, ["-p", work, "-e", path.join(work, "nginx-error.log"), "-c", path.join(work, "nginx.conf"), "-g", "daemon off;"], {
            stdio: "ignore",
        });
        await writeTrustedRoot("trusted_root.json", origin);
        fs.writeFileSync(
            path.join(work, "signing_config.json"),
            JSON.stringify(
                buildSigningConfig({
                    caUrls: ["https://fulcio.sigstore.test"],
                    oidcUrls: ["https://oidc.sigstore.test"],
                    rekorUrls: [{ url: `http://127.0.0.1:${ports.http}`, majorApiVersion: 2 }],
                    validFrom: "2026-01-01T00:00:00Z",
                }),
            ),
        );
        const keys = await cosign("generate-key-pair");
        assert.equal(keys.status, 0, keys.output);
    });

    after(async function () {
        if (server) await stopProcess(server);
        if (reader) await stopProcess(reader);
        if (!process.env.E2E_KEEP) fs.rmSync(work, { recursive: true, force: true });
    });

    it("keyed cosign sign-blob writes through the v2 API, and verify-blob passes with the trusted root", async () => {
        const bundle = await sign("first");
        const entry = bundle.verificationMaterial.tlogEntries[0];
        assert.deepEqual(entry.kindVersion, { kind: "hashedrekord", version: "0.0.2" });
        assert.equal(entry.integratedTime, undefined, "a v2 log has no integrated time");
        const verified = await verify("first");
        assert.equal(verified.status, 0, verified.output);
    });

    it("the inclusion proof leads to the root of the bundle's checkpoint; that and the read path's checkpoint verify with the log's key", async () => {
        const entry = JSON.parse(fs.readFileSync(path.join(work, "first.json"), "utf8")).verificationMaterial.tlogEntries[0];
        const proof = entry.inclusionProof;
        const carried = verifyCheckpoint(proof.checkpoint.envelope, logPublicKeyPem, origin);
        const index = Number(proof.logIndex ?? 0);
        const hashes = (proof.hashes ?? []).map((h: string) => Buffer.from(h, "base64"));
        const leaf = Buffer.from(entry.canonicalizedBody, "base64");
        // The leaf is the entry as the log stores it (its canonicalized body), hashed as RFC 9162 hashes leaves.
        assert.ok(
            verifyInclusion(index, Number(proof.treeSize), leafHash(leaf), hashes, carried.rootHash),
            "the inclusion proof does not reach the checkpoint's root",
        );
        assert.ok(!verifyInclusion(index, Number(proof.treeSize), leafHash(Buffer.concat([leaf, Buffer.from(" ")])), hashes, carried.rootHash));
        const served = await (await fetch(`http://127.0.0.1:${ports.read}/checkpoint`)).text();
        const latest = verifyCheckpoint(served, logPublicKeyPem, origin);
        assert.ok(latest.size >= carried.size);
        if (latest.size === carried.size) assert.deepEqual(latest.rootHash, carried.rootHash);
        assert.equal((await fetch(`http://127.0.0.1:${ports.read}/.state/treeState`)).status, 404, "the read path hides the server's state");
        assert.equal((await fetch(`http://127.0.0.1:${ports.read}/checkpoint`, { method: "POST" })).status, 405);
    });

    it("a trusted root that names the log under another log ID fails", async () => {
        await writeTrustedRoot("wrong-log-id.json", origin, (root) => {
            root.tlogs[0].logId.keyId = createHash("sha256").update("another log").digest("base64");
        });
        const refused = await verify("first", "wrong-log-id.json");
        assert.notEqual(refused.status, 0, refused.output);
    });

    it("a trusted root that names another origin fails", async () => {
        await writeTrustedRoot("wrong-origin.json", "rekor.sigstore.test");
        const refused = await verify("first", "wrong-origin.json");
        assert.notEqual(refused.status, 0, refused.output);
        assert.match(refused.output, /no verifiable signatures|not enough verified log entries/);
    });

    it("every series the Rekor v2 alerts name is one the real server exports", async () => {
        const scraped = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
        const exported = new Set(
            scraped
                .split("\n")
                .filter((l) => l && !l.startsWith("#"))
                .map((l) => l.split(/[{ ]/)[0]),
        );
        const rules = alertRules("sigstore", [], undefined, 0, 90, undefined, undefined, undefined, { claim: "rekor-v2-data" }).filter((r) =>
            String(r.alert).startsWith("RekorV2"),
        );
        assert.equal(rules.length, 5);
        const named = new Set(rules.flatMap((r) => [...String(r.expr).matchAll(/([a-z_:][a-z0-9_:]*)\{/g)].map((m) => m[1])));
        const ours = [...named].filter((n) => !n.startsWith("kubelet_volume_stats_"));
        assert.ok(ours.length >= 5, ours.join(", "));
        assert.deepEqual(
            ours.filter((n) => !exported.has(n)),
            [],
            `named by an alert but not exported by rekor-tiles v2.3.0:\n${[...exported].filter((n) => /rekor|tessera/.test(n)).join("\n")}`,
        );
    });

    it("a restarted server keeps its state: the next entry follows on, and the first still verifies", async () => {
        await stopProcess(server!);
        await startServer();
        const second = await sign("second");
        assert.equal(Number(second.verificationMaterial.tlogEntries[0].logIndex), 1);
        for (const name of ["first", "second"]) {
            const verified = await verify(name);
            assert.equal(verified.status, 0, `${name}: ${verified.output}`);
        }
    });
});

describe("end-to-end: the program moves a running v1 stack to Rekor v2 in one up (rekorVersion v2)", function () {
    let stack: Stack;
    const cosignIn = (args: string, env: Record<string, string> = {}) => shellResult(stack.sh(`cosign ${args}`, env));
    const signKeyless = (name: string) => signWithServedTrust(stack, name);
    const identity = () => `--certificate-identity=${user} --certificate-oidc-issuer=${stack.outputs.urls.oidcIssuer}`;
    /** With the trust the TUF repository serves (no flags), or with the exported trusted root file. */
    const verifyKeyless = (name: string, trustedRoot?: string) =>
        cosignIn(`verify-blob --bundle=${name}.sigstore.json ${identity()} ${trustedRoot ? `--trusted-root=${trustedRoot} ` : ""}${name}.txt`);

    before(async function () {
        stack = await startStack({
            log: (line) => console.log(`    ${line}`),
            overrides: { ingressClassName: "nginx" },
            keepWork: Boolean(process.env.E2E_KEEP),
        });
        fs.writeFileSync(path.join(stack.work, "tuf-root.json"), stack.outputs.tufRoot);
        const init = await cosignIn(
            `initialize --mirror=${stack.outputs.tufMirrorUrl} --root=tuf-root.json --root-checksum=${stack.outputs.tufRepository.rootChecksum}`,
        );
        assert.equal(init.status, 0, init.output);
    });

    after(async function () {
        await stack?.stop();
    });

    /** The dev stack's own move: Rekor v2 from key generation 2, Rekor v1's tree (generation 1) frozen. */
    const moveToV2 = { ingressClassName: "nginx", rekorVersion: "v2", rekorKeyGeneration: "2", rekorV2FromGeneration: "2" };
    const checkpointOf = async (log: { checkpointUrl: string; publicKeyPem: string; origin: string }) =>
        verifyCheckpoint((await shellResult(stack.sh(`curl -sf --cacert "$SSL_CERT_FILE" ${log.checkpointUrl}`))).output, log.publicKeyPem, log.origin);
    const verifyAll = async (names: string[], trustedRoot: string) => {
        for (const name of names) {
            for (const trust of [undefined, trustedRoot]) {
                const verified = await verifyKeyless(name, trust);
                assert.equal(verified.status, 0, `${name} with ${trust ?? "TUF"}: ${verified.output}`);
            }
        }
    };

    it("signs through Rekor v1, then moves to Rekor v2 in one up: v1 frozen and still served, new signatures on v2, both verify with the one trust", async () => {
        const before = await signKeyless("on-v1");
        assert.ok(before.verificationMaterial.tlogEntries[0].integratedTime, "a v1 entry has an integrated time");
        const migrated = await stack.reconfigure(moveToV2, [tufService]);
        const v2 = migrated.outputs.rekorV2Log;
        assert.equal(v2.origin, `rekor-v2.${stack.outputs.urls.fulcio.replace("https://fulcio.", "")}`);

        // Rekor v1: its tree frozen (no write can land), its key's window closed at the freeze, its log still served.
        const [v1Shard] = migrated.outputs.rekorShards;
        assert.equal(migrated.outputs.rekorShards.length, 1, "generation 1 is Rekor v1's only tree");
        assert.equal(stack.sql(`SELECT TreeState FROM Trees WHERE TreeId = ${v1Shard.treeId}`, stack.database), "FROZEN");
        assert.match(v1Shard.frozenAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        const tlogs = JSON.parse(migrated.outputs.trustedRoot).tlogs;
        assert.equal(tlogs[0].baseUrl, stack.outputs.urls.rekor);
        assert.equal(tlogs[0].publicKey.validFor.end, v1Shard.frozenAt);
        assert.equal(tlogs[1].baseUrl, v2.url);
        assert.equal(tlogs[1].publicKey.validFor.end, undefined, "the active v2 log is open-ended");
        const v1Log = (await (await fetch(`${stack.rekorUrl}/api/v1/log`)).json()) as { treeSize: number };
        assert.ok(v1Log.treeSize >= 1, "Rekor v1 still serves its log (read-only)");

        const after = await signKeyless("on-v2");
        const entry = after.verificationMaterial.tlogEntries[0];
        assert.deepEqual(entry.kindVersion, { kind: "hashedrekord", version: "0.0.2" }, "written to Rekor v2");
        assert.equal(entry.logId.keyId, rekorV2LogId(v2.publicKeyPem, v2.origin));
        assert.ok(after.verificationMaterial.timestampVerificationData.rfc3161Timestamps.length > 0, "v2 keyless signing carries the TSA's timestamp");
        fs.writeFileSync(path.join(stack.work, "trusted_root_v2.json"), migrated.outputs.trustedRoot);
        await verifyAll(["on-v1", "on-v2"], "trusted_root_v2.json");
        // The log's public read path, through the ingress: its checkpoint, signed under its origin, covers the entry.
        assert.ok((await checkpointOf(v2)).size >= Number(entry.inclusionProof.treeSize));
    });

    it("rotates Rekor v2 by rekorKeyGeneration: a new log takes the writes, the old one is read-only and every bundle still verifies", async () => {
        const rotated = await stack.reconfigure({ ...moveToV2, rekorKeyGeneration: "3" }, [tufService]);
        const v2 = rotated.outputs.rekorV2Log;
        const [old, active] = v2.logs;
        assert.equal(v2.logs.length, 2);
        assert.equal(old.generation, 2);
        assert.equal(active.origin, v2.origin);
        assert.equal(v2.origin, `rekor-v2-g3.${stack.outputs.urls.fulcio.replace("https://fulcio.", "")}`);
        assert.notEqual(active.publicKeyPem, old.publicKeyPem, "a new key");
        assert.match(old.retiredAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

        // The trusted root: v1, the retired v2 log until its retirement, the new log from then on.
        const tlogs = JSON.parse(rotated.outputs.trustedRoot).tlogs;
        assert.deepEqual(
            tlogs.map((t: any) => [t.baseUrl, t.publicKey.validFor.end]),
            [
                [stack.outputs.urls.rekor, rotated.outputs.rekorShards[0].frozenAt],
                [`https://${old.origin}`, old.retiredAt],
                [`https://${active.origin}`, undefined],
            ],
        );
        assert.equal(tlogs[2].publicKey.validFor.start, old.retiredAt);

        // The old log: its tiles and checkpoint still served, nothing written to it any more.
        const oldSize = (await checkpointOf(old)).size;
        const write = await shellResult(
            stack.sh(`curl -s -o /dev/null -w '%{http_code}' --cacert "$SSL_CERT_FILE" -X POST -d '{}' https://${old.origin}/api/v2/log/entries`),
        );
        assert.ok(!write.output.startsWith("2"), `a write to the retired log is refused (HTTP ${write.output})`);

        // The same cosign, not re-initialised, learns the new log from TUF and writes there.
        const after = await signKeyless("on-v2-g3");
        const entry = after.verificationMaterial.tlogEntries[0];
        assert.equal(entry.logId.keyId, rekorV2LogId(active.publicKeyPem, active.origin));
        assert.equal(entry.inclusionProof.checkpoint.envelope.split("\n")[0], active.origin);
        fs.writeFileSync(path.join(stack.work, "trusted_root_v2_g3.json"), rotated.outputs.trustedRoot);
        await verifyAll(["on-v1", "on-v2", "on-v2-g3"], "trusted_root_v2_g3.json");
        assert.equal((await checkpointOf(old)).size, oldSize, "the retired log did not grow");
        assert.ok((await checkpointOf(active)).size >= 1);
    });
});

describe("end-to-end: a Rekor v2 log's volume is lost and restored from its backup (backupSchedule)", function () {
    let stack: Stack;
    let c: LocalCluster;
    let backupPod: any;
    const app = rekorV2Service;

    before(async function () {
        stack = await startStack({
            log: (line) => console.log(`    ${line}`),
            rekor: "stack",
            overrides: { backupSchedule: "@daily" },
            keepWork: Boolean(process.env.E2E_KEEP),
        });
        c = stack.cluster;
        const cronJob = stack.first.cloud.ofType("kubernetes:batch/v1:CronJob").find((r) => r.inputs.metadata.name === rekorV2BackupName(app));
        assert.ok(cronJob, "the stack has no Rekor v2 backup CronJob");
        backupPod = cronJob.inputs.spec.jobTemplate.spec.template.spec;
    });

    after(async function () {
        await stack?.stop();
    });

    const log = () => stack.outputs.rekorV2Log;
    const readUrl = () => `http://127.0.0.1:${c.localPort(app, rekorV2Ports.read)}`;
    const checkpoint = async () => verifyCheckpoint(await (await fetch(`${readUrl()}/checkpoint`)).text(), log().publicKeyPem, log().origin);
    const logIndex = (bundle: any) => Number(bundle.verificationMaterial.tlogEntries[0].logIndex ?? 0);
    const leafOf = (bundle: any) => Buffer.from(bundle.verificationMaterial.tlogEntries[0].canonicalizedBody, "base64");
    const verify = (name: string) => shellResult(stack.sh(forBlob(stack.outputs.cosign.v3.verify, name)));
    /** The log's volume here: the claim's directory, as every pod that mounts it sees it. */
    const volume = () => {
        const claim = c.objects.workload(app).spec.template.spec.volumes.find((v: any) => v.name === "data").persistentVolumeClaim.claimName;
        return path.join(c.workDir, "volumes", claim);
    };

    it("archives the log while it takes writes; after the volume is lost, the archive restores it, the log continues, and the old checkpoint is consistent with the new one", async function () {
        const before = [await signBlob(stack, "v2-before-1"), await signBlob(stack, "v2-before-2"), await signBlob(stack, "v2-before-3")];
        assert.deepEqual(before.map(logIndex), [0, 1, 2]);

        // 1. The CronJob's command, while three more entries are being written.
        const during = Promise.all(["v2-during-1", "v2-during-2", "v2-during-3"].map((name) => signBlob(stack, name)));
        const backup = await c.runPod("rekor-v2-backup", backupPod);
        await during;
        assert.equal(backup.status, 0, `rekor-v2-backup.sh backup failed:\n${backup.output}`);
        const summary = JSON.parse(backup.output.split("\n").find((l) => l.startsWith('{"backup"'))!);
        const backups = path.join(c.workDir, "volumes", `${rekorV2BackupName(app)}s`);
        const archive = path.join(backups, summary.backup);
        const archived = verifyCheckpoint(fs.readFileSync(archive.replace(/\.tar\.gz$/, ".checkpoint"), "utf8"), log().publicKeyPem, log().origin);
        assert.ok(archived.size >= 3, `the archive's checkpoint covers the entries made before it (size ${archived.size})`);
        const again = await c.runPod("rekor-v2-backup", backupPod);
        assert.equal(again.status, 0, again.output);
        const grown = (await checkpoint()).size > archived.size;
        assert.equal(/unchanged since/.test(again.output), !grown, "a second run archives only a log that changed");

        // 2. The volume is lost: the server and its read path stop, the claim's directory is emptied.
        await c.stop(app);
        await c.stop(c.processName(app, anyPod, "read-path"));
        fs.rmSync(volume(), { recursive: true, force: true });
        fs.mkdirSync(volume(), { recursive: true });

        // 3. The documented restore: the same script, the same pod, then the StatefulSet's pod starts again.
        const restored = await c.runPod("rekor-v2-restore", backupPod, {}, ["sh", backupPod.containers[0].command[1], "restore", `/backup/${summary.backup}`]);
        assert.equal(restored.status, 0, `restore failed:\n${restored.output}`);
        await startRekorV2Log(c, app, ensureBinaries().posix);

        // 4. The log continues from the archived state: new entries follow it.
        const after = [await signBlob(stack, "v2-after-1"), await signBlob(stack, "v2-after-2")];
        assert.ok(logIndex(after[0]) >= archived.size, `the next entry (${logIndex(after[0])}) follows the restored log (${archived.size})`);
        const head = await checkpoint();
        assert.ok(head.size >= archived.size + 2);

        // 5. No fork: the restored log's leaves give the archived root, and a consistency proof from the
        //    archived checkpoint to the new one checks; entries from before the backup are still there.
        const leaves = await leafHashesOf(readUrl(), head.size);
        assert.ok(merkleRoot(leaves.slice(0, archived.size)).equals(archived.rootHash), "the first leaves still hash to the archived root");
        assert.ok(merkleRoot(leaves).equals(head.rootHash), "the served tiles hash to the new checkpoint's root");
        assert.ok(verifyConsistency(archived.size, head.size, archived.rootHash, head.rootHash, consistencyProof(archived.size, leaves)));
        for (const bundle of [...before, ...after])
            assert.ok(leaves[logIndex(bundle)].equals(leafHash(leafOf(bundle))), `entry ${logIndex(bundle)} is in the log`);
        for (const name of ["v2-before-1", "v2-before-3", "v2-after-2"]) {
            const verified = await verify(name);
            assert.equal(verified.status, 0, `${name}: ${verified.output}`);
        }
        console.log(`    archived at size ${archived.size} (${summary.bytes} bytes); restored and grown to ${head.size}`);
    });
});
