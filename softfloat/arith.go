package softfloat

import (
	"math"
	"math/bits"
)

// This file holds the exact (slow) paths, shared by both formats.

// nanResult returns the canonical NaN, with FlagInvalid if sig is set.
func nanResult(f format, sig bool) (uint64, uint8) {
	if sig {
		return f.nan(), FlagInvalid
	}
	return f.nan(), 0
}

// exactZero is the sign of an exact zero sum of operands of opposite sign.
func exactZero(f format, rm uint8) uint64 { return f.zero(rm == RDN) }

func addSlow(f format, a, b uint64, rm uint8) (uint64, uint8) {
	an, ae, as, ac := unpack(f, a)
	bn, be, bs, bc := unpack(f, b)
	if ac >= clsInf || bc >= clsInf {
		if ac >= clsQNaN || bc >= clsQNaN {
			return nanResult(f, ac == clsSNaN || bc == clsSNaN)
		}
		if ac == clsInf && bc == clsInf && an != bn {
			return f.nan(), FlagInvalid
		}
		if ac == clsInf {
			return a, 0
		}
		return b, 0
	}
	if ac == clsZero {
		if bc == clsZero && an != bn {
			return exactZero(f, rm), 0
		}
		return b, 0
	}
	if bc == clsZero {
		return a, 0
	}
	// One bit of headroom for the carry of an addition. The low bits of
	// both significands are zero, which keeps the sticky bit of the smaller
	// operand from landing on a rounding boundary after a subtraction.
	as >>= 1
	bs >>= 1
	if be > ae || be == ae && bs > as {
		an, ae, as, bn, be, bs = bn, be, bs, an, ae, as
	}
	bs = shiftRightJam(bs, ae-be)
	var sig uint64
	if an == bn {
		sig = as + bs
	} else {
		sig = as - bs
		if sig == 0 {
			return exactZero(f, rm), 0
		}
	}
	lz := bits.LeadingZeros64(sig)
	return roundPack(f, an, ae+1-lz, sig<<uint(lz), rm)
}

func mulSlow(f format, a, b uint64, rm uint8) (uint64, uint8) {
	an, ae, as, ac := unpack(f, a)
	bn, be, bs, bc := unpack(f, b)
	neg := an != bn
	if ac >= clsInf || bc >= clsInf {
		if ac >= clsQNaN || bc >= clsQNaN {
			return nanResult(f, ac == clsSNaN || bc == clsSNaN)
		}
		if ac == clsZero || bc == clsZero {
			return f.nan(), FlagInvalid
		}
		return f.zero(neg) | f.inf(), 0
	}
	if ac == clsZero || bc == clsZero {
		return f.zero(neg), 0
	}
	hi, lo := bits.Mul64(as, bs)
	e := ae + be
	if hi>>63 == 0 {
		hi = hi<<1 | lo>>63
		lo <<= 1
	} else {
		e++
	}
	if lo != 0 {
		hi |= 1
	}
	return roundPack(f, neg, e, hi, rm)
}

func divSlow(f format, a, b uint64, rm uint8) (uint64, uint8) {
	an, ae, as, ac := unpack(f, a)
	bn, be, bs, bc := unpack(f, b)
	neg := an != bn
	if ac >= clsQNaN || bc >= clsQNaN {
		return nanResult(f, ac == clsSNaN || bc == clsSNaN)
	}
	switch {
	case ac == clsInf:
		if bc == clsInf {
			return f.nan(), FlagInvalid
		}
		return f.zero(neg) | f.inf(), 0
	case bc == clsInf:
		return f.zero(neg), 0
	case bc == clsZero:
		if ac == clsZero {
			return f.nan(), FlagInvalid
		}
		return f.zero(neg) | f.inf(), FlagDivZero
	case ac == clsZero:
		return f.zero(neg), 0
	}
	var q, r uint64
	e := ae - be
	if as < bs {
		q, r = bits.Div64(as, 0, bs)
		e--
	} else {
		q, r = bits.Div64(as>>1, as<<63, bs)
	}
	if r != 0 {
		q |= 1
	}
	return roundPack(f, neg, e, q, rm)
}

func sqrtSlow(f format, a uint64, rm uint8) (uint64, uint8) {
	an, ae, as, ac := unpack(f, a)
	switch {
	case ac >= clsQNaN:
		return nanResult(f, ac == clsSNaN)
	case ac == clsZero:
		return a, 0
	case an:
		return f.nan(), FlagInvalid
	case ac == clsInf:
		return a, 0
	}
	// Radicand N = as * 2^k with the exponent of a even and N in
	// [2^124, 2^126), so that its root lies in [2^62, 2^63).
	var hi, lo uint64
	var e2 int
	if ae&1 != 0 {
		hi, lo, e2 = as>>2, as<<62, ae-125
	} else {
		hi, lo, e2 = as>>3, as<<61, ae-124
	}
	r, exact := isqrt128(hi, lo)
	lz := bits.LeadingZeros64(r)
	sig := r << uint(lz)
	if !exact {
		sig |= 1
	}
	return roundPack(f, false, e2/2-lz+63, sig, rm)
}

// isqrt128 returns floor(sqrt(hi:lo)) and whether it is exact, for
// 2^124 <= hi:lo < 2^126.
func isqrt128(hi, lo uint64) (uint64, bool) {
	r := uint64(math.Sqrt(float64(hi)*0x1p64 + float64(lo)))
	q, _ := bits.Div64(hi, lo, r) // hi < 2^62 <= r
	r = (r + q) >> 1
	for {
		h, l := bits.Mul64(r, r)
		if h > hi || h == hi && l > lo {
			r--
			continue
		}
		break
	}
	for {
		h, l := bits.Mul64(r+1, r+1)
		if h < hi || h == hi && l <= lo {
			r++
			continue
		}
		break
	}
	h, l := bits.Mul64(r, r)
	return r, h == hi && l == lo
}

// mulAddSlow computes a*b+c with a single rounding.
func mulAddSlow(f format, a, b, c uint64, rm uint8) (uint64, uint8) {
	an, ae, as, ac := unpack(f, a)
	bn, be, bs, bc := unpack(f, b)
	cn, ce, cs, cc := unpack(f, c)
	pn := an != bn
	if ac >= clsInf || bc >= clsInf || cc >= clsInf {
		// RISC-V: 0*inf is invalid even when c is a quiet NaN.
		if ac == clsInf && bc == clsZero || ac == clsZero && bc == clsInf {
			return f.nan(), FlagInvalid
		}
		if ac >= clsQNaN || bc >= clsQNaN || cc >= clsQNaN {
			return nanResult(f, ac == clsSNaN || bc == clsSNaN || cc == clsSNaN)
		}
		if ac == clsInf || bc == clsInf {
			if cc == clsInf && cn != pn {
				return f.nan(), FlagInvalid
			}
			return f.zero(pn) | f.inf(), 0
		}
		return c, 0
	}
	if ac == clsZero || bc == clsZero {
		if cc == clsZero {
			if pn == cn {
				return c, 0
			}
			return exactZero(f, rm), 0
		}
		return c, 0
	}
	// Exact product as a 128-bit significand: value = ph:pl * 2^(pe-127).
	ph, pl := bits.Mul64(as, bs)
	pe := ae + be + 1
	if ph>>63 == 0 {
		ph = ph<<1 | pl>>63
		pl <<= 1
		pe--
	}
	if cc == clsZero {
		if pl != 0 {
			ph |= 1
		}
		return roundPack(f, pn, pe, ph, rm)
	}
	xn, xe, xh, xl := pn, pe, ph, pl
	yn, ye, yh, yl := cn, ce, cs, uint64(0)
	// Headroom for the carry; the low bits of both are zero (see addSlow).
	xl = xl>>1 | xh<<63
	xh >>= 1
	yl = yl>>1 | yh<<63
	yh >>= 1
	if ye > xe || ye == xe && (yh > xh || yh == xh && yl > xl) {
		xn, xe, xh, xl, yn, ye, yh, yl = yn, ye, yh, yl, xn, xe, xh, xl
	}
	yh, yl = shiftRightJam128(yh, yl, xe-ye)
	var hi, lo uint64
	if xn == yn {
		var carry uint64
		lo, carry = bits.Add64(xl, yl, 0)
		hi, _ = bits.Add64(xh, yh, carry)
	} else {
		var borrow uint64
		lo, borrow = bits.Sub64(xl, yl, 0)
		hi, _ = bits.Sub64(xh, yh, borrow)
		if hi|lo == 0 {
			return exactZero(f, rm), 0
		}
	}
	var lz int
	if hi == 0 {
		lz = 64 + bits.LeadingZeros64(lo)
	} else {
		lz = bits.LeadingZeros64(hi)
	}
	switch {
	case lz >= 64:
		hi, lo = lo<<uint(lz-64), 0
	case lz > 0:
		hi, lo = hi<<uint(lz)|lo>>uint(64-lz), lo<<uint(lz)
	}
	if lo != 0 {
		hi |= 1
	}
	return roundPack(f, xn, xe+1-lz, hi, rm)
}
