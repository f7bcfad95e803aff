package softfloat

import "math"

const sign32 = 1 << 31

// round32 rounds the exact value v to binary32 in mode rm, given
// s = v rounded to float64 (nearest even) and esign, the sign of v - s
// (-1, 0 or +1). ok is false when the binary32 result would be zero, tiny,
// near overflow or not finite; the caller then takes the exact path.
//
// hazard must be set when rounding v to float64 and then to binary32 may
// differ from rounding v directly (fused multiply-add). For +, -, *, / and
// square root of binary32 operands double rounding through float64 is
// innocuous (53 >= 2*24+2), so their RNE result needs no further checks.
func round32(s float64, esign int, rm uint8, hazard bool) (res uint32, flags uint8, ok bool) {
	r := float32(s)
	rb := math.Float32bits(r)
	if e := rb >> 23 & 0xff; e-2 >= 0xfe-2 {
		return 0, 0, false
	}
	r64 := float64(r)
	if r64 == s && esign == 0 {
		return rb, 0, true
	}
	if rm == RNE && !hazard {
		return rb, FlagInexact, true
	}
	return fix32(s, r64, rb, esign, rm), FlagInexact, true
}

// fix32 is the inexact case of round32: r64 (bits rb) is float32(s).
func fix32(s, r64 float64, rb uint32, esign int, rm uint8) uint32 {
	var away, tie bool
	if r64 == s {
		// v is within half a float64 ulp of r, so never a binary32
		// midpoint.
		away = (esign > 0) == (r64 > 0)
	} else {
		// v lies on the same side of r as s (rounding is monotonic).
		away = math.Abs(s) > math.Abs(r64)
		other := rb - 1
		if away {
			other = rb + 1
		}
		if 2*s == r64+float64(math.Float32frombits(other)) {
			// s is a binary32 midpoint; the host broke the tie to even.
			switch {
			case esign == 0:
				tie = true
			case rm == RNE || rm == RMM:
				// v is off the midpoint: round to the side v is on.
				if (esign > 0) == (s > r64) {
					return other
				}
				return rb
			}
		}
	}
	neg := r64 < 0
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

// signOf returns -1, 0 or +1.
func signOf(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// F32Add returns a+b rounded in mode rm.
func F32Add(a, b uint32, rm uint8) (uint32, uint8) {
	x, y := float64(math.Float32frombits(a)), float64(math.Float32frombits(b))
	s := x + y
	bb := s - x
	e := (x - (s - bb)) + (y - bb)
	if r, fl, ok := round32(s, signOf(e), rm, false); ok {
		return r, fl
	}
	r, fl := addSlow(f32Format(), uint64(a), uint64(b), rm)
	return uint32(r), fl
}

// F32Sub returns a-b rounded in mode rm.
func F32Sub(a, b uint32, rm uint8) (uint32, uint8) {
	return F32Add(a, b^sign32, rm)
}

// F32Mul returns a*b rounded in mode rm.
func F32Mul(a, b uint32, rm uint8) (uint32, uint8) {
	// The product of two binary32 values is exact in float64.
	p := float64(math.Float32frombits(a)) * float64(math.Float32frombits(b))
	if r, fl, ok := round32(p, 0, rm, false); ok {
		return r, fl
	}
	r, fl := mulSlow(f32Format(), uint64(a), uint64(b), rm)
	return uint32(r), fl
}

// F32Div returns a/b rounded in mode rm.
func F32Div(a, b uint32, rm uint8) (uint32, uint8) {
	x, y := float64(math.Float32frombits(a)), float64(math.Float32frombits(b))
	q := x / y
	// For binary32 operands the residual is always exact in float64.
	if r, fl, ok := round32(q, signOf(math.FMA(-q, y, x))*signOf(y), rm, false); ok {
		return r, fl
	}
	r, fl := divSlow(f32Format(), uint64(a), uint64(b), rm)
	return uint32(r), fl
}

// F32Sqrt returns the square root of a rounded in mode rm.
func F32Sqrt(a uint32, rm uint8) (uint32, uint8) {
	x := float64(math.Float32frombits(a))
	s := math.Sqrt(x)
	if r, fl, ok := round32(s, signOf(math.FMA(-s, s, x)), rm, false); ok {
		return r, fl
	}
	r, fl := sqrtSlow(f32Format(), uint64(a), rm)
	return uint32(r), fl
}

// F32MulAdd returns a*b+c with a single rounding in mode rm (RISC-V
// fmadd.s). 0*inf + qNaN raises FlagInvalid.
func F32MulAdd(a, b, c uint32, rm uint8) (uint32, uint8) {
	p := float64(float64(math.Float32frombits(a)) * float64(math.Float32frombits(b))) // exact
	z := float64(math.Float32frombits(c))
	s := p + z
	bb := s - p
	e := (p - (s - bb)) + (z - bb)
	if r, fl, ok := round32(s, signOf(e), rm, true); ok {
		return r, fl
	}
	r, fl := mulAddSlow(f32Format(), uint64(a), uint64(b), uint64(c), rm)
	return uint32(r), fl
}

// F32MulSub returns a*b-c with a single rounding (RISC-V fmsub.s).
func F32MulSub(a, b, c uint32, rm uint8) (uint32, uint8) {
	return F32MulAdd(a, b, c^sign32, rm)
}

// F32NMulSub returns -(a*b)+c with a single rounding (RISC-V fnmsub.s).
func F32NMulSub(a, b, c uint32, rm uint8) (uint32, uint8) {
	return F32MulAdd(a^sign32, b, c, rm)
}

// F32NMulAdd returns -(a*b)-c with a single rounding (RISC-V fnmadd.s).
func F32NMulAdd(a, b, c uint32, rm uint8) (uint32, uint8) {
	return F32MulAdd(a^sign32, b, c^sign32, rm)
}
