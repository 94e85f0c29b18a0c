/**
 * Container images, for real (issue 23): images pushed with crane into a real OCI registry
 * (distribution v3, e2e/registry.ts), signed keyless with the stack's `cosign.images.sign` command
 * and verified with its `cosign.images.verify` command, then judged by policy-controller v0.13.1's own
 * `tester` under the exact ClusterImagePolicy and TrustRoot the stack exports (verificationPolicy).
 * Negatives: an unsigned image, a signature by an identity outside the organisation, and trust in
 * another root (a CA that is not our Fulcio's) all fail, in cosign and in policy-controller.
 * The stack runs on Rekor v1: policy-controller v0.13.1 verifies only legacy signatures, whose SET
 * Rekor v1 gives (lib/client-material.ts, imageSigning).
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { binaryPath } from "./binaries";
import { oidc, shellResult, Stack, startStack } from "./harness";
import { Registry, startRegistry } from "./registry";

describe("container images: signed in a real registry, verified by cosign and by policy-controller v0.13.1", function () {
    let stack: Stack;
    let registry: Registry;
    /** Digest references: signed by the organisation's signer, not signed, signed by an outsider. */
    let signed: string, unsigned: string, outsider: string;

    before(async function () {
        // With Ingresses (the ingress stand-in): the image signing command names the public URLs.
        stack = await startStack({
            log: (line) => console.log(`    ${line}`),
            overrides: { ingressClassName: "nginx" },
            keepWork: Boolean(process.env.E2E_KEEP),
        });
        registry = await startRegistry(binaryPath("registry"), binaryPath("crane"), stack.work);
        signed = await registry.pushRandomImage("team/app", "v1");
        unsigned = await registry.pushRandomImage("team/unsigned", "v1");
        outsider = await registry.pushRandomImage("team/outsider", "v1");
        await sign(signed, await stack.token());
        const { getIdToken } = await oidc();
        await sign(outsider, await getIdToken({ issuer: stack.outputs.verificationPolicy.issuer, clientId: "sigstore", user: "mallory@elsewhere.example" }));
        writeTrust();
    });

    after(async function () {
        await registry?.stop();
        await stack?.stop();
    });

    /** The stack's image signing command, as a developer runs it: IMAGE set to the digest reference. */
    async function sign(image: string, token: string): Promise<void> {
        const result = await shellResult(stack.sh(`${stack.outputs.cosign.images.sign} --identity-token="$ID_TOKEN"`, { IMAGE: image, ID_TOKEN: token }));
        assert.equal(result.status, 0, `cosign sign ${image}:\n${result.output}\n${stack.logs()}`);
    }

    function verify(image: string, trustedRoot = "trusted_root.json"): Promise<{ status: number; output: string }> {
        const command = stack.outputs.cosign.images.verify.replace("--trusted-root=trusted_root.json", `--trusted-root=${trustedRoot}`);
        return shellResult(stack.sh(command, { IMAGE: image }));
    }

    /**
     * What policy-controller is given: the exported ClusterImagePolicy and TrustRoot (cip.json,
     * trustroot.json); and trust in another Sigstore: the stack's trusted root and TrustRoot with every
     * Fulcio chain replaced by a CA of this run's own (everything else, the logs included, unchanged).
     */
    function writeTrust(): void {
        const policy = stack.outputs.verificationPolicy;
        fs.writeFileSync(path.join(stack.work, "cip.json"), JSON.stringify(policy.clusterImagePolicy));
        fs.writeFileSync(path.join(stack.work, "trustroot.json"), JSON.stringify(policy.trustRoot));
        const dir = path.join(stack.work, "other-ca");
        fs.mkdirSync(dir, { recursive: true });
        execFileSync("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
            "-subj", "/O=Elsewhere/CN=Elsewhere Fulcio", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            "-keyout", path.join(dir, "ca.key"), "-out", path.join(dir, "ca.pem"),
        ], { stdio: "pipe" }); // prettier-ignore
        const pem = fs.readFileSync(path.join(dir, "ca.pem"), "utf8");
        const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64").toString("base64");
        const root = JSON.parse(stack.outputs.trustedRoot);
        for (const ca of root.certificateAuthorities) {
            ca.certChain = { certificates: [{ rawBytes: der }] };
            ca.subject = { organization: "Elsewhere", commonName: "Elsewhere Fulcio" };
        }
        fs.writeFileSync(path.join(stack.work, "other_trusted_root.json"), JSON.stringify(root));
        const trustRoot = structuredClone(stack.outputs.verificationPolicy.trustRoot);
        for (const ca of trustRoot.spec.sigstoreKeys.certificateAuthorities) {
            ca.certChain = Buffer.from(pem).toString("base64");
            ca.subject = { organization: "Elsewhere", commonName: "Elsewhere Fulcio" };
        }
        fs.writeFileSync(path.join(stack.work, "other-trustroot.json"), JSON.stringify(trustRoot));
    }

    /** policy-controller's tester on `image`, under the exported ClusterImagePolicy and a TrustRoot file. */
    function tester(image: string, trustRootFile = "trustroot.json"): { status: number; stdout: string; stderr: string } {
        try {
            const stdout = execFileSync(binaryPath("tester"), ["-policy", "cip.json", "-trustroot", trustRootFile, "-image", image], {
                cwd: stack.work,
                stdio: "pipe",
                timeout: 120_000,
            }).toString();
            return { status: 0, stdout, stderr: "" };
        } catch (e: any) {
            if (e.status === null) throw e;
            return { status: e.status, stdout: String(e.stdout), stderr: String(e.stderr) };
        }
    }

    it("the cosign output's commands sign an image by digest and verify it with the verificationPolicy's identity and issuer", async function () {
        assert.match(signed, /^127\.0\.0\.1:\d+\/team\/app@sha256:[0-9a-f]{64}$/);
        assert.equal(stack.outputs.cosign.images.admission.policyControllerVerifies, true);
        const policy = stack.outputs.verificationPolicy;
        const command: string = stack.outputs.cosign.images.verify;
        assert.match(command, new RegExp(`--certificate-oidc-issuer='?${policy.issuer.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}'? `), "the policy's issuer");
        assert.ok(command.includes(`--certificate-identity-regexp='${policy.subjectRegExp}'`), "the policy's identity");
        const result = await verify(signed);
        assert.equal(result.status, 0, result.output);
        assert.match(result.output, /The code-signing certificate was verified using trusted certificate authority certificates/);
        assert.match(result.output, /alice@corp\.example/);
        // The legacy format policy-controller reads: a signature tag beside the image, with the Rekor v1 bundle.
        const digest = signed.split("@sha256:")[1];
        const tags = execFileSync(binaryPath("crane"), ["ls", signed.split("@")[0]])
            .toString()
            .split("\n");
        assert.ok(tags.includes(`sha256-${digest}.sig`), `no .sig tag: ${tags.join(", ")}`);
    });

    it("cosign refuses an unsigned image, an outsider's signature, and our signature under another trust root", async function () {
        const none = await verify(unsigned);
        assert.notEqual(none.status, 0, "an unsigned image verified");
        assert.match(none.output, /no signatures found/i);
        const wrongIdentity = await verify(outsider);
        assert.notEqual(wrongIdentity.status, 0, "a signature by mallory@elsewhere.example verified");
        assert.match(wrongIdentity.output, /none of the expected identities matched|expected identity not found/i);
        const otherRoot = await verify(signed, "other_trusted_root.json");
        assert.notEqual(otherRoot.status, 0, "our signature verified under another root");
        assert.match(otherRoot.output, /certificate/i);
    });

    it("policy-controller's tester admits the signed image under the exported ClusterImagePolicy and TrustRoot", function () {
        const result = tester(signed);
        assert.equal(result.status, 0, `tester rejected the signed image:\n${result.stdout}\n${result.stderr}`);
    });

    it("policy-controller's tester rejects the unsigned image, the outsider's, and ours under another TrustRoot, saying why", function () {
        const errorsOf = (r: { stdout: string }) => JSON.parse(r.stdout).errors as string[];
        const none = tester(unsigned);
        assert.equal(none.status, 1, none.stdout + none.stderr);
        assert.match(errorsOf(none).join("\n"), /no signatures found|no matching signatures/i);
        const wrongIdentity = tester(outsider);
        assert.equal(wrongIdentity.status, 1, wrongIdentity.stdout + wrongIdentity.stderr);
        assert.match(errorsOf(wrongIdentity).join("\n"), /none of the expected identities matched|no matching signatures/i);
        const otherRoot = tester(signed, "other-trustroot.json");
        assert.equal(otherRoot.status, 1, otherRoot.stdout + otherRoot.stderr);
        assert.match(errorsOf(otherRoot).join("\n"), /certificate|no matching signatures/i);
        for (const r of [none, wrongIdentity, otherRoot]) assert.match(errorsOf(r).join("\n"), /organisation-signers/, "the message names our authority");
    });
});
