/**
 * The whole program (index.ts) under Pulumi's mocks, for the dev and prod stacks: the components and
 * their naming, every child parented to its component, one explicit Kubernetes provider.
 */
import * as assert from "node:assert/strict";
import { Evaluation } from "../support/mocks";
import { describeEachStack, providerType } from "../support/program";
import { Registration } from "../support/registrations";

/** The five Sigstore components and the rooms new capabilities got (NetworkIsolation, InternalTls, Monitoring, backups, the timestamp authority). */
const components = {
    Database: "database",
    Trillian: "trillian",
    Rekor: "rekor",
    Fulcio: "fulcio",
    CtLog: "ctlog",
    NetworkIsolation: "network",
    InternalTls: "internal-tls",
    Monitoring: "monitoring",
    DatabaseBackup: "backup",
    TimestampAuthority: "tsa",
    TufRepository: "tuf",
    RekorV2: "rekor-v2",
    RekorV2Backup: "rekor-v2-backup",
} as const;
/** Components a stack has only when a setting asks for them (internalTls, monitoring: on in prod; Rekor v2 in dev). */
const optionalComponents: Record<string, (stack: string) => boolean> = {
    RekorV2: (stack) => stack === "dev",
    // Only with backupSchedule and Rekor v2: neither committed stack has both (tests/components/rekor-v2-backup.test.ts).
    RekorV2Backup: () => false,
    InternalTls: (stack) => stack === "prod",
    Monitoring: (stack) => stack === "prod",
    DatabaseBackup: (stack) => stack === "prod",
};

/** The component a child's name starts with; the longest match (rekor-v2-… belongs to rekor-v2, not rekor). */
function componentOf(name: string): string | undefined {
    return Object.values(components)
        .filter((c) => name.startsWith(`${c}-`))
        .sort((a, b) => b.length - a.length)[0];
}

describeEachStack(({ stack, evaluation }) => {
    let ev: Evaluation;
    let regs: Registration[];
    before(async () => {
        ({ ev, regs } = await evaluation());
    });

    it("registers the five components (and NetworkIsolation and TimestampAuthority; InternalTls, Monitoring and DatabaseBackup in prod) with type tokens sigstore:index:<Component>", () => {
        const found = regs
            .filter((r) => r.type.startsWith("sigstore:"))
            .map((r) => `${r.type} ${r.name}`)
            .sort();
        const expected = Object.entries(components).filter(([type]) => optionalComponents[type]?.(stack) ?? true);
        assert.deepEqual(found, expected.map(([type, name]) => `sigstore:index:${type} ${name}`).sort());
        for (const r of regs.filter((x) => x.type.startsWith("sigstore:"))) assert.equal(r.custom, false, `${r.name} is a component`);
    });

    it("names every child resource `${component}-<role>`", () => {
        const topLevel = new Set([
            `${providerType} cluster`,
            "kubernetes:core/v1:Namespace namespace",
            ...Object.entries(components).map(([t, n]) => `sigstore:index:${t} ${n}`),
        ]);
        const children = ev.cloud.resources.filter((r) => !topLevel.has(`${r.type} ${r.name}`));
        assert.ok(children.length > 30);
        for (const r of children) assert.ok(componentOf(r.name), `${r.type} "${r.name}" is not named after a component`);
        // Every component has children.
        for (const [type, c] of Object.entries(components)) {
            if (optionalComponents[type]?.(stack) ?? true)
                assert.ok(
                    children.some((r) => componentOf(r.name) === c),
                    `${c} has no children`,
                );
        }
    });

    it("parents every child to the component its name belongs to", () => {
        const componentUrn = new Map(regs.filter((r) => r.type.startsWith("sigstore:")).map((r) => [r.name, r.urn]));
        for (const r of regs) {
            if (r.type.startsWith("sigstore:") || r.type === providerType || (r.type === "kubernetes:core/v1:Namespace" && r.name === "namespace")) {
                assert.equal(r.parent, "", `${r.name} is top-level`);
                continue;
            }
            const component = componentOf(r.name);
            assert.ok(component, `${r.name} is not named after a component`);
            assert.equal(r.parent, componentUrn.get(component), `${r.type} ${r.name} must have { parent: this } of ${component}`);
        }
    });

    it("uses exactly one, explicit Kubernetes provider for every Kubernetes resource", () => {
        const providers = regs.filter((r) => r.type.startsWith("pulumi:providers:"));
        assert.deepEqual(
            providers.map((p) => `${p.type} ${p.name}`),
            [`${providerType} cluster`],
        );
        const ref = `${providers[0].urn}::`;
        const kube = regs.filter((r) => r.type.startsWith("kubernetes:"));
        assert.ok(kube.length > 20);
        for (const r of kube) assert.ok(r.provider.startsWith(ref), `${r.type} ${r.name} uses provider ${JSON.stringify(r.provider)}, not ${ref}<id>`);
        assert.deepEqual(
            ev.cloud.one(providerType, "cluster").inputs,
            { enableServerSideApply: "true" },
            "no kubeconfig/context set in the stack: the ambient one",
        );
    });
});
