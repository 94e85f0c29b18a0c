/**
 * Emulates the @pulumi/tls resources under Pulumi's mocks with REAL keys and certificates, made the
 * way the tls provider makes them (same PEM block types, same meaning of allowedUses, subject and
 * isCaCertificate). Unit tests parse what the program builds from them, and the end-to-end suite
 * feeds them to the real Fulcio, Rekor and ct_server, so a wrong allowedUses or chain order fails there.
 */
import "reflect-metadata";
import * as crypto from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto.webcrypto as any);

type Inputs = Record<string, any>;

const curves: Record<string, { node: string; web: string; hash: string }> = {
    P256: { node: "prime256v1", web: "P-256", hash: "SHA-256" },
    P384: { node: "secp384r1", web: "P-384", hash: "SHA-384" },
    P521: { node: "secp521r1", web: "P-521", hash: "SHA-512" },
};

/**
 * tls.PrivateKey outputs. With a `seed`, an Ed25519 key is derived from it (the same seed, the same
 * key): for renders that must be identical run to run, where TUF orders keys by their IDs.
 */
export function privateKey(inputs: Inputs, seed?: string): Inputs {
    const algorithm = inputs.algorithm ?? "RSA";
    let pair: crypto.KeyPairKeyObjectResult;
    let pem: string;
    if (algorithm === "ECDSA") {
        const curve = curves[inputs.ecdsaCurve ?? "P224"];
        if (!curve) throw new Error(`tls emulator: unsupported curve ${inputs.ecdsaCurve}`);
        pair = crypto.generateKeyPairSync("ec", { namedCurve: curve.node });
        pem = pair.privateKey.export({ type: "sec1", format: "pem" }) as string;
    } else if (algorithm === "RSA") {
        pair = crypto.generateKeyPairSync("rsa", { modulusLength: inputs.rsaBits ?? 2048 });
        pem = pair.privateKey.export({ type: "pkcs1", format: "pem" }) as string;
    } else if (algorithm === "ED25519") {
        pair = seed === undefined ? crypto.generateKeyPairSync("ed25519") : seededEd25519(seed);
        pem = pair.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    } else {
        throw new Error(`tls emulator: unsupported algorithm ${algorithm}`);
    }
    const publicKeyPem = pair.publicKey.export({ type: "spki", format: "pem" }) as string;
    const spki = pair.publicKey.export({ type: "spki", format: "der" });
    return {
        ...inputs,
        algorithm,
        privateKeyPem: pem,
        privateKeyPemPkcs8: pair.privateKey.export({ type: "pkcs8", format: "pem" }),
        publicKeyPem,
        publicKeyFingerprintSha256: crypto.createHash("sha256").update(spki).digest("base64"),
    };
}

/** An Ed25519 key pair whose 32-byte private key is SHA-256 of `seed` (PKCS #8: RFC 8410's fixed prefix, then the key). */
function seededEd25519(seed: string): crypto.KeyPairKeyObjectResult {
    const prefix = Buffer.from("302e020100300506032b657004220420", "hex");
    const privateKey = crypto.createPrivateKey({
        key: Buffer.concat([prefix, crypto.createHash("sha256").update(seed).digest()]),
        format: "der",
        type: "pkcs8",
    });
    return { privateKey, publicKey: crypto.createPublicKey(privateKey) };
}

async function importPair(
    privateKeyPem: string,
): Promise<{ keys: { privateKey: crypto.webcrypto.CryptoKey; publicKey: crypto.webcrypto.CryptoKey }; signing: any }> {
    const key = crypto.createPrivateKey(privateKeyPem);
    const pkcs8 = key.export({ type: "pkcs8", format: "der" });
    const spki = crypto.createPublicKey(key).export({ type: "spki", format: "der" });
    const subtle = crypto.webcrypto.subtle;
    let alg: any;
    let signing: any;
    if (key.asymmetricKeyType === "ec") {
        const curve = Object.values(curves).find((c) => c.node === key.asymmetricKeyDetails?.namedCurve);
        if (!curve) throw new Error("tls emulator: unsupported EC curve");
        alg = { name: "ECDSA", namedCurve: curve.web };
        signing = { name: "ECDSA", hash: curve.hash };
    } else if (key.asymmetricKeyType === "rsa") {
        alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
        signing = alg;
    } else {
        alg = { name: "Ed25519" };
        signing = alg;
    }
    const privateKey = await subtle.importKey("pkcs8", pkcs8, alg, true, ["sign"]);
    const publicKey = await subtle.importKey("spki", spki, alg, true, ["verify"]);
    return { keys: { privateKey, publicKey }, signing };
}

function subjectName(subject: Inputs | undefined): x509.Name {
    const s = subject ?? {};
    const parts: Array<[string, string | undefined]> = [
        ["C", s.country],
        ["ST", s.province],
        ["L", s.locality],
        ["O", s.organization],
        ["OU", s.organizationalUnit],
        ["CN", s.commonName],
    ];
    return new x509.Name(parts.filter(([, v]) => v).map(([k, v]) => ({ [k]: [v as string] })));
}

function usageExtensions(inputs: Inputs): x509.Extension[] {
    const uses: string[] = inputs.allowedUses ?? [];
    const flagMap: Record<string, number> = {
        digital_signature: x509.KeyUsageFlags.digitalSignature,
        content_commitment: x509.KeyUsageFlags.nonRepudiation,
        key_encipherment: x509.KeyUsageFlags.keyEncipherment,
        data_encipherment: x509.KeyUsageFlags.dataEncipherment,
        key_agreement: x509.KeyUsageFlags.keyAgreement,
        cert_signing: x509.KeyUsageFlags.keyCertSign,
        crl_signing: x509.KeyUsageFlags.cRLSign,
    };
    const ekuMap: Record<string, string> = {
        server_auth: x509.ExtendedKeyUsage.serverAuth,
        client_auth: x509.ExtendedKeyUsage.clientAuth,
        code_signing: x509.ExtendedKeyUsage.codeSigning,
        email_protection: x509.ExtendedKeyUsage.emailProtection,
        timestamping: x509.ExtendedKeyUsage.timeStamping,
        ocsp_signing: x509.ExtendedKeyUsage.ocspSigning,
    };
    for (const use of uses) {
        if (!(use in flagMap) && !(use in ekuMap)) throw new Error(`tls emulator: allowedUses value "${use}" is not one the tls provider knows`);
    }
    const flags = uses.filter((u) => u in flagMap).reduce((acc, u) => acc | flagMap[u], 0);
    const ekus = uses.filter((u) => u in ekuMap).map((u) => ekuMap[u]);
    const extensions: x509.Extension[] = [];
    if (inputs.isCaCertificate) {
        extensions.push(new x509.BasicConstraintsExtension(true, inputs.maxPathLength > 0 ? inputs.maxPathLength : undefined, true));
    } else {
        extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
    }
    if (flags) extensions.push(new x509.KeyUsagesExtension(flags, true));
    if (ekus.length) extensions.push(new x509.ExtendedKeyUsageExtension(ekus, false));
    return extensions;
}

function validity(inputs: Inputs, now: Date): { notBefore: Date; notAfter: Date; outputs: Inputs } {
    const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const notAfter = new Date(notBefore.getTime() + (inputs.validityPeriodHours ?? 0) * 3600_000);
    const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
    return { notBefore, notAfter, outputs: { validityStartTime: rfc3339(notBefore), validityEndTime: rfc3339(notAfter), readyForRenewal: false } };
}

const serial = () =>
    crypto
        .randomBytes(16)
        .toString("hex")
        .replace(/^[89a-f]/, "1");

/** tls.SelfSignedCert outputs. */
export async function selfSignedCert(inputs: Inputs, now = new Date()): Promise<Inputs> {
    const { keys, signing } = await importPair(inputs.privateKeyPem);
    const v = validity(inputs, now);
    const extensions = usageExtensions(inputs);
    if (inputs.setSubjectKeyId) extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serial(),
        name: subjectName(inputs.subject),
        notBefore: v.notBefore,
        notAfter: v.notAfter,
        keys,
        signingAlgorithm: signing,
        extensions,
    });
    return { ...inputs, ...v.outputs, certPem: cert.toString("pem") + "\n" };
}

/** tls.CertRequest outputs. */
export async function certRequest(inputs: Inputs): Promise<Inputs> {
    const { keys, signing } = await importPair(inputs.privateKeyPem);
    // dnsNames become a subjectAltName extension request in the CSR, as the provider does.
    const names = [
        ...(inputs.dnsNames ?? []).map((value: string) => ({ type: "dns" as const, value })),
        ...(inputs.ipAddresses ?? []).map((value: string) => ({ type: "ip" as const, value })),
    ];
    const extensions = names.length ? [new x509.SubjectAlternativeNameExtension(names)] : [];
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subjectName(inputs.subject), keys, signingAlgorithm: signing, extensions });
    return { ...inputs, certRequestPem: csr.toString("pem") + "\n" };
}

/** tls.LocallySignedCert outputs. */
export async function locallySignedCert(inputs: Inputs, now = new Date()): Promise<Inputs> {
    const csr = new x509.Pkcs10CertificateRequest(inputs.certRequestPem);
    if (!(await csr.verify())) throw new Error("tls emulator: CSR signature invalid");
    const ca = new x509.X509Certificate(inputs.caCertPem);
    const { keys: caKeys, signing } = await importPair(inputs.caPrivateKeyPem);
    const v = validity(inputs, now);
    const publicKey = await csr.publicKey.export();
    const extensions = usageExtensions(inputs);
    if (inputs.setSubjectKeyId) extensions.push(await x509.SubjectKeyIdentifierExtension.create(publicKey));
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey));
    // The provider copies the CSR's DNS names, IP addresses and URIs into the certificate
    // (terraform-provider-tls resource_locally_signed_cert.go: DNSNames: certReq.DNSNames, ...).
    const requested = csr.getExtension("2.5.29.17");
    if (requested) extensions.push(new x509.SubjectAlternativeNameExtension(new x509.SubjectAlternativeNameExtension(requested.rawData).names.toJSON(), false));
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: csr.subjectName,
        issuer: ca.subjectName,
        notBefore: v.notBefore,
        notAfter: v.notAfter,
        publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: signing,
        extensions,
    });
    return { ...inputs, ...v.outputs, certPem: cert.toString("pem") + "\n" };
}
