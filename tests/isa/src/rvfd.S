// F and D: arithmetic with exact results and exact fflags, fused
// multiply-add family (incl. inf*0+qNaN -> NV), every rounding mode static
// and dynamic, reserved rm 5/6 and dyn with frm 5..7 -> illegal, fcsr
// layout, NaN-boxing (improperly boxed inputs read as canonical NaN,
// transfers unchecked, flw/fmv.w.x/results boxed), fmv.x.w sign
// extension, fmin/fmax with signed zeros and NaNs, fcvt saturation and NV,
// fclass, fcvt.s.d/fcvt.d.s, feq/flt/fle flags, mstatus.FS (off ->
// illegal, writes -> Dirty) and SD.
#include "test.h"

#define NV 0x10
#define DZ 0x08
#define OF 0x04
#define UF 0x02
#define NX 0x01

#define S_ONE   0x3f800000
#define S_TWO   0x40000000
#define S_THREE 0x40400000
#define S_HALF  0x3f000000
#define S_MONE  0xbf800000
#define S_INF   0x7f800000
#define S_NINF  0xff800000
#define S_QNAN  0x7fc00000
#define S_SNAN  0x7f800001
#define S_NZERO 0x80000000
#define S_MAX   0x7f7fffff
#define D_ONE   0x3ff0000000000000
#define D_TWO   0x4000000000000000
#define D_THREE 0x4008000000000000
#define D_MONE  0xbff0000000000000
#define D_INF   0x7ff0000000000000
#define D_NINF  0xfff0000000000000
#define D_QNAN  0x7ff8000000000000
#define D_SNAN  0x7ff0000000000001
#define D_NZERO 0x8000000000000000

/* single result: check boxed 64-bit register value, the sign-extended
 * fmv.x.w value, and the exact fflags */
#define CHECK_S(res, flags) \
  fmv.x.d a0, fa2; CHECK(a0, 0xffffffff00000000 | (res)); \
  fmv.x.w a0, fa2; CHECK(a0, SEXT32(res)); \
  csrr a1, fflags; CHECK(a1, flags)
#define CHECK_D(res, flags) \
  fmv.x.d a0, fa2; CHECK(a0, res); csrr a1, fflags; CHECK(a1, flags)
#define CHECK_I(res, flags) \
  CHECK(a0, res); csrr a1, fflags; CHECK(a1, flags)

#define TEST_S2(n, inst, res, flags, a, b) \
  li TESTNUM, n; FLI_S(fa0, a); FLI_S(fa1, b); csrwi fflags, 0; \
  inst fa2, fa0, fa1; CHECK_S(res, flags)
#define TEST_S1(n, inst, res, flags, a) \
  li TESTNUM, n; FLI_S(fa0, a); csrwi fflags, 0; inst fa2, fa0; CHECK_S(res, flags)
#define TEST_S3(n, inst, res, flags, a, b, c) \
  li TESTNUM, n; FLI_S(fa0, a); FLI_S(fa1, b); FLI_S(fa3, c); csrwi fflags, 0; \
  inst fa2, fa0, fa1, fa3; CHECK_S(res, flags)
#define TEST_D2(n, inst, res, flags, a, b) \
  li TESTNUM, n; FLI_D(fa0, a); FLI_D(fa1, b); csrwi fflags, 0; \
  inst fa2, fa0, fa1; CHECK_D(res, flags)
#define TEST_D1(n, inst, res, flags, a) \
  li TESTNUM, n; FLI_D(fa0, a); csrwi fflags, 0; inst fa2, fa0; CHECK_D(res, flags)
#define TEST_D3(n, inst, res, flags, a, b, c) \
  li TESTNUM, n; FLI_D(fa0, a); FLI_D(fa1, b); FLI_D(fa3, c); csrwi fflags, 0; \
  inst fa2, fa0, fa1, fa3; CHECK_D(res, flags)
/* float -> integer register */
#define TEST_FI_S(n, inst, res, flags, a, rm...) \
  li TESTNUM, n; FLI_S(fa0, a); csrwi fflags, 0; inst a0, fa0 rm; CHECK_I(res, flags)
#define TEST_FI_D(n, inst, res, flags, a, rm...) \
  li TESTNUM, n; FLI_D(fa0, a); csrwi fflags, 0; inst a0, fa0 rm; CHECK_I(res, flags)
#define TEST_CMP_S(n, inst, res, flags, a, b) \
  li TESTNUM, n; FLI_S(fa0, a); FLI_S(fa1, b); csrwi fflags, 0; inst a0, fa0, fa1; CHECK_I(res, flags)
#define TEST_CMP_D(n, inst, res, flags, a, b) \
  li TESTNUM, n; FLI_D(fa0, a); FLI_D(fa1, b); csrwi fflags, 0; inst a0, fa0, fa1; CHECK_I(res, flags)
/* integer -> float */
#define TEST_IF_S(n, inst, res, flags, a) \
  li TESTNUM, n; li a1, a; csrwi fflags, 0; inst fa2, a1; CHECK_S(res, flags)
#define TEST_IF_D(n, inst, res, flags, a) \
  li TESTNUM, n; li a1, a; csrwi fflags, 0; inst fa2, a1; CHECK_D(res, flags)

#define TEST_S2_RM(n, inst, rm, res, flags, a, b) \
  li TESTNUM, n; FLI_S(fa0, a); FLI_S(fa1, b); csrwi fflags, 0; \
  inst fa2, fa0, fa1, rm; CHECK_S(res, flags)

/* OP-FP encoding helper: funct7 rs2 rs1 rm rd 1010011 */
#define OPFP(f7, rs2, rs1, rm, rd) .word ((f7) << 25) | ((rs2) << 20) | ((rs1) << 15) | ((rm) << 12) | ((rd) << 7) | 0x53
#define FADD_S_RM(rm)  OPFP(0x00, 11, 10, rm, 12)   /* fadd.s fa2, fa0, fa1, rm */
#define FADD_D_RM(rm)  OPFP(0x01, 11, 10, rm, 12)   /* fadd.d fa2, fa0, fa1, rm */

TEST_BEGIN
  /* ---- single arithmetic ---- */
  TEST_S2(1, fadd.s, S_THREE, 0, S_ONE, S_TWO)
  TEST_S2(2, fadd.s, S_ONE, NX, S_ONE, 0x33800000)        /* 1 + 2^-24: tie to even */
  TEST_S2(3, fadd.s, 0x3f800001, NX, S_ONE, 0x33800001)   /* just above the tie */
  TEST_S2(4, fsub.s, S_QNAN, NV, S_INF, S_INF)
  TEST_S2(5, fsub.s, 0x00000000, 0, S_ONE, S_ONE)         /* x - x = +0 in RNE */
  TEST_S2(6, fmul.s, S_INF, OF | NX, S_MAX, S_TWO)
  TEST_S2(7, fmul.s, 0x00400000, UF | NX, 0x00800001, S_HALF)  /* tiny and inexact */
  TEST_S2(8, fmul.s, 0x00400000, 0, 0x00800000, S_HALF)   /* exact subnormal: no UF */
  TEST_S2(9, fdiv.s, S_INF, DZ, S_ONE, 0)
  TEST_S2(10, fdiv.s, S_QNAN, NV, 0, 0)
  TEST_S2(11, fdiv.s, 0x3eaaaaab, NX, S_ONE, S_THREE)
  TEST_S2(12, fdiv.s, S_NINF, DZ, S_ONE, S_NZERO)
  TEST_S1(13, fsqrt.s, S_TWO, 0, 0x40800000)
  TEST_S1(14, fsqrt.s, 0x3fb504f3, NX, S_TWO)
  TEST_S1(15, fsqrt.s, S_QNAN, NV, S_MONE)
  TEST_S1(16, fsqrt.s, S_NZERO, 0, S_NZERO)
  TEST_S2(17, fadd.s, S_QNAN, NV, S_SNAN, S_ONE)          /* sNaN input: canonical qNaN, NV */
  TEST_S2(18, fadd.s, S_QNAN, 0, 0x7fc12345, S_ONE)       /* qNaN payload not propagated */
  /* min / max */
  TEST_S2(19, fmin.s, S_NZERO, 0, 0x00000000, S_NZERO)
  TEST_S2(20, fmin.s, S_NZERO, 0, S_NZERO, 0x00000000)
  TEST_S2(21, fmax.s, 0x00000000, 0, S_NZERO, 0x00000000)
  TEST_S2(22, fmax.s, 0x00000000, 0, 0x00000000, S_NZERO)
  TEST_S2(23, fmin.s, S_ONE, NV, S_SNAN, S_ONE)
  TEST_S2(24, fmin.s, S_ONE, 0, S_QNAN, S_ONE)
  TEST_S2(25, fmax.s, S_MONE, 0, S_MONE, 0x7fc00001)
  TEST_S2(26, fmax.s, S_QNAN, NV, S_SNAN, S_SNAN)
  TEST_S2(27, fmin.s, S_QNAN, 0, 0xffc00000, 0x7fc00005)
  TEST_S2(28, fmin.s, S_NINF, 0, S_NINF, S_MONE)
  /* sign injection */
  TEST_S2(29, fsgnj.s, 0xbf800000, 0, S_ONE, 0x80000000)
  TEST_S2(30, fsgnjn.s, 0x3f800000, 0, S_ONE, 0x80000000)
  TEST_S2(31, fsgnjx.s, 0x3f800000, 0, S_MONE, 0x80000000)
  TEST_S2(32, fsgnjx.s, 0xbf800000, 0, S_MONE, 0x00000000)
  TEST_S2(33, fsgnj.s, 0x7f800001, 0, 0xff800001, 0x00000000)  /* no canonicalisation */
  /* fused multiply-add */
  TEST_S3(34, fmadd.s, 0x40a00000, 0, S_ONE, S_TWO, S_THREE)      /* 1*2+3 = 5 */
  TEST_S3(35, fmsub.s, S_MONE, 0, S_ONE, S_TWO, S_THREE)          /* 1*2-3 = -1 */
  TEST_S3(36, fnmsub.s, S_ONE, 0, S_ONE, S_TWO, S_THREE)          /* -(1*2)+3 = 1 */
  TEST_S3(37, fnmadd.s, 0xc0a00000, 0, S_ONE, S_TWO, S_THREE)     /* -(1*2)-3 = -5 */
  TEST_S3(38, fmadd.s, S_QNAN, NV, S_INF, 0x00000000, S_QNAN)     /* inf*0 + qNaN: NV */
  TEST_S3(39, fmadd.s, S_QNAN, 0, S_ONE, S_TWO, S_QNAN)
  TEST_S3(40, fmadd.s, 0x28800000, 0, 0x3f800001, 0x3f800001, 0xbf800002)  /* single rounding */
  TEST_S3(41, fnmadd.s, 0x00000000, 0, S_ONE, S_ONE, S_MONE)      /* -(1*1) - (-1) = +0 */

  /* ---- double arithmetic ---- */
  TEST_D2(42, fadd.d, D_THREE, 0, D_ONE, D_TWO)
  TEST_D2(43, fsub.d, D_QNAN, NV, D_INF, D_INF)
  TEST_D2(44, fmul.d, D_INF, OF | NX, 0x7fefffffffffffff, D_TWO)
  TEST_D2(45, fdiv.d, 0x3fd5555555555555, NX, D_ONE, D_THREE)
  TEST_D2(46, fdiv.d, D_INF, DZ, D_ONE, 0)
  TEST_D1(47, fsqrt.d, 0x3ff6a09e667f3bcd, NX, D_TWO)
  TEST_D1(48, fsqrt.d, D_QNAN, NV, D_MONE)
  TEST_D2(49, fmin.d, D_NZERO, 0, 0, D_NZERO)
  TEST_D2(50, fmax.d, 0, 0, D_NZERO, 0)
  TEST_D2(51, fmin.d, D_TWO, NV, D_SNAN, D_TWO)
  TEST_D2(52, fmax.d, D_QNAN, 0, D_QNAN, 0xfff8000000000000)
  TEST_D3(53, fmadd.d, 0x4014000000000000, 0, D_ONE, D_TWO, D_THREE)
  TEST_D3(54, fmsub.d, D_MONE, 0, D_ONE, D_TWO, D_THREE)
  TEST_D3(55, fnmsub.d, D_ONE, 0, D_ONE, D_TWO, D_THREE)
  TEST_D3(56, fnmadd.d, 0xc014000000000000, 0, D_ONE, D_TWO, D_THREE)
  TEST_D3(57, fmadd.d, D_QNAN, NV, 0, D_NINF, D_QNAN)
  TEST_D2(58, fsgnjn.d, D_MONE, 0, D_ONE, D_ONE)
  TEST_D2(59, fsgnjx.d, D_ONE, 0, D_MONE, D_MONE)
  TEST_D2(60, fmul.d, 0x0008000000000000, UF | NX, 0x0010000000000001, 0x3fe0000000000000)

  /* ---- rounding modes: 1 + 2^-24 (a tie) and -(1 + 2^-24), static rm ---- */
  TEST_S2_RM(61, fadd.s, rne, S_ONE, NX, S_ONE, 0x33800000)
  TEST_S2_RM(62, fadd.s, rtz, S_ONE, NX, S_ONE, 0x33800000)
  TEST_S2_RM(63, fadd.s, rdn, S_ONE, NX, S_ONE, 0x33800000)
  TEST_S2_RM(64, fadd.s, rup, 0x3f800001, NX, S_ONE, 0x33800000)
  TEST_S2_RM(65, fadd.s, rmm, 0x3f800001, NX, S_ONE, 0x33800000)
  TEST_S2_RM(66, fadd.s, rne, S_MONE, NX, S_MONE, 0xb3800000)
  TEST_S2_RM(67, fadd.s, rtz, S_MONE, NX, S_MONE, 0xb3800000)
  TEST_S2_RM(68, fadd.s, rdn, 0xbf800001, NX, S_MONE, 0xb3800000)
  TEST_S2_RM(69, fadd.s, rup, S_MONE, NX, S_MONE, 0xb3800000)
  TEST_S2_RM(70, fadd.s, rmm, 0xbf800001, NX, S_MONE, 0xb3800000)
  TEST_S2_RM(71, fmul.s, rtz, S_MAX, OF | NX, S_MAX, S_TWO)   /* overflow in RTZ: max finite */
  TEST_S2_RM(72, fsub.s, rdn, S_NZERO, 0, S_ONE, S_ONE)       /* x - x = -0 in RDN */
  /* dynamic: frm selects */
  .macro DYN n, frm, res
  csrwi frm, \frm
  TEST_S2_RM(\n, fadd.s, dyn, \res, NX, S_MONE, 0xb3800000)
  .endm
  DYN 73, 0, S_MONE
  DYN 74, 1, S_MONE
  DYN 75, 2, 0xbf800001
  DYN 76, 3, S_MONE
  DYN 77, 4, 0xbf800001
  csrwi frm, 0
  /* fcvt with rounding modes: 2.5 and -2.5 */
  TEST_FI_S(78, fcvt.w.s, 2, NX, 0x40200000, ,rne)
  TEST_FI_S(79, fcvt.w.s, 2, NX, 0x40200000, ,rtz)
  TEST_FI_S(80, fcvt.w.s, 2, NX, 0x40200000, ,rdn)
  TEST_FI_S(81, fcvt.w.s, 3, NX, 0x40200000, ,rup)
  TEST_FI_S(82, fcvt.w.s, 3, NX, 0x40200000, ,rmm)
  TEST_FI_S(83, fcvt.w.s, -2, NX, 0xc0200000, ,rne)
  TEST_FI_S(84, fcvt.w.s, -2, NX, 0xc0200000, ,rtz)
  TEST_FI_S(85, fcvt.w.s, -3, NX, 0xc0200000, ,rdn)
  TEST_FI_S(86, fcvt.w.s, -2, NX, 0xc0200000, ,rup)
  TEST_FI_S(87, fcvt.w.s, -3, NX, 0xc0200000, ,rmm)
  TEST_FI_D(88, fcvt.l.d, 4, NX, 0x400c000000000000, ,rne)   /* 3.5 -> 4 */
  TEST_FI_D(89, fcvt.l.d, 3, NX, 0x400c000000000000, ,rtz)
  /* reserved rm: 5 and 6 encoded in the instruction -> illegal */
  li TESTNUM, 90
  EXPECT_TRAP
  FADD_S_RM(5)
  CHECK_TRAP(CAUSE_ILLEGAL_INSN, (11 << 20) | (10 << 15) | (5 << 12) | (12 << 7) | 0x53)
  li TESTNUM, 91
  EXPECT_TRAP
  FADD_D_RM(6)
  CHECK_TRAP(CAUSE_ILLEGAL_INSN, (1 << 25) | (11 << 20) | (10 << 15) | (6 << 12) | (12 << 7) | 0x53)
  /* dyn with frm = 5, 6, 7 -> illegal; static rm still fine with frm = 7 */
  .macro DYNBAD n, frm
  li TESTNUM, \n
  csrwi frm, \frm
  EXPECT_TRAP
  FADD_S_RM(7)
  CHECK_TRAP(CAUSE_ILLEGAL_INSN, (11 << 20) | (10 << 15) | (7 << 12) | (12 << 7) | 0x53)
  .endm
  DYNBAD 92, 5
  DYNBAD 93, 6
  DYNBAD 94, 7
  TEST_S2_RM(95, fadd.s, rup, 0x3f800001, NX, S_ONE, 0x33800000)
  TEST_CASE(96, a0, 7, csrr a0, frm)
  csrwi frm, 0

  /* integer -> float rounding: 2^24 + 1 is not representable */
  li TESTNUM, 106
  li a1, 16777217
  csrwi fflags, 0
  fcvt.s.w fa2, a1, rne
  CHECK_S(0x4b800000, NX)
  li TESTNUM, 107
  li a1, 16777217                  /* (CHECK_S uses a0/a1) */
  csrwi fflags, 0
  fcvt.s.w fa2, a1, rup
  CHECK_S(0x4b800001, NX)
  li TESTNUM, 108
  li a1, -16777217
  csrwi fflags, 0
  fcvt.s.l fa2, a1, rdn
  CHECK_S(0xcb800001, NX)
  li TESTNUM, 109
  li a1, -16777217
  csrwi fflags, 0
  fcvt.s.l fa2, a1, rtz
  CHECK_S(0xcb800000, NX)
  TEST_FI_D(124, fcvt.wu.d, 0xffffffffffffffff, 0, 0x41efffffffe00000)  /* 2^32-1 exact: sign-extended */
  TEST_FI_S(125, fcvt.lu.s, 1, NX, 0x3f000001, ,rup)
  TEST_FI_D(126, fcvt.l.d, 0xfffffffffffffffe, NX, 0xbff8000000000000, ,rdn)   /* -1.5 -> -2 */
  TEST_FI_D(127, fcvt.l.d, 0xffffffffffffffff, NX, 0xbff8000000000000, ,rtz)   /* -1.5 -> -1 */
  TEST_FI_D(128, fcvt.l.d, 0xfffffffffffffffe, NX, 0xbff8000000000000, ,rmm)   /* -1.5 -> -2 */

  /* ---- fcsr layout ---- */
  TEST_CASE(97, a0, 0xff, li a1, 0xffff; csrw fcsr, a1; csrr a0, fcsr)
  TEST_CASE(98, a0, 0x1f, csrr a0, fflags)
  TEST_CASE(99, a0, 0x7, csrr a0, frm)
  TEST_CASE(100, a0, 0xe0, csrwi fflags, 0; csrr a0, fcsr)
  TEST_CASE(101, a0, 0x1a, li a1, 0xfa; csrw fflags, a1; csrr a0, fflags)
  TEST_CASE(102, a0, 0x5a, li a1, 0x1a; csrw frm, a1; csrr a0, fcsr)  /* frm <- 2 */
  TEST_CASE(103, a0, 0x1a, fsflags a0, zero)        /* returns old fflags only */
  TEST_CASE(105, a0, 0x40, csrr a0, fcsr)
  csrw fcsr, zero
  TEST_CASE(104, a0, 0, csrr a0, fcsr)

  /* ---- NaN-boxing ---- */
  li a1, 0x000000003f800000          /* 1.0f, improperly boxed */
  fmv.d.x fa0, a1
  FLI_S(fa1, S_ONE)
  li TESTNUM, 110
  csrwi fflags, 0
  fadd.s fa2, fa0, fa1               /* reads canonical NaN */
  CHECK_S(S_QNAN, 0)
  li TESTNUM, 111
  FLI_S(fa1, S_MONE)
  fsgnj.s fa2, fa0, fa1              /* canonical NaN with the sign of -1 */
  CHECK_S(0xffc00000, 0)
  TEST_CASE(112, a0, 0x200, fclass.s a0, fa0)
  TEST_CASE(113, a0, 0x3f800000, fmv.x.w a0, fa0)     /* transfers are not checked */
  li TESTNUM, 114
  la s0, fpbuf
  li a1, -1
  sd a1, 0(s0)
  fsw fa0, 0(s0)                     /* fsw stores the low 32 bits unchecked */
  ld a0, 0(s0)
  CHECK(a0, 0xffffffff3f800000)
  li a1, 0xffffffff7f7fffff          /* properly boxed max finite */
  fmv.d.x fa0, a1
  TEST_CASE(115, a0, 0x40, fclass.s a0, fa0)          /* +normal (max) */
  li a1, 0xfffffffe3f800000          /* one upper bit clear: not boxed */
  fmv.d.x fa0, a1
  TEST_CASE(116, a0, 0, feq.s a0, fa0, fa0)
  li TESTNUM, 117
  fcvt.d.s fa2, fa0
  CHECK_D(D_QNAN, 0)
  /* flw / fmv.w.x / fcvt results are boxed */
  li a1, 0x00000000c0000000
  sd a1, 0(s0)
  fmv.d.x fa2, zero
  flw fa2, 0(s0)
  TEST_CASE(118, a0, 0xffffffffc0000000, fmv.x.d a0, fa2)
  TEST_CASE(119, a0, 0xffffffffc0000000, fmv.x.w a0, fa2)   /* sign-extended */
  TEST_CASE(120, a0, 0x000000007f800000, li a1, 0x7f800000; fmv.w.x fa2, a1; fmv.x.w a0, fa2)
  TEST_CASE(121, a0, 0xffffffff12345678, li a1, 0xabcdef0012345678; fmv.w.x fa2, a1; fmv.x.d a0, fa2)
  TEST_CASE(122, a0, 0xabcdef0012345678, li a1, 0xabcdef0012345678; fmv.d.x fa2, a1; fsd fa2, 0(s0); ld a0, 0(s0))
  TEST_CASE(123, a0, 0xabcdef0012345678, fld fa3, 0(s0); fmv.x.d a0, fa3)

  /* ---- conversions ---- */
  TEST_FI_S(130, fcvt.w.s, 0x7fffffff, NV, S_QNAN)
  TEST_FI_S(131, fcvt.w.s, 0x7fffffff, NV, S_INF)
  TEST_FI_S(132, fcvt.w.s, 0xffffffff80000000, NV, S_NINF)
  TEST_FI_S(133, fcvt.w.s, 0x7fffffff, NV, 0x4f32d05e)         /* 3e9 */
  TEST_FI_S(134, fcvt.w.s, 0xffffffff80000000, 0, 0xcf000000)  /* -2^31 exact */
  TEST_FI_S(135, fcvt.wu.s, 0, NV, S_MONE)
  TEST_FI_S(136, fcvt.wu.s, 0, NX, 0xbf000000, ,rtz)           /* -0.5 -> 0: NX only */
  TEST_FI_S(137, fcvt.wu.s, 0xffffffffffffffff, NV, S_QNAN)    /* 2^32-1, sign-extended */
  TEST_FI_S(138, fcvt.wu.s, 0xffffffffb2d05e00, 0, 0x4f32d05e) /* 3e9 fits, sign-extended */
  TEST_FI_S(139, fcvt.l.s, 0x7fffffffffffffff, NV, S_SNAN)
  TEST_FI_S(140, fcvt.l.s, 0x8000000000000000, NV, S_NINF)
  TEST_FI_S(141, fcvt.lu.s, 0, NV, S_NINF)
  TEST_FI_S(142, fcvt.lu.s, 0xffffffffffffffff, NV, S_INF)
  TEST_FI_D(143, fcvt.l.d, 0x8000000000000000, 0, 0xc3e0000000000000)  /* -2^63 exact */
  TEST_FI_D(144, fcvt.l.d, 0x7fffffffffffffff, NV, 0x43e0000000000000)  /* 2^63 */
  TEST_FI_D(145, fcvt.lu.d, 0x8000000000000000, 0, 0x43e0000000000000)
  TEST_FI_D(146, fcvt.w.d, 0x7fffffff, NV, 0x41e0000000000000)          /* 2^31 */
  TEST_FI_D(147, fcvt.w.d, 0xffffffff80000000, NX, 0xc1e0000000100000, ,rtz)  /* -2^31-0.5 */
  TEST_FI_D(148, fcvt.wu.d, 0xffffffffffffffff, NV, D_QNAN | 0x8000000000000000)  /* any NaN -> 2^32-1 */
  TEST_IF_S(149, fcvt.s.w, S_MONE, 0, 0x12345678ffffffff)      /* only the low word counts */
  TEST_IF_S(150, fcvt.s.wu, 0x4f800000, NX, 0xffffffff)
  TEST_IF_S(151, fcvt.s.l, 0x5f000000, NX, 0x7fffffffffffffff)
  TEST_IF_S(152, fcvt.s.lu, 0x5f800000, NX, 0xffffffffffffffff)
  TEST_IF_S(153, fcvt.s.l, 0xdf000000, 0, 0x8000000000000000)
  TEST_IF_D(154, fcvt.d.w, 0xc1e0000000000000, 0, 0x80000000)
  TEST_IF_D(155, fcvt.d.wu, 0x41efffffffe00000, 0, 0xffffffff)
  TEST_IF_D(156, fcvt.d.l, 0x43e0000000000000, NX, 0x7fffffffffffffff)
  TEST_IF_D(157, fcvt.d.lu, 0, 0, 0)
  li TESTNUM, 158
  FLI_D(fa0, 0x3fd5555555555555)
  csrwi fflags, 0
  fcvt.s.d fa2, fa0
  CHECK_S(0x3eaaaaab, NX)
  li TESTNUM, 159
  FLI_D(fa0, D_SNAN)
  csrwi fflags, 0
  fcvt.s.d fa2, fa0
  CHECK_S(S_QNAN, NV)
  li TESTNUM, 160
  FLI_D(fa0, 0x7e37e43c8800759c)     /* 1e300 */
  csrwi fflags, 0
  fcvt.s.d fa2, fa0
  CHECK_S(S_INF, OF | NX)
  li TESTNUM, 161
  FLI_S(fa0, S_SNAN)
  csrwi fflags, 0
  fcvt.d.s fa2, fa0
  CHECK_D(D_QNAN, NV)
  li TESTNUM, 162
  FLI_S(fa0, 0xc0200000)
  csrwi fflags, 0
  fcvt.d.s fa2, fa0
  CHECK_D(0xc004000000000000, 0)

  /* ---- fclass ---- */
  TEST_FI_S(170, fclass.s, 1 << 0, 0, S_NINF)
  TEST_FI_S(171, fclass.s, 1 << 1, 0, S_MONE)
  TEST_FI_S(172, fclass.s, 1 << 2, 0, 0x807fffff)
  TEST_FI_S(173, fclass.s, 1 << 3, 0, S_NZERO)
  TEST_FI_S(174, fclass.s, 1 << 4, 0, 0)
  TEST_FI_S(175, fclass.s, 1 << 5, 0, 0x00000001)
  TEST_FI_S(176, fclass.s, 1 << 6, 0, S_ONE)
  TEST_FI_S(177, fclass.s, 1 << 7, 0, S_INF)
  TEST_FI_S(178, fclass.s, 1 << 8, 0, S_SNAN)
  TEST_FI_S(179, fclass.s, 1 << 9, 0, S_QNAN)
  TEST_FI_D(180, fclass.d, 1 << 0, 0, D_NINF)
  TEST_FI_D(181, fclass.d, 1 << 1, 0, D_MONE)
  TEST_FI_D(182, fclass.d, 1 << 2, 0, 0x800fffffffffffff)
  TEST_FI_D(183, fclass.d, 1 << 3, 0, D_NZERO)
  TEST_FI_D(184, fclass.d, 1 << 4, 0, 0)
  TEST_FI_D(185, fclass.d, 1 << 5, 0, 1)
  TEST_FI_D(186, fclass.d, 1 << 6, 0, D_ONE)
  TEST_FI_D(187, fclass.d, 1 << 7, 0, D_INF)
  TEST_FI_D(188, fclass.d, 1 << 8, 0, D_SNAN)
  TEST_FI_D(189, fclass.d, 1 << 9, 0, 0xfff8000000000001)

  /* ---- comparisons ---- */
  TEST_CMP_S(190, feq.s, 1, 0, S_NZERO, 0)
  TEST_CMP_S(191, flt.s, 0, 0, S_NZERO, 0)
  TEST_CMP_S(192, fle.s, 1, 0, S_NZERO, 0)
  TEST_CMP_S(193, feq.s, 0, 0, S_QNAN, S_QNAN)        /* quiet compare: no NV */
  TEST_CMP_S(194, feq.s, 0, NV, S_SNAN, S_ONE)
  TEST_CMP_S(195, flt.s, 0, NV, S_QNAN, S_ONE)        /* signaling compare */
  TEST_CMP_S(196, fle.s, 0, NV, S_ONE, S_QNAN)
  TEST_CMP_S(197, flt.s, 1, 0, S_MONE, S_ONE)
  TEST_CMP_S(198, fle.s, 0, 0, S_ONE, S_MONE)
  TEST_CMP_D(199, feq.d, 0, NV, D_ONE, D_SNAN)
  TEST_CMP_D(200, flt.d, 0, NV, D_QNAN, D_QNAN)
  TEST_CMP_D(201, fle.d, 1, 0, D_ONE, D_ONE)
  TEST_CMP_D(202, flt.d, 1, 0, D_NINF, D_MONE)
  TEST_CMP_D(203, feq.d, 1, 0, 0, D_NZERO)

  /* fflags/frm/fcsr are user CSRs: accessible from U */
  li TESTNUM, 129
  RUN_IN_U(csrr a0, fcsr; csrwi fflags, 3; csrwi frm, 1; fadd.s fa0, fa0, fa0)
  TEST_CASE(204, a0, 0x23, csrr a0, fcsr)
  csrw fcsr, zero

  /* ---- mstatus.FS and SD ---- */
  li TESTNUM, 210
  li t0, MSTATUS_FS
  csrc mstatus, t0                   /* FS = Off */
  .macro FPOFF n, insn:vararg
  li TESTNUM, \n
  EXPECT_TRAP
  1: \insn
  CHECK_TRAP_CAUSE(CAUSE_ILLEGAL_INSN)
  ld t5, trap_tval
  beqz t5, 2f                        /* mtval: 0 or the instruction bits */
  la t6, 1b
  call insn_bits
  CHECK_REG(t5, t6)
  2:
  .endm
  FPOFF 211, fadd.s fa2, fa0, fa1
  FPOFF 212, fmv.w.x fa0, zero
  FPOFF 213, fmv.x.d a0, fa0
  FPOFF 214, csrr a0, fflags
  FPOFF 215, csrwi frm, 1
  FPOFF 216, fld fa0, 0(s0)
  FPOFF 217, fsd fa0, 0(s0)
  FPOFF 218, fcvt.d.l fa0, zero
  FPOFF 219, csrr a0, fcsr
  FPOFF 232, c.fldsp fa1, 8(sp)
  FPOFF 233, c.fsd fa1, 8(s0)
  TEST_CASE(220, a0, 0, csrr a0, mstatus; srli a0, a0, 63)        /* SD = 0 */
  /* Initial -> a write to an f register makes it Dirty, SD = 1 */
  li t0, MSTATUS_FS_INITIAL
  csrs mstatus, t0
  TEST_CASE(221, a0, 1, csrr a0, mstatus; srli a0, a0, 13; andi a0, a0, 3)
  TEST_CASE(222, a0, 3, fmv.w.x fa0, zero; csrr a0, mstatus; srli a0, a0, 13; andi a0, a0, 3)
  TEST_CASE(223, a0, 1, csrr a0, mstatus; srli a0, a0, 63)
  TEST_CASE(224, a0, 1, csrr a0, sstatus; srli a0, a0, 63)
  TEST_CASE(225, a0, 3 << 13, csrr a0, sstatus; li a1, MSTATUS_FS; and a0, a0, a1)
  /* Clean -> csrw fflags makes it Dirty */
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, MSTATUS_FS_CLEAN
  csrs mstatus, t0
  TEST_CASE(226, a0, 0, csrr a0, mstatus; srli a0, a0, 63)
  TEST_CASE(227, a0, 3, csrwi fflags, 1; csrr a0, mstatus; srli a0, a0, 13; andi a0, a0, 3)
  /* Clean -> flw makes it Dirty */
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, MSTATUS_FS_CLEAN
  csrs mstatus, t0
  TEST_CASE(228, a0, 3, flw fa5, 0(s0); csrr a0, mstatus; srli a0, a0, 13; andi a0, a0, 3)
  /* Clean -> an op that raises a flag (fflags written) makes it Dirty */
  FLI_S(fa5, S_SNAN)
  li t0, MSTATUS_FS
  csrc mstatus, t0
  li t0, MSTATUS_FS_CLEAN
  csrs mstatus, t0
  TEST_NUM(229)
  feq.s a1, fa5, fa5                 /* sets NV: fcsr modified */
  csrr a0, mstatus
  srli a0, a0, 13
  andi a0, a0, 3
#ifdef ISA_QEMU
  /* QEMU 7.2 deviation: flags accrued by an FP op do not dirty FS. */
  li t6, 2
  beq a0, t6, 1f
#endif
  CHECK(a0, 3)
1:
  /* FS writable through sstatus too */
  li t0, MSTATUS_FS
  csrc sstatus, t0
  TEST_CASE(230, a0, 0, csrr a0, mstatus; li a1, MSTATUS_FS; and a0, a0, a1)
  li t0, MSTATUS_FS_INITIAL
  csrs sstatus, t0
  TEST_CASE(231, a0, MSTATUS_FS_INITIAL, csrr a0, mstatus; li a1, MSTATUS_FS; and a0, a0, a1)
TEST_END

/* t6 = bits of the (16- or 32-bit) instruction at t6; clobbers t4 */
insn_bits:
  lhu t4, 0(t6)
  andi t4, t4, 3
  addi t4, t4, -3
  bnez t4, 1f
  lwu t6, 0(t6)
  ret
1: lhu t6, 0(t6)
  ret

  .data
  .align 3
fpbuf: .dword 0, 0
