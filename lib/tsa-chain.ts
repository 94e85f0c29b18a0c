/**
 * The timestamp authority's certificate chain: the rules timestamp-server v2.1.3 enforces at startup
 * (pkg/x509/x509.go VerifyCertChain, which panics on a bad chain), checked here first so a bad
 * chain is refused at preview, naming the setting; and the leaf this program issues itself.
 *
 * The leaf must carry exactly one extended key usage, timeStamping, in a CRITICAL extension (RFC 3161
 * 2.3). Go's crypto/x509, and so @pulumi/tls, always writes that extension non-critical, so the leaf
 * is made with @peculiar/x509. It must never change on a no-op `up`: every input comes from state
 * (the root's key and certificate, the leaf's key), the validity is the root's, the serial number is
 * derived from the inputs, and the root signs with RSA PKCS #1 v1.5, whose signatures are
 * deterministic. The same inputs give the same bytes, run after run.
 */
import "reflect-metadata";
import { createHash, createPrivateKey, createPublicKey, webcrypto, X509Certificate as NodeCertificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { parseCertificateBundle } from "./pem";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const timeStampingOid = "1.3.6.1.5.5.7.3.8";

/** Why the chain would stop timestamp-server from starting, or undefined when it would start. Leaf first, root last. */
export function timestampingChainProblem(chainPem: string): string | undefined {
    let certs: x509.X509Certificate[];
    try {
        certs = parseCertificateBundle(chainPem, "the chain").map((c) => new x509.X509Certificate(c.raw));
    } catch (e) {
        return (e as Error).message;
    }
    if (certs.length < 2) return "must hold the leaf and the certificates up to the root (leaf first, root last): it holds one certificate";
    const [leaf, ...issuers] = certs;
    if (isCa(leaf)) return "starts with a CA certificate: the leaf (the timestamping certificate, not a CA) must come first";
    const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
    if (!eku || eku.usages.length !== 1 || eku.usages[0] !== timeStampingOid) {
        return "the leaf must carry exactly one extended key usage, timeStamping (1.3.6.1.5.5.7.3.8)";
    }
    if (!eku.critical) return "the leaf's extended key usage must be marked critical (RFC 3161 2.3; timestamp-server refuses to start otherwise)";
    for (const [i, cert] of issuers.entries()) {
        if (!isCa(cert)) return `certificate #${i + 2} (${cert.subject}) is not a CA certificate`;
    }
    for (const cert of issuers.slice(0, -1)) {
        const usages = cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [];
        if (!usages.includes(timeStampingOid)) return `the intermediate ${cert.subject} must list the timeStamping extended key usage (EKU chaining)`;
    }
    const nodeCerts = certs.map((c) => new NodeCertificate(Buffer.from(c.rawData)));
    for (let i = 0; i < nodeCerts.length - 1; i++) {
        if (!nodeCerts[i].checkIssued(nodeCerts[i + 1]) || !nodeCerts[i].verify(nodeCerts[i + 1].publicKey)) {
            return `certificate #${i + 1} (${certs[i].subject}) is not issued by the next one: the order must be leaf first, root last`;
        }
    }
    const root = nodeCerts[nodeCerts.length - 1];
    if (!root.checkIssued(root) || !root.verify(root.publicKey)) return "the last certificate must be a self-signed root";
    return undefined;
}

/** Why the private key is not the leaf's, or undefined when it is (the server compares them at startup). */
export function signingKeyProblem(chainPem: string, privateKeyPem: string): string | undefined {
    let publicDer: Buffer;
    try {
        publicDer = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: "spki", format: "der" });
    } catch (e) {
        return `is not a PEM private key: ${(e as Error).message}`;
    }
    const leaf = parseCertificateBundle(chainPem, "the chain")[0];
    return publicDer.equals(leaf.publicKey.export({ type: "spki", format: "der" })) ? undefined : "is not the key of the chain's leaf certificate";
}

function isCa(cert: x509.X509Certificate): boolean {
    return cert.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}

export interface LeafInputs {
    /** The root that issues the leaf, and its key: RSA, so the signature is deterministic. */
    rootCertPem: string;
    rootKeyPem: string;
    /** The leaf's public key (SPKI PEM): the key timestamp-server signs with. */
    leafPublicKeyPem: string;
}

/**
 * Issues the timestamping leaf under the root: not a CA, digitalSignature, one critical
 * timeStamping EKU, valid exactly as long as the root, its subject the root's with " timestamping"
 * appended to the common name. The same inputs always give the same PEM.
 */
export async function issueTimestampingLeaf(i: LeafInputs): Promise<string> {
    const root = new x509.X509Certificate(i.rootCertPem);
    if (createPrivateKey(i.rootKeyPem).asymmetricKeyType !== "rsa")
        throw new Error("the TSA root key must be RSA: its PKCS #1 v1.5 signatures are deterministic, so the leaf never changes");
    const { signingKey, algorithm } = await rsaSigningKey(i.rootKeyPem);
    const leafKey = new x509.PublicKey(createPublicKey(i.leafPublicKeyPem).export({ type: "spki", format: "der" }));
    const serial = createHash("sha256").update(Buffer.from(root.rawData)).update(Buffer.from(leafKey.rawData)).digest("hex").slice(0, 32);
    const leaf = await x509.X509CertificateGenerator.create({
        // Positive and at most 20 octets: the top bit cleared.
        serialNumber: `${(parseInt(serial[0], 16) & 0x7).toString(16)}${serial.slice(1)}`,
        subject: leafSubject(root),
        issuer: root.subjectName,
        notBefore: root.notBefore,
        notAfter: root.notAfter,
        publicKey: leafKey,
        signingKey,
        signingAlgorithm: algorithm,
        extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
            new x509.ExtendedKeyUsageExtension([timeStampingOid], true),
            await x509.SubjectKeyIdentifierExtension.create(leafKey),
            await x509.AuthorityKeyIdentifierExtension.create(root.publicKey),
        ],
    });
    return leaf.toString("pem") + "\n";
}

/** An RSA private key (PEM) as WebCrypto's signing key for @peculiar/x509: RSASSA-PKCS1-v1_5 with SHA-256. */
export async function rsaSigningKey(privateKeyPem: string): Promise<{ signingKey: webcrypto.CryptoKey; algorithm: { name: string; hash: string } }> {
    const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    const der = createPrivateKey(privateKeyPem).export({ type: "pkcs8", format: "der" });
    return { signingKey: await webcrypto.subtle.importKey("pkcs8", der, algorithm, false, ["sign"]), algorithm };
}

/** The root's subject, its common name followed by " timestamping". */
function leafSubject(root: x509.X509Certificate): x509.JsonName {
    return root.subjectName
        .toJSON()
        .map((rdn) => Object.fromEntries(Object.entries(rdn).map(([type, values]) => [type, type === "CN" ? values.map((v) => `${v} timestamping`) : values])));
}
