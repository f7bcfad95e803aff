package softfloat

import "testing"

// Fuzz targets compare every rounding mode against the big.Float oracle.

func fuzzOps(t *testing.T, f tfmt, names []string, a, b, c uint64) {
	if f.name == "f32" {
		a, b, c = a&0xffffffff, b&0xffffffff, c&0xffffffff
	}
	all := append(arithOps(), convOps()...)
	for _, name := range names {
		o := findOp(all, f, name)
		for rm := uint8(0); rm < 5; rm++ {
			check(t, o, a, b, c, rm)
		}
	}
}

func seeds2(f *testing.F, w tfmt) {
	g := newGen(99)
	f.Add(uint64(one64), uint64(0x3ca0000000000000))
	f.Add(uint64(max64), uint64(max64))
	f.Add(uint64(minN64), uint64(0x3fefffffffffffff))
	f.Add(uint64(one32), uint64(0x33800000))
	f.Add(uint64(max32), uint64(max32))
	for i := 0; i < 20; i++ {
		a, b := g.pair(w)
		f.Add(a, b)
	}
}

func seeds3(f *testing.F, w tfmt) {
	g := newGen(98)
	f.Add(uint64(0x1e30000000000000), uint64(0x9e60000000000000), uint64(minN64))
	f.Add(uint64(one64+1), uint64(one64+1), uint64(negOne64))
	f.Add(uint64(0), uint64(inf64), uint64(qnanP64))
	f.Add(uint64(one32+1), uint64(one32+1), uint64(0xbf800000))
	for i := 0; i < 20; i++ {
		a, b, c := g.operands(findOp(arithOps(), w, "MulAdd"))
		f.Add(a, b, c)
	}
}

func FuzzF64Add(f *testing.F) {
	seeds2(f, t64())
	f.Fuzz(func(t *testing.T, a, b uint64) { fuzzOps(t, t64(), []string{"Add", "Sub", "addSlow"}, a, b, 0) })
}

func FuzzF64Mul(f *testing.F) {
	seeds2(f, t64())
	f.Fuzz(func(t *testing.T, a, b uint64) { fuzzOps(t, t64(), []string{"Mul", "mulSlow"}, a, b, 0) })
}

func FuzzF64Div(f *testing.F) {
	seeds2(f, t64())
	f.Fuzz(func(t *testing.T, a, b uint64) { fuzzOps(t, t64(), []string{"Div", "divSlow"}, a, b, 0) })
}

func FuzzF64Sqrt(f *testing.F) {
	seeds2(f, t64())
	f.Fuzz(func(t *testing.T, a, b uint64) { fuzzOps(t, t64(), []string{"Sqrt", "sqrtSlow"}, a, 0, 0) })
}

func FuzzF64MulAdd(f *testing.F) {
	seeds3(f, t64())
	f.Fuzz(func(t *testing.T, a, b, c uint64) {
		fuzzOps(t, t64(), []string{"MulAdd", "MulSub", "NMulSub", "NMulAdd", "mulAddSlow"}, a, b, c)
	})
}

func FuzzF64Convert(f *testing.F) {
	seeds2(f, t64())
	f.Add(uint64(0x41dfffffffe00000), uint64(0x7fffffff))
	f.Add(uint64(0xc1e0000000100000), uint64(0xffffffffffffffff))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		fuzzOps(t, t64(), []string{"ToI32", "ToU32", "ToI64", "ToU64", "ToF32"}, a, 0, 0)
		fuzzOps(t, t64(), []string{"FromI32", "FromU32", "FromI64", "FromU64"}, b, 0, 0)
	})
}

func FuzzF32Add(f *testing.F) {
	seeds2(f, t32())
	f.Fuzz(func(t *testing.T, a, b uint64) { fuzzOps(t, t32(), []string{"Add", "Sub", "addSlow"}, a, b, 0) })
}

func FuzzF32Mul(f *testing.F) {
	seeds2(f, t32())
	f.Fuzz(func(t *testing.T, a, b uint64) { fuzzOps(t, t32(), []string{"Mul", "mulSlow"}, a, b, 0) })
}

func FuzzF32Div(f *testing.F) {
	seeds2(f, t32())
	f.Fuzz(func(t *testing.T, a, b uint64) { fuzzOps(t, t32(), []string{"Div", "divSlow"}, a, b, 0) })
}

func FuzzF32Sqrt(f *testing.F) {
	seeds2(f, t32())
	f.Fuzz(func(t *testing.T, a, b uint64) { fuzzOps(t, t32(), []string{"Sqrt", "sqrtSlow"}, a, 0, 0) })
}

func FuzzF32MulAdd(f *testing.F) {
	seeds3(f, t32())
	f.Fuzz(func(t *testing.T, a, b, c uint64) {
		fuzzOps(t, t32(), []string{"MulAdd", "MulSub", "NMulSub", "NMulAdd", "mulAddSlow"}, a, b, c)
	})
}

func FuzzF32Convert(f *testing.F) {
	seeds2(f, t32())
	f.Add(uint64(0x4f000000), uint64(0x80000001))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		fuzzOps(t, t32(), []string{"ToI32", "ToU32", "ToI64", "ToU64", "ToF64"}, a, 0, 0)
		// Integer sources are not masked to 32 bits.
		all := convOps()
		for _, name := range []string{"FromI32", "FromU32", "FromI64", "FromU64"} {
			o := findOp(all, t32(), name)
			for rm := uint8(0); rm < 5; rm++ {
				check(t, o, b, 0, 0, rm)
			}
		}
	})
}
