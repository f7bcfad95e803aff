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
	"sort"
	"strconv"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"strata/cgroup"
)

// CreateOptions are the inputs of Create.
type CreateOptions struct {
	// Bundle is the bundle directory (holding config.json).
	Bundle string
	// PidFile, if set, receives the init's pid (as runc's --pid-file).
	PidFile string
	// Stdin, Stdout and Stderr become the container process's stdio; nil
	// means /dev/null.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Process is the container's init as seen by the process that created it.
type Process struct {
	cmd *exec.Cmd
}

// Pid is the init's pid in the caller's pid namespace.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Wait waits for the container's process and returns its exit status the
// way a shell reports it (128+signal when killed). Only the creator can
// wait; if it never does, the exited init stays a zombie until it exits.
func (p *Process) Wait() (int, error) {
	err := p.cmd.Wait()
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return -1, fmt.Errorf("wait container: %w", err)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return -1, fmt.Errorf("wait container: %w", err)
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}

// Create sets a container up from a bundle: it validates config.json,
// starts the init in new namespaces, lets it build the root filesystem and
// leaves it blocked on the exec FIFO. The container's status is "created".
func (st Store) Create(id string, opts CreateOptions) (*Process, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	bundle, err := filepath.Abs(opts.Bundle)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	spec, err := LoadSpec(bundle)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(st.root(), 0o711); err != nil {
		return nil, fmt.Errorf("state root: %w", err)
	}
	dir := st.Dir(id)
	if err := os.Mkdir(dir, 0o711); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("container %q already exists", id)
		}
		return nil, fmt.Errorf("state dir: %w", err)
	}
	unlock, err := st.lock(id)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer unlock()
	cgPath, err := cgroupPath(spec, id)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cg, err := cgroup.New(cgPath, cgroupResources(spec.Linux))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("linux.resources: %w", err)
	}
	p, err := st.create(id, bundle, spec, opts, cg, cgPath)
	if err != nil {
		destroyCgroup(cg)
		os.RemoveAll(dir)
		// The lifecycle continues at destroy, then the poststop hooks.
		if spec.Hooks != nil {
			if herr := runHooks("poststop", spec.Hooks.Poststop, hookState(id, bundle, specs.StateStopped, 0, spec.Annotations)); herr != nil {
				st.warn("container %q: %v", id, herr)
			}
		}
		return nil, err
	}
	return p, nil
}

func (st Store) create(id, bundle string, spec *specs.Spec, opts CreateOptions, cg cgroup.Manager, cgPath string) (*Process, error) {
	dir := st.Dir(id)
	fifo := filepath.Join(dir, fifoName)
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		return nil, fmt.Errorf("exec fifo: %w", err)
	}
	if err := os.Chmod(fifo, 0o622); err != nil {
		return nil, fmt.Errorf("exec fifo: %w", err)
	}
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("config pipe: %w", err)
	}
	defer cfgR.Close()
	defer cfgW.Close()
	syncR, syncW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("sync pipe: %w", err)
	}
	defer syncR.Close()
	defer syncW.Close()

	var flags uintptr
	for _, ns := range spec.Linux.Namespaces {
		flags |= cloneFlag(ns.Type)
	}
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{initArg0},
		Env:        []string{initEnv + "=1"},
		Stdin:      opts.Stdin,
		Stdout:     opts.Stdout,
		Stderr:     opts.Stderr,
		ExtraFiles: []*os.File{cfgR, syncW},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: flags,
			Setsid:     true,
		},
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start container init: %w", err)
	}
	proc := &Process{cmd: cmd}
	fail := func(err error) (*Process, error) {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, err
	}
	cfgR.Close()
	syncW.Close()
	// The init waits for its config before doing anything: it, and so the
	// user's process, runs under the container's limits from here on.
	if err := cg.Apply(cmd.Process.Pid); err != nil {
		return fail(fmt.Errorf("cgroup: %w", err))
	}
	pid := cmd.Process.Pid
	creating := hookState(id, bundle, specs.StateCreating, pid, spec.Annotations)
	ic := initConfig{Spec: spec, Rootfs: rootfsPath(spec, bundle), StateDir: dir, State: creating}
	if err := json.NewEncoder(cfgW).Encode(&ic); err != nil {
		return fail(fmt.Errorf("send config to init: %w", err))
	}
	sync := bufio.NewReader(syncR)
	for {
		line, err := sync.ReadBytes('\n')
		if err != nil {
			return fail(fmt.Errorf("container init exited before it was ready: %w", err))
		}
		var msg syncMsg
		if err := json.Unmarshal(line, &msg); err != nil {
			return fail(fmt.Errorf("container init: bad sync message: %w", err))
		}
		if msg.Error != "" {
			return fail(fmt.Errorf("container init: %s", msg.Error))
		}
		if msg.Ready {
			break
		}
		if msg.Hook != "createRuntime" {
			return fail(fmt.Errorf("container init: unexpected sync message %q", line))
		}
		// The namespaces and mounts exist, pivot_root has not happened:
		// prestart (deprecated, same timing) then createRuntime, in the
		// runtime's namespaces.
		if err := runHooks("prestart", spec.Hooks.Prestart, creating); err != nil {
			return fail(err)
		}
		if err := runHooks("createRuntime", spec.Hooks.CreateRuntime, creating); err != nil {
			return fail(err)
		}
		ok, _ := json.Marshal(syncMsg{OK: true})
		if _, err := cfgW.Write(append(ok, '\n')); err != nil {
			return fail(fmt.Errorf("container init: %w", err))
		}
	}
	cfgW.Close()
	_, start, err := procStat(pid)
	if err != nil {
		return fail(fmt.Errorf("container init vanished: %w", err))
	}
	s := &State{
		State: specs.State{
			Version:     specs.Version,
			ID:          id,
			Status:      specs.StateCreated,
			Pid:         pid,
			Bundle:      bundle,
			Annotations: spec.Annotations,
		},
		Rootfs:        ic.Rootfs,
		Created:       time.Now().UTC(),
		InitStartTime: start,
		CgroupPath:    cgPath,
		Hooks:         spec.Hooks,
	}
	if err := st.save(s); err != nil {
		return fail(err)
	}
	if opts.PidFile != "" {
		if err := writeFileAtomic(opts.PidFile, []byte(strconv.Itoa(pid))); err != nil {
			return fail(fmt.Errorf("pid file: %w", err))
		}
	}
	return proc, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func cloneFlag(t specs.LinuxNamespaceType) uintptr {
	switch t {
	case specs.PIDNamespace:
		return unix.CLONE_NEWPID
	case specs.NetworkNamespace:
		return unix.CLONE_NEWNET
	case specs.MountNamespace:
		return unix.CLONE_NEWNS
	case specs.IPCNamespace:
		return unix.CLONE_NEWIPC
	case specs.UTSNamespace:
		return unix.CLONE_NEWUTS
	}
	return 0
}

// State returns a container's current state.
func (st Store) State(id string) (*State, error) {
	return st.load(id)
}

// Start lets a created container's init exec the user's process by opening
// the exec FIFO.
func (st Store) Start(id string) error {
	unlock, err := st.lock(id)
	if err != nil {
		return err
	}
	defer unlock()
	s, err := st.load(id)
	if err != nil {
		return err
	}
	if s.Status != specs.StateCreated {
		return fmt.Errorf("container %q is %s, not created", id, s.Status)
	}
	fifo := filepath.Join(st.Dir(id), fifoName)
	f, err := os.OpenFile(fifo, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 1)
	// The init runs the startContainer hooks before it answers.
	wait := 10 * time.Second
	if s.Hooks != nil {
		for _, h := range s.Hooks.StartContainer {
			if h.Timeout != nil {
				wait += time.Duration(*h.Timeout) * time.Second
			} else {
				wait += time.Minute
			}
		}
	}
	deadline := time.Now().Add(wait)
	for {
		n, err := unix.Read(int(f.Fd()), buf)
		if n == 1 {
			break
		}
		if err != nil && !errors.Is(err, unix.EAGAIN) {
			return fmt.Errorf("read exec fifo: %w", err)
		}
		if !initAlive(s.Pid, s.InitStartTime) {
			return fmt.Errorf("container %q: init exited before start", id)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container %q: init did not answer on the exec fifo", id)
		}
		time.Sleep(500 * time.Microsecond)
	}
	if buf[0] != '0' {
		// A startContainer hook failed; the init sends why and exits.
		unix.SetNonblock(int(f.Fd()), false)
		why, _ := io.ReadAll(f)
		os.Remove(fifo)
		return fmt.Errorf("container %q: %s", id, why)
	}
	if err := os.Remove(fifo); err != nil {
		return fmt.Errorf("remove exec fifo: %w", err)
	}
	// EOF once the init's execve has closed its end (or it exited).
	for {
		n, err := unix.Read(int(f.Fd()), buf)
		if n == 0 && err == nil {
			break
		}
		if err != nil && !errors.Is(err, unix.EAGAIN) {
			return fmt.Errorf("read exec fifo: %w", err)
		}
		if !initAlive(s.Pid, s.InitStartTime) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container %q: init did not exec", id)
		}
		time.Sleep(200 * time.Microsecond)
	}
	if s.Hooks != nil && len(s.Hooks.Poststart) > 0 {
		if err := runHooks("poststart", s.Hooks.Poststart, hookState(id, s.Bundle, specs.StateRunning, s.Pid, s.Annotations)); err != nil {
			// Stop the container; delete destroys it.
			killAll(s, unix.SIGKILL)
			return fmt.Errorf("container %q: %w", id, err)
		}
	}
	return nil
}

// Kill sends sig to the container's init, or with all to every process in
// the container's pid namespace.
func (st Store) Kill(id string, sig unix.Signal, all bool) error {
	s, err := st.load(id)
	if err != nil {
		return err
	}
	if s.Status == specs.StateStopped {
		return fmt.Errorf("container %q is not running", id)
	}
	if all {
		return killAll(s, sig)
	}
	if err := unix.Kill(s.Pid, sig); err != nil {
		return fmt.Errorf("kill %q: %w", id, err)
	}
	return nil
}

// killAll signals every process in the container's cgroup; without one,
// every process in the init's pid namespace (or just the init when it
// shares the host's).
func killAll(s *State, sig unix.Signal) error {
	if m := loadCgroup(s); m != nil {
		if err := killCgroup(m, sig, s.Status == StatePaused); err != nil {
			return fmt.Errorf("kill %q: %w", s.ID, err)
		}
		return nil
	}
	ns := containerPidNS(s.Pid)
	if ns == "" {
		if err := unix.Kill(s.Pid, sig); err != nil {
			return fmt.Errorf("kill %q: %w", s.ID, err)
		}
		return nil
	}
	for _, pid := range nsProcs(ns) {
		unix.Kill(pid, sig) // a process may exit meanwhile
	}
	return nil
}

// containerPidNS returns the pid namespace of pid when it is not the
// caller's own, else "".
func containerPidNS(pid int) string {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		return ""
	}
	if self, _ := os.Readlink("/proc/self/ns/pid"); ns == self {
		return ""
	}
	return ns
}

// nsProcs lists the live processes in pid namespace ns. Zombies are left
// out: they are dead, only waiting for whoever inherited them to reap them.
func nsProcs(ns string) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err == nil && l == ns {
			if state, _, err := procStat(pid); err == nil && state != 'Z' && state != 'X' {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// Delete removes a container's state. A running container is refused
// unless force, which kills it first; a created one is killed.
func (st Store) Delete(id string, force bool) error {
	unlock, err := st.lock(id)
	if err != nil {
		return err
	}
	defer unlock()
	dir := st.Dir(id)
	s, err := st.load(id)
	if errors.Is(err, ErrNotExist) {
		// A state directory without state.json is a create that died.
		return removeDir(dir)
	}
	if err != nil {
		return err
	}
	if (s.Status == specs.StateRunning || s.Status == StatePaused) && !force {
		return fmt.Errorf("container %q is %s: stop it first or use --force", id, s.Status)
	}
	if s.Status != specs.StateStopped {
		ns := containerPidNS(s.Pid)
		if err := killAll(s, unix.SIGKILL); err != nil && initAlive(s.Pid, s.InitStartTime) {
			return err
		}
		if s.Status == StatePaused {
			// SIGKILL reaches frozen tasks once they thaw.
			if m := loadCgroup(s); m != nil {
				m.Thaw()
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for initAlive(s.Pid, s.InitStartTime) || (ns != "" && len(nsProcs(ns)) > 0) {
			if time.Now().After(deadline) {
				return fmt.Errorf("container %q: processes did not die", id)
			}
			time.Sleep(time.Millisecond)
		}
	}
	// A stopped container may still have processes in its cgroup (one
	// without a pid namespace): destroyCgroup kills them.
	if m := loadCgroup(s); m != nil {
		if err := destroyCgroup(m); err != nil {
			return fmt.Errorf("container %q: %w", id, err)
		}
	}
	if err := removeDir(dir); err != nil {
		return err
	}
	if s.Hooks != nil {
		if err := runHooks("poststop", s.Hooks.Poststop, hookState(id, s.Bundle, specs.StateStopped, 0, s.Annotations)); err != nil {
			st.warn("container %q: %v", id, err)
		}
	}
	return nil
}

func removeDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove state: %w", err)
	}
	return nil
}

// List returns the state of every container under the root, sorted by id.
func (st Store) List() ([]*State, error) {
	ents, err := os.ReadDir(st.root())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	var out []*State
	for _, e := range ents {
		if !e.IsDir() || ValidateID(e.Name()) != nil {
			continue
		}
		s, err := st.load(e.Name())
		if err != nil {
			continue // being created or deleted
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Run creates and starts a container, waits for its process and deletes
// it, returning the process's exit status (128+signal when killed).
// Signals in forward are relayed to the container's process.
func (st Store) Run(id string, opts CreateOptions, forward <-chan os.Signal) (int, error) {
	p, err := st.Create(id, opts)
	if err != nil {
		return -1, err
	}
	if err := st.Start(id); err != nil {
		p.cmd.Process.Kill()
		p.Wait()
		st.Delete(id, true)
		return -1, err
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-forward:
				if s, ok := sig.(syscall.Signal); ok {
					unix.Kill(p.Pid(), s)
				}
			case <-done:
				return
			}
		}
	}()
	code, err := p.Wait()
	close(done)
	if derr := st.Delete(id, true); derr != nil && err == nil {
		err = derr
	}
	return code, err
}
