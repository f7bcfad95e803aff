package ctr

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"strata/cgroup"
	"strata/ctr/ctrtest"
)

// cpuTicks is utime+stime of pid from /proc/PID/stat, in clock ticks.
func cpuTicks(t *testing.T, pid int) uint64 {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	// f[0] is field 3; utime and stime are fields 14 and 15.
	u, _ := strconv.ParseUint(f[11], 10, 64)
	s, _ := strconv.ParseUint(f[12], 10, 64)
	return u + s
}

// Pause freezes a busy loop — status "paused", no CPU time — and resume
// lets it run again; stats and ps see the container.
func TestPauseResumeStatsPs(t *testing.T) {
	spec := ctrtest.Spec("sh", "-c", "busybox dd if=/dev/zero of=/dev/shm/f bs=1M count=8 2>/dev/null; while :; do :; done")
	e := newEnv(t, spec)
	p, err := e.store.Create("pause", CreateOptions{Bundle: e.bundle})
	if err != nil {
		t.Fatal(err)
	}
	e.pidNS = append(e.pidNS, ctrtest.PidNS(p.Pid()))
	go p.Wait()
	if err := e.store.Resume("pause"); err == nil {
		t.Fatal("resume of a created container succeeded")
	}
	if err := e.store.Start("pause"); err != nil {
		t.Fatal(err)
	}
	// Wait for the loop to burn CPU (dd done).
	deadline := time.Now().Add(5 * time.Second)
	var st0 uint64
	for {
		st, err := e.store.Stats("pause")
		if err != nil {
			t.Fatal(err)
		}
		// dd done (one pid left), the loop burning CPU.
		if st.Memory.Usage >= 8<<20 && st.Pids.Current == 1 && cpuTicks(t, p.Pid()) > 5 {
			st0 = st.Memory.Usage
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: no 8 MiB of tmpfs, not one pid, or no CPU", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("memory usage %d", st0)
	if pids, err := e.store.Ps("pause"); err != nil || !slices.Equal(pids, []int{p.Pid()}) {
		t.Fatalf("ps: %v, %v; want [%d]", pids, err, p.Pid())
	}
	if err := e.store.Pause("pause"); err != nil {
		t.Fatal(err)
	}
	if s, err := e.store.State("pause"); err != nil || s.Status != StatePaused {
		t.Fatalf("state after pause: %+v, %v", s, err)
	}
	if err := e.store.Pause("pause"); err == nil {
		t.Fatal("second pause succeeded")
	}
	if err := e.store.Delete("pause", false); err == nil {
		t.Fatal("delete of a paused container without force succeeded")
	}
	before := cpuTicks(t, p.Pid())
	time.Sleep(300 * time.Millisecond)
	if after := cpuTicks(t, p.Pid()); after != before {
		t.Fatalf("paused: CPU ticks went %d → %d", before, after)
	}
	if err := e.store.Resume("pause"); err != nil {
		t.Fatal(err)
	}
	if s, err := e.store.State("pause"); err != nil || s.Status != specs.StateRunning {
		t.Fatalf("state after resume: %+v, %v", s, err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for cpuTicks(t, p.Pid()) == before {
		if time.Now().After(deadline) {
			t.Fatal("resumed: no CPU time in 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A paused container is deleted with --force too.
	if err := e.store.Pause("pause"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Delete("pause", true); err != nil {
		t.Fatal(err)
	}
}

// execLoop is the test binary inside a container (TestPauseDuringExec):
// a multi-threaded Go process that execs itself again and again.
func execLoop() {
	for i := 0; i < 4; i++ {
		go func() {
			for {
				runtime.Gosched()
			}
		}()
	}
	time.Sleep(2 * time.Millisecond)
	syscall.Exec("/helper", []string{"helper"}, os.Environ())
	os.Exit(1)
}

// Pausing a container whose multi-threaded process keeps calling execve
// succeeds every time: a freeze stuck behind an exec is thawed and retried
// (a plain v1 freeze would wait in FREEZING for ever).
func TestPauseDuringExec(t *testing.T) {
	spec := ctrtest.Spec("/helper")
	spec.Process.Env = append(spec.Process.Env, "CTR_TEST_EXECLOOP=1")
	for _, d := range []string{"/lib", "/lib64", "/usr"} {
		if _, err := os.Stat(d); err == nil {
			spec.Mounts = append(spec.Mounts, specs.Mount{Destination: d, Type: "bind", Source: d, Options: []string{"rbind", "ro"}})
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/helper", Type: "bind", Source: self, Options: []string{"bind", "ro"}})
	if cgroup.Mode() != "v2" && v1FreezerDir(spec.Linux.CgroupsPath) != "" {
		t.Fatal("v1FreezerDir found a freezer for a cgroup not made yet")
	}
	e := newEnv(t, spec)
	p, err := e.store.Create("execloop", CreateOptions{Bundle: e.bundle})
	if err != nil {
		t.Fatal(err)
	}
	e.pidNS = append(e.pidNS, ctrtest.PidNS(p.Pid()))
	go p.Wait()
	if err := e.store.Start("execloop"); err != nil {
		t.Fatal(err)
	}
	if m := cgroup.Mode(); (m == "v1" || m == "hybrid") && v1FreezerDir(spec.Linux.CgroupsPath) == "" {
		t.Fatal("no v1 freezer directory for the container: pause would use the library's unbounded freeze")
	}
	for i := 0; i < 30; i++ {
		done := make(chan error, 1)
		go func() { done <- e.store.Pause("execloop") }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("pause %d: %v", i, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("pause %d hung", i)
		}
		if err := e.store.Resume("execloop"); err != nil {
			t.Fatalf("resume %d: %v", i, err)
		}
		time.Sleep(time.Duration(i%5) * time.Millisecond)
	}
	if err := e.store.Delete("execloop", true); err != nil {
		t.Fatal(err)
	}
}
