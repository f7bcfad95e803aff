package sbi

import (
	"bytes"
	"encoding/binary"
	"testing"

	"strata/riscv"
)

// A tiny instruction encoder (as in riscv/asm_test.go).

func encI(opc, f3 uint32, rd, rs1 uint8, imm int32) uint32 {
	return uint32(imm)<<20 | uint32(rs1)<<15 | f3<<12 | uint32(rd)<<7 | opc
}

func addi(rd, rs1 uint8, imm int32) uint32 { return encI(0x13, 0, rd, rs1, imm) }
func ld(rd, rs1 uint8, imm int32) uint32   { return encI(0x03, 3, rd, rs1, imm) }
func lui(rd uint8, imm int32) uint32       { return uint32(imm)&0xfffff000 | uint32(rd)<<7 | 0x37 }

const insECALL = 0x00000073

// li loads a 32-bit signed constant into rd (lui + addi).
func li(rd uint8, v int32) []uint32 {
	lo := v << 20 >> 20
	return []uint32{lui(rd, v-lo), addi(rd, rd, lo)}
}

// Registers.
const (
	a0 = 10
	a1 = 11
	a2 = 12
	a3 = 13
	a6 = 16
	a7 = 17
	s0 = 8
)

const (
	ramBase = 0x8000_0000
	ramSize = 1 << 20
)

// fakePlatform records what the SBI asks of the board.
type fakePlatform struct {
	out    bytes.Buffer
	in     []byte
	now    uint64
	resets [][2]uint32
}

func (p *fakePlatform) ConsoleWrite(b []byte) { p.out.Write(b) }
func (p *fakePlatform) ConsoleRead(b []byte) int {
	n := copy(b, p.in)
	p.in = p.in[n:]
	return n
}
func (p *fakePlatform) Time() uint64 { return p.now }
func (p *fakePlatform) Shutdown(typ, reason uint32) {
	p.resets = append(p.resets, [2]uint32{typ, reason})
}

type machine struct {
	s     *SBI
	harts []*riscv.Hart
	p     *fakePlatform
	ram   *riscv.RAM
	bus   *riscv.Bus
}

// newMachine builds n harts (IDs 0..n-1) on 1 MiB of RAM at ramBase, wired
// the way a board wires them, hart 0 started.
func newMachine(t testing.TB, n int) *machine {
	t.Helper()
	m := &machine{p: &fakePlatform{}, bus: riscv.NewBus()}
	var err error
	if m.ram, err = m.bus.AddRAM(ramBase, ramSize); err != nil {
		t.Fatal(err)
	}
	var s *SBI
	for i := 0; i < n; i++ {
		m.harts = append(m.harts, riscv.NewHart(m.bus, riscv.Config{
			HartID:          uint64(i),
			Time:            m.p.Time,
			SupervisorEcall: func(h *riscv.Hart) { s.Handle(h) },
		}))
	}
	s = New(m.bus, m.harts, m.p)
	m.s = s
	for i, h := range m.harts {
		s.PrepareHart(h, i == 0)
		h.PC = ramBase
	}
	return m
}

// load writes instruction words at pa.
func (m *machine) load(pa uint64, prog ...uint32) {
	var b []byte
	for _, w := range prog {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	if err := m.bus.LoadBytes(pa, b); err != nil {
		panic(err)
	}
}

func (m *machine) put64(pa, v uint64) {
	binary.LittleEndian.PutUint64(m.ram.Data[pa-ramBase:], v)
}

// call performs an SBI call on hart h directly.
func (m *machine) call(h *riscv.Hart, eid, fid uint64, args ...uint64) (int64, uint64) {
	h.X[a7], h.X[a6] = eid, fid
	for i := 0; i < 6; i++ {
		h.X[a0+i] = 0
		if i < len(args) {
			h.X[a0+i] = args[i]
		}
	}
	m.s.Handle(h)
	return int64(h.X[a0]), h.X[a1]
}

func mip(h *riscv.Hart) uint64 { v, _ := h.CSR(riscv.CSRMip); return v }

func TestBase(t *testing.T) {
	m := newMachine(t, 1)
	h := m.harts[0]
	for _, c := range []struct {
		fid, arg, want uint64
	}{
		{0, 0, 2 << 24},
		{1, 0, ImplID},
		{2, 0, ImplVersion},
		{3, EIDTime, 1}, {3, EIDIPI, 1}, {3, EIDRfence, 1}, {3, EIDHSM, 1},
		{3, EIDSRST, 1}, {3, EIDDBCN, 1}, {3, EIDBase, 1}, {3, EIDLegacySetTimer, 1},
		{3, EIDLegacyShutdown, 1}, {3, 0x09, 0}, {3, 0x504D55, 0}, {3, 0x4E41434C, 0},
		{4, 0, 0}, {5, 0, 0}, {6, 0, 0},
	} {
		if e, v := m.call(h, EIDBase, c.fid, c.arg); e != Success || v != c.want {
			t.Errorf("base fid %d(%#x) = %d, %#x; want 0, %#x", c.fid, c.arg, e, v, c.want)
		}
	}
	if e, _ := m.call(h, EIDBase, 7); e != ErrNotSupported {
		t.Errorf("base fid 7 = %d", e)
	}
}

func TestUnknownExtensionsAndFunctions(t *testing.T) {
	m := newMachine(t, 1)
	h := m.harts[0]
	for _, c := range [][2]uint64{
		{0x09, 0}, {0x0f, 0}, {0x504D55, 0}, {1<<32 | EIDBase, 0}, {^uint64(0), 0},
		{EIDTime, 1}, {EIDIPI, 1}, {EIDRfence, 7}, {EIDHSM, 4}, {EIDSRST, 1}, {EIDDBCN, 3},
	} {
		if e, v := m.call(h, c[0], c[1]); e != ErrNotSupported || v != 0 {
			t.Errorf("eid %#x fid %d = %d, %d; want NOT_SUPPORTED", c[0], c[1], e, v)
		}
	}
}

func TestPrepareHart(t *testing.T) {
	m := newMachine(t, 2)
	for i, h := range m.harts {
		want := map[uint16]uint64{
			riscv.CSRMcounteren: 7,
			riscv.CSRMenvcfg:    1 << 63,
		}
		if i == 0 { // hart 1 is stopped, hence parked
			want[riscv.CSRSatp] = 0
			want[riscv.CSRMideleg] = riscv.MipSSIP | riscv.MipSTIP | riscv.MipSEIP
		}
		for n, w := range want {
			if v, _ := h.CSR(n); v != w {
				t.Errorf("hart %d csr %#x = %#x, want %#x", i, n, v, w)
			}
		}
		if h.Priv != riscv.PrivS {
			t.Errorf("hart %d priv %d", i, h.Priv)
		}
	}
	h := m.harts[0]
	deleg, _ := h.CSR(riscv.CSRMedeleg)
	if deleg>>riscv.CauseEcallS&1 != 0 || deleg>>riscv.CauseEcallU&1 == 0 ||
		deleg>>riscv.CauseStorePage&1 == 0 || deleg>>riscv.CauseIllegalInst&1 == 0 {
		t.Errorf("medeleg %#x", deleg)
	}
	if !m.s.Runnable(0) || m.s.Runnable(1) || m.s.Runnable(2) || m.s.Runnable(-1) {
		t.Errorf("runnable %v %v", m.s.Runnable(0), m.s.Runnable(1))
	}
	// PMP lets S-mode run: a program in RAM executes and loads.
	m.load(ramBase, addi(a2, 0, 5), ld(a3, s0, 0))
	h.X[s0] = ramBase
	h.Run(2)
	if h.X[a2] != 5 || h.X[a3] == 0 || h.PC != ramBase+8 {
		t.Fatalf("S-mode run: a2 %d a3 %#x pc %#x", h.X[a2], h.X[a3], h.PC)
	}
}

func TestEcallFromGuestProgram(t *testing.T) {
	m := newMachine(t, 1)
	h := m.harts[0]
	prog := li(a7, EIDDBCN)
	prog = append(prog, addi(a6, 0, 2), addi(a0, 0, 'H'), addi(a2, 0, 77), insECALL,
		addi(a3, a0, 100))
	m.load(ramBase, prog...)
	h.Run(int64(len(prog)))
	if m.p.out.String() != "H" || h.X[a0] != 0 || h.X[a2] != 77 || h.X[a3] != 100 ||
		h.PC != ramBase+4*uint64(len(prog)) {
		t.Fatalf("out %q a0 %d a2 %d a3 %d pc %#x", m.p.out.String(), h.X[a0], h.X[a2], h.X[a3], h.PC)
	}
	if c, _ := h.CSR(riscv.CSRMcause); c != 0 {
		t.Fatalf("ECALL trapped: mcause %d", c)
	}
}

func TestTimerSoftware(t *testing.T) {
	m := newMachine(t, 1)
	h := m.harts[0]
	h.SetCSR(riscv.CSRMenvcfg, 0) // no Sstc: the SBI's own timer
	h.SetPending(riscv.MipSTIP, true)
	m.p.now = 50
	if e, _ := m.call(h, EIDTime, 0, 100); e != Success {
		t.Fatalf("set_timer = %d", e)
	}
	if mip(h)&riscv.MipSTIP != 0 {
		t.Fatal("STIP not cleared by set_timer")
	}
	if d, ok := m.s.NextDeadline(); !ok || d != 100 {
		t.Fatalf("NextDeadline = %d, %v", d, ok)
	}
	m.p.now = 99
	m.s.Tick()
	if mip(h)&riscv.MipSTIP != 0 {
		t.Fatal("STIP before the deadline")
	}
	m.p.now = 100
	m.s.Tick()
	if mip(h)&riscv.MipSTIP == 0 {
		t.Fatal("no STIP at the deadline")
	}
	if _, ok := m.s.NextDeadline(); ok {
		t.Fatal("deadline still pending after firing")
	}
	// The guest clears STIP by programming the next event.
	m.call(h, EIDLegacySetTimer, 0, 200)
	if mip(h)&riscv.MipSTIP != 0 {
		t.Fatal("legacy set_timer left STIP")
	}
	// A deadline already passed fires at once; ^0 never does.
	m.call(h, EIDTime, 0, 10)
	if mip(h)&riscv.MipSTIP == 0 {
		t.Fatal("past deadline did not raise STIP")
	}
	m.call(h, EIDTime, 0, ^uint64(0))
	m.p.now = 1 << 62
	m.s.Tick()
	if mip(h)&riscv.MipSTIP != 0 {
		t.Fatal("infinite deadline fired")
	}
}

func TestTimerSstc(t *testing.T) {
	m := newMachine(t, 1)
	h := m.harts[0]
	m.p.now = 50
	if mip(h)&riscv.MipSTIP != 0 {
		t.Fatal("STIP pending after PrepareHart")
	}
	m.call(h, EIDTime, 0, 100)
	if v, _ := h.CSR(riscv.CSRStimecmp); v != 100 {
		t.Fatalf("stimecmp = %d", v)
	}
	if mip(h)&riscv.MipSTIP != 0 {
		t.Fatal("STIP before the deadline")
	}
	if _, ok := m.s.NextDeadline(); ok {
		t.Fatal("deadline reported with STIE off")
	}
	h.SetCSR(riscv.CSRMie, riscv.MipSTIP)
	if d, ok := m.s.NextDeadline(); !ok || d != 100 {
		t.Fatalf("NextDeadline = %d, %v", d, ok)
	}
	m.p.now = 100
	if mip(h)&riscv.MipSTIP == 0 {
		t.Fatal("no STIP at the deadline")
	}
	// A timer interrupt reaches the guest's handler in S-mode.
	m.load(ramBase, addi(0, 0, 0), addi(0, 0, 0))
	m.load(ramBase+0x100, addi(0, 0, 0))
	h.SetCSR(riscv.CSRStvec, ramBase+0x100)
	h.SetCSR(riscv.CSRSstatus, 2) // SIE
	h.Run(1)
	if c, _ := h.CSR(riscv.CSRScause); c != 1<<63|riscv.IntSTI || h.Priv != riscv.PrivS {
		t.Fatalf("scause %#x priv %d", c, h.Priv)
	}
}

func TestIPI(t *testing.T) {
	m := newMachine(t, 4)
	ssip := func() (v [4]bool) {
		for i, h := range m.harts {
			v[i] = mip(h)&riscv.MipSSIP != 0
			h.SetPending(riscv.MipSSIP, false)
		}
		return
	}
	h := m.harts[0]
	for _, c := range []struct {
		mask, base uint64
		err        int64
		want       [4]bool
	}{
		{0b1010, 0, Success, [4]bool{false, true, false, true}},
		{0, ^uint64(0), Success, [4]bool{true, true, true, true}},
		{0b11, 2, Success, [4]bool{false, false, true, true}},
		{0b1, 0, Success, [4]bool{true, false, false, false}},
		{0, 0, Success, [4]bool{}},
		{0b10001, 0, ErrInvalidParam, [4]bool{}}, // hart 4 does not exist
		{0b1, 4, ErrInvalidParam, [4]bool{}},
		{0b1, 1 << 40, ErrInvalidParam, [4]bool{}},
		{0b100, ^uint64(1), ErrInvalidParam, [4]bool{}}, // wraps to hart 0
	} {
		e, _ := m.call(h, EIDIPI, 0, c.mask, c.base)
		if got := ssip(); e != c.err || got != c.want {
			t.Errorf("send_ipi(%#b, %#x) = %d, SSIP %v; want %d, %v", c.mask, c.base, e, got, c.err, c.want)
		}
	}
}

// sv39 sets up hart h with Sv39: RAM identity-mapped by a gigapage, and
// the 4 KiB page at VA 0x4000_0000 mapped to physical page pa. It returns
// the physical address of that page's leaf PTE.
func (m *machine) sv39(h *riscv.Hart, pa uint64) uint64 {
	const root, l1, l0 = ramBase + 0x10000, ramBase + 0x11000, ramBase + 0x12000
	const leaf = 0xcf // D A X W R V
	m.put64(root+2*8, ramBase>>12<<10|leaf)
	m.put64(root+1*8, l1>>12<<10|1)
	m.put64(l1, l0>>12<<10|1)
	m.put64(l0, pa>>12<<10|leaf)
	h.SetCSR(riscv.CSRSatp, 8<<60|root>>12)
	return l0
}

func TestRfenceFlushesTLB(t *testing.T) {
	m := newMachine(t, 2)
	h0, h1 := m.harts[0], m.harts[1]
	const pageA, pageB = ramBase + 0x20000, ramBase + 0x21000
	m.put64(pageA, 0xaaaa)
	m.put64(pageB, 0xbbbb)
	if e, _ := m.call(h0, EIDHSM, 0, 1, ramBase+0x1000, 0); e != Success {
		t.Fatalf("hart_start = %d", e)
	}
	m.load(ramBase+0x1000, ld(a2, s0, 0))
	pte := m.sv39(h1, pageA)
	run := func() uint64 {
		h1.PC, h1.X[s0], h1.X[a2] = ramBase+0x1000, 0x4000_0000, 0
		h1.Run(1)
		return h1.X[a2]
	}
	if v := run(); v != 0xaaaa {
		t.Fatalf("load through page table = %#x", v)
	}
	m.put64(pte, pageB>>12<<10|0xcf)
	if v := run(); v != 0xaaaa {
		t.Fatalf("stale TLB expected before the fence, got %#x", v)
	}
	// A fence for hart 0 only leaves hart 1's TLB alone.
	m.call(h0, EIDRfence, 1, 0b1, 0, 0, 0)
	if v := run(); v != 0xaaaa {
		t.Fatalf("fence of another hart flushed hart 1: %#x", v)
	}
	if e, _ := m.call(h0, EIDRfence, 1, 0b10, 0, 0x4000_0000, 4096); e != Success {
		t.Fatalf("remote_sfence_vma = %d", e)
	}
	if v := run(); v != 0xbbbb {
		t.Fatalf("remote_sfence_vma did not flush: %#x", v)
	}
	m.put64(pte, pageA>>12<<10|0xcf)
	if e, _ := m.call(h0, EIDRfence, 2, 0, ^uint64(0), 0, 0, 1); e != Success {
		t.Fatalf("remote_sfence_vma_asid = %d", e)
	}
	if v := run(); v != 0xaaaa {
		t.Fatalf("remote_sfence_vma_asid did not flush: %#x", v)
	}
	if e, _ := m.call(h0, EIDRfence, 0, 0b11, 0); e != Success {
		t.Fatalf("remote_fence_i = %d", e)
	}
	for fid := uint64(3); fid <= 6; fid++ {
		if e, _ := m.call(h0, EIDRfence, fid, 0b1, 0); e != ErrNotSupported {
			t.Errorf("hypervisor fence fid %d = %d", fid, e)
		}
	}
	if e, _ := m.call(h0, EIDRfence, 1, 0b100, 0, 0, 0); e != ErrInvalidParam {
		t.Errorf("fence to hart 2 = %d", e)
	}
}

// hsmProg is a hart's entry code: a2 = 5, then hart_stop, then a3 = 9
// (which must never run).
func hsmProg() []uint32 {
	p := []uint32{addi(a2, 0, 5)}
	p = append(p, li(a7, EIDHSM)...)
	return append(p, addi(a6, 0, 1), insECALL, addi(a3, 0, 9), addi(a3, 0, 9))
}

func TestHSM(t *testing.T) {
	m := newMachine(t, 2)
	h0, h1 := m.harts[0], m.harts[1]
	const entry = ramBase + 0x2000
	m.load(entry, hsmProg()...)
	status := func(id uint64) uint64 {
		e, v := m.call(h0, EIDHSM, 2, id)
		if e != Success {
			t.Fatalf("get_status(%d) = %d", id, e)
		}
		return v
	}
	if status(0) != HartStarted || status(1) != HartStopped {
		t.Fatalf("initial status %d %d", status(0), status(1))
	}
	if e, _ := m.call(h0, EIDHSM, 2, 2); e != ErrInvalidParam {
		t.Fatalf("get_status(2) = %d", e)
	}
	// A stopped hart that is run anyway executes nothing.
	h1.PC = entry
	h1.Run(50)
	if h1.X[a2] != 0 {
		t.Fatal("a stopped hart executed code")
	}
	for _, c := range []struct {
		id, addr uint64
		want     int64
	}{
		{0, entry, ErrAlreadyAvail},
		{2, entry, ErrInvalidParam},
		{^uint64(0), entry, ErrInvalidParam},
		{1, 0x1000, ErrInvalidAddress},
		{1, ramBase + ramSize, ErrInvalidAddress},
		{1, entry + 1, ErrInvalidAddress},
	} {
		if e, _ := m.call(h0, EIDHSM, 0, c.id, c.addr, 0); e != c.want {
			t.Errorf("hart_start(%d, %#x) = %d, want %d", c.id, c.addr, e, c.want)
		}
	}
	for round := 0; round < 2; round++ {
		h1.X[a2], h1.X[a3] = 0, 0
		h1.SetCSR(riscv.CSRMstatus, 2) // SIE, which hart_start must clear
		if e, _ := m.call(h0, EIDHSM, 0, 1, entry, 0xabc); e != Success {
			t.Fatalf("round %d: hart_start = %d", round, e)
		}
		sstatus, _ := h1.CSR(riscv.CSRSstatus)
		satp, _ := h1.CSR(riscv.CSRSatp)
		if h1.PC != entry || h1.X[a0] != 1 || h1.X[a1] != 0xabc || h1.Priv != riscv.PrivS ||
			satp != 0 || sstatus&2 != 0 {
			t.Fatalf("started hart: pc %#x a0 %d a1 %#x priv %d satp %#x sstatus %#x",
				h1.PC, h1.X[a0], h1.X[a1], h1.Priv, satp, sstatus)
		}
		if status(1) != HartStarted || !m.s.Runnable(1) {
			t.Fatal("hart 1 not started")
		}
		if e, _ := m.call(h0, EIDHSM, 0, 1, entry, 0); e != ErrAlreadyAvail {
			t.Fatalf("second hart_start = %d", e)
		}
		h1.Run(100) // runs to hart_stop, then must execute nothing more
		if h1.X[a2] != 5 || h1.X[a3] != 0 {
			t.Fatalf("round %d: a2 %d a3 %d after hart_stop", round, h1.X[a2], h1.X[a3])
		}
		if status(1) != HartStopped || m.s.Runnable(1) {
			t.Fatalf("round %d: hart 1 status %d after hart_stop", round, status(1))
		}
		h1.Run(100)
		if h1.X[a3] != 0 {
			t.Fatal("stopped hart ran on")
		}
	}
}

func TestHartSuspend(t *testing.T) {
	m := newMachine(t, 1)
	h := m.harts[0]
	for _, c := range []struct {
		typ  uint64
		want int64
	}{
		{0, Success},
		{0x8000_0000, ErrNotSupported},
		{1, ErrInvalidParam},
		{0x1000_0000, ErrInvalidParam},
		{0x9000_0000, ErrInvalidParam},
	} {
		if e, _ := m.call(h, EIDHSM, 3, c.typ, ramBase, 0); e != c.want {
			t.Errorf("hart_suspend(%#x) = %d, want %d", c.typ, e, c.want)
		}
	}
	if !m.s.Runnable(0) {
		t.Fatal("retentive suspend left the hart not runnable")
	}
}

func TestSystemReset(t *testing.T) {
	for _, c := range []struct {
		eid, typ, reason uint64
		err              int64
		want             [][2]uint32
	}{
		{EIDSRST, ResetShutdown, ReasonNone, Success, [][2]uint32{{0, 0}}},
		{EIDSRST, ResetColdReboot, ReasonSystemFailure, Success, [][2]uint32{{1, 1}}},
		{EIDSRST, ResetWarmReboot, 0, Success, [][2]uint32{{2, 0}}},
		{EIDSRST, 3, 0, ErrInvalidParam, nil},
		{EIDSRST, 0xf000_0000, 0, ErrInvalidParam, nil},
		{EIDSRST, 0, 2, ErrInvalidParam, nil},
		{EIDSRST, 0, 0xe000_0000, ErrInvalidParam, nil},
		{EIDLegacyShutdown, 0, 0, Success, [][2]uint32{{0, 0}}},
	} {
		m := newMachine(t, 2)
		h := m.harts[0]
		m.call(h, EIDHSM, 0, 1, ramBase, 0)
		e, _ := m.call(h, c.eid, 0, c.typ, c.reason)
		if e != c.err || len(m.p.resets) != len(c.want) || (len(c.want) > 0 && m.p.resets[0] != c.want[0]) {
			t.Errorf("reset eid %#x (%#x, %#x) = %d, callbacks %v; want %d, %v",
				c.eid, c.typ, c.reason, e, m.p.resets, c.err, c.want)
		}
		if (e == Success) == (m.s.Runnable(0) || m.s.Runnable(1)) {
			t.Errorf("reset eid %#x (%#x): runnable %v %v", c.eid, c.typ, m.s.Runnable(0), m.s.Runnable(1))
		}
	}
	// From a program: the call does not return to the guest.
	m := newMachine(t, 1)
	h := m.harts[0]
	prog := li(a7, EIDSRST)
	prog = append(prog, addi(a6, 0, 0), addi(a0, 0, 0), addi(a1, 0, 0), insECALL, addi(a3, 0, 9))
	m.load(ramBase, prog...)
	h.Run(100)
	if len(m.p.resets) != 1 || h.X[a3] != 0 {
		t.Fatalf("resets %v a3 %d", m.p.resets, h.X[a3])
	}
}

func TestDebugConsole(t *testing.T) {
	m := newMachine(t, 1)
	h := m.harts[0]
	copy(m.ram.Data[0x3000:], "hello, world")
	if e, v := m.call(h, EIDDBCN, 0, 5, ramBase+0x3000, 0); e != Success || v != 5 || m.p.out.String() != "hello" {
		t.Fatalf("console_write = %d, %d, out %q", e, v, m.p.out.String())
	}
	for _, c := range [][3]uint64{
		{16, ramBase + ramSize - 8, 0}, // runs past the end of RAM
		{1, 0x1000_0000, 0},            // not RAM
		{1, ramBase, 1},                // base_addr_hi set
		{^uint64(0), ramBase, 0},
		{2, ^uint64(0), 0}, // wraps around
		{1, ramBase + ramSize, 0},
	} {
		for fid := uint64(0); fid <= 1; fid++ {
			if e, v := m.call(h, EIDDBCN, fid, c[0], c[1], c[2]); e != ErrInvalidParam || v != 0 {
				t.Errorf("fid %d (%#x, %#x, %#x) = %d, %d; want INVALID_PARAM", fid, c[0], c[1], c[2], e, v)
			}
		}
	}
	if m.p.out.String() != "hello" {
		t.Fatalf("bad writes produced output: %q", m.p.out.String())
	}
	if e, v := m.call(h, EIDDBCN, 0, 8, ramBase+ramSize-8, 0); e != Success || v != 8 {
		t.Fatalf("write ending at the end of RAM = %d, %d", e, v)
	}
	if e, _ := m.call(h, EIDDBCN, 2, 'Z'|0x100); e != Success || m.p.out.Bytes()[m.p.out.Len()-1] != 'Z' {
		t.Fatalf("console_write_byte = %d", e)
	}
	// console_read: nothing pending, then two bytes into an 8-byte buffer.
	if e, v := m.call(h, EIDDBCN, 1, 8, ramBase+0x4000, 0); e != Success || v != 0 {
		t.Fatalf("empty console_read = %d, %d", e, v)
	}
	m.p.in = []byte("xy")
	if e, v := m.call(h, EIDDBCN, 1, 8, ramBase+0x4000, 0); e != Success || v != 2 ||
		string(m.ram.Data[0x4000:0x4003]) != "xy\x00" {
		t.Fatalf("console_read = %d, %d, buffer %q", e, v, m.ram.Data[0x4000:0x4003])
	}
	// Bytes read over code that already ran replace the decoded instruction.
	m.load(ramBase+0x5000, addi(a2, 0, 1))
	h.PC = ramBase + 0x5000
	h.Run(1)
	m.p.in = binary.LittleEndian.AppendUint32(nil, addi(a2, 0, 2))
	m.call(h, EIDDBCN, 1, 4, ramBase+0x5000, 0)
	h.PC = ramBase + 0x5000
	h.Run(1)
	if h.X[a2] != 2 {
		t.Fatalf("console_read over code: a2 = %d, want 2", h.X[a2])
	}
}

func TestLegacyConsoleAndIPI(t *testing.T) {
	m := newMachine(t, 3)
	h := m.harts[0]
	legacy := func(eid uint64, args ...uint64) int64 {
		h.X[a7], h.X[a6], h.X[a1] = eid, 99, 0x55
		copy(h.X[a0:], args)
		m.s.Handle(h)
		e, v := int64(h.X[a0]), h.X[a1]
		if v != 0x55 && len(args) < 2 {
			t.Errorf("legacy eid %d changed a1 to %#x", eid, v)
		}
		return e
	}
	if legacy(EIDLegacyPutchar, 'A') != 0 || legacy(EIDLegacyPutchar, 'b') != 0 || m.p.out.String() != "Ab" {
		t.Fatalf("putchar: out %q", m.p.out.String())
	}
	if c := legacy(EIDLegacyGetchar); c != -1 {
		t.Fatalf("getchar with no input = %d", c)
	}
	m.p.in = []byte{'q', 0xff}
	if c := legacy(EIDLegacyGetchar); c != 'q' {
		t.Fatalf("getchar = %d", c)
	}
	if c := legacy(EIDLegacyGetchar); c != 0xff {
		t.Fatalf("getchar of 0xff = %d", c)
	}
	h.SetPending(riscv.MipSSIP, true)
	if legacy(EIDLegacyClearIPI) != 1 || mip(h)&riscv.MipSSIP != 0 || legacy(EIDLegacyClearIPI) != 0 {
		t.Fatal("clear_ipi")
	}
	ssip := func() (v [3]bool) {
		for i, h := range m.harts {
			v[i] = mip(h)&riscv.MipSSIP != 0
			h.SetPending(riscv.MipSSIP, false)
		}
		return
	}
	// Mask in RAM, satp bare.
	const maskPA = ramBase + 0x6000
	m.put64(maskPA, 0b110)
	if e := legacy(EIDLegacySendIPI, maskPA); e != 0 || ssip() != [3]bool{false, true, true} {
		t.Fatalf("send_ipi via mask in RAM = %d", e)
	}
	if e := legacy(EIDLegacySendIPI, 0); e != 0 || ssip() != [3]bool{true, true, true} {
		t.Fatalf("send_ipi with a null mask = %d", e)
	}
	m.put64(maskPA, 0b1001)
	if e := legacy(EIDLegacySendIPI, maskPA); e != ErrInvalidParam || ssip() != [3]bool{} {
		t.Fatalf("send_ipi naming hart 3 = %d", e)
	}
	for _, va := range []uint64{0x1000_0000, maskPA + 4, ramBase + ramSize} {
		if e := legacy(EIDLegacySendIPI, va); e != ErrInvalidAddress || ssip() != [3]bool{} {
			t.Fatalf("send_ipi with mask at %#x = %d", va, e)
		}
	}
	// Through Sv39: the mask's virtual page maps to another physical page.
	const pagePA = ramBase + 0x7000
	m.put64(pagePA+8, 0b1)
	pte := m.sv39(h, pagePA)
	if e := legacy(EIDLegacySendIPI, 0x4000_0008); e != 0 || ssip() != [3]bool{true, false, false} {
		t.Fatalf("send_ipi via Sv39 = %d", e)
	}
	if e := legacy(EIDLegacySendIPI, 0x5000_0000); e != ErrInvalidAddress {
		t.Fatalf("send_ipi via an unmapped VA = %d", e)
	}
	m.put64(pte, pagePA>>12<<10|0xdf) // a U page: needs SUM
	if e := legacy(EIDLegacySendIPI, 0x4000_0008); e != ErrInvalidAddress {
		t.Fatalf("send_ipi via a U page without SUM = %d", e)
	}
	h.SetCSR(riscv.CSRSstatus, 1<<18)
	if e := legacy(EIDLegacySendIPI, 0x4000_0008); e != 0 || ssip() != [3]bool{true, false, false} {
		t.Fatalf("send_ipi via a U page with SUM = %d", e)
	}
	for _, eid := range []uint64{EIDLegacyRemoteFenceI, EIDLegacyRemoteSfence, EIDLegacyRemoteSfenceID} {
		if e := legacy(eid, 0x4000_0008, 0, 0, 0); e != 0 {
			t.Errorf("legacy fence %d = %d", eid, e)
		}
	}
}

// validResult reports whether a0 after a call is a result the SBI may give:
// a standard error code, or for the legacy getchar a byte or -1.
func validResult(eid uint64, a0 int64) bool {
	if eid == EIDLegacyGetchar || eid == EIDLegacyClearIPI {
		return a0 >= -1 && a0 <= 0xff
	}
	return a0 <= 0 && a0 >= lowestStandardCode
}

var fuzzEIDs = []uint64{EIDBase, EIDTime, EIDIPI, EIDRfence, EIDHSM, EIDSRST, EIDDBCN,
	0, 1, 2, 3, 4, 5, 6, 7, 8}

func FuzzHandle(f *testing.F) {
	f.Add(uint8(0), uint64(3), uint64(EIDHSM), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0))
	f.Add(uint8(4), uint64(0), uint64(0), uint64(1), uint64(ramBase), uint64(0), uint64(0), uint64(0), uint64(0))
	f.Add(uint8(6), uint64(0), uint64(0), uint64(16), uint64(ramBase+ramSize-8), uint64(0), uint64(0), uint64(0), uint64(0))
	f.Add(uint8(6), uint64(1), uint64(0), uint64(1<<63), uint64(ramBase), uint64(0), uint64(0), uint64(0), uint64(0))
	f.Add(uint8(2), uint64(0), uint64(0), uint64(0b111), uint64(^uint64(0)), uint64(0), uint64(0), uint64(0), uint64(0))
	f.Add(uint8(11), uint64(0), uint64(0), uint64(ramBase), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0))
	f.Add(uint8(5), uint64(0), uint64(0), uint64(1), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0))
	f.Add(uint8(200), uint64(0), uint64(0x4442434E), uint64(1), uint64(2), uint64(3), uint64(4), uint64(5), uint64(6))
	f.Fuzz(func(t *testing.T, pick uint8, fid, eid, r0, r1, r2, r3, r4, r5 uint64) {
		m := newMachine(t, 3)
		m.p.in = []byte("in")
		if int(pick) < len(fuzzEIDs) {
			eid = fuzzEIDs[pick]
		}
		for _, h := range []*riscv.Hart{m.harts[0], m.harts[0], m.harts[1]} {
			if pick&0x80 != 0 {
				m.sv39(h, ramBase+0x7000)
			}
			h.X[a1] = r1
			e, _ := m.call(h, eid, fid, r0, r1, r2, r3, r4, r5)
			if !validResult(eid, e) {
				t.Fatalf("eid %#x fid %#x (%#x %#x %#x): a0 = %d", eid, fid, r0, r1, r2, e)
			}
			h.Run(20) // whatever state the call left must be runnable
		}
		m.s.Tick()
		m.s.NextDeadline()
	})
}
