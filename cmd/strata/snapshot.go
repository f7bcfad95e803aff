package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"strata/vm"
)

// snapshotFlags are the snapshot triggers of vm run and vm restore.
type snapshotFlags struct {
	onSignal string // --snapshot-on-signal FILE
	after    string // --snapshot-after DURATION,FILE

	sig chan os.Signal // SIGUSR1, from listen on
}

func (s *snapshotFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&s.onSignal, "snapshot-on-signal", "", "on SIGUSR1, save the machine to FILE and exit 0 (resume with strata vm restore FILE)")
	fl.StringVar(&s.after, "snapshot-after", "", "after DURATION of running, save the machine: DURATION,FILE (e.g. 10s,vm.snap) and exit 0")
}

// listen checks the flags, starts catching SIGUSR1 if asked (so that a
// signal arriving while the machine is being built is kept for arm rather
// than killing the process) and returns the snapshot file.
func (s *snapshotFlags) listen() (string, error) {
	path, _, err := s.path()
	if err == nil && s.onSignal != "" && s.sig == nil {
		s.sig = make(chan os.Signal, 1)
		signal.Notify(s.sig, syscall.SIGUSR1)
	}
	return path, err
}

// path returns the snapshot file and delay, checking the flags.
func (s *snapshotFlags) path() (string, time.Duration, error) {
	var after time.Duration
	path := s.onSignal
	if s.after != "" {
		d, file, ok := strings.Cut(s.after, ",")
		var err error
		if after, err = time.ParseDuration(d); !ok || err != nil || file == "" || after <= 0 {
			return "", 0, fmt.Errorf("--snapshot-after %q: want DURATION,FILE (e.g. 10s,vm.snap)", s.after)
		}
		if path != "" && path != file {
			return "", 0, errors.New("--snapshot-on-signal and --snapshot-after name different files")
		}
		path = file
	}
	return path, after, nil
}

// arm starts the configured triggers for m (after listen) and returns a
// function that stops them.
func (s *snapshotFlags) arm(m *vm.Virt) func() {
	path, after, _ := s.path()
	if path == "" {
		return func() {}
	}
	done := make(chan struct{})
	sig := s.sig // nil without --snapshot-on-signal: never ready
	var timer <-chan time.Time
	if after > 0 {
		timer = time.After(after)
	}
	go func() {
		select {
		case <-sig:
		case <-timer:
		case <-done:
			return
		}
		m.RequestSnapshot()
	}()
	return func() {
		if sig != nil {
			signal.Stop(sig)
		}
		close(done)
	}
}

// snapshotted reports a snapshot Run saved, for the exit path of vm run
// and vm restore.
func snapshotted(path string) error {
	fmt.Fprintf(os.Stderr, "\r\nstrata: machine saved to %s (resume with strata vm restore %s)\r\n", path, path)
	return nil
}

func newVMRestoreCmd() *cobra.Command {
	var (
		snap     snapshotFlags
		stats    bool
		maxInsns uint64
	)
	c := &cobra.Command{
		Use:   "restore FILE",
		Short: "Resume a machine saved by vm run --snapshot-on-signal/--snapshot-after",
		Long: `Resume a virt-board machine from a snapshot file: the board (harts, RAM,
boot mode, virtio devices; disk images reopened by path and expected
unchanged) is rebuilt from the file and the guest continues where it was
saved, with its console on the terminal as in vm run (Ctrl-A x quits).
The exit status is the guest's. A restored machine can be saved again.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return restoreVM(cmd.Context(), args[0], snap, stats, maxInsns)
		},
	}
	snap.register(c)
	fl := c.Flags()
	fl.BoolVar(&stats, "stats", false, "print instructions, seconds and MIPS to stderr at exit")
	fl.Uint64Var(&maxInsns, "max-insns", 0, "stop when the machine's instruction count reaches this (exit status 124)")
	return c
}

func restoreVM(ctx context.Context, file string, snap snapshotFlags, stats bool, maxInsns uint64) error {
	path, err := snap.listen()
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in, restoreTerm, err := consoleInput(cancel)
	if err != nil {
		f.Close()
		return err
	}
	defer restoreTerm()
	m, err := vm.RestoreVirt(f, vm.VirtConfig{Console: os.Stdout, Input: in, MaxInsns: maxInsns, SnapshotPath: path})
	f.Close()
	if err != nil {
		return err
	}
	defer m.Close()
	defer snap.arm(m)()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	res, err := m.Run(ctx)
	restoreTerm()
	if stats {
		printStats(res)
	}
	switch {
	case errors.Is(err, vm.ErrSnapshotted):
		return snapshotted(path)
	case errors.Is(err, vm.ErrInsnLimit):
		fmt.Fprintf(os.Stderr, "strata: %v (%d)\n", err, maxInsns)
		return exitError{vm.ExitInsnLimit}
	case errors.Is(err, context.Canceled):
		return nil // Ctrl-A x
	case err != nil:
		return err
	case res.ExitCode != 0:
		return exitError{res.ExitCode}
	}
	return nil
}
