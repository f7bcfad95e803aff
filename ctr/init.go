package ctr

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"strata/seccomp"
)

// The init finds, from the descriptor base given in its environment
// (fdSet): the config pipe (read end), the sync pipe (write end), the
// console socket connection when process.terminal is set, and the state
// directory (O_PATH), opened by the parent — in a user namespace the init
// may not be able to walk the path, and after pivot_root it is gone.
const (
	initEnv  = "_STRATA_CTR_INIT"
	initArg0 = "strata-ctr-init"
)

// initConfig is what the creating process sends the init on fd 3.
type initConfig struct {
	Spec   *specs.Spec `json:"spec"`
	Rootfs string      `json:"rootfs"`
	// State is the container's OCI state (the init's host pid, status
	// "creating") for the hooks the init runs.
	State *specs.State `json:"state"`
	// Console says a console socket connection is on fdSet.console.
	Console bool `json:"console,omitempty"`
	// NoPivot asks for MS_MOVE and chroot instead of pivot_root (runc's
	// --no-pivot), for a rootfs where pivot_root cannot work.
	NoPivot bool `json:"noPivot,omitempty"`
	// NewCgroupNS: the init unshares a cgroup namespace once its mounts
	// are done (it is in the container's cgroup since before it read this).
	NewCgroupNS bool `json:"newCgroupNS,omitempty"`
}

// syncMsg is the init's one-line answer on fd 4: ready, or an error.
//
// Before pivot_root, when config.json has prestart or createRuntime hooks,
// the init first sends {"hook":"createRuntime"} and waits on fd 3 for the
// parent's {"ok":true} once it has run them.
type syncMsg struct {
	Ready bool   `json:"ready,omitempty"`
	Hook  string `json:"hook,omitempty"`
	OK    bool   `json:"ok,omitempty"`
	Error string `json:"error,omitempty"`
	// Pid is the nsenter constructor's report of the child it forked.
	Pid int `json:"pid,omitempty"`
}

// MaybeInit turns the process into a container init when it was started
// as one by Create, and never returns in that case. Every program that
// uses ctr (and every test binary) must call it first thing in main or
// TestMain; otherwise it returns immediately.
func MaybeInit() {
	var run func(f fdSet) error
	var who string
	switch {
	case len(os.Args) > 0 && os.Args[0] == execArg0 && os.Getenv(execEnv) != "":
		run, who = execProcess, "strata exec"
	case len(os.Args) > 0 && os.Args[0] == initArg0 && os.Getenv(initEnv) != "":
		run, who = initContainer, "strata container init"
	default:
		return
	}
	// no_new_privs and the final execve are per-thread: keep this
	// goroutine on one OS thread from here to execve.
	runtime.LockOSThread()
	// Not dumpable until it execs the user's program: nothing in the
	// container may open /proc/PID/exe (the host's binary) or ptrace it
	// (the nsenter constructor has done it already for its paths).
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	base, err := strconv.Atoi(os.Getenv(initEnv) + os.Getenv(execEnv))
	os.Unsetenv(initEnv)
	os.Unsetenv(execEnv)
	if err != nil || base < 3 {
		fmt.Fprintf(os.Stderr, "%s: bad descriptor base\n", who)
		os.Exit(127)
	}
	f := fdsFrom(base)
	for _, fd := range []int{f.cfg, f.sync, f.console, f.state} {
		unix.CloseOnExec(fd) // may not be open: fine
	}
	syncW := os.NewFile(uintptr(f.sync), "sync")
	err = run(f)
	// run only returns on failure.
	msg, _ := json.Marshal(syncMsg{Error: err.Error()})
	if _, werr := syncW.Write(append(msg, '\n')); werr != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", who, err)
	}
	os.Exit(127)
}

// fdSet is where a container process finds the runtime's descriptors.
// Descriptors 3 up to base are the caller's preserved ones
// (--preserve-fds), already where the user's program expects them.
type fdSet struct {
	cfg, sync, console, state int
}

func fdsFrom(base int) fdSet {
	return fdSet{cfg: base, sync: base + 1, console: base + 2, state: base + 3}
}

// childIO holds both ends of a container process's config and sync pipes
// and, with a terminal, its connection to the console socket.
type childIO struct {
	cfgR, cfgW, syncR, syncW *os.File
	console                  *os.File // nil without a terminal
}

// newChildIO makes the pipes and, for a terminal, connects to the console
// socket (refused without one, naming process.terminal).
func newChildIO(terminal bool, consoleSocket string) (*childIO, error) {
	c := &childIO{}
	var err error
	if c.cfgR, c.cfgW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("config pipe: %w", err)
	}
	if c.syncR, c.syncW, err = os.Pipe(); err != nil {
		c.Close()
		return nil, fmt.Errorf("sync pipe: %w", err)
	}
	if terminal {
		if consoleSocket == "" {
			c.Close()
			return nil, invalid("process.terminal", "set, but no console socket to send the pty to (--console-socket)")
		}
		if c.console, err = dialConsole(consoleSocket); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// files lays out the child's extra files: the preserved ones first (they
// become 3, 4, …), then config, sync, console (may be nil) and the state
// dir (may be left out). It returns the files for exec.Cmd.ExtraFiles and
// the descriptor set the child sees.
func (c *childIO) files(preserved []*os.File, state *os.File) ([]*os.File, fdSet) {
	files := append(append([]*os.File{}, preserved...), c.cfgR, c.syncW, c.console)
	if state != nil {
		files = append(files, state)
	}
	return files, fdsFrom(3 + len(preserved))
}

// started closes the child's ends once it holds them.
func (c *childIO) started() {
	c.cfgR.Close()
	c.syncW.Close()
}

// Close closes every descriptor (closing one twice is harmless here).
func (c *childIO) Close() {
	for _, f := range []*os.File{c.cfgR, c.cfgW, c.syncR, c.syncW, c.console} {
		if f != nil {
			f.Close()
		}
	}
}

func initContainer(fds fdSet) error {
	cfgR, syncW := os.NewFile(uintptr(fds.cfg), "config"), os.NewFile(uintptr(fds.sync), "sync")
	var ic initConfig
	cfg := bufio.NewReader(cfgR)
	line, err := cfg.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if err := json.Unmarshal(line, &ic); err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	spec := ic.Spec
	var seccompProg []unix.SockFilter
	var seccompFlags []seccomp.Flag
	if spec.Linux.Seccomp != nil {
		// Validate compiled it already; compile here too so the
		// program is ready and nothing but seccomp(2) is left for later.
		if seccompProg, seccompFlags, err = compileSeccomp(spec.Linux.Seccomp); err != nil {
			return err
		}
	}
	console := -1
	if ic.Console {
		console = fds.console
	}
	// The state directory stays reachable through this descriptor after
	// pivot_root hides the host's filesystem.
	stateFd := fds.state
	if hasNamespace(spec, specs.NetworkNamespace) {
		if err := loopbackUp(); err != nil {
			return err
		}
	}
	unix.Umask(0)
	// The hostname before the mounts: createContainer hooks see it.
	if hasNamespace(spec, specs.UTSNamespace) {
		if spec.Hostname != "" {
			if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
				return fmt.Errorf("hostname: %w", err)
			}
		}
		if spec.Domainname != "" {
			if err := unix.Setdomainname([]byte(spec.Domainname)); err != nil {
				return fmt.Errorf("domainname: %w", err)
			}
		}
	} else if spec.Hostname != "" {
		return fmt.Errorf("hostname: set without a uts namespace")
	}
	hooks := spec.Hooks
	if hooks == nil {
		hooks = &specs.Hooks{}
	}
	beforePivot := func() error {
		if len(hooks.Prestart)+len(hooks.CreateRuntime) > 0 {
			// The parent runs them in the runtime's namespaces.
			msg, _ := json.Marshal(syncMsg{Hook: "createRuntime"})
			if _, err := syncW.Write(append(msg, '\n')); err != nil {
				return fmt.Errorf("createRuntime hooks: %w", err)
			}
			line, err := cfg.ReadBytes('\n')
			var ans syncMsg
			if err != nil || json.Unmarshal(line, &ans) != nil || !ans.OK {
				return errHookAborted
			}
		}
		// Inside every namespace of the container, before pivot_root:
		// paths resolve in the container's mount namespace.
		return runHooks("createContainer", hooks.CreateContainer, ic.State)
	}
	userns := hasNamespace(spec, specs.UserNamespace)
	if err := setupRootfs(spec, ic.Rootfs, userns, ic.NoPivot, beforePivot); err != nil {
		return err
	}
	if ic.NewCgroupNS {
		// Per thread: this one execs the user's process. The init has
		// been in the container's cgroup since before it read its
		// config, so that cgroup is the namespace's root.
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return fmt.Errorf("linux.namespaces: cgroup: %w", err)
		}
	}
	cfgR.Close()
	p := spec.Process
	if err := os.MkdirAll(p.Cwd, 0o755); err != nil && !errors.Is(err, unix.EROFS) {
		return fmt.Errorf("process.cwd: %w", err)
	}
	if console >= 0 {
		if err := setupConsole(console, p.ConsoleSize); err != nil {
			return err
		}
	}
	path, err := setupProcess(p, seccompProg, seccompFlags)
	if err != nil {
		return err
	}
	ready, _ := json.Marshal(syncMsg{Ready: true})
	if _, err := syncW.Write(append(ready, '\n')); err != nil {
		return fmt.Errorf("report ready: %w", err)
	}
	syncW.Close()
	// Block until start opens the FIFO for reading.
	fifo, err := unix.Openat(stateFd, fifoName, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Exit(127) // nobody is listening on sync any more
	}
	// startContainer hooks: after start, before the user's program, in
	// the container (after pivot_root, as the container's user). The
	// byte on the FIFO tells start how they went: '0' ok, else '1' and
	// the error.
	created := *ic.State
	created.Status = specs.StateCreated
	if err := runHooks("startContainer", hooks.StartContainer, &created); err != nil {
		unix.Write(fifo, []byte("1"+err.Error()))
		os.Exit(127)
	}
	if _, err := unix.Write(fifo, []byte{'0'}); err != nil {
		os.Exit(127)
	}
	// fifo stays open: it is O_CLOEXEC, so execve closes it once the
	// other threads are gone and the exec cannot fail any more. Start
	// waits for that EOF, so no freeze (pause, kill) catches the init
	// half-way through execve — a frozen thread would block de_thread and
	// the freezer would never reach FROZEN.
	unix.Close(stateFd)
	if seccompProg != nil && p.NoNewPrivileges {
		// Last step: no_new_privs is set (above), this thread is
		// locked (MaybeInit), and only execve follows. Start has its
		// '0' already, so a failure here shows as exit status 127 and
		// this message on the container's stderr, as in runc.
		if err := seccomp.Install(seccompProg, seccompFlags...); err != nil {
			unix.Close(fifo)
			fmt.Fprintf(os.Stderr, "strata container init: linux.seccomp: %v\n", err)
			os.Exit(127)
		}
	}
	err = unix.Exec(path, p.Args, p.Env)
	unix.Close(fifo)
	fmt.Fprintf(os.Stderr, "strata container init: exec %s: %v\n", path, err)
	os.Exit(127)
	return nil
}

// setupProcess applies process settings in runc's order, on the locked
// thread that will execve: rlimits, the working directory, the program
// lookup, seccomp (early, unless no_new_privs), the bounding set, the
// user, capabilities, umask and no_new_privs. It returns the program's
// path; with no_new_privs the caller installs seccomp last, just before
// execve.
func setupProcess(p *specs.Process, seccompProg []unix.SockFilter, seccompFlags []seccomp.Flag) (string, error) {
	for _, r := range p.Rlimits {
		lim := unix.Rlimit{Cur: r.Soft, Max: r.Hard}
		if err := unix.Setrlimit(rlimitNumber(r.Type), &lim); err != nil {
			return "", fmt.Errorf("process.rlimits %s: %w", r.Type, err)
		}
	}
	if err := unix.Chdir(p.Cwd); err != nil {
		return "", fmt.Errorf("process.cwd %s: %w", p.Cwd, err)
	}
	path, err := lookPath(p.Args[0], p.Env)
	if err != nil {
		return "", fmt.Errorf("process.args[0]: %w", err)
	}
	// Seccomp, runc's order. seccomp(2) needs no_new_privs or
	// CAP_SYS_ADMIN. Without process.noNewPrivileges the filter goes in
	// here, while the process still holds every capability as root —
	// before the bounding set, the user and the capabilities change — so
	// everything below (capset, setuid, the sync write, the FIFO, the
	// startContainer hooks) already runs under it. With
	// noNewPrivileges it goes in last, just before execve, so the
	// profile has to allow as few of the runtime's own syscalls as
	// possible.
	if seccompProg != nil && !p.NoNewPrivileges {
		if err := seccomp.Install(seccompProg, seccompFlags...); err != nil {
			return "", fmt.Errorf("linux.seccomp: %w", err)
		}
	}
	if p.Capabilities != nil {
		if err := dropBounding(p.Capabilities); err != nil {
			return "", err
		}
		// Keep the permitted set across the uid change; applyCaps then
		// sets exactly what the config asks for.
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
			return "", fmt.Errorf("keepcaps: %w", err)
		}
	}
	if err := setUser(p.User); err != nil {
		return "", err
	}
	if p.Capabilities != nil {
		if err := applyCaps(p.Capabilities); err != nil {
			return "", err
		}
	}
	if p.User.Umask != nil {
		unix.Umask(int(*p.User.Umask))
	} else {
		unix.Umask(0o022)
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return "", fmt.Errorf("process.noNewPrivileges: %w", err)
		}
	}
	return path, nil
}

func hasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

// lookPath resolves a program name with the container's PATH, inside the
// (already pivoted) root.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		return name, nil
	}
	pathEnv := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			pathEnv = v
		}
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		cand := filepath.Join(dir, name)
		if fi, err := os.Stat(cand); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return cand, nil
		}
	}
	return "", fmt.Errorf("%q: %w", name, exec.ErrNotFound)
}

// setUser sets the supplementary groups, gid and uid. Go's syscall.Set*id
// apply to every thread of the process.
func setUser(u specs.User) error {
	groups := make([]int, len(u.AdditionalGids))
	for i, g := range u.AdditionalGids {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("process.user.additionalGids: %w", err)
	}
	if err := syscall.Setgid(int(u.GID)); err != nil {
		return fmt.Errorf("process.user.gid: %w", err)
	}
	if err := syscall.Setuid(int(u.UID)); err != nil {
		return fmt.Errorf("process.user.uid: %w", err)
	}
	return nil
}

// rlimitNumber maps an OCI rlimit type name to its resource number, or -1.
func rlimitNumber(name string) int {
	switch name {
	case "RLIMIT_AS":
		return unix.RLIMIT_AS
	case "RLIMIT_CORE":
		return unix.RLIMIT_CORE
	case "RLIMIT_CPU":
		return unix.RLIMIT_CPU
	case "RLIMIT_DATA":
		return unix.RLIMIT_DATA
	case "RLIMIT_FSIZE":
		return unix.RLIMIT_FSIZE
	case "RLIMIT_LOCKS":
		return unix.RLIMIT_LOCKS
	case "RLIMIT_MEMLOCK":
		return unix.RLIMIT_MEMLOCK
	case "RLIMIT_MSGQUEUE":
		return unix.RLIMIT_MSGQUEUE
	case "RLIMIT_NICE":
		return unix.RLIMIT_NICE
	case "RLIMIT_NOFILE":
		return unix.RLIMIT_NOFILE
	case "RLIMIT_NPROC":
		return unix.RLIMIT_NPROC
	case "RLIMIT_RSS":
		return unix.RLIMIT_RSS
	case "RLIMIT_RTPRIO":
		return unix.RLIMIT_RTPRIO
	case "RLIMIT_RTTIME":
		return unix.RLIMIT_RTTIME
	case "RLIMIT_SIGPENDING":
		return unix.RLIMIT_SIGPENDING
	case "RLIMIT_STACK":
		return unix.RLIMIT_STACK
	}
	return -1
}
