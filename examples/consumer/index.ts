/**
 * A second Pulumi project that consumes the sigstore stack through its outputs contract
 * (StackReference), the way a CI platform team would: it publishes the deployment's trust material
 * as a ConfigMap "sigstore-trust" in the namespace where signing/verifying jobs run.
 *
 * The program is an async function (module.exports = function; Pulumi awaits it) so that an
 * incompatible outputsVersion stops the program with a clear error before any resource is
 * registered, instead of failing inside an apply.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { buildTrustBundle, checkOutputsVersion, DEFAULT_MOUNT_PATH, SigstoreUrls } from "./trust-bundle";

/** Fixed name: other teams' pods mount it by this name. */
const configMapName = "sigstore-trust";

export = async () => {
    const config = new pulumi.Config();
    const sigstoreStack = config.require("sigstoreStack"); // e.g. "acme/sigstore/prod"
    const namespace = config.get("namespace") ?? "ci";
    const mountPath = config.get("mountPath") ?? DEFAULT_MOUNT_PATH;

    const sigstore = new pulumi.StackReference(sigstoreStack);

    // The contract version first: requireOutputValue is requireOutput, awaited.
    checkOutputsVersion(await sigstore.requireOutputValue("outputsVersion"), sigstoreStack);

    const data = pulumi
        .all([
            sigstore.requireOutput("trustedRoot"),
            sigstore.requireOutput("signingConfig"),
            sigstore.requireOutput("urls"),
            sigstore.requireOutput("fulcioCertChainPem"),
            sigstore.requireOutput("rekorPublicKeyPem"),
            sigstore.requireOutput("ctlogPublicKeyPem"),
        ])
        .apply(([trustedRoot, signingConfig, urls, fulcioCertChainPem, rekorPublicKeyPem, ctlogPublicKeyPem]) =>
            buildTrustBundle(
                {
                    trustedRoot: trustedRoot as string,
                    signingConfig: signingConfig as string,
                    urls: urls as SigstoreUrls,
                    fulcioCertChainPem: fulcioCertChainPem as string,
                    rekorPublicKeyPem: rekorPublicKeyPem as string,
                    ctlogPublicKeyPem: ctlogPublicKeyPem as string,
                },
                mountPath,
            ),
        );

    const provider = new k8s.Provider("cluster", {
        kubeconfig: config.get("kubeconfig"),
        context: config.get("kubeContext"),
    });

    const trust = new k8s.core.v1.ConfigMap(
        "sigstore-trust",
        {
            metadata: {
                name: configMapName,
                namespace,
                labels: { "app.kubernetes.io/name": configMapName, "app.kubernetes.io/part-of": "sigstore", "app.kubernetes.io/managed-by": "pulumi" },
                annotations: { "sigstore.dev/source-stack": sigstoreStack },
            },
            data,
        },
        { provider },
    );

    return {
        outputsVersion: 1,
        namespace,
        configMapName: trust.metadata.name,
        mountPath,
    };
};
