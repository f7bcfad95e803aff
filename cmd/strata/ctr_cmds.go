package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"strata/ctr"
)

// rootFlag adds --root to a container command, defaulting to $STRATA_ROOT
// or defaultRunRoot as `strata run` does.
func rootFlag(c *cobra.Command, root *string) {
	c.Flags().StringVar(root, "root", defaultRunRoot, "state root of strata run; STRATA_ROOT overrides the default")
}

// frontStoreOf opens the state root of a container command.
func frontStoreOf(c *cobra.Command, root string) (frontStore, error) {
	if !c.Flags().Changed("root") {
		if env := os.Getenv("STRATA_ROOT"); env != "" {
			root = env
		}
	}
	return openFrontStore(root)
}

// Polling intervals while waiting for a container or a log.
const (
	pollInterval = 20 * time.Millisecond
	logPoll      = 100 * time.Millisecond
	// keeperWait bounds how long stop and rm wait for a keeper to record
	// the exit of a killed container and clean up.
	keeperWait = 10 * time.Second
)

func newPsCmd() *cobra.Command {
	var root string
	var all, quiet bool
	c := &cobra.Command{
		Use:   "ps [-a]",
		Short: "list containers of strata run",
		Long: `ps lists the containers under the state root: NAME, STATUS (created,
running, paused, exited (N), stopped when the exit status was not
recorded), PID of the init, CREATED, COMMAND and IP (bridge network).
Without -a only containers that still have processes are shown.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := frontStoreOf(cmd, root)
			if err != nil {
				return err
			}
			list, err := fs.list()
			if err != nil {
				return err
			}
			return writePs(cmd.OutOrStdout(), list, all, quiet, time.Now())
		},
	}
	rootFlag(c, &root)
	c.Flags().BoolVarP(&all, "all", "a", false, "show exited containers too")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "print names only")
	return c
}

// writePs prints the ps table.
func writePs(w io.Writer, list []*status, all, quiet bool, now time.Time) error {
	if quiet {
		for _, s := range list {
			if all || s.Active() {
				fmt.Fprintln(w, s.Name)
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tPID\tCREATED\tCOMMAND\tIP")
	for _, s := range list {
		if !all && !s.Active() {
			continue
		}
		ip := s.IP
		if ip == "" {
			ip = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s, pidString(s.Pid), ago(s.Created, now), shortCommand(s.Command), ip)
	}
	return tw.Flush()
}

// ago renders t relative to now as ps does: "5 seconds ago".
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	unit := func(n int64, u string) string {
		if n == 1 {
			return fmt.Sprintf("1 %s ago", u)
		}
		return fmt.Sprintf("%d %ss ago", n, u)
	}
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return unit(int64(d/time.Second), "second")
	case d < time.Hour:
		return unit(int64(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return unit(int64(d/time.Hour), "hour")
	}
	return unit(int64(d/(24*time.Hour)), "day")
}

// shortCommand joins a command for the table, at most 40 characters.
func shortCommand(args []string) string {
	if len(args) == 0 {
		return "-"
	}
	s := strings.Join(args, " ")
	s = strings.Map(func(r rune) rune {
		if r < ' ' {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:39]) + "…"
	}
	return `"` + s + `"`
}

func newLogsCmd() *cobra.Command {
	var root string
	var follow bool
	c := &cobra.Command{
		Use:   "logs [-f] NAME",
		Short: "print the output of a detached container",
		Long: `logs prints what a detached container (strata run -d) wrote to its
stdout and stderr, kept in ROOT/bundles/NAME/container.log until strata rm.
With -f it keeps printing new output until the container exits.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := frontStoreOf(cmd, root)
			if err != nil {
				return err
			}
			return fs.logs(cmd.Context(), args[0], cmd.OutOrStdout(), follow)
		},
	}
	rootFlag(c, &root)
	c.Flags().BoolVarP(&follow, "follow", "f", false, "follow the log until the container exits")
	return c
}

// logs copies name's log to w; with follow, until the container exits.
func (fs frontStore) logs(ctx context.Context, name string, w io.Writer, follow bool) error {
	if err := fs.checkName(name); err != nil {
		return err
	}
	m, err := fs.loadMeta(name)
	if err != nil {
		return err
	}
	if !m.Detached {
		return fmt.Errorf("container %q ran in the foreground: its output went to the terminal, no log is kept", name)
	}
	f, err := os.Open(fs.file(name, logFile))
	if errors.Is(err, os.ErrNotExist) && follow {
		// The monitor has not opened it yet.
		f, err = waitOpen(ctx, fs, name)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil // nothing written yet
	}
	if err != nil {
		return fmt.Errorf("container %q: %w", name, err)
	}
	defer f.Close()
	for {
		// Decide before copying: whatever was written before the container
		// was seen to have exited is copied by this round.
		finished := true
		if follow {
			s, err := fs.status(name)
			if err != nil {
				return err
			}
			finished = !s.Active()
		}
		if _, err := io.Copy(w, f); err != nil {
			return fmt.Errorf("container %q: log: %w", name, err)
		}
		if finished {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(logPoll):
		}
	}
}

func waitOpen(ctx context.Context, fs frontStore, name string) (*os.File, error) {
	for {
		f, err := os.Open(fs.file(name, logFile))
		if !errors.Is(err, os.ErrNotExist) {
			return f, err
		}
		if s, serr := fs.status(name); serr != nil || !s.Active() {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(logPoll):
		}
	}
}

func newStopCmd() *cobra.Command {
	var root string
	var timeout int
	c := &cobra.Command{
		Use:   "stop [-t SECS] NAME...",
		Short: "stop running containers: SIGTERM, then SIGKILL after a timeout",
		Long: `stop sends SIGTERM to each container's init, waits up to -t seconds
(default 10) for it to exit, then SIGKILLs every process of the container;
it returns once the exit status is recorded. Stopping a container that has
already exited does nothing.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout < 0 {
				return fmt.Errorf("-t %d: must not be negative", timeout)
			}
			fs, err := frontStoreOf(cmd, root)
			if err != nil {
				return err
			}
			var errs []error
			for _, name := range args {
				if err := fs.stop(cmd.Context(), name, time.Duration(timeout)*time.Second); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), name)
			}
			return errors.Join(errs...)
		},
	}
	rootFlag(c, &root)
	c.Flags().IntVarP(&timeout, "time", "t", 10, "seconds to wait after SIGTERM before SIGKILL")
	return c
}

// stop stops name: SIGTERM to the init, SIGKILL to all after timeout, then
// waits for the keeper to record the exit.
func (fs frontStore) stop(ctx context.Context, name string, timeout time.Duration) error {
	if err := fs.checkName(name); err != nil {
		return err
	}
	s, err := fs.status(name)
	if err != nil {
		return err
	}
	if !s.Active() {
		return nil
	}
	st := fs.ctr()
	if s.State == string(specs.StateRunning) {
		if err := st.Kill(name, unix.SIGTERM, false); err != nil && !notRunning(err) {
			return fmt.Errorf("stop %q: %w", name, err)
		}
		exited, err := fs.waitFor(ctx, name, timeout, func(s *status) bool { return !s.Active() })
		if err != nil {
			return err
		}
		if exited {
			done, err := fs.waitFor(ctx, name, keeperWait, keeperDone)
			if err == nil && !done {
				err = fmt.Errorf("container %q exited but its keeper did not record it within %s", name, keeperWait)
			}
			return err
		}
	}
	return fs.kill(ctx, name)
}

// kill SIGKILLs every process of name until the keeper has recorded the
// exit (or there is no keeper).
func (fs frontStore) kill(ctx context.Context, name string) error {
	st := fs.ctr()
	var lastErr error
	ok, err := fs.waitFor(ctx, name, keeperWait, func(s *status) bool {
		if s.Active() && s.Pid > 0 {
			if err := st.Kill(name, unix.SIGKILL, true); err != nil && !notRunning(err) {
				lastErr = err
			}
		}
		return keeperDone(s)
	})
	if err != nil {
		return err
	}
	if !ok {
		if lastErr != nil {
			return fmt.Errorf("kill %q: %w", name, lastErr)
		}
		return fmt.Errorf("container %q: still not stopped after %s", name, keeperWait)
	}
	return nil
}

// keeperDone reports whether the container has exited and its keeper is
// done with it (recorded the exit, or is gone).
func keeperDone(s *status) bool {
	return !s.Active() && (s.Exit != nil || !s.KeeperAlive)
}

// notRunning reports whether a ctr error says the container has no
// processes (any more).
func notRunning(err error) bool {
	return errors.Is(err, ctr.ErrNotExist) || errors.Is(err, unix.ESRCH) || strings.Contains(err.Error(), "not running")
}

// waitFor polls name's status until cond holds (true), d passes (false)
// or ctx ends.
func (fs frontStore) waitFor(ctx context.Context, name string, d time.Duration, cond func(*status) bool) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		s, err := fs.status(name)
		if err != nil {
			return false, err
		}
		if cond(s) {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

func newRmCmd() *cobra.Command {
	var root string
	var force bool
	c := &cobra.Command{
		Use:   "rm [-f] NAME...",
		Short: "remove containers: bundle, log, state, cgroups, network",
		Long: `rm removes each container's bundle directory (config, log, exit status),
its runtime state and cgroups if any are left, and its bridge address and
veth. A container that still runs is refused unless -f, which SIGKILLs it
first.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := frontStoreOf(cmd, root)
			if err != nil {
				return err
			}
			var errs []error
			for _, name := range args {
				if err := fs.remove(cmd.Context(), name, force); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), name)
			}
			return errors.Join(errs...)
		},
	}
	rootFlag(c, &root)
	c.Flags().BoolVarP(&force, "force", "f", false, "kill a running container first")
	return c
}

// remove removes name and everything it holds.
func (fs frontStore) remove(ctx context.Context, name string, force bool) error {
	if err := fs.checkName(name); err != nil {
		return err
	}
	s, err := fs.status(name)
	if err != nil {
		return err
	}
	if s.Active() {
		if !force {
			return fmt.Errorf("container %q is %s: stop it first (strata stop %s) or use rm -f", name, s.State, name)
		}
		if err := fs.kill(ctx, name); err != nil {
			return err
		}
	}
	// Let a keeper that is still cleaning up finish first.
	if _, err := fs.waitFor(ctx, name, keeperWait, func(s *status) bool { return !s.KeeperAlive }); err != nil {
		return err
	}
	if s, err = fs.status(name); err != nil {
		return err
	}
	if s.KeeperAlive {
		return fmt.Errorf("container %q: its keeper (pid %d) is still running", name, s.Meta.KeeperPid)
	}
	var errs []error
	if err := fs.ctr().Delete(name, true); err != nil && !errors.Is(err, ctr.ErrNotExist) {
		errs = append(errs, err)
	}
	if s.Meta != nil {
		if err := teardownNet(s.Meta); err != nil {
			errs = append(errs, fmt.Errorf("container %q: network: %w", name, err))
		}
	}
	if s.Meta != nil {
		if err := releaseImageRootfs(ctx, fs.root, s.Meta.Image, filepath.Join(fs.bundle(name), "rootfs"), true); err != nil {
			// Never remove a bundle whose rootfs may still be mounted.
			return errors.Join(append(errs, fmt.Errorf("container %q: %w", name, err))...)
		}
	}
	if err := os.RemoveAll(fs.bundle(name)); err != nil {
		errs = append(errs, fmt.Errorf("container %q: %w", name, err))
	}
	return errors.Join(errs...)
}
