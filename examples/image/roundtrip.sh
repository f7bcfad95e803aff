#!/usr/bin/env bash
# The image round trip of the README: import a busybox base, build an
# image, push it to a loopback registry (Debian's docker-registry), remove
# it, pull it back and run it. Everything lives in a temporary directory
# (its own store root, registry storage) and is removed at the end.
# Usage (as root): examples/image/roundtrip.sh [path/to/strata]
set -euo pipefail
strata=${1:-bin/strata}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/strata-roundtrip.XXXXXX)
port=${PORT:-5000}
reg_pid=""
cleanup() {
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export STRATA_ROOT=$work/root

# A base image from busybox-static.
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/"
for a in sh cat echo ls; do ln -s busybox "$work/rootfs/bin/$a"; done
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
"$strata" image import "$work/busybox.tar" busybox:latest

# A registry on loopback.
cat > "$work/registry.yml" <<EOR
version: 0.1
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
EOR
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

set -x
"$strata" build -t "localhost:$port/hello:1" "$here"
"$strata" push "localhost:$port/hello:1"
"$strata" image rm "localhost:$port/hello:1"
"$strata" image prune        # its layers go too: the pull downloads them
"$strata" pull "localhost:$port/hello:1"
"$strata" run --rm "localhost:$port/hello:1"
