/**
 * Rekor v2 (components/rekor-v2.ts, rekorVersion v2) in the whole program under Pulumi's mocks: the
 * StatefulSet of the rekor-tiles server and its read path, what is pinned and protected, the
 * Ingress that splits writes from reads, the trust material that moves writes to v2 while v1 stays
 * trusted, its network edges and scrape target, and a stack without it.
 */
import "reflect-metadata";
import * as assert from "node:assert/strict";
import { rekorV2LogId, rekorV2ReadPathConfig } from "../../lib/rekor-v2";
import { upstreamImages } from "../../versions";
import { Evaluation } from "../support/mocks";
import { evaluateRecorded, registration } from "../support/registrations";
import { checkArgs } from "../support/upstream-flags";

const v2 = { rekorVersion: "v2", ingressClassName: "nginx" };
const statefulSet = (ev: Evaluation) => ev.cloud.one("kubernetes:apps/v1:StatefulSet", "rekor-v2-server").inputs;

describe("Rekor v2 (rekorVersion v2)", function () {
    this.timeout(120_000);
    let dev: Evaluation;
    let prod: Evaluation;
    before(async () => {
        dev = await evaluateRecorded({ stack: "dev", overrides: v2 });
        prod = await evaluateRecorded({ stack: "prod", overrides: { rekorVersion: "v2" } });
    });

    it("runs rekor-tiles v2.3.0 with its origin pinned to its public host, one replica, the key from a Secret, on a volume the read path serves", () => {
        const set = statefulSet(dev);
        assert.equal(set.spec.replicas, 1);
        const [server, readPath] = set.spec.template.spec.containers;
        assert.equal(server.image, upstreamImages.rekorV2);
        assert.ok(server.args.includes("--hostname=rekor-v2.sigstore.dev.corp.example"));
        assert.ok(server.args.includes("--checkpoint-interval=1s"));
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

    it("rekorVersion v1 (the default): no Rekor v2, writes stay on v1", async () => {
        const v1 = await evaluateRecorded({ stack: "dev" });
        assert.equal(v1.cloud.resources.filter((r) => r.name.startsWith("rekor-v2")).length, 0);
        assert.deepEqual(v1.outputs.rekorV2Log, { enabled: false });
        assert.equal(JSON.parse(v1.outputs.signingConfig).rekorTlogUrls[0].majorApiVersion, 1);
    });
});
