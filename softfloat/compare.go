package softfloat

const inf64Bits = 0x7ff0000000000000

// isNaN and isSNaN classify raw bits in format f.
func isNaN(f format, x uint64) bool  { return x&^f.signBit() > f.inf() }
func isSNaN(f format, x uint64) bool { return isNaN(f, x) && x&f.quietBit() == 0 }

// less orders non-NaN values; -0 < +0 when zeroOrdered is set.
func less(f format, a, b uint64, zeroOrdered bool) bool {
	an, bn := a&f.signBit() != 0, b&f.signBit() != 0
	if an != bn {
		return an && (zeroOrdered || (a|b)&^f.signBit() != 0)
	}
	return a != b && an != (a < b)
}

func eq(f format, a, b uint64) (bool, uint8) {
	if isNaN(f, a) || isNaN(f, b) {
		if isSNaN(f, a) || isSNaN(f, b) {
			return false, FlagInvalid
		}
		return false, 0
	}
	return a == b || (a|b)&^f.signBit() == 0, 0
}

func lt(f format, a, b uint64) (bool, uint8) {
	if isNaN(f, a) || isNaN(f, b) {
		return false, FlagInvalid
	}
	return less(f, a, b, false), 0
}

func le(f format, a, b uint64) (bool, uint8) {
	if isNaN(f, a) || isNaN(f, b) {
		return false, FlagInvalid
	}
	return !less(f, b, a, false), 0
}

// minMax implements RISC-V fmin/fmax (IEEE 754-2019 minimumNumber and
// maximumNumber): a single NaN operand is ignored.
func minMax(f format, a, b uint64, max bool) (uint64, uint8) {
	an, bn := isNaN(f, a), isNaN(f, b)
	if an || bn {
		var flags uint8
		if isSNaN(f, a) || isSNaN(f, b) {
			flags = FlagInvalid
		}
		switch {
		case an && bn:
			return f.nan(), flags
		case an:
			return b, flags
		}
		return a, flags
	}
	if less(f, a, b, true) != max {
		return a, 0
	}
	return b, 0
}

func class(f format, a uint64) uint64 {
	neg, _, _, cls := unpack(f, a)
	var bit uint
	switch cls {
	case clsInf:
		bit = 7
	case clsQNaN:
		return 1 << 9
	case clsSNaN:
		return 1 << 8
	case clsZero:
		bit = 4
	default:
		if a>>f.fbits&f.expMask() == 0 {
			bit = 5 // subnormal
		} else {
			bit = 6
		}
	}
	if neg {
		bit = 7 - bit
	}
	return 1 << bit
}

// F64Eq reports a == b (RISC-V feq.d, a quiet comparison: FlagInvalid only
// for signaling NaN operands).
func F64Eq(a, b uint64) (bool, uint8) {
	if a&^sign64 <= inf64Bits && b&^sign64 <= inf64Bits {
		return a == b || (a|b)&^sign64 == 0, 0
	}
	return eq(f64Format(), a, b)
}

// F64Lt reports a < b (RISC-V flt.d, signaling: FlagInvalid for any NaN).
func F64Lt(a, b uint64) (bool, uint8) {
	if a&^sign64 <= inf64Bits && b&^sign64 <= inf64Bits {
		return less(f64Format(), a, b, false), 0
	}
	return lt(f64Format(), a, b)
}

// F64Le reports a <= b (RISC-V fle.d, signaling: FlagInvalid for any NaN).
func F64Le(a, b uint64) (bool, uint8) {
	if a&^sign64 <= inf64Bits && b&^sign64 <= inf64Bits {
		return !less(f64Format(), b, a, false), 0
	}
	return le(f64Format(), a, b)
}

// F64Min returns the smaller of a and b (RISC-V fmin.d): -0 < +0, a single
// NaN operand yields the other operand, two NaNs yield the canonical NaN;
// FlagInvalid if either operand is a signaling NaN.
func F64Min(a, b uint64) (uint64, uint8) {
	if a&^sign64 <= inf64Bits && b&^sign64 <= inf64Bits {
		if less(f64Format(), a, b, true) {
			return a, 0
		}
		return b, 0
	}
	return minMax(f64Format(), a, b, false)
}

// F64Max returns the larger of a and b (RISC-V fmax.d), with the NaN and
// signed-zero rules of F64Min.
func F64Max(a, b uint64) (uint64, uint8) {
	if a&^sign64 <= inf64Bits && b&^sign64 <= inf64Bits {
		if less(f64Format(), b, a, true) {
			return a, 0
		}
		return b, 0
	}
	return minMax(f64Format(), a, b, true)
}

// F64Class returns the RISC-V fclass.d mask of a: bit 0 -inf, 1 negative
// normal, 2 negative subnormal, 3 -0, 4 +0, 5 positive subnormal,
// 6 positive normal, 7 +inf, 8 signaling NaN, 9 quiet NaN.
func F64Class(a uint64) uint64 { return class(f64Format(), a) }

// F32Eq reports a == b (RISC-V feq.s, quiet).
func F32Eq(a, b uint32) (bool, uint8) { return eq(f32Format(), uint64(a), uint64(b)) }

// F32Lt reports a < b (RISC-V flt.s, signaling).
func F32Lt(a, b uint32) (bool, uint8) { return lt(f32Format(), uint64(a), uint64(b)) }

// F32Le reports a <= b (RISC-V fle.s, signaling).
func F32Le(a, b uint32) (bool, uint8) { return le(f32Format(), uint64(a), uint64(b)) }

// F32Min returns the smaller of a and b (RISC-V fmin.s); see F64Min.
func F32Min(a, b uint32) (uint32, uint8) {
	r, fl := minMax(f32Format(), uint64(a), uint64(b), false)
	return uint32(r), fl
}

// F32Max returns the larger of a and b (RISC-V fmax.s); see F64Min.
func F32Max(a, b uint32) (uint32, uint8) {
	r, fl := minMax(f32Format(), uint64(a), uint64(b), true)
	return uint32(r), fl
}

// F32Class returns the RISC-V fclass.s mask of a; see F64Class.
func F32Class(a uint32) uint64 { return class(f32Format(), uint64(a)) }
