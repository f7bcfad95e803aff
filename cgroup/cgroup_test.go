package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// These tests create real cgroups and need root. Each cgroup is
// /strata-test-<pid>-<n> (one level, so that deleting it leaves nothing),
// and t.Cleanup kills what is in it and removes it even when a test fails.

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if Mode() == "" {
		t.Skip("no cgroup filesystem")
	}
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("needs perl for the child processes")
	}
}

var testSeq int

func testPath() string {
	testSeq++
	return fmt.Sprintf("/strata-test-%d-%d", os.Getpid(), testSeq)
}

// cleanupCgroup kills everything in m, waits for it and deletes m.
func cleanupCgroup(t *testing.T, m Manager) {
	t.Helper()
	t.Cleanup(func() {
		_ = m.Thaw()
		for i := 0; i < 200; i++ {
			pids, err := m.Procs()
			if err != nil || len(pids) == 0 {
				break
			}
			_ = m.Kill(syscall.SIGKILL)
			time.Sleep(10 * time.Millisecond)
		}
		if err := m.Delete(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// newCgroup creates a cgroup for a test and arranges its removal.
func newCgroup(t *testing.T, r *specs.LinuxResources) (Manager, string) {
	t.Helper()
	path := testPath()
	m, err := New(path, r)
	if err != nil {
		t.Fatalf("New(%s): %v", path, err)
	}
	cleanupCgroup(t, m)
	return m, path
}

// child is a process started outside the cgroup, moved into it, and only
// then let go (it waits for a line on stdin first).
type child struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	waitFn func() error
}

// startIn starts perl -e script in m. The script must begin with <STDIN>;
// to wait until it has been moved.
func startIn(t *testing.T, m Manager, script string) *child {
	t.Helper()
	cmd := exec.Command("perl", "-e", script)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewReader(out)}
	waited := false
	t.Cleanup(func() {
		if !waited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatalf("Apply(%d): %v", cmd.Process.Pid, err)
	}
	if _, err := io.WriteString(in, "go\n"); err != nil {
		t.Fatal(err)
	}
	c.waitFn = func() error { waited = true; return cmd.Wait() }
	return c
}

func (c *child) wait() error { return c.waitFn() }

func (c *child) line(t *testing.T) string {
	t.Helper()
	s, err := c.out.ReadString('\n')
	if err != nil {
		t.Fatalf("reading child output: %v", err)
	}
	return strings.TrimSpace(s)
}

// procState returns the state letter of /proc/pid/stat.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "?"
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return "?"
	}
	return s[i+2 : i+3]
}

// cgroupMounts lists every cgroup and cgroup2 mountpoint on the host.
func cgroupMounts(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		for i, x := range f {
			if x == "-" && i+1 < len(f) && (f[i+1] == "cgroup" || f[i+1] == "cgroup2") && f[3] == "/" {
				out = append(out, f[4])
			}
		}
	}
	return out
}

func TestMode(t *testing.T) {
	m := Mode()
	switch m {
	case "v1", "hybrid", "v2", "":
	default:
		t.Fatalf("Mode() = %q", m)
	}
	t.Logf("cgroup mode: %q", m)
}

func TestMemoryLimitOOMKills(t *testing.T) {
	needRoot(t)
	limit := int64(64 << 20)
	mem := &specs.LinuxMemory{Limit: &limit}
	if Mode() == "v2" || exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") {
		mem.Swap = &limit // memory+swap = memory: no swapping out of the limit
	}
	m, _ := newCgroup(t, &specs.LinuxResources{Memory: mem})
	c := startIn(t, m, `<STDIN>; my $x = "a" x (200*1024*1024); print "survived\n";`)
	err := c.wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child allocating 200 MiB under a 64 MiB limit: %v, want killed", err)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want SIGKILL", ws)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Memory.OOMKills < 1 {
		t.Errorf("Stats OOMKills = %d, want >= 1", st.Memory.OOMKills)
	}
	if st.Memory.Limit != uint64(limit) {
		t.Errorf("Stats memory limit = %d, want %d", st.Memory.Limit, limit)
	}
	if st.Memory.MaxUsage == 0 {
		t.Logf("no memory high-water mark on this host")
	}
	t.Logf("stats after OOM: %+v", st.Memory)
}

func TestStatsMemoryUsage(t *testing.T) {
	needRoot(t)
	m, _ := newCgroup(t, nil)
	c := startIn(t, m, `<STDIN>; my $x = "a" x (16*1024*1024); $| = 1; print "ok\n"; sleep 100;`)
	if l := c.line(t); l != "ok" {
		t.Fatalf("child said %q", l)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Memory.Usage < 8<<20 {
		t.Errorf("memory usage %d, want > 8 MiB (the child holds 16)", st.Memory.Usage)
	}
	if st.Memory.Limit != 0 {
		t.Errorf("memory limit %d, want 0 (none)", st.Memory.Limit)
	}
	if st.Pids.Current < 1 {
		t.Errorf("pids current %d, want >= 1", st.Pids.Current)
	}
	pids, err := m.Procs()
	if err != nil || len(pids) != 1 || pids[0] != c.cmd.Process.Pid {
		t.Errorf("Procs = %v, %v; want [%d]", pids, err, c.cmd.Process.Pid)
	}
	t.Logf("stats: %+v", st)
}

func TestPidsLimitStopsForkBomb(t *testing.T) {
	needRoot(t)
	limit := int64(10)
	m, _ := newCgroup(t, &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}})
	c := startIn(t, m, `<STDIN>; $| = 1; my ($ok, $fail) = (0, 0);
		for (1..50) { my $p = fork(); if (!defined $p) { $fail++ } elsif ($p == 0) { sleep 100; exit 0 } else { $ok++ } }
		print "$ok $fail\n"; sleep 100;`)
	var ok, fail int
	if _, err := fmt.Sscan(c.line(t), &ok, &fail); err != nil {
		t.Fatal(err)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("forks: %d succeeded, %d failed; pids %+v", ok, fail, st.Pids)
	if ok > 9 || fail < 41 {
		t.Errorf("%d forks succeeded and %d failed under pids.max=10; want at most 9 children", ok, fail)
	}
	if st.Pids.Current > 10 || st.Pids.Limit != 10 {
		t.Errorf("pids stats %+v, want current <= 10, limit 10", st.Pids)
	}
	// Kill reaches the children too (they are not ours to wait for).
	if err := m.Kill(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.wait()
	waitEmpty(t, m)
}

// waitEmpty waits until m has no processes.
func waitEmpty(t *testing.T, m Manager) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids, err := m.Procs()
		if err != nil {
			t.Fatal(err)
		}
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes %v still in the cgroup", pids)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCPUQuota(t *testing.T) {
	needRoot(t)
	quota, period := int64(20000), uint64(100000)
	m, _ := newCgroup(t, &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: &quota, Period: &period}})
	startIn(t, m, `<STDIN>; 1 while 1;`)
	time.Sleep(100 * time.Millisecond)
	s0, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	const window = 2 * time.Second
	start := time.Now()
	time.Sleep(window)
	s1, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	used := time.Duration(s1.CPU.UsageNs - s0.CPU.UsageNs)
	frac := float64(used) / float64(elapsed)
	t.Logf("busy loop under a 20%% quota: %v of CPU in %v (%.0f%% of a core); throttled %d of %d periods",
		used, elapsed.Round(time.Millisecond), 100*frac, s1.CPU.ThrottledPeriods, s1.CPU.Periods)
	if frac >= 0.6 {
		t.Errorf("busy loop used %.0f%% of a core under a 20%% quota, want < 60%%", 100*frac)
	}
	if used <= 0 {
		t.Errorf("busy loop used no CPU at all")
	}
	if s1.CPU.ThrottledPeriods == 0 {
		t.Errorf("no throttled periods reported")
	}
}

func TestFreezeThaw(t *testing.T) {
	needRoot(t)
	m, _ := newCgroup(t, nil)
	c := startIn(t, m, `<STDIN>; 1 while 1;`)
	pid := c.cmd.Process.Pid
	time.Sleep(50 * time.Millisecond)
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	state := procState(pid)
	u0, _ := m.Stats()
	time.Sleep(300 * time.Millisecond)
	u1, _ := m.Stats()
	t.Logf("frozen: state %s, CPU +%v in 300ms", state, time.Duration(u1.CPU.UsageNs-u0.CPU.UsageNs))
	if state != "D" && state != "T" && state != "S" {
		t.Errorf("frozen busy loop has state %q, want D (frozen)", state)
	}
	if d := u1.CPU.UsageNs - u0.CPU.UsageNs; d > uint64(10*time.Millisecond) {
		t.Errorf("frozen process used %v of CPU", time.Duration(d))
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	// Running again: it gains CPU time (polled, for a loaded machine).
	thawed := time.Now()
	var u2 *Stats
	for {
		time.Sleep(100 * time.Millisecond)
		u2, _ = m.Stats()
		if u2.CPU.UsageNs-u1.CPU.UsageNs >= uint64(20*time.Millisecond) || time.Since(thawed) > 5*time.Second {
			break
		}
	}
	state = procState(pid)
	t.Logf("thawed: state %s, CPU +%v in %v", state, time.Duration(u2.CPU.UsageNs-u1.CPU.UsageNs), time.Since(thawed).Round(time.Millisecond))
	if d := u2.CPU.UsageNs - u1.CPU.UsageNs; d < uint64(20*time.Millisecond) {
		t.Errorf("thawed busy loop used only %v of CPU in 5s", time.Duration(d))
	}
	if state == "D" || state == "T" {
		t.Errorf("thawed process state %q", state)
	}
}

func TestDeleteLeavesNothing(t *testing.T) {
	needRoot(t)
	path := testPath()
	limit := int64(64 << 20)
	m, err := New(path, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}})
	if err != nil {
		t.Fatal(err)
	}
	cleanupCgroup(t, m)
	mounts := cgroupMounts(t)
	var dirs []string
	for _, mp := range mounts {
		if d := filepath.Join(mp, path); exists(d) {
			dirs = append(dirs, d)
		}
	}
	t.Logf("cgroup directories: %v", dirs)
	if len(dirs) == 0 {
		t.Fatalf("no directory for %s in any of %v", path, mounts)
	}
	// A sub-cgroup made inside (as a container with its own cgroup
	// namespace may do) goes too.
	if err := os.Mkdir(filepath.Join(dirs[0], "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := startIn(t, m, `<STDIN>; sleep 100;`)
	// Live processes: refused, nothing removed.
	if err := m.Delete(); !errors.Is(err, ErrBusy) {
		t.Fatalf("Delete with a live process: %v, want ErrBusy", err)
	}
	for _, d := range dirs {
		if !exists(d) {
			t.Fatalf("refused Delete removed %s", d)
		}
	}
	if err := m.Kill(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = c.wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("killed child: %v", err)
	}
	waitEmpty(t, m)
	if err := m.Delete(); err != nil {
		t.Fatal(err)
	}
	for _, mp := range mounts {
		if d := filepath.Join(mp, path); exists(d) {
			t.Errorf("%s left behind", d)
		}
	}
	if err := m.Delete(); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	if _, err := Load(path); !errors.Is(err, ErrNotExist) {
		t.Errorf("Load after Delete: %v, want ErrNotExist", err)
	}
}

func TestLoadAndSet(t *testing.T) {
	needRoot(t)
	limit := int64(64 << 20)
	pids := int64(50)
	_, path := newCgroup(t, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}, Pids: &specs.LinuxPids{Limit: &pids}})
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	limit2, pids2 := int64(128<<20), int64(-1)
	if err := l.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit2}, Pids: &specs.LinuxPids{Limit: &pids2}}); err != nil {
		t.Fatal(err)
	}
	st, err := l.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Memory.Limit != uint64(limit2) || st.Pids.Limit != 0 {
		t.Errorf("after Set: memory limit %d (want %d), pids limit %d (want 0, none)", st.Memory.Limit, limit2, st.Pids.Limit)
	}
	if l.Path() != path {
		t.Errorf("Path() = %q, want %q", l.Path(), path)
	}
	if _, err := Load("/strata-test-does-not-exist"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Load of a missing cgroup: %v, want ErrNotExist", err)
	}
}

// TestCPUSettings checks shares/weight and cpuset reach the files.
func TestCPUSettings(t *testing.T) {
	needRoot(t)
	shares := uint64(512)
	m, path := newCgroup(t, &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: &shares, Cpus: "0", Mems: "0"}})
	want := map[string]string{"cpu.shares": "512", "cpuset.cpus": "0", "cpuset.mems": "0"}
	dir := func(ctl string) string { return filepath.Join("/sys/fs/cgroup", ctl, path) }
	if Mode() == "v2" {
		want = map[string]string{"cpu.weight": strconv.FormatUint(CPUSharesToWeight(512), 10), "cpuset.cpus": "0", "cpuset.mems": "0"}
		dir = func(string) string { return filepath.Join("/sys/fs/cgroup", path) }
	}
	for file, v := range want {
		b, err := os.ReadFile(filepath.Join(dir(strings.Split(file, ".")[0]), file))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(b)); got != v {
			t.Errorf("%s = %q, want %q", file, got, v)
		}
	}
	c := startIn(t, m, `<STDIN>; $| = 1; print "ok\n"; sleep 100;`)
	c.line(t)
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Cpus_allowed_list:") && strings.TrimSpace(strings.TrimPrefix(l, "Cpus_allowed_list:")) != "0" {
			t.Errorf("child in cpuset 0 has %s", l)
		}
	}
}

// TestDevices: deny everything but /dev/null.
func TestDevices(t *testing.T) {
	needRoot(t)
	maj, min := int64(1), int64(3)
	m, _ := newCgroup(t, &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: &maj, Minor: &min, Access: "rwm"},
	}})
	c := startIn(t, m, `<STDIN>; $| = 1;
		print((open(my $z, "<", "/dev/zero") ? "zero-open" : "zero-denied"), "\n");
		print((open(my $n, ">", "/dev/null") ? "null-open" : "null-denied"), "\n"); sleep 100;`)
	if l := c.line(t); l != "zero-denied" {
		t.Errorf("/dev/zero: %s, want denied", l)
	}
	if l := c.line(t); l != "null-open" {
		t.Errorf("/dev/null: %s, want open", l)
	}
}

// TestUnsupportedRejectedCleanly: a setting the host cannot honour fails
// with ErrUnsupported and creates nothing.
func TestUnsupportedRejectedCleanly(t *testing.T) {
	needRoot(t)
	path := testPath()
	w := uint16(500)
	r := &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: &w}}
	if Mode() != "v2" && exists("/sys/fs/cgroup/blkio/blkio.weight") {
		t.Skip("this host has blkio weights")
	}
	m, err := New(path, r)
	if err == nil {
		cleanupCgroup(t, m)
		if Mode() == "v2" {
			t.Skip("this host has io weights")
		}
		t.Fatal("New with a blkio weight the host lacks succeeded")
	}
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("error %v, want ErrUnsupported", err)
	}
	t.Logf("error: %v", err)
	for _, mp := range cgroupMounts(t) {
		if d := filepath.Join(mp, path); exists(d) {
			t.Errorf("%s left behind by a failed New", d)
			_ = syscall.Rmdir(d)
		}
	}
}

// TestV2OnHybridUnified exercises the cgroup v2 code on a hybrid host,
// through its controller-less unified hierarchy: cgroup.procs,
// cgroup.freeze and cgroup.kill need no controllers.
func TestV2OnHybridUnified(t *testing.T) {
	needRoot(t)
	if !isCgroup2(hybridUnified) {
		t.Skip("no hybrid unified hierarchy")
	}
	path := testPath()
	limit := int64(64 << 20)
	if _, err := newV2(hybridUnified, path, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}); err != nil {
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("memory limit on a unified hierarchy without memory: %v, want ErrUnsupported", err)
		}
		t.Logf("memory limit refused: %v", err)
		if exists(filepath.Join(hybridUnified, path)) {
			t.Errorf("failed newV2 left %s", path)
		}
	}
	m, err := newV2(hybridUnified, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	cleanupCgroup(t, m)
	c := startIn(t, m, `<STDIN>; 1 while 1;`)
	pids, err := m.Procs()
	if err != nil || len(pids) != 1 || pids[0] != c.cmd.Process.Pid {
		t.Fatalf("Procs = %v, %v", pids, err)
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if s := procState(c.cmd.Process.Pid); s == "R" {
		t.Errorf("frozen process state R")
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(); !errors.Is(err, ErrBusy) {
		t.Errorf("Delete with a live process: %v, want ErrBusy", err)
	}
	if err := m.Kill(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = c.wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("killed child: %v", err)
	}
	waitEmpty(t, m)
	if err := m.Delete(); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(hybridUnified, path)) {
		t.Errorf("%s left behind", path)
	}
}

// TestPaths checks runc's cgroupfs cgroupsPath semantics for real: a
// nested absolute path (the parent is made and, for cpuset, given the
// parent's CPUs), and a relative path, which lands below the test's own
// cgroup in each hierarchy.
func TestPaths(t *testing.T) {
	needRoot(t)
	parent := testPath()
	t.Cleanup(func() {
		for _, mp := range cgroupMounts(t) {
			_ = syscall.Rmdir(filepath.Join(mp, parent))
		}
	})
	m, err := New(parent+"/ctr", &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	cleanupCgroup(t, m)
	if m.Path() != parent+"/ctr" {
		t.Errorf("Path() = %q", m.Path())
	}
	c := startIn(t, m, `<STDIN>; $| = 1; print "ok\n"; sleep 100;`)
	c.line(t)
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", c.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !strings.HasSuffix(l, ":"+parent+"/ctr") {
			t.Errorf("child's /proc/pid/cgroup line %q: want it in %s/ctr", l, parent)
		}
	}

	rel := strings.TrimPrefix(testPath(), "/")
	own, err := ownCgroup("")
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(rel, nil)
	if err != nil {
		t.Fatal(err)
	}
	cleanupCgroup(t, r)
	want := filepath.Join("/", own, rel)
	if Mode() != "v2" {
		mine, _, err := cgroup1ParseSelf()
		if err != nil {
			t.Fatal(err)
		}
		want = filepath.Join("/", mine["memory"], rel)
		if d := filepath.Join("/sys/fs/cgroup/memory", want); !exists(d) {
			t.Errorf("relative path: %s missing", d)
		}
	}
	if r.Path() != want {
		t.Errorf("relative path %q resolved to %q, want %q", rel, r.Path(), want)
	}
}

// TestV2DevicesOnHybridUnified: cgroup v2 device rules are an eBPF program
// attached to the cgroup, which needs no controller, so the hybrid host's
// unified hierarchy runs it for real.
func TestV2DevicesOnHybridUnified(t *testing.T) {
	needRoot(t)
	if !isCgroup2(hybridUnified) {
		t.Skip("no hybrid unified hierarchy")
	}
	maj, min := int64(1), int64(3)
	m, err := newV2(hybridUnified, testPath(), &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: &maj, Minor: &min, Access: "rwm"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cleanupCgroup(t, m)
	c := startIn(t, m, `<STDIN>; $| = 1;
		print((open(my $z, "<", "/dev/zero") ? "zero-open" : "zero-denied"), "\n");
		print((open(my $n, ">", "/dev/null") ? "null-open" : "null-denied"), "\n"); sleep 100;`)
	if l := c.line(t); l != "zero-denied" {
		t.Errorf("/dev/zero: %s, want denied", l)
	}
	if l := c.line(t); l != "null-open" {
		t.Errorf("/dev/null: %s, want open", l)
	}
}

// BenchmarkNewDelete measures what a container's cgroup costs the
// lifecycle: New with typical limits, then Delete.
func BenchmarkNewDelete(b *testing.B) {
	if os.Geteuid() != 0 || Mode() == "" {
		b.Skip("needs root and cgroups")
	}
	limit, pids, shares := int64(64<<20), int64(100), uint64(512)
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}, Pids: &specs.LinuxPids{Limit: &pids}, CPU: &specs.LinuxCPU{Shares: &shares}}
	for i := 0; i < b.N; i++ {
		m, err := New(fmt.Sprintf("/strata-bench-%d-%d", os.Getpid(), i), r)
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Delete(); err != nil {
			b.Fatal(err)
		}
	}
}
