# Freezes one retired Trillian log tree and prints, and nothing else on stdout, the time it was
# frozen (RFC 3339, UTC): the end of its signing key's validity in the trusted root. Runs after
# trillian-admin.sh (prepended by the program): kube, recorded, admin_connect and admin_run are there.
#
# A Rekor key rotation (rekorKeyGeneration) makes a new tree the active shard; the old one must stop
# growing before Rekor restarts with it as an inactive shard, because Rekor reads each inactive
# shard's length once at startup (rekor v1.5.4 pkg/sharding/ranges.go, CompleteInitialization) and
# numbers the new tree's entries after it. A CT log rotation (ctlogKeyGeneration) makes a new log; the
# old one must stop accepting entries its retired key would sign past the end of its validity in the
# trusted root. Trillian's own sequence for either:
#   DRAINING  no new leaves are queued (QueueLeaf is refused), the signer still integrates queued ones;
#   FROZEN    after DRAIN_SECONDS: nothing changes any more, reads still work.
# Rekor acknowledges an entry only once it is integrated, so a leaf still queued at FROZEN was never
# acknowledged; ct_server's SCT promises to integrate a queued leaf, and the drain keeps that promise
# (10 s are a hundred sequencing passes at the default interval).
#
# Freezing is idempotent, and the first freeze time is kept: if the cluster records one (the ConfigMap
# the program writes from this script's output), that is printed and nothing is changed.
#
# Inputs (environment), beyond trillian-admin.sh's: TREE_ID, FREEZE_CONFIGMAP, DRAIN_SECONDS,
# RPC_DEADLINE and UPDATETREE (the local binary, port-forward mode).

frozen_at=$(recorded "$FREEZE_CONFIGMAP" frozenAt)
if [ -n "$frozen_at" ]; then
  echo "freezetree: configmap/$FREEZE_CONFIGMAP records tree $TREE_ID frozen at $frozen_at; nothing to do" >&2
  printf '%s\n' "$frozen_at"
  exit 0
fi

# set_state STATE: updatetree prints the tree's new state (its only stdout); anything else is a failure.
set_state() {
  local printed
  printed=$(admin_run updatetree "$UPDATETREE" --tree_id="$TREE_ID" --tree_state="$1" --rpc_deadline="$RPC_DEADLINE")
  if [ "$(printf '%s' "$printed" | tail -n 1)" != "$1" ]; then
    echo "freezetree: updatetree did not set tree $TREE_ID to $1; it printed: $printed" >&2
    exit 1
  fi
  echo "freezetree: tree $TREE_ID is $1" >&2
}

admin_connect
set_state DRAINING
sleep "$DRAIN_SECONDS"
set_state FROZEN
date -u +%Y-%m-%dT%H:%M:%SZ
