package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"

	"golang.org/x/term"

	"strata/guest"
	"strata/netback"
	"strata/vm"
)

// runVirt boots a full virtual machine (firmware or strata's built-in SBI)
// with the console on the terminal.
func runVirt(ctx context.Context, f vmRunFlags) error {
	cfg := vm.VirtConfig{Append: f.appendArgs, Harts: f.smp, Console: os.Stdout, MaxInsns: f.maxInsns, RNG: f.rng,
		VirtioConsole: f.vcons}
	for _, d := range f.disks {
		path, opt, _ := strings.Cut(d, ",")
		if opt != "" && opt != "ro" {
			return fmt.Errorf("--disk %s: unknown option %q (want PATH or PATH,ro)", d, opt)
		}
		cfg.Disks = append(cfg.Disks, vm.Disk{Path: path, ReadOnly: opt == "ro"})
	}
	for _, n := range f.nets {
		spec, err := netback.ParseNetSpec(n)
		if err != nil {
			return fmt.Errorf("--net: %w", err)
		}
		cfg.Nets = append(cfg.Nets, spec)
	}
	for _, sh := range f.shares {
		s, err := parseShare(sh)
		if err != nil {
			return err
		}
		cfg.Shares = append(cfg.Shares, s)
	}
	var err error
	if f.bios == vm.BiosBuiltin {
		cfg.Bios = vm.BiosBuiltin
	} else {
		cfg.Bios = vm.BiosFirmware
		if cfg.Firmware, err = os.ReadFile(f.bios); err != nil {
			return fmt.Errorf("--bios: %w", err)
		}
	}
	if f.kernel == "" {
		// No kernel: boot strata's own Linux guest, building it the first
		// time.
		p, err := guest.Locate()
		if errors.Is(err, guest.ErrNotBuilt) {
			fmt.Fprintln(os.Stderr, "strata: building the Linux guest (first run only; 3–6 minutes on 2 cores)...")
			p, err = guest.Build(ctx)
		}
		if err != nil {
			return err
		}
		f.kernel = p.Kernel
		if f.initrd == "" {
			f.initrd = p.Initramfs
		}
		if !f.appendSet {
			cfg.Append = guest.Cmdline
		}
	}
	if cfg.Kernel, err = os.ReadFile(f.kernel); err != nil {
		return err
	}
	if f.initrd != "" {
		if cfg.Initrd, err = os.ReadFile(f.initrd); err != nil {
			return err
		}
	}
	if cfg.MemSize, err = parseSize(f.mem); err != nil {
		return fmt.Errorf("--mem: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in, restore, err := consoleInput(cancel)
	if err != nil {
		return err
	}
	defer restore()
	pump := newInputPump(in)
	if cfg.SnapshotPath, err = f.snap.listen(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	var res vm.Result
	for {
		// Each boot gets its own input pipe, so that a machine that has
		// ended cannot swallow keystrokes meant for the next one.
		cfg.Input = pump.next()
		m, err2 := vm.NewVirt(cfg)
		if err2 != nil {
			return err2
		}
		disarm := f.snap.arm(m)
		res, err = m.Run(ctx)
		disarm()
		m.Close()
		if err != nil || !res.Reset || f.noReboot {
			break
		}
		fmt.Fprintln(os.Stderr, "\r\nstrata: the guest reset the machine: rebooting")
	}
	restore()
	if f.stats {
		printStats(res)
	}
	switch {
	case errors.Is(err, vm.ErrSnapshotted):
		return snapshotted(cfg.SnapshotPath)
	case errors.Is(err, vm.ErrInsnLimit):
		fmt.Fprintf(os.Stderr, "strata: %v (%d)\n", err, f.maxInsns)
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

// consoleInput returns the guest console's input: the terminal in raw mode
// (Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A, as in QEMU), or standard
// input as it is when it is not a terminal.
func consoleInput(quit func()) (io.Reader, func(), error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return &escapeReader{r: os.Stdin, quit: quit}, func() {}, nil
	}
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, nil, fmt.Errorf("console: %w", err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			term.Restore(fd, old)
		}
	}
	return &escapeReader{r: os.Stdin, quit: quit}, restore, nil
}

// escapeReader passes bytes through, interpreting QEMU's Ctrl-A escapes.
type escapeReader struct {
	r       io.Reader
	quit    func()
	pending bool // the previous byte was Ctrl-A
}

func (e *escapeReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	out := p[:0]
	for _, b := range p[:n] {
		switch {
		case e.pending:
			e.pending = false
			switch b {
			case 'x', 'X':
				e.quit()
				return len(out), io.EOF
			case 0x01:
				out = append(out, b)
			}
		case b == 0x01:
			e.pending = true
		default:
			out = append(out, b)
		}
	}
	return len(out), err
}

// inputPump copies console input to the machine currently running, through
// a fresh pipe per boot.
type inputPump struct {
	mu sync.Mutex
	w  *io.PipeWriter
}

func newInputPump(r io.Reader) *inputPump {
	p := &inputPump{}
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				p.mu.Lock()
				w := p.w
				p.mu.Unlock()
				if w != nil {
					w.Write(buf[:n])
				}
			}
			if err != nil {
				p.mu.Lock()
				if p.w != nil {
					p.w.CloseWithError(err)
				}
				p.mu.Unlock()
				return
			}
		}
	}()
	return p
}

// next ends the previous boot's input and returns the next one's.
func (p *inputPump) next() io.Reader {
	r, w := io.Pipe()
	p.mu.Lock()
	if p.w != nil {
		p.w.Close()
	}
	p.w = w
	p.mu.Unlock()
	return r
}
