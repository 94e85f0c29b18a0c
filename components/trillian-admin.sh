#!/usr/bin/env bash
# Shared by createtree.sh and freezetree.sh: the program prepends this file to each of them, and the
# pair is the text a command.local.Command runs (components/trillian.ts). It reaches Trillian's admin
# API (the log server's gRPC port) from the machine that runs `pulumi up`, against the same cluster as
# the Kubernetes provider (KUBECONFIG / KUBE_CONTEXT).
#
# Inputs (environment): NAMESPACE, TRILLIAN_SERVICE, TRILLIAN_GRPC_PORT, CREATETREE_MODE
# (port-forward | pod), CREATETREE_IMAGE and POD_NAME (pod mode), optional KUBECONFIG and
# KUBE_CONTEXT, and with internal TLS TRILLIAN_CA_CONFIGMAP: the ConfigMap holding the CA (ca.crt) the
# log server's certificate chains to.
set -euo pipefail

kube() {
  kubectl ${KUBE_CONTEXT:+--context="$KUBE_CONTEXT"} --namespace="$NAMESPACE" "$@"
}

# recorded CONFIGMAP KEY: the value the cluster records under that key, or nothing.
recorded() {
  kube get configmap "$1" --ignore-not-found --output="jsonpath={.data.$2}"
}

admin_port=""
admin_tls=()
admin_cleanup=()
trap 'for c in "${admin_cleanup[@]}"; do eval "$c"; done' EXIT

# admin_connect: in port-forward mode, forwards a random local port to the log server's gRPC port
# (and fetches the internal CA); in pod mode there is nothing to prepare.
admin_connect() {
  local tls_ca="${TRILLIAN_CA_CONFIGMAP:-}"
  if [ "$CREATETREE_MODE" = pod ]; then
    [ -n "$tls_ca" ] && admin_tls=(--tls_cert_file=/etc/sigstore/ca/ca.crt)
    return 0
  fi
  if [ "$CREATETREE_MODE" != port-forward ]; then
    echo "trillian-admin: unknown CREATETREE_MODE '$CREATETREE_MODE' (port-forward or pod)" >&2
    exit 2
  fi
  local forward_log
  forward_log=$(mktemp)
  # kubectl itself (not the kube function's subshell) runs in the background, so that the trap's
  # kill reaches the port-forward instead of leaving it behind.
  kubectl ${KUBE_CONTEXT:+--context="$KUBE_CONTEXT"} --namespace="$NAMESPACE" \
    port-forward "service/$TRILLIAN_SERVICE" ":$TRILLIAN_GRPC_PORT" >"$forward_log" 2>&1 &
  local forwarder=$!
  admin_cleanup+=("kill $forwarder 2>/dev/null || true" "rm -f '$forward_log'")
  for _ in $(seq 1 60); do
    admin_port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' "$forward_log" | head -n 1)
    [ -n "$admin_port" ] && break
    if ! kill -0 "$forwarder" 2>/dev/null; then
      echo "trillian-admin: kubectl port-forward to service/$TRILLIAN_SERVICE failed:" >&2
      cat "$forward_log" >&2
      exit 1
    fi
    sleep 1
  done
  if [ -z "$admin_port" ]; then
    echo "trillian-admin: kubectl port-forward to service/$TRILLIAN_SERVICE did not start within 60s" >&2
    exit 1
  fi
  if [ -n "$tls_ca" ]; then
    # The log server speaks TLS only; its certificate also names 127.0.0.1 for exactly this path.
    local ca_file
    ca_file=$(mktemp)
    admin_cleanup+=("rm -f '$ca_file'")
    kube get configmap "$tls_ca" --output='jsonpath={.data.ca\.crt}' >"$ca_file"
    grep -q 'BEGIN CERTIFICATE' "$ca_file" || { echo "trillian-admin: configmap/$tls_ca holds no ca.crt" >&2; exit 1; }
    admin_tls=(--tls_cert_file="$ca_file")
  fi
}

# admin_run TOOL LOCAL_BINARY ARGS...: runs Trillian's TOOL (createtree, updatetree) against the
# admin API: the local binary through the port-forward, or /TOOL in a pod of CREATETREE_IMAGE.
admin_run() {
  local tool="$1" binary="$2"
  shift 2
  if [ "$CREATETREE_MODE" = port-forward ]; then
    "$binary" --admin_server="127.0.0.1:$admin_port" "${admin_tls[@]}" "$@"
    return
  fi
  # The label is what the NetworkPolicy lets reach the log server; the security context is Pod
  # Security "restricted", which the namespace enforces.
  local restricted='{"seccompProfile":{"type":"RuntimeDefault"},"runAsNonRoot":true,"runAsUser":65532,"runAsGroup":65532}'
  local container='{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"readOnlyRootFilesystem":true}'
  local volumes='[]' mounts='[]'
  if [ -n "${TRILLIAN_CA_CONFIGMAP:-}" ]; then
    volumes='[{"name":"internal-ca","configMap":{"name":"'"$TRILLIAN_CA_CONFIGMAP"'"}}]'
    mounts='[{"name":"internal-ca","mountPath":"/etc/sigstore/ca","readOnly":true}]'
  fi
  local overrides='{"apiVersion":"v1","spec":{"automountServiceAccountToken":false,"securityContext":'"$restricted"',"volumes":'"$volumes"',"containers":[{"name":"'"$POD_NAME"'","securityContext":'"$container"',"volumeMounts":'"$mounts"'}]}}'
  kube run "$POD_NAME" --image="$CREATETREE_IMAGE" --restart=Never --rm --attach --quiet \
    --labels="app.kubernetes.io/name=createtree,app.kubernetes.io/part-of=sigstore" \
    --override-type=strategic --overrides="$overrides" \
    --command -- "/$tool" --admin_server="$TRILLIAN_SERVICE:$TRILLIAN_GRPC_PORT" "${admin_tls[@]}" "$@" \
    --logtostderr=false --stderrthreshold=FATAL
  # (An attached pod may merge stderr into stdout; the tool's logs stay in the pod, its fatal error does not.)
}
