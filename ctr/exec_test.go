package ctr

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"strata/ctr/ctrtest"
)

// started creates and starts a container running spec and registers its
// deletion.
func (e *env) started(id string) *State {
	e.t.Helper()
	if _, err := e.store.Create(id, CreateOptions{Bundle: e.bundle}); err != nil {
		e.t.Fatalf("create: %v", err)
	}
	e.t.Cleanup(func() { e.store.Delete(id, true) })
	if err := e.store.Start(id); err != nil {
		e.t.Fatalf("start: %v", err)
	}
	s, err := e.store.State(id)
	if err != nil {
		e.t.Fatal(err)
	}
	if ns := containerPidNS(s.Pid); ns != "" {
		e.pidNS = append(e.pidNS, ns)
	}
	return s
}

// execProc returns a process for Exec: the container's own with args.
func execProc(args ...string) *specs.Process {
	p := ctrtest.Spec(args...).Process
	return p
}

func (e *env) exec(id string, p *specs.Process) (int, string, string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	proc, err := e.store.Exec(id, ExecOptions{Process: p, Stdout: &out, Stderr: &errb})
	if err != nil {
		e.t.Fatalf("exec %v: %v", p.Args, err)
	}
	code, err := proc.Wait()
	if err != nil {
		e.t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func TestExecIntoRunningContainer(t *testing.T) {
	s := ctrtest.Spec("sleep", "1000")
	e := newEnv(t, s)
	st := e.started("exec")
	// Inside: the container's pid namespace (sleep is pid 1, the exec'd
	// shell is not), its hostname, its mounts, its cgroup.
	code, out, errs := e.exec("exec", execProc("sh", "-c",
		"echo pid=$$; hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; test -s /proc/kcore || echo masked; cat /proc/self/cgroup; exit 7"))
	if code != 7 {
		t.Fatalf("status %d, want 7 (stdout %q, stderr %q)", code, out, errs)
	}
	if !strings.Contains(out, "strata-test\n") || !strings.Contains(out, "sleep 1000") || !strings.Contains(out, "masked\n") {
		t.Errorf("output %q: want the container's hostname, its pid 1 and masked paths", out)
	}
	if strings.Contains(out, "pid=1\n") {
		t.Errorf("exec'd shell is pid 1: %q", out)
	}
	cg := s.Linux.CgroupsPath
	for _, line := range strings.Split(strings.TrimSpace(out[strings.Index(out, "masked\n")+7:]), "\n") {
		if !strings.HasSuffix(line, cg) {
			t.Errorf("cgroup line %q: want %s", line, cg)
		}
	}
	// Its own user, cwd and env.
	p := execProc("sh", "-c", "id -u; pwd; echo $FOO")
	p.User = specs.User{UID: 1000, GID: 1000}
	p.Cwd = "/bin"
	p.Env = append(p.Env, "FOO=bar")
	if code, out, errs := e.exec("exec", p); code != 0 || out != "1000\n/bin\nbar\n" {
		t.Errorf("user/cwd/env: status %d, output %q, stderr %q", code, out, errs)
	}
	// The container keeps running after its exec'd processes exit.
	if st2, _ := e.store.State("exec"); st2.Status != specs.StateRunning || st2.Pid != st.Pid {
		t.Errorf("container after exec: %s pid %d", st2.Status, st2.Pid)
	}
	// Errors: a missing program; a bad process.
	if _, err := e.store.Exec("exec", ExecOptions{Process: execProc("no-such-program")}); err == nil || !strings.Contains(err.Error(), "process.args[0]") {
		t.Errorf("missing program: %v", err)
	}
	bad := execProc("true")
	bad.Cwd = "relative"
	if _, err := e.store.Exec("exec", ExecOptions{Process: bad}); err == nil || !strings.Contains(err.Error(), "process.cwd") {
		t.Errorf("relative cwd: %v", err)
	}
	if _, err := e.store.Exec("nosuch", ExecOptions{Process: execProc("true")}); err == nil {
		t.Error("exec into a missing container succeeded")
	}
}

func TestExecDetachedAndSignals(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("sleep", "1000"))
	e.started("execd")
	pidFile := filepath.Join(t.TempDir(), "pid")
	proc, err := e.store.Exec("execd", ExecOptions{Process: execProc("sleep", "1000"), Detach: true, PidFile: pidFile})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(pidFile)
	if strconv.Itoa(proc.Pid()) != string(data) {
		t.Fatalf("pid file %q, pid %d", data, proc.Pid())
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", proc.Pid()))
	if string(cmdline) != "sleep\x001000\x00" {
		t.Fatalf("pid %d is %q, not the exec'd sleep", proc.Pid(), cmdline)
	}
	pids, err := e.store.Ps("execd")
	if err != nil || len(pids) != 2 {
		t.Fatalf("ps: %v %v, want the init and the exec'd process", pids, err)
	}
	// A waited-for exec'd process killed by a signal reports 128+N.
	proc2, err := e.store.Exec("execd", ExecOptions{Process: execProc("sleep", "1000")})
	if err != nil {
		t.Fatal(err)
	}
	unix.Kill(proc2.Pid(), unix.SIGTERM)
	if code, err := proc2.Wait(); code != 128+int(unix.SIGTERM) || err != nil {
		t.Fatalf("status %d %v, want %d", code, err, 128+int(unix.SIGTERM))
	}
	// Delete --force kills the detached one with the container.
	if err := e.store.Delete("execd", true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		state, _, err := procStat(proc.Pid())
		if err != nil || state == 'Z' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the detached exec'd process survived delete")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestExecStoppedRefused(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("true"))
	e.started("gone")
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, _ := e.store.State("gone")
		if s.Status == specs.StateStopped {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("container did not stop")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := e.store.Exec("gone", ExecOptions{Process: execProc("true")}); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("exec into a stopped container: %v", err)
	}
}

// consoleListener is the caller's end of a console socket.
func consoleListener(t *testing.T) (*net.UnixListener, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, path
}

// readAll reads the pty master until the slave side is gone.
func readPty(t *testing.T, master *os.File) string {
	t.Helper()
	var b bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := master.Read(buf)
		b.Write(buf[:n])
		if err != nil { // EIO once every slave descriptor is closed
			break
		}
	}
	return b.String()
}

func TestConsoleSocket(t *testing.T) {
	s := ctrtest.Spec("sh", "-c", "tty; stty size; echo init-ok")
	s.Process.Terminal = true
	s.Process.ConsoleSize = &specs.Box{Height: 33, Width: 101}
	e := newEnv(t, s)
	l, path := consoleListener(t)
	got := make(chan *os.File, 1)
	go func() {
		m, err := RecvConsole(l)
		if err != nil {
			t.Error(err)
		}
		got <- m
	}()
	var code int
	done := make(chan error, 1)
	go func() {
		var err error
		code, err = e.store.Run("tty", CreateOptions{Bundle: e.bundle, ConsoleSocket: path}, nil)
		done <- err
	}()
	master := <-got
	if master == nil {
		t.Fatal("no pty master")
	}
	out := readPty(t, master)
	master.Close()
	if err := <-done; err != nil || code != 0 {
		t.Fatalf("run: %d %v", code, err)
	}
	if !strings.Contains(out, "/dev/pts/0") || !strings.Contains(out, "33 101") || !strings.Contains(out, "init-ok") {
		t.Fatalf("terminal output %q: want /dev/pts/0, size 33 101, init-ok", out)
	}
}

func TestExecConsole(t *testing.T) {
	e := newEnv(t, ctrtest.Spec("sleep", "1000"))
	e.started("exectty")
	l, path := consoleListener(t)
	p := execProc("sh", "-c", "read line; echo got:$line; tty")
	p.Terminal = true
	got := make(chan *os.File, 1)
	go func() {
		m, _ := RecvConsole(l)
		got <- m
	}()
	proc, err := e.store.Exec("exectty", ExecOptions{Process: p, ConsoleSocket: path})
	if err != nil {
		t.Fatal(err)
	}
	master := <-got
	if master == nil {
		t.Fatal("no pty master")
	}
	io.WriteString(master, "hello\n")
	out := readPty(t, master)
	master.Close()
	if code, err := proc.Wait(); code != 0 || err != nil {
		t.Fatalf("exec status %d %v", code, err)
	}
	if !strings.Contains(out, "got:hello") || !strings.Contains(out, "/dev/pts/") {
		t.Fatalf("terminal output %q", out)
	}
}
