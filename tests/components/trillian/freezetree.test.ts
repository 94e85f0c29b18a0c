/**
 * freezetree: the freeze of a log's old tree at a key rotation (rekorKeyGeneration,
 * ctlogKeyGeneration), run by a create-only Command of components/trillian.ts. What it prints is
 * parsed strictly (parseFreezeOutput), and the script itself (components/freezetree.sh, run for real
 * with bash against a fake kubectl and updatetree) sets DRAINING then FROZEN, reuses a recorded
 * freeze and fails loudly.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseFreezeOutput } from "../../../lib/tree-id";
import { command } from "../../support/program";
import { evaluateRecorded } from "../../support/registrations";
import { checkArgs } from "../../support/upstream-flags";

describe("rotation: the pieces", () => {
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
            encoding: "utf8",
            timeout: 30_000,
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
        assert.deepEqual(
            r.updatetree.map((c) => c.split(" ").find((a) => a.startsWith("--tree_state="))),
            ["--tree_state=DRAINING", "--tree_state=FROZEN"],
        );
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
