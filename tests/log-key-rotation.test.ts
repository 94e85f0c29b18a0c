/**
 * Log key rotation by config. Rekor (rekorKeyGeneration): raising it makes a new key on a new tree (the
 * active shard), freezes the old tree once the new one exists (freezetree.sh, a create-only Command
 * recorded in a fixed-name ConfigMap), and restarts Rekor only after the freeze, with the old tree
 * and its own key in the sharding config. The trusted root keeps every key, each valid until its
 * tree's freeze. The CT log (ctlogKeyGeneration) the same way: a new log (tree, key, prefix) beside
 * the old one in ct_server's config, Fulcio moved to it after the freeze. The e2e suite runs both
 * with the real servers (e2e/rotation.e2e.ts).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createPublicKey } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { createtreeIgnoreChanges } from "../components/trillian";
import { keyWindows } from "../lib/client-material";
import { renderShardingConfig } from "../lib/rekor-sharding";
import { parseFreezeOutput } from "../lib/tree-id";
import { Evaluation, RegisteredResource } from "./support/mocks";
import { evaluateRecorded, evaluateRotation, januaryDay, registration, registrations, replacedByProvider } from "./support/registrations";
import { componentScripts } from "./support/scripts";
import { checkArgs } from "./support/upstream-flags";

const spki = (pem: string) => createPublicKey(pem).export({ type: "spki", format: "pem" }).toString();
const rekorDeployment = (ev: Evaluation) => ev.cloud.ofType("kubernetes:apps/v1:Deployment").find((d) => d.name === "rekor-server")!;
const rekorContainer = (ev: Evaluation) => rekorDeployment(ev).inputs.spec.template.spec.containers[0];
const signerSecret = (ev: Evaluation) => ev.cloud.ofType("kubernetes:core/v1:Secret").find((s) => s.name === "rekor-signer")!;
const command = (ev: Evaluation, name: string) => ev.cloud.one("command:local:Command", name);
const configMap = (ev: Evaluation, name: string): RegisteredResource => ev.cloud.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.state.metadata?.name === name)!;
const urnOf = (ev: Evaluation, type: string, name: string) => registration(ev.cloud, type, name).urn;

describe("rotation: rekorKeyGeneration", () => {
    let first: Evaluation;
    let rotated: Evaluation;

    before(async () => {
        ({ first, rotated } = await evaluateRotation({ rekorKeyGeneration: "2" }));
    });

    it("a stack that never rotated has one key, no sharding config, no freeze", () => {
        assert.deepEqual(Object.keys(signerSecret(first).inputs.stringData), ["signer.pem"]);
        assert.ok(!rekorContainer(first).args.some((a: string) => a.startsWith("--trillian_log_server.sharding_config")));
        assert.deepEqual(first.cloud.ofType("command:local:Command").map((c) => c.name).sort(), ["trillian-createtree-ctlog", "trillian-createtree-rekor"]);
        assert.equal(JSON.parse(first.outputs.trustedRoot).tlogs.length, 1);
    });

    it("keeps generation 1 (key, tree, Command) as it was, and adds a protected key, tree and freeze", () => {
        for (const name of ["rekor-signing-key", "trillian-createtree-rekor", "trillian-tree-rekor"]) {
            assert.ok(!rotated.cloud.created.some((k) => k.endsWith(`::${name}`)), `${name} was re-created`);
        }
        for (const name of ["rekor-signing-key-g2", "trillian-createtree-rekor-g2", "trillian-tree-rekor-g2", "trillian-freeze-rekor", "trillian-tree-rekor-frozen"]) {
            assert.ok(rotated.cloud.created.some((k) => k.endsWith(`::${name}`)), `${name} was not created`);
            assert.ok(registrations(rotated.cloud).find((r) => r.name === name)!.protect, `${name} is not protected`);
        }
        assert.equal(rotated.outputs.ctlogTreeId, first.outputs.ctlogTreeId);
    });

    it("freezes the old tree, only after the new tree exists, with a Command nothing can re-run", () => {
        const freeze = command(rotated, "trillian-freeze-rekor");
        assert.equal(freeze.inputs.environment.TREE_ID, first.outputs.rekorTreeId);
        assert.equal(freeze.inputs.environment.FREEZE_CONFIGMAP, "trillian-tree-rekor-frozen");
        assert.equal(freeze.inputs.environment.UPDATETREE, "updatetree");
        assert.equal(freeze.inputs.create, componentScripts("trillian-admin.sh", "freezetree.sh"));
        const reg = registration(rotated.cloud, "command:local:Command", "trillian-freeze-rekor");
        assert.deepEqual([...reg.ignoreChanges].sort(), [...createtreeIgnoreChanges].sort());
        assert.equal(freeze.inputs.update, undefined);
        assert.ok(reg.dependencies.includes(urnOf(rotated, "kubernetes:core/v1:ConfigMap", "trillian-tree-rekor-g2")), "the freeze does not wait for the new tree");
        assert.equal(command(rotated, "trillian-createtree-rekor-g2").inputs.environment.TREE_CONFIGMAP, "trillian-tree-rekor-g2");
        assert.deepEqual(configMap(rotated, "trillian-tree-rekor-frozen").inputs.data, { treeID: first.outputs.rekorTreeId, frozenAt: "2026-01-20T12:00:00Z" });
    });

    it("Rekor starts only after the freeze, on the new tree and key, with the old tree and key as an inactive shard", () => {
        const deployment = registration(rotated.cloud, "kubernetes:apps/v1:Deployment", "rekor-server");
        assert.ok(deployment.dependencies.includes(urnOf(rotated, "kubernetes:core/v1:ConfigMap", "trillian-tree-rekor-frozen")), "Rekor may restart before the old tree is frozen");
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
        assert.ok(registration(rotated.cloud, "kubernetes:core/v1:Secret", "rekor-signer").secretInputPaths.some((p) => p.startsWith(".stringData")), "the keys are not secret inputs");
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
        assert.deepEqual(replaced.map((r) => r.name), ["rekor-signer"]);
        for (const r of replaced) assert.deepEqual([r.protect, r.retainOnDelete], [false, true], r.name);
    });

    it("a jump 1 → 3 freezes both earlier trees after the newest exists, and chains the windows", async () => {
        const jumped = await evaluateRecorded({ stack: "dev", hooks: { now: januaryDay(5) }, overrides: { rekorKeyGeneration: "3" } });
        for (const suffix of ["", "-g2"]) {
            const reg = registration(jumped.cloud, "command:local:Command", `trillian-freeze-rekor${suffix}`);
            assert.ok(reg.dependencies.includes(urnOf(jumped, "kubernetes:core/v1:ConfigMap", "trillian-tree-rekor-g3")));
        }
        const shards = YAML.parse(signerSecret(jumped).inputs.stringData["sharding-config.yaml"], { intAsBigInt: true });
        assert.deepEqual(shards.map((s: any) => s.signingConfig.signingSchemeOrKeyPath), ["/var/run/rekor/signer/signer-g1.pem", "/var/run/rekor/signer/signer-g2.pem"]);
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

    it("keyWindows chains retirements and refuses an unretired key before a newer one", () => {
        const windows = keyWindows([{ publicKeyPem: "a", frozenAt: "2026-02-01T00:00:00Z" }, { publicKeyPem: "b" }], "2026-01-01T00:00:00Z");
        assert.deepEqual(windows, [
            { publicKeyPem: "a", validFrom: "2026-01-01T00:00:00Z", validTo: "2026-02-01T00:00:00Z" },
            { publicKeyPem: "b", validFrom: "2026-02-01T00:00:00Z" },
        ]);
        assert.throws(() => keyWindows([{ publicKeyPem: "a" }, { publicKeyPem: "b" }], "2026-01-01T00:00:00Z"), /key 1 of 2 has no retirement time/);
        // A first CA replaced after the rotation starts later than the freeze: the old key then starts at its freeze.
        assert.deepEqual(keyWindows([{ publicKeyPem: "a", frozenAt: "2026-02-01T00:00:00Z" }, { publicKeyPem: "b" }], "2026-03-01T00:00:00Z")[0],
            { publicKeyPem: "a", validFrom: "2026-02-01T00:00:00Z", validTo: "2026-02-01T00:00:00Z" });
    });

    it("parseFreezeOutput accepts only the time and a newline", () => {
        assert.equal(parseFreezeOutput("2026-11-26T19:40:00Z\n", "rekor"), "2026-11-26T19:40:00Z");
        for (const bad of ["FROZEN\n", "2026-11-26 19:40:00\n", "2026-11-26T19:40:00Z\nextra\n", "2026-13-40T19:40:00Z\n", ""]) {
            assert.throws(() => parseFreezeOutput(bad, "rekor"), /freezetree for the rekor tree printed/);
        }
    });
});

describe("rotation: components/freezetree.sh against a fake kubectl and updatetree", function () {
    this.timeout(60_000);
    let dir: string;
    let environment: Record<string, string>;
    let script: string;

    const fakeKubectl = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_LOG/kubectl.calls"
while [ $# -gt 0 ]; do case "$1" in --context=*|--namespace=*) shift ;; *) break ;; esac; done
case "$1" in
  get) printf '%s' "\${FAKE_RECORDED:-}" ;;
  port-forward) echo "Forwarding from 127.0.0.1:43917 -> 8090"; exec sleep 30 ;;
  *) echo "fake kubectl: unexpected $*" >&2; exit 3 ;;
esac
`;
    const fakeUpdatetree = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_LOG/updatetree.calls"
echo "I1126 updating tree" >&2
for a in "$@"; do case "$a" in --tree_state=*) state="\${a#--tree_state=}" ;; esac; done
echo "\${FAKE_PRINT:-$state}"
`;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "freezetree-test-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(path.join(dir, "bin", "kubectl"), fakeKubectl, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "bin", "updatetree"), fakeUpdatetree, { mode: 0o755 });
        const ev = await evaluateRecorded({ stack: "dev", overrides: { rekorKeyGeneration: "2" } });
        const freeze = command(ev, "trillian-freeze-rekor");
        environment = { ...freeze.inputs.environment, DRAIN_SECONDS: "0" };
        script = freeze.inputs.create;
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    function run(fake: Record<string, string> = {}) {
        const log = fs.mkdtempSync(path.join(dir, "run-"));
        const result = spawnSync("/bin/bash", ["-c", script], {
            env: { PATH: `${path.join(dir, "bin")}:/usr/bin:/bin`, HOME: dir, ...environment, FAKE_LOG: log, ...fake },
            encoding: "utf8", timeout: 30_000,
        });
        const read = (f: string) => (fs.existsSync(path.join(log, f)) ? fs.readFileSync(path.join(log, f), "utf8").split("\n").filter(Boolean) : []);
        return { status: result.status, stdout: result.stdout, stderr: result.stderr, kubectl: read("kubectl.calls"), updatetree: read("updatetree.calls") };
    }

    it("sets DRAINING, then FROZEN, through the port-forward, and prints only the freeze time", () => {
        const startedAt = Math.floor(Date.now() / 1000) * 1000;
        const r = run();
        assert.equal(r.status, 0, r.stderr);
        const frozenAt = parseFreezeOutput(r.stdout, "rekor");
        assert.ok(Date.parse(frozenAt) >= startedAt && Date.parse(frozenAt) <= Date.now());
        assert.deepEqual(r.updatetree.map((c) => c.split(" ").find((a) => a.startsWith("--tree_state="))), ["--tree_state=DRAINING", "--tree_state=FROZEN"]);
        for (const call of r.updatetree) {
            const args = call.split(" ");
            assert.equal(args[0], "--admin_server=127.0.0.1:43917");
            assert.ok(args.includes(`--tree_id=${environment.TREE_ID}`), call);
            assert.deepEqual(checkArgs("updatetree", args), []);
        }
        assert.equal(r.kubectl[0], "--namespace=sigstore get configmap trillian-tree-rekor-frozen --ignore-not-found --output=jsonpath={.data.frozenAt}");
        assert.match(r.stderr, /tree \d+ is FROZEN/);
    });

    it("a recorded freeze is reused: nothing is changed and the first time is printed", () => {
        const r = run({ FAKE_RECORDED: "2026-01-20T12:00:00Z" });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "2026-01-20T12:00:00Z\n");
        assert.deepEqual(r.updatetree, []);
        assert.equal(r.kubectl.length, 1);
    });

    it("fails, printing nothing on stdout, when updatetree does not confirm the state", () => {
        const r = run({ FAKE_PRINT: "ACTIVE" });
        assert.notEqual(r.status, 0);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /did not set tree \d+ to DRAINING; it printed: ACTIVE/);
        assert.equal(r.updatetree.length, 1, "nothing after the failed step");
    });
});

describe("rotation: ctlogKeyGeneration", () => {
    let first: Evaluation;
    let rotated: Evaluation;

    before(async () => {
        ({ first, rotated } = await evaluateRotation({ ctlogKeyGeneration: "2" }));
    });

    const ctlogSecret = (ev: Evaluation) => ev.cloud.ofType("kubernetes:core/v1:Secret").find((s) => s.name === "ctlog-config")!;
    const fulcioArgs = (ev: Evaluation): string[] => ev.cloud.ofType("kubernetes:apps/v1:Deployment").find((d) => d.name === "fulcio-server")!.inputs.spec.template.spec.containers[0].args;

    it("keeps the first log (key, password, tree) and adds a protected second log and a freeze of the first tree", () => {
        for (const name of ["ctlog-signing-key", "ctlog-key-password", "trillian-createtree-ctlog", "trillian-tree-ctlog"]) {
            assert.ok(!rotated.cloud.created.some((k) => k.endsWith(`::${name}`)), `${name} was re-created`);
        }
        for (const name of ["ctlog-signing-key-g2", "ctlog-key-password-g2", "trillian-createtree-ctlog-g2", "trillian-tree-ctlog-g2", "trillian-freeze-ctlog", "trillian-tree-ctlog-frozen"]) {
            assert.ok(registrations(rotated.cloud).find((r) => r.name === name)?.protect, `${name} is missing or not protected`);
        }
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
        assert.deepEqual(configs.map((c: string) => [field(c, "log_id"), field(c, "prefix"), field(c, "path")]), [
            [first.outputs.ctlogTreeId, "sigstore", "/etc/ctlog/config/key.pem"],
            [rotated.outputs.ctlogTreeId, "sigstore-g2", "/etc/ctlog/config/key-g2.pem"],
        ]);
        assert.notEqual(field(configs[0], "password"), field(configs[1], "password"));
        assert.ok(files["config.textproto"].startsWith(ctlogSecret(first).inputs.stringData["config.textproto"].split("  }\n}\n")[0]), "the first log's config changed");
    });

    it("what the provider replaces (the config Secret, its data changed) is retained, not protected: keys and passwords are protected in the state", () => {
        const replaced = replacedByProvider(first, rotated);
        assert.deepEqual(replaced.map((r) => r.name), ["ctlog-config"]);
        for (const r of replaced) assert.deepEqual([r.protect, r.retainOnDelete], [false, true], r.name);
    });

    it("Fulcio submits to the new log, and ct_server and Fulcio roll only after the old tree is frozen", () => {
        assert.ok(fulcioArgs(rotated).some((a) => /^--ct-log-url=http.*\/sigstore-g2$/.test(a)), fulcioArgs(rotated).join(" "));
        assert.ok(fulcioArgs(first).some((a) => /^--ct-log-url=http.*\/sigstore$/.test(a)));
        const frozen = urnOf(rotated, "kubernetes:core/v1:ConfigMap", "trillian-tree-ctlog-frozen");
        for (const deployment of ["fulcio-server", "ctlog-server"]) {
            assert.ok(registration(rotated.cloud, "kubernetes:apps/v1:Deployment", deployment).dependencies.includes(frozen), `${deployment} does not wait for the freeze`);
        }
        assert.equal(rotated.outputs.urls.ctlog, "https://ctlog.sigstore.corp.example/sigstore-g2");
    });

    it("the trusted root, the policy and the ctlogs output list both logs: the old key until the freeze, the new one from it", () => {
        const ctlogs = JSON.parse(rotated.outputs.trustedRoot).ctlogs;
        assert.deepEqual(ctlogs.map((l: any) => l.baseUrl), ["https://ctlog.sigstore.corp.example/sigstore", "https://ctlog.sigstore.corp.example/sigstore-g2"]);
        assert.equal(ctlogs[0].publicKey.validFor.end, "2026-01-20T12:00:00Z");
        assert.deepEqual(ctlogs[1].publicKey.validFor, { start: "2026-01-20T12:00:00Z" });
        assert.equal(ctlogs[0].logId.keyId, JSON.parse(first.outputs.trustedRoot).ctlogs[0].logId.keyId);
        assert.deepEqual(rotated.outputs.verificationPolicy.trustRoot.spec.sigstoreKeys.ctLogs.map((l: any) => l.baseURL), ctlogs.map((l: any) => l.baseUrl));
        assert.deepEqual(rotated.outputs.ctlogs.map((l: any) => [l.treeId, l.prefix, l.frozenAt]), [
            [first.outputs.ctlogTreeId, "sigstore", "2026-01-20T12:00:00Z"], [rotated.outputs.ctlogTreeId, "sigstore-g2", undefined],
        ]);
    });
});
