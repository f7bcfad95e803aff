#!/usr/bin/env bash
# build.sh builds strata's riscv64 Linux guest — a tinyconfig-based Linux 6.1
# kernel from Debian's linux-source-6.1 and an initramfs holding strata's Go
# /init — and caches it outside the repository (see docs/guest.md):
#
#   ${STRATA_CACHE:-$HOME/.cache/strata}/guest/<key>/{Image,initramfs.cpio.gz,config}
#
# <key> is a sha256 over the kernel config fragment, the linux-source-6.1 and
# cross-compiler package versions, the Go toolchain version, the Go sources of
# guest/init and guest/mkcpio and the strata packages they import, and the
# versions of the other modules they use. The kernel alone is cached under
# guest/kernel/<kernel-key>/ so that changing the init does not rebuild it.
# Every directory is written under a temporary name and renamed into place, so
# an interrupted build is never used.
#
# Usage: build.sh           build if needed; print the artifact directory on stdout
#        build.sh --locate  print the directory if it is complete, else exit 3
#        build.sh --key     print the key
# Progress goes to stderr.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export PATH="$PATH:/usr/local/go/bin"
GO=${GO:-go}
CACHE=${STRATA_CACHE:-$HOME/.cache/strata}/guest
FRAGMENT=$ROOT/scripts/guest/kernel.config
CROSS=riscv64-linux-gnu-
JOBS=${GUEST_JOBS:-2}
# Bump when the kernel recipe below changes in a way that changes the Image.
RECIPE=2

say() { echo "guest: $*" >&2; }
die() { echo "guest: error: $*" >&2; exit 1; }

need() { # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: install the Debian package $2 (make setup)"
}
need ${CROSS}gcc gcc-riscv64-linux-gnu
need "$GO" "golang (Go 1.22 or newer; /usr/local/go)"
need sha256sum coreutils
need flock util-linux
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
SRCVER=$(pkgver linux-source-6.1)
TARBALL=/usr/src/linux-source-6.1.tar.xz
[ -n "$SRCVER" ] && [ -f "$TARBALL" ] || die "$TARBALL not found: install the Debian package linux-source-6.1 (make setup)"
CCVER="$(pkgver gcc-riscv64-linux-gnu) $(${CROSS}gcc --version | head -n1)"
GOVER=$($GO env GOVERSION)

# The kernel key covers what the Image depends on; the guest key adds the init.
KKEY=$( { echo "recipe $RECIPE"; echo "linux-source-6.1 $SRCVER"; echo "cc $CCVER";
          cat "$FRAGMENT"; } | sha256sum | cut -c1-16)
# init_inputs lists what the initramfs is built from: every Go file of the
# strata packages guest/init and guest/mkcpio depend on, and the version of
# every other module they use (golang.org/x/sys, …).
init_inputs() {
  (cd "$ROOT" && GOOS=linux GOARCH=riscv64 CGO_ENABLED=0 "$GO" list -deps -f '{{with .Module}}{{if eq .Path "strata"}}{{range $.GoFiles}}file {{$.Dir}}/{{.}}
{{end}}{{range $.EmbedFiles}}file {{$.Dir}}/{{.}}
{{end}}{{else}}mod {{.Path}} {{.Version}}
{{end}}{{end}}' ./guest/init ./guest/mkcpio) | LC_ALL=C sort -u
}
compute_key() {
  local inputs
  inputs=$(init_inputs) || die "go list ./guest/init ./guest/mkcpio failed"
  { echo "kernel $KKEY"; echo "go $GOVER";
    while read -r kind rest; do
      if [ "$kind" = file ]; then echo "file ${rest#"$ROOT"/}"; cat "$rest"; else echo "$kind $rest"; fi
    done <<<"$inputs"; } | sha256sum | cut -c1-16
}
KEY=$(compute_key)
OUT=$CACHE/$KEY
KOUT=$CACHE/kernel/$KKEY

complete() { [ -f "$1/Image" ] && [ -f "$1/initramfs.cpio.gz" ] && [ -f "$1/config" ]; }

case "${1:-}" in
  --key) echo "$KEY"; exit 0 ;;
  --locate) if complete "$OUT"; then echo "$OUT"; exit 0; else exit 3; fi ;;
  --kernel) ;; # build only the kernel (development)
  "") ;;
  *) die "usage: build.sh [--locate|--key|--kernel]" ;;
esac

if [ "${1:-}" != --kernel ] && complete "$OUT"; then
  say "up to date: $OUT"
  echo "$OUT"
  exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  say "waiting for another guest build (lock $CACHE/.lock)"
  flock 9
fi
if [ "${1:-}" != --kernel ] && complete "$OUT"; then # built while we waited
  echo "$OUT"; exit 0
fi

# Reproducible-build knobs for the kernel.
export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 2026"
export KBUILD_BUILD_USER=strata KBUILD_BUILD_HOST=strata KBUILD_BUILD_VERSION=1
export ARCH=riscv CROSS_COMPILE=$CROSS

# required_symbols prints the fragment's settings that must survive: every
# CONFIG_X=value line and every "# CONFIG_X is not set" line.
required_symbols() {
  grep -E '^(CONFIG_[A-Za-z0-9_]+=.*|# CONFIG_[A-Za-z0-9_]+ is not set)$' "$FRAGMENT"
}

check_config() { # check_config .config
  local missing=() line sym
  while IFS= read -r line; do
    if [[ $line == "# CONFIG_"* ]]; then
      sym=${line#\# }; sym=${sym%% *}
      grep -q "^$sym=" "$1" && missing+=("$sym (wanted off, is $(grep "^$sym=" "$1"))")
    else
      grep -qxF "$line" "$1" || { sym=${line%%=*};
        missing+=("$line (final: $(grep -E "^$sym=|^# $sym is not set" "$1" || echo absent))"); }
    fi
  done < <(required_symbols)
  if ((${#missing[@]})); then
    echo "guest: error: the kernel config dropped required settings:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    return 1
  fi
}

build_kernel() {
  local src=$CACHE/src/linux-source-6.1-$SRCVER
  if [ ! -f "$src/Makefile" ]; then
    say "unpacking $TARBALL (linux-source-6.1 $SRCVER)"
    local tmp=$CACHE/src/.tmp.$$
    rm -rf "$tmp"; mkdir -p "$tmp"
    tar -C "$tmp" -xf "$TARBALL"
    rm -rf "$src"; mv "$tmp/linux-source-6.1" "$src"; rm -rf "$tmp"
  fi
  local obj=$CACHE/kbuild/$KKEY
  # Object trees of other configurations are leftovers of failed builds.
  find "$CACHE/kbuild" -mindepth 1 -maxdepth 1 ! -name "$KKEY" -exec rm -rf {} + 2>/dev/null || true
  mkdir -p "$obj"
  say "configuring kernel (tinyconfig + scripts/guest/kernel.config) in $obj"
  # tinyconfig, then the fragment merged onto it with allnoconfig semantics
  # (merge_config.sh -n): symbols the fragment's options newly expose (IPv6,
  # VT, PS/2 input, …) stay off instead of taking their defaults, as they
  # would with olddefconfig.
  make -s -C "$src" O="$obj" tinyconfig >/dev/null
  (cd "$src" && scripts/kconfig/merge_config.sh -n -O "$obj" "$obj/.config" "$FRAGMENT" >"$obj/merge.log" 2>&1) ||
    { cat "$obj/merge.log" >&2; die "merge_config.sh failed"; }
  check_config "$obj/.config"
  say "building kernel (this takes ~6-10 minutes on 2 cores; make -j$JOBS Image)"
  local t0=$SECONDS
  if ! make -C "$src" O="$obj" -j"$JOBS" Image >"$obj/build.log" 2>&1; then
    tail -n 40 "$obj/build.log" >&2
    die "kernel build failed; full log: $obj/build.log"
  fi
  say "kernel built in $((SECONDS - t0)) s"
  check_config "$obj/.config"
  local tmp=$CACHE/kernel/.tmp.$KKEY.$$
  rm -rf "$tmp"; mkdir -p "$tmp"
  cp "$obj/arch/riscv/boot/Image" "$tmp/Image"
  cp "$obj/.config" "$tmp/config"
  rm -rf "$KOUT"; mv "$tmp" "$KOUT"
  rm -rf "$obj" # the objects are not needed again (a new config rebuilds from scratch)
}

if [ -f "$KOUT/Image" ] && [ -f "$KOUT/config" ]; then
  say "kernel up to date: $KOUT"
else
  build_kernel
fi
[ "${1:-}" = --kernel ] && { echo "$KOUT"; exit 0; }

say "building init (GOOS=linux GOARCH=riscv64 CGO_ENABLED=0)"
TMP=$CACHE/.tmp.$KEY.$$
trap 'rm -rf "$TMP"' EXIT
rm -rf "$TMP"; mkdir -p "$TMP/work"
(cd "$ROOT" && GOOS=linux GOARCH=riscv64 CGO_ENABLED=0 "$GO" build -trimpath -buildvcs=false \
   -ldflags='-s -w -buildid=' -o "$TMP/work/init" ./guest/init)
(cd "$ROOT" && "$GO" run ./guest/mkcpio -o "$TMP/initramfs.cpio.gz" \
   -dir dev -dir proc -dir sys -dir tmp -dir mnt -dir root \
   -node dev/console=c:5:1:0600 -file init="$TMP/work/init":0755)
# The sources may have changed while we built (others commit concurrently):
# never file an initramfs under a key it was not built from.
if [ "$(compute_key)" != "$KEY" ]; then
  die "the init's sources changed during the build; run it again"
fi
cp "$KOUT/Image" "$TMP/Image"
cp "$KOUT/config" "$TMP/config"
rm -rf "$TMP/work"
rm -rf "$OUT"
mv "$TMP" "$OUT"
trap - EXIT
say "done: $OUT"
echo "$OUT"
