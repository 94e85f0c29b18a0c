/**
 * The whole program (index.ts) under Pulumi's mocks, for the dev and prod stacks: the outputs it
 * exports (docs/outputs.md), and the public contract among them exported as plain values.
 */
import * as assert from "node:assert/strict";
import { Evaluation } from "../support/mocks";
import { describeEachStack } from "../support/program";
import { exportIsSecret } from "../support/registrations";

describeEachStack(({ prod, evaluation }) => {
    let ev: Evaluation;
    before(async () => {
        ({ ev } = await evaluation());
    });

    it("evaluates and exports the documented outputs", () => {
        assert.deepEqual(Object.keys(ev.outputs).sort(), [
            "cosign",
            "ctlogPublicKeyPem",
            "ctlogTreeId",
            "ctlogs",
            "databaseBackup",
            "databaseCapacity",
            "databaseCredentialsSecretName",
            "fulcioCertChainPem",
            "imageList",
            "internalUrls",
            "namespaceName",
            "outputsVersion",
            "rekorPublicKeyPem",
            "rekorShards",
            "rekorTreeId",
            "rekorV2Log",
            "signingConfig",
            "timestampAuthority",
            "trustedRoot",
            "tufMirrorUrl",
            "tufRepository",
            "tufRoot",
            "urls",
            "verificationPolicy",
        ]);
        // Never rotated: one shard on the output tree with the output key; in dev, frozen once Rekor v2 took the writes.
        const [shard, ...more] = ev.outputs.rekorShards;
        assert.deepEqual(more, []);
        assert.deepEqual(
            { treeId: shard.treeId, publicKeyPem: shard.publicKeyPem },
            { treeId: ev.outputs.rekorTreeId, publicKeyPem: ev.outputs.rekorPublicKeyPem },
        );
        if (prod) assert.equal(shard.frozenAt, undefined, "prod writes to Rekor v1");
        else assert.match(shard.frozenAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "dev moved to Rekor v2: its v1 tree is frozen");
        assert.deepEqual(ev.outputs.ctlogs, [{ treeId: ev.outputs.ctlogTreeId, prefix: "sigstore", publicKeyPem: ev.outputs.ctlogPublicKeyPem }]);
        assert.equal(ev.outputs.outputsVersion, 1);
        assert.equal(ev.outputs.namespaceName, "sigstore");
        const domain = prod ? "sigstore.corp.example" : "sigstore.dev.corp.example";
        assert.deepEqual(ev.outputs.urls, {
            fulcio: `https://fulcio.${domain}`,
            rekor: `https://rekor.${domain}`,
            ctlog: `https://ctlog.${domain}/sigstore`,
            oidcIssuer: prod ? "https://keycloak.corp.example/realms/sigstore" : "https://keycloak.dev.corp.example/realms/sigstore",
        });
    });

    it("public contract outputs are plain values other stacks can read", async () => {
        for (const name of [
            "rekorTreeId",
            "ctlogTreeId",
            "fulcioCertChainPem",
            "rekorPublicKeyPem",
            "ctlogPublicKeyPem",
            "trustedRoot",
            "signingConfig",
            "namespaceName",
            "tufMirrorUrl",
            "tufRoot",
        ]) {
            assert.equal(await exportIsSecret(ev.exports[name]), false, `${name} is public material and must not be secret`);
            assert.equal(typeof ev.outputs[name], "string", name);
        }
    });
});
