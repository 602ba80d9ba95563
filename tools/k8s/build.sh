#!/usr/bin/env bash
# Builds the real kube-apiserver, kubectl and etcd from the Go module proxy (DESIGN §7) into a
# cache outside the work tree, so later runs and CI reuse it. Prints the bin directory last.
# k8s.io/kubernetes requires its staging modules at v0.0.0; we replace each with its published
# v0.<minor>.<patch> — the pattern other projects use to build against it.
set -euo pipefail
K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
CACHE="${STATIC_EGRESS_CACHE:-$HOME/.cache/static-egress}"
BIN="$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION/bin"
log() { echo "[k8s-build] $*" >&2; }
# shellcheck source=gomod.sh
source "$(dirname "$0")/gomod.sh"
if [[ -x "$BIN/kube-apiserver" && -x "$BIN/kubectl" && -x "$BIN/etcd" ]]; then
  echo "$BIN"; exit 0
fi
# a missing or too old Go is named with what to install, before any download (require-go.sh)
source "$(dirname "$0")/require-go.sh"; require_go || exit 1
mkdir -p "$BIN"
WORK="$CACHE/build-$K8S_VERSION"
mkdir -p "$WORK/k8s" "$WORK/etcd"
export GOFLAGS=-mod=mod

if [[ ! -x "$BIN/kube-apiserver" || ! -x "$BIN/kubectl" ]]; then
  log "resolving k8s.io/kubernetes@$K8S_VERSION"
  cd "$WORK/k8s"
  write_k8s_gomod static-egress.local/k8sbuild
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  log "downloading modules (first time only; several minutes)"
  go mod tidy >&2
  log "building kube-apiserver (first build takes minutes on two cores)"
  CGO_ENABLED=0 go build -ldflags="-s -w" -o "$BIN/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2
  log "building kubectl"
  CGO_ENABLED=0 go build -ldflags="-s -w" -o "$BIN/kubectl" k8s.io/kubernetes/cmd/kubectl >&2
fi
if [[ ! -x "$BIN/etcd" ]]; then
  cd "$WORK/etcd"
  cat > go.mod <<GO
module static-egress.local/etcdbuild

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GO
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  log "downloading etcd $ETCD_VERSION"
  go mod tidy >&2
  log "building etcd"
  CGO_ENABLED=0 go build -ldflags="-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3 >&2
fi
log "done: $BIN"
echo "$BIN"
