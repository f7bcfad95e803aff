package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"strata/ctr"
)

// execOptions are the flags of `strata exec`.
type execOptions struct {
	root        string
	interactive bool
	tty         bool
	env         []string
	user        string
	workdir     string
}

func newExecCmd() *cobra.Command {
	o := &execOptions{}
	c := &cobra.Command{
		Use:   "exec [-i] [flags] NAME -- CMD [ARGS...]",
		Short: "run a command inside a running container",
		Long: `exec runs CMD inside a running container of strata run: in all of its
namespaces and its cgroup, with the container's environment, user,
working directory, capabilities and limits unless --env, --user or
--workdir say otherwise. stdout and stderr are this command's; stdin too
with -i (else /dev/null). exec exits with CMD's status (128+N when killed
by signal N); the container keeps running after CMD exits.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return errors.New("exec: want NAME -- CMD [ARGS...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := frontStoreOf(cmd, o.root)
			if err != nil {
				return err
			}
			var stdin io.Reader
			if o.interactive {
				stdin = cmd.InOrStdin()
			}
			sigs := make(chan os.Signal, 16)
			signal.Notify(sigs, forwardedSignals...)
			defer signal.Stop(sigs)
			code, err := fs.exec(args[0], args[1:], o, stdin, cmd.OutOrStdout(), cmd.ErrOrStderr(), sigs)
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
	rootFlag(c, &o.root)
	f.BoolVarP(&o.interactive, "interactive", "i", false, "pass stdin to the command")
	f.BoolVarP(&o.tty, "tty", "t", false, "give the command a pseudo-terminal on this terminal")
	f.StringArrayVarP(&o.env, "env", "e", nil, "set environment variable K=V (repeatable; added to the container's)")
	f.StringVarP(&o.user, "user", "u", "", "numeric UID[:GID] to run as (default: the container's)")
	f.StringVarP(&o.workdir, "workdir", "w", "", "working directory (default: the container's)")
	return c
}

// exec runs args in container name and returns their exit status.
func (fs frontStore) exec(name string, args []string, o *execOptions, stdin io.Reader, stdout, stderr io.Writer, forward <-chan os.Signal) (int, error) {
	if err := fs.checkName(name); err != nil {
		return -1, err
	}
	s, err := fs.status(name)
	if err != nil {
		return -1, err
	}
	if s.State != string(specs.StateRunning) {
		return -1, fmt.Errorf("container %q is %s, not running: cannot exec", name, s)
	}
	st := fs.ctr()
	spec, err := st.Config(name)
	if errors.Is(err, ctr.ErrNotExist) {
		return -1, fmt.Errorf("container %q is not running: cannot exec", name)
	}
	if err != nil {
		return -1, err
	}
	p, err := execProcess(spec.Process, args, o)
	if err != nil {
		return -1, err
	}
	eo := ctr.ExecOptions{Process: p, Stdin: stdin, Stdout: stdout, Stderr: stderr}
	var console *ctr.ConsoleRelay
	if o.tty {
		p.Terminal = true
		if console, err = ctr.NewConsoleRelay(); err != nil {
			return -1, err
		}
		defer console.Close()
		eo.ConsoleSocket = console.Path()
		defer console.FollowResize()()
	}
	proc, err := st.Exec(name, eo)
	if err != nil {
		return -1, err
	}
	if console != nil {
		// The process sent the pty master before Exec returned.
		if err := console.Relay(stdin, stdout); err != nil {
			unix.Kill(proc.Pid(), unix.SIGKILL)
			proc.Wait()
			return -1, err
		}
		defer console.Wait()
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case sig := <-forward:
				if s, ok := sig.(syscall.Signal); ok {
					unix.Kill(proc.Pid(), s)
				}
			case <-done:
				return
			}
		}
	}()
	return proc.Wait()
}

// execProcess makes the process of `strata exec`: the container's own
// with args and the overrides of --env, --user and --workdir.
func execProcess(base *specs.Process, args []string, o *execOptions) (*specs.Process, error) {
	if base == nil {
		return nil, errors.New("the container's config has no process")
	}
	p := *base
	p.Args = args
	p.Terminal = false
	p.Env = append([]string(nil), base.Env...)
	for _, e := range o.env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return nil, fmt.Errorf("--env %q: want K=V", e)
		}
		p.Env = setEnv(p.Env, e)
	}
	if o.user != "" {
		u, err := parseUser(o.user)
		if err != nil {
			return nil, err
		}
		p.User.UID, p.User.GID, p.User.AdditionalGids = u.UID, u.GID, nil
	}
	if o.workdir != "" {
		if !filepath.IsAbs(o.workdir) {
			return nil, fmt.Errorf("--workdir %q: must be an absolute path", o.workdir)
		}
		p.Cwd = filepath.Clean(o.workdir)
	}
	return &p, nil
}
