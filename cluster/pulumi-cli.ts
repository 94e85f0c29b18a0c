/**
 * The real Pulumi CLI, driven through the Automation API the way a user's `pulumi up` runs: an inline
 * program that loads our index.ts, `workDir` = the project (so the CLI reads and validates
 * Pulumi.yaml and the stack file), a `file://` backend, the passphrase secrets provider, and provider
 * plugins installed from a directory with automatic acquisition disabled (what an air-gapped user
 * does; docs/operations.md, "Air-gapped: the CLI and provider plugins").
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { pluginBinary, pluginVersions, repoRoot, toolchainBin, toolchainRoot } from "./toolchain";

export const projectName = "sigstore";

export interface CliEnvironment {
    /** PULUMI_HOME: plugins live here. */
    home: string;
    /** The file:// backend's directory. */
    stateDir: string;
    /** Extra PATH entries for the CLI and the providers it starts (kubectl for createtree.sh). */
    path: string[];
}

/** The environment every CLI run gets: offline, no update checks, no ambient plugins. */
export function cliEnv(env: CliEnvironment): Record<string, string> {
    return {
        PULUMI_HOME: env.home,
        PULUMI_BACKEND_URL: `file://${env.stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: "cluster-suite-passphrase",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        PATH: [...env.path, process.env.PATH].join(":"),
    };
}

/** `pulumi plugin install resource NAME VERSION --file BINARY` for every provider the program uses. */
export function installPlugins(env: CliEnvironment): void {
    fs.mkdirSync(env.home, { recursive: true });
    for (const [name, version] of Object.entries(pluginVersions())) {
        const binary = pluginBinary(name);
        if (!binary) throw new Error(`provider plugin ${name} is missing (see cluster/toolchain.ts)`);
        execFileSync(path.join(toolchainBin, "pulumi"), ["plugin", "install", "resource", name, version, "--file", binary], {
            env: { ...process.env, ...cliEnv(env) },
            stdio: ["ignore", "pipe", "pipe"],
        });
    }
}

/** The program as `pulumi up` runs it: index.ts, freshly loaded (config is read at load time). */
async function program(): Promise<Record<string, unknown>> {
    for (const id of Object.keys(require.cache)) {
        const rel = path.relative(repoRoot, id);
        if (!rel.startsWith("..") && !rel.split(path.sep).some((part) => ["node_modules", "cluster", "e2e", "tests"].includes(part))) delete require.cache[id];
    }
    // require, not import(): only require honours the cache entries just deleted, and with module
    // node16 TypeScript leaves import() native, outside ts-node's CommonJS hook.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(repoRoot, "index.ts"));
}

/** What one engine operation said: its warnings and errors (diagnostics), for the suite to check. */
export class Diagnostics {
    readonly warnings: string[] = [];
    readonly errors: string[] = [];

    readonly onEvent = (event: EngineEvent): void => {
        const d = event.diagnosticEvent;
        if (!d) return;
        const text = `${d.urn ? `${d.urn.split("::").pop()}: ` : ""}${d.message.trim()}`;
        if (d.severity === "warning") this.warnings.push(text);
        if (d.severity === "error") this.errors.push(text);
    };
}

export interface StackSetup {
    /** The stack's name; its file Pulumi.<name>.yaml is made from Pulumi.<from>.yaml. */
    name: string;
    from: "dev" | "prod";
    /** `pulumi config set KEY VALUE` (and `--secret` for `secrets`), as a user adapts a stack. */
    config: Record<string, string>;
    secrets?: Record<string, string>;
}

export function stackFile(name: string): string {
    return path.join(repoRoot, `Pulumi.${name}.yaml`);
}

/** A new stack in the project directory, configured the way a user does it. */
export async function createStack(setup: StackSetup, env: CliEnvironment): Promise<Stack> {
    fs.mkdirSync(env.stateDir, { recursive: true });
    fs.copyFileSync(path.join(repoRoot, `Pulumi.${setup.from}.yaml`), stackFile(setup.name));
    const pulumiCommand = await PulumiCommand.get({ root: toolchainRoot });
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: setup.name, projectName, program },
        {
            workDir: repoRoot,
            pulumiHome: env.home,
            pulumiCommand,
            secretsProvider: "passphrase",
            envVars: cliEnv(env),
        },
    );
    for (const [key, value] of Object.entries(setup.config)) await stack.setConfig(`${projectName}:${key}`, { value });
    for (const [key, value] of Object.entries(setup.secrets ?? {})) await stack.setConfig(`${projectName}:${key}`, { value, secret: true });
    return stack;
}

/** Removes the stack (state and file); for suite cleanup, whatever state it is in. */
export async function removeStack(stack: Stack | undefined, name: string): Promise<void> {
    try {
        await stack?.workspace.removeStack(name, { force: true });
    } catch {
        // already gone, or the backend went with the work dir
    }
    fs.rmSync(stackFile(name), { force: true });
}
