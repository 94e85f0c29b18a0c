/**
 * A ConfigSource over plain values and secret values, and assertions on loadConfig's problems: each
 * problem line names the key, shows the offending value and says what is allowed.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ConfigSource, loadConfig, SigstoreConfig } from "../../config";

export const required = { oidcIssuerUrl: "https://keycloak.corp.example/realms/sigstore", emailDomain: "corp.example" };
export const digest = "a".repeat(64);

/**
 * A ConfigSource over plain values and secret values (stored encrypted, unless listed in
 * `plainSecrets`: set without --secret), recording which getter read which key.
 */
export function fakeSource(values: Record<string, string>, secrets: Record<string, string> = {}, plainSecrets: string[] = []) {
    const reads = { plain: new Set<string>(), secret: new Set<string>() };
    const source: ConfigSource = {
        get: (key) => {
            reads.plain.add(key);
            return values[key] ?? secrets[key];
        },
        getSecret: (key) => {
            reads.secret.add(key);
            return key in secrets ? pulumi.secret(secrets[key]) : undefined;
        },
        isStoredSecret: (key) => key in secrets && !plainSecrets.includes(key),
    };
    return { source, reads };
}

export function load(values: Record<string, string>, secrets: Record<string, string> = {}): SigstoreConfig {
    return loadConfig(fakeSource({ ...required, ...values }, secrets).source, "sigstore");
}

/** The problem lines of the thrown error (or [] when the config loads). */
export function problems(values: Record<string, string | undefined>, secrets: Record<string, string> = {}): { message: string; lines: string[] } {
    const merged: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...required, ...values })) if (v !== undefined) merged[k] = v;
    try {
        loadConfig(fakeSource(merged, secrets).source, "sigstore");
        return { message: "", lines: [] };
    } catch (e) {
        const message = (e as Error).message;
        return {
            message,
            lines: message
                .split("\n")
                .filter((l) => l.startsWith("  - "))
                .map((l) => l.slice(4)),
        };
    }
}

/** "must be one of "a", "b"" for a list config/ exports, as a RegExp. */
export function oneOf(list: readonly string[]): RegExp {
    return new RegExp(
        `must be one of ${list
            .map((v) => `"${v}"`)
            .join(", ")
            .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`,
    );
}

/**
 * Asserts that loading fails with a problem line `sigstore:<key> = <value as JSON>: <allowed>`:
 * it names the key, shows the offending value and says what is allowed.
 */
export function expectProblem(
    values: Record<string, string | undefined>,
    key: string,
    shown: unknown,
    allowed: RegExp,
    secrets: Record<string, string> = {},
): string {
    const { message, lines } = problems(values, secrets);
    assert.ok(message, `expected loading ${JSON.stringify(values)} to fail on sigstore:${key}`);
    assert.match(message, /^Invalid stack configuration \(\d+ problems?\):\n/);
    const prefix = `sigstore:${key} = ${shown === undefined ? "undefined" : JSON.stringify(shown)}: `;
    const line = lines.find((l) => l.startsWith(prefix));
    assert.ok(line, `no problem line starting with ${JSON.stringify(prefix)} in:\n${message}`);
    assert.match(line.slice(prefix.length), allowed);
    return message;
}
