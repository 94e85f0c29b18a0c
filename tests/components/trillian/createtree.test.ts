/**
 * createtree: the one non-idempotent step. Garbage output is refused, a second `up` creates nothing,
 * the Command ignores changes to every input, pinned tree IDs skip it, and the script itself (run
 * for real with bash against a fake kubectl and createtree) reuses a recorded tree, prints only the
 * ID and fails loudly. In the whole program of each stack, the tree ConfigMaps carry what createtree
 * printed, and the Commands run only once the log server, its Service and the signer exist.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCreatetreeOutput, parsePositiveInt64 } from "../../../lib/tree-id";
import { createOnceIgnoreChanges } from "../../../components/key-material";
import { upstreamImages } from "../../../versions";
import { Evaluation, RegisteredResource, rekorV1Overrides, StackState } from "../../support/mocks";
import { describeEachStack, workloadOf } from "../../support/program";
import { evaluateExpectingFailure, evaluateRecorded, evaluateStack, registration, Registration } from "../../support/registrations";
import { componentScripts } from "../../support/scripts";
import { checkArgs } from "../../support/upstream-flags";

const root = path.resolve(__dirname, "..", "..", "..");

// ---------------------------------------------------------------------------------------------
describe("createtree (a): parseCreatetreeOutput", () => {
    const garbage = [
        "",
        "abc\n",
        "0\n",
        "-5\n",
        "9223372036854775808\n",
        "123\n456\n",
        "WARNING: flag deprecated\n123\n",
        "12 \n",
        "\n",
        "0123\n",
        "1e3\n",
        "123\n\n",
    ];
    for (const stdout of garbage) {
        it(`rejects ${JSON.stringify(stdout)} naming the tree and showing the output`, () => {
            assert.throws(
                () => parseCreatetreeOutput(stdout, "rekor"),
                (e: Error) => {
                    assert.match(e.message, /^createtree for the rekor tree printed /);
                    assert.ok(e.message.includes(JSON.stringify(stdout)), "shows what was printed");
                    assert.match(e.message, /expected only a tree ID \(a positive 64-bit decimal integer and a newline\)/);
                    return true;
                },
            );
        });
    }

    it('accepts "1\\n" and the largest int64', () => {
        assert.equal(parseCreatetreeOutput("1\n", "ctlog"), "1");
        assert.equal(parseCreatetreeOutput("9223372036854775807\n", "ctlog"), "9223372036854775807");
        assert.equal(parsePositiveInt64("9223372036854775807"), 9223372036854775807n);
    });

    it("names whichever tree failed", () => {
        assert.throws(() => parseCreatetreeOutput("oops\n", "ctlog"), /createtree for the ctlog tree/);
    });

    it("truncates very long output in the message", () => {
        const long = "x".repeat(5000);
        assert.throws(
            () => parseCreatetreeOutput(long, "rekor"),
            (e: Error) => e.message.length < 1000 && e.message.includes("…"),
        );
    });
});

// ---------------------------------------------------------------------------------------------
describe("createtree (b): the update fails clearly when createtree prints garbage", () => {
    let outcome: Awaited<ReturnType<typeof evaluateExpectingFailure>>;
    const state: StackState = new Map();
    const printed = { rekor: "", ctlog: "WARNING: deprecated flag\n8675309\n" };

    before(async () => {
        outcome = await evaluateExpectingFailure({
            stack: "dev",
            state,
            hooks: { runCommand: async (name) => ({ stdout: name.endsWith("-rekor") ? printed.rekor : printed.ctlog, stderr: "" }) },
        });
    });

    it("does not complete", () => {
        assert.notEqual(outcome.settled, "resolved");
        assert.ok(outcome.errors.length > 0, "some error is reported");
    });

    for (const tree of ["rekor", "ctlog"] as const) {
        it(`reports createtree and the ${tree} tree with what it printed`, () => {
            const messages = outcome.errors.map((e) => e.message);
            const mine = messages.filter((m) => m.includes(`createtree for the ${tree} tree printed ${JSON.stringify(printed[tree])}`));
            assert.ok(mine.length > 0, `no error names the ${tree} tree: ${messages.join(" | ")}`);
        });
    }

    it("every reported error is the createtree problem (nothing unrelated breaks first)", () => {
        for (const e of outcome.errors) assert.match(e.message, /createtree for the (rekor|ctlog) tree printed/);
    });

    it("records no tree ConfigMap and nothing that consumes a tree ID", () => {
        assert.ok(
            [...state.keys()].some((k) => k.startsWith("command:local:Command::")),
            "the commands ran",
        );
        for (const [key, { inputs }] of state) {
            assert.ok(!/^kubernetes:core\/v1:ConfigMap::.*tree/.test(key), `${key} was recorded from garbage`);
            assert.ok(
                !inputs.includes("sigstore.dev/tree-id") && !inputs.includes('"treeID"') && !inputs.includes("log_id:"),
                `${key} was created with a tree ID derived from garbage`,
            );
        }
    });
});

// ---------------------------------------------------------------------------------------------
describe("createtree (c): a second `up` creates nothing and the Command ignores every input change", () => {
    const state: StackState = new Map();
    let first: Evaluation;
    let second: Evaluation;
    let reruns = 0;

    before(async () => {
        first = await evaluateRecorded({ stack: "dev", state });
        second = await evaluateRecorded({
            stack: "dev",
            state,
            hooks: {
                runCommand: async () => {
                    reruns++;
                    return { stdout: "4242\n", stderr: "" };
                },
            },
        });
    });

    it("the first evaluation created both trees", () => {
        assert.ok(first.cloud.created.includes("command:local:Command::trillian-createtree-rekor"));
        assert.ok(first.cloud.created.includes("command:local:Command::trillian-createtree-ctlog"));
    });

    it("the second evaluation with the same state creates nothing new and runs no command", () => {
        assert.deepEqual(second.cloud.created, []);
        assert.equal(reruns, 0);
    });

    it("keeps the tree IDs", () => {
        assert.equal(second.outputs.rekorTreeId, first.outputs.rekorTreeId);
        assert.equal(second.outputs.ctlogTreeId, first.outputs.ctlogTreeId);
        assert.notEqual(second.outputs.rekorTreeId, "4242");
    });

    it("registers the same resources with identical inputs", () => {
        const describeAll = (ev: Evaluation) => ev.cloud.resources.map((r) => `${r.type}::${r.name}::${JSON.stringify(r.inputs)}`).sort();
        assert.deepEqual(describeAll(second), describeAll(first));
    });

    /** The ignoreChanges list components/trillian.ts gives the createtree Command (key-material.ts createOnceIgnoreChanges). */
    function ignoredCommandInputs(): string[] {
        return [...createOnceIgnoreChanges];
    }

    /** Every input property of command.local.Command (CommandArgs in @pulumi/command's typings). */
    function commandInputProperties(): string[] {
        const dts = fs.readFileSync(path.join(root, "node_modules", "@pulumi", "command", "local", "command.d.ts"), "utf8");
        const block = /export interface CommandArgs \{([\s\S]*?)\n\}/.exec(dts);
        assert.ok(block, "CommandArgs interface found");
        const props = [...block[1].matchAll(/^ {4}(\w+)\??:/gm)].map((m) => m[1]);
        assert.ok(props.includes("create") && props.includes("environment") && props.length >= 10, `parsed ${props.join(", ")}`);
        return props;
    }

    it("the Command's ignoreChanges lists every input property of command.local.Command", () => {
        const ignored = new Set(ignoredCommandInputs());
        const missing = commandInputProperties().filter((p) => !ignored.has(p));
        assert.deepEqual(missing, [], `a change to ${missing.join(", ")} would re-run createtree and make a new, empty tree`);
    });

    it("the registered Command carries that ignoreChanges and sets only ignored inputs, with no update script", () => {
        const ignoredInSource = ignoredCommandInputs();
        for (const tree of ["rekor", "ctlog"]) {
            const reg = registration(first.cloud, "command:local:Command", `trillian-createtree-${tree}`);
            assert.deepEqual([...reg.ignoreChanges].sort(), [...ignoredInSource].sort());
            const inputs = first.cloud.one("command:local:Command", `trillian-createtree-${tree}`).inputs;
            for (const key of Object.keys(inputs)) assert.ok(reg.ignoreChanges.includes(key), `input ${key} is not ignored`);
            assert.equal(inputs.update, undefined, "no update: nothing may run createtree again");
            assert.equal(inputs.triggers, undefined, "no triggers: a trigger change replaces the command");
            assert.equal(inputs.create, componentScripts("trillian-admin.sh", "createtree.sh"), "runs components/trillian-admin.sh, then createtree.sh");
        }
    });
});

// ---------------------------------------------------------------------------------------------
describe("createtree (d): pinned tree IDs", () => {
    const pinned = { rekorTreeId: "1234567890123", ctlogTreeId: "9223372036854775807" };
    let both: Evaluation;
    let onlyRekor: Evaluation;

    before(async () => {
        // Rekor v1 (as the stack it adopts trees for): with Rekor v2 its tree would also be frozen.
        both = await evaluateRecorded({ stack: "dev", overrides: { ...rekorV1Overrides, ...pinned } });
        onlyRekor = await evaluateRecorded({ stack: "dev", overrides: { ...rekorV1Overrides, rekorTreeId: pinned.rekorTreeId } });
    });

    it("registers no Command when both are pinned", () => {
        assert.deepEqual(
            both.cloud.ofType("command:local:Command").map((c) => c.name),
            [],
        );
    });

    it("the tree ConfigMaps and outputs carry the pinned IDs", () => {
        for (const tree of ["rekor", "ctlog"] as const) {
            const cm = both.cloud.ofType("kubernetes:core/v1:ConfigMap").filter((c) => c.inputs.metadata?.name === `trillian-tree-${tree}`);
            assert.equal(cm.length, 1);
            assert.equal(cm[0].inputs.data.treeID, pinned[`${tree}TreeId`]);
            assert.equal(both.outputs[`${tree}TreeId`], pinned[`${tree}TreeId`]);
        }
    });

    it("Rekor and the CT log are configured with the pinned IDs", () => {
        const rekor = both.cloud.ofType("kubernetes:apps/v1:Deployment").find((d) => /rekor-server[:@]/.test(d.inputs.spec.template.spec.containers[0].image))!;
        assert.equal(rekor.inputs.spec.template.metadata.annotations["sigstore.dev/tree-id"], pinned.rekorTreeId);
        const config = both.cloud.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.stringData?.["config.textproto"])!;
        assert.match(config.inputs.stringData["config.textproto"], new RegExp(`^\\s*log_id: ${pinned.ctlogTreeId}$`, "m"));
    });

    it("pinning one tree still creates the other", () => {
        assert.deepEqual(
            onlyRekor.cloud.ofType("command:local:Command").map((c) => c.name),
            ["trillian-createtree-ctlog"],
        );
        assert.equal(onlyRekor.outputs.rekorTreeId, pinned.rekorTreeId);
        assert.equal(
            onlyRekor.outputs.ctlogTreeId,
            parseCreatetreeOutput(onlyRekor.cloud.one("command:local:Command", "trillian-createtree-ctlog").state.stdout, "ctlog"),
        );
    });
});

// ---------------------------------------------------------------------------------------------
describe("createtree (e): components/createtree.sh against a fake kubectl and createtree", function () {
    this.timeout(30_000);
    let dir: string;
    let bin: string;
    let portForwardEnv: Record<string, string>;
    let podEnv: Record<string, string>;
    let interpreter: string[];
    let script: string;
    const startedForwarders: number[] = [];

    const fakeKubectl = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_LOG/kubectl.calls"
while [ $# -gt 0 ]; do case "$1" in --context=*|--namespace=*) shift ;; *) break ;; esac; done
case "$1" in
  get)
    [ -n "\${FAKE_GET_FAIL:-}" ] && { echo "Unable to connect to the server" >&2; exit 1; }
    if [ -n "\${FAKE_CA_CONFIGMAP:-}" ] && [ "$3" = "\${FAKE_CA_CONFIGMAP}" ]; then printf '%s' "\${FAKE_CA_PEM:-}"; else printf '%s' "\${FAKE_RECORDED:-}"; fi ;;
  port-forward)
    echo $$ > "$FAKE_LOG/port-forward.pid"
    [ -n "\${FAKE_PF_FAIL:-}" ] && { echo 'error: services "trillian-log-server" not found'; exit 1; }
    echo "Forwarding from 127.0.0.1:\${FAKE_PORT} -> 8090"
    echo "Forwarding from [::1]:\${FAKE_PORT} -> 8090"
    exec sleep 15 ;;
  run)
    echo "pod createtree noise" >&2
    [ -n "\${FAKE_CREATETREE_FAIL:-}" ] && exit 1
    echo "\${FAKE_TREE_ID}" ;;
  *) echo "fake kubectl: unexpected $*" >&2; exit 3 ;;
esac
`;
    const fakeCreatetree = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_LOG/createtree.calls"
for a in "$@"; do case "$a" in --tls_cert_file=*) cat "\${a#--tls_cert_file=}" > "$FAKE_LOG/ca.seen" ;; esac; done
echo "I1125 12:00:00.000000 1 main.go:100] Creating tree" >&2
[ -n "\${FAKE_CREATETREE_FAIL:-}" ] && { echo "F1125 createtree: rpc error: code = Unavailable" >&2; exit 1; }
echo "\${FAKE_TREE_ID}"
`;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "createtree-test-"));
        bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(path.join(bin, "kubectl"), fakeKubectl, { mode: 0o755 });
        fs.writeFileSync(path.join(bin, "createtree"), fakeCreatetree, { mode: 0o755 });
        // The exact environment and script the program hands command.local.Command.
        const dev = await evaluateStack("dev");
        const command = dev.cloud.one("command:local:Command", "trillian-createtree-rekor");
        portForwardEnv = command.inputs.environment;
        interpreter = command.inputs.interpreter;
        script = command.inputs.create;
        const pod = await evaluateRecorded({
            stack: "dev",
            overrides: { createtreeMode: "pod", createtreeImage: "registry.corp.example/trillian/createtree:v1.7.3" },
        });
        podEnv = pod.cloud.one("command:local:Command", "trillian-createtree-rekor").inputs.environment;
    });

    after(() => {
        // Only our own fake port-forwards (exec'd to `sleep 15`), by PID, if one was left behind.
        for (const pid of startedForwarders) {
            const cmdline = fs.existsSync(`/proc/${pid}/cmdline`) ? fs.readFileSync(`/proc/${pid}/cmdline`, "utf8") : "";
            if (cmdline.startsWith("sleep\u000015")) {
                try {
                    process.kill(pid);
                } catch {
                    /* already gone */
                }
            }
        }
        fs.rmSync(dir, { recursive: true, force: true });
    });

    function run(env: Record<string, string>, fake: Record<string, string> = {}) {
        const log = fs.mkdtempSync(path.join(dir, "run-"));
        const result = spawnSync(interpreter[0], [...interpreter.slice(1), script], {
            env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, ...env, FAKE_LOG: log, FAKE_PORT: "43917", FAKE_TREE_ID: "5181727302983401211", ...fake },
            encoding: "utf8",
            timeout: 25_000,
        });
        const read = (f: string) => (fs.existsSync(path.join(log, f)) ? fs.readFileSync(path.join(log, f), "utf8") : "");
        const forwarderPid = Number(read("port-forward.pid").trim()) || undefined;
        if (forwarderPid) startedForwarders.push(forwarderPid);
        return {
            status: result.status,
            stdout: result.stdout,
            stderr: result.stderr,
            kubectl: read("kubectl.calls").split("\n").filter(Boolean),
            createtree: read("createtree.calls").split("\n").filter(Boolean),
            caSeen: read("ca.seen"),
            forwarderPid,
        };
    }

    function alive(pid: number): boolean {
        try {
            process.kill(pid, 0);
        } catch {
            return false;
        }
        const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, "utf8") : "";
        return !/^\d+ \(.*\) Z /.test(stat);
    }

    it("the Command runs this script with bash -c", () => {
        assert.deepEqual(interpreter, ["/bin/bash", "-c"]);
        assert.equal(script, componentScripts("trillian-admin.sh", "createtree.sh"));
        assert.equal(portForwardEnv.CREATETREE_MODE, "port-forward");
        assert.equal(podEnv.CREATETREE_MODE, "pod");
        assert.ok(portForwardEnv.DISPLAY_NAME.length <= 20, "createtree's display name is at most 20 characters");
    });

    it("reuses the tree ID recorded in the cluster and never calls createtree", () => {
        const r = run(portForwardEnv, { FAKE_RECORDED: "3141592653589793238" });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "3141592653589793238\n");
        assert.deepEqual(r.createtree, []);
        assert.deepEqual(r.kubectl, ["--namespace=sigstore get configmap trillian-tree-rekor --ignore-not-found --output=jsonpath={.data.treeID}"]);
        assert.match(r.stderr, /already records tree 3141592653589793238; reusing it/);
    });

    it("port-forward mode: forwards to the log server, calls createtree on the forwarded port, prints only the ID", () => {
        const r = run(portForwardEnv);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "5181727302983401211\n", "stdout is exactly the tree ID and a newline");
        assert.equal(parseCreatetreeOutput(r.stdout, "rekor"), "5181727302983401211");
        assert.deepEqual(r.kubectl, [
            "--namespace=sigstore get configmap trillian-tree-rekor --ignore-not-found --output=jsonpath={.data.treeID}",
            "--namespace=sigstore port-forward service/trillian-log-server :8090",
        ]);
        assert.equal(r.createtree.length, 1, "createtree ran once");
        const args = r.createtree[0].split(" ");
        assert.equal(args[0], "--admin_server=127.0.0.1:43917", "the port the port-forward printed");
        assert.ok(args.includes("--display_name=sigstore-rekor") && args.includes("--rpc_deadline=60s"), r.createtree[0]);
        assert.deepEqual(checkArgs("createtree", args), []);
        assert.match(r.stderr, /Creating tree/, "createtree's logs go to stderr");
    });

    it("port-forward mode: stops its port-forward when done", async () => {
        const r = run(portForwardEnv);
        assert.equal(r.status, 0, r.stderr);
        assert.ok(r.forwarderPid, "the fake port-forward started");
        const deadline = Date.now() + 2000;
        while (alive(r.forwarderPid) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
        assert.equal(
            alive(r.forwarderPid),
            false,
            "`kubectl port-forward` is still running after the script exited: the EXIT trap kills the background subshell running the kube() function, not kubectl itself",
        );
    });

    it("passes the kube context to every kubectl call", () => {
        const r = run({ ...portForwardEnv, KUBE_CONTEXT: "onprem" });
        assert.equal(r.status, 0, r.stderr);
        assert.ok(r.kubectl.length >= 2);
        for (const call of r.kubectl) assert.ok(call.startsWith("--context=onprem --namespace=sigstore "), call);
    });

    it("pod mode: runs createtree in the cluster from createtreeImage against the Service, prints only the ID", () => {
        const r = run(podEnv);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "5181727302983401211\n");
        assert.deepEqual(r.createtree, [], "no local createtree in pod mode");
        assert.equal(r.kubectl.length, 2);
        const head =
            "--namespace=sigstore run createtree-rekor --image=registry.corp.example/trillian/createtree:v1.7.3 " +
            "--restart=Never --rm --attach --quiet --labels=app.kubernetes.io/name=createtree,app.kubernetes.io/part-of=sigstore " +
            "--override-type=strategic --overrides=";
        assert.ok(r.kubectl[1].startsWith(head), r.kubectl[1]);
        const [overrides, rest] = r.kubectl[1].slice(head.length).split(" --command -- /createtree ");
        // The pod meets Pod Security "restricted", which the namespace enforces.
        const spec = JSON.parse(overrides).spec;
        assert.deepEqual(spec.securityContext, { seccompProfile: { type: "RuntimeDefault" }, runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 });
        assert.deepEqual(spec.containers, [
            {
                name: "createtree-rekor",
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
                volumeMounts: [],
            },
        ]);
        assert.deepEqual(spec.volumes, [], "no internal CA to mount in dev");
        const args = rest.split(" ");
        assert.equal(args[0], "--admin_server=trillian-log-server:8090", "the log server Service, from inside the cluster");
        assert.ok(args.includes("--display_name=sigstore-rekor") && args.includes("--rpc_deadline=60s"), r.kubectl[1]);
        assert.deepEqual(checkArgs("createtree", args), []);
    });

    describe("with internal TLS (TRILLIAN_CA_CONFIGMAP)", () => {
        const caPem = "-----BEGIN CERTIFICATE-----\nMIIBinternalCA\n-----END CERTIFICATE-----\n";
        const tlsEnv = (env: Record<string, string>) => ({ ...env, TRILLIAN_CA_CONFIGMAP: "internal-tls-ca-1a2b" });
        const withCa = { FAKE_CA_CONFIGMAP: "internal-tls-ca-1a2b", FAKE_CA_PEM: caPem };

        it("port-forward: reads ca.crt from the ConfigMap and makes createtree verify the log server with it", () => {
            const r = run(tlsEnv(portForwardEnv), withCa);
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, "5181727302983401211\n");
            assert.ok(
                r.kubectl.some((c) => c.includes("get configmap internal-tls-ca-1a2b --output=jsonpath={.data.ca\\.crt}")),
                r.kubectl.join("\n"),
            );
            const args = r.createtree[0].split(" ");
            const caArg = args.find((a) => a.startsWith("--tls_cert_file="));
            assert.ok(caArg, r.createtree[0]);
            assert.deepEqual(checkArgs("createtree", args), []);
            assert.equal(r.caSeen, caPem, "createtree got the ConfigMap's ca.crt");
            assert.ok(!fs.existsSync(caArg.slice("--tls_cert_file=".length)), "the CA file is removed afterwards");
        });

        it("port-forward: a CA ConfigMap without ca.crt fails clearly", () => {
            const r = run(tlsEnv(portForwardEnv), { FAKE_CA_CONFIGMAP: "internal-tls-ca-1a2b", FAKE_CA_PEM: "" });
            assert.notEqual(r.status, 0);
            assert.equal(r.stdout, "");
            assert.match(r.stderr, /configmap\/internal-tls-ca-1a2b holds no ca\.crt/);
        });

        it("pod mode: mounts the CA ConfigMap into the pod and passes it to createtree", () => {
            const r = run(tlsEnv(podEnv));
            assert.equal(r.status, 0, r.stderr);
            const overrides = JSON.parse(/--overrides=(\{.*\}) --command/.exec(r.kubectl[1])![1]);
            assert.deepEqual(overrides.spec.volumes, [{ name: "internal-ca", configMap: { name: "internal-tls-ca-1a2b" } }]);
            assert.deepEqual(overrides.spec.containers[0].volumeMounts, [{ name: "internal-ca", mountPath: "/etc/sigstore/ca", readOnly: true }]);
            assert.ok(r.kubectl[1].includes(" --tls_cert_file=/etc/sigstore/ca/ca.crt"), r.kubectl[1]);
        });
    });

    it("fails (non-zero) when createtree fails, in both modes", () => {
        const local = run(portForwardEnv, { FAKE_CREATETREE_FAIL: "1" });
        assert.notEqual(local.status, 0);
        assert.equal(local.stdout, "");
        assert.match(local.stderr, /rpc error/);
        const pod = run(podEnv, { FAKE_CREATETREE_FAIL: "1" });
        assert.notEqual(pod.status, 0);
        assert.equal(pod.stdout, "");
    });

    it("fails without creating a tree when the recorded ID cannot be read", () => {
        const r = run(portForwardEnv, { FAKE_GET_FAIL: "1" });
        assert.notEqual(r.status, 0);
        assert.deepEqual(r.createtree, [], "an unreachable cluster must not lead to a second tree");
        assert.equal(r.stdout, "");
    });

    it("fails with the port-forward's error when it cannot start", () => {
        const r = run(portForwardEnv, { FAKE_PF_FAIL: "1" });
        assert.equal(r.status, 1);
        assert.deepEqual(r.createtree, []);
        assert.match(r.stderr, /kubectl port-forward to service\/trillian-log-server failed/);
        assert.match(r.stderr, /services "trillian-log-server" not found/);
    });

    it("rejects an unknown mode with exit 2", () => {
        const r = run({ ...portForwardEnv, CREATETREE_MODE: "exec" });
        assert.equal(r.status, 2);
        assert.match(r.stderr, /unknown CREATETREE_MODE 'exec'/);
        assert.deepEqual(r.createtree, []);
    });
});

// ---------------------------------------------------------------------------------------------
function byMetadataName(ev: Evaluation, type: string, name: string): RegisteredResource {
    const found = ev.cloud.resources.filter((r) => r.type === type && r.inputs?.metadata?.name === name);
    assert.equal(found.length, 1, `expected one ${type} with metadata.name ${name}`);
    return found[0];
}

describeEachStack(({ evaluation }) => {
    let ev: Evaluation;
    let regs: Registration[];
    before(async () => {
        ({ ev, regs } = await evaluation());
    });

    for (const tree of ["rekor", "ctlog"] as const) {
        it(`the ${tree} tree ConfigMap's data.treeID is the parsed stdout of its createtree Command`, () => {
            const command = ev.cloud.one("command:local:Command", `trillian-createtree-${tree}`);
            const configMap = byMetadataName(ev, "kubernetes:core/v1:ConfigMap", `trillian-tree-${tree}`);
            const id = parseCreatetreeOutput(command.state.stdout, tree);
            assert.equal(configMap.inputs.data.treeID, id);
            assert.equal(ev.outputs[`${tree}TreeId`], id);
            assert.deepEqual(command.inputs.interpreter, ["/bin/bash", "-c"]);
            assert.equal(command.inputs.environment.TREE_CONFIGMAP, `trillian-tree-${tree}`, "the script checks the same ConfigMap the program writes");
            assert.equal(command.inputs.environment.NAMESPACE, ev.outputs.namespaceName);
        });
    }

    it("the createtree Commands run after the log server, its Service and the signer exist", () => {
        const urnOf = (type: string, predicate: (r: RegisteredResource) => boolean) => {
            const resource = ev.cloud.resources.find((r) => r.type === type && predicate(r));
            assert.ok(resource, `no ${type} found`);
            return regs.find((r) => r.type === type && r.name === resource.name)!.urn;
        };
        const server = workloadOf(ev, upstreamImages.trillianLogServer).resource.name;
        const signer = workloadOf(ev, upstreamImages.trillianLogSigner).resource.name;
        const needed = {
            "log server Deployment": urnOf("kubernetes:apps/v1:Deployment", (r) => r.name === server),
            "log signer Deployment": urnOf("kubernetes:apps/v1:Deployment", (r) => r.name === signer),
            "log server Service (what port-forward / the createtree pod connect to)": urnOf(
                "kubernetes:core/v1:Service",
                (r) => r.inputs.metadata?.name === "trillian-log-server",
            ),
        };
        for (const tree of ["rekor", "ctlog"]) {
            const command = regs.find((r) => r.type === "command:local:Command" && r.name === `trillian-createtree-${tree}`)!;
            for (const [what, urn] of Object.entries(needed)) {
                assert.ok(
                    command.dependencies.includes(urn),
                    `createtree-${tree} does not depend on the ${what} (${urn}); dependencies: ${command.dependencies.join(", ")}`,
                );
            }
        }
    });
});
