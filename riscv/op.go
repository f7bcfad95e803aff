package riscv

// Op identifies a decoded instruction. Compressed (C) instructions decode to
// the Op of the base instruction they expand to, with Inst.Len == 2.
type Op uint8

// The operations strata's hart implements. OpNone marks an empty slot of the
// decoded-instruction cache; OpIllegal is any reserved or unimplemented
// encoding.
const (
	OpNone Op = iota
	OpIllegal

	// RV64I
	OpLUI
	OpAUIPC
	OpJAL
	OpJALR
	OpBEQ
	OpBNE
	OpBLT
	OpBGE
	OpBLTU
	OpBGEU
	OpLB
	OpLH
	OpLW
	OpLD
	OpLBU
	OpLHU
	OpLWU
	OpSB
	OpSH
	OpSW
	OpSD
	OpADDI
	OpSLTI
	OpSLTIU
	OpXORI
	OpORI
	OpANDI
	OpSLLI
	OpSRLI
	OpSRAI
	OpADD
	OpSUB
	OpSLL
	OpSLT
	OpSLTU
	OpXOR
	OpSRL
	OpSRA
	OpOR
	OpAND
	OpADDIW
	OpSLLIW
	OpSRLIW
	OpSRAIW
	OpADDW
	OpSUBW
	OpSLLW
	OpSRLW
	OpSRAW
	OpFENCE
	OpFENCEI
	OpECALL
	OpEBREAK

	// M
	OpMUL
	OpMULH
	OpMULHSU
	OpMULHU
	OpDIV
	OpDIVU
	OpREM
	OpREMU
	OpMULW
	OpDIVW
	OpDIVUW
	OpREMW
	OpREMUW

	// A
	OpLRW
	OpSCW
	OpAMOSWAPW
	OpAMOADDW
	OpAMOXORW
	OpAMOANDW
	OpAMOORW
	OpAMOMINW
	OpAMOMAXW
	OpAMOMINUW
	OpAMOMAXUW
	OpLRD
	OpSCD
	OpAMOSWAPD
	OpAMOADDD
	OpAMOXORD
	OpAMOANDD
	OpAMOORD
	OpAMOMIND
	OpAMOMAXD
	OpAMOMINUD
	OpAMOMAXUD

	// Zicsr
	OpCSRRW
	OpCSRRS
	OpCSRRC
	OpCSRRWI
	OpCSRRSI
	OpCSRRCI

	// Privileged
	OpMRET
	OpSRET
	OpWFI
	OpSFENCEVMA

	// F
	OpFLW
	OpFSW
	OpFMADDS
	OpFMSUBS
	OpFNMSUBS
	OpFNMADDS
	OpFADDS
	OpFSUBS
	OpFMULS
	OpFDIVS
	OpFSQRTS
	OpFSGNJS
	OpFSGNJNS
	OpFSGNJXS
	OpFMINS
	OpFMAXS
	OpFCVTWS
	OpFCVTWUS
	OpFCVTLS
	OpFCVTLUS
	OpFMVXW
	OpFEQS
	OpFLTS
	OpFLES
	OpFCLASSS
	OpFCVTSW
	OpFCVTSWU
	OpFCVTSL
	OpFCVTSLU
	OpFMVWX

	// D
	OpFLD
	OpFSD
	OpFMADDD
	OpFMSUBD
	OpFNMSUBD
	OpFNMADDD
	OpFADDD
	OpFSUBD
	OpFMULD
	OpFDIVD
	OpFSQRTD
	OpFSGNJD
	OpFSGNJND
	OpFSGNJXD
	OpFMIND
	OpFMAXD
	OpFCVTSD
	OpFCVTDS
	OpFEQD
	OpFLTD
	OpFLED
	OpFCLASSD
	OpFCVTWD
	OpFCVTWUD
	OpFCVTLD
	OpFCVTLUD
	OpFMVXD
	OpFCVTDW
	OpFCVTDWU
	OpFCVTDL
	OpFCVTDLU
	OpFMVDX

	opCount
)

// opNames holds each Op's mnemonic as GNU objdump prints it.
var opNames = [opCount]string{
	OpNone: "<none>", OpIllegal: "unimp",
	OpLUI: "lui", OpAUIPC: "auipc", OpJAL: "jal", OpJALR: "jalr",
	OpBEQ: "beq", OpBNE: "bne", OpBLT: "blt", OpBGE: "bge", OpBLTU: "bltu", OpBGEU: "bgeu",
	OpLB: "lb", OpLH: "lh", OpLW: "lw", OpLD: "ld", OpLBU: "lbu", OpLHU: "lhu", OpLWU: "lwu",
	OpSB: "sb", OpSH: "sh", OpSW: "sw", OpSD: "sd",
	OpADDI: "addi", OpSLTI: "slti", OpSLTIU: "sltiu", OpXORI: "xori", OpORI: "ori", OpANDI: "andi",
	OpSLLI: "slli", OpSRLI: "srli", OpSRAI: "srai",
	OpADD: "add", OpSUB: "sub", OpSLL: "sll", OpSLT: "slt", OpSLTU: "sltu", OpXOR: "xor",
	OpSRL: "srl", OpSRA: "sra", OpOR: "or", OpAND: "and",
	OpADDIW: "addiw", OpSLLIW: "slliw", OpSRLIW: "srliw", OpSRAIW: "sraiw",
	OpADDW: "addw", OpSUBW: "subw", OpSLLW: "sllw", OpSRLW: "srlw", OpSRAW: "sraw",
	OpFENCE: "fence", OpFENCEI: "fence.i", OpECALL: "ecall", OpEBREAK: "ebreak",
	OpMUL: "mul", OpMULH: "mulh", OpMULHSU: "mulhsu", OpMULHU: "mulhu",
	OpDIV: "div", OpDIVU: "divu", OpREM: "rem", OpREMU: "remu",
	OpMULW: "mulw", OpDIVW: "divw", OpDIVUW: "divuw", OpREMW: "remw", OpREMUW: "remuw",
	OpLRW: "lr.w", OpSCW: "sc.w", OpAMOSWAPW: "amoswap.w", OpAMOADDW: "amoadd.w",
	OpAMOXORW: "amoxor.w", OpAMOANDW: "amoand.w", OpAMOORW: "amoor.w",
	OpAMOMINW: "amomin.w", OpAMOMAXW: "amomax.w", OpAMOMINUW: "amominu.w", OpAMOMAXUW: "amomaxu.w",
	OpLRD: "lr.d", OpSCD: "sc.d", OpAMOSWAPD: "amoswap.d", OpAMOADDD: "amoadd.d",
	OpAMOXORD: "amoxor.d", OpAMOANDD: "amoand.d", OpAMOORD: "amoor.d",
	OpAMOMIND: "amomin.d", OpAMOMAXD: "amomax.d", OpAMOMINUD: "amominu.d", OpAMOMAXUD: "amomaxu.d",
	OpCSRRW: "csrrw", OpCSRRS: "csrrs", OpCSRRC: "csrrc",
	OpCSRRWI: "csrrwi", OpCSRRSI: "csrrsi", OpCSRRCI: "csrrci",
	OpMRET: "mret", OpSRET: "sret", OpWFI: "wfi", OpSFENCEVMA: "sfence.vma",
	OpFLW: "flw", OpFSW: "fsw",
	OpFMADDS: "fmadd.s", OpFMSUBS: "fmsub.s", OpFNMSUBS: "fnmsub.s", OpFNMADDS: "fnmadd.s",
	OpFADDS: "fadd.s", OpFSUBS: "fsub.s", OpFMULS: "fmul.s", OpFDIVS: "fdiv.s", OpFSQRTS: "fsqrt.s",
	OpFSGNJS: "fsgnj.s", OpFSGNJNS: "fsgnjn.s", OpFSGNJXS: "fsgnjx.s",
	OpFMINS: "fmin.s", OpFMAXS: "fmax.s",
	OpFCVTWS: "fcvt.w.s", OpFCVTWUS: "fcvt.wu.s", OpFCVTLS: "fcvt.l.s", OpFCVTLUS: "fcvt.lu.s",
	OpFMVXW: "fmv.x.w", OpFEQS: "feq.s", OpFLTS: "flt.s", OpFLES: "fle.s", OpFCLASSS: "fclass.s",
	OpFCVTSW: "fcvt.s.w", OpFCVTSWU: "fcvt.s.wu", OpFCVTSL: "fcvt.s.l", OpFCVTSLU: "fcvt.s.lu",
	OpFMVWX: "fmv.w.x",
	OpFLD:   "fld", OpFSD: "fsd",
	OpFMADDD: "fmadd.d", OpFMSUBD: "fmsub.d", OpFNMSUBD: "fnmsub.d", OpFNMADDD: "fnmadd.d",
	OpFADDD: "fadd.d", OpFSUBD: "fsub.d", OpFMULD: "fmul.d", OpFDIVD: "fdiv.d", OpFSQRTD: "fsqrt.d",
	OpFSGNJD: "fsgnj.d", OpFSGNJND: "fsgnjn.d", OpFSGNJXD: "fsgnjx.d",
	OpFMIND: "fmin.d", OpFMAXD: "fmax.d",
	OpFCVTSD: "fcvt.s.d", OpFCVTDS: "fcvt.d.s",
	OpFEQD: "feq.d", OpFLTD: "flt.d", OpFLED: "fle.d", OpFCLASSD: "fclass.d",
	OpFCVTWD: "fcvt.w.d", OpFCVTWUD: "fcvt.wu.d", OpFCVTLD: "fcvt.l.d", OpFCVTLUD: "fcvt.lu.d",
	OpFMVXD:  "fmv.x.d",
	OpFCVTDW: "fcvt.d.w", OpFCVTDWU: "fcvt.d.wu", OpFCVTDL: "fcvt.d.l", OpFCVTDLU: "fcvt.d.lu",
	OpFMVDX: "fmv.d.x",
}

// String returns the instruction's mnemonic.
func (o Op) String() string {
	if o < opCount {
		return opNames[o]
	}
	return "op?"
}
