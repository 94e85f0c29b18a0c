/**
 * lib/tuf-repository.ts, checked by a real client (tuf-js, as @sigstore/tuf uses it): the files
 * verify, re-render byte for byte, follow a root rotation from 1.root.json, and a tampered target,
 * an expired timestamp and a rolled-back version are refused.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { renderTufRepository, rootBody, TufFiles, tufPublicKey } from "../../lib/tuf-repository";
import { planTufSchedule, TufSchedule } from "../../lib/tuf-schedule";
import { keySet, privateKeys, roleKeys, scheduleInputs } from "../support/tuf-keys";
import { serveFiles, TufClientCache } from "../support/tuf-client";

const trust = { "trusted_root.json": '{"mediaType":"trusted root v1"}\n', "signing_config.v0.2.json": '{"mediaType":"signing config v1"}\n' };
const day = 86_400_000;

describe("lib/tuf-repository: signed files a real TUF client accepts", function () {
    this.timeout(30_000);
    const gen1 = keySet(3);
    const keys1 = roleKeys(gen1, 2);
    let schedule: TufSchedule;
    let files: TufFiles;
    let server: Awaited<ReturnType<typeof serveFiles>>;
    const caches: TufClientCache[] = [];
    const client = (root: string) => {
        const c = new TufClientCache(root);
        caches.push(c);
        return c;
    };

    before(async () => {
        schedule = planTufSchedule(undefined, scheduleInputs(keys1, trust), Date.now());
        files = renderTufRepository({ schedule, targets: trust, privateKeys: privateKeys(gen1) });
        server = await serveFiles(files);
    });
    after(async () => {
        await server.stop();
        for (const c of caches) c.remove();
    });

    it("lays out a consistent-snapshot repository: versioned metadata, hash-prefixed targets", () => {
        const sha = (s: string) => crypto.createHash("sha256").update(s).digest("hex");
        assert.deepEqual(
            Object.keys(files).sort(),
            [
                "1.root.json",
                "1.snapshot.json",
                "1.targets.json",
                "root.json",
                `targets/${sha(trust["signing_config.v0.2.json"])}.signing_config.v0.2.json`,
                `targets/${sha(trust["trusted_root.json"])}.trusted_root.json`,
                "timestamp.json",
            ].sort(),
        );
        const root = JSON.parse(files["1.root.json"]);
        assert.equal(root.signed.consistent_snapshot, true);
        assert.equal(root.signed.roles.root.threshold, 2);
        assert.equal(root.signed.roles.root.keyids.length, 3);
        assert.equal(root.signatures.length, 3);
    });

    it("a client bootstrapped from 1.root.json fetches both targets, byte for byte", async () => {
        const c = client(files["1.root.json"]);
        assert.equal(await c.fetch(server.url, "trusted_root.json"), trust["trusted_root.json"]);
        assert.equal(await c.fetch(server.url, "signing_config.v0.2.json"), trust["signing_config.v0.2.json"]);
    });

    it("renders byte-identical files for the same schedule and keys (Ed25519 is deterministic)", () => {
        assert.deepEqual(renderTufRepository({ schedule, targets: trust, privateKeys: privateKeys(gen1) }), files);
    });

    it("a tampered target is refused", async () => {
        const tampered = { ...files };
        const name = Object.keys(files).find((p) => p.endsWith(".trusted_root.json"))!;
        tampered[name] = '{"mediaType":"trusted root v1","evil":true}\n';
        server.publish(tampered);
        try {
            await assert.rejects(client(files["1.root.json"]).fetch(server.url, "trusted_root.json"), /length|hash|mismatch/i);
        } finally {
            server.publish(files);
        }
    });

    it("an expired timestamp is refused, and the re-signed one is accepted", async () => {
        const past = Date.now() - 70 * day;
        const old = planTufSchedule(undefined, scheduleInputs(keys1, trust), past);
        server.publish(renderTufRepository({ schedule: old, targets: trust, privateKeys: privateKeys(gen1) }));
        const c = client(files["1.root.json"]);
        await assert.rejects(c.fetch(server.url, "trusted_root.json"), /expired/i);
        const renewed = planTufSchedule(old, scheduleInputs(keys1, trust), Date.now());
        assert.equal(renewed.timestamp.version, 2);
        server.publish(renderTufRepository({ schedule: renewed, targets: trust, privateKeys: privateKeys(gen1) }));
        assert.equal(await c.fetch(server.url, "trusted_root.json"), trust["trusted_root.json"]);
        server.publish(files);
    });

    it("a client holding 1.root.json follows a key rotation: 2.root.json is signed by the old and the new root keys", async () => {
        const c = client(files["1.root.json"]);
        await c.fetch(server.url, "trusted_root.json");
        const gen2 = keySet(1);
        const keys2 = roleKeys(gen2, 1);
        const rotatedTrust = { ...trust, "trusted_root.json": '{"mediaType":"trusted root v2"}\n' };
        const rotated = planTufSchedule(schedule, scheduleInputs(keys2, rotatedTrust), Date.now() + day);
        const rotatedFiles = renderTufRepository({ schedule: rotated, targets: rotatedTrust, privateKeys: privateKeys(gen1, gen2) });
        assert.deepEqual(rotatedFiles["1.root.json"], files["1.root.json"], "published roots never change");
        const signers = JSON.parse(rotatedFiles["2.root.json"])
            .signatures.map((s: { keyid: string }) => s.keyid)
            .sort();
        assert.deepEqual(signers, [...keys1.root, ...keys2.root].map((k) => k.keyId).sort());
        server.publish(rotatedFiles);
        try {
            assert.equal(await c.fetch(server.url, "trusted_root.json"), rotatedTrust["trusted_root.json"]);
            assert.equal(c.trustedRootVersion(), 2);
        } finally {
            server.publish(files);
        }
    });

    it("refuses to publish a rotated root without every previous root key (a client would need them to reach the threshold)", () => {
        const gen2 = keySet(1);
        const keys2 = roleKeys(gen2, 1);
        const rotated = planTufSchedule(schedule, scheduleInputs(keys2, trust), Date.now() + day);
        // Generation 1's second and third root keys lost: 1.root.json and 2.root.json cannot be signed as published.
        const kept = privateKeys(gen1, gen2);
        delete kept[keys1.root[1].keyId];
        delete kept[keys1.root[2].keyId];
        const rendered = () => renderTufRepository({ schedule: rotated, targets: trust, privateKeys: kept });
        assert.throws(rendered, /no private key for TUF key .*must be kept/);
    });

    it("a rolled-back timestamp (a lower version than the client has seen) is refused", async () => {
        const c = client(files["1.root.json"]);
        const newer = planTufSchedule(schedule, scheduleInputs(keys1, { ...trust, "extra.json": "{}\n" }), Date.now() + day);
        server.publish(renderTufRepository({ schedule: newer, targets: { ...trust, "extra.json": "{}\n" }, privateKeys: privateKeys(gen1) }));
        await c.fetch(server.url, "trusted_root.json");
        server.publish(files);
        try {
            await assert.rejects(c.fetch(server.url, "trusted_root.json"), /version/i);
        } finally {
            server.publish(files);
        }
    });

    it("refuses a threshold above the number of root keys, and a key that is not Ed25519", () => {
        assert.throws(() => rootBody({ ...keys1, rootThreshold: 4 }), /threshold \(4\) must be between 1 and the number of root keys \(3\)/);
        const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "pem", type: "spki" }) as string;
        assert.throws(() => tufPublicKey(ec), /must be Ed25519, not ec/);
    });
});
