/**
 * The whole program (index.ts) under Pulumi's mocks, for the dev and prod stacks: it runs exactly the
 * images pinned in versions.ts and lists them in the imageList output.
 */
import * as assert from "node:assert/strict";
import { upstreamImages } from "../../versions";
import { Evaluation } from "../support/mocks";
import { containers, describeEachStack, workloadOf } from "../support/program";

describeEachStack(({ stack, evaluation }) => {
    let ev: Evaluation;
    before(async () => {
        ({ ev } = await evaluation());
    });

    it("runs exactly the images pinned in versions.ts and lists them in imageList", () => {
        // Dex runs only with identityProvider dex ("program: identityProvider dex"), Rekor v2 only with
        // rekorVersion v2 (the dev stack; prod stays on v1), policy-controller only with policyController
        // deploy (tests/components/policy-controller.test.ts).
        const { dex: _dex, policyController: _policyController, ...all }: Record<string, string> = { ...upstreamImages };
        const { rekorV2: _rekorV2, ...v1Only } = all;
        const expected = stack === "dev" ? all : v1Only;
        for (const [name, image] of Object.entries(expected)) {
            // db_server runs in several workloads (MySQL, its backup CronJob, the external schema Job) or none
            // (external PostgreSQL): the loop below pins each of its containers like every other.
            if (name === "trillianDatabase") continue;
            // nginx-unprivileged serves the TUF files and each Rekor v2 log's read path.
            assert.equal(workloadOf(ev, image, name === "tufServer" ? "tuf-server" : undefined).container.image, image, name);
        }
        const allowed = new Set(Object.values(expected));
        for (const { resource, container } of containers(ev)) assert.ok(allowed.has(container.image), `${resource.name} runs ${container.image}`);
        assert.deepEqual(ev.outputs.imageList, Object.values(expected).sort());
    });
});
