package usermode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The differential tests cross-compile the Go programs in testdata/progs
// for linux/riscv64, run each under Debian's qemu-riscv64 and under this
// package, and require identical stdout and exit status.

var progs = []struct {
	name string
	args []string
}{
	{"hash", nil},
	{"sortmap", nil},
	{"floats", nil},
	{"goroutines", nil},
	{"interp", nil},
	{"files", []string{"one", "two words"}},
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// buildProgs compiles every test program once per test binary.
func buildProgs(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		gobin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("go toolchain not found (Debian package golang-go): %v", err)
			return
		}
		buildDir, err = os.MkdirTemp("", "strata-usermode-progs-")
		if err != nil {
			buildErr = err
			return
		}
		cmd := exec.Command(gobin, "build", "-o", buildDir+"/", "./testdata/progs/...")
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=riscv64", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("cross-compiling test programs: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

func qemuPath(t testing.TB) string {
	t.Helper()
	q, err := exec.LookPath("qemu-riscv64")
	if err != nil {
		t.Fatalf("qemu-riscv64 not found: install the Debian package qemu-user (%v)", err)
	}
	return q
}

// TestMain lets the test binary act as the emulator for a fresh process per
// guest run (so every run starts with a clean host heap).
func TestMain(m *testing.M) {
	if os.Getenv("STRATA_USERMODE_CHILD") == "1" {
		os.Exit(childMain(os.Args[1:]))
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

func childMain(args []string) int {
	prog, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 125
	}
	p, err := New(prog, Config{Args: args, Env: os.Environ(), Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 125
	}
	defer p.Close()
	code, err := p.Run(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		if code <= 0 {
			return 125
		}
	}
	return code
}

type runResult struct {
	stdout, stderr string
	code           int
	wall           time.Duration
}

func runCmd(t testing.TB, cmd *exec.Cmd) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := runResult{out.String(), errb.String(), 0, time.Since(start)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	return r
}

func guestEnv(t testing.TB) []string {
	return []string{"STRATA_TEST_VAR=differential", "TMPDIR=" + t.TempDir(), "HOME=/nonexistent", "PATH=/usr/bin:/bin"}
}

// runStrata runs a guest program in a child copy of the test binary.
func runStrata(t testing.TB, prog string, args []string) runResult {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, append([]string{prog}, args...)...)
	cmd.Env = append(guestEnv(t), "STRATA_USERMODE_CHILD=1")
	return runCmd(t, cmd)
}

func runQEMU(t testing.TB, prog string, args []string) runResult {
	t.Helper()
	cmd := exec.Command(qemuPath(t), append([]string{prog}, args...)...)
	cmd.Env = guestEnv(t)
	return runCmd(t, cmd)
}

func TestDifferentialGoPrograms(t *testing.T) {
	q := qemuPath(t)
	_ = q
	dir := buildProgs(t)
	for _, pr := range progs {
		t.Run(pr.name, func(t *testing.T) {
			bin := filepath.Join(dir, pr.name)
			want := runQEMU(t, bin, pr.args)
			got := runStrata(t, bin, pr.args)
			t.Logf("qemu %v, strata %v", want.wall.Round(time.Millisecond), got.wall.Round(time.Millisecond))
			if strings.Count(want.stdout, "\n") < 3 {
				t.Fatalf("qemu produced too little output (exit %d): %q\nstderr: %s", want.code, want.stdout, want.stderr)
			}
			if got.stdout != want.stdout {
				t.Errorf("stdout differs\n--- qemu-riscv64:\n%s\n--- strata:\n%s\n--- strata stderr:\n%s", want.stdout, got.stdout, got.stderr)
			}
			if got.code != want.code {
				t.Errorf("exit status: strata %d, qemu-riscv64 %d\nstrata stderr:\n%s", got.code, want.code, got.stderr)
			}
		})
	}
}

// TestExitStatusAndStderr checks the files program's status (3) and its
// stderr line, and that a Go panic exits with status 2 under both.
func TestExitStatusAndStderr(t *testing.T) {
	dir := buildProgs(t)
	got := runStrata(t, filepath.Join(dir, "files"), nil)
	if got.code != 3 || !strings.Contains(got.stderr, "to stderr") {
		t.Fatalf("files: exit %d stderr %q, want 3 and \"to stderr\"", got.code, got.stderr)
	}
}

// TestInProcess runs a program through the package API with in-memory
// stdio (kindStream files).
func TestInProcess(t *testing.T) {
	dir := buildProgs(t)
	prog, err := os.ReadFile(filepath.Join(dir, "floats"))
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	p, err := New(prog, Config{Args: []string{"floats"}, Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	code, err := p.Run(context.Background())
	if err != nil || code != 0 {
		t.Fatalf("exit %d, err %v, stderr %s", code, err, errb.String())
	}
	if !strings.Contains(out.String(), "sqrt2 1.41421356237309504880168872420969807856967187537694807317667973799073247846210703885038753432764157") {
		t.Errorf("unexpected output:\n%s", out.String())
	}
	if p.Instret() < 1_000_000 {
		t.Errorf("instret %d: implausibly low", p.Instret())
	}
}

// BenchmarkGoProgram runs the hash program (8 MiB of data) and reports the
// guest's instruction rate.
func BenchmarkGoProgram(b *testing.B) {
	dir := buildProgs(b)
	prog, err := os.ReadFile(filepath.Join(dir, "hash"))
	if err != nil {
		b.Fatal(err)
	}
	var insns uint64
	var busy time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var out bytes.Buffer
		p, err := New(prog, Config{Args: []string{"hash", strconv.Itoa(8)}, Stdout: &out, Stderr: &out})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		code, err := p.Run(context.Background())
		busy += time.Since(start) - p.Idle()
		if err != nil || code != 0 {
			b.Fatalf("exit %d err %v: %s", code, err, out.String())
		}
		insns += p.Instret()
		p.Close()
	}
	b.ReportMetric(float64(insns)/busy.Seconds()/1e6, "MIPS")
	b.ReportMetric(float64(insns)/float64(b.N), "insns/op")
}
