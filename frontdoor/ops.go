package frontdoor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strata/ctr"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Polling intervals while waiting for a container or a log.
const (
	pollInterval = 20 * time.Millisecond
	logPoll      = 100 * time.Millisecond
	// keeperWait bounds how long stop and rm wait for a keeper to record
	// the exit of a killed container and clean up.
	keeperWait = 10 * time.Second
)

// Logs copies name's log to w; with follow, until the container exits.
func (fs Store) Logs(ctx context.Context, name string, w io.Writer, follow bool) error {
	if err := fs.checkName(name); err != nil {
		return err
	}
	m, err := fs.LoadMeta(name)
	if err != nil {
		return err
	}
	if !m.Detached {
		return fmt.Errorf("container %q ran in the foreground: its output went to the terminal, no log is kept", name)
	}
	f, err := os.Open(fs.File(name, LogFile))
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
			s, err := fs.Status(name)
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

func waitOpen(ctx context.Context, fs Store, name string) (*os.File, error) {
	for {
		f, err := os.Open(fs.File(name, LogFile))
		if !errors.Is(err, os.ErrNotExist) {
			return f, err
		}
		if s, serr := fs.Status(name); serr != nil || !s.Active() {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(logPoll):
		}
	}
}

// Stop stops name: SIGTERM to the init, SIGKILL to all after timeout, then
// waits for the keeper to record the exit.
func (fs Store) Stop(ctx context.Context, name string, timeout time.Duration) error {
	if err := fs.checkName(name); err != nil {
		return err
	}
	s, err := fs.Status(name)
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
		exited, err := fs.WaitFor(ctx, name, timeout, func(s *Status) bool { return !s.Active() })
		if err != nil {
			return err
		}
		if exited {
			done, err := fs.WaitFor(ctx, name, keeperWait, keeperDone)
			if err == nil && !done {
				err = fmt.Errorf("container %q exited but its keeper did not record it within %s", name, keeperWait)
			}
			return err
		}
	}
	return fs.Kill(ctx, name)
}

// Kill SIGKILLs every process of name until the keeper has recorded the
// exit (or there is no keeper).
func (fs Store) Kill(ctx context.Context, name string) error {
	st := fs.ctr()
	var lastErr error
	ok, err := fs.WaitFor(ctx, name, keeperWait, func(s *Status) bool {
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
func keeperDone(s *Status) bool {
	return !s.Active() && (s.Exit != nil || !s.KeeperAlive)
}

// notRunning reports whether a ctr error says the container has no
// processes (any more).
func notRunning(err error) bool {
	return errors.Is(err, ctr.ErrNotExist) || errors.Is(err, unix.ESRCH) || strings.Contains(err.Error(), "not running")
}

// WaitFor polls name's status until cond holds (true), d passes (false)
// or ctx ends.
func (fs Store) WaitFor(ctx context.Context, name string, d time.Duration, cond func(*Status) bool) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		s, err := fs.Status(name)
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

// Remove removes name and everything it holds.
func (fs Store) Remove(ctx context.Context, name string, force bool) error {
	if err := fs.checkName(name); err != nil {
		return err
	}
	s, err := fs.Status(name)
	if err != nil {
		return err
	}
	if s.Active() {
		if !force {
			return fmt.Errorf("container %q is %s: stop it first (strata stop %s) or use rm -f", name, s.State, name)
		}
		if err := fs.Kill(ctx, name); err != nil {
			return err
		}
	}
	// Let a keeper that is still cleaning up finish first.
	if _, err := fs.WaitFor(ctx, name, keeperWait, func(s *Status) bool { return !s.KeeperAlive }); err != nil {
		return err
	}
	if s, err = fs.Status(name); err != nil {
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
		if err := releaseImageRootfs(ctx, fs.root, s.Meta.Image, filepath.Join(fs.Bundle(name), "rootfs"), true); err != nil {
			// Never remove a bundle whose rootfs may still be mounted.
			return errors.Join(append(errs, fmt.Errorf("container %q: %w", name, err))...)
		}
	}
	if err := os.RemoveAll(fs.Bundle(name)); err != nil {
		errs = append(errs, fmt.Errorf("container %q: %w", name, err))
	}
	return errors.Join(errs...)
}
