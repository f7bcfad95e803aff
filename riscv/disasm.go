package riscv

import (
	"strconv"
	"strings"
)

// Disasm renders in the way GNU objdump (binutils 2.40, default options, so
// with aliases) prints it with `riscv64-linux-gnu-objdump -d`: mnemonic, a
// tab, then comma-separated operands using ABI register names. pc is the
// instruction's address; branch and jump targets are printed as absolute
// addresses in bare hex ("80000010"), the way objdump prints them before the
// "<symbol+off>" annotation, which Disasm leaves out.
//
// objdump 2.40's alias choices are reproduced exactly, including the
// surprising ones: addi, andi, ori, xori and the immediate shifts print under
// the register-form names ("add a0,a1,1", "sll a0,a0,0x3"), csrrwi/csrrsi/
// csrrci print as csrrw/csrrs/csrrc (or csrw/csrs/csrc), andi rd,rs,255 is
// "zext.b", and RVC hints keep their c. names ("c.nop 1", "c.slli64 a0").
//
// Like objdump, Disasm appends an address comment (" # 8") to loads, stores,
// addi/addiw and jalr whose base register is zero or tp. objdump also
// annotates the second instruction of a lui/auipc pair, and gp-relative
// accesses when the ELF file defines __global_pointer$, with the computed
// address; that needs state beyond one instruction, so Disasm does not.
//
// A few encodings are valid for strata but not for objdump 2.40: FENCE and
// FENCE.I with nonzero reserved fields (which the ISA says to ignore) and the
// exact conversions fcvt.d.s/fcvt.d.w/fcvt.d.wu with a rounding mode other
// than rne. Disasm prints them as what they execute ("fence rw,rw",
// "fcvt.d.w fa0,a0,rtz"), where objdump would print ".4byte".
//
// Encodings Decode rejects print as objdump prints data: ".4byte\t0x..." or
// ".2byte\t0x...", and the all-zero 16-bit word as "unimp".
func Disasm(in Inst, pc uint64) string {
	if in.Op == OpIllegal {
		switch {
		case in.Len == 2 && in.Raw == 0:
			return "unimp"
		case in.Len == 2:
			return ".2byte\t0x" + strconv.FormatUint(uint64(in.Raw), 16)
		}
		return ".4byte\t0x" + strconv.FormatUint(uint64(in.Raw), 16)
	}
	if in.Op == OpNone || in.Op >= opCount {
		return in.Op.String()
	}
	var d dis
	if in.Len == 2 {
		d.compressed(in, pc)
	} else {
		d.base(in, pc)
	}
	if d.b.Len() == 0 {
		return in.Op.String()
	}
	return d.b.String()
}

// dis accumulates one line of disassembly.
type dis struct {
	b     strings.Builder
	nargs int
}

func (d *dis) op(mnemonic string) { d.b.WriteString(mnemonic) }

// arg appends one operand, preceded by a tab or a comma.
func (d *dis) arg(s string) {
	if d.nargs == 0 {
		d.b.WriteByte('\t')
	} else {
		d.b.WriteByte(',')
	}
	d.nargs++
	d.b.WriteString(s)
}

func (d *dis) x(r uint8)    { d.arg(xName(r)) }
func (d *dis) f(r uint8)    { d.arg(fName(r)) }
func (d *dis) imm(v int32)  { d.arg(strconv.FormatInt(int64(v), 10)) }
func (d *dis) hex(v uint32) { d.arg("0x" + strconv.FormatUint(uint64(v), 16)) }
func (d *dis) mem(off int32, base uint8) {
	d.arg(strconv.FormatInt(int64(off), 10) + "(" + xName(base) + ")")
}
func (d *dis) target(pc uint64, off int32) { d.arg(addr(pc + uint64(int64(off)))) }
func (d *dis) csr(n int32)                 { d.arg(csrName(uint32(n))) }

// comment appends objdump's address comment for an access relative to base,
// which it prints without further context only for the zero and tp bases.
func (d *dis) comment(base uint8, off int32) {
	if base == 0 || base == 4 || base == RegSink {
		d.b.WriteString(" # " + addr(uint64(int64(off))))
	}
}

func addr(a uint64) string { return strconv.FormatUint(a, 16) }

var xNames = [33]string{
	"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
	"s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
	"a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
	"s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
	RegSink: "zero",
}

var fNames = [32]string{
	"ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
	"fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
	"fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
	"fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
}

func xName(r uint8) string {
	if int(r) < len(xNames) {
		return xNames[r]
	}
	return "x?"
}

func fName(r uint8) string {
	if int(r) < len(fNames) {
		return fNames[r]
	}
	return "f?"
}

var rmNames = [8]string{"rne", "rtz", "rdn", "rup", "rmm", "unknown", "unknown", "dyn"}

// rm appends the rounding mode unless it is dyn, as objdump does.
func (d *dis) rm(rm uint8) {
	if rm&7 != 7 {
		d.arg(rmNames[rm&7])
	}
}

var fenceNames = [16]string{
	"unknown", "w", "r", "rw", "o", "ow", "or", "orw",
	"i", "iw", "ir", "irw", "io", "iow", "ior", "iorw",
}

var aqrl = [4]string{"", ".rl", ".aq", ".aqrl"}

// csrName returns objdump's name for CSR n, or n in hex.
func csrName(n uint32) string {
	n &= 0xfff
	if s := csrNames[n]; s != "" {
		return s
	}
	return "0x" + strconv.FormatUint(uint64(n), 16)
}

// base renders a 32-bit instruction.
func (d *dis) base(in Inst, pc uint64) {
	rd, rs1, rs2 := in.Rd, in.Rs1, in.Rs2
	if rd == RegSink {
		rd = 0
	}
	switch in.Op {
	case OpLUI, OpAUIPC:
		d.op(in.Op.String())
		d.x(rd)
		d.hex(uint32(in.Imm) >> 12)
	case OpJAL:
		switch rd {
		case 0:
			d.op("j")
		case 1:
			d.op("jal")
		default:
			d.op("jal")
			d.x(rd)
		}
		d.target(pc, in.Imm)
	case OpJALR:
		switch {
		case rd == 0 && rs1 == 1 && in.Imm == 0:
			d.op("ret")
			return
		case rd == 0:
			d.op("jr")
		case rd == 1:
			d.op("jalr")
		default:
			d.op("jalr")
			d.x(rd)
		}
		if in.Imm == 0 {
			d.x(rs1)
		} else {
			d.mem(in.Imm, rs1)
		}
		d.comment(rs1, in.Imm)
	case OpBEQ, OpBNE:
		if rs2 == 0 {
			d.op(in.Op.String() + "z")
			d.x(rs1)
		} else {
			d.op(in.Op.String())
			d.x(rs1)
			d.x(rs2)
		}
		d.target(pc, in.Imm)
	case OpBGE:
		switch {
		case rs1 == 0:
			d.op("blez")
			d.x(rs2)
		case rs2 == 0:
			d.op("bgez")
			d.x(rs1)
		default:
			d.op("bge")
			d.x(rs1)
			d.x(rs2)
		}
		d.target(pc, in.Imm)
	case OpBLT:
		switch {
		case rs2 == 0:
			d.op("bltz")
			d.x(rs1)
		case rs1 == 0:
			d.op("bgtz")
			d.x(rs2)
		default:
			d.op("blt")
			d.x(rs1)
			d.x(rs2)
		}
		d.target(pc, in.Imm)
	case OpBLTU, OpBGEU:
		d.op(in.Op.String())
		d.x(rs1)
		d.x(rs2)
		d.target(pc, in.Imm)
	case OpLB, OpLH, OpLW, OpLD, OpLBU, OpLHU, OpLWU:
		d.op(in.Op.String())
		d.x(rd)
		d.mem(in.Imm, rs1)
		d.comment(rs1, in.Imm)
	case OpFLW, OpFLD:
		d.op(in.Op.String())
		d.f(rd)
		d.mem(in.Imm, rs1)
		d.comment(rs1, in.Imm)
	case OpSB, OpSH, OpSW, OpSD:
		d.op(in.Op.String())
		d.x(rs2)
		d.mem(in.Imm, rs1)
		d.comment(rs1, in.Imm)
	case OpFSW, OpFSD:
		d.op(in.Op.String())
		d.f(rs2)
		d.mem(in.Imm, rs1)
		d.comment(rs1, in.Imm)
	case OpADDI:
		switch {
		case rd == 0 && rs1 == 0 && in.Imm == 0:
			d.op("nop")
		case rs1 == 0:
			d.op("li")
			d.x(rd)
			d.imm(in.Imm)
		case in.Imm == 0:
			d.op("mv")
			d.x(rd)
			d.x(rs1)
		default:
			d.op("add")
			d.x(rd)
			d.x(rs1)
			d.imm(in.Imm)
			d.comment(rs1, in.Imm)
		}
	case OpADDIW:
		if in.Imm == 0 {
			d.op("sext.w")
			d.x(rd)
			d.x(rs1)
			return
		}
		d.op("addw")
		d.x(rd)
		d.x(rs1)
		d.imm(in.Imm)
		if rs1 != 0 {
			d.comment(rs1, in.Imm)
		}
	case OpSLTIU:
		if in.Imm == 1 {
			d.op("seqz")
			d.x(rd)
			d.x(rs1)
			return
		}
		d.rri(in.Op.String(), rd, rs1, in.Imm)
	case OpXORI:
		if in.Imm == -1 {
			d.op("not")
			d.x(rd)
			d.x(rs1)
			return
		}
		d.rri("xor", rd, rs1, in.Imm)
	case OpSLTI:
		d.rri("slti", rd, rs1, in.Imm)
	case OpORI:
		d.rri("or", rd, rs1, in.Imm)
	case OpANDI:
		if in.Imm == 0xff {
			d.op("zext.b")
			d.x(rd)
			d.x(rs1)
			return
		}
		d.rri("and", rd, rs1, in.Imm)
	case OpSLLI, OpSRLI, OpSRAI, OpSLLIW, OpSRLIW, OpSRAIW:
		d.op(shiftNames[in.Op])
		d.x(rd)
		d.x(rs1)
		d.hex(uint32(in.Imm))
	case OpSUB, OpSUBW:
		if rs1 == 0 {
			if in.Op == OpSUBW {
				d.op("negw")
			} else {
				d.op("neg")
			}
			d.x(rd)
			d.x(rs2)
			return
		}
		d.rrr(in.Op.String(), rd, rs1, rs2)
	case OpSLT:
		switch {
		case rs2 == 0:
			d.op("sltz")
			d.x(rd)
			d.x(rs1)
		case rs1 == 0:
			d.op("sgtz")
			d.x(rd)
			d.x(rs2)
		default:
			d.rrr("slt", rd, rs1, rs2)
		}
	case OpSLTU:
		if rs1 == 0 {
			d.op("snez")
			d.x(rd)
			d.x(rs2)
			return
		}
		d.rrr("sltu", rd, rs1, rs2)
	case OpADD, OpSLL, OpXOR, OpSRL, OpSRA, OpOR, OpAND,
		OpADDW, OpSLLW, OpSRLW, OpSRAW,
		OpMUL, OpMULH, OpMULHSU, OpMULHU, OpDIV, OpDIVU, OpREM, OpREMU,
		OpMULW, OpDIVW, OpDIVUW, OpREMW, OpREMUW:
		d.rrr(in.Op.String(), rd, rs1, rs2)
	case OpFENCE:
		switch in.Imm & 0xfff {
		case 0x833:
			d.op("fence.tso")
		case 0x0ff:
			d.op("fence")
		default:
			d.op("fence")
			d.arg(fenceNames[in.Imm>>4&15])
			d.arg(fenceNames[in.Imm&15])
		}
	case OpFENCEI, OpECALL, OpEBREAK, OpMRET, OpSRET, OpWFI:
		d.op(in.Op.String())
	case OpSFENCEVMA:
		d.op("sfence.vma")
		if rs1 != 0 || rs2 != 0 {
			d.x(rs1)
			if rs2 != 0 {
				d.x(rs2)
			}
		}
	case OpLRW, OpLRD:
		d.op(in.Op.String() + aqrl[in.Rm&3])
		d.x(rd)
		d.arg("(" + xName(rs1) + ")")
	case OpSCW, OpAMOSWAPW, OpAMOADDW, OpAMOXORW, OpAMOANDW, OpAMOORW,
		OpAMOMINW, OpAMOMAXW, OpAMOMINUW, OpAMOMAXUW,
		OpSCD, OpAMOSWAPD, OpAMOADDD, OpAMOXORD, OpAMOANDD, OpAMOORD,
		OpAMOMIND, OpAMOMAXD, OpAMOMINUD, OpAMOMAXUD:
		d.op(in.Op.String() + aqrl[in.Rm&3])
		d.x(rd)
		d.x(rs2)
		d.arg("(" + xName(rs1) + ")")
	case OpCSRRW, OpCSRRS, OpCSRRC, OpCSRRWI, OpCSRRSI, OpCSRRCI:
		d.csrInst(in, rd)
	default:
		d.fp(in, rd)
	}
}

var shiftNames = [opCount]string{
	OpSLLI: "sll", OpSRLI: "srl", OpSRAI: "sra",
	OpSLLIW: "sllw", OpSRLIW: "srlw", OpSRAIW: "sraw",
}

func (d *dis) rrr(op string, rd, rs1, rs2 uint8) {
	d.op(op)
	d.x(rd)
	d.x(rs1)
	d.x(rs2)
}

func (d *dis) rri(op string, rd, rs1 uint8, imm int32) {
	d.op(op)
	d.x(rd)
	d.x(rs1)
	d.imm(imm)
}

// csrInst renders the Zicsr instructions with objdump's aliases.
func (d *dis) csrInst(in Inst, rd uint8) {
	csr := in.Imm & 0xfff
	src := func() {
		if in.Op >= OpCSRRWI {
			d.imm(int32(in.Rs1))
		} else {
			d.x(in.Rs1)
		}
	}
	switch in.Op {
	case OpCSRRW:
		if in.Raw == 0xc0001073 {
			d.op("unimp")
			return
		}
		if csr >= 1 && csr <= 3 {
			d.op([4]string{1: "fsflags", 2: "fsrm", 3: "fscsr"}[csr])
			if rd != 0 {
				d.x(rd)
			}
			d.x(in.Rs1)
			return
		}
	case OpCSRRS:
		if in.Rs1 == 0 {
			if s := csrReadAlias(csr); s != "" {
				d.op(s)
				d.x(rd)
				return
			}
			d.op("csrr")
			d.x(rd)
			d.csr(csr)
			return
		}
	case OpCSRRWI:
		if csr == 1 || csr == 2 {
			d.op([3]string{1: "fsflagsi", 2: "fsrmi"}[csr])
			d.x(rd)
			src()
			return
		}
	}
	// objdump 2.40 prints the immediate forms under the register forms'
	// names: csrrwi a0,mstatus,1 is "csrrw a0,mstatus,1", csrrsi x0,... is
	// "csrs".
	base := csrBaseNames[in.Op]
	if rd == 0 {
		d.op("csr" + base[4:])
		d.csr(csr)
		src()
		return
	}
	d.op(base)
	d.x(rd)
	d.csr(csr)
	src()
}

var csrBaseNames = [opCount]string{
	OpCSRRW: "csrrw", OpCSRRS: "csrrs", OpCSRRC: "csrrc",
	OpCSRRWI: "csrrw", OpCSRRSI: "csrrs", OpCSRRCI: "csrrc",
}

var fsgnjAliases = [opCount]string{
	OpFSGNJS: "fmv.s", OpFSGNJNS: "fneg.s", OpFSGNJXS: "fabs.s",
	OpFSGNJD: "fmv.d", OpFSGNJND: "fneg.d", OpFSGNJXD: "fabs.d",
}

// csrReadAlias names the "csrrs rd,csr,zero" aliases objdump prints.
func csrReadAlias(csr int32) string {
	switch csr {
	case 0x001:
		return "frflags"
	case 0x002:
		return "frrm"
	case 0x003:
		return "frcsr"
	case 0xc00:
		return "rdcycle"
	case 0xc01:
		return "rdtime"
	case 0xc02:
		return "rdinstret"
	}
	return ""
}

// fp renders the F and D computational instructions.
func (d *dis) fp(in Inst, rd uint8) {
	name := in.Op.String()
	switch in.Op {
	case OpFMADDS, OpFMSUBS, OpFNMSUBS, OpFNMADDS, OpFMADDD, OpFMSUBD, OpFNMSUBD, OpFNMADDD:
		d.op(name)
		d.f(rd)
		d.f(in.Rs1)
		d.f(in.Rs2)
		d.f(in.Rs3)
		d.rm(in.Rm)
	case OpFADDS, OpFSUBS, OpFMULS, OpFDIVS, OpFADDD, OpFSUBD, OpFMULD, OpFDIVD:
		d.op(name)
		d.f(rd)
		d.f(in.Rs1)
		d.f(in.Rs2)
		d.rm(in.Rm)
	case OpFSQRTS, OpFSQRTD, OpFCVTSD:
		d.op(name)
		d.f(rd)
		d.f(in.Rs1)
		d.rm(in.Rm)
	case OpFCVTDS:
		// objdump 2.40 knows these exact conversions only with rm=rne and
		// then prints no rounding mode.
		d.op(name)
		d.f(rd)
		d.f(in.Rs1)
		if in.Rm != 0 {
			d.rm(in.Rm)
		}
	case OpFSGNJS, OpFSGNJNS, OpFSGNJXS, OpFSGNJD, OpFSGNJND, OpFSGNJXD:
		if in.Rs1 == in.Rs2 {
			d.op(fsgnjAliases[in.Op])
			d.f(rd)
			d.f(in.Rs1)
			return
		}
		d.op(name)
		d.f(rd)
		d.f(in.Rs1)
		d.f(in.Rs2)
	case OpFMINS, OpFMAXS, OpFMIND, OpFMAXD:
		d.op(name)
		d.f(rd)
		d.f(in.Rs1)
		d.f(in.Rs2)
	case OpFEQS, OpFLTS, OpFLES, OpFEQD, OpFLTD, OpFLED:
		d.op(name)
		d.x(rd)
		d.f(in.Rs1)
		d.f(in.Rs2)
	case OpFCVTWS, OpFCVTWUS, OpFCVTLS, OpFCVTLUS, OpFCVTWD, OpFCVTWUD, OpFCVTLD, OpFCVTLUD:
		d.op(name)
		d.x(rd)
		d.f(in.Rs1)
		d.rm(in.Rm)
	case OpFMVXW, OpFMVXD, OpFCLASSS, OpFCLASSD:
		d.op(name)
		d.x(rd)
		d.f(in.Rs1)
	case OpFCVTSW, OpFCVTSWU, OpFCVTSL, OpFCVTSLU, OpFCVTDL, OpFCVTDLU:
		d.op(name)
		d.f(rd)
		d.x(in.Rs1)
		d.rm(in.Rm)
	case OpFCVTDW, OpFCVTDWU:
		d.op(name)
		d.f(rd)
		d.x(in.Rs1)
		if in.Rm != 0 {
			d.rm(in.Rm)
		}
	case OpFMVWX, OpFMVDX:
		d.op(name)
		d.f(rd)
		d.x(in.Rs1)
	}
}

// compressed renders a 16-bit instruction. objdump names most compressed
// instructions after the base instruction they expand to, but with its own
// choice of aliases, and prints the RVC hints with their c. names.
func (d *dis) compressed(in Inst, pc uint64) {
	c := in.Raw
	rd, rs1, rs2 := in.Rd, in.Rs1, in.Rs2
	if rd == RegSink {
		rd = 0
	}
	switch in.Op {
	case OpADDI:
		switch {
		case c == 0x0001:
			d.op("nop")
		case c&3 == 1 && c>>13 == 0 && rd == 0: // c.nop with an immediate
			d.op("c.nop")
			d.imm(in.Imm)
		case c&3 == 1 && c>>13 == 2: // c.li
			if rd == 0 {
				d.op("c.li")
			} else {
				d.op("li")
			}
			d.x(rd)
			d.imm(in.Imm)
		default: // c.addi, c.addi16sp, c.addi4spn
			d.op("add")
			d.x(rd)
			d.x(rs1)
			d.imm(in.Imm)
			if c&3 == 1 && c>>13 == 0 {
				d.comment(rd, in.Imm)
			}
		}
	case OpADDIW:
		if in.Imm == 0 {
			d.op("sext.w")
			d.x(rd)
			d.x(rs1)
			return
		}
		d.op("addw")
		d.x(rd)
		d.x(rs1)
		d.imm(in.Imm)
		d.comment(rd, in.Imm)
	case OpLUI:
		if rd == 0 {
			d.op("c.lui")
		} else {
			d.op("lui")
		}
		d.x(rd)
		d.hex(uint32(in.Imm) >> 12 & 0xfffff)
	case OpSLLI, OpSRLI, OpSRAI:
		if in.Imm == 0 {
			d.op("c." + in.Op.String() + "64")
			d.x(rd)
			return
		}
		if rd == 0 {
			d.op("c.slli")
			d.x(rd)
			d.hex(uint32(in.Imm))
			return
		}
		d.op(shiftNames[in.Op])
		d.x(rd)
		d.x(rs1)
		d.hex(uint32(in.Imm))
	case OpANDI:
		d.rri("and", rd, rs1, in.Imm)
	case OpSUB, OpXOR, OpOR, OpAND, OpSUBW, OpADDW:
		d.rrr(in.Op.String(), rd, rs1, rs2)
	case OpADD:
		switch {
		case rd == 0 && c>>12&1 == 0:
			d.op("c.mv")
			d.x(rd)
			d.x(rs2)
		case rd == 0:
			d.op("c.add")
			d.x(rd)
			d.x(rs2)
		case rs1 == 0:
			d.op("mv")
			d.x(rd)
			d.x(rs2)
		default:
			d.rrr("add", rd, rs1, rs2)
		}
	case OpJAL:
		d.op("j")
		d.target(pc, in.Imm)
	case OpJALR:
		switch {
		case rd == 0 && rs1 == 1:
			d.op("ret")
		case rd == 0:
			d.op("jr")
			d.x(rs1)
		default:
			d.op("jalr")
			d.x(rs1)
		}
	case OpBEQ, OpBNE:
		d.op(in.Op.String() + "z")
		d.x(rs1)
		d.target(pc, in.Imm)
	case OpEBREAK:
		d.op("ebreak")
	case OpLW, OpLD:
		d.op(in.Op.String())
		d.x(rd)
		d.mem(in.Imm, rs1)
	case OpFLD:
		d.op("fld")
		d.f(rd)
		d.mem(in.Imm, rs1)
	case OpSW, OpSD:
		d.op(in.Op.String())
		d.x(rs2)
		d.mem(in.Imm, rs1)
	case OpFSD:
		d.op("fsd")
		d.f(rs2)
		d.mem(in.Imm, rs1)
	}
}

// csrNames holds the CSR names objdump 2.40 prints, by CSR number.
var csrNames = [4096]string{
	0x001: "fflags", 0x002: "frm", 0x003: "fcsr", 0x008: "vstart", 0x009: "vxsat", 0x00a: "vxrm",
	0x00f: "vcsr", 0x015: "seed", 0x100: "sstatus", 0x104: "sie", 0x105: "stvec", 0x106: "scounteren",
	0x10a: "senvcfg", 0x10c: "sstateen0", 0x10d: "sstateen1", 0x10e: "sstateen2", 0x10f: "sstateen3",
	0x114: "sieh", 0x140: "sscratch", 0x141: "sepc", 0x142: "scause", 0x143: "stval", 0x144: "sip",
	0x14d: "stimecmp", 0x150: "siselect", 0x151: "sireg", 0x154: "siph", 0x15c: "stopei",
	0x15d: "stimecmph", 0x180: "satp", 0x200: "vsstatus", 0x204: "vsie", 0x205: "vstvec",
	0x214: "vsieh", 0x240: "vsscratch", 0x241: "vsepc", 0x242: "vscause", 0x243: "vstval",
	0x244: "vsip", 0x24d: "vstimecmp", 0x250: "vsiselect", 0x251: "vsireg", 0x254: "vsiph",
	0x25c: "vstopei", 0x25d: "vstimecmph", 0x280: "vsatp", 0x300: "mstatus", 0x301: "misa",
	0x302: "medeleg", 0x303: "mideleg", 0x304: "mie", 0x305: "mtvec", 0x306: "mcounteren",
	0x308: "mvien", 0x309: "mvip", 0x30a: "menvcfg", 0x30c: "mstateen0", 0x30d: "mstateen1",
	0x30e: "mstateen2", 0x30f: "mstateen3", 0x310: "mstatush", 0x313: "midelegh", 0x314: "mieh",
	0x318: "mvienh", 0x319: "mviph", 0x31a: "menvcfgh", 0x31c: "mstateen0h", 0x31d: "mstateen1h",
	0x31e: "mstateen2h", 0x31f: "mstateen3h", 0x320: "mcountinhibit", 0x323: "mhpmevent3",
	0x324: "mhpmevent4", 0x325: "mhpmevent5", 0x326: "mhpmevent6", 0x327: "mhpmevent7",
	0x328: "mhpmevent8", 0x329: "mhpmevent9", 0x32a: "mhpmevent10", 0x32b: "mhpmevent11",
	0x32c: "mhpmevent12", 0x32d: "mhpmevent13", 0x32e: "mhpmevent14", 0x32f: "mhpmevent15",
	0x330: "mhpmevent16", 0x331: "mhpmevent17", 0x332: "mhpmevent18", 0x333: "mhpmevent19",
	0x334: "mhpmevent20", 0x335: "mhpmevent21", 0x336: "mhpmevent22", 0x337: "mhpmevent23",
	0x338: "mhpmevent24", 0x339: "mhpmevent25", 0x33a: "mhpmevent26", 0x33b: "mhpmevent27",
	0x33c: "mhpmevent28", 0x33d: "mhpmevent29", 0x33e: "mhpmevent30", 0x33f: "mhpmevent31",
	0x340: "mscratch", 0x341: "mepc", 0x342: "mcause", 0x343: "mtval", 0x344: "mip", 0x34a: "mtinst",
	0x34b: "mtval2", 0x350: "miselect", 0x351: "mireg", 0x354: "miph", 0x35c: "mtopei",
	0x3a0: "pmpcfg0", 0x3a1: "pmpcfg1", 0x3a2: "pmpcfg2", 0x3a3: "pmpcfg3", 0x3a4: "pmpcfg4",
	0x3a5: "pmpcfg5", 0x3a6: "pmpcfg6", 0x3a7: "pmpcfg7", 0x3a8: "pmpcfg8", 0x3a9: "pmpcfg9",
	0x3aa: "pmpcfg10", 0x3ab: "pmpcfg11", 0x3ac: "pmpcfg12", 0x3ad: "pmpcfg13", 0x3ae: "pmpcfg14",
	0x3af: "pmpcfg15", 0x3b0: "pmpaddr0", 0x3b1: "pmpaddr1", 0x3b2: "pmpaddr2", 0x3b3: "pmpaddr3",
	0x3b4: "pmpaddr4", 0x3b5: "pmpaddr5", 0x3b6: "pmpaddr6", 0x3b7: "pmpaddr7", 0x3b8: "pmpaddr8",
	0x3b9: "pmpaddr9", 0x3ba: "pmpaddr10", 0x3bb: "pmpaddr11", 0x3bc: "pmpaddr12", 0x3bd: "pmpaddr13",
	0x3be: "pmpaddr14", 0x3bf: "pmpaddr15", 0x3c0: "pmpaddr16", 0x3c1: "pmpaddr17",
	0x3c2: "pmpaddr18", 0x3c3: "pmpaddr19", 0x3c4: "pmpaddr20", 0x3c5: "pmpaddr21",
	0x3c6: "pmpaddr22", 0x3c7: "pmpaddr23", 0x3c8: "pmpaddr24", 0x3c9: "pmpaddr25",
	0x3ca: "pmpaddr26", 0x3cb: "pmpaddr27", 0x3cc: "pmpaddr28", 0x3cd: "pmpaddr29",
	0x3ce: "pmpaddr30", 0x3cf: "pmpaddr31", 0x3d0: "pmpaddr32", 0x3d1: "pmpaddr33",
	0x3d2: "pmpaddr34", 0x3d3: "pmpaddr35", 0x3d4: "pmpaddr36", 0x3d5: "pmpaddr37",
	0x3d6: "pmpaddr38", 0x3d7: "pmpaddr39", 0x3d8: "pmpaddr40", 0x3d9: "pmpaddr41",
	0x3da: "pmpaddr42", 0x3db: "pmpaddr43", 0x3dc: "pmpaddr44", 0x3dd: "pmpaddr45",
	0x3de: "pmpaddr46", 0x3df: "pmpaddr47", 0x3e0: "pmpaddr48", 0x3e1: "pmpaddr49",
	0x3e2: "pmpaddr50", 0x3e3: "pmpaddr51", 0x3e4: "pmpaddr52", 0x3e5: "pmpaddr53",
	0x3e6: "pmpaddr54", 0x3e7: "pmpaddr55", 0x3e8: "pmpaddr56", 0x3e9: "pmpaddr57",
	0x3ea: "pmpaddr58", 0x3eb: "pmpaddr59", 0x3ec: "pmpaddr60", 0x3ed: "pmpaddr61",
	0x3ee: "pmpaddr62", 0x3ef: "pmpaddr63", 0x5a8: "scontext", 0x600: "hstatus", 0x602: "hedeleg",
	0x603: "hideleg", 0x604: "hie", 0x605: "htimedelta", 0x606: "hcounteren", 0x607: "hgeie",
	0x608: "hvien", 0x609: "hvictl", 0x60a: "henvcfg", 0x60c: "hstateen0", 0x60d: "hstateen1",
	0x60e: "hstateen2", 0x60f: "hstateen3", 0x613: "hidelegh", 0x615: "htimedeltah", 0x618: "hvienh",
	0x61a: "henvcfgh", 0x61c: "hstateen0h", 0x61d: "hstateen1h", 0x61e: "hstateen2h",
	0x61f: "hstateen3h", 0x643: "htval", 0x644: "hip", 0x645: "hvip", 0x646: "hviprio1",
	0x647: "hviprio2", 0x64a: "htinst", 0x655: "hviph", 0x656: "hviprio1h", 0x657: "hviprio2h",
	0x680: "hgatp", 0x6a8: "hcontext", 0x723: "mhpmevent3h", 0x724: "mhpmevent4h",
	0x725: "mhpmevent5h", 0x726: "mhpmevent6h", 0x727: "mhpmevent7h", 0x728: "mhpmevent8h",
	0x729: "mhpmevent9h", 0x72a: "mhpmevent10h", 0x72b: "mhpmevent11h", 0x72c: "mhpmevent12h",
	0x72d: "mhpmevent13h", 0x72e: "mhpmevent14h", 0x72f: "mhpmevent15h", 0x730: "mhpmevent16h",
	0x731: "mhpmevent17h", 0x732: "mhpmevent18h", 0x733: "mhpmevent19h", 0x734: "mhpmevent20h",
	0x735: "mhpmevent21h", 0x736: "mhpmevent22h", 0x737: "mhpmevent23h", 0x738: "mhpmevent24h",
	0x739: "mhpmevent25h", 0x73a: "mhpmevent26h", 0x73b: "mhpmevent27h", 0x73c: "mhpmevent28h",
	0x73d: "mhpmevent29h", 0x73e: "mhpmevent30h", 0x73f: "mhpmevent31h", 0x747: "mseccfg",
	0x757: "mseccfgh", 0x7a0: "tselect", 0x7a1: "tdata1", 0x7a2: "tdata2", 0x7a3: "tdata3",
	0x7a4: "tinfo", 0x7a5: "tcontrol", 0x7a8: "mcontext", 0x7aa: "mscontext", 0x7b0: "dcsr",
	0x7b1: "dpc", 0x7b2: "dscratch0", 0x7b3: "dscratch1", 0xb00: "mcycle", 0xb02: "minstret",
	0xb03: "mhpmcounter3", 0xb04: "mhpmcounter4", 0xb05: "mhpmcounter5", 0xb06: "mhpmcounter6",
	0xb07: "mhpmcounter7", 0xb08: "mhpmcounter8", 0xb09: "mhpmcounter9", 0xb0a: "mhpmcounter10",
	0xb0b: "mhpmcounter11", 0xb0c: "mhpmcounter12", 0xb0d: "mhpmcounter13", 0xb0e: "mhpmcounter14",
	0xb0f: "mhpmcounter15", 0xb10: "mhpmcounter16", 0xb11: "mhpmcounter17", 0xb12: "mhpmcounter18",
	0xb13: "mhpmcounter19", 0xb14: "mhpmcounter20", 0xb15: "mhpmcounter21", 0xb16: "mhpmcounter22",
	0xb17: "mhpmcounter23", 0xb18: "mhpmcounter24", 0xb19: "mhpmcounter25", 0xb1a: "mhpmcounter26",
	0xb1b: "mhpmcounter27", 0xb1c: "mhpmcounter28", 0xb1d: "mhpmcounter29", 0xb1e: "mhpmcounter30",
	0xb1f: "mhpmcounter31", 0xb80: "mcycleh", 0xb82: "minstreth", 0xb83: "mhpmcounter3h",
	0xb84: "mhpmcounter4h", 0xb85: "mhpmcounter5h", 0xb86: "mhpmcounter6h", 0xb87: "mhpmcounter7h",
	0xb88: "mhpmcounter8h", 0xb89: "mhpmcounter9h", 0xb8a: "mhpmcounter10h", 0xb8b: "mhpmcounter11h",
	0xb8c: "mhpmcounter12h", 0xb8d: "mhpmcounter13h", 0xb8e: "mhpmcounter14h",
	0xb8f: "mhpmcounter15h", 0xb90: "mhpmcounter16h", 0xb91: "mhpmcounter17h",
	0xb92: "mhpmcounter18h", 0xb93: "mhpmcounter19h", 0xb94: "mhpmcounter20h",
	0xb95: "mhpmcounter21h", 0xb96: "mhpmcounter22h", 0xb97: "mhpmcounter23h",
	0xb98: "mhpmcounter24h", 0xb99: "mhpmcounter25h", 0xb9a: "mhpmcounter26h",
	0xb9b: "mhpmcounter27h", 0xb9c: "mhpmcounter28h", 0xb9d: "mhpmcounter29h",
	0xb9e: "mhpmcounter30h", 0xb9f: "mhpmcounter31h", 0xc00: "cycle", 0xc01: "time", 0xc02: "instret",
	0xc03: "hpmcounter3", 0xc04: "hpmcounter4", 0xc05: "hpmcounter5", 0xc06: "hpmcounter6",
	0xc07: "hpmcounter7", 0xc08: "hpmcounter8", 0xc09: "hpmcounter9", 0xc0a: "hpmcounter10",
	0xc0b: "hpmcounter11", 0xc0c: "hpmcounter12", 0xc0d: "hpmcounter13", 0xc0e: "hpmcounter14",
	0xc0f: "hpmcounter15", 0xc10: "hpmcounter16", 0xc11: "hpmcounter17", 0xc12: "hpmcounter18",
	0xc13: "hpmcounter19", 0xc14: "hpmcounter20", 0xc15: "hpmcounter21", 0xc16: "hpmcounter22",
	0xc17: "hpmcounter23", 0xc18: "hpmcounter24", 0xc19: "hpmcounter25", 0xc1a: "hpmcounter26",
	0xc1b: "hpmcounter27", 0xc1c: "hpmcounter28", 0xc1d: "hpmcounter29", 0xc1e: "hpmcounter30",
	0xc1f: "hpmcounter31", 0xc20: "vl", 0xc21: "vtype", 0xc22: "vlenb", 0xc80: "cycleh",
	0xc81: "timeh", 0xc82: "instreth", 0xc83: "hpmcounter3h", 0xc84: "hpmcounter4h",
	0xc85: "hpmcounter5h", 0xc86: "hpmcounter6h", 0xc87: "hpmcounter7h", 0xc88: "hpmcounter8h",
	0xc89: "hpmcounter9h", 0xc8a: "hpmcounter10h", 0xc8b: "hpmcounter11h", 0xc8c: "hpmcounter12h",
	0xc8d: "hpmcounter13h", 0xc8e: "hpmcounter14h", 0xc8f: "hpmcounter15h", 0xc90: "hpmcounter16h",
	0xc91: "hpmcounter17h", 0xc92: "hpmcounter18h", 0xc93: "hpmcounter19h", 0xc94: "hpmcounter20h",
	0xc95: "hpmcounter21h", 0xc96: "hpmcounter22h", 0xc97: "hpmcounter23h", 0xc98: "hpmcounter24h",
	0xc99: "hpmcounter25h", 0xc9a: "hpmcounter26h", 0xc9b: "hpmcounter27h", 0xc9c: "hpmcounter28h",
	0xc9d: "hpmcounter29h", 0xc9e: "hpmcounter30h", 0xc9f: "hpmcounter31h", 0xda0: "scountovf",
	0xdb0: "stopi", 0xe12: "hgeip", 0xeb0: "vstopi", 0xf11: "mvendorid", 0xf12: "marchid",
	0xf13: "mimpid", 0xf14: "mhartid", 0xf15: "mconfigptr", 0xfb0: "mtopi",
}
