/**
 * The stack's outputs, shaped from what the components expose: a versioned contract that other
 * stacks consume (docs/outputs.md; `outputsVersion` is bumped on a breaking change). Public material
 * only: nothing here reads a Secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { buildClientMaterial, ClientMaterial, PublicEndpoints } from "./lib/client-material";
import { verificationPolicy } from "./lib/verification-policy";
import { CtLog } from "./components/ctlog";
import { Fulcio } from "./components/fulcio";
import { Rekor } from "./components/rekor";
import { TimestampAuthority, timestampPath } from "./components/timestamp-authority";
import { TufRepository } from "./components/tuf-repository";
import { RekorV2 } from "./components/rekor-v2";
import { currentRoles } from "./lib/tuf-schedule";
import { RekorV2Capacity } from "./lib/capacity";

export const outputsVersion = 1;

/** Where clients reach each server: `<service>.<publicDomain>` behind the ingress, the CT log per prefix. */
export class PublicHosts {
    constructor(private readonly publicDomain: string) {}

    host(service: string): string {
        return `${service}.${this.publicDomain}`;
    }

    url(service: string): string {
        return `https://${this.host(service)}`;
    }

    /** A CT log's public base URL: the host, then the log's prefix (one per ctlogKeyGeneration). */
    ctlogBaseUrl(prefix: string): string {
        return `${this.url("ctlog")}/${prefix}`;
    }
}

interface TrustInputs {
    hosts: PublicHosts;
    urls: PublicEndpoints;
    fulcio: Fulcio;
    rekor: Rekor;
    ctlog: CtLog;
    tsa?: TimestampAuthority;
    rekorV2?: RekorV2;
    oidc: { issuerUrl: string; clientId: string; emailDomain: string };
}

/** Where clients ask the timestamp authority: the full RFC 3161 endpoint, as the signing config must name it. */
export function timestampUrl(hosts: PublicHosts): string {
    return `${hosts.url("tsa")}${timestampPath}`;
}

/** The trusted root, signing config and ready-to-run cosign commands, from every CA and log key generation. */
export function clientMaterial(i: TrustInputs): pulumi.Output<ClientMaterial> {
    return pulumi
        .all([i.fulcio.caGenerations, i.rekor.keyGenerations, i.ctlog.generations, i.fulcio.validFrom, i.tsa?.generations ?? [], i.rekorV2?.logs])
        .apply(([fulcioCas, rekorKeys, ctlogs, validFrom, tsaChains, rekorV2Logs]) =>
            buildClientMaterial({
                urls: i.urls,
                fulcioCas,
                rekorKeys,
                validFrom,
                ctlogKeys: ctlogs.map((l) => ({ baseUrl: i.hosts.ctlogBaseUrl(l.prefix), publicKeyPem: l.publicKeyPem, frozenAt: l.frozenAt })),
                tsa: i.tsa ? { url: timestampUrl(i.hosts), chains: tsaChains } : undefined,
                rekorV2: rekorV2Logs,
                oidcClientId: i.oidc.clientId,
                emailDomain: i.oidc.emailDomain,
            }),
        );
}

/** Who is trusted, as data for other stacks and admission controllers (policy-controller objects). */
export function verificationPolicyOutput(i: TrustInputs & { name: string; tuf?: { mirrorUrl: string; initialRoot: pulumi.Output<string> } }) {
    return pulumi
        .all([i.fulcio.caGenerations, i.rekor.keyGenerations, i.ctlog.generations, i.tsa?.generations ?? [], i.tuf?.initialRoot])
        .apply(([cas, rekorKeys, ctlogs, tsaChains, tufRoot]) =>
            verificationPolicy({
                name: i.name,
                issuerUrl: i.oidc.issuerUrl,
                emailDomain: i.oidc.emailDomain,
                urls: i.urls,
                fulcioChainPems: cas.map((ca) => ca.chainPem),
                rekorPublicKeyPems: rekorKeys.map((k) => k.publicKeyPem),
                ctlogs: ctlogs.map((l) => ({ baseUrl: i.hosts.ctlogBaseUrl(l.prefix), publicKeyPem: l.publicKeyPem })),
                tsa: i.tsa ? { url: timestampUrl(i.hosts), chainPems: tsaChains.map((c) => c.chainPem) } : undefined,
                tuf: i.tuf && tufRoot ? { mirrorUrl: i.tuf.mirrorUrl, initialRoot: tufRoot } : undefined,
            }),
        );
}

/** The TUF targets: the exact bytes of the trustedRoot and signingConfig outputs, under the names clients fetch. */
export function tufTargets(client: pulumi.Output<ClientMaterial>): pulumi.Output<Record<string, string>> {
    return client.apply((c): Record<string, string> => ({ "trusted_root.json": c.trustedRoot, "signing_config.v0.2.json": c.signingConfig }));
}

/** The TUF repository as other stacks and operators consume it (docs/outputs.md). */
export function tufOutput(mirrorUrl: string, tuf: TufRepository) {
    return pulumi.all([tuf.initialRoot, tuf.initialRootSha256, tuf.schedule]).apply(([root, sha256, schedule]) => ({
        enabled: true,
        mirrorUrl,
        root,
        rootSha256: sha256,
        /** For `cosign initialize --root-checksum`. */
        rootChecksum: `sha256:${sha256}`,
        roles: currentRoles(schedule),
    }));
}

/** Rekor v2 as other stacks and monitors consume it: where to write, the origin clients verify checkpoints under, the key, and the read path. */
export function rekorV2Output(rekorV2: RekorV2, capacity: RekorV2Capacity["report"]) {
    return pulumi.all([rekorV2.publicKeyPem, rekorV2.logs]).apply(([publicKeyPem, logs]) => ({
        enabled: true,
        url: `https://${rekorV2.origin}`,
        origin: rekorV2.origin,
        publicKeyPem,
        /** The signed checkpoint; tiles are below it (`tile/<L>/<N>`, `tile/entries/<N>`). */
        checkpointUrl: `https://${rekorV2.origin}/checkpoint`,
        /** Every Rekor v2 log, oldest first (rekorKeyGeneration): a retired one is read-only, with when it stopped taking writes. */
        logs: logs.map((log) => ({ ...log, checkpointUrl: `https://${log.origin}/checkpoint` })),
        /** The active log's volume against expectedSigningsPerDay × retentionYears (lib/capacity.ts). */
        capacity,
    }));
}

/** Every image the stack runs, sorted: what an air-gapped cluster's registry must mirror. */
export function imageList(images: Record<string, string>, running: (image: string) => boolean): string[] {
    return Object.entries(images)
        .filter(([image]) => running(image))
        .map(([, ref]) => ref)
        .sort();
}
