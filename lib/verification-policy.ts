/**
 * The verification policy as data, for other stacks and admission controllers: who is trusted
 * (the OIDC issuer and the identity regexp of the organisation's email domain, the same as the
 * cosign verify command's) and under which trust material, as Sigstore policy-controller objects:
 *  - a `TrustRoot` (policy.sigstore.dev/v1alpha1) whose `sigstoreKeys` carry our Fulcio chain and
 *    our Rekor and CT log keys (`[]byte` fields in policy-controller's Go types: base64 of the PEM);
 *  - a `ClusterImagePolicy` (policy.sigstore.dev/v1alpha1, the CRD's storage version, so the API
 *    server needs no conversion webhook to take it; v1beta1 has the same fields) that requires every
 *    image to be signed keyless through our Fulcio by such an identity, logged in our Rekor, under
 *    that TrustRoot.
 * The cluster suite creates both against policy-controller v0.13.1's CRDs in a real API server and
 * requires them back unchanged (nothing pruned, nothing rejected).
 */
import { X509Certificate } from "node:crypto";
import { identityRegexp } from "./client-material";
import { parseCertificateBundle, subjectAttributes } from "./pem";

export interface VerificationPolicyInputs {
    /** Name of both objects (a DNS subdomain). */
    name: string;
    issuerUrl: string;
    emailDomain: string;
    urls: { fulcio: string; rekor: string };
    /** Every Fulcio CA chain the deployment has had (fulcioCaGeneration), oldest first. */
    fulcioChainPems: string[];
    /** Every Rekor key the deployment has had (rekorKeyGeneration), oldest first. */
    rekorPublicKeyPems: string[];
    /** Every CT log the deployment has had (ctlogKeyGeneration), oldest first. */
    ctlogs: Array<{ baseUrl: string; publicKeyPem: string }>;
    /** The timestamp authority, if deployed: its URL and every chain it has had (leaf first), oldest first. */
    tsa?: { url: string; chainPems: string[] };
    /** The TUF repository, if deployed: its mirror and the initial root.json (for the remote TrustRoot). */
    tuf?: { mirrorUrl: string; initialRoot: string };
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** { organization, commonName } of a certificate's subject. */
function distinguishedName(cert: X509Certificate): { organization: string; commonName: string } {
    const fields = subjectAttributes(cert.subject);
    return { organization: fields.O ?? "", commonName: fields.CN ?? "" };
}

/** The name of the TrustRoot that follows the TUF mirror, beside the inline one named `name`. */
export const remoteTrustRootName = (name: string) => `${name}-tuf`;

/** policy-controller's storage version of both kinds (v1beta1 would need its conversion webhook to be stored). */
export const policyControllerApiVersion = "policy.sigstore.dev/v1alpha1";

export function verificationPolicy(i: VerificationPolicyInputs) {
    const subjectRegExp = identityRegexp(i.emailDomain);
    /** A CertificateAuthority entry: the root's subject and the whole chain (its last entry the root). */
    const authority = (chainPem: string, what: string) => {
        const root = parseCertificateBundle(chainPem, what).pop()!;
        return { subject: distinguishedName(root), certChain: b64(chainPem) };
    };
    const certificateAuthority = (chainPem: string) => ({ ...authority(chainPem, "Fulcio chain"), uri: i.urls.fulcio });
    const trustRoot = {
        apiVersion: policyControllerApiVersion,
        kind: "TrustRoot",
        metadata: { name: i.name },
        spec: {
            sigstoreKeys: {
                // Earlier CAs too: images signed before a rotation stay admissible.
                certificateAuthorities: i.fulcioChainPems.map(certificateAuthority),
                // Earlier Rekor keys too: their frozen trees' entries still prove the older signatures.
                tLogs: i.rekorPublicKeyPems.map((pem) => ({ baseURL: i.urls.rekor, hashAlgorithm: "sha-256", publicKey: b64(pem) })),
                ctLogs: i.ctlogs.map((l) => ({ baseURL: l.baseUrl, hashAlgorithm: "sha-256", publicKey: b64(l.publicKeyPem) })),
                // Earlier chains too: timestamps made before a rotation stay verifiable.
                ...(i.tsa ? { timestampAuthorities: i.tsa.chainPems.map((chainPem) => ({ ...authority(chainPem, "TSA chain"), uri: i.tsa!.url })) } : {}),
            },
        },
    };
    const clusterImagePolicy = {
        apiVersion: policyControllerApiVersion,
        kind: "ClusterImagePolicy",
        metadata: { name: i.name },
        spec: {
            images: [{ glob: "**" }],
            authorities: [
                {
                    name: "organisation-signers",
                    keyless: { url: i.urls.fulcio, trustRootRef: i.name, identities: [{ issuer: i.issuerUrl, subjectRegExp }] },
                    ctlog: { url: i.urls.rekor, trustRootRef: i.name },
                },
            ],
        },
    };
    // The same trust, followed through the TUF repository: policy-controller refreshes it from the mirror.
    const trustRootRemote = i.tuf
        ? {
              apiVersion: policyControllerApiVersion,
              kind: "TrustRoot",
              metadata: { name: remoteTrustRootName(i.name) },
              spec: { remote: { mirror: i.tuf.mirrorUrl, root: b64(i.tuf.initialRoot), trustedRootTarget: "trusted_root.json" } },
          }
        : undefined;
    return { issuer: i.issuerUrl, subjectRegExp, trustRoot, ...(trustRootRemote ? { trustRootRemote } : {}), clusterImagePolicy };
}
