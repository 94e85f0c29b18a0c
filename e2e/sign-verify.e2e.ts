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
 * Needs: MariaDB on 127.0.0.1:3306 (root, no password), redis-server on PATH, Go, network to the Go
 * module proxy on a cold cache. Everything listens on loopback and is stopped at the end.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { evaluate, Evaluation, MockCloud, repoRoot, StackState } from "../tests/support/mocks";
import { ensureBinaries, trillianSchemaPath } from "./binaries";
import { LocalCluster } from "./local-cluster";

const namespace = "sigstore";
const user = "alice@corp.example";
const sctOid = "1.3.6.1.4.1.11129.2.4.2";

function mysql(sql: string, database?: string): string {
    const args = ["--host=127.0.0.1", "--port=3306", "--user=root", "--batch", "--skip-column-names", ...(database ? [database] : []), "-e", sql];
    return execFileSync("mysql", args, { encoding: "utf8" }).trim();
}

function requireLocalServices(): void {
    try {
        mysql("SELECT 1");
    } catch {
        throw new Error("MariaDB is not reachable at 127.0.0.1:3306 as root without a password; start it with " +
            "'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd'");
    }
    if (spawnSync("redis-server", ["--version"]).status !== 0) throw new Error("redis-server is not on PATH (Debian package redis-server)");
}

function randomPassword(): string {
    return crypto.randomBytes(24).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 32).padEnd(32, "x");
}

describe("end-to-end: sign and verify with cosign against the program's configuration", function () {
    let bins: ReturnType<typeof ensureBinaries>;
    let work: string;
    let cluster: LocalCluster;
    let issuer: { issuer: string; stop: () => Promise<unknown> };
    let first: Evaluation;
    const createtreePrinted: Record<string, string> = {};
    let trillianStarted: Promise<void> | undefined;

    /** The Trillian "pods" start on first need: when createtree runs, as in a real `up`. */
    function startTrillian(cloud: MockCloud): Promise<void> {
        trillianStarted ??= (async () => {
            cluster = new LocalCluster(cloud, namespace, path.join(work, "cluster"));
            await cluster.allocateServicePorts();
            cluster.ports.set("trillian-db:3306", 3306); // the Database "pod" is this machine's MariaDB
            const credentials = cluster.objectData("Secret", cloud.ofType("kubernetes:core/v1:Secret").find((s) => s.name === "database-credentials")!.state.metadata.name);
            // What Trillian's db_server image does on first start: database, user, schema.
            mysql("DROP DATABASE IF EXISTS trillian; CREATE DATABASE trillian;");
            mysql(`CREATE OR REPLACE USER 'trillian'@'%' IDENTIFIED BY '${credentials.password}'; ` +
                `CREATE OR REPLACE USER 'trillian'@'localhost' IDENTIFIED BY '${credentials.password}'; ` +
                "GRANT ALL ON trillian.* TO 'trillian'@'%'; GRANT ALL ON trillian.* TO 'trillian'@'localhost';");
            execFileSync("mysql", ["--host=127.0.0.1", "--user=root", "trillian"], { input: fs.readFileSync(trillianSchemaPath()) });
            await cluster.start("trillian-log-server", bins.trillian_log_server);
            await cluster.start("trillian-log-signer", bins.trillian_log_signer);
        })();
        return trillianStarted;
    }

    function runCreatetree(cloud: () => MockCloud) {
        return async (name: string, inputs: Record<string, any>) => {
            await startTrillian(cloud());
            const shims = path.join(work, "shims");
            fs.mkdirSync(shims, { recursive: true });
            if (!fs.existsSync(path.join(shims, "kubectl"))) fs.symlinkSync(path.join(repoRoot, "e2e", "fake-kubectl"), path.join(shims, "kubectl"));
            const result = spawnSync(inputs.interpreter[0], [...inputs.interpreter.slice(1), inputs.create], {
                encoding: "utf8",
                env: {
                    ...inputs.environment,
                    PATH: `${shims}:${path.dirname(bins.createtree)}:${process.env.PATH}`,
                    E2E_CLUSTER_DIR: path.join(work, "applied"),
                    E2E_SERVICE_PORTS: cluster.servicePortsEnv(),
                },
                timeout: 120_000,
            });
            if (result.status !== 0) throw new Error(`createtree command ${name} failed (${result.status}):\n${result.stderr}`);
            createtreePrinted[name] = result.stdout.trim();
            return { stdout: result.stdout, stderr: result.stderr };
        };
    }

    /** Evaluates the dev stack pointed at the local OIDC issuer. */
    async function up(state: StackState): Promise<Evaluation> {
        let cloud!: MockCloud;
        cloud = new MockCloud({ password: () => randomPassword(), runCommand: runCreatetree(() => cloud) }, state);
        return evaluate({ stack: "dev", cloud, overrides: { oidcIssuerUrl: issuer.issuer, emailDomain: "corp.example" } });
    }

    /** What `kubectl apply` would leave in the cluster: the tree ConfigMaps createtree.sh checks. */
    function recordAppliedConfigMaps(e: Evaluation): void {
        const dir = path.join(work, "applied", "configmaps");
        fs.mkdirSync(dir, { recursive: true });
        for (const cm of e.cloud.ofType("kubernetes:core/v1:ConfigMap")) {
            if (cm.inputs.data?.treeID) fs.writeFileSync(path.join(dir, cm.state.metadata.name), cm.inputs.data.treeID);
        }
    }

    function cosign(args: string, extraEnv: Record<string, string> = {}) {
        return spawnSync("bash", ["-c", args], {
            cwd: work, encoding: "utf8", timeout: 120_000,
            env: { PATH: `${path.dirname(bins.cosign)}:${process.env.PATH}`, HOME: work, TUF_ROOT: path.join(work, "tuf"), ...extraEnv },
        });
    }

    before(async function () {
        requireLocalServices();
        bins = ensureBinaries((line) => console.log(`    ${line}`));
        work = fs.mkdtempSync(path.join(os.tmpdir(), "sigstore-e2e-"));
        const { startIssuer } = await import("./oidc/run-issuer.mjs" as string);
        issuer = await startIssuer({ port: 0, realm: "sigstore", clientId: "sigstore" });
        first = await up(new Map());
        recordAppliedConfigMaps(first);
        await cluster.allocateServicePorts();
        await cluster.start("rekor-redis", "redis-server", ["--port", String(cluster.localPort("rekor-redis", 6379)), "--bind", "127.0.0.1"]);
        await cluster.start("ctlog-server", bins.ct_server);
        await cluster.start("rekor-server", bins["rekor-server"]);
        await cluster.start("fulcio-server", bins.fulcio);
    });

    after(async function () {
        await cluster?.stopAll();
        await issuer?.stop();
        if (work && !process.env.E2E_KEEP) fs.rmSync(work, { recursive: true, force: true });
        else if (work) console.log(`    kept ${work}`);
    });

    it("records the tree IDs createtree printed, and Trillian has exactly those trees", function () {
        assert.equal(first.outputs.rekorTreeId, createtreePrinted["trillian-createtree-rekor"]);
        assert.equal(first.outputs.ctlogTreeId, createtreePrinted["trillian-createtree-ctlog"]);
        const trees = mysql("SELECT TreeId FROM Trees ORDER BY TreeId", "trillian").split("\n").sort();
        assert.deepEqual(trees, [first.outputs.rekorTreeId, first.outputs.ctlogTreeId].sort());
    });

    it("serves the Rekor public key that the trusted root carries", async function () {
        const res = await fetch(`http://127.0.0.1:${cluster.localPort("rekor-server", 3000)}/api/v1/log/publicKey`);
        const served = crypto.createPublicKey(await res.text()).export({ type: "spki", format: "der" }).toString("base64");
        const root = JSON.parse(first.outputs.trustedRoot);
        assert.equal(served, root.tlogs[0].publicKey.rawBytes);
        assert.equal(served, crypto.createPublicKey(first.outputs.rekorPublicKeyPem).export({ type: "spki", format: "der" }).toString("base64"));
    });

    describe("signing and verifying a blob", function () {
        let token: string;
        before(async function () {
            const { getIdToken } = await import("./oidc/token-client.mjs" as string);
            token = await getIdToken({ issuer: issuer.issuer, clientId: "sigstore", user });
            fs.writeFileSync(path.join(work, "trusted_root.json"), first.outputs.trustedRoot);
            // Public URLs → loopback: the only change made to the program's signing config.
            const local = first.outputs.signingConfig
                .split(first.outputs.urls.fulcio).join(`http://127.0.0.1:${cluster.localPort("fulcio-server", 5555)}`)
                .split(first.outputs.urls.rekor).join(`http://127.0.0.1:${cluster.localPort("rekor-server", 3000)}`);
            fs.writeFileSync(path.join(work, "signing_config.json"), local);
            fs.writeFileSync(path.join(work, "artifact"), `release ${Date.now()}\n`);
            const sign = cosign(`${first.outputs.cosign.v3.sign} --identity-token="$ID_TOKEN"`, { ID_TOKEN: token });
            assert.equal(sign.status, 0, `cosign sign-blob failed:\n${sign.stderr}\n${logs()}`);
        });

        function logs(): string {
            return cluster.processes.map((p) => `--- ${p.name}\n${require("./local-cluster").tail(p.logFile, 15)}`).join("\n");
        }

        it("verifies with the program's trusted root and verify command: verified OK", function () {
            const verify = cosign(first.outputs.cosign.v3.verify);
            assert.equal(verify.status, 0, `cosign verify-blob failed:\n${verify.stderr}`);
            assert.match(verify.stderr + verify.stdout, /Verified OK/);
            console.log("    verified OK");
        });

        it("embeds an SCT from our CT log in the Fulcio certificate", function () {
            const bundle = JSON.parse(fs.readFileSync(path.join(work, "artifact.sigstore.json"), "utf8"));
            const raw = bundle.verificationMaterial.certificate?.rawBytes ?? bundle.verificationMaterial.x509CertificateChain.certificates[0].rawBytes;
            const cert = new x509.X509Certificate(Buffer.from(raw, "base64"));
            assert.ok(cert.getExtension(sctOid), "certificate has no embedded SCT extension");
            const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
            assert.ok(san?.names.items.some((n) => n.value === user), "certificate is not for the signing user");
        });

        it("rejects a signer outside the organisation's domain", function () {
            const verify = cosign(first.outputs.cosign.v3.verify.replace("corp\\.example", "other\\.example"));
            assert.notEqual(verify.status, 0, "verification with a wrong identity passed");
        });

        it("rejects a tampered blob", function () {
            fs.appendFileSync(path.join(work, "artifact"), "tampered\n");
            const verify = cosign(first.outputs.cosign.v3.verify);
            assert.notEqual(verify.status, 0, "verification of a tampered blob passed");
        });
    });

    it("a second up with lost state reuses the recorded trees instead of creating new ones", async function () {
        const second = await up(new Map());
        assert.equal(second.outputs.rekorTreeId, first.outputs.rekorTreeId);
        assert.equal(second.outputs.ctlogTreeId, first.outputs.ctlogTreeId);
        assert.equal(mysql("SELECT COUNT(*) FROM Trees", "trillian"), "2");
    });
});
