package riscv

import (
	"encoding/binary"
	"math"
	"testing"
)

// exec1 runs a single instruction with the given register values and
// returns the hart afterwards.
func exec1(t *testing.T, ins uint32, regs map[uint8]uint64) *Hart {
	t.Helper()
	h := machine(t, ins)
	for r, v := range regs {
		h.X[r] = v
	}
	h.Run(1)
	return h
}

func TestIntegerOps(t *testing.T) {
	const a, b, c = 10, 11, 12 // a0, a1, a2
	min64 := uint64(1) << 63
	tests := []struct {
		name   string
		ins    uint32
		x1, x2 uint64
		want   uint64
	}{
		{"add", add(c, a, b), 5, 7, 12},
		{"add wraps", add(c, a, b), ^uint64(0), 2, 1},
		{"sub", encR(0x33, 0, 0x20, c, a, b), 5, 7, ^uint64(1)},
		{"sll by 63", encR(0x33, 1, 0, c, a, b), 1, 63, min64},
		{"sll uses low 6 bits", encR(0x33, 1, 0, c, a, b), 1, 64 + 4, 16},
		{"slt signed", encR(0x33, 2, 0, c, a, b), ^uint64(0), 0, 1},
		{"sltu unsigned", encR(0x33, 3, 0, c, a, b), ^uint64(0), 0, 0},
		{"sra", encR(0x33, 5, 0x20, c, a, b), min64, 63, ^uint64(0)},
		{"srl", encR(0x33, 5, 0, c, a, b), min64, 63, 1},
		{"addw sign-extends", encR(0x3b, 0, 0, c, a, b), 0x7fffffff, 1, 0xffffffff80000000},
		{"subw", encR(0x3b, 0, 0x20, c, a, b), 0, 1, ^uint64(0)},
		{"sllw by 31", encR(0x3b, 1, 0, c, a, b), 1, 31, 0xffffffff80000000},
		{"srlw of negative", encR(0x3b, 5, 0, c, a, b), 0xffffffff80000000, 31, 1},
		{"sraw", encR(0x3b, 5, 0x20, c, a, b), 0x80000000, 31, ^uint64(0)},
		{"addiw", encI(0x1b, 0, c, a, -1), 0, 0, ^uint64(0)},
		{"slliw", encI(0x1b, 1, c, a, 31), 1, 0, 0xffffffff80000000},
		{"sraiw", encI(0x1b, 5, c, a, 0x400|4), 0x80000000, 0, 0xfffffffff8000000},
		{"srai 63", encI(0x13, 5, c, a, 0x400|63), min64, 0, ^uint64(0)},
		{"sltiu -1", encI(0x13, 3, c, a, -1), 5, 0, 1},
		{"xori -1 is not", encI(0x13, 4, c, a, -1), 0x0f, 0, ^uint64(0x0f)},
		{"lui sign-extends", lui(c, -0x80000000), 0, 0, 0xffffffff80000000},
		{"mul", mul(c, a, b), 7, 6, 42},
		{"mulh", encR(0x33, 1, 1, c, a, b), ^uint64(0), ^uint64(0), 0},
		{"mulh min*min", encR(0x33, 1, 1, c, a, b), min64, min64, 1 << 62},
		{"mulhsu -1*max", encR(0x33, 2, 1, c, a, b), ^uint64(0), ^uint64(0), ^uint64(0)},
		{"mulhu", encR(0x33, 3, 1, c, a, b), ^uint64(0), ^uint64(0), ^uint64(1)},
		{"div by zero", encR(0x33, 4, 1, c, a, b), 5, 0, ^uint64(0)},
		{"div overflow", encR(0x33, 4, 1, c, a, b), min64, ^uint64(0), min64},
		{"div rounds toward zero", encR(0x33, 4, 1, c, a, b), uint64(math.MaxUint64 - 6), 2, ^uint64(2)},
		{"divu by zero", encR(0x33, 5, 1, c, a, b), 5, 0, ^uint64(0)},
		{"rem by zero", encR(0x33, 6, 1, c, a, b), 5, 0, 5},
		{"rem overflow", encR(0x33, 6, 1, c, a, b), min64, ^uint64(0), 0},
		{"rem sign follows dividend", encR(0x33, 6, 1, c, a, b), ^uint64(6), 2, ^uint64(0)},
		{"remu by zero", encR(0x33, 7, 1, c, a, b), 5, 0, 5},
		{"mulw", encR(0x3b, 0, 1, c, a, b), 0x10000, 0x10000, 0},
		{"divw overflow", encR(0x3b, 4, 1, c, a, b), 0x80000000, 0xffffffff, 0xffffffff80000000},
		{"divw by zero", encR(0x3b, 4, 1, c, a, b), 1, 0, ^uint64(0)},
		{"divuw", encR(0x3b, 5, 1, c, a, b), 0xffffffff, 1, ^uint64(0)},
		{"remw overflow", encR(0x3b, 6, 1, c, a, b), 0x80000000, 0xffffffff, 0},
		{"remuw by zero", encR(0x3b, 7, 1, c, a, b), 0x80000000, 0, 0xffffffff80000000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := exec1(t, tc.ins, map[uint8]uint64{a: tc.x1, b: tc.x2})
			if got := h.X[c]; got != tc.want {
				t.Errorf("got %#x, want %#x", got, tc.want)
			}
			if h.Instret() != 1 {
				t.Errorf("instret = %d, want 1", h.Instret())
			}
		})
	}
}

func TestX0StaysZero(t *testing.T) {
	h := exec1(t, addi(0, 0, 5), nil)
	if h.X[0] != 0 {
		t.Fatalf("x0 = %d", h.X[0])
	}
}

func TestLoadsStoresAndMisaligned(t *testing.T) {
	h := machine(t,
		sd(11, 10, 0),            // sd a1, 0(a0)
		encI(0x03, 0, 12, 10, 7), // lb a2, 7(a0)
		encI(0x03, 4, 13, 10, 7), // lbu a3, 7(a0)
		encI(0x03, 2, 14, 10, 3), // lw a4, 3(a0)  (misaligned, in hardware)
		encI(0x03, 6, 15, 10, 4), // lwu a5, 4(a0)
		sd(11, 16, 0),            // sd a1, 0(a6): misaligned across a page boundary
		ld(17, 16, 0),            // ld a7, 0(a6)
	)
	h.X[10] = testRAM + 0x1000
	h.X[11] = 0x8877665544332211
	h.X[16] = testRAM + 0x2ffc
	h.Run(7)
	want := map[uint8]uint64{12: 0xffffffffffffff88, 13: 0x88, 14: 0x77665544, 15: 0x88776655, 17: 0x8877665544332211}
	for r, v := range want {
		if h.X[r] != v {
			t.Errorf("x%d = %#x, want %#x", r, h.X[r], v)
		}
	}
	if h.mcause != 0 || h.Instret() != 7 {
		t.Errorf("mcause %d, instret %d", h.mcause, h.Instret())
	}
}

func TestAtomics(t *testing.T) {
	amo := func(f5, f3 uint32, rd, rs1, rs2 uint8) uint32 { return encR(0x2f, f3, f5<<2, rd, rs1, rs2) }
	tests := []struct {
		name      string
		ins       uint32
		mem, src  uint64
		wantRd    uint64
		wantMem   uint64
		memDouble bool
	}{
		{"amoadd.w wraps and sign-extends", amo(0, 2, 12, 10, 11), 0x7fffffff, 1, 0x7fffffff, 0x80000000, false},
		{"amoswap.d", amo(1, 3, 12, 10, 11), 5, 9, 5, 9, true},
		{"amoxor.w", amo(4, 2, 12, 10, 11), 0xf0f0f0f0, 0xffffffff, 0xfffffffff0f0f0f0, 0x0f0f0f0f, false},
		{"amoand.d", amo(12, 3, 12, 10, 11), 0xff00, 0x0ff0, 0xff00, 0x0f00, true},
		{"amoor.w", amo(8, 2, 12, 10, 11), 1, 2, 1, 3, false},
		{"amomin.w signed", amo(16, 2, 12, 10, 11), 0x80000000, 1, 0xffffffff80000000, 0x80000000, false},
		{"amomax.w signed", amo(20, 2, 12, 10, 11), 0x80000000, 1, 0xffffffff80000000, 1, false},
		{"amominu.w", amo(24, 2, 12, 10, 11), 0x80000000, 1, 0xffffffff80000000, 1, false},
		{"amomaxu.d", amo(28, 3, 12, 10, 11), 1 << 63, 1, 1 << 63, 1 << 63, true},
		{"amomin.d", amo(16, 3, 12, 10, 11), ^uint64(0), 0, ^uint64(0), ^uint64(0), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := machine(t, tc.ins)
			data := h.bus.rams[0].Data[0x1000:]
			binary.LittleEndian.PutUint64(data, tc.mem)
			h.X[10], h.X[11] = testRAM+0x1000, tc.src
			h.Run(1)
			if h.X[12] != tc.wantRd {
				t.Errorf("rd = %#x, want %#x", h.X[12], tc.wantRd)
			}
			got := binary.LittleEndian.Uint64(data)
			if !tc.memDouble {
				got &= 0xffffffff
			}
			if got != tc.wantMem {
				t.Errorf("mem = %#x, want %#x", got, tc.wantMem)
			}
		})
	}
}

func TestLRSC(t *testing.T) {
	lrd := encR(0x2f, 3, 2<<2, 12, 10, 0)
	scd := func(rd uint8) uint32 { return encR(0x2f, 3, 3<<2, rd, 10, 11) }
	h := machine(t,
		scd(13),  // sc without reservation: fails
		lrd,      // lr.d a2, (a0)
		scd(14),  // succeeds
		scd(15),  // reservation consumed: fails
		lrd,      // lr.d
		insECALL, // trap clears the reservation; handler returns here+4
		scd(16),  // fails
	)
	// mtvec: a handler at +0x100 that skips the ecall.
	handler := []uint32{csrrs(5, CSRMepc, 0), addi(5, 5, 4), csrrw(0, CSRMepc, 5), insMRET}
	for i, w := range handler {
		binary.LittleEndian.PutUint32(h.bus.rams[0].Data[0x100+4*i:], w)
	}
	h.mtvec = testRAM + 0x100
	h.X[10], h.X[11] = testRAM+0x1000, 42
	h.Run(7 + 4)
	if h.X[13] != 1 || h.X[14] != 0 || h.X[15] != 1 || h.X[16] != 1 {
		t.Errorf("sc results %d %d %d %d, want 1 0 1 1", h.X[13], h.X[14], h.X[15], h.X[16])
	}
	if v := binary.LittleEndian.Uint64(h.bus.rams[0].Data[0x1000:]); v != 42 {
		t.Errorf("memory = %d, want 42", v)
	}
}

func TestLRSCBrokenByOtherHart(t *testing.T) {
	b := NewBus()
	r, _ := b.AddRAM(testRAM, 1<<20)
	prog0 := []uint32{encR(0x2f, 3, 2<<2, 12, 10, 0), encR(0x2f, 3, 3<<2, 13, 10, 11)}
	for i, w := range prog0 {
		binary.LittleEndian.PutUint32(r.Data[4*i:], w)
	}
	binary.LittleEndian.PutUint32(r.Data[0x100:], sd(11, 10, 0))
	h0, h1 := NewHart(b, Config{}), NewHart(b, Config{HartID: 1})
	h0.PC, h1.PC = testRAM, testRAM+0x100
	for _, h := range []*Hart{h0, h1} {
		h.X[10], h.X[11] = testRAM+0x1000, 7
	}
	// Warm hart 1's TLB on the page first so its store would be on the fast path.
	h1.store(testRAM+0x1008, 8, 0)
	h0.Run(1) // lr.d
	h1.Run(1) // other hart stores to the reserved granule
	h0.Run(1) // sc.d must fail
	if h0.X[13] != 1 {
		t.Fatalf("sc.d after another hart's store returned %d, want 1 (failure)", h0.X[13])
	}
}

func TestCompressedExpansion(t *testing.T) {
	tests := []struct {
		c    uint16
		want Inst
	}{
		{0x4501, Inst{Op: OpADDI, Rd: 10, Rs1: 0, Imm: 0}},   // c.li a0,0
		{0x1141, Inst{Op: OpADDI, Rd: 2, Rs1: 2, Imm: -16}},  // c.addi sp,sp,-16
		{0xe406, Inst{Op: OpSD, Rs1: 2, Rs2: 1, Imm: 8}},     // c.sdsp ra,8(sp)
		{0x60a2, Inst{Op: OpLD, Rd: 1, Rs1: 2, Imm: 8}},      // c.ldsp ra,8(sp)
		{0x8082, Inst{Op: OpJALR, Rd: RegSink, Rs1: 1}},      // c.jr ra (ret)
		{0x852e, Inst{Op: OpADD, Rd: 10, Rs1: 0, Rs2: 11}},   // c.mv a0,a1
		{0x9002, Inst{Op: OpEBREAK}},                         // c.ebreak
		{0x6105, Inst{Op: OpADDI, Rd: 2, Rs1: 2, Imm: 32}},   // c.addi16sp sp,32
		{0x0808, Inst{Op: OpADDI, Rd: 10, Rs1: 2, Imm: 16}},  // c.addi4spn a0,sp,16
		{0x2505, Inst{Op: OpADDIW, Rd: 10, Rs1: 10, Imm: 1}}, // c.addiw a0,1
		{0x6505, Inst{Op: OpLUI, Rd: 10, Imm: 0x1000}},       // c.lui a0,1
		{0x8d0d, Inst{Op: OpSUB, Rd: 10, Rs1: 10, Rs2: 11}},  // c.sub a0,a1
		{0x9d2d, Inst{Op: OpADDW, Rd: 10, Rs1: 10, Rs2: 11}}, // c.addw a0,a1
		{0x0000, Inst{Op: OpIllegal}},                        // all zeros
		{0x4000, Inst{Op: OpLW, Rd: 8, Rs1: 8, Imm: 0}},      // c.lw s0,0(s0)
	}
	for _, tc := range tests {
		got := Decode(uint32(tc.c))
		tc.want.Len, tc.want.Raw = 2, uint32(tc.c)
		if got != tc.want {
			t.Errorf("Decode(%#04x) = %+v, want %+v", tc.c, got, tc.want)
		}
	}
}

func TestMinstretExact(t *testing.T) {
	h := machine(t,
		addi(10, 0, 100),
		csrrw(0, CSRMinstret, 10), // minstret = 100
		csrrs(11, CSRMinstret, 0), // reads 100
		csrrs(12, CSRMinstret, 0), // reads 101
		csrrs(13, CSRMcycle, 0),
		csrrs(14, CSRMcycle, 0),
	)
	h.Run(6)
	if h.X[11] != 100 || h.X[12] != 101 {
		t.Errorf("minstret reads %d, %d; want 100, 101", h.X[11], h.X[12])
	}
	if h.X[14] != h.X[13]+1 {
		t.Errorf("mcycle reads %d, %d: not counting", h.X[13], h.X[14])
	}
}

func TestIllegalInstructionTval(t *testing.T) {
	tests := []struct {
		name string
		raw  uint32
	}{
		{"reserved opcode", 0x0000007f & 0xffffff7f},
		{"unknown CSR", csrrs(10, 0x7ff, 0)},
		{"write read-only CSR", csrrw(0, CSRMvendorid, 10)},
		{"16-bit zero", 0x0000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := machine(t, tc.raw)
			h.mtvec = testRAM + 0x400
			h.Run(1)
			want := tc.raw
			if tc.raw&3 != 3 {
				want &= 0xffff
			}
			if h.mcause != CauseIllegalInst || h.mtval != uint64(want) || h.mepc != testRAM || h.PC != testRAM+0x400 {
				t.Errorf("mcause %d mtval %#x mepc %#x pc %#x", h.mcause, h.mtval, h.mepc, h.PC)
			}
		})
	}
}

func TestCounterEnable(t *testing.T) {
	// S-mode reads of cycle trap unless mcounteren.CY is set.
	h := machine(t, csrrs(10, CSRCycle, 0))
	allowAll(h)
	h.Priv = PrivS
	h.mtvec = testRAM + 0x400
	h.Run(1)
	if h.mcause != CauseIllegalInst {
		t.Fatalf("cycle from S with mcounteren=0: mcause %d, want illegal", h.mcause)
	}
	h = machine(t, csrrs(10, CSRCycle, 0))
	allowAll(h)
	h.Priv = PrivS
	h.mcounteren = 1
	h.Run(1)
	if h.mcause != 0 || h.PC != testRAM+4 {
		t.Fatalf("cycle from S with mcounteren.CY: mcause %d", h.mcause)
	}
}

func TestInterruptPriorityAndDelegation(t *testing.T) {
	h := machine(t, addi(0, 0, 0), addi(0, 0, 0))
	h.mtvec = testRAM + 0x400 | 1 // vectored
	h.mie = MipMTIP | MipMSIP | MipSSIP
	h.mstatus |= mstatusMIE
	h.SetIRQ(MipMTIP, true)
	h.SetIRQ(MipMSIP, true)
	h.Run(0) // take the interrupt, execute nothing
	if h.mcause != 1<<63|IntMSI {
		t.Fatalf("mcause %#x, want MSI (higher priority than MTI)", h.mcause)
	}
	if h.PC != testRAM+0x400+4*IntMSI {
		t.Fatalf("vectored pc %#x", h.PC)
	}
	if h.mstatus&mstatusMIE != 0 || h.mstatus&mstatusMPIE == 0 || h.mstatus&mstatusMPP != 3<<11 {
		t.Fatalf("mstatus after trap %#x", h.mstatus)
	}

	// A delegated SSIP taken in U-mode goes to S even with SIE clear.
	h = machine(t, addi(0, 0, 0))
	h.Priv = PrivU
	h.mideleg = MipSSIP
	h.mie = MipSSIP
	h.mipSW = MipSSIP
	h.stvec = testRAM + 0x800
	h.Run(0)
	if h.Priv != PrivS || h.scause != 1<<63|IntSSI || h.PC != testRAM+0x800 || h.sepc != testRAM {
		t.Fatalf("priv %d scause %#x pc %#x sepc %#x", h.Priv, h.scause, h.PC, h.sepc)
	}
}

// buildSv39 maps virtual page va to physical page pa with the given PTE
// flags using a three-level table at tableBase; returns satp.
func buildSv39(data []byte, tableBase, va, pa uint64, flags uint64) uint64 {
	put := func(addr, v uint64) { binary.LittleEndian.PutUint64(data[addr-testRAM:], v) }
	l1 := tableBase + 0x1000
	l0 := tableBase + 0x2000
	put(tableBase+(va>>30&0x1ff)*8, l1>>12<<10|pteV)
	put(l1+(va>>21&0x1ff)*8, l0>>12<<10|pteV)
	put(l0+(va>>12&0x1ff)*8, pa>>12<<10|flags)
	return 8<<60 | tableBase>>12
}

func TestSv39TranslationAndADBits(t *testing.T) {
	h := machine(t, ld(11, 10, 0), sd(11, 10, 8))
	data := h.bus.rams[0].Data
	const table = testRAM + 0x10000
	const va = 0x4000_1000
	satp := buildSv39(data, table, va, testRAM+0x20000, pteV|pteR|pteW)
	binary.LittleEndian.PutUint64(data[0x20000:], 0x1234)
	// Execute in S-mode with code identity... use MPRV from M-mode instead.
	allowAll(h)
	h.SetCSR(CSRSatp, satp)
	h.SetCSR(CSRMstatus, mstatusMPRV|1<<11) // MPP = S
	h.X[10] = va
	h.Run(2)
	if h.mcause != 0 {
		t.Fatalf("trap: mcause %d mtval %#x", h.mcause, h.mtval)
	}
	if h.X[11] != 0x1234 || binary.LittleEndian.Uint64(data[0x20008:]) != 0x1234 {
		t.Fatalf("load %#x", h.X[11])
	}
	pte := binary.LittleEndian.Uint64(data[table+0x2000-testRAM+(va>>12&0x1ff)*8:])
	if pte&(pteA|pteD) != pteA|pteD {
		t.Fatalf("PTE %#x: A and D not set", pte)
	}
}

func TestSv39Faults(t *testing.T) {
	tests := []struct {
		name      string
		flags     uint64
		ins       uint32
		priv      uint8
		sum       bool
		wantCause uint64
	}{
		{"store to read-only", pteV | pteR | pteA, sd(11, 10, 0), PrivS, false, CauseStorePage},
		{"load from invalid", 0, ld(11, 10, 0), PrivS, false, CauseLoadPage},
		{"W without R is reserved", pteV | pteW, ld(11, 10, 0), PrivS, false, CauseLoadPage},
		{"S load of U page without SUM", pteV | pteR | pteU, ld(11, 10, 0), PrivS, false, CauseLoadPage},
		{"S load of U page with SUM", pteV | pteR | pteU, ld(11, 10, 0), PrivS, true, 0},
		{"U load of S page", pteV | pteR, ld(11, 10, 0), PrivU, false, CauseLoadPage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := machine(t, tc.ins)
			data := h.bus.rams[0].Data
			const va = 0x4000_1000
			satp := buildSv39(data, testRAM+0x10000, va, testRAM+0x20000, tc.flags)
			allowAll(h)
			h.SetCSR(CSRSatp, satp)
			ms := uint64(mstatusMPRV) | uint64(tc.priv)<<11
			if tc.sum {
				ms |= mstatusSUM
			}
			h.SetCSR(CSRMstatus, ms)
			h.mtvec = testRAM + 0x400
			h.X[10] = va
			h.Run(1)
			if h.mcause != tc.wantCause {
				t.Fatalf("mcause %d, want %d", h.mcause, tc.wantCause)
			}
			if tc.wantCause != 0 && h.mtval != va {
				t.Fatalf("mtval %#x, want %#x", h.mtval, uint64(va))
			}
		})
	}
}

func TestPMP(t *testing.T) {
	// S-mode with no PMP entry: every access fails.
	h := machine(t, ld(11, 10, 0))
	h.Priv = PrivS
	h.mtvec = testRAM + 0x400
	h.Run(1)
	if h.mcause != CauseFetchAccess {
		t.Fatalf("S fetch with no PMP entry: mcause %d, want fetch access fault", h.mcause)
	}
	// NAPOT entry covering everything, then a TOR entry making a page
	// read-only for S: entry 0 wins for its range.
	h = machine(t, ld(11, 10, 0), sd(11, 10, 0))
	h.SetCSR(CSRPmpaddr0, testRAM>>2)
	h.SetCSR(CSRPmpaddr0+1, (testRAM+0x2000)>>2)
	h.SetCSR(CSRPmpaddr0+2, ^uint64(0))
	h.SetCSR(CSRPmpcfg0, 0x1f<<16|(0x08|0x01)<<8|0x00) // 0: off (TOR base), 1: TOR R, 2: NAPOT RWX
	h.Priv = PrivS
	h.mtvec = testRAM + 0x400
	h.X[10] = testRAM + 0x1000
	h.Run(1)
	// The code page itself is R-only through entry 1, so the fetch fails.
	if h.mcause != CauseFetchAccess {
		t.Fatalf("fetch from a PMP R-only region: mcause %d", h.mcause)
	}
	// Granularity: pmpaddr is 54 bits wide.
	if v, _ := h.CSR(CSRPmpaddr0 + 2); v != 1<<54-1 {
		t.Fatalf("pmpaddr2 = %#x", v)
	}
}

// allowAll gives S and U mode access to all memory with PMP entry 15.
func allowAll(h *Hart) {
	h.SetCSR(CSRPmpaddr0+15, ^uint64(0))
	h.SetCSR(CSRPmpcfg0+2, 0x1f<<56)
}

func TestWFIStopsAndWakes(t *testing.T) {
	h := machine(t, insWFI, addi(10, 0, 1))
	if r := h.Run(10); r != StopWFI {
		t.Fatalf("Run = %v, want StopWFI", r)
	}
	if r := h.Run(10); r != StopWFI {
		t.Fatalf("Run while nothing pending = %v, want StopWFI", r)
	}
	h.mie = MipMTIP
	h.SetIRQ(MipMTIP, true) // pending but globally disabled: wakes without a trap
	h.Run(1)
	if h.X[10] != 1 || h.mcause != 0 {
		t.Fatalf("after wake: a0 %d mcause %d", h.X[10], h.mcause)
	}
}

func TestSelfModifyingCode(t *testing.T) {
	// The program overwrites its own next instruction (addi a0,0,1 ->
	// addi a0,0,2) in the same page, then executes it.
	h := machine(t,
		encS(0x23, 2, 10, 11, 8), // sw a1, 8(a0)
		addi(0, 0, 0),
		addi(12, 0, 1),
	)
	h.X[10], h.X[11] = testRAM, uint64(addi(12, 0, 2))
	// Decode the target first so it is cached.
	h.fetch(testRAM + 8)
	h.Run(3)
	if h.X[12] != 2 {
		t.Fatalf("a2 = %d: stale decoded instruction executed", h.X[12])
	}
}

func TestNoAllocationsInRun(t *testing.T) {
	h := machine(t, addi(10, 10, 1), ld(11, 12, 0), sd(11, 12, 8), encJ(0, -12))
	h.X[12] = testRAM + 0x8000
	h.Run(1000)
	if n := testing.AllocsPerRun(10, func() { h.Run(10000) }); n != 0 {
		t.Fatalf("Run allocates %.1f times per call", n)
	}
}

func TestTriggerCSRsHaveNoTriggers(t *testing.T) {
	h := machine(t,
		csrrw(0, CSRTselect, 10),
		csrrs(11, CSRTselect, 0),
		csrrw(0, CSRTdata1, 10),
		csrrs(12, CSRTdata1, 0),
		csrrs(13, CSRTinfo, 0),
	)
	h.mtvec = testRAM + 0x400
	h.X[10] = 5
	h.Run(5)
	if h.mcause != 0 || h.X[11] != 0 || h.X[12] != 0 || h.X[13] != 1 {
		t.Fatalf("mcause %d tselect %d tdata1 %d tinfo %d", h.mcause, h.X[11], h.X[12], h.X[13])
	}
}

func TestSupervisorEcallHook(t *testing.T) {
	h := machine(t, insECALL, addi(11, 0, 7))
	allowAll(h)
	h.Priv = PrivS
	var seen uint64
	h.cfg.SupervisorEcall = func(h *Hart) {
		seen = h.PC
		h.X[10] = 42
	}
	h.Run(2)
	if seen != testRAM || h.X[10] != 42 || h.X[11] != 7 || h.mcause != 0 || h.Instret() != 2 {
		t.Fatalf("hook pc %#x a0 %d a1 %d mcause %d instret %d", seen, h.X[10], h.X[11], h.mcause, h.Instret())
	}
}

// A csrs on mip must not latch the PLIC's SEIP line into the
// software-writable SEIP bit.
func TestMipRMWDoesNotLatchExternalSEIP(t *testing.T) {
	h := machine(t, addi(10, 0, 2), encI(0x73, 2, 0, 10, CSRMip)) // csrs mip, a0 (SSIP)
	h.SetIRQ(MipSEIP, true)
	h.Run(2)
	h.SetIRQ(MipSEIP, false)
	if v, _ := h.CSR(CSRMip); v&MipSEIP != 0 || v&MipSSIP == 0 {
		t.Fatalf("mip = %#x after the PLIC dropped SEIP: SEIP latched", v)
	}
}
