// Package podman drives strata's OCI runtime through podman, a real client
// nobody here wrote: `podman --runtime=strata-oci` imports a busybox image,
// runs, stops and removes containers, and the test checks what podman saw
// and that strata left nothing behind. It needs root, podman (with conmon)
// and busybox-static.
//
// Podman runs in an isolated store in a temp directory, with no systemd
// and no network configuration:
//
//	podman --root R --runroot RR --tmpdir T --storage-driver vfs \
//	  --cgroup-manager cgroupfs --events-backend file \
//	  --runtime WRAPPER …
//
// with CONTAINERS_CONF pointing at a containers.conf that lowers the
// rlimits podman asks for (see containersConf) and `--network none` on
// every run. WRAPPER is a shell script that appends its argv to a log and
// execs `strata-oci --root STATE "$@"`, so the test knows each runtime
// command podman (through conmon) ran, and strata's state stays in the
// test's directory. The state root is pinned in the wrapper rather than
// with podman's --runtime-flag root=STATE because podman does not pass
// runtime flags on to the `podman container cleanup` that conmon runs when
// the container exits: the `delete --force` of a --rm container would go
// to the default root.
package podman

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// image is the tag the busybox rootfs is imported as.
const image = "localhost/strata-busybox:test"

// containersConf is podman's containers.conf for the tests. Rootful podman
// asks the runtime for RLIMIT_NOFILE 1048576 by default (and RLIMIT_NPROC at
// podman's own limit, 32768 here), above the hard nofile limit of 20000 the
// runtime inherits here, and this sandbox lacks CAP_SYS_RESOURCE to raise
// it: runc and crun fail the same way ("setrlimit RLIMIT_NOFILE: operation
// not permitted"). So the default ulimits are set below both limits.
const containersConf = `[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
`

// env is one isolated podman setup.
type env struct {
	dir     string // everything lives below
	state   string // strata-oci --root
	calls   string // the wrapper's log of runtime commands
	wrapper string
}

func need(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not found: install the Debian package %s (apt-get install -y %s; scripts/setup.sh does)", tool, pkg, pkg)
	}
	return p
}

// staticBusybox returns a static busybox, failing (not skipping) without.
func staticBusybox(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		static := len(f.Progs) > 0
		for _, prog := range f.Progs {
			static = static && prog.Type != elf.PT_INTERP
		}
		f.Close()
		if static {
			return p
		}
	}
	t.Fatal("no static busybox at /bin/busybox: install the Debian package busybox-static (apt-get install -y busybox-static; scripts/setup.sh does)")
	return ""
}

// moduleRoot finds strata's go.mod above the working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(data), "module strata") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("strata's go.mod not found above the working directory")
		}
		dir = parent
	}
}

// setup builds strata-oci, writes the wrapper and podman's configuration,
// and imports the busybox image.
func setup(t *testing.T) *env {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the podman tests need root")
	}
	need(t, "podman", "podman")
	need(t, "conmon", "conmon")
	bb := staticBusybox(t)
	dir, err := os.MkdirTemp("", "strata-podman-")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{dir: dir, state: filepath.Join(dir, "state"), calls: filepath.Join(dir, "calls.log"),
		wrapper: filepath.Join(dir, "strata-oci-logged")}
	t.Cleanup(func() { e.cleanup(t) })

	bin := filepath.Join(dir, "strata-oci")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(gobin, "build", "-o", bin, "./cmd/strata-oci")
	build.Dir = moduleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/strata-oci: %v\n%s", err, out)
	}
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> %s\nexec %s --root %s \"$@\"\n", e.calls, bin, e.state)
	if err := os.WriteFile(e.wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "containers.conf"), []byte(containersConf), 0o644); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(dir, "busybox.tar")
	if err := writeRootfsTar(tarball, bb); err != nil {
		t.Fatal(err)
	}
	if _, err := e.podman(t, "import", tarball, image); err != nil {
		t.Fatal(err)
	}
	return e
}

// writeRootfsTar writes a rootfs tarball: /bin/busybox and a symlink per
// applet (busybox --list), /tmp, and the directories podman mounts over.
func writeRootfsTar(path, busybox string) error {
	data, err := os.ReadFile(busybox)
	if err != nil {
		return err
	}
	list, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return fmt.Errorf("%s --list: %w", busybox, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	for _, d := range []string{"bin/", "tmp/", "etc/", "dev/", "proc/", "sys/", "run/"} {
		mode := int64(0o755)
		if d == "tmp/" {
			mode = 0o1777
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: mode, ModTime: now}); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "bin/busybox", Mode: 0o755, Size: int64(len(data)), ModTime: now}); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	for _, a := range strings.Fields(string(list)) {
		if a == "busybox" || strings.Contains(a, "/") {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", Mode: 0o777, ModTime: now}); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// args returns podman's global flags for the isolated store.
func (e *env) args() []string {
	return []string{
		"--root", filepath.Join(e.dir, "root"),
		"--runroot", filepath.Join(e.dir, "runroot"),
		"--tmpdir", filepath.Join(e.dir, "tmp"),
		"--storage-driver", "vfs",
		"--cgroup-manager", "cgroupfs",
		"--events-backend", "file",
		"--runtime", e.wrapper,
	}
}

// podman runs one podman command and returns its stdout; the error holds
// the command line and its stderr.
func (e *env) podman(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return e.podmanStdin(t, "", args...)
}

// podmanStdin is podman with stdin.
func (e *env) podmanStdin(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	argv := append(e.args(), args...)
	cmd := exec.CommandContext(ctx, "podman", argv...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+filepath.Join(e.dir, "containers.conf"))
	// conmon leaves files in its working directory (an "oom" marker after
	// an OOM kill): keep them in the test's directory, not the package's.
	cmd.Dir = e.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Stdin = strings.NewReader(stdin)
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("podman %s: %w\nstdout: %s\nstderr: %s\nruntime commands so far:\n%s",
			strings.Join(args, " "), err, stdout.String(), stderr.String(), e.callLog())
	}
	return stdout.String(), nil
}

func (e *env) callLog() string {
	data, _ := os.ReadFile(e.calls)
	return string(data)
}

// commands returns the runtime commands podman ran (runtimeCommand of each
// line of the wrapper's log).
func (e *env) commands() []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(e.callLog()), "\n") {
		if c := runtimeCommand(line); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// runtimeCommand returns the command word of a runtime command line — the
// first word that is neither a flag nor the value of a runc global flag
// (`--root X create …` gives "create") — or "" if there is none.
func runtimeCommand(line string) string {
	f := strings.Fields(line)
	for i := 0; i < len(f); i++ {
		if strings.HasPrefix(f[i], "-") {
			if !strings.Contains(f[i], "=") && isGlobalValueFlag(f[i]) {
				i++ // skip its value
			}
			continue
		}
		return f[i]
	}
	return ""
}

// isGlobalValueFlag reports whether a runc global flag takes a value.
func isGlobalValueFlag(f string) bool {
	return f == "--root" || f == "--log" || f == "--log-format" || f == "--criu"
}

// cgroupDirs lists the directories of podman's cgroup for container id
// (cgroupsPath /libpod_parent/libpod-<id> with the cgroupfs manager) in
// every cgroup hierarchy.
func cgroupDirs(t *testing.T, id string) []string {
	t.Helper()
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, line := range strings.Split(string(mi), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if !ok || !(strings.HasPrefix(post, "cgroup ") || strings.HasPrefix(post, "cgroup2 ")) {
			continue
		}
		f := strings.Fields(pre)
		if len(f) < 5 {
			continue
		}
		m, _ := filepath.Glob(filepath.Join(f[4], "*", "libpod-"+id+"*"))
		m2, _ := filepath.Glob(filepath.Join(f[4], "libpod-"+id+"*"))
		dirs = append(dirs, append(m, m2...)...)
	}
	return dirs
}

// checkClean asserts strata left nothing for container id: no state
// directory, no cgroup libpod-<id> in any hierarchy, no mount naming it.
func (e *env) checkClean(t *testing.T, id string) {
	t.Helper()
	if ents, err := os.ReadDir(e.state); err == nil {
		for _, en := range ents {
			t.Errorf("strata state left: %s", filepath.Join(e.state, en.Name()))
		}
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mi), "\n") {
		if strings.Contains(line, id) {
			t.Errorf("mount left: %s", line)
		}
	}
	for _, d := range cgroupDirs(t, id) {
		t.Errorf("cgroup left: %s", d)
	}
}

// cleanup removes whatever a failed test left to podman, then the
// directory; mounts below it are reported and detached first.
func (e *env) cleanup(t *testing.T) {
	if _, err := os.Stat(filepath.Join(e.dir, "root")); err == nil {
		e.podman(t, "rm", "--all", "--force", "--time", "0")
		e.podman(t, "rmi", "--all", "--force")
	}
	if mi, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		var mps []string
		for _, line := range strings.Split(string(mi), "\n") {
			if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], e.dir) {
				mps = append(mps, f[4])
			}
		}
		slices.Reverse(mps)
		for _, mp := range mps {
			t.Errorf("mount left under the test's podman store: %s", mp)
			exec.Command("umount", "-l", mp).Run()
		}
	}
	if err := os.RemoveAll(e.dir); err != nil {
		t.Errorf("removing %s: %v", e.dir, err)
	}
}

// containerID resolves a name to podman's full id.
func (e *env) containerID(t *testing.T, name string) string {
	t.Helper()
	out, err := e.podman(t, "inspect", "--format", "{{.Id}}", name)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	if len(id) != 64 {
		t.Fatalf("podman inspect %s: id %q", name, id)
	}
	return id
}

func TestPodman(t *testing.T) {
	e := setup(t)

	t.Run("run --rm echo", func(t *testing.T) {
		cidfile := filepath.Join(e.dir, "echo.cid")
		out, err := e.podman(t, "run", "--rm", "--network", "none", "--name", "strata-echo", "--cidfile", cidfile, image, "echo", "hi from strata")
		if err != nil {
			t.Fatal(err)
		}
		if out != "hi from strata\n" {
			t.Errorf("output %q, want %q", out, "hi from strata\n")
		}
		if _, err := e.podman(t, "inspect", "strata-echo"); err == nil {
			t.Error("--rm container still known to podman")
		}
		cid, err := os.ReadFile(cidfile)
		if err != nil || len(bytes.TrimSpace(cid)) != 64 {
			t.Fatalf("--cidfile: %q, %v", cid, err)
		}
		e.checkClean(t, string(bytes.TrimSpace(cid)))
		// The container's exit status comes back through conmon.
		_, err = e.podman(t, "run", "--rm", "--network", "none", image, "sh", "-c", "exit 3")
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("exit 3 in the container: podman returned %v", err)
		}
	})

	t.Run("detached, stop, rm", func(t *testing.T) {
		out, err := e.podman(t, "run", "-d", "--network", "none", "--name", "strata-sleeper", image, "sleep", "1000")
		if err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSpace(out)
		if got := e.containerID(t, "strata-sleeper"); got != id {
			t.Fatalf("podman run -d printed %q, inspect says %q", id, got)
		}
		st, err := e.podman(t, "inspect", "--format", "{{.State.Status}} {{.State.Pid}}", id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(st, "running ") {
			t.Fatalf("state %q, want running", st)
		}
		var pid int
		fmt.Sscanf(strings.Fields(st)[1], "%d", &pid)
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})) != "sleep 1000 " {
			t.Errorf("pid %d runs %q, want sleep 1000", pid, cmdline)
		}
		if _, err := os.Stat(filepath.Join(e.state, id)); err != nil {
			t.Errorf("strata keeps no state for the running container: %v", err)
		}
		if len(cgroupDirs(t, id)) == 0 {
			t.Errorf("no cgroup libpod-%s in any hierarchy while the container runs", id)
		}
		// pause / unpause: strata's freezer, through podman.
		if _, err := e.podman(t, "pause", id); err != nil {
			t.Fatal(err)
		}
		if st, err := e.podman(t, "inspect", "--format", "{{.State.Status}}", id); err != nil || strings.TrimSpace(st) != "paused" {
			t.Errorf("after pause: %q, %v; want paused", st, err)
		}
		if fs := freezerState(t, id); fs != "FROZEN" {
			t.Errorf("paused container's freezer.state %q, want FROZEN", fs)
		}
		if _, err := e.podman(t, "unpause", id); err != nil {
			t.Fatal(err)
		}
		if st, err := e.podman(t, "inspect", "--format", "{{.State.Status}}", id); err != nil || strings.TrimSpace(st) != "running" {
			t.Errorf("after unpause: %q, %v; want running", st, err)
		}
		if fs := freezerState(t, id); fs != "THAWED" {
			t.Errorf("unpaused container's freezer.state %q, want THAWED", fs)
		}
		// sleep is pid 1 and ignores SIGTERM: podman escalates to SIGKILL.
		if _, err := e.podman(t, "stop", "--time", "1", id); err != nil {
			t.Fatal(err)
		}
		if st, err := e.podman(t, "inspect", "--format", "{{.State.Status}}", id); err != nil || strings.TrimSpace(st) != "exited" {
			t.Errorf("after stop: %q, %v; want exited", st, err)
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil && !zombie(pid) {
			t.Errorf("container process %d alive after stop", pid)
		}
		if _, err := e.podman(t, "rm", id); err != nil {
			t.Fatal(err)
		}
		if out, err := e.podman(t, "ps", "--all", "--quiet"); err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("podman ps -a after rm: %q, %v", out, err)
		}
		e.checkClean(t, id)
	})

	t.Run("signals, logs, top, restart, wait", func(t *testing.T) {
		script := `trap "echo got-usr1" USR1; echo started; while true; do sleep 0.1; done`
		out, err := e.podman(t, "run", "-d", "--network", "none", image, "sh", "-c", script)
		if err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSpace(out)
		waitLog := func(want string, n int) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for {
				logs, err := e.podman(t, "logs", id)
				if err == nil && strings.Count(logs, want) >= n {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("podman logs: %q, %v; want %d × %q", logs, err, n, want)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		waitLog("started", 1)
		// kill -s: strata-oci kill ID USR1 reaches the container's pid 1.
		if _, err := e.podman(t, "kill", "--signal", "USR1", id); err != nil {
			t.Fatal(err)
		}
		waitLog("got-usr1", 1)
		if out, err := e.podman(t, "top", id, "pid", "args"); err != nil || !strings.Contains(out, "while true") {
			t.Errorf("podman top: %q, %v", out, err)
		}
		// restart: kill, delete, create, start — a second "started".
		if _, err := e.podman(t, "restart", "--time", "1", id); err != nil {
			t.Fatal(err)
		}
		waitLog("started", 2)
		if _, err := e.podman(t, "kill", id); err != nil {
			t.Fatal(err)
		}
		if out, err := e.podman(t, "wait", id); err != nil || strings.TrimSpace(out) != "137" {
			t.Errorf("podman wait after SIGKILL: %q, %v; want 137", out, err)
		}
		if _, err := e.podman(t, "rm", id); err != nil {
			t.Fatal(err)
		}
		e.checkClean(t, id)
	})

	t.Run("exec", func(t *testing.T) { testExec(t, e) })
	t.Run("tty", func(t *testing.T) { testTTY(t, e) })
	t.Run("options", func(t *testing.T) { testOptions(t, e) })
	t.Run("update", func(t *testing.T) { testUpdate(t, e) })

	t.Run("runtime commands", func(t *testing.T) {
		cmds := e.commands()
		for _, want := range []string{"create", "start", "kill", "delete", "pause", "resume", "exec", "update"} {
			if !slices.Contains(cmds, want) {
				t.Errorf("podman never ran %q; it ran %v", want, cmds)
			}
		}
		t.Logf("runtime commands podman ran:\n%s", e.callLog())
	})
}

// zombie reports whether pid has exited and awaits its reaper.
func zombie(pid int) bool {
	st := procState(pid)
	return st == "" || st == "Z" || st == "X"
}

// procState returns the state letter of /proc/PID/stat ("" if gone).
func procState(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return ""
	}
	return string(data[i+2])
}

// freezerState reads the container's freezer state: freezer.state in the
// v1 freezer hierarchy when there is one (a hybrid host's unified
// hierarchy has a cgroup.freeze strata does not use), else FROZEN/THAWED
// from cgroup.freeze on a v2 host.
func freezerState(t *testing.T, id string) string {
	t.Helper()
	dirs := cgroupDirs(t, id)
	for _, d := range dirs {
		if data, err := os.ReadFile(filepath.Join(d, "freezer.state")); err == nil {
			return strings.TrimSpace(string(data))
		}
	}
	for _, d := range dirs {
		if data, err := os.ReadFile(filepath.Join(d, "cgroup.freeze")); err == nil {
			if strings.TrimSpace(string(data)) == "1" {
				return "FROZEN"
			}
			return "THAWED"
		}
	}
	t.Errorf("no freezer for container %s among %v", id, dirs)
	return ""
}
