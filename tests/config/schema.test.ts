/**
 * Pulumi.yaml and config/ agree: every default equal, every declared key read (with the right getter and type), secrets only as secrets, and the committed stacks load.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { defaults, loadConfig, secretKeys } from "../../config";
import { fakeSource, required } from "../support/config-source";

const root = path.resolve(__dirname, "..", "..");
const project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
const schema: Record<string, { type?: string; default?: unknown; secret?: boolean }> = project.config;
/** Every config reader, as one text for the static view below. */
const configSource = fs
    .readdirSync(path.join(root, "config"))
    .filter((f) => f.endsWith(".ts"))
    .sort()
    .map((f) => fs.readFileSync(path.join(root, "config", f), "utf8"))
    .join("\n");

type ReaderMethod = "string" | "optional" | "required" | "oneOf" | "int" | "bool" | "secret" | "requiredSecret" | "raw" | "reject" | "parsed";

/** Static view: every `r.<method>("<key>"` in config/. (Keys the applicability rules refuse are read through r.raw: the dynamic view sees them.) */
function keysReadStatically(): Map<string, Set<ReaderMethod>> {
    const found = new Map<string, Set<ReaderMethod>>();
    const add = (key: string, method: ReaderMethod) => {
        if (!found.has(key)) found.set(key, new Set());
        found.get(key)!.add(method);
    };
    for (const m of configSource.matchAll(/\br\.(string|optional|required|oneOf|int|bool|secret|requiredSecret|raw|reject|parsed)\(\s*"(\w+)"/g)) {
        add(m[2], m[1] as ReaderMethod);
    }
    return found;
}

/** Dynamic view: load configs that take every branch and record which getter read which key. */
function keysReadDynamically(): { plain: Set<string>; secret: Set<string> } {
    const plain = new Set<string>();
    const secret = new Set<string>();
    const scenarios: Array<[Record<string, string>, Record<string, string>]> = [
        [{}, {}],
        [{ databaseMode: "external", databaseHost: "db" }, { databasePassword: "pw" }],
        [{ createtreeMode: "pod", createtreeImage: "registry.corp.example/createtree:1" }, {}],
        [{ caMode: "chained", caRootCert: "-----BEGIN CERTIFICATE-----" }, { caRootKey: "k" }],
        [{ caMode: "pkcs11", caHsmRootId: "1", caCertChain: "-----BEGIN CERTIFICATE-----" }, { caPkcs11Config: "{}" }],
        [{ caMode: "kms", caKmsResource: "hashivault://ca", caCertChain: "-----BEGIN CERTIFICATE-----" }, {}],
    ];
    for (const [values, secrets] of scenarios) {
        const { source, reads } = fakeSource({ ...required, ...values }, secrets);
        try {
            loadConfig(source, "sigstore");
        } catch {
            // Reads are what matter here, not validity of the placeholder values.
        }
        reads.plain.forEach((k) => plain.add(k));
        reads.secret.forEach((k) => secret.add(k));
    }
    return { plain, secret };
}

describe("config: Pulumi.yaml schema and config/ agree", () => {
    const declared = Object.keys(schema);

    it("every `default:` in Pulumi.yaml equals config/defaults.ts for the same key", () => {
        const withDefault = Object.entries(schema).filter(([, v]) => v && "default" in v);
        assert.ok(withDefault.length >= 10, "Pulumi.yaml declares defaults");
        for (const [key, v] of withDefault) {
            assert.ok(key in defaults, `Pulumi.yaml has a default for ${key} but config/ defaults has none`);
            assert.strictEqual(
                v.default,
                (defaults as Record<string, unknown>)[key],
                `default of ${key}: Pulumi.yaml ${JSON.stringify(v.default)} vs config/ ${JSON.stringify((defaults as Record<string, unknown>)[key])}`,
            );
        }
    });

    it("every config/ default belongs to a key declared in Pulumi.yaml", () => {
        for (const key of Object.keys(defaults)) assert.ok(declared.includes(key), `defaults.${key} is not a key in Pulumi.yaml`);
    });

    it("every key config/ reads (statically and on every branch) is declared in Pulumi.yaml, or is one of secretKeys", () => {
        const statically = [...keysReadStatically().keys()];
        const { plain, secret } = keysReadDynamically();
        assert.ok(statically.length >= 40, `the static parse found only ${statically.length} keys`);
        for (const key of new Set([...statically, ...plain, ...secret])) {
            assert.ok(declared.includes(key) || (secretKeys as readonly string[]).includes(key), `config/ reads "${key}", which Pulumi.yaml does not declare`);
        }
    });

    it("every optional declared key has a default (the CLI makes a key without one required); only emailDomain is required", () => {
        // oidcIssuerUrl is required by config/, with identityProvider "external" only: the CLI cannot express a condition.
        const requiredKeys = Object.entries(schema)
            .filter(([, v]) => v.default === undefined)
            .map(([k]) => k);
        assert.deepEqual(requiredKeys.sort(), ["emailDomain"]);
    });

    it("no secret key is declared in Pulumi.yaml (a declared secret is required by the CLI), and each is documented there", () => {
        const projectText = fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
        for (const key of secretKeys) {
            assert.ok(!(key in schema), `${key} is declared: the CLI would require it in every stack`);
            assert.match(projectText, new RegExp(`^#\\s+${key}\\s+\\S`, "m"), `${key} is not documented in Pulumi.yaml's header comment`);
        }
        assert.ok(
            Object.values(schema).every((v) => !v.secret),
            "a key is declared secret: true",
        );
    });

    it("every key Pulumi.yaml declares is read by config/", () => {
        const statically = keysReadStatically();
        const { plain, secret } = keysReadDynamically();
        for (const key of declared) {
            assert.ok(statically.has(key) || plain.has(key) || secret.has(key), `Pulumi.yaml declares "${key}" but config/ never reads it`);
        }
    });

    it("every secret key is read with a secret getter and never as plain text", () => {
        assert.deepEqual([...secretKeys].sort(), ["caPkcs11Config", "caRootKey", "databasePassword", "ldapBindPassword", "tsaSigningKey"]);
        const statically = keysReadStatically();
        const { plain, secret } = keysReadDynamically();
        for (const key of secretKeys) {
            assert.ok(secret.has(key), `${key} is never read with getSecret`);
            assert.ok(!plain.has(key), `${key} is read with get(): its plaintext would be handled outside a secret Output`);
            const methods = [...(statically.get(key) ?? [])];
            assert.ok(
                methods.length > 0 && methods.every((m) => m === "secret" || m === "requiredSecret" || m === "reject"),
                `${key} is read with r.${methods.join("/r.")}; only r.secret/r.requiredSecret keep it secret`,
            );
        }
        for (const key of secret) assert.ok((secretKeys as readonly string[]).includes(key), `${key} is read as a secret but is not in config/ secretKeys`);
    });

    it("integer and boolean keys are declared with those types and read with r.int / r.bool", () => {
        const statically = keysReadStatically();
        for (const [key, v] of Object.entries(schema)) {
            const methods = statically.get(key) ?? new Set();
            if (v.type === "integer") assert.ok(methods.has("int"), `${key} is type: integer but not read with r.int`);
            if (v.type === "boolean") assert.ok(methods.has("bool"), `${key} is type: boolean but not read with r.bool`);
            if (methods.has("int")) assert.equal(v.type, "integer", `${key} is read with r.int but declared type: ${v.type}`);
            if (methods.has("bool")) assert.equal(v.type, "boolean", `${key} is read with r.bool but declared type: ${v.type}`);
        }
    });

    for (const stack of ["dev", "prod"]) {
        it(`Pulumi.${stack}.yaml only sets declared keys, keeps secrets secure, and loads without problems`, () => {
            const doc = YAML.parse(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8"));
            const values: Record<string, string> = {};
            for (const [fullKey, v] of Object.entries<any>(doc.config ?? {})) {
                const [ns, key] = fullKey.split(":");
                assert.equal(ns, "sigstore", `${fullKey}: keys are namespaced by the project`);
                const isSecret = (secretKeys as readonly string[]).includes(key);
                assert.ok(declared.includes(key) || isSecret, `${fullKey} is not declared in Pulumi.yaml`);
                if (isSecret) assert.ok(v && typeof v === "object" && "secure" in v, `${fullKey} is a secret and must be a secure: value`);
                else values[key] = typeof v === "string" ? v : JSON.stringify(v);
            }
            const c = loadConfig(fakeSource(values).source, "sigstore");
            assert.equal(c.protectData, stack === "prod");
        });
    }
});
