/**
 * The whole program (index.ts) under Pulumi's mocks, for the dev and prod stacks: the namespace is
 * labelled for Pod Security admission, and every namespaced object is in it.
 */
import * as assert from "node:assert/strict";
import { Evaluation } from "../support/mocks";
import { describeEachStack, kubeObjects } from "../support/program";

describeEachStack(({ evaluation }) => {
    let ev: Evaluation;
    before(async () => {
        ({ ev } = await evaluation());
    });

    it("labels the namespace for Pod Security admission: restricted enforced, warned and audited", () => {
        assert.deepEqual(ev.cloud.one("kubernetes:core/v1:Namespace", "namespace").inputs.metadata.labels, {
            "app.kubernetes.io/part-of": "sigstore",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        });
    });

    it("puts every namespaced object in the stack's namespace", () => {
        for (const r of kubeObjects(ev)) {
            if (r.type === "kubernetes:core/v1:Namespace") continue;
            assert.equal(r.inputs.metadata?.namespace, ev.outputs.namespaceName, `${r.type} ${r.name}`);
        }
    });
});
