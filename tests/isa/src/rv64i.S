// RV64I: every base integer instruction, W-forms, shift amounts 0/1/31/32/63
// and masking, sign extension, x0, loads/stores of every width, branches,
// jal/jalr link values, lui/auipc, fence.i with self-modifying code.
#include "test.h"
TEST_BEGIN
  TEST_RR(1, add, 0x0000000100000000, 0xffffffff, 1)
  TEST_RR(2, add, 0x8000000000000000, 0x7fffffffffffffff, 1)
  TEST_RR(3, add, 0, -1, 1)
  TEST_RR(4, sub, 0xffffffffffffffff, 0, 1)
  TEST_RR(5, sub, 0x7fffffffffffffff, 0x8000000000000000, 1)
  TEST_RI(6, addi, 0x7ff, 0, 2047)
  TEST_RI(7, addi, -2048, 0, -2048)
  TEST_RI(8, addi, 0x000000007fffffff, 0x0000000080000000, -1)
  TEST_RR(9, addw, 0xffffffff80000000, 0x7fffffff, 1)
  TEST_RR(10, addw, 0, 0xffffffff00000000, 0x0000000100000000)
  TEST_RR(11, addw, 0x0000000012345678, 0xabcdef0012345678, 0)
  TEST_RR(12, subw, 0x000000007fffffff, 0x80000000, 1)
  TEST_RR(13, subw, 0xffffffffffffffff, 0x100000000, 1)
  TEST_RI(14, addiw, 0xffffffff80000000, 0x7fffffff, 1)
  TEST_RI(15, addiw, 0xfffffffffffff800, 0x100000000, -2048)
  TEST_RI(16, addiw, 0xffffffff87654321, 0x1234567887654321, 0)

  TEST_RR(17, slt, 1, -1, 0)
  TEST_RR(18, slt, 0, 0, -1)
  TEST_RR(19, sltu, 0, -1, 0)
  TEST_RR(20, sltu, 1, 0, -1)
  TEST_RR(21, slt, 0, 5, 5)
  TEST_RI(22, slti, 1, 0x8000000000000000, -2048)
  TEST_RI(23, slti, 0, 2047, 2047)
  TEST_RI(24, sltiu, 1, 0xfffffffffffffffe, -1)
  TEST_RI(25, sltiu, 0, -1, -1)
  TEST_RI(26, sltiu, 1, 0, 1)

  TEST_RR(27, and, 0x0f000f00f000f00f, 0x0ff00ff0f0f0ff0f, 0xff0fff0ffe0ff00f)
  TEST_RR(28, or,  0xfff0ffffffffff0f, 0x0ff00ff0f0f0ff0f, 0xf0f0ff0fff0ff00f)
  TEST_RR(29, xor, 0xff00f0ff0fff0f00, 0x0ff00ff0f0f0ff0f, 0xf0f0ff0fff0ff00f)
  TEST_RI(30, andi, 0x00000000000000f0, 0xff00ff00ff00fff0, 0x0f0)
  TEST_RI(31, andi, 0xff00ff00ff00f800, 0xff00ff00ff00ff00, -2048)
  TEST_RI(32, ori, 0xfffffffffffff800, 0x0000000000000000, -2048)
  TEST_RI(33, xori, 0x00ff00ff00ff00ff, 0xff00ff00ff00ff00, -1)

  TEST_RR(34, sll, 0x8000000000000000, 1, 63)
  TEST_RR(35, sll, 0x0000000100000000, 1, 32)
  TEST_RR(36, sll, 0x0000000080000000, 1, 31)
  TEST_RR(37, sll, 0x0000000000000002, 1, 65)      /* amount masked to 6 bits */
  TEST_RR(38, sll, 0x123456789abcdef0, 0x123456789abcdef0, 64)
  TEST_RR(39, srl, 0x0000000000000001, 0x8000000000000000, 63)
  TEST_RR(40, srl, 0x00000000ffffffff, 0xffffffff00000000, 32)
  TEST_RR(41, srl, 0x00000001ffffffff, 0xffffffff80000000, 31)
  TEST_RR(42, sra, 0xffffffffffffffff, 0x8000000000000000, 63)
  TEST_RR(43, sra, 0xffffffff80000000, 0x8000000000000000, 32)
  TEST_RR(44, sra, 0xffffffff00000000, 0x8000000000000000, 31)
  TEST_RR(45, sra, 0xc000000000000000, 0x8000000000000000, 0xffffffffffffffc1) /* & 63 = 1 */
  TEST_RI(46, slli, 0x8000000000000000, 1, 63)
  TEST_RI(47, slli, 0xffffffff00000000, 0xffffffff, 32)
  TEST_RI(48, srli, 0x0000000000000001, 0x8000000000000000, 63)
  TEST_RI(49, srli, 0x00000000ffffffff, 0xffffffff00000000, 32)
  TEST_RI(50, srai, 0xffffffffffffffff, 0x8000000000000000, 63)
  TEST_RI(51, srai, 0x0000000000000001, 0x4000000000000000, 62)
  TEST_RI(52, srai, 0xffffffff80000000, 0x8000000000000000, 32)

  TEST_RR(53, sllw, 0xffffffff80000000, 1, 31)
  TEST_RR(54, sllw, 0x0000000000000001, 1, 32)     /* amount masked to 5 bits */
  TEST_RR(55, sllw, 0x0000000012345678, 0xffffffff12345678, 0)
  TEST_RR(56, srlw, 0x0000000000000001, 0xffffffff80000000, 31)
  TEST_RR(57, srlw, 0xffffffff80000000, 0x0000000080000000, 32)  /* by 0: sign-extended */
  TEST_RR(58, srlw, 0x0000000000ffffff, 0x00000000ffffffff, 8)
  TEST_RR(59, sraw, 0xffffffffffffffff, 0x0000000080000000, 31)
  TEST_RR(60, sraw, 0xfffffffff8000000, 0x0000000080000000, 4)
  TEST_RR(61, sraw, 0x0000000001000000, 0xffffffff10000000, 36) /* by 4, upper bits ignored */
  TEST_RI(62, slliw, 0xffffffff80000000, 1, 31)
  TEST_RI(63, slliw, 0x0000000000000000, 0x100000000, 0)
  TEST_RI(64, srliw, 0x0000000000000001, 0x80000000, 31)
  TEST_RI(65, srliw, 0x000000007fffffff, 0xfffffffffffffffe, 1)
  TEST_RI(66, sraiw, 0xffffffffffffffff, 0x80000000, 31)
  TEST_RI(67, sraiw, 0x0000000000000000, 0x7fffffff, 31)
  TEST_RI(68, sraiw, 0xffffffff80000000, 0x0000000080000000, 0)

  /* lui / auipc */
  TEST_CASE(69, a0, 0xffffffff80000000, lui a0, 0x80000)
  TEST_CASE(70, a0, 0x000000007ffff000, lui a0, 0x7ffff)
  TEST_CASE(71, a0, 0, lui a0, 0)
  li TESTNUM, 72
1: auipc a0, 0
  la a1, 1b
  CHECK_REG(a0, a1)
  li TESTNUM, 73
1: auipc a0, 0x80000          /* pc - 2^31, not pc + 2^31 */
  la a1, 1b
  li a2, 0xffffffff80000000
  add a1, a1, a2
  CHECK_REG(a0, a1)

  /* x0 is hard-wired */
  TEST_CASE(74, a0, 0, li a0, 7; addi x0, x0, 5; add a0, x0, x0)
  TEST_CASE(75, a0, 0, la a1, data; ld x0, 0(a1); lui x0, 0x12345; auipc x0, 1; mv a0, x0)
  TEST_CASE(76, a0, 0, li a1, 3; mul x0, a1, a1; csrr x0, mstatus; mv a0, x0)

  /* jal / jalr */
  li TESTNUM, 77
  jal ra, 1f
2: j test_fail
1: la a1, 2b
  CHECK_REG(ra, a1)
  li TESTNUM, 78
  la a1, 3f + 1               /* odd target: bit 0 cleared */
  jalr a0, 0(a1)
  j test_fail
3: nop
  li TESTNUM, 79
  la a1, 4f - 3               /* odd offset, target = (a1 + 3) & ~1 */
  jalr a2, 3(a1)
  j test_fail
4: la a3, 4b - 4
  CHECK_REG(a2, a3)
  li TESTNUM, 80              /* rd == rs1: target uses the old value */
  la a1, 5f
  jalr a1, 0(a1)
6: j test_fail
5: la a3, 6b
  CHECK_REG(a1, a3)
  li TESTNUM, 81              /* jalr with negative offset */
  la a1, 7f + 16
  jalr x0, -16(a1)
  j test_fail
7: nop

  /* branches */
  li TESTNUM, 82
  li a1, -1
  li a2, 1
  blt a1, a2, 1f
  j test_fail
1: bltu a1, a2, test_fail_far
  bge a2, a1, 1f
  j test_fail
1: bgeu a2, a1, test_fail_far
  bgeu a1, a2, 1f
  j test_fail
1: beq a1, a2, test_fail_far
  bne a1, a2, 1f
  j test_fail
1: li a3, -1
  beq a1, a3, 1f
  j test_fail
1: bne a1, a3, test_fail_far
  bge a1, a3, 1f              /* equal: bge taken */
  j test_fail
1: bgeu a1, a3, 1f
  j test_fail
1: blt a1, a3, test_fail_far
  bltu a1, a3, test_fail_far
  li a4, 0x8000000000000000
  li a5, 0x7fffffffffffffff
  blt a5, a4, test_fail_far
  bltu a4, a5, test_fail_far

  /* loads */
  la s0, data
  TEST_CASE(83, a0, 0xffffffffffffff81, lb a0, 0(s0))
  TEST_CASE(84, a0, 0x0000000000000081, lbu a0, 0(s0))
  TEST_CASE(85, a0, 0xffffffffffff8281, lh a0, 0(s0))
  TEST_CASE(86, a0, 0x0000000000008281, lhu a0, 0(s0))
  TEST_CASE(87, a0, 0xffffffff84838281, lw a0, 0(s0))
  TEST_CASE(88, a0, 0x0000000084838281, lwu a0, 0(s0))
  TEST_CASE(89, a0, 0x8887868584838281, ld a0, 0(s0))
  TEST_CASE(90, a0, 0x0000000012345678, lw a0, 8(s0))
  TEST_CASE(91, a0, 0x0000000000000012, lb a0, 11(s0))
  TEST_CASE(92, a0, 0xffffffff88878685, addi a1, s0, 8; lw a0, -4(a1))
  TEST_CASE(93, a0, 0x0000000000007f00, lh a0, 12(s0))
  /* stores */
  la s1, scratch
  li a1, 0x1122334455667788
  sd a1, 0(s1)
  li a2, 0xaabbccddeeff0099
  sb a2, 1(s1)
  TEST_CASE(94, a0, 0x1122334455669988, ld a0, 0(s1))
  sh a2, 2(s1)
  TEST_CASE(95, a0, 0x1122334400999988, ld a0, 0(s1))
  sw a2, 4(s1)
  TEST_CASE(96, a0, 0xeeff009900999988, ld a0, 0(s1))
  addi a3, s1, 16
  sd a2, -8(a3)
  TEST_CASE(97, a0, 0xaabbccddeeff0099, ld a0, 8(s1))
  TEST_CASE(98, a0, 0xeeff009900999988, ld a0, 0(s1))

  /* fence.i: patch an instruction, execute the new one */
  li TESTNUM, 99
  la a1, patch
  li a2, 0x02a00513           /* addi a0, zero, 42 */
  sw a2, 0(a1)
  fence.i
  li a0, 0
  jal ra, patch
  CHECK(a0, 42)
  li TESTNUM, 100
  li a2, 0x06300513           /* addi a0, zero, 99 */
  sw a2, 0(a1)
  fence.i
  jal ra, patch
  CHECK(a0, 99)
  fence
  fence rw, rw
  fence iorw, iorw
TEST_END

test_fail_far:
  j test_fail

  .data
  .align 3
data:
  .byte 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88
  .word 0x12345678
  .half 0x7f00
  .half 0
scratch: .dword 0, 0
  .align 2
  .option push
  .option norvc
patch:
  addi a0, zero, 1
  ret
  .option pop
