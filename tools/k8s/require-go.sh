#!/usr/bin/env bash
# The Go toolchain the builds need, checked before any build starts (issue 15: Debian 12's packaged
# Go, 1.19, cannot build today's kube-apiserver, and used to fail deep inside `go mod tidy`).
# k8s.io/kubernetes v1.36.3 and flannel v0.28.10 declare `go 1.26.0` in their go.mod.
#   source tools/k8s/require-go.sh && require_go     # in build.sh / build-node.sh
#   bash tools/k8s/require-go.sh                     # prints the verdict; exit 1 when Go is unusable
# A Go >= 1.21 older than that is fine: with GOTOOLCHAIN=auto it fetches the toolchain the module
# asks for through the Go module proxy, like any module. Older or missing: it says what to install.
GO_MIN="${GO_MIN:-1.26.0}"

# "1.26.8" → 1026008; "1.19" → 1019000
go_version_number() {
  local IFS=. v
  read -r -a v <<<"$1"
  echo $(( ${v[0]:-0} * 1000000 + ${v[1]:-0} * 1000 + ${v[2]:-0} ))
}

go_install_hint() {
  cat >&2 <<EOF
  Install Go $GO_MIN or newer (official release archive go$GO_MIN.linux-amd64.tar.gz or newer, unpacked into
  /usr/local/go, then: export PATH=/usr/local/go/bin:\$PATH). Debian 12's 'golang' package is Go 1.19: too old.
  Any Go >= 1.21 is enough as a starting point: the build then fetches go$GO_MIN itself (GOTOOLCHAIN=auto).
EOF
}

# Sets GOTOOLCHAIN=auto when the installed Go can switch by itself; returns 1 (after saying what to
# install) when it cannot.
require_go() {
  if ! command -v go >/dev/null; then
    echo "Go is missing: the first run builds kube-apiserver, etcd, kubectl (and for the deploy layer kubelet and flanneld) from source." >&2
    go_install_hint; return 1
  fi
  local have
  have=$(go env GOVERSION 2>/dev/null || go version | awk '{print $3}')
  have=${have#go}; have=${have%%[!0-9.]*}
  if (( $(go_version_number "$have") >= $(go_version_number "$GO_MIN") )); then return 0; fi
  if (( $(go_version_number "$have") >= $(go_version_number 1.21.0) )); then
    echo "Go $have is older than $GO_MIN: letting it fetch go$GO_MIN (GOTOOLCHAIN=auto)" >&2
    export GOTOOLCHAIN=auto
    return 0
  fi
  echo "Go $have ($(command -v go)) is too old: k8s.io/kubernetes v1.36.3 needs Go $GO_MIN." >&2
  go_install_hint; return 1
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  require_go && echo "Go ok: $(go version)"
fi
