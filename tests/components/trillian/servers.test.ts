/**
 * Trillian's log server and signer (components/trillian.ts) in the whole program under Pulumi's mocks,
 * for the dev and prod stacks: the tuning flags, and the sequencer: one signer forced master in dev,
 * two electing one through Kubernetes leases in prod.
 */
import * as assert from "node:assert/strict";
import { upstreamImages } from "../../../versions";
import { Evaluation } from "../../support/mocks";
import { describeEachStack, workloadOf } from "../../support/program";

describeEachStack(({ prod, evaluation }) => {
    let ev: Evaluation;
    before(async () => {
        ({ ev } = await evaluation());
    });

    it("passes the Trillian tuning explicitly: sequencing to the signer, the MySQL pool to both servers", () => {
        const argsOf = (image: string) => workloadOf(ev, image).container.args as string[];
        // Bounded pools that keep their connections: no handshake per entry under internal TLS, no overflow of max_connections.
        const pool = ["--mysql_max_conns=64", "--mysql_max_idle_conns=64"];
        for (const a of [...pool, "--sequencer_interval=100ms", "--batch_size=1000", "--num_sequencers=10"]) {
            assert.ok(argsOf(upstreamImages.trillianLogSigner).includes(a), `signer lacks ${a}`);
        }
        for (const a of pool) assert.ok(argsOf(upstreamImages.trillianLogServer).includes(a), `log server lacks ${a}`);
        assert.ok(!argsOf(upstreamImages.trillianLogServer).some((a) => a.startsWith("--sequencer_interval")), "the log server does not sequence");
    });

    if (prod) {
        it("prod: two signers elect one sequencer through Kubernetes leases", () => {
            const { resource, container } = workloadOf(ev, upstreamImages.trillianLogSigner);
            assert.equal(resource.inputs.spec.replicas, 2);
            assert.ok(container.args.includes("--election_system=k8s"));
            assert.ok(container.args.includes("--lock_namespace=sigstore"));
            assert.ok(container.args.includes("--lock_holder_identity=$(POD_NAME)"));
            assert.ok(!container.args.some((a: string) => a.startsWith("--force_master")), "no force_master with several signers");
            // A dead leader's trees wait for its Lease to lapse: 15 s, not Trillian's 120 s (README, Failure behaviour).
            assert.ok(container.args.includes("--master_hold_jitter=15s"), "the Lease's duration");
            assert.ok(container.args.includes("--master_hold_interval=2s"), "a follower's retry period");
            assert.deepEqual(
                container.env.find((e: any) => e.name === "POD_NAME"),
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            );

            const pod = resource.inputs.spec.template.spec;
            const accounts = ev.cloud.ofType("kubernetes:core/v1:ServiceAccount");
            assert.equal(accounts.length, 1);
            assert.equal(pod.serviceAccountName, accounts[0].state.metadata.name);
            assert.equal(pod.automountServiceAccountToken, true, "the election client needs the token");

            const roles = ev.cloud.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role");
            assert.equal(roles.length, 1);
            const leaseRule = roles[0].inputs.rules.find((rule: any) => rule.apiGroups.includes("coordination.k8s.io") && rule.resources.includes("leases"));
            assert.ok(leaseRule, "a Role rule on coordination.k8s.io leases");
            for (const verb of ["get", "create", "update"]) assert.ok(leaseRule.verbs.includes(verb), `leases ${verb}`);
            const bindings = ev.cloud.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
            assert.equal(bindings.length, 1);
            assert.deepEqual(bindings[0].inputs.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: roles[0].state.metadata.name });
            assert.deepEqual(bindings[0].inputs.subjects, [{ kind: "ServiceAccount", name: accounts[0].state.metadata.name, namespace: "sigstore" }]);
        });
    } else {
        it("dev: one signer with --force_master=true and a Recreate strategy", () => {
            const { resource, container } = workloadOf(ev, upstreamImages.trillianLogSigner);
            assert.equal(resource.inputs.spec.replicas, 1);
            assert.ok(container.args.includes("--force_master=true"));
            assert.ok(!container.args.some((a: string) => a.startsWith("--election_system") || a.startsWith("--master_hold")));
            assert.deepEqual(resource.inputs.spec.strategy, { type: "Recreate" }, "a rolling update would briefly run two masters");
            assert.equal(ev.cloud.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role").length, 0);
            assert.equal(ev.cloud.ofType("kubernetes:networking.k8s.io/v1:Ingress").length, 0, "no ingressClassName: no Ingress");
        });
    }
});
