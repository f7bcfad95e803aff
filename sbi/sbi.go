// Package sbi is strata's own implementation of the RISC-V Supervisor Binary
// Interface (SBI specification v2.0), answered by the host: a guest kernel
// runs in S-mode with no M-mode firmware at all, and its ECALL is a
// hypercall handled in Go. This is paravirtualization in the strict sense:
// the guest is unmodified, but the interface it uses to reach the
// "firmware" is implemented by the virtual machine monitor instead of by
// emulated machine-mode code.
//
// Wiring: the harts must exist before New, and riscv.Config.SupervisorEcall
// is fixed when a hart is created, so a board forwards through a variable:
//
//	var s *sbi.SBI
//	cfg := riscv.Config{HartID: id, Time: clock,
//		SupervisorEcall: func(h *riscv.Hart) { s.Handle(h) }}
//	... create the harts ...
//	s = sbi.New(bus, harts, platform)
//	for i, h := range harts { s.PrepareHart(h, i == 0) }
//
// then runs only the harts for which Runnable is true, calls Tick after
// each round, and uses NextDeadline when every hart idles.
//
// An SBI is not safe for concurrent use: Handle, Tick, NextDeadline,
// PrepareHart and Runnable must be called from the goroutine that runs the
// harts (they read and write other harts' state, as remote fences and hart
// start require).
package sbi

import (
	"math/bits"

	"strata/riscv"
)

// Standard SBI error codes (returned in a0).
const (
	Success            = 0
	ErrFailed          = -1
	ErrNotSupported    = -2
	ErrInvalidParam    = -3
	ErrDenied          = -4
	ErrInvalidAddress  = -5
	ErrAlreadyAvail    = -6
	ErrAlreadyStarted  = -7
	ErrAlreadyStopped  = -8
	ErrNoShmem         = -9
	ErrInvalidState    = -10
	ErrBadRange        = -11
	lowestStandardCode = ErrBadRange
)

// Extension IDs (a7).
const (
	EIDLegacySetTimer       = 0x00
	EIDLegacyPutchar        = 0x01
	EIDLegacyGetchar        = 0x02
	EIDLegacyClearIPI       = 0x03
	EIDLegacySendIPI        = 0x04
	EIDLegacyRemoteFenceI   = 0x05
	EIDLegacyRemoteSfence   = 0x06
	EIDLegacyRemoteSfenceID = 0x07
	EIDLegacyShutdown       = 0x08
	EIDBase                 = 0x10
	EIDTime                 = 0x54494D45 // "TIME"
	EIDIPI                  = 0x735049   // "sPI"
	EIDRfence               = 0x52464E43 // "RFNC"
	EIDHSM                  = 0x48534D   // "HSM"
	EIDSRST                 = 0x53525354 // "SRST"
	EIDDBCN                 = 0x4442434E // "DBCN"
)

// HSM hart states (hart_get_status values).
const (
	HartStarted        = 0
	HartStopped        = 1
	HartStartPending   = 2
	HartStopPending    = 3
	HartSuspended      = 4
	HartSuspendPending = 5
	HartResumePending  = 6
)

// SRST reset types and reasons.
const (
	ResetShutdown   = 0
	ResetColdReboot = 1
	ResetWarmReboot = 2

	ReasonNone          = 0
	ReasonSystemFailure = 1
)

// SpecVersion is the SBI specification version implemented: 2.0 (major in
// bits 30..24, minor in bits 23..0).
const SpecVersion = 2<<24 | 0

// ImplID is strata's SBI implementation ID, 0x5354 ("ST"). It is not in the
// specification's registry (which assigns 0 to 11 or so to BBL, OpenSBI,
// Xvisor, KVM, RustSBI, Diosix, Coffer, Xen, PolarFire HSS, coreboot,
// oreboot, bhyve); it is chosen far from that range so that no guest quirk
// keyed on a registered ID applies to strata.
const ImplID = 0x5354

// ImplVersion is the version of this implementation (major<<16 | minor).
const ImplVersion = 1<<16 | 0

// Platform is what the SBI needs from the board.
type Platform interface {
	// ConsoleWrite writes guest console output. p may alias guest RAM and
	// must not be retained after the call.
	ConsoleWrite(p []byte)
	// ConsoleRead reads pending console input into p without blocking and
	// returns the number of bytes read, 0 if there is none.
	ConsoleRead(p []byte) int
	// Time returns the platform timer, mtime (10 MHz on the virt board).
	Time() uint64
	// Shutdown is called for SRST system_reset (resetType ResetShutdown,
	// ResetColdReboot or ResetWarmReboot, with the guest's reason) and for
	// the legacy shutdown (ResetShutdown, ReasonNone). It should end the
	// run; the calling hart is parked and every hart marked stopped before
	// it is called, so the guest never sees the call return.
	Shutdown(resetType, reason uint32)
}

// hart is the SBI's per-hart state.
type hart struct {
	h      *riscv.Hart
	id     uint64 // mhartid
	status int    // HSM state
	// The software timer used when the hart lacks Sstc (menvcfg.STCE
	// clear): STIP is raised by Tick once Platform.Time reaches deadline.
	armed    bool
	deadline uint64
}

// SBI is the supervisor binary interface of one machine.
type SBI struct {
	bus    *riscv.Bus
	p      Platform
	harts  []hart
	byHart map[*riscv.Hart]int
	byID   map[uint64]int
	maxID  uint64
	// dead is a page-aligned physical address with no RAM: parked harts
	// take their page-table root and trap vector from it (see park).
	dead   uint64
	parkOK bool
	buf    [1]byte // single-byte console transfers
}

// New returns the SBI for the harts of a machine sharing bus. Every hart
// starts STOPPED until PrepareHart marks it started.
func New(bus *riscv.Bus, harts []*riscv.Hart, p Platform) *SBI {
	s := &SBI{bus: bus, p: p, byHart: make(map[*riscv.Hart]int, len(harts)),
		byID: make(map[uint64]int, len(harts))}
	for i, h := range harts {
		id, _ := h.CSR(riscv.CSRMhartid)
		s.harts = append(s.harts, hart{h: h, id: id, status: HartStopped})
		s.byHart[h] = i
		s.byID[id] = i
		s.maxID = max(s.maxID, id)
	}
	for _, a := range [...]uint64{0x00ff_ffff_ffff_f000, 0, 0x00f0_0000_0000_0000, 0x0000_7fff_ffff_f000} {
		if _, ok := bus.Slice(a, 1); !ok {
			s.dead, s.parkOK = a, true
			break
		}
	}
	return s
}

// PMP and CSR values of the "firmware" setup.
const (
	pmpNAPOTRWX = 0x1f // A=NAPOT, R, W, X
	menvcfgSTCE = 1 << 63
	mstatusSUM  = 1 << 18
	mstatusMXR  = 1 << 19
	satpSv39    = 8 << 60
	softPending = riscv.MipSSIP | riscv.MipSTIP | riscv.MipSEIP
	// medelegAll is every exception the hart can delegate except ECALL
	// from S-mode, which is the hypercall (with the hook installed it never
	// traps at all).
	medelegAll = 0xffff &^ (1<<riscv.CauseEcallS | 1<<10 | 1<<riscv.CauseEcallM | 1<<14)
)

// PrepareHart does what M-mode firmware does before entering a supervisor
// kernel: PMP entry 15 allows S and U everything, every exception but ECALL
// from S is delegated, mideleg = SSIP|STIP|SEIP, mcounteren = scounteren = CY|TM|IR,
// menvcfg.STCE (Sstc) is set with stimecmp at its maximum, satp = 0, mie =
// 0, no pending software interrupts, and the hart is in S-mode. A started
// hart is then left for the board to set PC, a0 (hart ID) and a1 (device
// tree); a hart that is not started is STOPPED until the guest calls
// hart_start, and is parked meanwhile (running it executes nothing).
// PrepareHart also fully resets a hart that was stopped or parked, so a
// board may call it again for a reboot.
func (s *SBI) PrepareHart(h *riscv.Hart, started bool) {
	i, ok := s.byHart[h]
	if !ok {
		return
	}
	s.reset(h)
	st := &s.harts[i]
	st.armed = false
	if started {
		st.status = HartStarted
	} else {
		st.status = HartStopped
		s.park(h)
	}
}

// reset puts h in the state the firmware hands to a supervisor.
func (s *SBI) reset(h *riscv.Hart) {
	h.SetCSR(riscv.CSRMstatus, 0)
	h.SetCSR(riscv.CSRPmpaddr0+15, ^uint64(0))
	cfg, _ := h.CSR(riscv.CSRPmpcfg0 + 2)
	h.SetCSR(riscv.CSRPmpcfg0+2, cfg&^(0xff<<56)|pmpNAPOTRWX<<56)
	h.SetCSR(riscv.CSRMedeleg, medelegAll)
	h.SetCSR(riscv.CSRMideleg, softPending)
	h.SetCSR(riscv.CSRMie, 0)
	h.SetCSR(riscv.CSRMcounteren, 7)
	// As OpenSBI does: user mode may read cycle, time and instret (the
	// vDSO's clock_gettime reads time directly).
	h.SetCSR(riscv.CSRScounteren, 7)
	h.SetCSR(riscv.CSRMenvcfg, menvcfgSTCE)
	h.SetCSR(riscv.CSRStimecmp, ^uint64(0))
	h.SetCSR(riscv.CSRSatp, 0)
	h.SetCSR(riscv.CSRMtvec, s.dead)
	h.SetPending(softPending, false)
	h.Priv = riscv.PrivS
	h.FlushTLB()
}

// park makes h execute nothing until it is reset: its next fetch (in
// S-mode, through a page table rooted where there is no RAM) raises an
// access fault that is not delegated, and M-mode's trap vector has no RAM
// either, so the hart traps to itself until its Run budget is spent. The
// riscv package has no way to end a Run slice from the SupervisorEcall hook
// but Halt, which is permanent; parking keeps a stopped hart restartable.
func (s *SBI) park(h *riscv.Hart) {
	if !s.parkOK {
		h.Halt() // every candidate address is RAM: cannot park
		return
	}
	h.SetCSR(riscv.CSRMie, 0)
	h.SetCSR(riscv.CSRMstatus, 0)
	h.SetCSR(riscv.CSRMedeleg, 0)
	h.SetCSR(riscv.CSRMideleg, 0)
	h.SetCSR(riscv.CSRMtvec, s.dead)
	h.SetCSR(riscv.CSRSatp, satpSv39|s.dead>>12)
	h.SetPending(softPending, false)
	h.Priv = riscv.PrivS
	h.FlushTLB()
}

// Runnable reports whether the hart with mhartid hartID is STARTED, i.e.
// whether the board should run it.
func (s *SBI) Runnable(hartID int) bool {
	i, ok := s.byID[uint64(hartID)]
	return ok && s.harts[i].status == HartStarted
}

// Tick raises STIP on every hart whose SBI timer (the software timer used
// without Sstc) has reached its deadline. Harts with Sstc need nothing:
// set_timer programs their stimecmp and the hart drives STIP itself.
func (s *SBI) Tick() {
	now := s.p.Time()
	for i := range s.harts {
		s.fire(&s.harts[i], now)
	}
}

func (s *SBI) fire(st *hart, now uint64) {
	if st.armed && now >= st.deadline {
		st.armed = false
		st.h.SetPending(riscv.MipSTIP, true)
	}
}

// NextDeadline returns the earliest pending timer deadline (mtime units)
// of a started hart: armed SBI software timers, and the Sstc stimecmp of
// harts that enable STIE (what riscv.Hart.TimerDeadline reports). It
// returns false if no timer is pending.
func (s *SBI) NextDeadline() (uint64, bool) {
	var d uint64
	found := false
	for i := range s.harts {
		st := &s.harts[i]
		if st.status != HartStarted {
			continue
		}
		if st.armed && (!found || st.deadline < d) {
			d, found = st.deadline, true
		}
		if t, ok := st.h.TimerDeadline(); ok && t != ^uint64(0) && (!found || t < d) {
			d, found = t, true
		}
	}
	return d, found
}

// Handle answers an ECALL from S-mode on h: a7 is the extension ID, a6 the
// function ID, a0..a5 the arguments; a0 receives the error code and a1 the
// value (legacy extensions return in a0 only and leave a1 alone).
func (s *SBI) Handle(h *riscv.Hart) {
	i, ok := s.byHart[h]
	if !ok {
		h.X[10], h.X[11] = u(ErrFailed), 0
		return
	}
	eid, fid := h.X[17], h.X[16]
	if eid <= EIDLegacyShutdown {
		h.X[10] = u(s.legacy(i, eid))
		return
	}
	var e, v int64
	switch eid {
	case EIDBase:
		e, v = s.base(h, fid)
	case EIDTime:
		e, v = s.time(i, fid)
	case EIDIPI:
		e, v = s.ipi(fid, h.X[10], h.X[11])
	case EIDRfence:
		e, v = s.rfence(fid, h.X[10], h.X[11])
	case EIDHSM:
		e, v = s.hsm(i, fid)
	case EIDSRST:
		e, v = s.srst(i, fid)
	case EIDDBCN:
		e, v = s.dbcn(h, fid)
	default:
		e = ErrNotSupported
	}
	h.X[10], h.X[11] = u(e), u(v)
}

func u(v int64) uint64 { return uint64(v) }

// probe reports whether an extension is implemented.
func probe(eid uint64) bool {
	switch eid {
	case EIDBase, EIDTime, EIDIPI, EIDRfence, EIDHSM, EIDSRST, EIDDBCN:
		return true
	}
	return eid <= EIDLegacyShutdown
}

func (s *SBI) base(h *riscv.Hart, fid uint64) (int64, int64) {
	var csr uint16
	switch fid {
	case 0:
		return Success, SpecVersion
	case 1:
		return Success, ImplID
	case 2:
		return Success, ImplVersion
	case 3:
		if probe(h.X[10]) {
			return Success, 1
		}
		return Success, 0
	case 4:
		csr = riscv.CSRMvendorid
	case 5:
		csr = riscv.CSRMarchid
	case 6:
		csr = riscv.CSRMimpid
	default:
		return ErrNotSupported, 0
	}
	v, _ := h.CSR(csr)
	return Success, int64(v)
}

// setTimer programs hart i's timer for absolute mtime value t. With Sstc
// enabled it writes stimecmp, as M-mode firmware does; otherwise it arms
// the software timer that Tick checks. Either way STIP is clear afterwards
// unless t has already passed.
func (s *SBI) setTimer(i int, t uint64) {
	st := &s.harts[i]
	st.h.SetPending(riscv.MipSTIP, false)
	st.armed = false
	if env, _ := st.h.CSR(riscv.CSRMenvcfg); env&menvcfgSTCE != 0 {
		st.h.SetCSR(riscv.CSRStimecmp, t)
		return
	}
	if t == ^uint64(0) {
		return // "infinitely far into the future"
	}
	st.armed, st.deadline = true, t
	s.fire(st, s.p.Time())
}

func (s *SBI) time(i int, fid uint64) (int64, int64) {
	if fid != 0 {
		return ErrNotSupported, 0
	}
	s.setTimer(i, s.harts[i].h.X[10])
	return Success, 0
}

// forMask calls fn for every hart selected by a hart mask and base (base
// ^0 selects every hart). It validates the whole mask before calling fn,
// so an invalid hart ID leaves every hart untouched.
func (s *SBI) forMask(mask, base uint64, fn func(st *hart)) int64 {
	if base == ^uint64(0) {
		for i := range s.harts {
			fn(&s.harts[i])
		}
		return Success
	}
	for m := mask; m != 0; m &= m - 1 {
		id := base + uint64(bits.TrailingZeros64(m))
		if _, ok := s.byID[id]; !ok || id < base {
			return ErrInvalidParam
		}
	}
	for m := mask; m != 0; m &= m - 1 {
		fn(&s.harts[s.byID[base+uint64(bits.TrailingZeros64(m))]])
	}
	return Success
}

func sendIPI(st *hart) { st.h.SetPending(riscv.MipSSIP, true) }

// flush is a remote SFENCE.VMA: the whole TLB is dropped whatever the range
// or ASID (a superset of what the guest asked for). A remote FENCE.I needs
// nothing more, since stores invalidate decoded instructions exactly; it
// flushes too, which is harmless.
func flush(st *hart) { st.h.FlushTLB() }

func (s *SBI) ipi(fid, mask, base uint64) (int64, int64) {
	if fid != 0 {
		return ErrNotSupported, 0
	}
	return s.forMask(mask, base, sendIPI), 0
}

func (s *SBI) rfence(fid, mask, base uint64) (int64, int64) {
	switch fid {
	case 0, 1, 2: // fence.i, sfence.vma, sfence.vma with ASID
		return s.forMask(mask, base, flush), 0
	}
	// 3..6 are the hypervisor fences (no H extension); others are unknown.
	return ErrNotSupported, 0
}

func (s *SBI) hsm(i int, fid uint64) (int64, int64) {
	h := s.harts[i].h
	switch fid {
	case 0: // hart_start(hartid, start_addr, opaque)
		t, ok := s.byID[h.X[10]]
		if !ok {
			return ErrInvalidParam, 0
		}
		st := &s.harts[t]
		if st.status != HartStopped {
			return ErrAlreadyAvail, 0
		}
		addr := h.X[11]
		if _, ok := s.bus.Slice(addr, 2); !ok || addr&1 != 0 {
			return ErrInvalidAddress, 0
		}
		s.reset(st.h)
		st.armed = false
		st.h.PC = addr
		st.h.X[10], st.h.X[11] = st.id, h.X[12]
		st.status = HartStarted
		return Success, 0
	case 1: // hart_stop
		st := &s.harts[i]
		st.status, st.armed = HartStopped, false
		s.park(h)
		return Success, 0
	case 2: // hart_get_status(hartid)
		t, ok := s.byID[h.X[10]]
		if !ok {
			return ErrInvalidParam, 0
		}
		return Success, int64(s.harts[t].status)
	case 3: // hart_suspend(type, resume_addr, opaque)
		typ := uint32(h.X[10])
		switch {
		case typ == 0:
			// Default retentive suspend, like WFI: strata returns at
			// once (an immediate wake-up), since the hook cannot put
			// the hart to sleep; the guest's idle loop calls again.
			return Success, 0
		case typ == 0x8000_0000:
			return ErrNotSupported, 0 // default non-retentive
		}
		return ErrInvalidParam, 0 // reserved or unimplemented platform type
	}
	return ErrNotSupported, 0
}

func (s *SBI) srst(i int, fid uint64) (int64, int64) {
	if fid != 0 {
		return ErrNotSupported, 0
	}
	h := s.harts[i].h
	typ, reason := uint32(h.X[10]), uint32(h.X[11])
	if typ > ResetWarmReboot || reason > ReasonSystemFailure {
		return ErrInvalidParam, 0
	}
	s.shutdown(i, typ, reason)
	return Success, 0
}

// shutdown stops every hart (parking the caller, which is the only one
// running) and tells the platform.
func (s *SBI) shutdown(i int, typ, reason uint32) {
	for k := range s.harts {
		s.harts[k].status, s.harts[k].armed = HartStopped, false
	}
	s.park(s.harts[i].h)
	s.p.Shutdown(typ, reason)
}

// dbcnBuffer returns the guest RAM of [lo, lo+n) with hi the upper address
// bits, or false if any of it is not RAM.
func (s *SBI) dbcnBuffer(n, lo, hi uint64) ([]byte, bool) {
	if hi != 0 {
		return nil, false // physical addresses have at most 56 bits
	}
	return s.bus.Slice(lo, n)
}

func (s *SBI) dbcn(h *riscv.Hart, fid uint64) (int64, int64) {
	n, lo, hi := h.X[10], h.X[11], h.X[12]
	switch fid {
	case 0: // console_write
		if n == 0 {
			return Success, 0
		}
		p, ok := s.dbcnBuffer(n, lo, hi)
		if !ok {
			return ErrInvalidParam, 0
		}
		s.p.ConsoleWrite(p)
		return Success, int64(n)
	case 1: // console_read
		if n == 0 {
			return Success, 0
		}
		p, ok := s.dbcnBuffer(n, lo, hi)
		if !ok {
			return ErrInvalidParam, 0
		}
		got := s.p.ConsoleRead(p)
		got = max(0, min(got, len(p)))
		if got > 0 {
			s.bus.Invalidate(lo, uint64(got)) // the buffer may share a page with code
		}
		return Success, int64(got)
	case 2: // console_write_byte
		s.putc(byte(n))
		return Success, 0
	}
	return ErrNotSupported, 0
}

func (s *SBI) putc(c byte) {
	s.buf[0] = c
	s.p.ConsoleWrite(s.buf[:])
}
