import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SigningConfig, TrustedRoot } from "@sigstore/protobuf-specs";
import { buildSigningConfig, buildTrustedRoot, CaEntry, keyIdOf, LogEntry, SIGNING_CONFIG_MEDIA_TYPE, TRUSTED_ROOT_MEDIA_TYPE } from "../../lib/trust-material";

// ---------------------------------------------------------------------------
// Fixtures: keys from node crypto, certificates from the openssl CLI (node can
// read but not issue X.509 certificates).
// ---------------------------------------------------------------------------
interface Pki {
    root: string;
    intermediate: string;
    tsaLeaf: string;
    otherRoot: string;
    privateKey: string;
}

function openssl(args: string[], cwd: string): void {
    const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
}

function makePki(): Pki | undefined {
    if (spawnSync("openssl", ["version"]).status !== 0) return undefined;
    const dir = mkdtempSync(join(tmpdir(), "trust-material-"));
    try {
        const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
        const caExt = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"];
        openssl(["req", "-x509", ...ec, "-keyout", "root.key", "-out", "root.pem", "-days", "30", "-subj", "/O=Example Org/CN=Example Root", ...caExt], dir);
        openssl(["req", "-x509", ...ec, "-keyout", "other.key", "-out", "other.pem", "-days", "30", "-subj", "/O=Other/CN=Other Root", ...caExt], dir);
        writeFileSync(
            join(dir, "int.ext"),
            "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nextendedKeyUsage=codeSigning\n",
        );
        openssl(["req", "-new", ...ec, "-keyout", "int.key", "-out", "int.csr", "-subj", "/O=Example Org/CN=Example Intermediate"], dir);
        openssl(
            [
                "x509",
                "-req",
                "-in",
                "int.csr",
                "-CA",
                "root.pem",
                "-CAkey",
                "root.key",
                "-set_serial",
                "2",
                "-days",
                "30",
                "-extfile",
                "int.ext",
                "-out",
                "int.pem",
            ],
            dir,
        );
        writeFileSync(
            join(dir, "leaf.ext"),
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n",
        );
        openssl(["req", "-new", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/O=Example Org/CN=Example TSA"], dir);
        openssl(
            [
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "int.pem",
                "-CAkey",
                "int.key",
                "-set_serial",
                "3",
                "-days",
                "30",
                "-extfile",
                "leaf.ext",
                "-out",
                "leaf.pem",
            ],
            dir,
        );
        const read = (f: string) => readFileSync(join(dir, f), "utf8");
        return { root: read("root.pem"), intermediate: read("int.pem"), tsaLeaf: read("leaf.pem"), otherRoot: read("other.pem"), privateKey: read("int.key") };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

function spki(type: "ec" | "rsa" | "ed25519", opt: { namedCurve?: string; modulusLength?: number } = {}): string {
    const { publicKey } =
        type === "ec"
            ? generateKeyPairSync("ec", { namedCurve: opt.namedCurve ?? "P-256" })
            : type === "rsa"
              ? generateKeyPairSync("rsa", { modulusLength: opt.modulusLength ?? 2048 })
              : generateKeyPairSync("ed25519");
    return publicKey.export({ format: "pem", type: "spki" }) as string;
}

/** sha256 over the DER inside the PEM, computed without node's key parser. */
function independentKeyId(pem: string): string {
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
    return createHash("sha256").update(der).digest("base64");
}

/** protobuf-specs' toJSON writes Timestamps with Date#toISOString; compare instants, not spellings. */
function normalizeTimes(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(normalizeTimes);
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value).map(([k, v]) =>
                (k === "start" || k === "end") && typeof v === "string" ? [k, new Date(v).toISOString()] : [k, normalizeTimes(v)],
            ),
        );
    }
    return value;
}

/** JSON.stringify compares key order as well as content. */
function assertRoundTrips(out: object, codec: { fromJSON(o: unknown): unknown; toJSON(m: never): unknown }): void {
    const back = codec.toJSON(codec.fromJSON(JSON.parse(JSON.stringify(out))) as never);
    assert.equal(JSON.stringify(back), JSON.stringify(normalizeTimes(out)));
}

const T0 = "2025-01-01T00:00:00Z";

describe("lib/trust-material", () => {
    let pki: Pki;
    const rekorKey = spki("ec");
    const ctKey = spki("ec", { namedCurve: "P-384" });

    before(function () {
        const made = makePki();
        if (!made) {
            console.warn("    (skipped: `openssl` is not on PATH, cannot issue test certificates)");
            this.skip();
        }
        pki = made;
    });

    const logs = (): { tlogs: LogEntry[]; ctlogs: LogEntry[] } => ({
        tlogs: [{ baseUrl: "https://rekor.corp.example", publicKeyPem: rekorKey, validFrom: T0 }],
        ctlogs: [{ baseUrl: "https://ctlog.corp.example/sigstore", publicKeyPem: ctKey, validFrom: "2025-01-01T01:00:00+01:00" }],
    });
    const fulcio = (): CaEntry => ({ url: "https://fulcio.corp.example", certChainPem: pki.intermediate + pki.root, validFrom: T0 });

    describe("keyIdOf", () => {
        it("is base64(sha256(DER SPKI)) for EC, RSA and Ed25519 keys", () => {
            for (const pem of [rekorKey, ctKey, spki("rsa"), spki("ed25519")]) {
                assert.equal(keyIdOf(pem), independentKeyId(pem));
            }
        });
        it("rejects private keys, certificates and garbage", () => {
            const priv = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }) as string;
            assert.throws(() => keyIdOf(priv), /must be an SPKI PEM/);
            assert.throws(() => keyIdOf(rekorKey + priv), /contains a private key/);
            assert.throws(() => keyIdOf("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), /not a valid public key PEM/);
            assert.throws(() => keyIdOf(pki.root), /must be an SPKI PEM/);
        });
    });

    describe("buildTrustedRoot", () => {
        it("survives a TrustedRoot.fromJSON/toJSON round trip unchanged (no unknown or misspelled fields)", () => {
            const root = buildTrustedRoot({ certificateAuthorities: [fulcio()], ...logs() });
            assertRoundTrips(root, TrustedRoot);
            assertRoundTrips(
                buildTrustedRoot({
                    certificateAuthorities: [
                        fulcio(),
                        { ...fulcio(), url: "https://fulcio-old.corp.example", validTo: "2025-06-01T00:00:00Z", operator: "corp" },
                    ],
                    ...logs(),
                    timestampAuthorities: [
                        { url: "https://tsa.corp.example/api/v1/timestamp", certChainPem: pki.tsaLeaf + pki.intermediate + pki.root, validFrom: T0 },
                    ],
                }),
                TrustedRoot,
            );
        });

        it("the round-trip check itself catches a misspelled field", () => {
            const root = buildTrustedRoot({ certificateAuthorities: [fulcio()], ...logs() }) as Record<string, any>;
            const typo = { ...root, tlogs: [{ ...root.tlogs[0], baseURL: root.tlogs[0].baseUrl, baseUrl: undefined }] };
            assert.throws(() => assertRoundTrips(typo, TrustedRoot));
        });

        it("has the media type, log fields and key IDs cosign needs", () => {
            const root = buildTrustedRoot({ certificateAuthorities: [fulcio()], ...logs() }) as Record<string, any>;
            assert.equal(root.mediaType, TRUSTED_ROOT_MEDIA_TYPE);
            assert.equal(root.mediaType, "application/vnd.dev.sigstore.trustedroot+json;version=0.1");
            assert.deepEqual(Object.keys(root), ["mediaType", "tlogs", "certificateAuthorities", "ctlogs"]);
            const [tlog] = root.tlogs;
            assert.deepEqual(Object.keys(tlog), ["baseUrl", "hashAlgorithm", "publicKey", "logId"]);
            assert.equal(tlog.baseUrl, "https://rekor.corp.example");
            assert.equal(tlog.hashAlgorithm, "SHA2_256");
            assert.equal(tlog.publicKey.keyDetails, "PKIX_ECDSA_P256_SHA_256");
            assert.equal(tlog.publicKey.rawBytes, rekorKey.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""));
            assert.deepEqual(tlog.publicKey.validFor, { start: T0 });
            assert.equal(tlog.logId.keyId, independentKeyId(rekorKey));
            const [ctlog] = root.ctlogs;
            assert.equal(ctlog.publicKey.keyDetails, "PKIX_ECDSA_P384_SHA_384");
            assert.equal(ctlog.logId.keyId, independentKeyId(ctKey));
            assert.deepEqual(ctlog.publicKey.validFor, { start: T0 }, "offset timestamps are normalised to UTC");
        });

        it("writes the CA chain issuing cert first, root last, with subject, uri and validFor", () => {
            const root = buildTrustedRoot({ certificateAuthorities: [fulcio()], ...logs() }) as Record<string, any>;
            const [ca] = root.certificateAuthorities;
            assert.deepEqual(Object.keys(ca), ["subject", "uri", "certChain", "validFor"]);
            assert.deepEqual(ca.subject, { organization: "Example Org", commonName: "Example Root" });
            assert.equal(ca.uri, "https://fulcio.corp.example");
            const ders = ca.certChain.certificates.map((c: { rawBytes: string }) => c.rawBytes);
            assert.deepEqual(ders, [new X509Certificate(pki.intermediate).raw.toString("base64"), new X509Certificate(pki.root).raw.toString("base64")]);
            assert.deepEqual(ca.validFor, { start: T0 });
            const explicit = buildTrustedRoot({
                certificateAuthorities: [{ ...fulcio(), subject: { organization: "corp", commonName: "fulcio" } }],
                ...logs(),
            }) as Record<string, any>;
            assert.deepEqual(explicit.certificateAuthorities[0].subject, { organization: "corp", commonName: "fulcio" });
        });

        it("derives keyDetails from the key type", () => {
            const cases: Array<[string, string]> = [
                [spki("ec", { namedCurve: "P-256" }), "PKIX_ECDSA_P256_SHA_256"],
                [spki("ec", { namedCurve: "P-384" }), "PKIX_ECDSA_P384_SHA_384"],
                [spki("ec", { namedCurve: "P-521" }), "PKIX_ECDSA_P521_SHA_512"],
                [spki("rsa", { modulusLength: 2048 }), "PKIX_RSA_PKCS1V15_2048_SHA256"],
                [spki("rsa", { modulusLength: 3072 }), "PKIX_RSA_PKCS1V15_3072_SHA256"],
                [spki("ed25519"), "PKIX_ED25519"],
            ];
            for (const [pem, details] of cases) {
                const root = buildTrustedRoot({
                    certificateAuthorities: [fulcio()],
                    ...logs(),
                    tlogs: [{ baseUrl: "https://r.example", publicKeyPem: pem, validFrom: T0 }],
                }) as Record<string, any>;
                assert.equal(root.tlogs[0].publicKey.keyDetails, details);
                assertRoundTrips(root, TrustedRoot);
            }
            assert.throws(
                () =>
                    buildTrustedRoot({
                        certificateAuthorities: [fulcio()],
                        ...logs(),
                        tlogs: [{ baseUrl: "https://r.example", publicKeyPem: spki("ec", { namedCurve: "secp256k1" }), validFrom: T0 }],
                    }),
                /EC curve "secp256k1" is not supported/,
            );
        });

        it("is deterministic and never contains private key material", () => {
            const a = JSON.stringify(buildTrustedRoot({ certificateAuthorities: [fulcio()], ...logs() }));
            const b = JSON.stringify(buildTrustedRoot({ certificateAuthorities: [fulcio()], ...logs() }));
            assert.equal(a, b);
            assert.ok(!a.includes("PRIVATE KEY"));
            const decoded = JSON.stringify(JSON.parse(a), (_k, v) =>
                typeof v === "string" && /^[A-Za-z0-9+/=]{40,}$/.test(v) ? Buffer.from(v, "base64").toString("latin1") : v,
            );
            assert.ok(!decoded.includes("PRIVATE KEY"));
        });

        describe("rejects bad input with clear errors", () => {
            const bad: Array<[string, () => object, RegExp]> = [
                [
                    "empty certificateAuthorities",
                    () => buildTrustedRoot({ certificateAuthorities: [], ...logs() }),
                    /certificateAuthorities must be a non-empty array/,
                ],
                ["empty tlogs", () => buildTrustedRoot({ certificateAuthorities: [fulcio()], ...logs(), tlogs: [] }), /tlogs must be a non-empty array/],
                ["empty ctlogs", () => buildTrustedRoot({ certificateAuthorities: [fulcio()], ...logs(), ctlogs: [] }), /ctlogs must be a non-empty array/],
                [
                    "chain without its root",
                    () => buildTrustedRoot({ certificateAuthorities: [{ ...fulcio(), certChainPem: pki.intermediate }], ...logs() }),
                    /must end with a self-signed root/,
                ],
                [
                    "chain in the wrong order",
                    () => buildTrustedRoot({ certificateAuthorities: [{ ...fulcio(), certChainPem: pki.root + pki.intermediate }], ...logs() }),
                    /not issued by the next certificate/,
                ],
                [
                    "chain with a foreign root",
                    () => buildTrustedRoot({ certificateAuthorities: [{ ...fulcio(), certChainPem: pki.intermediate + pki.otherRoot }], ...logs() }),
                    /not issued by the next certificate/,
                ],
                [
                    "leaf as Fulcio CA",
                    () => buildTrustedRoot({ certificateAuthorities: [{ ...fulcio(), certChainPem: pki.tsaLeaf + pki.intermediate + pki.root }], ...logs() }),
                    /certificate #1 .* is not a CA certificate/,
                ],
                [
                    "private key inside the chain",
                    () =>
                        buildTrustedRoot({ certificateAuthorities: [{ ...fulcio(), certChainPem: pki.intermediate + pki.privateKey + pki.root }], ...logs() }),
                    /only "CERTIFICATE" blocks are allowed/,
                ],
                [
                    "bad PEM",
                    () => buildTrustedRoot({ certificateAuthorities: [{ ...fulcio(), certChainPem: "not pem" }], ...logs() }),
                    /certificateAuthorities\[0\]\.certChainPem contains no/,
                ],
                [
                    "corrupt certificate",
                    () =>
                        buildTrustedRoot({
                            certificateAuthorities: [{ ...fulcio(), certChainPem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }],
                            ...logs(),
                        }),
                    /block #1 is not a valid X.509 certificate/,
                ],
                [
                    "bad validFrom",
                    () => buildTrustedRoot({ certificateAuthorities: [{ ...fulcio(), validFrom: "yesterday" }], ...logs() }),
                    /certificateAuthorities\[0\]\.validFrom must be an RFC 3339/,
                ],
                [
                    "validTo before validFrom",
                    () => buildTrustedRoot({ certificateAuthorities: [fulcio()], ...logs(), tlogs: [{ ...logs().tlogs[0], validTo: "2024-01-01T00:00:00Z" }] }),
                    /tlogs\[0\]\.validTo .* is before validFrom/,
                ],
                [
                    "duplicate log key",
                    () =>
                        buildTrustedRoot({
                            certificateAuthorities: [fulcio()],
                            ...logs(),
                            tlogs: [logs().tlogs[0], { ...logs().tlogs[0], baseUrl: "https://rekor2.corp.example" }],
                        }),
                    /tlogs\[1\] has the same public key/,
                ],
                [
                    "log URL with trailing slash",
                    () =>
                        buildTrustedRoot({
                            certificateAuthorities: [fulcio()],
                            ...logs(),
                            tlogs: [{ ...logs().tlogs[0], baseUrl: "https://rekor.corp.example/" }],
                        }),
                    /tlogs\[0\]\.baseUrl must not end with "\/"/,
                ],
                [
                    "RSA-1024 log key",
                    () =>
                        buildTrustedRoot({
                            certificateAuthorities: [fulcio()],
                            ...logs(),
                            tlogs: [{ ...logs().tlogs[0], publicKeyPem: spki("rsa", { modulusLength: 1024 }) }],
                        }),
                    /RSA key size 1024 is not supported/,
                ],
            ];
            for (const [name, fn, re] of bad) it(name, () => assert.throws(fn, re));
        });
    });

    describe("buildSigningConfig", () => {
        const input = {
            caUrls: ["https://fulcio.corp.example"],
            oidcUrls: ["https://keycloak.corp.example/realms/sigstore"],
            rekorUrls: ["https://rekor.corp.example"],
            validFrom: T0,
        };

        it("survives a SigningConfig.fromJSON/toJSON round trip unchanged", () => {
            assertRoundTrips(buildSigningConfig(input), SigningConfig);
            assertRoundTrips(buildSigningConfig({ ...input, tsaUrls: ["https://tsa.corp.example/api/v1/timestamp"], operator: "corp" }), SigningConfig);
        });

        it("has the v0.2 media type, version-1 services and ANY selectors", () => {
            const sc = buildSigningConfig({ ...input, tsaUrls: ["https://tsa.corp.example/api/v1/timestamp"] }) as Record<string, any>;
            assert.equal(sc.mediaType, SIGNING_CONFIG_MEDIA_TYPE);
            assert.equal(sc.mediaType, "application/vnd.dev.sigstore.signingconfig.v0.2+json");
            assert.deepEqual(Object.keys(sc), ["mediaType", "caUrls", "oidcUrls", "rekorTlogUrls", "rekorTlogConfig", "tsaUrls", "tsaConfig"]);
            assert.deepEqual(sc.caUrls, [{ url: "https://fulcio.corp.example", majorApiVersion: 1, validFor: { start: T0 }, operator: "sigstore-onprem" }]);
            assert.equal(sc.oidcUrls[0].url, input.oidcUrls[0]);
            assert.equal(sc.oidcUrls[0].majorApiVersion, 1);
            assert.equal(sc.rekorTlogUrls[0].url, input.rekorUrls[0]);
            assert.equal(sc.rekorTlogUrls[0].majorApiVersion, 1);
            assert.equal(sc.tsaUrls[0].majorApiVersion, 1);
            assert.deepEqual(sc.rekorTlogConfig, { selector: "ANY" });
            assert.deepEqual(sc.tsaConfig, { selector: "ANY" });
            const parsed = SigningConfig.fromJSON(sc);
            assert.equal(parsed.rekorTlogUrls[0].validFor?.start?.toISOString(), "2025-01-01T00:00:00.000Z");
        });

        it("omits tsaUrls when there is no TSA but keeps tsaConfig", () => {
            const sc = buildSigningConfig(input) as Record<string, unknown>;
            assert.ok(!("tsaUrls" in sc));
            assert.deepEqual(sc.tsaConfig, { selector: "ANY" });
        });

        it("is deterministic", () => {
            assert.equal(JSON.stringify(buildSigningConfig(input)), JSON.stringify(buildSigningConfig({ ...input })));
        });

        describe("rejects bad input", () => {
            const bad: Array<[string, object, RegExp]> = [
                ["empty caUrls", { caUrls: [] }, /caUrls must be a non-empty array/],
                ["empty oidcUrls", { oidcUrls: [] }, /oidcUrls must be a non-empty array/],
                ["empty rekorUrls", { rekorUrls: [] }, /rekorUrls must be a non-empty array/],
                ["bad validFrom", { validFrom: "2025-01-01" }, /validFrom must be an RFC 3339/],
                ["non-http URL", { caUrls: ["grpc://fulcio:5554"] }, /caUrls\[0\] must use https:\/\/ \(or http:\/\/\)/],
                ["trailing slash", { rekorUrls: ["https://rekor.corp.example/"] }, /rekorUrls\[0\] must not end with "\/"/],
                ["relative URL", { tsaUrls: ["/api/v1/timestamp"] }, /tsaUrls\[0\] is not an absolute URL/],
                ["empty operator", { operator: "" }, /operator must be a non-empty string/],
            ];
            for (const [name, patch, re] of bad) {
                it(name, () => assert.throws(() => buildSigningConfig({ ...input, ...patch }), re));
            }
        });
    });
});
