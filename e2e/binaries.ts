/**
 * Builds the real Sigstore binaries with the Go toolchain from the Go module proxy, at exactly the
 * versions the program's images pin (versions.ts), into a cache kept between runs:
 *   $SIGSTORE_E2E_CACHE (default ~/.cache/sigstore-onprem-e2e)/{gomod,gocache,bin/<module>-<version>}
 * A warm run finds every binary and builds nothing.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { testTools, upstream } from "../versions";

export const cacheDir = process.env.SIGSTORE_E2E_CACHE ?? path.join(os.homedir(), ".cache", "sigstore-onprem-e2e");

interface GoBinary {
    pkg: string;
    version: string;
    dir: string;
    /** Built from a wrapper module (wrappers below) instead of `go install pkg@version`. */
    wrapper?: "policyController";
}

/** Binary name → Go package and the versions.ts entry it must match. */
const goBinaries = {
    trillian_log_server: { pkg: "github.com/google/trillian/cmd/trillian_log_server", version: upstream.trillian, dir: "trillian" },
    trillian_log_signer: { pkg: "github.com/google/trillian/cmd/trillian_log_signer", version: upstream.trillian, dir: "trillian" },
    createtree: { pkg: "github.com/google/trillian/cmd/createtree", version: upstream.trillian, dir: "trillian" },
    /** Freezes a retired Rekor tree (components/freezetree.sh), proven by the rotation e2e. */
    updatetree: { pkg: "github.com/google/trillian/cmd/updatetree", version: upstream.trillian, dir: "trillian" },
    ct_server: { pkg: "github.com/google/certificate-transparency-go/trillian/ctfe/ct_server", version: upstream.ctfe, dir: "ctgo" },
    "rekor-server": { pkg: "github.com/sigstore/rekor/cmd/rekor-server", version: upstream.rekor, dir: "rekor" },
    /** Rekor's index rebuild (docs/runbooks/backup-restore.md), proven by the backup e2e. */
    "backfill-index": { pkg: "github.com/sigstore/rekor/cmd/backfill-index", version: upstream.rekor, dir: "rekor" },
    fulcio: { pkg: "github.com/sigstore/fulcio", version: upstream.fulcio, dir: "fulcio" },
    cosign: { pkg: "github.com/sigstore/cosign/v3/cmd/cosign", version: upstream.cosign, dir: "cosign" },
    /** Rekor v2 on POSIX storage (rekor-tiles), proven by the Rekor v2 e2e. */
    posix: { pkg: "github.com/sigstore/rekor-tiles/v2/cmd/rekor-server/posix", version: upstream.rekorTiles, dir: "rekor-tiles" },
    /** The timestamp authority (RFC 3161), proven by the timestamp e2e. */
    "timestamp-server": { pkg: "github.com/sigstore/timestamp-authority/v2/cmd/timestamp-server", version: upstream.timestampAuthority, dir: "tsa" },
    /** The OCI registry images are pushed to and signed in (e2e/registry.ts). */
    registry: { pkg: "github.com/distribution/distribution/v3/cmd/registry", version: testTools.distribution, dir: "distribution" },
    /** Pushes and inspects images in that registry. */
    crane: { pkg: "github.com/google/go-containerregistry/cmd/crane", version: testTools.goContainerRegistry, dir: "ggcr" },
    /** policy-controller's admission webhook and its offline policy tester (built from a wrapper module, below). */
    webhook: {
        pkg: "github.com/sigstore/policy-controller/cmd/webhook",
        version: upstream.policyController,
        dir: "policy-controller",
        wrapper: "policyController",
    },
    tester: {
        pkg: "github.com/sigstore/policy-controller/cmd/tester",
        version: upstream.policyController,
        dir: "policy-controller",
        wrapper: "policyController",
    },
} satisfies Record<string, GoBinary>;

/**
 * Modules whose go.mod has `replace` lines cannot be built with `go install pkg@version` (the Go
 * command refuses replaces outside the main module). They are built from a wrapper module that
 * requires them and repeats the replaces, generated in the cache, never in this repository.
 */
const wrappers = {
    policyController: {
        module: "github.com/sigstore/policy-controller",
        version: upstream.policyController,
        // The replace lines of policy-controller v0.13.1's own go.mod.
        replaces: [
            "github.com/golang/glog => github.com/jdolitsky/glog v0.0.0-20220729172235-78744e90d087",
            "k8s.io/code-generator => k8s.io/code-generator v0.29.4",
            "k8s.io/kube-openapi => k8s.io/kube-openapi v0.0.0-20231010175941-2dd684a91f00",
        ],
    },
};

export type BinaryName = keyof typeof goBinaries;

export function goEnv(): NodeJS.ProcessEnv {
    return {
        ...process.env,
        GOMODCACHE: path.join(cacheDir, "gomod"),
        GOCACHE: path.join(cacheDir, "gocache"),
        GOFLAGS: "-modcacherw",
        // Use the machine's Go (>= the modules' go lines); never download a toolchain.
        GOTOOLCHAIN: "local",
    };
}

export function binDir(name: BinaryName): string {
    const b = goBinaries[name];
    return path.join(cacheDir, "bin", `${b.dir}-${b.version}`);
}

export function binaryPath(name: BinaryName): string {
    return path.join(binDir(name), name);
}

/** Builds whatever is missing; returns name → absolute path. */
export function ensureBinaries(log: (line: string) => void = () => {}): Record<BinaryName, string> {
    const out = {} as Record<BinaryName, string>;
    for (const name of Object.keys(goBinaries) as BinaryName[]) {
        const target = binaryPath(name);
        if (!fs.existsSync(target)) {
            const b = goBinaries[name];
            log(`building ${b.pkg}@${b.version} (cold cache: minutes)`);
            fs.mkdirSync(binDir(name), { recursive: true });
            if ("wrapper" in b) buildInWrapper(b.wrapper, b.pkg, target);
            else
                execFileSync("go", ["install", `${b.pkg}@${b.version}`], { env: { ...goEnv(), GOBIN: binDir(name) }, stdio: ["ignore", "inherit", "inherit"] });
        }
        out[name] = target;
    }
    return out;
}

/** Builds one package of a wrapped module: a go.mod that requires it at its version with its replaces. */
function buildInWrapper(wrapperName: keyof typeof wrappers, pkg: string, target: string): void {
    const w = wrappers[wrapperName];
    const dir = path.join(cacheDir, "wrappers", `${wrapperName}-${w.version}`);
    fs.mkdirSync(dir, { recursive: true });
    const goMod = [
        `module sigstore-onprem-e2e/${wrapperName}`,
        "",
        "go 1.24",
        "",
        `require ${w.module} ${w.version}`,
        "",
        ...w.replaces.map((r) => `replace ${r}`),
        "",
    ].join("\n");
    if (!fs.existsSync(path.join(dir, "go.mod")) || fs.readFileSync(path.join(dir, "go.mod"), "utf8") !== goMod) {
        fs.writeFileSync(path.join(dir, "go.mod"), goMod);
        fs.rmSync(path.join(dir, "go.sum"), { force: true });
    }
    const env = { ...goEnv(), GOFLAGS: "-modcacherw -mod=mod" };
    execFileSync("go", ["build", "-o", target, pkg], { cwd: dir, env, stdio: ["ignore", "inherit", "inherit"] });
}

/** Trillian's MySQL schema, from the module at the pinned version (never copied into this repo). */
export function trillianSchemaPath(): string {
    const dir = path.join(cacheDir, "gomod", "github.com", "google", `trillian@${upstream.trillian}`);
    if (!fs.existsSync(dir)) {
        execFileSync("go", ["mod", "download", `github.com/google/trillian@${upstream.trillian}`], { env: goEnv(), stdio: "inherit" });
    }
    return path.join(dir, "storage", "mysql", "schema", "storage.sql");
}

if (require.main === module) {
    const paths = ensureBinaries((l) => console.log(l));
    for (const [k, v] of Object.entries(paths)) console.log(`${k}: ${v}`);
}
