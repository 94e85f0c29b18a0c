/**
 * Renders what the program registers for each committed stack and the variants the tests exercise
 * (Dex, external database, registry mirror, backups, the rotations, the CA modes), as one canonical
 * JSON document: every resource's type, name, URN, parent, options and inputs, plus the stack's
 * outputs. A refactor proves it changed nothing by rendering before and after and diffing:
 *
 *   npx ts-node --transpile-only tests/support/render.ts > /tmp/before.json
 *   … refactor …
 *   npx ts-node --transpile-only tests/support/render.ts > /tmp/after.json && diff /tmp/before.json /tmp/after.json
 *
 * Key material differs on every run (the tls emulator makes real keys, ECDSA signatures are
 * randomised), so PEM blocks, long base64 runs and SHA-256 hex digests are replaced by placeholders
 * numbered in order of first appearance: two runs of unchanged code print identical text, and a
 * moved key (e.g. a server given the CA's key) still shows as a different placeholder number. TUF
 * targets' lengths are masked too, and Ed25519 keys are seeded by resource name (TUF orders keys by ID).
 */
import { dexOverrides } from "./dex-stack";
import { evaluateRecorded, januaryDay, registrations } from "./registrations";
import { Evaluation, rekorV1Overrides, StackState } from "./mocks";

export interface Variant {
    stack: string;
    /** As `pulumi config set`; undefined removes a key the stack file sets (`pulumi config rm`). */
    overrides?: Record<string, string | undefined>;
    /** Evaluated once on day 1, then again on the same state on day 20 with these (a rotation). */
    rotate?: Record<string, string>;
}

export const externalDatabaseOverrides: Record<string, string> = {
    databaseMode: "external",
    databaseHost: "db.corp.example",
    databasePassword: "Ext3rnalDbPassw0rd",
    databaseEgressCidrs: "10.20.30.40/32",
};

/** The variants, by name; the golden URN lists and the reference checks cover the same set. */
export const variants: Record<string, Variant> = {
    dev: { stack: "dev" },
    prod: { stack: "prod" },
    "dev-dex": { stack: "dev", overrides: dexOverrides },
    "dev-external-database": { stack: "dev", overrides: externalDatabaseOverrides },
    "dev-external-postgresql": { stack: "dev", overrides: { ...externalDatabaseOverrides, databaseEngine: "postgresql" } },
    "dev-mirror": { stack: "dev", overrides: { imageRegistry: "registry.corp.example/sigstore" } },
    "dev-backups": { stack: "dev", overrides: { backupSchedule: "@daily" } },
    "dev-pod-createtree": { stack: "dev", overrides: { createtreeMode: "pod", createtreeImage: "registry.corp.example/trillian-admin:v1.7.3" } },
    "dev-no-network-policies": { stack: "dev", overrides: { networkPolicies: "false" } },
    "prod-dex": { stack: "prod", overrides: dexOverrides },
    "prod-rotated": { stack: "prod", rotate: { fulcioCaGeneration: "2", rekorKeyGeneration: "2", ctlogKeyGeneration: "2", tsaGeneration: "2" } },
    "dev-no-tsa": { stack: "dev", overrides: { ...rekorV1Overrides, timestampAuthority: "false" } },
    "dev-rekor-v1": { stack: "dev", overrides: rekorV1Overrides },
    "dev-rekor-v2-rotated": { stack: "dev", overrides: { ingressClassName: "nginx" }, rotate: { rekorKeyGeneration: "3", rekorV1AfterMigration: "stopped" } },
    "dev-tsa-ntp": { stack: "dev", overrides: { tsaNtpServers: "ntp1.corp.example,10.0.0.124", tsaNtpEgressCidrs: "10.0.0.123/31" } },
};

export async function evaluateVariant(variant: Variant): Promise<Evaluation> {
    const state: StackState = new Map();
    // Seeded Ed25519 keys: the TUF files order keys by their IDs, which random keys would reorder run to run.
    const first = await evaluateRecorded({ stack: variant.stack, overrides: variant.overrides, state, hooks: { now: januaryDay(1), seededEd25519Keys: true } });
    if (!variant.rotate) return first;
    return evaluateRecorded({
        stack: variant.stack,
        overrides: { ...variant.overrides, ...variant.rotate },
        state,
        hooks: { now: januaryDay(20), seededEd25519Keys: true },
    });
}

function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
        );
    }
    return value;
}

/** Replaces run-dependent key material by numbered placeholders (see the header). */
export function normalise(text: string): string {
    const seen = new Map<string, string>();
    const placeholder = (kind: string, material: string) => {
        if (!seen.has(material)) seen.set(material, `<${kind} #${seen.size + 1}>`);
        return seen.get(material)!;
    };
    return (
        text
            .replace(/-----BEGIN ([A-Z0-9 ]+)-----(\\n|\n|[A-Za-z0-9+/=:,\- ])+?-----END \1-----/g, (m, kind) => placeholder(`PEM ${kind}`, m))
            .replace(/[A-Za-z0-9+/]{40,}={0,2}/g, (m) => placeholder("BASE64", m))
            .replace(/\b[0-9a-f]{64}\b/g, (m) => placeholder("SHA256", m))
            // A TUF target's length is the trusted root's, whose DER signatures vary by a byte run to run.
            .replace(/\\"length\\": \d+/g, '\\"length\\": <LENGTH>')
    );
}

export async function render(name: string, variant: Variant): Promise<string> {
    const ev = await evaluateVariant(variant);
    const resources = registrations(ev.cloud).map((r) => {
        const inputs = ev.cloud.resources.find((x) => x.type === r.type && x.name === r.name)?.inputs;
        return { ...r, dependencies: [...r.dependencies].sort(), inputs };
    });
    resources.sort((a, b) => a.urn.localeCompare(b.urn));
    return normalise(JSON.stringify(sortKeys({ variant: name, resources, outputs: ev.outputs }), null, 1));
}

if (require.main === module) {
    (async () => {
        const only = process.argv.slice(2);
        for (const [name, variant] of Object.entries(variants)) {
            if (only.length > 0 && !only.includes(name)) continue;
            process.stdout.write((await render(name, variant)) + "\n");
        }
    })().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
