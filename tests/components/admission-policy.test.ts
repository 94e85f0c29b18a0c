/**
 * The admission policy (components/admission-policy.ts, policyControllerResources) in the whole
 * program under Pulumi's mocks: the verification policy applied as policy-controller objects.
 */
import * as assert from "node:assert/strict";
import { Evaluation } from "../support/mocks";
import { evaluateRecorded, evaluateStack, registrations } from "../support/registrations";

describe("program: policyControllerResources (the verification policy applied as policy-controller objects)", () => {
    let ev: Evaluation;
    before(async () => {
        ev = await evaluateRecorded({ stack: "prod", overrides: { policyControllerResources: "true" } });
    });

    it("creates the output's TrustRoot, then the ClusterImagePolicy that names it, cluster-scoped and unchanged", () => {
        const objects = ev.cloud.resources.filter((r) => r.type.startsWith("kubernetes:policy.sigstore.dev/"));
        assert.deepEqual(objects.map((r) => r.type).sort(), [
            "kubernetes:policy.sigstore.dev/v1alpha1:ClusterImagePolicy",
            "kubernetes:policy.sigstore.dev/v1alpha1:TrustRoot",
        ]);
        const policy = ev.outputs.verificationPolicy;
        for (const [r, expected] of [
            [objects.find((o) => o.type.endsWith(":TrustRoot"))!, policy.trustRoot],
            [objects.find((o) => o.type.endsWith(":ClusterImagePolicy"))!, policy.clusterImagePolicy],
        ]) {
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
