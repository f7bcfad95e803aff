package softfloat

import "math/bits"

// format describes a binary interchange format. Values are passed in the low
// bits of a uint64 whatever the width.
type format struct {
	prec  int  // significand precision in bits, including the hidden bit
	emin  int  // exponent of the smallest normal number
	fbits uint // width of the fraction field
	ebits uint // width of the exponent field
}

func f64Format() format { return format{prec: 53, emin: -1022, fbits: 52, ebits: 11} }
func f32Format() format { return format{prec: 24, emin: -126, fbits: 23, ebits: 8} }

func (f format) emax() int        { return 1 - f.emin }
func (f format) expMask() uint64  { return 1<<f.ebits - 1 }
func (f format) signBit() uint64  { return 1 << (f.fbits + f.ebits) }
func (f format) fracMask() uint64 { return 1<<f.fbits - 1 }
func (f format) quietBit() uint64 { return 1 << (f.fbits - 1) }
func (f format) inf() uint64      { return f.expMask() << f.fbits }
func (f format) nan() uint64      { return f.inf() | f.quietBit() }

// zero returns a zero with the given sign.
func (f format) zero(neg bool) uint64 {
	if neg {
		return f.signBit()
	}
	return 0
}

// Operand classes returned by unpack. The order matters: everything at or
// above clsInf is not finite, everything at or above clsQNaN is a NaN.
const (
	clsZero = iota
	clsFinite
	clsInf
	clsQNaN
	clsSNaN
)

// unpack splits x into sign, exponent and significand. For finite nonzero x
// the value is (-1)^neg * sig * 2^(e-63) with bit 63 of sig set, so e is the
// unbiased exponent of x (subnormals are normalized).
func unpack(f format, x uint64) (neg bool, e int, sig uint64, cls int) {
	neg = x&f.signBit() != 0
	ef := x >> f.fbits & f.expMask()
	frac := x & f.fracMask()
	switch {
	case ef == f.expMask():
		switch {
		case frac == 0:
			cls = clsInf
		case frac&f.quietBit() != 0:
			cls = clsQNaN
		default:
			cls = clsSNaN
		}
	case ef == 0:
		if frac == 0 {
			return neg, 0, 0, clsZero
		}
		lz := bits.LeadingZeros64(frac)
		sig = frac << uint(lz)
		e = f.emin - int(f.fbits) + 63 - lz
		cls = clsFinite
	default:
		sig = (frac | 1<<f.fbits) << (63 - f.fbits)
		e = int(ef) - f.emax()
		cls = clsFinite
	}
	return
}

// roundBits splits sig into sig>>s and the discarded low s bits (1 <= s <= 64)
// and decides, for rounding mode rm and sign neg, whether the kept part must
// be incremented. inexact reports whether any discarded bit was set.
func roundBits(sig uint64, s uint, neg bool, rm uint8) (kept uint64, up, inexact bool) {
	kept = sig >> s
	rem := sig & (uint64(1)<<s - 1)
	if rem == 0 {
		return kept, false, false
	}
	half := uint64(1) << (s - 1)
	switch rm {
	case RNE:
		up = rem > half || rem == half && kept&1 != 0
	case RMM:
		up = rem >= half
	case RDN:
		up = neg
	case RUP:
		up = !neg
	}
	return kept, up, true
}

// overflowResult is the rounded result of a positive or negative overflow.
func overflowResult(f format, neg bool, rm uint8) (uint64, uint8) {
	inf := f.zero(neg) | f.inf()
	toMax := rm == RTZ || rm == RDN && !neg || rm == RUP && neg
	if toMax {
		return inf - 1, FlagOverflow | FlagInexact
	}
	return inf, FlagOverflow | FlagInexact
}

// roundPack rounds (-1)^neg * sig * 2^(e-63) to format f in rounding mode rm
// and encodes it. Bit 63 of sig must be set; bit 0 may be a sticky bit that
// stands for nonzero bits below it (the rounding point is always at least
// two bits above it).
func roundPack(f format, neg bool, e int, sig uint64, rm uint8) (uint64, uint8) {
	if e > f.emax() {
		return overflowResult(f, neg, rm)
	}
	s := uint(64 - f.prec)
	var base uint64
	tiny := false
	if e >= f.emin {
		// Exponent field e+bias, minus one for the hidden bit in kept.
		base = uint64(e-f.emin) << f.fbits
	} else {
		tiny = true
		if e == f.emin-1 {
			// Tininess after rounding: would rounding to full precision
			// with an unbounded exponent carry up to 2^emin?
			k, up, _ := roundBits(sig, s, neg, rm)
			if up && k == 1<<uint(f.prec)-1 {
				tiny = false
			}
		}
		d := uint(f.emin - e)
		if s+d > 64 {
			// Everything is below half of the smallest subnormal.
			sig, s = 1, 64
		} else {
			s += d
		}
	}
	kept, up, inexact := roundBits(sig, s, neg, rm)
	if up {
		kept++
	}
	// A carry out of the significand propagates into the exponent field,
	// turning a subnormal into the smallest normal or a maximal significand
	// into the next binade (or infinity).
	r := base + kept
	if r >= f.inf() {
		return overflowResult(f, neg, rm)
	}
	var flags uint8
	if inexact {
		flags = FlagInexact
		if tiny {
			flags |= FlagUnderflow
		}
	}
	return f.zero(neg) | r, flags
}

// shiftRightJam shifts x right by d >= 0 bits, ORing the discarded bits into
// bit 0 of the result.
func shiftRightJam(x uint64, d int) uint64 {
	switch {
	case d == 0:
		return x
	case d >= 64:
		if x != 0 {
			return 1
		}
		return 0
	}
	r := x >> uint(d)
	if x<<uint(64-d) != 0 {
		r |= 1
	}
	return r
}

// shiftRightJam128 is shiftRightJam for the 128-bit value hi:lo.
func shiftRightJam128(hi, lo uint64, d int) (uint64, uint64) {
	switch {
	case d == 0:
		return hi, lo
	case d >= 128:
		if hi|lo != 0 {
			return 0, 1
		}
		return 0, 0
	case d >= 64:
		r := hi >> uint(d-64)
		if lo != 0 || hi<<uint(128-d) != 0 {
			r |= 1
		}
		return 0, r
	}
	nlo := lo>>uint(d) | hi<<uint(64-d)
	if lo<<uint(64-d) != 0 {
		nlo |= 1
	}
	return hi >> uint(d), nlo
}
