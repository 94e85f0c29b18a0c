import * as assert from "node:assert/strict";
import { binaries, Binary, checkArgs, upstreamFlags } from "./support/upstream-flags";

/** Realistic, correct arg lists, taken from /work/shared/sigstore-facts.md. */
const GOOD: Record<Binary, string[]> = {
    trillian_log_server: [
        "--rpc_endpoint=0.0.0.0:8090",
        "--http_endpoint=0.0.0.0:8091",
        "--storage_system=mysql",
        "--quota_system=mysql",
        "--mysql_uri=$(MYSQL_USER):$(MYSQL_PASSWORD)@tcp(trillian-mysql:3306)/trillian?parseTime=true",
        "--alsologtostderr",
        "--v=1",
    ],
    trillian_log_signer: [
        "--rpc_endpoint=0.0.0.0:8090",
        "--http_endpoint=0.0.0.0:8091",
        "--storage_system=mysql",
        "--quota_system=mysql",
        "--mysql_uri=$(MYSQL_USER):$(MYSQL_PASSWORD)@tcp(trillian-mysql:3306)/trillian?parseTime=true",
        "--force_master=true",
        "--alsologtostderr=true",
    ],
    createtree: ["--admin_server=trillian-log-server:8090", "--display_name=rekor", "--rpc_deadline=30s", "--tree_state=ACTIVE"],
    updatetree: ["--admin_server=trillian-log-server:8090", "--tree_id=1234", "--tree_state=FROZEN", "--rpc_deadline=60s"],
    "rekor-server serve": [
        "serve",
        "--trillian_log_server.address=trillian-log-server",
        "--trillian_log_server.port=8090",
        "--trillian_log_server.tlog_id=$(TREE_ID)",
        "--redis_server.address=rekor-redis",
        "--redis_server.port=6379",
        "--redis_server.password=$(REDIS_PASSWORD)",
        "--rekor_server.address=0.0.0.0",
        "--port=3000",
        "--rekor_server.hostname=rekor.corp.example",
        "--rekor_server.signer=/var/run/rekor/signer.pem",
        "--rekor_server.signer-passwd=$(SIGNER_PASSWORD)",
        "--log_type=prod",
        "--enable_attestation_storage=false",
    ],
    "fulcio serve": [
        "serve",
        "--port=5555",
        "--grpc-port=5554",
        "--ca=fileca",
        "--fileca-cert=/etc/fulcio/chain.pem",
        "--fileca-key=/etc/fulcio/key.pem",
        "--fileca-key-passwd=$(FILECA_PASSWORD)",
        "--ct-log-url=http://ctlog:6962/sigstore",
        "--config-path=/etc/fulcio-config/config.json",
        "--log_type=prod",
        "--fileca-watch",
    ],
    ct_server: ["--log_config=/ctfe-config/ct_server.cfg", "--http_endpoint=0.0.0.0:6962", "--metrics_endpoint=0.0.0.0:6963", "--alsologtostderr"],
    // ../shared/rekor-v2-tsa-tuf-facts.md, section B2.
    "timestamp-server serve": [
        "serve",
        "--port=3004",
        "--timestamp-signer=file",
        "--timestamp-signer-hash=sha256",
        "--file-signer-key-path=/pki/tsa.key",
        "--file-signer-passwd=$(TSA_KEY_PASSWORD)",
        "--certificate-chain-path=/pki/chain.pem",
        "--ntp-monitoring=/etc/ntp/ntpsync.yaml",
    ],
    // rekor-tiles' posix-compose.yml, with the flags the program adds.
    "posix serve": [
        "serve",
        "--http-address=0.0.0.0",
        "--grpc-address=0.0.0.0",
        "--hostname=rekor-local",
        "--storage-dir=/tmp/posixlog",
        "--signer-filepath=/pki/ed25519-priv-key.pem",
        "--checkpoint-interval=2s",
        "--persistent-antispam=true",
        "--http-metrics-port=2112",
    ],
    // policy-controller's config/webhook.yaml, offline (components/policy-controller.ts).
    webhook: ["--disable-tuf", "--secure-port=8443", "--webhook-name=policy.sigstore.dev"],
};

describe("upstream flag data", () => {
    it("covers every binary with a sorted, plausible flag list", () => {
        assert.deepEqual([...binaries].sort(), Object.keys(GOOD).sort());
        for (const b of binaries) {
            const names = Object.keys(upstreamFlags[b].flags);
            // The webhook parses only its own flags (knative registers the rest after it parsed).
            assert.ok(names.length > (b === "webhook" ? 5 : 20), `${b}: only ${names.length} flags`);
            assert.deepEqual(names, [...names].sort(), `${b}: flags not sorted`);
            assert.ok(!names.includes("help") && !names.includes("h"), `${b}: help recorded`);
            assert.match(upstreamFlags[b].source, /@v\d+\.\d+\.\d+/);
        }
    });

    it("includes flags registered by imported packages and inherited persistent flags", () => {
        for (const b of ["trillian_log_server", "trillian_log_signer", "createtree", "ct_server"] as const) {
            assert.equal(upstreamFlags[b].parser, "go-flag");
            assert.equal(upstreamFlags[b].flags.alsologtostderr, "bool", b);
            assert.equal(upstreamFlags[b].flags.logtostderr, "bool", b);
            assert.equal(upstreamFlags[b].flags.v, "value", b);
        }
        assert.equal(upstreamFlags.trillian_log_signer.flags.force_master, "bool");
        assert.equal(upstreamFlags["rekor-server serve"].parser, "cobra");
        assert.equal(upstreamFlags["rekor-server serve"].flags["trillian_log_server.tlog_id"], "value");
        assert.equal(upstreamFlags["rekor-server serve"].flags.log_type, "value");
        assert.equal(upstreamFlags["rekor-server serve"].flags.toggle, undefined, "root-only local flag must not leak into serve");
        assert.equal(upstreamFlags["fulcio serve"].flags["fileca-watch"], "bool");
    });
});

describe("checkArgs", () => {
    for (const b of Object.keys(GOOD) as Binary[]) {
        it(`accepts a realistic correct arg list for ${b}`, () => {
            assert.deepEqual(checkArgs(b, GOOD[b]), []);
        });
    }

    it("accepts the cobra arg lists without the leading subcommand too", () => {
        assert.deepEqual(checkArgs("rekor-server serve", GOOD["rekor-server serve"].slice(1)), []);
        assert.deepEqual(checkArgs("fulcio serve", GOOD["fulcio serve"].slice(1)), []);
    });

    it("rejects the ct_server flags the example manifest invented", () => {
        const problems = checkArgs("ct_server", [...GOOD.ct_server, "--tree_id=1234", "--tree_type=LOG", "--trillian_address=trillian-log-server:8090"]);
        assert.deepEqual(problems, ["ct_server: unknown flag --tree_id", "ct_server: unknown flag --tree_type", "ct_server: unknown flag --trillian_address"]);
    });

    it("rejects the fulcio serve OIDC flags the example manifest invented", () => {
        const problems = checkArgs("fulcio serve", [
            ...GOOD["fulcio serve"],
            "--oidc-issuer=https://keycloak.corp.example/realms/sigstore",
            "--oidc-client-id=sigstore",
            "--oidc-type=email",
            "--certificateidentity-uri-email-regex=.*@corp\\.com",
        ]);
        assert.deepEqual(problems, [
            "fulcio serve: unknown flag --oidc-issuer",
            "fulcio serve: unknown flag --oidc-client-id",
            "fulcio serve: unknown flag --oidc-type",
            "fulcio serve: unknown flag --certificateidentity-uri-email-regex",
        ]);
    });

    it("rejects `--force_master`, `true` as separate args", () => {
        const problems = checkArgs("trillian_log_signer", ["--rpc_endpoint=0.0.0.0:8090", "--force_master", "true", "--storage_system=mysql"]);
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^trillian_log_signer: boolean --force_master must be written --force_master=true\b/);
    });

    it("rejects a cobra boolean followed by a separate false (x stays true)", () => {
        const problems = checkArgs("fulcio serve", ["serve", "--fileca-watch", "false"]);
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^fulcio serve: boolean --fileca-watch must be written --fileca-watch=false/);
    });

    it("flags a go-flag value flag written without =", () => {
        const problems = checkArgs("trillian_log_server", ["--rpc_endpoint", "0.0.0.0:8090", "--http_endpoint=0.0.0.0:8091"]);
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^trillian_log_server: --rpc_endpoint takes a value and must be written --rpc_endpoint=<value>/);
        const swallowed = checkArgs("ct_server", ["--log_config", "--http_endpoint=0.0.0.0:6962"]);
        assert.equal(swallowed.length, 1, swallowed.join("\n"));
        assert.match(swallowed[0], /would consume the next argument "--http_endpoint=0.0.0.0:6962"/);
        assert.match(checkArgs("createtree", ["--admin_server"]).join("\n"), /--admin_server takes a value/);
    });

    it("flags a cobra value flag written without =", () => {
        const problems = checkArgs("rekor-server serve", ["serve", "--port", "3000"]);
        assert.deepEqual(problems, ["rekor-server serve: --port takes a value and must be written --port=<value> (write --port=3000)"]);
    });

    it("rejects boolean values other than true/false, accepts $(VAR)", () => {
        assert.match(checkArgs("trillian_log_signer", ["--force_master=yes"]).join(), /must be written --force_master=true or --force_master=false/);
        assert.match(checkArgs("trillian_log_signer", ["--force_master=1"]).join(), /must be written/);
        assert.deepEqual(checkArgs("trillian_log_signer", ["--force_master=false"]), []);
        assert.deepEqual(checkArgs("trillian_log_signer", ["--force_master=$(FORCE_MASTER)"]), []);
        assert.deepEqual(checkArgs("rekor-server serve", ["serve", "--redis_server.enable-tls=true"]), []);
    });

    it("requires -- for long flags", () => {
        assert.match(checkArgs("fulcio serve", ["serve", "-port=5555"]).join(), /long flags need "--"/);
        assert.match(checkArgs("ct_server", ["-log_config=/x"]).join(), /must be written with "--"/);
        // flags that do not exist are reported as such even when single-dashed
        assert.match(checkArgs("ct_server", ["-tree_id=1"]).join("\n"), /unknown flag --tree_id/);
    });

    it("rejects positional arguments and the -- terminator", () => {
        assert.match(checkArgs("createtree", ["--admin_server=x:8090", "extra"]).join(), /Go's flag stops parsing here/);
        assert.match(checkArgs("rekor-server serve", ["serve", "--port=3000", "serve"]).join(), /unexpected positional argument "serve"/);
        assert.match(checkArgs("ct_server", ["--", "--log_config=/x"]).join(), /"--" ends flag parsing/);
    });

    it("rejects flags that are only defined on another binary or the root command", () => {
        assert.deepEqual(checkArgs("trillian_log_server", ["--force_master=true"]), ["trillian_log_server: unknown flag --force_master"]);
        assert.deepEqual(checkArgs("rekor-server serve", ["serve", "--toggle"]), ["rekor-server serve: unknown flag --toggle"]);
        assert.deepEqual(checkArgs("ct_server", ["--rpc_endpoint=0.0.0.0:8090"]), ["ct_server: unknown flag --rpc_endpoint"]);
        assert.deepEqual(checkArgs("fulcio serve", ["serve", "--help"]), ["fulcio serve: unknown flag --help"]);
    });

    it("reports hidden deprecated/alias flags in favour of the canonical ones", () => {
        assert.match(
            checkArgs("rekor-server serve", ["serve", "--enable_retrieve_api=true"]).join(),
            /--enable_retrieve_api is hidden from --help \(deprecated/,
        );
        assert.match(checkArgs("fulcio serve", ["serve", "--http-port=5555"]).join(), /alias normalised to --port/);
    });

    it("does not trip over Object.prototype names", () => {
        assert.deepEqual(checkArgs("ct_server", ["--constructor=1", "--__proto__=1"]), [
            "ct_server: unknown flag --constructor",
            "ct_server: unknown flag --__proto__",
        ]);
    });
});
