/**
 * The Pulumi CLI's stack-config rules, as the real CLI (v3.248.0) applies them before a program runs:
 * sdk/go/common/workspace/config.go (`mergeConfig`, `validateStackConfigValues`) and project.go
 * (`Project.Validate`, `ValidateConfigValue`). Ported rule for rule so `npm test` fails where
 * `pulumi up` would refuse a stack; the cluster suite (`npm run test:cluster`) checks the same
 * files against the real CLI.
 *
 *   1. Pulumi.yaml: a typed key's `default` must be of its type; no key has both `default` and `value`.
 *   2. A project-namespaced key declared with neither `default` nor `value` is REQUIRED: a stack
 *      without it fails with "Stack 'dev' is missing configuration values 'a', 'b' and 'c'".
 *   3. Every default (or value) missing from the stack is written into the stack config, as text.
 *   4. Then every declared key with a `type` is checked: `secret: true` needs a `secure:` stack value
 *      (a default is never secure), and the text must be of the type (integer: parses as an int;
 *      boolean: "true"/"false"; string: anything).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";

export interface ProjectConfigType {
    type?: string;
    default?: unknown;
    value?: unknown;
    secret?: boolean;
    description?: string;
}

export interface Project {
    name: string;
    config?: Record<string, ProjectConfigType>;
}

/** A stack config value as the CLI holds it: text, and whether it was stored `secure:`. */
export interface StackValue {
    text: string;
    secure: boolean;
}

export type StackConfig = Record<string, StackValue>;

export class CliConfigError extends Error {}

export function readProject(root: string): Project {
    return YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
}

/**
 * Reads Pulumi.<stack>.yaml as the CLI does. A `secure:` value cannot be decrypted here; its
 * plaintext is taken from `plaintexts` (tests give it) or left as a placeholder.
 */
export function readStackFile(file: string, plaintexts: Record<string, string> = {}): StackConfig {
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
    const out: StackConfig = {};
    for (const [key, v] of Object.entries<unknown>(doc.config ?? {})) {
        if (v !== null && typeof v === "object" && "secure" in v) out[key] = { text: plaintexts[key] ?? "[secure]", secure: true };
        else out[key] = { text: configText(v), secure: false };
    }
    return out;
}

/** Plain values as a stack file would hold them (for fresh stacks built in tests). */
export function plainStack(values: Record<string, string>, secrets: Record<string, string> = {}): StackConfig {
    const out: StackConfig = {};
    for (const [k, v] of Object.entries(values)) out[k] = { text: v, secure: false };
    for (const [k, v] of Object.entries(secrets)) out[k] = { text: v, secure: true };
    return out;
}

/** Go's fmt "%v" of a YAML scalar, or the JSON of an object (createConfigValue). */
function configText(v: unknown): string {
    return v !== null && typeof v === "object" ? JSON.stringify(v) : String(v);
}

function fullKey(projectName: string, key: string): string {
    return key.includes(":") ? key : `${projectName}:${key}`;
}

function formatMissingKeys(keys: string[]): string {
    if (keys.length === 1) return `'${keys[0]}'`;
    const quoted = [...keys].sort().map((k) => `'${k}'`);
    return `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
}

/** ValidateConfigValue for the scalar types a stack value's text can have. */
export function textIsOfType(type: string, text: string): boolean {
    switch (type) {
        case "string":
            return true;
        case "integer":
            return /^[+-]?\d+$/.test(text) && Math.abs(Number(text)) <= 2 ** 63; // strconv.Atoi
        case "boolean":
            return text === "true" || text === "false";
        default:
            return false; // object and array values never arrive here as text in our schema
    }
}

function valueIsOfType(type: string, value: unknown): boolean {
    switch (type) {
        case "string":
            return typeof value === "string";
        case "integer":
            return typeof value === "number" ? Number.isInteger(value) : typeof value === "string" && textIsOfType(type, value);
        case "boolean":
            return typeof value === "boolean" || value === "true" || value === "false";
        default:
            return false;
    }
}

/** Project.Validate's config rules. */
export function validateProject(project: Project): void {
    for (const [key, t] of Object.entries(project.config ?? {})) {
        if (t.default !== undefined && t.value !== undefined) {
            throw new CliConfigError(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
        }
        if (t.type !== undefined && t.default !== undefined && !valueIsOfType(t.type, t.default)) {
            throw new CliConfigError(`The default value specified for configuration key '${key}' is not of the expected type '${t.type}'`);
        }
    }
}

/**
 * What `pulumi up -s <stack>` does to the stack config before the program runs: returns the
 * config the program receives (defaults applied), or throws the CLI's error.
 */
export function applyProjectConfig(project: Project, stackName: string, stack: StackConfig): StackConfig {
    validateProject(project);
    const merged: StackConfig = { ...stack };
    const missing: string[] = [];
    const declared = Object.keys(project.config ?? {}).sort();
    for (const key of declared) {
        const t = project.config![key];
        const full = fullKey(project.name, key);
        const hasDefault = t.default !== undefined;
        const hasValue = t.value !== undefined;
        if (full in merged) continue;
        if (!hasDefault && !hasValue) {
            if (full.startsWith(`${project.name}:`)) missing.push(key);
            continue;
        }
        merged[full] = { text: configText(hasDefault ? t.default : t.value), secure: false };
    }
    if (missing.length > 0) {
        throw new CliConfigError(`Stack '${stackName}' is missing configuration value${missing.length > 1 ? "s" : ""} ${formatMissingKeys(missing)}`);
    }
    for (const key of declared) {
        const t = project.config![key];
        if (t.type === undefined) continue;
        const v = merged[fullKey(project.name, key)];
        if (t.secret && !v.secure) throw new CliConfigError(`Stack '${stackName}' with configuration key '${key}' must be encrypted as it's secret`);
        if (!textIsOfType(t.type, v.text)) throw new CliConfigError(`Stack '${stackName}' with configuration key '${key}' must be of type '${t.type}'`);
    }
    return merged;
}
