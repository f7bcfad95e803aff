package riscv

import (
	"errors"
	"fmt"
)

// HartStateVersion is the version of the HartState layout. It changes when
// a field is added, removed or changes meaning.
const HartStateVersion = 1

// HartState is the architectural state of one hart, for snapshots: every
// register and CSR, the privilege level, pending interrupt bits, the WFI
// flag and the counters. It deliberately leaves out what a hart can
// rebuild (the TLBs and the decoded-instruction cache) and the LR/SC
// reservation, which the architecture allows to be lost at any time (a
// restored guest's SC simply fails once and its LR/SC loop retries).
//
// The struct has only exported, fixed-size fields so that encoding/gob and
// encoding/json can serialise it as is.
type HartState struct {
	Version int
	HartID  uint64

	X    [32]uint64 // x0..x31 (x0 is always 0)
	F    [32]uint64
	PC   uint64
	Priv uint8

	Mstatus    uint64
	Misa       uint64
	Medeleg    uint64
	Mideleg    uint64
	Mie        uint64
	MipSW      uint64 // software-written pending bits (SSIP, STIP, SEIP)
	IRQ        uint64 // device-driven lines (MSIP, MTIP, MEIP, SEIP) at save time
	Mtvec      uint64
	Stvec      uint64
	Mepc       uint64
	Sepc       uint64
	Mcause     uint64
	Scause     uint64
	Mtval      uint64
	Stval      uint64
	Mscratch   uint64
	Sscratch   uint64
	Satp       uint64
	Mcounteren uint64
	Scounteren uint64
	Menvcfg    uint64
	Senvcfg    uint64
	Stimecmp   uint64
	Fcsr       uint64
	Instret    uint64
	CycleDelta uint64 // mcycle = Instret + CycleDelta
	Pmpcfg     [16]uint8
	Pmpaddr    [16]uint64

	Waiting bool // stopped in WFI
	Halted  bool // Halt was called
}

// ErrHartState reports a HartState that cannot be loaded into a hart.
var ErrHartState = errors.New("riscv: incompatible hart state")

// SaveState returns the hart's architectural state. Call it only while the
// hart is not running (between Run calls).
func (h *Hart) SaveState() HartState {
	s := HartState{
		Version: HartStateVersion,
		HartID:  h.cfg.HartID,
		F:       h.F,
		PC:      h.PC,
		Priv:    h.Priv,

		Mstatus:    h.mstatus,
		Misa:       h.misa,
		Medeleg:    h.medeleg,
		Mideleg:    h.mideleg,
		Mie:        h.mie,
		MipSW:      h.mipSW,
		IRQ:        h.irq.Load(),
		Mtvec:      h.mtvec,
		Stvec:      h.stvec,
		Mepc:       h.mepc,
		Sepc:       h.sepc,
		Mcause:     h.mcause,
		Scause:     h.scause,
		Mtval:      h.mtval,
		Stval:      h.stval,
		Mscratch:   h.mscratch,
		Sscratch:   h.sscratch,
		Satp:       h.satp,
		Mcounteren: h.mcounteren,
		Scounteren: h.scounteren,
		Menvcfg:    h.menvcfg,
		Senvcfg:    h.senvcfg,
		Stimecmp:   h.stimecmp,
		Fcsr:       h.fcsr,
		Instret:    h.instret,
		CycleDelta: h.cycleDelta,
		Pmpcfg:     h.pmpcfg,
		Pmpaddr:    h.pmpaddr,

		Waiting: h.waiting,
		Halted:  h.halted.Load(),
	}
	copy(s.X[:], h.X[:32])
	s.X[0] = 0
	return s
}

// LoadState replaces the hart's architectural state with s, which must
// come from a hart with the same mhartid. The translation caches are
// flushed, the LR/SC reservation is dropped and any pending synchronous
// exception is cleared. Call it only while the hart is not running.
func (h *Hart) LoadState(s HartState) error {
	switch {
	case s.Version != HartStateVersion:
		return fmt.Errorf("%w: version %d, want %d", ErrHartState, s.Version, HartStateVersion)
	case s.HartID != h.cfg.HartID:
		return fmt.Errorf("%w: state of hart %d loaded into hart %d", ErrHartState, s.HartID, h.cfg.HartID)
	case s.Priv != PrivU && s.Priv != PrivS && s.Priv != PrivM:
		return fmt.Errorf("%w: privilege level %d", ErrHartState, s.Priv)
	case s.Misa != h.misa:
		return fmt.Errorf("%w: misa %#x, this hart has %#x", ErrHartState, s.Misa, h.misa)
	}
	clear(h.X[:])
	copy(h.X[:32], s.X[:])
	h.X[0] = 0
	h.F = s.F
	h.PC = s.PC
	h.Priv = s.Priv

	h.mstatus = s.Mstatus
	h.medeleg = s.Medeleg
	h.mideleg = s.Mideleg
	h.mie = s.Mie
	h.mipSW = s.MipSW
	h.irq.Store(s.IRQ)
	h.mtvec = s.Mtvec
	h.stvec = s.Stvec
	h.mepc = s.Mepc
	h.sepc = s.Sepc
	h.mcause = s.Mcause
	h.scause = s.Scause
	h.mtval = s.Mtval
	h.stval = s.Stval
	h.mscratch = s.Mscratch
	h.sscratch = s.Sscratch
	h.satp = s.Satp
	h.mcounteren = s.Mcounteren
	h.scounteren = s.Scounteren
	h.menvcfg = s.Menvcfg
	h.senvcfg = s.Senvcfg
	h.stimecmp = s.Stimecmp
	h.fcsr = s.Fcsr
	h.instret = s.Instret
	h.cycleDelta = s.CycleDelta
	h.pmpcfg = s.Pmpcfg
	h.pmpaddr = s.Pmpaddr

	h.waiting = s.Waiting
	h.halted.Store(s.Halted)
	h.resvValid, h.resvAddr = false, 0
	h.excCause, h.excTval = 0, 0
	h.fetchCP = nil
	h.FlushTLB()
	h.updateCtx()
	return nil
}
