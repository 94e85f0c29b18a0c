/**
 * End-to-end: Fulcio's CA rotated by config (fulcioCaGeneration 1 → 2) on a running stack. A blob
 * signed before the rotation and one signed after both verify with the one trusted root the stack
 * exports afterwards; the two certificates come from different CAs, and the old CA's entry ends
 * where the new one starts.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { forBlob, shellResult, signBlob, Stack, startStack } from "./harness";

describe("end-to-end: Fulcio CA rotation by fulcioCaGeneration", function () {
    let stack: Stack;

    before(async function () {
        stack = await startStack({ log: (line) => console.log(`    ${line}`), database: "trillian_rotation" });
    });

    after(async function () {
        await stack?.stop();
    });

    /** Signs `<name>.txt`; returns the certificate Fulcio issued for it. */
    const sign = async (name: string) => {
        const bundle = await signBlob(stack, name);
        return new x509.X509Certificate(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, "base64"));
    };

    /** The stack's verify command, with the trusted root currently in the work directory. */
    const verify = (name: string, verifyCommand: string) => shellResult(stack.sh(forBlob(verifyCommand, name)));

    it("signs before and after a rotation; both verify with the one trusted root exported after it", async function () {
        const before = await sign("before-rotation");
        assert.equal(JSON.parse(stack.outputs.trustedRoot).certificateAuthorities.length, 1);
        // The trusted root's times have a resolution of a second: let the rotation start in a later one.
        await new Promise((r) => setTimeout(r, 1100));

        const rotated = await stack.reconfigure({ fulcioCaGeneration: "2" }, ["ctlog", "fulcio-server"]);
        const cas = JSON.parse(rotated.outputs.trustedRoot).certificateAuthorities;
        assert.equal(cas.length, 2);
        assert.equal(cas[0].validFor.end, cas[1].validFor.start, "the old CA must end where the new one starts");
        assert.equal(rotated.outputs.rekorTreeId, stack.outputs.rekorTreeId, "a CA rotation must not touch the logs");

        const after = await sign("after-rotation");
        assert.notEqual(after.issuer, undefined);
        assert.notEqual(Buffer.from(after.getExtension("2.5.29.35")!.value).toString("hex"), Buffer.from(before.getExtension("2.5.29.35")!.value).toString("hex"),
            "the certificate after the rotation comes from the same CA key as before");

        for (const name of ["before-rotation", "after-rotation"]) {
            const result = await verify(name, rotated.outputs.cosign.v3.verify);
            assert.equal(result.status, 0, `${name} does not verify with the rotated trusted root:\n${result.output}`);
        }
        // The control: without the old CA's entry, the earlier signature does not verify.
        const root = JSON.parse(rotated.outputs.trustedRoot);
        fs.writeFileSync(path.join(stack.work, "trusted_root.json"), JSON.stringify({ ...root, certificateAuthorities: [root.certificateAuthorities[1]] }));
        assert.notEqual((await verify("before-rotation", rotated.outputs.cosign.v3.verify)).status, 0, "verified without the old CA");
    });
});
