/**
 * Secret material the components generate once and hold in Pulumi state: passwords, signing keys,
 * one key per log generation, and the encrypted PEM form some servers require. One place, so every
 * key gets the same guard against regeneration.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { encryptLegacyPem } from "../lib/legacy-pem";

/**
 * The name suffix of a key or CA generation (fulcioCaGeneration, rekorKeyGeneration,
 * ctlogKeyGeneration): generation 1 keeps the names of a stack that never rotated; later ones are "-g<n>".
 */
export function generationSuffix(generation: number): string {
    return generation === 1 ? "" : `-g${generation}`;
}

/** One thing per generation (a key, a chain, a key set), oldest first: generation 1 up to `count`; the newest is the active one. */
export function perGeneration<T>(count: number, make: (generation: number) => T): T[] {
    return Array.from({ length: count }, (_, i) => make(i + 1));
}

/** A key's inputs: editing them later must never regenerate it (rotate with `pulumi up --replace`). */
const keyIgnoreChanges = ["algorithm", "ecdsaCurve", "rsaBits"];

/**
 * Inputs of a generated CA certificate that must never trigger a silent regeneration: a new CA has to
 * reach every client first, so it is rotated on purpose (`pulumi up --replace <urn>`), never by an edit.
 */
export const caCertIgnoreChanges = [
    "subject",
    "validityPeriodHours",
    "allowedUses",
    "isCaCertificate",
    "earlyRenewalHours",
    "setSubjectKeyId",
    "setAuthorityKeyId",
    "maxPathLength",
];

/** An ECDSA key generated once. */
export function generatedKey(name: string, curve: "P256" | "P384", opts: pulumi.CustomResourceOptions): tls.PrivateKey {
    return new tls.PrivateKey(name, { algorithm: "ECDSA", ecdsaCurve: curve }, { ...opts, ignoreChanges: keyIgnoreChanges });
}

/** An Ed25519 key generated once: TUF's roles sign with it (deterministic signatures, so files re-render byte for byte). */
export function generatedEd25519Key(name: string, opts: pulumi.CustomResourceOptions): tls.PrivateKey {
    return new tls.PrivateKey(name, { algorithm: "ED25519" }, { ...opts, ignoreChanges: keyIgnoreChanges });
}

/** An RSA key generated once: for a root whose signatures must be deterministic (RSA PKCS #1 v1.5). */
export function generatedRsaKey(name: string, bits: 3072 | 4096, opts: pulumi.CustomResourceOptions): tls.PrivateKey {
    return new tls.PrivateKey(name, { algorithm: "RSA", rsaBits: bits }, { ...opts, ignoreChanges: keyIgnoreChanges });
}

/**
 * A 32-character password generated once. Alphanumeric only: passwords are spliced into DSNs and
 * config files (Trillian's MySQL DSN, redis.conf, ct_server's text-proto) where punctuation is syntax.
 */
export function generatedPassword(name: string, opts: pulumi.CustomResourceOptions): random.RandomPassword {
    return new random.RandomPassword(name, { length: 32, special: false }, { ...opts, ignoreChanges: passwordIgnoreChanges });
}

/**
 * Every input of random.RandomPassword forces a new password: an initialised database or a key
 * encrypted under it would keep the old one, so none of them may ever regenerate it. Typed against
 * the provider's arguments, so an input a new @pulumi/random adds fails the type check until listed.
 */
const passwordInputs: Record<keyof random.RandomPasswordArgs, true> = {
    keepers: true,
    length: true,
    lower: true,
    minLower: true,
    minNumeric: true,
    minSpecial: true,
    minUpper: true,
    number: true,
    numeric: true,
    overrideSpecial: true,
    special: true,
    upper: true,
};
const passwordIgnoreChanges = Object.keys(passwordInputs);

/** The key as a legacy-encrypted PEM under the password (deterministic, so previews stay clean). */
export function encryptedKeyPem(key: tls.PrivateKey, password: random.RandomPassword): pulumi.Output<string> {
    return pulumi.secret(pulumi.all([key.privateKeyPem, password.result]).apply(([pem, pw]) => encryptLegacyPem(pem, pw)));
}

/**
 * One signing key per generation of a log (rekorKeyGeneration, ctlogKeyGeneration), oldest first:
 * `<name>-signing-key` for generation 1 (the name of a stack that never rotated), then
 * `<name>-signing-key-g<n>`. Each key signs only its own tree.
 */
export function generationKeys(name: string, generations: number, opts: pulumi.CustomResourceOptions): tls.PrivateKey[] {
    return perGeneration(generations, (g) => generatedKey(`${name}-signing-key${generationSuffix(g)}`, "P256", opts));
}

/** A log generation as the trust material lists it: its tree, public key and, once retired, when its tree was frozen. */
export interface LogKeyRecord {
    treeId: string;
    publicKeyPem: string;
    frozenAt?: string;
}

/**
 * The records of a log's generations, oldest first, with `extra` fields of each (a CT log's prefix)
 * placed after the tree ID.
 */
export function logKeyRecords<E extends object>(
    trees: Array<{ treeId: pulumi.Output<string>; frozenAt?: pulumi.Output<string> }>,
    keys: tls.PrivateKey[],
    extra: (generation: number) => E = () => ({}) as E,
): pulumi.Output<Array<LogKeyRecord & E>> {
    return pulumi
        .all(trees.map((tree, i) => pulumi.all([tree.treeId, keys[i].publicKeyPem, tree.frozenAt])))
        .apply((list) => list.map(([treeId, publicKeyPem, frozenAt], i) => ({ treeId, ...extra(i + 1), publicKeyPem, ...(frozenAt ? { frozenAt } : {}) })));
}

/**
 * Every input of command.local.Command. A create-only Command (createtree, a freeze, a recorded
 * time) ignores them all: any input change would run it again, making a new tree or a new time.
 */
export const createOnceIgnoreChanges = [
    "create",
    "update",
    "delete",
    "environment",
    "interpreter",
    "dir",
    "triggers",
    "stdin",
    "logging",
    "addPreviousOutputInEnv",
    "archivePaths",
    "assetPaths",
];

/**
 * A create-only Command that prints the time once, after `opts.dependsOn` is ready (a takeover, a
 * retirement), and that time as an output: it becomes a validFor bound in the trusted root, so nothing
 * about it may ever run it again. `what` names the event, in its environment, for the preview.
 */
export function recordedTime(resourceName: string, what: string, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const stamp = new command.local.Command(
        resourceName,
        { create: "date -u +%Y-%m-%dT%H:%M:%SZ", interpreter: ["/bin/sh", "-c"], environment: { RECORDS_TIME: what } },
        { ...opts, ignoreChanges: createOnceIgnoreChanges },
    );
    return stamp.stdout.apply((out) => {
        const time = out.trim();
        if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(time))
            throw new Error(`${resourceName}: the time of "${what}" is not an RFC 3339 time: ${JSON.stringify(out)}`);
        return time;
    });
}
