package ctr

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"strata/ctr/nsenter"
	"strata/seccomp"
)

const (
	execEnv  = "_STRATA_CTR_EXEC"
	execArg0 = "strata-ctr-exec"
	// specFile is the validated config.json as of create, in the state
	// directory: exec takes the container's seccomp profile from it.
	specFile = "config.json"
)

// ExecOptions are the inputs of Exec.
type ExecOptions struct {
	// Process is what to run, validated like config.json's process
	// (runc's --process file, or the container's process with the
	// command line's overrides).
	Process *specs.Process
	// PidFile, if set, receives the process's pid.
	PidFile string
	// ConsoleSocket receives the pty master when Process.Terminal is set.
	ConsoleSocket string
	// Detach leaves the process reparented to the nearest subreaper (or
	// init) instead of waitable by the caller (runc's exec --detach).
	Detach bool
	// Stdin, Stdout and Stderr become the process's stdio; nil means
	// /dev/null. Ignored with a terminal.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// ExtraFiles become descriptors 3, 4, … of the process (runc's
	// --preserve-fds).
	ExtraFiles []*os.File
}

// execConfig is what Exec sends the new process on fd 3.
type execConfig struct {
	Process *specs.Process      `json:"process"`
	Seccomp *specs.LinuxSeccomp `json:"seccomp,omitempty"`
	Console bool                `json:"console,omitempty"`
}

// Exec starts a process inside a created or running container: in every
// namespace of its init (joined by the nsenter constructor before the
// new process's Go runtime starts, then a fork so it is inside the pid
// namespace too), in its cgroup, under its seccomp profile, with the
// process's own user, capabilities, rlimits, cwd and no_new_privs. The
// process's exit does not stop the container.
func (st Store) Exec(id string, opts ExecOptions) (*Process, error) {
	warmCgroupMigration() // see Create
	s, err := st.load(id)
	if err != nil {
		return nil, err
	}
	switch s.Status {
	case specs.StateCreated, specs.StateRunning:
	default:
		return nil, fmt.Errorf("container %q is %s: cannot exec", id, s.Status)
	}
	p := opts.Process
	if err := validateProcess(p); err != nil {
		return nil, err
	}
	spec, err := st.savedSpec(id)
	if err != nil {
		return nil, err
	}
	joins, err := joinsOf(s.Pid)
	if err != nil {
		return nil, err
	}
	cio, err := newChildIO(p.Terminal, opts.ConsoleSocket)
	if err != nil {
		return nil, err
	}
	defer cio.Close()
	extra, fds := cio.files(opts.ExtraFiles, nil)
	mode := nsenter.Wait
	if opts.Detach {
		mode = nsenter.Detach
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{execArg0},
		Env:         []string{execEnv + "=" + strconv.Itoa(fds.cfg), nsenter.Env(mode, 0, fds.sync, joins)},
		Stdin:       opts.Stdin,
		Stdout:      opts.Stdout,
		Stderr:      opts.Stderr,
		ExtraFiles:  extra,
		SysProcAttr: &syscall.SysProcAttr{Setsid: p.Terminal},
	}
	if p.Terminal {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("exec in %q: %w", id, err)
	}
	cio.started()
	proc := &Process{cmd: cmd, pid: cmd.Process.Pid, detached: opts.Detach}
	sync := bufio.NewReader(cio.syncR)
	msg, err := readSync(sync)
	if err != nil || msg.Pid <= 0 {
		proc.kill()
		if err == nil {
			err = fmt.Errorf("expected the process's pid, got %+v", msg)
		}
		return nil, fmt.Errorf("exec in %q: %w", id, err)
	}
	proc.pid = msg.Pid
	if opts.Detach {
		// The constructor's parent exits at once; reap it only. (Give
		// a detached process files for stdio: copies into other
		// writers are not waited for.)
		cmd.Process.Wait()
	}
	fail := func(err error) (*Process, error) {
		proc.kill()
		return nil, fmt.Errorf("exec in %q: %w", id, err)
	}
	if m := loadCgroup(s); m != nil {
		if err := m.Apply(proc.pid); err != nil {
			return fail(fmt.Errorf("cgroup: %w", err))
		}
	}
	if adj := p.OOMScoreAdj; adj != nil {
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/oom_score_adj", proc.pid), []byte(strconv.Itoa(*adj)), 0); err != nil {
			return fail(fmt.Errorf("process.oomScoreAdj: %w", err))
		}
	}
	ec := execConfig{Process: p, Console: p.Terminal}
	if spec.Linux != nil {
		ec.Seccomp = spec.Linux.Seccomp
	}
	if err := json.NewEncoder(cio.cfgW).Encode(&ec); err != nil {
		return fail(fmt.Errorf("send config: %w", err))
	}
	cio.cfgW.Close()
	// The sync pipe is close-on-exec in the process: EOF without a
	// message means execve succeeded.
	if _, err := readSync(sync); err == nil || !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("unexpected sync message")
		}
		return fail(err)
	}
	if opts.PidFile != "" {
		if err := writeFileAtomic(opts.PidFile, []byte(strconv.Itoa(proc.pid))); err != nil {
			return fail(fmt.Errorf("pid file: %w", err))
		}
	}
	return proc, nil
}

// Config returns the validated config a container was created with (kept
// in its state directory; later edits of the bundle do not count).
func (st Store) Config(id string) (*specs.Spec, error) {
	if _, err := st.load(id); err != nil {
		return nil, err
	}
	return st.savedSpec(id)
}

// savedSpec reads the config a container was created with.
func (st Store) savedSpec(id string) (*specs.Spec, error) {
	data, err := os.ReadFile(filepath.Join(st.Dir(id), specFile))
	if err != nil {
		return nil, fmt.Errorf("container %q: saved config: %w", id, err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("container %q: saved config: %w", id, err)
	}
	return &spec, nil
}

// execProcess runs in the process Exec started, already inside the
// container's namespaces (the nsenter constructor) and cgroup: it applies
// the process settings and execs the program. It returns only on failure.
func execProcess(fds fdSet) error {
	cfgR := os.NewFile(uintptr(fds.cfg), "config")
	var ec execConfig
	if err := json.NewDecoder(cfgR).Decode(&ec); err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	cfgR.Close()
	p := ec.Process
	var prog []unix.SockFilter
	var flags []seccomp.Flag
	if ec.Seccomp != nil {
		var err error
		if prog, flags, err = compileSeccomp(ec.Seccomp); err != nil {
			return err
		}
	}
	if ec.Console {
		if err := setupConsole(fds.console, p.ConsoleSize); err != nil {
			return err
		}
	}
	path, err := setupProcess(p, prog, flags)
	if err != nil {
		return err
	}
	if prog != nil && p.NoNewPrivileges {
		if err := seccomp.Install(prog, flags...); err != nil {
			return fmt.Errorf("linux.seccomp: %w", err)
		}
	}
	if err := unix.Exec(path, p.Args, p.Env); err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	return nil
}
