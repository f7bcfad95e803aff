package softfloat

import (
	"math"
	"math/rand"
	"testing"
)

// Benchmarks cycle through 256 ordinary operands (normal, finite, varied
// exponents) so that branches are not trivially predicted; results go to a
// sink to defeat dead-code elimination.

var benchSink uint64

func benchVals64() []uint64 {
	r := rand.New(rand.NewSource(1))
	v := make([]uint64, 256)
	for i := range v {
		v[i] = math.Float64bits(r.NormFloat64() * math.Exp2(float64(r.Intn(20)-10)))
	}
	return v
}

func benchVals32() []uint32 {
	v64 := benchVals64()
	v := make([]uint32, len(v64))
	for i, x := range v64 {
		v[i] = math.Float32bits(float32(math.Float64frombits(x)))
	}
	return v
}

func bench64(b *testing.B, rm uint8, fn func(x, y uint64, rm uint8) (uint64, uint8)) {
	v := benchVals64()
	b.ReportAllocs()
	var s uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, fl := fn(v[i&255], v[(i+1)&255], rm)
		s += r + uint64(fl)
	}
	benchSink = s
}

func bench32(b *testing.B, rm uint8, fn func(x, y uint32, rm uint8) (uint32, uint8)) {
	v := benchVals32()
	b.ReportAllocs()
	var s uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, fl := fn(v[i&255], v[(i+1)&255], rm)
		s += uint64(r) + uint64(fl)
	}
	benchSink = s
}

func fma64(x, y uint64, rm uint8) (uint64, uint8)  { return F64MulAdd(x, y, x, rm) }
func sqrt64(x, _ uint64, rm uint8) (uint64, uint8) { return F64Sqrt(x&^sign64, rm) }
func fma32(x, y uint32, rm uint8) (uint32, uint8)  { return F32MulAdd(x, y, x, rm) }
func sqrt32(x, _ uint32, rm uint8) (uint32, uint8) { return F32Sqrt(x&^sign32, rm) }

func BenchmarkF64Add(b *testing.B)    { bench64(b, RNE, F64Add) }
func BenchmarkF64AddRDN(b *testing.B) { bench64(b, RDN, F64Add) }
func BenchmarkF64AddSlow(b *testing.B) {
	bench64(b, RNE, func(x, y uint64, rm uint8) (uint64, uint8) { return addSlow(f64Format(), x, y, rm) })
}
func BenchmarkF64Mul(b *testing.B)    { bench64(b, RNE, F64Mul) }
func BenchmarkF64MulRUP(b *testing.B) { bench64(b, RUP, F64Mul) }
func BenchmarkF64Div(b *testing.B)    { bench64(b, RNE, F64Div) }
func BenchmarkF64DivRTZ(b *testing.B) { bench64(b, RTZ, F64Div) }
func BenchmarkF64Sqrt(b *testing.B)   { bench64(b, RNE, sqrt64) }
func BenchmarkF64MulAdd(b *testing.B) { bench64(b, RNE, fma64) }
func BenchmarkF64MulAddRMM(b *testing.B) {
	bench64(b, RMM, fma64)
}
func BenchmarkF64MulAddSlow(b *testing.B) {
	bench64(b, RNE, func(x, y uint64, rm uint8) (uint64, uint8) { return mulAddSlow(f64Format(), x, y, x, rm) })
}
func BenchmarkF64Eq(b *testing.B) {
	bench64(b, RNE, func(x, y uint64, _ uint8) (uint64, uint8) {
		r, fl := F64Eq(x, y)
		if r {
			return 1, fl
		}
		return 0, fl
	})
}
func BenchmarkF64Min(b *testing.B) {
	bench64(b, RNE, func(x, y uint64, _ uint8) (uint64, uint8) { return F64Min(x, y) })
}
func BenchmarkF64ToI64(b *testing.B) {
	bench64(b, RNE, func(x, _ uint64, rm uint8) (uint64, uint8) { return F64ToI64(x, rm) })
}
func BenchmarkF64FromI64(b *testing.B) {
	bench64(b, RNE, func(x, _ uint64, rm uint8) (uint64, uint8) { return F64FromI64(int64(x), rm) })
}
func BenchmarkF64ToF32(b *testing.B) {
	bench64(b, RNE, func(x, _ uint64, rm uint8) (uint64, uint8) {
		r, fl := F64ToF32(x, rm)
		return uint64(r), fl
	})
}
func BenchmarkF32Add(b *testing.B)    { bench32(b, RNE, F32Add) }
func BenchmarkF32AddRDN(b *testing.B) { bench32(b, RDN, F32Add) }
func BenchmarkF32Mul(b *testing.B)    { bench32(b, RNE, F32Mul) }
func BenchmarkF32Div(b *testing.B)    { bench32(b, RNE, F32Div) }
func BenchmarkF32Sqrt(b *testing.B)   { bench32(b, RNE, sqrt32) }
func BenchmarkF32MulAdd(b *testing.B) { bench32(b, RNE, fma32) }
func BenchmarkF32ToI32(b *testing.B) {
	bench32(b, RNE, func(x, _ uint32, rm uint8) (uint32, uint8) {
		r, fl := F32ToI32(x, rm)
		return uint32(r), fl
	})
}

// BenchmarkHostF64Add is the harness overhead: a plain host addition called
// through the same indirect function value.
func BenchmarkHostF64Add(b *testing.B) {
	bench64(b, RNE, func(x, y uint64, _ uint8) (uint64, uint8) {
		return math.Float64bits(math.Float64frombits(x) + math.Float64frombits(y)), 0
	})
}
