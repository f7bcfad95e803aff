package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"strata/ctr"
	"strata/ctr/ctrtest"
	"strata/frontdoor"
)

// TestMain doubles as the container init and as the monitor of detached
// containers: `strata run` in-process starts both by re-executing
// /proc/self/exe, the test binary.
func TestMain(m *testing.M) {
	ctr.MaybeInit()
	frontdoor.MaybeMonitor()
	os.Exit(m.Run())
}

var runSeq atomic.Int64

// runEnv is one test's rootfs (busybox, from ctrtest) and state root.
type runEnv struct {
	t      *testing.T
	rootfs string
	root   string
}

func newRunEnv(t *testing.T) *runEnv {
	bundle := ctrtest.Bundle(t, ctrtest.Spec("true"))
	return &runEnv{t: t, rootfs: filepath.Join(bundle, "rootfs"), root: t.TempDir()}
}

// run runs `strata run --rm --root ROOT --rootfs ROOTFS --name N flags -- cmd`
// in-process and returns its stdout, stderr and exit status, then checks
// nothing is left: state, bundle, cgroup.
func (e *runEnv) run(flags []string, cmd ...string) (string, string, int) {
	e.t.Helper()
	name := fmt.Sprintf("run-test-%d-%d", os.Getpid(), runSeq.Add(1))
	args := append([]string{"--rm", "--root", e.root, "--rootfs", e.rootfs, "--name", name}, flags...)
	args = append(append(args, "--"), cmd...)
	c := newRunCmd()
	var out, errb bytes.Buffer
	c.SetArgs(args)
	c.SetIn(strings.NewReader(""))
	c.SetOut(&out)
	c.SetErr(&errb)
	c.SilenceUsage, c.SilenceErrors = true, true
	code := 0
	if err := c.Execute(); err != nil {
		var ee exitError
		if !errors.As(err, &ee) {
			e.t.Fatalf("strata run %q: %v (stderr %q)", args, err, errb.String())
		}
		code = ee.code
	}
	e.checkClean(name)
	return out.String(), errb.String(), code
}

func (e *runEnv) checkClean(name string) {
	e.t.Helper()
	ctrtest.CheckClean(e.t, filepath.Join(e.root, "state"), []string{e.rootfs}, nil)
	if ents, _ := os.ReadDir(filepath.Join(e.root, "bundles")); len(ents) > 0 {
		e.t.Errorf("leftover bundle under %s: %v", e.root, ents)
	}
	if name == "" {
		return
	}
	if left := ctrtest.LeftoverCgroups("/strata/" + fdStore(e.root).Key(name)); len(left) > 0 {
		e.t.Errorf("leftover cgroups: %v", left)
	}
}

func TestRunEcho(t *testing.T) {
	e := newRunEnv(t)
	out, _, code := e.run(nil, "echo", "hi")
	if out != "hi\n" || code != 0 {
		t.Fatalf("got %q, status %d; want \"hi\\n\", 0", out, code)
	}
}

func TestRunExitStatus(t *testing.T) {
	e := newRunEnv(t)
	if _, _, code := e.run(nil, "sh", "-c", "exit 3"); code != 3 {
		t.Fatalf("status %d, want 3", code)
	}
}

func TestRunHostnameEnvWorkdirUser(t *testing.T) {
	e := newRunEnv(t)
	out, errOut, code := e.run([]string{"--hostname", "box1", "--env", "FOO=bar baz", "-e", "A=1", "--workdir", "/bin", "--user", "1000:1001"},
		"sh", "-c", `hostname; echo "$FOO/$A"; pwd; id -u; id -g`)
	want := "box1\nbar baz/1\n/bin\n1000\n1001\n"
	if out != want || code != 0 {
		t.Fatalf("got %q (stderr %q), status %d; want %q", out, errOut, code, want)
	}
}

func TestRunLimits(t *testing.T) {
	e := newRunEnv(t)
	out, errOut, code := e.run([]string{"--memory", "64M", "--pids", "20", "--cpus", "0.5"},
		"cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
	want := "67108864\n20\n50000\n"
	if out != want || code != 0 {
		t.Fatalf("got %q (stderr %q), status %d; want %q", out, errOut, code, want)
	}
}

func TestRunVolume(t *testing.T) {
	e := newRunEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "data")
	if err := os.WriteFile(file, []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := e.run([]string{"--volume", file + ":/data:ro"}, "sh", "-c", "cat /data; echo x > /data")
	if out != "secret\n" || code == 0 || !strings.Contains(errOut, "Read-only file system") {
		t.Fatalf(":ro volume: got %q (stderr %q), status %d; want secret and a refused write", out, errOut, code)
	}
	out, errOut, code = e.run([]string{"-v", dir + ":/vol"}, "sh", "-c", "cat /vol/data && echo new > /vol/out")
	if out != "secret\n" || code != 0 {
		t.Fatalf("rw volume: got %q (stderr %q), status %d", out, errOut, code)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out")); err != nil || string(b) != "new\n" {
		t.Fatalf("write through rw volume: %q, %v", b, err)
	}
}

func TestRunNetwork(t *testing.T) {
	e := newRunEnv(t)
	// none: only loopback in a fresh namespace.
	out, errOut, code := e.run(nil, "cat", "/proc/net/dev")
	var ifaces []string
	for _, l := range strings.Split(out, "\n") {
		if name, _, ok := strings.Cut(l, ":"); ok && !strings.Contains(l, "|") {
			ifaces = append(ifaces, strings.TrimSpace(name))
		}
	}
	if code != 0 || len(ifaces) != 1 || ifaces[0] != "lo" {
		t.Fatalf("--network none: interfaces %q (stderr %q), status %d; want only lo", ifaces, errOut, code)
	}
	e.checkClean("")
}

func TestRunBadFlags(t *testing.T) {
	e := newRunEnv(t)
	for _, flags := range [][]string{
		{"--memory", "lots"}, {"--user", "root"}, {"--volume", "/nonexistent-strata:/x"},
		{"--volume", "/tmp:relative"}, {"--env", "=x"}, {"--workdir", "rel"}, {"--network", "weird"},
		{"--network", "bridge", "--subnet", "10.0.0.0/33"}, {"--network", "bridge", "--bridge", "a-bridge-name-too-long"},
	} {
		c := newRunCmd()
		c.SetArgs(append(append([]string{"--rm", "--root", e.root, "--rootfs", e.rootfs}, flags...), "--", "true"))
		c.SetOut(&bytes.Buffer{})
		c.SetErr(&bytes.Buffer{})
		c.SilenceUsage, c.SilenceErrors = true, true
		if err := c.Execute(); err == nil {
			t.Errorf("%q: no error", flags)
		}
	}
	e.checkClean("")
}

// TestRunBinary runs the built strata binary, which must re-execute itself
// as the container init, with the state root from STRATA_ROOT.
func TestRunBinary(t *testing.T) {
	e := newRunEnv(t)
	bin := filepath.Join(t.TempDir(), "strata")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	cmd := exec.Command(bin, "run", "--rm", "--rootfs", e.rootfs, "--name", "bin-test", "--", "sh", "-c", "echo hi; exit 3")
	cmd.Env = append(os.Environ(), "STRATA_ROOT="+e.root)
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || string(out) != "hi\n" {
		t.Fatalf("got %q, %v; want \"hi\\n\" and exit status 3", out, err)
	}
	e.checkClean("bin-test")

	// Detached: the container outlives the strata process that started
	// it; ps, logs, stop and rm go through the binary's own commands.
	strata := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "STRATA_ROOT="+e.root)
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("strata %q: %v: %s", args, err, ee.Stderr)
			}
			t.Fatalf("strata %q: %v", args, err)
		}
		return string(out)
	}
	if out := strata("run", "-d", "--rootfs", e.rootfs, "--name", "bin-d", "--", "sh", "-c", "echo up; exec sleep 1000"); out != "bin-d\n" {
		t.Fatalf("run -d printed %q", out)
	}
	if out := strata("ps"); !strings.Contains(out, "bin-d") || !strings.Contains(out, "running") {
		t.Fatalf("ps after the strata process exited:\n%s", out)
	}
	for deadline := time.Now().Add(time.Minute); strata("logs", "bin-d") != "up\n"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("log of bin-d: %q", strata("logs", "bin-d"))
		}
	}
	if out := strata("exec", "bin-d", "--", "cat", "/proc/1/comm"); out != "sleep\n" {
		t.Fatalf("exec through the binary: %q", out)
	}
	strata("stop", "-t", "0", "bin-d")
	if out := strata("ps", "-a"); !strings.Contains(out, "exited (137)") {
		t.Fatalf("ps -a after stop:\n%s", out)
	}
	strata("rm", "bin-d")
	e.checkClean("bin-d")
}

func TestRunTTY(t *testing.T) {
	e := newRunEnv(t)
	out, errs, code := e.run([]string{"-t"}, "sh", "-c", "tty; test -t 0 && echo stdin-is-a-tty; exit 6")
	if code != 6 || !strings.HasPrefix(out, "/dev/pts/0") || !strings.Contains(out, "stdin-is-a-tty") {
		t.Fatalf("run -t: %q (stderr %q), status %d", out, errs, code)
	}
	c := newRunCmd()
	c.SetArgs([]string{"--root", e.root, "--rootfs", e.rootfs, "-t", "-d", "--", "true"})
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	if err := c.Execute(); err == nil || !strings.Contains(err.Error(), "-t with -d") {
		t.Fatalf("run -t -d: %v; want refused", err)
	}
}

// fdStore opens the front door's store at root (it only makes the path
// absolute).
func fdStore(root string) frontdoor.Store {
	s, err := frontdoor.Open(root)
	if err != nil {
		panic(err)
	}
	return s
}
