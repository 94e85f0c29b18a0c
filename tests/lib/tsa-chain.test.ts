/**
 * lib/tsa-chain.ts: the chain rules timestamp-server v2.1.3 enforces at startup (pkg/x509/x509.go),
 * each broken once, and the leaf the program issues: deterministic, and only under an RSA root.
 */
import * as assert from "node:assert/strict";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { issueTimestampingLeaf, signingKeyProblem, timestampingChainProblem } from "../../lib/tsa-chain";
import { privateKey, selfSignedCert } from "../support/tls-emulator";
import { generatedTsaChain, issueUnder, nonCriticalEkuChain, timeStamping, TsaChainFixture } from "../support/tsa-fixture";

const publicPem = (privatePem: string) => createPublicKey(createPrivateKey(privatePem)).export({ type: "spki", format: "pem" }) as string;
const certs = (chain: string) => chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;

describe("lib/tsa-chain: timestamp-server's chain rules, checked at preview", function () {
    this.timeout(60_000);
    let f: TsaChainFixture;
    before(async () => {
        f = await generatedTsaChain();
    });

    it("accepts the chain the program generates, and its leaf's key", () => {
        assert.equal(timestampingChainProblem(f.chainPem), undefined);
        assert.equal(signingKeyProblem(f.chainPem, f.leafKeyPem), undefined);
        assert.equal(signingKeyProblem(f.chainPem, f.rootKeyPem), "is not the key of the chain's leaf certificate");
    });

    it("the leaf is the same bytes every time for the same root and key (no diff on a no-op up)", async () => {
        const inputs = { rootCertPem: f.rootCertPem, rootKeyPem: f.rootKeyPem, leafPublicKeyPem: publicPem(f.leafKeyPem) };
        assert.equal(await issueTimestampingLeaf(inputs), await issueTimestampingLeaf(inputs));
        assert.equal(await issueTimestampingLeaf(inputs), certs(f.chainPem)[0]);
    });

    it("refuses an ECDSA root: its signatures would change the leaf on every preview", async () => {
        const ecKey = privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        const root = await selfSignedCert(
            {
                privateKeyPem: ecKey.privateKeyPem,
                subject: { commonName: "ec root" },
                isCaCertificate: true,
                allowedUses: ["cert_signing"],
                validityPeriodHours: 24,
            },
            new Date(),
        );
        await assert.rejects(
            issueTimestampingLeaf({ rootCertPem: root.certPem, rootKeyPem: ecKey.privateKeyPem, leafPublicKeyPem: publicPem(f.leafKeyPem) }),
            /must be RSA/,
        );
    });

    it("refuses each broken rule with what is wrong", async () => {
        const leafKey = publicPem(f.leafKeyPem);
        const [leaf, root] = certs(f.chainPem);
        const leafWith = (o: { usages?: string[]; ca?: boolean }) =>
            issueUnder(f.rootCertPem, f.rootKeyPem, { subject: "CN=leaf", publicKeyPem: leafKey, ca: o.ca ?? false, usages: o.usages });
        const interKey = privateKey({ algorithm: "RSA", rsaBits: 2048 });
        const intermediate = (usages?: string[]) =>
            issueUnder(f.rootCertPem, f.rootKeyPem, { subject: "CN=intermediate", publicKeyPem: publicPem(interKey.privateKeyPem), ca: true, usages });
        const underIntermediate = async (interUsages?: string[]) => {
            const inter = await intermediate(interUsages);
            const l = await issueUnder(inter, interKey.privateKeyPem, { subject: "CN=leaf", publicKeyPem: leafKey, ca: false, usages: [timeStamping] });
            return l + inter + root;
        };
        const cases: Array<[string, string | Promise<string>, RegExp]> = [
            ["the leaf alone", leaf, /holds one certificate/],
            ["root first", root + leaf, /starts with a CA certificate/],
            ["an EKU that is not critical", nonCriticalEkuChain(f), /must be marked critical/],
            ["no EKU", leafWith({}).then((l) => l + root), /exactly one extended key usage, timeStamping/],
            ["two EKUs", leafWith({ usages: [timeStamping, "1.3.6.1.5.5.7.3.3"] }).then((l) => l + root), /exactly one extended key usage/],
            ["a CA as leaf", leafWith({ usages: [timeStamping], ca: true }).then((l) => l + root), /starts with a CA certificate/],
            ["an intermediate without timeStamping", underIntermediate(), /intermediate .* must list the timeStamping/],
            ["an intermediate missing", underIntermediate([timeStamping]).then((c) => certs(c)[0] + root), /is not issued by the next one/],
            ["no root at the end", underIntermediate([timeStamping]).then((c) => certs(c).slice(0, 2).join("")), /self-signed root/],
        ];
        for (const [what, chain, problem] of cases) assert.match(timestampingChainProblem(await chain) ?? "(accepted)", problem, what);
        assert.equal(timestampingChainProblem(await underIntermediate([timeStamping])), undefined, "a three-level chain with EKU chaining is fine");
    });
});
