/**
 * Runs the real program (index.ts) under Pulumi's mocks and records everything it registers.
 *
 * The mock behaves like a stack's state: a resource whose URN and inputs are unchanged since an
 * earlier evaluation gets its earlier outputs back, as Pulumi would on an `up` with no diff. That
 * lets tests prove a second evaluation changes nothing and creates nothing new.
 *
 * tls resources produce real keys and certificates (tls-emulator.ts). random passwords and the
 * createtree command are pluggable: unit tests use deterministic values, the end-to-end suite real
 * ones (and really runs the command).
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { secretKeys } from "../../config";
import { applyProjectConfig, readProject, readStackFile } from "./pulumi-cli-config";
import { certRequest, locallySignedCert, privateKey, selfSignedCert } from "./tls-emulator";
import { dynamicResourceState } from "./dynamic-emulator";

export const repoRoot = path.resolve(__dirname, "..", "..");

export interface RegisteredResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    state: Record<string, any>;
}

export interface CommandResult {
    stdout: string;
    stderr: string;
}

export interface MockHooks {
    /** Produces a local Command's outputs. Default: a deterministic tree ID. */
    runCommand?: (name: string, inputs: Record<string, any>) => Promise<CommandResult>;
    /** Produces a RandomPassword's result. Default: deterministic per resource name. */
    password?: (name: string, length: number) => string;
    now?: () => Date;
    /** Ed25519 keys derived from the resource name (tests/support/render.ts: identical renders run to run). */
    seededEd25519Keys?: boolean;
}

/** Outputs kept between evaluations, keyed by type and name: the "stack state". */
export type StackState = Map<string, { inputs: string; state: Record<string, any> }>;

export class MockCloud implements pulumi.runtime.Mocks {
    readonly resources: RegisteredResource[] = [];
    readonly created: string[] = [];

    constructor(
        private readonly hooks: MockHooks = {},
        readonly stackState: StackState = new Map(),
    ) {}

    async newResource(raw: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> {
        // Secret inputs arrive wrapped; providers see plain values, and so does our emulation.
        const args = { ...raw, inputs: unwrapSecrets(raw.inputs) };
        const key = `${args.type}::${args.name}`;
        const inputsJson = JSON.stringify(args.inputs);
        const previous = this.stackState.get(key);
        const dynamic = args.type.startsWith("pulumi-nodejs:dynamic");
        // A dynamic provider is asked every time: its diff may depend on the clock as well as the inputs.
        const state = dynamic
            ? await dynamicResourceState(args.inputs, previous?.state, this.hooks.now?.() ?? new Date())
            : previous && previous.inputs === inputsJson
              ? previous.state
              : await this.create(args);
        if (!(previous && (dynamic ? previous.state === state : previous.inputs === inputsJson))) this.created.push(key);
        this.stackState.set(key, { inputs: inputsJson, state });
        this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, state });
        return { id: `${args.name}-id`, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        return args.inputs;
    }

    private async create(args: pulumi.runtime.MockResourceArgs): Promise<Record<string, any>> {
        const inputs = args.inputs;
        const now = this.hooks.now?.() ?? new Date();
        switch (args.type) {
            case "random:index/randomPassword:RandomPassword":
                return { ...inputs, result: (this.hooks.password ?? deterministicPassword)(args.name, inputs.length) };
            case "tls:index/privateKey:PrivateKey":
                return privateKey(inputs, this.hooks.seededEd25519Keys ? args.name : undefined);
            case "tls:index/selfSignedCert:SelfSignedCert":
                return selfSignedCert(inputs, now);
            case "tls:index/certRequest:CertRequest":
                return certRequest(inputs);
            case "tls:index/locallySignedCert:LocallySignedCert":
                return locallySignedCert(inputs, now);
            case "command:local:Command": {
                const result = await (this.hooks.runCommand ?? ((n: string, i: Record<string, any>) => deterministicAdminCommand(n, i, now)))(
                    args.name,
                    inputs,
                );
                return { ...inputs, ...result };
            }
            default:
                return kubernetesState(args);
        }
    }

    ofType(type: string): RegisteredResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    one(type: string, name: string): RegisteredResource {
        const found = this.resources.find((r) => r.type === type && r.name === name);
        if (!found)
            throw new Error(
                `no ${type} named ${name}; have: ${this.ofType(type)
                    .map((r) => r.name)
                    .join(", ")}`,
            );
        return found;
    }
}

const secretSig = "1b47061264138c4ac30d75fd1eb44270";
const sigKey = "4dabf18193072939515e22adb298388d";

/** Names of resources whose inputs carried a secret value, for secretness assertions. */
export function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        if (value[sigKey] === secretSig) return unwrapSecrets(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

function deterministicPassword(name: string, length: number): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const bytes = crypto.createHash("sha512").update(`password:${name}`).digest();
    return Array.from({ length }, (_, i) => alphabet[bytes[i % bytes.length] % alphabet.length]).join("");
}

/** What the Trillian admin Commands print: createtree a tree ID (from the name), freezetree the time (`now`, to the second). */
async function deterministicAdminCommand(name: string, inputs: Record<string, any>, now: Date): Promise<CommandResult> {
    if (inputs.environment?.FREEZE_CONFIGMAP || inputs.environment?.RECORDS_TIME)
        return { stdout: `${now.toISOString().replace(/\.\d{3}Z$/, "Z")}\n`, stderr: "" };
    const id = BigInt("0x" + crypto.createHash("sha256").update(name).digest("hex").slice(0, 15)) + 1n;
    return { stdout: `${id}\n`, stderr: "" };
}

/** Kubernetes objects echo their inputs; auto-named ones get a name suffix as the provider does. */
function kubernetesState(args: pulumi.runtime.MockResourceArgs): Record<string, any> {
    const inputs = args.inputs;
    if (!args.type.startsWith("kubernetes:") || args.type === "pulumi:providers:kubernetes") return inputs;
    const metadata = { ...(inputs.metadata ?? {}) };
    if (!metadata.name) {
        metadata.name = `${args.name}-${crypto.createHash("sha256").update(args.name).digest("hex").slice(0, 8)}`;
    }
    return { ...inputs, metadata };
}

/** The dev stack as it was before its move to Rekor v2 (and as every stack is by default): Rekor v1, key generation 1. */
export const rekorV1Overrides: Record<string, string | undefined> = {
    rekorVersion: undefined,
    rekorKeyGeneration: undefined,
    rekorV2FromGeneration: undefined,
};

/**
 * The flat "project:key" → text map Pulumi hands the program for a stack, exactly as the CLI builds
 * it: Pulumi.<stack>.yaml plus `overrides` (as if set with `pulumi config set`, secret keys with
 * --secret; undefined deletes a key), then Pulumi.yaml's defaults written in and the CLI's checks
 * applied (pulumi-cli-config.ts). `secure` lists the keys delivered as secrets.
 */
export function stackConfig(stack: string, overrides: Record<string, string | undefined> = {}): { values: Record<string, string>; secure: string[] } {
    const file = path.join(repoRoot, `Pulumi.${stack}.yaml`);
    const stackValues = readStackFile(file);
    for (const [key, v] of Object.entries(stackValues)) {
        if (v.secure) throw new Error(`${file}: secure values cannot be decrypted under mocks (${key})`);
    }
    for (const [k, v] of Object.entries(overrides)) {
        const key = k.includes(":") ? k : `sigstore:${k}`;
        if (v === undefined) delete stackValues[key];
        else stackValues[key] = { text: v, secure: (secretKeys as readonly string[]).includes(key.slice(key.indexOf(":") + 1)) };
    }
    const merged = applyProjectConfig(readProject(repoRoot), stack, stackValues);
    const values: Record<string, string> = {};
    for (const [key, v] of Object.entries(merged)) values[key] = v.text;
    return { values, secure: Object.keys(merged).filter((key) => merged[key].secure) };
}

export interface Evaluation {
    cloud: MockCloud;
    outputs: Record<string, any>;
    /** Raw exported Outputs (for secretness checks). */
    exports: Record<string, any>;
}

export interface EvaluateOptions {
    stack: string;
    /** Replaces or adds config ("sigstore:key" or "key"); undefined deletes a key. */
    overrides?: Record<string, string | undefined>;
    hooks?: MockHooks;
    state?: StackState;
    /** A MockCloud made by the caller (whose hooks need to see what was registered so far). */
    cloud?: MockCloud;
}

/** Evaluates index.ts for a stack and resolves every export. Fresh modules each time. */
export async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
    const cloud = options.cloud ?? new MockCloud(options.hooks, options.state);
    await pulumi.runtime.setMocks(cloud, "sigstore", options.stack, false);
    const config = stackConfig(options.stack, options.overrides);
    pulumi.runtime.setAllConfig(config.values, config.secure);
    clearProgramModules();
    // A failed registration (e.g. an apply that throws) surfaces only as an unhandled rejection and
    // would leave the exports pending forever: turn it into this evaluation's failure.
    let onFailure!: (e: unknown) => void;
    const failed = new Promise<never>((_, reject) => {
        onFailure = reject;
    });
    failed.catch(() => undefined);
    process.on("unhandledRejection", onFailure);
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- index.ts is loaded anew for every evaluation, after its modules left the require cache
        const programExports = require(path.join(repoRoot, "index.ts"));
        const outputs: Record<string, any> = {};
        for (const [k, v] of Object.entries<any>(programExports)) outputs[k] = await Promise.race([resolve(v), failed]);
        await Promise.race([waitForRegistrations(), failed]);
        return { cloud, outputs, exports: programExports };
    } finally {
        process.off("unhandledRejection", onFailure);
    }
}

/** Resolves an Output; a failure inside an apply rejects (with the program's error) instead of hanging. */
export function resolve<T>(value: pulumi.Input<T>): Promise<T> {
    // Output.promise() is internal but stable; it is how the SDK's own tests await outputs.
    return (pulumi.output(value) as any).promise() as Promise<T>;
}

/** Whether an Output is marked secret. */
export async function isSecret(value: unknown): Promise<boolean> {
    return pulumi.Output.isInstance(value) ? await pulumi.isSecret(value) : false;
}

async function waitForRegistrations(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- waitForRPCs is not in @pulumi/pulumi's published types
    const settings = require("@pulumi/pulumi/runtime/settings");
    await settings.waitForRPCs();
}

function clearProgramModules(): void {
    for (const id of Object.keys(require.cache)) {
        if (id.startsWith(repoRoot) && !id.includes(`${path.sep}node_modules${path.sep}`) && !id.includes(`${path.sep}tests${path.sep}support${path.sep}`)) {
            delete require.cache[id];
        }
    }
}
