package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"strata/cgroup"
	"strata/ctr"
	"strata/ctr/ctrtest"
)

func TestCLIExec(t *testing.T) {
	c := newCLI(t, ctrtest.Spec("sleep", "1000"))
	if code, _, errs := c.oci("run", "-d", "-b", c.bundle, "ex"); code != 0 {
		t.Fatalf("run -d: %d %s", code, errs)
	}
	var s ctr.State
	_, out, _ := c.oci("state", "ex")
	json.Unmarshal([]byte(out), &s)
	ns := ctrtest.PidNS(s.Pid)
	defer func() {
		c.oci("delete", "--force", "ex")
		ctrtest.CheckClean(t, c.root, nil, []string{ns})
	}()
	if code, out, errs := c.oci("exec", "ex", "sh", "-c", "hostname; exit 5"); code != 5 || out != "strata-test\n" {
		t.Errorf("exec: status %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, out, errs := c.oci("exec", "-e", "FOO=x", "--cwd", "/bin", "-u", "1000:1000", "-g", "20", "ex", "sh", "-c", "echo $FOO; pwd; id -u; id -G"); code != 0 || out != "x\n/bin\n1000\n1000 20\n" {
		t.Errorf("exec with overrides: status %d, stdout %q, stderr %q", code, out, errs)
	}
	// --process: a whole process.json.
	p := ctrtest.Spec("sh", "-c", "echo from-process-json").Process
	data, _ := json.Marshal(p)
	pf := filepath.Join(t.TempDir(), "process.json")
	os.WriteFile(pf, data, 0o644)
	if code, out, errs := c.oci("exec", "--process", pf, "ex"); code != 0 || out != "from-process-json\n" {
		t.Errorf("exec --process: status %d, stdout %q, stderr %q", code, out, errs)
	}
	// --detach with --pid-file.
	pidFile := filepath.Join(t.TempDir(), "pid")
	if code, _, errs := c.oci("exec", "-d", "--pid-file", pidFile, "ex", "sleep", "999"); code != 0 {
		t.Errorf("exec -d: %d %s", code, errs)
	}
	pidData, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(string(pidData))
	if cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); string(cmdline) != "sleep\x00999\x00" {
		t.Errorf("pid file %q names %q", pidData, cmdline)
	}
	// A terminal without --console-socket in the foreground: the output
	// comes through the pty.
	if code, out, errs := c.oci("exec", "-t", "ex", "sh", "-c", "tty"); code != 0 || !strings.HasPrefix(out, "/dev/pts/") {
		t.Errorf("exec -t: status %d, stdout %q, stderr %q", code, out, errs)
	}
	// With --console-socket, the caller gets the master (as conmon does).
	sock := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan string, 1)
	go func() {
		m, err := ctr.RecvConsole(l)
		if err != nil {
			got <- err.Error()
			return
		}
		defer m.Close()
		buf := make([]byte, 1024)
		var all []byte
		for {
			n, err := m.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil {
				break
			}
		}
		got <- m.Name() + " " + string(all)
	}()
	if code, _, errs := c.oci("exec", "-t", "--console-socket", sock, "ex", "sh", "-c", "echo on-the-pty"); code != 0 {
		t.Errorf("exec -t --console-socket: %d %s", code, errs)
	}
	if g := <-got; !strings.HasPrefix(g, "/dev/pts/") || !strings.Contains(g, "on-the-pty") {
		t.Errorf("console socket got %q", g)
	}
	// Errors.
	if code, _, errs := c.oci("exec", "nosuch", "true"); code != 1 || !strings.Contains(errs, "does not exist") {
		t.Errorf("exec into a missing container: %d %q", code, errs)
	}
	if code, _, errs := c.oci("exec", "ex"); code != 1 || !strings.Contains(errs, "command or --process") {
		t.Errorf("exec without a command: %d %q", code, errs)
	}
}

func TestCLIRunTerminalForeground(t *testing.T) {
	s := ctrtest.Spec("sh", "-c", "tty; exit 3")
	s.Process.Terminal = true
	c := newCLI(t, s)
	if code, out, errs := c.oci("run", "-b", c.bundle, "tty"); code != 3 || !strings.HasPrefix(out, "/dev/pts/0") {
		t.Fatalf("run with a terminal: status %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestCLINoPivot(t *testing.T) {
	c := newCLI(t, ctrtest.Spec("sh", "-c", "cat /proc/self/mountinfo | head -1; echo $$"))
	code, out, errs := c.oci("run", "--no-pivot", "-b", c.bundle, "np")
	if code != 0 || !strings.HasSuffix(out, "\n1\n") {
		t.Fatalf("run --no-pivot: status %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestCLIPreserveFds(t *testing.T) {
	c := newCLI(t, ctrtest.Spec("sh", "-c", "cat <&3; cat <&4; test -e /proc/self/fd/5 || echo no-fd-5"))
	dir := t.TempDir()
	var files []*os.File
	for i, text := range []string{"three\n", "four\n"} {
		p := filepath.Join(dir, strconv.Itoa(i))
		os.WriteFile(p, []byte(text), 0o644)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files = append(files, f)
	}
	if code, out, errs := c.ociFiles(files, "run", "--preserve-fds", "2", "-b", c.bundle, "fds"); code != 0 || out != "three\nfour\nno-fd-5\n" {
		t.Fatalf("run --preserve-fds 2: status %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, _, errs := c.oci("run", "--preserve-fds", "3", "-b", c.bundle, "fds"); code != 1 || !strings.Contains(errs, "not open") {
		t.Fatalf("--preserve-fds of closed descriptors: %d %q", code, errs)
	}
}

func TestCLIUpdate(t *testing.T) {
	s := ctrtest.Spec("sleep", "1000")
	limit := int64(64 << 20)
	s.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}
	c := newCLI(t, s)
	if code, _, errs := c.oci("run", "-d", "-b", c.bundle, "up"); code != 0 {
		t.Fatalf("run -d: %d %s", code, errs)
	}
	var st ctr.State
	_, out, _ := c.oci("state", "up")
	json.Unmarshal([]byte(out), &st)
	ns := ctrtest.PidNS(st.Pid)
	defer func() {
		c.oci("delete", "--force", "up")
		ctrtest.CheckClean(t, c.root, nil, []string{ns})
	}()
	read := func(file string) string {
		code, out, errs := c.oci("exec", "up", "cat", "/sys/fs/cgroup/"+file)
		if code != 0 {
			t.Fatalf("read %s: %d %s", file, code, errs)
		}
		return strings.TrimSpace(out)
	}
	// The container's own cgroup files, v1 (this host) or v2.
	memFile, pidsFile, cpuFile, quota := "memory/memory.limit_in_bytes", "pids/pids.max", "cpu/cpu.cfs_quota_us", "20000"
	if cgroup.Mode() == "v2" {
		memFile, pidsFile, cpuFile, quota = "memory.max", "pids.max", "cpu.max", "20000 100000"
	}
	if v := read(memFile); v != strconv.Itoa(64<<20) {
		t.Fatalf("memory limit before update: %s", v)
	}
	if code, _, errs := c.oci("update", "--memory", strconv.Itoa(128<<20), "--pids-limit", "50", "up"); code != 0 {
		t.Fatalf("update: %d %s", code, errs)
	}
	if v := read(memFile); v != strconv.Itoa(128<<20) {
		t.Errorf("memory limit after update: %s", v)
	}
	if v := read(pidsFile); v != "50" {
		t.Errorf("pids.max after update: %s", v)
	}
	res := filepath.Join(t.TempDir(), "r.json")
	os.WriteFile(res, []byte(`{"cpu":{"quota":20000,"period":100000}}`), 0o644)
	if code, _, errs := c.oci("update", "-r", res, "up"); code != 0 {
		t.Fatalf("update -r: %d %s", code, errs)
	}
	if v := read(cpuFile); v != quota {
		t.Errorf("cfs quota after update -r: %s", v)
	}
	if code, _, errs := c.oci("update", "--memory", "1", "nosuch"); code != 1 || !strings.Contains(errs, "does not exist") {
		t.Errorf("update of a missing container: %d %q", code, errs)
	}
}
