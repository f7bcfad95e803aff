package riscv

import (
	"sync/atomic"
)

// Privilege levels.
const (
	PrivU = 0
	PrivS = 1
	PrivM = 3
)

// Exception causes (mcause/scause values without the interrupt bit).
const (
	CauseMisalignedFetch = 0
	CauseFetchAccess     = 1
	CauseIllegalInst     = 2
	CauseBreakpoint      = 3
	CauseMisalignedLoad  = 4
	CauseLoadAccess      = 5
	CauseMisalignedStore = 6
	CauseStoreAccess     = 7
	CauseEcallU          = 8
	CauseEcallS          = 9
	CauseEcallM          = 11
	CauseFetchPage       = 12
	CauseLoadPage        = 13
	CauseStorePage       = 15
)

// Interrupt numbers (bit positions in mip/mie).
const (
	IntSSI = 1
	IntMSI = 3
	IntSTI = 5
	IntMTI = 7
	IntSEI = 9
	IntMEI = 11
)

// Interrupt-pending bits.
const (
	MipSSIP = 1 << IntSSI
	MipMSIP = 1 << IntMSI
	MipSTIP = 1 << IntSTI
	MipMTIP = 1 << IntMTI
	MipSEIP = 1 << IntSEI
	MipMEIP = 1 << IntMEI
)

// StopReason says why Hart.Run returned.
type StopReason int

// Reasons for Run to return.
const (
	StopBudget StopReason = iota // the instruction budget ran out
	StopWFI                      // the hart executes WFI with nothing pending
	StopHalt                     // Halt was called (by a device, a watch or the host)
	StopEcall                    // an ECALL from U-mode with Config.UserEcall set
)

// Config chooses optional behaviour of a hart.
type Config struct {
	HartID uint64
	// Time returns the current value of the platform timer (mtime). If nil,
	// time reads as the retired-instruction count.
	Time func() uint64
	// UserEcall makes an ECALL from U-mode stop Run with StopEcall instead of
	// trapping, for user-mode (syscall-level) emulation. The pc is left at
	// the ECALL.
	UserEcall bool
	// SupervisorEcall, if set, handles an ECALL from S-mode in the host
	// instead of trapping to M-mode: the VMM implements the SBI itself. It
	// runs with PC at the ECALL; afterwards execution continues after it.
	SupervisorEcall func(h *Hart)
	// Trace, if set, is called before every instruction executes.
	Trace func(h *Hart, pc uint64, in Inst)
}

// tlbEntry caches one virtual page's translation to a host page.
type tlbEntry struct {
	tag  uint64 // vpn | generation<<52; tlbInvalid if empty
	mem  []byte // the host bytes of the physical page
	code *codePage
	pa   uint64 // physical page address
}

const (
	tlbSize    = 256
	tlbInvalid = ^uint64(0)
	genShift   = 52
)

type tlbSet struct {
	r, w, x [tlbSize]tlbEntry
}

// Hart is one RISC-V RV64GC hardware thread.
type Hart struct {
	X  [64]uint64 // integer registers; X[RegSink] absorbs writes to x0
	F  [32]uint64 // floating-point registers (singles NaN-boxed)
	PC uint64

	Priv uint8
	bus  *Bus
	bit  uint64 // this hart's bit in RAM.writers
	cfg  Config

	// CSR state
	mstatus    uint64
	misa       uint64
	medeleg    uint64
	mideleg    uint64
	mie        uint64
	mipSW      uint64        // software-writable pending bits (SSIP, STIP, SEIP)
	irq        atomic.Uint64 // pending lines driven by devices (MSIP, MTIP, MEIP, SEIP)
	mtvec      uint64
	stvec      uint64
	mepc, sepc uint64
	mcause     uint64
	scause     uint64
	mtval      uint64
	stval      uint64
	mscratch   uint64
	sscratch   uint64
	satp       uint64
	mcounteren uint64
	scounteren uint64
	menvcfg    uint64
	senvcfg    uint64
	stimecmp   uint64
	fcsr       uint64 // frm<<5 | fflags
	instret    uint64
	cycleDelta uint64 // mcycle = instret + cycleDelta
	pmpcfg     [16]uint8
	pmpaddr    [16]uint64

	// LR/SC reservation (physical address of the reserved granule).
	resvValid bool
	resvAddr  uint64

	// Translation caches.
	tlbs    [4]tlbSet
	dtlb    *tlbSet // data accesses (depends on MPRV)
	itlb    *tlbSet // fetches
	gen     uint64
	genTag  uint64
	scratch Inst      // a page-crossing instruction is decoded here, never cached
	fetchCP *codePage // the code page of the last fetch, nil if it may not be reused

	// Pending synchronous exception, set by the memory helpers.
	excCause uint64
	excTval  uint64

	budget  int64 // remaining steps in the current Run; 0 stops it
	halted  atomic.Bool
	waiting bool // in WFI
	stop    StopReason
}

// NewHart creates a hart attached to bus, in M-mode at pc 0 (set PC before
// running).
func NewHart(bus *Bus, cfg Config) *Hart {
	h := &Hart{bus: bus, cfg: cfg, Priv: PrivM}
	h.misa = 2<<62 | isaBits("ACDFIMSU")
	h.mstatus = 2<<32 | 2<<34 // UXL = SXL = 64
	h.menvcfg = 0
	h.bit = 1 << (len(bus.harts) % 64)
	bus.harts = append(bus.harts, h)
	h.FlushTLB()
	h.updateCtx()
	return h
}

func isaBits(s string) uint64 {
	var v uint64
	for _, c := range s {
		v |= 1 << (c - 'A')
	}
	return v
}

// ISAString is the device-tree riscv,isa string matching misa.
const ISAString = "rv64imafdc_zicsr_zifencei_zicntr_sstc"

// Bus returns the bus the hart is attached to.
func (h *Hart) Bus() *Bus { return h.bus }

// Instret returns the number of instructions retired (minstret).
func (h *Hart) Instret() uint64 { return h.instret }

// Waiting reports whether the hart is stopped in WFI.
func (h *Hart) Waiting() bool { return h.waiting }

// Halt makes Run return with StopHalt as soon as the current instruction
// completes. It is safe to call from any goroutine.
func (h *Hart) Halt() {
	h.halted.Store(true)
}

// Halted reports whether Halt has been called.
func (h *Hart) Halted() bool { return h.halted.Load() }

// SetIRQ raises (level true) or lowers one of the device-driven interrupt
// lines MipMSIP, MipMTIP, MipMEIP or MipSEIP. It is safe from any goroutine.
func (h *Hart) SetIRQ(bit uint64, level bool) {
	for {
		old := h.irq.Load()
		n := old &^ bit
		if level {
			n |= bit
		}
		if old == n || h.irq.CompareAndSwap(old, n) {
			return
		}
	}
}

// SetPending sets or clears software-writable pending bits (MipSSIP,
// MipSTIP, MipSEIP) as M-mode software would through mip: the SBI
// implementation uses it to deliver IPIs and timer interrupts, which the
// guest then clears through sip. Call it from the goroutine running the hart.
func (h *Hart) SetPending(bits uint64, level bool) {
	bits &= MipSSIP | MipSTIP | MipSEIP
	if level {
		h.mipSW |= bits
	} else {
		h.mipSW &^= bits
	}
}

// mip returns the architectural mip value.
func (h *Hart) mip() uint64 {
	v := h.mipSW | h.irq.Load()
	if h.menvcfg&menvcfgSTCE != 0 {
		v &^= MipSTIP
		if h.time() >= h.stimecmp {
			v |= MipSTIP
		}
	}
	return v
}

func (h *Hart) time() uint64 {
	if h.cfg.Time != nil {
		return h.cfg.Time()
	}
	return h.instret
}

// InterruptPending reports whether an interrupt is pending and enabled in
// mie (the WFI wake-up condition, which ignores the global enables).
func (h *Hart) InterruptPending() bool { return h.mip()&h.mie != 0 }

// FlushTLB empties the hart's translation caches.
func (h *Hart) FlushTLB() {
	h.gen++
	if h.gen >= 1<<(64-genShift) {
		h.gen = 1
		for i := range h.tlbs {
			s := &h.tlbs[i]
			for j := range s.r {
				s.r[j].tag, s.w[j].tag, s.x[j].tag = tlbInvalid, tlbInvalid, tlbInvalid
			}
		}
	}
	h.genTag = h.gen << genShift
}

// flushWriteEntries drops write fast-path entries mapping the physical page pa
// (when the page gets decoded code or a reservation).
func (h *Hart) flushWriteEntries(pa uint64) {
	for i := range h.tlbs {
		w := &h.tlbs[i].w
		for j := range w {
			if w[j].tag != tlbInvalid && w[j].pa == pa {
				w[j].tag = tlbInvalid
			}
		}
	}
}

// updateCtx selects the TLB sets for the current privilege and mstatus.
func (h *Hart) updateCtx() {
	h.itlb = &h.tlbs[ctxIndex(h.Priv, h.mstatus)]
	dp := h.Priv
	if dp == PrivM && h.mstatus&mstatusMPRV != 0 {
		dp = uint8(h.mstatus>>11) & 3
	}
	h.dtlb = &h.tlbs[ctxIndex(dp, h.mstatus)]
}

func ctxIndex(priv uint8, mstatus uint64) int {
	switch priv {
	case PrivM:
		return 0
	case PrivS:
		if mstatus&mstatusSUM != 0 {
			return 2
		}
		return 1
	}
	return 3
}

// dataPriv is the effective privilege of loads and stores.
func (h *Hart) dataPriv() uint8 {
	if h.Priv == PrivM && h.mstatus&mstatusMPRV != 0 {
		return uint8(h.mstatus>>11) & 3
	}
	return h.Priv
}

// Run executes up to budget instructions (and traps) and returns why it
// stopped.
func (h *Hart) Run(budget int64) StopReason {
	if h.halted.Load() {
		return StopHalt
	}
	if h.waiting {
		if !h.InterruptPending() {
			return StopWFI
		}
		h.waiting = false
	}
	h.stop = StopBudget
	h.budget = budget
	h.checkInterrupts()
	if h.cfg.Trace != nil {
		h.runTraced()
	} else {
		h.run()
	}
	if h.halted.Load() {
		return StopHalt
	}
	return h.stop
}

// stopRun ends the current Run after the current instruction.
func (h *Hart) stopRun(r StopReason) {
	h.stop = r
	h.budget = 0
}

// checkInterrupts takes the highest-priority pending and enabled interrupt,
// if any.
func (h *Hart) checkInterrupts() bool {
	pending := h.mip() & h.mie
	if pending == 0 {
		return false
	}
	m := pending &^ h.mideleg
	if h.Priv == PrivM && h.mstatus&mstatusMIE == 0 {
		m = 0
	}
	if m != 0 {
		h.trap(interruptCause(m)|1<<63, 0)
		return true
	}
	s := pending & h.mideleg
	if h.Priv == PrivM || (h.Priv == PrivS && h.mstatus&mstatusSIE == 0) {
		s = 0
	}
	if s != 0 {
		h.trap(interruptCause(s)|1<<63, 0)
		return true
	}
	return false
}

// interruptCause picks by the spec's priority: MEI, MSI, MTI, SEI, SSI, STI.
func interruptCause(p uint64) uint64 {
	for _, c := range [...]uint64{IntMEI, IntMSI, IntMTI, IntSEI, IntSSI, IntSTI} {
		if p&(1<<c) != 0 {
			return c
		}
	}
	return 0
}

// trap enters the trap handler for cause (bit 63 set for interrupts) with the
// hart's PC as the faulting pc.
func (h *Hart) trap(cause, tval uint64) {
	h.resvValid = false
	h.waiting = false
	intr := cause>>63 != 0
	code := cause &^ (1 << 63)
	deleg := h.medeleg
	if intr {
		deleg = h.mideleg
	}
	if h.Priv <= PrivS && deleg>>code&1 != 0 {
		h.sepc = h.PC
		h.scause = cause
		h.stval = tval
		s := h.mstatus &^ (mstatusSPP | mstatusSPIE | mstatusSIE)
		if h.mstatus&mstatusSIE != 0 {
			s |= mstatusSPIE
		}
		if h.Priv == PrivS {
			s |= mstatusSPP
		}
		h.mstatus = s
		h.Priv = PrivS
		h.PC = h.stvec &^ 3
		if intr && h.stvec&3 == 1 {
			h.PC += 4 * code
		}
	} else {
		h.mepc = h.PC
		h.mcause = cause
		h.mtval = tval
		s := h.mstatus &^ (mstatusMPP | mstatusMPIE | mstatusMIE)
		if h.mstatus&mstatusMIE != 0 {
			s |= mstatusMPIE
		}
		s |= uint64(h.Priv) << 11
		h.mstatus = s
		h.Priv = PrivM
		h.PC = h.mtvec &^ 3
		if intr && h.mtvec&3 == 1 {
			h.PC += 4 * code
		}
	}
	h.updateCtx()
}

// raise records a synchronous exception for the executor to take.
func (h *Hart) raise(cause, tval uint64) bool {
	h.excCause, h.excTval = cause, tval
	return false
}

// runTraced runs one instruction at a time, calling the trace hook before
// each, so the fast loop carries no tracing test.
func (h *Hart) runTraced() {
	for total := h.budget; total > 0 && h.stop == StopBudget && !h.halted.Load(); total-- {
		if in := h.fetch(h.PC); in != nil {
			h.cfg.Trace(h, h.PC, *in)
		}
		h.budget = 1
		h.run()
	}
}
