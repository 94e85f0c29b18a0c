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
    /** The ClusterImagePolicy's name (cluster-scoped). */
    readonly name: string;
    /**
     * The TrustRoot the policy names: the inline one, or the one that follows the TUF mirror. Names
     * are plain strings, known at preview: an unknown name would make every preview show a replacement.
     */
    readonly trustRoot: { name: string; spec: pulumi.Input<object> };
    readonly clusterImagePolicySpec: pulumi.Input<object>;
    /** What must exist first: a deployed policy-controller's webhook, which validates both objects. */
    readonly after?: pulumi.Resource[];
}

/** The policy's authorities, each naming `trustRootRef` (keyless and its Rekor alike). */
export function withTrustRoot(spec: any, trustRootRef: string): object {
    const ref = (o: any) => (o ? { ...o, trustRootRef } : o);
    return { ...spec, authorities: spec.authorities.map((a: any) => ({ ...a, keyless: ref(a.keyless), ctlog: ref(a.ctlog) })) };
}

export class AdmissionPolicy extends pulumi.ComponentResource {
    constructor(name: string, args: AdmissionPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sigstore:index:AdmissionPolicy", name, {}, opts);
        // apiVersion and kind are plain strings: they make the resource's type token.
        const apply = (
            role: string,
            kind: "TrustRoot" | "ClusterImagePolicy",
            objectName: string,
            spec: pulumi.Input<object>,
            dependsOn: pulumi.Resource[] = [],
        ) =>
            new k8s.apiextensions.CustomResource(
                `${name}-${role}`,
                {
                    apiVersion: policyControllerApiVersion,
                    kind,
                    metadata: { name: objectName, labels: { "app.kubernetes.io/part-of": "sigstore", "app.kubernetes.io/managed-by": "pulumi" } },
                    spec,
                },
                { parent: this, dependsOn },
            );
        const trustRoot = apply("trust-root", "TrustRoot", args.trustRoot.name, args.trustRoot.spec, args.after);
        // The policy names the TrustRoot: create it first, so the policy never refers to a missing root.
        const spec = pulumi.output(args.clusterImagePolicySpec).apply((policy) => withTrustRoot(policy, args.trustRoot.name));
        apply("cluster-image-policy", "ClusterImagePolicy", args.name, spec, [trustRoot]);
        this.registerOutputs({});
    }
}
