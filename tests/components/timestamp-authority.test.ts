/**
 * The timestamp authority (components/timestamp-authority.ts) in the whole program under Pulumi's
 * mocks: the server's flags and files, the generated chain timestamp-server would accept, a no-op
 * `up` that changes nothing, rotation by tsaGeneration, the organisation's own chain and key
 * (checked at preview), NTP monitoring, and a stack without it.
 */
import "reflect-metadata";
import * as assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import * as YAML from "yaml";
import { createOnceIgnoreChanges } from "../../components/key-material";
import { timestampingChainProblem } from "../../lib/tsa-chain";
import { upstreamImages } from "../../versions";
import { Evaluation, RegisteredResource, rekorV1Overrides, StackState } from "../support/mocks";
import { kubeObjects, modelFor, workloadOf } from "../support/program";
import { evaluateExpectingFailure, evaluateRecorded, januaryDay, registration } from "../support/registrations";
import { generatedTsaChain, nonCriticalEkuChain, TsaChainFixture } from "../support/tsa-fixture";

const secretOf = (ev: Evaluation, name: string): RegisteredResource => ev.cloud.one("kubernetes:core/v1:Secret", name);
const recordOf = (ev: Evaluation, name: string): RegisteredResource => ev.cloud.one("kubernetes:core/v1:ConfigMap", name);
/** The DER SPKI of a private key's public half. */
const publicDer = (privateKeyPem: string) => createPublicKey(createPrivateKey(privateKeyPem)).export({ type: "spki", format: "der" });
const trustedRoot = (ev: Evaluation) => JSON.parse(ev.outputs.trustedRoot);
const signingConfig = (ev: Evaluation) => JSON.parse(ev.outputs.signingConfig);

describe("timestamp authority (timestampAuthority)", function () {
    this.timeout(120_000);
    let dev: Evaluation;
    let prod: Evaluation;
    before(async () => {
        dev = await evaluateRecorded({ stack: "dev" });
        prod = await evaluateRecorded({ stack: "prod" });
    });

    it("runs timestamp-server v2.1.3 with the file signer: the key from a Secret file, the chain from its record, the port set, NTP monitoring off", () => {
        const { resource, container } = workloadOf(dev, upstreamImages.timestampAuthority);
        assert.equal(container.image, "ghcr.io/sigstore/timestamp-server:v2.1.3");
        assert.deepEqual(container.args, [
            "serve",
            "--host=0.0.0.0",
            "--port=5555",
            "--timestamp-signer=file",
            "--file-signer-key-path=/var/run/tsa/key.pem",
            "--certificate-chain-path=/etc/tsa/chain/chain.pem",
            "--disable-ntp-monitoring",
            "--log-type=prod",
        ]);
        assert.equal(container.env, undefined, "nothing in env: the key is only a mounted file");
        const volumes = resource.inputs.spec.template.spec.volumes;
        assert.equal(volumes.find((v: any) => v.name === "signing-key").secret.secretName, secretOf(dev, "tsa-signer").state.metadata.name);
        assert.equal(volumes.find((v: any) => v.name === "chain").configMap.name, "timestamp-authority-chain");
        assert.deepEqual(
            container.ports.map((p: any) => [p.name, p.containerPort]),
            [
                ["http", 5555],
                ["metrics", 2112],
            ],
        );
        assert.equal(container.securityContext.readOnlyRootFilesystem, true);
        assert.equal(container.readinessProbe.httpGet.path, "/ping");
        for (const r of kubeObjects(dev).filter((o) => o.name.startsWith("tsa-"))) new (modelFor(r.type))(r.inputs).validate();
    });

    it("generates a chain timestamp-server accepts: an RSA root and a leaf with one critical timeStamping EKU, whose key is in the Secret", () => {
        const chain: string = dev.outputs.timestampAuthority.certChainPem;
        assert.equal(timestampingChainProblem(chain), undefined);
        const [leafPem, rootPem] = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
        const leaf = new x509.X509Certificate(leafPem);
        const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension)!;
        assert.equal(eku.critical, true);
        assert.deepEqual([...eku.usages], ["1.3.6.1.5.5.7.3.8"]);
        assert.equal(new X509Certificate(leafPem).ca, false);
        assert.equal(new X509Certificate(rootPem).publicKey.asymmetricKeyType, "rsa");
        const key = secretOf(dev, "tsa-signer").inputs.stringData["key.pem"];
        assert.deepEqual(publicDer(key), new X509Certificate(leafPem).publicKey.export({ type: "spki", format: "der" }));
        assert.equal(recordOf(dev, "tsa-chain").inputs.data["chain.pem"], chain);
        assert.deepEqual(registration(dev.cloud, "kubernetes:core/v1:ConfigMap", "tsa-chain").ignoreChanges, ["data"]);
    });

    it("a no-op up changes nothing: on the same state the chain is the same bytes and nothing is created", async () => {
        const state: StackState = new Map();
        const first = await evaluateRecorded({ stack: "dev", state, hooks: { now: januaryDay(1) } });
        const again = await evaluateRecorded({ stack: "dev", state, hooks: { now: januaryDay(9) } });
        assert.equal(again.outputs.timestampAuthority.certChainPem, first.outputs.timestampAuthority.certChainPem);
        assert.deepEqual(again.cloud.created, [], "a second evaluation re-creates nothing");
    });

    it("prod: two replicas with a PodDisruptionBudget, the chain, keys and record protected, the key Secret only retained", () => {
        assert.equal(workloadOf(prod, upstreamImages.timestampAuthority).resource.inputs.spec.replicas, 2);
        assert.equal(prod.cloud.ofType("kubernetes:policy/v1:PodDisruptionBudget").filter((p) => p.name.startsWith("tsa-")).length, 1);
        for (const [type, name] of [
            ["tls:index/privateKey:PrivateKey", "tsa-root-key"],
            ["tls:index/privateKey:PrivateKey", "tsa-signing-key"],
            ["tls:index/selfSignedCert:SelfSignedCert", "tsa-root-cert"],
            ["kubernetes:core/v1:ConfigMap", "tsa-chain"],
        ]) {
            const r = registration(prod.cloud, type, name);
            assert.ok(r.protect && r.retainOnDelete, `${name} is protected in prod`);
        }
        const signer = registration(prod.cloud, "kubernetes:core/v1:Secret", "tsa-signer");
        assert.ok(!signer.protect && signer.retainOnDelete, "a rotation replaces the key Secret: retained, not protected");
    });

    it("the trust material lists it: the trusted root's timestampAuthorities, the signing config's tsaUrls, the policy-controller TrustRoot", () => {
        const url = "https://tsa.sigstore.dev.corp.example/api/v1/timestamp";
        assert.equal(dev.outputs.timestampAuthority.url, url);
        assert.equal(trustedRoot(dev).timestampAuthorities[0].uri, url);
        assert.deepEqual(
            signingConfig(dev).tsaUrls.map((s: any) => s.url),
            [url],
        );
        const policyTsa = dev.outputs.verificationPolicy.trustRoot.spec.sigstoreKeys.timestampAuthorities;
        assert.deepEqual(policyTsa, [
            {
                subject: { organization: "Sigstore on-prem", commonName: "sigstore-onprem-tsa" },
                certChain: Buffer.from(dev.outputs.timestampAuthority.certChainPem).toString("base64"),
                uri: url,
            },
        ]);
    });

    it("timestampAuthority false: no TSA object, image, trusted-root entry, signing-config URL or TrustRoot entry", async () => {
        const off = await evaluateRecorded({ stack: "dev", overrides: { ...rekorV1Overrides, timestampAuthority: "false" } });
        assert.equal(off.cloud.resources.filter((r) => r.name.startsWith("tsa")).length, 0);
        assert.ok(!off.outputs.imageList.includes(upstreamImages.timestampAuthority));
        assert.equal(trustedRoot(off).timestampAuthorities, undefined);
        assert.equal(signingConfig(off).tsaUrls, undefined);
        assert.equal(off.outputs.verificationPolicy.trustRoot.spec.sigstoreKeys.timestampAuthorities, undefined);
        assert.deepEqual(off.outputs.timestampAuthority, { enabled: false });
    });

    it("rotation (tsaGeneration 1 → 2): a new chain and key, the first untouched and valid until the takeover recorded after the rollout", async () => {
        const state: StackState = new Map();
        const first = await evaluateRecorded({ stack: "prod", state, hooks: { now: januaryDay(1) } });
        const rotated = await evaluateRecorded({ stack: "prod", state, overrides: { tsaGeneration: "2" }, hooks: { now: januaryDay(20) } });
        const created = rotated.cloud.created.filter((k) => k.includes("::tsa"));
        assert.deepEqual(created.sort(), [
            "command:local:Command::tsa-took-over-g2",
            "kubernetes:apps/v1:Deployment::tsa-server",
            "kubernetes:core/v1:ConfigMap::tsa-chain-g2",
            "kubernetes:core/v1:Secret::tsa-signer",
            "tls:index/privateKey:PrivateKey::tsa-root-key-g2",
            "tls:index/privateKey:PrivateKey::tsa-signing-key-g2",
            "tls:index/selfSignedCert:SelfSignedCert::tsa-root-cert-g2",
        ]);
        const generations = rotated.outputs.timestampAuthority.generations;
        assert.equal(generations.length, 2);
        assert.equal(generations[0].chainPem, first.outputs.timestampAuthority.certChainPem, "the first chain is kept as it was");
        assert.equal(generations[0].validTo, "2026-01-20T12:00:00Z", "valid until the takeover");
        assert.equal(generations[1].validTo, undefined);
        assert.equal(rotated.outputs.timestampAuthority.certChainPem, generations[1].chainPem);
        const tsas = trustedRoot(rotated).timestampAuthorities;
        assert.equal(tsas.length, 2);
        assert.equal(tsas[0].validFor.end, "2026-01-20T12:00:00Z");
        assert.equal(signingConfig(rotated).tsaUrls.length, 1, "one URL: the authority is the same, its chain changed");
        assert.equal(rotated.outputs.verificationPolicy.trustRoot.spec.sigstoreKeys.timestampAuthorities.length, 2);
        const takeover = registration(rotated.cloud, "command:local:Command", "tsa-took-over-g2");
        assert.ok(
            takeover.dependencies.some((d) => d.endsWith("kubernetes:apps/v1:Deployment::tsa-server")),
            "recorded after the pods rolled",
        );
        assert.deepEqual([...takeover.ignoreChanges].sort(), [...createOnceIgnoreChanges].sort(), "never taken again: every Command input ignored");
        assert.ok(takeover.protect, "protected in prod");
        const key = secretOf(rotated, "tsa-signer").inputs.stringData["key.pem"];
        const leaf = new X509Certificate(generations[1].chainPem);
        assert.deepEqual(publicDer(key), leaf.publicKey.export({ type: "spki", format: "der" }));
    });

    describe("the organisation's chain (tsaCertChain + tsaSigningKey)", () => {
        let org: TsaChainFixture;
        before(async () => {
            org = await generatedTsaChain();
        });

        it("deploys exactly that chain and key, and generates nothing", async () => {
            const ev = await evaluateRecorded({ stack: "dev", overrides: { tsaCertChain: org.chainPem, tsaSigningKey: org.leafKeyPem } });
            assert.equal(ev.outputs.timestampAuthority.certChainPem, org.chainPem);
            assert.equal(secretOf(ev, "tsa-signer").inputs.stringData["key.pem"], org.leafKeyPem);
            assert.equal(ev.cloud.resources.filter((r) => r.type.startsWith("tls:") && r.name.startsWith("tsa")).length, 0);
            assert.ok(registration(ev.cloud, "kubernetes:core/v1:Secret", "tsa-signer").secretInputPaths.includes(".stringData"), "the key stays a secret");
        });

        it("a leaf whose timeStamping EKU is not critical is refused at preview, naming tsaCertChain", async () => {
            const bad = await nonCriticalEkuChain(org);
            await assert.rejects(
                evaluateRecorded({ stack: "dev", overrides: { tsaCertChain: bad, tsaSigningKey: org.leafKeyPem } }),
                /sigstore:tsaCertChain = .*extended key usage must be marked critical/,
            );
        });

        it("a chain without its root, a CA first, or the root first is refused naming tsaCertChain", async () => {
            const [leaf, root] = org.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
            for (const [chain, message] of [
                [leaf, /holds one certificate/],
                [root + leaf, /starts with a CA certificate/],
            ] as const) {
                await assert.rejects(evaluateRecorded({ stack: "dev", overrides: { tsaCertChain: chain, tsaSigningKey: org.leafKeyPem } }), message);
            }
        });

        it("a key that is not the leaf's is refused at preview, naming tsaSigningKey and never echoing it", async () => {
            const other = await generatedTsaChain();
            const { errors } = await evaluateExpectingFailure({ stack: "dev", overrides: { tsaCertChain: org.chainPem, tsaSigningKey: other.leafKeyPem } });
            const text = errors.map((e) => e.message).join("\n");
            assert.match(text, /sigstore:tsaSigningKey \[secret\]: is not the key of the chain's leaf certificate/);
            assert.ok(!text.includes(other.leafKeyPem.split("\n")[1]), "the key is not echoed");
        });

        it("tsaCertChain without tsaSigningKey is refused naming it", async () => {
            await assert.rejects(
                evaluateRecorded({ stack: "dev", overrides: { tsaCertChain: org.chainPem } }),
                /sigstore:tsaSigningKey = undefined: is required with tsaCertChain/,
            );
        });
    });

    it("NTP monitoring against the organisation's servers: a majority of them, egress on UDP 123 to tsaNtpEgressCidrs only", async () => {
        const ev = await evaluateRecorded({
            stack: "dev",
            overrides: { tsaNtpServers: "ntp1.corp.example, ntp2.corp.example,10.0.0.5", tsaNtpEgressCidrs: "10.0.0.0/28" },
        });
        const { container } = workloadOf(ev, upstreamImages.timestampAuthority);
        assert.ok(container.args.includes("--ntp-monitoring=/etc/tsa/ntp/ntp.yaml") && !container.args.includes("--disable-ntp-monitoring"));
        const ntp = YAML.parse(ev.cloud.one("kubernetes:core/v1:ConfigMap", "tsa-ntp").inputs.data["ntp.yaml"]);
        assert.deepEqual(ntp, {
            request_attempts: 3,
            request_timeout: 5,
            num_servers: 3,
            server_threshold: 2,
            max_time_delta: 6,
            period: 60,
            servers: ["ntp1.corp.example", "ntp2.corp.example", "10.0.0.5"],
        });
        const policy = ev.cloud.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "network-tsa-server").inputs.spec;
        assert.deepEqual(
            policy.egress.find((e: any) => e.ports.some((p: any) => p.port === 123)),
            { to: [{ ipBlock: { cidr: "10.0.0.0/28" } }], ports: [{ port: 123, protocol: "UDP" }] },
        );
        await assert.rejects(
            evaluateRecorded({ stack: "dev", overrides: { tsaNtpServers: "ntp1.corp.example" } }),
            /sigstore:tsaNtpEgressCidrs = undefined: is required with tsaNtpServers when networkPolicies is true/,
        );
        await assert.rejects(
            evaluateRecorded({ stack: "dev", overrides: { tsaNtpServers: "ntp1.corp.example:123", tsaNtpEgressCidrs: "10.0.0.0/28" } }),
            /sigstore:tsaNtpServers = .*without a port/,
        );
    });
});
