/**
 * The whole program (index.ts) under Pulumi's mocks, for the dev and prod stacks: protectData as each
 * stack file sets it, and protection (protect and retainOnDelete) in prod of everything whose loss
 * loses data or trust.
 */
import * as assert from "node:assert/strict";
import { ConfigSource, loadConfig } from "../../config";
import { stackConfig } from "../support/mocks";
import { describeEachStack } from "../support/program";
import { Registration } from "../support/registrations";

describeEachStack(({ stack, prod, evaluation }) => {
    let regs: Registration[];
    before(async () => {
        ({ regs } = await evaluation());
    });

    it(`protectData is ${prod} for this stack (Pulumi.${stack}.yaml)`, () => {
        const values = Object.fromEntries(Object.entries(stackConfig(stack).values).map(([k, v]) => [k.replace(/^sigstore:/, ""), v]));
        const source: ConfigSource = { get: (k) => values[k], getSecret: () => undefined, isStoredSecret: () => false };
        assert.equal(loadConfig(source).protectData, prod);
    });

    it(`${prod ? "protects and retains" : "does not protect"} everything whose loss loses data or trust`, () => {
        // Internal TLS server certificates and their keys are re-issued by the internal CA at will; the CA is kept.
        const internalServerCert = (r: Registration) => r.name.startsWith("internal-tls-") && !r.name.startsWith("internal-tls-ca-");
        const mustKeep = (r: Registration) =>
            !internalServerCert(r) &&
            (r.type === "tls:index/privateKey:PrivateKey" ||
                r.type === "tls:index/selfSignedCert:SelfSignedCert" ||
                r.type === "tls:index/locallySignedCert:LocallySignedCert" ||
                r.type === "command:local:Command" ||
                r.type === "kubernetes:core/v1:PersistentVolumeClaim" ||
                r.type === "kubernetes:core/v1:Namespace" ||
                (r.type === "kubernetes:core/v1:ConfigMap" && /-tree-/.test(r.name)) ||
                (r.type === "random:index/randomPassword:RandomPassword" && r.name.startsWith("database-")));
        const kept = regs.filter(mustKeep);
        assert.ok(kept.length >= 12, `found ${kept.length}`);
        for (const r of kept) {
            assert.equal(r.protect, prod, `${r.type} ${r.name} protect`);
            assert.equal(r.retainOnDelete, prod, `${r.type} ${r.name} retainOnDelete`);
        }
        if (!prod) for (const r of regs) assert.equal(r.protect, false, `${r.name} is protected in dev`);
    });
});
