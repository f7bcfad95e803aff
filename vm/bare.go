// Package vm assembles harts and devices into virtual machines. The bare
// machine runs a program without firmware: it loads an ELF (or raw binary)
// into RAM and starts hart 0 in M-mode at its entry point, on a memory map
// compatible with QEMU's virt board, with Spike's HTIF when the program
// defines tohost.
package vm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"strata/dev"
	"strata/riscv"
)

// The QEMU virt memory map.
const (
	AddrFinisher = 0x0010_0000
	AddrCLINT    = 0x0200_0000
	AddrUART     = 0x1000_0000
	AddrRAM      = 0x8000_0000
)

// ExitInsnLimit is the exit status of a run stopped by its instruction limit.
const ExitInsnLimit = 124

// ErrInsnLimit is returned when a run reaches Config.MaxInsns.
var ErrInsnLimit = errors.New("instruction limit reached")

// BareConfig describes a bare-metal run.
type BareConfig struct {
	Program  []byte // ELF or raw binary
	LoadAddr uint64 // where a raw binary goes (default AddrRAM)
	MemSize  uint64 // RAM size in bytes (default 128 MiB)
	Harts    int    // number of harts (default 1); all start at the entry with a0 = hart id, as on QEMU
	Stdout   io.Writer
	Trace    io.Writer // if set, an instruction trace is written here
	MaxInsns uint64    // 0: no limit
	Logger   *slog.Logger
}

// Result is how a run ended.
type Result struct {
	ExitCode int
	Reset    bool // the guest asked for a reset
	Instret  uint64
	Elapsed  time.Duration
}

// Bare is a bare-metal machine.
type Bare struct {
	cfg   BareConfig
	Bus   *riscv.Bus
	Harts []*riscv.Hart
	CLINT *dev.CLINT
	UART  *dev.UART
	Image *Image

	core
}

// NewBare builds the machine and loads the program.
func NewBare(cfg BareConfig) (*Bare, error) {
	if cfg.MemSize == 0 {
		cfg.MemSize = 128 << 20
	}
	if cfg.MemSize%riscv.PageSize != 0 {
		return nil, fmt.Errorf("memory size %d is not a multiple of 4 KiB", cfg.MemSize)
	}
	if cfg.Harts <= 0 {
		cfg.Harts = 1
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.LoadAddr == 0 {
		cfg.LoadAddr = AddrRAM
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m := &Bare{cfg: cfg, Bus: riscv.NewBus(), core: newCore()}
	if _, err := m.Bus.AddRAM(AddrRAM, cfg.MemSize); err != nil {
		return nil, err
	}
	targets := make([]dev.IRQTarget, cfg.Harts)
	m.Harts = make([]*riscv.Hart, cfg.Harts)
	m.harts = m.Harts
	var clint *dev.CLINT
	for i := range m.Harts {
		h := riscv.NewHart(m.Bus, riscv.Config{HartID: uint64(i), Time: func() uint64 { return clint.Mtime() }})
		m.Harts[i] = h
		targets[i] = wakeTarget{h, m.wake}
	}
	clint = dev.NewCLINT(targets)
	m.CLINT = clint
	m.UART = dev.NewUART(cfg.Stdout)
	fin := &dev.Finisher{Exit: func(code int, reset bool) { m.finish(code, reset) }}
	for _, d := range []struct {
		base, size uint64
		dev        riscv.Device
	}{
		{AddrFinisher, 0x1000, fin},
		{AddrCLINT, dev.CLINTSize, clint},
		{AddrUART, 0x100, m.UART},
	} {
		if err := m.Bus.AddDevice(d.base, d.size, d.dev); err != nil {
			return nil, err
		}
	}
	var err error
	if IsELF(cfg.Program) {
		m.Image, err = LoadELF(m.Bus, cfg.Program)
	} else {
		m.Image, err = LoadRaw(m.Bus, cfg.Program, cfg.LoadAddr)
	}
	if err != nil {
		return nil, err
	}
	if to, ok := m.Image.Symbols["tohost"]; ok {
		if _, err := NewHTIF(m.Bus, to, m.Image.Symbols["fromhost"], cfg.Stdout, func(code int) { m.finish(code, false) }); err != nil {
			return nil, fmt.Errorf("htif: %w", err)
		}
	}
	for i, h := range m.Harts {
		h.PC = m.Image.Entry
		h.X[10] = uint64(i) // a0 = hart id, as QEMU's reset code passes it
		if cfg.Trace != nil {
			t := newTracer(cfg.Trace)
			h.SetTrace(t.hook)
			m.tracers = append(m.tracers, t)
		}
	}
	return m, nil
}

// wakeTarget forwards interrupt lines to a hart and wakes the run loop.
type wakeTarget struct {
	h    *riscv.Hart
	wake chan struct{}
}

func (w wakeTarget) SetIRQ(bit uint64, level bool) {
	w.h.SetIRQ(bit, level)
	if level {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// Run runs the machine until the guest exits, the context is cancelled or
// the instruction limit is reached.
func (m *Bare) Run(ctx context.Context) (Result, error) {
	return m.run(ctx, m.cfg.MaxInsns, boardHooks{tick: m.CLINT.Tick, idle: m.idle})
}

// ErrDeadlock is returned when every hart waits in WFI and none can ever
// wake up (no interrupt is enabled in its mie).
var ErrDeadlock = errors.New("every hart waits in WFI with all interrupts disabled in mie")

// idle sleeps until the next timer deadline that can wake a hart, or until
// a device raises an interrupt line.
func (m *Bare) idle(ctx context.Context) error {
	now := m.CLINT.Mtime()
	d := time.Duration(-1) // no deadline
	wakeable := false
	for i, h := range m.Harts {
		if h.InterruptPending() {
			return nil
		}
		mie, _ := h.CSR(riscv.CSRMie)
		if mie != 0 {
			wakeable = true
		}
		var deadlines [2]uint64
		n := 0
		if mie&riscv.MipMTIP != 0 {
			deadlines[n] = m.CLINT.Mtimecmp(i)
			n++
		}
		if t, ok := h.TimerDeadline(); ok {
			deadlines[n] = t
			n++
		}
		for _, t := range deadlines[:n] {
			if t <= now {
				return nil
			}
			if td := time.Duration(t-now) * (time.Second / dev.TimebaseHz); d < 0 || td < d {
				d = td
			}
		}
	}
	if !wakeable {
		return ErrDeadlock
	}
	m.sleepUntil(ctx, d)
	return nil
}
