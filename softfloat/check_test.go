package softfloat

import (
	"fmt"
	"math/big"
	"os"
	"strconv"
	"testing"
)

// op is a function under test and its oracle, on operands widened to uint64.
type op struct {
	name   string
	f      tfmt
	arity  int
	impl   func(a, b, c uint64, rm uint8) (uint64, uint8)
	oracle func(a, b, c uint64, rm uint8) (uint64, uint8)
}

func w32(fn func(a, b uint32, rm uint8) (uint32, uint8)) func(a, b, c uint64, rm uint8) (uint64, uint8) {
	return func(a, b, c uint64, rm uint8) (uint64, uint8) {
		r, fl := fn(uint32(a), uint32(b), rm)
		return uint64(r), fl
	}
}

func w64(fn func(a, b uint64, rm uint8) (uint64, uint8)) func(a, b, c uint64, rm uint8) (uint64, uint8) {
	return func(a, b, c uint64, rm uint8) (uint64, uint8) { return fn(a, b, rm) }
}

func negBits(f tfmt, x uint64) uint64 { return x ^ f.signBit() }

func arithOps() []op {
	f64, f32 := t64(), t32()
	var ops []op
	for _, f := range []tfmt{f64, f32} {
		f := f
		is64 := f.name == "f64"
		pick := func(a64, a32 func(a, b, c uint64, rm uint8) (uint64, uint8)) func(a, b, c uint64, rm uint8) (uint64, uint8) {
			if is64 {
				return a64
			}
			return a32
		}
		g := f64Format()
		if !is64 {
			g = f32Format()
		}
		ops = append(ops,
			op{"Add", f, 2, pick(w64(F64Add), w32(F32Add)),
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleAdd(f, a, b, rm) }},
			op{"Sub", f, 2, pick(w64(F64Sub), w32(F32Sub)),
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleAdd(f, a, negBits(f, b), rm) }},
			op{"Mul", f, 2, pick(w64(F64Mul), w32(F32Mul)),
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleMul(f, a, b, rm) }},
			op{"Div", f, 2, pick(w64(F64Div), w32(F32Div)),
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleDiv(f, a, b, rm) }},
			op{"Sqrt", f, 1, pick(
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return F64Sqrt(a, rm) },
				func(a, b, c uint64, rm uint8) (uint64, uint8) {
					r, fl := F32Sqrt(uint32(a), rm)
					return uint64(r), fl
				}),
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleSqrt(f, a, rm) }},
			op{"MulAdd", f, 3, pick(
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return F64MulAdd(a, b, c, rm) },
				func(a, b, c uint64, rm uint8) (uint64, uint8) {
					r, fl := F32MulAdd(uint32(a), uint32(b), uint32(c), rm)
					return uint64(r), fl
				}),
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleMulAdd(f, a, b, c, rm) }},
			op{"MulSub", f, 3, pick(
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return F64MulSub(a, b, c, rm) },
				func(a, b, c uint64, rm uint8) (uint64, uint8) {
					r, fl := F32MulSub(uint32(a), uint32(b), uint32(c), rm)
					return uint64(r), fl
				}),
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleMulAdd(f, a, b, negBits(f, c), rm) }},
			op{"NMulSub", f, 3, pick(
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return F64NMulSub(a, b, c, rm) },
				func(a, b, c uint64, rm uint8) (uint64, uint8) {
					r, fl := F32NMulSub(uint32(a), uint32(b), uint32(c), rm)
					return uint64(r), fl
				}),
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleMulAdd(f, negBits(f, a), b, c, rm) }},
			op{"NMulAdd", f, 3, pick(
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return F64NMulAdd(a, b, c, rm) },
				func(a, b, c uint64, rm uint8) (uint64, uint8) {
					r, fl := F32NMulAdd(uint32(a), uint32(b), uint32(c), rm)
					return uint64(r), fl
				}),
				func(a, b, c uint64, rm uint8) (uint64, uint8) {
					return oracleMulAdd(f, negBits(f, a), b, negBits(f, c), rm)
				}},
			// The exact paths on their own, so that they are checked on
			// inputs the fast paths would otherwise take.
			op{"addSlow", f, 2, func(a, b, c uint64, rm uint8) (uint64, uint8) { return addSlow(g, a, b, rm) },
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleAdd(f, a, b, rm) }},
			op{"mulSlow", f, 2, func(a, b, c uint64, rm uint8) (uint64, uint8) { return mulSlow(g, a, b, rm) },
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleMul(f, a, b, rm) }},
			op{"divSlow", f, 2, func(a, b, c uint64, rm uint8) (uint64, uint8) { return divSlow(g, a, b, rm) },
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleDiv(f, a, b, rm) }},
			op{"sqrtSlow", f, 1, func(a, b, c uint64, rm uint8) (uint64, uint8) { return sqrtSlow(g, a, rm) },
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleSqrt(f, a, rm) }},
			op{"mulAddSlow", f, 3, func(a, b, c uint64, rm uint8) (uint64, uint8) { return mulAddSlow(g, a, b, c, rm) },
				func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleMulAdd(f, a, b, c, rm) }},
		)
	}
	return ops
}

// convOps are the conversions; operands that are integers are passed in a.
func convOps() []op {
	f64, f32 := t64(), t32()
	toInt := func(f tfmt, signed bool, width uint, fn64 func(uint64, uint8) (uint64, uint8), fn32 func(uint32, uint8) (uint64, uint8)) op {
		name := fmt.Sprintf("To%s%d", map[bool]string{true: "I", false: "U"}[signed], width)
		impl := func(a, b, c uint64, rm uint8) (uint64, uint8) {
			if fn64 != nil {
				return fn64(a, rm)
			}
			return fn32(uint32(a), rm)
		}
		return op{name, f, 1, impl, func(a, b, c uint64, rm uint8) (uint64, uint8) {
			return oracleToInt(f, a, rm, signed, width)
		}}
	}
	fromInt := func(f tfmt, name string, impl func(a uint64, rm uint8) (uint64, uint8), val func(a uint64) *big.Int) op {
		return op{name, f, 0, func(a, b, c uint64, rm uint8) (uint64, uint8) { return impl(a, rm) },
			func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleFromInt(f, val(a), rm) }}
	}
	i32 := func(a uint64) *big.Int { return big.NewInt(int64(int32(a))) }
	u32 := func(a uint64) *big.Int { return new(big.Int).SetUint64(uint64(uint32(a))) }
	i64 := func(a uint64) *big.Int { return big.NewInt(int64(a)) }
	u64 := func(a uint64) *big.Int { return new(big.Int).SetUint64(a) }
	r32 := func(fn func(uint64, uint8) (uint32, uint8)) func(uint64, uint8) (uint64, uint8) {
		return func(a uint64, rm uint8) (uint64, uint8) {
			r, fl := fn(a, rm)
			return uint64(r), fl
		}
	}
	return []op{
		toInt(f64, true, 32, F64ToI32, nil), toInt(f64, false, 32, F64ToU32, nil),
		toInt(f64, true, 64, F64ToI64, nil), toInt(f64, false, 64, F64ToU64, nil),
		toInt(f32, true, 32, nil, F32ToI32), toInt(f32, false, 32, nil, F32ToU32),
		toInt(f32, true, 64, nil, F32ToI64), toInt(f32, false, 64, nil, F32ToU64),
		fromInt(f64, "FromI32", func(a uint64, rm uint8) (uint64, uint8) { return F64FromI32(int32(a), rm) }, i32),
		fromInt(f64, "FromU32", func(a uint64, rm uint8) (uint64, uint8) { return F64FromU32(uint32(a), rm) }, u32),
		fromInt(f64, "FromI64", func(a uint64, rm uint8) (uint64, uint8) { return F64FromI64(int64(a), rm) }, i64),
		fromInt(f64, "FromU64", F64FromU64, u64),
		fromInt(f32, "FromI32", r32(func(a uint64, rm uint8) (uint32, uint8) { return F32FromI32(int32(a), rm) }), i32),
		fromInt(f32, "FromU32", r32(func(a uint64, rm uint8) (uint32, uint8) { return F32FromU32(uint32(a), rm) }), u32),
		fromInt(f32, "FromI64", r32(func(a uint64, rm uint8) (uint32, uint8) { return F32FromI64(int64(a), rm) }), i64),
		fromInt(f32, "FromU64", r32(F32FromU64), u64),
		{"ToF32", f64, 1, func(a, b, c uint64, rm uint8) (uint64, uint8) {
			r, fl := F64ToF32(a, rm)
			return uint64(r), fl
		}, func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleConvertFloat(f64, f32, a, rm) }},
		{"ToF64", f32, 1, func(a, b, c uint64, rm uint8) (uint64, uint8) { return F32ToF64(uint32(a)) },
			func(a, b, c uint64, rm uint8) (uint64, uint8) { return oracleConvertFloat(f32, f64, a, RNE) }},
	}
}

func findOp(ops []op, f tfmt, name string) op {
	for _, o := range ops {
		if o.f.name == f.name && o.name == name {
			return o
		}
	}
	panic("no op " + f.name + name)
}

// check compares o against its oracle on one input in one rounding mode.
func check(t testing.TB, o op, a, b, c uint64, rm uint8) bool {
	t.Helper()
	got, gfl := o.impl(a, b, c, rm)
	want, wfl := o.oracle(a, b, c, rm)
	if got != want || gfl != wfl {
		t.Errorf("%s%s(%#x, %#x, %#x, rm=%d) = %#x flags %05b, want %#x flags %05b",
			o.f.name, o.name, a, b, c, rm, got, gfl, want, wfl)
		return false
	}
	return true
}

// oracleCount is the number of random inputs per operation, each checked in
// all five rounding modes; SOFTFLOAT_ORACLE_N overrides it.
func oracleCount(short, long int) int {
	if s := os.Getenv("SOFTFLOAT_ORACLE_N"); s != "" {
		n, err := strconv.Atoi(s)
		if err == nil {
			return n
		}
	}
	if testing.Short() {
		return short
	}
	return long
}

// operands returns edge-biased random operands suited to o.
func (g gen) operands(o op) (a, b, c uint64) {
	f := o.f
	switch o.arity {
	case 0: // integer source
		switch g.r.Intn(4) {
		case 0:
			a = g.r.Uint64() >> uint(g.r.Intn(64))
		case 1:
			a = -(g.r.Uint64() >> uint(g.r.Intn(64)))
		case 2:
			a = uint64(1)<<uint(g.r.Intn(64)) + uint64(g.r.Intn(5)) - 2
		default:
			a = g.r.Uint64()
		}
		return a, 0, 0
	case 1:
		if o.name[0] == 'T' && o.name != "ToF32" && o.name != "ToF64" && g.r.Intn(2) == 0 {
			// Float-to-int: values around the integer range boundaries.
			e := []int{-2, -1, 0, 1, 30, 31, 32, 62, 63, 64}[g.r.Intn(10)]
			bias := uint64(f.emax())
			return g.sign(f) | uint64(int(bias)+e)<<f.fbits | g.frac(f), 0, 0
		}
		return g.val(f), 0, 0
	case 2:
		a, b = g.pair(f)
		return a, b, 0
	}
	a, b = g.pair(f)
	c = g.val(f)
	if g.r.Intn(2) == 0 {
		// Make c cancel most of the product.
		p, _ := findOp(arithOps(), f, "mulSlow").impl(a, b, 0, uint8(g.r.Intn(5)))
		c = g.near(f, p) ^ f.signBit()
		if g.r.Intn(2) == 0 {
			c = p ^ f.signBit() + uint64(g.r.Intn(3)) - 1
		}
	}
	return a, b, c
}

func runOracle(t *testing.T, ops []op, short, long int) {
	for i, o := range ops {
		o := o
		t.Run(o.f.name+o.name, func(t *testing.T) {
			g := newGen(int64(i) + 1)
			n := oracleCount(short, long)
			if o.name == "Sqrt" || o.name == "sqrtSlow" || o.arity <= 1 {
				n *= 2
			}
			fails := 0
			for k := 0; k < n && fails < 10; k++ {
				a, b, c := g.operands(o)
				for rm := uint8(0); rm < 5; rm++ {
					if !check(t, o, a, b, c, rm) {
						fails++
					}
				}
			}
		})
	}
}

func TestOracleArith(t *testing.T) { runOracle(t, arithOps(), 2000, 12000) }

func TestOracleConvert(t *testing.T) { runOracle(t, convOps(), 2000, 12000) }
