// Renders the file behind rekor-server's --trillian_log_server.sharding_config (rekor v1.5.4): the
// inactive shards, oldest first, that Rekor keeps serving beside its active tree.
//
// Rekor reads it with sigs.k8s.io/yaml into sharding.Ranges (pkg/sharding/ranges.go): a list of
// LogRange {treeID, treeLength, signingConfig, grpcEndpoint}, signingConfig being signer.SigningConfig
// {signingSchemeOrKeyPath, fileSignerPassword, …} (pkg/signer/signer.go). JSON tags, case-insensitive
// in Go, unknown keys ignored: the names are fixed here and unit-tested, and the e2e suite runs the
// real server on exactly this file.
//
// treeLength is not written: v1.5.4 overwrites it at startup with each inactive tree's size as
// Trillian reports it (CompleteInitialization), which is exact because the tree is frozen first
// (components/freezetree.sh). Each shard names its own key, so entries and checkpoints of an old tree
// keep verifying with the key that signed them (an unset signingConfig would mean the active key).
import * as YAML from "yaml";
import { parsePositiveInt64 } from "./tree-id";

export interface InactiveShard {
    /** Decimal tree ID (int64: rendered as a YAML integer without passing through a JS number). */
    treeId: string;
    /** Path of the shard's PEM private key inside the Rekor container (unencrypted, like the active one). */
    signerKeyPath: string;
}

export function renderShardingConfig(shards: InactiveShard[]): string {
    if (shards.length === 0) throw new Error("renderShardingConfig: no inactive shards (then Rekor gets no --trillian_log_server.sharding_config)");
    const ranges = shards.map((shard, i) => {
        const treeID = parsePositiveInt64(shard.treeId);
        if (treeID === undefined) throw new Error(`inactive shard ${i + 1}: tree ID ${JSON.stringify(shard.treeId)} is not a positive 64-bit integer`);
        if (!shard.signerKeyPath.startsWith("/"))
            throw new Error(`inactive shard ${i + 1}: signer key path ${JSON.stringify(shard.signerKeyPath)} must be absolute`);
        return { treeID, signingConfig: { signingSchemeOrKeyPath: shard.signerKeyPath } };
    });
    return YAML.stringify(ranges);
}
