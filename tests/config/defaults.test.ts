/**
 * Defaults: only the required keys give a valid config of defaults; valid values are read; images are mirrored and pinned.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { defaults, imageRef } from "../../config";
import { upstream, upstreamImages } from "../../versions";
import { digest, load, required } from "../support/config-source";

describe("config: defaults", () => {
    it("only the required keys produce a valid config equal to the defaults", () => {
        const c = load({});
        assert.deepEqual(c.cluster, { kubeconfig: undefined, kubeContext: undefined, namespace: defaults.namespace });
        assert.deepEqual(c.images.refs, { ...upstreamImages });
        assert.deepEqual(c.database, {
            mode: "in-cluster",
            storageSize: defaults.databaseStorageSize,
            storageClass: undefined,
            expectedSigningsPerDay: defaults.expectedSigningsPerDay,
            retentionYears: defaults.retentionYears,
        });
        assert.equal(c.trillian.serverReplicas, defaults.trillianServerReplicas);
        assert.equal(c.trillian.signerReplicas, defaults.trillianSignerReplicas);
        assert.equal(c.trillian.rekorTreeId, undefined);
        assert.equal(c.trillian.ctlogTreeId, undefined);
        assert.deepEqual(c.trillian.createtree, { mode: "port-forward", binary: "createtree", updatetreeBinary: "updatetree" });
        assert.deepEqual(c.rekor, { replicas: 1, redisStorageSize: defaults.redisStorageSize, keyGeneration: 1 });
        assert.deepEqual(c.fulcio, { replicas: 1 });
        assert.deepEqual(c.ctlog, { replicas: 1, prefix: defaults.ctlogPrefix, keyGeneration: 1 });
        assert.deepEqual(c.oidc, {
            issuerUrl: required.oidcIssuerUrl,
            clientId: "sigstore",
            issuerType: "email",
            issuerCaCert: undefined,
            emailDomain: "corp.example",
        });
        assert.deepEqual(c.ca, {
            mode: "self-signed",
            organization: defaults.caOrganization,
            commonName: defaults.caCommonName,
            validityHours: defaults.caValidityHours,
            generation: defaults.fulcioCaGeneration,
        });
        assert.equal(c.publicDomain, defaults.publicDomain);
        assert.equal(c.ingressClassName, undefined);
        assert.equal(c.protectData, false);
    });

    it("default image tags are the tested versions in versions.ts", () => {
        assert.equal(defaults.trillianTag, upstream.trillian);
        assert.equal(defaults.rekorTag, upstream.rekor);
        assert.equal(defaults.fulcioTag, upstream.fulcio);
        assert.equal(defaults.ctlogTag, upstream.ctfe);
        assert.equal(defaults.redisTag, upstream.redis);
    });

    it("an empty value means unset (the default applies)", () => {
        const c = load({ namespace: "", rekorReplicas: "", protectData: "" });
        assert.equal(c.cluster.namespace, "sigstore");
        assert.equal(c.rekor.replicas, 1);
        assert.equal(c.protectData, false);
    });

    it("reads valid non-default values", () => {
        const c = load(
            {
                namespace: "sigstore-prod",
                rekorReplicas: "3",
                trillianSignerReplicas: "2",
                protectData: "true",
                databaseStorageSize: "50Gi",
                ingressClassName: "nginx",
                kubeconfig: "/etc/kube/config",
                kubeContext: "prod-cluster",
                caMode: "chained",
                caRootCert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            },
            { caRootKey: "-----BEGIN PRIVATE KEY-----\n..." },
        );
        assert.equal(c.cluster.namespace, "sigstore-prod");
        assert.equal(c.cluster.kubeconfig, "/etc/kube/config");
        assert.equal(c.cluster.kubeContext, "prod-cluster");
        assert.equal(c.rekor.replicas, 3);
        assert.equal(c.trillian.signerReplicas, 2);
        assert.equal(c.protectData, true);
        assert.equal(c.database.storageSize, "50Gi");
        assert.equal(c.ingressClassName, "nginx");
        assert.equal(c.ca.mode, "chained");
        assert.ok(pulumi.Output.isInstance(c.ca.rootKeyPem), "the root key stays an Output");
    });

    it("the external database password stays a secret Output", async () => {
        const c = load(
            { databaseMode: "external", databaseHost: "10.0.0.5", databaseEngine: "postgresql", databasePort: "5432", databaseEgressCidrs: "10.0.0.5/32" },
            { databasePassword: "pw" },
        );
        assert.deepEqual(
            { ...c.database.external, password: undefined },
            {
                engine: "postgresql",
                host: "10.0.0.5",
                port: 5432,
                name: "trillian",
                user: "trillian",
                password: undefined,
            },
        );
        assert.ok(await pulumi.isSecret(c.database.external!.password));
    });
});

describe("config: imageRef and registry mirroring", () => {
    const mirror = "registry.corp.example:5000/sigstore";

    it("keeps the upstream path below the mirror", () => {
        assert.equal(imageRef(upstreamImages.trillianLogServer, "v1.7.3", mirror), `${mirror}/trillian-opensource-ci/log_server:v1.7.3`);
        assert.equal(imageRef(upstreamImages.rekor, "v1.5.4", mirror), `${mirror}/sigstore/rekor/rekor-server:v1.5.4`);
        assert.equal(imageRef(upstreamImages.fulcio, "v1.8.8", mirror), `${mirror}/sigstore/fulcio:v1.8.8`);
        assert.equal(imageRef(upstreamImages.redis, "7.4.2", mirror), `${mirror}/library/redis:7.4.2`);
    });

    it("without a mirror keeps the upstream repository and applies the tag", () => {
        assert.equal(imageRef(upstreamImages.ctlog, "v9.9.9"), "gcr.io/trillian-opensource-ci/ctfe:v9.9.9");
        assert.equal(imageRef(upstreamImages.fulcio, "v1.8.8", ""), upstreamImages.fulcio);
    });

    it("supports @sha256 digests, with and without a tag", () => {
        assert.equal(imageRef(upstreamImages.fulcio, `@sha256:${digest}`, mirror), `${mirror}/sigstore/fulcio@sha256:${digest}`);
        assert.equal(imageRef(upstreamImages.fulcio, `v1.8.8@sha256:${digest}`), `ghcr.io/sigstore/fulcio:v1.8.8@sha256:${digest}`);
    });

    it("loadConfig mirrors every image and pins all three Trillian images to trillianTag", () => {
        const c = load({ imageRegistry: mirror, trillianTag: `v1.7.3@sha256:${digest}`, redisTag: "7.4.3" });
        for (const [name, ref] of Object.entries(c.images.refs)) assert.ok(ref.startsWith(`${mirror}/`), `${name}: ${ref}`);
        assert.equal(c.images.refs.trillianLogServer, `${mirror}/trillian-opensource-ci/log_server:v1.7.3@sha256:${digest}`);
        assert.equal(c.images.refs.trillianLogSigner, `${mirror}/trillian-opensource-ci/log_signer:v1.7.3@sha256:${digest}`);
        assert.equal(c.images.refs.trillianDatabase, `${mirror}/trillian-opensource-ci/db_server:v1.7.3@sha256:${digest}`);
        assert.equal(c.images.refs.redis, `${mirror}/library/redis:7.4.3`);
        assert.equal(c.images.refs.rekor, `${mirror}/sigstore/rekor/rekor-server:${upstream.rekor}`);
    });
});
