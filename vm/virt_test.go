package vm

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// buildRaw assembles testdata/NAME.S into a raw binary linked at addr.
func buildRaw(t *testing.T, name string, addr string) []byte {
	t.Helper()
	elf := filepath.Join(t.TempDir(), name+".elf")
	cc, err := exec.LookPath("riscv64-unknown-elf-gcc")
	if err != nil {
		t.Fatal("riscv64-unknown-elf-gcc not found: install the Debian package gcc-riscv64-unknown-elf (make setup does)")
	}
	if b, err := exec.Command(cc, "-march=rv64gc", "-mabi=lp64d", "-nostdlib", "-nostartfiles", "-static",
		"-Ttext="+addr, "-o", elf, filepath.Join("testdata", name+".S")).CombinedOutput(); err != nil {
		t.Fatalf("assembling %s: %v\n%s", name, err, b)
	}
	bin := elf + ".bin"
	if b, err := exec.Command("riscv64-unknown-elf-objcopy", "-O", "binary", elf, bin).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, b)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func runVirt(t *testing.T, cfg VirtConfig) (string, Result) {
	t.Helper()
	var out bytes.Buffer
	cfg.Console = &out
	m, err := NewVirt(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := m.Run(ctx)
	if err != nil {
		t.Fatalf("run: %v\nconsole:\n%s", err, out.String())
	}
	return out.String(), res
}

// TestBuiltinSBIBoot boots an S-mode payload with no firmware: strata
// answers its SBI calls (paravirtualization).
func TestBuiltinSBIBoot(t *testing.T) {
	payload := buildRaw(t, "sbi_hello", "0x80200000")
	for _, harts := range []int{1, 2} {
		out, res := runVirt(t, VirtConfig{Bios: BiosBuiltin, Kernel: payload, Harts: harts, MemSize: 64 << 20})
		if out != "hello from S-mode\n" || res.ExitCode != 0 {
			t.Fatalf("harts %d: console %q, exit %d", harts, out, res.ExitCode)
		}
	}
}

// TestOpenSBIBoot runs Debian's unmodified OpenSBI (fw_jump) in M-mode from
// the reset vector; it finds the board through strata's device tree and
// hands over to the S-mode payload at 0x80200000, whose SBI calls OpenSBI
// answers (full virtualization).
func TestOpenSBIBoot(t *testing.T) {
	const fw = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf"
	firmware, err := os.ReadFile(fw)
	if err != nil {
		t.Fatalf("%v: install the Debian package opensbi (make setup does)", err)
	}
	payload := buildRaw(t, "sbi_hello", "0x80200000")
	out, res := runVirt(t, VirtConfig{Bios: BiosFirmware, Firmware: firmware, Kernel: payload, MemSize: 128 << 20})
	if !bytes.Contains([]byte(out), []byte("OpenSBI")) || !bytes.Contains([]byte(out), []byte("hello from S-mode")) {
		t.Fatalf("console:\n%s", out)
	}
	if res.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", res.ExitCode, out)
	}
}
