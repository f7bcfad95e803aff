// Interrupts: MSIP via CLINT msip, MTIP via mtimecmp (and mip.MTIP
// following mtime >= mtimecmp), SSIP/STIP written by M, mie/sie masks,
// global MIE/SIE and "interrupts for a higher privilege are always
// enabled below it", delegated interrupts never taken in M, priority
// MEI > MSI > MTI > SEI > SSI > STI and M-level before S-level, mcause
// values, vectored mtvec/stvec (interrupts at base + 4*cause, exceptions
// at base), wfi wake-up with mepc = wfi + 4.
#include "test.h"

#define LOG(i, val) ld t5, trap_log + 8*(i); CHECK(t5, val)
#define LOG_RESET   la t5, log_count; sd zero, 0(t5)
#define CHECK_LOGS(n) ld t5, log_count; CHECK(t5, n)
#define MIE_ON      csrsi mstatus, MSTATUS_MIE
#define MIE_OFF     csrci mstatus, MSTATUS_MIE
#define SET_MSIP    li t5, CLINT_MSIP; li t6, 1; sw t6, 0(t5)
#define CLR_MSIP    li t5, CLINT_MSIP; sw zero, 0(t5)
/* mtimecmp = mtime + d */
#define TIMER_IN(d) li t5, CLINT_MTIME; ld t6, 0(t5); addi t6, t6, d; li t5, CLINT_MTIMECMP; sd t6, 0(t5)
#define TIMER_OFF   li t5, CLINT_MTIMECMP; li t6, -1; sd t6, 0(t5)
#define SPIN(label) label: j label ## b

  .option norvc
TEST_BEGIN
  /* MSIP */
  li TESTNUM, 1
  li a1, MIP_MSIP
  csrw mie, a1
  MIE_ON
  EXPECT_TRAP_AT(2f)
  SET_MSIP
  SPIN(1)
2: CHECK_TRAP(CAUSE_INTR | IRQ_M_SOFT, 0)
  TEST_CASE(2, a0, MSTATUS_MIE, csrr a0, mstatus; andi a0, a0, MSTATUS_MIE)  /* mret restored MIE from MPIE */
  MIE_OFF
  ld a0, trap_mstatus
  andi a0, a0, MSTATUS_MPIE
  CHECK(a0, MSTATUS_MPIE)
  TEST_CASE(3, a0, 0, csrr a0, mip; andi a0, a0, MIP_MSIP)

  /* masked by mie: pending but not taken */
  li TESTNUM, 4
  csrw mie, zero
  MIE_ON
  CLEAR_TRAP
  SET_MSIP
  li a0, 100
1: addi a0, a0, -1
  bnez a0, 1b
  CHECK_NO_TRAP
  TEST_CASE(5, a0, MIP_MSIP, csrr a0, mip; andi a0, a0, MIP_MSIP)
  MIE_OFF
  li a1, MIP_MSIP             /* MIE = 0: not taken in M either */
  csrw mie, a1
  li TESTNUM, 6
  li a0, 100
1: addi a0, a0, -1
  bnez a0, 1b
  CHECK_NO_TRAP
  CLR_MSIP
  TEST_CASE(7, a0, 0, csrr a0, mip; andi a0, a0, MIP_MSIP)

  /* MTIP follows mtime >= mtimecmp */
  li TESTNUM, 8
  csrw mie, zero
  li t5, CLINT_MTIMECMP
  sd zero, 0(t5)
  li a0, 0
1: csrr a0, mip
  andi a0, a0, MIP_MTIP
  beqz a0, 1b
  TIMER_OFF
  li a1, 1000
1: csrr a0, mip
  andi a0, a0, MIP_MTIP
  beqz a0, 2f
  addi a1, a1, -1
  bnez a1, 1b
  j test_fail
2: /* timer interrupt */
  li TESTNUM, 9
  li a1, MIP_MTIP
  csrw mie, a1
  MIE_ON
  EXPECT_TRAP_AT(2f)
  TIMER_IN(50)
  SPIN(1)
2: CHECK_TRAP(CAUSE_INTR | IRQ_M_TIMER, 0)
  /* wfi: the trap is taken with mepc = wfi + 4 */
  li TESTNUM, 10
  MIE_ON
  EXPECT_TRAP
  TIMER_IN(100)
3: wfi
  CHECK_TRAP(CAUSE_INTR | IRQ_M_TIMER, 0)
  CHECK_TRAP_EPC(3b + 4)
  MIE_OFF

  /* MTIP and MSIP are read-only in mip; CLINT registers read back */
  TEST_CASE(60, a0, 0, li a1, MIP_MTIP | MIP_MSIP; csrs mip, a1; csrr a0, mip)
  TEST_CASE(61, a0, 1, SET_MSIP; li a1, CLINT_MSIP; lw a0, 0(a1))
  TEST_CASE(62, a0, MIP_MSIP, csrr a0, mip)
  TEST_CASE(63, a0, 0, CLR_MSIP; li a1, CLINT_MSIP; lw a0, 0(a1))
  TEST_CASE(64, a0, 0x123456789abcdef0, li a1, CLINT_MTIMECMP; li a2, 0x123456789abcdef0; sd a2, 0(a1); ld a0, 0(a1))
  TIMER_OFF

  /* SSIP / STIP not delegated: M-mode interrupts with causes 1 / 5 */
  li TESTNUM, 11
  li a1, MIP_SSIP
  csrw mie, a1
  MIE_ON
  EXPECT_TRAP_AT(2f)
  csrs mip, a1
  SPIN(1)
2: CHECK_TRAP(CAUSE_INTR | IRQ_S_SOFT, 0)
  li TESTNUM, 12
  li a1, MIP_STIP
  csrw mie, a1
  MIE_ON
  EXPECT_TRAP_AT(2f)
  csrs mip, a1
  SPIN(1)
2: CHECK_TRAP(CAUSE_INTR | IRQ_S_TIMER, 0)
  TEST_CASE(13, a0, 0, csrr a0, mip)

  /* priority among M-handled interrupts: MSI > MTI > SSI > STI */
  li TESTNUM, 14
  MIE_OFF
  li a1, MIP_MSIP | MIP_MTIP | MIP_SSIP | MIP_STIP
  csrw mie, a1
  li a1, MIP_SSIP | MIP_STIP
  csrs mip, a1
  SET_MSIP
  li t5, CLINT_MTIMECMP
  sd zero, 0(t5)
1: csrr a0, mip                 /* wait until all four are pending */
  li t5, MIP_MSIP | MIP_MTIP | MIP_SSIP | MIP_STIP
  and a0, a0, t5
  bne a0, t5, 1b
  CLEAR_TRAP
  LOG_RESET
  SET_TRAP_MODE(TM_PERSIST)
  MIE_ON
  nop
  nop
  MIE_OFF
  NO_TRAPS
  CHECK_LOGS(4)
#ifdef ISA_QEMU
  /* QEMU 7.2 deviation: without AIA it takes the lowest-numbered pending
   * interrupt first (SSI, MSI, STI, MTI). */
  LOG(0, LOG_M_IRQ(IRQ_S_SOFT))
  LOG(1, LOG_M_IRQ(IRQ_M_SOFT))
  LOG(2, LOG_M_IRQ(IRQ_S_TIMER))
  LOG(3, LOG_M_IRQ(IRQ_M_TIMER))
#else
  LOG(0, LOG_M_IRQ(IRQ_M_SOFT))
  LOG(1, LOG_M_IRQ(IRQ_M_TIMER))
  LOG(2, LOG_M_IRQ(IRQ_S_SOFT))
  LOG(3, LOG_M_IRQ(IRQ_S_TIMER))
#endif
  csrw mie, zero

  /* delegated S interrupts */
  INSTALL_STVEC
  li a1, MIP_SSIP | MIP_STIP
  csrw mideleg, a1
  /* never taken in M, even with MIE = 1 */
  li TESTNUM, 15
  li a1, MIP_SSIP | MIP_STIP
  csrw mie, a1
  csrs mip, a1
  MIE_ON
  CLEAR_TRAP
  S_CLEAR_TRAP
  nop
  nop
  CHECK_NO_TRAP
  S_CHECK_NO_TRAP
  MIE_OFF
  /* in S with SIE = 0: not taken; pending visible in sip */
  li TESTNUM, 16
  RUN_IN_S(nop; nop; csrr a0, sip)
  CHECK(a0, MIP_SSIP | MIP_STIP)
  S_CHECK_NO_TRAP
  /* in S with SIE = 1: SSI before STI, in the S handler */
  li TESTNUM, 17
  LOG_RESET
  S_CLEAR_TRAP
  S_SET_TRAP_MODE(TM_PERSIST)
  RUN_IN_S(csrsi sstatus, MSTATUS_SIE; nop; nop; csrci sstatus, MSTATUS_SIE)
  S_NO_TRAPS
  ld t5, strap_count
  CHECK(t5, 2)
  CHECK_LOGS(3)                /* two S interrupts and the ecall */
  LOG(0, LOG_S_IRQ(IRQ_S_SOFT))
  LOG(1, LOG_S_IRQ(IRQ_S_TIMER))
  LOG(2, LOG_M_EXC(CAUSE_SUPERVISOR_ECALL))
  TEST_CASE(18, a0, MIP_STIP, csrr a0, mip)   /* SSIP cleared by S, STIP masked by S */
  TEST_CASE(19, a0, MIP_SSIP, csrr a0, mie)
  /* in U: S interrupts are enabled whatever SIE says */
  li TESTNUM, 20
  csrw mip, zero
  li a1, MIP_SSIP | MIP_STIP
  csrw mie, a1
  LOG_RESET
  S_CLEAR_TRAP
  S_SET_TRAP_MODE(TM_PERSIST)
  li a1, MIP_SSIP
  RUN_IN_U(nop; nop)
  csrs mip, a1                 /* (set from M between: pending, taken in U) */
  li TESTNUM, 21
  S_CHECK_NO_TRAP
  S_SET_TRAP_MODE(TM_PERSIST)
  EXPECT_TRAP_AT(2f)
  ENTER_U(1f)
1: nop
  nop
  ecall
2: CHECK_TRAP(CAUSE_USER_ECALL, 0)
  S_NO_TRAPS
  ld t5, strap_count
  CHECK(t5, 1)
  ld t5, strap_cause
  CHECK(t5, CAUSE_INTR | IRQ_S_SOFT)
  ld t5, strap_sstatus
  andi t5, t5, MSTATUS_SPP
  CHECK(t5, 0)                 /* taken from U */
  /* wfi in S completes on a pending, sie-enabled S interrupt even with
   * SIE = 0 (and no trap is taken) */
  li TESTNUM, 23
  li a1, MIP_SSIP
  csrw mie, a1
  csrs mip, a1
  S_CLEAR_TRAP
  RUN_IN_S(csrci sstatus, MSTATUS_SIE; wfi; csrr a0, sip; csrci sip, MIP_SSIP)
  CHECK(a0, MIP_SSIP)
  S_CHECK_NO_TRAP
  TEST_CASE(24, a0, 0, csrr a0, mip)

  /* M-level interrupt while in S with SIE = 1 and an S interrupt pending:
   * M first */
  li TESTNUM, 22
  li a1, MIP_SSIP | MIP_MSIP
  csrw mie, a1
  MIE_OFF
  LOG_RESET
  S_CLEAR_TRAP
  S_SET_TRAP_MODE(TM_PERSIST)
  CLEAR_TRAP
  EXPECT_TRAP_AT(2f)
  SET_TRAP_MODE(TM_PERSIST)
  li a1, MIP_SSIP
  csrs mip, a1
  SET_MSIP
  ENTER_S(1f)
1: csrsi sstatus, MSTATUS_SIE
  nop
  nop
  csrci sstatus, MSTATUS_SIE
  NO_TRAPS
  SET_TRAP_MODE(TM_RESUME)
  ecall
2: NO_TRAPS
  S_NO_TRAPS
  CHECK_LOGS(3)
  LOG(0, LOG_M_IRQ(IRQ_M_SOFT))
  LOG(1, LOG_S_IRQ(IRQ_S_SOFT))
  LOG(2, LOG_M_EXC(CAUSE_SUPERVISOR_ECALL))
  csrw mie, zero
  csrw mideleg, zero
  csrw mip, zero

  /* vectored mtvec */
  li TESTNUM, 30
  la a1, mvec
  ori a1, a1, 1
  csrw mtvec, a1
  li a1, MIP_MSIP | MIP_MTIP
  csrw mie, a1
  MIE_ON
  EXPECT_TRAP_AT(2f)
  SET_MSIP
  SPIN(1)
2: CHECK_TRAP(CAUSE_INTR | IRQ_M_SOFT, 0)
  ld a0, mtrap_frame - 8
  CHECK(a0, IRQ_M_SOFT)
  li TESTNUM, 31
  EXPECT_TRAP_AT(2f)
  TIMER_IN(20)
  SPIN(1)
2: CHECK_TRAP(CAUSE_INTR | IRQ_M_TIMER, 0)
  ld a0, mtrap_frame - 8
  CHECK(a0, IRQ_M_TIMER)
  MIE_OFF
  li TESTNUM, 32               /* exceptions use the base */
  EXPECT_TRAP
  ecall
  CHECK_TRAP(CAUSE_MACHINE_ECALL, 0)
  ld a0, mtrap_frame - 8
  CHECK(a0, 0)
  la a1, trap_entry
  csrw mtvec, a1
  /* vectored stvec */
  li TESTNUM, 33
  la a1, svec
  ori a1, a1, 1
  csrw stvec, a1
  li a1, MIP_STIP
  csrw mideleg, a1
  csrw mie, a1
  csrs mip, a1
  S_CLEAR_TRAP
  S_SET_TRAP_MODE(TM_SKIP)
  RUN_IN_S(csrsi sstatus, MSTATUS_SIE; nop; nop; csrci sstatus, MSTATUS_SIE)
  S_CHECK_TRAP(CAUSE_INTR | IRQ_S_TIMER, 0)
  ld a0, strap_frame - 8
  CHECK(a0, IRQ_S_TIMER)
  csrw mip, zero
  csrw mie, zero
  csrw mideleg, zero
TEST_END

  /* vector tables: entry i records i below the handler frame and jumps
   * to the common handler */
  .macro VSTUB i, scratch, common
vstub\scratch\i:
  csrrw sp, \scratch, sp
  sd t0, 0(sp)
  li t0, \i
  sd t0, -8(sp)
  ld t0, 0(sp)
  csrrw sp, \scratch, sp
  j \common
  .endm
  .align 8
mvec:
  .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  j vstubmscratch\i
  .endr
  .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  VSTUB \i, mscratch, trap_entry
  .endr
  .align 8
svec:
  .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  j vstubsscratch\i
  .endr
  .irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  VSTUB \i, sscratch, strap_entry
  .endr
