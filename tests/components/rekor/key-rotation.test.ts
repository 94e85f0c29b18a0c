/**
 * Rekor key rotation by config (rekorKeyGeneration): raising it makes a new key on a new tree (the
 * active shard), freezes the old tree once the new one exists (freezetree.sh, a create-only Command
 * recorded in a fixed-name ConfigMap), and restarts Rekor only after the freeze, with the old tree
 * and its own key in the sharding config (renderShardingConfig). The trusted root keeps every key,
 * each valid until its tree's freeze. The e2e suite runs it with the real servers
 * (e2e/rotation.e2e.ts).
 */
import * as assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import * as YAML from "yaml";
import { createOnceIgnoreChanges } from "../../../components/key-material";
import { renderShardingConfig } from "../../../lib/rekor-sharding";
import { Evaluation, RegisteredResource, rekorV1Overrides } from "../../support/mocks";
import { command, urnOf } from "../../support/program";
import { assertRotated, evaluateRecorded, evaluateRotation, januaryDay, registration, replacedByProvider } from "../../support/registrations";
import { componentScripts } from "../../support/scripts";
import { checkArgs } from "../../support/upstream-flags";

const spki = (pem: string) => createPublicKey(pem).export({ type: "spki", format: "pem" }).toString();
const rekorDeployment = (ev: Evaluation) => ev.cloud.ofType("kubernetes:apps/v1:Deployment").find((d) => d.name === "rekor-server")!;
const rekorContainer = (ev: Evaluation) => rekorDeployment(ev).inputs.spec.template.spec.containers[0];
const signerSecret = (ev: Evaluation) => ev.cloud.ofType("kubernetes:core/v1:Secret").find((s) => s.name === "rekor-signer")!;
const configMap = (ev: Evaluation, name: string): RegisteredResource =>
    ev.cloud.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.state.metadata?.name === name)!;

describe("rotation: rekorKeyGeneration", () => {
    let first: Evaluation;
    let rotated: Evaluation;

    before(async () => {
        ({ first, rotated } = await evaluateRotation({ rekorKeyGeneration: "2" }));
    });

    it("a stack that never rotated has one key, no sharding config, no freeze", () => {
        assert.deepEqual(Object.keys(signerSecret(first).inputs.stringData), ["signer.pem"]);
        assert.ok(!rekorContainer(first).args.some((a: string) => a.startsWith("--trillian_log_server.sharding_config")));
        assert.deepEqual(
            first.cloud
                .ofType("command:local:Command")
                .map((c) => c.name)
                .sort(),
            ["trillian-createtree-ctlog", "trillian-createtree-rekor"],
        );
        assert.equal(JSON.parse(first.outputs.trustedRoot).tlogs.length, 1);
    });

    it("keeps generation 1 (key, tree, Command) as it was, and adds a protected key, tree and freeze", () => {
        assertRotated(
            rotated,
            ["rekor-signing-key", "trillian-createtree-rekor", "trillian-tree-rekor"],
            ["rekor-signing-key-g2", "trillian-createtree-rekor-g2", "trillian-tree-rekor-g2", "trillian-freeze-rekor", "trillian-tree-rekor-frozen"],
        );
        assert.equal(rotated.outputs.ctlogTreeId, first.outputs.ctlogTreeId);
    });

    it("freezes the old tree, only after the new tree exists, with a Command nothing can re-run", () => {
        const freeze = command(rotated, "trillian-freeze-rekor");
        assert.equal(freeze.inputs.environment.TREE_ID, first.outputs.rekorTreeId);
        assert.equal(freeze.inputs.environment.FREEZE_CONFIGMAP, "trillian-tree-rekor-frozen");
        assert.equal(freeze.inputs.environment.UPDATETREE, "updatetree");
        assert.equal(freeze.inputs.create, componentScripts("trillian-admin.sh", "freezetree.sh"));
        const reg = registration(rotated.cloud, "command:local:Command", "trillian-freeze-rekor");
        assert.deepEqual([...reg.ignoreChanges].sort(), [...createOnceIgnoreChanges].sort());
        assert.equal(freeze.inputs.update, undefined);
        assert.ok(
            reg.dependencies.includes(urnOf(rotated, "kubernetes:core/v1:ConfigMap", "trillian-tree-rekor-g2")),
            "the freeze does not wait for the new tree",
        );
        assert.equal(command(rotated, "trillian-createtree-rekor-g2").inputs.environment.TREE_CONFIGMAP, "trillian-tree-rekor-g2");
        assert.deepEqual(configMap(rotated, "trillian-tree-rekor-frozen").inputs.data, { treeID: first.outputs.rekorTreeId, frozenAt: "2026-01-20T12:00:00Z" });
    });

    it("Rekor starts only after the freeze, on the new tree and key, with the old tree and key as an inactive shard", () => {
        const deployment = registration(rotated.cloud, "kubernetes:apps/v1:Deployment", "rekor-server");
        assert.ok(
            deployment.dependencies.includes(urnOf(rotated, "kubernetes:core/v1:ConfigMap", "trillian-tree-rekor-frozen")),
            "Rekor may restart before the old tree is frozen",
        );
        const container = rekorContainer(rotated);
        assert.ok(container.args.includes("--trillian_log_server.sharding_config=/var/run/rekor/signer/sharding-config.yaml"));
        assert.deepEqual(checkArgs("rekor-server serve", container.args.slice(1)), []);
        assert.equal(container.env.find((e: any) => e.name === "TREE_ID").valueFrom.configMapKeyRef.name, "trillian-tree-rekor-g2");
        assert.equal(rekorDeployment(rotated).inputs.spec.template.metadata.annotations["sigstore.dev/tree-id"], rotated.outputs.rekorTreeId);

        const files = signerSecret(rotated).inputs.stringData;
        assert.deepEqual(Object.keys(files).sort(), ["sharding-config.yaml", "signer-g1.pem", "signer.pem"]);
        assert.equal(spki(files["signer.pem"]), spki(rotated.outputs.rekorPublicKeyPem));
        assert.equal(spki(files["signer-g1.pem"]), spki(first.outputs.rekorPublicKeyPem));
        assert.deepEqual(YAML.parse(files["sharding-config.yaml"], { intAsBigInt: true }), [
            { treeID: BigInt(first.outputs.rekorTreeId), signingConfig: { signingSchemeOrKeyPath: "/var/run/rekor/signer/signer-g1.pem" } },
        ]);
        assert.ok(
            registration(rotated.cloud, "kubernetes:core/v1:Secret", "rekor-signer").secretInputPaths.some((p) => p.startsWith(".stringData")),
            "the keys are not secret inputs",
        );
    });

    it("the trusted root, the policy and rekorShards list both keys: the old one until the freeze, the new one from it", () => {
        const tlogs = JSON.parse(rotated.outputs.trustedRoot).tlogs;
        const firstTlog = JSON.parse(first.outputs.trustedRoot).tlogs[0];
        assert.equal(tlogs.length, 2);
        assert.deepEqual(tlogs[0].publicKey.rawBytes, firstTlog.publicKey.rawBytes);
        assert.deepEqual(tlogs[0].publicKey.validFor, { start: firstTlog.publicKey.validFor.start, end: "2026-01-20T12:00:00Z" });
        assert.deepEqual(tlogs[1].publicKey.validFor, { start: "2026-01-20T12:00:00Z" });
        assert.notEqual(tlogs[1].logId.keyId, tlogs[0].logId.keyId);
        assert.equal(rotated.outputs.verificationPolicy.trustRoot.spec.sigstoreKeys.tLogs.length, 2);
        assert.deepEqual(rotated.outputs.rekorShards, [
            { treeId: first.outputs.rekorTreeId, publicKeyPem: first.outputs.rekorPublicKeyPem, frozenAt: "2026-01-20T12:00:00Z" },
            { treeId: rotated.outputs.rekorTreeId, publicKeyPem: rotated.outputs.rekorPublicKeyPem },
        ]);
    });

    it("what the provider replaces (the signer Secret, its data changed) is retained, not protected: the keys are protected in the state", () => {
        const replaced = replacedByProvider(first, rotated);
        assert.deepEqual(
            replaced.map((r) => r.name),
            ["rekor-signer", "tuf-content"],
        );
        // The TUF repository's files are public and re-rendered from the state: nothing in them to retain.
        for (const r of replaced.filter((x) => x.name !== "tuf-content")) assert.deepEqual([r.protect, r.retainOnDelete], [false, true], r.name);
        assert.ok(!replaced.some((r) => r.protect), "nothing the provider replaces is protected");
    });

    it("a jump 1 → 3 freezes both earlier trees after the newest exists, and chains the windows", async () => {
        const jumped = await evaluateRecorded({ stack: "dev", hooks: { now: januaryDay(5) }, overrides: { ...rekorV1Overrides, rekorKeyGeneration: "3" } });
        for (const suffix of ["", "-g2"]) {
            const reg = registration(jumped.cloud, "command:local:Command", `trillian-freeze-rekor${suffix}`);
            assert.ok(reg.dependencies.includes(urnOf(jumped, "kubernetes:core/v1:ConfigMap", "trillian-tree-rekor-g3")));
        }
        const shards = YAML.parse(signerSecret(jumped).inputs.stringData["sharding-config.yaml"], { intAsBigInt: true });
        assert.deepEqual(
            shards.map((s: any) => s.signingConfig.signingSchemeOrKeyPath),
            ["/var/run/rekor/signer/signer-g1.pem", "/var/run/rekor/signer/signer-g2.pem"],
        );
        const windows = JSON.parse(jumped.outputs.trustedRoot).tlogs.map((t: any) => t.publicKey.validFor);
        assert.equal(windows.length, 3);
        assert.equal(windows[0].end, windows[1].start);
        assert.equal(windows[1].end, windows[2].start);
        assert.equal(windows[2].end, undefined);
    });

    it("rekorKeyGeneration is an integer from 1 to 100", async () => {
        for (const bad of ["0", "101", "two"]) {
            await assert.rejects(evaluateRecorded({ stack: "dev", overrides: { rekorKeyGeneration: bad } }), /rekorKeyGeneration/);
        }
    });
});

describe("rotation: the pieces", () => {
    it("renderShardingConfig writes int64 tree IDs exactly and refuses what Rekor could not load", () => {
        const text = renderShardingConfig([{ treeId: "9223372036854775807", signerKeyPath: "/k/signer-g1.pem" }]);
        assert.match(text, /^- treeID: 9223372036854775807\n {2}signingConfig:\n {4}signingSchemeOrKeyPath: \/k\/signer-g1.pem\n$/);
        assert.throws(() => renderShardingConfig([]), /no inactive shards/);
        assert.throws(() => renderShardingConfig([{ treeId: "12a", signerKeyPath: "/k" }]), /tree ID "12a"/);
        assert.throws(() => renderShardingConfig([{ treeId: "1", signerKeyPath: "k.pem" }]), /must be absolute/);
    });
});
