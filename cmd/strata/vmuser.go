package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"strata/usermode"
)

type vmUserFlags struct {
	trace    bool
	traceOut string
	stats    bool
	ncpu     int
	debug    bool
}

func newVMUserCmd() *cobra.Command {
	var f vmUserFlags
	c := &cobra.Command{
		Use:   "user [flags] PROG [ARGS...]",
		Short: "Run a static riscv64 Linux program (user-mode emulation)",
		Long: `Run a static riscv64 Linux ELF executable on strata's hart with the Linux
system-call interface emulated, like qemu-riscv64. The guest gets the host
environment, stdio and file system (it is not a sandbox). The exit status is
the guest's.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runVMUser(cmd.Context(), f, args) },
	}
	c.Flags().SetInterspersed(false)
	fl := c.Flags()
	fl.BoolVar(&f.trace, "trace", false, "print an instruction trace (tid pc disassembly) to stderr, or --trace-out")
	fl.StringVar(&f.traceOut, "trace-out", "", "write the instruction trace to this file")
	fl.BoolVar(&f.stats, "stats", false, "print instructions, seconds and MIPS to stderr at exit")
	fl.IntVar(&f.ncpu, "cpus", 2, "number of CPUs the guest sees")
	fl.BoolVar(&f.debug, "debug", false, "log unimplemented system calls and dropped signals to stderr")
	return c
}

func runVMUser(ctx context.Context, f vmUserFlags, args []string) error {
	prog, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	cfg := usermode.Config{Args: args, Env: os.Environ(), NumCPU: f.ncpu}
	if f.debug {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if f.trace || f.traceOut != "" {
		var tw io.Writer = os.Stderr
		if f.traceOut != "" {
			tf, err := os.Create(f.traceOut)
			if err != nil {
				return err
			}
			defer tf.Close()
			tw = tf
		}
		bw := bufio.NewWriter(tw)
		defer bw.Flush()
		cfg.Trace = bw
	}
	p, err := usermode.New(prog, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	defer p.Close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	start := time.Now()
	code, err := p.Run(ctx)
	if f.stats {
		secs := time.Since(start).Seconds()
		fmt.Fprintf(os.Stderr, "strata: instructions=%d seconds=%.3f idle=%.3f mips=%.1f\n",
			p.Instret(), secs, p.Idle().Seconds(), float64(p.Instret())/(secs-p.Idle().Seconds())/1e6)
	}
	if err != nil {
		if code <= 0 {
			return err
		}
		fmt.Fprintln(os.Stderr, "strata:", err)
	}
	if code != 0 {
		return exitError{code}
	}
	return nil
}
