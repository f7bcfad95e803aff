package ctr

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"strata/cgroup"
	"strata/ctr/nsenter"
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
	// ConsoleSocket is the path of a unix socket that receives the pty
	// master when process.terminal is set (runc's --console-socket).
	ConsoleSocket string
	// NoPivot moves the rootfs onto / and chroots instead of pivot_root
	// (runc's --no-pivot), for a rootfs on the initramfs.
	NoPivot bool
	// ExtraFiles become descriptors 3, 4, … of the container's process
	// (runc's --preserve-fds).
	ExtraFiles []*os.File

	// reap (Run) makes the caller a child subreaper when the init is
	// forked by the nsenter constructor.
	reap bool
}

// Process is a container process (the init, or one started by Exec) as
// seen by the process that started it.
type Process struct {
	cmd *exec.Cmd
	pid int
	// orphan: the process is not cmd but a child cmd forked and left
	// (a joined or new pid namespace entered through nsenter); it is
	// reparented, and only a subreaper can wait for it.
	orphan bool
	// detached: nobody waits (exec --detach).
	detached bool
}

// Pid is the process's pid in the caller's pid namespace.
func (p *Process) Pid() int { return p.pid }

// Wait waits for the container's process and returns its exit status the
// way a shell reports it (128+signal when killed). Only the creator can
// wait; if it never does, the exited process stays a zombie until the
// creator exits. A process left by a fork (see Process) can be waited
// for only by a subreaper (Run sets one up).
func (p *Process) Wait() (int, error) {
	if p.detached {
		return -1, fmt.Errorf("wait: process %d is detached", p.pid)
	}
	if p.orphan {
		var ws unix.WaitStatus
		for {
			_, err := unix.Wait4(p.pid, &ws, 0, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return -1, fmt.Errorf("wait container: %w", err)
			}
			break
		}
		// Finish copying the stdio the init shared with cmd (cmd itself
		// was reaped at create).
		p.cmd.Wait()
		if ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ws.ExitStatus(), nil
	}
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

// kill kills the process (not its container) and reaps what can be reaped:
// the nsenter constructor's waiting parent reaps a forked child itself.
func (p *Process) kill() {
	unix.Kill(p.pid, unix.SIGKILL)
	if p.orphan || p.detached {
		var ws unix.WaitStatus
		unix.Wait4(p.pid, &ws, 0, nil) // ours if we are its subreaper
	}
	if p.cmd.ProcessState == nil {
		p.cmd.Wait()
	}
}

// reapInherited reaps the zombies in pid namespace ns whose parent is the
// caller, except init (its Process waits for it): a subreaper caller
// inherits the container's exited processes (exec --detach), and the
// namespace cannot end before they are reaped.
func reapInherited(ns string, init int) {
	me := os.Getpid()
	for _, pid := range nsZombies(ns) {
		if pid == init {
			continue
		}
		if data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			i := bytes.LastIndexByte(data, ')')
			f := strings.Fields(string(data[i+1:]))
			if len(f) > 1 && f[1] == strconv.Itoa(me) {
				var ws unix.WaitStatus
				unix.Wait4(pid, &ws, unix.WNOHANG, nil)
			}
		}
	}
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
	warmCgroupMigration()
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
	// The cgroup is made while the init starts (clone, execve, the Go
	// runtime: milliseconds it spends blocked on its config); create
	// waits for it before putting the init in.
	cg := newCgroupAsync(cgPath, cgroupResources(spec.Linux))
	p, err := st.create(id, bundle, spec, opts, cg, cgPath)
	if err != nil {
		if m, _ := cg.wait(); m != nil {
			destroyCgroup(m)
		}
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

// pendingCgroup is a cgroup being made in the background.
type pendingCgroup struct {
	done chan struct{}
	m    cgroup.Manager
	err  error
}

func newCgroupAsync(path string, r *specs.LinuxResources) *pendingCgroup {
	p := &pendingCgroup{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.m, p.err = cgroup.New(path, r)
	}()
	return p
}

// wait returns the cgroup once it is made.
func (p *pendingCgroup) wait() (cgroup.Manager, error) {
	<-p.done
	return p.m, p.err
}

func (st Store) create(id, bundle string, spec *specs.Spec, opts CreateOptions, pending *pendingCgroup, cgPath string) (*Process, error) {
	dir := st.Dir(id)
	fifo := filepath.Join(dir, fifoName)
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		return nil, fmt.Errorf("exec fifo: %w", err)
	}
	if err := os.Chmod(fifo, 0o622); err != nil {
		return nil, fmt.Errorf("exec fifo: %w", err)
	}
	cio, err := newChildIO(spec.Process.Terminal, opts.ConsoleSocket)
	if err != nil {
		return nil, err
	}
	defer cio.Close()
	plan, err := planNamespaces(spec.Linux)
	if err != nil {
		return nil, err
	}
	stateDir, err := os.OpenFile(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	defer stateDir.Close()
	extra, fds := cio.files(opts.ExtraFiles, stateDir)
	env := []string{initEnv + "=" + strconv.Itoa(fds.cfg)}
	if len(plan.joins) > 0 {
		env = append(env, nsenter.Env(plan.mode, plan.unshare, fds.sync, plan.joins))
	}
	attr := &syscall.SysProcAttr{Cloneflags: plan.cloneFlags, Setsid: true}
	if plan.newUser {
		attr.UidMappings = idMap(spec.Linux.UIDMappings)
		attr.GidMappings = idMap(spec.Linux.GIDMappings)
		// Not rootless: the container's root may set its groups.
		attr.GidMappingsEnableSetgroups = true
		// Become the namespace's root once the maps are written, so the
		// init keeps its capabilities in it across execve.
		attr.Credential = &syscall.Credential{Uid: 0, Gid: 0}
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{initArg0},
		Env:         env,
		Stdin:       opts.Stdin,
		Stdout:      opts.Stdout,
		Stderr:      opts.Stderr,
		ExtraFiles:  extra,
		SysProcAttr: attr,
	}
	if spec.Process.Terminal {
		// The pty is the process's stdio.
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	}
	if opts.reap && plan.mode != nsenter.NoFork {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return nil, fmt.Errorf("subreaper: %w", err)
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start container init: %w", err)
	}
	proc := &Process{cmd: cmd, pid: cmd.Process.Pid}
	fail := func(err error) (*Process, error) {
		proc.kill()
		return nil, err
	}
	cio.started()
	sync := bufio.NewReader(cio.syncR)
	if plan.mode != nsenter.NoFork {
		// The constructor forked: its child is the init.
		msg, err := readSync(sync)
		if err != nil {
			return fail(err)
		}
		if msg.Pid <= 0 {
			return fail(fmt.Errorf("container init: expected its pid, got %+v", msg))
		}
		proc.pid, proc.orphan = msg.Pid, true
		// The constructor's parent exits at once. Reap it only: its
		// stdio copies end when the init's do (Process.Wait).
		cmd.Process.Wait()
	}
	pid := proc.pid
	// The init waits for its config before doing anything: it, and so the
	// user's process, runs under the container's limits from here on.
	cg, err := pending.wait()
	if err != nil {
		return fail(fmt.Errorf("linux.resources: %w", err))
	}
	if err := cg.Apply(pid); err != nil {
		return fail(fmt.Errorf("cgroup: %w", err))
	}
	if adj := spec.Process.OOMScoreAdj; adj != nil {
		// From here, not the init: in a user namespace the init may not
		// lower it. The user's process inherits it across execve.
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid), []byte(strconv.Itoa(*adj)), 0); err != nil {
			return fail(fmt.Errorf("process.oomScoreAdj: %w", err))
		}
	}
	creating := hookState(id, bundle, specs.StateCreating, pid, spec.Annotations)
	ic := initConfig{Spec: spec, Rootfs: rootfsPath(spec, bundle), State: creating,
		Console: spec.Process.Terminal, NoPivot: opts.NoPivot, NewCgroupNS: plan.newCgroup}
	if err := json.NewEncoder(cio.cfgW).Encode(&ic); err != nil {
		return fail(fmt.Errorf("send config to init: %w", err))
	}
	for {
		msg, err := readSync(sync)
		if err != nil {
			return fail(err)
		}
		if msg.Ready {
			break
		}
		if msg.Hook != "createRuntime" {
			return fail(fmt.Errorf("container init: unexpected sync message %+v", msg))
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
		if _, err := cio.cfgW.Write(append(ok, '\n')); err != nil {
			return fail(fmt.Errorf("container init: %w", err))
		}
	}
	cio.cfgW.Close()
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
		SharedPidNS:   plan.sharedPid,
	}
	if err := st.save(s); err != nil {
		return fail(err)
	}
	if data, err := json.Marshal(spec); err != nil {
		return fail(fmt.Errorf("save config: %w", err))
	} else if err := writeFileAtomic(filepath.Join(dir, specFile), data); err != nil {
		return fail(fmt.Errorf("save config: %w", err))
	}
	if opts.PidFile != "" {
		if err := writeFileAtomic(opts.PidFile, []byte(strconv.Itoa(pid))); err != nil {
			return fail(fmt.Errorf("pid file: %w", err))
		}
	}
	return proc, nil
}

// readSync reads one line from a container process's sync pipe; an error
// message becomes the error.
func readSync(r *bufio.Reader) (syncMsg, error) {
	var msg syncMsg
	line, err := r.ReadBytes('\n')
	if err != nil {
		return msg, fmt.Errorf("container process exited before it was ready: %w", err)
	}
	if err := json.Unmarshal(line, &msg); err != nil {
		return msg, fmt.Errorf("container process: bad sync message %q: %w", line, err)
	}
	if msg.Error != "" {
		return msg, fmt.Errorf("container process: %s", msg.Error)
	}
	return msg, nil
}

// idMap converts OCI id mappings to os/exec's.
func idMap(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, e := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)}
	}
	return out
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
		waitReadable(f, 10*time.Millisecond)
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
		waitReadable(f, 10*time.Millisecond)
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
func nsProcs(ns string) []int { return nsScan(ns, false) }

// nsZombies lists the zombies in pid namespace ns.
func nsZombies(ns string) []int { return nsScan(ns, true) }

func nsScan(ns string, zombies bool) []int {
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
			if state, _, err := procStat(pid); err == nil && (state == 'Z') == zombies && state != 'X' {
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
		if s.SharedPidNS {
			ns = "" // not ours to empty
		}
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
			// A subreaper caller may have inherited the container's
			// exited processes (exec --detach): the pid namespace
			// cannot end before they are reaped.
			if ns != "" {
				reapInherited(ns, s.Pid)
			}
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
	// A container joining or creating its pid namespace through nsenter
	// has an init that is not our child but is reparented: create makes
	// the caller its subreaper so Wait can reap it.
	opts.reap = true
	p, err := st.Create(id, opts)
	if err != nil {
		return -1, err
	}
	if err := st.Start(id); err != nil {
		p.kill()
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

// waitReadable blocks until f (a non-blocking FIFO) has data or its last
// writer has gone, or for at most d: the caller reads again and checks
// that the init is still alive. poll(2) wakes as soon as the init writes
// or execs, where a sleep-and-retry loop adds up to its interval (more on
// a busy machine, where the sleeping goroutine is woken late).
func waitReadable(f *os.File, d time.Duration) {
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	unix.Poll(fds, int(d/time.Millisecond)) // EINTR, timeout: the caller retries
}

// warmCgroupMigration moves this process, in the background, into the
// cgroup it is already in. Moving a task between cgroups takes the
// kernel's global cgroup_threadgroup_rwsem for writing, and when that
// per-CPU rwsem has been idle the writer first waits for an RCU grace
// period (3–15 ms here). Starting that wait now, with this no-op
// migration, overlaps it with parsing the config, making the cgroup and
// starting the init; the init's own migration (Apply) then finds the
// rwsem ready or waits only for the rest of the grace period. Errors are
// ignored: it is only an optimisation.
func warmCgroupMigration() {
	go func() {
		data, err := os.ReadFile("/proc/self/cgroup")
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(data), "\n") {
			rel, ok := strings.CutPrefix(line, "0::")
			if !ok {
				continue
			}
			pid := []byte(strconv.Itoa(os.Getpid()))
			for _, mnt := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
				if err := os.WriteFile(filepath.Join(mnt, rel, "cgroup.procs"), pid, 0); err == nil {
					return
				}
			}
		}
	}()
}
