/**
 * The shared Kubernetes helpers (components/kube.ts): protectedIf(), the resource options of data that must
 * survive.
 */
import * as assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { protectedIf } from "../../components/kube";

describe("program: protectedIf() (components/kube.ts)", () => {
    it("protects and retains when protectData is true, keeping other options", () => {
        const opts = protectedIf(true, { ignoreChanges: ["spec"] });
        assert.equal(opts.protect, true);
        assert.equal(opts.retainOnDelete, true);
        assert.deepEqual(opts.ignoreChanges, ["spec"]);
    });

    it("adds nothing when protectData is false", () => {
        assert.deepEqual(protectedIf(false), {});
        assert.deepEqual(protectedIf(false, { ignoreChanges: ["spec"] }), { ignoreChanges: ["spec"] });
        assert.ok(isDeepStrictEqual(protectedIf(false, {}), {}));
    });
});
