/**
 * The whole program (index.ts) under Pulumi's mocks, with kubeconfig, kubeContext and imageRegistry
 * set: the provider and the createtree Commands reach the same cluster, and every image comes from
 * the mirror.
 */
import * as assert from "node:assert/strict";
import { upstreamImages } from "../../versions";
import { Evaluation } from "../support/mocks";
import { containers, providerType } from "../support/program";
import { evaluateRecorded } from "../support/registrations";

describe("program: kubeconfig, context and registry mirror", () => {
    const mirror = "registry.corp.example/mirror";
    let ev: Evaluation;
    before(async () => {
        // The dev stack (rekorVersion v2): every image but Dex's runs, Rekor v2's too.
        ev = await evaluateRecorded({ stack: "dev", overrides: { kubeconfig: "/etc/sigstore/kubeconfig", kubeContext: "onprem", imageRegistry: mirror } });
    });

    it("the provider and the createtree commands use the same kubeconfig and context", () => {
        const provider = ev.cloud.one(providerType, "cluster");
        assert.equal(provider.inputs.kubeconfig, "/etc/sigstore/kubeconfig");
        assert.equal(provider.inputs.context, "onprem");
        // Two createtree runs and the freeze of Rekor v1's tree (rekorVersion v2 here); the recorded times run no kubectl.
        const commands = ev.cloud.ofType("command:local:Command");
        assert.deepEqual(commands.map((c) => c.name).sort(), ["trillian-createtree-ctlog", "trillian-createtree-rekor", "trillian-freeze-rekor"]);
        for (const c of commands) {
            assert.equal(c.inputs.environment.KUBECONFIG, "/etc/sigstore/kubeconfig", c.name);
            assert.equal(c.inputs.environment.KUBE_CONTEXT, "onprem", c.name);
        }
    });

    it("every container image comes from the mirror, keeping the upstream path", () => {
        const all = containers(ev);
        assert.ok(all.length >= 7);
        const { dex: _dex, policyController: _policyController, ...running } = upstreamImages;
        const mirrored = new Set(Object.values(running).map((u) => `${mirror}/${u.slice(u.indexOf("/") + 1)}`));
        for (const { resource, container } of all) assert.ok(mirrored.has(container.image), `${resource.name}: ${container.image}`);
        assert.deepEqual(ev.outputs.imageList, [...mirrored].sort());
    });
});
