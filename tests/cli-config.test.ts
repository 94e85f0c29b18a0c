/**
 * The stack files meet the Pulumi CLI's config rules (tests/support/pulumi-cli-config.ts, ported
 * from the CLI's source): every committed stack, and a fresh stack holding only the keys the
 * configuration reference (docs/configuration.md) calls required, passes the CLI and then loads in config/ without a problem. The rules' model is
 * itself checked against the CLI's real error messages, so a test here can fail where `pulumi up`
 * would.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigSource, loadConfig, secretKeys } from "../config";
import {
    applyProjectConfig,
    CliConfigError,
    plainStack,
    Project,
    readProject,
    readStackFile,
    StackConfig,
    textIsOfType,
    validateProject,
} from "./support/pulumi-cli-config";

const root = path.resolve(__dirname, "..");
const project = readProject(root);
/** The configuration reference, generated from Pulumi.yaml (docs/config-reference.ts). */
const reference = fs.readFileSync(path.join(root, "docs", "configuration.md"), "utf8");

/** What config/ receives from the CLI's merged config (the project namespace, secure values as secrets). */
function sourceOf(merged: StackConfig): ConfigSource {
    const value = (key: string) => merged[`${project.name}:${key}`];
    return {
        get: (key) => value(key)?.text,
        getSecret: (key) => (value(key) ? pulumi.secret(value(key).text) : undefined),
        isStoredSecret: (key) => value(key)?.secure ?? false,
    };
}

/** `pulumi up` as far as config goes: the CLI's checks, then the program's. */
function up(stackName: string, stack: StackConfig, proj: Project = project) {
    const merged = applyProjectConfig(proj, stackName, stack);
    return { merged, config: loadConfig(sourceOf(merged), project.name) };
}

/** Keys the configuration reference marks "(**required**)". */
function referenceRequiredKeys(): string[] {
    return [...reference.matchAll(/^\| `(\w+)` \|[^|]*\| – \(\*\*required\*\*\) \|/gm)].map((m) => m[1]).sort();
}

const withoutDefault = (key: string): Project => {
    const config = { ...project.config };
    config[key] = { ...config[key], default: undefined };
    return { ...project, config };
};

describe("Pulumi CLI config rules: the model matches the CLI", () => {
    const fresh = plainStack({ "sigstore:oidcIssuerUrl": "https://kc.corp.example/realms/s", "sigstore:emailDomain": "corp.example" });

    it("a key declared without default is required, reported in the CLI's words (the bug this suite exists for)", () => {
        assert.throws(
            () => applyProjectConfig(withoutDefault("caRootCert"), "dev", fresh),
            (e: Error) => e instanceof CliConfigError && e.message === "Stack 'dev' is missing configuration value 'caRootCert'",
        );
        const twoMissing = withoutDefault("kubeContext");
        twoMissing.config!.caRootCert = { ...twoMissing.config!.caRootCert, default: undefined };
        twoMissing.config!.ctlogTag = { ...twoMissing.config!.ctlogTag, default: undefined };
        assert.throws(() => applyProjectConfig(twoMissing, "dev", fresh), {
            message: "Stack 'dev' is missing configuration values 'caRootCert', 'ctlogTag' and 'kubeContext'",
        });
    });

    it("a declared secret key needs a secure: value, and a default never is one", () => {
        const declaredSecret: Project = { ...project, config: { ...project.config, databasePassword: { type: "string", secret: true, default: "" } } };
        assert.throws(() => applyProjectConfig(declaredSecret, "dev", fresh), {
            message: "Stack 'dev' with configuration key 'databasePassword' must be encrypted as it's secret",
        });
        assert.doesNotThrow(() => applyProjectConfig(declaredSecret, "dev", { ...fresh, "sigstore:databasePassword": { text: "pw", secure: true } }));
    });

    it("values must be of the declared type; defaults are written in as text", () => {
        assert.throws(() => applyProjectConfig(project, "dev", { ...fresh, ...plainStack({ "sigstore:rekorReplicas": "two" }) }), {
            message: "Stack 'dev' with configuration key 'rekorReplicas' must be of type 'integer'",
        });
        assert.throws(() => applyProjectConfig(project, "dev", { ...fresh, ...plainStack({ "sigstore:protectData": "yes" }) }), {
            message: "Stack 'dev' with configuration key 'protectData' must be of type 'boolean'",
        });
        const merged = applyProjectConfig(project, "dev", fresh);
        assert.deepEqual(merged["sigstore:protectData"], { text: "false", secure: false });
        assert.deepEqual(merged["sigstore:rekorReplicas"], { text: "1", secure: false });
        assert.deepEqual(merged["sigstore:kubeContext"], { text: "", secure: false });
        assert.ok(textIsOfType("integer", "-3") && !textIsOfType("integer", "") && !textIsOfType("integer", "1.5"));
    });

    it("Pulumi.yaml passes the CLI's project checks (typed defaults of their type, no default with value)", () => {
        validateProject(project);
        assert.throws(() => validateProject({ ...project, config: { ...project.config, rekorReplicas: { type: "integer", default: "" } } }), {
            message: "The default value specified for configuration key 'rekorReplicas' is not of the expected type 'integer'",
        });
    });
});

describe("Pulumi CLI config rules: our stacks pass them, then config/", () => {
    for (const stack of ["dev", "prod"]) {
        it(`Pulumi.${stack}.yaml as committed`, () => {
            const { config } = up(stack, readStackFile(path.join(root, `Pulumi.${stack}.yaml`)));
            assert.equal(config.protectData, stack === "prod");
        });
    }

    it("the configuration reference's required keys are the keys the CLI requires, and oidcIssuerUrl (required by config/ with the default identityProvider)", () => {
        const cliRequired = Object.entries(project.config ?? {})
            .filter(([, t]) => t.default === undefined && t.value === undefined)
            .map(([k]) => k)
            .sort();
        assert.deepEqual(cliRequired, ["emailDomain"]);
        assert.deepEqual(referenceRequiredKeys(), ["emailDomain", "oidcIssuerUrl"]);
    });

    it("a fresh stack holding only the configuration reference's required keys gets every default", () => {
        const values: Record<string, string> = {
            "sigstore:oidcIssuerUrl": "https://keycloak.corp.example/realms/sigstore",
            "sigstore:emailDomain": "corp.example",
        };
        assert.deepEqual(
            Object.keys(values)
                .map((k) => k.split(":")[1])
                .sort(),
            referenceRequiredKeys(),
        );
        const { config } = up("fresh", plainStack(values));
        assert.equal(config.database.mode, "in-cluster");
        assert.equal(config.ca.mode, "self-signed");
        assert.equal(config.cluster.kubeContext, undefined, '"" from the default means: the current context');
        assert.equal(config.ingressClassName, undefined);
        assert.equal(config.trillian.rekorTreeId, undefined);
    });

    it("a fresh stack without a required key fails in the CLI or in config/, naming it", () => {
        const issuer = "https://keycloak.corp.example/realms/sigstore";
        assert.throws(() => up("fresh", plainStack({ "sigstore:oidcIssuerUrl": issuer })), {
            message: "Stack 'fresh' is missing configuration value 'emailDomain'",
        });
        assert.throws(
            () => up("fresh", plainStack({ "sigstore:emailDomain": "corp.example" })),
            /sigstore:oidcIssuerUrl = undefined: is required when identityProvider is "external"/,
        );
    });

    const required = { "sigstore:oidcIssuerUrl": "https://keycloak.corp.example/realms/sigstore", "sigstore:emailDomain": "corp.example" };
    const certPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const modes: Array<[string, Record<string, string>, Record<string, string>]> = [
        [
            "caMode chained (docs/operations.md: Fulcio CA modes)",
            { "sigstore:caMode": "chained", "sigstore:caRootCert": certPem },
            { "sigstore:caRootKey": "k" },
        ],
        ["caMode pkcs11", { "sigstore:caMode": "pkcs11", "sigstore:caHsmRootId": "1", "sigstore:caCertChain": certPem }, { "sigstore:caPkcs11Config": "{}" }],
        ["caMode kms", { "sigstore:caMode": "kms", "sigstore:caKmsResource": "hashivault://ca", "sigstore:caCertChain": certPem }, {}],
        [
            "external PostgreSQL (docs/operations.md: External database)",
            {
                "sigstore:databaseMode": "external",
                "sigstore:databaseHost": "pg.corp.example",
                "sigstore:databaseEngine": "postgresql",
                "sigstore:databaseEgressCidrs": "10.20.30.40/32",
            },
            { "sigstore:databasePassword": "pw" },
        ],
        ["createtreeMode pod", { "sigstore:createtreeMode": "pod", "sigstore:createtreeImage": "registry.corp.example/createtree:v1.7.3" }, {}],
    ];
    for (const [what, values, secrets] of modes) {
        it(`${what}: the documented keys for it, secrets set with --secret`, () => {
            assert.doesNotThrow(() => up("fresh", plainStack({ ...required, ...values }, secrets)));
        });
    }

    it("the secret keys set without --secret pass the CLI (undeclared) but config/ refuses them", () => {
        const [, values, secrets] = modes[0];
        assert.throws(
            () => up("fresh", plainStack({ ...required, ...values, ...secrets })),
            /sigstore:caRootKey = "\[plain text\]": is a secret and must be stored encrypted/,
        );
        assert.deepEqual([...secretKeys].sort(), ["caPkcs11Config", "caRootKey", "databasePassword", "ldapBindPassword", "tsaSigningKey"]);
    });
});
