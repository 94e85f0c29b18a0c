import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FULCIO_ISSUER_TYPES, OidcIssuerInput, renderFulcioConfig } from "../../lib/fulcio-config";

// The JSON keys Fulcio v1.8.8 reads come from the struct tags in
// pkg/config/config.go: FulcioConfig.OIDCIssuers (`json:"OIDCIssuers"`) and
// OIDCIssuer{IssuerURL, ClientID, Type, CIProvider, IssuerClaim, SubjectDomain,
// SPIFFETrustDomain, ChallengeClaim, Description, Contact, CACert,
// SkipEmailVerification}. encoding/json ignores unknown keys, so these tests
// pin the exact spelling.
const OIDC_ISSUER_JSON_KEYS = new Set([
    "IssuerURL",
    "ClientID",
    "Type",
    "CIProvider",
    "IssuerClaim",
    "SubjectDomain",
    "SPIFFETrustDomain",
    "ChallengeClaim",
    "Description",
    "Contact",
    "CACert",
    "SkipEmailVerification",
]);

const keycloak: OidcIssuerInput = {
    issuerUrl: "https://keycloak.corp.example/realms/sigstore",
    clientId: "sigstore",
    type: "email",
};

function selfSignedCaPem(): string | undefined {
    if (spawnSync("openssl", ["version"]).status !== 0) return undefined;
    const dir = mkdtempSync(join(tmpdir(), "fulcio-ca-"));
    try {
        const r = spawnSync("openssl", [
            ..."req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=idp-ca".split(" "),
            "-keyout",
            join(dir, "k.pem"),
            "-out",
            join(dir, "c.pem"),
        ]);
        return r.status === 0 ? readFileSync(join(dir, "c.pem"), "utf8") : undefined;
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

describe("lib/fulcio-config renderFulcioConfig", () => {
    it("renders OIDCIssuers keyed by IssuerURL with the exact keys Fulcio parses", () => {
        const cfg = JSON.parse(renderFulcioConfig([keycloak]));
        assert.deepEqual(Object.keys(cfg), ["OIDCIssuers"]);
        assert.deepEqual(cfg.OIDCIssuers, {
            "https://keycloak.corp.example/realms/sigstore": {
                IssuerURL: "https://keycloak.corp.example/realms/sigstore",
                ClientID: "sigstore",
                Type: "email",
            },
        });
    });

    it("includes CACert verbatim for a private-CA IdP", function () {
        const ca = selfSignedCaPem();
        if (!ca) {
            console.warn("    (skipped: `openssl` is not on PATH, cannot make a CA certificate)");
            this.skip();
        }
        const cfg = JSON.parse(renderFulcioConfig([{ ...keycloak, caCert: ca }]));
        const issuer = cfg.OIDCIssuers[keycloak.issuerUrl];
        assert.equal(issuer.CACert, ca);
        for (const k of Object.keys(issuer)) assert.ok(OIDC_ISSUER_JSON_KEYS.has(k), `unexpected key ${k}`);
    });

    it("sorts issuers by URL and is deterministic whatever the input order", () => {
        const other: OidcIssuerInput = { issuerUrl: "http://dex.sigstore.svc:5556/dex", clientId: "sigstore", type: "email" };
        const a = renderFulcioConfig([keycloak, other]);
        assert.equal(a, renderFulcioConfig([other, keycloak]));
        assert.deepEqual(Object.keys(JSON.parse(a).OIDCIssuers), [other.issuerUrl, keycloak.issuerUrl]);
        assert.ok(a.endsWith("}\n"));
    });

    it("maps every optional field to its Fulcio JSON key", () => {
        const cfg = JSON.parse(
            renderFulcioConfig([
                { ...keycloak, skipEmailVerification: true, description: "corp IdP", contact: "sec@corp.example" },
                { issuerUrl: "https://accounts.corp.example", clientId: "sigstore", type: "uri", subjectDomain: "https://corp.example" },
                { issuerUrl: "https://login.corp.example", clientId: "sigstore", type: "username", subjectDomain: "corp.example" },
                { issuerUrl: "https://spire.corp.example", clientId: "sigstore", type: "spiffe", spiffeTrustDomain: "corp.example" },
            ]),
        );
        const get = (u: string) => cfg.OIDCIssuers[u];
        assert.equal(get(keycloak.issuerUrl).SkipEmailVerification, true);
        assert.equal(get(keycloak.issuerUrl).Description, "corp IdP");
        assert.equal(get(keycloak.issuerUrl).Contact, "sec@corp.example");
        assert.equal(get("https://accounts.corp.example").SubjectDomain, "https://corp.example");
        assert.equal(get("https://login.corp.example").SubjectDomain, "corp.example");
        assert.equal(get("https://spire.corp.example").SPIFFETrustDomain, "corp.example");
        for (const issuer of Object.values<Record<string, unknown>>(cfg.OIDCIssuers)) {
            for (const k of Object.keys(issuer)) assert.ok(OIDC_ISSUER_JSON_KEYS.has(k), `unexpected key ${k}`);
        }
    });

    it("lists exactly the issuer types of Fulcio v1.8.8", () => {
        assert.deepEqual([...FULCIO_ISSUER_TYPES].sort(), [
            "buildkite-job",
            "chainguard-identity",
            "ci-provider",
            "codefresh-workflow",
            "email",
            "github-workflow",
            "gitlab-pipeline",
            "kubernetes",
            "spiffe",
            "uri",
            "username",
        ]);
    });

    describe("rejects invalid issuers naming the field", () => {
        const cases: Array<[string, Partial<OidcIssuerInput>, RegExp]> = [
            ["unknown type", { type: "oidc" }, /issuers\[0\]\.type must be one of email, github-workflow, .*; got "oidc"/],
            ["type with wrong case", { type: "Email" }, /issuers\[0\]\.type must be one of/],
            ["ci-provider (needs CIIssuerMetadata)", { type: "ci-provider" }, /ci-provider" is not supported/],
            ["empty clientId", { clientId: "" }, /issuers\[0\]\.clientId must be a non-empty string/],
            ["non-URL issuer", { issuerUrl: "keycloak/realms/x" }, /issuers\[0\]\.issuerUrl is not an absolute URL/],
            ["ftp issuer", { issuerUrl: "ftp://idp.example" }, /issuerUrl must use https:\/\//],
            ["trailing slash", { issuerUrl: "https://idp.example/realms/x/" }, /issuerUrl ends with "\/"/],
            ["query in issuer", { issuerUrl: "https://idp.example/?x=1" }, /without credentials, query/],
            ["uri without subjectDomain", { type: "uri" }, /subjectDomain must be a non-empty string \(required for type "uri"\)/],
            ["uri subjectDomain without scheme", { type: "uri", subjectDomain: "corp.example" }, /must include a scheme/],
            ["username subjectDomain with scheme", { type: "username", subjectDomain: "https://corp.example" }, /must not include a scheme/],
            ["uri subjectDomain in another domain", { type: "uri", subjectDomain: "https://other.example.org" }, /must share the top- and second-level domain/],
            [
                "uri subjectDomain with other scheme",
                { type: "uri", subjectDomain: "http://corp.example", issuerUrl: "https://login.corp.example" },
                /scheme "http:" must match/,
            ],
            ["username subjectDomain in another domain", { type: "username", subjectDomain: "other.org" }, /must share/],
            ["spiffe without trust domain", { type: "spiffe" }, /spiffeTrustDomain must be a non-empty string/],
            ["subjectDomain on email", { subjectDomain: "corp.example" }, /subjectDomain only applies/],
            [
                "skipEmailVerification on uri",
                { type: "uri", subjectDomain: "https://corp.example", skipEmailVerification: true },
                /skipEmailVerification only applies/,
            ],
            ["caCert that is not a certificate", { caCert: "hello" }, /issuers\[0\]\.caCert contains no/],
        ];
        for (const [name, patch, re] of cases) {
            it(name, () => assert.throws(() => renderFulcioConfig([{ ...keycloak, ...patch }]), re));
        }
        it("empty list", () => assert.throws(() => renderFulcioConfig([]), /issuers must be a non-empty array/));
        it("duplicate issuer URL", () => assert.throws(() => renderFulcioConfig([keycloak, { ...keycloak }]), /listed twice/));
        it("trailing slash allowed only on request", () => {
            const url = "https://tenant.auth0.example/";
            const cfg = JSON.parse(renderFulcioConfig([{ ...keycloak, issuerUrl: url, allowTrailingSlash: true }]));
            assert.equal(cfg.OIDCIssuers[url].IssuerURL, url);
        });
    });
});
