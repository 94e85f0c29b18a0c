/**
 * The GitHub Actions workflow cannot run here; this checks what it would do: it parses, runs the
 * README's test commands, previews both stacks with the policy pack on pull requests (diff as a PR
 * comment), deploys dev then prod (prod behind its environment) on main, checks drift on a schedule,
 * and uses the CLI and plugin versions the program is tested with. Every secret and variable it
 * reads is documented in docs/operations.md ("Pull requests, deploys and drift").
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { repoRoot } from "./support/mocks";

const workflowText = fs.readFileSync(path.join(repoRoot, ".github", "workflows", "sigstore.yml"), "utf8");
const workflow = YAML.parse(workflowText);
const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");
const operations = fs.readFileSync(path.join(repoRoot, "docs", "operations.md"), "utf8");
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
const steps = (job: string): Step[] => workflow.jobs[job].steps;
const runs = (job: string) =>
    steps(job)
        .filter((s) => s.run)
        .map((s) => s.run!.trim());
const pulumiSteps = (job: string) => steps(job).filter((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command);

describe("GitHub Actions workflow (.github/workflows/sigstore.yml)", () => {
    it("parses, with no YAML anchors (GitHub's support for them is recent) and known jobs", () => {
        assert.doesNotMatch(workflowText, /^\s*[\w-]+: [&*]\w+/m);
        assert.deepEqual(Object.keys(workflow.jobs), ["test", "preview", "deploy-dev", "deploy-prod", "drift"]);
        assert.deepEqual(Object.keys(workflow.on).sort(), ["pull_request", "push", "schedule", "workflow_dispatch"]);
        assert.deepEqual(workflow.on.push.branches, ["main"]);
    });

    it("the test job runs the README's commands: npm ci, npm test, the end-to-end and cluster suites", () => {
        for (const command of ["npm test", "npm run test:e2e", "npm run test:cluster"])
            assert.ok(readme.includes(`\`${command}\``), `README documents ${command}`);
        assert.deepEqual(
            runs("test").filter((r) => r.startsWith("npm ")),
            ["npm ci", "npm test", "npm run test:e2e", "npm run test:cluster"],
        );
        for (const script of ["test", "test:e2e", "test:cluster"]) assert.ok(pkg.scripts[script], `package.json has no ${script} script`);
    });

    it("the CLI and the plugins are the versions the program is tested with", () => {
        assert.equal(workflow.env.PULUMI_VERSION, pkg.dependencies["@pulumi/pulumi"]);
        const install = runs("test").find((r) => r.includes("pulumi plugin install"))!;
        for (const name of ["kubernetes", "command", "tls", "random"]) {
            assert.ok(install.includes(`pulumi plugin install resource ${name} ${pkg.dependencies[`@pulumi/${name}`]}`), `${name} plugin version`);
        }
        for (const job of Object.keys(workflow.jobs)) {
            for (const s of steps(job).filter((x) => x.uses?.startsWith("pulumi/actions@")))
                assert.equal(s.with?.["pulumi-version"], "${{ env.PULUMI_VERSION }}", job);
        }
    });

    it("pull requests: preview of dev and prod with the policy pack, diff as a PR comment, after the tests", () => {
        const job = workflow.jobs.preview;
        assert.equal(job.if, "github.event_name == 'pull_request'");
        assert.equal(job.needs, "test");
        assert.deepEqual(job.strategy.matrix.stack, ["dev", "prod"]);
        assert.equal(job.permissions["pull-requests"], "write");
        const [preview] = pulumiSteps("preview");
        assert.equal(preview.with!.command, "preview");
        assert.equal(preview.with!["stack-name"], "${{ matrix.stack }}");
        assert.equal(preview.with!["comment-on-pr"], true);
        assert.equal(preview.with!.policyPacks, "policy");
        assert.ok(fs.existsSync(path.join(repoRoot, "policy", "PulumiPolicy.yaml")));
    });

    it("merge to main: up dev, then prod in the prod environment (approval), both with the policy pack", () => {
        const dev = workflow.jobs["deploy-dev"];
        const prod = workflow.jobs["deploy-prod"];
        assert.match(dev.if, /github.event_name == 'push' && github.ref == 'refs\/heads\/main'/);
        assert.equal(dev.needs, "test");
        assert.equal(prod.needs, "deploy-dev");
        assert.equal(prod.environment, "prod");
        for (const [job, stack] of [
            ["deploy-dev", "dev"],
            ["deploy-prod", "prod"],
        ]) {
            const [up] = pulumiSteps(job);
            assert.deepEqual([up.with!.command, up.with!["stack-name"], up.with!.policyPacks], ["up", stack, "policy"], job);
            assert.ok(
                runs(job).some((r) => r.includes("go install github.com/google/trillian/cmd/createtree@v1.7.3")),
                `${job} installs createtree (README prerequisite)`,
            );
            assert.ok(
                runs(job).some((r) => r.includes("github.com/google/trillian/cmd/updatetree@v1.7.3")),
                `${job} installs updatetree (a key rotation freezes the old tree with it)`,
            );
        }
    });

    it("schedule: drift check per stack with refresh and --expect-no-changes", () => {
        const job = workflow.jobs.drift;
        assert.match(job.if, /github.event_name == 'schedule'/);
        assert.deepEqual(job.strategy.matrix.stack, ["dev", "prod"]);
        const [preview] = pulumiSteps("drift");
        assert.equal(preview.with!.command, "preview");
        assert.equal(preview.with!.refresh, true);
        assert.equal(preview.with!["expect-no-changes"], true);
        assert.equal(workflow.on.schedule.length, 1);
    });

    it("every secret and variable it reads is documented in docs/operations.md", () => {
        const used = new Set([...workflowText.matchAll(/\b(secrets|vars)\.([A-Z_]+)/g)].map((m) => m[2]));
        assert.deepEqual([...used].sort(), ["KUBECONFIG", "KUBECONFIG_DEV", "KUBECONFIG_PROD", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]);
        const start = operations.indexOf("## Pull requests, deploys and drift");
        assert.ok(start >= 0, 'docs/operations.md has a section "Pull requests, deploys and drift"');
        const rest = operations.slice(start + 3);
        const section = rest.slice(0, rest.search(/^## /m) >= 0 ? rest.search(/^## /m) : undefined);
        assert.ok(section.length > 100, 'the section "Pull requests, deploys and drift" has content');
        for (const name of used) assert.ok(section.includes(`\`${name}\``), `docs/operations.md does not document ${name}`);
    });
});
