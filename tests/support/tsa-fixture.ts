/**
 * Timestamping chains for tests: the program's own recipe (an RSA root from the tls emulator and the
 * leaf lib/tsa-chain.ts issues), and variants of it that timestamp-server would refuse.
 */
import "reflect-metadata";
import { createPrivateKey, createPublicKey } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { issueTimestampingLeaf, rsaSigningKey } from "../../lib/tsa-chain";
import { privateKey, selfSignedCert } from "./tls-emulator";

export interface TsaChainFixture {
    /** Leaf first, root last. */
    chainPem: string;
    leafKeyPem: string;
    rootCertPem: string;
    rootKeyPem: string;
}

/** A chain as the program generates it: valid for timestamp-server. */
export async function generatedTsaChain(now = new Date()): Promise<TsaChainFixture> {
    const rootKey = privateKey({ algorithm: "RSA", rsaBits: 3072 });
    const root = await selfSignedCert(
        {
            privateKeyPem: rootKey.privateKeyPem,
            subject: { organization: "Corp", commonName: "corp-tsa-root" },
            isCaCertificate: true,
            allowedUses: ["cert_signing", "crl_signing"],
            validityPeriodHours: 87600,
        },
        now,
    );
    const leafKey = privateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const leaf = await issueTimestampingLeaf({ rootCertPem: root.certPem, rootKeyPem: rootKey.privateKeyPem, leafPublicKeyPem: leafKey.publicKeyPem });
    return { chainPem: leaf + root.certPem, leafKeyPem: leafKey.privateKeyPem, rootCertPem: root.certPem, rootKeyPem: rootKey.privateKeyPem };
}

export interface IssueOptions {
    subject: string;
    /** The subject's public key (SPKI PEM). */
    publicKeyPem: string;
    ca: boolean;
    /** Extended key usages (OIDs); none: no extension. */
    usages?: string[];
    ekuCritical?: boolean;
}

/** A certificate issued by an RSA issuer with whatever the options say, rules or not. */
export async function issueUnder(issuerCertPem: string, issuerKeyPem: string, o: IssueOptions): Promise<string> {
    const issuer = new x509.X509Certificate(issuerCertPem);
    const { signingKey, algorithm } = await rsaSigningKey(issuerKeyPem);
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: "01",
        subject: o.subject,
        issuer: issuer.subjectName,
        notBefore: issuer.notBefore,
        notAfter: issuer.notAfter,
        publicKey: new x509.PublicKey(createPublicKey(o.publicKeyPem).export({ type: "spki", format: "der" })),
        signingKey,
        signingAlgorithm: algorithm,
        extensions: [
            new x509.BasicConstraintsExtension(o.ca, undefined, true),
            new x509.KeyUsagesExtension(o.ca ? x509.KeyUsageFlags.keyCertSign : x509.KeyUsageFlags.digitalSignature, true),
            ...(o.usages ? [new x509.ExtendedKeyUsageExtension(o.usages, o.ekuCritical ?? true)] : []),
        ],
    });
    return cert.toString("pem") + "\n";
}

/**
 * A leaf under the fixture's root whose single timeStamping EKU is NOT critical: what @pulumi/tls
 * (Go's crypto/x509) would make, and what timestamp-server refuses to start with.
 */
export async function nonCriticalEkuChain(f: TsaChainFixture): Promise<string> {
    const leaf = await issueUnder(f.rootCertPem, f.rootKeyPem, {
        subject: "CN=non-critical EKU",
        publicKeyPem: createPublicKey(createPrivateKey(f.leafKeyPem)).export({ type: "spki", format: "pem" }) as string,
        ca: false,
        usages: [timeStamping],
        ekuCritical: false,
    });
    return leaf + f.rootCertPem;
}

export const timeStamping = "1.3.6.1.5.5.7.3.8";
