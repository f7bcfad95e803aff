// Package softfloat implements IEEE 754-2008 binary32 and binary64
// arithmetic with the semantics of the RISC-V F and D extensions: all five
// RISC-V rounding modes, exact accrued-exception flags (bit-compatible with
// the fflags CSR), canonical NaN results and the RISC-V saturating
// float-to-integer conversions.
//
// Go offers no control over the host rounding mode, so every operation is
// defined in software. Each operation has two paths:
//
//   - A fast path for the common case: operands and result are finite and
//     comfortably inside the normal range. The host computes the
//     round-to-nearest-even result, and an error-free transformation
//     (TwoSum for addition, an FMA residual for multiplication, division and
//     square root, the Boldo–Muller error of an FMA for fused multiply-add)
//     tells whether that result was exact and on which side of it the exact
//     value lies. The result is then moved by at most one unit in the last
//     place for the requested rounding mode. Binary32 operations are done in
//     float64 and the float64 result (plus the sign of its error) is rounded
//     to binary32 with the same directed correction, including the double
//     rounding hazard of a float64 value that lands on a binary32 midpoint.
//   - An exact slow path for everything else (zeros, subnormals, infinities,
//     NaNs, results near the overflow or underflow thresholds): operands are
//     unpacked into a 64-bit (128-bit for fused multiply-add) integer
//     significand, the operation is computed exactly or with a sticky bit,
//     and a single rounding routine packs the result for either format.
//
// Conventions follow the RISC-V unprivileged specification:
//
//   - Every NaN produced by an arithmetic operation or conversion is the
//     canonical NaN (F32NaN, F64NaN); payloads are never propagated.
//     FlagInvalid is raised for signaling NaN operands and for invalid
//     operations, including 0×∞ in a fused multiply-add even when the addend
//     is a quiet NaN.
//   - Tininess is detected after rounding: a result is tiny when rounding the
//     exact value to the target precision with an unbounded exponent range
//     gives a magnitude below the smallest normal number. FlagUnderflow is
//     raised only when the result is both tiny and inexact.
//   - Overflow returns ±∞ or ± the largest finite number according to the
//     rounding mode and raises FlagOverflow|FlagInexact.
//   - An exact zero sum of operands of opposite sign is +0, or -0 when
//     rounding down (RDN).
//
// All functions are pure, allocation-free and safe for concurrent use; the
// package has no mutable state. Each function returns only the flags raised
// by that operation; the caller ORs them into fflags.
package softfloat

// Exception flags, bit-compatible with the RISC-V fflags CSR.
const (
	FlagInexact   = 1 << 0 // NX: the result was rounded
	FlagUnderflow = 1 << 1 // UF: the result is tiny (after rounding) and inexact
	FlagOverflow  = 1 << 2 // OF: the rounded result exceeds the largest finite number
	FlagDivZero   = 1 << 3 // DZ: a finite nonzero number was divided by zero
	FlagInvalid   = 1 << 4 // NV: invalid operation or signaling NaN operand
)

// Rounding modes, with the RISC-V rm field encoding.
const (
	RNE = 0 // round to nearest, ties to even
	RTZ = 1 // round toward zero
	RDN = 2 // round down, toward -∞
	RUP = 3 // round up, toward +∞
	RMM = 4 // round to nearest, ties to max magnitude
)

// Canonical NaNs as produced by RISC-V for every NaN result.
const (
	F32NaN uint32 = 0x7fc00000         // canonical binary32 quiet NaN
	F64NaN uint64 = 0x7ff8000000000000 // canonical binary64 quiet NaN
)
