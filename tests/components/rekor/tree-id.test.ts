/**
 * Rekor (components/rekor.ts) in the whole program under Pulumi's mocks, for the dev and prod stacks:
 * it reads its tree ID from the tree ConfigMap createtree fills, and a new tree rolls its pods.
 */
import * as assert from "node:assert/strict";
import { upstreamImages } from "../../../versions";
import { Evaluation } from "../../support/mocks";
import { describeEachStack, workloadOf } from "../../support/program";

describeEachStack(({ evaluation }) => {
    let ev: Evaluation;
    before(async () => {
        ({ ev } = await evaluation());
    });

    it("Rekor reads its tree ID from the rekor tree ConfigMap and carries it as a pod annotation", () => {
        const { resource, container } = workloadOf(ev, upstreamImages.rekor);
        const treeId = ev.outputs.rekorTreeId;
        const treeEnv = (container.env ?? []).find((e: any) => e.name === "TREE_ID");
        assert.deepEqual(treeEnv, { name: "TREE_ID", valueFrom: { configMapKeyRef: { name: "trillian-tree-rekor", key: "treeID" } } });
        assert.ok(container.args.includes("--trillian_log_server.tlog_id=$(TREE_ID)"));
        assert.equal(resource.inputs.spec.template.metadata.annotations["sigstore.dev/tree-id"], treeId);
        assert.notEqual(treeId, ev.outputs.ctlogTreeId, "each log has its own tree");
    });
});
