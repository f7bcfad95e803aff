// Command floats prints the results of floating-point arithmetic, math
// functions, conversions and formatting.
package main

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
)

func main() {
	vals := []float64{0, -0.0, 1, -1, 0.1, 1.0 / 3, math.Pi, math.E, 1e-300, 1e300, 123456.789, -2.5e-8,
		math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1), math.NaN()}
	for _, v := range vals {
		fmt.Printf("%v %g %e %.17g %s %s %x\n", v, v, v, v,
			strconv.FormatFloat(v, 'f', -1, 64), strconv.FormatFloat(v, 'g', 5, 32), math.Float64bits(v))
	}
	for _, v := range []float64{0.5, 1.5, 2, 10, 0.001, 100.25, -3.75} {
		fmt.Printf("x=%g sin=%.17g cos=%.17g tan=%.17g exp=%.17g log=%.17g sqrt=%.17g cbrt=%.17g\n",
			v, math.Sin(v), math.Cos(v), math.Tan(v), math.Exp(v), math.Log(math.Abs(v)), math.Sqrt(math.Abs(v)), math.Cbrt(v))
		fmt.Printf("  pow=%.17g atan2=%.17g hypot=%.17g asinh=%.17g erf=%.17g gamma=%.17g j0=%.17g\n",
			math.Pow(v, 2.7), math.Atan2(v, 3), math.Hypot(v, 4), math.Asinh(v), math.Erf(v), math.Gamma(v), math.J0(v))
		fmt.Printf("  floor=%g ceil=%g trunc=%g round=%g fma=%.17g mod=%g\n",
			math.Floor(v), math.Ceil(v), math.Trunc(v), math.RoundToEven(v), math.FMA(v, 1.1, -0.3), math.Mod(v, 0.7))
	}
	var f32 float32 = 1
	for i := 0; i < 40; i++ {
		f32 = f32*1.37 + 0.1
	}
	fmt.Println("f32", f32, math.Float32bits(f32), float32(math.Sqrt(float64(f32))))
	// Conversions, including out-of-range ones.
	for _, v := range []float64{3.99, -3.99, 1e20, -1e20, 4294967296.5, -0.5} {
		fmt.Println("conv", v, int64(v), int32(v), uint32(int64(v)), float32(v))
	}
	for _, s := range []string{"3.14159", "1e400", "-0", "0x1p-2", "inf", "12345678901234567890", "2.2250738585072011e-308"} {
		v, err := strconv.ParseFloat(s, 64)
		fmt.Println("parse", s, v, err)
	}
	sum := 0.0
	for i := 1; i <= 1000000; i++ {
		sum += 1 / (float64(i) * float64(i))
	}
	fmt.Printf("basel %.17g %.17g\n", sum, math.Sqrt(sum*6))

	two := new(big.Float).SetPrec(400).SetInt64(2)
	r := new(big.Float).SetPrec(400).Sqrt(two)
	fmt.Println("sqrt2", r.Text('g', 100))
	pi := new(big.Float).SetPrec(300)
	// Machin: pi = 16 atan(1/5) - 4 atan(1/239)
	atanInv := func(n int64) *big.Float {
		x := new(big.Float).SetPrec(300).Quo(big.NewFloat(1).SetPrec(300), big.NewFloat(float64(n)).SetPrec(300))
		x2 := new(big.Float).SetPrec(300).Mul(x, x)
		term := new(big.Float).SetPrec(300).Set(x)
		s := new(big.Float).SetPrec(300).Set(x)
		for k := int64(1); k < 120; k++ {
			term.Mul(term, x2)
			t := new(big.Float).SetPrec(300).Quo(term, big.NewFloat(float64(2*k+1)))
			if k%2 == 1 {
				s.Sub(s, t)
			} else {
				s.Add(s, t)
			}
		}
		return s
	}
	pi.Mul(atanInv(5), big.NewFloat(16))
	pi.Sub(pi, new(big.Float).Mul(atanInv(239), big.NewFloat(4)))
	fmt.Println("pi", pi.Text('f', 80))
	rat := big.NewRat(1, 3)
	rat.Add(rat, big.NewRat(2, 7))
	fmt.Println("rat", rat, rat.FloatString(30))
}
