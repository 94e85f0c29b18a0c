/**
 * Where the cluster suite finds its toolchain, and what is missing.
 *  - Built by cluster/toolchain.sh from the Go module proxy, cached in $SIGSTORE_E2E_CACHE/cluster/bin:
 *    etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, kwokctl, the
 *    Pulumi CLI (version of @pulumi/pulumi) and the Kubernetes provider plugin.
 *  - Provider plugins, as an offline user installs them: `pulumi plugin install resource NAME VERSION
 *    --file DIR/pulumi-resource-NAME` from the directory $SIGSTORE_PLUGIN_DIR (default
 *    ~/pulumi-plugins). command, tls and random must be there (the Go module proxy does not serve
 *    them); kubernetes is taken from there too if present, else from the build above.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheDir, goEnv } from "../e2e/binaries";

export const repoRoot = path.resolve(__dirname, "..");
export const toolchainRoot = path.join(cacheDir, "cluster");
export const toolchainBin = path.join(toolchainRoot, "bin");
export const pluginDir = process.env.SIGSTORE_PLUGIN_DIR ?? path.join(os.homedir(), "pulumi-plugins");

const goPieces = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok", "kwokctl", "pulumi", "pulumi-resource-kubernetes"];

/** The provider plugins the program uses, at the versions its npm packages request. */
export function pluginVersions(): Record<string, string> {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));
    const deps: Record<string, string> = pkg.dependencies;
    return {
        kubernetes: deps["@pulumi/kubernetes"],
        command: deps["@pulumi/command"],
        tls: deps["@pulumi/tls"],
        random: deps["@pulumi/random"],
    };
}

/** Path of a provider plugin binary: the plugin directory first, then (kubernetes only) the build. */
export function pluginBinary(name: string): string | undefined {
    const given = path.join(pluginDir, `pulumi-resource-${name}`);
    if (isExecutable(given)) return given;
    const built = path.join(toolchainBin, `pulumi-resource-${name}`);
    return name === "kubernetes" && isExecutable(built) ? built : undefined;
}

function isExecutable(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

/**
 * The plugins this machine cannot build from the Go module proxy and does not have, each with what
 * to install; empty when the suite can run.
 */
export function missingPlugins(): string[] {
    const versions = pluginVersions();
    return ["command", "tls", "random"]
        .filter((name) => !pluginBinary(name))
        .map(
            (name) =>
                `${path.join(pluginDir, `pulumi-resource-${name}`)} (pulumi-${name} provider v${versions[name]}: the Go module proxy does not serve it; ` +
                `build it from github.com/pulumi/pulumi-${name} at that tag, or copy it from a machine that has the plugin, e.g. ` +
                `~/.pulumi/plugins/resource-${name}-v${versions[name]}/pulumi-resource-${name})`,
        );
}

/** Builds whatever Go-module piece is missing (cluster/toolchain.sh; a warm cache builds nothing). */
export function ensureToolchain(log: (line: string) => void = () => {}): void {
    ensureDynamicProviderHost();
    const missing = goPieces.filter((b) => !isExecutable(path.join(toolchainBin, b)));
    if (!monitoringCrdFiles().every((f) => fs.existsSync(f))) missing.push("the Prometheus Operator CRDs");
    if (!policyControllerCrdFiles().every((f) => fs.existsSync(f))) missing.push("the policy-controller CRDs");
    if (missing.length === 0) return;
    log(`building ${missing.join(", ")} from the Go module proxy (cold cache: about 45 minutes on 2 cores)`);
    execFileSync("bash", [path.join(repoRoot, "cluster", "toolchain.sh")], { env: goEnv(), stdio: ["ignore", "inherit", "inherit"] });
}

/**
 * The Node.js dynamic provider host (the TUF repository's `tuf-schedule` resource): release archives
 * ship `pulumi-resource-pulumi-nodejs` beside `pulumi`, a small shell script that runs the SDK's
 * cmd/dynamic-provider from the program's node_modules (the engine starts it in the project
 * directory). The CLI built here has none; this one is ours, where a release keeps it.
 */
export function ensureDynamicProviderHost(): void {
    const host = path.join(toolchainBin, "pulumi-resource-pulumi-nodejs");
    if (isExecutable(host)) return;
    fs.mkdirSync(toolchainBin, { recursive: true });
    fs.writeFileSync(host, "#!/bin/sh\nnode ./node_modules/@pulumi/pulumi/cmd/dynamic-provider $@\n", { mode: 0o755 });
}

/** A version pinned in cluster/versions.sh (what toolchain.sh builds). */
export function toolchainVersion(
    name:
        | "ETCD_VERSION"
        | "KUBERNETES_VERSION"
        | "KWOK_VERSION"
        | "PULUMI_VERSION"
        | "PROVIDER_KUBERNETES_VERSION"
        | "PROMETHEUS_OPERATOR_VERSION"
        | "POLICY_CONTROLLER_VERSION",
): string {
    const m = new RegExp(`^${name}=(\\S+)$`, "m").exec(fs.readFileSync(path.join(repoRoot, "cluster", "versions.sh"), "utf8"));
    if (!m) throw new Error(`cluster/versions.sh does not set ${name}`);
    return m[1];
}

/** The Prometheus Operator's CRD manifests (ServiceMonitor, PrometheusRule) from the module cache. */
export function monitoringCrdFiles(): string[] {
    const dir = path.join(
        cacheDir,
        "gomod",
        "github.com",
        "prometheus-operator",
        `prometheus-operator@${toolchainVersion("PROMETHEUS_OPERATOR_VERSION")}`,
        "example",
        "prometheus-operator-crd",
    );
    return ["monitoring.coreos.com_servicemonitors.yaml", "monitoring.coreos.com_prometheusrules.yaml"].map((f) => path.join(dir, f));
}

/** Sigstore policy-controller's CRD manifests (TrustRoot, ClusterImagePolicy) from the module cache. */
export function policyControllerCrdFiles(): string[] {
    const dir = path.join(cacheDir, "gomod", "github.com", "sigstore", `policy-controller@${toolchainVersion("POLICY_CONTROLLER_VERSION")}`, "config");
    return ["300-trustroot.yaml", "300-clusterimagepolicy.yaml"].map((f) => path.join(dir, f));
}

/** A kwok source directory from the module cache (stage definitions), at the version toolchain.sh built. */
export function kwokModuleDir(): string {
    return path.join(cacheDir, "gomod", "sigs.k8s.io", `kwok@${toolchainVersion("KWOK_VERSION")}`);
}

if (require.main === module) {
    // `ts-node cluster/toolchain.ts check`: exit 3 (and say what to install) when plugins are missing.
    const missing = missingPlugins();
    if (missing.length > 0) {
        console.log(`cluster suite: provider plugins missing:\n  - ${missing.join("\n  - ")}`);
        process.exit(3);
    }
    if (process.argv[2] !== "check") ensureToolchain((l) => console.log(l));
    console.log("cluster suite: toolchain ready");
}

/**
 * The Node.js language host a plain `pulumi up` runs the program with. The Go module proxy does not
 * serve it: it is built from the fetched pulumi repository at the CLI's tag (../shared/toolchain-facts.md)
 * and must lie beside the `pulumi` binary, which resolves it as "bundled". Undefined when absent:
 * the suite's plain-CLI rung then says it was not run.
 */
export function languageHost(): string | undefined {
    const host = path.join(toolchainBin, "pulumi-language-nodejs");
    return isExecutable(host) ? host : undefined;
}
