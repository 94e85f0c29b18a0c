/**
 * End-to-end: the timestamp authority, run by the real timestamp-server v2.1.3 from the program's
 * own Deployment, Secret and chain record (e2e/local-cluster.ts; in a network namespace of its own,
 * since its metrics port is fixed at :2112 like Rekor's), signs for the real cosign v3.
 *
 * - The served chain is the deployed chain.
 * - Keyless `cosign sign-blob` through Fulcio, Rekor v1 and the TSA, with the exported trusted root
 *   and signing config: the bundle carries an RFC 3161 timestamp, and `cosign verify-blob
 *   --use-signed-timestamps` passes; without the TSA in the trusted root, or with the timestamp
 *   tampered with, it fails.
 * - The real server refuses to start on a leaf whose timeStamping EKU is not critical: the preview
 *   check (lib/tsa-chain.ts) says what the server says.
 * - tsaGeneration 1 → 2 on the running stack: timestamps made before and after both verify with the
 *   one trusted root exported after it, and the earlier one does not without the first chain.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { binaryPath } from "./binaries";
import { forBlob, shellResult, signBlob, Stack, startStack, timestampUrl } from "./harness";
import { PodNetwork } from "./pod-network";
import { generatedTsaChain, nonCriticalEkuChain } from "../tests/support/tsa-fixture";

/** The bundle's RFC 3161 timestamps (base64 DER TimeStampResponse tokens). */
const timestampsOf = (bundle: any): Array<{ signedTimestamp: string }> => bundle.verificationMaterial?.timestampVerificationData?.rfc3161Timestamps ?? [];

describe("end-to-end: signed timestamps from the program's timestamp authority", function () {
    let stack: Stack;

    before(async function () {
        stack = await startStack({ log: (line) => console.log(`    ${line}`), keepWork: Boolean(process.env.E2E_KEEP) });
    });

    after(async function () {
        await stack?.stop();
    });

    const verify = (name: string, trustedRoot = "trusted_root.json", extra = "") =>
        shellResult(
            stack.sh(
                `${forBlob(stack.outputs.cosign.v3.verify, name).replace("--trusted-root=trusted_root.json", `--trusted-root=${trustedRoot}`)} --use-signed-timestamps ${extra}`,
            ),
        );

    it("serves exactly the chain the program deployed (GET /api/v1/timestamp/certchain)", async function () {
        const served = await (await fetch(timestampUrl(stack.cluster) + "/certchain")).text();
        assert.equal(served, stack.outputs.timestampAuthority.certChainPem);
    });

    it("keyless sign-blob through Fulcio, Rekor v1 and the TSA: the bundle carries an RFC 3161 timestamp and verifies on it", async function () {
        const bundle = await signBlob(stack, "before-rotation");
        assert.equal(timestampsOf(bundle).length, 1, "one timestamp from the signing config's TSA");
        const result = await verify("before-rotation");
        assert.equal(result.status, 0, result.output);
        assert.match(result.output, /Verified OK/);
    });

    it("fails with a trusted root that lacks the TSA", async function () {
        const root = JSON.parse(stack.outputs.trustedRoot);
        delete root.timestampAuthorities;
        fs.writeFileSync(path.join(stack.work, "trusted_root_without_tsa.json"), JSON.stringify(root));
        const result = await verify("before-rotation", "trusted_root_without_tsa.json");
        assert.notEqual(result.status, 0, "verified without the TSA in the trusted root");
        assert.match(result.output, /threshold not met for verified signed timestamps: 0 < 1/);
    });

    it("fails for a tampered timestamp", async function () {
        const bundle = JSON.parse(fs.readFileSync(path.join(stack.work, "before-rotation.sigstore.json"), "utf8"));
        const der = Buffer.from(bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp, "base64");
        der[der.length - 10] ^= 0x01; // inside the TSA's signature
        bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0].signedTimestamp = der.toString("base64");
        fs.copyFileSync(path.join(stack.work, "before-rotation.txt"), path.join(stack.work, "tampered.txt"));
        fs.writeFileSync(path.join(stack.work, "tampered.sigstore.json"), JSON.stringify(bundle));
        const result = await verify("tampered");
        assert.notEqual(result.status, 0, "verified a tampered timestamp");
        assert.match(result.output, /threshold not met for verified signed timestamps: 0 < 1.*verification failure/);
    });

    it("the real server refuses to start on a leaf whose timeStamping EKU is not critical, as the preview check does", async function () {
        const fixture = await generatedTsaChain();
        const dir = fs.mkdtempSync(path.join(stack.work, "bad-chain-"));
        fs.writeFileSync(path.join(dir, "chain.pem"), await nonCriticalEkuChain(fixture));
        fs.writeFileSync(path.join(dir, "key.pem"), fixture.leafKeyPem);
        const network = PodNetwork.create();
        try {
            const [command, args] = network.wrap(binaryPath("timestamp-server"), [
                "serve",
                "--host=0.0.0.0",
                "--port=5555",
                "--timestamp-signer=file",
                `--file-signer-key-path=${dir}/key.pem`,
                `--certificate-chain-path=${dir}/chain.pem`,
                "--disable-ntp-monitoring",
            ]);
            const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
            let output = "";
            child.stdout.on("data", (d) => (output += d));
            child.stderr.on("data", (d) => (output += d));
            const status = await new Promise<number | null>((resolve) => {
                const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
                child.on("exit", (code) => {
                    clearTimeout(timer);
                    resolve(code);
                });
            });
            assert.notEqual(status, 0, `it started:\n${output}`);
            assert.match(output, /certificate must set EKU to critical/);
        } finally {
            network.remove();
        }
    });

    it("tsaGeneration 1 → 2 on the running stack: timestamps before and after both verify with the one trusted root exported after it", async function () {
        const firstChain = stack.outputs.timestampAuthority.certChainPem;
        const rotated = await stack.reconfigure({ tsaGeneration: "2" }, ["tsa-server"]);
        const tsa = rotated.outputs.timestampAuthority;
        assert.equal(tsa.generations.length, 2);
        assert.equal(tsa.generations[0].chainPem, firstChain, "the first chain is kept");
        assert.notEqual(tsa.certChainPem, firstChain, "a new chain signs");
        assert.ok(tsa.generations[0].validTo, "the first chain ends at the takeover");
        assert.equal(await (await fetch(timestampUrl(stack.cluster) + "/certchain")).text(), tsa.certChainPem, "the server now serves the new chain");

        const after = await signBlob(stack, "after-rotation");
        assert.equal(timestampsOf(after).length, 1);
        for (const name of ["before-rotation", "after-rotation"]) {
            const result = await verify(name);
            assert.equal(result.status, 0, `${name}: ${result.output}`);
        }
        // The earlier timestamp rests on the first chain's entry: without it, it no longer verifies.
        const root = JSON.parse(rotated.outputs.trustedRoot);
        assert.equal(root.timestampAuthorities.length, 2);
        root.timestampAuthorities = root.timestampAuthorities.slice(1);
        fs.writeFileSync(path.join(stack.work, "trusted_root_new_tsa_only.json"), JSON.stringify(root));
        assert.notEqual((await verify("before-rotation", "trusted_root_new_tsa_only.json")).status, 0, "verified without the first chain");
        assert.equal((await verify("after-rotation", "trusted_root_new_tsa_only.json")).status, 0);
    });
});
