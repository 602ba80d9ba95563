# Sourced by build.sh and build-node.sh. write_k8s_gomod MODULE: writes ./go.mod of a module that
# requires k8s.io/kubernetes $K8S_VERSION. k8s.io/kubernetes requires its staging modules at v0.0.0;
# each is replaced with its published v0.<minor>.<patch> — the pattern other projects use to build
# against it.
write_k8s_gomod() {
  local modfile staging_v
  modfile=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  staging_v="v0.${K8S_VERSION#v1.}"
  {
    echo "module $1"; echo; grep -m1 '^go ' "$modfile"; echo
    echo "require k8s.io/kubernetes $K8S_VERSION"; echo
    echo "replace ("
    awk '/^replace \(/{r=1;next} r&&/^\)/{r=0} r&&$1 ~ /^k8s.io\//{print $1}' "$modfile" | sort -u |
      while read -r m; do echo "	$m => $m $staging_v"; done
    echo ")"
  } > go.mod
}
