/** Trillian: replicas, the signer's tuning, adopted trees, and how trees are created and frozen. */
import { defaults } from "./defaults";
import { pathLike, treeId } from "./checks";
import { Check, Reader } from "./reader";
import { CreatetreeConfig, createtreeModes, SignerElection, TrillianConfig } from "./types";

/** A Go duration the signer accepts, from 10ms to 1m: shorter burns CPU, longer delays every entry. */
const sequencerInterval: Check = (v) => {
    const m = /^(\d+)(ms|s)$/.exec(v);
    const ms = m ? Number(m[1]) * (m[2] === "s" ? 1000 : 1) : NaN;
    return ms >= 10 && ms <= 60_000 ? undefined : 'must be a duration from 10ms to 60s written as <n>ms or <n>s, e.g. "100ms"';
};

const imageReference: Check = (v) => (/^[a-z0-9][a-z0-9./:_-]*(@sha256:[a-f0-9]{64})?$/.test(v) ? undefined : "must be an image reference");

function readCreatetree(r: Reader): CreatetreeConfig {
    const mode = r.oneOf("createtreeMode", createtreeModes, defaults.createtreeMode);
    const binaries = {
        binary: r.string("createtreeBinary", defaults.createtreeBinary, pathLike),
        updatetreeBinary: r.string("updatetreeBinary", defaults.updatetreeBinary, pathLike),
    };
    if (mode === "port-forward") return { mode, ...binaries };
    const image = r.required("createtreeImage", imageReference, 'when createtreeMode is "pod": an image with Trillian\'s createtree at /createtree');
    return { mode, ...binaries, image };
}

/**
 * The servers' MySQL pools. Idle connections above the bound would be closed again at once (Go's
 * database/sql caps idle at open), so a pool whose idle setting exceeds its bound is refused.
 */
function readPool(r: Reader): { mysqlMaxConns: number; mysqlMaxIdleConns: number } {
    const mysqlMaxConns = r.int("trillianMysqlMaxConns", defaults.trillianMysqlMaxConns, 0, 1000);
    const mysqlMaxIdleConns = r.int("trillianMysqlMaxIdleConns", defaults.trillianMysqlMaxIdleConns, -1, 1000);
    if (mysqlMaxConns > 0 && mysqlMaxIdleConns > mysqlMaxConns) {
        r.reject(
            "trillianMysqlMaxIdleConns",
            mysqlMaxIdleConns,
            `must not exceed trillianMysqlMaxConns (${mysqlMaxConns}): a pool keeps no more idle connections than it may open`,
        );
    }
    return { mysqlMaxConns, mysqlMaxIdleConns };
}

/** A duration written in whole seconds ("15s"), as a number of seconds; NaN for anything else. */
const wholeSeconds = (v: string): number => (/^\d+s$/.test(v) ? Number(v.slice(0, -1)) : NaN);

/** Whole seconds from 1 s to 10 min: the Lease records its duration in whole seconds. */
const electionDuration: Check = (v) => (wholeSeconds(v) >= 1 && wholeSeconds(v) <= 600 ? undefined : 'must be whole seconds from 1s to 600s, e.g. "15s"');

/** A follower must try more often than a Lease lasts, or a dead leader's trees wait up to both added. */
function readElection(r: Reader): SignerElection {
    const leaseDuration = r.string("trillianSignerLeaseDuration", defaults.trillianSignerLeaseDuration, electionDuration);
    const retryPeriod = r.string("trillianSignerLeaseRetryPeriod", defaults.trillianSignerLeaseRetryPeriod, electionDuration);
    if (wholeSeconds(retryPeriod) >= wholeSeconds(leaseDuration)) {
        r.reject(
            "trillianSignerLeaseRetryPeriod",
            retryPeriod,
            `must be shorter than trillianSignerLeaseDuration (${leaseDuration}): followers try to take a lease more often than it lasts`,
        );
    }
    return { leaseDuration, retryPeriod };
}

export function readTrillian(r: Reader): TrillianConfig {
    const createtree = readCreatetree(r);
    return {
        serverReplicas: r.int("trillianServerReplicas", defaults.trillianServerReplicas, 1, 20),
        signerReplicas: r.int("trillianSignerReplicas", defaults.trillianSignerReplicas, 1, 5),
        election: readElection(r),
        tuning: {
            sequencerInterval: r.string("trillianSequencerInterval", defaults.trillianSequencerInterval, sequencerInterval),
            batchSize: r.int("trillianBatchSize", defaults.trillianBatchSize, 1, 100000),
            numSequencers: r.int("trillianNumSequencers", defaults.trillianNumSequencers, 1, 100),
            ...readPool(r),
        },
        rekorTreeId: r.optional("rekorTreeId", treeId),
        ctlogTreeId: r.optional("ctlogTreeId", treeId),
        createtree,
    };
}
