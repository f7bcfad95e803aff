# strata — see README.md. Every target that needs packages runs setup first.
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/strata
OUT := out
RVCC := riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -mcmodel=medany -nostdlib -nostartfiles -static

.PHONY: all setup build run demo test test-short bench bench-cpu fuzz lint clean

all: build

setup:
	@bash scripts/setup.sh

# strata-oci is linked statically (pure-Go user and DNS lookups, glibc's
# libc.a for the cgo nsenter constructor): every container costs two starts
# of it, and a static binary starts ~0.5 ms faster (docs/benchmarks.md).
OCI_STATIC := -tags netgo,osusergo -ldflags '-linkmode external -extldflags -static'

build:
	$(GO) build -o $(BIN) ./cmd/strata
	$(GO) build $(OCI_STATIC) -o bin/strata-oci ./cmd/strata-oci

$(OUT)/hello.elf: examples/hello/hello.S
	@mkdir -p $(OUT)
	$(RVCC) -Ttext=0x80000000 -o $@ $<

# The main job: set up, build, and boot Linux on strata to a shell on this
# terminal (the guest kernel is built on first use; Ctrl-A x quits).
run: setup build
	./$(BIN) vm run

# The image round trip (root): import a busybox base, build, push to a
# loopback registry, remove, pull back, run. See examples/image.
.PHONY: image-demo
image-demo: setup build
	bash examples/image/roundtrip.sh $(BIN)

# A bare-metal RISC-V program on strata (seconds, no guest build).
demo: setup build $(OUT)/hello.elf
	./$(BIN) vm run --bios none --kernel $(OUT)/hello.elf

# The whole test suite (unit, differential against QEMU, ISA suite).
test: setup
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) test -count=1 -timeout 30m ./...

test-short:
	$(GO) test -short ./...

bench: bench-cpu

# The riscv64 Linux guest (kernel + Go /init initramfs), cached outside the
# repository; a no-op printing the path when cached. See docs/guest.md.
.PHONY: guest
guest: setup
	bash scripts/guest/build.sh

# strata against qemu-system-riscv64 (TCG) on bare-metal workloads.
bench-cpu: setup
	$(GO) run ./bench/cpucmp $(BENCHFLAGS)

# The Linux guest on strata (built-in SBI and OpenSBI) against QEMU: boot
# time, in-guest benchmarks, virtio-blk, idle host CPU. See bench/README.md.
.PHONY: bench-vm
bench-vm: setup
	$(GO) run ./bench/vmcmp $(BENCHFLAGS)

# strata-oci against runc and crun: create+start+wait+delete of /bin/true in
# a busybox bundle, interleaved rounds; median, p95, ratios, peak RSS. Needs
# root. See bench/README.md.
.PHONY: bench-ctr
bench-ctr: setup
	$(GO) run ./bench/ctrcmp $(BENCHFLAGS)

# A short fuzzing pass over every fuzz target.
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

lint:
	$(GO) vet ./...
	gofmt -l $$(git ls-files '*.go')

clean:
	rm -rf bin $(OUT)

# strata pull --unpack against skopeo copy + umoci unpack (a 5-layer
# 200 MiB image in a loopback docker-registry), and the warm-cache strata
# build. See docs/benchmarks.md.
.PHONY: bench-image
bench-image: setup
	$(GO) run ./bench/imagecmp $(BENCHFLAGS)
