/**
 * The CT log (components/ctlog.ts) in the whole program under Pulumi's mocks, for the dev and prod
 * stacks: ct_server's config names the ctlog tree and the Trillian backend, and a new tree rolls its pods.
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

    it("the CT log config Secret's config.textproto carries log_id: <ctlog tree id> and the Trillian backend", () => {
        const configs = ev.cloud.ofType("kubernetes:core/v1:Secret").filter((s) => s.inputs.stringData?.["config.textproto"]);
        assert.equal(configs.length, 1);
        const text: string = configs[0].inputs.stringData["config.textproto"];
        const logIds = [...text.matchAll(/^\s*log_id: (\S+)$/gm)].map((m) => m[1]);
        assert.deepEqual(logIds, [ev.outputs.ctlogTreeId]);
        assert.match(text, new RegExp(`backend_spec: "${ev.outputs.internalUrls.trillian.replace(/\./g, "\\.")}"`));
        assert.match(text, /prefix: "sigstore"/);
        assert.ok(configs[0].inputs.stringData["key.pem"], "the key the config names is in the same Secret");
        const { resource } = workloadOf(ev, upstreamImages.ctlog);
        assert.equal(resource.inputs.spec.template.metadata.annotations["sigstore.dev/tree-id"], ev.outputs.ctlogTreeId, "a new tree rolls the CT log pods");
    });
});
