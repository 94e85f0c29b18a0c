/**
 * CT log key rotation by config (ctlogKeyGeneration): raising it makes a new log (tree, key, prefix)
 * beside the old one in ct_server's config, freezes the old tree once the new one exists, and moves
 * Fulcio to the new log after the freeze. The trusted root keeps both logs' keys, the old one valid
 * until the freeze. The e2e suite runs it with the real servers (e2e/rotation.e2e.ts).
 */
import * as assert from "node:assert/strict";
import { Evaluation } from "../../support/mocks";
import { command, urnOf } from "../../support/program";
import { assertRotated, evaluateRotation, registration, replacedByProvider } from "../../support/registrations";

describe("rotation: ctlogKeyGeneration", () => {
    let first: Evaluation;
    let rotated: Evaluation;

    before(async () => {
        ({ first, rotated } = await evaluateRotation({ ctlogKeyGeneration: "2" }));
    });

    const ctlogSecret = (ev: Evaluation) => ev.cloud.ofType("kubernetes:core/v1:Secret").find((s) => s.name === "ctlog-config")!;
    const fulcioArgs = (ev: Evaluation): string[] =>
        ev.cloud.ofType("kubernetes:apps/v1:Deployment").find((d) => d.name === "fulcio-server")!.inputs.spec.template.spec.containers[0].args;

    it("keeps the first log (key, password, tree) and adds a protected second log and a freeze of the first tree", () => {
        assertRotated(
            rotated,
            ["ctlog-signing-key", "ctlog-key-password", "trillian-createtree-ctlog", "trillian-tree-ctlog"],
            [
                "ctlog-signing-key-g2",
                "ctlog-key-password-g2",
                "trillian-createtree-ctlog-g2",
                "trillian-tree-ctlog-g2",
                "trillian-freeze-ctlog",
                "trillian-tree-ctlog-frozen",
            ],
        );
        const freeze = registration(rotated.cloud, "command:local:Command", "trillian-freeze-ctlog");
        assert.ok(freeze.dependencies.includes(urnOf(rotated, "kubernetes:core/v1:ConfigMap", "trillian-tree-ctlog-g2")));
        assert.equal(command(rotated, "trillian-freeze-ctlog").inputs.environment.TREE_ID, first.outputs.ctlogTreeId);
        assert.equal(rotated.outputs.rekorTreeId, first.outputs.rekorTreeId, "a CT rotation must not touch Rekor");
    });

    it("ct_server serves both logs, each on its tree with its own key and password; the first exactly as before", () => {
        const files = ctlogSecret(rotated).inputs.stringData;
        assert.deepEqual(Object.keys(files).sort(), ["config.textproto", "key-g2.pem", "key.pem"]);
        assert.equal(files["key.pem"], ctlogSecret(first).inputs.stringData["key.pem"]);
        const configs = files["config.textproto"].split("  config {").slice(1);
        assert.equal(configs.length, 2);
        const field = (text: string, name: string) => new RegExp(`${name}: "?([^"\\n]*)"?`).exec(text)![1];
        assert.deepEqual(
            configs.map((c: string) => [field(c, "log_id"), field(c, "prefix"), field(c, "path")]),
            [
                [first.outputs.ctlogTreeId, "sigstore", "/etc/ctlog/config/key.pem"],
                [rotated.outputs.ctlogTreeId, "sigstore-g2", "/etc/ctlog/config/key-g2.pem"],
            ],
        );
        assert.notEqual(field(configs[0], "password"), field(configs[1], "password"));
        assert.ok(
            files["config.textproto"].startsWith(ctlogSecret(first).inputs.stringData["config.textproto"].split("  }\n}\n")[0]),
            "the first log's config changed",
        );
    });

    it("what the provider replaces (the config Secret, its data changed) is retained, not protected: keys and passwords are protected in the state", () => {
        const replaced = replacedByProvider(first, rotated);
        assert.deepEqual(
            replaced.map((r) => r.name),
            ["ctlog-config", "tuf-content"],
        );
        // The TUF repository's files are public and re-rendered from the state: nothing in them to retain.
        for (const r of replaced.filter((x) => x.name !== "tuf-content")) assert.deepEqual([r.protect, r.retainOnDelete], [false, true], r.name);
        assert.ok(!replaced.some((r) => r.protect), "nothing the provider replaces is protected");
    });

    it("Fulcio submits to the new log, and ct_server and Fulcio roll only after the old tree is frozen", () => {
        assert.ok(
            fulcioArgs(rotated).some((a) => /^--ct-log-url=http.*\/sigstore-g2$/.test(a)),
            fulcioArgs(rotated).join(" "),
        );
        assert.ok(fulcioArgs(first).some((a) => /^--ct-log-url=http.*\/sigstore$/.test(a)));
        const frozen = urnOf(rotated, "kubernetes:core/v1:ConfigMap", "trillian-tree-ctlog-frozen");
        for (const deployment of ["fulcio-server", "ctlog-server"]) {
            assert.ok(
                registration(rotated.cloud, "kubernetes:apps/v1:Deployment", deployment).dependencies.includes(frozen),
                `${deployment} does not wait for the freeze`,
            );
        }
        assert.equal(rotated.outputs.urls.ctlog, "https://ctlog.sigstore.corp.example/sigstore-g2");
    });

    it("the trusted root, the policy and the ctlogs output list both logs: the old key until the freeze, the new one from it", () => {
        const ctlogs = JSON.parse(rotated.outputs.trustedRoot).ctlogs;
        assert.deepEqual(
            ctlogs.map((l: any) => l.baseUrl),
            ["https://ctlog.sigstore.corp.example/sigstore", "https://ctlog.sigstore.corp.example/sigstore-g2"],
        );
        assert.equal(ctlogs[0].publicKey.validFor.end, "2026-01-20T12:00:00Z");
        assert.deepEqual(ctlogs[1].publicKey.validFor, { start: "2026-01-20T12:00:00Z" });
        assert.equal(ctlogs[0].logId.keyId, JSON.parse(first.outputs.trustedRoot).ctlogs[0].logId.keyId);
        assert.deepEqual(
            rotated.outputs.verificationPolicy.trustRoot.spec.sigstoreKeys.ctLogs.map((l: any) => l.baseURL),
            ctlogs.map((l: any) => l.baseUrl),
        );
        assert.deepEqual(
            rotated.outputs.ctlogs.map((l: any) => [l.treeId, l.prefix, l.frozenAt]),
            [
                [first.outputs.ctlogTreeId, "sigstore", "2026-01-20T12:00:00Z"],
                [rotated.outputs.ctlogTreeId, "sigstore-g2", undefined],
            ],
        );
    });
});
