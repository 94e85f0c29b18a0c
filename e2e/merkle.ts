/**
 * RFC 9162 (§2.1.3.2, §2.1.4.2) Merkle proof verification, to check what a restored Rekor serves:
 * an entry's inclusion proof against the tree head, and the consistency of an older tree head with
 * a newer one (the log grew from where it was; no fork).
 */
import * as crypto from "node:crypto";

const sha256 = (...parts: Buffer[]) => crypto.createHash("sha256").update(Buffer.concat(parts)).digest();
const node = (left: Buffer, right: Buffer) => sha256(Buffer.from([1]), left, right);

export const leafHash = (leaf: Buffer) => sha256(Buffer.from([0]), leaf);

export function verifyInclusion(leafIndex: number, treeSize: number, leaf: Buffer, proof: Buffer[], root: Buffer): boolean {
    if (leafIndex >= treeSize) return false;
    let fn = leafIndex;
    let sn = treeSize - 1;
    let r = leaf;
    for (const p of proof) {
        if (sn === 0) return false;
        if (fn % 2 === 1 || fn === sn) {
            r = node(p, r);
            while (fn % 2 === 0 && fn !== 0) {
                fn = Math.floor(fn / 2);
                sn = Math.floor(sn / 2);
            }
        } else {
            r = node(r, p);
        }
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
    }
    return sn === 0 && r.equals(root);
}

export function verifyConsistency(firstSize: number, secondSize: number, firstRoot: Buffer, secondRoot: Buffer, proof: Buffer[]): boolean {
    if (firstSize === secondSize) return proof.length === 0 && firstRoot.equals(secondRoot);
    if (firstSize === 0 || firstSize > secondSize || proof.length === 0) return false;
    const path = (firstSize & (firstSize - 1)) === 0 ? [firstRoot, ...proof] : proof;
    let fn = firstSize - 1;
    let sn = secondSize - 1;
    while (fn % 2 === 1) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
    }
    let fr = path[0];
    let sr = path[0];
    for (const c of path.slice(1)) {
        if (sn === 0) return false;
        if (fn % 2 === 1 || fn === sn) {
            fr = node(c, fr);
            sr = node(c, sr);
            while (fn % 2 === 0 && fn !== 0) {
                fn = Math.floor(fn / 2);
                sn = Math.floor(sn / 2);
            }
        } else {
            sr = node(sr, c);
        }
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
    }
    return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}
