/**
 * The one place that reads stack configuration: `loadConfig` returns a typed, validated
 * `SigstoreConfig`, or throws one error listing every problem, each naming the key, the offending
 * value and what is allowed. One module per concern (images, database, trillian, ca, identity,
 * network, monitoring, backup, resources, tsa, tuf); keys that only apply under a condition are refused in
 * one place (applicability.ts); defaults live in defaults.ts and equal Pulumi.yaml's.
 */
import { refuseInapplicableKeys } from "./applicability";
import { readBackup } from "./backup";
import { readCa } from "./ca";
import { dnsLabel, dnsName, pathLike, quantity } from "./checks";
import { readDatabase } from "./database";
import { defaults } from "./defaults";
import { readIdentity, readOidc } from "./identity";
import { readImages } from "./images";
import { readMonitoring } from "./monitoring";
import { readIngressClassName, readIngressTls, readNetwork } from "./network";
import { ConfigSource, pulumiConfigSource, Reader } from "./reader";
import { readResources } from "./resources";
import { readTrillian } from "./trillian";
import { readTsa } from "./tsa";
import { readTuf } from "./tuf";
import { readPolicyController } from "./policy-controller";
import { readRekorV2 } from "./rekor-v2";
import { SigstoreConfig } from "./types";

export * from "./types";
export { defaults, secretKeys } from "./defaults";
export type { DefaultedKey, SecretKey } from "./defaults";
export { applicabilityRules } from "./applicability";
export { imageRef } from "./images";
export { ConfigSource, pulumiConfigSource } from "./reader";
// Generic parsers live in lib/; re-exported for the tests that check settings written with them.
export { isCronSchedule, parseCidrs, parseLabelSelector, parsePorts } from "../lib/parse";
export { isLdapFilter, parseDnList } from "../lib/ldap-syntax";

const ctPrefix = (v: string) => (/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(v) ? undefined : "must be a URL path segment of letters, digits, '_' and '-'");

export function loadConfig(source: ConfigSource = pulumiConfigSource(), project = "sigstore"): SigstoreConfig {
    const r = new Reader(source, project);
    refuseInapplicableKeys(r);

    const publicDomain = r.string("publicDomain", defaults.publicDomain, dnsName);
    const database = readDatabase(r);
    const identity = readIdentity(r);
    const timestampAuthority = readTsa(r);
    const rekorKeyGeneration = r.int("rekorKeyGeneration", defaults.rekorKeyGeneration, 1, 100);
    const rekorV2 = readRekorV2(r, timestampAuthority !== undefined, rekorKeyGeneration);
    const tuf = readTuf(r);
    const config: SigstoreConfig = {
        cluster: {
            kubeconfig: r.optional("kubeconfig", pathLike),
            kubeContext: r.optional("kubeContext"),
            namespace: r.string("namespace", defaults.namespace, dnsLabel),
        },
        images: readImages(r),
        database,
        trillian: readTrillian(r),
        rekor: {
            replicas: r.int("rekorReplicas", defaults.rekorReplicas, 1, 20),
            redisStorageSize: r.string("redisStorageSize", defaults.redisStorageSize, quantity),
            keyGeneration: rekorKeyGeneration,
        },
        fulcio: { replicas: r.int("fulcioReplicas", defaults.fulcioReplicas, 1, 20) },
        ctlog: {
            replicas: r.int("ctlogReplicas", defaults.ctlogReplicas, 1, 20),
            prefix: r.string("ctlogPrefix", defaults.ctlogPrefix, ctPrefix),
            keyGeneration: r.int("ctlogKeyGeneration", defaults.ctlogKeyGeneration, 1, 100),
        },
        oidc: readOidc(r, identity, publicDomain),
        identity,
        backup: readBackup(r, database),
        ca: readCa(r),
        publicDomain,
        ingressClassName: readIngressClassName(r),
        ingressTls: readIngressTls(r),
        protectData: r.bool("protectData", defaults.protectData),
        resources: readResources(r),
        network: readNetwork(r, database, identity, timestampAuthority),
        internalTls: r.bool("internalTls", defaults.internalTls),
        policyControllerResources: r.bool("policyControllerResources", defaults.policyControllerResources),
        monitoring: readMonitoring(r),
        timestampAuthority,
        rekorV2,
        tuf,
        policyController: readPolicyController(r, rekorV2 !== undefined, tuf !== undefined),
    };

    if (r.problems.length > 0) {
        throw new Error(`Invalid stack configuration (${r.problems.length} problem${r.problems.length > 1 ? "s" : ""}):\n  - ${r.problems.join("\n  - ")}`);
    }
    return config;
}
