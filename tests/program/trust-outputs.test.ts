/**
 * The client trust material the stack exports (trusted_root.json, signing_config.json and the PEM
 * outputs): parseable by @sigstore/protobuf-specs, carrying the keys the servers actually sign with,
 * stable across `up`s, free of private material, and with caMode=chained a correct two-cert chain.
 */
import "reflect-metadata";
import * as assert from "node:assert/strict";
import { createHash, createPrivateKey, createPublicKey, webcrypto, X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { HashAlgorithm, PublicKeyDetails, ServiceSelector, SigningConfig, TrustedRoot } from "@sigstore/protobuf-specs";
import { Evaluation, rekorV1Overrides, StackState } from "../support/mocks";
import { evaluateRecorded, evaluateStack, registration } from "../support/registrations";

x509.cryptoProvider.set(webcrypto as any);

const TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
const SIGNING_CONFIG_MEDIA_TYPE = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
const CODE_SIGNING = "1.3.6.1.5.5.7.3.3";

function pemBlocks(text: string, label: string): string[] {
    return [...text.matchAll(new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, "g"))].map((m) => m[0]);
}

/** DER of a PEM block, decoded by hand (independent of node's key parser). */
function derOf(pem: string): Buffer {
    return Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
}

function keyIdOf(publicKeyPem: string): string {
    return createHash("sha256").update(derOf(publicKeyPem)).digest("base64");
}

function certsOf(chainPem: string): X509Certificate[] {
    return pemBlocks(chainPem, "CERTIFICATE").map((p) => new X509Certificate(p));
}

/** toJSON writes Timestamps via Date#toISOString; compare instants for start/end, everything else exactly. */
function normalizeTimes(value: any): any {
    if (Array.isArray(value)) return value.map(normalizeTimes);
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value).map(([k, v]) => [k, (k === "start" || k === "end") && typeof v === "string" ? new Date(v).toISOString() : normalizeTimes(v)]),
        );
    }
    return value;
}

function spkiPem(pem: string, passphrase?: string): string {
    return createPublicKey(createPrivateKey({ key: pem, format: "pem", passphrase })).export({ type: "spki", format: "pem" }) as string;
}

function checkTrustMaterial(label: string, get: () => Evaluation): void {
    describe(`trust outputs (${label})`, () => {
        let ev: Evaluation;
        let root: any;
        let signing: any;
        before(() => {
            ev = get();
            root = JSON.parse(ev.outputs.trustedRoot);
            signing = JSON.parse(ev.outputs.signingConfig);
        });

        it("trustedRoot parses as a TrustedRoot and round-trips unchanged (no unknown or mistyped fields)", () => {
            const parsed = TrustedRoot.fromJSON(root);
            assert.equal(parsed.mediaType, TRUSTED_ROOT_MEDIA_TYPE);
            assert.deepEqual(normalizeTimes(TrustedRoot.toJSON(parsed)), normalizeTimes(root));
        });

        it("trustedRoot has the exact mediaType and one tlog, one ctlog, one CA and one timestamp authority", () => {
            assert.equal(root.mediaType, TRUSTED_ROOT_MEDIA_TYPE);
            assert.equal(root.tlogs.length, 1);
            assert.equal(root.ctlogs.length, 1);
            assert.equal(root.certificateAuthorities.length, 1);
            assert.equal(root.timestampAuthorities.length, 1);
        });

        it("timestampAuthorities[0]: the deployed chain leaf first, validFor from the leaf, the full timestamping URI", () => {
            const tsa = TrustedRoot.fromJSON(root).timestampAuthorities[0];
            const chain = ev.outputs.timestampAuthority.certChainPem as string;
            const pems = pemBlocks(chain, "CERTIFICATE");
            assert.equal(pems.length, 2, "a generated chain is a leaf and its root");
            assert.deepEqual(
                tsa.certChain!.certificates.map((c) => Buffer.from(c.rawBytes)),
                pems.map((p) => derOf(p)),
                "the trusted root lists exactly the chain the server is given, leaf first",
            );
            const leaf = new X509Certificate(pems[0]);
            assert.equal(leaf.ca, false);
            assert.equal(tsa.validFor?.start?.getTime(), new Date(leaf.validFrom).getTime());
            assert.equal(tsa.validFor?.end, undefined, "the active chain has no end");
            assert.equal(tsa.uri, ev.outputs.timestampAuthority.url);
            assert.equal(tsa.uri, `https://tsa.${ev.outputs.urls.fulcio.split("fulcio.")[1]}/api/v1/timestamp`);
        });

        for (const [field, urlKey, pemOutput] of [
            ["tlogs", "rekor", "rekorPublicKeyPem"],
            ["ctlogs", "ctlog", "ctlogPublicKeyPem"],
        ] as const) {
            it(`${field}[0] carries ${pemOutput}: base URL, SHA2_256, raw key, key details, validFor.start, keyId`, () => {
                const log = TrustedRoot.fromJSON(root)[field][0];
                const pem: string = ev.outputs[pemOutput];
                assert.equal(pemBlocks(pem, "PUBLIC KEY").length, 1, `${pemOutput} is one SPKI PEM`);
                assert.equal(log.baseUrl, ev.outputs.urls[urlKey]);
                assert.equal(log.hashAlgorithm, HashAlgorithm.SHA2_256);
                assert.ok(log.publicKey, "publicKey");
                assert.deepEqual(Buffer.from(log.publicKey.rawBytes!), derOf(pem), "rawBytes is the DER SPKI of the PEM output");
                assert.equal(log.publicKey.keyDetails, PublicKeyDetails.PKIX_ECDSA_P256_SHA_256);
                assert.ok(log.publicKey.validFor?.start instanceof Date && !isNaN(log.publicKey.validFor.start.getTime()), "validFor.start is required");
                assert.equal(root[field][0].logId.keyId, keyIdOf(pem), "keyId = base64(sha256(DER SPKI))");
            });
        }

        it("the CA entry's chain equals fulcioCertChainPem (issuing first, root last) and starts at the CA's notBefore", () => {
            const ca = TrustedRoot.fromJSON(root).certificateAuthorities[0];
            assert.equal(ca.uri, ev.outputs.urls.fulcio);
            const chainDers = pemBlocks(ev.outputs.fulcioCertChainPem, "CERTIFICATE").map(derOf);
            assert.ok(chainDers.length >= 1);
            assert.deepEqual(
                ca.certChain!.certificates.map((c) => Buffer.from(c.rawBytes)),
                chainDers,
            );
            const certs = certsOf(ev.outputs.fulcioCertChainPem);
            const last = certs[certs.length - 1];
            assert.ok(last.verify(last.publicKey) && last.subject === last.issuer, "the chain ends with a self-signed root");
            assert.equal(ca.validFor!.start!.getTime(), new Date(certs[0].validFrom).getTime());
        });

        it("every log key and the CA share the same validity start", () => {
            const starts = new Set(
                [root.tlogs[0].publicKey.validFor.start, root.ctlogs[0].publicKey.validFor.start, root.certificateAuthorities[0].validFor.start].map(
                    (s: string) => new Date(s).getTime(),
                ),
            );
            assert.equal(starts.size, 1);
        });

        it("signingConfig parses as a v0.2 SigningConfig with the deployment's URLs", () => {
            const parsed = SigningConfig.fromJSON(signing);
            assert.equal(signing.mediaType, SIGNING_CONFIG_MEDIA_TYPE);
            assert.equal(parsed.mediaType, SIGNING_CONFIG_MEDIA_TYPE);
            assert.deepEqual(normalizeTimes(SigningConfig.toJSON(parsed)), normalizeTimes(signing));
            // tsaUrls: the full /api/v1/timestamp URL (the proto: MUST be the full URL).
            const expected: Array<[{ url: string }[], string]> = [
                [parsed.caUrls, ev.outputs.urls.fulcio],
                [parsed.oidcUrls, ev.outputs.urls.oidcIssuer],
                [parsed.rekorTlogUrls, ev.outputs.urls.rekor],
                [parsed.tsaUrls, ev.outputs.timestampAuthority.url],
            ];
            for (const [services, url] of expected)
                assert.deepEqual(
                    services.map((s) => s.url),
                    [url],
                );
            for (const s of [...parsed.caUrls, ...parsed.oidcUrls, ...parsed.rekorTlogUrls, ...parsed.tsaUrls]) {
                assert.equal(s.majorApiVersion, 1, `${s.url}: Rekor v1 / Fulcio v1 / OIDC`);
                assert.ok(s.validFor?.start instanceof Date);
                assert.ok(s.operator.length > 0, "operator is required");
            }
            assert.equal(parsed.rekorTlogConfig?.selector, ServiceSelector.ANY);
        });

        it("the published Rekor key is the key in Rekor's signer Secret", () => {
            const secrets = ev.cloud.ofType("kubernetes:core/v1:Secret").filter((s) => s.inputs.stringData?.["signer.pem"]);
            assert.equal(secrets.length, 1);
            assert.equal(
                spkiPem(secrets[0].inputs.stringData["signer.pem"]),
                createPublicKey(ev.outputs.rekorPublicKeyPem).export({ type: "spki", format: "pem" }),
            );
        });

        it("the published CT log key is the key ct_server loads (its legacy-encrypted key.pem, with the config's password)", () => {
            const secret = ev.cloud.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.stringData?.["config.textproto"])!;
            const password = /password: "([^"]*)"/.exec(secret.inputs.stringData["config.textproto"])![1];
            const keyPem: string = secret.inputs.stringData["key.pem"];
            assert.match(keyPem, /Proc-Type: 4,ENCRYPTED/);
            assert.equal(spkiPem(keyPem, password), createPublicKey(ev.outputs.ctlogPublicKeyPem).export({ type: "spki", format: "pem" }));
        });

        it("the Fulcio CA key in its Secret matches the issuing certificate, and Fulcio and the CT log use the exported chain", () => {
            const secret = ev.cloud
                .ofType("kubernetes:core/v1:Secret")
                .find((s) => s.inputs.stringData?.["key.pem"] && s.inputs.stringData?.password && !s.inputs.stringData?.["config.textproto"])!;
            assert.ok(secret, "the Fulcio CA Secret");
            const issuing = certsOf(ev.outputs.fulcioCertChainPem)[0];
            assert.equal(
                spkiPem(secret.inputs.stringData["key.pem"], secret.inputs.stringData.password),
                issuing.publicKey.export({ type: "spki", format: "pem" }),
            );
            const configMaps = ev.cloud.ofType("kubernetes:core/v1:ConfigMap");
            assert.equal(
                configMaps.find((c) => c.inputs.data?.["chain.pem"])?.inputs.data["chain.pem"],
                ev.outputs.fulcioCertChainPem,
                "Fulcio's --fileca-cert",
            );
            assert.equal(
                configMaps.find((c) => c.inputs.data?.["roots.pem"])?.inputs.data["roots.pem"],
                ev.outputs.fulcioCertChainPem,
                "the CT log accepts Fulcio's chain",
            );
        });

        it('no output contains "PRIVATE KEY" or an encrypted PEM', () => {
            const all = JSON.stringify(ev.outputs);
            assert.ok(!all.includes("PRIVATE KEY"));
            assert.ok(!all.includes("ENCRYPTED"));
        });
    });
}

// ---- dev twice with shared state, and prod ----

const state: StackState = new Map();
let devFirst: Evaluation;
let devSecond: Evaluation;
let devV1: Evaluation;
let prod: Evaluation;

describe("trust outputs: evaluations", () => {
    before(async () => {
        devFirst = await evaluateRecorded({ stack: "dev", state });
        devSecond = await evaluateRecorded({ stack: "dev", state });
        prod = await evaluateStack("prod");
        devV1 = await evaluateRecorded({ stack: "dev", overrides: rekorV1Overrides });
    });

    it("outputs are identical between two evaluations sharing state", () => {
        assert.deepEqual(devSecond.outputs, devFirst.outputs);
        assert.equal(devSecond.outputs.trustedRoot, devFirst.outputs.trustedRoot, "byte-identical trusted root");
        assert.equal(devSecond.outputs.signingConfig, devFirst.outputs.signingConfig, "byte-identical signing config");
        assert.deepEqual(devSecond.cloud.created, []);
    });

    it("dev and prod have different keys (no fixture reuse)", () => {
        assert.notEqual(prod.outputs.rekorPublicKeyPem, devFirst.outputs.rekorPublicKeyPem);
        assert.notEqual(prod.outputs.ctlogPublicKeyPem, devFirst.outputs.ctlogPublicKeyPem);
    });

    it("self-signed mode: the chain is one self-signed CA certificate", () => {
        const certs = certsOf(devFirst.outputs.fulcioCertChainPem);
        assert.equal(certs.length, 1);
        assert.ok(certs[0].ca);
        assert.ok(certs[0].verify(certs[0].publicKey));
    });

    // The Rekor v1 shape (every stack's default, and prod's); the dev stack's Rekor v2 entries are
    // checked in tests/components/rekor-v2.test.ts.
    checkTrustMaterial("dev on Rekor v1", () => devV1);
    checkTrustMaterial("prod", () => prod);
});

// ---- caMode chained under an enterprise root generated here ----

async function enterpriseRoot(): Promise<{ certPem: string; keyPem: string }> {
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
    const now = new Date();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: "01",
        name: "O=Corp Example, CN=Corp Example Root CA",
        notBefore: new Date(now.getTime() - 3600_000),
        notAfter: new Date(now.getTime() + 20 * 365 * 24 * 3600_000),
        keys,
        signingAlgorithm: alg,
        extensions: [
            new x509.BasicConstraintsExtension(true, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
        .toString("base64")
        .replace(/(.{64})/g, "$1\n")
        .replace(/\n$/, "")}\n-----END PRIVATE KEY-----\n`;
    return { certPem: cert.toString("pem") + "\n", keyPem };
}

describe("trust outputs: caMode chained", () => {
    let ev: Evaluation;
    let rootPem: string;
    let rootKeyPem: string;
    let chain: X509Certificate[];

    before(async () => {
        ({ certPem: rootPem, keyPem: rootKeyPem } = await enterpriseRoot());
        ev = await evaluateRecorded({ stack: "dev", overrides: { caMode: "chained", caRootCert: rootPem, caRootKey: rootKeyPem } });
        chain = certsOf(ev.outputs.fulcioCertChainPem);
    });

    it("the Fulcio chain has two certificates: issuing first, the enterprise root last", () => {
        assert.equal(chain.length, 2);
        assert.deepEqual(chain[1].raw, new X509Certificate(rootPem).raw);
        assert.ok(chain[1].verify(chain[1].publicKey) && chain[1].subject === chain[1].issuer, "the root is self-signed");
    });

    it("the issuing certificate is a CA with the codeSigning EKU Fulcio requires of a multi-cert chain", () => {
        assert.equal(chain[0].ca, true);
        assert.ok(chain[0].keyUsage?.includes(CODE_SIGNING), `EKUs: ${chain[0].keyUsage?.join(", ")}`);
        assert.notEqual(chain[0].subject, chain[1].subject);
    });

    it("the intermediate is issued and signed by the root", () => {
        assert.ok(chain[0].checkIssued(chain[1]));
        assert.ok(chain[0].verify(chain[1].publicKey));
        assert.ok(!chain[0].verify(chain[0].publicKey), "not self-signed");
    });

    it("the trusted root carries both certificates, root last, and parses", () => {
        const parsed = TrustedRoot.fromJSON(JSON.parse(ev.outputs.trustedRoot));
        const ders = parsed.certificateAuthorities[0].certChain!.certificates.map((c) => Buffer.from(c.rawBytes));
        assert.deepEqual(ders, [chain[0].raw, chain[1].raw]);
        assert.equal(
            parsed.certificateAuthorities[0].validFor!.start!.getTime(),
            new Date(chain[0].validFrom).getTime(),
            "valid from the issuing cert's notBefore",
        );
    });

    it("the root key reaches only the certificate signer, as a secret, and no output", () => {
        const signer = registration(ev.cloud, "tls:index/locallySignedCert:LocallySignedCert", "fulcio-ca-cert");
        assert.ok(signer.secretInputPaths.includes(".caPrivateKeyPem"), `secret inputs: ${signer.secretInputPaths.join(", ")}`);
        const body = derOf(rootKeyPem).toString("base64");
        const firstLine = rootKeyPem.split("\n")[1];
        const outputs = JSON.stringify(ev.outputs);
        assert.ok(!outputs.includes(firstLine) && !outputs.includes(body) && !outputs.includes("PRIVATE KEY"));
        for (const r of ev.cloud.resources) {
            if (r.type === "tls:index/locallySignedCert:LocallySignedCert") continue;
            const inputs = JSON.stringify(r.inputs);
            assert.ok(!inputs.includes(firstLine) && !inputs.includes(body), `${r.type} ${r.name} carries the enterprise root key`);
        }
    });

    it("Fulcio's Secret holds the intermediate's key, not the root's", () => {
        const secret = ev.cloud
            .ofType("kubernetes:core/v1:Secret")
            .find((s) => s.inputs.stringData?.["key.pem"] && s.inputs.stringData?.password && !s.inputs.stringData?.["config.textproto"])!;
        assert.equal(
            spkiPem(secret.inputs.stringData["key.pem"], secret.inputs.stringData.password),
            chain[0].publicKey.export({ type: "spki", format: "pem" }),
        );
    });
});
