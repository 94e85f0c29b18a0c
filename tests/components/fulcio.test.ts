/**
 * Fulcio CA rotation by config (fulcioCaGeneration): raising it makes a new CA and keeps every earlier
 * one, in state (nothing of generation 1 is re-created or deleted), in the trusted root with
 * validFor.end = the new CA's start, in the CT log's accepted roots and in the policy's TrustRoot.
 * The e2e suite signs before and after a rotation and verifies both with the one trusted root.
 */
import * as assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { Evaluation } from "../support/mocks";
import { evaluateRotation, registrations, replacedByProvider } from "../support/registrations";

describe("rotation: fulcioCaGeneration", () => {
    let first: Evaluation;
    let rotated: Evaluation;

    before(async () => {
        ({ first, rotated } = await evaluateRotation({ fulcioCaGeneration: "2" }));
    });

    const cas = (ev: Evaluation) => JSON.parse(ev.outputs.trustedRoot).certificateAuthorities;
    const pemOf = (ca: any) => ca.certChain.certificates.map((c: any) => c.rawBytes);

    it("keeps generation 1 as it was: same resources, same certificate, nothing re-created, still protected", () => {
        const gen1 = ["fulcio-ca-key", "fulcio-ca-cert", "fulcio-ca-key-password"];
        for (const name of gen1) {
            assert.ok(!rotated.cloud.created.some((k) => k.endsWith(`::${name}`)), `${name} was re-created`);
            assert.ok(registrations(rotated.cloud).find((r) => r.name === name)!.protect, `${name} is not protected`);
        }
        assert.deepEqual(pemOf(cas(rotated)[0]), pemOf(cas(first)[0]));
        assert.ok(
            rotated.cloud.created.some((k) => k.endsWith("::fulcio-ca-key-g2")),
            "no generation 2 key",
        );
    });

    it("what the provider replaces (the CA Secret, Fulcio's chain and the CT log's roots: their data changed) is not protected; the CA Secret is retained", () => {
        const replaced = replacedByProvider(first, rotated);
        assert.deepEqual(replaced.map((r) => r.name).sort(), ["ctlog-roots", "fulcio-ca", "fulcio-config", "tuf-content"]);
        for (const r of replaced) assert.equal(r.protect, false, r.name);
        assert.equal(replaced.find((r) => r.name === "fulcio-ca")!.retainOnDelete, true);
    });

    it("the trusted root lists both CAs: the old one ends where the new one starts", () => {
        const [old, current] = cas(rotated);
        assert.equal(cas(first).length, 1);
        assert.equal(cas(first)[0].validFor.end, undefined);
        assert.equal(old.validFor.start, cas(first)[0].validFor.start);
        assert.equal(old.validFor.end, current.validFor.start);
        assert.equal(current.validFor.end, undefined);
        assert.ok(new Date(current.validFor.start) > new Date(old.validFor.start));
        // The tlogs, ctlogs and signing config keep the deployment's start: they did not rotate.
        const root = JSON.parse(rotated.outputs.trustedRoot);
        assert.equal(root.tlogs[0].publicKey.validFor.start, old.validFor.start);
    });

    it("Fulcio signs with the new CA; the CT log accepts both; the policy's TrustRoot trusts both", () => {
        const active = new X509Certificate(rotated.outputs.fulcioCertChainPem);
        assert.equal(active.raw.toString("base64"), pemOf(cas(rotated)[1])[0]);
        const caSecret = rotated.cloud.ofType("kubernetes:core/v1:Secret").find((r) => r.name === "fulcio-ca")!;
        const beforeSecret = first.cloud.ofType("kubernetes:core/v1:Secret").find((r) => r.name === "fulcio-ca")!;
        assert.notEqual(caSecret.inputs.stringData["key.pem"], beforeSecret.inputs.stringData["key.pem"], "Fulcio still has the old key");
        const roots = rotated.cloud.ofType("kubernetes:core/v1:ConfigMap").find((r) => r.name === "ctlog-roots" || r.inputs.data?.["roots.pem"])!.inputs.data[
            "roots.pem"
        ];
        for (const ca of cas(rotated))
            assert.ok(
                roots.includes(new X509Certificate(Buffer.from(pemOf(ca)[0], "base64")).toString().split("\n")[1]),
                "a CA is missing from the CT log's roots",
            );
        assert.equal(rotated.outputs.verificationPolicy.trustRoot.spec.sigstoreKeys.certificateAuthorities.length, 2);
    });

    it("a stack that never rotated renders exactly as before (one CA, the CT roots file is the chain)", () => {
        const roots = first.cloud.ofType("kubernetes:core/v1:ConfigMap").find((r) => r.inputs.data?.["roots.pem"])!.inputs.data["roots.pem"];
        assert.equal(roots, first.outputs.fulcioCertChainPem);
    });
});
