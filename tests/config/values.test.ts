/**
 * loadConfig rejects every bad value, naming the key, the value and what is allowed; all problems at once.
 */
import * as assert from "node:assert/strict";
import { caModes, createtreeModes, databaseEngines, databaseModes, loadConfig, oidcIssuerTypes } from "../../config";
import { expectProblem, fakeSource, load, oneOf, problems, required } from "../support/config-source";

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

    it('replicas 0, "two", 99 and more signers than allowed', () => {
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
            sequencerInterval: "2s",
            batchSize: 1000,
            numSequencers: 10,
            mysqlMaxConns: 64,
            mysqlMaxIdleConns: -1,
        });
        expectProblem(
            { trillianMysqlMaxConns: "16", trillianMysqlMaxIdleConns: "32" },
            "trillianMysqlMaxIdleConns",
            32,
            /must not exceed trillianMysqlMaxConns \(16\)/,
        );
        assert.equal(
            load({ trillianMysqlMaxConns: "0", trillianMysqlMaxIdleConns: "32" }).trillian.tuning.mysqlMaxIdleConns,
            32,
            "an unbounded pool may keep any number idle",
        );
    });

    it("the signers' lease election: whole seconds, and a retry shorter than the lease", () => {
        const two = { trillianSignerReplicas: "2" };
        assert.deepEqual(load(two).trillian.election, { leaseDuration: "15s", retryPeriod: "2s" });
        assert.deepEqual(load({ ...two, trillianSignerLeaseDuration: "30s", trillianSignerLeaseRetryPeriod: "5s" }).trillian.election, {
            leaseDuration: "30s",
            retryPeriod: "5s",
        });
        const wholeSeconds = /must be whole seconds from 1s to 600s/;
        expectProblem({ ...two, trillianSignerLeaseDuration: "1500ms" }, "trillianSignerLeaseDuration", "1500ms", wholeSeconds);
        expectProblem({ ...two, trillianSignerLeaseDuration: "0s" }, "trillianSignerLeaseDuration", "0s", wholeSeconds);
        expectProblem({ ...two, trillianSignerLeaseRetryPeriod: "1h" }, "trillianSignerLeaseRetryPeriod", "1h", wholeSeconds);
        expectProblem(
            { ...two, trillianSignerLeaseDuration: "10s", trillianSignerLeaseRetryPeriod: "10s" },
            "trillianSignerLeaseRetryPeriod",
            "10s",
            /must be shorter than trillianSignerLeaseDuration \(10s\)/,
        );
        expectProblem({ trillianSignerLeaseDuration: "30s" }, "trillianSignerLeaseDuration", "30s", /only applies with trillianSignerReplicas above 1/);
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
        const message = expectProblem(
            { databaseMode: "external" },
            "databaseHost",
            undefined,
            /is required; set it with `pulumi config set databaseHost <value>`/,
        );
        assert.match(message, /^Invalid stack configuration \(3 problems\)/);
        expectProblem(
            { databaseMode: "external" },
            "databasePassword",
            undefined,
            /is required when databaseMode is "external"; set it with `pulumi config set --secret databasePassword \.\.\.`/,
        );
        expectProblem(
            { databaseMode: "external" },
            "databaseEgressCidrs",
            undefined,
            /is required when databaseMode is "external" and networkPolicies is true/,
        );
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
        databaseHost: "db.corp.example",
        databaseEngine: "postgresql",
        databasePort: "5432",
        databaseName: "sigstore",
        databaseUser: "sigstore",
        databaseEgressCidrs: "10.20.30.40/32",
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
            const values = {
                databaseMode: "external",
                databaseHost: "db",
                databaseEgressCidrs: "10.0.0.5/32",
                caMode: key === "caRootKey" ? "chained" : "pkcs11",
                caRootCert: "-----BEGIN CERTIFICATE-----",
                caHsmRootId: "1",
                caCertChain: "-----BEGIN CERTIFICATE-----",
            };
            const secrets = { databasePassword: "pw", caRootKey: "k", caPkcs11Config: "{}", [key]: secretValue };
            let message = "";
            try {
                loadConfig(fakeSource({ ...required, ...values }, secrets, [key]).source, "sigstore");
            } catch (e) {
                message = (e as Error).message;
            }
            assert.match(
                message,
                new RegExp(
                    `sigstore:${key} = "\\[plain text\\]": is a secret and must be stored encrypted: set it with \`pulumi config set --secret ${key} \\.\\.\\.\``,
                ),
            );
            assert.ok(!message.includes(secretValue), "the secret value must never appear in an error message");
        });
    }

    it("external-only secret databasePassword set in in-cluster mode is reported without echoing it", () => {
        const secretValue = "hunter2-do-not-print";
        const { message, lines } = problems({}, { databasePassword: secretValue });
        const line = lines.find((l) => l.startsWith("sigstore:databasePassword = "));
        assert.ok(
            line,
            `a databasePassword set while databaseMode is "in-cluster" is silently ignored (the in-cluster database uses a generated password); expected a problem naming sigstore:databasePassword, got: ${JSON.stringify(message)}`,
        );
        assert.match(line, /only applies when databaseMode is "external"/);
        assert.ok(!message.includes(secretValue), "the secret value must never appear in an error message");
    });

    it("createtreeMode pod without createtreeImage, and an unknown createtreeMode", () => {
        expectProblem(
            { createtreeMode: "pod" },
            "createtreeImage",
            undefined,
            /is required when createtreeMode is "pod": an image with Trillian's createtree at \/createtree/,
        );
        expectProblem({ createtreeMode: "exec" }, "createtreeMode", "exec", oneOf(createtreeModes));
        expectProblem(
            { createtreeMode: "pod", createtreeImage: "Registry/Createtree:1" },
            "createtreeImage",
            "Registry/Createtree:1",
            /must be an image reference/,
        );
        assert.deepEqual(problems({ createtreeMode: "pod", createtreeImage: "registry.corp.example/trillian/createtree:v1.7.3" }).lines, []);
    });

    it("oidcIssuerUrl with a trailing slash, not a URL, or another scheme", () => {
        expectProblem(
            { oidcIssuerUrl: "https://keycloak.corp.example/realms/sigstore/" },
            "oidcIssuerUrl",
            "https://keycloak.corp.example/realms/sigstore/",
            /must not end with '\/': it must equal the token's `iss` claim exactly/,
        );
        expectProblem(
            { oidcIssuerUrl: "keycloak.corp.example/realms/sigstore" },
            "oidcIssuerUrl",
            "keycloak.corp.example/realms/sigstore",
            /must be an absolute URL such as https:\/\/keycloak\.corp\.example\/realms\/sigstore/,
        );
        expectProblem(
            { oidcIssuerUrl: "ftp://keycloak.corp.example/realms/sigstore" },
            "oidcIssuerUrl",
            "ftp://keycloak.corp.example/realms/sigstore",
            /must use https:\/\//,
        );
        expectProblem(
            { oidcIssuerUrl: "https://keycloak.corp.example/realms/sigstore?x=1" },
            "oidcIssuerUrl",
            "https://keycloak.corp.example/realms/sigstore?x=1",
            /must not contain a query or fragment/,
        );
    });

    it("missing oidcIssuerUrl", () => {
        expectProblem(
            { oidcIssuerUrl: undefined },
            "oidcIssuerUrl",
            undefined,
            /is required when identityProvider is "external" \(the default\); set it with `pulumi config set oidcIssuerUrl <value>`/,
        );
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
        const message = expectProblem(
            { caMode: "chained" },
            "caRootCert",
            undefined,
            /is required when caMode is "chained": the enterprise root certificate \(PEM\)/,
        );
        expectProblem({ caMode: "chained" }, "caRootKey", undefined, /is required when caMode is "chained".*`pulumi config set --secret caRootKey \.\.\.`/);
        assert.match(message, /\(2 problems\)/);
        expectProblem(
            { caMode: "chained", caRootCert: "not a pem" },
            "caRootCert",
            "not a pem",
            /must be PEM text containing a "-----BEGIN CERTIFICATE-----" block/,
            { caRootKey: "k" },
        );
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
        assert.ok(oidcIssuerTypes.includes("email"), "Keycloak users need the email issuer type");
    });

    it("unknown caMode", () => {
        expectProblem({ caMode: "vault" }, "caMode", "vault", oneOf(caModes));
    });

    it('protectData "yes"', () => {
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
        for (const bad of [
            "cpu=100m,memory=128Mi",
            "memory=128Mi/1Gi",
            "cpu=2/1,memory=128Mi/1Gi",
            "cpu=100m/1,memory=2Gi/1Gi",
            "cpu=100m/1,memory=128MB/1Gi",
            "cpu=100m/1,memory=128Mi/1Gi,cpu=1/2",
            "cpu=-1/1,memory=128Mi/1Gi",
        ]) {
            expectProblem({ fulcioResources: bad }, "fulcioResources", bad, shape);
        }
        expectProblem({ databaseResources: "cpu=1/4" }, "databaseResources", "cpu=1/4", shape);
        assert.deepEqual(load({ rekorResources: "cpu=1500m/2.5,memory=1Gi/1Gi" }).resources.rekor, {
            cpu: { request: "1500m", limit: "2.5" },
            memory: { request: "1Gi", limit: "1Gi" },
        });
    });

    it("network settings: selectors, CIDRs and ports that are malformed", () => {
        const selectorShape = /must be a label selector written as "key=value\[,key=value…\]"/;
        expectProblem({ ingressNamespaceSelector: "name in (a,b)" }, "ingressNamespaceSelector", "name in (a,b)", selectorShape);
        expectProblem({ metricsPodSelector: "app=prom,app=other" }, "metricsPodSelector", "app=prom,app=other", selectorShape);
        expectProblem({ ingressPodSelector: "-bad=x" }, "ingressPodSelector", "-bad=x", selectorShape);
        const cidrShape = /must be one or more CIDRs separated by commas/;
        for (const bad of ["10.0.0.0", "10.0.0.0/33", "300.1.1.1/32", "keycloak.corp.example"])
            expectProblem({ oidcEgressCidrs: bad }, "oidcEgressCidrs", bad, cidrShape);
        expectProblem({ apiServerEgressPorts: "443,https" }, "apiServerEgressPorts", "443,https", /must be TCP ports from 1 to 65535/);
        expectProblem({ apiServerEgressPorts: "0" }, "apiServerEgressPorts", "0", /must be TCP ports from 1 to 65535/);
        expectProblem({ databaseEgressCidrs: "10.0.0.5/32" }, "databaseEgressCidrs", "10.0.0.5/32", /only applies when databaseMode is "external"/);
        expectProblem({ networkPolicies: "off" }, "networkPolicies", "off", /must be "true" or "false"/);
    });

    it("network settings are read into typed selectors, CIDRs and ports, and networkPolicies false drops them all", () => {
        const n = load({
            ingressNamespaceSelector: "team=edge,kubernetes.io/metadata.name=ingress",
            ingressPodSelector: "",
            oidcEgressCidrs: "10.1.0.0/16, 2001:db8::/32",
            apiServerEgressPorts: "6443",
        }).network!;
        assert.deepEqual(n.ingressNamespaceSelector, { team: "edge", "kubernetes.io/metadata.name": "ingress" });
        assert.deepEqual(n.ingressPodSelector, {});
        assert.deepEqual(n.oidcEgressCidrs, ["10.1.0.0/16", "2001:db8::/32"]);
        assert.deepEqual(n.apiServerEgressPorts, [6443]);
        assert.equal(load({ networkPolicies: "false" }).network, undefined, "no network settings without policies");
        expectProblem({ networkPolicies: "false", oidcEgressCidrs: "10.0.0.0/8" }, "oidcEgressCidrs", "10.0.0.0/8", /only applies with networkPolicies true/);
    });

    it("public-edge TLS: an issuer or a Secret, not both, and only with Ingresses", () => {
        expectProblem(
            { ingressClassName: "nginx", ingressClusterIssuer: "corp-ca", ingressTlsSecret: "wildcard" },
            "ingressTlsSecret",
            "wildcard",
            /cannot be combined with ingressClusterIssuer/,
        );
        expectProblem({ ingressTlsSecret: "wildcard" }, "ingressTlsSecret", "wildcard", /only applies with ingressClassName/);
        expectProblem({ ingressClassName: "nginx", ingressClusterIssuer: "Corp CA" }, "ingressClusterIssuer", "Corp CA", /must be a DNS name/);
        assert.deepEqual(load({ ingressClassName: "nginx", ingressTlsSecret: "sigstore-wildcard" }).ingressTls, { secretName: "sigstore-wildcard" });
        assert.equal(load({ ingressClassName: "nginx" }).ingressTls, undefined);
    });

    it("monitoring settings: labels and the CA expiry warning window, read only when monitoring is on", () => {
        expectProblem({ monitoring: "true", monitoringLabels: "release prometheus" }, "monitoringLabels", "release prometheus", /must be a label selector/);
        expectProblem({ monitoring: "true", caExpiryWarningDays: "0" }, "caExpiryWarningDays", "0", /must be a whole number from 1 to 3650/);
        assert.deepEqual(load({ monitoring: "true", monitoringLabels: "release=prometheus" }).monitoring, {
            labels: { release: "prometheus" },
            caExpiryWarningDays: 90,
        });
        assert.equal(load({}).monitoring, undefined);
        expectProblem({ monitoringLabels: "release=prometheus" }, "monitoringLabels", "release=prometheus", /only applies with monitoring true/);
    });

    it("reports several problems together in one error", () => {
        const { message, lines } = problems({ namespace: "Bad_NS", rekorReplicas: "two", protectData: "yes", oidcIssuerUrl: undefined, caMode: "vault" });
        assert.match(message, /^Invalid stack configuration \(5 problems\):\n/);
        const keys = lines.map((l) => l.split(" = ")[0]).sort();
        assert.deepEqual(keys, ["sigstore:caMode", "sigstore:namespace", "sigstore:oidcIssuerUrl", "sigstore:protectData", "sigstore:rekorReplicas"]);
    });

    it('says "1 problem" for exactly one', () => {
        assert.match(problems({ protectData: "maybe" }).message, /^Invalid stack configuration \(1 problem\):\n {2}- sigstore:protectData/);
    });

    it("uses the project name given in the key", () => {
        assert.throws(() => loadConfig(fakeSource({}).source, "other"), /other:oidcIssuerUrl = undefined/);
    });

    it("Rekor v2 without the timestamp authority, an unknown version and a checkpoint interval out of range", () => {
        expectProblem(
            { rekorVersion: "v2", timestampAuthority: "false" },
            "rekorVersion",
            "v2",
            /needs timestampAuthority true: cosign refuses keyless signing against Rekor v2/,
        );
        expectProblem({ rekorVersion: "v3" }, "rekorVersion", "v3", /must be one of "v1", "v2"/);
        expectProblem({ rekorVersion: "v2", rekorV2CheckpointInterval: "10" }, "rekorV2CheckpointInterval", "10", /duration in s or ms/);
        expectProblem({ rekorVersion: "v2", rekorV2CheckpointInterval: "50ms" }, "rekorV2CheckpointInterval", "50ms", /from 100ms to 60s/);
    });

    it("Rekor v2 needs the generation it took over from, after at least one v1 generation and not after the active one", () => {
        // Unset: the error says how to move a running stack (both settings to N+1).
        expectProblem(
            { rekorVersion: "v2" },
            "rekorV2FromGeneration",
            "unset",
            /is required with rekorVersion v2: .*set rekorKeyGeneration and rekorV2FromGeneration both to N\+1/,
        );
        expectProblem({ rekorVersion: "v2", rekorV2FromGeneration: "1" }, "rekorV2FromGeneration", 1, /must be from 2 to rekorKeyGeneration \(1\)/);
        expectProblem(
            { rekorVersion: "v2", rekorKeyGeneration: "2", rekorV2FromGeneration: "3" },
            "rekorV2FromGeneration",
            3,
            /must be from 2 to rekorKeyGeneration \(2\)/,
        );
        expectProblem(
            { rekorVersion: "v2", rekorKeyGeneration: "2", rekorV2FromGeneration: "2", rekorV1AfterMigration: "deleted" },
            "rekorV1AfterMigration",
            "deleted",
            /must be one of "read-only", "stopped"/,
        );
        const moved = load({ rekorVersion: "v2", rekorKeyGeneration: "3", rekorV2FromGeneration: "2" });
        assert.deepEqual([moved.rekorV2?.fromGeneration, moved.rekorV2?.v1AfterMigration, moved.rekor.keyGeneration], [2, "read-only", 3]);
    });

    it("a TUF root threshold above its key count, and a renewal window as long as an expiry", () => {
        expectProblem(
            { tufRootKeyCount: "2", tufRootThreshold: "3" },
            "tufRootThreshold",
            "3",
            /must not exceed tufRootKeyCount \(2\): no root could ever be trusted/,
        );
        expectProblem({ tufRenewalDays: "60" }, "tufRenewalDays", "60", /must be shorter than every role's expiry; the snapshot role expires after 60 days/);
        expectProblem({ tufTimestampExpiryDays: "7", tufRenewalDays: "7" }, "tufRenewalDays", "7", /the timestamp role expires after 7 days/);
        expectProblem({ tufRootKeyCount: "0" }, "tufRootKeyCount", "0", wholeNumber(1, 10));
    });
});
