package frontdoor

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"strata/ctr"
	"strata/ctrnet"
)

// monitorCmdName is the hidden subcommand a detached container's monitor
// runs as: `strata ctr-monitor --root ROOT NAME`.
const monitorCmdName = "ctr-monitor"

// ForwardedSignals are relayed by a keeper to the container's init.
var ForwardedSignals = []os.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2}

// keeper runs one container's whole life in the calling process: create,
// network, start, wait, record the exit status, clean up. `strata run`
// is the keeper of a foreground container; the monitor (ctr-monitor) is
// the keeper of a detached one.
type keeper struct {
	fs     Store
	meta   *Meta
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// tty: the container's process has a pty (process.terminal), relayed
	// to stdin/stdout through a console socket of the keeper's own.
	tty bool
	// forward carries signals to relay to the container's init.
	forward <-chan os.Signal
	// started is called once the container runs, with its init's pid.
	started func(pid int)
	// log receives the keeper's own messages and the runtime's warnings
	// (a failed poststop hook), never the container's output.
	log      *slog.Logger
	warnings io.Writer
}

// run runs the container and returns its exit status (128+N when killed
// by signal N). An error means the container never ran; then everything
// made for it except the bundle directory has been removed.
func (k *keeper) run() (int, error) {
	name := k.meta.Name
	// An init that the runtime forks off through its nsenter constructor
	// (a pid namespace joined or made that way) is reparented, not our
	// child: as a subreaper the keeper can still wait for it (as ctr's
	// Run does).
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return -1, fmt.Errorf("subreaper: %w", err)
	}
	start, _ := procStartTime(os.Getpid())
	k.meta.KeeperPid, k.meta.KeeperStart = os.Getpid(), start
	if err := k.fs.saveMeta(k.meta); err != nil {
		return -1, err
	}
	st := k.fs.ctr()
	st.Warnings = k.warnings
	co := ctr.CreateOptions{
		Bundle: k.fs.Bundle(name),
		Stdin:  k.stdin,
		Stdout: k.stdout,
		Stderr: k.stderr,
	}
	var console *ctr.ConsoleRelay
	if k.tty {
		var err error
		if console, err = ctr.NewConsoleRelay(); err != nil {
			return -1, err
		}
		defer console.Close()
		co.ConsoleSocket = console.Path()
		defer console.FollowResize()()
	}
	p, err := st.Create(name, co)
	if err != nil {
		return -1, err
	}
	if console != nil {
		// The init sent the pty master before create returned.
		if err := console.Relay(k.stdin, k.stdout); err != nil {
			unix.Kill(p.Pid(), unix.SIGKILL)
			p.Wait()
			st.Delete(name, true)
			return -1, err
		}
	}
	fail := func(err error) (int, error) {
		// The init is our child: kill and reap it, then delete what
		// create made and release the network.
		unix.Kill(p.Pid(), unix.SIGKILL)
		p.Wait()
		if derr := st.Delete(name, true); derr != nil && !errors.Is(derr, ctr.ErrNotExist) {
			k.log.Warn("delete after a failed start", "container", name, "err", derr)
		}
		if terr := k.teardownNet(); terr != nil {
			k.log.Warn("network teardown after a failed start", "container", name, "err", terr)
		}
		return -1, err
	}
	if k.meta.Network.Mode == ctrnet.ModeBridge {
		n, err := k.meta.Network.network()
		if err != nil {
			return fail(fmt.Errorf("--network bridge: %w", err))
		}
		res, err := n.Setup(ctrnet.ModeBridge, ctrnet.NetnsPath(p.Pid()), k.meta.Key)
		if err != nil {
			return fail(fmt.Errorf("--network bridge: %w", err))
		}
		k.meta.IP = res.Address.IP.String()
		if err := k.fs.saveMeta(k.meta); err != nil {
			return fail(err)
		}
	}
	if err := st.Start(name); err != nil {
		return fail(err)
	}
	if k.started != nil {
		k.started(p.Pid())
	}
	done := make(chan struct{})
	if k.forward != nil {
		go func() {
			for {
				select {
				case sig := <-k.forward:
					if s, ok := sig.(syscall.Signal); ok {
						unix.Kill(p.Pid(), s)
					}
				case <-done:
					return
				}
			}
		}()
	}
	code, werr := p.Wait()
	close(done)
	if console != nil {
		console.Wait() // the output still in the pty
	}
	if werr != nil {
		k.log.Warn("wait for container", "container", name, "err", werr)
	}
	// Record first: from here on the container has exited for everyone.
	ex := ExitRecord{Code: code, Finished: time.Now().UTC()}
	if err := writeJSON(k.fs.File(name, ExitFile), ex); err != nil {
		k.log.Warn("record exit status", "container", name, "err", err)
	}
	k.cleanup(ex)
	return code, nil
}

// cleanup releases what a container holds once it has exited: its
// network, its runtime state and cgroups, and with --rm its bundle; it
// marks the exit record released.
func (k *keeper) cleanup(ex ExitRecord) {
	name := k.meta.Name
	if err := k.teardownNet(); err != nil {
		k.log.Warn("network teardown", "container", name, "err", err)
	}
	st := k.fs.ctr()
	st.Warnings = k.warnings
	if err := st.Delete(name, true); err != nil && !errors.Is(err, ctr.ErrNotExist) {
		k.log.Warn("delete container state", "container", name, "err", err)
	}
	ex.Released = true
	if err := writeJSON(k.fs.File(name, ExitFile), ex); err != nil {
		k.log.Warn("record exit status", "container", name, "err", err)
	}
	if k.meta.Remove {
		if err := releaseImageRootfs(context.Background(), k.fs.root, k.meta.Image, filepath.Join(k.fs.Bundle(name), "rootfs"), true); err != nil {
			// Never remove a bundle whose rootfs may still be mounted.
			k.log.Warn("release image rootfs", "container", name, "err", err)
			return
		}
		if err := os.RemoveAll(k.fs.Bundle(name)); err != nil {
			k.log.Warn("remove bundle", "container", name, "err", err)
		}
	}
}

func (k *keeper) teardownNet() error { return teardownNet(k.meta) }

// teardownNet releases a container's bridge address and veth (idempotent).
func teardownNet(m *Meta) error {
	if m.Network.Mode != ctrnet.ModeBridge {
		return nil
	}
	n, err := m.Network.network()
	if err != nil {
		return err
	}
	return n.Teardown(ctrnet.ModeBridge, "", m.Key)
}

// readyMsg is what the monitor tells `strata run -d` on its ready pipe.
type readyMsg struct {
	Pid   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
}

// startMonitor starts the monitor of a detached container whose bundle
// and strata.json are written, and waits until the container runs (or
// failed to). The monitor is /proc/self/exe in a new session with its
// stdin and stdout on /dev/null and its stderr appended to keeper.log; it
// outlives the calling process.
func startMonitor(fs Store, name string) (int, error) {
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	klog, err := os.OpenFile(fs.File(name, KeeperLog), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return 0, fmt.Errorf("monitor log: %w", err)
	}
	defer klog.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("monitor pipe: %w", err)
	}
	defer r.Close()
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{"strata", monitorCmdName, "--root", fs.root, name},
		Stdin:       devnull,
		Stdout:      devnull,
		Stderr:      klog,
		ExtraFiles:  []*os.File{w},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		w.Close()
		return 0, fmt.Errorf("start monitor: %w", err)
	}
	w.Close()
	// Reap the monitor if it exits while this process still runs (tests;
	// a failed start). Otherwise it is inherited by init or a subreaper.
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	line, rerr := bufio.NewReader(r).ReadBytes('\n')
	var msg readyMsg
	if rerr == nil {
		rerr = json.Unmarshal(line, &msg)
	}
	if rerr != nil || msg.Error != "" || msg.Pid <= 0 {
		<-exited
		why := msg.Error
		if why == "" {
			b, _ := os.ReadFile(fs.File(name, KeeperLog))
			why = "the monitor exited before the container started: " + strings.TrimSpace(string(b))
		}
		return 0, errors.New(why)
	}
	return msg.Pid, nil
}

// MonitorCommand is the hidden command a detached container's monitor
// runs as: `strata ctr-monitor --root ROOT NAME` (argv[1] onwards).
const MonitorCommand = monitorCmdName

// RunMonitor keeps the detached container name under root: it reports on
// fd 3 once the container runs, then waits for it and records its exit.
func RunMonitor(root, name string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("monitor", os.Getpid())
	var st unix.Stat_t
	if err := unix.Fstat(3, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return errors.New("ctr-monitor: no ready pipe on fd 3 (this command is started by strata run -d, not by hand)")
	}
	unix.CloseOnExec(3)
	ready := os.NewFile(3, "ready")
	report := func(m readyMsg) {
		b, _ := json.Marshal(m)
		ready.Write(append(b, '\n'))
		ready.Close()
	}
	fail := func(err error) error {
		report(readyMsg{Error: err.Error()})
		log.Error("container did not start", "container", name, "err", err)
		return err
	}
	fs, err := Open(root)
	if err != nil {
		return fail(err)
	}
	meta, err := fs.LoadMeta(name)
	if err != nil {
		return fail(err)
	}
	out, err := os.OpenFile(fs.File(name, LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fail(fmt.Errorf("container log: %w", err))
	}
	defer out.Close()
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, ForwardedSignals...)
	defer signal.Stop(sigs)
	k := &keeper{
		fs: fs, meta: meta, stdout: out, stderr: out, forward: sigs, log: log, warnings: os.Stderr,
		started: func(pid int) { report(readyMsg{Pid: pid}) },
	}
	code, err := k.run()
	if err != nil {
		return fail(err)
	}
	log.Info("container exited", "container", name, "status", code)
	return nil
}

// MaybeMonitor runs the monitor and exits when the process was started as
// one (argv[1] is ctr-monitor, then --root ROOT NAME): the strata binary's
// main and test binaries' TestMain call it first, as they call
// ctr.MaybeInit.
func MaybeMonitor() {
	if len(os.Args) < 2 || os.Args[1] != monitorCmdName {
		return
	}
	args := os.Args[2:]
	if len(args) != 3 || args[0] != "--root" {
		fmt.Fprintf(os.Stderr, "usage: strata %s --root ROOT NAME (started by strata run -d)\n", monitorCmdName)
		os.Exit(2)
	}
	if err := RunMonitor(args[1], args[2]); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}
