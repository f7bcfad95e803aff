package riscv

import (
	sf "strata/softfloat"
)

type fpResult uint8

const (
	fpOK fpResult = iota
	fpIllegal
	fpFault
)

const boxMask = 0xffffffff00000000

// f32 reads a single from an f register, applying NaN-boxing: an improperly
// boxed value reads as the canonical NaN.
func (h *Hart) f32(r uint8) uint32 {
	v := h.F[r&31]
	if v&boxMask != boxMask {
		return sf.F32NaN
	}
	return uint32(v)
}

func (h *Hart) setF32(r uint8, v uint32) {
	h.F[r&31] = boxMask | uint64(v)
	h.mstatus |= mstatusFS
}

func (h *Hart) setF64(r uint8, v uint64) {
	h.F[r&31] = v
	h.mstatus |= mstatusFS
}

func (h *Hart) setX(r uint8, v uint64) { h.X[r&63] = v }

// flags accumulates exception flags into fflags.
func (h *Hart) flags(f uint8) {
	if f != 0 {
		h.fcsr |= uint64(f)
		h.mstatus |= mstatusFS
	}
}

// execFP executes an F or D instruction.
func (h *Hart) execFP(in *Inst) fpResult {
	if h.mstatus&mstatusFS == 0 {
		return fpIllegal
	}
	// The decoder rejects the reserved static modes and zeroes Rm for
	// instructions without one, so only the dynamic mode needs a check.
	rm := in.Rm
	if rm == 7 {
		rm = uint8(h.fcsr >> 5 & 7)
		if rm > 4 {
			return fpIllegal
		}
	}
	x := &h.X
	switch in.Op {
	case OpFLW:
		v, ok := h.load(x[in.Rs1&63]+uint64(int64(in.Imm)), 4)
		if !ok {
			return fpFault
		}
		h.setF32(in.Rd, uint32(v))
	case OpFLD:
		v, ok := h.load(x[in.Rs1&63]+uint64(int64(in.Imm)), 8)
		if !ok {
			return fpFault
		}
		h.setF64(in.Rd, v)
	case OpFSW:
		if !h.store(x[in.Rs1&63]+uint64(int64(in.Imm)), 4, h.F[in.Rs2&31]) {
			return fpFault
		}
	case OpFSD:
		if !h.store(x[in.Rs1&63]+uint64(int64(in.Imm)), 8, h.F[in.Rs2&31]) {
			return fpFault
		}

	// Single precision.
	case OpFADDS:
		v, f := sf.F32Add(h.f32(in.Rs1), h.f32(in.Rs2), rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFSUBS:
		v, f := sf.F32Sub(h.f32(in.Rs1), h.f32(in.Rs2), rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFMULS:
		v, f := sf.F32Mul(h.f32(in.Rs1), h.f32(in.Rs2), rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFDIVS:
		v, f := sf.F32Div(h.f32(in.Rs1), h.f32(in.Rs2), rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFSQRTS:
		v, f := sf.F32Sqrt(h.f32(in.Rs1), rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFMADDS:
		v, f := sf.F32MulAdd(h.f32(in.Rs1), h.f32(in.Rs2), h.f32(in.Rs3), rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFMSUBS:
		v, f := sf.F32MulSub(h.f32(in.Rs1), h.f32(in.Rs2), h.f32(in.Rs3), rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFNMSUBS:
		v, f := sf.F32NMulSub(h.f32(in.Rs1), h.f32(in.Rs2), h.f32(in.Rs3), rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFNMADDS:
		v, f := sf.F32NMulAdd(h.f32(in.Rs1), h.f32(in.Rs2), h.f32(in.Rs3), rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFSGNJS, OpFSGNJNS, OpFSGNJXS:
		a, b := h.f32(in.Rs1), h.f32(in.Rs2)
		s := b & (1 << 31)
		switch in.Op {
		case OpFSGNJNS:
			s ^= 1 << 31
		case OpFSGNJXS:
			s ^= a & (1 << 31)
		}
		h.setF32(in.Rd, a&^(1<<31)|s)
	case OpFMINS:
		v, f := sf.F32Min(h.f32(in.Rs1), h.f32(in.Rs2))
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFMAXS:
		v, f := sf.F32Max(h.f32(in.Rs1), h.f32(in.Rs2))
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFCVTWS:
		v, f := sf.F32ToI32(h.f32(in.Rs1), rm)
		h.setX(in.Rd, v)
		h.flags(f)
	case OpFCVTWUS:
		v, f := sf.F32ToU32(h.f32(in.Rs1), rm)
		h.setX(in.Rd, v)
		h.flags(f)
	case OpFCVTLS:
		v, f := sf.F32ToI64(h.f32(in.Rs1), rm)
		h.setX(in.Rd, v)
		h.flags(f)
	case OpFCVTLUS:
		v, f := sf.F32ToU64(h.f32(in.Rs1), rm)
		h.setX(in.Rd, v)
		h.flags(f)
	case OpFMVXW:
		h.setX(in.Rd, uint64(int32(uint32(h.F[in.Rs1&31]))))
	case OpFEQS:
		v, f := sf.F32Eq(h.f32(in.Rs1), h.f32(in.Rs2))
		h.setX(in.Rd, b2u(v))
		h.flags(f)
	case OpFLTS:
		v, f := sf.F32Lt(h.f32(in.Rs1), h.f32(in.Rs2))
		h.setX(in.Rd, b2u(v))
		h.flags(f)
	case OpFLES:
		v, f := sf.F32Le(h.f32(in.Rs1), h.f32(in.Rs2))
		h.setX(in.Rd, b2u(v))
		h.flags(f)
	case OpFCLASSS:
		h.setX(in.Rd, sf.F32Class(h.f32(in.Rs1)))
	case OpFCVTSW:
		v, f := sf.F32FromI32(int32(x[in.Rs1&63]), rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFCVTSWU:
		v, f := sf.F32FromU32(uint32(x[in.Rs1&63]), rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFCVTSL:
		v, f := sf.F32FromI64(int64(x[in.Rs1&63]), rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFCVTSLU:
		v, f := sf.F32FromU64(x[in.Rs1&63], rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFMVWX:
		h.setF32(in.Rd, uint32(x[in.Rs1&63]))

	// Double precision.
	case OpFADDD:
		v, f := sf.F64Add(h.F[in.Rs1&31], h.F[in.Rs2&31], rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFSUBD:
		v, f := sf.F64Sub(h.F[in.Rs1&31], h.F[in.Rs2&31], rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFMULD:
		v, f := sf.F64Mul(h.F[in.Rs1&31], h.F[in.Rs2&31], rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFDIVD:
		v, f := sf.F64Div(h.F[in.Rs1&31], h.F[in.Rs2&31], rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFSQRTD:
		v, f := sf.F64Sqrt(h.F[in.Rs1&31], rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFMADDD:
		v, f := sf.F64MulAdd(h.F[in.Rs1&31], h.F[in.Rs2&31], h.F[in.Rs3&31], rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFMSUBD:
		v, f := sf.F64MulSub(h.F[in.Rs1&31], h.F[in.Rs2&31], h.F[in.Rs3&31], rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFNMSUBD:
		v, f := sf.F64NMulSub(h.F[in.Rs1&31], h.F[in.Rs2&31], h.F[in.Rs3&31], rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFNMADDD:
		v, f := sf.F64NMulAdd(h.F[in.Rs1&31], h.F[in.Rs2&31], h.F[in.Rs3&31], rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFSGNJD, OpFSGNJND, OpFSGNJXD:
		a, b := h.F[in.Rs1&31], h.F[in.Rs2&31]
		s := b & (1 << 63)
		switch in.Op {
		case OpFSGNJND:
			s ^= 1 << 63
		case OpFSGNJXD:
			s ^= a & (1 << 63)
		}
		h.setF64(in.Rd, a&^(1<<63)|s)
	case OpFMIND:
		v, f := sf.F64Min(h.F[in.Rs1&31], h.F[in.Rs2&31])
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFMAXD:
		v, f := sf.F64Max(h.F[in.Rs1&31], h.F[in.Rs2&31])
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFCVTSD:
		v, f := sf.F64ToF32(h.F[in.Rs1&31], rm)
		h.setF32(in.Rd, v)
		h.flags(f)
	case OpFCVTDS:
		v, f := sf.F32ToF64(h.f32(in.Rs1))
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFEQD:
		v, f := sf.F64Eq(h.F[in.Rs1&31], h.F[in.Rs2&31])
		h.setX(in.Rd, b2u(v))
		h.flags(f)
	case OpFLTD:
		v, f := sf.F64Lt(h.F[in.Rs1&31], h.F[in.Rs2&31])
		h.setX(in.Rd, b2u(v))
		h.flags(f)
	case OpFLED:
		v, f := sf.F64Le(h.F[in.Rs1&31], h.F[in.Rs2&31])
		h.setX(in.Rd, b2u(v))
		h.flags(f)
	case OpFCLASSD:
		h.setX(in.Rd, sf.F64Class(h.F[in.Rs1&31]))
	case OpFCVTWD:
		v, f := sf.F64ToI32(h.F[in.Rs1&31], rm)
		h.setX(in.Rd, v)
		h.flags(f)
	case OpFCVTWUD:
		v, f := sf.F64ToU32(h.F[in.Rs1&31], rm)
		h.setX(in.Rd, v)
		h.flags(f)
	case OpFCVTLD:
		v, f := sf.F64ToI64(h.F[in.Rs1&31], rm)
		h.setX(in.Rd, v)
		h.flags(f)
	case OpFCVTLUD:
		v, f := sf.F64ToU64(h.F[in.Rs1&31], rm)
		h.setX(in.Rd, v)
		h.flags(f)
	case OpFMVXD:
		h.setX(in.Rd, h.F[in.Rs1&31])
	case OpFCVTDW:
		v, f := sf.F64FromI32(int32(x[in.Rs1&63]), rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFCVTDWU:
		v, f := sf.F64FromU32(uint32(x[in.Rs1&63]), rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFCVTDL:
		v, f := sf.F64FromI64(int64(x[in.Rs1&63]), rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFCVTDLU:
		v, f := sf.F64FromU64(x[in.Rs1&63], rm)
		h.setF64(in.Rd, v)
		h.flags(f)
	case OpFMVDX:
		h.setF64(in.Rd, x[in.Rs1&63])
	default:
		return fpIllegal
	}
	return fpOK
}
