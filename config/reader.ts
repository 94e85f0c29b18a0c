/**
 * Reads raw stack config and collects every problem, each naming the key, the offending value and
 * what is allowed, so a bad stack file is fixed in one round.
 */
import * as pulumi from "@pulumi/pulumi";

/** Reads raw values; a seam so tests can feed values without the Pulumi runtime. */
export interface ConfigSource {
    get(key: string): string | undefined;
    getSecret(key: string): pulumi.Output<string> | undefined;
    /** Whether the stack stores the key encrypted (`secure:`). */
    isStoredSecret(key: string): boolean;
}

export function pulumiConfigSource(config = new pulumi.Config()): ConfigSource {
    return {
        get: (key) => config.get(key),
        getSecret: (key) => config.getSecret(key),
        isStoredSecret: (key) => storedSecretCheck()(`${config.name}:${key}`),
    };
}

/**
 * The SDK's own record of which config keys the CLI delivered as secrets (PULUMI_CONFIG_SECRET_KEYS,
 * or setAllConfig's secret keys under mocks). Not in the SDK's typings; @pulumi/pulumi is pinned and
 * a unit test fails if this disappears.
 */
function storedSecretCheck(): (fullKey: string) => boolean {
    const check = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    if (typeof check !== "function")
        throw new Error("@pulumi/pulumi no longer exports runtime.isConfigSecret: the config cannot tell encrypted values from plain text");
    return check;
}

/** A value check: undefined when fine, else what is allowed. */
export type Check = (v: string) => string | undefined;

/** Collects every problem so the user sees all of them at once. */
export class Reader {
    readonly problems: string[] = [];
    constructor(
        private readonly source: ConfigSource,
        private readonly project: string,
    ) {}

    /** Records a problem with a key: its value (never a secret's) and what is allowed. */
    reject(key: string, value: unknown, allowed: string): void {
        this.problems.push(`${this.project}:${key} = ${JSON.stringify(value)}: ${allowed}`);
    }

    /** The value as set, or undefined when unset or empty (the CLI writes "" defaults). */
    raw(key: string): string | undefined {
        const v = this.source.get(key);
        return v === undefined || v === "" ? undefined : v;
    }

    string(key: string, fallback: string, check?: Check): string {
        const v = this.raw(key) ?? fallback;
        const problem = check?.(v);
        if (problem) this.reject(key, v, problem);
        return v;
    }

    /** A value that is parsed, parsed once: the result, or (reported) the fallback's. */
    parsed<T>(key: string, fallback: string, parse: (v: string) => T | undefined, allowed: string): T {
        const v = this.raw(key) ?? fallback;
        const value = parse(v);
        if (value !== undefined) return value;
        this.reject(key, v, allowed);
        return parse(fallback) as T;
    }

    optional(key: string, check?: Check): string | undefined {
        const v = this.raw(key);
        if (v === undefined) return undefined;
        const problem = check?.(v);
        if (problem) this.reject(key, v, problem);
        return v;
    }

    /** `why`: the condition that makes the key required, e.g. 'when identityProvider is "dex"'. */
    required(key: string, check?: Check, why?: string): string {
        const v = this.raw(key);
        if (v === undefined) {
            this.reject(key, v, `is required${why ? ` ${why}` : ""}; set it with \`pulumi config set ${key} <value>\``);
            return "";
        }
        return this.optional(key, check) ?? "";
    }

    oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
        const v = this.raw(key) ?? fallback;
        if (!(allowed as readonly string[]).includes(v)) {
            this.reject(key, v, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
            return fallback;
        }
        return v as T;
    }

    int(key: string, fallback: number, min: number, max: number): number {
        const text = this.raw(key);
        if (text === undefined) return fallback;
        const n = Number(text);
        if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
            this.reject(key, text, `must be a whole number from ${min} to ${max}`);
            return fallback;
        }
        return n;
    }

    bool(key: string, fallback: boolean): boolean {
        const text = this.raw(key);
        if (text === undefined) return fallback;
        if (text !== "true" && text !== "false") {
            this.reject(key, text, 'must be "true" or "false"');
            return fallback;
        }
        return text === "true";
    }

    /** A secret key: refused (without echoing it) unless the stack stores it encrypted. */
    secret(key: string): pulumi.Output<string> | undefined {
        const s = this.source.getSecret(key);
        if (s !== undefined && !this.source.isStoredSecret(key)) {
            this.reject(key, "[plain text]", `is a secret and must be stored encrypted: set it with \`pulumi config set --secret ${key} ...\``);
        }
        return s;
    }

    /** A secret key the configuration cannot do without; `pulumi.secret("")` stands in while the problem is reported. */
    requiredSecret(key: string, why: string): pulumi.Output<string> {
        const s = this.secret(key);
        if (s === undefined) this.reject(key, undefined, `is required ${why}; set it with \`pulumi config set --secret ${key} ...\``);
        return s ?? pulumi.secret("");
    }

    /** Whether a secret key is set at all (without reading it as a value). */
    hasSecret(key: string): boolean {
        return this.source.getSecret(key) !== undefined;
    }
}
