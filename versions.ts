/**
 * The upstream releases this program deploys and is tested against: the one source of truth for
 * versions. Image tags default to these (config/), and the end-to-end suite builds the real
 * binaries from the same Go module versions (e2e/binaries.ts), so what we test is what we ship.
 */
export const upstream = {
    /** github.com/google/trillian: log_server, log_signer, db_server images and createtree. */
    trillian: "v1.7.3",
    /** github.com/sigstore/rekor: rekor-server image. */
    rekor: "v1.5.4",
    /** github.com/sigstore/fulcio: fulcio image. */
    fulcio: "v1.8.8",
    /** github.com/google/certificate-transparency-go: ctfe image (ct_server). */
    ctfe: "v1.3.3",
    /** github.com/sigstore/cosign/v3: the client our README and outputs target. */
    cosign: "v3.1.2",
    /** github.com/dexidp/dex: the bundled OIDC issuer in front of LDAP/AD (identityProvider dex). */
    dex: "v2.45.1",
    /** github.com/sigstore/timestamp-authority/v2: timestamp-server image (RFC 3161 timestamps). */
    timestampAuthority: "v2.1.3",
    /** nginx (the unprivileged image, uid 101, port 8080): serves the TUF repository's static files. */
    tufServer: "1.28.0-alpine",
    /** github.com/sigstore/rekor-tiles/v2: Rekor v2's POSIX server (the version cosign v3.1.2 links). */
    rekorTiles: "v2.3.0",
    /** Redis for Rekor's index (the official image; any Redis >= 6 works). */
    redis: "7.4.2",
    /** github.com/sigstore/policy-controller: the admission webhook (policyController: deploy) and its tester. */
    policyController: "v0.13.1",
} as const;

/**
 * Tools the end-to-end suite runs beside the servers, never deployed: the OCI registry images are
 * pushed to and signed in, and the client that pushes them.
 */
export const testTools = {
    /** github.com/distribution/distribution/v3: `registry`, the reference OCI registry. */
    distribution: "v3.1.2",
    /** github.com/google/go-containerregistry: `crane`, which pushes and inspects images. */
    goContainerRegistry: "v0.22.1",
} as const;

/** Where each image lives upstream, without registry mirroring applied (see config.imageRef). */
export const upstreamImages = {
    trillianLogServer: `gcr.io/trillian-opensource-ci/log_server:${upstream.trillian}`,
    trillianLogSigner: `gcr.io/trillian-opensource-ci/log_signer:${upstream.trillian}`,
    trillianDatabase: `gcr.io/trillian-opensource-ci/db_server:${upstream.trillian}`,
    rekor: `ghcr.io/sigstore/rekor/rekor-server:${upstream.rekor}`,
    fulcio: `ghcr.io/sigstore/fulcio:${upstream.fulcio}`,
    ctlog: `gcr.io/trillian-opensource-ci/ctfe:${upstream.ctfe}`,
    redis: `docker.io/library/redis:${upstream.redis}`,
    dex: `ghcr.io/dexidp/dex:${upstream.dex}`,
    timestampAuthority: `ghcr.io/sigstore/timestamp-server:${upstream.timestampAuthority}`,
    tufServer: `docker.io/nginxinc/nginx-unprivileged:${upstream.tufServer}`,
    rekorV2: `ghcr.io/sigstore/rekor-tiles/posix:${upstream.rekorTiles}`,
    policyController: `ghcr.io/sigstore/policy-controller/policy-controller:${upstream.policyController}`,
} as const;

export type ImageName = keyof typeof upstreamImages;
