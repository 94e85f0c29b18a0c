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

/** RFC 9162 §2.1.1 MTH over leaf hashes (a tile log's level-0 hashes): the root a checkpoint signs. */
export function merkleRoot(leafHashes: Buffer[]): Buffer {
    if (leafHashes.length === 0) return sha256();
    if (leafHashes.length === 1) return leafHashes[0];
    const k = largestPowerOfTwoBelow(leafHashes.length);
    return node(merkleRoot(leafHashes.slice(0, k)), merkleRoot(leafHashes.slice(k)));
}

/**
 * RFC 9162 §2.1.4.1 PROOF(m, D[n]): the consistency proof from the first `firstSize` leaves to all
 * of `leafHashes`, computed from the leaves themselves (a tile log serves leaves, not proofs); checked
 * with verifyConsistency like a proof a server returns.
 */
export function consistencyProof(firstSize: number, leafHashes: Buffer[]): Buffer[] {
    const subproof = (m: number, d: Buffer[], complete: boolean): Buffer[] => {
        if (m === d.length) return complete ? [] : [merkleRoot(d)];
        const k = largestPowerOfTwoBelow(d.length);
        if (m <= k) return [...subproof(m, d.slice(0, k), complete), merkleRoot(d.slice(k))];
        return [...subproof(m - k, d.slice(k), false), merkleRoot(d.slice(0, k))];
    };
    return subproof(firstSize, leafHashes, true);
}

/** The largest power of two strictly below n (n ≥ 2). */
function largestPowerOfTwoBelow(n: number): number {
    let k = 1;
    while (k * 2 < n) k *= 2;
    return k;
}
