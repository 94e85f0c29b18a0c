/**
 * The TUF repository (components/tuf-repository.ts) in the whole program under Pulumi's mocks, its
 * dynamic provider run from its serialized text as the engine runs it: what is served and how, a
 * no-op `up` that re-renders the same bytes, versions that move only with content or the clock,
 * rotation by tufRootGeneration, protection in prod, the outputs, and a stack without it.
 */
import "reflect-metadata";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { nginxConfig } from "../../components/tuf-repository";
import { upstreamImages } from "../../versions";
import { Evaluation, StackState } from "../support/mocks";
import { kubeObjects, workloadOf } from "../support/program";
import { load } from "../support/config-source";
import { evaluateExpectingFailure, evaluateRecorded, januaryDay, registration } from "../support/registrations";
import { serveFiles, TufClientCache } from "../support/tuf-client";

const scheduleType = "pulumi-nodejs:dynamic/tuf:Schedule";
const filesOf = (ev: Evaluation): Record<string, string> => {
    const content = ev.cloud.one("kubernetes:core/v1:ConfigMap", "tuf-content");
    const items: Array<{ key: string; path: string }> = workloadOf(ev, upstreamImages.tufServer, "tuf-server").resource.inputs.spec.template.spec.volumes.find(
        (v: any) => v.name === "content",
    ).configMap.items;
    return Object.fromEntries(items.map((i) => [i.path, content.inputs.data[i.key]]));
};
const roleVersions = (ev: Evaluation) => {
    const r = ev.outputs.tufRepository.roles;
    return [r.root.version, r.targets.version, r.snapshot.version, r.timestamp.version];
};

describe("TUF repository (tuf)", function () {
    this.timeout(180_000);
    let dev: Evaluation;
    let prod: Evaluation;
    before(async () => {
        dev = await evaluateRecorded({ stack: "dev", hooks: { now: januaryDay(1) } });
        prod = await evaluateRecorded({ stack: "prod", hooks: { now: januaryDay(1) } });
    });

    it("serves the signed repository read-only with nginx-unprivileged: restricted, the files mounted at their paths, no Secret", () => {
        const { resource, container } = workloadOf(dev, upstreamImages.tufServer, "tuf-server");
        assert.equal(container.image, "docker.io/nginxinc/nginx-unprivileged:1.28.0-alpine");
        assert.equal(container.securityContext.readOnlyRootFilesystem, true);
        assert.equal(container.securityContext.runAsUser, 101);
        assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
        assert.ok(container.volumeMounts.filter((m: any) => m.name !== "tmp").every((m: any) => m.readOnly));
        const volumes = resource.inputs.spec.template.spec.volumes;
        assert.ok(!volumes.some((v: any) => v.secret), "the metadata is public: no Secret in the pod");
        const paths = Object.keys(filesOf(dev)).sort();
        assert.deepEqual(
            paths.filter((p) => !p.startsWith("targets/")),
            ["1.root.json", "1.snapshot.json", "1.targets.json", "root.json", "timestamp.json"],
        );
        assert.equal(paths.filter((p) => /^targets\/[0-9a-f]{64}\.(trusted_root\.json|signing_config\.v0\.2\.json)$/.test(p)).length, 2);
        assert.equal(dev.cloud.one("kubernetes:core/v1:ConfigMap", "tuf-nginx").inputs.data["default.conf"], nginxConfig());
        assert.match(nginxConfig(), /autoindex off;/);
    });

    it("the targets are the exact bytes of the trustedRoot and signingConfig outputs", () => {
        const files = filesOf(dev);
        const target = (name: string) => files[Object.keys(files).find((p) => p.startsWith("targets/") && p.endsWith(`.${name}`))!];
        assert.equal(target("trusted_root.json"), dev.outputs.trustedRoot);
        assert.equal(target("signing_config.v0.2.json"), dev.outputs.signingConfig);
    });

    it("a real TUF client bootstrapped from the exported root fetches the trusted root from the rendered files", async () => {
        const server = await serveFiles(filesOf(dev));
        const client = new TufClientCache(dev.outputs.tufRoot);
        try {
            // The mock clock is January 2026; the files expire a year and 60 days later, so today's clock would find them expired.
            assert.equal(await client.fetch(server.url, "trusted_root.json").catch((e) => (/expired/.test(e.message) ? "expired" : e)), "expired");
        } finally {
            await server.stop();
            client.remove();
        }
        const now = await evaluateRecorded({ stack: "dev" });
        const live = await serveFiles(filesOf(now));
        const fresh = new TufClientCache(now.outputs.tufRoot);
        try {
            assert.equal(await fresh.fetch(live.url, "trusted_root.json"), now.outputs.trustedRoot);
        } finally {
            await live.stop();
            fresh.remove();
        }
    });

    it("exports the mirror, the initial root with its checksum, each role's version and expiry, and the remote TrustRoot", () => {
        const out = dev.outputs.tufRepository;
        assert.equal(dev.outputs.tufMirrorUrl, "https://tuf.sigstore.dev.corp.example");
        assert.equal(out.mirrorUrl, dev.outputs.tufMirrorUrl);
        assert.equal(dev.outputs.tufRoot, filesOf(dev)["1.root.json"]);
        assert.equal(out.rootChecksum, `sha256:${crypto.createHash("sha256").update(dev.outputs.tufRoot).digest("hex")}`);
        assert.deepEqual(roleVersions(dev), [1, 1, 1, 1]);
        assert.equal(out.roles.timestamp.expires, "2026-03-02T12:00:00Z");
        assert.equal(out.roles.root.expires, "2027-01-01T12:00:00Z");
        const remote = dev.outputs.verificationPolicy.trustRootRemote;
        assert.equal(remote.kind, "TrustRoot");
        assert.equal(remote.spec.remote.mirror, out.mirrorUrl);
        assert.equal(Buffer.from(remote.spec.remote.root, "base64").toString(), dev.outputs.tufRoot);
        assert.ok(dev.outputs.verificationPolicy.trustRoot.spec.sigstoreKeys, "the inline TrustRoot stays beside it");
        assert.ok(dev.outputs.imageList.includes(upstreamImages.tufServer));
    });

    it("a no-op up re-renders byte-identical files and changes no version, even weeks later", async () => {
        const state: StackState = new Map();
        const first = await evaluateRecorded({ stack: "dev", state, hooks: { now: januaryDay(1) } });
        const again = await evaluateRecorded({ stack: "dev", state, hooks: { now: januaryDay(30) } });
        assert.deepEqual(filesOf(again), filesOf(first));
        assert.deepEqual(again.cloud.created, [], "nothing re-created, the schedule included");
    });

    it("an up inside the renewal window re-signs snapshot and timestamp only; the served root stays", async () => {
        const state: StackState = new Map();
        const first = await evaluateRecorded({ stack: "dev", state, hooks: { now: januaryDay(1) } });
        const late = await evaluateRecorded({ stack: "dev", state, hooks: { now: () => new Date(Date.UTC(2026, 1, 15, 12)) } });
        assert.deepEqual(roleVersions(late), [1, 1, 2, 2]);
        assert.equal(late.outputs.tufRepository.roles.timestamp.expires, "2026-04-16T12:00:00Z");
        assert.equal(filesOf(late)["1.root.json"], filesOf(first)["1.root.json"]);
        assert.ok("2.snapshot.json" in filesOf(late) && !("1.snapshot.json" in filesOf(late)));
        assert.deepEqual(late.cloud.created.sort(), [
            "kubernetes:apps/v1:Deployment::tuf-server",
            "kubernetes:core/v1:ConfigMap::tuf-content",
            `${scheduleType}::tuf-schedule`,
        ]);
    });

    it("a rotation that changes the trusted root publishes it under new targets, snapshot and timestamp versions in the same up", async () => {
        const state: StackState = new Map();
        // The dev stack is on Rekor v2 from generation 2: generation 3 rotates it to a new log.
        await evaluateRecorded({ stack: "dev", state, hooks: { now: januaryDay(1) } });
        const rotated = await evaluateRecorded({ stack: "dev", state, hooks: { now: januaryDay(5) }, overrides: { rekorKeyGeneration: "3" } });
        assert.deepEqual(roleVersions(rotated), [1, 2, 2, 2]);
        const files = filesOf(rotated);
        assert.equal(files[Object.keys(files).find((p) => p.endsWith(".trusted_root.json"))!], rotated.outputs.trustedRoot);
    });

    it("raising tufRootGeneration makes new keys and publishes 2.root.json signed by the old and the new root keys", async () => {
        const state: StackState = new Map();
        const first = await evaluateRecorded({ stack: "prod", state, hooks: { now: januaryDay(1) } });
        const rotated = await evaluateRecorded({ stack: "prod", state, hooks: { now: januaryDay(5) }, overrides: { tufRootGeneration: "2" } });
        const files = filesOf(rotated);
        assert.equal(files["1.root.json"], filesOf(first)["1.root.json"], "a published root never changes");
        const root1 = JSON.parse(files["1.root.json"]).signed;
        const root2 = JSON.parse(files["2.root.json"]);
        assert.equal(root2.signed.roles.root.threshold, 2);
        const signers = root2.signatures.map((s: { keyid: string }) => s.keyid).sort();
        assert.deepEqual(signers, [...root1.roles.root.keyids, ...root2.signed.roles.root.keyids].sort());
        assert.deepEqual(roleVersions(rotated), [2, 2, 2, 2]);
        for (const role of ["root-key-1", "root-key-2", "root-key-3", "targets-key", "snapshot-key", "timestamp-key"]) {
            registration(rotated.cloud, "tls:index/privateKey:PrivateKey", `tuf-${role}`);
            registration(rotated.cloud, "tls:index/privateKey:PrivateKey", `tuf-${role}-g2`);
        }
    });

    it("lowering tufRootKeyCount is refused: a key that signed a published root must be kept", async () => {
        const state: StackState = new Map();
        await evaluateRecorded({ stack: "prod", state, hooks: { now: januaryDay(1) } });
        const { errors } = await evaluateExpectingFailure({ stack: "prod", state, hooks: { now: januaryDay(2) }, overrides: { tufRootKeyCount: "2" } });
        assert.ok(
            errors.some((e) => /no private key for TUF key [0-9a-f]{64}: a key that signed a published root must be kept/.test(e.message)),
            errors.map((e) => e.message).join("\n"),
        );
    });

    it("prod: two replicas behind a PodDisruptionBudget; every key and the schedule protected", () => {
        assert.equal(workloadOf(prod, upstreamImages.tufServer, "tuf-server").resource.inputs.spec.replicas, 2);
        assert.equal(prod.cloud.ofType("kubernetes:policy/v1:PodDisruptionBudget").filter((p) => p.name.startsWith("tuf-")).length, 1);
        const keys = prod.cloud.ofType("tls:index/privateKey:PrivateKey").filter((k) => k.name.startsWith("tuf-"));
        assert.deepEqual(keys.map((k) => k.name).sort(), [
            "tuf-root-key-1",
            "tuf-root-key-2",
            "tuf-root-key-3",
            "tuf-snapshot-key",
            "tuf-targets-key",
            "tuf-timestamp-key",
        ]);
        for (const key of keys) {
            assert.equal(key.inputs.algorithm, "ED25519");
            const r = registration(prod.cloud, "tls:index/privateKey:PrivateKey", key.name);
            assert.ok(r.protect && r.retainOnDelete, `${key.name} is protected in prod`);
        }
        const schedule = registration(prod.cloud, scheduleType, "tuf-schedule");
        assert.ok(schedule.protect, "losing the schedule would restart every version at 1, which clients refuse");
    });

    it("prod: exposed at https://tuf.<publicDomain>, reachable only from the ingress controller, alerted before expiry", () => {
        const ingress = prod.cloud.ofType("kubernetes:networking.k8s.io/v1:Ingress").find((i) => i.name === "tuf-ingress")!;
        assert.equal(ingress.inputs.spec.rules[0].host, "tuf.sigstore.corp.example");
        const policies = kubeObjects(prod).filter((o) => o.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy");
        const toTuf = policies.filter((p) => p.inputs.spec.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "tuf-server");
        assert.ok(toTuf.length > 0, "a NetworkPolicy selects the TUF server");
        const rules = prod.cloud.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-alerts").inputs.spec.groups[0].rules;
        const tuf = rules.filter((r: any) => r.alert.startsWith("TufMetadata"));
        assert.equal(tuf.length, 8, "two alerts per role");
        const timestamp = tuf.find((r: any) => r.alert === "TufMetadataExpiring" && r.labels.role === "timestamp");
        assert.equal(timestamp.expr, `time() > ${Date.parse("2026-03-02T12:00:00Z") / 1000 - 21 * 86400}`);
        assert.match(timestamp.annotations.summary, /pulumi up -s prod/);
    });

    it("tuf false: no repository, no TUF outputs, and its settings refused", async () => {
        const off = await evaluateRecorded({ stack: "dev", overrides: { tuf: "false" } });
        assert.equal(off.cloud.resources.filter((r) => r.name.startsWith("tuf-")).length, 0);
        assert.deepEqual(off.outputs.tufRepository, { enabled: false });
        assert.equal(off.outputs.verificationPolicy.trustRootRemote, undefined);
        assert.throws(() => load({ tuf: "false", tufReplicas: "2" }), /tufReplicas.*only applies with tuf true/);
    });
});
