package ctr

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"strata/ctr/ctrtest"
	"strata/ctr/nsenter"
)

func TestMain(m *testing.M) {
	MaybeInit()
	if os.Getenv("CTR_TEST_EXECLOOP") == "1" {
		execLoop()
	}
	if os.Getenv("CTR_TEST_DUMPABLE") == "1" {
		// Run with _STRATA_NSENTER set: report what the constructor left.
		v, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
		fmt.Println("dumpable", v)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// env is one test's state root and bundle, checked for leftovers at the end.
type env struct {
	t      *testing.T
	store  Store
	bundle string
	pidNS  []string
}

func newEnv(t *testing.T, spec *specs.Spec) *env {
	t.Helper()
	e := &env{t: t, store: Store{Root: filepath.Join(t.TempDir(), "state")}, bundle: ctrtest.Bundle(t, spec)}
	t.Cleanup(func() {
		ctrtest.CheckClean(t, e.store.Root, []string{e.bundle, e.store.Root}, e.pidNS)
	})
	return e
}

// run runs the bundle's container to completion and returns its exit
// status, stdout and stderr.
func (e *env) run(id string) (int, string, string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	code, err := e.store.Run(id, CreateOptions{Bundle: e.bundle, Stdout: &out, Stderr: &errb}, nil)
	if err != nil {
		e.t.Fatalf("run: %v (stderr %q)", err, errb.String())
	}
	return code, out.String(), errb.String()
}

func TestRunEchoHello(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("echo", "hello"))
	code, out, _ := e.run("hello")
	if code != 0 || out != "hello\n" {
		t.Fatalf("got status %d, output %q; want 0, %q", code, out, "hello\n")
	}
}

func TestExitStatusPropagates(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("sh", "-c", "exit 3"))
	if code, _, _ := e.run("exit3"); code != 3 {
		t.Fatalf("status %d, want 3", code)
	}
}

func TestPidNamespace(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("sh", "-c", "echo $$"))
	if _, out, _ := e.run("pid"); out != "1\n" {
		t.Fatalf("pid in container %q, want 1", out)
	}
}

func TestHostname(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("hostname"))
	if _, out, _ := e.run("host"); out != "strata-test\n" {
		t.Fatalf("hostname %q, want strata-test", out)
	}
	if h, _ := os.Hostname(); h == "strata-test" {
		t.Fatal("the host's hostname changed")
	}
}

func TestMountsIsolated(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "host-only")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, ctrtest.Spec("sh", "-c",
		"test -e /proc/self/stat && echo proc; test -e "+marker+" || echo hidden; "+
			"test -c /dev/null && test -c /dev/urandom && test -L /dev/fd && echo dev; "+
			"test -s /proc/kcore || echo masked"))
	_, out, errs := e.run("mounts")
	for _, want := range []string{"proc\n", "hidden\n", "dev\n", "masked\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q (stderr %q)", out, want, errs)
		}
	}
}

func TestReadonlyRoot(t *testing.T) {
	s := ctrtest.Spec("touch", "/x")
	s.Root.Readonly = true
	e := newEnv(t, s)
	code, _, errs := e.run("ro")
	if code == 0 || !strings.Contains(errs, "Read-only file system") {
		t.Fatalf("touch on a read-only root: status %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(e.bundle, "rootfs", "x")); err == nil {
		t.Fatal("/x was created")
	}
}

func TestProcessUserAndUmask(t *testing.T) {
	s := ctrtest.Spec("sh", "-c", "id -u; id -g; id -G; umask")
	umask := uint32(0o027)
	s.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 20}, Umask: &umask}
	s.Process.NoNewPrivileges = true
	s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 100, Hard: 200}}
	e := newEnv(t, s)
	_, out, errs := e.run("user")
	if out != "1000\n1000\n1000 20\n0027\n" {
		t.Fatalf("output %q (stderr %q)", out, errs)
	}
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("sleep", "100"))
	const id = "life"
	logf, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	pidFile := filepath.Join(t.TempDir(), "pid")
	p, err := e.store.Create(id, CreateOptions{Bundle: e.bundle, PidFile: pidFile, Stdout: logf, Stderr: logf})
	if err != nil {
		t.Fatal(err)
	}
	e.pidNS = append(e.pidNS, ctrtest.PidNS(p.Pid()))
	waited := make(chan int, 1)
	go func() { code, _ := p.Wait(); waited <- code }()
	wantStatus := func(want specs.ContainerState) *State {
		t.Helper()
		s, err := e.store.State(id)
		if err != nil {
			t.Fatal(err)
		}
		if s.Status != want {
			t.Fatalf("status %s, want %s", s.Status, want)
		}
		return s
	}
	s := wantStatus(specs.StateCreated)
	if s.Pid != p.Pid() || s.ID != id || s.Bundle != e.bundle || s.Version != specs.Version {
		t.Fatalf("state %+v", s)
	}
	if data, _ := os.ReadFile(pidFile); string(data) != strings.TrimSpace(string(data)) || string(data) == "" {
		t.Fatalf("pid file %q", data)
	}
	if _, err := e.store.Create(id, CreateOptions{Bundle: e.bundle}); err == nil {
		t.Fatal("a second create with the same id succeeded")
	}
	if err := e.store.Start(id); err != nil {
		t.Fatal(err)
	}
	wantStatus(specs.StateRunning)
	if err := e.store.Start(id); err == nil {
		t.Fatal("start of a running container succeeded")
	}
	if err := e.store.Delete(id, false); err == nil {
		t.Fatal("delete of a running container succeeded without force")
	}
	list, err := e.store.List()
	if err != nil || len(list) != 1 || list[0].ID != id {
		t.Fatalf("list: %v %v", list, err)
	}
	if err := e.store.Kill(id, unix.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-waited:
		if code != 128+9 {
			t.Fatalf("status %d after SIGKILL, want 137", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("container did not die")
	}
	wantStatus(specs.StateStopped)
	if err := e.store.Kill(id, unix.SIGTERM, false); err == nil {
		t.Fatal("kill of a stopped container succeeded")
	}
	if err := e.store.Delete(id, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.State(id); !errors.Is(err, ErrNotExist) {
		t.Fatalf("state after delete: %v", err)
	}
}

func TestDeleteForceAndKillAll(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("sh", "-c", "sleep 100 & sleep 100"))
	p, err := e.store.Create("force", CreateOptions{Bundle: e.bundle})
	if err != nil {
		t.Fatal(err)
	}
	e.pidNS = append(e.pidNS, ctrtest.PidNS(p.Pid()))
	go p.Wait()
	if err := e.store.Start("force"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Kill("force", unix.SIGTERM, true); err != nil {
		t.Fatal(err)
	}
	// sh as pid 1 ignores SIGTERM; sleep does not, and a forced delete
	// kills the rest.
	if err := e.store.Delete("force", true); err != nil {
		t.Fatal(err)
	}
}

func TestMissingBinary(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("/bin/nope"))
	_, err := e.store.Create("nobin", CreateOptions{Bundle: e.bundle})
	if err == nil || !strings.Contains(err.Error(), "process.args[0]") {
		t.Fatalf("create with a missing binary: %v", err)
	}
}

func TestBadID(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("true"))
	for _, id := range []string{"..", "../x", "a/b", "a..b", ""} {
		if _, err := e.store.Create(id, CreateOptions{Bundle: e.bundle}); err == nil {
			t.Errorf("id %q accepted", id)
		}
	}
	if _, err := os.Stat(filepath.Join(e.store.Root, "..", "x")); err == nil {
		t.Error("a state dir escaped the root")
	}
}

func TestBadConfigs(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("true"))
	notDir := filepath.Join(e.bundle, "file")
	os.WriteFile(notDir, nil, 0o644)
	cases := []struct {
		want string
		edit func(s *specs.Spec)
	}{
		{"ociVersion", func(s *specs.Spec) { s.Version = "0.9" }},
		{"process.args: empty", func(s *specs.Spec) { s.Process.Args = nil }},
		{"process: missing", func(s *specs.Spec) { s.Process = nil }},
		{"process.cwd", func(s *specs.Spec) { s.Process.Cwd = "tmp" }},
		{"process.terminal: set, but no console socket", func(s *specs.Spec) { s.Process.Terminal = true }},
		{"process.rlimits[0].type: unknown", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_FOO"}}
		}},
		{"root.path: not a directory", func(s *specs.Spec) { s.Root.Path = notDir }},
		{"root.path", func(s *specs.Spec) { s.Root.Path = "missing" }},
		{`linux.namespaces[2].type: unknown "foo"`, func(s *specs.Spec) { s.Linux.Namespaces[2].Type = "foo" }},
		{"linux.namespaces[0].path", func(s *specs.Spec) { s.Linux.Namespaces[0].Path = "/proc/1/ns/missing" }},
		{"linux.namespaces[1].path", func(s *specs.Spec) { s.Linux.Namespaces[1].Path = "relative" }},
		{"linux.namespaces[5].type", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
		}},
		{"linux.uidMappings: a new user namespace needs uid mappings", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		}},
		{"linux.gidMappings", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
		}},
		{"linux.uidMappings: mappings without a new user namespace", func(s *specs.Spec) {
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
		}},
		{"linux.namespaces: a new user namespace together with joined", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			s.Linux.Namespaces[1].Path = "/proc/self/ns/net"
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
		}},
		{"linux.namespaces: a mount namespace is required", func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[:4] }},
		{"mounts[0].destination", func(s *specs.Spec) { s.Mounts[0].Destination = "proc" }},
		{"mounts[1].destination", func(s *specs.Spec) { s.Mounts[1].Destination = "/../../etc" }},
		{"linux.seccomp.defaultAction: action missing", func(s *specs.Spec) { s.Linux.Seccomp = &specs.LinuxSeccomp{} }},
		{"hooks.poststop[0].path", func(s *specs.Spec) { s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "bin/true"}}} }},
		{"hooks.createRuntime[0].timeout", func(s *specs.Spec) {
			zero := 0
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true", Timeout: &zero}}}
		}},
		{"linux: missing", func(s *specs.Spec) { s.Linux = nil }},
	}
	for _, c := range cases {
		s := ctrtest.Spec("true")
		c.edit(s)
		ctrtest.WriteSpec(t, e.bundle, s)
		_, err := e.store.Create("bad", CreateOptions{Bundle: e.bundle})
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("want an error naming %q, got %v", c.want, err)
		}
	}
	os.WriteFile(filepath.Join(e.bundle, "config.json"), []byte("{not json"), 0o644)
	if _, err := e.store.Create("bad", CreateOptions{Bundle: e.bundle}); err == nil || !strings.Contains(err.Error(), "parse config.json") {
		t.Errorf("malformed config.json: %v", err)
	}
}

func TestMountThroughSymlinkStaysInside(t *testing.T) {
	host := t.TempDir()
	s := ctrtest.Spec("true")
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/evil/x", Type: "tmpfs", Source: "tmpfs"})
	e := newEnv(t, s)
	if err := os.Symlink(host, filepath.Join(e.bundle, "rootfs", "evil")); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := e.run("symlink"); code != 0 {
		t.Fatalf("status %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(host, "x")); err == nil {
		t.Fatal("a mount destination followed a symlink out of the rootfs")
	}
	if _, err := os.Stat(filepath.Join(e.bundle, "rootfs", host, "x")); err != nil {
		t.Fatalf("mountpoint not created inside the rootfs: %v", err)
	}
}

func TestCapabilitiesAndNoNewPrivs(t *testing.T) {
	s := ctrtest.Spec("grep", "-E", "^(CapEff|CapBnd|CapAmb|NoNewPrivs)", "/proc/self/status")
	caps := []string{"CAP_CHOWN", "CAP_KILL"}
	s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	s.Process.NoNewPrivileges = true
	e := newEnv(t, s)
	_, out, errs := e.run("caps")
	for _, want := range []string{"CapEff:\t0000000000000021", "CapBnd:\t0000000000000021", "CapAmb:\t0000000000000000", "NoNewPrivs:\t1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q (stderr %q)", out, want, errs)
		}
	}
}

func TestAmbientCapsForNonRoot(t *testing.T) {
	s := ctrtest.Spec("grep", "^CapEff", "/proc/self/status")
	caps := []string{"CAP_NET_BIND_SERVICE"}
	s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps, Inheritable: caps, Ambient: caps}
	s.Process.User = specs.User{UID: 1000, GID: 1000}
	e := newEnv(t, s)
	if _, out, errs := e.run("ambient"); out != "CapEff:\t0000000000000400\n" {
		t.Fatalf("output %q (stderr %q)", out, errs)
	}
}

func TestLoopbackUp(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("cat", "/sys/class/net/lo/operstate", "/sys/class/net/lo/flags"))
	if _, out, errs := e.run("lo"); !strings.Contains(out, "0x9") {
		t.Fatalf("lo flags %q (stderr %q)", out, errs)
	}
}

func TestBadCapability(t *testing.T) {
	s := ctrtest.Spec("true")
	s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", "CAP_FOO"}}
	if err := Validate(s, ctrtest.Bundle(t, s)); err == nil || !strings.Contains(err.Error(), "process.capabilities.bounding[1]") {
		t.Fatalf("got %v", err)
	}
}

func TestBindMounts(t *testing.T) {
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "f"), []byte("from host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(host, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := ctrtest.Spec("sh", "-c", "cat /ro/f; touch /ro/new || echo ro-refused; touch /rw/new && echo rw-ok; "+
		"cat /file; test -d /rw/sub && echo rbind")
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/ro", Type: "bind", Source: host, Options: []string{"bind", "ro"}},
		specs.Mount{Destination: "/rw", Source: host, Options: []string{"rbind", "rw"}},
		specs.Mount{Destination: "/file", Type: "bind", Source: filepath.Join(host, "f"), Options: []string{"bind", "ro"}},
	)
	e := newEnv(t, s)
	_, out, errs := e.run("binds")
	if out != "from host\nro-refused\nrw-ok\nfrom host\nrbind\n" {
		t.Fatalf("output %q (stderr %q)", out, errs)
	}
	if _, err := os.Stat(filepath.Join(host, "new")); err != nil {
		t.Fatalf("write through the rw bind: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(e.bundle, "rootfs", "file")); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("file mountpoint: %v", err)
	}
}

func TestKillCreated(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("true"))
	p, err := e.store.Create("kc", CreateOptions{Bundle: e.bundle})
	if err != nil {
		t.Fatal(err)
	}
	e.pidNS = append(e.pidNS, ctrtest.PidNS(p.Pid()))
	if err := e.store.Kill("kc", unix.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	if code, _ := p.Wait(); code != 137 {
		t.Fatalf("status %d, want 137", code)
	}
	if s, err := e.store.State("kc"); err != nil || s.Status != specs.StateStopped || s.Pid != 0 {
		t.Fatalf("state %+v, %v", s, err)
	}
	if err := e.store.Start("kc"); err == nil {
		t.Fatal("start of a stopped container succeeded")
	}
	if err := e.store.Delete("kc", false); err != nil {
		t.Fatal(err)
	}
}

func TestDeleteCreated(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("true"))
	p, err := e.store.Create("dc", CreateOptions{Bundle: e.bundle})
	if err != nil {
		t.Fatal(err)
	}
	e.pidNS = append(e.pidNS, ctrtest.PidNS(p.Pid()))
	go p.Wait()
	if err := e.store.Delete("dc", false); err != nil {
		t.Fatalf("delete of a created container: %v", err)
	}
}

// runc spec lists ambient capabilities that are not inheritable; like
// runc, strata runs such a config and raises none of them.
func TestRuncSpecCapabilities(t *testing.T) {
	s := ctrtest.Spec("grep", "^CapAmb", "/proc/self/status")
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps, Ambient: caps}
	e := newEnv(t, s)
	if code, out, errs := e.run("runccaps"); code != 0 || out != "CapAmb:\t0000000000000000\n" {
		t.Fatalf("status %d, output %q, stderr %q", code, out, errs)
	}
}

// TestTmpcopyup: a tmpfs with runc's tmpcopyup option (podman's --tmpfs
// and --read-only) starts with a copy of the rootfs's directory, and
// writes to it stay in the tmpfs.
func TestTmpcopyup(t *testing.T) {
	s := ctrtest.Spec("sh", "-c", "cat /data/seed; ls -l /data/sub/mode | cut -c1-10; readlink /data/link; echo new > /data/new && cat /data/new; touch /x 2>/dev/null || echo ro")
	s.Root.Readonly = true
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup", "nosuid", "nodev", "mode=755"}})
	e := newEnv(t, s)
	data := filepath.Join(e.bundle, "rootfs", "data")
	os.MkdirAll(filepath.Join(data, "sub"), 0o755)
	os.WriteFile(filepath.Join(data, "seed"), []byte("seeded\n"), 0o644)
	os.WriteFile(filepath.Join(data, "sub", "mode"), nil, 0o4711)
	os.Chmod(filepath.Join(data, "sub", "mode"), 0o711|os.ModeSetuid)
	os.Symlink("/somewhere", filepath.Join(data, "link"))
	code, out, errs := e.run("tmpcopyup")
	if want := "seeded\n-rws--x--x\n/somewhere\nnew\nro\n"; code != 0 || out != want {
		t.Fatalf("status %d, output %q (stderr %q); want %q", code, out, errs, want)
	}
	if _, err := os.Stat(filepath.Join(data, "new")); err == nil {
		t.Fatal("a write to the tmpfs reached the rootfs")
	}
}

// TestNsenterNotDumpable: a process that went through the nsenter
// constructor (exec, joined namespaces) is not dumpable, so nothing in the
// container can open its /proc/PID/exe (the host binary).
func TestNsenterNotDumpable(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "CTR_TEST_DUMPABLE=1", nsenter.Env(nsenter.NoFork, 0, 2, nil))
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "dumpable 0\n" {
		t.Fatalf("through nsenter: %q %v; want dumpable 0", out, err)
	}
	cmd = exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "CTR_TEST_DUMPABLE=1")
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "dumpable 1\n" {
		t.Fatalf("without nsenter: %q %v; want dumpable 1", out, err)
	}
}

// TestBindPropagation: a bind's own "rshared" survives pivot_root — the
// rslave of the old root must not reach the container's mounts — and a
// plain bind stays private.
func TestBindPropagation(t *testing.T) {
	src := t.TempDir()
	s := ctrtest.Spec("sh", "-c", `awk '$5 == "/p" || $5 == "/q" {print $5, $7}' /proc/self/mountinfo`)
	s.Mounts = append(s.Mounts,
		specs.Mount{Destination: "/p", Type: "bind", Source: src, Options: []string{"rbind", "rshared"}},
		specs.Mount{Destination: "/q", Type: "bind", Source: src, Options: []string{"rbind"}})
	e := newEnv(t, s)
	code, out, errs := e.run("prop")
	if code != 0 {
		t.Fatalf("status %d, stderr %q", code, errs)
	}
	var p, q string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == "/p" {
			p = f[1]
		}
		if len(f) == 2 && f[0] == "/q" {
			q = f[1]
		}
	}
	if !strings.HasPrefix(p, "shared:") {
		t.Errorf("rshared bind: optional field %q, want shared:N (output %q)", p, out)
	}
	if strings.HasPrefix(q, "shared:") {
		t.Errorf("plain bind is shared: %q", q)
	}
}
