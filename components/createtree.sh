#!/usr/bin/env bash
# Creates one Trillian log tree and prints its ID, and nothing else, on stdout.
#
# Run by a Pulumi command.local.Command on the machine that runs `pulumi up`, against the same
# cluster as the Kubernetes provider (KUBECONFIG / KUBE_CONTEXT). createtree is not idempotent:
# every run makes a new, empty tree. So before creating, this script looks for the tree ID already
# recorded in the cluster (the ConfigMap the program writes from this script's output); if there is
# one, it prints that instead. Together with the Command's ignoreChanges/protect (components/trillian.ts)
# this makes a second tree impossible by accident: a re-run after lost state or a replaced resource
# reuses the recorded tree.
#
# Inputs (environment): NAMESPACE, TREE_CONFIGMAP, DISPLAY_NAME, TRILLIAN_SERVICE, TRILLIAN_GRPC_PORT,
# RPC_DEADLINE, CREATETREE_MODE (port-forward | pod), CREATETREE (local binary, port-forward mode),
# CREATETREE_IMAGE and POD_NAME (pod mode), optional KUBECONFIG and KUBE_CONTEXT, and with internal TLS
# TRILLIAN_CA_CONFIGMAP: the ConfigMap holding the CA (ca.crt) the log server's certificate chains to.
set -euo pipefail

kube() {
  kubectl ${KUBE_CONTEXT:+--context="$KUBE_CONTEXT"} --namespace="$NAMESPACE" "$@"
}

recorded=$(kube get configmap "$TREE_CONFIGMAP" --ignore-not-found --output='jsonpath={.data.treeID}')
if [ -n "$recorded" ]; then
  echo "createtree: configmap/$TREE_CONFIGMAP already records tree $recorded; reusing it" >&2
  printf '%s\n' "$recorded"
  exit 0
fi

create_args=(--display_name="$DISPLAY_NAME" --rpc_deadline="$RPC_DEADLINE")
tls_ca="${TRILLIAN_CA_CONFIGMAP:-}"

case "$CREATETREE_MODE" in
  port-forward)
    # Reach Trillian's admin API from this machine through a port-forward to a random local port.
    forward_log=$(mktemp)
    # kubectl itself (not the kube function's subshell) runs in the background, so that the trap's
    # kill reaches the port-forward instead of leaving it behind.
    kubectl ${KUBE_CONTEXT:+--context="$KUBE_CONTEXT"} --namespace="$NAMESPACE" \
      port-forward "service/$TRILLIAN_SERVICE" ":$TRILLIAN_GRPC_PORT" >"$forward_log" 2>&1 &
    forwarder=$!
    trap 'kill "$forwarder" 2>/dev/null || true; rm -f "$forward_log"' EXIT
    port=""
    for _ in $(seq 1 60); do
      port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' "$forward_log" | head -n 1)
      [ -n "$port" ] && break
      if ! kill -0 "$forwarder" 2>/dev/null; then
        echo "createtree: kubectl port-forward to service/$TRILLIAN_SERVICE failed:" >&2
        cat "$forward_log" >&2
        exit 1
      fi
      sleep 1
    done
    if [ -z "$port" ]; then
      echo "createtree: kubectl port-forward to service/$TRILLIAN_SERVICE did not start within 60s" >&2
      exit 1
    fi
    if [ -n "$tls_ca" ]; then
      # The log server speaks TLS only; its certificate also names 127.0.0.1 for exactly this path.
      ca_file=$(mktemp)
      trap 'kill "$forwarder" 2>/dev/null || true; rm -f "$forward_log" "$ca_file"' EXIT
      kube get configmap "$tls_ca" --output='jsonpath={.data.ca\.crt}' >"$ca_file"
      grep -q 'BEGIN CERTIFICATE' "$ca_file" || { echo "createtree: configmap/$tls_ca holds no ca.crt" >&2; exit 1; }
      create_args+=(--tls_cert_file="$ca_file")
    fi
    "$CREATETREE" --admin_server="127.0.0.1:$port" "${create_args[@]}"
    ;;
  pod)
    # Run createtree inside the cluster from an image that contains it at /createtree. The label is
    # what the NetworkPolicy lets reach the log server; the security context is Pod Security
    # "restricted", which the namespace enforces.
    restricted='{"seccompProfile":{"type":"RuntimeDefault"},"runAsNonRoot":true,"runAsUser":65532,"runAsGroup":65532}'
    container='{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"readOnlyRootFilesystem":true}'
    volumes='[]' mounts='[]'
    if [ -n "$tls_ca" ]; then
      volumes='[{"name":"internal-ca","configMap":{"name":"'"$tls_ca"'"}}]'
      mounts='[{"name":"internal-ca","mountPath":"/etc/sigstore/ca","readOnly":true}]'
      create_args+=(--tls_cert_file=/etc/sigstore/ca/ca.crt)
    fi
    overrides='{"apiVersion":"v1","spec":{"automountServiceAccountToken":false,"securityContext":'"$restricted"',"volumes":'"$volumes"',"containers":[{"name":"'"$POD_NAME"'","securityContext":'"$container"',"volumeMounts":'"$mounts"'}]}}'
    kube run "$POD_NAME" --image="$CREATETREE_IMAGE" --restart=Never --rm --attach --quiet \
      --labels="app.kubernetes.io/name=createtree,app.kubernetes.io/part-of=sigstore" \
      --override-type=strategic --overrides="$overrides" \
      --command -- /createtree --admin_server="$TRILLIAN_SERVICE:$TRILLIAN_GRPC_PORT" "${create_args[@]}" \
      --logtostderr=false --stderrthreshold=FATAL
    # (An attached pod may merge stderr into stdout; createtree's logs stay in the pod, its fatal error does not.)
    ;;
  *)
    echo "createtree: unknown CREATETREE_MODE '$CREATETREE_MODE' (port-forward or pod)" >&2
    exit 2
    ;;
esac
