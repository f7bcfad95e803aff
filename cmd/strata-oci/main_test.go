package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"strata/ctr"
	"strata/ctr/ctrtest"
)

// TestMain doubles as the strata-oci binary (STRATA_OCI_TEST_CLI=1) and
// as the container init, so the tests drive the real command line.
func TestMain(m *testing.M) {
	ctr.MaybeInit()
	if os.Getenv("STRATA_OCI_TEST_CLI") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

type cli struct {
	t      *testing.T
	root   string
	bundle string
}

func newCLI(t *testing.T, spec *specs.Spec) *cli {
	c := &cli{t: t, root: filepath.Join(t.TempDir(), "state"), bundle: ctrtest.Bundle(t, spec)}
	t.Cleanup(func() { ctrtest.CheckClean(t, c.root, []string{c.bundle, c.root}, nil) })
	return c
}

// oci runs strata-oci with --root and args; stdout and stderr go to files
// (never pipes: a created container keeps its stdio open).
func (c *cli) oci(args ...string) (int, string, string) {
	c.t.Helper()
	return c.ociFiles(nil, args...)
}

// ociFiles is oci with extra descriptors 3, 4, … for strata-oci.
func (c *cli) ociFiles(extra []*os.File, args ...string) (int, string, string) {
	c.t.Helper()
	dir := c.t.TempDir()
	outF, _ := os.Create(filepath.Join(dir, "out"))
	errF, _ := os.Create(filepath.Join(dir, "err"))
	defer outF.Close()
	defer errF.Close()
	cmd := exec.Command(os.Args[0], append([]string{"--root", c.root}, args...)...)
	cmd.Env = append(os.Environ(), "STRATA_OCI_TEST_CLI=1")
	cmd.Stdout, cmd.Stderr = outF, errF
	cmd.ExtraFiles = extra
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	out, _ := os.ReadFile(outF.Name())
	errs, _ := os.ReadFile(errF.Name())
	return code, string(out), string(errs)
}

func TestCLIRun(t *testing.T) {
	c := newCLI(t, ctrtest.Spec("echo", "hello"))
	if code, out, errs := c.oci("run", "--bundle", c.bundle, "hello"); code != 0 || out != "hello\n" {
		t.Fatalf("run: status %d, stdout %q, stderr %q", code, out, errs)
	}
	ctrtest.WriteSpec(t, c.bundle, ctrtest.Spec("sh", "-c", "exit 42"))
	if code, _, errs := c.oci("run", "-b", c.bundle, "exit42"); code != 42 {
		t.Fatalf("run: status %d, want 42 (stderr %q)", code, errs)
	}
}

func TestCLILifecycle(t *testing.T) {
	c := newCLI(t, ctrtest.Spec("sleep", "100"))
	state := func(want specs.ContainerState) ctr.State {
		t.Helper()
		code, out, errs := c.oci("state", "life")
		if code != 0 {
			t.Fatalf("state: %d %s", code, errs)
		}
		var s ctr.State
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("state JSON %q: %v", out, err)
		}
		if s.Status != want {
			t.Fatalf("status %s, want %s", s.Status, want)
		}
		return s
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	if code, _, errs := c.oci("create", "--bundle", c.bundle, "--pid-file", pidFile, "life"); code != 0 {
		t.Fatalf("create: %d %s", code, errs)
	}
	s := state(specs.StateCreated)
	if pid, _ := os.ReadFile(pidFile); s.Pid == 0 || string(pid) != strconv.Itoa(s.Pid) {
		t.Fatalf("pid file %q, state pid %d", pid, s.Pid)
	}
	if code, out, _ := c.oci("list", "-q"); code != 0 || out != "life\n" {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, _, errs := c.oci("start", "life"); code != 0 {
		t.Fatalf("start: %d %s", code, errs)
	}
	state(specs.StateRunning)
	if code, _, _ := c.oci("delete", "life"); code != 1 {
		t.Fatalf("delete of a running container: status %d, want 1", code)
	}
	if code, _, errs := c.oci("kill", "life", "KILL"); code != 0 {
		t.Fatalf("kill: %d %s", code, errs)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, out, _ := c.oci("state", "life")
		if strings.Contains(out, `"stopped"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("container not stopped after SIGKILL: %s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _, errs := c.oci("delete", "life"); code != 0 {
		t.Fatalf("delete: %d %s", code, errs)
	}
	if code, _, _ := c.oci("state", "life"); code != 1 {
		t.Fatalf("state after delete: status %d, want 1", code)
	}
	if code, _, _ := c.oci("delete", "--force", "life"); code != 0 {
		t.Fatalf("delete --force of a missing container: status %d, want 0", code)
	}
}

func TestCLIErrors(t *testing.T) {
	c := newCLI(t, ctrtest.Spec("true"))
	if code, _, errs := c.oci("create", "--bundle", c.bundle, "../x"); code != 1 || !strings.Contains(errs, "..") {
		t.Fatalf("create ../x: %d %q", code, errs)
	}
	s := ctrtest.Spec()
	ctrtest.WriteSpec(t, c.bundle, s)
	log := filepath.Join(t.TempDir(), "log.json")
	if code, _, errs := c.oci("--log", log, "--log-format", "json", "--systemd-cgroup", "run", "-b", c.bundle, "x"); code != 1 || !strings.Contains(errs, "process.args: empty") {
		t.Fatalf("empty args: %d %q", code, errs)
	}
	data, _ := os.ReadFile(log)
	var entry map[string]string
	if err := json.Unmarshal(bytes.TrimSpace(data), &entry); err != nil || entry["level"] != "error" {
		t.Fatalf("log %q: %v", data, err)
	}
	if code, _, _ := c.oci("kill", "nope"); code != 1 {
		t.Fatalf("kill of a missing container: %d", code)
	}
	// --systemd-cgroup is accepted; a systemd slice path is refused by name.
	s = ctrtest.Spec("true")
	s.Linux.CgroupsPath = "system.slice:strata:x"
	ctrtest.WriteSpec(t, c.bundle, s)
	if code, _, errs := c.oci("--systemd-cgroup", "run", "-b", c.bundle, "x"); code != 1 || !strings.Contains(errs, "linux.cgroupsPath") || !strings.Contains(errs, "systemd") {
		t.Fatalf("systemd slice path: %d %q", code, errs)
	}
	s.Linux.CgroupsPath = ""
	ctrtest.WriteSpec(t, c.bundle, s)
	if code, _, errs := c.oci("--systemd-cgroup", "run", "-b", c.bundle, "sysd-"+strconv.Itoa(os.Getpid())); code != 0 {
		t.Fatalf("--systemd-cgroup with the default path: %d %q", code, errs)
	}
}

func TestCLIFeatures(t *testing.T) {
	c := newCLI(t, ctrtest.Spec("true"))
	code, out, _ := c.oci("features")
	var f features.Features
	if code != 0 || json.Unmarshal([]byte(out), &f) != nil || f.OCIVersionMin == "" || f.Linux == nil {
		t.Fatalf("features: %d %q", code, out)
	}
	if !slices.Contains(f.Linux.Namespaces, "user") || !slices.Contains(f.Linux.Namespaces, "cgroup") ||
		f.Linux.Seccomp == nil || f.Linux.Seccomp.Enabled == nil || !*f.Linux.Seccomp.Enabled ||
		!slices.Contains(f.Linux.Seccomp.Archs, "SCMP_ARCH_X86_64") || !slices.Contains(f.Linux.Capabilities, "CAP_SYS_ADMIN") {
		t.Errorf("features lack user/cgroup namespaces, seccomp or capabilities: %s", out)
	}
}

func TestCLIRunDetach(t *testing.T) {
	c := newCLI(t, ctrtest.Spec("sleep", "100"))
	if code, _, errs := c.oci("run", "-d", "--no-new-keyring", "-b", c.bundle, "det"); code != 0 {
		t.Fatalf("run -d: %d %s", code, errs)
	}
	if code, out, _ := c.oci("state", "det"); code != 0 || !strings.Contains(out, `"running"`) {
		t.Fatalf("state after run -d: %d %s", code, out)
	}
	var s ctr.State
	_, out, _ := c.oci("state", "det")
	json.Unmarshal([]byte(out), &s)
	ns := ctrtest.PidNS(s.Pid)
	if code, _, errs := c.oci("delete", "--force", "det"); code != 0 {
		t.Fatalf("delete --force: %d %s", code, errs)
	}
	ctrtest.CheckClean(t, c.root, nil, []string{ns})
	tty := ctrtest.Spec("true")
	tty.Process.Terminal = true
	ctrtest.WriteSpec(t, c.bundle, tty)
	if code, _, errs := c.oci("create", "--console-socket", "/nonexistent/x.sock", "-b", c.bundle, "cons"); code != 1 || !strings.Contains(errs, "console socket") {
		t.Fatalf("create --console-socket to nowhere: %d %q", code, errs)
	}
	if code, _, errs := c.oci("create", "-b", c.bundle, "cons"); code != 1 || !strings.Contains(errs, "process.terminal") {
		t.Fatalf("create with a terminal and no console socket: %d %q", code, errs)
	}
}

// TestCLIRuncSpecConfig runs the config `runc spec` (runc 1.1.5) writes,
// with terminal off and args replaced, unchanged otherwise.
func TestCLIRuncSpecConfig(t *testing.T) {
	c := newCLI(t, ctrtest.Spec("true"))
	data, err := os.ReadFile("testdata/runc-spec-config.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := c.oci("run", "-b", c.bundle, "runcspec"); code != 7 || out != "hello from runc\n" {
		t.Fatalf("status %d, stdout %q, stderr %q", code, out, errs)
	}
}
