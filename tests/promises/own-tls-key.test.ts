/**
 * Promise (docs/operations.md, "Internal TLS"): each server presents a certificate of its own key, never the CA's.
 *
 * Two views of the same promise, over every variant:
 *  - the objects: every Secret carrying tls.crt and tls.key holds a key whose public half is the
 *    certificate's, and which is no CA's key;
 *  - the pods: every certificate/key pair a container is told to use (a flag pair such as
 *    --tls_cert_file/--tls_key_file, --ssl-cert/--ssl-key, --fileca-cert/--fileca-key, or a
 *    mounted config file's tls-cert-file/tls-key-file lines) names mounted files that match the same
 *    way; and every mounted tls.key is named by such a pair (a server key nothing uses is a wiring
 *    mistake). A CA's own pair (Fulcio's file CA) may be a CA key: it must not be another CA's.
 *
 * Public keys are compared as SPKI DER (node:crypto), so an encrypted PEM (Fulcio's, decrypted with
 * the password the container reads from its Secret) compares like any other.
 */
import * as assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, KeyObject, X509Certificate } from "node:crypto";
import { containersOf, mountedFiles, MountedFile, Workload, workloads } from "./pods";
import {
    assertNoProblems,
    configValue,
    configMapType,
    describeObject,
    evaluated,
    objectFiles,
    promiseVariantNames,
    registered,
    Registered,
    secretType,
} from "./stacks";

const certBlocks = (text: string): string[] => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
const spki = (key: KeyObject) => (key.type === "private" ? createPublicKey(key) : key).export({ type: "spki", format: "der" }).toString("base64");

/** Every CA certificate the stack holds anywhere: tls resources' outputs and PEMs in Secrets and ConfigMaps. */
function caCertificates(regs: Registered[]): X509Certificate[] {
    const texts = [
        ...regs.filter((r) => r.type.startsWith("tls:")).map((r) => String(r.state.certPem ?? "")),
        ...regs.filter((r) => r.type === secretType || r.type === configMapType).flatMap((r) => Object.values(objectFiles(r))),
    ];
    const certs = texts
        .flatMap(certBlocks)
        .map((pem) => new X509Certificate(pem))
        .filter((c) => c.ca);
    return [...new Map(certs.map((c) => [c.fingerprint256, c])).values()];
}

/** The private key of a PEM, trying the passwords a container can read when it is encrypted. */
function privateKeyOf(pem: string, passwords: string[]): KeyObject | undefined {
    for (const input of [pem, ...passwords.map((passphrase) => ({ key: pem, passphrase }))]) {
        try {
            return createPrivateKey(input);
        } catch {
            // wrong or missing password: try the next one
        }
    }
    return undefined;
}

/** What is wrong with a certificate (first of a chain) and key presented together; [] when they are a pair. */
function pairProblems(label: string, certPem: string, keyPem: string, cas: X509Certificate[], passwords: string[] = []): string[] {
    const [first] = certBlocks(certPem);
    if (!first) return [`${label}: the certificate file holds no certificate`];
    const cert = new X509Certificate(first);
    const key = privateKeyOf(keyPem, passwords);
    if (!key) return [`${label}: the key file is not a private key the server could read`];
    const problems: string[] = [];
    if (spki(key) !== spki(cert.publicKey)) problems.push(`${label}: the key is not the key of the certificate (${cert.subject.replace(/\n/g, ", ")})`);
    const ca = cas.find((c) => c.fingerprint256 !== cert.fingerprint256 && spki(c.publicKey) === spki(key));
    if (ca) problems.push(`${label}: the key is the private key of the CA ${ca.subject.replace(/\n/g, ", ")}`);
    return problems;
}

function tlsSecrets(regs: Registered[]): Registered[] {
    return regs.filter((r) => r.type === secretType && ["tls.crt", "tls.key"].every((k) => k in objectFiles(r)));
}

function secretProblems(regs: Registered[], cas: X509Certificate[]): string[] {
    return tlsSecrets(regs).flatMap((s) => {
        const files = objectFiles(s);
        return pairProblems(describeObject(s), files["tls.crt"], files["tls.key"], cas);
    });
}

// ---- the pairs servers are told to use ----

/** A file a container is pointed at: by a flag (`--name=/path`) or a config line (`name /path`) of a mounted file. */
interface FileReference {
    label: string;
    file: string;
}

function fileReferences(container: Record<string, any>, files: Map<string, MountedFile>): FileReference[] {
    const refs: FileReference[] = [];
    for (const arg of [...(container.command ?? []), ...(container.args ?? [])]) {
        const m = /^(--?[\w.-]+)=(\/\S+)$/.exec(String(arg));
        if (m && files.has(m[2])) refs.push({ label: m[1], file: m[2] });
    }
    for (const [configPath, { content }] of files) {
        for (const line of content.split("\n")) {
            const m = /^([\w.-]+)\s+(\/\S+)\s*$/.exec(line.trim());
            if (m && files.has(m[2])) refs.push({ label: `${configPath}: ${m[1]}`, file: m[2] });
        }
    }
    return refs;
}

/** The flag without what says "certificate" or "key": --tls_cert_file and --tls_key_file both give --tls__file. */
const pairLabel = (label: string) => label.toLowerCase().replace(/certificate|cert|key/g, "");

/** The values of the container's env vars read from Secrets: the candidates for an encrypted key's password. */
function secretEnvValues(regs: Registered[], w: Workload, container: Record<string, any>): string[] {
    return (container.env ?? []).flatMap((e: any) => {
        const ref = e.valueFrom?.secretKeyRef;
        const secret = ref && regs.find((r) => r.type === secretType && r.state.metadata?.name === ref.name && r.state.metadata?.namespace === w.namespace);
        const value = secret && objectFiles(secret)[ref.key];
        return value === undefined ? [] : [value];
    });
}

interface PodPairs {
    problems: string[];
    pairs: number;
    unusedKeys: string[];
}

function podPairs(regs: Registered[], cas: X509Certificate[]): PodPairs {
    const result: PodPairs = { problems: [], pairs: 0, unusedKeys: [] };
    for (const w of workloads(regs)) {
        for (const container of containersOf(w.pod)) {
            const files = mountedFiles(regs, w, container);
            const isCert = (f: string) => certBlocks(files.get(f)!.content).length > 0;
            const isKey = (f: string) => /PRIVATE KEY-----/.test(files.get(f)!.content);
            const refs = fileReferences(container, files);
            const where = `${describeObject(w.resource)} container ${container.name}`;
            const groups = new Map<string, FileReference[]>();
            for (const ref of refs) groups.set(pairLabel(ref.label), [...(groups.get(pairLabel(ref.label)) ?? []), ref]);
            const paired = new Set<string>();
            for (const group of groups.values()) {
                const cert = group.find((r) => isCert(r.file));
                const key = group.find((r) => isKey(r.file) && r !== cert);
                if (!cert || !key) continue;
                result.pairs++;
                paired.add(key.file);
                const label = `${where}: ${cert.label}=${cert.file} with ${key.label}=${key.file} (${files.get(key.file)!.source})`;
                result.problems.push(
                    ...pairProblems(label, files.get(cert.file)!.content, files.get(key.file)!.content, cas, secretEnvValues(regs, w, container)),
                );
            }
            for (const file of files.keys()) {
                if (file.endsWith("/tls.key") && !paired.has(file)) result.unusedKeys.push(`${where}: ${file} (${files.get(file)!.source})`);
            }
        }
    }
    return result;
}

describe("promise: each server presents a certificate of its own key, never the CA's", function () {
    this.timeout(600_000);

    for (const name of promiseVariantNames) {
        const internalTls = configValue(name, "internalTls") === "true";

        it(`${name}: every Secret with tls.crt and tls.key holds the certificate's own key, not a CA's`, async () => {
            const regs = registered(await evaluated(name));
            // Not vacuous: with internalTls each TLS server has such a Secret.
            if (internalTls) assert.ok(tlsSecrets(regs).length >= 2, `${name}: found ${tlsSecrets(regs).length} TLS Secrets`);
            assertNoProblems(name, secretProblems(regs, caCertificates(regs)));
        });

        it(`${name}: every certificate/key pair a container is configured with is a pair, and no CA's key but its own`, async () => {
            const regs = registered(await evaluated(name));
            const { problems, pairs, unusedKeys } = podPairs(regs, caCertificates(regs));
            // Not vacuous: Fulcio's file CA (--fileca-cert/--fileca-key) is a pair in every variant, the TLS servers add theirs.
            assert.ok(pairs >= (internalTls ? 1 + tlsSecrets(regs).length : 1), `${name}: found ${pairs} pairs`);
            assertNoProblems(name, [...problems, ...unusedKeys.map((k) => `${k}: a mounted server key that no flag or config line pairs with a certificate`)]);
        });
    }
});
