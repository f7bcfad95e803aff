package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"strata/vm"
)

func newVMCmd() *cobra.Command {
	c := &cobra.Command{Use: "vm", Short: "Run RISC-V virtual machines"}
	c.AddCommand(newVMRunCmd())
	c.AddCommand(newVMRestoreCmd())
	c.AddCommand(newVMUserCmd())
	c.AddCommand(newVMDumpDTBCmd())
	return c
}

type vmRunFlags struct {
	bios, kernel, loadAddr, mem, traceOut string
	cpuProfile, initrd, appendArgs        string
	disks                                 []string
	nets                                  []string
	shares                                []string
	rng, appendSet, vcons, noReboot       bool
	smp                                   int
	trace, stats                          bool
	maxInsns                              uint64
	snap                                  snapshotFlags
}

func newVMRunCmd() *cobra.Command {
	var f vmRunFlags
	c := &cobra.Command{
		Use:   "run",
		Short: "Boot a RISC-V machine",
		Long: `Boot a RISC-V RV64GC machine on a QEMU-virt-compatible board.

With no --kernel, strata boots its own Linux guest (built by make guest, or
on first use) to a shell on the terminal.

--bios builtin (the default) boots --kernel (a RISC-V Linux Image or any
S-mode payload) directly in S-mode; strata answers its SBI calls itself
(paravirtualization). --bios PATH runs unmodified M-mode firmware such as
OpenSBI's fw_jump from the reset vector, with the kernel at 0x80200000 (full
virtualization). The console is the terminal (Ctrl-A x quits).

With --bios none the kernel (an ELF, or a raw binary at --load-addr) starts
in M-mode at its entry point on hart 0 (all harts with --smp, a0 = hart id).
Programs exit through the SiFive test finisher at 0x100000 or, if the ELF
defines tohost, through Spike's HTIF; the exit status is the guest's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.appendSet = cmd.Flags().Changed("append")
			return runVM(cmd.Context(), f)
		},
	}
	f.snap.register(c)
	fl := c.Flags()
	fl.StringVar(&f.bios, "bios", "builtin", "firmware: builtin (strata's SBI), none (bare metal) or a firmware file")
	fl.StringVar(&f.kernel, "kernel", "", "kernel: a RISC-V Linux Image or S-mode payload; with --bios none an ELF or raw binary")
	fl.StringVar(&f.initrd, "initrd", "", "initial ramdisk")
	fl.StringVar(&f.appendArgs, "append", "console=ttyS0", "kernel command line")
	fl.StringArrayVar(&f.disks, "disk", nil, "attach a raw disk image as virtio-blk: PATH[,ro] (repeatable)")
	fl.BoolVar(&f.rng, "rng", true, "attach a virtio-rng device fed from the host's entropy")
	fl.BoolVar(&f.vcons, "virtio-console", false, "attach a virtio console (the guest's hvc0) on the terminal too")
	fl.BoolVar(&f.noReboot, "no-reboot", false, "exit instead of rebooting when the guest resets the machine")
	fl.StringArrayVar(&f.shares, "share", nil, "export a host directory over virtio-9p: DIR,tag=NAME[,ro] (repeatable; in the guest: mount -t 9p -o trans=virtio,version=9p2000.L NAME /mnt)")
	fl.StringArrayVar(&f.nets, "net", nil, "attach a virtio-net device: tap=NAME or user[,hostfwd=tcp:HOSTADDR:HOSTPORT-:GUESTPORT]... (repeatable)")
	fl.StringVar(&f.loadAddr, "load-addr", "0x80000000", "load address of a raw binary")
	fl.StringVar(&f.mem, "mem", "", "RAM size (K, M, G suffixes; default 512M, 128M with --bios none)")
	fl.IntVar(&f.smp, "smp", 1, "number of harts")
	fl.BoolVar(&f.trace, "trace", false, "print an instruction trace (to stderr, or --trace-out)")
	fl.StringVar(&f.traceOut, "trace-out", "", "write the instruction trace to this file")
	fl.Uint64Var(&f.maxInsns, "max-insns", 0, "stop after this many instructions (exit status 124)")
	fl.BoolVar(&f.stats, "stats", false, "print instructions, seconds and MIPS to stderr at exit")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of strata itself to this file (for PGO, see Makefile)")
	return c
}

func parseSize(s string) (uint64, error) {
	mult := uint64(1)
	switch {
	case strings.HasSuffix(s, "K"), strings.HasSuffix(s, "k"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"), strings.HasSuffix(s, "m"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"), strings.HasSuffix(s, "g"):
		mult = 1 << 30
	}
	if mult != 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil || n == 0 || n*mult/mult != n {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

func runVM(ctx context.Context, f vmRunFlags) error {
	if f.bios != "none" {
		if f.mem == "" {
			f.mem = "512M"
		}
		return runVirt(ctx, f)
	}
	if f.mem == "" {
		f.mem = "128M"
	}
	if f.kernel == "" {
		return errors.New("--kernel is required with --bios none")
	}
	if f.snap.onSignal != "" || f.snap.after != "" {
		return errors.New("snapshots are for the virt board: --bios none machines cannot be saved")
	}
	prog, err := os.ReadFile(f.kernel)
	if err != nil {
		return err
	}
	mem, err := parseSize(f.mem)
	if err != nil {
		return fmt.Errorf("--mem: %w", err)
	}
	load, err := strconv.ParseUint(f.loadAddr, 0, 64)
	if err != nil {
		return fmt.Errorf("--load-addr: %w", err)
	}
	if f.smp < 1 || f.smp > 64 {
		return fmt.Errorf("--smp %d: must be 1..64", f.smp)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	cfg := vm.BareConfig{Program: prog, LoadAddr: load, MemSize: mem, Harts: f.smp,
		Stdout: flushWriter{out}, MaxInsns: f.maxInsns}
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
		cfg.Trace = tw
	}
	m, err := vm.NewBare(cfg)
	if err != nil {
		return err
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	res, err := m.Run(ctx)
	out.Flush()
	if f.stats {
		printStats(res)
	}
	if errors.Is(err, vm.ErrInsnLimit) {
		fmt.Fprintf(os.Stderr, "strata: %v (%d)\n", err, f.maxInsns)
		return exitError{vm.ExitInsnLimit}
	}
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return exitError{res.ExitCode}
	}
	return nil
}

// flushWriter flushes a buffered writer after each newline so that console
// output appears promptly while keeping byte-at-a-time UART writes cheap.
type flushWriter struct{ w *bufio.Writer }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if len(p) > 0 && p[len(p)-1] == '\n' {
		f.w.Flush()
	}
	return n, err
}

func printStats(res vm.Result) {
	secs := res.Elapsed.Seconds()
	fmt.Fprintf(os.Stderr, "strata: instructions=%d seconds=%.3f mips=%.1f\n",
		res.Instret, secs, float64(res.Instret)/secs/1e6)
}
