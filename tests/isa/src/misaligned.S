// Misaligned integer loads and stores (every width, signed/unsigned,
// crossing 8-byte and page boundaries). The privileged spec lets a hart
// either perform them or trap (address-misaligned, mtval = the address);
// an M-mode hook emulates trapped ones after checking mcause/mtval, so
// the values are checked either way. misaligned_traps counts emulations.
#include "test.h"

#define TEST_LD(n, insn, off, expect) TEST_CASE(n, a0, expect, la a1, buf; insn a0, off(a1))

  .option norvc
TEST_BEGIN
  la a0, mis_hook
  la a1, trap_hook
  sd a0, 0(a1)
  /* buf = 00 01 02 ... 0f 80 81 ... 8f */
  TEST_LD(1, lh, 1, 0x0201)
  TEST_LD(2, lhu, 17, 0x8281)
  TEST_LD(3, lh, 17, 0xffffffffffff8281)
  TEST_LD(4, lh, 15, 0xffffffffffff800f)
  TEST_LD(5, lw, 1, 0x04030201)
  TEST_LD(6, lw, 2, 0x05040302)
  TEST_LD(7, lw, 3, 0x06050403)
  TEST_LD(8, lw, 17, 0xffffffff84838281)
  TEST_LD(9, lwu, 19, 0x0000000086858483)
  TEST_LD(10, lw, 6, 0x09080706)            /* crosses an 8-byte boundary */
  TEST_LD(11, ld, 1, 0x0807060504030201)
  TEST_LD(12, ld, 4, 0x0b0a090807060504)
  TEST_LD(13, ld, 7, 0x0e0d0c0b0a090807)
  TEST_LD(14, ld, 13, 0x84838281800f0e0d)
  /* stores, checked with aligned loads */
  la s0, sbuf
  li a1, 0x1122334455667788
  sh a1, 1(s0)
  TEST_CASE(20, a0, 0x0000000000778800, ld a0, 0(s0))
  sw a1, 7(s0)
  TEST_CASE(21, a0, 0x8800000000778800, ld a0, 0(s0))
  TEST_CASE(22, a0, 0x0000000000556677, ld a0, 8(s0))
  sd a1, 11(s0)
  TEST_CASE(23, a0, 0x4455667788556677, ld a0, 8(s0))
  TEST_CASE(24, a0, 0x0000000000112233, ld a0, 16(s0))
  sh a1, 23(s0)
  TEST_CASE(25, a0, 0x8800000000112233, ld a0, 16(s0))
  TEST_CASE(26, a0, 0x0000000000000077, ld a0, 24(s0))
  /* across a page boundary */
  la s1, page_end
  li a1, 0x0102030405060708
  sd a1, -3(s1)
  TEST_CASE(27, a0, 0x0102030405060708, ld a0, -3(s1))
  TEST_CASE(28, a0, 0x0000000001020304, lwu a0, 1(s1))
  TEST_CASE(29, a0, 0x0000000000000506, lhu a0, -1(s1))
  /* x0 destination: no write, and the emulation must not write x0 */
  TEST_CASE(30, a0, 0, la a1, buf; lw zero, 1(a1); mv a0, zero)
  /* report how many were emulated (informational) */
  la a0, msg
  call puts
  ld a0, misaligned_traps
  call putdec
  li a0, '\n'
  call putchar
TEST_END

/* trap hook: emulate a trapped misaligned load/store (32-bit encodings)
 * a0 = mcause, a1 = frame; returns a0 = 1 when handled. Clobbers t*, a*. */
mis_hook:
  li t0, CAUSE_MISALIGNED_LOAD
  beq a0, t0, 1f
  li t0, CAUSE_MISALIGNED_STORE
  beq a0, t0, 1f
  li a0, 0
  ret
1: csrr a2, mepc
  lwu a3, 0(a2)                  /* instruction */
  srli t0, a3, 15
  andi t0, t0, 31                /* rs1 */
  slli t0, t0, 3
  add t0, t0, a1
  ld a4, 0(t0)                   /* rs1 value (slot 0 holds x0 = see below) */
  srli t0, a3, 15
  andi t0, t0, 31
  bnez t0, 2f
  li a4, 0
2: andi t1, a3, 0x7f
  srli a5, a3, 12
  andi a5, a5, 7                 /* funct3 */
  li t2, 0x03
  bne t1, t2, 5f
  /* load: imm[11:0] = insn[31:20] */
  srai t3, a3, 20
  sext.w t3, t3
  slli t3, t3, 52
  srai t3, t3, 52
  add a4, a4, t3                 /* address */
  csrr t4, mtval
  bne t4, a4, 9f
  andi t5, a5, 3
  li t6, 1
  sll t6, t6, t5                 /* size */
  li a6, 0                       /* value */
  add t0, a4, t6
3: addi t0, t0, -1
  lbu t2, 0(t0)
  slli a6, a6, 8
  or a6, a6, t2
  bne t0, a4, 3b
  li t2, 4
  bgeu a5, t2, 4f                /* lbu/lhu/lwu: zero-extended */
  li t2, 64
  slli t5, t6, 3
  sub t2, t2, t5
  sll a6, a6, t2
  sra a6, a6, t2
4: srli t0, a3, 7
  andi t0, t0, 31                /* rd */
  beqz t0, 8f
  slli t0, t0, 3
  add t0, t0, a1
  sd a6, 0(t0)
  j 8f
5: li t2, 0x23
  bne t1, t2, 9f
  /* store: imm = insn[31:25] << 5 | insn[11:7] */
  srai t3, a3, 25
  slli t3, t3, 5
  srli t4, a3, 7
  andi t4, t4, 31
  or t3, t3, t4
  slli t3, t3, 52
  srai t3, t3, 52
  add a4, a4, t3
  csrr t4, mtval
  bne t4, a4, 9f
  srli t0, a3, 20
  andi t0, t0, 31                /* rs2 */
  li a6, 0
  beqz t0, 6f
  slli t0, t0, 3
  add t0, t0, a1
  ld a6, 0(t0)
6: andi t5, a5, 3
  li t6, 1
  sll t6, t6, t5
  mv t0, a4
  add t1, a4, t6
7: sb a6, 0(t0)
  srli a6, a6, 8
  addi t0, t0, 1
  bne t0, t1, 7b
8: addi a2, a2, 4
  csrw mepc, a2
  la t0, misaligned_traps
  ld t1, 0(t0)
  addi t1, t1, 1
  sd t1, 0(t0)
  li a0, 1
  ret
9: li gp, 150                    /* wrong mtval or not a load/store */
  j fail_direct

  .data
  .align 4
buf:  .byte 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
      .byte 0x80,0x81,0x82,0x83,0x84,0x85,0x86,0x87,0x88,0x89,0x8a,0x8b,0x8c,0x8d,0x8e,0x8f
sbuf: .zero 32
misaligned_traps: .dword 0
msg:  .asciz "misaligned accesses emulated after a trap: "
  .bss
  .balign 4096
  .zero 4096
page_end:
  .zero 4096
