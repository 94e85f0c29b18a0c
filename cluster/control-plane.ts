/**
 * A real Kubernetes control plane on this machine: etcd, kube-apiserver (Pod Security admission on,
 * authorization on), kube-controller-manager and kube-scheduler, started by `kwokctl --runtime binary`
 * from local binaries only (no downloads), with one kwok-simulated node.
 *
 * kwok's stages are its defaults (node initialise + lease heartbeat, pod ready/complete/delete) plus
 * its volume stages (PVCs of the default `kwok-volume` StorageClass are provisioned and bound), read
 * from the kwok module at the version we build: giving kwokctl any stage replaces all its defaults.
 * The PortForward CRDs are on, so `kubectl port-forward` reaches local processes (ClusterPortForward).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { kwokModuleDir, monitoringCrdFiles, policyControllerCrdFiles, toolchainBin } from "./toolchain";

const stageFiles = [
    "node/fast/node-initialize.yaml",
    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
    "volume/fast/pvc-provision.yaml",
    "volume/fast/pv-bind.yaml",
    "volume/fast/pvc-delete.yaml",
    "volume/fast/pv-delete.yaml",
];

export class ControlPlane {
    readonly kubeconfig: string;

    private constructor(
        readonly name: string,
        readonly workDir: string,
    ) {
        this.kubeconfig = path.join(workDir, "kubeconfig");
    }

    /** Creates the cluster (about 5 s warm) and one Ready node; any old cluster of that name is removed first. */
    static start(name: string, workDir: string): ControlPlane {
        const cp = new ControlPlane(name, workDir);
        fs.mkdirSync(workDir, { recursive: true });
        cp.kwokctl(["delete", "cluster", "--name", name], true);
        const stages = path.join(workDir, "stages.yaml");
        const kwok = kwokModuleDir();
        fs.writeFileSync(stages, stageFiles.map((f) => fs.readFileSync(path.join(kwok, "kustomize", "stage", f), "utf8")).join("\n---\n"));
        const bin = (b: string) => path.join(toolchainBin, b);
        cp.kwokctl([
            "create",
            "cluster",
            "--name",
            name,
            "--runtime",
            "binary",
            "--config",
            stages,
            "--kubeconfig",
            cp.kubeconfig,
            "--etcd-binary",
            bin("etcd"),
            "--kube-apiserver-binary",
            bin("kube-apiserver"),
            "--kube-controller-manager-binary",
            bin("kube-controller-manager"),
            "--kube-scheduler-binary",
            bin("kube-scheduler"),
            "--kwok-controller-binary",
            bin("kwok"),
            "--enable-crds=PortForward,ClusterPortForward",
            // kwok's simulated pod IPs live in 10.0.0.0/16; keep Service IPs apart from them.
            "--extra-args=kube-apiserver=service-cluster-ip-range=10.96.0.0/16",
            // kwok's volume stages provision and bind PVCs themselves; the controller-manager's binder
            // racing them marks fresh claims Lost ("Data on the volume is lost!").
            "--extra-args=kube-controller-manager=controllers=*,-persistentvolume-binder-controller",
            "--wait",
            "120s",
        ]);
        cp.kubectl(["apply", "-f", path.join(kwok, "kustomize", "stage", "volume", "fast", "storage-class.yaml")]);
        cp.kwokctl(["scale", "node", "--name", name, "--replicas", "1"]);
        cp.kubectl(["wait", "--for=condition=Ready", "node", "--all", "--timeout=60s"]);
        // The Prometheus Operator's CRDs, as a cluster with the operator has them (prod's monitoring).
        cp.kubectl(["apply", "--server-side", ...monitoringCrdFiles().flatMap((f) => ["-f", f])]);
        // And policy-controller's, against which the verificationPolicy output is checked.
        cp.kubectl(["apply", "--server-side", ...policyControllerCrdFiles().flatMap((f) => ["-f", f])]);
        // ClusterImagePolicy converts between v1alpha1 (stored) and v1beta1 through policy-controller's
        // webhook, which does not run here: without it every read at the preferred v1beta1 (kubectl get,
        // the garbage collector finishing a foreground delete) fails and a delete never completes. Both
        // versions have the same fields, so the API server's own conversion (None) stands in for it.
        cp.kubectl([
            "patch",
            "crd",
            "clusterimagepolicies.policy.sigstore.dev",
            "--type=json",
            "--patch",
            JSON.stringify([{ op: "replace", path: "/spec/conversion", value: { strategy: "None" } }]),
        ]);
        cp.kubectl([
            "wait",
            "--for=condition=Established",
            "crd/servicemonitors.monitoring.coreos.com",
            "crd/prometheusrules.monitoring.coreos.com",
            "crd/trustroots.policy.sigstore.dev",
            "crd/clusterimagepolicies.policy.sigstore.dev",
            "--timeout=60s",
        ]);
        return cp;
    }

    /** kubectl (the built v1.35 one) against this cluster; returns stdout. */
    kubectl(args: string[], input?: string): string {
        return execFileSync(path.join(toolchainBin, "kubectl"), args, {
            env: { ...process.env, KUBECONFIG: this.kubeconfig },
            input,
            encoding: "utf8",
            stdio: ["pipe", "pipe", "pipe"],
            maxBuffer: 256 << 20,
        });
    }

    /**
     * `kubectl port-forward <target> :<port>` in the background, as a user reaches a Service from
     * outside the cluster: resolves with the local port kubectl chose once it forwards.
     */
    portForward(namespace: string, target: string, port: number): Promise<{ port: number; stop(): void }> {
        const child = spawn(path.join(toolchainBin, "kubectl"), ["port-forward", "--namespace", namespace, target, `:${port}`], {
            env: { ...process.env, KUBECONFIG: this.kubeconfig },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                child.kill();
                reject(new Error(`kubectl port-forward ${target} did not start:\n${output}`));
            }, 30_000);
            const onData = (chunk: Buffer) => {
                output += chunk.toString();
                const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
                if (!m) return;
                clearTimeout(timer);
                resolve({ port: Number(m[1]), stop: () => child.kill() });
            };
            child.stdout.on("data", onData);
            child.stderr.on("data", onData);
            child.on("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`kubectl port-forward ${target} exited with ${code}:\n${output}`));
            });
        });
    }

    /** Applies objects given as JSON values. */
    apply(...objects: object[]): void {
        this.kubectl(["apply", "-f", "-"], objects.map((o) => YAML.stringify(o)).join("---\n"));
    }

    /**
     * What admission says about `objects` if they were created now in `namespace`: a server-side
     * dry run of each as a new object (generateName), returning every "Warning:" line kubectl prints.
     * Pod Security's warn mode answers this way; the Pulumi Kubernetes provider does not pass such
     * warnings on as engine diagnostics, so this is how the suite hears them.
     */
    admissionWarnings(
        namespace: string,
        objects: Array<{ apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec: unknown }>,
    ): string[] {
        const warnings: string[] = [];
        for (const o of objects) {
            const copy = {
                apiVersion: o.apiVersion,
                kind: o.kind,
                metadata: { generateName: `${o.metadata.name}-`, namespace, labels: o.metadata.labels },
                spec: o.spec,
            };
            const r = spawnSync(path.join(toolchainBin, "kubectl"), ["create", "--dry-run=server", "-f", "-", "--output=name"], {
                env: { ...process.env, KUBECONFIG: this.kubeconfig },
                input: JSON.stringify(copy),
                encoding: "utf8",
            });
            if (r.status !== 0) throw new Error(`dry-run create of ${o.kind}/${o.metadata.name} failed: ${r.stderr}`);
            for (const line of r.stderr.split("\n")) if (line.startsWith("Warning:")) warnings.push(`${o.kind}/${o.metadata.name}: ${line}`);
        }
        return warnings;
    }

    /** A kubeconfig that authenticates as a ServiceAccount (what a pod's in-cluster config is). */
    serviceAccountKubeconfig(namespace: string, serviceAccount: string): string {
        const token = this.kubectl(["create", "token", serviceAccount, "--namespace", namespace, "--duration=2h"]).trim();
        const admin = YAML.parse(this.kubectl(["config", "view", "--raw", "--minify"]));
        const file = path.join(this.workDir, `kubeconfig-${namespace}-${serviceAccount}`);
        fs.writeFileSync(
            file,
            YAML.stringify({
                apiVersion: "v1",
                kind: "Config",
                "current-context": "pod",
                clusters: [{ name: "cluster", cluster: admin.clusters[0].cluster }],
                users: [{ name: serviceAccount, user: { token } }],
                contexts: [{ name: "pod", context: { cluster: "cluster", user: serviceAccount, namespace } }],
            }),
            { mode: 0o600 },
        );
        return file;
    }

    stop(): void {
        this.kwokctl(["delete", "cluster", "--name", this.name], true);
    }

    private kwokctl(args: string[], allowFailure = false): void {
        try {
            execFileSync(path.join(toolchainBin, "kwokctl"), args, {
                env: { ...process.env, KWOK_WORKDIR: path.join(this.workDir, "kwok"), PATH: `${toolchainBin}:${process.env.PATH}` },
                stdio: ["ignore", "pipe", "pipe"],
                encoding: "utf8",
            });
        } catch (e: any) {
            if (!allowFailure) throw new Error(`kwokctl ${args.join(" ")} failed:\n${e.stderr ?? e.message}`);
        }
    }
}
