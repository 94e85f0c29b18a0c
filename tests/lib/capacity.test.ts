/**
 * lib/capacity.ts: the database volume the expected signing rate needs, from the measured bytes per
 * entry, and the warning when the configured volume is smaller.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { capacityPlan, capacityWarning, headroom, measuredBytesPerEntry, measuredRekorV2BytesPerEntry, planRekorV2Capacity } from "../../lib/capacity";
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

    it("Rekor v2: the database grows by CT log entries only, and the log's own volume is planned from its measured bytes per entry", () => {
        const performance = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "performance.md"), "utf8");
        assert.ok(performance.includes(`${measuredRekorV2BytesPerEntry} bytes per Rekor v2 entry`), "docs/performance.md states the Rekor v2 figure used");
        const database = capacityPlan({ signingsPerDay: 10_000, retentionYears: 10, redoLogBytes: 0, rekorV2: true });
        assert.equal(database.bytesPerSigning, measuredBytesPerEntry.ctlog);
        assert.match(database.formula, /Rekor v2 writes to its own volume/);
        const v2 = planRekorV2Capacity({ signingsPerDay: 10_000, retentionYears: 10, configuredSize: "10Gi" });
        assert.ok(v2.report.planned);
        const expected = Math.ceil(10_000 * 365 * 10 * measuredRekorV2BytesPerEntry * (1 + headroom));
        assert.equal(v2.report.requiredBytes, expected);
        assert.equal(v2.report.requiredSize, `${Math.ceil(expected / GiB)}Gi`);
        assert.equal(v2.report.fits, false);
        assert.match(v2.warning!, /^rekorV2StorageSize 10Gi is below the \d+Gi that 10000 signings a day kept 10 years need .*rekorKeyGeneration/);
        const roomy = planRekorV2Capacity({ signingsPerDay: 10_000, retentionYears: 10, configuredSize: "1Ti" });
        assert.equal(roomy.warning, undefined);
        assert.deepEqual(planRekorV2Capacity({ signingsPerDay: 0, retentionYears: 10, configuredSize: "10Gi" }).report, {
            planned: false,
            configuredSize: "10Gi",
        });
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
        assert.equal(c.configuredSize, "64Gi");
        assert.equal(c.requiredSize, "61Gi");
        assert.equal(c.fits, true);
    });

    it("prod moved to Rekor v2: the log's volume is planned (rekorV2Log.capacity) and the database plan shrinks to the CT log", async () => {
        const moved = await evaluateRecorded({ stack: "prod", overrides: { rekorVersion: "v2", rekorKeyGeneration: "2", rekorV2FromGeneration: "2" } });
        const v2 = moved.outputs.rekorV2Log.capacity;
        assert.equal(v2.planned, true);
        assert.equal(v2.configuredSize, "10Gi");
        assert.equal(v2.requiredBytes, Math.ceil(2000 * 365 * 10 * measuredRekorV2BytesPerEntry * (1 + headroom)));
        assert.ok(moved.outputs.databaseCapacity.requiredBytes < (await evaluateStack("prod")).outputs.databaseCapacity.requiredBytes);
    });

    it("a rate the volume cannot hold is flagged; without a rate there is no plan", async () => {
        const big = (await evaluateRecorded({ stack: "prod", overrides: { expectedSigningsPerDay: "100000" } })).outputs.databaseCapacity;
        assert.equal(big.fits, false);
        assert.equal((await evaluateStack("dev")).outputs.databaseCapacity.planned, false);
    });
});
