/**
 * The whole program (index.ts) under Pulumi's mocks, for the dev and prod stacks: no generated
 * password or key outside Secrets (and the tls resources that sign), Secrets' data as Pulumi
 * secrets, no secret material in a non-secret output.
 */
import * as assert from "node:assert/strict";
import { Evaluation } from "../support/mocks";
import { containers, describeEachStack } from "../support/program";
import { exportIsSecret, Registration } from "../support/registrations";

/** Types whose inputs legitimately hold secret material: Kubernetes Secrets and the tls resources that sign. */
const mayHoldSecrets = new Set([
    "kubernetes:core/v1:Secret",
    "tls:index/selfSignedCert:SelfSignedCert",
    "tls:index/certRequest:CertRequest",
    "tls:index/locallySignedCert:LocallySignedCert",
]);

/** Every piece of secret text the evaluation generated, with a label for messages. */
function secretMaterial(ev: Evaluation, extra: Record<string, string> = {}): Array<{ label: string; text: string }> {
    const out: Array<{ label: string; text: string }> = [];
    const addPem = (label: string, pem: string) => {
        out.push({ label, text: pem.trim() });
        const body = pem.split("\n").filter((l) => l && !l.startsWith("-----") && !l.includes(":"));
        if (body.length > 0) {
            out.push({ label: `${label} (base64 body)`, text: body.join("") });
            out.push({ label: `${label} (first base64 line)`, text: body[0] });
        }
    };
    for (const r of ev.cloud.ofType("random:index/randomPassword:RandomPassword")) {
        assert.ok(typeof r.state.result === "string" && r.state.result.length >= 16, `${r.name} has a result`);
        out.push({ label: `password ${r.name}`, text: r.state.result });
    }
    for (const r of ev.cloud.ofType("tls:index/privateKey:PrivateKey")) {
        addPem(`private key ${r.name}`, r.state.privateKeyPem);
        addPem(`private key ${r.name} (PKCS#8)`, r.state.privateKeyPemPkcs8);
    }
    for (const r of ev.cloud.ofType("kubernetes:core/v1:Secret")) {
        for (const [k, v] of Object.entries<string>(r.inputs.stringData ?? {})) {
            if (/PRIVATE KEY/.test(v)) addPem(`Secret ${r.name} ${k}`, v);
        }
    }
    for (const [label, text] of Object.entries(extra)) addPem(label, text);
    assert.ok(out.length >= 10, "the evaluation generated passwords and keys");
    return out;
}

function leaks(text: string, material: Array<{ label: string; text: string }>): string[] {
    const found = material.filter((m) => text.includes(m.text)).map((m) => m.label);
    if (/PRIVATE KEY/.test(text)) found.push('the text "PRIVATE KEY"');
    if (/Proc-Type: 4,ENCRYPTED/.test(text)) found.push("an encrypted PEM header");
    return found;
}

describeEachStack(({ evaluation }) => {
    let ev: Evaluation;
    let regs: Registration[];
    before(async () => {
        ({ ev, regs } = await evaluation());
    });

    it("the leak detector is not vacuous: it finds planted passwords and keys", () => {
        const material = secretMaterial(ev);
        const password = material.find((m) => m.label.startsWith("password "))!;
        const key = material.find((m) => m.label.startsWith("private key ") && m.label.endsWith("(first base64 line)"))!;
        assert.deepEqual(leaks(JSON.stringify({ data: { "x.conf": `pass=${password.text}` } }), material), [password.label]);
        assert.ok(leaks(`args: ["--key=${key.text}"]`, material).includes(key.label));
        assert.deepEqual(leaks(JSON.stringify(ev.outputs.urls), material), []);
    });

    it("no container env value, arg or command contains a generated password or key", () => {
        const material = secretMaterial(ev);
        for (const { resource, container } of containers(ev)) {
            for (const e of container.env ?? []) {
                if (e.value !== undefined) assert.deepEqual(leaks(String(e.value), material), [], `${resource.name} env ${e.name}`);
            }
            assert.deepEqual(leaks(JSON.stringify([container.args ?? [], container.command ?? []]), material), [], `${resource.name} args/command`);
        }
    });

    it("no password or private key text appears in any non-Secret resource's inputs", () => {
        const material = secretMaterial(ev);
        const checked = ev.cloud.resources.filter((r) => !mayHoldSecrets.has(r.type));
        assert.ok(checked.some((r) => r.type === "kubernetes:core/v1:ConfigMap") && checked.some((r) => r.type === "command:local:Command"));
        for (const r of checked) assert.deepEqual(leaks(JSON.stringify(r.inputs), material), [], `${r.type} ${r.name}`);
    });

    it("Kubernetes Secrets receive their data as Pulumi secrets", () => {
        const secrets = regs.filter((r) => r.type === "kubernetes:core/v1:Secret");
        assert.ok(secrets.length >= 4);
        for (const r of secrets) {
            assert.ok(
                r.secretInputPaths.some((p) => p === ".stringData" || p.startsWith(".stringData.")),
                `${r.name}: stringData is not secret (secret inputs: ${r.secretInputPaths.join(", ") || "none"})`,
            );
        }
    });

    it("no non-secret stack output carries secret material (exports carrying it would have to be secret)", async () => {
        const material = secretMaterial(ev);
        assert.ok(Object.keys(ev.outputs).length >= 10);
        for (const [name, value] of Object.entries(ev.outputs)) {
            if (await exportIsSecret(ev.exports[name])) continue;
            assert.deepEqual(leaks(JSON.stringify(value), material), [], `non-secret export ${name}`);
        }
    });
});
