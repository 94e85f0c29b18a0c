/**
 * One deployed stack, as the cluster suite and the benchmark make it: a control plane of its own, the
 * pod runner behind its simulated pods, and a stack made from a committed stack file and deployed
 * with the real CLI. Also the shared steps: engine operations with their warnings recorded, tree
 * counts, and signing with cosign v3 from the stack's outputs.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { Stack } from "@pulumi/pulumi/automation";
import { ensureBinaries } from "../e2e/binaries";
import { dropTrillianDatabase, forBlob, mysql, oidc, requireLocalServices, shellResult, writeClientMaterial } from "../e2e/harness";
import { logServerService, trillianPorts } from "../components/trillian";
import { tufPorts, tufService } from "../components/tuf-repository";
import { startIngress } from "../e2e/ingress";
import { ControlPlane } from "./control-plane";
import { PodRunner } from "./pod-runner";
import { cliEnv, CliEnvironment, createStack, Diagnostics, installPlugins, removeStack } from "./pulumi-cli";
import { ensureToolchain, missingPlugins, pluginVersions, repoRoot, toolchainBin, toolchainVersion } from "./toolchain";

export const namespace = "sigstore";
export const user = "alice@corp.example";

/**
 * Warnings expected from the engine, each with why; anything else fails the suite. (Admission
 * warnings do not come this way: the Kubernetes provider does not pass them on, so the suite asks
 * admission itself, ControlPlane.admissionWarnings.)
 */
export const expectedWarnings: Array<[RegExp, string]> = [
    [
        new RegExp(
            `resource plugin kubernetes is expected to have version >=${escape(pluginVersions().kubernetes)}, but has ${escape(toolchainVersion("PROVIDER_KUBERNETES_VERSION"))}`,
        ),
        "the Go module proxy serves only this version of pulumi-kubernetes (cluster/versions.sh)",
    ],
    [
        /^[a-z0-9-]+: \[MinimumReplicasUnavailable\] Deployment does not have minimum availability\.$/,
        "the provider's await reports a new Deployment's Available=False condition while its pods start; up then succeeds",
    ],
    [
        /^[a-z0-9-]+-service: ClusterIPNotAllocated: Cluster IP \[IPv4\]: [0-9.]+ is not allocated; repairing$/,
        "kube-apiserver's ClusterIP repair loop (ipallocator/controller/repairip.go) can see a new Service before its own " +
            "IPAddress cache has the address the allocator just made; seen once in five runs, on a Service that then worked",
    ],
];

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function unexpectedWarnings(warnings: string[]): string[] {
    return warnings.filter((w) => !expectedWarnings.some(([re]) => re.test(w)));
}

export interface Deployed {
    name: string;
    cp: ControlPlane;
    runner: PodRunner;
    /** Set once the stack exists (deploy returns only deployments that have one). */
    stack: Stack | undefined;
    work: string;
    /** The MariaDB database standing in for the in-cluster MySQL. */
    database: string;
    /** Warnings of every engine operation so far. */
    warnings: string[];
    upSeconds: number;
    created: number;
}

/** A deployment whose stack exists: what deploy() returns. */
export type LiveDeployment = Deployed & { stack: Stack };

export interface StackExtras {
    config?: Record<string, string>;
    secrets?: Record<string, string>;
}

export class ClusterLab {
    readonly work = fs.mkdtempSync(path.join(os.tmpdir(), "sigstore-cluster-"));
    readonly env: CliEnvironment = { home: path.join(this.work, "pulumi-home"), stateDir: path.join(this.work, "state"), path: [toolchainBin] };
    binaries!: ReturnType<typeof ensureBinaries>;
    private issuer?: { issuer: string; stop: () => Promise<unknown> };
    private getIdToken!: (o: { issuer: string; clientId: string; user: string }) => Promise<string>;

    /** Deployments not torn down yet: stopped on process exit too (mocha's exit, a signal, a crash). */
    private readonly live = new Set<Deployed>();

    constructor(private readonly log: (line: string) => void = () => {}) {
        process.once("exit", () => {
            for (const d of this.live) {
                for (const p of d.runner.cluster.processes) p.child.kill("SIGKILL");
                d.cp.stop();
            }
        });
    }

    /** Plugins, toolchain, the real binaries, and the OIDC issuer. Throws, saying what to install, when plugins are missing. */
    async setup(): Promise<void> {
        const missing = missingPlugins();
        if (missing.length > 0) throw new Error(`provider plugins missing, install them first:\n  - ${missing.join("\n  - ")}`);
        requireLocalServices();
        ensureToolchain(this.log);
        this.binaries = ensureBinaries(this.log);
        installPlugins(this.env);
        const o = await oidc();
        this.issuer = await o.startIssuer({ port: 0, realm: "sigstore", clientId: "sigstore" });
        this.getIdToken = o.getIdToken;
    }

    async close(keepWork = false): Promise<void> {
        await this.issuer?.stop();
        if (!keepWork) fs.rmSync(this.work, { recursive: true, force: true });
    }

    /**
     * The plain CLI on a deployed stack, as a user types it in the project directory: `pulumi <args>
     * -s <stack>`, the program run by the Node.js language host (cluster/toolchain.ts languageHost),
     * the same backend, passphrase and plugins as the Automation API runs. Resolves with the exit
     * status and everything the CLI printed.
     */
    async plainCli(d: LiveDeployment, args: string[]): Promise<{ status: number; output: string }> {
        return shellResult(
            promisify(execFile)(path.join(toolchainBin, "pulumi"), [...args, "--stack", d.name, "--non-interactive", "--color", "never"], {
                cwd: repoRoot,
                timeout: 300_000,
                maxBuffer: 64 * 1024 * 1024,
                env: { ...process.env, ...cliEnv(this.env) },
            }),
        );
    }

    /** A cluster of its own, the pod runner, the stack configured from Pulumi.<from>.yaml; then the first `up`. */
    async deploy(name: string, from: "dev" | "prod", extra: StackExtras = {}): Promise<LiveDeployment> {
        const dir = path.join(this.work, name);
        const cp = ControlPlane.start(`sigstore-${name}`, path.join(dir, "control-plane"));
        const database = `sigstore_${name.replace(/-/g, "_")}`;
        const runner = new PodRunner(cp, {
            namespace,
            workDir: path.join(dir, "pods"),
            binaries: this.binaries,
            database,
            portForwards: [
                { app: logServerService, port: trillianPorts.grpc },
                // How a client outside the cluster reaches the TUF repository here (`kubectl port-forward`).
                { app: tufService, port: tufPorts.http },
            ],
            log: (l) => this.log(`[pods] ${l}`),
        });
        const d: Deployed = { name, cp, runner, stack: undefined, work: dir, database, warnings: [], upSeconds: 0, created: 0 };
        this.live.add(d);
        try {
            await runner.preparePortForwards();
            runner.watch();
            const stack = (d.stack = await createStack(
                {
                    name,
                    from,
                    config: {
                        kubeconfig: cp.kubeconfig,
                        createtreeBinary: this.binaries.createtree,
                        updatetreeBinary: this.binaries.updatetree,
                        oidcIssuerUrl: this.issuer!.issuer,
                        emailDomain: "corp.example",
                        ...extra.config,
                    },
                    secrets: extra.secrets,
                },
                this.env,
            ));
            const started = performance.now();
            const result = await operation(d, (onEvent) => stack.up({ onEvent })).catch((e) => {
                runner.check(); // a server that failed to start explains a failed up best
                throw e;
            });
            d.upSeconds = (performance.now() - started) / 1000;
            d.created = result.summary.resourceChanges?.create ?? 0;
            await runner.settle();
            this.log(`${name}: up ${JSON.stringify(result.summary.resourceChanges)} in ${d.upSeconds.toFixed(1)} s`);
            return d as LiveDeployment;
        } catch (e) {
            await this.teardown(d);
            throw e;
        }
    }

    async teardown(d: Deployed | undefined): Promise<void> {
        if (!d) return;
        this.live.delete(d);
        await d.runner.stop();
        d.cp.stop();
        await removeStack(d.stack, d.name);
        dropTrillianDatabase(d.database);
    }

    /**
     * cosign v3 with the stack's own commands, trusted root and signing config (URLs → the local
     * servers): signs the blob `<name>.txt` (bundle `<name>.sigstore.json`) and verifies it, then with a
     * wrong identity and as a tampered copy.
     */
    async signAndVerify(d: LiveDeployment, name = "artifact"): Promise<{ verify: string; wrongIdentity: number; tampered: number }> {
        const outputs = await stackOutputs(d);
        const { dir, sh } = this.client(d, outputs);
        fs.writeFileSync(path.join(dir, `${name}.txt`), `release of ${d.name}: ${name}\n`);
        const token = await this.getIdToken({ issuer: this.issuer!.issuer, clientId: "sigstore", user });
        const sign = await sh(`${forBlob(outputs.cosign.v3.sign, name)} --identity-token="$ID_TOKEN"`, { ID_TOKEN: token });
        assert.equal(sign.status, 0, `cosign sign-blob failed:\n${sign.output}`);
        const verify = await sh(forBlob(outputs.cosign.v3.verify, name));
        assert.equal(verify.status, 0, `cosign verify-blob failed:\n${verify.output}`);
        if (outputs.timestampAuthority.enabled) {
            // Signed through the timestamp authority too: the bundle carries its RFC 3161 timestamp, and verification can rest on it.
            const bundle = JSON.parse(fs.readFileSync(path.join(dir, `${name}.sigstore.json`), "utf8"));
            assert.equal(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.length, 1, "no timestamp from the TSA in the bundle");
            const onTimestamp = await sh(`${forBlob(outputs.cosign.v3.verify, name)} --use-signed-timestamps`);
            assert.equal(onTimestamp.status, 0, `cosign verify-blob --use-signed-timestamps failed:\n${onTimestamp.output}`);
        }
        const wrongIdentity = (await sh(forBlob(outputs.cosign.v3.verify, name).replace("corp\\.example", "other\\.example"))).status;
        fs.writeFileSync(path.join(dir, `${name}.tampered.txt`), `release of ${d.name}: ${name}\ntampered\n`);
        fs.copyFileSync(path.join(dir, `${name}.sigstore.json`), path.join(dir, `${name}.tampered.sigstore.json`));
        const tampered = (await sh(forBlob(outputs.cosign.v3.verify, `${name}.tampered`))).status;
        return { verify: verify.output, wrongIdentity, tampered };
    }

    /**
     * A key rotation of a running stack, as a user runs it: signs `<configKey>-before`, raises
     * `configKey` to `expected.to` (2), one `up` that must create `expected.creates` resources, replace
     * `expected.replaces` (default 1: the Secret carrying the keys; the provider replaces an
     * auto-named Secret whose data changes) and delete `expected.deletes` (none), the rollouts of
     * `apps`; then signs `<configKey>-after` and verifies the earlier signature with the rotated trust
     * material. Returns the stack outputs from before and after.
     */
    async rotate(
        d: LiveDeployment,
        configKey: string,
        expected: { creates: number; replaces?: number; deletes?: number; to?: number },
        apps: string[],
    ): Promise<{ before: Record<string, any>; after: Record<string, any> }> {
        return this.change(d, configKey, { [configKey]: String(expected.to ?? 2) }, expected, apps);
    }

    /**
     * A config change of a running stack (a rotation, a move to Rekor v2): signs `<label>-before`,
     * sets `config`, one `up` with exactly the expected creates, replaces (plus the TUF files'
     * ConfigMap, whose trusted root changed) and deletes, the rollouts of `apps`; then signs
     * `<label>-after` and verifies the earlier signature with the new trust material.
     */
    async change(
        d: LiveDeployment,
        label: string,
        config: Record<string, string>,
        expected: { creates: number; replaces?: number; deletes?: number },
        apps: string[],
    ): Promise<{ before: Record<string, any>; after: Record<string, any> }> {
        const before = await stackOutputs(d);
        await this.signAndVerify(d, `${label}-before`);
        for (const [key, value] of Object.entries(config)) await d.stack.setConfig(`sigstore:${key}`, { value });
        const result = await operation(d, (onEvent) => d.stack.up({ onEvent }));
        const changes = result.summary.resourceChanges ?? {};
        // With the TUF repository, its files' ConfigMap too: the trusted root it serves changed.
        const tuf = before.tufRepository.enabled === true;
        const replaces = (expected.replaces ?? 1) + (tuf ? 1 : 0);
        assert.deepEqual(
            [changes.create, changes.replace, changes.delete],
            [expected.creates, replaces || undefined, expected.deletes || undefined],
            JSON.stringify(changes),
        );
        for (const app of [...apps, ...(tuf ? [tufService] : [])]) await d.runner.restart(app); // the rollouts the new pod templates ask for
        assert.match((await this.signAndVerify(d, `${label}-after`)).verify, /Verified OK/);
        const earlier = await this.verify(d, `${label}-before`);
        assert.equal(earlier.status, 0, `the signature made before the change no longer verifies:\n${earlier.output}`);
        return { before, after: await stackOutputs(d) };
    }

    /**
     * A client that knows only the TUF repository: `cosign initialize` from the exported initial root
     * through `kubectl port-forward` to the TUF Service, then keyless sign-blob and verify-blob with
     * no --trusted-root and no --signing-config. The signing config it fetched names the stack's
     * public URLs; e2e/ingress.ts stands in for the ingress controller behind them.
     */
    async signWithServedTrust(d: LiveDeployment, name = "tuf"): Promise<{ initialize: string; verify: string }> {
        const outputs = await stackOutputs(d);
        const dir = path.join(d.work, "tuf-client");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "root.json"), outputs.tufRoot);
        fs.writeFileSync(path.join(dir, `${name}.txt`), `release of ${d.name}: ${name}\n`);
        const forward = await d.cp.portForward(namespace, `service/${tufService}`, tufPorts.http);
        const ingress = await startIngress(d.runner.cluster, path.join(dir, "ingress"));
        try {
            const env = {
                PATH: `${path.dirname(this.binaries.cosign)}:${process.env.PATH}`,
                HOME: dir,
                TUF_ROOT: path.join(dir, "tuf"),
                SSL_CERT_FILE: ingress.caFile,
                ID_TOKEN: await this.getIdToken({ issuer: this.issuer!.issuer, clientId: "sigstore", user }),
            };
            const sh = (command: string) => shellResult(promisify(execFile)("bash", ["-c", command], { cwd: dir, timeout: 120_000, env }));
            const init = await sh(
                `cosign initialize --mirror=http://127.0.0.1:${forward.port} --root=root.json --root-checksum=${outputs.tufRepository.rootChecksum}`,
            );
            assert.equal(init.status, 0, `cosign initialize failed:\n${init.output}`);
            const sign = await sh(`cosign sign-blob --yes --bundle=${name}.sigstore.json --identity-token="$ID_TOKEN" ${name}.txt`);
            assert.equal(sign.status, 0, `cosign sign-blob failed:\n${sign.output}`);
            const verify = await sh(
                `cosign verify-blob --bundle=${name}.sigstore.json --certificate-identity=${user} --certificate-oidc-issuer=${this.issuer!.issuer} ${name}.txt`,
            );
            assert.equal(verify.status, 0, `cosign verify-blob failed:\n${verify.output}`);
            return { initialize: init.output, verify: verify.output };
        } finally {
            await ingress.stop();
            forward.stop();
        }
    }

    /**
     * Signs `image` (a digest reference) with the stack's image signing command as a developer runs it,
     * and verifies it with its image verify command. The command names the public URLs: e2e/ingress.ts
     * stands in for the ingress controller behind them.
     */
    async signImage(d: LiveDeployment, image: string): Promise<{ sign: string; verify: string }> {
        const outputs = await stackOutputs(d);
        const { dir, sh } = this.client(d, outputs);
        const ingress = await startIngress(d.runner.cluster, path.join(dir, "ingress"));
        try {
            const env = {
                IMAGE: image,
                SSL_CERT_FILE: ingress.caFile,
                ID_TOKEN: await this.getIdToken({ issuer: this.issuer!.issuer, clientId: "sigstore", user }),
            };
            const sign = await sh(`${outputs.cosign.images.sign} --identity-token="$ID_TOKEN"`, env);
            assert.equal(sign.status, 0, `cosign sign ${image} failed:\n${sign.output}`);
            const verify = await sh(outputs.cosign.images.verify, env);
            assert.equal(verify.status, 0, `cosign verify ${image} failed:\n${verify.output}`);
            return { sign: sign.output, verify: verify.output };
        } finally {
            await ingress.stop();
        }
    }

    /** Verifies the blob `<name>.txt` signed earlier with the stack's current verify command and trusted root. */
    async verify(d: LiveDeployment, name: string): Promise<{ status: number; output: string }> {
        const outputs = await stackOutputs(d);
        return this.client(d, outputs).sh(forBlob(outputs.cosign.v3.verify, name));
    }

    /** The client directory with the stack's current trust material, and a shell with cosign there. */
    private client(d: LiveDeployment, outputs: Record<string, any>) {
        const dir = path.join(d.work, "client");
        fs.mkdirSync(dir, { recursive: true });
        writeClientMaterial(dir, outputs, d.runner.cluster);
        const cosignEnv = { PATH: `${path.dirname(this.binaries.cosign)}:${process.env.PATH}`, HOME: dir, TUF_ROOT: path.join(dir, "tuf") };
        const sh = (command: string, extra: Record<string, string> = {}) =>
            shellResult(promisify(execFile)("bash", ["-c", command], { cwd: dir, timeout: 120_000, env: { ...cosignEnv, ...extra } }));
        return { dir, sh };
    }
}

/** An engine operation whose warnings are recorded on the deployment. */
export async function operation<T>(d: Deployed, op: (onEvent: Diagnostics["onEvent"]) => Promise<T>): Promise<T> {
    const diagnostics = new Diagnostics();
    try {
        return await op(diagnostics.onEvent);
    } finally {
        d.warnings.push(...diagnostics.warnings);
    }
}

export async function stackOutputs(d: LiveDeployment): Promise<Record<string, any>> {
    return Object.fromEntries(Object.entries(await d.stack.outputs()).map(([k, v]) => [k, v.value]));
}

/** What Pod Security admission says, asked again, about every Deployment and StatefulSet of the namespace. */
export function workloadAdmissionWarnings(d: Deployed): string[] {
    // CronJobs too (prod's backup): admission checks their pod template like any other.
    const workloads = JSON.parse(d.cp.kubectl(["get", "deployments,statefulsets,cronjobs", "--namespace", namespace, "--output=json"])).items;
    assert.ok(workloads.length >= 7, `only ${workloads.length} workloads in namespace ${namespace}`);
    return d.cp.admissionWarnings(namespace, workloads);
}

/** The trees in the deployment's Trillian database. */
export function trees(d: Deployed): string[] {
    return mysql("SELECT TreeId FROM Trees ORDER BY TreeId", d.database, d.runner.databaseServer).split("\n").filter(Boolean).sort();
}
