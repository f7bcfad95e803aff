// PMP: 16 entries present, pmpaddr granularity / WARL read-back, NAPOT,
// TOR, NA4 (when the granularity allows it), S/U accesses denied when no
// entry matches, lowest-numbered entry wins, partial matches fail, M-mode
// unaffected unless the entry is locked, MPRV makes M loads use S
// permissions, lock bit makes pmpcfg/pmpaddr read-only, access-fault
// causes (1/5/7) and mtval.
#include "test.h"

#define PAGE_A 0x80400000        /* entry 0: NAPOT 4 KiB, R */
#define PAGE_B 0x80500000        /* no entry */
#define TOR_LO 0x80600000        /* entries 2..3: TOR [lo, hi), RW */
#define TOR_HI 0x80601000
#define NA4_AT 0x80700000        /* entry 4: NA4, R */
#define PAGE_L 0x80800000        /* entry 6: NAPOT 4 KiB, R, locked */

#define NAPOT(base, size) (((base) >> 2) | (((size) >> 3) - 1))
#define CFG(i, v) ((v) << (8 * (i)))

/* In S-mode, access faults with (cause, tval); back in M afterwards. */
#define S_FAULT(n, cause, tval, insn...) \
  li TESTNUM, n; EXPECT_TRAP_AT(31341f); ENTER_S(31342f); 31342: insn; j test_fail; \
  31341: CHECK_TRAP(cause, tval)
#define U_FAULT(n, cause, tval, insn...) \
  li TESTNUM, n; EXPECT_TRAP_AT(31341f); ENTER_U(31342f); 31342: insn; j test_fail; \
  31341: CHECK_TRAP(cause, tval)

  .option norvc
TEST_BEGIN
  /* all 16 pmpaddr registers exist (pmpaddr15 is the suite's background) */
  li TESTNUM, 1
  CLEAR_TRAP
  .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14
  csrw pmpaddr\i, zero
  csrr a0, pmpaddr\i
  .endr
  csrr a0, pmpcfg0
  csrr a0, pmpcfg2
  CHECK_NO_TRAP
  /* granularity: write all ones to an OFF entry, read back */
  li TESTNUM, 2
  li a1, -1
  csrw pmpaddr0, a1
  csrr s0, pmpaddr0
#ifdef ISA_QEMU
  /* QEMU 7.2 deviation: pmpaddr bits 63:54 are writable (spec: 0) */
  slli s0, s0, 10
  srli s0, s0, 10
#endif
  srli a0, s0, 54                /* bits 63:54 are zero */
  CHECK(a0, 0)
  li a1, 0x003fffffffffffff
  xor a0, s0, a1                 /* low G bits cleared: 2^G - 1 */
  addi a1, a0, 1
  and a1, a1, a0
  CHECK(a1, 0)
  /* s1 = G */
  li s1, 0
1: andi a1, a0, 1
  beqz a1, 2f
  srli a0, a0, 1
  addi s1, s1, 1
  j 1b
2: li TESTNUM, 3
  csrw pmpaddr0, zero
  TEST_CASE(4, a0, 0x00123456789ab000, li a1, 0x00123456789ab000; csrw pmpaddr1, a1; csrr a0, pmpaddr1)

  /* every entry OFF: with PMP implemented, S/U accesses match nothing and
   * fail -- even the fetch of S's first instruction */
  csrw pmpcfg0, zero
  csrw pmpcfg2, zero
  sfence.vma
  li TESTNUM, 5
  EXPECT_TRAP_AT(2f)
  ENTER_S(1f)
1: ecall
2:
#ifdef ISA_QEMU
  /* QEMU 7.2 deviation: mret to S/U with no active PMP entry raises an
   * illegal-instruction exception on the mret itself */
  CHECK_TRAP(CAUSE_ILLEGAL_INSN, 0x30200073)
  j 3f
#endif
  CHECK_TRAP_CAUSE(CAUSE_FETCH_ACCESS)
  ld t5, trap_tval
  la t6, 1b
  CHECK_REG(t5, t6)
3:
  /* set up the map (background entry 15 off) */
  li a1, NAPOT(PAGE_A, 0x1000)
  csrw pmpaddr0, a1
  li a1, NAPOT(0x80000000, 0x100000)   /* the program: RWX */
  csrw pmpaddr1, a1
  li a1, TOR_LO >> 2
  csrw pmpaddr2, a1
  li a1, TOR_HI >> 2
  csrw pmpaddr3, a1
  li a1, NA4_AT >> 2
  csrw pmpaddr4, a1
  li a1, NAPOT(0x80000000, 0x01000000) /* 16 MiB RW, after entry 0 */
  csrw pmpaddr5, a1
  li a1, CFG(0, PMP_NAPOT | PMP_R) | CFG(1, PMP_NAPOT | PMP_R | PMP_W | PMP_X) | CFG(2, PMP_OFF) | CFG(3, PMP_TOR | PMP_R | PMP_W) | CFG(4, PMP_NA4 | PMP_R)
  csrw pmpcfg0, a1
  csrw pmpcfg2, zero
  sfence.vma
  csrr a0, pmpcfg0
  li t5, 0xff
  and a0, a0, t5
  li TESTNUM, 105
  CHECK(a0, PMP_NAPOT | PMP_R)

  /* S: R-only page */
  li a2, PAGE_A
  li a3, PAGE_A + 0xfff
  li TESTNUM, 6
  RUN_IN_S(ld a0, 0(a2); lbu a0, 0(a3))
  S_FAULT(7, CAUSE_STORE_ACCESS, PAGE_A + 8, sd zero, 8(a2))
  S_FAULT(8, CAUSE_FETCH_ACCESS, PAGE_A, jr a2)
  ld t5, trap_epc
  CHECK(t5, PAGE_A)
  /* no entry matches: S and U denied */
  li a2, PAGE_B
  S_FAULT(9, CAUSE_LOAD_ACCESS, PAGE_B, ld a0, 0(a2))
  S_FAULT(10, CAUSE_STORE_ACCESS, PAGE_B + 16, sw zero, 16(a2))
  U_FAULT(11, CAUSE_LOAD_ACCESS, PAGE_B, lb a0, 0(a2))
  U_FAULT(12, CAUSE_FETCH_ACCESS, PAGE_B, jr a2)
  /* M is not subject to unlocked entries */
  li TESTNUM, 13
  CLEAR_TRAP
  li a2, PAGE_B
  ld a0, 0(a2)
  sd a0, 0(a2)
  li a2, PAGE_A
  sd a0, 0(a2)
  CHECK_NO_TRAP
  /* ...but MPRV with MPP = S makes M loads/stores use S permissions */
  li TESTNUM, 14
  li a1, MSTATUS_MPP
  csrc mstatus, a1
  li a1, MSTATUS_MPRV | MSTATUS_MPP_S
  li a3, MSTATUS_MPRV
  li a2, PAGE_A
  EXPECT_TRAP
  csrs mstatus, a1
  sd a0, 0(a2)
  csrc mstatus, a3               /* (the trap's mret left MPP = U) */
  CHECK_TRAP(CAUSE_STORE_ACCESS, PAGE_A)
  /* TOR */
  li a2, TOR_LO
  li a3, TOR_HI - 8
  li TESTNUM, 15
  RUN_IN_S(sd a2, 0(a2); ld a0, 0(a3); sb a0, 7(a3))
  li a2, TOR_HI
  S_FAULT(16, CAUSE_LOAD_ACCESS, TOR_HI, lb a0, 0(a2))
  li a2, TOR_LO - 4
  S_FAULT(17, CAUSE_STORE_ACCESS, TOR_LO - 4, sw a0, 0(a2))
  /* TOR with pmpaddr[i-1] >= pmpaddr[i] matches nothing */
  li a1, TOR_HI >> 2
  csrw pmpaddr2, a1
#ifdef ISA_QEMU
  /* QEMU 7.2 deviation: writing pmpaddr2 does not re-evaluate entry 3's
   * TOR range; rewriting pmpaddr3 (same value) makes it do so. */
  li a1, TOR_HI >> 2
  csrw pmpaddr3, a1
#endif
  sfence.vma
  li a2, TOR_LO
  S_FAULT(18, CAUSE_LOAD_ACCESS, TOR_LO, ld a0, 0(a2))
  li a1, TOR_LO >> 2
  csrw pmpaddr2, a1
#ifdef ISA_QEMU
  li a1, TOR_HI >> 2
  csrw pmpaddr3, a1
#endif
  sfence.vma
  /* lowest-numbered entry wins: entry 5 (RW over 16 MiB) does not help
   * PAGE_A (entry 0, R) but does give PAGE_B */
  li a1, CFG(5, PMP_NAPOT | PMP_R | PMP_W)
  csrs pmpcfg0, a1
  sfence.vma
  li a2, PAGE_A
  S_FAULT(19, CAUSE_STORE_ACCESS, PAGE_A, sd a0, 0(a2))
  li a2, PAGE_B
  li TESTNUM, 20
  RUN_IN_S(sd a0, 0(a2); ld a0, 0(a2))
  li a1, CFG(5, 0xff)
  csrc pmpcfg0, a1
  sfence.vma

  /* NA4: only when G = 0 */
  bnez s1, 9f
  li TESTNUM, 21
  csrr a0, pmpcfg0
  srli a0, a0, 32
  andi a0, a0, 0xff
  CHECK(a0, PMP_NA4 | PMP_R)
  li a2, NA4_AT
  li TESTNUM, 22
  RUN_IN_S(lw a0, 0(a2))
  S_FAULT(23, CAUSE_LOAD_ACCESS, NA4_AT + 4, lw a0, 4(a2))
  S_FAULT(24, CAUSE_LOAD_ACCESS, NA4_AT, ld a0, 0(a2))     /* partial match fails */
  S_FAULT(25, CAUSE_STORE_ACCESS, NA4_AT, sw a0, 0(a2))
9:
  /* lock bit: applies to M, makes the entry read-only */
  li a1, NAPOT(PAGE_L, 0x1000)
  csrw pmpaddr6, a1
  li a1, CFG(6, PMP_L | PMP_NAPOT | PMP_R)
  csrs pmpcfg0, a1
  sfence.vma
  li TESTNUM, 26
  li a2, PAGE_L
  CLEAR_TRAP
  ld a0, 0(a2)
  CHECK_NO_TRAP
  li TESTNUM, 27
  EXPECT_TRAP
  sd a0, 0(a2)
  CHECK_TRAP(CAUSE_STORE_ACCESS, PAGE_L)
  li TESTNUM, 28
  EXPECT_TRAP_AT(1f)
  jalr a2
1: CHECK_TRAP(CAUSE_FETCH_ACCESS, PAGE_L)
  li a1, CFG(6, 0xff)            /* locked: writes ignored */
  csrc pmpcfg0, a1
  csrr a0, pmpcfg0
  srli a0, a0, 48
  andi a0, a0, 0xff
  li TESTNUM, 29
  CHECK(a0, PMP_L | PMP_NAPOT | PMP_R)
  li TESTNUM, 30
  csrw pmpaddr6, zero
  csrr a0, pmpaddr6
  CHECK(a0, NAPOT(PAGE_L, 0x1000))
  /* other entries in the same pmpcfg stay writable */
  li TESTNUM, 31
  li a1, CFG(7, PMP_NAPOT | PMP_R)
  csrs pmpcfg0, a1
  csrr a0, pmpcfg0
  srli a0, a0, 56
  CHECK(a0, PMP_NAPOT | PMP_R)
TEST_END
