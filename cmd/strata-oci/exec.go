package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

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
			var console *ctr.ConsoleRelay
			if p.Terminal && consoleSocket == "" {
				if detach {
					return errors.New("exec: a terminal with --detach needs --console-socket")
				}
				if console, err = ctr.NewConsoleRelay(); err != nil {
					return err
				}
				defer console.Close()
				o.ConsoleSocket = console.Path()
			}
			var sigs chan os.Signal
			if !detach {
				sigs = make(chan os.Signal, 16)
				signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH)
				defer signal.Stop(sigs)
			}
			proc, err := st.Exec(id, o)
			if err != nil {
				return err
			}
			if detach {
				return nil
			}
			if console != nil {
				if err := console.Relay(stdin, stdout); err != nil {
					unix.Kill(proc.Pid(), unix.SIGKILL)
					return err
				}
			}
			go forward(sigs, proc.Pid(), console)
			code, err := proc.Wait()
			if console != nil {
				console.Wait()
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
func forward(sigs <-chan os.Signal, pid int, console *ctr.ConsoleRelay) {
	for sig := range sigs {
		if sig == unix.SIGWINCH {
			if console != nil {
				console.Resize()
			}
			continue
		}
		if s, ok := sig.(unix.Signal); ok {
			unix.Kill(pid, s)
		}
	}
}
