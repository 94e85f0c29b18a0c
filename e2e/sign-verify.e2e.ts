/**
 * End-to-end: the program's own output, run by the real servers, signs and verifies with cosign.
 *
 * 1. Builds trillian, rekor, fulcio, ct_server and cosign at the versions our images pin (e2e/binaries.ts).
 * 2. Evaluates index.ts under mocks whose tls/random resources make real keys, certificates and
 *    passwords, and whose createtree Command runs components/createtree.sh for real against the
 *    local Trillian (kubectl replaced by e2e/fake-kubectl).
 * 3. Runs every server from the registered Deployments, Secrets and ConfigMaps (e2e/local-cluster.ts),
 *    on MariaDB and a Redis started from the program's redis.conf, with a real OIDC provider
 *    (e2e/oidc) configured like our Keycloak issuer.
 * 4. Signs with the program's cosign v3 command + signing config, verifies with its trusted root.
 * The stack runs with internal TLS on (as prod): Trillian gRPC, MySQL (a MariaDB of the run's own
 * with the program's TLS flags), Redis and Fulcio → CT log are TLS, verified against the internal CA.
 * Needs: MariaDB on 127.0.0.1:3306 (root, no password), redis-server on PATH, Go, network to the Go
 * module proxy on a cold cache. Everything listens on loopback and is stopped at the end.
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { alertRules } from "../components/monitoring";
import { shellResult, Stack, startStack } from "./harness";

const user = "alice@corp.example";
const sctOid = "1.3.6.1.4.1.11129.2.4.2";

describe("end-to-end: sign and verify with cosign against the program's configuration", function () {
    let stack: Stack;

    before(async function () {
        stack = await startStack({ log: (line) => console.log(`    ${line}`), keepWork: Boolean(process.env.E2E_KEEP), overrides: { internalTls: "true" } });
    });

    after(async function () {
        await stack?.stop();
    });

    /** This machine's port of a Service port. */
    const local = (service: string, port: number) => stack.cluster.localPort(service, port);

    /** The internal CA (internalTls) as the program publishes it, in its ConfigMap. */
    function internalCa(): string {
        const configMap = stack.first.cloud.ofType("kubernetes:core/v1:ConfigMap").find((r) => r.name === "internal-tls-ca");
        assert.ok(configMap, "the stack has no internal CA ConfigMap");
        return stack.cluster.objectData("ConfigMap", configMap.state.metadata.name)["ca.crt"];
    }

    /** A cosign command line in the work directory, with its exit status (non-zero is a result here). */
    function cosign(command: string, env: Record<string, string> = {}): Promise<{ status: number; output: string }> {
        return shellResult(stack.sh(command, env));
    }

    it("records the tree IDs createtree printed, and Trillian has exactly those trees", function () {
        const { outputs, createtreePrinted } = stack;
        assert.equal(outputs.rekorTreeId, createtreePrinted["trillian-createtree-rekor"]);
        assert.equal(outputs.ctlogTreeId, createtreePrinted["trillian-createtree-ctlog"]);
        const trees = stack.sql("SELECT TreeId FROM Trees ORDER BY TreeId", stack.database).split("\n").sort();
        assert.deepEqual(trees, [outputs.rekorTreeId, outputs.ctlogTreeId].sort());
    });

    it("serves the Rekor public key that the trusted root carries", async function () {
        const res = await fetch(`${stack.rekorUrl}/api/v1/log/publicKey`);
        const served = crypto
            .createPublicKey(await res.text())
            .export({ type: "spki", format: "der" })
            .toString("base64");
        const root = JSON.parse(stack.outputs.trustedRoot);
        assert.equal(served, root.tlogs[0].publicKey.rawBytes);
        assert.equal(served, crypto.createPublicKey(stack.outputs.rekorPublicKeyPem).export({ type: "spki", format: "der" }).toString("base64"));
    });

    describe("signing and verifying a blob", function () {
        before(async function () {
            fs.writeFileSync(path.join(stack.work, "artifact"), `release ${Date.now()}\n`);
            const sign = await cosign(`${stack.outputs.cosign.v3.sign} --identity-token="$ID_TOKEN"`, { ID_TOKEN: await stack.token() });
            assert.equal(sign.status, 0, `cosign sign-blob failed:\n${sign.output}\n${stack.logs()}`);
        });

        it("verifies with the program's trusted root and verify command: verified OK", async function () {
            const verify = await cosign(stack.outputs.cosign.v3.verify);
            assert.equal(verify.status, 0, `cosign verify-blob failed:\n${verify.output}`);
            assert.match(verify.output, /Verified OK/);
            console.log("    verified OK");
        });

        it("embeds an SCT from our CT log in the Fulcio certificate", function () {
            const bundle = JSON.parse(fs.readFileSync(path.join(stack.work, "artifact.sigstore.json"), "utf8"));
            const raw = bundle.verificationMaterial.certificate?.rawBytes ?? bundle.verificationMaterial.x509CertificateChain.certificates[0].rawBytes;
            const cert = new x509.X509Certificate(Buffer.from(raw, "base64"));
            assert.ok(cert.getExtension(sctOid), "certificate has no embedded SCT extension");
            const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
            assert.ok(
                san?.names.items.some((n) => n.value === user),
                "certificate is not for the signing user",
            );
        });

        it("rejects a signer outside the organisation's domain", async function () {
            const verify = await cosign(stack.outputs.cosign.v3.verify.replace("corp\\.example", "other\\.example"));
            assert.notEqual(verify.status, 0, "verification with a wrong identity passed");
        });

        it("rejects a tampered blob", async function () {
            fs.appendFileSync(path.join(stack.work, "artifact"), "tampered\n");
            const verify = await cosign(stack.outputs.cosign.v3.verify);
            assert.notEqual(verify.status, 0, "verification of a tampered blob passed");
        });
    });

    describe("internal TLS: every hop that carries credentials or log data refuses plain text", function () {
        it("MySQL: Trillian's connections are TLS, and a plain-text login is refused", async function () {
            assert.equal(stack.sql("SELECT @@require_secure_transport"), "1");
            const tlsSessions = Number(stack.sql("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'").split("\t")[1]);
            assert.ok(tlsSessions > 0, "no TLS handshakes on the database");
            const login = (tls: string) =>
                shellResult(stack.sh(`mysql --host=127.0.0.1 --port=${local("trillian-db", 3306)} --user=root ${tls} -e 'SELECT 1'`));
            const plain = await login("--skip-ssl");
            assert.notEqual(plain.status, 0);
            // MariaDB answers an insecure login under require_secure_transport with "Access denied";
            // the same login over TLS works, so it is the transport that was refused.
            assert.match(plain.output, /insecure transport are prohibited|Access denied/i, plain.output);
            const tls = await login("--ssl");
            assert.equal(tls.status, 0, `a TLS login works: ${tls.output}`);
        });

        it("Redis: only a TLS listener (a plain-text PING gets no PONG)", async function () {
            const reply = await new Promise<string>((resolve) => {
                const s = net.connect(local("rekor-redis", 6379), "127.0.0.1", () => s.write("PING\r\n"));
                let got = "";
                s.on("data", (d: Buffer) => (got += d.toString()));
                s.on("close", () => resolve(got));
                s.on("error", () => resolve(got));
                setTimeout(() => {
                    s.destroy();
                    resolve(got);
                }, 2000);
            });
            assert.doesNotMatch(reply, /PONG/);
        });

        it("Redis: Rekor indexes over TLS (its search finds the signed artifact; index errors are only logged)", async function () {
            // The digest the bundle signed (the artifact file itself is tampered with by another test).
            const bundle = JSON.parse(fs.readFileSync(path.join(stack.work, "artifact.sigstore.json"), "utf8"));
            const digest = Buffer.from(bundle.messageSignature.messageDigest.digest, "base64").toString("hex");
            assert.equal((await stack.rekorIndexSearch(digest)).length, 1, "the signed artifact is not in Rekor's index");
        });

        it("Trillian's HTTP endpoint and the CT log serve HTTPS with the internal CA's certificate for their Service name, not HTTP", async function () {
            const ca = internalCa();
            for (const [service, port, path] of [
                ["trillian-log-server", 8091, "/healthz"],
                ["ctlog", 6962, "/healthz"],
            ] as const) {
                const plain = await fetch(`http://127.0.0.1:${local(service, port)}${path}`);
                assert.equal(plain.status, 400, `${service} answered plain HTTP`);
                assert.match(await plain.text(), /HTTP request to an HTTPS server/);
                const status = await new Promise<number>((resolve, reject) => {
                    https
                        .get({ host: `${service}.sigstore.svc`, port: local(service, port), path, ca }, (res) => {
                            res.resume();
                            resolve(res.statusCode ?? 0);
                        })
                        .on("error", reject);
                });
                assert.equal(status, 200, `${service} over TLS, verified as ${service}.sigstore.svc`);
            }
        });
    });

    // A child suite runs after the signing suite above, so the servers have done real work (labelled series exist).
    describe("monitoring", function () {
        it("every metric the alert rules name is exported by the running servers (Prometheus' own, the kubelet's and kube-state-metrics' aside)", async function () {
            const ca = internalCa();
            const get = (url: string, tlsName?: string) =>
                new Promise<string>((resolve, reject) => {
                    const u = new URL(url);
                    const mod = u.protocol === "https:" ? https : http;
                    mod.get({ host: tlsName ?? u.hostname, port: u.port, path: u.pathname, ca }, (res) => {
                        let body = "";
                        res.on("data", (c) => (body += c));
                        res.on("end", () => resolve(body));
                    }).on("error", reject);
                });
            const scraped = (
                await Promise.all([
                    get(`http://127.0.0.1:${local("fulcio-server", 2112)}/metrics`),
                    get("http://127.0.0.1:2112/metrics"), // rekor-server has no flag for its metrics port: it is always 2112
                    get(`http://127.0.0.1:${local("ctlog", 6963)}/metrics`),
                    get(`https://x:${local("trillian-log-server", 8091)}/metrics`, "trillian-log-server.sigstore.svc"),
                    get(`http://127.0.0.1:${local("trillian-log-signer", 8091)}/metrics`),
                    // timestamp-server's metrics are fixed at :2112 too: in its pod's own network namespace.
                    get(`http://${stack.cluster.address("tsa-server")}:2112/metrics`),
                ])
            ).join("\n");
            const exported = new Set(
                scraped
                    .split("\n")
                    .filter((l) => l && !l.startsWith("#"))
                    .map((l) => l.split(/[{ ]/)[0]),
            );
            const rules = alertRules("sigstore", ["fulcio-server"], "pvc", 0, 90, { cronJob: "trillian-db-backup", maxAgeHours: 36 }, { ntp: false });
            const named = new Set(rules.flatMap((r) => [...String(r.expr).matchAll(/([a-z_:][a-z0-9_:]*)\{/g)].map((m) => m[1])));
            const external = (name: string) => name === "up" || name.startsWith("kubelet_volume_stats_") || name.startsWith("kube_cronjob_");
            const ours = [...named].filter((n) => !external(n));
            assert.ok(ours.length >= 3, `the rules name only ${ours.join(", ")}`);
            for (const name of ours) assert.ok(exported.has(name), `${name} is named by an alert but exported by none of the servers`);
        });
    });

    it("a second up with lost state reuses the recorded trees instead of creating new ones", async function () {
        const second = await stack.up(new Map());
        assert.equal(second.outputs.rekorTreeId, stack.outputs.rekorTreeId);
        assert.equal(second.outputs.ctlogTreeId, stack.outputs.ctlogTreeId);
        assert.equal(stack.sql("SELECT COUNT(*) FROM Trees", stack.database), "2");
    });
});
