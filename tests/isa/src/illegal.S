// Decoder strictness: reserved and unimplemented encodings must raise an
// illegal-instruction exception with mtval = the instruction bits, and
// their neighbours that are valid must not. Covers RV64-specific shift
// amounts, unused funct3/funct7 values, loads/stores of unsupported
// widths, absent extensions (Q, Zfh, V, H), AMO widths, reserved
// compressed encodings and RV32-only compressed encodings.
#include "test.h"

#define ILL(n, bits)  li TESTNUM, n; EXPECT_TRAP; .word bits; CHECK_TRAP(CAUSE_ILLEGAL_INSN, bits)
#define ILL16(n, bits) li TESTNUM, n; EXPECT_TRAP; .half bits; .half 0x0001; CHECK_TRAP(CAUSE_ILLEGAL_INSN, bits)
#define OK(n, bits)   li TESTNUM, n; CLEAR_TRAP; .word bits; CHECK_NO_TRAP

  .option norvc
TEST_BEGIN
  la s0, buf
  mv a1, s0                      /* a1 = x11: valid base for loads/stores below */
  /* shifts */
  ILL(1, 0x0200151b)             /* slliw a0, a0, 32: shamt[5] set */
  ILL(2, 0x0200551b)             /* srliw a0, a0, 32 */
  ILL(3, 0x4200551b)             /* sraiw a0, a0, 32 */
  OK(4, 0x03f51513)              /* slli a0, a0, 63 is fine on RV64 */
  OK(5, 0x43f55513)              /* srai a0, a0, 63 */
  ILL(6, 0x80051513)             /* slli with imm[11:6] = 0x20 */
  ILL(7, 0x40051513)             /* slli with imm[11:6] = 0x10 */
  /* OP / OP-32 funct7 */
  ILL(8, 0x40b51533)             /* sll with funct7 = 0x20 */
  ILL(9, 0x40b57533)             /* and with funct7 = 0x20 */
  ILL(10, 0x08b50533)            /* add with funct7 = 0x04 */
  ILL(11, 0x40b5453b)            /* OP-32 funct3 = 4, funct7 = 0x20 */
  ILL(12, 0x00b5253b)            /* OP-32 funct3 = 2 (no sltw) */
  OK(13, 0x02b5453b)             /* divw a0, a0, a1 */
  ILL(14, 0x0000251b)            /* OP-IMM-32 funct3 = 2 */
  /* loads/stores */
  ILL(15, 0x0005f503)            /* load funct3 = 7 (no ldu) */
  ILL(16, 0x00a5c023)            /* store funct3 = 4 */
  ILL(17, 0x00a5f023)            /* store funct3 = 7 */
  ILL(18, 0x0005c007)            /* flq: Q absent */
  ILL(19, 0x00a5c027)            /* fsq */
  ILL(20, 0x00059007)            /* flh: Zfh absent */
  OK(21, 0x0005b007)             /* fld f0, 0(a1) */
  /* control transfer */
  ILL(22, 0x00059067)            /* jalr funct3 = 1 */
  ILL(23, 0x00b52063 | (2 << 12))  /* branch funct3 = 2 */
  ILL(24, 0x00b52063 | (3 << 12))  /* branch funct3 = 3 */
  /* AMO */
  ILL(25, 0x00b5852f)            /* amoadd.b: funct3 = 0 */
  ILL(26, 0x00b5d52f)            /* funct3 = 5 */
  ILL(27, 0x1405b52f | (1 << 20))  /* lr.d with rs2 != 0 */
  ILL(28, 0x3005b52f)            /* AMO funct5 = 0x06 (unused) */
  /* FP */
  ILL(29, 0x06b57553)            /* fadd.q (fmt = 3) */
  ILL(30, 0x04b57553)            /* fadd.h (fmt = 2): Zfh absent */
  ILL(31, 0x5805f553 | (1 << 20))  /* fsqrt.s with rs2 = 1 */
  ILL(32, 0xe0051553 | (1 << 20))  /* fmv.x.w with rs2 = 1 */
  ILL(33, 0xe0053553)            /* fclass-space funct3 = 3 */
  ILL(34, 0x20b53553)            /* fsgnj funct3 = 3 */
  ILL(35, 0x28b52553)            /* fmin funct3 = 2 */
  ILL(36, 0xa0b53553)            /* fcmp funct3 = 3 */
  ILL(37, 0xc0450553)            /* fcvt.?.s rs2 = 4 */
  ILL(38, 0x40250553)            /* fcvt.s.h: Zfh absent */
  ILL(39, 0x42350553)            /* fcvt.d.q */
  /* SYSTEM */
  ILL(40, 0x00100073 | (1 << 7))   /* ebreak with rd != 0 */
  ILL(41, 0x30200073 | (1 << 15))  /* mret with rs1 != 0 */
  ILL(42, 0x00004073)            /* SYSTEM funct3 = 4 (hypervisor loads: H absent) */
  ILL(43, 0x22000073)            /* hfence.vvma: H absent */
  ILL(44, 0x7b200073)            /* dret outside debug mode */
  /* vector absent */
  ILL(45, 0x02058557)            /* vadd.vv */
  ILL(46, 0x0005f557)            /* vsetvli-space OP-V funct3 = 7 */
  ILL(47, 0x02058007 | (6 << 12))  /* vle32.v */
  /* compressed reserved / RV32-only */
  ILL16(50, 0x0000)
  ILL16(51, 0x0010)              /* c.addi4spn nzuimm = 0 */
  ILL16(52, 0x6181)              /* c.lui gp, 0 */
  ILL16(53, 0x9c41)              /* CA: bit 12 = 1, funct2 = 2: reserved */
  ILL16(54, 0x9c61)              /* CA: bit 12 = 1, funct2 = 3: reserved */
  ILL16(55, 0x8000)              /* quadrant 0, funct3 = 4: reserved */
  ILL16(56, 0x6002)              /* c.ldsp x0 */
  ILL16(57, 0x2001)              /* c.addiw x0 */
  ILL16(58, 0x8002)              /* c.jr x0 */
TEST_END

  .data
  .align 4
buf: .zero 64
