/**
 * Promise: every reference resolves. A pod that names a Secret or ConfigMap the stack does not render,
 * or a key that object lacks, is admitted by the API server and then never starts (or, with an
 * optional ref, starts without the value): nothing before the cluster would notice.
 *
 * Checked on every variant, from the registered state (names as the provider answered them, so
 * auto-named objects resolve as they would in the cluster):
 *  - pods of every workload kind (policy/rules.ts podTemplateOf): env secretKeyRef/configMapKeyRef,
 *    envFrom secretRef/configMapRef, secret/configMap/projected volumes and their items' keys,
 *    persistentVolumeClaim claims, serviceAccountName and imagePullSecrets — each names an object of
 *    the pod's namespace, and a key that object has (data, stringData or binaryData);
 *  - other objects' SecretOrConfigMap selectors (a ServiceMonitor's tlsConfig CA), RoleBindings'
 *    Role and ServiceAccounts, and the admin Commands' *_CONFIGMAP variables (what createtree and
 *    freezetree read or write in NAMESPACE).
 *
 * `optional: true` exempts nothing: the program sets it nowhere, and an optional reference to a
 * missing object is exactly the silent failure this guards against (the pod starts without it).
 * Not checked: an Ingress's tls secretName, which names a Secret cert-manager issues
 * (ingressClusterIssuer) or an existing one from config (ingressTlsSecret), never one the stack renders.
 */
import * as assert from "node:assert/strict";
import { containersOf, volumeSources, Workload, workloads } from "./pods";
import { assertNoProblems, configMapType, describeObject, evaluated, objectFiles, promiseVariantNames, registered, Registered, secretType } from "./stacks";

const pvcType = "kubernetes:core/v1:PersistentVolumeClaim";
const serviceAccountType = "kubernetes:core/v1:ServiceAccount";
const roleType = "kubernetes:rbac.authorization.k8s.io/v1:Role";

/** A name (and perhaps key) that must resolve to an object of `type` in `namespace`. */
interface Reference {
    from: string;
    type: string;
    namespace: string;
    name: string;
    key?: string;
}

function envReferences(w: Workload, where: string, container: Record<string, any>): Reference[] {
    const refs: Reference[] = [];
    const ref = (type: string, r: any, what: string) => refs.push({ from: `${where} ${what}`, type, namespace: w.namespace, name: r.name, key: r.key });
    for (const e of container.env ?? []) {
        if (e.valueFrom?.secretKeyRef) ref(secretType, e.valueFrom.secretKeyRef, `env ${e.name} secretKeyRef`);
        if (e.valueFrom?.configMapKeyRef) ref(configMapType, e.valueFrom.configMapKeyRef, `env ${e.name} configMapKeyRef`);
    }
    for (const e of container.envFrom ?? []) {
        if (e.secretRef) ref(secretType, { name: e.secretRef.name }, "envFrom secretRef");
        if (e.configMapRef) ref(configMapType, { name: e.configMapRef.name }, "envFrom configMapRef");
    }
    return refs;
}

function volumeReferences(w: Workload, where: string): Reference[] {
    return (w.pod.volumes ?? []).flatMap((v: any): Reference[] => {
        const from = `${where} volume ${v.name}`;
        const objects = volumeSources(v).flatMap(([type, name, items]) =>
            items
                ? items.map((item) => ({ from: `${from} item ${item.path}`, type, namespace: w.namespace, name, key: item.key }))
                : [{ from, type, namespace: w.namespace, name }],
        );
        const claim = v.persistentVolumeClaim ? [{ from, type: pvcType, namespace: w.namespace, name: v.persistentVolumeClaim.claimName }] : [];
        return [...objects, ...claim];
    });
}

function podReferences(w: Workload): Reference[] {
    const where = describeObject(w.resource);
    const account = w.pod.serviceAccountName
        ? [{ from: `${where} serviceAccountName`, type: serviceAccountType, namespace: w.namespace, name: w.pod.serviceAccountName }]
        : [];
    const pullSecrets = (w.pod.imagePullSecrets ?? []).map((s: any) => ({
        from: `${where} imagePullSecrets`,
        type: secretType,
        namespace: w.namespace,
        name: s.name,
    }));
    return [
        ...containersOf(w.pod).flatMap((c) => envReferences(w, `${where} container ${c.name}`, c)),
        ...volumeReferences(w, where),
        ...account,
        ...pullSecrets,
    ];
}

/** SecretOrConfigMap selectors ({ configMap: { name, key } } / { secret: { name, key } }) anywhere in a non-workload object. */
function selectorReferences(r: Registered): Reference[] {
    const namespace = r.state.metadata?.namespace ?? "";
    const refs: Reference[] = [];
    const walk = (node: any, at: string) => {
        if (!node || typeof node !== "object") return;
        for (const [field, type] of [
            ["configMap", configMapType],
            ["secret", secretType],
        ] as const) {
            const sel = node[field];
            if (sel && typeof sel.name === "string" && typeof sel.key === "string")
                refs.push({ from: `${describeObject(r)} ${at}.${field}`, type, namespace, name: sel.name, key: sel.key });
        }
        for (const [k, v] of Object.entries(node)) walk(v, `${at}.${k}`);
    };
    walk(r.state.spec, "spec");
    return refs;
}

function roleBindingReferences(r: Registered): Reference[] {
    const namespace = r.state.metadata?.namespace ?? "";
    const role = r.state.roleRef?.kind === "Role" ? [{ from: `${describeObject(r)} roleRef`, type: roleType, namespace, name: r.state.roleRef.name }] : [];
    const accounts = (r.state.subjects ?? [])
        .filter((s: any) => s.kind === "ServiceAccount")
        .map((s: any) => ({ from: `${describeObject(r)} subject`, type: serviceAccountType, namespace: s.namespace ?? namespace, name: s.name }));
    return [...role, ...accounts];
}

/** The admin Commands run kubectl in NAMESPACE on the ConfigMaps their *_CONFIGMAP variables name. */
function commandReferences(r: Registered): Reference[] {
    const env: Record<string, string> = r.state.environment ?? {};
    return Object.entries(env)
        .filter(([k]) => k.endsWith("_CONFIGMAP"))
        .map(([k, name]) => ({ from: `Command ${r.name} ${k}`, type: configMapType, namespace: env.NAMESPACE ?? "", name }));
}

function references(regs: Registered[]): Reference[] {
    const pods = workloads(regs);
    const others = regs.filter((r) => r.type.startsWith("kubernetes:") && !pods.some((w) => w.resource === r));
    return [
        ...pods.flatMap(podReferences),
        ...others.flatMap(selectorReferences),
        ...regs.filter((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").flatMap(roleBindingReferences),
        ...regs.filter((r) => r.type === "command:local:Command").flatMap(commandReferences),
    ];
}

function unresolved(regs: Registered[], ref: Reference): string | undefined {
    const kind = ref.type.split(":").pop();
    const candidates = regs.filter((r) => r.type === ref.type && r.state.metadata?.name === ref.name);
    const target = candidates.find((r) => (r.state.metadata?.namespace ?? "") === ref.namespace);
    if (!target) {
        const elsewhere = candidates.map((c) => c.state.metadata?.namespace).join(", ");
        return `${ref.from}: no ${kind} "${ref.name}" in namespace "${ref.namespace}"${elsewhere ? ` (only in: ${elsewhere})` : ""}`;
    }
    if (ref.key === undefined) return undefined;
    const keys = Object.keys(objectFiles(target));
    return keys.includes(ref.key) ? undefined : `${ref.from}: ${kind} ${ref.namespace}/${ref.name} has no key "${ref.key}" (it has: ${keys.join(", ")})`;
}

describe("promise: every reference resolves", function () {
    this.timeout(600_000);

    for (const name of promiseVariantNames) {
        it(`${name}: every object a pod or object names exists in its namespace, with the key named`, async () => {
            const regs = registered(await evaluated(name));
            const refs = references(regs);
            // Not vacuous: Trillian reads its database password through a secretKeyRef in every variant.
            assert.ok(
                refs.some((r) => r.type === secretType && r.key !== undefined),
                `${name}: found no secretKeyRef among ${refs.length} references`,
            );
            assertNoProblems(
                name,
                refs.map((ref) => unresolved(regs, ref)).filter((p): p is string => p !== undefined),
            );
        });
    }
});
