// RV64C: every compressed instruction (explicit c.* mnemonics so the
// encodings are certain), link value pc+2 of c.jalr, 32-bit instructions
// at 2-byte aligned addresses and across a page boundary, reserved
// compressed encodings -> illegal instruction with the 16 bits in mtval.
#include "test.h"
  .option rvc
TEST_BEGIN
  /* c.li / c.lui / c.addi / c.addiw / c.nop */
  TEST_CASE(1, a0, 31, c.li a0, 31)
  TEST_CASE(2, a0, 0xffffffffffffffe0, c.li a0, -32)
  TEST_CASE(3, a0, 0x000000000001f000, c.lui a0, 0x1f)
  TEST_CASE(4, a0, 0xfffffffffffe0000, c.lui a0, 0xfffe0)
  TEST_CASE(5, a0, 0xfffffffffffff000, c.lui a0, 0xfffff)
  TEST_CASE(6, a0, 0x0000000000000000, c.li a0, 1; c.addi a0, -1)
  TEST_CASE(7, a0, 0x000000000000001f, c.li a0, 0; c.addi a0, 31)
  TEST_CASE(8, a0, 0xffffffff80000000, li a0, 0x7fffffff; c.addiw a0, 1)
  TEST_CASE(9, a0, 0xffffffffdeadbeef, li a0, 0x12345678deadbeef; c.addiw a0, 0)
  TEST_CASE(10, a0, 5, c.li a0, 5; c.nop)
  /* c.mv / c.add / c.sub / c.xor / c.or / c.and / c.subw / c.addw */
  TEST_CASE(11, a1, 0x123456789abcdef0, li a0, 0x123456789abcdef0; c.mv a1, a0)
  TEST_CASE(12, t3, 0x0000000100000000, li t3, 0xffffffff; li t4, 1; c.add t3, t4)
  TEST_CASE(13, a0, 0xffffffffffffffff, li a0, 0; li a1, 1; c.sub a0, a1)
  TEST_CASE(14, a0, 0xff00ff00ff00ff00, li a0, 0xffff0000ffff0000; li a1, 0x00ffff0000ffff00; c.xor a0, a1)
  TEST_CASE(15, s1, 0xffffff00ffffff00, li s1, 0xffff0000ffff0000; li a1, 0x00ffff0000ffff00; c.or s1, a1)
  TEST_CASE(16, a5, 0x00ff000000ff0000, li a5, 0xffff0000ffff0000; li a1, 0x00ffff0000ffff00; c.and a5, a1)
  TEST_CASE(17, a0, 0x000000007fffffff, li a0, 0x80000000; li a1, 1; c.subw a0, a1)
  TEST_CASE(18, a0, 0xffffffff80000000, li a0, 0x7fffffff; li a1, 1; c.addw a0, a1)
  TEST_CASE(19, a0, 0x0000000000000000, li a0, 0xffffffff; li a1, 1; c.addw a0, a1)
  /* shifts */
  TEST_CASE(20, a0, 0x8000000000000000, li a0, 1; c.slli a0, 63)
  TEST_CASE(21, a0, 0x0000000100000000, li a0, 1; c.slli a0, 32)
  TEST_CASE(22, a0, 0x0000000000000001, li a0, 0x8000000000000000; c.srli a0, 63)
  TEST_CASE(23, a0, 0x0000000080000000, li a0, 0x8000000000000000; c.srli a0, 32)
  TEST_CASE(24, a0, 0xffffffffffffffff, li a0, 0x8000000000000000; c.srai a0, 63)
  TEST_CASE(25, a0, 0xffffffff80000000, li a0, 0x8000000000000000; c.srai a0, 32)
  TEST_CASE(26, a0, 0x00000000000000e0, li a0, 0xff; c.andi a0, -32)
  TEST_CASE(27, a0, 0x000000000000000f, li a0, 0xff; c.andi a0, 15)
  TEST_CASE(28, t1, 0xfffffffffffffff8, li t1, -1; c.slli t1, 3)
  /* stack-pointer forms */
  mv s0, sp
  TEST_CASE(29, a0, 0, c.addi16sp sp, 496; sub a0, sp, s0; addi a0, a0, -496)
  TEST_CASE(30, a0, 0, c.addi16sp sp, -512; sub a0, s0, sp; addi a0, a0, -16)
  mv sp, s0
  TEST_CASE(31, a0, 0, c.addi4spn a0, sp, 1020; sub a0, a0, sp; addi a0, a0, -1020)
  TEST_CASE(32, a1, 0, c.addi4spn a1, sp, 4; sub a1, a1, sp; addi a1, a1, -4)
  la sp, buf
  li a0, 0x0123456789abcdef
  li a1, 0xfedcba9876543210
  c.sdsp a0, 504(sp)
  c.sdsp a1, 0(sp)
  TEST_CASE(33, a2, 0x0123456789abcdef, c.ldsp a2, 504(sp))
  TEST_CASE(34, t2, 0xfedcba9876543210, c.ldsp t2, 0(sp))
  c.swsp a1, 252(sp)
  TEST_CASE(35, a2, 0x0000000076543210, lwu a2, 252(sp))
  TEST_CASE(36, a2, 0x0000000076543210, c.lwsp a2, 252(sp))
  TEST_CASE(37, a2, 0xfffffffffedcba98, c.lwsp a2, 4(sp))
  fmv.d.x fa0, a1
  c.fsdsp fa0, 8(sp)
  TEST_CASE(38, a2, 0xfedcba9876543210, ld a2, 8(sp))
  c.fldsp fa1, 504(sp)
  TEST_CASE(39, a2, 0x0123456789abcdef, fmv.x.d a2, fa1)
  /* register-based loads/stores */
  la s1, buf
  c.sd a0, 248(s1)
  TEST_CASE(40, a3, 0x0123456789abcdef, c.ld a3, 248(s1))
  c.sw a1, 124(s1)
  TEST_CASE(41, a3, 0x0000000076543210, lwu a3, 124(s1))
  TEST_CASE(42, a3, 0xffffffff89abcdef, addi a4, s1, 128; c.lw a3, 120(a4))
  c.fsd fa1, 16(s1)
  TEST_CASE(43, a3, 0x0123456789abcdef, ld a3, 16(s1))
  c.fld fa2, 8(s1)
  TEST_CASE(44, a3, 0xfedcba9876543210, fmv.x.d a3, fa2)
  la sp, stack_top
  /* jumps and branches */
  li TESTNUM, 45
  c.j 1f
  j test_fail
1: la a0, 2f
  li TESTNUM, 46
  c.jr a0
  j test_fail
2: la a0, 3f
  li TESTNUM, 47
4: c.jalr a0                    /* ra = pc + 2 */
  j test_fail
3: la a1, 4b + 2
  CHECK_REG(ra, a1)
  li TESTNUM, 48
  c.li a0, 0
  c.beqz a0, 1f
  j test_fail
1: c.bnez a0, test_fail_far
  c.li a0, -1
  c.bnez a0, 1f
  j test_fail
1: c.beqz a0, test_fail_far
  /* c.ebreak */
  li TESTNUM, 49
  EXPECT_TRAP
5: c.ebreak
  CHECK_TRAP_CAUSE(CAUSE_BREAKPOINT)
  ld t5, trap_tval
  beqz t5, 1f                   /* mtval = 0 or the pc of the ebreak */
  la t6, 5b
  CHECK_REG(t5, t6)
1:
  /* 32-bit instruction at a 2-byte aligned address */
  .balign 4
  li TESTNUM, 50
  c.nop
  .option push
  .option norvc
  addi a0, zero, 0x123
  lui a1, 0x12345
  .option pop
  CHECK(a0, 0x123)
  CHECK(a1, 0x12345000)
  /* ...and one that straddles a page boundary */
  li TESTNUM, 51
  li a0, 0
  call straddle
  CHECK(a0, 0x555)

  /* reserved compressed encodings: illegal, mtval = the 16 bits */
  .macro ILLEGAL16 n, bits
  li TESTNUM, \n
  EXPECT_TRAP
  .half \bits
  CHECK_TRAP(CAUSE_ILLEGAL_INSN, \bits)
  .endm
  ILLEGAL16 60, 0x0010         /* c.addi4spn with nzuimm = 0 */
  ILLEGAL16 61, 0x6501         /* c.addi16sp with nzimm = 0 */
  ILLEGAL16 62, 0x6581         /* c.lui a1, 0 */
  ILLEGAL16 63, 0x8002         /* c.jr x0 */
  ILLEGAL16 64, 0x4002         /* c.lwsp x0 */
  ILLEGAL16 65, 0x6002         /* c.ldsp x0 */
  ILLEGAL16 66, 0x2001         /* c.addiw x0 */
  ILLEGAL16 67, 0x0000         /* all zeros */
TEST_END

test_fail_far:
  j test_fail

  .section .page.straddle, "ax", @progbits
  .balign 4096
straddle:
  .option push
  .option norvc
  .fill 2047, 2, 0x0001         /* 2047 x c.nop = 4094 bytes */
  addi a0, zero, 0x555          /* at page offset 4094: crosses the boundary */
  ret
  .option pop

  .data
  .align 4
buf: .zero 1024
