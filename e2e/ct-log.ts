/**
 * RFC 6962 checks of a certificate against the CT log that signed its SCT: the SCTs embedded in a
 * certificate, the precertificate entry the log must hold for it (rebuilt from the final
 * certificate, as a CT auditor does), and whether the log serves that entry with an inclusion proof
 * into its signed tree head.
 */
import * as crypto from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate, Extensions } from "@peculiar/asn1-x509";
import { leafHash, verifyConsistency, verifyInclusion } from "./merkle";

/** The X.509 extension that carries the embedded SCT list (RFC 6962 §3.3). */
export const sctListOid = "1.3.6.1.4.1.11129.2.4.2";

export interface Sct {
    /** The log's ID (base64): SHA-256 of its public key. */
    logId: string;
    timestampMs: number;
    /** The SCT's CtExtensions, which the log's entry repeats. */
    extensions: Buffer;
}

/**
 * The SCTs of an SCT list extension value (RFC 6962 §3.3: a DER OCTET STRING around the
 * TLS-encoded SignedCertificateTimestampList).
 */
export function sctListOf(extensionValue: Buffer): Sct[] {
    if (extensionValue[0] !== 0x04) throw new Error("the SCT list extension is not an OCTET STRING");
    let offset = 2;
    if (extensionValue[1] & 0x80) offset += extensionValue[1] & 0x7f; // long form length
    const list = extensionValue.subarray(offset);
    const end = 2 + list.readUInt16BE(0);
    const scts: Sct[] = [];
    for (let at = 2; at < end;) {
        const length = list.readUInt16BE(at);
        const sct = list.subarray(at + 2, at + 2 + length);
        if (sct[0] !== 0) throw new Error(`SCT version ${sct[0]}, not v1`);
        const extLength = sct.readUInt16BE(41);
        scts.push({
            logId: sct.subarray(1, 33).toString("base64"),
            timestampMs: Number(sct.readBigUInt64BE(33)),
            extensions: sct.subarray(43, 43 + extLength),
        });
        at += 2 + length;
    }
    return scts;
}

/** The embedded SCTs of a DER certificate (none if it has no SCT list). */
export function embeddedScts(certDer: Buffer): Sct[] {
    const cert = AsnConvert.parse(certDer, Certificate);
    const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === sctListOid);
    return ext ? sctListOf(Buffer.from(ext.extnValue.buffer)) : [];
}

/**
 * The MerkleTreeLeaf (RFC 6962 §3.4) of the precertificate entry behind an SCT embedded in `certDer`:
 * the final certificate's TBSCertificate without its SCT list is the precertificate's TBS without its
 * poison, and the issuer key hash is SHA-256 of the issuing CA's SubjectPublicKeyInfo.
 */
export function precertLeaf(certDer: Buffer, issuerDer: Buffer, sct: Sct): Buffer {
    const cert = AsnConvert.parse(certDer, Certificate);
    const originalTbs = Buffer.from(AsnConvert.serialize(cert.tbsCertificate));
    if (!certDer.includes(originalTbs)) throw new Error("the TBSCertificate does not re-encode to its own bytes: cannot rebuild the precertificate");
    cert.tbsCertificate.extensions = new Extensions((cert.tbsCertificate.extensions ?? []).filter((e) => e.extnID !== sctListOid));
    const tbs = Buffer.from(AsnConvert.serialize(cert.tbsCertificate));
    const issuer = AsnConvert.parse(issuerDer, Certificate);
    const issuerKeyHash = crypto
        .createHash("sha256")
        .update(Buffer.from(AsnConvert.serialize(issuer.tbsCertificate.subjectPublicKeyInfo)))
        .digest();
    const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
    const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
    const timestamp = Buffer.alloc(8);
    timestamp.writeBigUInt64BE(BigInt(sct.timestampMs));
    return Buffer.concat([
        Buffer.from([0, 0]), // v1, timestamped_entry
        timestamp,
        u16(1), // precert_entry
        issuerKeyHash,
        u24(tbs.length),
        tbs,
        u16(sct.extensions.length),
        sct.extensions,
    ]);
}

export interface SignedTreeHead {
    treeSize: number;
    rootHash: Buffer;
}

/** A CT log's HTTP API at its base URL (`<host>/<prefix>`). */
export class CtLogClient {
    constructor(readonly baseUrl: string) {}

    private async get(p: string): Promise<any> {
        const res = await fetch(`${this.baseUrl}/ct/v1/${p}`);
        const text = await res.text();
        if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${text.slice(0, 200)}`);
        return JSON.parse(text);
    }

    async sth(): Promise<SignedTreeHead> {
        const sth = await this.get("get-sth");
        return { treeSize: Number(sth.tree_size), rootHash: Buffer.from(sth.sha256_root_hash, "base64") };
    }

    /** Whether the log serves the leaf with an inclusion proof into `head`. */
    async includes(leaf: Buffer, head: SignedTreeHead): Promise<boolean> {
        const hash = leafHash(leaf);
        const res = await fetch(`${this.baseUrl}/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(hash.toString("base64"))}&tree_size=${head.treeSize}`);
        if (res.status !== 200) return false;
        const proof: any = await res.json();
        const path = (proof.audit_path as string[]).map((h) => Buffer.from(h, "base64"));
        return verifyInclusion(Number(proof.leaf_index), head.treeSize, hash, path, head.rootHash);
    }

    /** Whether `newer` extends `older` (RFC 6962 §2.1.2 consistency proof): the log did not fork. */
    async consistent(older: SignedTreeHead, newer: SignedTreeHead): Promise<boolean> {
        if (older.treeSize === 0) return true;
        if (older.treeSize === newer.treeSize) return older.rootHash.equals(newer.rootHash);
        const proof = await this.get(`get-sth-consistency?first=${older.treeSize}&second=${newer.treeSize}`);
        const path = (proof.consistency as string[]).map((h) => Buffer.from(h, "base64"));
        return verifyConsistency(older.treeSize, newer.treeSize, older.rootHash, newer.rootHash, path);
    }
}
