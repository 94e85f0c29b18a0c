/**
 * `npm run test:cluster`: deploy for real, the way a user does, and sign.
 *
 * The real Pulumi CLI (cluster/pulumi-cli.ts) runs `up`, `preview`, `refresh` and `destroy` on our
 * index.ts against a real kube-apiserver with Pod Security admission (cluster/control-plane.ts);
 * kwok simulates the node, and the real Trillian, Rekor (v1 and v2), Fulcio, ct_server, Redis, the
 * timestamp authority and nginx run behind the simulated pods from what the API server holds
 * (cluster/pod-runner.ts). createtree.sh runs
 * unmodified in port-forward mode with the real kubectl and createtree. Then cosign v3 signs with
 * the stack's outputs and verifies.
 *
 * Two stacks, each in a cluster of its own: a fresh dev stack (Pulumi.dev.yaml, on Rekor v2), and a
 * prod-like one (Pulumi.prod.yaml: protectData, two lease-electing signers, HA replicas, Rekor v1) with
 * a chained CA and the policy-controller objects applied; the prod stack also previews
 * identityProvider dex. Key rotation by config runs on both: the Rekor v2 log's on dev, the CT log's on
 * prod (protected, internal TLS), and prod then moves from Rekor v1 to v2 in one `up`.
 * Needs: MariaDB on 127.0.0.1:3306, redis-server, the toolchain (cluster/toolchain.ts) and the
 * provider plugins in $SIGSTORE_PLUGIN_DIR. Loopback only; everything is stopped at the end.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import "reflect-metadata";
import { rekorV2Service } from "../components/rekor-v2";
import { logSignerService } from "../components/trillian";
import { mysql, rekorIndexSearch } from "../e2e/harness";
import { FaultReport, rekorV1Load, throughFault } from "../e2e/faults";
import { startRegistry } from "../e2e/registry";
import { PodRunner } from "./pod-runner";
import { ClusterLab, LiveDeployment, namespace, operation, stackOutputs, trees, unexpectedWarnings, workloadAdmissionWarnings } from "./deployment";
import { Diagnostics } from "./pulumi-cli";
import { languageHost } from "./toolchain";

/** What the suite (and .ci/run's summary) says when the plain-CLI rung cannot run here. */
const plainCliNotRun =
    "NOT RUN: the plain CLI rung (pulumi up / preview --policy-pack through the Node.js language host): no pulumi-language-nodejs beside the pulumi binary (docs/testing.md)";

function assertNoUnexpectedWarnings(d: LiveDeployment): void {
    const unexpected = unexpectedWarnings(d.warnings);
    assert.equal(unexpected.length, 0, `warnings nobody expects:\n${unexpected.map((w) => JSON.stringify(w)).join("\n")}`);
}

describe("cluster: the real Pulumi CLI deploys to a real API server, and cosign signs", function () {
    const lab = new ClusterLab((l) => console.log(`      ${l}`));

    before(async function () {
        await lab.setup();
    });

    after(async function () {
        await lab.close(Boolean(process.env.CLUSTER_KEEP));
    });

    describe("a fresh dev stack (Pulumi.dev.yaml)", function () {
        let d: LiveDeployment;

        before(async function () {
            // With Ingresses (no controller runs them): the TUF client below signs through the stack's public URLs.
            d = await lab.deploy("cluster-dev", "dev", { config: { ingressClassName: "nginx" } });
        });

        after(async function () {
            await lab.teardown(d);
        });

        it("up converges in one run, and createtree made exactly the stack's two trees", async function () {
            assert.ok(d.created >= 40, `only ${d.created} resources created`);
            const outputs = await stackOutputs(d);
            assert.deepEqual(trees(d), [outputs.rekorTreeId, outputs.ctlogTreeId].sort());
            d.runner.check();
        });

        it("no engine warning we do not expect, and the namespace enforces Pod Security restricted", function () {
            const ns = JSON.parse(d.cp.kubectl(["get", "namespace", namespace, "--output=json"]));
            assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
            assertNoUnexpectedWarnings(d);
        });

        it("Pod Security admission (restricted), asked again, warns about none of the workloads; it does warn about a baseline-only one", function () {
            assert.deepEqual(workloadAdmissionWarnings(d), []);
            // Passes baseline, fails restricted: no security context at all.
            const labels = { app: "baseline-probe" };
            const baselineOnly = {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "baseline-probe" },
                spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "busybox:1.36" }] } } },
            };
            const control = d.cp.admissionWarnings(namespace, [baselineOnly]);
            assert.equal(control.length, 1, `the control drew: ${JSON.stringify(control)}`);
            assert.match(control[0], /would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
        });

        it("the API server holds the default deny and one NetworkPolicy per app", function () {
            const policies = JSON.parse(d.cp.kubectl(["get", "networkpolicies", "--namespace", namespace, "--output=json"])).items;
            const selected = policies.map((p: any) => p.spec.podSelector.matchLabels?.["app.kubernetes.io/name"] ?? "(all)").sort();
            assert.deepEqual(selected, [
                "(all)",
                "ctlog",
                "fulcio-server",
                "rekor-redis",
                "rekor-server",
                "rekor-v2",
                "trillian-db",
                "trillian-log-server",
                "trillian-log-signer",
                "tsa-server",
                "tuf-server",
            ]);
        });

        it("the verificationPolicy output's TrustRoot and ClusterImagePolicy pass policy-controller's CRD schemas unchanged", async function () {
            const policy = (await stackOutputs(d)).verificationPolicy;
            for (const object of [policy.trustRoot, policy.clusterImagePolicy]) {
                const created = JSON.parse(d.cp.kubectl(["create", "--dry-run=server", "--output=json", "-f", "-"], JSON.stringify(object)));
                assert.deepEqual(created.spec, object.spec, `${object.kind}: the API server pruned or changed fields`);
            }
        });

        it("cosign v3 signs with the stack's outputs and verifies: Verified OK; a wrong identity and a tampered blob fail", async function () {
            const result = await lab.signAndVerify(d);
            assert.match(result.verify, /Verified OK/);
            assert.notEqual(result.wrongIdentity, 0, "verification with a wrong identity passed");
            assert.notEqual(result.tampered, 0, "verification of a tampered blob passed");
        });

        it("TUF: the served repository bootstraps cosign through a port-forward; then sign-blob and verify-blob with no trust flags", async function () {
            const { verify } = await lab.signWithServedTrust(d);
            assert.match(verify, /Verified OK/);
        });

        it("preview --expect-no-changes passes right after up", async function () {
            await operation(d, (onEvent) => d.stack.preview({ expectNoChanges: true, onEvent }));
        });

        it("refresh, then preview --expect-no-changes passes", async function () {
            await operation(d, (onEvent) => d.stack.refresh({ onEvent }));
            await operation(d, (onEvent) => d.stack.preview({ expectNoChanges: true, onEvent }));
        });

        it("a second up changes nothing, and Trillian still holds exactly the two trees", async function () {
            const before = trees(d);
            const result = await operation(d, (onEvent) => d.stack.up({ onEvent }));
            assert.deepEqual(Object.keys(result.summary.resourceChanges ?? {}), ["same"]);
            assert.deepEqual(trees(d), before);
        });

        it("changing createtreeBinary or the CA subject previews no change", async function () {
            for (const [key, value] of [
                ["createtreeBinary", "/opt/trillian/createtree"],
                ["caCommonName", "renamed-fulcio-ca"],
                ["caOrganization", "Renamed Org"],
            ]) {
                const previous = (await d.stack.getConfig(`sigstore:${key}`).catch(() => undefined))?.value;
                await d.stack.setConfig(`sigstore:${key}`, { value });
                try {
                    await operation(d, (onEvent) => d.stack.preview({ expectNoChanges: true, onEvent }));
                } finally {
                    if (previous === undefined) await d.stack.removeConfig(`sigstore:${key}`);
                    else await d.stack.setConfig(`sigstore:${key}`, { value: previous });
                }
            }
        });

        it("the plain CLI, as a user types it (the Node.js language host runs index.ts): preview shows no change, `up` applies a config change, the policy pack runs through the engine", async function () {
            if (!languageHost()) {
                console.log(`      ${plainCliNotRun}`);
                this.skip();
            }
            const cli = (...args: string[]) => lab.plainCli(d, args);
            const ok = async (args: string[]) => {
                const result = await cli(...args);
                assert.equal(result.status, 0, `pulumi ${args.join(" ")}:\n${result.output}`);
                return result.output;
            };
            await ok(["preview", "--expect-no-changes"]);
            const tsaReplicas = () =>
                JSON.parse(d.cp.kubectl(["get", "deployments", "--namespace", namespace, "--selector", "app.kubernetes.io/name=tsa-server", "--output=json"]))
                    .items[0].spec.replicas;
            assert.equal(tsaReplicas(), 1);
            // A change made and applied the way a user does: `pulumi config set`, then `pulumi up`.
            await ok(["config", "set", "sigstore:tsaReplicas", "2"]);
            try {
                const up = await ok(["up", "--yes"]);
                assert.match(up, /tsa-server/);
                assert.equal(tsaReplicas(), 2, "the plain up scaled the timestamp authority");
                assert.match(
                    d.cp.kubectl(["get", "poddisruptionbudgets", "--namespace", namespace, "--output=name"]),
                    /tsa-server/,
                    "and gave it a PodDisruptionBudget",
                );
            } finally {
                await ok(["config", "set", "sigstore:tsaReplicas", "1"]);
                await ok(["up", "--yes"]);
            }
            assert.equal(tsaReplicas(), 1);
            const policy = await ok(["preview", "--policy-pack", "policy", "--expect-no-changes"]);
            assert.match(policy, /sigstore-baseline/, "the policy pack ran through the engine");
            await operation(d, (onEvent) => d.stack.preview({ expectNoChanges: true, onEvent }));
        });

        it("rekorKeyGeneration 3 (Rekor v2): one `up` starts a new log and leaves the old one its read path alone; signatures before and after verify", async function () {
            // Created: the new log's key, signer Secret, volume, Service, StatefulSet, Ingress and NetworkPolicy, and
            // the old log's retirement time; deleted: the old log's signer Secret (its key stays in the state).
            const { before, after } = await lab.rotate(d, "rekorKeyGeneration", { creates: 8, replaces: 0, deletes: 1, to: 3 }, [rekorV2Service]);
            assert.deepEqual(
                after.rekorV2Log.logs.map((l: any) => l.origin),
                [before.rekorV2Log.origin, after.rekorV2Log.origin],
            );
            assert.match(after.rekorV2Log.logs[0].retiredAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
            const sets = JSON.parse(d.cp.kubectl(["get", "statefulsets", "--namespace", namespace, "--output=json"])).items;
            const containersOf = (app: string) =>
                sets.find((x: any) => x.spec.selector.matchLabels["app.kubernetes.io/name"] === app).spec.template.spec.containers.map((c: any) => c.name);
            assert.deepEqual(containersOf(rekorV2Service), ["read-path"], "the retired log serves reads only");
            assert.deepEqual(containersOf(`${rekorV2Service}-g3`), ["rekor-tiles", "read-path"]);
            await operation(d, (onEvent) => d.stack.preview({ expectNoChanges: true, onEvent }));
        });

        it("no operation so far printed a warning we do not expect", function () {
            assertNoUnexpectedWarnings(d);
        });

        it("destroy removes everything it created", async function () {
            await operation(d, (onEvent) => d.stack.destroy({ onEvent }));
            const state = await d.stack.exportStack();
            assert.deepEqual(
                (state.deployment.resources ?? []).map((r: any) => r.urn),
                [],
            );
            const left = d.cp.kubectl(["get", "namespace", namespace, "--ignore-not-found", "--output=name"]).trim();
            assert.equal(left, "", "the namespace is still there");
        });
    });

    describe("a prod-like stack (Pulumi.prod.yaml: protectData, two electing signers, HA) with a chained CA", function () {
        let d: LiveDeployment;

        before(async function () {
            const pki = path.join(lab.work, "enterprise-pki");
            fs.mkdirSync(pki, { recursive: true });
            execFileSync(
                "openssl",
                [
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-384",
                    "-nodes",
                    "-days",
                    "3650",
                    "-subj",
                    "/O=Corp Example/CN=Corp Example Root CA",
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                    "-keyout",
                    path.join(pki, "root.key"),
                    "-out",
                    path.join(pki, "root.pem"),
                ],
                { stdio: "pipe" },
            );
            d = await lab.deploy("cluster-prod", "prod", {
                config: { caMode: "chained", caRootCert: fs.readFileSync(path.join(pki, "root.pem"), "utf8"), policyControllerResources: "true" },
                secrets: { caRootKey: fs.readFileSync(path.join(pki, "root.key"), "utf8") },
            });
        });

        after(async function () {
            await lab.teardown(d);
        });

        it("up converges in one run, with exactly the stack's two trees, and no warning from the engine or Pod Security", async function () {
            assert.ok(d.created >= 45, `only ${d.created} resources created`);
            const outputs = await stackOutputs(d);
            assert.deepEqual(trees(d), [outputs.rekorTreeId, outputs.ctlogTreeId].sort());
            assertNoUnexpectedWarnings(d);
            assert.deepEqual(workloadAdmissionWarnings(d), []);
        });

        it("the API server holds a PodDisruptionBudget per multi-replica workload and the internal TLS Secrets", function () {
            const pdbs = JSON.parse(d.cp.kubectl(["get", "poddisruptionbudgets", "--namespace", namespace, "--output=json"])).items;
            assert.deepEqual(pdbs.map((p: any) => p.spec.selector.matchLabels["app.kubernetes.io/name"]).sort(), [
                "ctlog",
                "fulcio-server",
                "rekor-server",
                "trillian-log-server",
                "trillian-log-signer",
                "tsa-server",
                "tuf-server",
            ]);
            const tlsSecrets = JSON.parse(
                d.cp.kubectl(["get", "secrets", "--namespace", namespace, "--field-selector=type=kubernetes.io/tls", "--output=json"]),
            ).items;
            assert.deepEqual(tlsSecrets.map((s: any) => s.metadata.labels["app.kubernetes.io/name"]).sort(), [
                "ctlog",
                "rekor-redis",
                "trillian-db",
                "trillian-log-server",
            ]);
        });

        it("the API server accepts the monitoring objects against the Prometheus Operator's CRDs: a ServiceMonitor per server and the alert rules", function () {
            const monitors = JSON.parse(d.cp.kubectl(["get", "servicemonitors", "--namespace", namespace, "--output=json"])).items;
            assert.deepEqual(monitors.map((m: any) => m.spec.selector.matchLabels["app.kubernetes.io/name"]).sort(), [
                "ctlog",
                "fulcio-server",
                "rekor-server",
                "trillian-log-server",
                "trillian-log-signer",
                "tsa-server",
            ]);
            const rules = JSON.parse(d.cp.kubectl(["get", "prometheusrules", "--namespace", namespace, "--output=json"])).items;
            assert.equal(rules.length, 1);
            assert.ok(rules[0].spec.groups[0].rules.length >= 5);
        });

        it("policyControllerResources: the API server holds the TrustRoot and ClusterImagePolicy, equal to the verificationPolicy output", async function () {
            const policy = (await stackOutputs(d)).verificationPolicy;
            for (const [resource, expected] of [
                ["trustroots", policy.trustRoot],
                ["clusterimagepolicies", policy.clusterImagePolicy],
            ]) {
                const held = JSON.parse(d.cp.kubectl(["get", `${resource}.policy.sigstore.dev`, expected.metadata.name, "--output=json"]));
                assert.deepEqual(held.spec, expected.spec, `${resource}: the API server pruned or changed fields`);
            }
        });

        it("identityProvider dex: the real CLI previews Dex and its Secret with the bind password set --secret, and prints the password nowhere", async function () {
            const bindPassword = "cluster-Bind-Passw0rd";
            const config: Record<string, string> = {
                identityProvider: "dex",
                ldapHost: "ldap.corp.example",
                ldapCaCert: fs.readFileSync(path.join(lab.work, "enterprise-pki", "root.pem"), "utf8"),
                ldapBindDn: "cn=dex,ou=services,dc=corp,dc=example",
                ldapUserBaseDn: "ou=people,dc=corp,dc=example",
                ldapSignerGroups: "cn=signers,ou=groups,dc=corp,dc=example",
                ldapEgressCidrs: "10.20.30.41/32",
            };
            const issuer = (await d.stack.getConfig("sigstore:oidcIssuerUrl")).value;
            await d.stack.removeConfig("sigstore:oidcIssuerUrl");
            for (const [key, value] of Object.entries(config)) await d.stack.setConfig(`sigstore:${key}`, { value });
            await d.stack.setConfig("sigstore:ldapBindPassword", { value: bindPassword, secret: true });
            const printed: string[] = [];
            try {
                const preview = await d.stack.preview({ diff: true, onOutput: (line) => printed.push(line) });
                const changes = preview.changeSummary as Record<string, number>;
                assert.ok((changes.create ?? 0) >= 5, `expected Dex's objects to be created: ${JSON.stringify(changes)}`);
                const text = printed.join("");
                assert.match(text, /sigstore:index:Dex/);
                assert.match(text, /oidc\.sigstore\.corp\.example/);
                assert.ok(!text.includes(bindPassword), "the bind password was printed by the preview");
                const stored = JSON.stringify(await d.stack.exportStack());
                assert.ok(!stored.includes(bindPassword), "the bind password is in the state in plain text");
            } finally {
                for (const key of [...Object.keys(config), "ldapBindPassword"]) await d.stack.removeConfig(`sigstore:${key}`);
                await d.stack.setConfig("sigstore:oidcIssuerUrl", { value: issuer });
            }
        });

        it("the two signers elect through the API server's Leases: every tree's lease is held by one of them", async function () {
            const signers = d.runner.objects.podNames(logSignerService);
            assert.equal(signers.length, 2);
            const outputs = await stackOutputs(d);
            let held: string[] = [];
            for (let i = 0; i < 60; i++) {
                const leases = JSON.parse(d.cp.kubectl(["get", "leases", "--namespace", namespace, "--output=json"])).items;
                held = leases.filter((l: any) => signers.includes(l.spec.holderIdentity)).map((l: any) => `${l.metadata.name}=${l.spec.holderIdentity}`);
                if (held.length >= 2) break;
                await new Promise((r) => setTimeout(r, 1000));
            }
            assert.equal(held.length, 2, `leases held by the signers: ${held.join(", ")}`);
            for (const tree of [outputs.rekorTreeId, outputs.ctlogTreeId])
                assert.ok(
                    held.some((h) => h.includes(tree)),
                    `no lease for tree ${tree}: ${held.join(", ")}`,
                );
        });

        it("the Rekor tree's lease holder lost mid-load (killed, never restarted: its node is gone): the other signer takes over within the lease, nothing acknowledged is lost, no fork", async function () {
            const outputs = await stackOutputs(d);
            const holderOf = (tree: string): string | undefined =>
                JSON.parse(d.cp.kubectl(["get", "leases", "--namespace", namespace, "--output=json"])).items.find((l: any) => l.metadata.name.includes(tree))
                    ?.spec.holderIdentity;
            /**
             * The signer holding the Rekor tree's Lease now. A leader resigns every 10–25 s and takes its
             * Lease back at once; in between the Lease names nobody, so wait for a holder.
             */
            const currentLeader = async () => {
                for (let i = 0; i < 100; i++) {
                    const holder = holderOf(outputs.rekorTreeId);
                    const name = holder ? d.runner.cluster.processName(logSignerService, holder) : undefined;
                    const process = d.runner.cluster.processes.find((p) => p.name === name && p.child.exitCode === null);
                    if (holder && process) return { holder, process };
                    await new Promise((r) => setTimeout(r, 100));
                }
                throw new Error(`no running signer holds the Rekor tree's Lease (${holderOf(outputs.rekorTreeId) ?? "no Lease"})`);
            };
            const rekorUrl = `http://127.0.0.1:${d.runner.cluster.localPort("rekor-server", 3000)}`;
            const load = rekorV1Load({ rekorUrl, rekorIndexSearch: (digest) => rekorIndexSearch(rekorUrl, digest) }, 8);
            let victim: Awaited<ReturnType<typeof currentLeader>> | undefined;
            const inject = async () => {
                victim = await currentLeader(); // the leader at the moment of the fault
                const killedAt = Date.now();
                victim.process.child.kill("SIGKILL");
                return killedAt;
            };
            let report: FaultReport;
            try {
                [report] = await throughFault("the Rekor tree's lease holder", [load], inject, {
                    concurrency: 8,
                    durationMs: 30_000,
                    maxRequests: 5000,
                    faultAfterMs: 2000,
                    downMs: 0,
                });
            } finally {
                await victim?.process.restart(); // its replacement pod, for the tests after this one
            }
            console.log(`      lease holder lost: ${JSON.stringify(report)}`);
            assert.equal(report.lost, 0, "acknowledged entries are not in the log");
            assert.ok(report.consistent, "the tree heads before and after the fault are not consistent: a fork");
            assert.equal(report.duplicates, 0);
            assert.equal(report.retried!.failedAgain, 0);
            const leaseSeconds = 15 + 2; // trillianSignerLeaseDuration + trillianSignerLeaseRetryPeriod
            assert.ok(report.recoveryMs < (leaseSeconds + 5) * 1000, `writes resumed only after ${report.recoveryMs} ms`);
            assert.notEqual(holderOf(outputs.rekorTreeId), victim!.holder, "the lease did not move");
        });

        it("cosign v3 signs through the chained CA and verifies", async function () {
            const result = await lab.signAndVerify(d);
            assert.match(result.verify, /Verified OK/);
            assert.notEqual(result.tampered, 0);
        });

        it("policyController deploy: the real webhook, registered with the API server, admits the signed image's Pod and denies the unsigned one, naming our policy; off again removes it", async function () {
            const registry = await startRegistry(lab.binaries.registry, lab.binaries.crane, path.join(d.work, "registry"));
            const webhookRunner = new PodRunner(d.cp, {
                namespace: "cosign-system",
                workDir: path.join(d.work, "policy-controller-pods"),
                binaries: lab.binaries,
                database: d.database,
                portForwards: [],
                log: (l) => console.log(`      [policy-controller] ${l}`),
                sharesHost: true,
            });
            const optedIn = "signed-only";
            try {
                const signed = await registry.pushRandomImage("team/app", "v1");
                const unsigned = await registry.pushRandomImage("team/unsigned", "v1");
                await lab.signImage(d, signed);

                webhookRunner.watch();
                await d.stack.setConfig("sigstore:policyController", { value: "deploy" });
                const up = await operation(d, (onEvent) => d.stack.up({ onEvent }));
                const changes = up.summary.resourceChanges ?? {};
                // Namespace, ServiceAccount, ClusterRole + binding, Role + binding, the certs Secret, three
                // ConfigMaps, four webhook configurations, Deployment, Service, NetworkPolicy, the component;
                // the policies already there (policyControllerResources) now wait for the webhook: no change.
                assert.deepEqual([changes.create, changes.replace, changes.delete], [18, undefined, undefined], JSON.stringify(changes));
                await webhookRunner.settle();
                // The webhook reconciles its configurations: rules and its own CA bundle.
                let hook: any;
                for (let i = 0; i < 60 && !(hook?.rules?.length && hook?.clientConfig?.caBundle); i++) {
                    hook = JSON.parse(d.cp.kubectl(["get", "validatingwebhookconfiguration", "policy.sigstore.dev", "--output=json"])).webhooks[0];
                    await new Promise((r) => setTimeout(r, 1000));
                }
                assert.ok(hook.rules.length > 0 && hook.clientConfig.caBundle, `the webhook did not reconcile its configuration: ${JSON.stringify(hook)}`);

                d.cp.kubectl(["create", "namespace", optedIn]);
                d.cp.kubectl(["label", "namespace", optedIn, "policy.sigstore.dev/include=true"]);
                const runPod = (name: string, image: string, ns = optedIn) => {
                    try {
                        d.cp.kubectl(["run", name, `--image=${image}`, "--namespace", ns, "--restart=Never"]);
                        return { admitted: true, message: "" };
                    } catch (e: any) {
                        return { admitted: false, message: String(e.stderr ?? e.message) };
                    }
                };
                for (let i = 0; i < 30 && !d.cp.kubectl(["get", "serviceaccounts", "--namespace", optedIn]).includes("default"); i++)
                    await new Promise((r) => setTimeout(r, 1000));
                const admitted = runPod("signed", signed);
                assert.ok(admitted.admitted, `the signed image was denied:\n${admitted.message}`);
                const denied = runPod("unsigned", unsigned);
                assert.ok(!denied.admitted, "the unsigned image was admitted");
                const policyName = (await stackOutputs(d)).verificationPolicy.clusterImagePolicy.metadata.name;
                assert.match(denied.message, /admission webhook "policy\.sigstore\.dev" denied the request/);
                assert.ok(denied.message.includes(`failed policy: ${policyName}`), `the denial does not name our policy:\n${denied.message}`);
                console.log(`      a denied Pod: ${denied.message.trim()}`);
                assert.ok(runPod("unsigned", unsigned, "default").admitted, "a namespace that did not opt in was enforced");

                // What the webhook wrote (certificates, reconciled ConfigMaps and configurations) is left to it.
                await operation(d, (onEvent) => d.stack.refresh({ onEvent }));
                await operation(d, (onEvent) => d.stack.preview({ expectNoChanges: true, onEvent }));
            } finally {
                try {
                    d.cp.kubectl(["delete", "namespace", optedIn, "--ignore-not-found", "--wait=false"]);
                    d.cp.kubectl(["delete", "pod", "unsigned", "--namespace", "default", "--ignore-not-found"]);
                    // The webhook put its finalizer on the policies: they go in the same `up`, before it (they
                    // depend on it), or nothing could delete them afterwards. Then the policies come back alone.
                    await d.stack.setConfig("sigstore:policyController", { value: "off" });
                    await d.stack.setConfig("sigstore:policyControllerResources", { value: "false" });
                    const down = await operation(d, (onEvent) => d.stack.up({ onEvent }));
                    assert.equal(down.summary.resourceChanges?.delete, 21, JSON.stringify(down.summary.resourceChanges));
                } finally {
                    await webhookRunner.stop();
                    await registry.stop();
                }
                await d.stack.setConfig("sigstore:policyControllerResources", { value: "true" });
                const back = await operation(d, (onEvent) => d.stack.up({ onEvent }));
                assert.equal(back.summary.resourceChanges?.create, 3, JSON.stringify(back.summary.resourceChanges));
            }
        });

        it("ctlogKeyGeneration 2 (protected, internal TLS): one `up` makes a new log, freezes the old tree over TLS, Fulcio moves to the new log; signatures before and after verify", async function () {
            // Created: the key, its password, the createtree Command, the tree ConfigMap, the freeze Command and its ConfigMap.
            const { before, after } = await lab.rotate(d, "ctlogKeyGeneration", { creates: 6 }, ["ctlog", "fulcio-server"]);
            assert.deepEqual(
                after.ctlogs.map((l: any) => [l.treeId, l.prefix]),
                [
                    [before.ctlogTreeId, "sigstore"],
                    [after.ctlogTreeId, "sigstore-g2"],
                ],
            );
            assert.equal(mysql(`SELECT TreeState FROM Trees WHERE TreeId = ${before.ctlogTreeId}`, d.database, d.runner.databaseServer).trim(), "FROZEN");
            const state = await d.stack.exportStack();
            const freeze = (state.deployment.resources as any[]).find((r) => r.type === "command:local:Command" && r.urn.endsWith("::trillian-freeze-ctlog"));
            assert.ok(freeze?.protect, "the freeze Command is not protected");
        });

        it("moves to Rekor v2 in one `up` (protected, internal TLS): the v2 log starts, then Rekor v1's tree is frozen and stays served; signatures before and after verify", async function () {
            // Created: the RekorV2 component, its key, signer Secret, volume, read-path ConfigMap, Service, StatefulSet,
            // Ingress, NetworkPolicy and ServiceMonitor; Rekor v1's freeze Command and its ConfigMap; and, prod backing up,
            // the RekorV2Backup component, its script ConfigMap, backup volume and CronJob. Nothing replaced but the TUF
            // files, nothing deleted.
            const { before, after } = await lab.change(
                d,
                "rekor-v2",
                { rekorVersion: "v2", rekorKeyGeneration: "2", rekorV2FromGeneration: "2" },
                { creates: 16, replaces: 0 },
                [],
            );
            assert.equal(mysql(`SELECT TreeState FROM Trees WHERE TreeId = ${before.rekorTreeId}`, d.database, d.runner.databaseServer).trim(), "FROZEN");
            assert.equal(after.rekorShards[0].treeId, before.rekorTreeId);
            const tlogs = JSON.parse(after.trustedRoot).tlogs;
            assert.deepEqual(
                tlogs.map((t: any) => [t.baseUrl, t.publicKey.validFor.end]),
                [
                    [after.urls.rekor, after.rekorShards[0].frozenAt],
                    [after.rekorV2Log.url, undefined],
                ],
            );
            assert.deepEqual(
                JSON.parse(after.signingConfig).rekorTlogUrls.map((u: any) => [u.url, u.majorApiVersion]),
                [[after.rekorV2Log.url, 2]],
            );
            const cronJobs = JSON.parse(d.cp.kubectl(["get", "cronjobs", "--namespace", namespace, "--output=json"])).items;
            assert.ok(
                cronJobs.some((c: any) => c.metadata.name === "rekor-v2-backup"),
                "the new log is backed up like the database",
            );
            const state = await d.stack.exportStack();
            for (const name of ["rekor-v2-signing-key", "rekor-v2-data", "rekor-v2-backup-volume", "trillian-freeze-rekor"]) {
                const r = (state.deployment.resources as any[]).find((x) => x.urn.endsWith(`::${name}`));
                assert.ok(r?.protect, `${name} is protected`);
            }
        });

        it("preview --expect-no-changes passes right after up", async function () {
            await operation(d, (onEvent) => d.stack.preview({ expectNoChanges: true, onEvent }));
        });

        it("fulcioCaGeneration 2 previews on the protected stack: the new CA is created, only unprotected copies are replaced", async function () {
            await d.stack.setConfig("sigstore:fulcioCaGeneration", { value: "2" });
            try {
                const preview = await operation(d, (onEvent) => d.stack.preview({ onEvent }));
                const changes = preview.changeSummary as Record<string, number>;
                // Created: the generation-2 key, certificate request, certificate and key password. Replaced: the
                // CA Secret, Fulcio's ConfigMap, the CT log's roots and the TUF repository's files (auto-named, their data changed).
                assert.deepEqual([changes.create, changes.replace, changes.delete], [4, 4, undefined], JSON.stringify(changes));
            } finally {
                await d.stack.removeConfig("sigstore:fulcioCaGeneration");
            }
        });

        it("a signing rate the volume cannot hold: the engine's preview warns, naming databaseStorageSize and the size needed", async function () {
            const warned = new Diagnostics(); // kept apart from d.warnings: this warning is the point here
            await d.stack.setConfig("sigstore:expectedSigningsPerDay", { value: "100000" });
            try {
                await d.stack.preview({ onEvent: warned.onEvent });
            } finally {
                await d.stack.setConfig("sigstore:expectedSigningsPerDay", { value: "2000" });
            }
            assert.ok(
                warned.warnings.some((w) => /databaseStorageSize 64Gi is below the \d+Gi that 100000 signings a day kept 10 years need/.test(w)),
                JSON.stringify(warned.warnings),
            );
        });

        it("destroy is refused, and no protected object is deleted", async function () {
            const state = await d.stack.exportStack();
            const protectedObjects = (state.deployment.resources as any[])
                .filter((r) => r.protect && r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes")
                .map((r) => `${r.type.split(":")[2]}/${r.outputs?.metadata?.name}`);
            assert.ok(
                protectedObjects.some((o) => o.startsWith("PersistentVolumeClaim/")),
                `protected: ${protectedObjects.join(", ")}`,
            );
            await assert.rejects(
                operation(d, (onEvent) => d.stack.destroy({ onEvent })),
                /protected/,
            );
            const kinds: Record<string, string> = {
                PersistentVolumeClaim: "pvc",
                ConfigMap: "configmap",
                Secret: "secret",
                Namespace: "namespace",
                StatefulSet: "statefulset",
            };
            for (const object of protectedObjects) {
                const [kind, name] = object.split("/");
                const args = ["get", kinds[kind] ?? kind.toLowerCase(), name, "--ignore-not-found", "--output=name"];
                if (kind !== "Namespace") args.push("--namespace", namespace);
                assert.notEqual(d.cp.kubectl(args).trim(), "", `${object} was deleted`);
            }
            assert.deepEqual(trees(d).length, 3, "Rekor's tree and both CT logs' trees (the rotation above added one)");
        });
    });
});
