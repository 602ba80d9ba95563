#!/usr/bin/env bash
# Builds what a real lab node needs beyond the control plane that build.sh makes: kubelet,
# kube-controller-manager and kube-scheduler (k8s.io/kubernetes, same version and the same
# staging-module replaces as build.sh, in a module of their own so the two scripts never edit one
# go.mod), flanneld (github.com/flannel-io/flannel) and the flannel CNI plugin
# (github.com/containernetworking/plugins v0.9.1 plugins/meta/flannel: the Go module proxy does not
# serve github.com/flannel-io/cni-plugin). Cached outside the work tree; prints the bin dir last.
# containerd, runc and the other CNI plugins (bridge, host-local, loopback, portmap) come from
# Debian's packages; `--check` tells which of them are missing.
set -euo pipefail
K8S_VERSION="${K8S_VERSION:-v1.36.3}"
FLANNEL_VERSION="${FLANNEL_VERSION:-v0.28.10}"
CNI_PLUGINS_VERSION="${CNI_PLUGINS_VERSION:-v0.9.1}"
CACHE="${STATIC_EGRESS_CACHE:-$HOME/.cache/static-egress}"
BIN="$CACHE/node-$K8S_VERSION-flannel-$FLANNEL_VERSION/bin"
NICE=(nice -n 10) # two shared cores
log() { echo "[node-build] $*" >&2; }
# shellcheck source=gomod.sh
source "$(dirname "$0")/gomod.sh"

missing_debs() {
  local miss=()
  command -v containerd >/dev/null || miss+=(containerd)
  command -v runc >/dev/null || miss+=(runc)
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] || miss+=(containernetworking-plugins)
  command -v conntrack >/dev/null || miss+=(conntrack)
  command -v skopeo >/dev/null || miss+=(skopeo)
  echo "${miss[@]:-}"
}
if [[ "${1:-}" == "--check" ]]; then
  m=$(missing_debs)
  if [[ -n "$m" ]]; then echo "missing Debian packages: apt-get install -y $m" >&2; exit 1; fi
  exit 0
fi

have_all() { for b in kubelet kube-controller-manager kube-scheduler flanneld flannel; do [[ -x "$BIN/$b" ]] || return 1; done; }
if have_all; then echo "$BIN"; exit 0; fi
# a missing or too old Go is named with what to install, before any download (require-go.sh)
source "$(dirname "$0")/require-go.sh"; require_go || exit 1
mkdir -p "$BIN"
export GOFLAGS=-mod=mod

if [[ ! -x "$BIN/flanneld" ]]; then
  # flanneld's main.go links every backend: tencentvpc needs a module version the proxy no longer
  # serves (403) and udp needs cgo. We build that same main.go without those two imports; host-gw
  # and vxlan, the backends the lab uses, are unchanged.
  log "building flanneld $FLANNEL_VERSION (without the tencentvpc and udp backends)"
  FWORK="$CACHE/build-flannel-$FLANNEL_VERSION"
  mkdir -p "$FWORK"
  src=$(go mod download -json "github.com/flannel-io/flannel@$FLANNEL_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  grep -Ev 'pkg/backend/(tencentvpc|udp)"' "$src/main.go" > "$FWORK/main.go"
  goline=$(grep -m1 '^go ' "$src/go.mod")
  printf 'module static-egress.local/flannelbuild\n\n%s\n\nrequire github.com/flannel-io/flannel %s\n' \
    "$goline" "$FLANNEL_VERSION" > "$FWORK/go.mod"
  # flannel's own go.mod pins its dependencies; start from its go.sum so tidy keeps those versions.
  cp "$src/go.sum" "$FWORK/go.sum"
  (cd "$FWORK" && "${NICE[@]}" go mod tidy >&2 &&
    CGO_ENABLED=0 "${NICE[@]}" go build -ldflags="-s -w -X github.com/flannel-io/flannel/pkg/version.Version=$FLANNEL_VERSION" \
      -o "$BIN/flanneld" . >&2)
fi
if [[ ! -x "$BIN/flannel" ]]; then
  log "building the flannel CNI plugin (containernetworking/plugins $CNI_PLUGINS_VERSION)"
  GOBIN="$BIN.tmp" CGO_ENABLED=0 GOFLAGS= "${NICE[@]}" go install -ldflags="-s -w" \
    "github.com/containernetworking/plugins/plugins/meta/flannel@$CNI_PLUGINS_VERSION" >&2
  mv "$BIN.tmp/flannel" "$BIN/flannel"
fi
rm -rf "$BIN.tmp"

if [[ ! -x "$BIN/kubelet" || ! -x "$BIN/kube-controller-manager" || ! -x "$BIN/kube-scheduler" ]]; then
  WORK="$CACHE/build-$K8S_VERSION/node"
  mkdir -p "$WORK"
  cd "$WORK"
  if [[ ! -f go.sum ]]; then
    log "resolving k8s.io/kubernetes@$K8S_VERSION"
    write_k8s_gomod static-egress.local/k8snodebuild
    cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO
    log "downloading modules (first time only)"
    "${NICE[@]}" go mod tidy >&2
  fi
  for cmd in kubelet kube-scheduler kube-controller-manager; do
    [[ -x "$BIN/$cmd" ]] && continue
    log "building $cmd $K8S_VERSION"
    CGO_ENABLED=0 "${NICE[@]}" go build -ldflags="-s -w" -o "$BIN/$cmd" "k8s.io/kubernetes/cmd/$cmd" >&2
  done
fi
m=$(missing_debs)
[[ -z "$m" ]] || log "also needed from Debian: apt-get install -y $m"
log "done: $BIN"
echo "$BIN"
