package softfloat

import (
	"math"
	"math/rand"
	"testing"
)

// The host FPU (round to nearest even) as a second oracle for RNE results.

func sameF64(got, want uint64) bool {
	if math.IsNaN(math.Float64frombits(want)) {
		return got == F64NaN
	}
	return got == want
}

func sameF32(got, want uint32) bool {
	if want&0x7fffffff > 0x7f800000 {
		return got == F32NaN
	}
	return got == want
}

func hostCount() int {
	if testing.Short() {
		return 100000
	}
	return 500000
}

func TestHostF64(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	g := newGen(8)
	for i := 0; i < hostCount(); i++ {
		var a, b, c uint64
		switch i % 3 {
		case 0:
			a, b, c = r.Uint64(), r.Uint64(), r.Uint64()
		case 1:
			a = math.Float64bits(r.NormFloat64() * math.Exp2(float64(r.Intn(40)-20)))
			b = math.Float64bits(r.NormFloat64() * math.Exp2(float64(r.Intn(40)-20)))
			c = math.Float64bits(r.NormFloat64())
		default:
			a, b = g.pair(t64())
			c = g.val(t64())
		}
		x, y, z := math.Float64frombits(a), math.Float64frombits(b), math.Float64frombits(c)
		check := func(name string, got, want uint64) {
			if !sameF64(got, want) {
				t.Fatalf("%s(%#x, %#x, %#x) = %#x, host %#x", name, a, b, c, got, want)
			}
		}
		r1, _ := F64Add(a, b, RNE)
		check("F64Add", r1, math.Float64bits(x+y))
		r1, _ = F64Sub(a, b, RNE)
		check("F64Sub", r1, math.Float64bits(x-y))
		r1, _ = F64Mul(a, b, RNE)
		check("F64Mul", r1, math.Float64bits(x*y))
		r1, _ = F64Div(a, b, RNE)
		check("F64Div", r1, math.Float64bits(x/y))
		r1, _ = F64Sqrt(a, RNE)
		check("F64Sqrt", r1, math.Float64bits(math.Sqrt(x)))
		r1, _ = F64MulAdd(a, b, c, RNE)
		check("F64MulAdd", r1, math.Float64bits(math.FMA(x, y, z)))
		r1, _ = F64NMulAdd(a, b, c, RNE)
		check("F64NMulAdd", r1, math.Float64bits(math.FMA(-x, y, -z)))
		r2, _ := F64ToF32(a, RNE)
		if !sameF32(r2, math.Float32bits(float32(x))) {
			t.Fatalf("F64ToF32(%#x) = %#x", a, r2)
		}
		if math.Abs(x) < 1<<62 {
			if r1, fl := F64ToI64(a, RTZ); int64(r1) != int64(x) || (fl != 0) != (float64(int64(x)) != x) {
				t.Fatalf("F64ToI64(%#x, RTZ) = %#x %05b", a, r1, fl)
			}
		}
		if r1, _ := F64FromI64(int64(a), RNE); r1 != math.Float64bits(float64(int64(a))) {
			t.Fatalf("F64FromI64(%#x) = %#x", a, r1)
		}
		if r1, _ := F64FromU64(a, RNE); r1 != math.Float64bits(float64(a)) {
			t.Fatalf("F64FromU64(%#x) = %#x", a, r1)
		}
	}
}

func TestHostF32(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	g := newGen(10)
	for i := 0; i < hostCount(); i++ {
		var a, b uint32
		switch i % 3 {
		case 0:
			a, b = r.Uint32(), r.Uint32()
		case 1:
			a = math.Float32bits(float32(r.NormFloat64() * math.Exp2(float64(r.Intn(40)-20))))
			b = math.Float32bits(float32(r.NormFloat64()))
		default:
			a64, b64 := g.pair(t32())
			a, b = uint32(a64), uint32(b64)
		}
		x, y := math.Float32frombits(a), math.Float32frombits(b)
		check := func(name string, got, want uint32) {
			if !sameF32(got, want) {
				t.Fatalf("%s(%#x, %#x) = %#x, host %#x", name, a, b, got, want)
			}
		}
		r1, _ := F32Add(a, b, RNE)
		check("F32Add", r1, math.Float32bits(x+y))
		r1, _ = F32Sub(a, b, RNE)
		check("F32Sub", r1, math.Float32bits(x-y))
		r1, _ = F32Mul(a, b, RNE)
		check("F32Mul", r1, math.Float32bits(x*y))
		r1, _ = F32Div(a, b, RNE)
		check("F32Div", r1, math.Float32bits(x/y))
		r1, _ = F32Sqrt(a, RNE)
		check("F32Sqrt", r1, math.Float32bits(float32(math.Sqrt(float64(x)))))
		if r2, _ := F32ToF64(a); !sameF64(r2, math.Float64bits(float64(x))) {
			t.Fatalf("F32ToF64(%#x) = %#x", a, r2)
		}
		if r1, _ := F32FromI32(int32(a), RNE); r1 != math.Float32bits(float32(int32(a))) {
			t.Fatalf("F32FromI32(%#x) = %#x", a, r1)
		}
	}
}

// TestNoAllocs checks that neither path allocates.
func TestNoAllocs(t *testing.T) {
	var sink uint64
	n := testing.AllocsPerRun(100, func() {
		for _, a := range []uint64{one64, minS64, max64, snan64, 0x4008000000000000} {
			for rm := uint8(0); rm < 5; rm++ {
				r, _ := F64Add(a, one64, rm)
				sink += r
				r, _ = F64Mul(a, a, rm)
				sink += r
				r, _ = F64Div(one64, a, rm)
				sink += r
				r, _ = F64Sqrt(a, rm)
				sink += r
				r, _ = F64MulAdd(a, a, negOne64, rm)
				sink += r
				r, _ = F64ToI32(a, rm)
				sink += r
				s, _ := F64ToF32(a, rm)
				sink += uint64(s)
				s, _ = F32MulAdd(uint32(a>>32), uint32(a>>32), one32, rm)
				sink += uint64(s)
				s, _ = F32Div(uint32(a>>32), 3, rm)
				sink += uint64(s)
			}
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per run", n)
	}
	_ = sink
}
