#!/usr/bin/env bash
# A local pod sandbox image (containerd's sandbox_image) for the kubelet lab: one static binary,
# no registry. Prints the docker-archive path (for `ctr images import`); cached.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="${STATIC_EGRESS_CACHE:-$HOME/.cache/static-egress}/image"
NAME=lab-pause TAG=1
ARCHIVE="$OUT/$NAME-$TAG.docker.tar"
if [[ -s "$ARCHIVE" && "$ARCHIVE" -nt "$HERE/pause.c" ]]; then echo "$ARCHIVE"; exit 0; fi
for t in gcc umoci skopeo; do command -v "$t" >/dev/null || { echo "missing: apt-get install -y $t" >&2; exit 1; }; done
W="$OUT/pause-build"
rm -rf "$W" && mkdir -p "$W"
gcc -static -Os -o "$W/pause" "$HERE/pause.c"
umoci init --layout "$W/layout"
umoci new --image "$W/layout:$TAG"
umoci unpack --image "$W/layout:$TAG" "$W/bundle" >/dev/null
install -m 0755 "$W/pause" "$W/bundle/rootfs/pause"
umoci repack --image "$W/layout:$TAG" "$W/bundle"
umoci config --image "$W/layout:$TAG" --architecture amd64 --os linux --config.entrypoint /pause --config.user 65535:65535
rm -f "$ARCHIVE"
skopeo copy --quiet "oci:$W/layout:$TAG" "docker-archive:$ARCHIVE:$NAME:$TAG" >&2
rm -rf "$W"
echo "$ARCHIVE"
