/**
 * Records what mocks.ts does not: the resource options of every registration (parent URN, provider
 * reference, protect, retainOnDelete, ignoreChanges, dependencies) and which input properties
 * arrived as secrets. Pulumi's MockMonitor receives all of these in the RegisterResourceRequest but
 * only passes type/name/inputs/provider on to the mocks, so this wraps MockMonitor.registerResource
 * (once, process-wide; it only observes) and files each record under the MockCloud that served it.
 *
 * Usage: `installRegistrationRecorder()` before `evaluate(...)`, then `registrations(ev.cloud)`.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { evaluate, EvaluateOptions, Evaluation, MockCloud } from "./mocks";

export interface Registration {
    type: string;
    name: string;
    urn: string;
    /** Parent URN; "" for resources without a parent (the stack itself is not registered under mocks). */
    parent: string;
    /** Provider reference "<provider urn>::<id>"; "" when the default provider would be used. */
    provider: string;
    custom: boolean;
    protect: boolean;
    retainOnDelete: boolean;
    ignoreChanges: string[];
    /** URNs this resource depends on (explicit dependsOn plus input dependencies). */
    dependencies: string[];
    /** Property paths whose value arrived wrapped as a secret, e.g. ".stringData". */
    secretInputPaths: string[];
}

/**
 * An alias as the RegisterResourceRequest carried it. Under mocks this SDK (3.248.0) announces alias
 * specs (setMocks turns supportsAliasSpecs on), so `aliases: [{ name: "old" }]` arrives as a spec whose
 * empty fields mean "the same as the resource's"; a plain URN string alias arrives as `urn`. Legacy
 * alias URNs (getAliasurnsList, for monitors without alias specs) are recorded as `urn` too.
 */
export type RecordedAlias = { urn: string } | { spec: { name: string; type: string; stack: string; project: string; parentUrn: string; noParent: boolean } };

const recorded = new WeakMap<object, Registration[]>();
/** Kept beside, not inside, each Registration: render.ts prints Registrations whole, and its output must not change. */
const recordedAliases = new WeakMap<Registration, RecordedAlias[]>();
const installedFlag = Symbol.for("sigstore-tests.registration-recorder");

const secretSigKey = "4dabf18193072939515e22adb298388d";
const secretSig = "1b47061264138c4ac30d75fd1eb44270";

function secretPaths(value: any, path: string, out: string[]): void {
    if (Array.isArray(value)) {
        value.forEach((v, i) => secretPaths(v, `${path}[${i}]`, out));
    } else if (value && typeof value === "object") {
        if (value[secretSigKey] === secretSig) {
            out.push(path);
            return;
        }
        for (const [k, v] of Object.entries(value)) secretPaths(v, `${path}.${k}`, out);
    }
}

export function installRegistrationRecorder(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- patches Pulumi's internal mock monitor, which its published types do not export
    const mocksModule = require("@pulumi/pulumi/runtime/mocks");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- Pulumi's internal property (de)serialisation, not in its published types
    const rpc = require("@pulumi/pulumi/runtime/rpc");
    const proto = mocksModule.MockMonitor.prototype;
    if (proto[installedFlag]) return;
    const original = proto.registerResource;
    proto.registerResource = function (this: any, req: any, callback: (err: any, resp: any) => void) {
        const record: Registration = {
            type: req.getType(),
            name: req.getName(),
            urn: "",
            parent: req.getParent() ?? "",
            provider: req.getProvider() ?? "",
            custom: req.getCustom(),
            protect: Boolean(req.getProtect()),
            retainOnDelete: Boolean(req.getRetainondelete()),
            ignoreChanges: [...req.getIgnorechangesList()],
            dependencies: [...req.getDependenciesList()],
            secretInputPaths: [],
        };
        try {
            secretPaths(rpc.deserializeProperties(req.getObject()), "", record.secretInputPaths);
        } catch {
            // Observing only: never break the registration itself.
        }
        try {
            recordedAliases.set(record, aliasesOfRequest(req));
        } catch {
            // Observing only, as above.
        }
        const list = recorded.get(this.mocks) ?? [];
        list.push(record);
        recorded.set(this.mocks, list);
        return original.call(this, req, (err: any, resp: any) => {
            if (!err && resp) record.urn = resp.getUrn();
            callback(err, resp);
        });
    };
    proto[installedFlag] = true;
}

function aliasesOfRequest(req: any): RecordedAlias[] {
    const aliases: RecordedAlias[] = (req.getAliasurnsList?.() ?? []).map((urn: string) => ({ urn }));
    for (const alias of req.getAliasesList?.() ?? []) {
        if (!alias.hasSpec()) {
            aliases.push({ urn: alias.getUrn() });
            continue;
        }
        const s = alias.getSpec();
        aliases.push({
            spec: {
                name: s.getName(),
                type: s.getType(),
                stack: s.getStack(),
                project: s.getProject(),
                parentUrn: s.getParenturn(),
                noParent: s.getNoparent(),
            },
        });
    }
    return aliases;
}

/** The aliases a registration carried (resource option `aliases`), as recorded from its request. */
export function aliasesOf(registration: Registration): RecordedAlias[] {
    return recordedAliases.get(registration) ?? [];
}

export function registrations(cloud: MockCloud): Registration[] {
    const list = recorded.get(cloud);
    if (!list) throw new Error("no registrations recorded for this evaluation: call installRegistrationRecorder() before evaluate()");
    return list;
}

export function registration(cloud: MockCloud, type: string, name: string): Registration {
    const found = registrations(cloud).find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no registration of ${type} named ${name}`);
    return found;
}

/** Evaluates with the recorder installed. */
export async function evaluateRecorded(options: EvaluateOptions): Promise<Evaluation> {
    installRegistrationRecorder();
    return evaluate(options);
}

/** A UTC noon of January 2026, as the mocks' clock. */
export const januaryDay = (d: number) => () => new Date(Date.UTC(2026, 0, d, 12));

/**
 * A rotation on the prod stack: evaluated on 1 January, then on the same state on 20 January with
 * `overrides` (e.g. a raised generation), as two `up`s would be; both with `base` (e.g. prod moved to Rekor v2).
 */
export async function evaluateRotation(
    overrides: Record<string, string>,
    base: Record<string, string> = {},
): Promise<{ first: Evaluation; rotated: Evaluation }> {
    const state = new Map();
    const first = await evaluateRecorded({ stack: "prod", state, hooks: { now: januaryDay(1) }, overrides: base });
    const rotated = await evaluateRecorded({ stack: "prod", state, hooks: { now: januaryDay(20) }, overrides: { ...base, ...overrides } });
    return { first, rotated };
}

/**
 * What the Kubernetes provider would replace between two evaluations: auto-named (no metadata.name)
 * Secrets and ConfigMaps whose data changed. pulumi-kubernetes v4 replaces those rather than update
 * them (the cluster suite saw it: "replace [diff: ~data]"), and a protected one fails the `up`.
 */
export function replacedByProvider(before: Evaluation, after: Evaluation): Registration[] {
    const dataOf = (ev: Evaluation, type: string, name: string) => {
        const r = ev.cloud.resources.find((x) => x.type === type && x.name === name);
        return r && JSON.stringify([r.inputs.data, r.inputs.stringData]);
    };
    return registrations(after.cloud).filter(
        (r) =>
            (r.type === "kubernetes:core/v1:Secret" || r.type === "kubernetes:core/v1:ConfigMap") &&
            !after.cloud.resources.find((x) => x.type === r.type && x.name === r.name)!.inputs.metadata?.name &&
            dataOf(before, r.type, r.name) !== undefined &&
            dataOf(before, r.type, r.name) !== dataOf(after, r.type, r.name),
    );
}

/**
 * Runs an evaluation that is expected to fail inside the Pulumi runtime. A failed resource
 * registration surfaces as unhandled promise rejections (that is how the real language host reports
 * it too) and leaves evaluate() pending forever, so this collects those rejections while the
 * evaluation runs and returns them, with evaluate()'s own outcome if it settled.
 */
export async function evaluateExpectingFailure(
    options: EvaluateOptions,
    timeoutMs = 20_000,
): Promise<{
    settled: "resolved" | "rejected" | "pending";
    errors: Error[];
    evaluation?: Evaluation;
}> {
    installRegistrationRecorder();
    const saved = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    const errors: Error[] = [];
    const onUnhandled = (reason: unknown) => {
        errors.push(reason instanceof Error ? reason : new Error(String(reason)));
    };
    process.on("unhandledRejection", onUnhandled);
    let settled: "resolved" | "rejected" | "pending" = "pending";
    let evaluation: Evaluation | undefined;
    try {
        const run = evaluate(options).then(
            (ev) => {
                settled = "resolved";
                evaluation = ev;
            },
            (err) => {
                settled = "rejected";
                errors.push(err instanceof Error ? err : new Error(String(err)));
            },
        );
        const deadline = Date.now() + timeoutMs;
        const failedOrDone = new Promise<void>((resolve) => {
            const timer = setInterval(() => {
                if (settled !== "pending" || errors.length > 0 || Date.now() > deadline) {
                    clearInterval(timer);
                    resolve();
                }
            }, 20);
        });
        await Promise.race([run, failedOrDone]);
        // Let the sibling registrations that fail for the same reason report too.
        await new Promise((r) => setTimeout(r, 300));
    } finally {
        process.removeListener("unhandledRejection", onUnhandled);
        for (const listener of saved) process.on("unhandledRejection", listener as (...args: any[]) => void);
    }
    return { settled, errors, evaluation };
}

/** A memo for the plain stack evaluations several test files read without changing anything. */
const plainEvaluations = new Map<string, Promise<Evaluation>>();
export function evaluateStack(stack: string): Promise<Evaluation> {
    let ev = plainEvaluations.get(stack);
    if (!ev) {
        ev = evaluateRecorded({ stack });
        plainEvaluations.set(stack, ev);
        ev.catch(() => plainEvaluations.delete(stack));
    }
    return ev;
}

/** Whether an exported value is a secret Output. */
export async function exportIsSecret(value: unknown): Promise<boolean> {
    return pulumi.Output.isInstance(value) ? pulumi.isSecret(value) : false;
}

/**
 * A rotation kept what it must and added what it must: `kept` were not created again, `added` were
 * created and are protected (the rotation tests of every generation-numbered key).
 */
export function assertRotated(rotated: Evaluation, kept: string[], added: string[]): void {
    const created = (name: string) => rotated.cloud.created.some((k) => k.endsWith(`::${name}`));
    for (const name of kept) assert.ok(!created(name), `${name} was re-created`);
    for (const name of added) {
        assert.ok(created(name), `${name} was not created`);
        assert.ok(registrations(rotated.cloud).find((r) => r.name === name)?.protect, `${name} is not protected`);
    }
}
