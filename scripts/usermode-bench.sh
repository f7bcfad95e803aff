#!/bin/sh
# Compare wall time of strata's user-mode emulation with qemu-riscv64 on the
# same static Go program (usermode/testdata/progs/hash, N MiB of data).
# Usage: scripts/usermode-bench.sh [MiB] [runs]
set -eu
mib=${1:-8}
runs=${2:-3}
command -v qemu-riscv64 >/dev/null || { echo "qemu-riscv64 missing: apt-get install qemu-user" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/strata" ./cmd/strata
GOOS=linux GOARCH=riscv64 CGO_ENABLED=0 go build -o "$dir/hash" ./usermode/testdata/progs/hash
best() { # best wall time in seconds of $runs runs of "$@"
	b=
	i=0
	while [ $i -lt "$runs" ]; do
		s=$(date +%s.%N)
		"$@" >/dev/null
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}
"$dir/strata" vm user --stats "$dir/hash" "$mib" 2>&1 >/dev/null | sed 's/^/strata stats: /'
s=$(best "$dir/strata" vm user "$dir/hash" "$mib")
q=$(best qemu-riscv64 "$dir/hash" "$mib")
printf 'hash %s MiB, best of %s: strata-user %.3f s, qemu-riscv64 %.3f s, ratio %.1fx\n' "$mib" "$runs" "$s" "$q" "$(echo "$s / $q" | bc -l)"
