/**
 * The whole program (index.ts) under Pulumi's mocks, for the dev and prod stacks: every Kubernetes
 * object it registers is valid against its schema (kubernetes-models), and the check is not vacuous.
 */
import * as assert from "node:assert/strict";
import { upstreamImages } from "../../versions";
import { Evaluation } from "../support/mocks";
import { describeEachStack, kubeObjects, modelFor, workloadOf } from "../support/program";

describeEachStack(({ evaluation }) => {
    let ev: Evaluation;
    before(async () => {
        ({ ev } = await evaluation());
    });

    it("every Kubernetes object passes kubernetes-models schema validation", () => {
        const objects = kubeObjects(ev);
        assert.ok(objects.length > 20);
        const failures: string[] = [];
        for (const r of objects) {
            try {
                new (modelFor(r.type))(r.inputs).validate();
            } catch (e) {
                failures.push(`${r.type} ${r.name}: ${(e as Error).message}`);
            }
        }
        assert.deepEqual(failures, []);
    });

    it("the schema check is not vacuous: a corrupted object fails it", () => {
        const { resource } = workloadOf(ev, upstreamImages.trillianLogSigner);
        const broken = structuredClone(resource.inputs);
        broken.spec.replicas = "2";
        assert.throws(() => new (modelFor(resource.type))(broken).validate(), /replicas/);
    });
});
