package ctr

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

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
