/**
 * lib/capacity.ts: the database volume the expected signing rate needs, from the measured bytes per
 * entry, and the warning when the configured volume is smaller.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { capacityPlan, capacityWarning, headroom, measuredBytesPerEntry } from "../../lib/capacity";
import { binlogRetentionDays } from "../../lib/mysql-tuning";

const GiB = 2 ** 30;

describe("lib/capacity", () => {
    it("uses measured bytes for both logs a signing appends to", () => {
        assert.ok(measuredBytesPerEntry.rekor >= 1000 && measuredBytesPerEntry.ctlog >= 1000, JSON.stringify(measuredBytesPerEntry));
        // The figures are docs/performance.md's (measured by npm run bench), not numbers of this module's own.
        const performance = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "performance.md"), "utf8");
        assert.ok(performance.includes(`${measuredBytesPerEntry.rekor} bytes per Rekor entry`), "docs/performance.md states the Rekor figure used");
        assert.ok(performance.includes(`${measuredBytesPerEntry.ctlog} bytes per CT log entry`), "docs/performance.md states the CT log figure used");
    });

    it("sizes the volume: entries × bytes × headroom, plus a week of binary logs and the redo log", () => {
        const plan = capacityPlan({ signingsPerDay: 10_000, retentionYears: 10, redoLogBytes: 512 * 2 ** 20 });
        const perSigning = measuredBytesPerEntry.rekor + measuredBytesPerEntry.ctlog;
        const expected = 10_000 * 365 * 10 * perSigning * (1 + headroom) + 10_000 * binlogRetentionDays * perSigning + 512 * 2 ** 20;
        assert.equal(plan.bytesPerSigning, perSigning);
        assert.equal(plan.requiredBytes, Math.ceil(expected));
        assert.equal(plan.requiredSize, `${Math.ceil(expected / GiB)}Gi`);
        assert.match(plan.formula, /signingsPerDay × 365 × retentionYears × \d+ B per signing/);
    });

    it("scales linearly with the rate and the years, and never asks for less than 1Gi", () => {
        const one = capacityPlan({ signingsPerDay: 1000, retentionYears: 1, redoLogBytes: 0 });
        const ten = capacityPlan({ signingsPerDay: 1000, retentionYears: 10, redoLogBytes: 0 });
        assert.ok(ten.requiredBytes > 9 * one.requiredBytes && ten.requiredBytes < 10 * one.requiredBytes);
        assert.equal(capacityPlan({ signingsPerDay: 1, retentionYears: 1, redoLogBytes: 0 }).requiredSize, "1Gi");
    });

    it("warns, naming the setting and the size needed, only when the volume is smaller", () => {
        const plan = capacityPlan({ signingsPerDay: 10_000, retentionYears: 10, redoLogBytes: 0 });
        const warning = capacityWarning(plan, "50Gi");
        assert.match(warning ?? "", new RegExp(`^databaseStorageSize 50Gi is below the ${plan.requiredSize} that 10000 signings a day kept 10 years need`));
        assert.equal(capacityWarning(plan, plan.requiredSize), undefined);
        assert.equal(capacityWarning(plan, "10Ti"), undefined);
    });
});

describe("capacity plan in the program (databaseCapacity output)", () => {
    // Loaded lazily: the support modules install Pulumi's mocks.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: the support modules install Pulumi's mocks
    const { evaluateRecorded, evaluateStack } = require("../support/registrations") as typeof import("../support/registrations");

    it("prod plans 2000 signings a day for 10 years, and its volume fits", async () => {
        const c = (await evaluateStack("prod")).outputs.databaseCapacity;
        assert.equal(c.planned, true);
        assert.equal(c.signingsPerDay, 2000);
        assert.equal(c.configuredSize, "60Gi");
        assert.equal(c.requiredSize, "57Gi");
        assert.equal(c.fits, true);
    });

    it("a rate the volume cannot hold is flagged; without a rate there is no plan", async () => {
        const big = (await evaluateRecorded({ stack: "prod", overrides: { expectedSigningsPerDay: "100000" } })).outputs.databaseCapacity;
        assert.equal(big.fits, false);
        assert.equal((await evaluateStack("dev")).outputs.databaseCapacity.planned, false);
    });
});
