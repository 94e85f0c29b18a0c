/**
 * What the tests of the whole program (index.ts) share: the per-stack suite (dev and prod, one
 * evaluation per stack for every file, memoised by evaluateStack) and helpers that read a recorded
 * evaluation: its Kubernetes objects, containers, Commands and URNs.
 */
import * as assert from "node:assert/strict";
import { podSpecOf } from "../../policy/rules";
import { Evaluation, RegisteredResource } from "./mocks";
import { evaluateStack, registration, Registration, registrations } from "./registrations";

export const providerType = "pulumi:providers:kubernetes";

export const stacks = ["dev", "prod"] as const;
export type Stack = (typeof stacks)[number];

export interface StackSuite {
    stack: Stack;
    prod: boolean;
    /** The stack's plain evaluation (shared by every file) and its registrations; call it in a before hook. */
    evaluation: () => Promise<{ ev: Evaluation; regs: Registration[] }>;
}

/**
 * `describe("program (<stack> stack)")` for the dev and the prod stack, the suite every per-stack test
 * of the program lives in (whichever file it is in). `body` declares the tests, reading the
 * evaluation it gets in its own before hook:
 *
 *     describeEachStack(({ prod, evaluation }) => {
 *         let ev: Evaluation;
 *         before(async () => ({ ev } = await evaluation()));
 *         it(...);
 *     });
 */
export function describeEachStack(body: (suite: StackSuite) => void): void {
    for (const stack of stacks) {
        describe(`program (${stack} stack)`, () => {
            body({
                stack,
                prod: stack === "prod",
                evaluation: async () => {
                    const ev = await evaluateStack(stack);
                    return { ev, regs: registrations(ev.cloud) };
                },
            });
        });
    }
}

// ---- helpers over a recorded evaluation ----

export function kubeObjects(ev: Evaluation): RegisteredResource[] {
    return ev.cloud.resources.filter((r) => r.type.startsWith("kubernetes:"));
}

/** kubernetes:<group>/<version>:<Kind> → the kubernetes-models class for it. */
export function modelFor(type: string): { new (data: unknown): { validate(): void } } {
    const m = /^kubernetes:([^:]+):(\w+)$/.exec(type);
    assert.ok(m, `not a Kubernetes type token: ${type}`);
    const [groupVersion, kind] = [m[1], m[2]];
    const dir = groupVersion.startsWith("core/") ? groupVersion.slice("core/".length) : groupVersion;
    // Prometheus Operator kinds come from their maintained models; everything else from kubernetes-models.
    const pkg = groupVersion.startsWith("monitoring.coreos.com/") ? "@kubernetes-models/prometheus-operator" : "kubernetes-models";
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the model class's module is named at run time
    const cls = require(`${pkg}/${dir}/${kind}`)[kind];
    assert.ok(cls, `kubernetes-models has no ${dir}/${kind}`);
    return cls;
}

interface PodOwner {
    resource: RegisteredResource;
    pod: any;
}

/** Every workload's pod spec, whatever its kind (CronJobs included: the policy pack's reading). */
function podSpecs(ev: Evaluation): PodOwner[] {
    return kubeObjects(ev)
        .map((resource) => ({ resource, pod: podSpecOf(resource.type, resource.inputs) }))
        .filter((o) => o.pod);
}

export function containers(ev: Evaluation): Array<{ resource: RegisteredResource; container: any }> {
    return podSpecs(ev).flatMap(({ resource, pod }) =>
        [...(pod.initContainers ?? []), ...(pod.containers ?? [])].map((container: any) => ({ resource, container })),
    );
}

/** The one container running `upstream`'s image (in `workload`, where several workloads run it: nginx-unprivileged). */
export function workloadOf(ev: Evaluation, upstream: string, workload?: string): { resource: RegisteredResource; container: any } {
    const repo = upstream.slice(upstream.indexOf("/") + 1, upstream.lastIndexOf(":"));
    const found = containers(ev).filter(
        ({ resource, container }) =>
            (workload === undefined || resource.name === workload) &&
            (String(container.image).includes(`/${repo}:`) || String(container.image).includes(`/${repo}@`)),
    );
    assert.equal(found.length, 1, `expected one container running ${repo}, found ${found.map((f) => f.resource.name).join(", ")}`);
    return found[0];
}

/** The local Command (createtree, freeze) named `name`. */
export function command(ev: Evaluation, name: string): RegisteredResource {
    return ev.cloud.one("command:local:Command", name);
}

/** The URN the resource of that type and name was registered with. */
export function urnOf(ev: Evaluation, type: string, name: string): string {
    return registration(ev.cloud, type, name).urn;
}
