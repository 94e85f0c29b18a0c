/**
 * The versions and expiry dates of a TUF repository's four roles, carried from one `up` to the next.
 *
 * TUF clients refuse metadata whose version went backwards and metadata past its expiry, so these
 * two numbers per role are state: they must only increase, and they may only change when the
 * content does or when an `up` falls inside the renewal window. Everything else about the files
 * (keys, targets, signatures) is derived from the stack, so an unchanged stack re-renders
 * byte-identical files.
 *
 * This module imports nothing: the TufSchedule dynamic resource serializes it into its provider.
 */

/** What the next schedule is planned from: the content of each role (digests), its key, and the periods. */
export interface TufScheduleInputs {
    /** The root's signed fields other than version and expiry (keys, roles, thresholds), as stable JSON. */
    readonly rootBody: string;
    /** Digest of the targets (names, lengths, hashes). */
    readonly targetsDigest: string;
    /** The key ID each online role signs with: a new key must reach clients under a new version. */
    readonly keyIds: { readonly targets: string; readonly snapshot: string; readonly timestamp: string };
    readonly expiryDays: TufExpiryDays;
    /** An `up` re-signs any role that expires within this many days. */
    readonly renewalDays: number;
}

export interface TufExpiryDays {
    readonly root: number;
    readonly targets: number;
    readonly snapshot: number;
    readonly timestamp: number;
}

export type TufRoleName = keyof TufExpiryDays;

/** One signed version of a role: its number, its expiry (YYYY-MM-DDTHH:MM:SSZ), the period it was signed for. */
export interface RoleVersion {
    readonly version: number;
    readonly expires: string;
    readonly days: number;
}

/** Every root version ever published (clients walk them one by one), and the current online roles. */
export interface TufSchedule {
    readonly roots: ReadonlyArray<RoleVersion & { readonly body: string }>;
    readonly targets: RoleVersion & { readonly digest: string; readonly keyId: string };
    readonly snapshot: RoleVersion & { readonly targetsVersion: number; readonly keyId: string };
    readonly timestamp: RoleVersion & { readonly snapshotVersion: number; readonly keyId: string };
}

const dayMs = 86_400_000;

/**
 * TUF's expiry format, to the second: python-tuf parses exactly %Y-%m-%dT%H:%M:%SZ, so no
 * milliseconds.
 */
export function tufTime(ms: number): string {
    return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The schedule after an `up` at `nowMs`: each role keeps its version unless its content, key or
 * period changed, a role it lists got a new version, or it expires within the renewal window; then
 * it gets the next version and a fresh expiry. A new root body appends a root version; earlier ones
 * stay, because a client that bootstrapped from 1.root.json walks every version up to the newest.
 */
export function planTufSchedule(previous: TufSchedule | undefined, inputs: TufScheduleInputs, nowMs: number): TufSchedule {
    const expiresFrom = (days: number) => tufTime(nowMs + days * dayMs);
    const due = (r: RoleVersion) => Date.parse(r.expires) - nowMs < inputs.renewalDays * dayMs;
    const next = <R extends RoleVersion>(prev: R | undefined, unchanged: boolean, days: number) =>
        prev && unchanged && prev.days === days && !due(prev) ? prev : { version: (prev?.version ?? 0) + 1, expires: expiresFrom(days), days };

    const lastRoot = previous?.roots[previous.roots.length - 1];
    const root = next(lastRoot, lastRoot?.body === inputs.rootBody, inputs.expiryDays.root);
    const roots = root === lastRoot ? previous!.roots : [...(previous?.roots ?? []), { ...root, body: inputs.rootBody }];

    const t = previous?.targets;
    const targets = {
        ...next(t, t?.digest === inputs.targetsDigest && t?.keyId === inputs.keyIds.targets, inputs.expiryDays.targets),
        digest: inputs.targetsDigest,
        keyId: inputs.keyIds.targets,
    };
    const s = previous?.snapshot;
    const snapshot = {
        ...next(s, s?.targetsVersion === targets.version && s?.keyId === inputs.keyIds.snapshot, inputs.expiryDays.snapshot),
        targetsVersion: targets.version,
        keyId: inputs.keyIds.snapshot,
    };
    const ts = previous?.timestamp;
    const timestamp = {
        ...next(ts, ts?.snapshotVersion === snapshot.version && ts?.keyId === inputs.keyIds.timestamp, inputs.expiryDays.timestamp),
        snapshotVersion: snapshot.version,
        keyId: inputs.keyIds.timestamp,
    };
    return { roots, targets, snapshot, timestamp };
}

/** What clients are served now: each role's current version and expiry (the newest root's for the root). */
export function currentRoles(schedule: TufSchedule): Record<TufRoleName, { version: number; expires: string }> {
    const current = ({ version, expires }: RoleVersion) => ({ version, expires });
    return {
        root: current(schedule.roots[schedule.roots.length - 1]),
        targets: current(schedule.targets),
        snapshot: current(schedule.snapshot),
        timestamp: current(schedule.timestamp),
    };
}

/** The roles whose version the next `up` would change (for a preview's diff). */
export function tufScheduleChanges(previous: TufSchedule | undefined, inputs: TufScheduleInputs, nowMs: number): TufRoleName[] {
    const planned = planTufSchedule(previous, inputs, nowMs);
    if (!previous) return ["root", "targets", "snapshot", "timestamp"];
    const changed: TufRoleName[] = [];
    if (planned.roots.length !== previous.roots.length) changed.push("root");
    if (planned.targets.version !== previous.targets.version) changed.push("targets");
    if (planned.snapshot.version !== previous.snapshot.version) changed.push("snapshot");
    if (planned.timestamp.version !== previous.timestamp.version) changed.push("timestamp");
    return changed;
}
