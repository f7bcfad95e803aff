package riscv

import (
	"encoding/binary"
	"testing"
)

// A tiny assembler for unit tests: just enough encoders to build programs
// without an external toolchain.

func encR(opc, f3, f7 uint32, rd, rs1, rs2 uint8) uint32 {
	return f7<<25 | uint32(rs2)<<20 | uint32(rs1)<<15 | f3<<12 | uint32(rd)<<7 | opc
}

func encI(opc, f3 uint32, rd, rs1 uint8, imm int32) uint32 {
	return uint32(imm)<<20 | uint32(rs1)<<15 | f3<<12 | uint32(rd)<<7 | opc
}

func encS(opc, f3 uint32, rs1, rs2 uint8, imm int32) uint32 {
	u := uint32(imm)
	return (u>>5&0x7f)<<25 | uint32(rs2)<<20 | uint32(rs1)<<15 | f3<<12 | (u&0x1f)<<7 | opc
}

func encB(f3 uint32, rs1, rs2 uint8, off int32) uint32 {
	u := uint32(off)
	return (u>>12&1)<<31 | (u>>5&0x3f)<<25 | uint32(rs2)<<20 | uint32(rs1)<<15 | f3<<12 |
		(u>>1&0xf)<<8 | (u>>11&1)<<7 | 0x63
}

func encU(opc uint32, rd uint8, imm int32) uint32 {
	return uint32(imm)&0xfffff000 | uint32(rd)<<7 | opc
}

func encJ(rd uint8, off int32) uint32 {
	u := uint32(off)
	return (u>>20&1)<<31 | (u>>1&0x3ff)<<21 | (u>>11&1)<<20 | (u>>12&0xff)<<12 | uint32(rd)<<7 | 0x6f
}

func addi(rd, rs1 uint8, imm int32) uint32 { return encI(0x13, 0, rd, rs1, imm) }
func add(rd, rs1, rs2 uint8) uint32        { return encR(0x33, 0, 0, rd, rs1, rs2) }
func mul(rd, rs1, rs2 uint8) uint32        { return encR(0x33, 0, 1, rd, rs1, rs2) }
func ld(rd, rs1 uint8, imm int32) uint32   { return encI(0x03, 3, rd, rs1, imm) }
func sd(rs2, rs1 uint8, imm int32) uint32  { return encS(0x23, 3, rs1, rs2, imm) }
func bne(rs1, rs2 uint8, off int32) uint32 { return encB(1, rs1, rs2, off) }
func lui(rd uint8, imm int32) uint32       { return encU(0x37, rd, imm) }
func csrrw(rd uint8, csr uint16, rs1 uint8) uint32 {
	return encI(0x73, 1, rd, rs1, int32(csr))
}
func csrrs(rd uint8, csr uint16, rs1 uint8) uint32 {
	return encI(0x73, 2, rd, rs1, int32(csr))
}

const (
	insECALL = 0x00000073
	insMRET  = 0x30200073
	insSRET  = 0x10200073
	insWFI   = 0x10500073
)

const testRAM = 0x80000000

// machine builds a one-hart machine with 1 MiB of RAM holding prog (32-bit
// words) at testRAM.
func machine(t testing.TB, prog ...uint32) *Hart {
	t.Helper()
	b := NewBus()
	r, err := b.AddRAM(testRAM, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range prog {
		binary.LittleEndian.PutUint32(r.Data[4*i:], w)
	}
	h := NewHart(b, Config{})
	h.PC = testRAM
	return h
}

// runUntilEcall runs until the hart traps with an ECALL from M-mode (mtvec
// points at a spot the test chooses) or the budget runs out.
func runN(h *Hart, n int64) { h.Run(n) }
