/**
 * The whole program (index.ts) under Pulumi's mocks, for the prod stack: the replicas and the
 * Ingresses Pulumi.prod.yaml asks for.
 */
import * as assert from "node:assert/strict";
import { upstreamImages } from "../../versions";
import { Evaluation } from "../support/mocks";
import { describeEachStack, workloadOf } from "../support/program";

describeEachStack(({ prod, evaluation }) => {
    let ev: Evaluation;
    before(async () => {
        ({ ev } = await evaluation());
    });

    if (prod) {
        it("prod: HA replicas (Fulcio ≥ 3, Rekor, Trillian server, CT log, timestamp authority ≥ 2) and Ingresses from Pulumi.prod.yaml", () => {
            assert.equal(workloadOf(ev, upstreamImages.trillianLogServer).resource.inputs.spec.replicas, 2);
            assert.equal(workloadOf(ev, upstreamImages.rekor).resource.inputs.spec.replicas, 2);
            assert.equal(workloadOf(ev, upstreamImages.fulcio).resource.inputs.spec.replicas, 3);
            assert.equal(workloadOf(ev, upstreamImages.ctlog).resource.inputs.spec.replicas, 2);
            assert.equal(workloadOf(ev, upstreamImages.timestampAuthority).resource.inputs.spec.replicas, 2);
            const ingresses = ev.cloud.ofType("kubernetes:networking.k8s.io/v1:Ingress");
            const hosts = ingresses.map((i) => i.inputs.spec.rules[0].host).sort();
            assert.deepEqual(hosts, [
                "ctlog.sigstore.corp.example",
                "fulcio.sigstore.corp.example",
                "rekor.sigstore.corp.example",
                "tsa.sigstore.corp.example",
                "tuf.sigstore.corp.example",
            ]);
            // TLS at the public edge from cert-manager (ingressClusterIssuer), one certificate Secret per host.
            for (const i of ingresses) {
                assert.equal(i.inputs.metadata.annotations["cert-manager.io/cluster-issuer"], "corp-ca");
                const backend = i.inputs.spec.rules[0].http.paths[0].backend.service.name;
                assert.deepEqual(i.inputs.spec.tls, [{ hosts: [i.inputs.spec.rules[0].host], secretName: `${backend}-tls` }]);
            }
        });
    }
});
