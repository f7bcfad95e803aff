package softfloat

import "testing"

// Hand-computed expectations from the IEEE 754 and RISC-V rules, independent
// of the big.Float oracle.

const (
	one64    = 0x3ff0000000000000
	two64    = 0x4000000000000000
	half64   = 0x3fe0000000000000
	max64    = 0x7fefffffffffffff
	minN64   = 0x0010000000000000
	minS64   = 0x0000000000000001
	inf64    = 0x7ff0000000000000
	ninf64   = 0xfff0000000000000
	nzero64  = 0x8000000000000000
	snan64   = 0x7ff0000000000001
	qnanP64  = 0x7ff8000000000123 // quiet NaN with a payload
	nsnan64  = 0xfff4000000000000
	one32    = 0x3f800000
	max32    = 0x7f7fffff
	inf32    = 0x7f800000
	ninf32   = 0xff800000
	nzero32  = 0x80000000
	snan32   = 0x7f800001
	qnanP32  = 0xffc01234
	minS32   = 0x00000001
	minN32   = 0x00800000
	nan64    = uint64(F64NaN)
	nan32    = uint64(F32NaN)
	nx       = FlagInexact
	nv       = FlagInvalid
	of       = FlagOverflow | FlagInexact
	uf       = FlagUnderflow | FlagInexact
	dz       = FlagDivZero
	negOne64 = 0xbff0000000000000
)

type want struct {
	bits  uint64
	flags uint8
}

// all returns the same expectation for every rounding mode.
func all(bits uint64, flags uint8) [5]want {
	return [5]want{{bits, flags}, {bits, flags}, {bits, flags}, {bits, flags}, {bits, flags}}
}

// modes lists expectations in RNE, RTZ, RDN, RUP, RMM order.
func modes(rne, rtz, rdn, rup, rmm want) [5]want { return [5]want{rne, rtz, rdn, rup, rmm} }

type edgeCase struct {
	op      string
	a, b, c uint64
	w       [5]want
}

var _ = want{}

func edgeCases() []edgeCase {
	w := func(b uint64, f uint8) want { return want{b, f} }
	return []edgeCase{
		// f64 addition: ties, signs of zero, overflow thresholds, NaNs.
		{"f64Add", one64, 0x3ca0000000000000, 0, modes(w(one64, nx), w(one64, nx), w(one64, nx), w(one64+1, nx), w(one64+1, nx))},
		{"f64Add", one64 + 1, 0x3ca0000000000000, 0, modes(w(one64+2, nx), w(one64+1, nx), w(one64+1, nx), w(one64+2, nx), w(one64+2, nx))},
		{"f64Add", negOne64, 0xbca0000000000000, 0, modes(w(negOne64, nx), w(negOne64, nx), w(negOne64+1, nx), w(negOne64, nx), w(negOne64+1, nx))},
		{"f64Add", one64, negOne64, 0, modes(w(0, 0), w(0, 0), w(nzero64, 0), w(0, 0), w(0, 0))},
		{"f64Add", 0, nzero64, 0, modes(w(0, 0), w(0, 0), w(nzero64, 0), w(0, 0), w(0, 0))},
		{"f64Add", nzero64, nzero64, 0, all(nzero64, 0)},
		{"f64Add", nzero64, one64, 0, all(one64, 0)},
		{"f64Add", max64, max64, 0, modes(w(inf64, of), w(max64, of), w(max64, of), w(inf64, of), w(inf64, of))},
		{"f64Add", max64 | nzero64, max64 | nzero64, 0, modes(w(ninf64, of), w(max64|nzero64, of), w(ninf64, of), w(max64|nzero64, of), w(ninf64, of))},
		// max + half an ulp (2^970): a tie that overflows in RNE but not RTZ.
		{"f64Add", max64, 0x7c90000000000000, 0, modes(w(inf64, of), w(max64, nx), w(max64, nx), w(inf64, of), w(inf64, of))},
		// max + a quarter ulp (2^969).
		{"f64Add", max64, 0x7c80000000000000, 0, modes(w(max64, nx), w(max64, nx), w(max64, nx), w(inf64, of), w(max64, nx))},
		{"f64Add", inf64, ninf64, 0, all(nan64, nv)},
		{"f64Add", inf64, max64, 0, all(inf64, 0)},
		{"f64Add", qnanP64, one64, 0, all(nan64, 0)},
		{"f64Add", one64, snan64, 0, all(nan64, nv)},
		{"f64Add", minS64, minS64, 0, all(2, 0)},
		{"f64Add", minN64, minS64 | nzero64, 0, all(0x000fffffffffffff, 0)},
		{"f64Sub", one64, one64, 0, modes(w(0, 0), w(0, 0), w(nzero64, 0), w(0, 0), w(0, 0))},
		{"f64Sub", nzero64, 0, 0, all(nzero64, 0)},
		{"f64Sub", inf64, inf64, 0, all(nan64, nv)},

		// f64 multiplication: subnormal results and tininess.
		{"f64Mul", minN64, half64, 0, all(0x0008000000000000, 0)},
		{"f64Mul", minN64, 0x3fefffffffffffff, 0, modes(w(minN64, uf), w(minN64-1, uf), w(minN64-1, uf), w(minN64, uf), w(minN64, uf))},
		{"f64Mul", minS64, half64, 0, modes(w(0, uf), w(0, uf), w(0, uf), w(minS64, uf), w(minS64, uf))},
		{"f64Mul", minS64 | nzero64, half64, 0, modes(w(nzero64, uf), w(nzero64, uf), w(nzero64|minS64, uf), w(nzero64, uf), w(nzero64|minS64, uf))},
		{"f64Mul", 0x7fe0000000000000, two64, 0, modes(w(inf64, of), w(max64, of), w(max64, of), w(inf64, of), w(inf64, of))},
		{"f64Mul", 0, inf64, 0, all(nan64, nv)},
		{"f64Mul", nzero64, one64, 0, all(nzero64, 0)},
		{"f64Mul", ninf64, nzero64 | two64, 0, all(inf64, 0)},
		{"f64Mul", snan64, 0, 0, all(nan64, nv)},

		// f64 division.
		{"f64Div", one64, 0, 0, all(inf64, dz)},
		{"f64Div", negOne64, 0, 0, all(ninf64, dz)},
		{"f64Div", one64, nzero64, 0, all(ninf64, dz)},
		{"f64Div", 0, 0, 0, all(nan64, nv)},
		{"f64Div", inf64, ninf64, 0, all(nan64, nv)},
		{"f64Div", inf64, 0, 0, all(inf64, 0)},
		{"f64Div", one64, inf64, 0, all(0, 0)},
		{"f64Div", one64, 0x4008000000000000, 0, modes(w(0x3fd5555555555555, nx), w(0x3fd5555555555555, nx), w(0x3fd5555555555555, nx), w(0x3fd5555555555556, nx), w(0x3fd5555555555555, nx))},
		{"f64Div", qnanP64, 0, 0, all(nan64, 0)},

		// f64 square root.
		{"f64Sqrt", nzero64, 0, 0, all(nzero64, 0)},
		{"f64Sqrt", negOne64, 0, 0, all(nan64, nv)},
		{"f64Sqrt", ninf64, 0, 0, all(nan64, nv)},
		{"f64Sqrt", inf64, 0, 0, all(inf64, 0)},
		{"f64Sqrt", nsnan64, 0, 0, all(nan64, nv)},
		{"f64Sqrt", 0x4010000000000000, 0, 0, all(two64, 0)},
		{"f64Sqrt", two64, 0, 0, modes(w(0x3ff6a09e667f3bcd, nx), w(0x3ff6a09e667f3bcc, nx), w(0x3ff6a09e667f3bcc, nx), w(0x3ff6a09e667f3bcd, nx), w(0x3ff6a09e667f3bcd, nx))},
		{"f64Sqrt", minS64, 0, 0, all(0x1e60000000000000, 0)}, // sqrt(2^-1074) = 2^-537

		// f64 fused multiply-add.
		{"f64MulAdd", 0, inf64, qnanP64, all(nan64, nv)},
		{"f64MulAdd", inf64, 0, nan64, all(nan64, nv)},
		{"f64MulAdd", inf64, one64, ninf64, all(nan64, nv)},
		{"f64MulAdd", one64, one64, qnanP64, all(nan64, 0)},
		{"f64MulAdd", one64, one64, negOne64, modes(w(0, 0), w(0, 0), w(nzero64, 0), w(0, 0), w(0, 0))},
		{"f64MulAdd", nzero64, one64, nzero64, all(nzero64, 0)},
		{"f64MulAdd", 0, one64, nzero64, modes(w(0, 0), w(0, 0), w(nzero64, 0), w(0, 0), w(0, 0))},
		// (1+2^-52)^2 - 1 = 2^-51 + 2^-104: a tie only visible with a single rounding.
		{"f64MulAdd", one64 + 1, one64 + 1, negOne64, modes(w(0x3cc0000000000000, nx), w(0x3cc0000000000000, nx), w(0x3cc0000000000000, nx), w(0x3cc0000000000001, nx), w(0x3cc0000000000001, nx))},
		// 2^-1022 - 2^-1077: tiny before rounding but not after (RNE).
		{"f64MulAdd", 0x1e30000000000000, 0x9e60000000000000, minN64, modes(w(minN64, nx), w(minN64-1, uf), w(minN64-1, uf), w(minN64, nx), w(minN64, nx))},
		// 2^-1022 - 2^-1076: a tie at full precision, rounds to 2^-1022.
		{"f64MulAdd", 0x1e30000000000000, 0x9e70000000000000, minN64, modes(w(minN64, nx), w(minN64-1, uf), w(minN64-1, uf), w(minN64, nx), w(minN64, nx))},
		{"f64MulSub", one64, one64, one64, modes(w(0, 0), w(0, 0), w(nzero64, 0), w(0, 0), w(0, 0))},
		{"f64NMulSub", one64, two64, two64, modes(w(0, 0), w(0, 0), w(nzero64, 0), w(0, 0), w(0, 0))},
		{"f64NMulAdd", one64, two64, negOne64, all(negOne64, 0)},
		{"f64NMulAdd", 0, inf64, qnanP64, all(nan64, nv)},

		// f32 arithmetic.
		{"f32Add", one32, 0x33800000, 0, modes(w(one32, nx), w(one32, nx), w(one32, nx), w(one32+1, nx), w(one32+1, nx))},
		{"f32Add", max32, max32, 0, modes(w(inf32, of), w(max32, of), w(max32, of), w(inf32, of), w(inf32, of))},
		{"f32Add", one32, one32 | nzero32, 0, modes(w(0, 0), w(0, 0), w(nzero32, 0), w(0, 0), w(0, 0))},
		{"f32Add", snan32, one32, 0, all(nan32, nv)},
		{"f32Mul", minS32, 0x3f000000, 0, modes(w(0, uf), w(0, uf), w(0, uf), w(minS32, uf), w(minS32, uf))},
		{"f32Mul", minN32, 0x3f7fffff, 0, modes(w(minN32, uf), w(minN32-1, uf), w(minN32-1, uf), w(minN32, uf), w(minN32, uf))},
		{"f32Div", one32, 0, 0, all(inf32, dz)},
		{"f32Div", one32, 0x40400000, 0, modes(w(0x3eaaaaab, nx), w(0x3eaaaaaa, nx), w(0x3eaaaaaa, nx), w(0x3eaaaaab, nx), w(0x3eaaaaab, nx))},
		{"f32Sqrt", one32 | nzero32, 0, 0, all(nan32, nv)},
		{"f32Sqrt", nzero32, 0, 0, all(nzero32, 0)},
		{"f32MulAdd", 0, inf32, 0x7fc00001, all(nan32, nv)},
		{"f32MulAdd", one32 + 1, one32 + 1, one32 | nzero32, modes(w(0x34800000, nx), w(0x34800000, nx), w(0x34800000, nx), w(0x34800001, nx), w(0x34800001, nx))},

		// Conversions to integers at every saturation boundary.
		{"f64ToI32", 0x41dfffffffc00000, 0, 0, all(0x7fffffff, 0)},                                                                                                                           // 2^31-1
		{"f64ToI32", 0x41dfffffffe00000, 0, 0, modes(w(0x7fffffff, nv), w(0x7fffffff, nx), w(0x7fffffff, nx), w(0x7fffffff, nv), w(0x7fffffff, nv))},                                         // 2^31-0.5
		{"f64ToI32", 0x41e0000000000000, 0, 0, all(0x7fffffff, nv)},                                                                                                                          // 2^31
		{"f64ToI32", 0xc1e0000000000000, 0, 0, all(0xffffffff80000000, 0)},                                                                                                                   // -2^31
		{"f64ToI32", 0xc1e0000000100000, 0, 0, modes(w(0xffffffff80000000, nx), w(0xffffffff80000000, nx), w(0xffffffff80000000, nv), w(0xffffffff80000000, nx), w(0xffffffff80000000, nv))}, // -2^31-0.5
		{"f64ToI32", 0xc1e0000000200000, 0, 0, all(0xffffffff80000000, nv)},                                                                                                                  // -2^31-1
		{"f64ToI32", negOne64, 0, 0, all(0xffffffffffffffff, 0)},
		{"f64ToI32", nan64, 0, 0, all(0x7fffffff, nv)},
		{"f64ToI32", inf64, 0, 0, all(0x7fffffff, nv)},
		{"f64ToI32", ninf64, 0, 0, all(0xffffffff80000000, nv)},
		{"f64ToI32", 0xbfe0000000000000, 0, 0, modes(w(0, nx), w(0, nx), w(0xffffffffffffffff, nx), w(0, nx), w(0xffffffffffffffff, nx))}, // -0.5
		{"f64ToI32", 0x3ff8000000000000, 0, 0, modes(w(2, nx), w(1, nx), w(1, nx), w(2, nx), w(2, nx))},                                   // 1.5
		{"f64ToI32", 0x4004000000000000, 0, 0, modes(w(2, nx), w(2, nx), w(2, nx), w(3, nx), w(3, nx))},                                   // 2.5
		{"f64ToU32", 0x41efffffffe00000, 0, 0, all(0xffffffffffffffff, 0)},                                                                // 2^32-1
		{"f64ToU32", 0x41f0000000000000, 0, 0, all(0xffffffffffffffff, nv)},                                                               // 2^32
		{"f64ToU32", 0x41e65a0bc0000000, 0, 0, all(0xffffffffb2d05e00, 0)},                                                                // 3e9
		{"f64ToU32", 0xbfe0000000000000, 0, 0, modes(w(0, nx), w(0, nx), w(0, nv), w(0, nx), w(0, nv))},                                   // -0.5
		{"f64ToU32", negOne64, 0, 0, all(0, nv)},
		{"f64ToU32", nzero64, 0, 0, all(0, 0)},
		{"f64ToU32", nan64, 0, 0, all(0xffffffffffffffff, nv)},
		{"f64ToU32", ninf64, 0, 0, all(0, nv)},
		{"f64ToU32", inf64, 0, 0, all(0xffffffffffffffff, nv)},
		{"f64ToI64", 0x43e0000000000000, 0, 0, all(0x7fffffffffffffff, nv)}, // 2^63
		{"f64ToI64", 0x43dfffffffffffff, 0, 0, all(0x7ffffffffffffc00, 0)},
		{"f64ToI64", 0xc3e0000000000000, 0, 0, all(0x8000000000000000, 0)},  // -2^63
		{"f64ToI64", 0xc3e0000000000001, 0, 0, all(0x8000000000000000, nv)}, // below -2^63
		{"f64ToI64", nan64, 0, 0, all(0x7fffffffffffffff, nv)},
		{"f64ToI64", ninf64, 0, 0, all(0x8000000000000000, nv)},
		{"f64ToI64", minS64 | nzero64, 0, 0, modes(w(0, nx), w(0, nx), w(0xffffffffffffffff, nx), w(0, nx), w(0, nx))},
		{"f64ToU64", 0x43f0000000000000, 0, 0, all(0xffffffffffffffff, nv)}, // 2^64
		{"f64ToU64", 0x43efffffffffffff, 0, 0, all(0xfffffffffffff800, 0)},
		{"f64ToU64", 0x43e0000000000000, 0, 0, all(0x8000000000000000, 0)}, // 2^63
		{"f64ToU64", 0xbfe0000000000000, 0, 0, modes(w(0, nx), w(0, nx), w(0, nv), w(0, nx), w(0, nv))},
		{"f64ToU64", negOne64, 0, 0, all(0, nv)},
		{"f64ToU64", nan64, 0, 0, all(0xffffffffffffffff, nv)},
		{"f64ToU64", minS64, 0, 0, modes(w(0, nx), w(0, nx), w(0, nx), w(1, nx), w(0, nx))},
		{"f32ToI32", 0x4f000000, 0, 0, all(0x7fffffff, nv)},         // 2^31
		{"f32ToI32", 0xcf000000, 0, 0, all(0xffffffff80000000, 0)},  // -2^31
		{"f32ToI32", 0x4effffff, 0, 0, all(0x7fffff80, 0)},          // largest below 2^31
		{"f32ToU32", 0x4f800000, 0, 0, all(0xffffffffffffffff, nv)}, // 2^32
		{"f32ToU32", 0xbf000000, 0, 0, modes(w(0, nx), w(0, nx), w(0, nv), w(0, nx), w(0, nv))},
		{"f32ToU32", 0xbf800000, 0, 0, all(0, nv)},
		{"f32ToI64", 0x5f000000, 0, 0, all(0x7fffffffffffffff, nv)}, // 2^63
		{"f32ToI64", 0xdf000000, 0, 0, all(0x8000000000000000, 0)},  // -2^63
		{"f32ToU64", 0x5f800000, 0, 0, all(0xffffffffffffffff, nv)}, // 2^64
		{"f32ToU64", 0x5f7fffff, 0, 0, all(0xffffff0000000000, 0)},
		{"f32ToU64", nan32, 0, 0, all(0xffffffffffffffff, nv)},
		{"f32ToI32", ninf32, 0, 0, all(0xffffffff80000000, nv)},

		// Conversions from integers and between formats.
		{"f32FromI32", 0x7fffffff, 0, 0, modes(w(0x4f000000, nx), w(0x4effffff, nx), w(0x4effffff, nx), w(0x4f000000, nx), w(0x4f000000, nx))},
		{"f32FromI32", 0x80000001, 0, 0, modes(w(0xcf000000, nx), w(0xceffffff, nx), w(0xcf000000, nx), w(0xceffffff, nx), w(0xcf000000, nx))},
		{"f32FromU32", 1<<24 + 1, 0, 0, modes(w(0x4b800000, nx), w(0x4b800000, nx), w(0x4b800000, nx), w(0x4b800001, nx), w(0x4b800001, nx))},
		{"f64FromU64", 0xffffffffffffffff, 0, 0, modes(w(0x43f0000000000000, nx), w(0x43efffffffffffff, nx), w(0x43efffffffffffff, nx), w(0x43f0000000000000, nx), w(0x43f0000000000000, nx))},
		{"f64FromI64", 0x8000000000000000, 0, 0, all(0xc3e0000000000000, 0)},
		{"f64FromI32", 0xffffffff, 0, 0, all(negOne64, 0)},
		{"f64ToF32", max64, 0, 0, modes(w(inf32, of), w(max32, of), w(max32, of), w(inf32, of), w(inf32, of))},
		{"f64ToF32", 0x47efffffe0000000, 0, 0, all(max32, 0)},
		{"f64ToF32", 0x47effffff0000000, 0, 0, modes(w(inf32, of), w(max32, nx), w(max32, nx), w(inf32, of), w(inf32, of))},
		{"f64ToF32", 0x3690000000000000, 0, 0, modes(w(0, uf), w(0, uf), w(0, uf), w(minS32, uf), w(minS32, uf))}, // 2^-150
		{"f64ToF32", 0x36a0000000000000, 0, 0, all(minS32, 0)},                                                    // 2^-149
		{"f64ToF32", snan64, 0, 0, all(nan32, nv)},
		{"f64ToF32", qnanP64, 0, 0, all(nan32, 0)},
		{"f64ToF32", nzero64, 0, 0, all(nzero32, 0)},
		{"f64ToF32", ninf64, 0, 0, all(ninf32, 0)},
		{"f32ToF64", snan32, 0, 0, all(nan64, nv)},
		{"f32ToF64", qnanP32, 0, 0, all(nan64, 0)},
		{"f32ToF64", minS32, 0, 0, all(0x36a0000000000000, 0)},
	}
}

func edgeOps() map[string]op {
	m := map[string]op{}
	for _, o := range append(arithOps(), convOps()...) {
		m[o.f.name+o.name] = o
	}
	return m
}

func TestEdgeCases(t *testing.T) {
	ops := edgeOps()
	for _, tc := range edgeCases() {
		o, ok := ops[tc.op]
		if !ok {
			t.Fatalf("unknown op %s", tc.op)
		}
		for rm := uint8(0); rm < 5; rm++ {
			got, fl := o.impl(tc.a, tc.b, tc.c, rm)
			if w := tc.w[rm]; got != w.bits || fl != w.flags {
				t.Errorf("%s(%#x, %#x, %#x, rm=%d) = %#x flags %05b, want %#x flags %05b",
					tc.op, tc.a, tc.b, tc.c, rm, got, fl, w.bits, w.flags)
			}
			// The oracle must agree with the hand-written table too.
			if ob, ofl := o.oracle(tc.a, tc.b, tc.c, rm); ob != tc.w[rm].bits || ofl != tc.w[rm].flags {
				t.Errorf("oracle %s(%#x, %#x, %#x, rm=%d) = %#x flags %05b, want %#x flags %05b",
					tc.op, tc.a, tc.b, tc.c, rm, ob, ofl, tc.w[rm].bits, tc.w[rm].flags)
			}
		}
	}
}
