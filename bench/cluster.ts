/**
 * Timings of the real Pulumi CLI against a real API server (the cluster suite's setup, cluster/):
 * per stack, the first `up`, a no-op `preview` and a no-op `up`.
 *
 * Run as a child of bench/run.ts, once per TypeScript mode of the program's loading:
 *  - transpile-only: what `pulumi up` does with our tsconfig (`noCheck`) or PULUMI_NODEJS_TRANSPILE_ONLY=true;
 *  - type-check: what Pulumi does without either (ts-node's default).
 * Argument: the stacks to time (dev, prod). Prints one JSON line: { mode, stacks: { dev: {...} } }.
 */
import * as path from "node:path";
import { ClusterLab, LiveDeployment } from "../cluster/deployment";

const BENCH_PREVIEWS = 3;

async function timeStack(lab: ClusterLab, from: "dev" | "prod"): Promise<Record<string, unknown>> {
    let d: LiveDeployment | undefined;
    try {
        d = await lab.deploy(`bench-${from}`, from);
        const previews: number[] = [];
        for (let i = 0; i < BENCH_PREVIEWS; i++) {
            const t0 = performance.now();
            await d.stack.preview({ expectNoChanges: true });
            previews.push((performance.now() - t0) / 1000);
        }
        const t0 = performance.now();
        const second = await d.stack.up();
        const noopUp = (performance.now() - t0) / 1000;
        if (Object.keys(second.summary.resourceChanges ?? {}).some((k) => k !== "same")) throw new Error(`${from}: the no-op up changed something`);
        return { resources: d.created, firstUpS: round(d.upSeconds), noopPreviewS: previews.map(round), noopUpS: round(noopUp) };
    } finally {
        await lab.teardown(d);
    }
}

const round = (x: number) => Number(x.toFixed(1));

async function main(): Promise<void> {
    const stacks = process.argv.slice(2) as Array<"dev" | "prod">;
    const mode = process.env.TS_NODE_TRANSPILE_ONLY === "true" ? "transpile-only" : "type-check";
    const lab = new ClusterLab((l) => process.stderr.write(`  ${l}\n`));
    const out: Record<string, unknown> = {};
    try {
        await lab.setup();
        for (const stack of stacks) out[stack] = await timeStack(lab, stack);
    } finally {
        await lab.close();
    }
    process.stdout.write(`${JSON.stringify({ mode, stacks: out })}\n`);
}

if (require.main === module) {
    process.chdir(path.resolve(__dirname, ".."));
    main().then(
        () => process.exit(0),
        (e) => {
            console.error(e);
            process.exit(1);
        },
    );
}
