/**
 * End-to-end: Fulcio's CA rotated by config (fulcioCaGeneration 1 → 2) on a running stack. A blob
 * signed before the rotation and one signed after both verify with the one trusted root the stack
 * exports afterwards; the two certificates come from different CAs, and the old CA's entry ends
 * where the new one starts.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { keyIdOf } from "../lib/trust-material";
import { sctListOf, sctListOid } from "./ct-log";
import { forBlob, shellResult, signBlob, Stack, startStack } from "./harness";

/** A stack of the describe block's own on database `database`: started before its tests, stopped after. */
function ownStack(database: string, started: (stack: Stack) => void): void {
    let stack: Stack | undefined;
    before(async function () {
        stack = await startStack({ log: (line) => console.log(`    ${line}`), database });
        started(stack);
    });
    after(async function () {
        await stack?.stop();
    });
}

/** Seconds from a freeze (RFC 3339, whole seconds: rounded up here) until now, when the servers are back. */
function writeOutage(frozenAt: string): number {
    return Math.ceil((Date.now() - Date.parse(frozenAt)) / 1000);
}

/** The stack's verify command for the blob `<name>.txt`, with the trusted root now in the work directory. */
function verifyBlob(stack: Stack, name: string, verifyCommand: string) {
    return shellResult(stack.sh(forBlob(verifyCommand, name)));
}

describe("end-to-end: Fulcio CA rotation by fulcioCaGeneration", function () {
    let stack: Stack;

    ownStack("trillian_rotation", (started) => {
        stack = started;
    });

    /** Signs `<name>.txt`; returns the certificate Fulcio issued for it. */
    const sign = async (name: string) => {
        const bundle = await signBlob(stack, name);
        return new x509.X509Certificate(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, "base64"));
    };

    /** The stack's verify command, with the trusted root currently in the work directory. */
    const verify = (name: string, verifyCommand: string) => verifyBlob(stack, name, verifyCommand);

    it("signs before and after a rotation; both verify with the one trusted root exported after it", async function () {
        const before = await sign("before-rotation");
        assert.equal(JSON.parse(stack.outputs.trustedRoot).certificateAuthorities.length, 1);
        // The trusted root's times have a resolution of a second: let the rotation start in a later one.
        await new Promise((r) => setTimeout(r, 1100));

        const rotated = await stack.reconfigure({ fulcioCaGeneration: "2" }, ["ctlog", "fulcio-server"]);
        const cas = JSON.parse(rotated.outputs.trustedRoot).certificateAuthorities;
        assert.equal(cas.length, 2);
        assert.equal(cas[0].validFor.end, cas[1].validFor.start, "the old CA must end where the new one starts");
        assert.equal(rotated.outputs.rekorTreeId, stack.outputs.rekorTreeId, "a CA rotation must not touch the logs");

        const after = await sign("after-rotation");
        assert.notEqual(after.issuer, undefined);
        assert.notEqual(
            Buffer.from(after.getExtension("2.5.29.35")!.value).toString("hex"),
            Buffer.from(before.getExtension("2.5.29.35")!.value).toString("hex"),
            "the certificate after the rotation comes from the same CA key as before",
        );

        for (const name of ["before-rotation", "after-rotation"]) {
            const result = await verify(name, rotated.outputs.cosign.v3.verify);
            assert.equal(result.status, 0, `${name} does not verify with the rotated trusted root:\n${result.output}`);
        }
        // The control: without the old CA's entry, the earlier signature does not verify.
        const root = JSON.parse(rotated.outputs.trustedRoot);
        fs.writeFileSync(path.join(stack.work, "trusted_root.json"), JSON.stringify({ ...root, certificateAuthorities: [root.certificateAuthorities[1]] }));
        assert.notEqual((await verify("before-rotation", rotated.outputs.cosign.v3.verify)).status, 0, "verified without the old CA");
    });
});

/**
 * End-to-end: Rekor's key rotated by config (rekorKeyGeneration 1 → 2) on a running stack. The real
 * createtree makes the new tree, the real updatetree freezes the old one (components/freezetree.sh,
 * through fake-kubectl's port-forward), and the real rekor-server restarts on the new tree with the
 * old one as an inactive shard (--trillian_log_server.sharding_config). Entries before and after
 * verify with the one trusted root the stack exports, each under its own key, and the log's global
 * indexes continue across the shards.
 */
describe("end-to-end: Rekor key rotation by rekorKeyGeneration", function () {
    let stack: Stack;
    let rotatedOutputs: any;

    ownStack("trillian_rekor_rotation", (started) => {
        stack = started;
    });

    const verify = (name: string, verifyCommand: string) => verifyBlob(stack, name, verifyCommand);
    const tlogEntry = (bundle: any) => bundle.verificationMaterial.tlogEntries[0];
    /** protojson leaves out zero values: index 0 has no logIndex field. */
    const logIndex = (bundle: any) => Number(tlogEntry(bundle).logIndex ?? 0);
    const keyIdHex = (pem: string) => Buffer.from(keyIdOf(pem), "base64").toString("hex");
    const rekorGet = async (apiPath: string) => {
        const res = await fetch(`${stack.rekorUrl}${apiPath}`);
        const text = await res.text();
        assert.equal(res.status, 200, `GET ${apiPath}: ${res.status} ${text}\n${stack.logs()}`);
        return JSON.parse(text);
    };

    it("signs before and after a rotation; both verify with the one trusted root, each under its own tree and key", async function () {
        const before = [await signBlob(stack, "before-rekor-1"), await signBlob(stack, "before-rekor-2")];
        const oldTree = stack.outputs.rekorTreeId;
        const oldKey = stack.outputs.rekorPublicKeyPem;
        assert.deepEqual(before.map(logIndex), [0, 1]);
        await new Promise((r) => setTimeout(r, 1100)); // the trusted root's times have a resolution of a second

        const rotated = await stack.reconfigure({ rekorKeyGeneration: "2" }, ["rekor-server"]);
        const o = rotated.outputs;
        rotatedOutputs = o;
        assert.notEqual(o.rekorTreeId, oldTree, "the active shard is a new tree");
        assert.notEqual(o.rekorPublicKeyPem, oldKey, "the active shard has a new key");
        assert.equal(o.ctlogTreeId, stack.outputs.ctlogTreeId, "a Rekor rotation must not touch the CT log");
        assert.equal(o.rekorShards.length, 2);
        assert.deepEqual(
            o.rekorShards.map((s: any) => [s.treeId, s.publicKeyPem]),
            [
                [oldTree, oldKey],
                [o.rekorTreeId, o.rekorPublicKeyPem],
            ],
        );
        const frozenAt = o.rekorShards[0].frozenAt;
        console.log(`    writes refused from the freeze (${frozenAt}) until Rekor ran on the new tree: at most ${writeOutage(frozenAt)} s`);
        assert.match(frozenAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.equal(o.rekorShards[1].frozenAt, undefined, "the active shard is not frozen");

        // Trillian: the old tree is FROZEN (no leaf can be queued or integrated), the new one ACTIVE.
        const state = (tree: string) => stack.sql(`SELECT TreeState FROM Trees WHERE TreeId = ${tree}`, stack.database);
        assert.equal(state(oldTree), "FROZEN");
        assert.equal(state(o.rekorTreeId), "ACTIVE");

        // The trusted root: the old key ends where the new one starts, at the freeze.
        const tlogs = JSON.parse(o.trustedRoot).tlogs;
        assert.equal(tlogs.length, 2);
        assert.equal(tlogs[0].publicKey.validFor.end, frozenAt);
        assert.equal(tlogs[1].publicKey.validFor.start, frozenAt);
        assert.equal(tlogs[1].publicKey.validFor.end, undefined);

        const after = await signBlob(stack, "after-rekor");
        assert.equal(logIndex(after), 2, "the new shard's entries are numbered after the frozen tree's");
        assert.equal(tlogEntry(after).logId.keyId, keyIdOf(o.rekorPublicKeyPem), "signed by the new key");
        for (const b of before) assert.equal(tlogEntry(b).logId.keyId, keyIdOf(oldKey));
        assert.ok(Number(tlogEntry(after).integratedTime) >= Date.parse(frozenAt) / 1000, "integrated after the freeze");
        for (const b of before) assert.ok(Number(tlogEntry(b).integratedTime) <= Date.parse(frozenAt) / 1000, "integrated before the freeze");

        // Rekor serves both shards: the frozen one with its final size, entries by global index with their shard's log ID.
        const info = await rekorGet("/api/v1/log");
        assert.equal(String(info.treeID), o.rekorTreeId);
        assert.equal(info.treeSize, 1);
        assert.deepEqual(
            info.inactiveShards.map((s: any) => [String(s.treeID), s.treeSize]),
            [[oldTree, 2]],
        );
        for (const [index, key] of [
            [1, oldKey],
            [2, o.rekorPublicKeyPem],
        ] as const) {
            const entry = Object.values(await rekorGet(`/api/v1/log/entries?logIndex=${index}`))[0] as any;
            assert.equal(entry.logIndex, index);
            assert.equal(entry.logID, keyIdHex(key), `entry ${index} carries its shard's log ID`);
        }

        for (const name of ["before-rekor-1", "before-rekor-2", "after-rekor"]) {
            const result = await verify(name, o.cosign.v3.verify);
            assert.equal(result.status, 0, `${name} does not verify with the rotated trusted root:\n${result.output}`);
        }
        // The control: without the old key's entry, a signature logged before the rotation does not verify.
        const root = JSON.parse(o.trustedRoot);
        fs.writeFileSync(path.join(stack.work, "trusted_root.json"), JSON.stringify({ ...root, tlogs: [root.tlogs[1]] }));
        assert.notEqual((await verify("before-rekor-1", o.cosign.v3.verify)).status, 0, "verified without the old Rekor key");
    });

    it("a second up with lost state finds the same trees and the recorded freeze, and creates or freezes nothing", async function () {
        const rotated = rotatedOutputs;
        assert.ok(rotated, "the rotation above did not complete");
        const again = await stack.up(new Map(), { rekorKeyGeneration: "2" });
        // (Lost state means new keys: the generated keys live only in the state, see docs/runbooks/disaster-recovery.md.)
        const shards = (o: any) => o.rekorShards.map((s: any) => ({ treeId: s.treeId, frozenAt: s.frozenAt }));
        assert.deepEqual(shards(again.outputs), shards(rotated), "same trees and the first freeze time");
        assert.equal(stack.sql("SELECT COUNT(*) FROM Trees", stack.database), "3", "no tree was created: two Rekor shards and the CT log");
        assert.equal(stack.sql("SELECT COUNT(*) FROM Trees WHERE TreeState = 'FROZEN'", stack.database), "1");
    });
});

/**
 * End-to-end: the CT log's key rotated by config (ctlogKeyGeneration 1 → 2) on a running stack. The
 * real createtree makes the new log's tree, the real updatetree freezes the old one, ct_server
 * restarts serving both logs and Fulcio submits to the new one. Certificates issued before and after
 * carry SCTs of different logs, and both signatures verify with the one trusted root the stack exports.
 */
describe("end-to-end: CT log key rotation by ctlogKeyGeneration", function () {
    let stack: Stack;

    ownStack("trillian_ctlog_rotation", (started) => {
        stack = started;
    });

    const verify = (name: string, verifyCommand: string) => verifyBlob(stack, name, verifyCommand);
    /** The log ID (base64) and time (ms) of the one SCT embedded in the bundle's certificate. */
    const embeddedSct = (bundle: any) => {
        const cert = new x509.X509Certificate(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, "base64"));
        const list = sctListOf(Buffer.from(cert.getExtension(sctListOid)!.value));
        assert.equal(list.length, 1, "one SCT");
        return list[0];
    };
    const sth = async (prefix: string) => {
        const res = await fetch(`http://127.0.0.1:${stack.cluster.localPort("ctlog", 6962)}/${prefix}/ct/v1/get-sth`);
        assert.equal(res.status, 200, `get-sth of ${prefix}: ${res.status}`);
        return res.json() as Promise<{ tree_size: number }>;
    };

    it("certificates before and after a rotation carry SCTs of different logs; both signatures verify with the one trusted root", async function () {
        const before = await signBlob(stack, "before-ct");
        const oldKey = stack.outputs.ctlogPublicKeyPem;
        const oldTree = stack.outputs.ctlogTreeId;
        assert.equal(embeddedSct(before).logId, keyIdOf(oldKey));
        await new Promise((r) => setTimeout(r, 1100)); // the trusted root's times have a resolution of a second

        const rotated = await stack.reconfigure({ ctlogKeyGeneration: "2" }, ["ctlog", "fulcio-server"]);
        const o = rotated.outputs;
        assert.notEqual(o.ctlogTreeId, oldTree);
        assert.equal(o.rekorTreeId, stack.outputs.rekorTreeId, "a CT rotation must not touch Rekor");
        assert.deepEqual(
            o.ctlogs.map((l: any) => [l.treeId, l.prefix]),
            [
                [oldTree, "sigstore"],
                [o.ctlogTreeId, "sigstore-g2"],
            ],
        );
        const frozenAt = o.ctlogs[0].frozenAt;
        console.log(`    certificates refused from the freeze (${frozenAt}) until ct_server and Fulcio ran on the new log: at most ${writeOutage(frozenAt)} s`);
        const state = (tree: string) => stack.sql(`SELECT TreeState FROM Trees WHERE TreeId = ${tree}`, stack.database);
        assert.equal(state(oldTree), "FROZEN");
        assert.equal(state(o.ctlogTreeId), "ACTIVE");
        const ctlogs = JSON.parse(o.trustedRoot).ctlogs;
        assert.equal(ctlogs[0].publicKey.validFor.end, frozenAt);
        assert.equal(ctlogs[1].publicKey.validFor.start, frozenAt);

        const after = await signBlob(stack, "after-ct");
        const sct = embeddedSct(after);
        assert.equal(sct.logId, keyIdOf(o.ctlogPublicKeyPem), "the new certificate's SCT is from the new log");
        assert.ok(sct.timestampMs >= Date.parse(frozenAt), "the new log's SCT is dated after the freeze");
        assert.ok(embeddedSct(before).timestampMs <= Date.parse(frozenAt) + 999, "the old log's SCT is dated before the freeze");
        // ct_server serves both logs: the frozen one still answers, with its one entry.
        assert.equal((await sth("sigstore")).tree_size, 1);
        assert.equal((await sth("sigstore-g2")).tree_size, 1);

        for (const name of ["before-ct", "after-ct"]) {
            const result = await verify(name, o.cosign.v3.verify);
            assert.equal(result.status, 0, `${name} does not verify with the rotated trusted root:\n${result.output}`);
        }
        // The control: without the old log's entry, the certificate issued before the rotation does not verify.
        const root = JSON.parse(o.trustedRoot);
        fs.writeFileSync(path.join(stack.work, "trusted_root.json"), JSON.stringify({ ...root, ctlogs: [root.ctlogs[1]] }));
        assert.notEqual((await verify("before-ct", o.cosign.v3.verify)).status, 0, "verified without the old CT log's key");
    });
});
