package riscv

import (
	"strings"
	"testing"
)

// decodeTests are hand-written encodings of every Op and every compressed
// form. The words were produced by GNU as (binutils 2.40, -march=rv64gc) from
// the assembly in the first column; the expected fields follow from the
// assembly, not from the decoder. regs lists the register fields the
// instruction defines (d=Rd, 1=Rs1, 2=Rs2, 3=Rs3); the others are don't-care.
var decodeTests = []struct {
	asm  string
	raw  uint32
	regs string
	want Inst
}{
	{"lui a0,0x12345", 0x12345537, "d", Inst{Op: OpLUI, Rd: 10, Imm: 305418240, Len: 4}},
	{"lui zero,0x1", 0x00001037, "d", Inst{Op: OpLUI, Rd: 32, Imm: 4096, Len: 4}},
	{"lui t6,0x80000", 0x80000fb7, "d", Inst{Op: OpLUI, Rd: 31, Imm: -2147483648, Len: 4}},
	{"auipc t0,0xfffff", 0xfffff297, "d", Inst{Op: OpAUIPC, Rd: 5, Imm: -4096, Len: 4}},
	{"jal ra,.+2048", 0x001000ef, "d", Inst{Op: OpJAL, Rd: 1, Imm: 2048, Len: 4}},
	{"jal zero,.-4", 0xffdff06f, "d", Inst{Op: OpJAL, Rd: 32, Imm: -4, Len: 4}},
	{"jal s1,.-1048576", 0x800004ef, "d", Inst{Op: OpJAL, Rd: 9, Imm: -1048576, Len: 4}},
	{"jal a0,.+1048574", 0x7ffff56f, "d", Inst{Op: OpJAL, Rd: 10, Imm: 1048574, Len: 4}},
	{"jalr a0,-8(a1)", 0xff858567, "d1", Inst{Op: OpJALR, Rd: 10, Rs1: 11, Imm: -8, Len: 4}},
	{"jalr zero,0(ra)", 0x00008067, "d1", Inst{Op: OpJALR, Rd: 32, Rs1: 1, Len: 4}},
	{"beq a0,a1,.+16", 0x00b50863, "12", Inst{Op: OpBEQ, Rs1: 10, Rs2: 11, Imm: 16, Len: 4}},
	{"bne a0,zero,.-4096", 0x80051063, "12", Inst{Op: OpBNE, Rs1: 10, Imm: -4096, Len: 4}},
	{"blt t0,t1,.+4094", 0x7e62cfe3, "12", Inst{Op: OpBLT, Rs1: 5, Rs2: 6, Imm: 4094, Len: 4}},
	{"bge zero,a1,.-2", 0xfeb05fe3, "12", Inst{Op: OpBGE, Rs2: 11, Imm: -2, Len: 4}},
	{"bltu s0,s1,.+2048", 0x009460e3, "12", Inst{Op: OpBLTU, Rs1: 8, Rs2: 9, Imm: 2048, Len: 4}},
	{"bgeu a2,a3,.+2", 0x00d67163, "12", Inst{Op: OpBGEU, Rs1: 12, Rs2: 13, Imm: 2, Len: 4}},
	{"lb a0,-2048(a1)", 0x80058503, "d1", Inst{Op: OpLB, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"lh a0,-2048(a1)", 0x80059503, "d1", Inst{Op: OpLH, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"lw a0,-2048(a1)", 0x8005a503, "d1", Inst{Op: OpLW, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"ld a0,-2048(a1)", 0x8005b503, "d1", Inst{Op: OpLD, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"lbu a0,-2048(a1)", 0x8005c503, "d1", Inst{Op: OpLBU, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"lhu a0,-2048(a1)", 0x8005d503, "d1", Inst{Op: OpLHU, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"lwu a0,-2048(a1)", 0x8005e503, "d1", Inst{Op: OpLWU, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"ld zero,2047(sp)", 0x7ff13003, "d1", Inst{Op: OpLD, Rd: 32, Rs1: 2, Imm: 2047, Len: 4}},
	{"sb a0,-1(a1)", 0xfea58fa3, "12", Inst{Op: OpSB, Rs1: 11, Rs2: 10, Imm: -1, Len: 4}},
	{"sh a0,-1(a1)", 0xfea59fa3, "12", Inst{Op: OpSH, Rs1: 11, Rs2: 10, Imm: -1, Len: 4}},
	{"sw a0,-1(a1)", 0xfea5afa3, "12", Inst{Op: OpSW, Rs1: 11, Rs2: 10, Imm: -1, Len: 4}},
	{"sd a0,-1(a1)", 0xfea5bfa3, "12", Inst{Op: OpSD, Rs1: 11, Rs2: 10, Imm: -1, Len: 4}},
	{"sd t6,2047(sp)", 0x7ff13fa3, "12", Inst{Op: OpSD, Rs1: 2, Rs2: 31, Imm: 2047, Len: 4}},
	{"addi a0,a1,-2048", 0x80058513, "d1", Inst{Op: OpADDI, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"addi a0,a1,2047", 0x7ff58513, "d1", Inst{Op: OpADDI, Rd: 10, Rs1: 11, Imm: 2047, Len: 4}},
	{"slti a0,a1,-2048", 0x8005a513, "d1", Inst{Op: OpSLTI, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"slti a0,a1,2047", 0x7ff5a513, "d1", Inst{Op: OpSLTI, Rd: 10, Rs1: 11, Imm: 2047, Len: 4}},
	{"sltiu a0,a1,-2048", 0x8005b513, "d1", Inst{Op: OpSLTIU, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"sltiu a0,a1,2047", 0x7ff5b513, "d1", Inst{Op: OpSLTIU, Rd: 10, Rs1: 11, Imm: 2047, Len: 4}},
	{"xori a0,a1,-2048", 0x8005c513, "d1", Inst{Op: OpXORI, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"xori a0,a1,2047", 0x7ff5c513, "d1", Inst{Op: OpXORI, Rd: 10, Rs1: 11, Imm: 2047, Len: 4}},
	{"ori a0,a1,-2048", 0x8005e513, "d1", Inst{Op: OpORI, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"ori a0,a1,2047", 0x7ff5e513, "d1", Inst{Op: OpORI, Rd: 10, Rs1: 11, Imm: 2047, Len: 4}},
	{"andi a0,a1,-2048", 0x8005f513, "d1", Inst{Op: OpANDI, Rd: 10, Rs1: 11, Imm: -2048, Len: 4}},
	{"andi a0,a1,2047", 0x7ff5f513, "d1", Inst{Op: OpANDI, Rd: 10, Rs1: 11, Imm: 2047, Len: 4}},
	{"addi zero,zero,0", 0x00000013, "d1", Inst{Op: OpADDI, Rd: 32, Len: 4}},
	{"slli a0,a1,63", 0x03f59513, "d1", Inst{Op: OpSLLI, Rd: 10, Rs1: 11, Imm: 63, Len: 4}},
	{"srli a0,a1,1", 0x0015d513, "d1", Inst{Op: OpSRLI, Rd: 10, Rs1: 11, Imm: 1, Len: 4}},
	{"srai a0,a1,33", 0x4215d513, "d1", Inst{Op: OpSRAI, Rd: 10, Rs1: 11, Imm: 33, Len: 4}},
	{"add a0,a1,a2", 0x00c58533, "d12", Inst{Op: OpADD, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"sub a0,a1,a2", 0x40c58533, "d12", Inst{Op: OpSUB, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"sll a0,a1,a2", 0x00c59533, "d12", Inst{Op: OpSLL, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"slt a0,a1,a2", 0x00c5a533, "d12", Inst{Op: OpSLT, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"sltu a0,a1,a2", 0x00c5b533, "d12", Inst{Op: OpSLTU, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"xor a0,a1,a2", 0x00c5c533, "d12", Inst{Op: OpXOR, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"srl a0,a1,a2", 0x00c5d533, "d12", Inst{Op: OpSRL, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"sra a0,a1,a2", 0x40c5d533, "d12", Inst{Op: OpSRA, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"or a0,a1,a2", 0x00c5e533, "d12", Inst{Op: OpOR, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"and a0,a1,a2", 0x00c5f533, "d12", Inst{Op: OpAND, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"addw a0,a1,a2", 0x00c5853b, "d12", Inst{Op: OpADDW, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"subw a0,a1,a2", 0x40c5853b, "d12", Inst{Op: OpSUBW, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"sllw a0,a1,a2", 0x00c5953b, "d12", Inst{Op: OpSLLW, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"srlw a0,a1,a2", 0x00c5d53b, "d12", Inst{Op: OpSRLW, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"sraw a0,a1,a2", 0x40c5d53b, "d12", Inst{Op: OpSRAW, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"mul a0,a1,a2", 0x02c58533, "d12", Inst{Op: OpMUL, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"mulh a0,a1,a2", 0x02c59533, "d12", Inst{Op: OpMULH, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"mulhsu a0,a1,a2", 0x02c5a533, "d12", Inst{Op: OpMULHSU, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"mulhu a0,a1,a2", 0x02c5b533, "d12", Inst{Op: OpMULHU, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"div a0,a1,a2", 0x02c5c533, "d12", Inst{Op: OpDIV, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"divu a0,a1,a2", 0x02c5d533, "d12", Inst{Op: OpDIVU, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"rem a0,a1,a2", 0x02c5e533, "d12", Inst{Op: OpREM, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"remu a0,a1,a2", 0x02c5f533, "d12", Inst{Op: OpREMU, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"mulw a0,a1,a2", 0x02c5853b, "d12", Inst{Op: OpMULW, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"divw a0,a1,a2", 0x02c5c53b, "d12", Inst{Op: OpDIVW, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"divuw a0,a1,a2", 0x02c5d53b, "d12", Inst{Op: OpDIVUW, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"remw a0,a1,a2", 0x02c5e53b, "d12", Inst{Op: OpREMW, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"remuw a0,a1,a2", 0x02c5f53b, "d12", Inst{Op: OpREMUW, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"add zero,t5,t6", 0x01ff0033, "d12", Inst{Op: OpADD, Rd: 32, Rs1: 30, Rs2: 31, Len: 4}},
	{"addiw a0,a1,-1", 0xfff5851b, "d1", Inst{Op: OpADDIW, Rd: 10, Rs1: 11, Imm: -1, Len: 4}},
	{"slliw a0,a1,31", 0x01f5951b, "d1", Inst{Op: OpSLLIW, Rd: 10, Rs1: 11, Imm: 31, Len: 4}},
	{"srliw a0,a1,0", 0x0005d51b, "d1", Inst{Op: OpSRLIW, Rd: 10, Rs1: 11, Len: 4}},
	{"sraiw a0,a1,17", 0x4115d51b, "d1", Inst{Op: OpSRAIW, Rd: 10, Rs1: 11, Imm: 17, Len: 4}},
	{"fence rw,w", 0x0310000f, "", Inst{Op: OpFENCE, Imm: 49, Len: 4}},
	{"fence", 0x0ff0000f, "", Inst{Op: OpFENCE, Imm: 255, Len: 4}},
	{"fence.tso", 0x8330000f, "", Inst{Op: OpFENCE, Imm: 2099, Len: 4}},
	{"fence.i", 0x0000100f, "", Inst{Op: OpFENCEI, Len: 4}},
	{"ecall", 0x00000073, "", Inst{Op: OpECALL, Len: 4}},
	{"ebreak", 0x00100073, "", Inst{Op: OpEBREAK, Len: 4}},
	{"lr.w a0,(a1)", 0x1005a52f, "d1", Inst{Op: OpLRW, Rd: 10, Rs1: 11, Len: 4}},
	{"sc.w a0,a2,(a1)", 0x18c5a52f, "d12", Inst{Op: OpSCW, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"lr.w.rl a0,(a1)", 0x1205a52f, "d1", Inst{Op: OpLRW, Rd: 10, Rs1: 11, Rm: 1, Len: 4}},
	{"sc.w.rl a0,a2,(a1)", 0x1ac5a52f, "d12", Inst{Op: OpSCW, Rd: 10, Rs1: 11, Rs2: 12, Rm: 1, Len: 4}},
	{"lr.w.aq a0,(a1)", 0x1405a52f, "d1", Inst{Op: OpLRW, Rd: 10, Rs1: 11, Rm: 2, Len: 4}},
	{"sc.w.aq a0,a2,(a1)", 0x1cc5a52f, "d12", Inst{Op: OpSCW, Rd: 10, Rs1: 11, Rs2: 12, Rm: 2, Len: 4}},
	{"lr.w.aqrl a0,(a1)", 0x1605a52f, "d1", Inst{Op: OpLRW, Rd: 10, Rs1: 11, Rm: 3, Len: 4}},
	{"sc.w.aqrl a0,a2,(a1)", 0x1ec5a52f, "d12", Inst{Op: OpSCW, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amoswap.w.aqrl a0,a2,(a1)", 0x0ec5a52f, "d12", Inst{Op: OpAMOSWAPW, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amoadd.w.aqrl a0,a2,(a1)", 0x06c5a52f, "d12", Inst{Op: OpAMOADDW, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amoxor.w.aqrl a0,a2,(a1)", 0x26c5a52f, "d12", Inst{Op: OpAMOXORW, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amoand.w.aqrl a0,a2,(a1)", 0x66c5a52f, "d12", Inst{Op: OpAMOANDW, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amoor.w.aqrl a0,a2,(a1)", 0x46c5a52f, "d12", Inst{Op: OpAMOORW, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amomin.w.aqrl a0,a2,(a1)", 0x86c5a52f, "d12", Inst{Op: OpAMOMINW, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amomax.w.aqrl a0,a2,(a1)", 0xa6c5a52f, "d12", Inst{Op: OpAMOMAXW, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amominu.w.aqrl a0,a2,(a1)", 0xc6c5a52f, "d12", Inst{Op: OpAMOMINUW, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amomaxu.w.aqrl a0,a2,(a1)", 0xe6c5a52f, "d12", Inst{Op: OpAMOMAXUW, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"lr.d a0,(a1)", 0x1005b52f, "d1", Inst{Op: OpLRD, Rd: 10, Rs1: 11, Len: 4}},
	{"sc.d a0,a2,(a1)", 0x18c5b52f, "d12", Inst{Op: OpSCD, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"lr.d.rl a0,(a1)", 0x1205b52f, "d1", Inst{Op: OpLRD, Rd: 10, Rs1: 11, Rm: 1, Len: 4}},
	{"sc.d.rl a0,a2,(a1)", 0x1ac5b52f, "d12", Inst{Op: OpSCD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 1, Len: 4}},
	{"lr.d.aq a0,(a1)", 0x1405b52f, "d1", Inst{Op: OpLRD, Rd: 10, Rs1: 11, Rm: 2, Len: 4}},
	{"sc.d.aq a0,a2,(a1)", 0x1cc5b52f, "d12", Inst{Op: OpSCD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 2, Len: 4}},
	{"lr.d.aqrl a0,(a1)", 0x1605b52f, "d1", Inst{Op: OpLRD, Rd: 10, Rs1: 11, Rm: 3, Len: 4}},
	{"sc.d.aqrl a0,a2,(a1)", 0x1ec5b52f, "d12", Inst{Op: OpSCD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amoswap.d.aqrl a0,a2,(a1)", 0x0ec5b52f, "d12", Inst{Op: OpAMOSWAPD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amoadd.d.aqrl a0,a2,(a1)", 0x06c5b52f, "d12", Inst{Op: OpAMOADDD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amoxor.d.aqrl a0,a2,(a1)", 0x26c5b52f, "d12", Inst{Op: OpAMOXORD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amoand.d.aqrl a0,a2,(a1)", 0x66c5b52f, "d12", Inst{Op: OpAMOANDD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amoor.d.aqrl a0,a2,(a1)", 0x46c5b52f, "d12", Inst{Op: OpAMOORD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amomin.d.aqrl a0,a2,(a1)", 0x86c5b52f, "d12", Inst{Op: OpAMOMIND, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amomax.d.aqrl a0,a2,(a1)", 0xa6c5b52f, "d12", Inst{Op: OpAMOMAXD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amominu.d.aqrl a0,a2,(a1)", 0xc6c5b52f, "d12", Inst{Op: OpAMOMINUD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amomaxu.d.aqrl a0,a2,(a1)", 0xe6c5b52f, "d12", Inst{Op: OpAMOMAXUD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"amoadd.w zero,a2,(a1)", 0x00c5a02f, "d12", Inst{Op: OpAMOADDW, Rd: 32, Rs1: 11, Rs2: 12, Len: 4}},
	{"csrrw a0,mstatus,a1", 0x30059573, "d1", Inst{Op: OpCSRRW, Rd: 10, Rs1: 11, Imm: 768, Len: 4}},
	{"csrrwi a0,0xfff,31", 0xffffd573, "d1", Inst{Op: OpCSRRWI, Rd: 10, Rs1: 31, Imm: 4095, Len: 4}},
	{"csrrs a0,mstatus,a1", 0x3005a573, "d1", Inst{Op: OpCSRRS, Rd: 10, Rs1: 11, Imm: 768, Len: 4}},
	{"csrrsi a0,0xfff,31", 0xffffe573, "d1", Inst{Op: OpCSRRSI, Rd: 10, Rs1: 31, Imm: 4095, Len: 4}},
	{"csrrc a0,mstatus,a1", 0x3005b573, "d1", Inst{Op: OpCSRRC, Rd: 10, Rs1: 11, Imm: 768, Len: 4}},
	{"csrrci a0,0xfff,31", 0xfffff573, "d1", Inst{Op: OpCSRRCI, Rd: 10, Rs1: 31, Imm: 4095, Len: 4}},
	{"csrrw zero,satp,a0", 0x18051073, "d1", Inst{Op: OpCSRRW, Rd: 32, Rs1: 10, Imm: 384, Len: 4}},
	{"csrrs a0,cycle,zero", 0xc0002573, "d1", Inst{Op: OpCSRRS, Rd: 10, Imm: 3072, Len: 4}},
	{"mret", 0x30200073, "", Inst{Op: OpMRET, Len: 4}},
	{"sret", 0x10200073, "", Inst{Op: OpSRET, Len: 4}},
	{"wfi", 0x10500073, "", Inst{Op: OpWFI, Len: 4}},
	{"sfence.vma a0,a1", 0x12b50073, "12", Inst{Op: OpSFENCEVMA, Rs1: 10, Rs2: 11, Len: 4}},
	{"sfence.vma", 0x12000073, "12", Inst{Op: OpSFENCEVMA, Len: 4}},
	{"flw fa0,-4(a1)", 0xffc5a507, "d1", Inst{Op: OpFLW, Rd: 10, Rs1: 11, Imm: -4, Len: 4}},
	{"fsw ft11,2047(sp)", 0x7ff12fa7, "12", Inst{Op: OpFSW, Rs1: 2, Rs2: 31, Imm: 2047, Len: 4}},
	{"fmadd.s fa0,fa1,fa2,fa3,rtz", 0x68c59543, "d123", Inst{Op: OpFMADDS, Rd: 10, Rs1: 11, Rs2: 12, Rs3: 13, Rm: 1, Len: 4}},
	{"fmsub.s fa0,fa1,fa2,fa3,dyn", 0x68c5f547, "d123", Inst{Op: OpFMSUBS, Rd: 10, Rs1: 11, Rs2: 12, Rs3: 13, Rm: 7, Len: 4}},
	{"fnmsub.s fa0,fa1,fa2,fa3,rne", 0x68c5854b, "d123", Inst{Op: OpFNMSUBS, Rd: 10, Rs1: 11, Rs2: 12, Rs3: 13, Len: 4}},
	{"fnmadd.s fa0,fa1,fa2,fa3,rmm", 0x68c5c54f, "d123", Inst{Op: OpFNMADDS, Rd: 10, Rs1: 11, Rs2: 12, Rs3: 13, Rm: 4, Len: 4}},
	{"fadd.s fa0,fa1,fa2,dyn", 0x00c5f553, "d12", Inst{Op: OpFADDS, Rd: 10, Rs1: 11, Rs2: 12, Rm: 7, Len: 4}},
	{"fsub.s fa0,fa1,fa2,rne", 0x08c58553, "d12", Inst{Op: OpFSUBS, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"fmul.s fa0,fa1,fa2,rdn", 0x10c5a553, "d12", Inst{Op: OpFMULS, Rd: 10, Rs1: 11, Rs2: 12, Rm: 2, Len: 4}},
	{"fdiv.s fa0,fa1,fa2,rup", 0x18c5b553, "d12", Inst{Op: OpFDIVS, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"fsqrt.s fa0,fa1,rmm", 0x5805c553, "d1", Inst{Op: OpFSQRTS, Rd: 10, Rs1: 11, Rm: 4, Len: 4}},
	{"fsgnj.s fa0,fa1,fa2", 0x20c58553, "d12", Inst{Op: OpFSGNJS, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"fsgnjn.s fa0,fa1,fa2", 0x20c59553, "d12", Inst{Op: OpFSGNJNS, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"fsgnjx.s fa0,fa1,fa2", 0x20c5a553, "d12", Inst{Op: OpFSGNJXS, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"fmin.s fa0,fa1,fa2", 0x28c58553, "d12", Inst{Op: OpFMINS, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"fmax.s fa0,fa1,fa2", 0x28c59553, "d12", Inst{Op: OpFMAXS, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"feq.s a0,fa1,fa2", 0xa0c5a553, "d12", Inst{Op: OpFEQS, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"flt.s a0,fa1,fa2", 0xa0c59553, "d12", Inst{Op: OpFLTS, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"fle.s a0,fa1,fa2", 0xa0c58553, "d12", Inst{Op: OpFLES, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"feq.s zero,fa1,fa2", 0xa0c5a053, "d12", Inst{Op: OpFEQS, Rd: 32, Rs1: 11, Rs2: 12, Len: 4}},
	{"fclass.s a0,fa1", 0xe0059553, "d1", Inst{Op: OpFCLASSS, Rd: 10, Rs1: 11, Len: 4}},
	{"fcvt.w.s a0,fa1,rtz", 0xc0059553, "d1", Inst{Op: OpFCVTWS, Rd: 10, Rs1: 11, Rm: 1, Len: 4}},
	{"fcvt.s.w fa0,a1", 0xd005f553, "d1", Inst{Op: OpFCVTSW, Rd: 10, Rs1: 11, Rm: 7, Len: 4}},
	{"fcvt.wu.s a0,fa1,rtz", 0xc0159553, "d1", Inst{Op: OpFCVTWUS, Rd: 10, Rs1: 11, Rm: 1, Len: 4}},
	{"fcvt.s.wu fa0,a1", 0xd015f553, "d1", Inst{Op: OpFCVTSWU, Rd: 10, Rs1: 11, Rm: 7, Len: 4}},
	{"fcvt.l.s a0,fa1,rtz", 0xc0259553, "d1", Inst{Op: OpFCVTLS, Rd: 10, Rs1: 11, Rm: 1, Len: 4}},
	{"fcvt.s.l fa0,a1", 0xd025f553, "d1", Inst{Op: OpFCVTSL, Rd: 10, Rs1: 11, Rm: 7, Len: 4}},
	{"fcvt.lu.s a0,fa1,rtz", 0xc0359553, "d1", Inst{Op: OpFCVTLUS, Rd: 10, Rs1: 11, Rm: 1, Len: 4}},
	{"fcvt.s.lu fa0,a1", 0xd035f553, "d1", Inst{Op: OpFCVTSLU, Rd: 10, Rs1: 11, Rm: 7, Len: 4}},
	{"fmv.x.w a0,fa1", 0xe0058553, "d1", Inst{Op: OpFMVXW, Rd: 10, Rs1: 11, Len: 4}},
	{"fmv.w.x fa0,a1", 0xf0058553, "d1", Inst{Op: OpFMVWX, Rd: 10, Rs1: 11, Len: 4}},
	{"fld fa0,-4(a1)", 0xffc5b507, "d1", Inst{Op: OpFLD, Rd: 10, Rs1: 11, Imm: -4, Len: 4}},
	{"fsd ft11,2047(sp)", 0x7ff13fa7, "12", Inst{Op: OpFSD, Rs1: 2, Rs2: 31, Imm: 2047, Len: 4}},
	{"fmadd.d fa0,fa1,fa2,fa3,rtz", 0x6ac59543, "d123", Inst{Op: OpFMADDD, Rd: 10, Rs1: 11, Rs2: 12, Rs3: 13, Rm: 1, Len: 4}},
	{"fmsub.d fa0,fa1,fa2,fa3,dyn", 0x6ac5f547, "d123", Inst{Op: OpFMSUBD, Rd: 10, Rs1: 11, Rs2: 12, Rs3: 13, Rm: 7, Len: 4}},
	{"fnmsub.d fa0,fa1,fa2,fa3,rne", 0x6ac5854b, "d123", Inst{Op: OpFNMSUBD, Rd: 10, Rs1: 11, Rs2: 12, Rs3: 13, Len: 4}},
	{"fnmadd.d fa0,fa1,fa2,fa3,rmm", 0x6ac5c54f, "d123", Inst{Op: OpFNMADDD, Rd: 10, Rs1: 11, Rs2: 12, Rs3: 13, Rm: 4, Len: 4}},
	{"fadd.d fa0,fa1,fa2,dyn", 0x02c5f553, "d12", Inst{Op: OpFADDD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 7, Len: 4}},
	{"fsub.d fa0,fa1,fa2,rne", 0x0ac58553, "d12", Inst{Op: OpFSUBD, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"fmul.d fa0,fa1,fa2,rdn", 0x12c5a553, "d12", Inst{Op: OpFMULD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 2, Len: 4}},
	{"fdiv.d fa0,fa1,fa2,rup", 0x1ac5b553, "d12", Inst{Op: OpFDIVD, Rd: 10, Rs1: 11, Rs2: 12, Rm: 3, Len: 4}},
	{"fsqrt.d fa0,fa1,rmm", 0x5a05c553, "d1", Inst{Op: OpFSQRTD, Rd: 10, Rs1: 11, Rm: 4, Len: 4}},
	{"fsgnj.d fa0,fa1,fa2", 0x22c58553, "d12", Inst{Op: OpFSGNJD, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"fsgnjn.d fa0,fa1,fa2", 0x22c59553, "d12", Inst{Op: OpFSGNJND, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"fsgnjx.d fa0,fa1,fa2", 0x22c5a553, "d12", Inst{Op: OpFSGNJXD, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"fmin.d fa0,fa1,fa2", 0x2ac58553, "d12", Inst{Op: OpFMIND, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"fmax.d fa0,fa1,fa2", 0x2ac59553, "d12", Inst{Op: OpFMAXD, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"feq.d a0,fa1,fa2", 0xa2c5a553, "d12", Inst{Op: OpFEQD, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"flt.d a0,fa1,fa2", 0xa2c59553, "d12", Inst{Op: OpFLTD, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"fle.d a0,fa1,fa2", 0xa2c58553, "d12", Inst{Op: OpFLED, Rd: 10, Rs1: 11, Rs2: 12, Len: 4}},
	{"feq.d zero,fa1,fa2", 0xa2c5a053, "d12", Inst{Op: OpFEQD, Rd: 32, Rs1: 11, Rs2: 12, Len: 4}},
	{"fclass.d a0,fa1", 0xe2059553, "d1", Inst{Op: OpFCLASSD, Rd: 10, Rs1: 11, Len: 4}},
	{"fcvt.w.d a0,fa1,rtz", 0xc2059553, "d1", Inst{Op: OpFCVTWD, Rd: 10, Rs1: 11, Rm: 1, Len: 4}},
	{"fcvt.d.w fa0,a1", 0xd2058553, "d1", Inst{Op: OpFCVTDW, Rd: 10, Rs1: 11, Len: 4}},
	{"fcvt.wu.d a0,fa1,rtz", 0xc2159553, "d1", Inst{Op: OpFCVTWUD, Rd: 10, Rs1: 11, Rm: 1, Len: 4}},
	{"fcvt.d.wu fa0,a1", 0xd2158553, "d1", Inst{Op: OpFCVTDWU, Rd: 10, Rs1: 11, Len: 4}},
	{"fcvt.l.d a0,fa1,rtz", 0xc2259553, "d1", Inst{Op: OpFCVTLD, Rd: 10, Rs1: 11, Rm: 1, Len: 4}},
	{"fcvt.d.l fa0,a1", 0xd225f553, "d1", Inst{Op: OpFCVTDL, Rd: 10, Rs1: 11, Rm: 7, Len: 4}},
	{"fcvt.lu.d a0,fa1,rtz", 0xc2359553, "d1", Inst{Op: OpFCVTLUD, Rd: 10, Rs1: 11, Rm: 1, Len: 4}},
	{"fcvt.d.lu fa0,a1", 0xd235f553, "d1", Inst{Op: OpFCVTDLU, Rd: 10, Rs1: 11, Rm: 7, Len: 4}},
	{"fmv.x.d a0,fa1", 0xe2058553, "d1", Inst{Op: OpFMVXD, Rd: 10, Rs1: 11, Len: 4}},
	{"fmv.d.x fa0,a1", 0xf2058553, "d1", Inst{Op: OpFMVDX, Rd: 10, Rs1: 11, Len: 4}},
	{"fcvt.s.d fa0,fa1,rtz", 0x40159553, "d1", Inst{Op: OpFCVTSD, Rd: 10, Rs1: 11, Rm: 1, Len: 4}},
	{"fcvt.d.s fa0,fa1", 0x42058553, "d1", Inst{Op: OpFCVTDS, Rd: 10, Rs1: 11, Len: 4}},
	{"c.addi4spn a0,sp,1020", 0x1fe8, "d1", Inst{Op: OpADDI, Rd: 10, Rs1: 2, Imm: 1020, Len: 2}},
	{"c.addi4spn s0,sp,4", 0x0040, "d1", Inst{Op: OpADDI, Rd: 8, Rs1: 2, Imm: 4, Len: 2}},
	{"c.fld fa0,248(a1)", 0x3de8, "d1", Inst{Op: OpFLD, Rd: 10, Rs1: 11, Imm: 248, Len: 2}},
	{"c.lw a5,124(s0)", 0x5c7c, "d1", Inst{Op: OpLW, Rd: 15, Rs1: 8, Imm: 124, Len: 2}},
	{"c.ld s1,248(a5)", 0x7fe4, "d1", Inst{Op: OpLD, Rd: 9, Rs1: 15, Imm: 248, Len: 2}},
	{"c.fsd fs1,8(a1)", 0xa584, "12", Inst{Op: OpFSD, Rs1: 11, Rs2: 9, Imm: 8, Len: 2}},
	{"c.sw a0,4(a1)", 0xc1c8, "12", Inst{Op: OpSW, Rs1: 11, Rs2: 10, Imm: 4, Len: 2}},
	{"c.sd a0,128(a1)", 0xe1c8, "12", Inst{Op: OpSD, Rs1: 11, Rs2: 10, Imm: 128, Len: 2}},
	{"c.nop", 0x0001, "d1", Inst{Op: OpADDI, Rd: 32, Len: 2}},
	{"c.addi a0,-32", 0x1501, "d1", Inst{Op: OpADDI, Rd: 10, Rs1: 10, Imm: -32, Len: 2}},
	{"c.addi t6,31", 0x0ffd, "d1", Inst{Op: OpADDI, Rd: 31, Rs1: 31, Imm: 31, Len: 2}},
	{"c.addiw a0,31", 0x257d, "d1", Inst{Op: OpADDIW, Rd: 10, Rs1: 10, Imm: 31, Len: 2}},
	{"c.addiw a0,0", 0x2501, "d1", Inst{Op: OpADDIW, Rd: 10, Rs1: 10, Len: 2}},
	{"c.li a0,-1", 0x557d, "d1", Inst{Op: OpADDI, Rd: 10, Imm: -1, Len: 2}},
	{"c.addi16sp sp,-512", 0x7101, "d1", Inst{Op: OpADDI, Rd: 2, Rs1: 2, Imm: -512, Len: 2}},
	{"c.addi16sp sp,496", 0x617d, "d1", Inst{Op: OpADDI, Rd: 2, Rs1: 2, Imm: 496, Len: 2}},
	{"c.lui a0,0xfffe0", 0x7501, "d", Inst{Op: OpLUI, Rd: 10, Imm: -131072, Len: 2}},
	{"c.lui a0,1", 0x6505, "d", Inst{Op: OpLUI, Rd: 10, Imm: 4096, Len: 2}},
	{"c.lui t6,31", 0x6ffd, "d", Inst{Op: OpLUI, Rd: 31, Imm: 126976, Len: 2}},
	{"c.srli a0,63", 0x917d, "d1", Inst{Op: OpSRLI, Rd: 10, Rs1: 10, Imm: 63, Len: 2}},
	{"c.srai s1,1", 0x8485, "d1", Inst{Op: OpSRAI, Rd: 9, Rs1: 9, Imm: 1, Len: 2}},
	{"c.andi a0,-1", 0x997d, "d1", Inst{Op: OpANDI, Rd: 10, Rs1: 10, Imm: -1, Len: 2}},
	{"c.sub a0,a1", 0x8d0d, "d12", Inst{Op: OpSUB, Rd: 10, Rs1: 10, Rs2: 11, Len: 2}},
	{"c.xor a0,a1", 0x8d2d, "d12", Inst{Op: OpXOR, Rd: 10, Rs1: 10, Rs2: 11, Len: 2}},
	{"c.or a0,a1", 0x8d4d, "d12", Inst{Op: OpOR, Rd: 10, Rs1: 10, Rs2: 11, Len: 2}},
	{"c.and a0,a1", 0x8d6d, "d12", Inst{Op: OpAND, Rd: 10, Rs1: 10, Rs2: 11, Len: 2}},
	{"c.subw a0,a1", 0x9d0d, "d12", Inst{Op: OpSUBW, Rd: 10, Rs1: 10, Rs2: 11, Len: 2}},
	{"c.addw a0,a1", 0x9d2d, "d12", Inst{Op: OpADDW, Rd: 10, Rs1: 10, Rs2: 11, Len: 2}},
	{"c.j .-2048", 0xb001, "d", Inst{Op: OpJAL, Rd: 32, Imm: -2048, Len: 2}},
	{"c.j .+2046", 0xaffd, "d", Inst{Op: OpJAL, Rd: 32, Imm: 2046, Len: 2}},
	{"c.beqz a0,.-256", 0xd101, "12", Inst{Op: OpBEQ, Rs1: 10, Imm: -256, Len: 2}},
	{"c.bnez s0,.+254", 0xec7d, "12", Inst{Op: OpBNE, Rs1: 8, Imm: 254, Len: 2}},
	{"c.slli a0,63", 0x157e, "d1", Inst{Op: OpSLLI, Rd: 10, Rs1: 10, Imm: 63, Len: 2}},
	{"c.fldsp fa0,504(sp)", 0x357e, "d1", Inst{Op: OpFLD, Rd: 10, Rs1: 2, Imm: 504, Len: 2}},
	{"c.lwsp a0,252(sp)", 0x557e, "d1", Inst{Op: OpLW, Rd: 10, Rs1: 2, Imm: 252, Len: 2}},
	{"c.ldsp a0,504(sp)", 0x757e, "d1", Inst{Op: OpLD, Rd: 10, Rs1: 2, Imm: 504, Len: 2}},
	{"c.jr a0", 0x8502, "d1", Inst{Op: OpJALR, Rd: 32, Rs1: 10, Len: 2}},
	{"c.jr ra", 0x8082, "d1", Inst{Op: OpJALR, Rd: 32, Rs1: 1, Len: 2}},
	{"c.mv a0,a1", 0x852e, "d12", Inst{Op: OpADD, Rd: 10, Rs2: 11, Len: 2}},
	{"c.ebreak", 0x9002, "", Inst{Op: OpEBREAK, Len: 2}},
	{"c.jalr a0", 0x9502, "d1", Inst{Op: OpJALR, Rd: 1, Rs1: 10, Len: 2}},
	{"c.add a0,a1", 0x952e, "d12", Inst{Op: OpADD, Rd: 10, Rs1: 10, Rs2: 11, Len: 2}},
	{"c.fsdsp fa0,504(sp)", 0xbfaa, "12", Inst{Op: OpFSD, Rs1: 2, Rs2: 10, Imm: 504, Len: 2}},
	{"c.swsp a0,252(sp)", 0xdfaa, "12", Inst{Op: OpSW, Rs1: 2, Rs2: 10, Imm: 252, Len: 2}},
	{"c.sdsp a0,504(sp)", 0xffaa, "12", Inst{Op: OpSD, Rs1: 2, Rs2: 10, Imm: 504, Len: 2}},
	{"c.nop 1", 0x0005, "d1", Inst{Op: OpADDI, Rd: 32, Imm: 1, Len: 2}},
	{"c.addi a0,0", 0x0501, "d1", Inst{Op: OpADDI, Rd: 10, Rs1: 10, Len: 2}},
	{"c.li zero,1", 0x4005, "d1", Inst{Op: OpADDI, Rd: 32, Imm: 1, Len: 2}},
	{"c.lui zero,1", 0x6005, "d", Inst{Op: OpLUI, Rd: 32, Imm: 4096, Len: 2}},
	{"c.slli zero,1", 0x0006, "d1", Inst{Op: OpSLLI, Rd: 32, Imm: 1, Len: 2}},
	{"c.slli64 a0", 0x0502, "d1", Inst{Op: OpSLLI, Rd: 10, Rs1: 10, Len: 2}},
	{"c.srli64 a0", 0x8101, "d1", Inst{Op: OpSRLI, Rd: 10, Rs1: 10, Len: 2}},
	{"c.srai64 a0", 0x8501, "d1", Inst{Op: OpSRAI, Rd: 10, Rs1: 10, Len: 2}},
	{"c.mv zero,a0", 0x802a, "d12", Inst{Op: OpADD, Rd: 32, Rs2: 10, Len: 2}},
	{"c.add zero,a0", 0x902a, "d12", Inst{Op: OpADD, Rd: 32, Rs2: 10, Len: 2}},
}

func TestDecodeTable(t *testing.T) {
	seen := map[Op]bool{}
	for _, tt := range decodeTests {
		got := Decode(tt.raw)
		want := tt.want
		want.Raw = tt.raw
		if !strings.Contains(tt.regs, "d") {
			got.Rd, want.Rd = 0, 0
		}
		if !strings.Contains(tt.regs, "1") {
			got.Rs1, want.Rs1 = 0, 0
		}
		if !strings.Contains(tt.regs, "2") {
			got.Rs2, want.Rs2 = 0, 0
		}
		if !strings.Contains(tt.regs, "3") {
			got.Rs3, want.Rs3 = 0, 0
		}
		if got != want {
			t.Errorf("Decode(%#x) [%s]\n got %+v\nwant %+v", tt.raw, tt.asm, got, want)
		}
		seen[tt.want.Op] = true
	}
	for op := OpIllegal + 1; op < opCount; op++ {
		if !seen[op] {
			t.Errorf("no decode test for %v", op)
		}
	}
}

// TestDecodeReserved lists reserved and unsupported encodings, compressed
// ones in particular, that must decode to OpIllegal.
func TestDecodeReserved(t *testing.T) {
	tests := []struct {
		name string
		raw  uint32
	}{
		{"all-zero 16-bit word (defined illegal)", 0x0000},
		{"all-zero 16-bit word, upper half set", 0xffff0000},
		{"c.addi4spn nzuimm=0, rd'=x9", 0x0004},
		{"c.addi4spn nzuimm=0, rd'=x15", 0x001c},
		{"quadrant 0 funct3=100 (reserved)", 0x8000},
		{"quadrant 0 funct3=100, all bits", 0x9ffc},
		{"c.addiw rd=0 (RV32 c.jal encoding)", 0x2001},
		{"c.addiw rd=0 with offset bits (RV32 c.jal)", 0x307d},
		{"c.addi16sp nzimm=0", 0x6101},
		{"c.lui nzimm=0, rd=a0", 0x6501},
		{"c.lui nzimm=0, rd=zero", 0x6001},
		{"c.subw-space funct2=10 (reserved)", 0x9c41},
		{"c.subw-space funct2=11 (reserved)", 0x9c61},
		{"c.lwsp rd=0", 0x4002},
		{"c.lwsp rd=0, offset", 0x507e},
		{"c.ldsp rd=0", 0x6002},
		{"c.jr rs1=0", 0x8002},
		{"all-ones 32-bit word", 0xffffffff},
		{"custom-2 (rv128 opcode space)", 0x0000005b},
		{"48-bit encoding prefix", 0x0000001f},
		{"64-bit encoding prefix", 0x0000003f},
		{"jalr funct3=1", 0x00051067},
		{"branch funct3=2", 0x00b52063},
		{"load funct3=7", 0x0005f503},
		{"store funct3=4", 0x00a5c023},
		{"slli shamt[6] (RV128)", 0x04059513},
		{"srai funct6=0x11", 0x4405d513},
		{"slliw shamt[5]", 0x0205951b},
		{"sraiw funct7=0x21", 0x4205d51b},
		{"op funct7=0x02", 0x04b50533},
		{"andn (Zbb)", 0x40b57533},
		{"op-32 funct3=2", 0x00b5253b},
		{"misc-mem funct3=2 (cbo.* / Zicbom)", 0x0005200f},
		{"csr funct3=4 (hlv.* space)", 0x6005c573},
		{"ecall with rd", 0x000000f3},
		{"uret", 0x00200073},
		{"dret", 0x7b200073},
		{"hfence.gvma", 0x62000073},
		{"sfence.vma with rd", 0x12000573},
		{"amo funct5=0x05", 0x28b6a52f},
		{"amo funct3=0 (Zabha-style width)", 0x00b6852f},
		{"lr.w with rs2", 0x10b6a52f},
		{"flh (Zfh)", 0x00059507},
		{"vector load (funct3=0 on LOAD-FP)", 0x02058007},
		{"fsh (Zfh)", 0x00a59027},
		{"fmadd.h (fmt=10)", 0x04c5f543},
		{"fmadd.q (fmt=11)", 0x06c5f543},
		{"fmadd.s rm=5", 0x00c5d543},
		{"fadd.s rm=6", 0x00c5e553},
		{"fadd.h", 0x04c58553},
		{"fadd.q", 0x06c58553},
		{"fsqrt.s rs2!=0", 0x58158553},
		{"fsgnj.s funct3=3", 0x20c5b553},
		{"fmin.s funct3=2 (fminm, Zfa)", 0x28c5a553},
		{"fcvt.s.d rs2=0", 0x40058553},
		{"fcvt.d.s rs2=1", 0x42158553},
		{"fcvt.w.s rs2=4", 0xc0458553},
		{"feq.s funct3=3", 0xa0c5b553},
		{"fmv.x.w funct3=2", 0xe005a553},
		{"fmv.x.w rs2=1 (fmvh, Zfa)", 0xe2158553},
		{"fmv.w.x funct3=1", 0xf0059553},
		{"fli.s (Zfa)", 0xf0108553},
		{"OP-V", 0x02000057},
		{"custom-0", 0x0000000b},
	}
	for _, tt := range tests {
		got := Decode(tt.raw)
		if got.Op != OpIllegal {
			t.Errorf("Decode(%#x) [%s] = %v, want illegal", tt.raw, tt.name, got.Op)
		}
		n := uint8(4)
		if tt.raw&3 != 3 {
			n = 2
		}
		if got.Len != n {
			t.Errorf("Decode(%#x) [%s]: Len %d, want %d", tt.raw, tt.name, got.Len, n)
		}
	}
}

// checkDecode verifies the invariants of Decode and Disasm for one word.
func checkDecode(t *testing.T, raw uint32) {
	t.Helper()
	in := Decode(raw)
	wantLen, wantRaw := uint8(4), raw
	if raw&3 != 3 {
		wantLen, wantRaw = 2, raw&0xffff
	}
	if in.Len != wantLen || in.Raw != wantRaw {
		t.Fatalf("Decode(%#x): Len %d Raw %#x, want %d %#x", raw, in.Len, in.Raw, wantLen, wantRaw)
	}
	if in.Op == OpNone || in.Op >= opCount {
		t.Fatalf("Decode(%#x): Op %d", raw, in.Op)
	}
	if in.Op == OpIllegal && in != (Inst{Op: OpIllegal, Len: wantLen, Raw: wantRaw}) {
		t.Fatalf("Decode(%#x) = %+v: illegal with fields set", raw, in)
	}
	if in.Rd > RegSink || in.Rs1 >= 32 || in.Rs2 >= 32 || in.Rs3 >= 32 {
		t.Fatalf("Decode(%#x) = %+v: register out of range", raw, in)
	}
	if in.Op.WritesX() && in.Rd == 0 {
		t.Fatalf("Decode(%#x) = %+v: writes x0 instead of RegSink", raw, in)
	}
	if !in.Op.WritesX() && in.Rd == RegSink {
		t.Fatalf("Decode(%#x) = %+v: RegSink in an op that writes no x register", raw, in)
	}
	if in.Rm > 7 {
		t.Fatalf("Decode(%#x) = %+v: Rm out of range", raw, in)
	}
	if wantLen == 2 && Decode(raw&0xffff) != in {
		t.Fatalf("Decode(%#x) depends on the upper half of a compressed instruction", raw)
	}
	for _, pc := range []uint64{0, 0x80000000, ^uint64(1)} {
		s := Disasm(in, pc)
		if s == "" || strings.ContainsAny(s, "?<") {
			t.Fatalf("Disasm(Decode(%#x), %#x) = %q", raw, pc, s)
		}
	}
}

// TestDecodeCompressedExhaustive checks the invariants for all 16-bit words.
func TestDecodeCompressedExhaustive(t *testing.T) {
	for h := uint32(0); h < 1<<16; h++ {
		if h&3 != 3 {
			checkDecode(t, h)
		}
	}
}

// FuzzDecode checks that Decode never panics, produces consistent lengths,
// register numbers and illegal results, and that Disasm renders anything.
func FuzzDecode(f *testing.F) {
	for _, tt := range decodeTests {
		f.Add(tt.raw)
	}
	f.Fuzz(func(t *testing.T, raw uint32) {
		checkDecode(t, raw)
	})
}
