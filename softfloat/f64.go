package softfloat

import "math"

const (
	sign64 = 1 << 63
	// Exponent-field window in which a host result can be corrected by one
	// ulp without leaving the normal range and without the error terms of
	// the error-free transformations underflowing.
	addLo64 = 2     // |s| >= 2^-1021: neighbours are normal, never tiny
	mulLo64 = 0x80  // |p| >= 2^-895: FMA residual of a product is exact
	fmaLo64 = 0x200 // 2^-511: no underflow anywhere in ErrFma
	hi64    = 0x7fe // |r| < 2^1023: the next float up is finite
	fmaHi64 = 0x7fd // |x| < 2^1022: no overflow inside ErrFma
)

// exp64 returns the biased exponent field of x.
func exp64(x uint64) uint64 { return x >> 52 & 0x7ff }

// fix64 applies rounding mode rm to the host round-to-nearest-even result
// rb, which is inexact, finite and inside the safe window. away reports
// whether the exact value has a larger magnitude than rb; tie whether the
// exact value is halfway between rb and its neighbour away from zero.
func fix64(rb uint64, away, tie bool, rm uint8) uint64 {
	neg := rb>>63 != 0
	switch rm {
	case RTZ:
		if !away {
			rb--
		}
	case RDN:
		if neg && away {
			rb++
		} else if !neg && !away {
			rb--
		}
	case RUP:
		if !neg && away {
			rb++
		} else if neg && !away {
			rb--
		}
	case RMM:
		if tie && away {
			rb++
		}
	}
	return rb
}

// halfUlpAbove64 reports whether |e| is half the distance from |r| to the
// next float of larger magnitude.
func halfUlpAbove64(r, e float64) bool {
	rb := math.Float64bits(r)
	up := math.Float64frombits(rb + 1)
	return math.Abs(up-r) == 2*math.Abs(e)
}

// F64Add returns a+b rounded in mode rm.
func F64Add(a, b uint64, rm uint8) (uint64, uint8) {
	x, y := math.Float64frombits(a), math.Float64frombits(b)
	s := x + y
	sb := math.Float64bits(s)
	if exp64(sb)-addLo64 < hi64-addLo64 {
		// TwoSum: s + e == x + y exactly.
		bb := s - x
		e := (x - (s - bb)) + (y - bb)
		if e == 0 {
			return sb, 0
		}
		if rm == RNE {
			return sb, FlagInexact
		}
		away := (e > 0) == (s > 0)
		return fix64(sb, away, rm == RMM && away && halfUlpAbove64(s, e), rm), FlagInexact
	}
	return addSlow(f64Format(), a, b, rm)
}

// F64Sub returns a-b rounded in mode rm.
func F64Sub(a, b uint64, rm uint8) (uint64, uint8) {
	return F64Add(a, b^sign64, rm)
}

// F64Mul returns a*b rounded in mode rm.
func F64Mul(a, b uint64, rm uint8) (uint64, uint8) {
	x, y := math.Float64frombits(a), math.Float64frombits(b)
	p := float64(x * y) // rounded product; the conversion forbids fusion
	pb := math.Float64bits(p)
	if exp64(pb)-mulLo64 < hi64-mulLo64 {
		e := math.FMA(x, y, -p)
		if e == 0 {
			return pb, 0
		}
		if rm == RNE {
			return pb, FlagInexact
		}
		away := (e > 0) == (p > 0)
		return fix64(pb, away, rm == RMM && away && halfUlpAbove64(p, e), rm), FlagInexact
	}
	return mulSlow(f64Format(), a, b, rm)
}

// F64Div returns a/b rounded in mode rm.
func F64Div(a, b uint64, rm uint8) (uint64, uint8) {
	x, y := math.Float64frombits(a), math.Float64frombits(b)
	q := x / y
	qb := math.Float64bits(q)
	if exp64(qb)-mulLo64 < hi64-mulLo64 && exp64(a)-mulLo64 < hi64-mulLo64 && exp64(b)-1 < 0x7fe {
		// Residual a - q*b is exact; the exact quotient is q + r/b. A
		// quotient is never exactly halfway between two floats.
		r := math.FMA(-q, y, x)
		if r == 0 {
			return qb, 0
		}
		if rm == RNE || rm == RMM {
			return qb, FlagInexact
		}
		away := (r > 0) == (y > 0) == (q > 0)
		return fix64(qb, away, false, rm), FlagInexact
	}
	return divSlow(f64Format(), a, b, rm)
}

// F64Sqrt returns the square root of a rounded in mode rm.
func F64Sqrt(a uint64, rm uint8) (uint64, uint8) {
	if exp64(a)-mulLo64 < hi64-mulLo64 && a>>63 == 0 {
		x := math.Float64frombits(a)
		s := math.Sqrt(x)
		r := math.FMA(-s, s, x)
		sb := math.Float64bits(s)
		if r == 0 {
			return sb, 0
		}
		if rm == RNE || rm == RMM {
			return sb, FlagInexact
		}
		return fix64(sb, r > 0, false, rm), FlagInexact
	}
	return sqrtSlow(f64Format(), a, rm)
}

// F64MulAdd returns a*b+c with a single rounding in mode rm (RISC-V
// fmadd.d). 0*inf + qNaN raises FlagInvalid.
func F64MulAdd(a, b, c uint64, rm uint8) (uint64, uint8) {
	x, y, z := math.Float64frombits(a), math.Float64frombits(b), math.Float64frombits(c)
	r := math.FMA(x, y, z)
	u1 := float64(x * y) // explicit conversion: never fused into b1 below
	rb := math.Float64bits(r)
	if exp64(rb)-fmaLo64 < fmaHi64-fmaLo64 && exp64(math.Float64bits(u1))-fmaLo64 < fmaHi64-fmaLo64 &&
		exp64(c)-fmaLo64 < fmaHi64-fmaLo64 {
		// ErrFma (Boldo and Muller): x*y + z == r + r2 + r3 exactly,
		// with r2 = RN(r2 + r3).
		u2 := math.FMA(x, y, -u1)
		a1 := z + u2
		t := a1 - z
		a2 := (z - (a1 - t)) + (u2 - t)
		b1 := u1 + a1
		t = b1 - u1
		b2 := (u1 - (b1 - t)) + (a1 - t)
		g := (b1 - r) + b2
		r2 := g + a2
		if r2 == 0 {
			return rb, 0
		}
		if rm == RNE {
			return rb, FlagInexact
		}
		away := (r2 > 0) == (r > 0)
		tie := false
		if rm == RMM && away {
			r3 := a2 - (r2 - g)
			tie = r3 == 0 && halfUlpAbove64(r, r2)
		}
		return fix64(rb, away, tie, rm), FlagInexact
	}
	return mulAddSlow(f64Format(), a, b, c, rm)
}

// F64MulSub returns a*b-c with a single rounding (RISC-V fmsub.d).
func F64MulSub(a, b, c uint64, rm uint8) (uint64, uint8) {
	return F64MulAdd(a, b, c^sign64, rm)
}

// F64NMulSub returns -(a*b)+c with a single rounding (RISC-V fnmsub.d).
func F64NMulSub(a, b, c uint64, rm uint8) (uint64, uint8) {
	return F64MulAdd(a^sign64, b, c, rm)
}

// F64NMulAdd returns -(a*b)-c with a single rounding (RISC-V fnmadd.d).
func F64NMulAdd(a, b, c uint64, rm uint8) (uint64, uint8) {
	return F64MulAdd(a^sign64, b, c^sign64, rm)
}
