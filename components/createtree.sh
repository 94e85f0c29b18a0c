# Creates one Trillian log tree and prints its ID, and nothing else, on stdout. Runs after
# trillian-admin.sh (prepended by the program): kube, recorded, admin_connect and admin_run are there.
#
# createtree is not idempotent: every run makes a new, empty tree. So before creating, this script
# looks for the tree ID already recorded in the cluster (the ConfigMap the program writes from this
# script's output); if there is one, it prints that instead. Together with the Command's
# ignoreChanges/protect (components/trillian.ts) this makes a second tree impossible by accident: a
# re-run after lost state or a replaced resource reuses the recorded tree.
#
# Inputs (environment), beyond trillian-admin.sh's: TREE_CONFIGMAP, DISPLAY_NAME, RPC_DEADLINE and
# CREATETREE (the local binary, port-forward mode).

existing=$(recorded "$TREE_CONFIGMAP" treeID)
if [ -n "$existing" ]; then
  echo "createtree: configmap/$TREE_CONFIGMAP already records tree $existing; reusing it" >&2
  printf '%s\n' "$existing"
  exit 0
fi

admin_connect
admin_run createtree "$CREATETREE" --display_name="$DISPLAY_NAME" --rpc_deadline="$RPC_DEADLINE"
