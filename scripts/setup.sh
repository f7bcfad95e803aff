#!/usr/bin/env bash
# setup.sh installs what strata's build, tests and benchmarks need on a
# Debian 12 machine. It is idempotent: packages already present are not
# fetched again.
set -euo pipefail

pkgs=(
  make gcc libc6-dev                    # cgo (the runtime's nsenter constructor; strata-oci links libc.a statically)
  gcc-riscv64-unknown-elf               # bare-metal test programs and benchmarks
  binutils-riscv64-linux-gnu            # objdump: the disassembler's reference
  qemu-system-misc                      # qemu-system-riscv64: the reference machine
  qemu-user                             # qemu-riscv64: user-mode reference
  device-tree-compiler                  # dtc: checks strata's device trees
  opensbi u-boot-qemu                   # unmodified firmware the VM boots
  gcc-riscv64-linux-gnu linux-source-6.1 # the guest kernel (make guest)
  bc flex bison libssl-dev libelf-dev cpio e2fsprogs # kernel build tools, guest images
  busybox-static runc crun              # container rootfs for ctr tests; runc/crun as reference runtimes
  iproute2                              # ip: the bridge networking tests look at links and addresses
  podman                                # a real OCI client driving strata-oci (--runtime)
  skopeo umoci docker-registry          # image interop: registry v2, copy/unpack by other tools
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    echo "setup: Go is at /usr/local/go/bin; add it to PATH" >&2
  else
    echo "setup: Go 1.26 or newer is required (go.mod says so) (https://go.dev/dl, or /usr/local/go)" >&2
    exit 1
  fi
fi
