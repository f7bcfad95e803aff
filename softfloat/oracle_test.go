package softfloat

// An independent reference implementation built on math/big: operations are
// computed exactly (or, for division and square root, with a sticky
// remainder) and rounded to the target format's precision and bounded
// exponent range with the flags derived from first principles.

import (
	"math/big"
	"math/rand"
)

// tfmt is the test-side description of a format.
type tfmt struct {
	name         string
	prec, emin   int
	fbits, ebits uint
}

func t64() tfmt { return tfmt{"f64", 53, -1022, 52, 11} }
func t32() tfmt { return tfmt{"f32", 24, -126, 23, 8} }

func (f tfmt) emax() int       { return 1 - f.emin }
func (f tfmt) signBit() uint64 { return 1 << (f.fbits + f.ebits) }
func (f tfmt) inf(neg bool) uint64 {
	r := uint64(1<<f.ebits-1) << f.fbits
	if neg {
		r |= f.signBit()
	}
	return r
}
func (f tfmt) zero(neg bool) uint64 {
	if neg {
		return f.signBit()
	}
	return 0
}
func (f tfmt) qnan() uint64 { return f.inf(false) | 1<<(f.fbits-1) }

// tval is a decoded operand.
type tval struct {
	nan, snan, inf, zero, neg bool
	v                         *big.Float // exact value when finite
}

func decode(f tfmt, x uint64) tval {
	var t tval
	t.neg = x&f.signBit() != 0
	ef := int(x>>f.fbits) & (1<<f.ebits - 1)
	frac := x & (1<<f.fbits - 1)
	if ef == 1<<f.ebits-1 {
		if frac == 0 {
			t.inf = true
		} else {
			t.nan = true
			t.snan = frac>>(f.fbits-1) == 0
		}
		return t
	}
	m, exp := frac, f.emin-int(f.fbits)
	if ef != 0 {
		m |= 1 << f.fbits
		exp = ef - f.emax() - int(f.fbits)
	}
	t.zero = m == 0
	t.v = new(big.Float).SetUint64(m)
	t.v.SetMantExp(t.v, exp)
	if t.neg {
		t.v.Neg(t.v)
	}
	return t
}

func bigMode(rm uint8) big.RoundingMode {
	return [...]big.RoundingMode{big.ToNearestEven, big.ToZero, big.ToNegativeInf, big.ToPositiveInf, big.ToNearestAway}[rm]
}

// roundMagToInt rounds the non-negative n to an integer for rounding mode rm
// applied to a number of sign neg.
func roundMagToInt(n *big.Float, neg bool, rm uint8) (*big.Int, bool) {
	ti, _ := n.Int(nil)
	fr := new(big.Float).SetPrec(n.Prec()+64).Sub(n, new(big.Float).SetInt(ti))
	if fr.Sign() == 0 {
		return ti, false
	}
	c := fr.Cmp(big.NewFloat(0.5))
	var up bool
	switch rm {
	case RNE:
		up = c > 0 || c == 0 && ti.Bit(0) == 1
	case RMM:
		up = c >= 0
	case RDN:
		up = neg
	case RUP:
		up = !neg
	}
	if up {
		ti.Add(ti, big.NewInt(1))
	}
	return ti, true
}

// roundOracle rounds the finite nonzero x to format f in mode rm.
func roundOracle(f tfmt, x *big.Float, rm uint8) (uint64, uint8) {
	neg := x.Signbit()
	ax := new(big.Float).Abs(x)
	E := ax.MantExp(nil) - 1
	qe := E - f.prec + 1 // exponent of the last significand bit
	if E < f.emin {
		qe = f.emin - f.prec + 1
	}
	n := new(big.Float).SetMantExp(ax, -qe)
	N, inexact := roundMagToInt(n, neg, rm)
	if N.Sign() != 0 && N.BitLen()+qe > f.emax()+1 {
		toMax := rm == RTZ || rm == RDN && !neg || rm == RUP && neg
		if toMax {
			return f.inf(neg) - 1, FlagOverflow | FlagInexact
		}
		return f.inf(neg), FlagOverflow | FlagInexact
	}
	var flags uint8
	if inexact {
		flags = FlagInexact
		// Tiny after rounding: round to the full precision with an
		// unbounded exponent and compare with 2^emin.
		y := new(big.Float).SetPrec(uint(f.prec)).SetMode(bigMode(rm)).Set(x)
		if y.MantExp(nil)-1 < f.emin {
			flags |= FlagUnderflow
		}
	}
	res := f.zero(neg)
	if N.Sign() == 0 {
		return res, flags
	}
	if N.BitLen() == f.prec+1 {
		N.Rsh(N, 1)
		qe++
	}
	if N.BitLen() == f.prec {
		field := uint64(qe + f.prec - 1 + f.emax())
		frac := new(big.Int).SetBit(N, f.prec-1, 0).Uint64()
		return res | field<<f.fbits | frac, flags
	}
	if qe != f.emin-f.prec+1 {
		panic("oracle: bad subnormal")
	}
	return res | N.Uint64(), flags
}

// withSticky nudges an inexact truncated value q away from zero by far less
// than any rounding granularity, so it rounds like the true value.
func withSticky(q *big.Float) *big.Float {
	eps := new(big.Float).SetMantExp(big.NewFloat(1), q.MantExp(nil)-400)
	if q.Signbit() {
		eps.Neg(eps)
	}
	return new(big.Float).SetPrec(q.Prec()+500).Add(q, eps)
}

func nanOr(f tfmt, sig bool) (uint64, uint8) {
	if sig {
		return f.qnan(), FlagInvalid
	}
	return f.qnan(), 0
}

func oracleAdd(f tfmt, a, b uint64, rm uint8) (uint64, uint8) {
	x, y := decode(f, a), decode(f, b)
	switch {
	case x.nan || y.nan:
		return nanOr(f, x.snan || y.snan)
	case x.inf && y.inf && x.neg != y.neg:
		return f.qnan(), FlagInvalid
	case x.inf:
		return f.inf(x.neg), 0
	case y.inf:
		return f.inf(y.neg), 0
	}
	s := new(big.Float).SetPrec(4200).Add(x.v, y.v)
	if s.Sign() == 0 {
		if x.zero && y.zero && x.neg == y.neg {
			return f.zero(x.neg), 0
		}
		return f.zero(rm == RDN), 0
	}
	return roundOracle(f, s, rm)
}

func oracleMul(f tfmt, a, b uint64, rm uint8) (uint64, uint8) {
	x, y := decode(f, a), decode(f, b)
	neg := x.neg != y.neg
	switch {
	case x.nan || y.nan:
		return nanOr(f, x.snan || y.snan)
	case x.inf && y.zero || x.zero && y.inf:
		return f.qnan(), FlagInvalid
	case x.inf || y.inf:
		return f.inf(neg), 0
	case x.zero || y.zero:
		return f.zero(neg), 0
	}
	return roundOracle(f, new(big.Float).SetPrec(256).Mul(x.v, y.v), rm)
}

func oracleDiv(f tfmt, a, b uint64, rm uint8) (uint64, uint8) {
	x, y := decode(f, a), decode(f, b)
	neg := x.neg != y.neg
	switch {
	case x.nan || y.nan:
		return nanOr(f, x.snan || y.snan)
	case x.inf && y.inf || x.zero && y.zero:
		return f.qnan(), FlagInvalid
	case x.inf:
		return f.inf(neg), 0
	case y.zero:
		return f.inf(neg), FlagDivZero
	case y.inf || x.zero:
		return f.zero(neg), 0
	}
	q := new(big.Float).SetPrec(300).SetMode(big.ToZero).Quo(x.v, y.v)
	if q.Acc() != big.Exact {
		q = withSticky(q)
	}
	return roundOracle(f, q, rm)
}

func oracleSqrt(f tfmt, a uint64, rm uint8) (uint64, uint8) {
	x := decode(f, a)
	switch {
	case x.nan:
		return nanOr(f, x.snan)
	case x.zero:
		return a, 0
	case x.neg:
		return f.qnan(), FlagInvalid
	case x.inf:
		return a, 0
	}
	// x = M * 2^k with M an integer and k even.
	mant := new(big.Float)
	k := x.v.MantExp(mant) - 64
	mant.SetMantExp(mant, 64)
	M, _ := mant.Int(nil)
	if k%2 != 0 {
		M.Lsh(M, 1)
		k--
	}
	M.Lsh(M, 400)
	k -= 400
	root := new(big.Int).Sqrt(M)
	exact := new(big.Int).Mul(root, root).Cmp(M) == 0
	r := new(big.Float).SetInt(root)
	r.SetMantExp(r, k/2)
	if !exact {
		r = withSticky(r)
	}
	return roundOracle(f, r, rm)
}

func oracleMulAdd(f tfmt, a, b, c uint64, rm uint8) (uint64, uint8) {
	x, y, z := decode(f, a), decode(f, b), decode(f, c)
	pneg := x.neg != y.neg
	switch {
	case x.inf && y.zero || x.zero && y.inf:
		return f.qnan(), FlagInvalid // even if z is a quiet NaN
	case x.nan || y.nan || z.nan:
		return nanOr(f, x.snan || y.snan || z.snan)
	case (x.inf || y.inf) && z.inf && pneg != z.neg:
		return f.qnan(), FlagInvalid
	case x.inf || y.inf:
		return f.inf(pneg), 0
	case z.inf:
		return f.inf(z.neg), 0
	}
	p := new(big.Float).SetPrec(256).Mul(x.v, y.v)
	s := new(big.Float).SetPrec(4400).Add(p, z.v)
	if s.Sign() == 0 {
		if (x.zero || y.zero) && z.zero && pneg == z.neg {
			return f.zero(pneg), 0
		}
		return f.zero(rm == RDN), 0
	}
	return roundOracle(f, s, rm)
}

// oracleToInt converts a to an integer of the given width and signedness
// with RISC-V saturation, sign-extending 32-bit results.
func oracleToInt(f tfmt, a uint64, rm uint8, signed bool, width uint) (uint64, uint8) {
	x := decode(f, a)
	lo, hi := new(big.Int), new(big.Int).Lsh(big.NewInt(1), width)
	if signed {
		hi.Rsh(hi, 1)
		lo.Neg(hi)
	}
	hi.Sub(hi, big.NewInt(1))
	enc := func(v *big.Int) uint64 {
		u := new(big.Int).And(v, new(big.Int).SetUint64(1<<64-1)).Uint64()
		if width == 32 {
			return uint64(int64(int32(uint32(u))))
		}
		return u
	}
	switch {
	case x.nan:
		return enc(hi), FlagInvalid
	case x.inf && x.neg:
		return enc(lo), FlagInvalid
	case x.inf:
		return enc(hi), FlagInvalid
	case x.zero:
		return 0, 0
	}
	N, inexact := roundMagToInt(new(big.Float).Abs(x.v), x.neg, rm)
	if x.neg {
		N.Neg(N)
	}
	switch {
	case N.Cmp(lo) < 0:
		return enc(lo), FlagInvalid
	case N.Cmp(hi) > 0:
		return enc(hi), FlagInvalid
	case inexact:
		return enc(N), FlagInexact
	}
	return enc(N), 0
}

// oracleFromInt rounds the integer v to format f.
func oracleFromInt(f tfmt, v *big.Int, rm uint8) (uint64, uint8) {
	if v.Sign() == 0 {
		return 0, 0
	}
	return roundOracle(f, new(big.Float).SetInt(v), rm)
}

// oracleConvertFloat converts a from format from to format to.
func oracleConvertFloat(from, to tfmt, a uint64, rm uint8) (uint64, uint8) {
	x := decode(from, a)
	switch {
	case x.nan:
		return nanOr(to, x.snan)
	case x.inf:
		return to.inf(x.neg), 0
	case x.zero:
		return to.zero(x.neg), 0
	}
	return roundOracle(to, x.v, rm)
}

// gen produces edge-biased operands.
type gen struct{ r *rand.Rand }

func newGen(seed int64) gen { return gen{rand.New(rand.NewSource(seed))} }

func (g gen) val(f tfmt) uint64 {
	emaxf := uint64(1)<<f.ebits - 1
	bias := uint64(f.emax())
	var ef uint64
	switch g.r.Intn(10) {
	case 0:
		ef = 0
	case 1:
		ef = emaxf
	case 2:
		ef = uint64(g.r.Intn(4))
	case 3:
		ef = emaxf - 1 - uint64(g.r.Intn(3))
	case 4, 5:
		ef = bias - 30 + uint64(g.r.Intn(61))
	default:
		ef = uint64(g.r.Int63n(int64(emaxf + 1)))
	}
	return g.sign(f) | ef<<f.fbits | g.frac(f)
}

func (g gen) sign(f tfmt) uint64 {
	if g.r.Intn(2) == 0 {
		return f.signBit()
	}
	return 0
}

func (g gen) frac(f tfmt) uint64 {
	mask := uint64(1)<<f.fbits - 1
	switch g.r.Intn(8) {
	case 0:
		return 0
	case 1:
		return mask
	case 2:
		return 1 << uint(g.r.Intn(int(f.fbits)))
	case 3:
		return mask >> uint(g.r.Intn(int(f.fbits)))
	case 4:
		return mask << uint(g.r.Intn(int(f.fbits))) & mask
	case 5:
		return g.r.Uint64() & mask & (g.r.Uint64() | g.r.Uint64()<<32) &^ (mask >> 4)
	}
	return g.r.Uint64() & mask
}

// near returns an operand close in exponent to a (and often in value).
func (g gen) near(f tfmt, a uint64) uint64 {
	emaxf := int(1)<<f.ebits - 1
	ef := int(a>>f.fbits) & emaxf
	switch g.r.Intn(4) {
	case 0:
		return (a ^ uint64(g.r.Intn(8))) ^ f.signBit() // near cancellation
	case 1:
		return a + uint64(g.r.Intn(5)) - 2
	}
	ef += g.r.Intn(2*int(f.prec)+6) - int(f.prec) - 3
	if ef < 0 {
		ef = 0
	}
	if ef > emaxf {
		ef = emaxf
	}
	return g.sign(f) | uint64(ef)<<f.fbits | g.frac(f)
}

// pair returns two operands for a binary operation.
func (g gen) pair(f tfmt) (uint64, uint64) {
	a := g.val(f)
	if g.r.Intn(2) == 0 {
		return a, g.near(f, a) & (f.signBit()<<1 - 1)
	}
	return a, g.val(f)
}
