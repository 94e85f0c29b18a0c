/**
 * AdmissionPolicy: the verification policy (lib/verification-policy.ts) applied to the cluster as
 * Sigstore policy-controller objects, when policyControllerResources is on and policy-controller's
 * CRDs are installed: a TrustRoot holding our Fulcio chain and Rekor / CT log keys, and a
 * ClusterImagePolicy requiring every image admitted in opted-in namespaces to be signed keyless by
 * our issuer and an identity of the organisation's domain. Both are cluster-scoped.
 * Off by default: the same documents are always in the verificationPolicy output, for clusters
 * whose admission policies live elsewhere (another stack, GitOps).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { policyControllerApiVersion } from "../lib/verification-policy";

export interface AdmissionPolicyArgs {
    /** The objects' name (both are cluster-scoped; the policy refers to the root by it). */
    readonly name: string;
    readonly trustRootSpec: pulumi.Input<object>;
    readonly clusterImagePolicySpec: pulumi.Input<object>;
}

export class AdmissionPolicy extends pulumi.ComponentResource {
    constructor(name: string, args: AdmissionPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:AdmissionPolicy", name, {}, opts);
        // apiVersion and kind are plain strings: they make the resource's type token.
        const apply = (role: string, kind: "TrustRoot" | "ClusterImagePolicy", spec: pulumi.Input<object>, dependsOn: pulumi.Resource[] = []) =>
            new k8s.apiextensions.CustomResource(
                `${name}-${role}`,
                {
                    apiVersion: policyControllerApiVersion,
                    kind,
                    metadata: { name: args.name, labels: { "app.kubernetes.io/part-of": "sigstore", "app.kubernetes.io/managed-by": "pulumi" } },
                    spec,
                },
                { parent: this, dependsOn },
            );
        const trustRoot = apply("trust-root", "TrustRoot", args.trustRootSpec);
        // The policy names the TrustRoot: create it first, so the policy never refers to a missing root.
        apply("cluster-image-policy", "ClusterImagePolicy", args.clusterImagePolicySpec, [trustRoot]);
        this.registerOutputs({});
    }
}
