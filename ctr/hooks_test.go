package ctr

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"strata/ctr/ctrtest"
)

// hook is a busybox sh script: it appends "<name> <hostname> <mount ns>" to
// dir/order and saves its stdin as dir/<name>.json. bb is busybox's path
// where the hook runs (the host's, or the container's after pivot_root).
func hook(bb, dir, name, extra string) specs.Hook {
	return specs.Hook{
		Path: bb,
		Args: []string{"sh", "-c", "echo " + name + " $(hostname) $(readlink /proc/self/ns/mnt) >> " + dir + "/order; cat > " + dir + "/" + name + ".json" + extra},
		Env:  []string{"PATH=/bin:/usr/bin"},
	}
}

// hookSpec has every kind of hook, logging to log on the host (bound at
// /hooks in the container for startContainer, which runs after
// pivot_root).
func hookSpec(t *testing.T, log string, args ...string) *specs.Spec {
	bb := ctrtest.Busybox(t)
	spec := ctrtest.Spec(args...)
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/hooks", Type: "bind", Source: log, Options: []string{"rbind", "rw"}})
	spec.Hooks = &specs.Hooks{
		Prestart:        []specs.Hook{hook(bb, log, "prestart", "")},
		CreateRuntime:   []specs.Hook{hook(bb, log, "createRuntime", "")},
		CreateContainer: []specs.Hook{hook(bb, log, "createContainer", "")},
		StartContainer:  []specs.Hook{hook("/bin/busybox", "/hooks", "startContainer", "")},
		Poststart:       []specs.Hook{hook(bb, log, "poststart", "")},
		Poststop:        []specs.Hook{hook(bb, log, "poststop", "")},
	}
	return spec
}

// Every hook runs, in order, with the state on stdin; createRuntime,
// poststart and poststop in the host's uts namespace, createContainer and
// startContainer in the container's.
func TestHooksOrderAndState(t *testing.T) {
	log := t.TempDir()
	e := newEnv(t, hookSpec(t, log, "true"))
	if code, _, errs := e.run("hooks"); code != 0 {
		t.Fatalf("status %d, stderr %q", code, errs)
	}
	host, _ := os.Hostname()
	hostMnt, _ := os.Readlink("/proc/self/ns/mnt")
	order, _ := os.ReadFile(filepath.Join(log, "order"))
	lines := strings.Split(strings.TrimSpace(string(order)), "\n")
	if len(lines) != 6 {
		t.Fatalf("hooks ran:\n%s", order)
	}
	ctrMnt := strings.Fields(lines[2] + " ? ? ?")[2]
	want := strings.Join([]string{"prestart " + host + " " + hostMnt, "createRuntime " + host + " " + hostMnt,
		"createContainer strata-test " + ctrMnt, "startContainer strata-test " + ctrMnt,
		"poststart " + host + " " + hostMnt, "poststop " + host + " " + hostMnt}, "\n") + "\n"
	if string(order) != want || ctrMnt == hostMnt {
		t.Fatalf("hooks ran:\n%s\nwant (container mount ns ≠ host's):\n%s", order, want)
	}
	status := map[string]specs.ContainerState{"prestart": "creating", "createRuntime": "creating", "createContainer": "creating",
		"startContainer": "created", "poststart": "running", "poststop": "stopped"}
	var pid int
	for name, st := range status {
		var s specs.State
		data, _ := os.ReadFile(filepath.Join(log, name+".json"))
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatalf("%s stdin %q: %v", name, data, err)
		}
		if s.ID != "hooks" || s.Status != st || s.Bundle != e.bundle || s.Version == "" {
			t.Errorf("%s got state %+v, want status %s", name, s, st)
		}
		if name == "poststop" {
			continue
		}
		if s.Pid == 0 || (pid != 0 && s.Pid != pid) {
			t.Errorf("%s: pid %d (others %d)", name, s.Pid, pid)
		}
		pid = s.Pid
	}
}

// A failing createRuntime hook fails create and leaves nothing (checked
// by newEnv's cleanup: state, mounts, cgroups); poststop still runs.
func TestFailingCreateRuntimeHook(t *testing.T) {
	log := t.TempDir()
	spec := hookSpec(t, log, "true")
	spec.Hooks.CreateRuntime = append(spec.Hooks.CreateRuntime, specs.Hook{Path: ctrtest.Busybox(t), Args: []string{"sh", "-c", "echo nope; exit 3"}})
	e := newEnv(t, spec)
	_, err := e.store.Create("failhook", CreateOptions{Bundle: e.bundle})
	if err == nil || !strings.Contains(err.Error(), "hooks.createRuntime[1]") || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("create with a failing createRuntime hook: %v", err)
	}
	order, _ := os.ReadFile(filepath.Join(log, "order"))
	var ran []string
	for _, l := range strings.Split(strings.TrimSpace(string(order)), "\n") {
		ran = append(ran, strings.Fields(l)[0])
	}
	if got := strings.Join(ran, " "); got != "prestart createRuntime poststop" {
		t.Fatalf("hooks ran %q, want prestart createRuntime poststop", got)
	}
}

// A createContainer hook past its timeout is killed and fails create; a
// failing startContainer hook fails start and stops the container; a
// failing poststart hook fails start and kills the container.
func TestHookTimeoutAndLaterFailures(t *testing.T) {
	log := t.TempDir()
	spec := hookSpec(t, log, "sleep", "100")
	one := 1
	spec.Hooks.CreateContainer = []specs.Hook{{Path: ctrtest.Busybox(t), Args: []string{"sleep", "10"}, Timeout: &one}}
	e := newEnv(t, spec)
	start := time.Now()
	_, err := e.store.Create("timeout", CreateOptions{Bundle: e.bundle})
	if err == nil || !strings.Contains(err.Error(), "timed out") || time.Since(start) > 5*time.Second {
		t.Fatalf("create with a hanging hook: %v after %v", err, time.Since(start))
	}

	spec = hookSpec(t, log, "sleep", "100")
	spec.Hooks.StartContainer = []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo no start; exit 1"}}}
	ctrtest.WriteSpec(t, e.bundle, spec)
	p, err := e.store.Create("startfail", CreateOptions{Bundle: e.bundle})
	if err != nil {
		t.Fatal(err)
	}
	e.pidNS = append(e.pidNS, ctrtest.PidNS(p.Pid()))
	if err := e.store.Start("startfail"); err == nil || !strings.Contains(err.Error(), "hooks.startContainer[0]") || !strings.Contains(err.Error(), "no start") {
		t.Fatalf("start with a failing startContainer hook: %v", err)
	}
	if code, _ := p.Wait(); code != 127 {
		t.Errorf("init status %d after a failed startContainer hook, want 127", code)
	}
	if s, err := e.store.State("startfail"); err != nil || s.Status != specs.StateStopped {
		t.Fatalf("state %+v, %v", s, err)
	}
	if err := e.store.Delete("startfail", false); err != nil {
		t.Fatal(err)
	}

	spec = hookSpec(t, log, "sleep", "100")
	spec.Hooks.Poststart = []specs.Hook{{Path: ctrtest.Busybox(t), Args: []string{"false"}}}
	ctrtest.WriteSpec(t, e.bundle, spec)
	p, err = e.store.Create("postfail", CreateOptions{Bundle: e.bundle})
	if err != nil {
		t.Fatal(err)
	}
	e.pidNS = append(e.pidNS, ctrtest.PidNS(p.Pid()))
	if err := e.store.Start("postfail"); err == nil || !strings.Contains(err.Error(), "hooks.poststart[0]") {
		t.Fatalf("start with a failing poststart hook: %v", err)
	}
	if code, _ := p.Wait(); code != 137 {
		t.Errorf("status %d after a failed poststart hook, want 137 (killed)", code)
	}
	if err := e.store.Delete("postfail", false); err != nil {
		t.Fatal(err)
	}
}
