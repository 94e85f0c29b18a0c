/**
 * The program evaluations the promise tests read, and plain lookups over what they registered.
 *
 * Every variant of tests/support/render.ts (dev, prod, Dex, external databases, mirror, backups, pod
 * createtree, no network policies, rotated prod) plus Fulcio's chained CA mode on both stacks, which
 * render.ts does not list but which generates a CA key, request and certificate of its own. Each is
 * evaluated once per mocha process, one after another (the Pulumi mocks are process-wide), and shared
 * by every file in this folder.
 *
 * Only the program's output is read (registrations, inputs, state): nothing here imports a
 * component, so the tests hold while the components are refactored.
 */
import * as assert from "node:assert/strict";
import { evaluateVariant, Variant, variants } from "../support/render";
import { Evaluation, RegisteredResource, stackConfig } from "../support/mocks";
import { Registration, registrations } from "../support/registrations";
import { privateKey, selfSignedCert } from "../support/tls-emulator";

/** Variants render.ts does not list; the enterprise root (caRootCert/caRootKey) is generated at evaluation. */
const chainedCa: Record<string, Variant> = {
    "dev-chained-ca": { stack: "dev", overrides: { caMode: "chained" } },
    "prod-chained-ca": { stack: "prod", overrides: { caMode: "chained" } },
};

/** render.ts's variants, in its order (the golden URN lists cover exactly these). */
export const renderVariantNames = Object.keys(variants);

/** Every variant the promises are checked on. */
export const promiseVariantNames = [...renderVariantNames, ...Object.keys(chainedCa)];

function variantNamed(name: string): Variant {
    const v = variants[name] ?? chainedCa[name];
    if (!v) throw new Error(`unknown variant ${name}`);
    return v;
}

/** A variant's config value as the CLI would hand it to the program (Pulumi.<stack>.yaml, overrides, defaults). */
export function configValue(name: string, key: string): string | undefined {
    const v = variantNamed(name);
    return stackConfig(v.stack, v.overrides).values[`sigstore:${key}`];
}

/** Whether the variant turns protectData on (prod). */
export function protectsData(name: string): boolean {
    return configValue(name, "protectData") === "true";
}

/** An enterprise root CA made like the tls provider makes keys and certificates (tests/support/tls-emulator.ts). */
async function enterpriseRoot(): Promise<Record<string, string>> {
    const key = privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const cert = await selfSignedCert(
        {
            privateKeyPem: key.privateKeyPem,
            subject: { organization: "Corp Example", commonName: "Corp Example Root CA" },
            isCaCertificate: true,
            allowedUses: ["cert_signing", "crl_signing"],
            validityPeriodHours: 20 * 365 * 24,
            setSubjectKeyId: true,
        },
        new Date(Date.UTC(2025, 0, 1)),
    );
    return { caRootCert: cert.certPem, caRootKey: key.privateKeyPem };
}

const memo = new Map<string, Promise<Evaluation>>();
let queue: Promise<unknown> = Promise.resolve();

/** The evaluation of a variant (memoised; evaluations never overlap). */
export function evaluated(name: string): Promise<Evaluation> {
    let ev = memo.get(name);
    if (!ev) {
        const run = async () => {
            const v = variantNamed(name);
            const overrides = chainedCa[name] ? { ...v.overrides, ...(await enterpriseRoot()) } : v.overrides;
            return evaluateVariant({ ...v, overrides });
        };
        ev = queue.then(run, run);
        queue = ev.catch(() => undefined);
        memo.set(name, ev);
    }
    return ev;
}

/** A registration with what the mock provider was given (inputs) and answered (state). */
export interface Registered extends Registration {
    inputs: Record<string, any>;
    state: Record<string, any>;
}

/** Every registration of an evaluation, joined with its inputs and state (by type and name, as render.ts does). */
export function registered(ev: Evaluation): Registered[] {
    return registrations(ev.cloud).map((r) => {
        const resource: RegisteredResource | undefined = ev.cloud.resources.find((x) => x.type === r.type && x.name === r.name);
        return { ...r, inputs: resource?.inputs ?? {}, state: resource?.state ?? {} };
    });
}

/** "Kind namespace/name" of a Kubernetes object as rendered, for messages. */
export function describeObject(r: { type: string; state: Record<string, any> }): string {
    return `${r.type.split(":").pop()} ${r.state.metadata?.namespace ?? ""}/${r.state.metadata?.name ?? "?"}`;
}

export const secretType = "kubernetes:core/v1:Secret";
export const configMapType = "kubernetes:core/v1:ConfigMap";

/** The keys of a Secret or ConfigMap as the kubelet projects them, key → text. */
export function objectFiles(obj: { type: string; state: Record<string, any> }): Record<string, string> {
    const base64 = (m: Record<string, string> | undefined) =>
        Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, Buffer.from(String(v), "base64").toString("utf8")]));
    const s = obj.state;
    // A ConfigMap's data is text; a Secret's data, and binaryData of either, are base64; stringData is text.
    const data = obj.type === configMapType ? { ...(s.data ?? {}) } : base64(s.data);
    return { ...data, ...base64(s.binaryData), ...(s.stringData ?? {}) };
}

/** Fails listing every problem at once (a promise broken in three places says so three times). */
export function assertNoProblems(title: string, problems: string[]): void {
    if (problems.length > 0) assert.fail(`${title}:\n  ${problems.join("\n  ")}`);
}
