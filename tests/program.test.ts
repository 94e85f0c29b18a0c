/**
 * The whole program (index.ts) under Pulumi's mocks, for the dev and prod stacks: components and
 * naming, one explicit Kubernetes provider, schema-valid Kubernetes objects, container flags the real
 * binaries accept, no secret material outside Secrets, the createtree → ConfigMap → workload edges,
 * pinned images, protection in prod and the sequencer election.
 */
import * as assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { protectedIf } from "../components/kube";
import { podSpecOf } from "../policy/rules";
import { ConfigSource, loadConfig } from "../config";
import { parseCreatetreeOutput } from "../lib/tree-id";
import { upstreamImages } from "../versions";
import { Evaluation, RegisteredResource, stackConfig } from "./support/mocks";
import { evaluateRecorded, evaluateStack, exportIsSecret, Registration, registrations } from "./support/registrations";
import { Binary, checkArgs } from "./support/upstream-flags";
import * as YAML from "yaml";
import { dexOverrides, directoryCaPem, ldapBindPassword } from "./support/dex-stack";

/** The five Sigstore components and the rooms new capabilities got (NetworkIsolation, InternalTls: issue 9). */
const components = { Database: "database", Trillian: "trillian", Rekor: "rekor", Fulcio: "fulcio", CtLog: "ctlog", NetworkIsolation: "network", InternalTls: "internal-tls", Monitoring: "monitoring", DatabaseBackup: "backup" } as const;
/** Components a stack has only when a setting asks for them (internalTls, monitoring: on in prod). */
const optionalComponents: Record<string, (stack: string) => boolean> = {
    InternalTls: (stack) => stack === "prod", Monitoring: (stack) => stack === "prod", DatabaseBackup: (stack) => stack === "prod",
};
const providerType = "pulumi:providers:kubernetes";

/** Types whose inputs legitimately hold secret material: Kubernetes Secrets and the tls resources that sign. */
const mayHoldSecrets = new Set([
    "kubernetes:core/v1:Secret",
    "tls:index/selfSignedCert:SelfSignedCert",
    "tls:index/certRequest:CertRequest",
    "tls:index/locallySignedCert:LocallySignedCert",
]);

// ---- helpers over a recorded evaluation ----

function kubeObjects(ev: Evaluation): RegisteredResource[] {
    return ev.cloud.resources.filter((r) => r.type.startsWith("kubernetes:"));
}

/** kubernetes:<group>/<version>:<Kind> → the kubernetes-models class for it. */
function modelFor(type: string): { new(data: unknown): { validate(): void } } {
    const m = /^kubernetes:([^:]+):(\w+)$/.exec(type);
    assert.ok(m, `not a Kubernetes type token: ${type}`);
    const [groupVersion, kind] = [m[1], m[2]];
    const dir = groupVersion.startsWith("core/") ? groupVersion.slice("core/".length) : groupVersion;
    // Prometheus Operator kinds come from their maintained models; everything else from kubernetes-models.
    const pkg = groupVersion.startsWith("monitoring.coreos.com/") ? "@kubernetes-models/prometheus-operator" : "kubernetes-models";
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const cls = require(`${pkg}/${dir}/${kind}`)[kind];
    assert.ok(cls, `kubernetes-models has no ${dir}/${kind}`);
    return cls;
}

interface PodOwner { resource: RegisteredResource; pod: any }

/** Every workload's pod spec, whatever its kind (CronJobs included: the policy pack's reading). */
function podSpecs(ev: Evaluation): PodOwner[] {
    return kubeObjects(ev).map((resource) => ({ resource, pod: podSpecOf(resource.type, resource.inputs) })).filter((o) => o.pod);
}

function containers(ev: Evaluation): Array<{ resource: RegisteredResource; container: any }> {
    return podSpecs(ev).flatMap(({ resource, pod }) =>
        [...(pod.initContainers ?? []), ...(pod.containers ?? [])].map((container: any) => ({ resource, container })));
}

/** The one workload whose container runs an image from `upstream` (compared without registry and tag). */
function workloadOf(ev: Evaluation, upstream: string): { resource: RegisteredResource; container: any } {
    const repo = upstream.slice(upstream.indexOf("/") + 1, upstream.lastIndexOf(":"));
    const found = containers(ev).filter(({ container }) => String(container.image).includes(`/${repo}:`) || String(container.image).includes(`/${repo}@`));
    assert.equal(found.length, 1, `expected one container running ${repo}, found ${found.map((f) => f.resource.name).join(", ")}`);
    return found[0];
}

function byMetadataName(ev: Evaluation, type: string, name: string): RegisteredResource {
    const found = ev.cloud.resources.filter((r) => r.type === type && r.inputs?.metadata?.name === name);
    assert.equal(found.length, 1, `expected one ${type} with metadata.name ${name}`);
    return found[0];
}

const binaryByImage: Array<[RegExp, Binary]> = [
    [/\/log_server[:@]/, "trillian_log_server"],
    [/\/log_signer[:@]/, "trillian_log_signer"],
    [/\/rekor-server[:@]/, "rekor-server serve"],
    [/\/fulcio[:@]/, "fulcio serve"],
    [/\/ctfe[:@]/, "ct_server"],
];
/** Images whose arguments are not flags of a Sigstore binary (checked elsewhere or have none). */
const imagesWithoutFlagCheck = [/\/redis[:@]/, /\/db_server[:@]/];

/** Every piece of secret text the evaluation generated, with a label for messages. */
function secretMaterial(ev: Evaluation, extra: Record<string, string> = {}): Array<{ label: string; text: string }> {
    const out: Array<{ label: string; text: string }> = [];
    const addPem = (label: string, pem: string) => {
        out.push({ label, text: pem.trim() });
        const body = pem.split("\n").filter((l) => l && !l.startsWith("-----") && !l.includes(":"));
        if (body.length > 0) {
            out.push({ label: `${label} (base64 body)`, text: body.join("") });
            out.push({ label: `${label} (first base64 line)`, text: body[0] });
        }
    };
    for (const r of ev.cloud.ofType("random:index/randomPassword:RandomPassword")) {
        assert.ok(typeof r.state.result === "string" && r.state.result.length >= 16, `${r.name} has a result`);
        out.push({ label: `password ${r.name}`, text: r.state.result });
    }
    for (const r of ev.cloud.ofType("tls:index/privateKey:PrivateKey")) {
        addPem(`private key ${r.name}`, r.state.privateKeyPem);
        addPem(`private key ${r.name} (PKCS#8)`, r.state.privateKeyPemPkcs8);
    }
    for (const r of ev.cloud.ofType("kubernetes:core/v1:Secret")) {
        for (const [k, v] of Object.entries<string>(r.inputs.stringData ?? {})) {
            if (/PRIVATE KEY/.test(v)) addPem(`Secret ${r.name} ${k}`, v);
        }
    }
    for (const [label, text] of Object.entries(extra)) addPem(label, text);
    assert.ok(out.length >= 10, "the evaluation generated passwords and keys");
    return out;
}

function leaks(text: string, material: Array<{ label: string; text: string }>): string[] {
    const found = material.filter((m) => text.includes(m.text)).map((m) => m.label);
    if (/PRIVATE KEY/.test(text)) found.push('the text "PRIVATE KEY"');
    if (/Proc-Type: 4,ENCRYPTED/.test(text)) found.push("an encrypted PEM header");
    return found;
}

function componentOf(name: string): string | undefined {
    return Object.values(components).find((c) => name.startsWith(`${c}-`));
}

// ---- the per-stack suite ----

for (const stack of ["dev", "prod"] as const) {
    describe(`program (${stack} stack)`, () => {
        let ev: Evaluation;
        let regs: Registration[];
        const prod = stack === "prod";

        before(async () => {
            ev = await evaluateStack(stack);
            regs = registrations(ev.cloud);
        });

        it("evaluates and exports the documented outputs", () => {
            assert.deepEqual(Object.keys(ev.outputs).sort(), [
                "cosign", "ctlogPublicKeyPem", "ctlogTreeId", "ctlogs", "databaseBackup", "databaseCapacity", "databaseCredentialsSecretName", "fulcioCertChainPem", "imageList",
                "internalUrls", "namespaceName", "outputsVersion", "rekorPublicKeyPem", "rekorShards", "rekorTreeId", "signingConfig", "trustedRoot", "urls", "verificationPolicy",
            ]);
            // Never rotated: one shard, the active one, on the output tree with the output key.
            assert.deepEqual(ev.outputs.rekorShards, [{ treeId: ev.outputs.rekorTreeId, publicKeyPem: ev.outputs.rekorPublicKeyPem }]);
            assert.deepEqual(ev.outputs.ctlogs, [{ treeId: ev.outputs.ctlogTreeId, prefix: "sigstore", publicKeyPem: ev.outputs.ctlogPublicKeyPem }]);
            assert.equal(ev.outputs.outputsVersion, 1);
            assert.equal(ev.outputs.namespaceName, "sigstore");
            const domain = prod ? "sigstore.corp.example" : "sigstore.dev.corp.example";
            assert.deepEqual(ev.outputs.urls, {
                fulcio: `https://fulcio.${domain}`, rekor: `https://rekor.${domain}`, ctlog: `https://ctlog.${domain}/sigstore`,
                oidcIssuer: prod ? "https://keycloak.corp.example/realms/sigstore" : "https://keycloak.dev.corp.example/realms/sigstore",
            });
        });

        it("passes the Trillian tuning explicitly: sequencing to the signer, the MySQL pool to both servers", () => {
            const argsOf = (image: string) => workloadOf(ev, image).container.args as string[];
            const pool = ["--mysql_max_conns=0", "--mysql_max_idle_conns=-1"];
            for (const a of [...pool, "--sequencer_interval=100ms", "--batch_size=1000", "--num_sequencers=10"]) {
                assert.ok(argsOf(upstreamImages.trillianLogSigner).includes(a), `signer lacks ${a}`);
            }
            for (const a of pool) assert.ok(argsOf(upstreamImages.trillianLogServer).includes(a), `log server lacks ${a}`);
            assert.ok(!argsOf(upstreamImages.trillianLogServer).some((a) => a.startsWith("--sequencer_interval")), "the log server does not sequence");
        });

        it("labels the namespace for Pod Security admission: restricted enforced, warned and audited", () => {
            assert.deepEqual(ev.cloud.one("kubernetes:core/v1:Namespace", "namespace").inputs.metadata.labels, {
                "app.kubernetes.io/part-of": "sigstore",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            });
        });

        it("registers the five components (and NetworkIsolation; InternalTls and Monitoring in prod) with type tokens sigstore:index:<Component>", () => {
            const found = regs.filter((r) => r.type.startsWith("sigstore:")).map((r) => `${r.type} ${r.name}`).sort();
            const expected = Object.entries(components).filter(([type]) => optionalComponents[type]?.(stack) ?? true);
            assert.deepEqual(found, expected.map(([type, name]) => `sigstore:index:${type} ${name}`).sort());
            for (const r of regs.filter((x) => x.type.startsWith("sigstore:"))) assert.equal(r.custom, false, `${r.name} is a component`);
        });

        it("names every child resource `${component}-<role>`", () => {
            const topLevel = new Set([`${providerType} cluster`, "kubernetes:core/v1:Namespace namespace", ...Object.entries(components).map(([t, n]) => `sigstore:index:${t} ${n}`)]);
            const children = ev.cloud.resources.filter((r) => !topLevel.has(`${r.type} ${r.name}`));
            assert.ok(children.length > 30);
            for (const r of children) assert.ok(componentOf(r.name), `${r.type} "${r.name}" is not named after a component`);
            // Every component has children.
            for (const [type, c] of Object.entries(components)) {
                if (optionalComponents[type]?.(stack) ?? true) assert.ok(children.some((r) => r.name.startsWith(`${c}-`)), `${c} has no children`);
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
            assert.deepEqual(providers.map((p) => `${p.type} ${p.name}`), [`${providerType} cluster`]);
            const ref = `${providers[0].urn}::`;
            const kube = regs.filter((r) => r.type.startsWith("kubernetes:"));
            assert.ok(kube.length > 20);
            for (const r of kube) assert.ok(r.provider.startsWith(ref), `${r.type} ${r.name} uses provider ${JSON.stringify(r.provider)}, not ${ref}<id>`);
            assert.deepEqual(ev.cloud.one(providerType, "cluster").inputs, { enableServerSideApply: "true" }, "no kubeconfig/context set in the stack: the ambient one");
        });

        it("every Kubernetes object passes kubernetes-models schema validation", () => {
            const objects = kubeObjects(ev);
            assert.ok(objects.length > 20);
            const failures: string[] = [];
            for (const r of objects) {
                try {
                    new (modelFor(r.type))(r.inputs).validate();
                } catch (e) {
                    failures.push(`${r.type} ${r.name}: ${(e as Error).message}`);
                }
            }
            assert.deepEqual(failures, []);
        });

        it("the schema check is not vacuous: a corrupted object fails it", () => {
            const { resource } = workloadOf(ev, upstreamImages.trillianLogSigner);
            const broken = structuredClone(resource.inputs);
            broken.spec.replicas = "2";
            assert.throws(() => new (modelFor(resource.type))(broken).validate(), /replicas/);
        });

        it("puts every namespaced object in the stack's namespace", () => {
            for (const r of kubeObjects(ev)) {
                if (r.type === "kubernetes:core/v1:Namespace") continue;
                assert.equal(r.inputs.metadata?.namespace, ev.outputs.namespaceName, `${r.type} ${r.name}`);
            }
        });

        it("every container's args pass checkArgs for its binary", () => {
            const seen = new Set<Binary>();
            const problems: string[] = [];
            for (const { resource, container } of containers(ev)) {
                const binary = binaryByImage.find(([re]) => re.test(container.image))?.[1];
                if (!binary) {
                    assert.ok(imagesWithoutFlagCheck.some((re) => re.test(container.image)), `${resource.name}: no binary known for image ${container.image}`);
                    continue;
                }
                seen.add(binary);
                assert.ok(Array.isArray(container.args) && container.args.length > 0, `${resource.name} passes flags`);
                assert.equal(container.command, undefined, `${resource.name}: args go to the image's entrypoint`);
                problems.push(...checkArgs(binary, container.args).map((p) => `${resource.name}: ${p}`));
            }
            assert.deepEqual(problems, []);
            assert.deepEqual([...seen].sort(), binaryByImage.map(([, b]) => b).sort(), "every Sigstore binary was checked");
        });

        it("every $(VAR) in container args refers to an env var of that container", () => {
            for (const { resource, container } of containers(ev)) {
                const env = new Set((container.env ?? []).map((e: any) => e.name));
                for (const arg of [...(container.args ?? []), ...(container.command ?? [])]) {
                    for (const m of String(arg).matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
                        assert.ok(env.has(m[1]), `${resource.name}: ${arg} uses $(${m[1]}), which the container does not define (Kubernetes would pass it literally)`);
                    }
                }
            }
        });

        it("the leak detector is not vacuous: it finds planted passwords and keys", () => {
            const material = secretMaterial(ev);
            const password = material.find((m) => m.label.startsWith("password "))!;
            const key = material.find((m) => m.label.startsWith("private key ") && m.label.endsWith("(first base64 line)"))!;
            assert.deepEqual(leaks(JSON.stringify({ data: { "x.conf": `pass=${password.text}` } }), material), [password.label]);
            assert.ok(leaks(`args: ["--key=${key.text}"]`, material).includes(key.label));
            assert.deepEqual(leaks(JSON.stringify(ev.outputs.urls), material), []);
        });

        it("no container env value, arg or command contains a generated password or key", () => {
            const material = secretMaterial(ev);
            for (const { resource, container } of containers(ev)) {
                for (const e of container.env ?? []) {
                    if (e.value !== undefined) assert.deepEqual(leaks(String(e.value), material), [], `${resource.name} env ${e.name}`);
                }
                assert.deepEqual(leaks(JSON.stringify([container.args ?? [], container.command ?? []]), material), [], `${resource.name} args/command`);
            }
        });

        it("no password or private key text appears in any non-Secret resource's inputs", () => {
            const material = secretMaterial(ev);
            const checked = ev.cloud.resources.filter((r) => !mayHoldSecrets.has(r.type));
            assert.ok(checked.some((r) => r.type === "kubernetes:core/v1:ConfigMap") && checked.some((r) => r.type === "command:local:Command"));
            for (const r of checked) assert.deepEqual(leaks(JSON.stringify(r.inputs), material), [], `${r.type} ${r.name}`);
        });

        it("Kubernetes Secrets receive their data as Pulumi secrets", () => {
            const secrets = regs.filter((r) => r.type === "kubernetes:core/v1:Secret");
            assert.ok(secrets.length >= 4);
            for (const r of secrets) {
                assert.ok(r.secretInputPaths.some((p) => p === ".stringData" || p.startsWith(".stringData.")), `${r.name}: stringData is not secret (secret inputs: ${r.secretInputPaths.join(", ") || "none"})`);
            }
        });

        it("no non-secret stack output carries secret material (exports carrying it would have to be secret)", async () => {
            const material = secretMaterial(ev);
            assert.ok(Object.keys(ev.outputs).length >= 10);
            for (const [name, value] of Object.entries(ev.outputs)) {
                if (await exportIsSecret(ev.exports[name])) continue;
                assert.deepEqual(leaks(JSON.stringify(value), material), [], `non-secret export ${name}`);
            }
        });

        it("public contract outputs are plain values other stacks can read", async () => {
            for (const name of ["rekorTreeId", "ctlogTreeId", "fulcioCertChainPem", "rekorPublicKeyPem", "ctlogPublicKeyPem", "trustedRoot", "signingConfig", "namespaceName"]) {
                assert.equal(await exportIsSecret(ev.exports[name]), false, `${name} is public material and must not be secret`);
                assert.equal(typeof ev.outputs[name], "string", name);
            }
        });

        for (const tree of ["rekor", "ctlog"] as const) {
            it(`the ${tree} tree ConfigMap's data.treeID is the parsed stdout of its createtree Command`, () => {
                const command = ev.cloud.one("command:local:Command", `trillian-createtree-${tree}`);
                const configMap = byMetadataName(ev, "kubernetes:core/v1:ConfigMap", `trillian-tree-${tree}`);
                const id = parseCreatetreeOutput(command.state.stdout, tree);
                assert.equal(configMap.inputs.data.treeID, id);
                assert.equal(ev.outputs[`${tree}TreeId`], id);
                assert.deepEqual(command.inputs.interpreter, ["/bin/bash", "-c"]);
                assert.equal(command.inputs.environment.TREE_CONFIGMAP, `trillian-tree-${tree}`, "the script checks the same ConfigMap the program writes");
                assert.equal(command.inputs.environment.NAMESPACE, ev.outputs.namespaceName);
            });
        }

        it("the createtree Commands run after the log server, its Service and the signer exist", () => {
            const urnOf = (type: string, predicate: (r: RegisteredResource) => boolean) => {
                const resource = ev.cloud.resources.find((r) => r.type === type && predicate(r));
                assert.ok(resource, `no ${type} found`);
                return regs.find((r) => r.type === type && r.name === resource.name)!.urn;
            };
            const server = workloadOf(ev, upstreamImages.trillianLogServer).resource.name;
            const signer = workloadOf(ev, upstreamImages.trillianLogSigner).resource.name;
            const needed = {
                "log server Deployment": urnOf("kubernetes:apps/v1:Deployment", (r) => r.name === server),
                "log signer Deployment": urnOf("kubernetes:apps/v1:Deployment", (r) => r.name === signer),
                "log server Service (what port-forward / the createtree pod connect to)": urnOf("kubernetes:core/v1:Service", (r) => r.inputs.metadata?.name === "trillian-log-server"),
            };
            for (const tree of ["rekor", "ctlog"]) {
                const command = regs.find((r) => r.type === "command:local:Command" && r.name === `trillian-createtree-${tree}`)!;
                for (const [what, urn] of Object.entries(needed)) {
                    assert.ok(command.dependencies.includes(urn), `createtree-${tree} does not depend on the ${what} (${urn}); dependencies: ${command.dependencies.join(", ")}`);
                }
            }
        });

        it("Rekor reads its tree ID from the rekor tree ConfigMap and carries it as a pod annotation", () => {
            const { resource, container } = workloadOf(ev, upstreamImages.rekor);
            const treeId = ev.outputs.rekorTreeId;
            const treeEnv = (container.env ?? []).find((e: any) => e.name === "TREE_ID");
            assert.deepEqual(treeEnv, { name: "TREE_ID", valueFrom: { configMapKeyRef: { name: "trillian-tree-rekor", key: "treeID" } } });
            assert.ok(container.args.includes("--trillian_log_server.tlog_id=$(TREE_ID)"));
            assert.equal(resource.inputs.spec.template.metadata.annotations["sigstore.dev/tree-id"], treeId);
            assert.notEqual(treeId, ev.outputs.ctlogTreeId, "each log has its own tree");
        });

        it("the CT log config Secret's config.textproto carries log_id: <ctlog tree id> and the Trillian backend", () => {
            const configs = ev.cloud.ofType("kubernetes:core/v1:Secret").filter((s) => s.inputs.stringData?.["config.textproto"]);
            assert.equal(configs.length, 1);
            const text: string = configs[0].inputs.stringData["config.textproto"];
            const logIds = [...text.matchAll(/^\s*log_id: (\S+)$/gm)].map((m) => m[1]);
            assert.deepEqual(logIds, [ev.outputs.ctlogTreeId]);
            assert.match(text, new RegExp(`backend_spec: "${ev.outputs.internalUrls.trillian.replace(/\./g, "\\.")}"`));
            assert.match(text, /prefix: "sigstore"/);
            assert.ok(configs[0].inputs.stringData["key.pem"], "the key the config names is in the same Secret");
            const { resource } = workloadOf(ev, upstreamImages.ctlog);
            assert.equal(resource.inputs.spec.template.metadata.annotations["sigstore.dev/tree-id"], ev.outputs.ctlogTreeId, "a new tree rolls the CT log pods");
        });

        it("runs exactly the images pinned in versions.ts and lists them in imageList", () => {
            // Dex runs only with identityProvider dex ("program: identityProvider dex").
            const { dex: _dex, ...expected }: Record<string, string> = { ...upstreamImages };
            for (const [name, image] of Object.entries(expected)) {
                // db_server runs in several workloads (MySQL, its backup CronJob, the external schema Job) or none
                // (external PostgreSQL): the loop below pins each of its containers like every other.
                if (name === "trillianDatabase") continue;
                assert.equal(workloadOf(ev, image).container.image, image, name);
            }
            const allowed = new Set(Object.values(expected));
            for (const { resource, container } of containers(ev)) assert.ok(allowed.has(container.image), `${resource.name} runs ${container.image}`);
            assert.deepEqual(ev.outputs.imageList, Object.values(expected).sort());
        });

        it(`protectData is ${prod} for this stack (Pulumi.${stack}.yaml)`, () => {
            const values = Object.fromEntries(Object.entries(stackConfig(stack).values).map(([k, v]) => [k.replace(/^sigstore:/, ""), v]));
            const source: ConfigSource = { get: (k) => values[k], getSecret: () => undefined, isStoredSecret: () => false };
            assert.equal(loadConfig(source).protectData, prod);
        });

        it(`${prod ? "protects and retains" : "does not protect"} everything whose loss loses data or trust`, () => {
            // Internal TLS server certificates and their keys are re-issued by the internal CA at will; the CA is kept.
            const internalServerCert = (r: Registration) => r.name.startsWith("internal-tls-") && !r.name.startsWith("internal-tls-ca-");
            const mustKeep = (r: Registration) => !internalServerCert(r) && (
                r.type === "tls:index/privateKey:PrivateKey" ||
                r.type === "tls:index/selfSignedCert:SelfSignedCert" ||
                r.type === "tls:index/locallySignedCert:LocallySignedCert" ||
                r.type === "command:local:Command" ||
                r.type === "kubernetes:core/v1:PersistentVolumeClaim" ||
                r.type === "kubernetes:core/v1:Namespace" ||
                (r.type === "kubernetes:core/v1:ConfigMap" && /-tree-/.test(r.name)) ||
                (r.type === "random:index/randomPassword:RandomPassword" && r.name.startsWith("database-")));
            const kept = regs.filter(mustKeep);
            assert.ok(kept.length >= 12, `found ${kept.length}`);
            for (const r of kept) {
                assert.equal(r.protect, prod, `${r.type} ${r.name} protect`);
                assert.equal(r.retainOnDelete, prod, `${r.type} ${r.name} retainOnDelete`);
            }
            if (!prod) for (const r of regs) assert.equal(r.protect, false, `${r.name} is protected in dev`);
        });

        if (prod) {
            it("prod: two signers elect one sequencer through Kubernetes leases", () => {
                const { resource, container } = workloadOf(ev, upstreamImages.trillianLogSigner);
                assert.equal(resource.inputs.spec.replicas, 2);
                assert.ok(container.args.includes("--election_system=k8s"));
                assert.ok(container.args.includes("--lock_namespace=sigstore"));
                assert.ok(container.args.includes("--lock_holder_identity=$(POD_NAME)"));
                assert.ok(!container.args.some((a: string) => a.startsWith("--force_master")), "no force_master with several signers");
                assert.deepEqual(container.env.find((e: any) => e.name === "POD_NAME"), { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });

                const pod = resource.inputs.spec.template.spec;
                const accounts = ev.cloud.ofType("kubernetes:core/v1:ServiceAccount");
                assert.equal(accounts.length, 1);
                assert.equal(pod.serviceAccountName, accounts[0].state.metadata.name);
                assert.equal(pod.automountServiceAccountToken, true, "the election client needs the token");

                const roles = ev.cloud.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role");
                assert.equal(roles.length, 1);
                const leaseRule = roles[0].inputs.rules.find((rule: any) => rule.apiGroups.includes("coordination.k8s.io") && rule.resources.includes("leases"));
                assert.ok(leaseRule, "a Role rule on coordination.k8s.io leases");
                for (const verb of ["get", "create", "update"]) assert.ok(leaseRule.verbs.includes(verb), `leases ${verb}`);
                const bindings = ev.cloud.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
                assert.equal(bindings.length, 1);
                assert.deepEqual(bindings[0].inputs.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: roles[0].state.metadata.name });
                assert.deepEqual(bindings[0].inputs.subjects, [{ kind: "ServiceAccount", name: accounts[0].state.metadata.name, namespace: "sigstore" }]);
            });

            it("prod: HA replicas (Fulcio ≥ 3, Rekor, Trillian server, CT log ≥ 2) and Ingresses from Pulumi.prod.yaml", () => {
                assert.equal(workloadOf(ev, upstreamImages.trillianLogServer).resource.inputs.spec.replicas, 2);
                assert.equal(workloadOf(ev, upstreamImages.rekor).resource.inputs.spec.replicas, 2);
                assert.equal(workloadOf(ev, upstreamImages.fulcio).resource.inputs.spec.replicas, 3);
                assert.equal(workloadOf(ev, upstreamImages.ctlog).resource.inputs.spec.replicas, 2);
                const ingresses = ev.cloud.ofType("kubernetes:networking.k8s.io/v1:Ingress");
                const hosts = ingresses.map((i) => i.inputs.spec.rules[0].host).sort();
                assert.deepEqual(hosts, ["ctlog.sigstore.corp.example", "fulcio.sigstore.corp.example", "rekor.sigstore.corp.example"]);
                // TLS at the public edge from cert-manager (ingressClusterIssuer), one certificate Secret per host.
                for (const i of ingresses) {
                    assert.equal(i.inputs.metadata.annotations["cert-manager.io/cluster-issuer"], "corp-ca");
                    const backend = i.inputs.spec.rules[0].http.paths[0].backend.service.name;
                    assert.deepEqual(i.inputs.spec.tls, [{ hosts: [i.inputs.spec.rules[0].host], secretName: `${backend}-tls` }]);
                }
            });
        } else {
            it("dev: one signer with --force_master=true and a Recreate strategy", () => {
                const { resource, container } = workloadOf(ev, upstreamImages.trillianLogSigner);
                assert.equal(resource.inputs.spec.replicas, 1);
                assert.ok(container.args.includes("--force_master=true"));
                assert.ok(!container.args.some((a: string) => a.startsWith("--election_system")));
                assert.deepEqual(resource.inputs.spec.strategy, { type: "Recreate" }, "a rolling update would briefly run two masters");
                assert.equal(ev.cloud.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role").length, 0);
                assert.equal(ev.cloud.ofType("kubernetes:networking.k8s.io/v1:Ingress").length, 0, "no ingressClassName: no Ingress");
            });
        }
    });
}

describe("program: identityProvider dex (the bundled Dex in front of the directory)", () => {
    let ev: Evaluation;
    let dexConfig: any;
    before(async () => {
        ev = await evaluateRecorded({ stack: "prod", overrides: dexOverrides });
        const secrets = ev.cloud.ofType("kubernetes:core/v1:Secret").filter((r) => r.name === "dex-config");
        assert.equal(secrets.length, 1);
        dexConfig = YAML.parse(secrets[0].inputs.stringData["config.yaml"]);
    });

    it("every Kubernetes object passes its schema, and Dex is a component of its own", () => {
        for (const r of kubeObjects(ev).filter((o) => !o.type.startsWith("pulumi:"))) {
            new (modelFor(r.type))(r.inputs).validate();
        }
        assert.ok(kubeObjects(ev).length >= 40);
        assert.equal(ev.cloud.ofType("sigstore:index:Dex").length, 1);
    });

    it("Dex runs the pinned image, as its image's user, with its config from the Secret and health on its telemetry (metrics) port", () => {
        const { resource, container } = workloadOf(ev, upstreamImages.dex);
        assert.equal(container.image, upstreamImages.dex);
        assert.deepEqual([...container.command, ...container.args], ["/usr/local/bin/dex", "serve", "/etc/dex/config.yaml"]);
        assert.deepEqual(container.env, [{ name: "DEX_EXPAND_ENV", value: "false" }, { name: "DEX_CONTINUE_ON_CONNECTOR_FAILURE", value: "false" }]);
        assert.equal(container.securityContext.runAsUser, 1001);
        assert.equal(container.securityContext.readOnlyRootFilesystem, true);
        assert.equal(container.readinessProbe.httpGet.port, "metrics");
        const pod = resource.inputs.spec.template.spec;
        const configVolume = pod.volumes.find((v: any) => v.name === "config");
        assert.equal(configVolume.secret.secretName, ev.cloud.ofType("kubernetes:core/v1:Secret").find((r) => r.name === "dex-config")!.state.metadata.name);
        assert.equal(resource.inputs.spec.replicas, 1, "memory storage: one replica");
        assert.ok(ev.outputs.imageList.includes(upstreamImages.dex));
    });

    it("the issuer is https://oidc.<publicDomain>: Dex's, Fulcio's, the signing config's and the verification policy's", () => {
        const issuer = "https://oidc.sigstore.corp.example";
        assert.equal(dexConfig.issuer, issuer);
        const fulcioConfig = ev.cloud.ofType("kubernetes:core/v1:ConfigMap").find((r) => r.name === "fulcio-config")!;
        assert.deepEqual(Object.keys(JSON.parse(fulcioConfig.inputs.data["config.json"]).OIDCIssuers), [issuer]);
        assert.equal(ev.outputs.urls.oidcIssuer, issuer);
        assert.equal(ev.outputs.verificationPolicy.issuer, issuer);
        assert.ok(JSON.parse(ev.outputs.signingConfig).oidcUrls.some((u: any) => u.url === issuer));
        const ingress = ev.cloud.ofType("kubernetes:networking.k8s.io/v1:Ingress").find((r) => r.name === "dex-ingress")!;
        assert.equal(ingress.inputs.spec.rules[0].host, "oidc.sigstore.corp.example");
        assert.equal(ingress.inputs.metadata.annotations["cert-manager.io/cluster-issuer"], "corp-ca");
    });

    it("only the directory's users in emailDomain and the signer group can log in; the client is cosign's, public", () => {
        assert.equal(dexConfig.enablePasswordDB, false);
        assert.deepEqual(dexConfig.staticClients, [{ id: "sigstore", name: "Sigstore signing", public: true }]);
        assert.deepEqual(dexConfig.oauth2, { responseTypes: ["code"], skipApprovalScreen: true });
        assert.equal(dexConfig.connectors.length, 1);
        const ldap = dexConfig.connectors[0].config;
        assert.equal(ldap.host, "ldap.corp.example:636");
        assert.deepEqual([ldap.insecureNoSSL, ldap.insecureSkipVerify, ldap.startTLS], [false, false, false]);
        assert.equal(Buffer.from(ldap.rootCAData, "base64").toString(), directoryCaPem);
        assert.equal(ldap.userSearch.filter, "(&(objectClass=person)(mail=*@corp.example)(memberOf=cn=signers,ou=groups,dc=corp,dc=example))");
        assert.deepEqual(ldap.groupSearch.userMatchers, [{ userAttr: "DN", groupAttr: "member" }]);
    });

    it("the bind password is only in Dex's config Secret, as a secret, and never in an output", () => {
        assert.equal(dexConfig.connectors[0].config.bindPW, ldapBindPassword);
        const holders = ev.cloud.resources.filter((r) => JSON.stringify(r.inputs).includes(ldapBindPassword));
        assert.deepEqual(holders.map((r) => `${r.type} ${r.name}`), ["kubernetes:core/v1:Secret dex-config"]);
        const reg = registrations(ev.cloud).find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "dex-config")!;
        assert.ok(reg.secretInputPaths.some((p) => p.startsWith(".stringData")), "the config is a secret input");
        assert.ok(!JSON.stringify(ev.outputs).includes(ldapBindPassword));
    });

    it("Dex may reach the directory (ldapEgressCidrs, port 636) and be reached by the ingress controller and Prometheus, nothing else", () => {
        const policy = ev.cloud.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((r) => r.name === "network-dex")!;
        const egress = policy.inputs.spec.egress.map((e: any) => JSON.stringify([e.to, e.ports]));
        assert.ok(egress.includes(JSON.stringify([[{ ipBlock: { cidr: "10.20.30.41/32" } }], [{ port: 636, protocol: "TCP" }]])), egress.join("\n"));
        assert.deepEqual(policy.inputs.spec.ingress.map((i: any) => i.ports[0].port).sort(), [5556, 5558]);
    });
});

describe("program: policyControllerResources (the verification policy applied as policy-controller objects)", () => {
    let ev: Evaluation;
    before(async () => {
        ev = await evaluateRecorded({ stack: "prod", overrides: { policyControllerResources: "true" } });
    });

    it("creates the output's TrustRoot, then the ClusterImagePolicy that names it, cluster-scoped and unchanged", () => {
        const objects = ev.cloud.resources.filter((r) => r.type.startsWith("kubernetes:policy.sigstore.dev/"));
        assert.deepEqual(objects.map((r) => r.type).sort(), ["kubernetes:policy.sigstore.dev/v1alpha1:ClusterImagePolicy", "kubernetes:policy.sigstore.dev/v1alpha1:TrustRoot"]);
        const policy = ev.outputs.verificationPolicy;
        for (const [r, expected] of [[objects.find((o) => o.type.endsWith(":TrustRoot"))!, policy.trustRoot], [objects.find((o) => o.type.endsWith(":ClusterImagePolicy"))!, policy.clusterImagePolicy]]) {
            assert.equal(r.inputs.metadata.name, expected.metadata.name);
            assert.equal(r.inputs.metadata.namespace, undefined, "cluster-scoped");
            assert.deepEqual(r.inputs.spec, expected.spec);
        }
        const cip = registrations(ev.cloud).find((r) => r.type.endsWith(":ClusterImagePolicy"))!;
        const trustRootUrn = registrations(ev.cloud).find((r) => r.type.endsWith(":TrustRoot"))!.urn;
        assert.ok(cip.dependencies.includes(trustRootUrn), "the policy is created after its TrustRoot");
        assert.equal(ev.cloud.ofType("sigstore:index:AdmissionPolicy").length, 1);
    });

    it("are absent by default (the documents stay in the verificationPolicy output)", async () => {
        const prod = await evaluateStack("prod");
        assert.equal(prod.cloud.resources.filter((r) => r.type.startsWith("kubernetes:policy.sigstore.dev/")).length, 0);
    });
});

describe("program: kubeconfig, context and registry mirror", () => {
    const mirror = "registry.corp.example/mirror";
    let ev: Evaluation;
    before(async () => {
        ev = await evaluateRecorded({ stack: "dev", overrides: { kubeconfig: "/etc/sigstore/kubeconfig", kubeContext: "onprem", imageRegistry: mirror } });
    });

    it("the provider and the createtree commands use the same kubeconfig and context", () => {
        const provider = ev.cloud.one(providerType, "cluster");
        assert.equal(provider.inputs.kubeconfig, "/etc/sigstore/kubeconfig");
        assert.equal(provider.inputs.context, "onprem");
        const commands = ev.cloud.ofType("command:local:Command");
        assert.equal(commands.length, 2);
        for (const c of commands) {
            assert.equal(c.inputs.environment.KUBECONFIG, "/etc/sigstore/kubeconfig", c.name);
            assert.equal(c.inputs.environment.KUBE_CONTEXT, "onprem", c.name);
        }
    });

    it("every container image comes from the mirror, keeping the upstream path", () => {
        const all = containers(ev);
        assert.ok(all.length >= 7);
        const { dex: _dex, ...running } = upstreamImages;
        const mirrored = new Set(Object.values(running).map((u) => `${mirror}/${u.slice(u.indexOf("/") + 1)}`));
        for (const { resource, container } of all) assert.ok(mirrored.has(container.image), `${resource.name}: ${container.image}`);
        assert.deepEqual(ev.outputs.imageList, [...mirrored].sort());
    });
});

describe("program: external database", () => {
    const password = "Ext3rnalDbPassw0rdForTests";
    let ev: Evaluation;
    before(async () => {
        ev = await evaluateRecorded({ stack: "dev", overrides: { databaseMode: "external", databaseHost: "mysql.corp.example", databasePort: "3307", databasePassword: password, databaseEgressCidrs: "10.20.30.40/32" } });
    });

    it("runs no in-cluster database and loads the schema with a valid Job", () => {
        assert.equal(ev.cloud.ofType("kubernetes:apps/v1:StatefulSet").length, 0);
        assert.ok(!ev.cloud.ofType("kubernetes:core/v1:PersistentVolumeClaim").some((p) => p.name.startsWith("database-")));
        const jobs = ev.cloud.ofType("kubernetes:batch/v1:Job");
        assert.equal(jobs.length, 1);
        new (modelFor(jobs[0].type))(jobs[0].inputs).validate();
        const env = jobs[0].inputs.spec.template.spec.containers[0].env;
        assert.ok(env.some((e: any) => e.name === "MYSQL_PWD" && e.valueFrom?.secretKeyRef), "the password reaches mysql from the Secret");
    });

    it("points Trillian at the external host and port", () => {
        for (const image of [upstreamImages.trillianLogServer, upstreamImages.trillianLogSigner]) {
            const { container } = workloadOf(ev, image);
            assert.ok(container.args.includes("--mysql_uri=trillian:$(DB_PASSWORD)@tcp(mysql.corp.example:3307)/trillian?parseTime=true"), container.args.join(" "));
        }
    });

    it("the configured password is only in the credentials Secret, as a secret", () => {
        const holders = ev.cloud.resources.filter((r) => JSON.stringify(r.inputs).includes(password));
        assert.deepEqual(holders.map((r) => r.type), ["kubernetes:core/v1:Secret"]);
        const reg = registrations(ev.cloud).find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === holders[0].name)!;
        assert.ok(reg.secretInputPaths.some((p) => p.startsWith(".stringData")));
        assert.ok(!JSON.stringify(ev.outputs).includes(password));
    });
});

describe("program: protectedIf() (components/kube.ts)", () => {
    it("protects and retains when protectData is true, keeping other options", () => {
        const opts = protectedIf(true, { ignoreChanges: ["spec"] });
        assert.equal(opts.protect, true);
        assert.equal(opts.retainOnDelete, true);
        assert.deepEqual(opts.ignoreChanges, ["spec"]);
    });

    it("adds nothing when protectData is false", () => {
        assert.deepEqual(protectedIf(false), {});
        assert.deepEqual(protectedIf(false, { ignoreChanges: ["spec"] }), { ignoreChanges: ["spec"] });
        assert.ok(isDeepStrictEqual(protectedIf(false, {}), {}));
    });
});
