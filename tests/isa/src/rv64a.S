// RV64A: lr/sc success and failure (no reservation, reservation consumed
// by an earlier sc, reservation cleared by the dummy sc a trap handler is
// required to execute), every AMO in W and D form (rd = old value, W
// results sign-extended, upper word untouched), signed vs unsigned
// min/max, rd = x0, misaligned AMO/LR -> misaligned or access fault.
#include "test.h"

#define TEST_AMO(n, op, init, src, rd_expect, mem_expect) \
  li TESTNUM, n; la a3, amo; li a1, init; sd a1, 0(a3); li a2, src; \
  op a0, a2, (a3); CHECK(a0, rd_expect); ld a4, 0(a3); CHECK(a4, mem_expect)

TEST_BEGIN
  /* lr/sc word */
  la s0, amo
  li a1, 0x00000000fedcba98
  sd a1, 0(s0)
  TEST_CASE(1, a0, 0xfffffffffedcba98, lr.w a0, (s0))
  li a2, 0x11111111
  TEST_CASE(2, a3, 0, sc.w a3, a2, (s0))
  TEST_CASE(3, a0, 0x11111111, ld a0, 0(s0))
  /* second sc: the reservation was consumed */
  li a2, 0x22222222
  li TESTNUM, 4
  sc.w a3, a2, (s0)
  CHECK_NE(a3, 0)
  TEST_CASE(5, a0, 0x11111111, ld a0, 0(s0))
  /* lr/sc double */
  li a1, 0x8000000000000000
  sd a1, 0(s0)
  TEST_CASE(6, a0, 0x8000000000000000, lr.d a0, (s0))
  li a2, 0x0123456789abcdef
  TEST_CASE(7, a3, 0, sc.d a3, a2, (s0))
  TEST_CASE(8, a0, 0x0123456789abcdef, ld a0, 0(s0))
  li TESTNUM, 9
  sc.d a3, zero, (s0)
  CHECK_NE(a3, 0)
  TEST_CASE(10, a0, 0x0123456789abcdef, ld a0, 0(s0))
  /* lr.d / sc.d with aq/rl bits, in a retry loop */
  li TESTNUM, 11
1: lr.d.aq a0, (s0)
  addi a0, a0, 1
  sc.d.rl a1, a0, (s0)
  bnez a1, 1b
  CHECK_MEM(amo, 0x0123456789abcdf0)
  /* reservation cleared by a trap whose handler does a dummy sc */
  la a0, dummy_sc_hook
  la a1, trap_hook
  sd a0, 0(a1)
  li TESTNUM, 12
  lr.d a0, (s0)
  ecall
  li a2, 77
  sc.d a3, a2, (s0)
  CHECK_NE(a3, 0)
  CHECK_MEM(amo, 0x0123456789abcdf0)
  la a1, trap_hook
  sd zero, 0(a1)

  /* AMO .w: memory 0xaaaaaaaa_80000001, operand low word 2 */
  TEST_AMO(20, amoswap.w, 0xaaaaaaaa80000001, 0x5555555500000002, 0xffffffff80000001, 0xaaaaaaaa00000002)
  TEST_AMO(21, amoadd.w,  0xaaaaaaaa80000001, 0x5555555500000002, 0xffffffff80000001, 0xaaaaaaaa80000003)
  TEST_AMO(22, amoand.w,  0xaaaaaaaa80000001, 0x5555555500000002, 0xffffffff80000001, 0xaaaaaaaa00000000)
  TEST_AMO(23, amoor.w,   0xaaaaaaaa80000001, 0x5555555500000002, 0xffffffff80000001, 0xaaaaaaaa80000003)
  TEST_AMO(24, amoxor.w,  0xaaaaaaaa80000001, 0x5555555580000003, 0xffffffff80000001, 0xaaaaaaaa00000002)
  TEST_AMO(25, amomin.w,  0xaaaaaaaa80000001, 0x5555555500000002, 0xffffffff80000001, 0xaaaaaaaa80000001)
  TEST_AMO(26, amomax.w,  0xaaaaaaaa80000001, 0x5555555500000002, 0xffffffff80000001, 0xaaaaaaaa00000002)
  TEST_AMO(27, amominu.w, 0xaaaaaaaa80000001, 0x5555555500000002, 0xffffffff80000001, 0xaaaaaaaa00000002)
  TEST_AMO(28, amomaxu.w, 0xaaaaaaaa80000001, 0x5555555500000002, 0xffffffff80000001, 0xaaaaaaaa80000001)
  /* positive old value, operand -1 as a word (upper half of rs2 ignored) */
  TEST_AMO(29, amoadd.w,  0xaaaaaaaa7fffffff, 0x00000000ffffffff, 0x000000007fffffff, 0xaaaaaaaa7ffffffe)
  TEST_AMO(30, amomin.w,  0xaaaaaaaa7fffffff, 0x00000000ffffffff, 0x000000007fffffff, 0xaaaaaaaaffffffff)
  TEST_AMO(31, amomax.w,  0xaaaaaaaa7fffffff, 0x00000000ffffffff, 0x000000007fffffff, 0xaaaaaaaa7fffffff)
  TEST_AMO(32, amominu.w, 0xaaaaaaaa7fffffff, 0x00000000ffffffff, 0x000000007fffffff, 0xaaaaaaaa7fffffff)
  TEST_AMO(33, amomaxu.w, 0xaaaaaaaa7fffffff, 0x00000000ffffffff, 0x000000007fffffff, 0xaaaaaaaaffffffff)
  TEST_AMO(34, amoadd.w,  0x12345678ffffffff, 1, 0xffffffffffffffff, 0x1234567800000000)  /* no carry out */
  /* AMO .w on the upper word of the dword */
  li TESTNUM, 35
  la a3, amo
  li a1, 0x80000000aaaaaaaa
  sd a1, 0(a3)
  li a2, 1
  addi a3, a3, 4
  amoor.w a0, a2, (a3)
  CHECK(a0, 0xffffffff80000000)
  CHECK_MEM(amo, 0x80000001aaaaaaaa)

  /* AMO .d */
  TEST_AMO(40, amoswap.d, 0x8000000000000001, 2, 0x8000000000000001, 2)
  TEST_AMO(41, amoadd.d,  0x8000000000000001, 2, 0x8000000000000001, 0x8000000000000003)
  TEST_AMO(42, amoand.d,  0x8000000000000001, 2, 0x8000000000000001, 0)
  TEST_AMO(43, amoor.d,   0x8000000000000001, 2, 0x8000000000000001, 0x8000000000000003)
  TEST_AMO(44, amoxor.d,  0x8000000000000001, 0x8000000000000003, 0x8000000000000001, 2)
  TEST_AMO(45, amomin.d,  0x8000000000000001, 2, 0x8000000000000001, 0x8000000000000001)
  TEST_AMO(46, amomax.d,  0x8000000000000001, 2, 0x8000000000000001, 2)
  TEST_AMO(47, amominu.d, 0x8000000000000001, 2, 0x8000000000000001, 2)
  TEST_AMO(48, amomaxu.d, 0x8000000000000001, 2, 0x8000000000000001, 0x8000000000000001)
  TEST_AMO(49, amoadd.d,  0xffffffffffffffff, 1, 0xffffffffffffffff, 0)
  TEST_AMO(50, amomin.d,  -5, -7, 0xfffffffffffffffb, 0xfffffffffffffff9)
  TEST_AMO(51, amomaxu.d, -5, -7, 0xfffffffffffffffb, 0xfffffffffffffffb)
  TEST_AMO(52, amoadd.d.aqrl, 40, 2, 40, 42)
  TEST_AMO(53, amoswap.w.aq, 0xffffffff00000000, 0x7fffffff, 0, 0xffffffff7fffffff)
  /* rd = x0: memory still updated */
  li TESTNUM, 54
  la a3, amo
  li a1, 5
  sd a1, 0(a3)
  li a2, 10
  amoadd.d x0, a2, (a3)
  CHECK_MEM(amo, 15)
  /* rd == rs2 */
  li TESTNUM, 55
  li a2, 7
  amoswap.d a2, a2, (a3)
  CHECK(a2, 15)
  CHECK_MEM(amo, 7)

  /* misaligned AMO / LR: address-misaligned or access fault, tval = address */
  li TESTNUM, 60
  la a3, amo
  addi a3, a3, 2
  EXPECT_TRAP
  amoadd.w a0, a2, (a3)
  call check_store_misaligned
  li TESTNUM, 61
  addi a3, a3, 2
  EXPECT_TRAP
  amoswap.d a0, a2, (a3)
  call check_store_misaligned
  li TESTNUM, 62
  EXPECT_TRAP
  lr.d a0, (a3)
  NO_TRAPS
  ld t5, trap_count
  CHECK(t5, 1)
  ld t5, trap_tval
  CHECK_REG(t5, a3)
  ld t5, trap_cause
  li t6, CAUSE_MISALIGNED_LOAD
  beq t5, t6, 1f
  CHECK(t5, CAUSE_LOAD_ACCESS)
1:
TEST_END

/* cause must be 6 or 7 (store/AMO misaligned or access fault), tval = a3 */
check_store_misaligned:
  NO_TRAPS
  ld t5, trap_count
  CHECK(t5, 1)
  ld t5, trap_tval
  CHECK_REG(t5, a3)
  ld t5, trap_cause
#ifdef ISA_QEMU
  /* QEMU 7.2 deviation: reports a misaligned AMO as a LOAD misaligned (4). */
  li t6, CAUSE_MISALIGNED_LOAD
  beq t5, t6, 1f
#endif
  li t6, CAUSE_MISALIGNED_STORE
  beq t5, t6, 1f
  CHECK(t5, CAUSE_STORE_ACCESS)
1: ret

/* trap hook: the handler executes a dummy sc (as the privileged spec
 * tells trap handlers to), then skips the ecall. */
dummy_sc_hook:
  la t0, dummy
  sc.d t1, zero, (t0)
  csrr t0, mepc
  addi t0, t0, 4
  csrw mepc, t0
  li a0, 1
  ret

  .data
  .align 4
amo:   .dword 0, 0
dummy: .dword 0
