/**
 * lib/tuf-schedule.ts: versions only increase, only when content, keys or periods change or a role
 * falls inside the renewal window; every root version is kept.
 */
import * as assert from "node:assert/strict";
import { planTufSchedule, TufScheduleInputs, tufScheduleChanges, tufTime } from "../../lib/tuf-schedule";

const day = 86_400_000;
const t0 = Date.parse("2026-12-01T10:00:00.750Z");
const inputs: TufScheduleInputs = {
    rootBody: '{"keys":"a"}',
    targetsDigest: "d1",
    keyIds: { targets: "kt", snapshot: "ks", timestamp: "kts" },
    expiryDays: { root: 365, targets: 180, snapshot: 60, timestamp: 60 },
    renewalDays: 21,
};

describe("lib/tuf-schedule: each role's version and expiry", () => {
    it("starts every role at version 1, expiring after its period, in TUF's second-precision format", () => {
        const s = planTufSchedule(undefined, inputs, t0);
        assert.deepEqual([s.roots.map((r) => r.version), s.targets.version, s.snapshot.version, s.timestamp.version], [[1], 1, 1, 1]);
        assert.equal(s.timestamp.expires, "2027-01-30T10:00:00Z");
        assert.equal(s.roots[0].expires, "2027-12-01T10:00:00Z");
        assert.match(tufTime(t0), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    it("changes nothing for the same inputs before the renewal window", () => {
        const s = planTufSchedule(undefined, inputs, t0);
        const later = planTufSchedule(s, inputs, t0 + 30 * day);
        assert.deepEqual(later, s);
        assert.deepEqual(tufScheduleChanges(s, inputs, t0 + 30 * day), []);
    });

    it("a new target bumps targets, snapshot and timestamp in the same up, never the root", () => {
        const s = planTufSchedule(undefined, inputs, t0);
        const next = planTufSchedule(s, { ...inputs, targetsDigest: "d2" }, t0 + day);
        assert.deepEqual([next.roots.length, next.targets.version, next.snapshot.version, next.timestamp.version], [1, 2, 2, 2]);
        assert.equal(next.snapshot.targetsVersion, 2);
        assert.equal(next.timestamp.snapshotVersion, 2);
        assert.deepEqual(tufScheduleChanges(s, { ...inputs, targetsDigest: "d2" }, t0 + day), ["targets", "snapshot", "timestamp"]);
    });

    it("re-signs exactly the roles inside the renewal window, with a fresh expiry", () => {
        const s = planTufSchedule(undefined, inputs, t0);
        const at = t0 + 40 * day; // timestamp and snapshot (60 d) have 20 days left; targets (180 d) 140
        const next = planTufSchedule(s, inputs, at);
        assert.deepEqual([next.targets.version, next.snapshot.version, next.timestamp.version], [1, 2, 2]);
        assert.equal(next.timestamp.expires, tufTime(at + 60 * day));
        assert.deepEqual(tufScheduleChanges(s, inputs, at), ["snapshot", "timestamp"]);
    });

    it("re-signs an already expired role", () => {
        const s = planTufSchedule(undefined, inputs, t0);
        const next = planTufSchedule(s, inputs, t0 + 400 * day);
        assert.deepEqual([next.roots.length, next.targets.version, next.snapshot.version, next.timestamp.version], [2, 2, 2, 2]);
    });

    it("a new root body appends a root version and keeps every earlier one", () => {
        const s = planTufSchedule(undefined, inputs, t0);
        const rotated = planTufSchedule(s, { ...inputs, rootBody: '{"keys":"b"}' }, t0 + day);
        assert.deepEqual(
            rotated.roots.map((r) => [r.version, r.body]),
            [
                [1, '{"keys":"a"}'],
                [2, '{"keys":"b"}'],
            ],
        );
        assert.deepEqual(rotated.roots[0], s.roots[0]);
    });

    it("a role's new key gives it a new version (clients must see it under a version they have not cached)", () => {
        const s = planTufSchedule(undefined, inputs, t0);
        const next = planTufSchedule(s, { ...inputs, keyIds: { ...inputs.keyIds, timestamp: "kts2" } }, t0 + day);
        assert.deepEqual([next.targets.version, next.snapshot.version, next.timestamp.version], [1, 1, 2]);
    });

    it("a changed period re-signs that role with the new period", () => {
        const s = planTufSchedule(undefined, inputs, t0);
        const next = planTufSchedule(s, { ...inputs, expiryDays: { ...inputs.expiryDays, targets: 90 } }, t0 + day);
        assert.equal(next.targets.version, 2);
        assert.equal(next.targets.expires, tufTime(t0 + 91 * day));
    });

    it("versions never decrease over a sequence of ups", () => {
        let s = planTufSchedule(undefined, inputs, t0);
        for (let i = 1; i <= 30; i++) {
            const next = planTufSchedule(s, { ...inputs, targetsDigest: `d${i % 3}` }, t0 + i * 17 * day);
            for (const role of ["targets", "snapshot", "timestamp"] as const) assert.ok(next[role].version >= s[role].version, role);
            assert.ok(next.roots.length >= s.roots.length);
            s = next;
        }
    });
});
