/**
 * keyWindows (lib/client-material.ts): the validity windows of a log's or a CA's keys in the trusted
 * root, chained at each rotation.
 */
import * as assert from "node:assert/strict";
import { keyWindows } from "../../lib/client-material";

describe("rotation: the pieces", () => {
    it("keyWindows chains retirements and refuses an unretired key before a newer one", () => {
        const windows = keyWindows([{ publicKeyPem: "a", frozenAt: "2026-02-01T00:00:00Z" }, { publicKeyPem: "b" }], "2026-01-01T00:00:00Z");
        assert.deepEqual(windows, [
            { publicKeyPem: "a", validFrom: "2026-01-01T00:00:00Z", validTo: "2026-02-01T00:00:00Z" },
            { publicKeyPem: "b", validFrom: "2026-02-01T00:00:00Z" },
        ]);
        assert.throws(() => keyWindows([{ publicKeyPem: "a" }, { publicKeyPem: "b" }], "2026-01-01T00:00:00Z"), /key 1 of 2 has no retirement time/);
        // A first CA replaced after the rotation starts later than the freeze: the old key then starts at its freeze.
        assert.deepEqual(keyWindows([{ publicKeyPem: "a", frozenAt: "2026-02-01T00:00:00Z" }, { publicKeyPem: "b" }], "2026-03-01T00:00:00Z")[0], {
            publicKeyPem: "a",
            validFrom: "2026-02-01T00:00:00Z",
            validTo: "2026-02-01T00:00:00Z",
        });
    });
});
