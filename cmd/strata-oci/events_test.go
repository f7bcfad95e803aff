package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"strata/ctr"
	"strata/ctr/ctrtest"
)

// pause/resume with the state reported, events --stats (runc's shape,
// memory usage > 0), an events stream at a short interval cancelled after
// three events, ps --format json.
func TestCLIPauseEventsPs(t *testing.T) {
	// sh execs its last command: one process, sleep, as pid 1.
	c := newCLI(t, ctrtest.Spec("sh", "-c", "busybox dd if=/dev/zero of=/dev/shm/f bs=1M count=4 2>/dev/null; sleep 100"))
	if code, _, errs := c.oci("run", "-d", "-b", c.bundle, "ev"); code != 0 {
		t.Fatalf("run -d: %d %s", code, errs)
	}
	defer c.oci("delete", "--force", "ev")
	status := func() (string, int) {
		t.Helper()
		var s ctr.State
		_, out, _ := c.oci("state", "ev")
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("state %q: %v", out, err)
		}
		return string(s.Status), s.Pid
	}
	_, pid := status()

	var ev struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Data struct {
			CPU struct {
				Usage struct{ Total uint64 } `json:"usage"`
			} `json:"cpu"`
			Memory struct {
				Usage struct{ Usage uint64 } `json:"usage"`
			} `json:"memory"`
			Pids struct{ Current uint64 } `json:"pids"`
		} `json:"data"`
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, out, errs := c.oci("events", "--stats", "ev")
		if code != 0 || json.Unmarshal([]byte(out), &ev) != nil || strings.Count(out, "\n") != 1 {
			t.Fatalf("events --stats: %d %q %s", code, out, errs)
		}
		// dd done and sleep exec'd: 4 MiB in /dev/shm, one process.
		if ev.Data.Memory.Usage.Usage >= 4<<20 && ev.Data.Pids.Current == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events --stats: %q, want memory usage ≥ 4 MiB and one pid", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ev.Type != "stats" || ev.ID != "ev" || ev.Data.Pids.Current != 1 || ev.Data.CPU.Usage.Total == 0 {
		t.Fatalf("events --stats: %+v", ev)
	}

	code, out, errs := c.oci("ps", "--format", "json", "ev")
	var pids []int
	if code != 0 || json.Unmarshal([]byte(out), &pids) != nil || len(pids) != 1 || pids[0] != pid {
		t.Fatalf("ps --format json: %d %q %s (init %d)", code, out, errs, pid)
	}
	if code, out, _ := c.oci("ps", "ev"); code != 0 || !strings.Contains(out, "sleep 100") {
		t.Fatalf("ps: %d %q", code, out)
	}

	if code, _, errs := c.oci("pause", "ev"); code != 0 {
		t.Fatalf("pause: %d %s", code, errs)
	}
	if s, _ := status(); s != "paused" {
		t.Fatalf("state after pause: %s", s)
	}
	if code, _, errs := c.oci("resume", "ev"); code != 0 {
		t.Fatalf("resume: %d %s", code, errs)
	}
	if s, _ := status(); s != "running" {
		t.Fatalf("state after resume: %s", s)
	}
	if code, _, _ := c.oci("resume", "ev"); code != 1 {
		t.Fatalf("resume of a running container: status %d, want 1", code)
	}

	// The stream, cancelled after three events.
	outF := filepath.Join(t.TempDir(), "events")
	f, _ := os.Create(outF)
	defer f.Close()
	cmd := exec.Command(os.Args[0], "--root", c.root, "events", "--interval", "50ms", "ev")
	cmd.Env = append(os.Environ(), "STRATA_OCI_TEST_CLI=1")
	cmd.Stdout = f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile(outF)
		if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); len(lines) >= 3 {
			for _, l := range lines[:3] {
				if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.Type != "stats" {
					t.Fatalf("event %q: %v", l, err)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events stream: %q after 10 s", data)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if code, _, errs := c.oci("delete", "--force", "ev"); code != 0 {
		t.Fatalf("delete --force: %d %s", code, errs)
	}
}

// Hooks through the command line: create, start and delete are separate
// processes; poststart and poststop come from the state create saved.
func TestCLIHooks(t *testing.T) {
	log := t.TempDir()
	bb := ctrtest.Busybox(t)
	h := func(name string) specs.Hook {
		return specs.Hook{Path: bb, Args: []string{"sh", "-c", "read -r s; case \"$s\" in *'\"id\":\"hk\"'*) echo " + name + " >> " + log + "/order;; esac"}}
	}
	spec := ctrtest.Spec("true")
	spec.Hooks = &specs.Hooks{Prestart: []specs.Hook{h("prestart")}, CreateRuntime: []specs.Hook{h("createRuntime")},
		CreateContainer: []specs.Hook{h("createContainer")}, Poststart: []specs.Hook{h("poststart")}, Poststop: []specs.Hook{h("poststop")}}
	c := newCLI(t, spec)
	for _, args := range [][]string{{"create", "-b", c.bundle, "hk"}, {"start", "hk"}} {
		if code, _, errs := c.oci(args...); code != 0 {
			t.Fatalf("%v: %d %s", args, code, errs)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, out, _ := c.oci("state", "hk"); strings.Contains(out, `"stopped"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("container did not stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _, errs := c.oci("delete", "hk"); code != 0 {
		t.Fatalf("delete: %d %s", code, errs)
	}
	order, _ := os.ReadFile(filepath.Join(log, "order"))
	if want := "prestart\ncreateRuntime\ncreateContainer\npoststart\npoststop\n"; string(order) != want {
		t.Fatalf("hooks ran %q, want %q", order, want)
	}
}
