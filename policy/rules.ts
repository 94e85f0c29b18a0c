/**
 * The security baseline of a Sigstore deployment, as Pulumi policies (CrossGuard). Every rule is
 * mandatory: a violation stops `pulumi preview --policy-pack policy` / `pulumi up --policy-pack policy`.
 *
 * Resource rules look at one Kubernetes object; stack rules at all of them (a PodDisruptionBudget
 * for every multi-replica workload, a default-deny NetworkPolicy in every namespace with pods).
 * They read plain objects only, so tests/policy.test.ts calls them directly on good and bad objects
 * and on every object both stacks render.
 */
import { PolicyResource, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

type Obj = Record<string, any>;

const workloadKinds = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"];

/** kubernetes:<group>/<version>:<Kind> → Kind, or undefined for anything else. */
export function kindOf(type: string): string | undefined {
    return /^kubernetes:[^:]+:(\w+)$/.exec(type)?.[1];
}

/** The pod template (metadata and spec) of a workload of any kind; a Pod is its own. */
export function podTemplateOf(type: string, props: Obj): Obj | undefined {
    const kind = kindOf(type);
    if (!kind || !workloadKinds.includes(kind)) return undefined;
    if (kind === "Pod") return props;
    if (kind === "CronJob") return props.spec?.jobTemplate?.spec?.template;
    return props.spec?.template;
}

/** The pod spec inside a workload of any kind. */
export function podSpecOf(type: string, props: Obj): Obj | undefined {
    return podTemplateOf(type, props)?.spec;
}

function containersOf(pod: Obj): Obj[] {
    return [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
}

/** Runs `check` on every container of a workload with the pod spec, reporting per container. */
function eachContainer(check: (pod: Obj, c: Obj) => string | undefined) {
    return (args: { type: string; props: Obj }, report: ReportViolation) => {
        const pod = podSpecOf(args.type, args.props);
        if (!pod) return;
        for (const c of containersOf(pod)) {
            const problem = check(pod, c);
            if (problem) report(`container "${c.name}": ${problem}`);
        }
    };
}

const nonRoot: ResourceValidationPolicy = {
    name: "pods-run-as-non-root",
    description: "Every container runs as a non-root user (runAsNonRoot, and never UID 0).",
    enforcementLevel: "mandatory",
    validateResource: eachContainer((pod, c) => {
        const runAsNonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
        const uid = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
        if (runAsNonRoot !== true) return "runAsNonRoot must be true (pod or container securityContext)";
        if (uid === 0) return "runAsUser must not be 0";
        return undefined;
    }),
};

const noEscalation: ResourceValidationPolicy = {
    name: "no-privilege-escalation",
    description: "No container is privileged or may gain privileges (allowPrivilegeEscalation: false).",
    enforcementLevel: "mandatory",
    validateResource: eachContainer((_pod, c) => {
        if (c.securityContext?.privileged === true) return "must not be privileged";
        if (c.securityContext?.allowPrivilegeEscalation !== false) return "allowPrivilegeEscalation must be false";
        return undefined;
    }),
};

const dropCapabilities: ResourceValidationPolicy = {
    name: "capabilities-dropped",
    description: "Every container drops all Linux capabilities and adds none.",
    enforcementLevel: "mandatory",
    validateResource: eachContainer((_pod, c) => {
        const caps = c.securityContext?.capabilities ?? {};
        if (!(caps.drop ?? []).includes("ALL")) return 'capabilities.drop must include "ALL"';
        if ((caps.add ?? []).length > 0) return `capabilities.add must be empty, is ${JSON.stringify(caps.add)}`;
        return undefined;
    }),
};

const seccomp: ResourceValidationPolicy = {
    name: "seccomp-runtime-default",
    description: "Every container runs under the RuntimeDefault (or a Localhost) seccomp profile.",
    enforcementLevel: "mandatory",
    validateResource: eachContainer((pod, c) => {
        const type = c.securityContext?.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
        return type === "RuntimeDefault" || type === "Localhost" ? undefined : `seccompProfile.type must be RuntimeDefault, is ${JSON.stringify(type)}`;
    }),
};

const readOnlyRoot: ResourceValidationPolicy = {
    name: "read-only-root-filesystem",
    description: "Every container's root filesystem is read-only (writable paths are volumes).",
    enforcementLevel: "mandatory",
    validateResource: eachContainer((_pod, c) => (c.securityContext?.readOnlyRootFilesystem === true ? undefined : "readOnlyRootFilesystem must be true")),
};

const limits: ResourceValidationPolicy = {
    name: "resource-requests-and-limits",
    description: "Every container requests and limits CPU and memory.",
    enforcementLevel: "mandatory",
    validateResource: eachContainer((_pod, c) => {
        const missing = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"].filter((path) => {
            const [a, b] = path.split(".");
            return c.resources?.[a]?.[b] === undefined;
        });
        return missing.length ? `resources must set ${missing.join(", ")}` : undefined;
    }),
};

/** A tag other than "latest", or a digest. */
export function imageProblem(image: unknown): string | undefined {
    if (typeof image !== "string" || image === "") return "has no image";
    if (/@sha256:[a-f0-9]{64}$/.test(image)) return undefined;
    const lastSegment = image.slice(image.lastIndexOf("/") + 1);
    const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : undefined;
    if (tag === undefined) return `image "${image}" is not pinned: give a version tag or @sha256 digest`;
    if (tag === "latest") return `image "${image}" uses :latest: give a version tag or @sha256 digest`;
    return undefined;
}

const pinnedImages: ResourceValidationPolicy = {
    name: "pinned-images",
    description: "Every image is pinned to a version tag or digest; never :latest or untagged.",
    enforcementLevel: "mandatory",
    validateResource: eachContainer((_pod, c) => imageProblem(c.image)),
};

/**
 * Secret material in plain text: private keys, and credentials written into a value instead of read
 * from a Secret (a `$(VAR)` reference to an env var from a Secret is how it should look).
 */
export function secretMaterial(text: string): string | undefined {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return "a PEM private key";
    if (/Proc-Type: 4,ENCRYPTED/.test(text)) return "an encrypted PEM private key";
    const credential = /(passw(or)?d|passwd|secret|token|pin)["']?\s*[=:]\s*["']?(?!\$\()([^\s"',&}]+)/i.exec(text);
    if (credential) return `a credential (${credential[1]}=…)`;
    const userinfo = /\/\/[^/\s:@]+:(?!\$\()[^@\s/]+@|[^\s:@/]+:(?!\$\()[^@\s/()]+@tcp\(/.exec(text);
    if (userinfo) return "a password in a connection URI";
    return undefined;
}

const secretNamedEnv = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|PIN)$/i;

const noSecretsInPlainText: ResourceValidationPolicy = {
    name: "no-secret-material-outside-secrets",
    description: "No private key or credential in a ConfigMap, an env value or a container argument: those belong in Secrets.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (kindOf(args.type) === "ConfigMap") {
            for (const [key, value] of Object.entries({ ...(args.props.data ?? {}), ...(args.props.binaryData ?? {}) })) {
                const found = typeof value === "string" ? secretMaterial(value) : undefined;
                if (found) report(`ConfigMap key "${key}" holds ${found}`);
            }
            return;
        }
        const pod = podSpecOf(args.type, args.props);
        if (!pod) return;
        for (const c of containersOf(pod)) {
            for (const e of c.env ?? []) {
                if (e.value === undefined) continue;
                if (secretNamedEnv.test(e.name) && e.value !== "")
                    report(`container "${c.name}": env ${e.name} has a literal value; read it from a Secret (valueFrom.secretKeyRef)`);
                const found = secretMaterial(`${e.name}=${e.value}`);
                if (found && !secretNamedEnv.test(e.name)) report(`container "${c.name}": env ${e.name} holds ${found}`);
            }
            for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) {
                const found = typeof arg === "string" ? secretMaterial(arg) : undefined;
                if (found) report(`container "${c.name}": an argument holds ${found}`);
            }
        }
    },
};

/** Label selector matchLabels ⊆ labels. */
function selects(selector: Obj | undefined, labels: Obj | undefined): boolean {
    const match = selector?.matchLabels ?? {};
    return Object.keys(match).length > 0 && Object.entries(match).every(([k, v]) => labels?.[k] === v);
}

function namespaceOf(r: PolicyResource): string | undefined {
    return r.props.metadata?.namespace;
}

const disruptionBudgets: StackValidationPolicy = {
    name: "pdb-for-multi-replica-workloads",
    description: "Every Deployment or StatefulSet with more than one replica has a PodDisruptionBudget selecting its pods.",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const pdbs = args.resources.filter((r) => kindOf(r.type) === "PodDisruptionBudget");
        for (const w of args.resources.filter((r) => ["Deployment", "StatefulSet"].includes(kindOf(r.type) ?? ""))) {
            if ((w.props.spec?.replicas ?? 1) <= 1) continue;
            const podLabels = w.props.spec?.template?.metadata?.labels;
            const covered = pdbs.some((p) => namespaceOf(p) === namespaceOf(w) && selects(p.props.spec?.selector, podLabels));
            if (!covered) report(`${kindOf(w.type)} ${w.name} runs ${w.props.spec.replicas} replicas without a PodDisruptionBudget`, w.urn);
        }
    },
};

/** A NetworkPolicy that selects every pod and allows nothing, both ways. */
export function isDefaultDeny(props: Obj): boolean {
    const spec = props.spec ?? {};
    return (
        Object.keys(spec.podSelector ?? { x: 1 }).length === 0 &&
        ["Ingress", "Egress"].every((t) => (spec.policyTypes ?? []).includes(t)) &&
        (spec.ingress ?? []).length === 0 &&
        (spec.egress ?? []).length === 0
    );
}

const networkIsolation: StackValidationPolicy = {
    name: "default-deny-network-policy",
    description: "Every namespace that runs pods has a default-deny NetworkPolicy (ingress and egress).",
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
        const denied = new Set(args.resources.filter((r) => kindOf(r.type) === "NetworkPolicy" && isDefaultDeny(r.props)).map(namespaceOf));
        const withPods = new Set(args.resources.filter((r) => podSpecOf(r.type, r.props)).map(namespaceOf));
        for (const ns of withPods) {
            if (!denied.has(ns)) report(`namespace ${ns ?? "(unset)"} runs pods without a default-deny NetworkPolicy`);
        }
    },
};

const namespacePodSecurity: ResourceValidationPolicy = {
    name: "namespace-pod-security-restricted",
    description: 'Namespaces enforce Pod Security "restricted".',
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (kindOf(args.type) !== "Namespace") return;
        const level = args.props.metadata?.labels?.["pod-security.kubernetes.io/enforce"];
        if (level !== "restricted") report(`label pod-security.kubernetes.io/enforce must be "restricted", is ${JSON.stringify(level)}`);
    },
};

export const resourcePolicies: ResourceValidationPolicy[] = [
    nonRoot,
    noEscalation,
    dropCapabilities,
    seccomp,
    readOnlyRoot,
    limits,
    pinnedImages,
    noSecretsInPlainText,
    namespacePodSecurity,
];
export const stackPolicies: StackValidationPolicy[] = [disruptionBudgets, networkIsolation];
export const sigstoreBaseline = [...resourcePolicies, ...stackPolicies];
