/**
 * The shared Kubernetes helpers (components/kube.ts): keep(), the resource options of data that must
 * survive.
 */
import * as assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { keep } from "../../components/kube";

describe("program: keep() (components/kube.ts)", () => {
    it("protects and retains when protectData is true, keeping other options", () => {
        const opts = keep(true, { ignoreChanges: ["spec"] });
        assert.equal(opts.protect, true);
        assert.equal(opts.retainOnDelete, true);
        assert.deepEqual(opts.ignoreChanges, ["spec"]);
    });

    it("adds nothing when protectData is false", () => {
        assert.deepEqual(keep(false), {});
        assert.deepEqual(keep(false, { ignoreChanges: ["spec"] }), { ignoreChanges: ["spec"] });
        assert.ok(isDeepStrictEqual(keep(false, {}), {}));
    });
});
