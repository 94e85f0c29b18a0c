/**
 * config.ts: every bad value is reported with its key, the value and what is allowed; all problems
 * at once; defaults are valid and equal Pulumi.yaml's; every key read is declared, with the right
 * type and secretness; image references are rewritten for mirrors.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { caModes, ConfigSource, createtreeModes, databaseEngines, databaseModes, defaults, imageRef, loadConfig, oidcIssuerTypes, secretKeys, SigstoreConfig } from "../config";
import { upstream, upstreamImages } from "../versions";

const root = path.resolve(__dirname, "..");
const project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
const schema: Record<string, { type?: string; default?: unknown; secret?: boolean }> = project.config;
const configSource = fs.readFileSync(path.join(root, "config.ts"), "utf8");

const required = { oidcIssuerUrl: "https://keycloak.corp.example/realms/sigstore", emailDomain: "corp.example" };
const digest = "a".repeat(64);

/**
 * A ConfigSource over plain values and secret values (stored encrypted, unless listed in
 * `plainSecrets`: set without --secret), recording which getter read which key.
 */
function fakeSource(values: Record<string, string>, secrets: Record<string, string> = {}, plainSecrets: string[] = []) {
    const reads = { plain: new Set<string>(), secret: new Set<string>() };
    const source: ConfigSource = {
        get: (key) => { reads.plain.add(key); return values[key] ?? secrets[key]; },
        getSecret: (key) => { reads.secret.add(key); return key in secrets ? pulumi.secret(secrets[key]) : undefined; },
        isStoredSecret: (key) => key in secrets && !plainSecrets.includes(key),
    };
    return { source, reads };
}

function load(values: Record<string, string>, secrets: Record<string, string> = {}): SigstoreConfig {
    return loadConfig(fakeSource({ ...required, ...values }, secrets).source, "sigstore");
}

/** The problem lines of the thrown error (or [] when the config loads). */
function problems(values: Record<string, string | undefined>, secrets: Record<string, string> = {}): { message: string; lines: string[] } {
    const merged: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...required, ...values })) if (v !== undefined) merged[k] = v;
    try {
        loadConfig(fakeSource(merged, secrets).source, "sigstore");
        return { message: "", lines: [] };
    } catch (e) {
        const message = (e as Error).message;
        return { message, lines: message.split("\n").filter((l) => l.startsWith("  - ")).map((l) => l.slice(4)) };
    }
}

/** "must be one of "a", "b"" for a list config.ts exports, as a RegExp. */
function oneOf(list: readonly string[]): RegExp {
    return new RegExp(`must be one of ${list.map((v) => `"${v}"`).join(", ").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}

/**
 * Asserts that loading fails with a problem line `sigstore:<key> = <value as JSON>: <allowed>`:
 * it names the key, shows the offending value and says what is allowed.
 */
function expectProblem(values: Record<string, string | undefined>, key: string, shown: unknown, allowed: RegExp, secrets: Record<string, string> = {}): string {
    const { message, lines } = problems(values, secrets);
    assert.ok(message, `expected loading ${JSON.stringify(values)} to fail on sigstore:${key}`);
    assert.match(message, /^Invalid stack configuration \(\d+ problems?\):\n/);
    const prefix = `sigstore:${key} = ${shown === undefined ? "undefined" : JSON.stringify(shown)}: `;
    const line = lines.find((l) => l.startsWith(prefix));
    assert.ok(line, `no problem line starting with ${JSON.stringify(prefix)} in:\n${message}`);
    assert.match(line.slice(prefix.length), allowed);
    return message;
}

describe("config: loadConfig rejects bad values naming key, value and what is allowed", () => {
    const dnsLabel = /DNS-1123 label: lowercase letters, digits and '-'.*63 characters/;
    const wholeNumber = (min: number, max: number) => new RegExp(`must be a whole number from ${min} to ${max}`);

    it("namespace that is not a DNS-1123 label", () => {
        expectProblem({ namespace: "Sigstore_NS" }, "namespace", "Sigstore_NS", dnsLabel);
        expectProblem({ namespace: "x".repeat(64) }, "namespace", "x".repeat(64), dnsLabel);
        expectProblem({ namespace: "-sigstore" }, "namespace", "-sigstore", dnsLabel);
    });

    it("imageRegistry with a scheme or a trailing slash", () => {
        const allowed = /registry host with an optional path.*no scheme, no trailing slash/;
        expectProblem({ imageRegistry: "https://registry.corp.example" }, "imageRegistry", "https://registry.corp.example", allowed);
        expectProblem({ imageRegistry: "registry.corp.example/sigstore/" }, "imageRegistry", "registry.corp.example/sigstore/", allowed);
    });

    it("image tags that are not tags", () => {
        const allowed = /must be an image tag \(e\.g\. v1\.7\.3\), optionally pinned with @sha256:<64 hex digits>/;
        expectProblem({ trillianTag: "v1.7.3 beta" }, "trillianTag", "v1.7.3 beta", allowed);
        expectProblem({ rekorTag: "ghcr.io/sigstore/rekor:v1" }, "rekorTag", "ghcr.io/sigstore/rekor:v1", allowed);
        expectProblem({ fulcioTag: "v1.8.8@sha256:abc" }, "fulcioTag", "v1.8.8@sha256:abc", allowed);
        expectProblem({ ctlogTag: ".hidden" }, "ctlogTag", ".hidden", allowed);
        expectProblem({ redisTag: "7.4:2" }, "redisTag", "7.4:2", allowed);
    });

    it("replicas 0, \"two\", 99 and more signers than allowed", () => {
        expectProblem({ rekorReplicas: "0" }, "rekorReplicas", "0", wholeNumber(1, 20));
        expectProblem({ fulcioReplicas: "two" }, "fulcioReplicas", "two", wholeNumber(1, 20));
        expectProblem({ ctlogReplicas: "99" }, "ctlogReplicas", "99", wholeNumber(1, 20));
        expectProblem({ trillianServerReplicas: "1.5" }, "trillianServerReplicas", "1.5", wholeNumber(1, 20));
        expectProblem({ trillianSignerReplicas: "6" }, "trillianSignerReplicas", "6", wholeNumber(1, 5));
        expectProblem({ caValidityHours: "1" }, "caValidityHours", "1", wholeNumber(24, 262800));
    });

    it("Trillian tuning out of range: sequencer interval, batch size, sequencers, pool sizes", () => {
        expectProblem({ trillianSequencerInterval: "5ms" }, "trillianSequencerInterval", "5ms", /must be a duration from 10ms to 60s/);
        expectProblem({ trillianSequencerInterval: "1h" }, "trillianSequencerInterval", "1h", /must be a duration from 10ms to 60s/);
        expectProblem({ trillianSequencerInterval: "0.1s" }, "trillianSequencerInterval", "0.1s", /written as <n>ms or <n>s/);
        expectProblem({ trillianBatchSize: "0" }, "trillianBatchSize", "0", wholeNumber(1, 100000));
        expectProblem({ trillianNumSequencers: "101" }, "trillianNumSequencers", "101", wholeNumber(1, 100));
        expectProblem({ trillianMysqlMaxConns: "-1" }, "trillianMysqlMaxConns", "-1", wholeNumber(0, 1000));
        expectProblem({ trillianMysqlMaxIdleConns: "-2" }, "trillianMysqlMaxIdleConns", "-2", wholeNumber(-1, 1000));
        assert.deepEqual(load({ trillianSequencerInterval: "2s", trillianMysqlMaxIdleConns: "-1" }).trillian.tuning, {
            sequencerInterval: "2s", batchSize: 1000, numSequencers: 10, mysqlMaxConns: 0, mysqlMaxIdleConns: -1,
        });
    });

    it("storage sizes that are not Kubernetes quantities", () => {
        const allowed = /must be a Kubernetes storage quantity such as 10Gi or 500Mi/;
        expectProblem({ databaseStorageSize: "10GB" }, "databaseStorageSize", "10GB", allowed);
        expectProblem({ redisStorageSize: "0Gi" }, "redisStorageSize", "0Gi", allowed);
        expectProblem({ databaseStorageSize: "ten" }, "databaseStorageSize", "ten", allowed);
    });

    it("unknown databaseMode", () => {
        expectProblem({ databaseMode: "cloud" }, "databaseMode", "cloud", oneOf(databaseModes));
    });

    it("external database mode without databaseHost, databasePassword and databaseEgressCidrs (all reported)", () => {
        const message = expectProblem({ databaseMode: "external" }, "databaseHost", undefined, /is required; set it with `pulumi config set databaseHost <value>`/);
        assert.match(message, /^Invalid stack configuration \(3 problems\)/);
        expectProblem({ databaseMode: "external" }, "databasePassword", undefined,
            /is required when databaseMode is "external"; set it with `pulumi config set --secret databasePassword \.\.\.`/);
        expectProblem({ databaseMode: "external" }, "databaseEgressCidrs", undefined, /is required when databaseMode is "external" and networkPolicies is true/);
    });

    it("external database with a bad engine, port, host or identifiers", () => {
        const ext = { databaseMode: "external", databaseHost: "db.corp.example", databaseEgressCidrs: "10.20.30.40/32" };
        const pw = { databasePassword: "pw" };
        expectProblem({ ...ext, databaseEngine: "oracle" }, "databaseEngine", "oracle", oneOf(databaseEngines), pw);
        expectProblem({ ...ext, databasePort: "70000" }, "databasePort", "70000", wholeNumber(0, 65535), pw);
        expectProblem({ ...ext, databaseHost: "db.corp.example:3306" }, "databaseHost", "db.corp.example:3306", /host name or IP address without a port/, pw);
        expectProblem({ ...ext, databaseName: "tril-lian" }, "databaseName", "tril-lian", /letters, digits and '_'/, pw);
        assert.deepEqual(problems(ext, pw).lines, [], "a complete external config loads");
    });

    for (const [key, value] of Object.entries({
        databaseHost: "db.corp.example", databaseEngine: "postgresql", databasePort: "5432", databaseName: "sigstore", databaseUser: "sigstore", databaseEgressCidrs: "10.20.30.40/32",
    })) {
        it(`external-only key ${key} set in in-cluster mode`, () => {
            expectProblem({ [key]: value }, key, value, /only applies when databaseMode is "external"; remove it or set databaseMode/);
        });
    }

    it("external-only keys at the defaults the CLI writes into every stack are not reported in in-cluster mode", () => {
        const written = { databaseHost: "", databaseEngine: "mysql", databasePort: "0", databaseName: "trillian", databaseUser: "trillian" };
        assert.deepEqual(problems(written).lines, []);
    });

    it("databasePort 0 (the default) means the engine's standard port", () => {
        const ext = { databaseMode: "external", databaseHost: "db.corp.example", databasePort: "0", databaseEgressCidrs: "10.20.30.40/32" };
        assert.equal(load(ext, { databasePassword: "pw" }).database.external!.port, 3306);
        assert.equal(load({ ...ext, databaseEngine: "postgresql" }, { databasePassword: "pw" }).database.external!.port, 5432);
    });

    for (const key of ["databasePassword", "caRootKey", "caPkcs11Config"]) {
        it(`secret ${key} stored in plain text (set without --secret) is refused without echoing it`, () => {
            const secretValue = "hunter2-do-not-print";
            const values = { databaseMode: "external", databaseHost: "db", databaseEgressCidrs: "10.0.0.5/32", caMode: key === "caRootKey" ? "chained" : "pkcs11", caRootCert: "-----BEGIN CERTIFICATE-----", caHsmRootId: "1", caCertChain: "-----BEGIN CERTIFICATE-----" };
            const secrets = { databasePassword: "pw", caRootKey: "k", caPkcs11Config: "{}", [key]: secretValue };
            let message = "";
            try {
                loadConfig(fakeSource({ ...required, ...values }, secrets, [key]).source, "sigstore");
            } catch (e) {
                message = (e as Error).message;
            }
            assert.match(message, new RegExp(`sigstore:${key} = "\\[plain text\\]": is a secret and must be stored encrypted: set it with \`pulumi config set --secret ${key} \\.\\.\\.\``));
            assert.ok(!message.includes(secretValue), "the secret value must never appear in an error message");
        });
    }

    it("external-only secret databasePassword set in in-cluster mode is reported without echoing it", () => {
        const secretValue = "hunter2-do-not-print";
        const { message, lines } = problems({}, { databasePassword: secretValue });
        const line = lines.find((l) => l.startsWith("sigstore:databasePassword = "));
        assert.ok(line, `a databasePassword set while databaseMode is "in-cluster" is silently ignored (the in-cluster database uses a generated password); expected a problem naming sigstore:databasePassword, got: ${JSON.stringify(message)}`);
        assert.match(line, /only applies when databaseMode is "external"/);
        assert.ok(!message.includes(secretValue), "the secret value must never appear in an error message");
    });

    it("createtreeMode pod without createtreeImage, and an unknown createtreeMode", () => {
        expectProblem({ createtreeMode: "pod" }, "createtreeImage", undefined, /is required when createtreeMode is "pod": an image with Trillian's createtree at \/createtree/);
        expectProblem({ createtreeMode: "exec" }, "createtreeMode", "exec", oneOf(createtreeModes));
        expectProblem({ createtreeMode: "pod", createtreeImage: "Registry/Createtree:1" }, "createtreeImage", "Registry/Createtree:1", /must be an image reference/);
        assert.deepEqual(problems({ createtreeMode: "pod", createtreeImage: "registry.corp.example/trillian/createtree:v1.7.3" }).lines, []);
    });

    it("oidcIssuerUrl with a trailing slash, not a URL, or another scheme", () => {
        expectProblem({ oidcIssuerUrl: "https://keycloak.corp.example/realms/sigstore/" }, "oidcIssuerUrl",
            "https://keycloak.corp.example/realms/sigstore/", /must not end with '\/': it must equal the token's `iss` claim exactly/);
        expectProblem({ oidcIssuerUrl: "keycloak.corp.example/realms/sigstore" }, "oidcIssuerUrl",
            "keycloak.corp.example/realms/sigstore", /must be an absolute URL such as https:\/\/keycloak\.corp\.example\/realms\/sigstore/);
        expectProblem({ oidcIssuerUrl: "ftp://keycloak.corp.example/realms/sigstore" }, "oidcIssuerUrl",
            "ftp://keycloak.corp.example/realms/sigstore", /must use https:\/\//);
        expectProblem({ oidcIssuerUrl: "https://keycloak.corp.example/realms/sigstore?x=1" }, "oidcIssuerUrl",
            "https://keycloak.corp.example/realms/sigstore?x=1", /must not contain a query or fragment/);
    });

    it("missing oidcIssuerUrl", () => {
        expectProblem({ oidcIssuerUrl: undefined }, "oidcIssuerUrl", undefined, /is required when identityProvider is "external" \(the default\); set it with `pulumi config set oidcIssuerUrl <value>`/);
        expectProblem({ oidcIssuerUrl: "" }, "oidcIssuerUrl", undefined, /is required/);
    });

    it("missing or malformed emailDomain", () => {
        expectProblem({ emailDomain: undefined }, "emailDomain", undefined, /is required; set it with `pulumi config set emailDomain <value>`/);
        expectProblem({ emailDomain: "@corp.example" }, "emailDomain", "@corp.example", /must be an email domain such as corp\.example/);
        expectProblem({ emailDomain: "corp" }, "emailDomain", "corp", /must be an email domain/);
    });

    for (const bad of ["0", "-5", "9223372036854775808", "12abc", "007", " 12"]) {
        it(`tree ID ${JSON.stringify(bad)}`, () => {
            const allowed = /must be a Trillian tree ID: a positive 64-bit decimal integer/;
            expectProblem({ rekorTreeId: bad }, "rekorTreeId", bad, allowed);
            expectProblem({ ctlogTreeId: bad }, "ctlogTreeId", bad, allowed);
        });
    }

    it("accepts the extreme valid tree IDs", () => {
        const config = load({ rekorTreeId: "1", ctlogTreeId: "9223372036854775807" });
        assert.equal(config.trillian.rekorTreeId, "1");
        assert.equal(config.trillian.ctlogTreeId, "9223372036854775807");
    });

    it("caMode chained without caRootCert and caRootKey (both reported)", () => {
        const message = expectProblem({ caMode: "chained" }, "caRootCert", undefined, /is required when caMode is "chained": the enterprise root certificate \(PEM\)/);
        expectProblem({ caMode: "chained" }, "caRootKey", undefined, /is required when caMode is "chained".*`pulumi config set --secret caRootKey \.\.\.`/);
        assert.match(message, /\(2 problems\)/);
        expectProblem({ caMode: "chained", caRootCert: "not a pem" }, "caRootCert", "not a pem", /must be PEM text containing a "-----BEGIN CERTIFICATE-----" block/, { caRootKey: "k" });
    });

    it("caMode pkcs11 and kms without their settings", () => {
        expectProblem({ caMode: "pkcs11" }, "caHsmRootId", undefined, /is required when caMode is "pkcs11"/);
        expectProblem({ caMode: "pkcs11" }, "caPkcs11Config", undefined, /is required when caMode is "pkcs11"/);
        expectProblem({ caMode: "pkcs11" }, "caCertChain", undefined, /is required when caMode is "pkcs11"/);
        expectProblem({ caMode: "kms" }, "caKmsResource", undefined, /is required when caMode is "kms"/);
        expectProblem({ caMode: "kms", caKmsResource: "vault://x" }, "caKmsResource", "vault://x", /must be a KMS URI such as hashivault:\/\/fulcio-ca/);
    });

    it("the lists of allowed values are the documented ones", () => {
        assert.deepEqual([...databaseModes], ["in-cluster", "external"]);
        assert.deepEqual([...createtreeModes], ["port-forward", "pod"]);
        assert.deepEqual([...caModes], ["self-signed", "chained", "pkcs11", "kms"]);
        assert.deepEqual([...databaseEngines], ["mysql", "postgresql"]);
        assert.ok(oidcIssuerTypes.includes("email" as never), "Keycloak users need the email issuer type");
    });

    it("unknown caMode", () => {
        expectProblem({ caMode: "vault" }, "caMode", "vault", oneOf(caModes));
    });

    it("protectData \"yes\"", () => {
        expectProblem({ protectData: "yes" }, "protectData", "yes", /must be "true" or "false"/);
    });

    it("other malformed values: publicDomain, ingressClassName, ctlogPrefix, oidcIssuerType, oidcClientId, oidcIssuerCaCert", () => {
        expectProblem({ publicDomain: "Sigstore.Corp.Example" }, "publicDomain", "Sigstore.Corp.Example", /must be a DNS name such as sigstore\.corp\.example/);
        expectProblem({ ingressClassName: "Nginx" }, "ingressClassName", "Nginx", dnsLabel);
        expectProblem({ ctlogPrefix: "a/b" }, "ctlogPrefix", "a/b", /must be a URL path segment of letters, digits, '_' and '-'/);
        expectProblem({ oidcIssuerType: "github" }, "oidcIssuerType", "github", oneOf(oidcIssuerTypes));
        expectProblem({ oidcClientId: "sig store" }, "oidcClientId", "sig store", /non-empty client ID without spaces/);
        expectProblem({ oidcIssuerCaCert: "MIIB..." }, "oidcIssuerCaCert", "MIIB...", /BEGIN CERTIFICATE/);
    });

    it("<workload>Resources that are not cpu=<request>/<limit>,memory=<request>/<limit>, or ask more than the limit", () => {
        const shape = /must be "cpu=<request>\/<limit>,memory=<request>\/<limit>", e\.g\. "cpu=250m\/2,memory=512Mi\/2Gi"/;
        for (const bad of ["cpu=100m,memory=128Mi", "memory=128Mi/1Gi", "cpu=2/1,memory=128Mi/1Gi", "cpu=100m/1,memory=2Gi/1Gi",
            "cpu=100m/1,memory=128MB/1Gi", "cpu=100m/1,memory=128Mi/1Gi,cpu=1/2", "cpu=-1/1,memory=128Mi/1Gi"]) {
            expectProblem({ fulcioResources: bad }, "fulcioResources", bad, shape);
        }
        expectProblem({ databaseResources: "cpu=1/4" }, "databaseResources", "cpu=1/4", shape);
        assert.deepEqual(load({ rekorResources: "cpu=1500m/2.5,memory=1Gi/1Gi" }).resources.rekor,
            { cpu: { request: "1500m", limit: "2.5" }, memory: { request: "1Gi", limit: "1Gi" } });
    });

    it("network settings: selectors, CIDRs and ports that are malformed", () => {
        const selectorShape = /must be a label selector written as "key=value\[,key=value…\]"/;
        expectProblem({ ingressNamespaceSelector: "name in (a,b)" }, "ingressNamespaceSelector", "name in (a,b)", selectorShape);
        expectProblem({ metricsPodSelector: "app=prom,app=other" }, "metricsPodSelector", "app=prom,app=other", selectorShape);
        expectProblem({ ingressPodSelector: "-bad=x" }, "ingressPodSelector", "-bad=x", selectorShape);
        const cidrShape = /must be one or more CIDRs separated by commas/;
        for (const bad of ["10.0.0.0", "10.0.0.0/33", "300.1.1.1/32", "keycloak.corp.example"]) expectProblem({ oidcEgressCidrs: bad }, "oidcEgressCidrs", bad, cidrShape);
        expectProblem({ apiServerEgressPorts: "443,https" }, "apiServerEgressPorts", "443,https", /must be TCP ports from 1 to 65535/);
        expectProblem({ apiServerEgressPorts: "0" }, "apiServerEgressPorts", "0", /must be TCP ports from 1 to 65535/);
        expectProblem({ databaseEgressCidrs: "10.0.0.5/32" }, "databaseEgressCidrs", "10.0.0.5/32", /only applies when databaseMode is "external"/);
        expectProblem({ networkPolicies: "off" }, "networkPolicies", "off", /must be "true" or "false"/);
    });

    it("network settings are read into typed selectors, CIDRs and ports, and networkPolicies false drops them all", () => {
        const n = load({ ingressNamespaceSelector: "team=edge,kubernetes.io/metadata.name=ingress", ingressPodSelector: "", oidcEgressCidrs: "10.1.0.0/16, 2001:db8::/32", apiServerEgressPorts: "6443" }).network!;
        assert.deepEqual(n.ingressNamespaceSelector, { team: "edge", "kubernetes.io/metadata.name": "ingress" });
        assert.deepEqual(n.ingressPodSelector, {});
        assert.deepEqual(n.oidcEgressCidrs, ["10.1.0.0/16", "2001:db8::/32"]);
        assert.deepEqual(n.apiServerEgressPorts, [6443]);
        assert.equal(load({ networkPolicies: "false", oidcEgressCidrs: "bad" }).network, undefined, "network keys are not read without policies");
    });

    it("public-edge TLS: an issuer or a Secret, not both, and only with Ingresses", () => {
        expectProblem({ ingressClassName: "nginx", ingressClusterIssuer: "corp-ca", ingressTlsSecret: "wildcard" }, "ingressTlsSecret", "wildcard", /cannot be combined with ingressClusterIssuer/);
        expectProblem({ ingressTlsSecret: "wildcard" }, "ingressTlsSecret", "wildcard", /only applies with ingressClassName/);
        expectProblem({ ingressClassName: "nginx", ingressClusterIssuer: "Corp CA" }, "ingressClusterIssuer", "Corp CA", /must be a DNS name/);
        assert.deepEqual(load({ ingressClassName: "nginx", ingressTlsSecret: "sigstore-wildcard" }).ingressTls, { secretName: "sigstore-wildcard" });
        assert.equal(load({ ingressClassName: "nginx" }).ingressTls, undefined);
    });

    it("monitoring settings: labels and the CA expiry warning window, read only when monitoring is on", () => {
        expectProblem({ monitoring: "true", monitoringLabels: "release prometheus" }, "monitoringLabels", "release prometheus", /must be a label selector/);
        expectProblem({ monitoring: "true", caExpiryWarningDays: "0" }, "caExpiryWarningDays", "0", /must be a whole number from 1 to 3650/);
        assert.deepEqual(load({ monitoring: "true", monitoringLabels: "release=prometheus" }).monitoring, { labels: { release: "prometheus" }, caExpiryWarningDays: 90 });
        assert.equal(load({ monitoringLabels: "not checked" }).monitoring, undefined);
    });

    it("reports several problems together in one error", () => {
        const { message, lines } = problems({ namespace: "Bad_NS", rekorReplicas: "two", protectData: "yes", oidcIssuerUrl: undefined, caMode: "vault" });
        assert.match(message, /^Invalid stack configuration \(5 problems\):\n/);
        const keys = lines.map((l) => l.split(" = ")[0]).sort();
        assert.deepEqual(keys, ["sigstore:caMode", "sigstore:namespace", "sigstore:oidcIssuerUrl", "sigstore:protectData", "sigstore:rekorReplicas"]);
    });

    it("says \"1 problem\" for exactly one", () => {
        assert.match(problems({ protectData: "maybe" }).message, /^Invalid stack configuration \(1 problem\):\n {2}- sigstore:protectData/);
    });

    it("uses the project name given in the key", () => {
        assert.throws(() => loadConfig(fakeSource({}).source, "other"), /other:oidcIssuerUrl = undefined/);
    });
});

describe("config: defaults", () => {
    it("only the required keys produce a valid config equal to the defaults", () => {
        const c = load({});
        assert.deepEqual(c.cluster, { kubeconfig: undefined, kubeContext: undefined, namespace: defaults.namespace });
        assert.deepEqual(c.images.refs, { ...upstreamImages });
        assert.deepEqual(c.database, {
            mode: "in-cluster", storageSize: defaults.databaseStorageSize, storageClass: undefined,
            expectedSigningsPerDay: defaults.expectedSigningsPerDay, retentionYears: defaults.retentionYears,
        });
        assert.equal(c.trillian.serverReplicas, defaults.trillianServerReplicas);
        assert.equal(c.trillian.signerReplicas, defaults.trillianSignerReplicas);
        assert.equal(c.trillian.rekorTreeId, undefined);
        assert.equal(c.trillian.ctlogTreeId, undefined);
        assert.deepEqual(c.trillian.createtree, { mode: "port-forward", binary: "createtree", updatetreeBinary: "updatetree", image: undefined });
        assert.deepEqual(c.rekor, { replicas: 1, redisStorageSize: defaults.redisStorageSize, keyGeneration: 1 });
        assert.deepEqual(c.fulcio, { replicas: 1 });
        assert.deepEqual(c.ctlog, { replicas: 1, prefix: defaults.ctlogPrefix, keyGeneration: 1 });
        assert.deepEqual(c.oidc, {
            issuerUrl: required.oidcIssuerUrl, clientId: "sigstore", issuerType: "email", issuerCaCert: undefined, emailDomain: "corp.example",
        });
        assert.deepEqual(c.ca, {
            mode: "self-signed", organization: defaults.caOrganization, commonName: defaults.caCommonName, validityHours: defaults.caValidityHours, generation: defaults.fulcioCaGeneration,
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
        const c = load({
            namespace: "sigstore-prod", rekorReplicas: "3", trillianSignerReplicas: "2", protectData: "true", databaseStorageSize: "50Gi",
            ingressClassName: "nginx", kubeconfig: "/etc/kube/config", kubeContext: "prod-cluster", caMode: "chained",
            caRootCert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        }, { caRootKey: "-----BEGIN PRIVATE KEY-----\n..." });
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
        const c = load({ databaseMode: "external", databaseHost: "10.0.0.5", databaseEngine: "postgresql", databasePort: "5432", databaseEgressCidrs: "10.0.0.5/32" }, { databasePassword: "pw" });
        assert.deepEqual({ ...c.database.external, password: undefined }, {
            engine: "postgresql", host: "10.0.0.5", port: 5432, name: "trillian", user: "trillian", password: undefined,
        });
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

// ---- Pulumi.yaml and config.ts agree ----

type ReaderMethod = "string" | "optional" | "required" | "oneOf" | "int" | "bool" | "secret" | "requiredSecret" | "raw" | "demand" | "parsed";

/** Static view: every `r.<method>("<key>"` in config.ts, plus the externalKeys list read through r.raw. */
function keysReadStatically(): Map<string, Set<ReaderMethod>> {
    const found = new Map<string, Set<ReaderMethod>>();
    const add = (key: string, method: ReaderMethod) => {
        if (!found.has(key)) found.set(key, new Set());
        found.get(key)!.add(method);
    };
    for (const m of configSource.matchAll(/\br\.(string|optional|required|oneOf|int|bool|secret|requiredSecret|raw|demand|parsed)\(\s*"(\w+)"/g)) {
        add(m[2], m[1] as ReaderMethod);
    }
    const external = /const externalKeys = \[([^\]]*)\]/.exec(configSource);
    assert.ok(external, "config.ts no longer has an `externalKeys` list: update this test's static parse");
    for (const m of external[1].matchAll(/"(\w+)"/g)) add(m[1], "raw");
    return found;
}

/** Dynamic view: load configs that take every branch and record which getter read which key. */
function keysReadDynamically(): { plain: Set<string>; secret: Set<string> } {
    const plain = new Set<string>();
    const secret = new Set<string>();
    const scenarios: Array<[Record<string, string>, Record<string, string>]> = [
        [{}, {}],
        [{ databaseMode: "external", databaseHost: "db" }, { databasePassword: "pw" }],
        [{ createtreeMode: "pod", createtreeImage: "registry.corp.example/createtree:1" }, {}],
        [{ caMode: "chained", caRootCert: "-----BEGIN CERTIFICATE-----" }, { caRootKey: "k" }],
        [{ caMode: "pkcs11", caHsmRootId: "1", caCertChain: "-----BEGIN CERTIFICATE-----" }, { caPkcs11Config: "{}" }],
        [{ caMode: "kms", caKmsResource: "hashivault://ca", caCertChain: "-----BEGIN CERTIFICATE-----" }, {}],
    ];
    for (const [values, secrets] of scenarios) {
        const { source, reads } = fakeSource({ ...required, ...values }, secrets);
        try {
            loadConfig(source, "sigstore");
        } catch {
            // Reads are what matter here, not validity of the placeholder values.
        }
        reads.plain.forEach((k) => plain.add(k));
        reads.secret.forEach((k) => secret.add(k));
    }
    return { plain, secret };
}

describe("config: identityProvider dex (the bundled Dex in front of LDAP / Active Directory)", () => {
    const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    /** A complete dex stack: the README's Identity example, without oidcIssuerUrl (Dex's is derived). */
    const dex: Record<string, string | undefined> = {
        oidcIssuerUrl: undefined, identityProvider: "dex", publicDomain: "sigstore.corp.example",
        ldapHost: "ldap.corp.example", ldapCaCert: ca, ldapBindDn: "cn=dex,ou=services,dc=corp,dc=example",
        ldapUserBaseDn: "ou=people,dc=corp,dc=example", ldapEgressCidrs: "10.20.30.41/32",
    };
    const password = { ldapBindPassword: "bind-pw" };
    const loadDex = (values: Record<string, string | undefined> = {}) => {
        const merged = Object.fromEntries(Object.entries({ ...required, ...dex, ...values }).filter(([, v]) => v !== undefined)) as Record<string, string>;
        return loadConfig(fakeSource(merged, password).source, "sigstore");
    };
    const ldapOf = (c: SigstoreConfig) => { assert.equal(c.identity.provider, "dex"); return (c.identity as Extract<SigstoreConfig["identity"], { provider: "dex" }>).ldap; };

    it("derives the issuer (https://oidc.<publicDomain>), LDAPS on 636, and no group claim without a group base DN", () => {
        const c = loadDex();
        assert.equal(c.oidc.issuerUrl, "https://oidc.sigstore.corp.example");
        const ldap = ldapOf(c);
        assert.deepEqual([ldap.host, ldap.port, ldap.transport], ["ldap.corp.example", 636, "ldaps"]);
        assert.deepEqual(ldap.signerGroups, []);
        assert.equal(ldap.groupSearch, undefined);
        assert.deepEqual(c.network!.ldapEgressCidrs, ["10.20.30.41/32"]);
        assert.ok(pulumi.Output.isInstance(ldap.bindPassword));
    });

    it("StartTLS defaults to 389; an explicit port, issuer URL, signer groups and group search are taken as given", () => {
        const groups = "cn=signers,ou=groups,dc=corp,dc=example; cn=release\\, eng,ou=groups,dc=corp,dc=example";
        const c = loadDex({ ldapTransport: "starttls", oidcIssuerUrl: "https://sso.corp.example/dex", ldapSignerGroups: groups, ldapGroupBaseDn: "ou=groups,dc=corp,dc=example" });
        const ldap = ldapOf(c);
        assert.equal(ldap.port, 389);
        assert.equal(c.oidc.issuerUrl, "https://sso.corp.example/dex");
        assert.deepEqual(ldap.signerGroups, ["cn=signers,ou=groups,dc=corp,dc=example", "cn=release\\, eng,ou=groups,dc=corp,dc=example"]);
        assert.deepEqual(ldap.groupSearch, { baseDn: "ou=groups,dc=corp,dc=example", filter: "(objectClass=groupOfNames)", memberAttribute: "member", nameAttribute: "cn" });
        assert.equal(ldapOf(loadDex({ ldapPort: "3269" })).port, 3269);
        assert.equal(ldapOf(loadDex({ ldapMemberOfAttribute: "memberOf:1.2.840.113556.1.4.1941:" })).memberOfAttribute, "memberOf:1.2.840.113556.1.4.1941:");
    });

    it("requires the directory's host, CA, bind DN and password, user base DN and (with network policies) its CIDRs", () => {
        const { lines } = problems({ ...dex, ldapHost: undefined, ldapCaCert: undefined, ldapBindDn: undefined, ldapUserBaseDn: undefined, ldapEgressCidrs: undefined });
        const why = /is required when identityProvider is "dex"/;
        for (const key of ["ldapHost", "ldapCaCert", "ldapBindDn", "ldapUserBaseDn", "ldapBindPassword"]) {
            const line = lines.find((l) => l.startsWith(`sigstore:${key} = undefined: `));
            assert.ok(line, `${key} not reported in:\n${lines.join("\n")}`);
            assert.match(line, why);
        }
        assert.ok(lines.some((l) => /^sigstore:ldapEgressCidrs = undefined: is required when identityProvider is "dex" and networkPolicies is true/.test(l)));
        assert.doesNotThrow(() => loadDex({ ldapEgressCidrs: undefined, networkPolicies: "false" }));
    });

    it("rejects bad directory settings, naming each", () => {
        const bad: Array<[string, string, RegExp]> = [
            ["ldapHost", "ldap.corp.example:636", /without a port \(set ldapPort separately\)/],
            ["ldapTransport", "plain", oneOf(["ldaps", "starttls"])],
            ["ldapPort", "70000", /whole number from 0 to 65535/],
            ["ldapCaCert", "not a pem", /-----BEGIN CERTIFICATE-----/],
            ["ldapBindDn", "dex", /distinguished name/],
            ["ldapUserFilter", "(&(objectClass=person)", /LDAP filter in parentheses/],
            ["ldapUserFilter", "objectClass=person", /LDAP filter in parentheses/],
            ["ldapUserFilter", "(a=1)(b=2)", /LDAP filter in parentheses/],
            ["ldapUsernameAttribute", "user name", /LDAP attribute name/],
            ["ldapSignerGroups", "signers", /group DNs separated by ";"/],
            ["ldapMemberOfAttribute", "memberOf:chain", /optionally with a matching rule/],
            ["oidcIssuerUrl", "http://oidc.corp.example", /must use https:\/\/ when identityProvider is "dex"/],
            ["oidcIssuerType", "kubernetes", /must be "email" when identityProvider is "dex"/],
        ];
        for (const [key, value, allowed] of bad) {
            const { message, lines } = problems({ ...dex, [key]: value }, password);
            const line = lines.find((l) => l.startsWith(`sigstore:${key} = ${JSON.stringify(value)}: `));
            assert.ok(line, `${key}=${value} not reported in:\n${message}`);
            assert.match(line, allowed, key);
        }
    });

    it("the directory's settings only apply with dex: set with the default external issuer, they are refused", () => {
        expectProblem({ ldapHost: "ldap.corp.example" }, "ldapHost", "ldap.corp.example", /only applies when identityProvider is "dex"/);
        expectProblem({ ldapSignerGroups: "cn=x,dc=y" }, "ldapSignerGroups", "cn=x,dc=y", /only applies when identityProvider is "dex"/);
        expectProblem({}, "ldapBindPassword", "[secret]", /only applies when identityProvider is "dex"/, password);
        // The CLI writes each default into the stack: a default value is "not set".
        assert.doesNotThrow(() => load({ ldapUserFilter: defaults.ldapUserFilter, ldapPort: "0" }));
    });

    it("the bind password stored in plain text is refused without echoing it", () => {
        const merged = Object.fromEntries(Object.entries({ ...required, ...dex }).filter(([, v]) => v !== undefined)) as Record<string, string>;
        assert.throws(() => loadConfig(fakeSource(merged, { ldapBindPassword: "hunter2-ldap" }, ["ldapBindPassword"]).source, "sigstore"),
            (e: Error) => /sigstore:ldapBindPassword = "\[plain text\]": is a secret/.test(e.message) && !e.message.includes("hunter2-ldap"));
    });
});

describe("config: Pulumi.yaml schema and config.ts agree", () => {
    const declared = Object.keys(schema);

    it("every `default:` in Pulumi.yaml equals config.ts `defaults` for the same key", () => {
        const withDefault = Object.entries(schema).filter(([, v]) => v && "default" in v);
        assert.ok(withDefault.length >= 10, "Pulumi.yaml declares defaults");
        for (const [key, v] of withDefault) {
            assert.ok(key in defaults, `Pulumi.yaml has a default for ${key} but config.ts defaults has none`);
            assert.strictEqual(v.default, (defaults as Record<string, unknown>)[key], `default of ${key}: Pulumi.yaml ${JSON.stringify(v.default)} vs config.ts ${JSON.stringify((defaults as Record<string, unknown>)[key])}`);
        }
    });

    it("every config.ts default belongs to a key declared in Pulumi.yaml", () => {
        for (const key of Object.keys(defaults)) assert.ok(declared.includes(key), `defaults.${key} is not a key in Pulumi.yaml`);
    });

    it("every key config.ts reads (statically and on every branch) is declared in Pulumi.yaml, or is one of secretKeys", () => {
        const statically = [...keysReadStatically().keys()];
        const { plain, secret } = keysReadDynamically();
        assert.ok(statically.length >= 40, `the static parse found only ${statically.length} keys`);
        for (const key of new Set([...statically, ...plain, ...secret])) {
            assert.ok(declared.includes(key) || (secretKeys as readonly string[]).includes(key), `config.ts reads "${key}", which Pulumi.yaml does not declare`);
        }
    });

    it("every optional declared key has a default (the CLI makes a key without one required); only emailDomain is required", () => {
        // oidcIssuerUrl is required by config.ts, with identityProvider "external" only: the CLI cannot express a condition.
        const requiredKeys = Object.entries(schema).filter(([, v]) => v.default === undefined).map(([k]) => k);
        assert.deepEqual(requiredKeys.sort(), ["emailDomain"]);
    });

    it("no secret key is declared in Pulumi.yaml (a declared secret is required by the CLI), and each is documented there", () => {
        const projectText = fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
        for (const key of secretKeys) {
            assert.ok(!(key in schema), `${key} is declared: the CLI would require it in every stack`);
            assert.match(projectText, new RegExp(`^#\\s+${key}\\s+\\S`, "m"), `${key} is not documented in Pulumi.yaml's header comment`);
        }
        assert.ok(Object.values(schema).every((v) => !v.secret), "a key is declared secret: true");
    });

    it("the README's configuration reference has a row for every declared key and every secret key", () => {
        const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
        const table = readme.slice(readme.indexOf("## Configuration reference"), readme.indexOf("## Outputs reference"));
        for (const key of [...declared, ...secretKeys]) assert.match(table, new RegExp(`^\\| \`${key}\` \\|`, "m"), `README has no row for ${key}`);
    });

    it("every key Pulumi.yaml declares is read by config.ts", () => {
        const statically = keysReadStatically();
        const { plain, secret } = keysReadDynamically();
        for (const key of declared) {
            assert.ok(statically.has(key) || plain.has(key) || secret.has(key), `Pulumi.yaml declares "${key}" but config.ts never reads it`);
        }
    });

    it("every secret key is read with a secret getter and never as plain text", () => {
        assert.deepEqual([...secretKeys].sort(), ["caPkcs11Config", "caRootKey", "databasePassword", "ldapBindPassword"]);
        const statically = keysReadStatically();
        const { plain, secret } = keysReadDynamically();
        for (const key of secretKeys) {
            assert.ok(secret.has(key), `${key} is never read with getSecret`);
            assert.ok(!plain.has(key), `${key} is read with get(): its plaintext would be handled outside a secret Output`);
            const methods = [...(statically.get(key) ?? [])];
            assert.ok(methods.length > 0 && methods.every((m) => m === "secret" || m === "requiredSecret" || m === "demand"),
                `${key} is read with r.${methods.join("/r.")}; only r.secret/r.requiredSecret keep it secret`);
        }
        for (const key of secret) assert.ok((secretKeys as readonly string[]).includes(key), `${key} is read as a secret but is not in config.ts secretKeys`);
    });

    it("integer and boolean keys are declared with those types and read with r.int / r.bool", () => {
        const statically = keysReadStatically();
        for (const [key, v] of Object.entries(schema)) {
            const methods = statically.get(key) ?? new Set();
            if (v.type === "integer") assert.ok(methods.has("int"), `${key} is type: integer but not read with r.int`);
            if (v.type === "boolean") assert.ok(methods.has("bool"), `${key} is type: boolean but not read with r.bool`);
            if (methods.has("int")) assert.equal(v.type, "integer", `${key} is read with r.int but declared type: ${v.type}`);
            if (methods.has("bool")) assert.equal(v.type, "boolean", `${key} is read with r.bool but declared type: ${v.type}`);
        }
    });

    for (const stack of ["dev", "prod"]) {
        it(`Pulumi.${stack}.yaml only sets declared keys, keeps secrets secure, and loads without problems`, () => {
            const doc = YAML.parse(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8"));
            const values: Record<string, string> = {};
            for (const [fullKey, v] of Object.entries<any>(doc.config ?? {})) {
                const [ns, key] = fullKey.split(":");
                assert.equal(ns, "sigstore", `${fullKey}: keys are namespaced by the project`);
                const isSecret = (secretKeys as readonly string[]).includes(key);
                assert.ok(declared.includes(key) || isSecret, `${fullKey} is not declared in Pulumi.yaml`);
                if (isSecret) assert.ok(v && typeof v === "object" && "secure" in v, `${fullKey} is a secret and must be a secure: value`);
                else values[key] = typeof v === "string" ? v : JSON.stringify(v);
            }
            const c = loadConfig(fakeSource(values).source, "sigstore");
            assert.equal(c.protectData, stack === "prod");
        });
    }
});
