package riscv

// Inst is one decoded instruction, the unit of strata's decoded-instruction
// cache. It is 16 bytes and holds everything the executor needs, so the hot
// loop never looks at instruction bits again.
type Inst struct {
	Op Op
	// Rd is the destination register. For instructions that write an integer
	// register, a destination of x0 is stored as RegSink (32) so the executor
	// can write unconditionally and x0 stays zero.
	Rd  uint8
	Rs1 uint8
	Rs2 uint8
	Rs3 uint8
	// Rm is the rounding-mode field of floating-point instructions, the
	// aq/rl bits (aq<<1|rl) of atomics, and 0 otherwise.
	Rm  uint8
	Len uint8 // 2 for a compressed instruction, 4 otherwise
	_   uint8
	// Imm is the sign-extended immediate; the CSR number for Zicsr
	// instructions (the 5-bit zimm is in Rs1); pred<<4|succ for FENCE.
	Imm int32
	// Raw holds the instruction bits (16 or 32 of them).
	Raw uint32
}

// RegSink is where instructions whose destination is x0 write.
const RegSink = 32

// writesX reports which ops write an integer destination register.
var writesX = func() (w [opCount]bool) {
	for _, o := range []Op{
		OpLUI, OpAUIPC, OpJAL, OpJALR, OpLB, OpLH, OpLW, OpLD, OpLBU, OpLHU, OpLWU,
		OpADDI, OpSLTI, OpSLTIU, OpXORI, OpORI, OpANDI, OpSLLI, OpSRLI, OpSRAI,
		OpADD, OpSUB, OpSLL, OpSLT, OpSLTU, OpXOR, OpSRL, OpSRA, OpOR, OpAND,
		OpADDIW, OpSLLIW, OpSRLIW, OpSRAIW, OpADDW, OpSUBW, OpSLLW, OpSRLW, OpSRAW,
		OpMUL, OpMULH, OpMULHSU, OpMULHU, OpDIV, OpDIVU, OpREM, OpREMU,
		OpMULW, OpDIVW, OpDIVUW, OpREMW, OpREMUW,
		OpLRW, OpSCW, OpAMOSWAPW, OpAMOADDW, OpAMOXORW, OpAMOANDW, OpAMOORW,
		OpAMOMINW, OpAMOMAXW, OpAMOMINUW, OpAMOMAXUW,
		OpLRD, OpSCD, OpAMOSWAPD, OpAMOADDD, OpAMOXORD, OpAMOANDD, OpAMOORD,
		OpAMOMIND, OpAMOMAXD, OpAMOMINUD, OpAMOMAXUD,
		OpCSRRW, OpCSRRS, OpCSRRC, OpCSRRWI, OpCSRRSI, OpCSRRCI,
		OpFCVTWS, OpFCVTWUS, OpFCVTLS, OpFCVTLUS, OpFMVXW, OpFEQS, OpFLTS, OpFLES, OpFCLASSS,
		OpFEQD, OpFLTD, OpFLED, OpFCLASSD, OpFCVTWD, OpFCVTWUD, OpFCVTLD, OpFCVTLUD, OpFMVXD,
	} {
		w[o] = true
	}
	return w
}()

// WritesX reports whether op writes an integer register.
func (o Op) WritesX() bool { return o < opCount && writesX[o] }

// Decode decodes one instruction. If the low two bits of raw are not 0b11 it
// is a 16-bit compressed instruction and only raw's low 16 bits are used.
// Reserved and unsupported encodings decode to OpIllegal; Decode never panics.
func Decode(raw uint32) Inst {
	var in Inst
	if raw&3 != 3 {
		in = decodeC(uint16(raw))
		in.Len = 2
		in.Raw = raw & 0xffff
	} else {
		in = decode32(raw)
		in.Len = 4
		in.Raw = raw
	}
	if in.Op == OpIllegal {
		in = Inst{Op: OpIllegal, Len: in.Len, Raw: in.Raw}
	}
	if in.Rd == 0 && writesX[in.Op] {
		in.Rd = RegSink
	}
	return in
}

func bits(x uint32, hi, lo uint) uint32 { return (x >> lo) & (1<<(hi-lo+1) - 1) }

func sext(x uint32, width uint) int32 { return int32(x<<(32-width)) >> (32 - width) }

func immI(r uint32) int32 { return int32(r) >> 20 }
func immS(r uint32) int32 { return int32(r)>>25<<5 | int32(bits(r, 11, 7)) }
func immB(r uint32) int32 {
	v := bits(r, 31, 31)<<12 | bits(r, 7, 7)<<11 | bits(r, 30, 25)<<5 | bits(r, 11, 8)<<1
	return sext(v, 13)
}
func immU(r uint32) int32 { return int32(r & 0xfffff000) }
func immJ(r uint32) int32 {
	v := bits(r, 31, 31)<<20 | bits(r, 19, 12)<<12 | bits(r, 20, 20)<<11 | bits(r, 30, 21)<<1
	return sext(v, 21)
}

func decode32(r uint32) Inst {
	in := Inst{
		Rd:  uint8(bits(r, 11, 7)),
		Rs1: uint8(bits(r, 19, 15)),
		Rs2: uint8(bits(r, 24, 20)),
		Rs3: uint8(bits(r, 31, 27)),
	}
	f3 := bits(r, 14, 12)
	f7 := bits(r, 31, 25)
	ill := Inst{Op: OpIllegal}
	switch bits(r, 6, 0) {
	case 0x37:
		in.Op, in.Imm = OpLUI, immU(r)
	case 0x17:
		in.Op, in.Imm = OpAUIPC, immU(r)
	case 0x6f:
		in.Op, in.Imm = OpJAL, immJ(r)
	case 0x67:
		if f3 != 0 {
			return ill
		}
		in.Op, in.Imm = OpJALR, immI(r)
	case 0x63:
		ops := [8]Op{OpBEQ, OpBNE, OpIllegal, OpIllegal, OpBLT, OpBGE, OpBLTU, OpBGEU}
		in.Op, in.Imm = ops[f3], immB(r)
	case 0x03:
		ops := [8]Op{OpLB, OpLH, OpLW, OpLD, OpLBU, OpLHU, OpLWU, OpIllegal}
		in.Op, in.Imm = ops[f3], immI(r)
	case 0x23:
		ops := [8]Op{OpSB, OpSH, OpSW, OpSD, OpIllegal, OpIllegal, OpIllegal, OpIllegal}
		in.Op, in.Imm = ops[f3], immS(r)
	case 0x13:
		in.Imm = immI(r)
		switch f3 {
		case 0:
			in.Op = OpADDI
		case 2:
			in.Op = OpSLTI
		case 3:
			in.Op = OpSLTIU
		case 4:
			in.Op = OpXORI
		case 6:
			in.Op = OpORI
		case 7:
			in.Op = OpANDI
		case 1:
			if bits(r, 31, 26) != 0 {
				return ill
			}
			in.Op, in.Imm = OpSLLI, int32(bits(r, 25, 20))
		case 5:
			switch bits(r, 31, 26) {
			case 0:
				in.Op = OpSRLI
			case 0x10:
				in.Op = OpSRAI
			default:
				return ill
			}
			in.Imm = int32(bits(r, 25, 20))
		}
	case 0x1b:
		in.Imm = immI(r)
		switch {
		case f3 == 0:
			in.Op = OpADDIW
		case f3 == 1 && f7 == 0:
			in.Op, in.Imm = OpSLLIW, int32(in.Rs2)
		case f3 == 5 && f7 == 0:
			in.Op, in.Imm = OpSRLIW, int32(in.Rs2)
		case f3 == 5 && f7 == 0x20:
			in.Op, in.Imm = OpSRAIW, int32(in.Rs2)
		default:
			return ill
		}
	case 0x33:
		switch f7 {
		case 0:
			in.Op = [8]Op{OpADD, OpSLL, OpSLT, OpSLTU, OpXOR, OpSRL, OpOR, OpAND}[f3]
		case 0x20:
			in.Op = [8]Op{OpSUB, OpIllegal, OpIllegal, OpIllegal, OpIllegal, OpSRA, OpIllegal, OpIllegal}[f3]
		case 1:
			in.Op = [8]Op{OpMUL, OpMULH, OpMULHSU, OpMULHU, OpDIV, OpDIVU, OpREM, OpREMU}[f3]
		default:
			return ill
		}
	case 0x3b:
		switch f7 {
		case 0:
			in.Op = [8]Op{OpADDW, OpSLLW, OpIllegal, OpIllegal, OpIllegal, OpSRLW, OpIllegal, OpIllegal}[f3]
		case 0x20:
			in.Op = [8]Op{OpSUBW, OpIllegal, OpIllegal, OpIllegal, OpIllegal, OpSRAW, OpIllegal, OpIllegal}[f3]
		case 1:
			in.Op = [8]Op{OpMULW, OpIllegal, OpIllegal, OpIllegal, OpDIVW, OpDIVUW, OpREMW, OpREMUW}[f3]
		default:
			return ill
		}
	case 0x0f:
		switch f3 {
		case 0:
			in.Op, in.Imm = OpFENCE, int32(bits(r, 31, 20))
			in.Rd, in.Rs1 = 0, 0
		case 1:
			in.Op = OpFENCEI
			in.Rd, in.Rs1 = 0, 0
		default:
			return ill
		}
	case 0x73:
		if f3 == 0 {
			switch {
			case r == 0x00000073:
				in.Op = OpECALL
			case r == 0x00100073:
				in.Op = OpEBREAK
			case r == 0x30200073:
				in.Op = OpMRET
			case r == 0x10200073:
				in.Op = OpSRET
			case r == 0x10500073:
				in.Op = OpWFI
			case f7 == 0x09 && in.Rd == 0:
				in.Op = OpSFENCEVMA
			default:
				return ill
			}
			in.Rd = 0
			return in
		}
		in.Imm = int32(bits(r, 31, 20))
		in.Rs2 = 0
		in.Op = [8]Op{OpIllegal, OpCSRRW, OpCSRRS, OpCSRRC, OpIllegal, OpCSRRWI, OpCSRRSI, OpCSRRCI}[f3]
	case 0x2f:
		in.Rm = uint8(bits(r, 26, 25))
		f5 := bits(r, 31, 27)
		var ops [32]Op
		switch f3 {
		case 2:
			ops = [32]Op{0x00: OpAMOADDW, 0x01: OpAMOSWAPW, 0x02: OpLRW, 0x03: OpSCW, 0x04: OpAMOXORW,
				0x08: OpAMOORW, 0x0c: OpAMOANDW, 0x10: OpAMOMINW, 0x14: OpAMOMAXW, 0x18: OpAMOMINUW, 0x1c: OpAMOMAXUW}
		case 3:
			ops = [32]Op{0x00: OpAMOADDD, 0x01: OpAMOSWAPD, 0x02: OpLRD, 0x03: OpSCD, 0x04: OpAMOXORD,
				0x08: OpAMOORD, 0x0c: OpAMOANDD, 0x10: OpAMOMIND, 0x14: OpAMOMAXD, 0x18: OpAMOMINUD, 0x1c: OpAMOMAXUD}
		default:
			return ill
		}
		in.Op = ops[f5]
		if in.Op == OpNone {
			return ill
		}
		if (in.Op == OpLRW || in.Op == OpLRD) && in.Rs2 != 0 {
			return ill
		}
	case 0x07:
		switch f3 {
		case 2:
			in.Op = OpFLW
		case 3:
			in.Op = OpFLD
		default:
			return ill
		}
		in.Imm = immI(r)
	case 0x27:
		switch f3 {
		case 2:
			in.Op = OpFSW
		case 3:
			in.Op = OpFSD
		default:
			return ill
		}
		in.Imm = immS(r)
	case 0x43, 0x47, 0x4b, 0x4f:
		if f3 == 5 || f3 == 6 {
			return ill
		}
		in.Rm = uint8(f3)
		idx := (bits(r, 6, 0) - 0x43) >> 2
		switch bits(r, 26, 25) {
		case 0:
			in.Op = [4]Op{OpFMADDS, OpFMSUBS, OpFNMSUBS, OpFNMADDS}[idx]
		case 1:
			in.Op = [4]Op{OpFMADDD, OpFMSUBD, OpFNMSUBD, OpFNMADDD}[idx]
		default:
			return ill
		}
	case 0x53:
		return decodeFP(r, in, f3, f7)
	default:
		return ill
	}
	return in
}

func decodeFP(r uint32, in Inst, f3, f7 uint32) Inst {
	ill := Inst{Op: OpIllegal}
	rmOK := f3 != 5 && f3 != 6
	in.Rm = uint8(f3)
	d := f7&1 == 1
	if f7&2 != 0 { // fmt H/Q: not implemented
		return ill
	}
	pick := func(s, dd Op) Op {
		if d {
			return dd
		}
		return s
	}
	switch f7 >> 2 {
	case 0x00, 0x01, 0x02, 0x03:
		if !rmOK {
			return ill
		}
		in.Op = [4]Op{pick(OpFADDS, OpFADDD), pick(OpFSUBS, OpFSUBD), pick(OpFMULS, OpFMULD), pick(OpFDIVS, OpFDIVD)}[f7>>2]
	case 0x0b:
		if !rmOK || in.Rs2 != 0 {
			return ill
		}
		in.Op = pick(OpFSQRTS, OpFSQRTD)
	case 0x04:
		if f3 > 2 {
			return ill
		}
		in.Op = [3]Op{pick(OpFSGNJS, OpFSGNJD), pick(OpFSGNJNS, OpFSGNJND), pick(OpFSGNJXS, OpFSGNJXD)}[f3]
		in.Rm = 0
	case 0x05:
		if f3 > 1 {
			return ill
		}
		in.Op = [2]Op{pick(OpFMINS, OpFMIND), pick(OpFMAXS, OpFMAXD)}[f3]
		in.Rm = 0
	case 0x08: // fcvt.s.d / fcvt.d.s
		if !rmOK {
			return ill
		}
		switch {
		case !d && in.Rs2 == 1:
			in.Op = OpFCVTSD
		case d && in.Rs2 == 0:
			in.Op = OpFCVTDS
		default:
			return ill
		}
	case 0x14:
		if f3 > 2 {
			return ill
		}
		in.Op = [3]Op{pick(OpFLES, OpFLED), pick(OpFLTS, OpFLTD), pick(OpFEQS, OpFEQD)}[f3]
		in.Rm = 0
	case 0x18:
		if !rmOK || in.Rs2 > 3 {
			return ill
		}
		in.Op = [4]Op{pick(OpFCVTWS, OpFCVTWD), pick(OpFCVTWUS, OpFCVTWUD), pick(OpFCVTLS, OpFCVTLD), pick(OpFCVTLUS, OpFCVTLUD)}[in.Rs2]
	case 0x1a:
		if !rmOK || in.Rs2 > 3 {
			return ill
		}
		in.Op = [4]Op{pick(OpFCVTSW, OpFCVTDW), pick(OpFCVTSWU, OpFCVTDWU), pick(OpFCVTSL, OpFCVTDL), pick(OpFCVTSLU, OpFCVTDLU)}[in.Rs2]
	case 0x1c:
		if in.Rs2 != 0 {
			return ill
		}
		switch f3 {
		case 0:
			in.Op = pick(OpFMVXW, OpFMVXD)
		case 1:
			in.Op = pick(OpFCLASSS, OpFCLASSD)
		default:
			return ill
		}
		in.Rm = 0
	case 0x1e:
		if in.Rs2 != 0 || f3 != 0 {
			return ill
		}
		in.Op = pick(OpFMVWX, OpFMVDX)
		in.Rm = 0
	default:
		return ill
	}
	_ = r
	return in
}

// decodeC expands a 16-bit compressed instruction into the base instruction
// it stands for (RV64C).
func decodeC(c16 uint16) Inst {
	c := uint32(c16)
	ill := Inst{Op: OpIllegal}
	rdp := uint8(bits(c, 4, 2) + 8)  // rd'/rs2'
	rs1p := uint8(bits(c, 9, 7) + 8) // rs1'/rd'
	rd := uint8(bits(c, 11, 7))
	rs2 := uint8(bits(c, 6, 2))
	f3 := bits(c, 15, 13)
	switch c & 3 {
	case 0:
		switch f3 {
		case 0: // c.addi4spn
			imm := bits(c, 10, 7)<<6 | bits(c, 12, 11)<<4 | bits(c, 5, 5)<<3 | bits(c, 6, 6)<<2
			if imm == 0 {
				return ill // also covers the all-zero illegal instruction
			}
			return Inst{Op: OpADDI, Rd: rdp, Rs1: 2, Imm: int32(imm)}
		case 1: // c.fld
			return Inst{Op: OpFLD, Rd: rdp, Rs1: rs1p, Imm: int32(bits(c, 12, 10)<<3 | bits(c, 6, 5)<<6)}
		case 2: // c.lw
			return Inst{Op: OpLW, Rd: rdp, Rs1: rs1p, Imm: int32(bits(c, 12, 10)<<3 | bits(c, 6, 6)<<2 | bits(c, 5, 5)<<6)}
		case 3: // c.ld
			return Inst{Op: OpLD, Rd: rdp, Rs1: rs1p, Imm: int32(bits(c, 12, 10)<<3 | bits(c, 6, 5)<<6)}
		case 5: // c.fsd
			return Inst{Op: OpFSD, Rs2: rdp, Rs1: rs1p, Imm: int32(bits(c, 12, 10)<<3 | bits(c, 6, 5)<<6)}
		case 6: // c.sw
			return Inst{Op: OpSW, Rs2: rdp, Rs1: rs1p, Imm: int32(bits(c, 12, 10)<<3 | bits(c, 6, 6)<<2 | bits(c, 5, 5)<<6)}
		case 7: // c.sd
			return Inst{Op: OpSD, Rs2: rdp, Rs1: rs1p, Imm: int32(bits(c, 12, 10)<<3 | bits(c, 6, 5)<<6)}
		}
		return ill
	case 1:
		imm6 := sext(bits(c, 12, 12)<<5|bits(c, 6, 2), 6)
		switch f3 {
		case 0: // c.addi / c.nop
			return Inst{Op: OpADDI, Rd: rd, Rs1: rd, Imm: imm6}
		case 1: // c.addiw
			if rd == 0 {
				return ill
			}
			return Inst{Op: OpADDIW, Rd: rd, Rs1: rd, Imm: imm6}
		case 2: // c.li
			return Inst{Op: OpADDI, Rd: rd, Rs1: 0, Imm: imm6}
		case 3:
			if rd == 2 { // c.addi16sp
				imm := sext(bits(c, 12, 12)<<9|bits(c, 4, 3)<<7|bits(c, 5, 5)<<6|bits(c, 2, 2)<<5|bits(c, 6, 6)<<4, 10)
				if imm == 0 {
					return ill
				}
				return Inst{Op: OpADDI, Rd: 2, Rs1: 2, Imm: imm}
			}
			if imm6 == 0 {
				return ill
			}
			return Inst{Op: OpLUI, Rd: rd, Imm: imm6 << 12} // c.lui
		case 4:
			switch bits(c, 11, 10) {
			case 0: // c.srli
				return Inst{Op: OpSRLI, Rd: rs1p, Rs1: rs1p, Imm: int32(bits(c, 12, 12)<<5 | bits(c, 6, 2))}
			case 1: // c.srai
				return Inst{Op: OpSRAI, Rd: rs1p, Rs1: rs1p, Imm: int32(bits(c, 12, 12)<<5 | bits(c, 6, 2))}
			case 2: // c.andi
				return Inst{Op: OpANDI, Rd: rs1p, Rs1: rs1p, Imm: imm6}
			}
			ops := [8]Op{OpSUB, OpXOR, OpOR, OpAND, OpSUBW, OpADDW, OpIllegal, OpIllegal}
			op := ops[bits(c, 12, 12)<<2|bits(c, 6, 5)]
			return Inst{Op: op, Rd: rs1p, Rs1: rs1p, Rs2: rdp}
		case 5: // c.j
			return Inst{Op: OpJAL, Rd: 0, Imm: cjImm(c)}
		case 6: // c.beqz
			return Inst{Op: OpBEQ, Rs1: rs1p, Rs2: 0, Imm: cbImm(c)}
		case 7: // c.bnez
			return Inst{Op: OpBNE, Rs1: rs1p, Rs2: 0, Imm: cbImm(c)}
		}
	case 2:
		switch f3 {
		case 0: // c.slli
			return Inst{Op: OpSLLI, Rd: rd, Rs1: rd, Imm: int32(bits(c, 12, 12)<<5 | bits(c, 6, 2))}
		case 1: // c.fldsp
			return Inst{Op: OpFLD, Rd: rd, Rs1: 2, Imm: int32(bits(c, 12, 12)<<5 | bits(c, 6, 5)<<3 | bits(c, 4, 2)<<6)}
		case 2: // c.lwsp
			if rd == 0 {
				return ill
			}
			return Inst{Op: OpLW, Rd: rd, Rs1: 2, Imm: int32(bits(c, 12, 12)<<5 | bits(c, 6, 4)<<2 | bits(c, 3, 2)<<6)}
		case 3: // c.ldsp
			if rd == 0 {
				return ill
			}
			return Inst{Op: OpLD, Rd: rd, Rs1: 2, Imm: int32(bits(c, 12, 12)<<5 | bits(c, 6, 5)<<3 | bits(c, 4, 2)<<6)}
		case 4:
			if bits(c, 12, 12) == 0 {
				if rs2 == 0 { // c.jr
					if rd == 0 {
						return ill
					}
					return Inst{Op: OpJALR, Rd: 0, Rs1: rd}
				}
				return Inst{Op: OpADD, Rd: rd, Rs1: 0, Rs2: rs2} // c.mv
			}
			if rs2 == 0 {
				if rd == 0 {
					return Inst{Op: OpEBREAK} // c.ebreak
				}
				return Inst{Op: OpJALR, Rd: 1, Rs1: rd} // c.jalr
			}
			return Inst{Op: OpADD, Rd: rd, Rs1: rd, Rs2: rs2} // c.add
		case 5: // c.fsdsp
			return Inst{Op: OpFSD, Rs1: 2, Rs2: rs2, Imm: int32(bits(c, 12, 10)<<3 | bits(c, 9, 7)<<6)}
		case 6: // c.swsp
			return Inst{Op: OpSW, Rs1: 2, Rs2: rs2, Imm: int32(bits(c, 12, 9)<<2 | bits(c, 8, 7)<<6)}
		case 7: // c.sdsp
			return Inst{Op: OpSD, Rs1: 2, Rs2: rs2, Imm: int32(bits(c, 12, 10)<<3 | bits(c, 9, 7)<<6)}
		}
	}
	return ill
}

func cjImm(c uint32) int32 {
	v := bits(c, 12, 12)<<11 | bits(c, 11, 11)<<4 | bits(c, 10, 9)<<8 | bits(c, 8, 8)<<10 |
		bits(c, 7, 7)<<6 | bits(c, 6, 6)<<7 | bits(c, 5, 3)<<1 | bits(c, 2, 2)<<5
	return sext(v, 12)
}

func cbImm(c uint32) int32 {
	v := bits(c, 12, 12)<<8 | bits(c, 11, 10)<<3 | bits(c, 6, 5)<<6 | bits(c, 4, 3)<<1 | bits(c, 2, 2)<<5
	return sext(v, 9)
}
