/**
 * End-to-end: trust distributed by the program's TUF repository, to real clients that are given
 * nothing but the mirror URL and the exported initial root.
 *
 * The stack runs with Ingresses (ingressClassName), and e2e/ingress.ts stands in for the ingress
 * controller, so every URL in the signed trust material is the stack's real public one
 * (https://fulcio.<publicDomain>, …): nothing is rewritten. The TUF server is the Debian nginx with
 * the program's server block and files (e2e/tuf-server.ts).
 *
 * - cosign v3.1.2: `initialize --mirror --root --root-checksum`, then keyless sign-blob and
 *   verify-blob with no --trusted-root and no --signing-config.
 * - rekorKeyGeneration and fulcioCaGeneration raised and applied: the same cosign, not
 *   re-initialised, signs with the new key and CA and verifies bundles from before and after.
 * - @sigstore/tuf fetches the same trusted root; sigstore-js signs and verifies with the served trust alone.
 * - Negatives: a tampered target and an expired timestamp are refused; the re-signing `up` makes
 *   the expired case work again; a client holding 1.root.json follows a root rotation.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { tufService } from "../components/tuf-repository";
import { shellResult, signWithServedTrust, Stack, startStack, user } from "./harness";

const day = 86_400_000;
const run = promisify(execFile);

describe("end-to-end: clients follow the program's TUF repository", function () {
    let stack: Stack;
    let mirror: string;
    let issuer: string;

    before(async function () {
        stack = await startStack({
            log: (line) => console.log(`    ${line}`),
            overrides: { ingressClassName: "nginx" },
            keepWork: Boolean(process.env.E2E_KEEP),
        });
        mirror = stack.outputs.tufMirrorUrl;
        issuer = stack.outputs.urls.oidcIssuer;
        fs.writeFileSync(path.join(stack.work, "tuf-root.json"), stack.outputs.tufRoot);
    });

    after(async function () {
        await stack?.stop();
    });

    /** cosign with only the TUF cache ($TUF_ROOT) to go by: no trust flags. */
    const cosign = (args: string, env: Record<string, string> = {}) => shellResult(stack.sh(`cosign ${args}`, env));
    const initialize = (tufRoot = "tuf") =>
        cosign(`initialize --mirror=${mirror} --root=tuf-root.json --root-checksum=${stack.outputs.tufRepository.rootChecksum}`, {
            TUF_ROOT: path.join(stack.work, tufRoot),
        });
    const signKeyless = (name: string) => signWithServedTrust(stack, name);
    const verifyKeyless = (name: string) =>
        cosign(`verify-blob --bundle=${name}.sigstore.json --certificate-identity=${user} --certificate-oidc-issuer=${issuer} ${name}.txt`);
    /** sigstore-js in its own process, trusting the ingress CA as Node does. */
    const sigstoreJs = async (args: string[]) => {
        try {
            const { stdout } = await run(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "sigstore-js-client.ts"), ...args], {
                cwd: path.join(__dirname, ".."),
                env: { ...process.env, NODE_EXTRA_CA_CERTS: stack.ingress!.caFile, ID_TOKEN: await stack.token() },
                timeout: 120_000,
            });
            return stdout;
        } catch (e: any) {
            throw new Error(`sigstore-js ${args[0]} failed: ${e.stderr ?? e}\n${stack.logs()}`);
        }
    };
    /** Every setting applied so far: each `up` applies the stack's whole config, not a change. */
    const applied: Record<string, string> = {};
    /** Applies settings like an `up` and restarts what they changed, the TUF server always. */
    const apply = (overrides: Record<string, string>, apps: string[], now?: () => Date) =>
        stack.reconfigure(Object.assign(applied, overrides), [...apps, tufService], now);

    it("cosign initialize from the mirror and the exported root, then keyless sign-blob and verify-blob with no trust flags", async () => {
        const init = await initialize();
        assert.equal(init.status, 0, init.output);
        const bundle = await signKeyless("first");
        assert.ok(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.length, "the served signing config names the TSA");
        const verified = await verifyKeyless("first");
        assert.equal(verified.status, 0, verified.output);
    });

    it("@sigstore/tuf fetches the same trusted root from the mirror", async () => {
        const fetched = JSON.parse(
            await sigstoreJs(["trusted-root", mirror, path.join(stack.work, "tuf-root.json"), path.join(stack.work, "sigstore-js-tuf")]),
        );
        // protobuf-specs writes its timestamps with milliseconds (".000Z"); the bytes signed are the exported file's.
        const sameTimes = (json: unknown) => JSON.parse(JSON.stringify(json).replace(/\.000Z"/g, 'Z"'));
        assert.deepEqual(sameTimes(fetched), JSON.parse(stack.outputs.trustedRoot));
    });

    it("sigstore-js signs and verifies with the served trust alone, and cosign verifies its bundle", async () => {
        const file = path.join(stack.work, "js.txt");
        fs.writeFileSync(file, `signed by sigstore-js ${Date.now()}\n`);
        const cache = path.join(stack.work, "sigstore-js-sign");
        const rootPath = path.join(stack.work, "tuf-root.json");
        await sigstoreJs(["sign", mirror, rootPath, cache, file, path.join(stack.work, "js.sigstore.json")]);
        assert.equal((await sigstoreJs(["verify", mirror, rootPath, cache, file, path.join(stack.work, "js.sigstore.json"), user, issuer])).trim(), "verified");
        const byCosign = await verifyKeyless("js");
        assert.equal(byCosign.status, 0, byCosign.output);
        // And the other way round: sigstore-js verifies cosign's bundle.
        assert.equal(
            (
                await sigstoreJs([
                    "verify",
                    mirror,
                    rootPath,
                    cache,
                    path.join(stack.work, "first.txt"),
                    path.join(stack.work, "first.sigstore.json"),
                    user,
                    issuer,
                ])
            ).trim(),
            "verified",
        );
    });

    it("after raising rekorKeyGeneration and fulcioCaGeneration, the same cosign signs with the new key and CA and verifies before and after", async () => {
        const before = JSON.parse(fs.readFileSync(path.join(stack.work, "first.sigstore.json"), "utf8"));
        const rotated = await apply({ rekorKeyGeneration: "2", fulcioCaGeneration: "2" }, ["rekor-server", "ctlog", "fulcio-server"]);
        const after = await signKeyless("after-rotation");
        assert.notEqual(
            after.verificationMaterial.tlogEntries[0].logId.keyId,
            before.verificationMaterial.tlogEntries[0].logId.keyId,
            "signed under the new Rekor key",
        );
        const leaf = (b: any) => new X509Certificate(Buffer.from(b.verificationMaterial.certificate.rawBytes, "base64"));
        const newCa = new X509Certificate(rotated.outputs.fulcioCertChainPem);
        assert.ok(leaf(after).verify(newCa.publicKey), "certified by the new CA");
        assert.ok(!leaf(before).verify(newCa.publicKey), "the earlier certificate was not");
        for (const name of ["first", "after-rotation"]) {
            const verified = await verifyKeyless(name);
            assert.equal(verified.status, 0, `${name}: ${verified.output}`);
        }
    });

    it("a tampered target is refused", async () => {
        const served = path.join(stack.cluster.workDir, tufService, "usr", "share", "tuf", "targets");
        const targets = fs.readdirSync(served).filter((f) => f.endsWith(".trusted_root.json"));
        assert.equal(targets.length, 1, `the pod serves one trusted root: ${targets.join(", ")}`);
        const target = targets[0];
        const original = fs.readFileSync(path.join(served, target));
        // One byte more: still valid JSON, but not the length and hash the signed targets metadata lists.
        fs.writeFileSync(path.join(served, target), Buffer.concat([original, Buffer.from(" ")]));
        try {
            const fresh = await initialize("tuf-tampered");
            assert.notEqual(fresh.status, 0, `${fresh.output}\n${fs.readFileSync(path.join(served, target), "utf8").slice(0, 300)}`);
            assert.match(fresh.output, /length|hash|mismatch/i);
        } finally {
            fs.writeFileSync(path.join(served, target), original);
        }
    });

    it("an expired timestamp is refused, and after the re-signing up the same client works again", async () => {
        // An `up` whose clock is 62 days back, with a 2-day timestamp: timestamp.json expired 60 days ago.
        const past = () => new Date(Date.now() - 62 * day);
        const expired = await apply({ tufTimestampExpiryDays: "2", tufRenewalDays: "1" }, [], past);
        delete applied.tufTimestampExpiryDays;
        delete applied.tufRenewalDays;
        assert.ok(Date.parse(expired.outputs.tufRepository.roles.timestamp.expires) < Date.now());
        const refused = await verifyKeyless("first");
        assert.notEqual(refused.status, 0, refused.output);
        assert.match(refused.output, /expired/i);
        // The re-signing `up`, today: the window catches the expired role.
        const renewed = await apply({}, []);
        assert.ok(renewed.outputs.tufRepository.roles.timestamp.version > expired.outputs.tufRepository.roles.timestamp.version);
        const verified = await verifyKeyless("first");
        assert.equal(verified.status, 0, verified.output);
    });

    it("a client holding 1.root.json follows a root rotation (tufRootGeneration 2)", async () => {
        const rotated = await apply({ tufRootGeneration: "2" }, []);
        assert.equal(rotated.outputs.tufRepository.roles.root.version, 2);
        assert.equal(rotated.outputs.tufRoot, stack.outputs.tufRoot, "the root to distribute is still 1.root.json");
        const verified = await verifyKeyless("after-rotation");
        assert.equal(verified.status, 0, verified.output);
        const cached = JSON.parse(fs.readFileSync(findRootJson(path.join(stack.work, "tuf")), "utf8"));
        assert.equal(cached.signed.version, 2, "cosign's cache walked to 2.root.json");
    });
});

/** The root.json in cosign's TUF cache for the mirror ($TUF_ROOT/<mirror as a path>/root.json). */
function findRootJson(dir: string): string {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) {
            try {
                return findRootJson(p);
            } catch {
                /* not here */
            }
        } else if (entry.name === "root.json") return p;
    }
    throw new Error(`no root.json under ${dir}`);
}
