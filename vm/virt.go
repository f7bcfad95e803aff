package vm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"strata/dev"
	"strata/netback"
	"strata/p9"
	"strata/riscv"
	"strata/sbi"
	"strata/virtio"
)

// More of the QEMU virt memory map.
const (
	AddrBootROM = 0x0000_1000
	AddrRTC     = 0x0010_1000
	AddrPLIC    = 0x0c00_0000
	AddrVirtio  = 0x1000_1000

	// UART and RTC interrupt sources on the PLIC, as on QEMU's virt.
	IRQUART = 10
	IRQRTC  = 11

	plicSources = 96
)

// Boot modes (VirtConfig.Bios).
const (
	// BiosBuiltin boots the kernel directly in S-mode; strata answers the
	// kernel's SBI calls itself (paravirtualization).
	BiosBuiltin = "builtin"
	// BiosFirmware runs VirtConfig.Firmware (e.g. OpenSBI fw_jump) in
	// M-mode from the reset vector (full virtualization).
	BiosFirmware = "firmware"
)

// VirtConfig describes a virtual machine on the QEMU-virt-compatible board.
type VirtConfig struct {
	Bios     string // BiosBuiltin (default) or BiosFirmware
	Firmware []byte // M-mode firmware (ELF or raw, loaded at RAM base) for BiosFirmware
	Kernel   []byte // RISC-V Linux Image (or raw S-mode payload) loaded at RAM base + text_offset
	Initrd   []byte
	Append   string // kernel command line
	MemSize  uint64 // default 512 MiB
	Harts    int    // default 1
	Console  io.Writer
	Input    io.Reader // console input (UART and SBI console); nil for none
	Disks    []Disk    // virtio-blk disks, in slot order
	RNG      bool      // a virtio-rng device fed from the host's entropy
	// VirtioConsole adds a virtio console (the guest's hvc0) sharing the
	// terminal with the UART: its output goes to Console, and console input
	// reaches both.
	VirtioConsole bool
	// Nets are virtio-net devices (after the disks and the rng), with
	// MACs 52:54:00:12:34:56, :57, ...
	Nets     []netback.Spec
	Shares   []Share // host directories over virtio-9p (after the nets)
	MaxInsns uint64
	Trace    io.Writer
	Logger   *slog.Logger
	// SnapshotPath is where Run writes the snapshot RequestSnapshot asks
	// for (see snapshot.go).
	SnapshotPath string

	restoring bool // built by RestoreVirt: no payloads are loaded
}

// Disk is a raw disk image attached as a virtio-blk device.
type Disk struct {
	Path     string
	ReadOnly bool
}

// Share is a host directory exported to the guest as a virtio-9p device.
type Share struct {
	Dir      string // host directory; the guest cannot reach outside it
	Tag      string // mount tag (1 to 255 bytes)
	ReadOnly bool
}

// virtioSlots is the number of virtio-mmio transports on the board.
const virtioSlots = 8

// Virt is a virtual machine: harts, RAM, the virt board's devices and,
// in BiosBuiltin mode, strata's SBI implementation.
type Virt struct {
	cfg     VirtConfig
	Bus     *riscv.Bus
	Harts   []*riscv.Hart
	CLINT   *dev.CLINT
	PLIC    *dev.PLIC
	UART    *dev.UART
	RTC     *dev.RTC
	SBI     *sbi.SBI // nil unless BiosBuiltin
	DTB     []byte
	DTBAddr uint64

	closers []io.Closer
	vcons   *virtio.Console
	virtio  []*virtio.MMIO // the transports, in slot order

	snapReq atomic.Bool // RequestSnapshot was called

	core
	input []byte // console bytes not yet read through the SBI (guarded by mu)
}

// NewVirt builds the machine and loads firmware, kernel, initrd and the
// device tree.
func NewVirt(cfg VirtConfig) (*Virt, error) {
	if cfg.Bios == "" {
		cfg.Bios = BiosBuiltin
	}
	if cfg.Bios != BiosBuiltin && cfg.Bios != BiosFirmware {
		return nil, fmt.Errorf("unknown boot mode %q", cfg.Bios)
	}
	if cfg.MemSize == 0 {
		cfg.MemSize = 512 << 20
	}
	if cfg.MemSize%(2<<20) != 0 || cfg.MemSize < 16<<20 {
		return nil, fmt.Errorf("memory size %d: must be a multiple of 2 MiB and at least 16 MiB", cfg.MemSize)
	}
	if cfg.Harts <= 0 {
		cfg.Harts = 1
	}
	if cfg.Harts > 64 {
		return nil, fmt.Errorf("%d harts: at most 64", cfg.Harts)
	}
	if cfg.Console == nil {
		cfg.Console = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if len(cfg.Kernel) == 0 && !cfg.restoring {
		return nil, errors.New("no kernel")
	}
	m := &Virt{cfg: cfg, Bus: riscv.NewBus(), core: newCore()}
	if _, err := m.Bus.AddRAM(AddrRAM, cfg.MemSize); err != nil {
		return nil, err
	}

	// Harts and the interrupt fabric.
	var clint *dev.CLINT
	clintTargets := make([]dev.IRQTarget, cfg.Harts)
	var plicCtx []dev.PLICContext
	m.Harts = make([]*riscv.Hart, cfg.Harts)
	m.harts = m.Harts
	for i := range m.Harts {
		hc := riscv.Config{HartID: uint64(i), Time: func() uint64 { return clint.Mtime() }}
		if cfg.Bios == BiosBuiltin {
			hc.SupervisorEcall = func(h *riscv.Hart) { m.SBI.Handle(h) }
		}
		h := riscv.NewHart(m.Bus, hc)
		m.Harts[i] = h
		t := wakeTarget{h, m.wake}
		clintTargets[i] = t
		plicCtx = append(plicCtx,
			dev.PLICContext{Target: t, Bit: riscv.MipMEIP},
			dev.PLICContext{Target: t, Bit: riscv.MipSEIP})
	}
	clint = dev.NewCLINT(clintTargets)
	m.CLINT = clint
	m.PLIC = dev.NewPLIC(plicSources, plicCtx)
	m.UART = dev.NewUART(cfg.Console)
	m.UART.IRQ = func(level bool) { m.PLIC.SetLevel(IRQUART, level) }
	m.RTC = dev.NewRTC(time.Now)
	m.RTC.IRQ = func(level bool) { m.PLIC.SetLevel(IRQRTC, level) }
	fin := &dev.Finisher{Exit: func(code int, reset bool) { m.finish(code, reset) }}
	for _, d := range []struct {
		base, size uint64
		dev        riscv.Device
	}{
		{AddrFinisher, 0x1000, fin},
		{AddrRTC, dev.RTCSize, m.RTC},
		{AddrCLINT, dev.CLINTSize, clint},
		{AddrPLIC, dev.PLICSize, m.PLIC},
		{AddrUART, 0x100, m.UART},
	} {
		if err := m.Bus.AddDevice(d.base, d.size, d.dev); err != nil {
			return nil, err
		}
	}
	if err := m.addVirtio(); err != nil {
		return nil, err
	}
	if cfg.restoring {
		// RestoreVirt loads RAM and every device's state itself.
	} else if err := m.load(); err != nil {
		m.Close()
		return nil, err
	}
	if cfg.Trace != nil {
		for _, h := range m.Harts {
			t := newTracer(cfg.Trace)
			h.SetTrace(t.hook)
			m.tracers = append(m.tracers, t)
		}
	}
	return m, nil
}

// load places the payloads in RAM and sets up the harts for the boot mode:
//
//	RAM base              firmware (BiosFirmware)
//	RAM base + 2 MiB      kernel (Image text_offset)
//	RAM base + size/2     initrd (or right after the kernel if that is higher)
//	top of RAM - 2 MiB    device tree (2 MiB aligned, as QEMU does)
func (m *Virt) load() error {
	cfg := m.cfg
	ramEnd := AddrRAM + cfg.MemSize
	kernelAddr := uint64(AddrRAM + 2<<20)
	kernelEnd := kernelAddr + uint64(len(cfg.Kernel))
	if IsImage(cfg.Kernel) {
		k, err := ParseImage(cfg.Kernel)
		if err != nil {
			return err
		}
		if k.TextOffset != 0 {
			kernelAddr = AddrRAM + k.TextOffset
		}
		kernelEnd = kernelAddr + k.Size
	}
	m.DTBAddr = (ramEnd - 2<<20) &^ (2<<20 - 1)
	kernelEntry := kernelAddr
	if IsELF(cfg.Kernel) {
		img, err := LoadELFAt(m.Bus, cfg.Kernel, kernelAddr)
		if err != nil {
			return fmt.Errorf("kernel: %w", err)
		}
		kernelEntry, kernelEnd = img.Entry, img.High
	}
	if kernelEnd > m.DTBAddr {
		return fmt.Errorf("%w: kernel of %d bytes does not fit in %d MiB of RAM", ErrBadKernel, kernelEnd-kernelAddr, cfg.MemSize>>20)
	}
	if !IsELF(cfg.Kernel) {
		if err := m.Bus.LoadBytes(kernelAddr, cfg.Kernel); err != nil {
			return err
		}
	}
	var initrdStart, initrdEnd uint64
	if len(cfg.Initrd) > 0 {
		initrdStart = max(AddrRAM+cfg.MemSize/2, (kernelEnd+riscv.PageSize-1)&^(riscv.PageSize-1))
		initrdEnd = initrdStart + uint64(len(cfg.Initrd))
		if initrdEnd > m.DTBAddr {
			return fmt.Errorf("initrd of %d bytes does not fit in RAM between the kernel and the device tree", len(cfg.Initrd))
		}
		if err := m.Bus.LoadBytes(initrdStart, cfg.Initrd); err != nil {
			return err
		}
	}
	dtb, err := VirtDTB(DTBConfig{
		Harts: cfg.Harts, MemBase: AddrRAM, MemSize: cfg.MemSize,
		ISA: riscv.ISAString, MMU: "riscv,sv57", TimebaseHz: dev.TimebaseHz,
		Bootargs: cfg.Append, InitrdStart: initrdStart, InitrdEnd: initrdEnd,
		VirtioSlots: virtioSlots, Sstc: true,
	})
	if err != nil {
		return fmt.Errorf("device tree: %w", err)
	}
	m.DTB = dtb
	if err := m.Bus.LoadBytes(m.DTBAddr, dtb); err != nil {
		return err
	}

	switch cfg.Bios {
	case BiosBuiltin:
		m.SBI = sbi.New(m.Bus, m.Harts, sbiPlatform{m})
		for i, h := range m.Harts {
			m.SBI.PrepareHart(h, i == 0)
			h.PC = kernelEntry
			h.X[10] = uint64(i)
			h.X[11] = m.DTBAddr
		}
	case BiosFirmware:
		if len(cfg.Firmware) == 0 {
			return errors.New("no firmware")
		}
		var entry uint64 = AddrRAM
		if IsELF(cfg.Firmware) {
			img, err := LoadELF(m.Bus, cfg.Firmware)
			if err != nil {
				return fmt.Errorf("firmware: %w", err)
			}
			if img.High > kernelAddr {
				return fmt.Errorf("firmware [%#x, %#x) overlaps the kernel at %#x", img.Low, img.High, kernelAddr)
			}
			entry = img.Entry
		} else if err := m.Bus.LoadBytes(AddrRAM, cfg.Firmware); err != nil {
			return err
		}
		if _, err := m.Bus.AddROM(AddrBootROM, bootROM(entry, m.DTBAddr)); err != nil {
			return err
		}
		for _, h := range m.Harts {
			h.PC = AddrBootROM
		}
	}
	return nil
}

// addVirtio maps the virtio-mmio transports: the configured devices first,
// then empty slots (device ID 0), as Linux expects from the device tree.
func (m *Virt) addVirtio() error {
	var devs []virtio.Device
	for _, d := range m.cfg.Disks {
		f, err := virtio.OpenDiskFile(d.Path, d.ReadOnly)
		if err != nil {
			m.Close()
			return fmt.Errorf("disk %s: %w", d.Path, err)
		}
		m.closers = append(m.closers, f)
		devs = append(devs, virtio.NewBlk(f, d.ReadOnly, fmt.Sprintf("strata%d", len(devs))))
	}
	if m.cfg.VirtioConsole {
		m.vcons = virtio.NewConsole(m.cfg.Console)
		devs = append(devs, m.vcons)
	}
	if m.cfg.RNG {
		devs = append(devs, virtio.NewRNG())
	}
	for i, n := range m.cfg.Nets {
		nb, err := netback.Open(n)
		if err != nil {
			m.Close()
			return fmt.Errorf("net %d: %w", i, err)
		}
		m.closers = append(m.closers, nb)
		devs = append(devs, virtio.NewNet(nb, [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, byte(0x56 + i)}))
	}
	for _, sh := range m.cfg.Shares {
		srv, err := p9.NewServer(sh.Dir, p9.Options{ReadOnly: sh.ReadOnly})
		if err != nil {
			m.Close()
			return err
		}
		m.closers = append(m.closers, srv)
		d, err := virtio.NewP9(sh.Tag, srv)
		if err != nil {
			m.Close()
			return fmt.Errorf("share %s: %w", sh.Dir, err)
		}
		devs = append(devs, d)
	}
	if len(devs) > virtioSlots {
		m.Close()
		return fmt.Errorf("%d virtio devices: the board has %d slots", len(devs), virtioSlots)
	}
	for i := 0; i < virtioSlots; i++ {
		var d virtio.Device // nil: an empty slot (device ID 0)
		if i < len(devs) {
			d = devs[i]
		}
		irq := 1 + i
		mmio := virtio.NewMMIO(d, m.Bus, func(level bool) { m.PLIC.SetLevel(irq, level) })
		m.virtio = append(m.virtio, mmio)
		if err := m.Bus.AddDevice(AddrVirtio+uint64(i)*virtio.MMIOSize, virtio.MMIOSize, mmio); err != nil {
			m.Close()
			return err
		}
	}
	return nil
}

// Close releases the machine's host resources (disk files).
func (m *Virt) Close() error {
	var first error
	for _, c := range m.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	m.closers = nil
	return first
}

// bootROM is the reset vector at 0x1000, as on QEMU's virt: every hart
// jumps to the firmware with a0 = mhartid and a1 = the device tree.
func bootROM(entry, dtb uint64) []byte {
	words := []uint32{
		0x00000297, // auipc t0, 0
		0xf1402573, // csrr  a0, mhartid
		0x0202b583, // ld    a1, 32(t0)
		0x0182b283, // ld    t0, 24(t0)
		0x00028067, // jr    t0
		0x00000013, // nop
	}
	b := make([]byte, 40)
	for i, w := range words {
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(w), byte(w>>8), byte(w>>16), byte(w>>24)
	}
	for i := 0; i < 8; i++ {
		b[24+i] = byte(entry >> (8 * i))
		b[32+i] = byte(dtb >> (8 * i))
	}
	return b
}

// sbiPlatform connects strata's SBI implementation to the board.
type sbiPlatform struct{ m *Virt }

func (p sbiPlatform) ConsoleWrite(b []byte) { p.m.cfg.Console.Write(b) }

func (p sbiPlatform) ConsoleRead(b []byte) int {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	n := copy(b, p.m.input)
	p.m.input = p.m.input[n:]
	return n
}

func (p sbiPlatform) Time() uint64 { return p.m.CLINT.Mtime() }

func (p sbiPlatform) Shutdown(resetType, reason uint32) {
	code := 0
	if reason != 0 {
		code = 1
	}
	p.m.finish(code, resetType != 0)
}

// readInput copies console input into the UART and the SBI console queue.
func (m *Virt) readInput(ctx context.Context) {
	buf := make([]byte, 256)
	for ctx.Err() == nil {
		n, err := m.cfg.Input.Read(buf)
		if n > 0 {
			m.mu.Lock()
			m.input = append(m.input, buf[:n]...)
			m.mu.Unlock()
			m.UART.Input(buf[:n])
			if m.vcons != nil {
				m.vcons.Input(buf[:n])
			}
			m.kick()
		}
		if err != nil {
			return
		}
	}
}

// Run runs the machine until the guest powers off or resets, the context
// is cancelled, or the instruction limit is reached.
func (m *Virt) Run(ctx context.Context) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if m.cfg.Input != nil {
		go m.readInput(ctx)
	}
	return m.run(ctx, m.cfg.MaxInsns, boardHooks{
		runnable: func(i int) bool { return m.SBI == nil || m.SBI.Runnable(i) },
		before: func() (bool, error) {
			if m.snapReq.Swap(false) {
				return true, m.snapshotToFile()
			}
			return false, nil
		},
		tick: func() {
			m.CLINT.Tick()
			m.RTC.Tick()
			if m.SBI != nil {
				m.SBI.Tick()
			}
		},
		idle: m.idle,
	})
}

// idle sleeps until the earliest timer that can wake a hart, a device
// interrupt or console input.
func (m *Virt) idle(ctx context.Context) error {
	now := m.CLINT.Mtime()
	d := time.Duration(-1)
	consider := func(t uint64) bool {
		if t <= now {
			return true
		}
		if td := time.Duration(t-now) * (time.Second / dev.TimebaseHz); d < 0 || td < d {
			d = td
		}
		return false
	}
	wakeable := false
	for i, h := range m.Harts {
		if m.SBI != nil && !m.SBI.Runnable(i) {
			continue
		}
		if h.InterruptPending() {
			return nil
		}
		mie, _ := h.CSR(riscv.CSRMie)
		if mie != 0 {
			wakeable = true
		}
		if mie&riscv.MipMTIP != 0 && consider(m.CLINT.Mtimecmp(i)) {
			return nil
		}
		if t, ok := h.TimerDeadline(); ok && consider(t) {
			return nil
		}
	}
	if m.SBI != nil {
		if t, ok := m.SBI.NextDeadline(); ok && consider(t) {
			return nil
		}
	}
	if rd, ok := m.RTC.NextDeadline(); ok && (d < 0 || rd < d) {
		d = rd
	}
	if !wakeable && m.cfg.Input == nil {
		return ErrDeadlock
	}
	m.sleepUntil(ctx, d)
	return nil
}
