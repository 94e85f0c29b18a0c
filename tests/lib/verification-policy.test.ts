/**
 * lib/verification-policy.ts through the program: the verificationPolicy output names the issuer
 * and the same identity regexp as the cosign verify command, and its policy-controller objects carry
 * our own trust material. The cluster suite checks them against policy-controller's CRDs.
 */
import * as assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";

describe("verificationPolicy output", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: the support modules install Pulumi's mocks
    const { evaluateStack } = require("../support/registrations") as typeof import("../support/registrations");
    const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: issuer and identity as the verify command has them; TrustRoot with our chain and keys; a ClusterImagePolicy under it`, async () => {
            const ev = await evaluateStack(stack);
            const o = ev.outputs;
            const p = o.verificationPolicy;
            assert.equal(p.issuer, o.urls.oidcIssuer);
            assert.ok(o.cosign.v3.verify.includes(`--certificate-identity-regexp='${p.subjectRegExp}'`), o.cosign.v3.verify);
            assert.match("alice@corp.example", new RegExp(p.subjectRegExp));
            assert.doesNotMatch("eve@other.example", new RegExp(p.subjectRegExp));
            const keys = p.trustRoot.spec.sigstoreKeys;
            assert.equal(decode(keys.certificateAuthorities[0].certChain), o.fulcioCertChainPem);
            assert.equal(decode(keys.tLogs[0].publicKey), o.rekorPublicKeyPem);
            assert.equal(decode(keys.ctLogs[0].publicKey), o.ctlogPublicKeyPem);
            assert.deepEqual([keys.certificateAuthorities[0].uri, keys.tLogs[0].baseURL, keys.ctLogs[0].baseURL], [o.urls.fulcio, o.urls.rekor, o.urls.ctlog]);
            const root = new X509Certificate(
                o.fulcioCertChainPem
                    .split(/(?<=-----END CERTIFICATE-----\n)/)
                    .filter(Boolean)
                    .pop(),
            );
            assert.ok(root.subject.includes(`CN=${keys.certificateAuthorities[0].subject.commonName}`), "the CA subject is the root's");
            const authority = p.clusterImagePolicy.spec.authorities[0];
            assert.equal(authority.keyless.trustRootRef, p.trustRoot.metadata.name);
            assert.deepEqual(authority.keyless.identities, [{ issuer: p.issuer, subjectRegExp: p.subjectRegExp }]);
            assert.equal(authority.ctlog.url, o.urls.rekor);
        });
    }
});
