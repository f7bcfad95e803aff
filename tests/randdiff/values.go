package randdiff

import "math/rand/v2"

// Interesting integer values for x registers.
var xInteresting = []uint64{
	0, 1, 2, 3, 0xffffffffffffffff, 0xfffffffffffffffe,
	0x7fffffff, 0x80000000, 0xffffffff80000000, 0xffffffff, 0x00000000fffffffe,
	0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000001,
	31, 32, 33, 63, 64, 65, 0x1f, 0x3f, 0x40, 0x20,
	0x100000000, 0xffffffff00000000, 0x7fffffff80000000,
	0x0000000080000001, 0xffffffff7fffffff,
	0x5555555555555555, 0xaaaaaaaaaaaaaaaa, 0x0123456789abcdef, 0xfedcba9876543210,
	// bit patterns of floating-point values (for fmv.*.x / fcvt from int)
	0x3ff0000000000000, 0x7ff8000000000000, 0x7ff0000000000001, 0x3f800000,
	0x7fc00000, 0x7f800001, 0xffffffff3f800000, 0xffffffff7f800001,
	// integers that do not convert exactly
	1<<53 + 1, 1<<24 + 1, 1<<63 + 1<<10 + 1, 1<<62 + 1<<9, 0xfffffffffffff801,
	4, 5, 6, 7, 8, 0x8, 0xff, 0x80, 0x7f, 0xffff, 0x8000, 0x7ff, 0x800,
}

// Interesting 64-bit f-register images (doubles and NaN-boxed or
// improperly boxed singles).
var fInteresting = []uint64{
	// doubles
	0x0000000000000000, 0x8000000000000000, // ±0
	0x3ff0000000000000, 0xbff0000000000000, // ±1
	0x7ff0000000000000, 0xfff0000000000000, // ±inf
	0x7ff8000000000000, 0xfff8000000000000, // qNaN
	0x7ff0000000000001, 0x7ff4000000000000, 0xfff0000000000001, // sNaN
	0x7ff8000000000123,                     // qNaN with payload
	0x0000000000000001, 0x8000000000000001, // min subnormal
	0x000fffffffffffff, 0x800fffffffffffff, // max subnormal
	0x0010000000000000, 0x8010000000000000, // min normal
	0x7fefffffffffffff, 0xffefffffffffffff, // max
	0x3fe0000000000000, 0x3ff8000000000000, 0x4004000000000000, // 0.5 1.5 2.5
	0xbfe0000000000000, 0xbff8000000000000, 0xc004000000000000, // -0.5 -1.5 -2.5
	0x3ff0000000000001, 0x3fefffffffffffff, // 1±ulp
	0x3ca0000000000000, 0x3cb0000000000000, 0x3c98000000000000, // 2^-53 2^-52 1.5*2^-53
	0x4330000000000001,                                         // 2^52+1
	0x41e0000000000000, 0xc1e0000000000000, 0x41dfffffffc00000, // 2^31 -2^31 2^31-1
	0x41dfffffffe00000, 0xc1e0000000100000, 0x41efffffffe00000, // 2^31-0.5 -2^31-0.5 2^32-1
	0x41f0000000000000, 0x43e0000000000000, 0xc3e0000000000000, // 2^32 2^63 -2^63
	0x43dfffffffffffff, 0x43f0000000000000, 0x43efffffffffffff, // <2^63 2^64 <2^64
	0x3fd5555555555555, 0x400921fb54442d18, 0x5fe0000000000000, 0x2000000000000000,
	0x3810000000000000, 0x380fffffffffffff, 0x47efffffe0000000, 0x36a0000000000000, // single range edges
	0x47effffff0000000, 0x3690000000000000, // tie to single max / half single min subnormal
	// NaN-boxed singles
	0xffffffff00000000, 0xffffffff80000000, // ±0
	0xffffffff3f800000, 0xffffffffbf800000, // ±1
	0xffffffff7f800000, 0xffffffffff800000, // ±inf
	0xffffffff7fc00000, 0xffffffffffc00000, // qNaN
	0xffffffff7f800001, 0xffffffff7fa00000, 0xffffffffff800001, // sNaN
	0xffffffff00000001, 0xffffffff80000001, 0xffffffff007fffff, // subnormals
	0xffffffff00800000, 0xffffffff7f7fffff, 0xffffffffff7fffff, // min normal, ±max
	0xffffffff3f000000, 0xffffffff3fc00000, 0xffffffff40200000, // 0.5 1.5 2.5
	0xffffffffbf000000, 0xffffffffbfc00000, 0xffffffffc0200000,
	0xffffffff3f800001, 0xffffffff3f7fffff, 0xffffffff33800000, 0xffffffff34000000,
	0xffffffff33c00000, 0xffffffff4b800001, // 1.5*2^-24, 2^24+2
	0xffffffff4f000000, 0xffffffffcf000000, 0xffffffff4effffff, // 2^31 -2^31 <2^31
	0xffffffff4f800000, 0xffffffff5f000000, 0xffffffffdf000000, 0xffffffff5f800000, // 2^32 2^63 -2^63 2^64
	0xffffffff3eaaaaab, 0xffffffff40490fdb,
	// improperly boxed singles
	0x000000003f800000, 0xfffffffe3f800000, 0x7fffffff7fc00000, 0x00000000ffffffff,
	0x8000000000000000 | 0x40490fdb,
}

// randX returns an x value: mostly interesting, sometimes random.
func randX(r *rand.Rand) uint64 {
	switch r.IntN(8) {
	case 0:
		return r.Uint64()
	case 1:
		return uint64(int64(int32(r.Uint32())))
	case 2:
		return uint64(r.IntN(200)) - 100
	}
	return xInteresting[r.IntN(len(xInteresting))]
}

// randF returns an f-register image: mostly interesting, sometimes a
// random double or boxed single with an exponent near interesting ranges.
func randF(r *rand.Rand) uint64 {
	switch r.IntN(8) {
	case 0: // random double
		sign := uint64(r.IntN(2)) << 63
		exp := uint64(1023 + r.IntN(140) - 70)
		if r.IntN(6) == 0 {
			exp = uint64(r.IntN(2048))
		}
		return sign | exp<<52 | r.Uint64()>>12
	case 1: // random single, NaN-boxed
		sign := uint64(r.IntN(2)) << 31
		exp := uint64(127 + r.IntN(70) - 35)
		if r.IntN(6) == 0 {
			exp = uint64(r.IntN(256))
		}
		return 0xffffffff00000000 | sign | exp<<23 | uint64(r.Uint32()>>9)
	case 2: // value with few mantissa bits (sums and products land on ties)
		sign := uint64(r.IntN(2)) << 63
		exp := uint64(1023 + r.IntN(120) - 60)
		man := uint64(r.IntN(8)) << 49
		if r.IntN(2) == 0 {
			man |= 1 << uint(r.IntN(49))
		}
		if r.IntN(2) == 0 { // make it an exact single
			s := uint64(r.IntN(2)) << 31
			e := uint64(127 + r.IntN(60) - 30)
			m := uint64(r.IntN(8))<<20 | uint64(r.IntN(2))<<uint(r.IntN(20))
			return 0xffffffff00000000 | s | e<<23 | m
		}
		return sign | exp<<52 | man
	}
	return fInteresting[r.IntN(len(fInteresting))]
}
