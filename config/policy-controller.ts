/**
 * policy-controller deployed by the program (policyController: deploy): its namespace, replicas,
 * what it does with an image no policy covers, which TrustRoot the policy uses, and where it may
 * connect to (registries, the TUF mirror).
 */
import { cidrListFormat, parseCidrs, parsePorts, portListFormat } from "../lib/parse";
import { dnsLabel } from "./checks";
import { defaults } from "./defaults";
import { Reader } from "./reader";
import { PolicyControllerConfig } from "./types";

export const policyControllerModes = ["off", "deploy"] as const;
/** policy-controller's no-match-policy: an image no ClusterImagePolicy covers is denied, admitted with a warning, or admitted. */
export const noMatchPolicies = ["deny", "warn", "allow"] as const;
/** The TrustRoot the ClusterImagePolicy names: the inline keys, or the trusted root followed through the TUF mirror. */
export const policyControllerTrusts = ["inline", "tuf"] as const;

export function readPolicyController(r: Reader, rekorV2: boolean, tuf: boolean): PolicyControllerConfig | undefined {
    if (r.oneOf("policyController", policyControllerModes, defaults.policyController) === "off") return undefined;
    if (rekorV2) {
        r.reject(
            "policyController",
            "deploy",
            "needs rekorVersion v1: policy-controller v0.13.1 verifies only cosign's legacy image signatures, whose Rekor v1 SET it checks, and a stack on Rekor v2 can no longer log them (README, Signing container images)",
        );
    }
    const trust = r.oneOf("policyControllerTrust", policyControllerTrusts, defaults.policyControllerTrust);
    if (trust === "tuf" && !tuf) r.reject("policyControllerTrust", trust, "needs tuf true: the remote TrustRoot follows the stack's TUF mirror");
    return {
        namespace: r.string("policyControllerNamespace", defaults.policyControllerNamespace, dnsLabel),
        replicas: r.int("policyControllerReplicas", defaults.policyControllerReplicas, 1, 5),
        noMatchPolicy: r.oneOf("policyControllerNoMatchPolicy", noMatchPolicies, defaults.policyControllerNoMatchPolicy),
        trust,
        egressCidrs: r.parsed("policyControllerEgressCidrs", defaults.policyControllerEgressCidrs, parseCidrs, cidrListFormat),
        egressPorts: r.parsed("policyControllerEgressPorts", defaults.policyControllerEgressPorts, parsePorts, portListFormat),
    };
}
