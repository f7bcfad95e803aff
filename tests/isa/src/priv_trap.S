// Traps and privilege changes: ecall from U/S/M (8/9/11, mtval 0, mepc),
// ebreak (3, mtval 0 or pc), illegal instruction mtval (16 and 32 bits),
// access faults with mtval (load/store/fetch, unmapped and past the end
// of RAM), instruction-address-misaligned when C can be switched off,
// mret/sret state changes (MIE/MPIE/MPP/SIE/SPIE/SPP/MPRV), medeleg to S
// with scause/stval/sepc/SPP/SPIE, traps never go to a lower privilege,
// TSR, TVM, TW, mret/sret from lower modes, wfi completing with a pending
// but disabled interrupt.
#include "test.h"

#define STATUS_MASK (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP | MSTATUS_MPRV)
#define UNMAPPED 0x40000000
#define RAM_END  0x88000000

  .option norvc
TEST_BEGIN
  /* ecall from M */
  li TESTNUM, 1
  EXPECT_TRAP
1: ecall
  CHECK_TRAP(CAUSE_MACHINE_ECALL, 0)
  CHECK_TRAP_EPC(1b)
  /* mstatus at the trap: MPP = M, MPIE = old MIE (0), MIE = 0 */
  ld a0, trap_mstatus
  li t5, STATUS_MASK
  and a0, a0, t5
  CHECK(a0, MSTATUS_MPP)
  /* ecall from S and U */
  li TESTNUM, 2
  RUN_IN_S(nop)
  ld a0, trap_mstatus
  li t5, MSTATUS_MPP
  and a0, a0, t5
  CHECK(a0, MSTATUS_MPP_S)
  li TESTNUM, 3
  RUN_IN_U(nop)
  ld a0, trap_mstatus
  li t5, MSTATUS_MPP
  and a0, a0, t5
  CHECK(a0, 0)
  /* mepc of an ecall in U */
  li TESTNUM, 4
  EXPECT_TRAP_AT(2f)
  ENTER_U(1f)
1: ecall
2: CHECK_TRAP(CAUSE_USER_ECALL, 0)
  CHECK_TRAP_EPC(1b)

  /* ebreak: cause 3, mtval = 0 or the pc of the ebreak */
  li TESTNUM, 5
  EXPECT_TRAP
1: ebreak
  CHECK_TRAP_CAUSE(CAUSE_BREAKPOINT)
  CHECK_TRAP_EPC(1b)
  ld a0, trap_tval
  beqz a0, 2f
  la a1, 1b
  CHECK_REG(a0, a1)
2:
  li TESTNUM, 6
  EXPECT_TRAP_AT(2f)
  ENTER_U(1f)
1: ebreak
2: CHECK_TRAP_CAUSE(CAUSE_BREAKPOINT)
  CHECK_TRAP_EPC(1b)

  /* illegal instruction: mtval = the instruction */
  li TESTNUM, 7
  EXPECT_TRAP
  .word 0xfe000033
  CHECK_TRAP(CAUSE_ILLEGAL_INSN, 0xfe000033)
  li TESTNUM, 8
  EXPECT_TRAP
  .half 0x8002                  /* c.jr x0: reserved */
  .half 0x0001
  CHECK_TRAP(CAUSE_ILLEGAL_INSN, 0x8002)
  li TESTNUM, 9
  EXPECT_TRAP_AT(2f)
  ENTER_U(1f)
1: .word 0x0000707f             /* no such instruction */
2: CHECK_TRAP(CAUSE_ILLEGAL_INSN, 0x0000707f)
  CHECK_TRAP_EPC(1b)

  /* access faults */
  li TESTNUM, 10
  li a1, UNMAPPED
  EXPECT_TRAP
  ld a0, 0(a1)
  CHECK_TRAP(CAUSE_LOAD_ACCESS, UNMAPPED)
  li TESTNUM, 11
  EXPECT_TRAP
  sw a0, 8(a1)
  CHECK_TRAP(CAUSE_STORE_ACCESS, UNMAPPED + 8)
  li TESTNUM, 12
  li a1, RAM_END
  EXPECT_TRAP
  lbu a0, 0(a1)
  CHECK_TRAP(CAUSE_LOAD_ACCESS, RAM_END)
  li TESTNUM, 13
  li a1, RAM_END - 8
  CLEAR_TRAP
  ld a0, 0(a1)
  sd a0, 0(a1)
  CHECK_NO_TRAP
  li TESTNUM, 14
  EXPECT_TRAP_AT(1f)
  li a1, UNMAPPED + 0x100
  jalr a1
1: CHECK_TRAP(CAUSE_FETCH_ACCESS, UNMAPPED + 0x100)
  ld a0, trap_epc
  CHECK(a0, UNMAPPED + 0x100)
  li TESTNUM, 15                /* fetch fault from U-mode too */
  EXPECT_TRAP_AT(1f)
  ENTER_U_VA(RAM_END)
1: CHECK_TRAP(CAUSE_FETCH_ACCESS, RAM_END)

  /* misaligned fetch: only possible if misa.C can be cleared */
  li TESTNUM, 16
  li a1, 1 << 2
  csrc misa, a1
  csrr a0, misa
  andi a0, a0, 1 << 2
  bnez a0, 3f                   /* C is read-only: jalr/jal can't misalign */
  la a1, 2f + 2
  EXPECT_TRAP
1: jalr a1
  CHECK_TRAP_CAUSE(CAUSE_MISALIGNED_FETCH)
  CHECK_TRAP_EPC(1b)            /* reported on the jump */
  ld t5, trap_tval
  CHECK_REG(t5, a1)             /* mtval = target */
2: nop
  nop
3: li a1, 1 << 2
  csrs misa, a1
  TEST_CASE(17, a0, 0x800000000014112d, csrr a0, misa)

  /* mret: MIE <- MPIE, MPIE <- 1, MPP <- U, privilege <- MPP; MPRV kept
   * when returning to M */
  li TESTNUM, 20
  li a1, STATUS_MASK
  csrc mstatus, a1
  li a1, MSTATUS_MPP | MSTATUS_MPRV
  csrs mstatus, a1
  la a1, 1f
  csrw mepc, a1
  mret
1: csrr a0, mstatus
  li t5, STATUS_MASK
  and a0, a0, t5
  CHECK(a0, MSTATUS_MPIE | MSTATUS_MPRV)
  li TESTNUM, 21
  li a1, STATUS_MASK
  csrc mstatus, a1
  li a1, MSTATUS_MPP | MSTATUS_MPIE
  csrs mstatus, a1
  la a1, 1f
  csrw mepc, a1
  mret
1: csrr a0, mstatus
  li t5, STATUS_MASK
  and a0, a0, t5
  CHECK(a0, MSTATUS_MPIE | MSTATUS_MIE)
  li a1, MSTATUS_MIE
  csrc mstatus, a1
  /* mret to S clears MPRV; the ecall back shows MPP = S, MPIE = 1 */
  li TESTNUM, 22
  li a1, STATUS_MASK
  csrc mstatus, a1
  li a1, MSTATUS_MPRV | MSTATUS_MPIE
  csrs mstatus, a1
  RUN_IN_S(nop)
  ld a0, trap_mstatus
  li t5, STATUS_MASK
  and a0, a0, t5
#ifdef ISA_QEMU
  /* QEMU 7.2 deviation: mret to a mode below M does not clear MPRV */
  li t5, ~MSTATUS_MPRV
  and a0, a0, t5
#endif
  CHECK(a0, MSTATUS_MPP_S | MSTATUS_MPIE)
  /* sret from S to U: SIE <- SPIE, SPIE <- 1, SPP <- U */
  li TESTNUM, 23
  li a1, STATUS_MASK
  csrc mstatus, a1
  EXPECT_TRAP_AT(2f)
  ENTER_S(1f)
1: li a1, MSTATUS_SPIE
  csrs sstatus, a1
  S_ENTER_U(3f)
3: ecall
2: CHECK_TRAP(CAUSE_USER_ECALL, 0)
  ld a0, trap_mstatus
  li t5, STATUS_MASK
  and a0, a0, t5
  CHECK(a0, MSTATUS_SIE | MSTATUS_SPIE)
  li a1, MSTATUS_SIE
  csrc mstatus, a1
  /* sret executed in M: goes to SPP (S), clears MPRV */
  li TESTNUM, 24
  li a1, STATUS_MASK
  csrc mstatus, a1
  li a1, MSTATUS_SPP | MSTATUS_MPRV
  csrs mstatus, a1
  EXPECT_TRAP_AT(2f)
  la a1, 1f
  csrw sepc, a1
  sret
1: ecall
2: CHECK_TRAP(CAUSE_SUPERVISOR_ECALL, 0)
  ld a0, trap_mstatus
  li t5, STATUS_MASK
  and a0, a0, t5
#ifdef ISA_QEMU
  li t5, ~MSTATUS_MPRV  /* same deviation for sret */
  and a0, a0, t5
#endif
  CHECK(a0, MSTATUS_MPP_S | MSTATUS_SPIE)
  li a1, MSTATUS_MPRV
  csrc mstatus, a1

  /* privileged instructions from lower modes */
  .macro S_ILLEGAL n, insn:vararg
  li TESTNUM, \n
  EXPECT_TRAP_AT(2f)
  ENTER_S(1f)
1: \insn
  ecall
2: CHECK_TRAP_CAUSE(CAUSE_ILLEGAL_INSN)
  CHECK_TRAP_EPC(1b)
  ld t5, trap_tval
  la t6, 1b
  lwu t6, 0(t6)
  CHECK_REG(t5, t6)
  .endm
  .macro U_ILLEGAL n, insn:vararg
  li TESTNUM, \n
  EXPECT_TRAP_AT(2f)
  ENTER_U(1f)
1: \insn
  ecall
2: CHECK_TRAP_CAUSE(CAUSE_ILLEGAL_INSN)
  CHECK_TRAP_EPC(1b)
  ld t5, trap_tval
  la t6, 1b
  lwu t6, 0(t6)
  CHECK_REG(t5, t6)
  .endm
  S_ILLEGAL 30, mret
  U_ILLEGAL 31, mret
  U_ILLEGAL 32, sret
  U_ILLEGAL 33, sfence.vma
  U_ILLEGAL 34, csrr a0, satp
  /* TSR */
  li a1, MSTATUS_TSR
  csrs mstatus, a1
  S_ILLEGAL 35, sret
  csrc mstatus, a1
  /* TVM */
  li a1, MSTATUS_TVM
  csrs mstatus, a1
  S_ILLEGAL 36, csrr a0, satp
  S_ILLEGAL 37, csrw satp, zero
  S_ILLEGAL 38, sfence.vma
  S_ILLEGAL 39, sfence.vma a0, a1
  li TESTNUM, 40                /* M is not affected by TVM */
  CLEAR_TRAP
  csrr a0, satp
  sfence.vma
  CHECK_NO_TRAP
  li a1, MSTATUS_TVM
  csrc mstatus, a1
  li TESTNUM, 41
  RUN_IN_S(csrr a0, satp; csrw satp, zero; sfence.vma)
  /* TW */
  li a1, MSTATUS_TW
  csrs mstatus, a1
  S_ILLEGAL 42, wfi
  U_ILLEGAL 43, wfi
  li a1, MSTATUS_TW
  csrc mstatus, a1
  /* wfi completes when an enabled-in-mie interrupt is pending, even with
   * MIE = 0 (no trap taken) */
  li TESTNUM, 44
  li a1, MSTATUS_MIE
  csrc mstatus, a1
  li a1, MIP_MSIP
  csrw mie, a1
  li a2, CLINT_MSIP
  li a3, 1
  sw a3, 0(a2)
  CLEAR_TRAP
  wfi
  CHECK_NO_TRAP
  TEST_CASE(45, a0, MIP_MSIP, csrr a0, mip; andi a0, a0, MIP_MSIP)
  sw zero, 0(a2)
  TEST_CASE(46, a0, 0, csrr a0, mip; andi a0, a0, MIP_MSIP)
  csrw mie, zero
  li TESTNUM, 47                /* and from S with TW = 0 */
  li a1, MIP_MSIP
  csrw mie, a1
  li a3, 1
  sw a3, 0(a2)
  /* in S the pending M interrupt is taken (M interrupts are always
   * enabled below M): it arrives at wfi or right after it */
  EXPECT_TRAP_AT(2f)
  ENTER_S(1f)
1: wfi
  j 1b
2: CHECK_TRAP_CAUSE(CAUSE_INTR | IRQ_M_SOFT)
  csrw mie, zero

  /* delegation */
  INSTALL_STVEC
  li a1, (1 << CAUSE_ILLEGAL_INSN) | (1 << CAUSE_BREAKPOINT) | (1 << CAUSE_LOAD_ACCESS) | (1 << CAUSE_USER_ECALL)
  csrw medeleg, a1
  /* illegal in U -> S handler, which resumes in S; S ecall -> M */
  li TESTNUM, 50
  S_EXPECT_TRAP_AT(3f)
  EXPECT_TRAP_AT(2f)
  ENTER_U(1f)
1: .word 0x0000707f
3: ecall
2: CHECK_TRAP(CAUSE_SUPERVISOR_ECALL, 0)
  S_CHECK_TRAP(CAUSE_ILLEGAL_INSN, 0x0000707f)
  ld t5, strap_epc
  la t6, 1b
  CHECK_REG(t5, t6)
  ld t5, strap_sstatus
  andi t5, t5, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
  CHECK(t5, 0)
  /* traps never go to a lower privilege: M-mode illegal stays in M */
  li TESTNUM, 51
  S_CLEAR_TRAP
  EXPECT_TRAP
  .word 0x0000707f
  CHECK_TRAP(CAUSE_ILLEGAL_INSN, 0x0000707f)
  S_CHECK_NO_TRAP
  /* ebreak in S with SIE = 1: SPP = S, SPIE = 1, SIE = 0; sret restores SIE */
  li TESTNUM, 52
  EXPECT_TRAP_AT(2f)
  S_EXPECT_TRAP
  ENTER_S(1f)
1: li a1, MSTATUS_SIE
  csrs sstatus, a1
4: ebreak
  ecall
2: CHECK_TRAP(CAUSE_SUPERVISOR_ECALL, 0)
  ld a0, trap_mstatus
  andi a0, a0, MSTATUS_SIE
  CHECK(a0, MSTATUS_SIE)
  S_CHECK_TRAP_CAUSE(CAUSE_BREAKPOINT)
  ld t5, strap_epc
  la t6, 4b
  CHECK_REG(t5, t6)
  ld t5, strap_sstatus
  andi t5, t5, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
  CHECK(t5, MSTATUS_SPP | MSTATUS_SPIE)
  li a1, MSTATUS_SIE
  csrc mstatus, a1
  /* load access fault in S -> S: stval = address */
  li TESTNUM, 53
  li a1, UNMAPPED + 0x28
  S_EXPECT_TRAP
  RUN_IN_S(ld a0, 0(a1))
  S_CHECK_TRAP(CAUSE_LOAD_ACCESS, UNMAPPED + 0x28)
  /* ecall from U delegated: scause 8 */
  li TESTNUM, 54
  S_EXPECT_TRAP_AT(3f)
  EXPECT_TRAP_AT(2f)
  ENTER_U(1f)
1: ecall
3: ecall
2: CHECK_TRAP(CAUSE_SUPERVISOR_ECALL, 0)
  S_CHECK_TRAP(CAUSE_USER_ECALL, 0)
  /* store access fault not delegated: goes to M even from U */
  li TESTNUM, 55
  li a1, UNMAPPED
  EXPECT_TRAP_AT(2f)
  ENTER_U(1f)
1: sd a1, 0(a1)
2: CHECK_TRAP(CAUSE_STORE_ACCESS, UNMAPPED)
  csrw medeleg, zero
TEST_END
