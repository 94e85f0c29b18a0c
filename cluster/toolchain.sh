#!/usr/bin/env bash
# Builds the cluster suite's toolchain from the Go module proxy, once, into a cache kept between runs:
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, kwokctl,
#   the Pulumi CLI (at the version of @pulumi/pulumi) and the Kubernetes provider plugin.
# Each piece is a small wrapper module (go.mod + replaces) built with the machine's Go; a warm run
# finds every binary and builds nothing. The command/tls/random provider plugins are NOT built here:
# the Go module proxy does not serve them (see docs/operations.md, "Air-gapped: the CLI and provider plugins").
#
# Usage: cluster/toolchain.sh [piece …]    (pieces: etcd kubernetes kwok pulumi provider-kubernetes monitoring-crds policy-controller-crds)
# Prints nothing but progress on stderr; the binaries land in $CACHE/cluster/bin.
set -euo pipefail

CACHE="${SIGSTORE_E2E_CACHE:-$HOME/.cache/sigstore-onprem-e2e}"
ROOT="$CACHE/cluster"
BIN="$ROOT/bin"
SRC="$ROOT/src"
export GOMODCACHE="$CACHE/gomod" GOCACHE="$CACHE/gocache" GOFLAGS=-modcacherw GOTOOLCHAIN=local CGO_ENABLED=0
mkdir -p "$BIN" "$SRC"
# One build at a time: each piece deletes and recreates its wrapper module under $SRC, so two runs at
# once (a suite's ensureToolchain beside a manual run) break each other. The second waits.
exec 9>"$ROOT/.lock"
flock 9

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=cluster/versions.sh
. "$here/versions.sh"

log() { printf '[toolchain] %s\n' "$*" >&2; }

# wrapper NAME: a fresh module dir to build from; its go.mod is written by the caller.
wrapper() { local d="$SRC/$1"; rm -rf "$d"; mkdir -p "$d"; printf '%s' "$d"; }

have() { for b in "$@"; do [ -x "$BIN/$b" ] || return 1; done; }

build_etcd() {
  have etcd && return
  log "etcd $ETCD_VERSION (~2 min cold)"
  local d; d=$(wrapper etcd)
  (cd "$d" && go mod init toolchain/etcd >/dev/null 2>&1 \
    && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1 \
    && go build -o "$BIN/etcd" go.etcd.io/etcd/server/v3)
}

build_kubernetes() {
  have kube-apiserver kube-controller-manager kube-scheduler kubectl && return
  log "kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $KUBERNETES_VERSION (~15 min cold)"
  local d; d=$(wrapper kubernetes)
  go mod download "k8s.io/kubernetes@$KUBERNETES_VERSION"
  local gomod="$GOMODCACHE/cache/download/k8s.io/kubernetes/@v/$KUBERNETES_VERSION.mod"
  # k8s.io/kubernetes points its 31 staging modules at ./staging; point them at the released tags.
  local staging_version="v0${KUBERNETES_VERSION#v1}"
  {
    echo "module toolchain/kubernetes"
    echo "go 1.25"
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#replace \1 => \1 '"$staging_version"'#p' "$gomod"
  } >"$d/go.mod"
  local pkg="k8s.io/kubernetes/cmd" x="" minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x+=" -X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor"
  done
  (cd "$d" && go get "$pkg/kube-apiserver@$KUBERNETES_VERSION" "$pkg/kube-controller-manager@$KUBERNETES_VERSION" \
      "$pkg/kube-scheduler@$KUBERNETES_VERSION" "$pkg/kubectl@$KUBERNETES_VERSION" >/dev/null \
    && for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
         go build -ldflags "$x" -o "$BIN/$c" "$pkg/$c"; done)
}

build_kwok() {
  have kwok kwokctl && return
  log "kwok, kwokctl $KWOK_VERSION (~4 min cold)"
  local d; d=$(wrapper kwok)
  (cd "$d" && go mod init toolchain/kwok >/dev/null 2>&1 \
    && go get "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION" >/dev/null \
    && go build -ldflags "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" -o "$BIN/kwok" sigs.k8s.io/kwok/cmd/kwok \
    && go build -ldflags "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" -o "$BIN/kwokctl" sigs.k8s.io/kwok/cmd/kwokctl)
}

build_monitoring_crds() {
  # Not a build: the Prometheus Operator module holds the CRD manifests the cluster suite applies.
  [ -d "$GOMODCACHE/github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION/example/prometheus-operator-crd" ] && return
  log "Prometheus Operator CRDs $PROMETHEUS_OPERATOR_VERSION (module download)"
  (cd "$SRC" && go mod download "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")
}

build_policy_controller_crds() {
  [ -d "$GOMODCACHE/github.com/sigstore/policy-controller@$POLICY_CONTROLLER_VERSION/config" ] && return
  log "policy-controller CRDs $POLICY_CONTROLLER_VERSION (module download)"
  (cd "$SRC" && go mod download "github.com/sigstore/policy-controller@$POLICY_CONTROLLER_VERSION")
}

build_pulumi() {
  have pulumi && return
  log "pulumi CLI $PULUMI_VERSION (~11 min cold, 1.7 GB)"
  local d; d=$(wrapper pulumi)
  cat >"$d/go.mod" <<MOD
module toolchain/pulumi
go 1.25
require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
  (cd "$d" && go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION" >/dev/null \
    && go build -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
         -o "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_provider_kubernetes() {
  have pulumi-resource-kubernetes && return
  log "pulumi-resource-kubernetes from $PROVIDER_KUBERNETES_MODULE (~13 min cold, 4.5 GB)"
  local d; d=$(wrapper provider-kubernetes)
  local mod="github.com/pulumi/pulumi-kubernetes/provider/v4"
  cat >"$d/go.mod" <<MOD
module toolchain/provider-kubernetes
go 1.25
require $mod $PROVIDER_KUBERNETES_MODULE
MOD
  go mod download "$mod@$PROVIDER_KUBERNETES_MODULE"
  local src="$GOMODCACHE/$mod@$PROVIDER_KUBERNETES_MODULE"
  cp "$src/cmd/pulumi-resource-kubernetes/schema.json" "$d/schema.json"
  cp "$src/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$d/terraform-mapping.json"
  cp "$here/provider-kubernetes/main.go" "$d/main.go"
  (cd "$d" && go get "$mod@$PROVIDER_KUBERNETES_MODULE" >/dev/null && go mod tidy >/dev/null \
    && go build -ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PROVIDER_KUBERNETES_VERSION" \
         -o "$BIN/pulumi-resource-kubernetes" .)
}

pieces=("$@")
[ "${#pieces[@]}" -gt 0 ] || pieces=(etcd kwok kubernetes pulumi provider-kubernetes monitoring-crds policy-controller-crds)
for p in "${pieces[@]}"; do "build_${p//-/_}"; done
log "ready in $BIN"
