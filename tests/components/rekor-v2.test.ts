/**
 * Rekor v2 (components/rekor-v2.ts, rekorVersion v2) in the whole program under Pulumi's mocks: the
 * StatefulSet of the rekor-tiles server and its read path, what is pinned and protected, the
 * Ingress that splits writes from reads, the trust material that moves writes to v2 while v1's
 * frozen tree stays trusted, what Rekor v1 does afterwards, a key rotation to a new log, its network
 * edges and scrape target, and a stack without it.
 */
import "reflect-metadata";
import * as assert from "node:assert/strict";
import { rekorV2LogId, rekorV2ReadPathConfig } from "../../lib/rekor-v2";
import { upstreamImages } from "../../versions";
import { Evaluation, rekorV1Overrides } from "../support/mocks";
import { urnOf } from "../support/program";
import { evaluateRecorded, evaluateRotation, registration } from "../support/registrations";
import { checkArgs } from "../support/upstream-flags";

/** The dev stack is on Rekor v2 (from key generation 2); prod moves the same way here. */
const v2 = { ingressClassName: "nginx" };
const prodOnV2 = { rekorVersion: "v2", rekorKeyGeneration: "2", rekorV2FromGeneration: "2" };
const statefulSet = (ev: Evaluation, name = "rekor-v2-server") => ev.cloud.one("kubernetes:apps/v1:StatefulSet", name).inputs;

describe("Rekor v2 (rekorVersion v2)", function () {
    this.timeout(120_000);
    let dev: Evaluation;
    let prod: Evaluation;
    before(async () => {
        dev = await evaluateRecorded({ stack: "dev", overrides: v2 });
        prod = await evaluateRecorded({ stack: "prod", overrides: prodOnV2 });
    });

    it("runs rekor-tiles v2.3.0 with its origin pinned to its public host, one replica, the key from a Secret, on a volume the read path serves", () => {
        const set = statefulSet(dev);
        assert.equal(set.spec.replicas, 1);
        const [server, readPath] = set.spec.template.spec.containers;
        assert.equal(server.image, upstreamImages.rekorV2);
        assert.ok(server.args.includes("--hostname=rekor-v2.sigstore.dev.corp.example"));
        assert.ok(server.args.includes("--checkpoint-interval=100ms"), "the measured default");
        assert.ok(server.args.includes("--batch-max-size=256") && server.args.includes("--batch-max-age=250ms"), "batching is set, not left implicit");
        assert.ok(server.args.includes("--persistent-antispam"));
        assert.ok(server.args.includes("--http-address=0.0.0.0"));
        assert.equal(server.env, undefined, "nothing in env: the key is a mounted file");
        const volumes = set.spec.template.spec.volumes;
        const claim = volumes.find((v: any) => v.name === "data").persistentVolumeClaim.claimName;
        assert.equal(claim, dev.cloud.one("kubernetes:core/v1:PersistentVolumeClaim", "rekor-v2-data").state.metadata.name);
        assert.ok(readPath.volumeMounts.find((m: any) => m.name === "data").readOnly, "the read path mounts the log read-only");
        assert.equal(
            dev.cloud.one("kubernetes:core/v1:ConfigMap", "rekor-v2-read-path").inputs.data["default.conf"],
            rekorV2ReadPathConfig("/var/lib/rekor-v2"),
        );
        for (const c of [server, readPath]) assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(checkArgs("posix serve", server.args), [], "every flag is one the real server accepts, with a value of its type");
    });

    it("one Ingress at the origin: /api/v2 to the server, the rest (checkpoint, tiles) to the read path", () => {
        const ingress = dev.cloud.one("kubernetes:networking.k8s.io/v1:Ingress", "rekor-v2-ingress").inputs;
        const rule = ingress.spec.rules[0];
        assert.equal(rule.host, "rekor-v2.sigstore.dev.corp.example");
        assert.deepEqual(
            rule.http.paths.map((p: any) => [p.path, p.backend.service.port.number]),
            [
                ["/api/v2", 3000],
                ["/", 8080],
            ],
        );
    });

    it("the signing config writes only to v2; the trusted root keeps Rekor v1's key and adds v2's under its origin's log ID", () => {
        const out = dev.outputs.rekorV2Log;
        const config = JSON.parse(dev.outputs.signingConfig);
        assert.deepEqual(
            config.rekorTlogUrls.map((u: any) => [u.url, u.majorApiVersion]),
            [[out.url, 2]],
        );
        const tlogs = JSON.parse(dev.outputs.trustedRoot).tlogs;
        assert.deepEqual(
            tlogs.map((t: any) => t.baseUrl),
            [dev.outputs.urls.rekor, out.url],
        );
        assert.equal(tlogs[1].logId.keyId, rekorV2LogId(out.publicKeyPem, out.origin));
        assert.equal(out.checkpointUrl, `${out.url}/checkpoint`);
        assert.ok(dev.outputs.imageList.includes(upstreamImages.rekorV2));
    });

    it("prod: the key and the tile volume are protected; the signer Secret is only retained", () => {
        for (const [type, name] of [
            ["tls:index/privateKey:PrivateKey", "rekor-v2-signing-key"],
            ["kubernetes:core/v1:PersistentVolumeClaim", "rekor-v2-data"],
        ]) {
            const r = registration(prod.cloud, type, name);
            assert.ok(r.protect && r.retainOnDelete, `${name} is protected in prod`);
        }
        const signer = registration(prod.cloud, "kubernetes:core/v1:Secret", "rekor-v2-signer");
        assert.ok(!signer.protect && signer.retainOnDelete);
    });

    it("prod: reachable from the ingress controller on its write and read ports, Prometheus on metrics; scraped", () => {
        const policy = prod.cloud
            .ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
            .find((p) => p.inputs.spec.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "rekor-v2")!;
        const ports = policy.inputs.spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.port)).sort();
        assert.deepEqual(ports, [2112, 3000, 8080]);
        assert.ok(
            prod.cloud
                .ofType("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
                .some((m) => m.inputs.spec.selector.matchLabels["app.kubernetes.io/name"] === "rekor-v2"),
        );
    });

    it("Rekor v1's tree is frozen once the first v2 log is ready, and its key's window ends at the freeze", () => {
        const freeze = registration(dev.cloud, "command:local:Command", "trillian-freeze-rekor");
        assert.ok(freeze.dependencies.includes(urnOf(dev, "kubernetes:apps/v1:StatefulSet", "rekor-v2-server")), "frozen after v2 can take the writes");
        const [v1] = dev.outputs.rekorShards;
        const tlogs = JSON.parse(dev.outputs.trustedRoot).tlogs;
        assert.equal(tlogs[0].baseUrl, dev.outputs.urls.rekor);
        assert.equal(tlogs[0].publicKey.validFor.end, v1.frozenAt);
        assert.equal(tlogs[1].publicKey.validFor.end, undefined);
        // Rekor v1 still serves its frozen log (rekorV1AfterMigration read-only, the default).
        const rekor = dev.cloud.one("kubernetes:apps/v1:Deployment", "rekor-server").inputs;
        assert.equal(rekor.spec.replicas, 1);
        // One v1 tree (generation 1): generation 2 is the v2 log, not a tree.
        assert.equal(dev.cloud.ofType("command:local:Command").filter((c) => c.name.startsWith("trillian-createtree-rekor")).length, 1);
    });

    it("rekorV1AfterMigration stopped: Rekor v1 and its Redis run no pod; their volume, tree and keys stay", async () => {
        const stopped = await evaluateRecorded({ stack: "prod", overrides: { ...prodOnV2, rekorV1AfterMigration: "stopped" } });
        assert.equal(stopped.cloud.one("kubernetes:apps/v1:Deployment", "rekor-server").inputs.spec.replicas, 0);
        assert.equal(stopped.cloud.one("kubernetes:apps/v1:Deployment", "rekor-redis").inputs.spec.replicas, 0);
        for (const [type, name] of [
            ["kubernetes:core/v1:PersistentVolumeClaim", "rekor-redis-data"],
            ["kubernetes:core/v1:ConfigMap", "trillian-tree-rekor"],
            ["tls:index/privateKey:PrivateKey", "rekor-signing-key"],
        ]) {
            const r = registration(stopped.cloud, type, name);
            assert.ok(r.protect && r.retainOnDelete, `${name} is kept and protected in prod`);
        }
        assert.equal(JSON.parse(stopped.outputs.trustedRoot).tlogs.length, 2, "its entries keep verifying");
    });

    describe("key rotation (rekorKeyGeneration 2 → 3): a new log takes the writes, the old one goes read-only", () => {
        let first: Evaluation;
        let rotated: Evaluation;
        before(async () => {
            ({ first, rotated } = await evaluateRotation({ rekorKeyGeneration: "3" }, prodOnV2));
        });

        it("the new log has its own origin, key, volume and Service; the signing config names only it", () => {
            const out = rotated.outputs.rekorV2Log;
            assert.equal(out.origin, "rekor-v2-g3.sigstore.corp.example");
            const server = statefulSet(rotated, "rekor-v2-server-g3").spec.template.spec.containers[0];
            assert.ok(server.args.includes("--hostname=rekor-v2-g3.sigstore.corp.example"));
            assert.notEqual(out.publicKeyPem, first.outputs.rekorV2Log.publicKeyPem);
            assert.equal(rotated.cloud.one("kubernetes:core/v1:Service", "rekor-v2-service-g3").inputs.metadata.name, "rekor-v2-g3");
            assert.ok(registration(rotated.cloud, "kubernetes:core/v1:PersistentVolumeClaim", "rekor-v2-data-g3").protect);
            assert.deepEqual(
                JSON.parse(rotated.outputs.signingConfig).rekorTlogUrls.map((u: any) => u.url),
                ["https://rekor-v2-g3.sigstore.corp.example"],
            );
        });

        it("the old log keeps its key, volume and read path, runs no server and holds no key in the cluster", () => {
            assert.equal(rotated.outputs.rekorV2Log.logs[0].publicKeyPem, first.outputs.rekorV2Log.publicKeyPem, "never regenerated");
            const old = statefulSet(rotated);
            assert.deepEqual(
                old.spec.template.spec.containers.map((c: any) => c.name),
                ["read-path"],
            );
            assert.ok(!old.spec.template.spec.volumes.some((v: any) => v.secret), "no signer mounted");
            assert.equal(rotated.cloud.ofType("kubernetes:core/v1:Secret").filter((s) => s.name === "rekor-v2-signer").length, 0);
            for (const [type, name] of [
                ["tls:index/privateKey:PrivateKey", "rekor-v2-signing-key"],
                ["kubernetes:core/v1:PersistentVolumeClaim", "rekor-v2-data"],
            ])
                assert.ok(registration(rotated.cloud, type, name).protect, `${name} stays protected`);
            const ingress = rotated.cloud.one("kubernetes:networking.k8s.io/v1:Ingress", "rekor-v2-ingress").inputs;
            assert.deepEqual(
                ingress.spec.rules[0].http.paths.map((p: any) => p.path),
                ["/"],
                "reads only",
            );
        });

        it("the old log's server stops only after the new one is ready, and its retirement time closes its window", () => {
            const old = registration(rotated.cloud, "kubernetes:apps/v1:StatefulSet", "rekor-v2-server");
            assert.ok(old.dependencies.includes(urnOf(rotated, "kubernetes:apps/v1:StatefulSet", "rekor-v2-server-g3")));
            const stamp = registration(rotated.cloud, "command:local:Command", "rekor-v2-retired");
            assert.ok(stamp.dependencies.includes(old.urn));
            assert.ok(stamp.protect, "the recorded time is protected in prod");
            const [retired, active] = rotated.outputs.rekorV2Log.logs;
            assert.match(retired.retiredAt, /^2026-01-20T/);
            const tlogs = JSON.parse(rotated.outputs.trustedRoot).tlogs;
            assert.deepEqual(
                tlogs.map((t: any) => [t.baseUrl, t.publicKey.validFor.start, t.publicKey.validFor.end]),
                [
                    [rotated.outputs.urls.rekor, tlogs[0].publicKey.validFor.start, rotated.outputs.rekorShards[0].frozenAt],
                    [`https://${retired.origin}`, tlogs[1].publicKey.validFor.start, retired.retiredAt],
                    [`https://${active.origin}`, retired.retiredAt, undefined],
                ],
            );
            assert.equal(tlogs[2].logId.keyId, rekorV2LogId(active.publicKeyPem, active.origin));
        });

        it("the alerts watch the active log: its errors, checkpoint lag and its own tile volume", () => {
            const rules = rotated.cloud.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-alerts").inputs.spec.groups[0].rules;
            const v2 = rules.filter((r: any) => r.alert.startsWith("RekorV2"));
            assert.deepEqual(
                v2.map((r: any) => r.alert),
                ["RekorV2ServerErrors", "RekorV2InclusionProofFailures", "RekorV2PanicsRecovered", "RekorV2CheckpointBehind", "RekorV2VolumeFilling"],
            );
            const claim = rotated.cloud.one("kubernetes:core/v1:PersistentVolumeClaim", "rekor-v2-data-g3").state.metadata.name;
            assert.ok(v2.find((r: any) => r.alert === "RekorV2VolumeFilling").expr.includes(`persistentvolumeclaim="${claim}"`));
            const first = rules.filter((r: any) => r.alert.startsWith("RekorV2")).length;
            assert.equal(first, 5, "one set, for the active log only");
        });

        it("every log's read path is reachable from the ingress controller; writes and metrics only the active one's", () => {
            const ports = (app: string) =>
                rotated.cloud
                    .ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                    .filter((p) => p.inputs.spec.podSelector?.matchLabels?.["app.kubernetes.io/name"] === app)
                    .flatMap((p) => p.inputs.spec.ingress.flatMap((r: any) => r.ports.map((x: any) => x.port)))
                    .sort();
            assert.deepEqual(ports("rekor-v2"), [8080]);
            assert.deepEqual(ports("rekor-v2-g3"), [2112, 3000, 8080]);
        });
    });

    it("rekorVersion v1 (the default): no Rekor v2, writes stay on v1", async () => {
        const v1 = await evaluateRecorded({ stack: "dev", overrides: rekorV1Overrides });
        assert.equal(v1.cloud.resources.filter((r) => r.name.startsWith("rekor-v2")).length, 0);
        assert.deepEqual(v1.outputs.rekorV2Log, { enabled: false });
        assert.equal(JSON.parse(v1.outputs.signingConfig).rekorTlogUrls[0].majorApiVersion, 1);
        assert.equal(v1.outputs.rekorShards[0].frozenAt, undefined, "its tree takes the writes");
    });
});
