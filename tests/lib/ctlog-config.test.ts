import * as assert from "node:assert/strict";
import { CtLogConfigInput, quoteTextProtoString, renderCtLogConfig, renderCtLogMultiConfig } from "../../lib/ctlog-config";

// ---------------------------------------------------------------------------
// A small, test-only reader for the protobuf text format: enough for nested
// messages, quoted strings (with the escapes Go's prototext decodes), integers,
// identifiers, '#' comments and the [type.googleapis.com/…] Any expansion.
// Every field becomes an array of values so repeated fields are visible.
// ---------------------------------------------------------------------------
type TpValue = string | bigint | TpMessage;
interface TpMessage {
    [field: string]: TpValue[];
}

class TextProtoReader {
    private pos = 0;
    constructor(private readonly src: string) {}

    static parse(src: string): TpMessage {
        const r = new TextProtoReader(src);
        const msg = r.message(null);
        r.skip();
        if (r.pos !== r.src.length) r.fail("trailing input");
        return msg;
    }

    private fail(why: string): never {
        throw new Error(`text proto: ${why} at offset ${this.pos}: ${JSON.stringify(this.src.slice(this.pos, this.pos + 30))}`);
    }

    private skip(): void {
        for (;;) {
            const m = /^(?:\s+|#[^\n]*)/.exec(this.src.slice(this.pos));
            if (!m || m[0].length === 0) return;
            this.pos += m[0].length;
        }
    }

    private peek(): string {
        this.skip();
        return this.src[this.pos] ?? "";
    }

    private expect(ch: string): void {
        if (this.peek() !== ch) this.fail(`expected ${JSON.stringify(ch)}`);
        this.pos++;
    }

    private fieldName(): string {
        this.skip();
        const m = /^(\[[A-Za-z0-9_./]+\]|[A-Za-z_][A-Za-z0-9_]*)/.exec(this.src.slice(this.pos));
        if (!m) this.fail("expected a field name");
        this.pos += m[0].length;
        return m[0];
    }

    private message(close: string | null): TpMessage {
        const msg: TpMessage = {};
        for (;;) {
            const next = this.peek();
            if (close === null ? next === "" : next === close) break;
            const name = this.fieldName();
            let value: TpValue;
            if (this.peek() === ":") {
                this.pos++;
                value = this.peek() === "{" ? this.nested() : this.scalar();
            } else {
                value = this.nested();
            }
            (msg[name] ??= []).push(value);
            if (this.peek() === ";" || this.peek() === ",") this.pos++;
        }
        return msg;
    }

    private nested(): TpMessage {
        this.expect("{");
        const m = this.message("}");
        this.expect("}");
        return m;
    }

    private scalar(): string | bigint {
        const ch = this.peek();
        if (ch === '"' || ch === "'") return this.string(ch);
        const m = /^-?[0-9]+/.exec(this.src.slice(this.pos));
        if (m) {
            this.pos += m[0].length;
            return BigInt(m[0]);
        }
        const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos));
        if (!id) this.fail("expected a scalar");
        this.pos += id[0].length;
        return id[0];
    }

    private string(quote: string): string {
        this.pos++;
        const bytes: number[] = [];
        const simple: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, b: 8, f: 12, v: 11, '"': 34, "'": 39, "\\": 92, "?": 63 };
        while (this.src[this.pos] !== quote) {
            const ch = this.src[this.pos];
            if (ch === undefined || ch === "\n") this.fail("unterminated string");
            if (ch !== "\\") {
                const cp = this.src.codePointAt(this.pos) as number;
                const s = String.fromCodePoint(cp);
                bytes.push(...Buffer.from(s, "utf8"));
                this.pos += s.length;
                continue;
            }
            const esc = this.src[this.pos + 1];
            const oct = /^[0-7]{1,3}/.exec(this.src.slice(this.pos + 1));
            if (oct) {
                bytes.push(parseInt(oct[0], 8));
                this.pos += 1 + oct[0].length;
            } else if (esc in simple) {
                bytes.push(simple[esc]);
                this.pos += 2;
            } else {
                this.fail(`unsupported escape \\${esc}`);
            }
        }
        this.pos++;
        return Buffer.from(bytes).toString("utf8");
    }
}

/** The only value of a singular field, failing if it is missing or repeated. */
function one(msg: TpMessage, field: string): TpValue {
    const v = msg[field];
    assert.ok(v, `field ${field} missing; have ${Object.keys(msg).join(", ")}`);
    assert.equal(v.length, 1, `field ${field} repeated`);
    return v[0];
}
const sub = (msg: TpMessage, field: string) => one(msg, field) as TpMessage;

const base: CtLogConfigInput = {
    treeId: "8734581276512344",
    prefix: "sigstore",
    trillianBackend: "trillian-log-server.sigstore.svc:8090",
    rootsPemFile: "/etc/ctfe/roots/fulcio-root.pem",
    privateKeyPath: "/etc/ctfe/keys/privkey.pem",
    privateKeyPassword: "p@ss",
};

function parsed(input: CtLogConfigInput) {
    const root = TextProtoReader.parse(renderCtLogConfig(input));
    assert.deepEqual(Object.keys(root).sort(), ["backends", "log_configs"]);
    const backend = sub(sub(root, "backends"), "backend");
    const config = sub(sub(root, "log_configs"), "config");
    const pemKeyFile = sub(sub(config, "private_key"), "[type.googleapis.com/keyspb.PEMKeyFile]");
    return { backend, config, pemKeyFile };
}

describe("lib/ctlog-config renderCtLogConfig", () => {
    it("renders a LogMultiConfig with every field ct_server v1.3.3 needs", () => {
        const { backend, config, pemKeyFile } = parsed(base);
        assert.deepEqual(Object.keys(backend).sort(), ["backend_spec", "name"]);
        assert.equal(one(backend, "name"), "trillian");
        assert.equal(one(backend, "backend_spec"), base.trillianBackend);
        assert.deepEqual(Object.keys(config).sort(), ["ext_key_usages", "log_backend_name", "log_id", "prefix", "private_key", "roots_pem_file"]);
        assert.equal(one(config, "log_id"), 8734581276512344n);
        assert.equal(one(config, "prefix"), "sigstore");
        assert.deepEqual(config.roots_pem_file, [base.rootsPemFile]);
        assert.deepEqual(config.ext_key_usages, ["CodeSigning"]);
        assert.equal(one(config, "log_backend_name"), one(backend, "name"));
        assert.deepEqual(Object.keys(pemKeyFile).sort(), ["password", "path"]);
        assert.equal(one(pemKeyFile, "path"), base.privateKeyPath);
        assert.equal(one(pemKeyFile, "password"), base.privateKeyPassword);
    });

    it("is deterministic", () => {
        assert.equal(renderCtLogConfig(base), renderCtLogConfig({ ...base }));
    });

    it("writes the largest int64 tree ID exactly and trims createtree's newline", () => {
        const { config } = parsed({ ...base, treeId: "9223372036854775807\n" });
        assert.equal(one(config, "log_id"), 9223372036854775807n);
    });

    it("renders custom EKUs, backend name and NotAfter bounds as Timestamp messages", () => {
        const { backend, config } = parsed({
            ...base,
            backendName: "be1",
            extKeyUsages: ["CodeSigning", "Any"],
            notAfterStart: "2025-01-01T00:00:00Z",
            notAfterLimit: "2026-01-01T01:00:00.5+01:00",
        });
        assert.equal(one(backend, "name"), "be1");
        assert.equal(one(config, "log_backend_name"), "be1");
        assert.deepEqual(config.ext_key_usages, ["CodeSigning", "Any"]);
        assert.deepEqual(sub(config, "not_after_start"), { seconds: [1735689600n] });
        assert.deepEqual(sub(config, "not_after_limit"), { seconds: [1767225600n], nanos: [500000000n] });
    });

    it("escapes quotes, backslashes, control characters and keeps UTF-8 so they round-trip", () => {
        const tricky = 'a"b\\c\nd\te\u0001f\u00e9\u{1F511}\\"';
        const { pemKeyFile } = parsed({ ...base, privateKeyPassword: tricky, privateKeyPath: '/k/"x"\\y.pem' });
        assert.equal(one(pemKeyFile, "password"), tricky);
        assert.equal(one(pemKeyFile, "path"), '/k/"x"\\y.pem');
        assert.equal(quoteTextProtoString('"\\\n'), '"\\"\\\\\\012"');
        assert.ok(!/\n/.test(quoteTextProtoString("x\ny")), "no raw newline inside a text-format string");
    });

    describe("rejects invalid input naming the field", () => {
        const cases: Array<[string, Partial<CtLogConfigInput>, RegExp]> = [
            ["zero tree id", { treeId: "0" }, /treeId must be a positive int64/],
            ["negative tree id", { treeId: "-5" }, /treeId/],
            ["non-numeric tree id", { treeId: "abc" }, /treeId/],
            ["leading-zero tree id", { treeId: "0123" }, /treeId/],
            ["tree id above int64", { treeId: "9223372036854775808" }, /treeId/],
            ["empty prefix", { prefix: "" }, /prefix must match/],
            ["prefix with slash", { prefix: "a/b" }, /prefix must match/],
            ["prefix with space", { prefix: "a b" }, /prefix/],
            ["empty password", { privateKeyPassword: "" }, /privateKeyPassword must be a non-empty string/],
            ["empty key path", { privateKeyPath: "" }, /privateKeyPath/],
            ["empty roots file", { rootsPemFile: "" }, /rootsPemFile/],
            ["backend without port", { trillianBackend: "trillian" }, /trillianBackend must be "host:port"/],
            ["backend with bad port", { trillianBackend: "trillian:99999" }, /trillianBackend/],
            ["backend URL", { trillianBackend: "http://trillian:8090" }, /trillianBackend/],
            ["unknown EKU", { extKeyUsages: ["codesigning"] }, /extKeyUsages contains "codesigning"/],
            ["empty EKU list", { extKeyUsages: [] }, /extKeyUsages must be a non-empty array/],
            ["bad timestamp", { notAfterStart: "2025-13-01T00:00:00Z" }, /notAfterStart/],
            ["non-RFC3339 timestamp", { notAfterLimit: "2025-01-01" }, /notAfterLimit must be an RFC 3339/],
            [
                "limit before start",
                { notAfterStart: "2025-02-01T00:00:00Z", notAfterLimit: "2025-01-01T00:00:00Z" },
                /notAfterLimit .* is before notAfterStart/,
            ],
            ["lone surrogate", { privateKeyPassword: "a\uD800b" }, /privateKeyPassword contains an unpaired UTF-16 surrogate/],
        ];
        for (const [name, patch, re] of cases) {
            it(name, () => assert.throws(() => renderCtLogConfig({ ...base, ...patch }), re));
        }
    });

    it("accepts bracketed IPv6 and IPv4 backends", () => {
        assert.equal(one(parsed({ ...base, trillianBackend: "[fd00::1]:8090" }).backend, "backend_spec"), "[fd00::1]:8090");
        assert.equal(one(parsed({ ...base, trillianBackend: "10.0.0.7:8090" }).backend, "backend_spec"), "10.0.0.7:8090");
    });
});

describe("lib/ctlog-config renderCtLogMultiConfig (ctlogKeyGeneration)", () => {
    const second: CtLogConfigInput = { ...base, treeId: "99", prefix: "sigstore-g2", privateKeyPath: "/etc/ctfe/keys/key-g2.pem", privateKeyPassword: "other" };

    it("one backend, one log_configs set holding a config per log, each with its own tree, prefix and key", () => {
        const root = TextProtoReader.parse(renderCtLogMultiConfig([base, second]));
        assert.equal(root.backends.length, 1);
        const configs = sub(root, "log_configs").config as TpMessage[];
        assert.deepEqual(
            configs.map((c) => [one(c, "log_id"), one(c, "prefix"), one(sub(sub(c, "private_key"), "[type.googleapis.com/keyspb.PEMKeyFile]"), "path")]),
            [
                [8734581276512344n, "sigstore", base.privateKeyPath],
                [99n, "sigstore-g2", second.privateKeyPath],
            ],
        );
    });

    it("one log renders exactly as renderCtLogConfig", () => {
        assert.equal(renderCtLogMultiConfig([base]), renderCtLogConfig(base));
    });

    it("refuses no log, a prefix or tree used twice, and logs on different backends", () => {
        assert.throws(() => renderCtLogMultiConfig([]), /at least one log/);
        assert.throws(() => renderCtLogMultiConfig([base, { ...second, prefix: base.prefix }]), /log 2: prefix "sigstore" is used twice/);
        assert.throws(() => renderCtLogMultiConfig([base, { ...second, treeId: base.treeId }]), /log 2: tree 8734581276512344 is used twice/);
        assert.throws(
            () => renderCtLogMultiConfig([base, { ...second, trillianBackend: "other:8090" }]),
            /log 2: every log must use the same Trillian backend/,
        );
    });
});
