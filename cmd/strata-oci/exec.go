package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"strata/ctr"
)

// execCmd is runc's exec: a process from --process FILE, or the
// container's own process with the command line's args and overrides.
func execCmd(store func() ctr.Store, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var (
		processFile, consoleSocket, cwd, user, pidFile string
		env, caps, gids                                []string
		tty, detach, noNewPrivs                        bool
	)
	c := &cobra.Command{
		Use:   "exec [flags] ID [COMMAND [ARG...]]",
		Short: "run a process inside a created or running container",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st := store()
			id := args[0]
			var p *specs.Process
			if processFile != "" {
				data, err := os.ReadFile(processFile)
				if err != nil {
					return fmt.Errorf("--process: %w", err)
				}
				p = &specs.Process{}
				if err := json.Unmarshal(data, p); err != nil {
					return fmt.Errorf("--process %s: %w", processFile, err)
				}
			} else {
				if len(args) < 2 {
					return errors.New("exec: a command or --process is required")
				}
				spec, err := st.Config(id)
				if err != nil {
					return err
				}
				base := *spec.Process
				p = &base
				p.Args = args[1:]
				p.Env = append(append([]string{}, base.Env...), env...)
				p.Terminal = tty
				if cwd != "" {
					p.Cwd = cwd
				}
				if user != "" {
					u, err := parseUser(user)
					if err != nil {
						return err
					}
					p.User.UID, p.User.GID = u.UID, u.GID
				}
				for _, g := range gids {
					n, err := strconv.ParseUint(g, 10, 32)
					if err != nil {
						return fmt.Errorf("--additional-gids %q: %w", g, err)
					}
					p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(n))
				}
				if len(caps) > 0 {
					c := *p.Capabilities
					for _, name := range caps {
						name = strings.ToUpper(name)
						c.Bounding = append(c.Bounding, name)
						c.Effective = append(c.Effective, name)
						c.Permitted = append(c.Permitted, name)
						c.Inheritable = append(c.Inheritable, name)
						c.Ambient = append(c.Ambient, name)
					}
					p.Capabilities = &c
				}
				if noNewPrivs {
					p.NoNewPrivileges = true
				}
			}
			preserved, err := preservedFiles(cmd)
			if err != nil {
				return err
			}
			o := ctr.ExecOptions{Process: p, PidFile: pidFile, Detach: detach, ExtraFiles: preserved,
				ConsoleSocket: consoleSocket, Stdin: stdin, Stdout: stdout, Stderr: stderr}
			var console *consoleRelay
			if p.Terminal && consoleSocket == "" {
				if detach {
					return errors.New("exec: a terminal with --detach needs --console-socket")
				}
				if console, err = newConsoleRelay(); err != nil {
					return err
				}
				defer console.close()
				o.ConsoleSocket = console.path
			}
			var sigs chan os.Signal
			if !detach {
				sigs = make(chan os.Signal, 16)
				signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH)
				defer signal.Stop(sigs)
			}
			if console != nil {
				console.accept()
			}
			proc, err := st.Exec(id, o)
			if err != nil {
				return err
			}
			if detach {
				return nil
			}
			if console != nil {
				if err := console.relay(stdin, stdout); err != nil {
					unix.Kill(proc.Pid(), unix.SIGKILL)
					return err
				}
			}
			go forward(sigs, proc.Pid(), console)
			code, err := proc.Wait()
			if console != nil {
				console.drain()
			}
			if err != nil {
				return err
			}
			if code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
	f := c.Flags()
	f.SetInterspersed(false)
	f.StringVarP(&processFile, "process", "p", "", "path to a process.json")
	f.StringVar(&consoleSocket, "console-socket", "", "unix socket that receives the pty master")
	f.StringVar(&cwd, "cwd", "", "working directory")
	f.StringArrayVarP(&env, "env", "e", nil, "set an environment variable")
	f.BoolVarP(&tty, "tty", "t", false, "allocate a pseudo-terminal")
	f.StringVarP(&user, "user", "u", "", "UID[:GID]")
	f.StringArrayVarP(&gids, "additional-gids", "g", nil, "additional gids")
	f.StringArrayVarP(&caps, "cap", "c", nil, "add a capability")
	f.BoolVarP(&detach, "detach", "d", false, "detach from the process")
	f.StringVar(&pidFile, "pid-file", "", "write the process's pid here")
	f.BoolVar(&noNewPrivs, "no-new-privs", false, "set no_new_privs")
	f.String("process-label", "", "accepted; SELinux is not supported")
	f.String("apparmor", "", "accepted; AppArmor is not supported")
	f.Bool("ignore-paused", false, "accepted")
	f.String("cgroup", "", "accepted; the process joins the container's cgroup")
	f.Int("preserve-fds", 0, "pass descriptors 3 … 3+N-1 on to the process")
	return c
}

// parseUser parses UID[:GID] (numeric, as runc).
func parseUser(s string) (specs.User, error) {
	var u specs.User
	us, gs, _ := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return u, fmt.Errorf("--user %q: numeric UID[:GID] expected", s)
	}
	u.UID = uint32(uid)
	if gs != "" {
		gid, err := strconv.ParseUint(gs, 10, 32)
		if err != nil {
			return u, fmt.Errorf("--user %q: numeric UID[:GID] expected", s)
		}
		u.GID = uint32(gid)
	}
	return u, nil
}

// forward relays signals to pid; SIGWINCH resizes the pty instead.
func forward(sigs <-chan os.Signal, pid int, console *consoleRelay) {
	for sig := range sigs {
		if sig == unix.SIGWINCH {
			if console != nil {
				console.resize()
			}
			continue
		}
		if s, ok := sig.(unix.Signal); ok {
			unix.Kill(pid, s)
		}
	}
}

// consoleRelay is a console socket of our own, for a terminal without
// --console-socket: it receives the pty master and copies between it and
// this process's stdio (in raw mode when stdin is a terminal), as runc
// does in the foreground.
type consoleRelay struct {
	dir    string
	path   string
	l      *net.UnixListener
	got    chan *os.File
	master *os.File
	state  *term.State
	done   chan struct{}
}

func newConsoleRelay() (*consoleRelay, error) {
	dir, err := os.MkdirTemp("", "strata-console-")
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	path := filepath.Join(dir, "sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("console: %w", err)
	}
	return &consoleRelay{dir: dir, path: path, l: l, got: make(chan *os.File, 1), done: make(chan struct{})}, nil
}

func (c *consoleRelay) accept() {
	go func() {
		m, err := ctr.RecvConsole(c.l)
		if err != nil {
			m = nil
		}
		c.got <- m
	}()
}

// relay starts copying once the master has arrived.
func (c *consoleRelay) relay(stdin io.Reader, stdout io.Writer) error {
	c.master = <-c.got
	if c.master == nil {
		return errors.New("console: no pty master received")
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if st, err := term.MakeRaw(int(f.Fd())); err == nil {
			c.state = st
		}
		c.resize()
	}
	go io.Copy(c.master, stdin)
	go func() {
		io.Copy(stdout, c.master)
		close(c.done)
	}()
	return nil
}

// resize copies this terminal's size to the pty.
func (c *consoleRelay) resize() {
	if c.master == nil {
		return
	}
	if ws, err := unix.IoctlGetWinsize(0, unix.TIOCGWINSZ); err == nil {
		unix.IoctlSetWinsize(int(c.master.Fd()), unix.TIOCSWINSZ, ws)
	}
}

// drain waits for the output still buffered in the pty.
func (c *consoleRelay) drain() {
	if c.master != nil {
		<-c.done
	}
}

func (c *consoleRelay) close() {
	if c.state != nil {
		term.Restore(0, c.state)
	}
	if c.master != nil {
		c.master.Close()
	}
	c.l.Close()
	os.RemoveAll(c.dir)
}
