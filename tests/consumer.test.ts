/**
 * The consumer example (examples/consumer) against the REAL outputs of the main program: the dev
 * stack is evaluated under mocks first, and its resolved outputs are what the consumer's
 * StackReference returns. So a change to the outputs contract that breaks consumers fails here.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { evaluate, MockCloud, repoRoot, resolve } from "./support/mocks";
import { SIGNING_CONFIG_MEDIA_TYPE, TRUSTED_ROOT_MEDIA_TYPE } from "../lib/trust-material";
import * as bundle from "../examples/consumer/trust-bundle";

const exampleDir = path.join(repoRoot, "examples", "consumer");
const stackReferenceType = "pulumi:pulumi:StackReference";
const referencedStack = "acme/sigstore/dev";

/** MockCloud whose StackReference reads return the given outputs (as the engine would from state). */
class ConsumerCloud extends MockCloud {
    readonly references: string[] = [];

    constructor(private readonly referencedOutputs: Record<string, any>) {
        super();
    }

    override async newResource(args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> {
        if (args.type !== stackReferenceType) return super.newResource(args);
        this.references.push(args.inputs.name);
        const state = { name: args.inputs.name, outputs: this.referencedOutputs, secretOutputNames: [] };
        this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, state });
        return { id: args.id ?? args.inputs.name, state };
    }
}

interface ConsumerRun {
    cloud: ConsumerCloud;
    outputs: Record<string, any>;
}

/** Runs examples/consumer/index.ts (an async program function) under mocks, as `pulumi up` would. */
async function runConsumer(referenced: Record<string, any> | ConsumerCloud, config: Record<string, string> = {}): Promise<ConsumerRun> {
    const cloud = referenced instanceof ConsumerCloud ? referenced : new ConsumerCloud(referenced);
    await pulumi.runtime.setMocks(cloud, "sigstore-consumer", "dev", false);
    pulumi.runtime.setAllConfig({ "sigstore-consumer:sigstoreStack": referencedStack, ...config });
    for (const id of Object.keys(require.cache)) {
        if (id.startsWith(exampleDir + path.sep)) delete require.cache[id];
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the example is loaded anew for every evaluation
    const program: () => Promise<Record<string, any>> = require(path.join(exampleDir, "index.ts"));
    assert.equal(typeof program, "function", "examples/consumer/index.ts must export its program function (export =)");
    const exported = await program();
    const outputs: Record<string, any> = {};
    for (const [k, v] of Object.entries(exported)) outputs[k] = await resolve(v);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- waitForRPCs is not in @pulumi/pulumi's published types
    await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
    return { cloud, outputs };
}

describe("examples/consumer: trust bundle from the sigstore stack's outputs", function () {
    let main: Record<string, any>;

    before(async function () {
        main = (await evaluate({ stack: "dev" })).outputs;
    });

    describe("with the real outputs of the dev stack", function () {
        let run: ConsumerRun;
        let data: Record<string, string>;

        before(async function () {
            run = await runConsumer(main);
            const configMap = run.cloud.one("kubernetes:core/v1:ConfigMap", "sigstore-trust");
            data = configMap.inputs.data;
        });

        it("reads the stack named by config through a StackReference", function () {
            assert.deepEqual(run.cloud.references, [referencedStack]);
        });

        it("creates ConfigMap sigstore-trust in the default namespace ci, through its own provider", function () {
            const configMap = run.cloud.one("kubernetes:core/v1:ConfigMap", "sigstore-trust");
            assert.equal(configMap.inputs.metadata.name, "sigstore-trust");
            assert.equal(configMap.inputs.metadata.namespace, "ci");
            assert.equal(run.cloud.ofType("pulumi:providers:kubernetes").length, 1);
            assert.deepEqual(run.outputs, { outputsVersion: 1, namespace: "ci", configMapName: "sigstore-trust", mountPath: "/etc/sigstore" });
        });

        it("holds a trusted root that parses, with the cosign mediaType and the stack's content", function () {
            const root = JSON.parse(data["trusted_root.json"]);
            assert.equal(root.mediaType, TRUSTED_ROOT_MEDIA_TYPE);
            assert.equal(bundle.TRUSTED_ROOT_MEDIA_TYPE, TRUSTED_ROOT_MEDIA_TYPE);
            const published = JSON.parse(main.trustedRoot);
            assert.deepEqual(Object.keys(root), Object.keys(published));
            assert.deepEqual(root, published);
            assert.equal(data["trusted_root.json"], main.trustedRoot, "the file must be byte-for-byte the published trusted root");
        });

        it("holds a signing config that parses, with the cosign mediaType", function () {
            const signing = JSON.parse(data["signing_config.json"]);
            assert.equal(signing.mediaType, SIGNING_CONFIG_MEDIA_TYPE);
            assert.equal(bundle.SIGNING_CONFIG_MEDIA_TYPE, SIGNING_CONFIG_MEDIA_TYPE);
            assert.deepEqual(signing, JSON.parse(main.signingConfig));
        });

        it("holds the PEM files exactly as published, and no private key", function () {
            assert.equal(data["fulcio_chain.pem"], main.fulcioCertChainPem);
            assert.equal(data["rekor.pub"], main.rekorPublicKeyPem);
            assert.equal(data["ctlog.pub"], main.ctlogPublicKeyPem);
            for (const [key, value] of Object.entries(data)) assert.doesNotMatch(value, /PRIVATE KEY/, key);
        });

        it("holds cosign v2 environment keys: URLs from the stack, SIGSTORE_* paths to files in the ConfigMap", function () {
            assert.equal(data.COSIGN_FULCIO_URL, main.urls.fulcio);
            assert.equal(data.COSIGN_REKOR_URL, main.urls.rekor);
            assert.equal(data.COSIGN_OIDC_ISSUER, main.urls.oidcIssuer);
            const expectedFiles: Record<string, string> = {
                SIGSTORE_ROOT_FILE: "fulcio_chain.pem",
                SIGSTORE_REKOR_PUBLIC_KEY: "rekor.pub",
                SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: "ctlog.pub",
            };
            for (const [env, file] of Object.entries(expectedFiles)) {
                assert.equal(data[env], `/etc/sigstore/${file}`);
                assert.ok(data[file], `${env} points at ${file}, which must be in the ConfigMap`);
                // The same file names the sigstore stack's own cosign v2 instructions use.
                assert.match(main.cosign.v2.environment, new RegExp(`export ${env}=${file.replace(".", "\\.")}`));
            }
            // No env names cosign does not read (there is no SIGSTORE_REKOR_URL / SIGSTORE_FULCIO_URL).
            assert.equal(data.SIGSTORE_REKOR_URL, undefined);
            assert.equal(data.SIGSTORE_FULCIO_URL, undefined);
        });

        it("has only valid ConfigMap keys", function () {
            for (const key of Object.keys(data)) assert.match(key, /^[-._a-zA-Z0-9]+$/);
        });
    });

    it("honours namespace and mountPath from config", async function () {
        const run = await runConsumer(main, { "sigstore-consumer:namespace": "release", "sigstore-consumer:mountPath": "/var/run/sigstore" });
        const configMap = run.cloud.one("kubernetes:core/v1:ConfigMap", "sigstore-trust");
        assert.equal(configMap.inputs.metadata.namespace, "release");
        assert.equal(configMap.inputs.data.SIGSTORE_ROOT_FILE, "/var/run/sigstore/fulcio_chain.pem");
    });

    it("fails clearly, before creating anything, when the stack publishes outputsVersion 2", async function () {
        const cloud = new ConsumerCloud({ ...main, outputsVersion: 2 });
        await assert.rejects(runConsumer(cloud), (e: Error) => {
            assert.match(e.message, /sigstore stack "acme\/sigstore\/dev" publishes outputsVersion 2/);
            assert.match(e.message, /only understands outputsVersion 1/);
            return true;
        });
        assert.deepEqual(cloud.ofType("kubernetes:core/v1:ConfigMap"), []);
        assert.deepEqual(cloud.ofType("pulumi:providers:kubernetes"), []);
    });

    it("fails clearly when the stack has no outputsVersion at all", async function () {
        const { outputsVersion: _dropped, ...withoutVersion } = main;
        void _dropped;
        await assert.rejects(runConsumer(withoutVersion), /Required output 'outputsVersion' does not exist on stack 'acme\/sigstore\/dev'/);
    });
});

describe("examples/consumer/trust-bundle buildTrustBundle", function () {
    let input: bundle.TrustBundleInput;

    before(async function () {
        const o = (await evaluate({ stack: "dev" })).outputs;
        input = {
            trustedRoot: o.trustedRoot,
            signingConfig: o.signingConfig,
            urls: o.urls,
            fulcioCertChainPem: o.fulcioCertChainPem,
            rekorPublicKeyPem: o.rekorPublicKeyPem,
            ctlogPublicKeyPem: o.ctlogPublicKeyPem,
        };
    });

    it("is deterministic, with sorted keys", function () {
        const a = bundle.buildTrustBundle(input);
        assert.deepEqual(bundle.buildTrustBundle(input), a);
        assert.deepEqual(Object.keys(a), [...Object.keys(a)].sort());
    });

    it("rejects a trusted root with the wrong mediaType, naming the field", function () {
        const wrong = JSON.stringify({ ...JSON.parse(input.trustedRoot), mediaType: "application/json" });
        assert.throws(() => bundle.buildTrustBundle({ ...input, trustedRoot: wrong }), /trustedRoot\.mediaType is "application\/json"/);
    });

    it("rejects text that is not JSON", function () {
        assert.throws(() => bundle.buildTrustBundle({ ...input, signingConfig: "{" }), /signingConfig is not valid JSON/);
    });

    it("refuses private key material", function () {
        const leaked = `${input.rekorPublicKeyPem}-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n`;
        assert.throws(() => bundle.buildTrustBundle({ ...input, rekorPublicKeyPem: leaked }), /rekorPublicKeyPem contains a private key/);
    });

    it("rejects a relative mount path", function () {
        assert.throws(() => bundle.buildTrustBundle(input, "etc/sigstore"), /mountPath must be an absolute directory path/);
    });

    it("checkOutputsVersion accepts 1 only", function () {
        bundle.checkOutputsVersion(1, "s");
        assert.throws(() => bundle.checkOutputsVersion("1", "s"), /publishes outputsVersion "1"/);
        assert.throws(() => bundle.checkOutputsVersion(undefined, "s"), /publishes outputsVersion undefined/);
    });
});
