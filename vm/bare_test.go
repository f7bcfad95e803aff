package vm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// buildAsm assembles testdata/NAME.S into a bare-metal ELF linked at RAM.
func buildAsm(t *testing.T, name string) []byte {
	t.Helper()
	cc, err := exec.LookPath("riscv64-unknown-elf-gcc")
	if err != nil {
		t.Fatal("riscv64-unknown-elf-gcc not found: install the Debian package gcc-riscv64-unknown-elf (make setup does)")
	}
	out := filepath.Join(t.TempDir(), name+".elf")
	cmd := exec.Command(cc, "-march=rv64gc", "-mabi=lp64d", "-nostdlib", "-nostartfiles", "-static",
		"-Ttext=0x80000000", "-o", out, filepath.Join("testdata", name+".S"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("assembling %s: %v\n%s", name, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestWFISleeps checks that a hart waiting in WFI for a timer does not spin:
// the host process uses a small fraction of the wall time.
func TestWFISleeps(t *testing.T) {
	m, err := NewBare(BareConfig{Program: buildAsm(t, "wfi"), Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	c0, w0 := cpuTime(), time.Now()
	res, err := m.Run(context.Background())
	cpu, wall := cpuTime()-c0, time.Since(w0)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("run: %v, exit %d", err, res.ExitCode)
	}
	if wall < 250*time.Millisecond {
		t.Fatalf("woke after %v, before the 300 ms timer", wall)
	}
	if cpu > wall/4 {
		t.Fatalf("used %v of CPU in %v of wall time while waiting in WFI: it spins", cpu, wall)
	}
	t.Logf("wall %v, cpu %v, %d instructions", wall, cpu, res.Instret)
}

func TestMaxInsns(t *testing.T) {
	m, err := NewBare(BareConfig{Program: buildAsm(t, "spin"), Stdout: &bytes.Buffer{}, MaxInsns: 100001})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Run(context.Background())
	if !errors.Is(err, ErrInsnLimit) || res.ExitCode != ExitInsnLimit {
		t.Fatalf("err %v exit %d", err, res.ExitCode)
	}
	if res.Instret != 100001 {
		t.Fatalf("retired %d instructions, want exactly 100001", res.Instret)
	}
	if a0 := m.Harts[0].X[10]; a0 != 50001 {
		t.Fatalf("a0 = %d, want 50001", a0)
	}
}

func TestRunCancelled(t *testing.T) {
	m, err := NewBare(BareConfig{Program: buildAsm(t, "spin"), Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := m.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func TestHelloOnUART(t *testing.T) {
	data, err := os.ReadFile("testdata/hello.elf")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	m, err := NewBare(BareConfig{Program: data, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Run(context.Background())
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("err %v exit %d", err, res.ExitCode)
	}
	if got := out.String(); got != "Hello from a RISC-V hart emulated by strata.\n" {
		t.Fatalf("UART output %q", got)
	}
}

func TestDeadlockDetected(t *testing.T) {
	m, err := NewBare(BareConfig{Program: buildAsm(t, "deadlock"), Stdout: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := m.Run(ctx); !errors.Is(err, ErrDeadlock) {
		t.Fatalf("err = %v, want ErrDeadlock", err)
	}
}
