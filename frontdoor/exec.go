package frontdoor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strata/ctr"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ExecOptions are the overrides of `strata exec`.
type ExecOptions struct {
	TTY     bool     // a pseudo-terminal relayed to stdin/stdout
	Env     []string // K=V added to the container's environment
	User    string   // numeric UID[:GID] instead of the container's
	Workdir string   // working directory instead of the container's
}

// Exec runs args in the running container name, in all its namespaces and
// its cgroup, and returns their exit status (128+N when killed by signal
// N); signals on forward are relayed to the process.
func (fs Store) Exec(name string, args []string, o *ExecOptions, stdin io.Reader, stdout, stderr io.Writer, forward <-chan os.Signal) (int, error) {
	if err := fs.checkName(name); err != nil {
		return -1, err
	}
	s, err := fs.Status(name)
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
	if o.TTY {
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
func execProcess(base *specs.Process, args []string, o *ExecOptions) (*specs.Process, error) {
	if base == nil {
		return nil, errors.New("the container's config has no process")
	}
	p := *base
	p.Args = args
	p.Terminal = false
	p.Env = append([]string(nil), base.Env...)
	for _, e := range o.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return nil, fmt.Errorf("--env %q: want K=V", e)
		}
		p.Env = setEnv(p.Env, e)
	}
	if o.User != "" {
		u, err := parseUser(o.User)
		if err != nil {
			return nil, err
		}
		p.User.UID, p.User.GID, p.User.AdditionalGids = u.UID, u.GID, nil
	}
	if o.Workdir != "" {
		if !filepath.IsAbs(o.Workdir) {
			return nil, fmt.Errorf("--workdir %q: must be an absolute path", o.Workdir)
		}
		p.Cwd = filepath.Clean(o.Workdir)
	}
	return &p, nil
}
