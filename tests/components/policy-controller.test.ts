/**
 * policy-controller deployed by the program (components/policy-controller.ts, policyController:
 * deploy) in the whole program under Pulumi's mocks: its namespace under Pod Security `restricted`,
 * the pinned webhook with the flags and environment the real binary needs, the objects it reconciles
 * but never creates (left to it after creation), RBAC, NetworkPolicies, and the verification policy
 * applied once the webhook that validates it exists.
 */
import * as assert from "node:assert/strict";
import { upstreamImages } from "../../versions";
import { Evaluation } from "../support/mocks";
import { expectProblem } from "../support/config-source";
import { evaluateRecorded, evaluateStack, registrations } from "../support/registrations";
import { checkArgs } from "../support/upstream-flags";

const deploy = { policyController: "deploy" };

describe("program: policyController deploy (policy-controller's admission webhook)", () => {
    let ev: Evaluation;
    before(async () => {
        ev = await evaluateRecorded({ stack: "prod", overrides: deploy });
    });

    const ofType = (type: string) => ev.cloud.resources.filter((r) => r.type === type);
    const webhook = () => ofType("kubernetes:apps/v1:Deployment").find((d) => d.inputs.metadata.namespace === "cosign-system")!;

    it("runs the pinned webhook in its own namespace under Pod Security restricted", () => {
        const namespace = ofType("kubernetes:core/v1:Namespace").find((n) => n.inputs.metadata.name === "cosign-system");
        assert.ok(namespace, "no cosign-system namespace");
        assert.equal(namespace.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        const pod = webhook().inputs.spec.template.spec;
        const container = pod.containers[0];
        assert.equal(container.image, upstreamImages.policyController);
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.equal(container.securityContext.allowPrivilegeEscalation, false);
        assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
        assert.equal(container.securityContext.readOnlyRootFilesystem, true);
        assert.ok(
            pod.volumes.some((v: any) => v.name === "home" && v.emptyDir),
            "a writable HOME on a read-only root",
        );
    });

    it("passes flags the real webhook accepts, and the environment it cannot start without", () => {
        const container = webhook().inputs.spec.template.spec.containers[0];
        assert.deepEqual(checkArgs("webhook", container.args), []);
        assert.ok(container.args.includes("--disable-tuf"), "offline: the public Sigstore's TUF root is never fetched");
        const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]));
        assert.equal(env.SYSTEM_NAMESPACE, "metadata.namespace");
        assert.equal(container.readinessProbe.httpGet.scheme, "HTTPS");
        assert.equal(container.readinessProbe.httpGet.port, 8443);
        assert.deepEqual(container.readinessProbe.httpGet.httpHeaders, [{ name: "k-kubelet-probe", value: "webhook" }]);
        const service = ofType("kubernetes:core/v1:Service").find((s) => s.inputs.metadata.name === "webhook")!;
        assert.equal(service.inputs.metadata.namespace, "cosign-system");
        assert.ok(service.inputs.spec.ports.some((p: any) => p.port === 8443));
    });

    it("creates what the webhook reconciles but never creates, and leaves to it what it writes", () => {
        const byName = new Map(registrations(ev.cloud).map((r) => [r.name, r]));
        const certs = ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === "webhook-certs")!;
        assert.ok(certs, "no webhook-certs Secret (the webhook fills an existing one)");
        assert.deepEqual(byName.get(certs.name)!.ignoreChanges, ["data"]);
        const configMaps = ofType("kubernetes:core/v1:ConfigMap").filter((c) => c.inputs.metadata.namespace === "cosign-system");
        assert.deepEqual(configMaps.map((c) => c.inputs.metadata.name).sort(), ["config-image-policies", "config-policy-controller", "config-sigstore-keys"]);
        const settings = configMaps.find((c) => c.inputs.metadata.name === "config-policy-controller")!;
        assert.equal(settings.inputs.data["no-match-policy"], "deny");
        for (const generated of configMaps.filter((c) => c !== settings)) assert.deepEqual(byName.get(generated.name)!.ignoreChanges, ["data"]);

        const configurations = [
            ...ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration"),
            ...ofType("kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration"),
        ];
        assert.deepEqual(configurations.map((c) => `${c.type.split(":").pop()}/${c.inputs.metadata.name}`).sort(), [
            "MutatingWebhookConfiguration/defaulting.clusterimagepolicy.sigstore.dev",
            "MutatingWebhookConfiguration/policy.sigstore.dev",
            "ValidatingWebhookConfiguration/policy.sigstore.dev",
            "ValidatingWebhookConfiguration/validating.clusterimagepolicy.sigstore.dev",
        ]);
        for (const c of configurations) {
            const [hook] = c.inputs.webhooks;
            assert.equal(hook.name, c.inputs.metadata.name, "the webhook reconciles the entry named as its configuration");
            assert.deepEqual(hook.clientConfig.service, { name: "webhook", namespace: "cosign-system", port: 8443 });
            assert.equal(hook.failurePolicy, "Fail");
            assert.deepEqual(byName.get(c.name)!.ignoreChanges, ["webhooks"], "rules, caBundle and path are the webhook's");
            const optIn = hook.namespaceSelector?.matchExpressions?.[0];
            if (c.inputs.metadata.name === "policy.sigstore.dev")
                assert.deepEqual(optIn, { key: "policy.sigstore.dev/include", operator: "In", values: ["true"] });
            else assert.equal(optIn, undefined);
        }
    });

    it("binds RBAC to its ServiceAccount: its configurations, CRDs and policies cluster-wide, ConfigMaps, Secrets and Leases in its namespace", () => {
        const [clusterRole] = ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole");
        const rule = (resource: string, verb: string) => clusterRole.inputs.rules.some((r: any) => r.resources.includes(resource) && r.verbs.includes(verb));
        assert.ok(rule("validatingwebhookconfigurations", "update"));
        assert.ok(rule("clusterimagepolicies/status", "update"));
        assert.ok(rule("trustroots", "watch"));
        assert.ok(clusterRole.inputs.rules.some((r: any) => r.resources.includes("namespaces") && r.resourceNames.includes("cosign-system")));
        const role = ofType("kubernetes:rbac.authorization.k8s.io/v1:Role").find((r) => r.inputs.metadata.namespace === "cosign-system")!;
        assert.ok(role.inputs.rules.some((r: any) => r.resources.includes("leases") && r.verbs.includes("update")));
        const bindings = [
            ...ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"),
            ...ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"),
        ];
        const webhookBindings = bindings.filter((b) => b.inputs.subjects.some((s: any) => s.name === "webhook" && s.namespace === "cosign-system"));
        assert.equal(webhookBindings.length, 2);
        assert.equal(webhook().inputs.spec.template.spec.serviceAccountName, "webhook");
    });

    it("applies the verification policy after the webhook, with the TrustRoot the policy names", () => {
        const regs = registrations(ev.cloud);
        const cip = regs.find((r) => r.type.endsWith(":ClusterImagePolicy"))!;
        const deployment = regs.find((r) => r.name === webhook().name && r.type === webhook().type)!;
        const trustRoot = regs.find((r) => r.type.endsWith(":TrustRoot"))!;
        assert.ok(trustRoot.dependencies.includes(deployment.urn), "the policy waits for the webhook that validates it");
        const policy = ev.outputs.verificationPolicy;
        assert.deepEqual(ev.cloud.resources.find((r) => r.name === cip.name)!.inputs.spec, policy.clusterImagePolicy.spec);
        assert.ok(cip.urn);
    });

    it("is absent by default: no namespace, no webhook, no configurations", async () => {
        const prod = await evaluateStack("prod");
        assert.equal(prod.cloud.ofType("sigstore:index:PolicyController").length, 0);
        assert.equal(prod.cloud.ofType("kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration").length, 0);
        assert.ok(!prod.outputs.imageList.includes(upstreamImages.policyController), "an image not deployed is not listed");
        assert.ok(ev.outputs.imageList.includes(upstreamImages.policyController), "the deployed webhook's image is listed for mirroring");
    });
});

describe("program: policyController deploy with TUF trust and NetworkPolicies", () => {
    let ev: Evaluation;
    before(async () => {
        ev = await evaluateRecorded({ stack: "prod", overrides: { ...deploy, policyControllerTrust: "tuf", tuf: "true", networkPolicies: "true" } });
    });

    it("the ClusterImagePolicy names the TrustRoot that follows the TUF mirror", () => {
        const trustRoot = ev.cloud.resources.find((r) => r.type.endsWith(":TrustRoot"))!;
        const remote = ev.outputs.verificationPolicy.trustRootRemote;
        assert.equal(trustRoot.inputs.metadata.name, remote.metadata.name);
        assert.deepEqual(trustRoot.inputs.spec, remote.spec);
        const cip = ev.cloud.resources.find((r) => r.type.endsWith(":ClusterImagePolicy"))!;
        for (const authority of cip.inputs.spec.authorities) {
            assert.equal(authority.keyless.trustRootRef, remote.metadata.name);
            assert.equal(authority.ctlog.trustRootRef, remote.metadata.name);
        }
    });

    it("isolates the webhook: in only the API server's calls on 8443; out DNS, the API server and the registries", () => {
        const policies = ev.cloud.resources.filter(
            (r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && r.inputs.metadata.namespace === "cosign-system",
        );
        assert.equal(policies.length, 1);
        const spec = policies[0].inputs.spec;
        assert.deepEqual(spec.podSelector, {}, "every pod of the namespace");
        assert.deepEqual(spec.policyTypes, ["Ingress", "Egress"]);
        assert.deepEqual(spec.ingress, [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 8443, protocol: "TCP" }] }]);
        assert.deepEqual(
            spec.egress.map((e: any) => e.ports.map((p: any) => p.port)),
            [[53, 53], [443, 6443], [443]],
        );
    });
});

describe("config: policyController deploy refused where it cannot work", () => {
    it("with Rekor v2: policy-controller v0.13.1 verifies only signatures logged in Rekor v1", () => {
        const v2 = { rekorVersion: "v2", rekorKeyGeneration: "2", rekorV2FromGeneration: "2" };
        expectProblem(
            { ...deploy, ...v2 },
            "policyController",
            "deploy",
            /needs rekorVersion v1: policy-controller v0\.13\.1 verifies only cosign's legacy image signatures/,
        );
    });

    it("TUF trust without the TUF repository; its settings without deploy", () => {
        expectProblem({ ...deploy, policyControllerTrust: "tuf", tuf: "false" }, "policyControllerTrust", "tuf", /needs tuf true/);
        expectProblem({ policyControllerNamespace: "admission" }, "policyControllerNamespace", "admission", /only applies with policyController "deploy"/);
        expectProblem({ policyController: "on" }, "policyController", "on", /must be one of "off", "deploy"/);
    });
});
