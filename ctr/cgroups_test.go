package ctr

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"strata/ctr/ctrtest"
)

func i64(v int64) *int64 { return &v }

// A 64 MiB memory limit OOM-kills a 200 MiB allocation in the container:
// busybox dd allocates its block size (bs=200M) as one buffer and fills it.
func TestMemoryLimitOOMKills(t *testing.T) {
	spec := ctrtest.Spec("sh", "-c", "busybox dd if=/dev/zero of=/dev/null bs=200M count=1 2>/dev/null; echo status $?; cat /sys/fs/cgroup/memory/memory.limit_in_bytes")
	spec.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(64 << 20), Swap: i64(64 << 20)}}
	e := newEnv(t, spec)
	code, out, errs := e.run("oom")
	if code != 0 || out != fmt.Sprintf("status 137\n%d\n", 64<<20) {
		t.Fatalf("status %d, output %q (stderr %q); want dd killed by SIGKILL (137) and the container's own memory.limit_in_bytes", code, out, errs)
	}
	// Without the limit the same allocation succeeds.
	spec.Linux.Resources = nil
	ctrtest.WriteSpec(t, e.bundle, spec)
	if _, out, _ := e.run("nooom"); !strings.HasPrefix(out, "status 0\n") {
		t.Fatalf("unlimited: output %q, want status 0", out)
	}
}

// A pids limit stops a loop spawning sleeps: no more than 10 tasks.
func TestPidsLimitStopsForks(t *testing.T) {
	// busybox sh exits when a fork fails: the loop runs in a subshell,
	// and the outer shell reports with builtins only (it cannot fork
	// while the sleeps hold the pids).
	spec := ctrtest.Spec("sh", "-c", `(i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i+1)); echo $i > /forked; done) 2>/dev/null
read n < /forked; read c < /sys/fs/cgroup/pids/pids.current; read m < /sys/fs/cgroup/pids/pids.max
echo "forked $n pids.current $c max $m"`)
	spec.Linux.Resources = &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(10)}}
	e := newEnv(t, spec)
	_, out, errs := e.run("pids")
	t.Logf("output %q, stderr %q", out, errs)
	var n, cur, max int
	if _, err := fmt.Sscanf(out, "forked %d pids.current %d max %d", &n, &cur, &max); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	// sh, the subshell and the sleeps: at most 8 sleeps fit in 10.
	if max != 10 || cur > 10 || n >= 10 {
		t.Fatalf("%d sleeps forked, pids.current %d, pids.max %d; want < 10, ≤ 10, 10", n, cur, max)
	}
}

// The container's init is in its cgroup at linux.cgroupsPath in every
// hierarchy, and its cgroup mount shows that cgroup.
func TestCgroupPlacement(t *testing.T) {
	spec := ctrtest.Spec("sh", "-c", "cat /proc/self/cgroup; ls /sys/fs/cgroup; cat /sys/fs/cgroup/pids/cgroup.procs")
	path := spec.Linux.CgroupsPath
	e := newEnv(t, spec)
	_, out, errs := e.run("place")
	lines := strings.Split(out, "\n")
	for _, l := range lines {
		f := strings.SplitN(l, ":", 3)
		if len(f) == 3 && f[2] != path {
			t.Errorf("/proc/self/cgroup line %q: want %s", l, path)
		}
	}
	for _, want := range []string{"memory", "pids", "freezer", "\n1\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q (stderr %q) lacks %q", out, errs, want)
		}
	}
}

// Unsupported resources fail create before anything is made; a systemd
// slice path is refused by name.
func TestCgroupErrorsLeaveNothing(t *testing.T) {
	spec := ctrtest.Spec("true")
	w := uint16(500)
	spec.Linux.Resources = &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: &w}}
	e := newEnv(t, spec)
	if _, err := e.store.Create("blkio", CreateOptions{Bundle: e.bundle}); err == nil || !strings.Contains(err.Error(), "linux.resources") {
		t.Fatalf("create with an unsupported blkio weight: %v", err)
	}
	spec.Linux.Resources = nil
	spec.Linux.CgroupsPath = "system.slice:strata:x"
	ctrtest.WriteSpec(t, e.bundle, spec)
	_, err := e.store.Create("slice", CreateOptions{Bundle: e.bundle})
	if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "systemd") {
		t.Fatalf("systemd slice path: %v", err)
	}
}

// Without a pid namespace, delete still kills what is left in the
// container's cgroup and removes it; the default path is /strata/<id>.
func TestDeleteKillsCgroupWithoutPidNS(t *testing.T) {
	spec := ctrtest.Spec("sh", "-c", "sleep 100 & echo started")
	spec.Linux.CgroupsPath = ""
	var ns []specs.LinuxNamespace
	for _, n := range spec.Linux.Namespaces {
		if n.Type != specs.PIDNamespace {
			ns = append(ns, n)
		}
	}
	spec.Linux.Namespaces = ns
	e := newEnv(t, spec)
	id := fmt.Sprintf("nopidns-%d", os.Getpid())
	// No Stdout: a buffer's pipe would keep Wait waiting for the sleep.
	p, err := e.store.Create(id, CreateOptions{Bundle: e.bundle})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.Start(id); err != nil {
		t.Fatal(err)
	}
	p.Wait()
	s, err := e.store.State(id)
	if err != nil || s.Status != specs.StateStopped || s.CgroupPath != "/strata/"+id {
		t.Fatalf("state %+v, %v", s, err)
	}
	if left := ctrtest.LeftoverCgroups(s.CgroupPath); len(left) == 0 {
		t.Fatal("cgroup gone before delete")
	}
	if err := e.store.Delete(id, false); err != nil {
		t.Fatal(err)
	}
	if left := ctrtest.LeftoverCgroups(s.CgroupPath); len(left) > 0 {
		t.Fatalf("leftover cgroups after delete: %v", left)
	}
}

// A config denying every device (as `runc spec` writes) still gets the
// default /dev nodes; other devices stay denied.
func TestDeviceCgroup(t *testing.T) {
	spec := ctrtest.Spec("sh", "-c", "cat /dev/null && echo null ok; busybox mknod /dev/loopx b 7 0 && (cat /dev/loopx >/dev/null 2>&1 || echo loop denied)")
	spec.Linux.Resources = &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}
	e := newEnv(t, spec)
	if _, out, errs := e.run("devices"); out != "null ok\nloop denied\n" {
		t.Fatalf("output %q (stderr %q), want null ok and loop denied", out, errs)
	}
}

// process.oomScoreAdj reaches the container's process; out of range is
// refused.
func TestOOMScoreAdj(t *testing.T) {
	spec := ctrtest.Spec("cat", "/proc/self/oom_score_adj")
	adj := 567
	spec.Process.OOMScoreAdj = &adj
	e := newEnv(t, spec)
	if _, out, errs := e.run("oomadj"); out != "567\n" {
		t.Fatalf("oom_score_adj %q (stderr %q), want 567", out, errs)
	}
	adj = 1001
	ctrtest.WriteSpec(t, e.bundle, spec)
	if _, err := e.store.Create("oomadj", CreateOptions{Bundle: e.bundle}); !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "process.oomScoreAdj") {
		t.Fatalf("oomScoreAdj 1001: %v", err)
	}
}

// kill --all SIGKILL empties a cgroup whose processes keep forking.
func TestKillAllForking(t *testing.T) {
	spec := ctrtest.Spec("sh", "-c", "while :; do (sleep 100 &) 2>/dev/null; done")
	spec.Linux.Resources = &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(40)}}
	e := newEnv(t, spec)
	p, err := e.store.Create("forks", CreateOptions{Bundle: e.bundle})
	if err != nil {
		t.Fatal(err)
	}
	e.pidNS = append(e.pidNS, ctrtest.PidNS(p.Pid()))
	go p.Wait()
	if err := e.store.Start("forks"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if pids, _ := e.store.Ps("forks"); len(pids) < 5 {
		t.Fatalf("only %d processes after 100 ms of forking", len(pids))
	}
	if err := e.store.Kill("forks", unix.SIGKILL, true); err != nil {
		t.Fatal(err)
	}
	if pids, err := e.store.Ps("forks"); err != nil || len(pids) != 0 {
		t.Fatalf("after kill --all: %v, %v", pids, err)
	}
	if err := e.store.Delete("forks", false); err != nil {
		t.Fatal(err)
	}
}
