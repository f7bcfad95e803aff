package softfloat

import (
	"math"
	"math/bits"
)

// toInt converts a (format f) to an integer of the given width (32 or 64)
// and signedness with RISC-V saturation. The result is sign-extended to 64
// bits as an x register receives it.
func toInt(f format, a uint64, rm uint8, signed bool, width uint) (uint64, uint8) {
	var maxPos, minNegMag uint64 // largest positive value, magnitude of the most negative
	if signed {
		maxPos, minNegMag = 1<<(width-1)-1, 1<<(width-1)
	} else {
		maxPos = 1<<width - 1 // all ones for width 64
	}
	neg, e, sig, cls := unpack(f, a)
	var mag uint64
	var flags uint8
	switch cls {
	case clsZero:
		return 0, 0
	case clsQNaN, clsSNaN:
		return sext(maxPos, width), FlagInvalid
	case clsInf:
		goto invalid
	}
	if e >= 64 {
		goto invalid
	}
	if e == 63 {
		mag = sig
	} else {
		s := uint(63 - e)
		if s > 64 {
			sig, s = 1, 64 // below one half
		}
		var up, inexact bool
		mag, up, inexact = roundBits(sig, s, neg, rm)
		if up {
			mag++
		}
		if inexact {
			flags = FlagInexact
		}
	}
	if neg {
		if mag > minNegMag {
			goto invalid
		}
		return sext(-mag, width), flags
	}
	if mag > maxPos {
		goto invalid
	}
	return sext(mag, width), flags
invalid:
	if neg {
		return sext(-minNegMag, width), FlagInvalid
	}
	return sext(maxPos, width), FlagInvalid
}

// sext sign-extends the low width bits of v.
func sext(v uint64, width uint) uint64 {
	if width == 32 {
		return uint64(int64(int32(uint32(v))))
	}
	return v
}

// fromInt rounds (-1)^neg * mag to format f.
func fromInt(f format, neg bool, mag uint64, rm uint8) (uint64, uint8) {
	if mag == 0 {
		return 0, 0
	}
	lz := bits.LeadingZeros64(mag)
	return roundPack(f, neg, 63-lz, mag<<uint(lz), rm)
}

// toIntFast converts finite x with |x| < 2^52 to an integer in mode rm
// using host arithmetic; both the truncation and the fraction are exact.
func toIntFast(x float64, rm uint8) (int64, bool) {
	i := int64(x) // truncates toward zero
	fr := x - float64(i)
	if fr == 0 {
		return i, false
	}
	switch rm {
	case RNE:
		if fr > 0.5 || fr == 0.5 && i&1 != 0 {
			i++
		} else if fr < -0.5 || fr == -0.5 && i&1 != 0 {
			i--
		}
	case RMM:
		if fr >= 0.5 {
			i++
		} else if fr <= -0.5 {
			i--
		}
	case RDN:
		if fr < 0 {
			i--
		}
	case RUP:
		if fr > 0 {
			i++
		}
	}
	return i, true
}

// f64ToInt is the conversion fast path: a is a binary64 with |a| < 2^52
// (or the caller falls back to toInt).
func f64ToInt(a uint64, rm uint8, signed bool, width uint) (uint64, uint8) {
	if exp64(a) < 1023+52 {
		i, inexact := toIntFast(math.Float64frombits(a), rm)
		var flags uint8
		if inexact {
			flags = FlagInexact
		}
		switch {
		case width == 64 && signed:
			return uint64(i), flags
		case width == 64:
			if i >= 0 {
				return uint64(i), flags
			}
		case signed:
			if i == int64(int32(i)) {
				return uint64(i), flags
			}
		default:
			if i >= 0 && i <= math.MaxUint32 {
				return sext(uint64(i), 32), flags
			}
		}
	}
	return toInt(f64Format(), a, rm, signed, width)
}

// F64ToI32 converts a to int32 (RISC-V fcvt.w.d), sign-extended to 64 bits.
// NaN and +out-of-range give 2^31-1, -out-of-range gives -2^31, both with
// FlagInvalid; FlagInexact only for in-range inexact conversions.
func F64ToI32(a uint64, rm uint8) (uint64, uint8) { return f64ToInt(a, rm, true, 32) }

// F64ToU32 converts a to uint32 (RISC-V fcvt.wu.d); the 32-bit result is
// sign-extended to 64 bits. NaN and +out-of-range give 2^32-1, negative
// out-of-range gives 0, with FlagInvalid.
func F64ToU32(a uint64, rm uint8) (uint64, uint8) { return f64ToInt(a, rm, false, 32) }

// F64ToI64 converts a to int64 (RISC-V fcvt.l.d). NaN and +out-of-range give
// 2^63-1, -out-of-range gives -2^63, with FlagInvalid.
func F64ToI64(a uint64, rm uint8) (uint64, uint8) { return f64ToInt(a, rm, true, 64) }

// F64ToU64 converts a to uint64 (RISC-V fcvt.lu.d). NaN and +out-of-range
// give 2^64-1, negative out-of-range gives 0, with FlagInvalid.
func F64ToU64(a uint64, rm uint8) (uint64, uint8) { return f64ToInt(a, rm, false, 64) }

// F32ToI32 converts a to int32 (RISC-V fcvt.w.s), sign-extended; see F64ToI32.
func F32ToI32(a uint32, rm uint8) (uint64, uint8) {
	return f64ToInt(f32Widen(a), rm, true, 32)
}

// F32ToU32 converts a to uint32 (RISC-V fcvt.wu.s), sign-extended; see F64ToU32.
func F32ToU32(a uint32, rm uint8) (uint64, uint8) {
	return f64ToInt(f32Widen(a), rm, false, 32)
}

// F32ToI64 converts a to int64 (RISC-V fcvt.l.s); see F64ToI64.
func F32ToI64(a uint32, rm uint8) (uint64, uint8) {
	return f64ToInt(f32Widen(a), rm, true, 64)
}

// F32ToU64 converts a to uint64 (RISC-V fcvt.lu.s); see F64ToU64.
func F32ToU64(a uint32, rm uint8) (uint64, uint8) {
	return f64ToInt(f32Widen(a), rm, false, 64)
}

// F64FromI32 converts v to binary64 (RISC-V fcvt.d.w); always exact.
func F64FromI32(v int32, rm uint8) (uint64, uint8) {
	return math.Float64bits(float64(v)), 0
}

// F64FromU32 converts v to binary64 (RISC-V fcvt.d.wu); always exact.
func F64FromU32(v uint32, rm uint8) (uint64, uint8) {
	return math.Float64bits(float64(v)), 0
}

// F64FromI64 converts v to binary64 rounded in mode rm (RISC-V fcvt.d.l).
func F64FromI64(v int64, rm uint8) (uint64, uint8) {
	if v >= -1<<53 && v <= 1<<53 {
		return math.Float64bits(float64(v)), 0
	}
	if v < 0 {
		return fromInt(f64Format(), true, -uint64(v), rm)
	}
	return fromInt(f64Format(), false, uint64(v), rm)
}

// F64FromU64 converts v to binary64 rounded in mode rm (RISC-V fcvt.d.lu).
func F64FromU64(v uint64, rm uint8) (uint64, uint8) {
	if v <= 1<<53 {
		return math.Float64bits(float64(v)), 0
	}
	return fromInt(f64Format(), false, v, rm)
}

// F32FromI32 converts v to binary32 rounded in mode rm (RISC-V fcvt.s.w).
func F32FromI32(v int32, rm uint8) (uint32, uint8) { return F32FromI64(int64(v), rm) }

// F32FromU32 converts v to binary32 rounded in mode rm (RISC-V fcvt.s.wu).
func F32FromU32(v uint32, rm uint8) (uint32, uint8) { return F32FromU64(uint64(v), rm) }

// F32FromI64 converts v to binary32 rounded in mode rm (RISC-V fcvt.s.l).
func F32FromI64(v int64, rm uint8) (uint32, uint8) {
	if v >= -1<<24 && v <= 1<<24 {
		return math.Float32bits(float32(v)), 0
	}
	var r uint64
	var fl uint8
	if v < 0 {
		r, fl = fromInt(f32Format(), true, -uint64(v), rm)
	} else {
		r, fl = fromInt(f32Format(), false, uint64(v), rm)
	}
	return uint32(r), fl
}

// F32FromU64 converts v to binary32 rounded in mode rm (RISC-V fcvt.s.lu).
func F32FromU64(v uint64, rm uint8) (uint32, uint8) {
	if v <= 1<<24 {
		return math.Float32bits(float32(v)), 0
	}
	r, fl := fromInt(f32Format(), false, v, rm)
	return uint32(r), fl
}

// F64ToF32 converts a to binary32 rounded in mode rm (RISC-V fcvt.s.d).
// A NaN gives the canonical F32NaN, with FlagInvalid if it is signaling.
func F64ToF32(a uint64, rm uint8) (uint32, uint8) {
	if r, fl, ok := round32(math.Float64frombits(a), 0, rm, false); ok {
		return r, fl
	}
	f := f64Format()
	neg, e, sig, cls := unpack(f, a)
	g := f32Format()
	switch cls {
	case clsZero:
		return uint32(g.zero(neg)), 0
	case clsInf:
		return uint32(g.zero(neg) | g.inf()), 0
	case clsQNaN, clsSNaN:
		r, fl := nanResult(g, cls == clsSNaN)
		return uint32(r), fl
	}
	r, fl := roundPack(g, neg, e, sig, rm)
	return uint32(r), fl
}

// F32ToF64 converts a to binary64 (RISC-V fcvt.d.s); always exact. A NaN
// gives the canonical F64NaN, with FlagInvalid if it is signaling.
func F32ToF64(a uint32) (uint64, uint8) {
	if a&^sign32 > 0x7f800000 {
		return nanResult(f64Format(), a&0x00400000 == 0)
	}
	return math.Float64bits(float64(math.Float32frombits(a))), 0
}

// f32Widen converts a binary32 to binary64 exactly (NaNs stay NaNs), for
// the float-to-integer conversions, whose results and flags do not depend
// on the source format.
func f32Widen(a uint32) uint64 { return math.Float64bits(float64(math.Float32frombits(a))) }
