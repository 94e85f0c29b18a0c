/**
 * The policy pack (policy/rules.ts): each rule fails on a bad object and passes the good one, the
 * stack rules see missing PDBs and NetworkPolicies, and every object both stacks (and the other
 * documented modes) render passes every rule.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as YAML from "yaml";
import { imageProblem, resourcePolicies, secretMaterial, sigstoreBaseline, stackPolicies } from "../policy/rules";
import { Evaluation, repoRoot } from "./support/mocks";
import { evaluateRecorded, evaluateStack } from "./support/registrations";

const deploymentType = "kubernetes:apps/v1:Deployment";

/** A Deployment that meets the whole baseline. */
function goodDeployment(): Record<string, any> {
    return {
        metadata: { name: "app", namespace: "ns" },
        spec: {
            replicas: 1,
            selector: { matchLabels: { "app.kubernetes.io/name": "app" } },
            template: {
                metadata: { labels: { "app.kubernetes.io/name": "app" } },
                spec: {
                    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                    containers: [
                        {
                            name: "app",
                            image: "registry.corp.example/app:v1.2.3",
                            args: ["--mysql_uri=trillian:$(DB_PASSWORD)@tcp(db:3306)/trillian", "--fileca-key-passwd=$(CA_KEY_PASSWORD)"],
                            env: [
                                { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
                                { name: "LOG_LEVEL", value: "info" },
                            ],
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                capabilities: { drop: ["ALL"] },
                                readOnlyRootFilesystem: true,
                                runAsUser: 65532,
                            },
                            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "1Gi" } },
                        },
                    ],
                },
            },
        },
    };
}

function violations(policy: ResourceValidationPolicy, type: string, props: Record<string, any>): string[] {
    const found: string[] = [];
    const validate = policy.validateResource;
    assert.ok(validate, `${policy.name} has no validateResource`);
    const validators = Array.isArray(validate) ? validate : [validate];
    for (const v of validators) {
        const result = v(
            {
                type,
                props,
                urn: `urn:pulumi:test::sigstore::${type}::x`,
                name: "x",
                opts: {} as any,
                getConfig: () => ({}) as any,
                isType: () => false,
                asType: () => undefined,
                notApplicable: () => {},
            } as any,
            (m) => found.push(m),
        );
        // An async validator's violations would arrive after this returns: every rule here is synchronous.
        assert.ok(!(result instanceof Promise), `${policy.name} validates asynchronously`);
    }
    return found;
}

/** Every rule's violations on one object, keyed by rule name (only rules that fired). */
function resourceViolations(type: string, props: Record<string, any>): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const p of resourcePolicies) {
        const v = violations(p, type, props);
        if (v.length) out[p.name] = v;
    }
    return out;
}

function asPolicyResource(type: string, name: string, props: Record<string, any>): PolicyResource {
    return {
        type,
        name,
        props,
        urn: `urn:pulumi:test::sigstore::${type}::${name}`,
        opts: {} as any,
        dependencies: [],
        propertyDependencies: {},
    } as unknown as PolicyResource;
}

function stackViolations(policy: StackValidationPolicy, resources: PolicyResource[]): string[] {
    const found: string[] = [];
    const result = policy.validateStack({ resources, stackTags: new Map(), getConfig: () => ({}) as any } as any, (m) => found.push(m));
    assert.ok(!(result instanceof Promise), `${policy.name} validates asynchronously`);
    return found;
}

/** The Kubernetes objects of an evaluation as the engine shows them to policies (names resolved). */
function stackResources(ev: Evaluation): PolicyResource[] {
    return ev.cloud.resources
        .filter((r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes")
        .map((r) => asPolicyResource(r.type, r.name, { ...r.inputs, metadata: r.state.metadata ?? r.inputs.metadata }));
}

describe("policy pack: resource rules on good and bad objects", () => {
    it("a Deployment meeting the baseline passes every rule", () => {
        assert.deepEqual(resourceViolations(deploymentType, goodDeployment()), {});
    });

    const bad: Array<[string, string, (c: any, pod: any) => void]> = [
        [
            "root user",
            "pods-run-as-non-root",
            (c, pod) => {
                delete pod.securityContext.runAsNonRoot;
            },
        ],
        [
            "UID 0",
            "pods-run-as-non-root",
            (c) => {
                c.securityContext.runAsUser = 0;
            },
        ],
        [
            "privilege escalation allowed",
            "no-privilege-escalation",
            (c) => {
                delete c.securityContext.allowPrivilegeEscalation;
            },
        ],
        [
            "privileged",
            "no-privilege-escalation",
            (c) => {
                c.securityContext.privileged = true;
            },
        ],
        [
            "capabilities kept",
            "capabilities-dropped",
            (c) => {
                c.securityContext.capabilities = { drop: ["NET_RAW"] };
            },
        ],
        [
            "capability added",
            "capabilities-dropped",
            (c) => {
                c.securityContext.capabilities.add = ["NET_ADMIN"];
            },
        ],
        [
            "no seccomp profile",
            "seccomp-runtime-default",
            (c, pod) => {
                delete pod.securityContext.seccompProfile;
            },
        ],
        [
            "Unconfined seccomp",
            "seccomp-runtime-default",
            (c) => {
                c.securityContext.seccompProfile = { type: "Unconfined" };
            },
        ],
        [
            "writable root filesystem",
            "read-only-root-filesystem",
            (c) => {
                c.securityContext.readOnlyRootFilesystem = false;
            },
        ],
        [
            "no CPU limit",
            "resource-requests-and-limits",
            (c) => {
                delete c.resources.limits.cpu;
            },
        ],
        [
            "no resources",
            "resource-requests-and-limits",
            (c) => {
                delete c.resources;
            },
        ],
        [
            ":latest",
            "pinned-images",
            (c) => {
                c.image = "redis:latest";
            },
        ],
        [
            "untagged image",
            "pinned-images",
            (c) => {
                c.image = "registry.corp.example:5000/sigstore/redis";
            },
        ],
        [
            "password in an env value",
            "no-secret-material-outside-secrets",
            (c) => {
                c.env.push({ name: "REDIS_PASSWORD", value: "hunter2" });
            },
        ],
        [
            "password in an argument",
            "no-secret-material-outside-secrets",
            (c) => {
                c.args.push("--redis_server.password=hunter2");
            },
        ],
        [
            "password in a connection URI",
            "no-secret-material-outside-secrets",
            (c) => {
                c.args[0] = "--mysql_uri=trillian:hunter2@tcp(db:3306)/trillian";
            },
        ],
        [
            "private key in an env value",
            "no-secret-material-outside-secrets",
            (c) => {
                c.env.push({ name: "SIGNER", value: "-----BEGIN EC PRIVATE KEY-----\nMHc…" });
            },
        ],
    ];
    for (const [what, rule, mutate] of bad) {
        it(`${what}: fails ${rule} and nothing else`, () => {
            const props = goodDeployment();
            const pod = props.spec.template.spec;
            mutate(pod.containers[0], pod);
            const found = resourceViolations(deploymentType, props);
            assert.deepEqual(Object.keys(found), [rule], JSON.stringify(found));
            assert.match(found[rule][0], /^container "app": /);
        });
    }

    it("init containers and the pods of CronJobs and Pods are checked too", () => {
        const props = goodDeployment();
        props.spec.template.spec.initContainers = [{ name: "init", image: "busybox:latest" }];
        assert.ok(Object.keys(resourceViolations(deploymentType, props)).length >= 5);
        const cronJob = { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "backup", image: "mysql" }] } } } } } };
        assert.ok(resourceViolations("kubernetes:batch/v1:CronJob", cronJob)["pinned-images"]);
        assert.ok(resourceViolations("kubernetes:core/v1:Pod", { spec: { containers: [{ name: "p", image: "x:1" }] } })["pods-run-as-non-root"]);
    });

    it("ConfigMaps must not hold private keys or credentials; certificates and $(VAR) references are fine", () => {
        const cm = (data: Record<string, string>) => resourceViolations("kubernetes:core/v1:ConfigMap", { data });
        assert.deepEqual(cm({ "chain.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", treeID: "42" }), {});
        assert.ok(cm({ "key.pem": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n" })["no-secret-material-outside-secrets"]);
        assert.ok(cm({ "redis.conf": "requirepass hunter2\npassword: hunter2\n" })["no-secret-material-outside-secrets"]);
        assert.ok(cm({ "legacy.pem": "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n" })["no-secret-material-outside-secrets"]);
    });

    it("secretMaterial and imageProblem on the shapes our program writes", () => {
        assert.equal(secretMaterial("--redis_server.password=$(REDIS_PASSWORD)"), undefined);
        assert.equal(secretMaterial("--postgresql_uri=postgresql://trillian:$(DB_PASSWORD)@pg:5432/trillian"), undefined);
        assert.match(secretMaterial("--postgresql_uri=postgresql://trillian:s3cret@pg:5432/trillian") ?? "", /connection URI/);
        assert.equal(secretMaterial("--ct-log-url=http://ctlog.sigstore.svc:6962/sigstore"), undefined);
        assert.equal(imageProblem("gcr.io/trillian-opensource-ci/log_server:v1.7.3"), undefined);
        assert.equal(imageProblem(`registry:5000/x/y@sha256:${"a".repeat(64)}`), undefined);
        assert.match(imageProblem("registry:5000/x/y") ?? "", /not pinned/);
    });

    it("namespaces must enforce Pod Security restricted", () => {
        const ns = (level?: string) =>
            resourceViolations("kubernetes:core/v1:Namespace", { metadata: { labels: level ? { "pod-security.kubernetes.io/enforce": level } : {} } });
        assert.deepEqual(ns("restricted"), {});
        assert.ok(ns("baseline")["namespace-pod-security-restricted"]);
        assert.ok(ns()["namespace-pod-security-restricted"]);
    });
});

describe("policy pack: stack rules", () => {
    const [pdbRule, netRule] = stackPolicies;
    const deployment = (replicas: number) => {
        const d = goodDeployment();
        d.spec.replicas = replicas;
        return asPolicyResource(deploymentType, "app", d);
    };
    const pdb = (labels: Record<string, string>, namespace = "ns") =>
        asPolicyResource("kubernetes:policy/v1:PodDisruptionBudget", "pdb", {
            metadata: { namespace },
            spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
        });
    const denyAll = (namespace = "ns", extra: Record<string, any> = {}) =>
        asPolicyResource("kubernetes:networking.k8s.io/v1:NetworkPolicy", "deny", {
            metadata: { namespace },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ...extra },
        });

    it("a multi-replica workload needs a PDB in its namespace selecting its pods", () => {
        assert.deepEqual(stackViolations(pdbRule, [deployment(1)]), []);
        assert.equal(stackViolations(pdbRule, [deployment(2)]).length, 1);
        assert.deepEqual(stackViolations(pdbRule, [deployment(3), pdb({ "app.kubernetes.io/name": "app" })]), []);
        assert.equal(stackViolations(pdbRule, [deployment(3), pdb({ "app.kubernetes.io/name": "other" })]).length, 1);
        assert.equal(stackViolations(pdbRule, [deployment(3), pdb({ "app.kubernetes.io/name": "app" }, "elsewhere")]).length, 1);
        assert.equal(stackViolations(pdbRule, [deployment(3), pdb({})]).length, 1, "an empty selector is no budget for this workload");
    });

    it("a namespace with pods needs a default-deny NetworkPolicy (both directions, no allows)", () => {
        assert.equal(stackViolations(netRule, [deployment(1)]).length, 1);
        assert.deepEqual(stackViolations(netRule, [deployment(1), denyAll()]), []);
        assert.equal(stackViolations(netRule, [deployment(1), denyAll("elsewhere")]).length, 1);
        assert.equal(stackViolations(netRule, [deployment(1), denyAll("ns", { policyTypes: ["Ingress"] })]).length, 1);
        assert.equal(stackViolations(netRule, [deployment(1), denyAll("ns", { egress: [{}] })]).length, 1, "allow-all egress is no default deny");
    });
});

describe("policy pack: the rendered stacks pass every rule", () => {
    const stacks: Array<[string, () => Promise<Evaluation>]> = [
        ["dev", () => evaluateStack("dev")],
        ["prod", () => evaluateStack("prod")],
        [
            "external MySQL (schema Job)",
            () =>
                evaluateRecorded({
                    stack: "dev",
                    overrides: { databaseMode: "external", databaseHost: "mysql.corp.example", databasePassword: "pw", databaseEgressCidrs: "10.0.0.5/32" },
                }),
        ],
    ];
    for (const [what, evaluate] of stacks) {
        it(what, async () => {
            const resources = stackResources(await evaluate());
            assert.ok(resources.length > 30);
            const found: string[] = [];
            for (const r of resources) {
                for (const [rule, messages] of Object.entries(resourceViolations(r.type, r.props)))
                    found.push(...messages.map((m) => `${rule} ${r.name}: ${m}`));
            }
            for (const p of stackPolicies) found.push(...stackViolations(p, resources).map((m) => `${p.name}: ${m}`));
            assert.deepEqual(found, []);
        });
    }

    it("with networkPolicies false the pack refuses the stack", async () => {
        const resources = stackResources(await evaluateRecorded({ stack: "dev", overrides: { networkPolicies: "false" } }));
        assert.equal(stackViolations(stackPolicies[1], resources).length, 1);
    });

    it("the pack registers every rule, and PulumiPolicy.yaml runs it as TypeScript", () => {
        assert.equal(sigstoreBaseline.length, resourcePolicies.length + stackPolicies.length);
        assert.equal(new Set(sigstoreBaseline.map((p) => p.name)).size, sigstoreBaseline.length);
        for (const p of sigstoreBaseline) assert.equal(p.enforcementLevel, "mandatory", p.name);
        const meta = YAML.parse(fs.readFileSync(path.join(repoRoot, "policy", "PulumiPolicy.yaml"), "utf8"));
        assert.deepEqual(meta.runtime, { name: "nodejs", options: { typescript: true } });
        assert.match(
            fs.readFileSync(path.join(repoRoot, "policy", "index.ts"), "utf8"),
            /new PolicyPack\("sigstore-baseline", \{ policies: sigstoreBaseline \}\)/,
        );
    });
});
