// Machine/supervisor CSRs: misa, ids, mstatus/sstatus fields and masks
// (sstatus is a view of mstatus), MPP/UXL/SXL WARL, mie/mip/sie/sip and
// mideleg/medeleg masks, mepc/sepc alignment, mtvec modes, satp mode
// WARL, menvcfg/senvcfg, unknown CSRs and writes to read-only CSRs ->
// illegal with mtval = instruction bits, csrrs/csrrc with x0 to read-only
// CSRs legal, pmpcfg1 absent on RV64, minstret/mcycle write-then-read,
// time = CLINT mtime, counter access from S/U gated by m/scounteren.
#include "test.h"

/* Expect an illegal-instruction trap with mtval = the (32-bit) bits. */
#define ILLEGAL(n, insn...) \
  li TESTNUM, n; EXPECT_TRAP; 31340: insn; \
  CHECK_TRAP_CAUSE(CAUSE_ILLEGAL_INSN); ld t5, trap_tval; la t6, 31340b; lwu t6, 0(t6); CHECK_REG(t5, t6)
#define LEGAL(n, insn...) \
  li TESTNUM, n; CLEAR_TRAP; insn; CHECK_NO_TRAP

/* Read mstatus/sstatus. QEMU 7.2 deviations normalised on QEMU only:
 * UXL reads 3, VS and the H-only GVA/MPV bits are writable without V/H. */
#ifdef ISA_QEMU
#define READ_STATUS(reg, csr) csrr reg, csr; li t5, ~(MSTATUS_VS | (3 << 38) | MSTATUS_UXL); \
  and reg, reg, t5; li t5, 2 << 32; or reg, reg, t5
#else
#define READ_STATUS(reg, csr) csrr reg, csr
#endif

/* QEMU 7.2 deviation: the VS-level (H) and LCOFI interrupt bits of
 * mie/mip/mideleg/sie/sip are writable with H disabled. */
#ifdef ISA_QEMU
#define READ_IRQ(reg, csr) csrr reg, csr; li t5, ~0x2444; and reg, reg, t5
#else
#define READ_IRQ(reg, csr) csrr reg, csr
#endif

  .option norvc
TEST_BEGIN
  TEST_CASE(1, a0, 0x800000000014112d, csrr a0, misa)   /* RV64 IMAFDC S U */
  TEST_CASE(2, a0, 0, csrr a0, mhartid)
  LEGAL(3, csrr a0, mvendorid; csrr a0, marchid; csrr a0, mimpid; csrr a0, mconfigptr)

  /* mstatus: every writable field of RV64GC+S+U; UXL = SXL = 2; SD */
  li a1, -1
  csrw mstatus, a1
  TEST_CASE(4, a0, 0x8000000a007e79aa, READ_STATUS(a0, mstatus))
  /* sstatus view */
  TEST_CASE(5, a0, 0x80000002000c6122, READ_STATUS(a0, sstatus))
  /* UXL/SXL are read-only 2 */
  TEST_CASE(6, a0, 0xa00000000, csrw mstatus, zero; READ_STATUS(a0, mstatus))
  /* writing sstatus only touches its bits */
  li a1, -1
  csrw sstatus, a1
  TEST_CASE(7, a0, 0x8000000a000c6122, READ_STATUS(a0, mstatus))
  li a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TVM | MSTATUS_MPRV
  csrs mstatus, a1
  csrw sstatus, zero
  TEST_CASE(8, a0, 0xa00000000 | MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TVM | MSTATUS_MPRV, READ_STATUS(a0, mstatus))
  /* MPP is WARL: 2 (H-mode) is not a legal value */
  li TESTNUM, 9
  csrw mstatus, zero
  li a1, 2 << 11
  csrw mstatus, a1
  csrr a0, mstatus
  srli a0, a0, 11
  andi a0, a0, 3
#ifndef ISA_QEMU   /* QEMU 7.2 deviation: MPP keeps the reserved value 2 */
  CHECK_NE(a0, 2)
#endif
  csrw mstatus, zero
  li a1, MSTATUS_FS_INITIAL
  csrw mstatus, a1

  /* interrupt enable / pending masks */
  TEST_CASE(10, a0, 0xaaa, li a1, -1; csrw mie, a1; READ_IRQ(a0, mie))
  TEST_CASE(11, a0, 0x222, li a1, -1; csrw mideleg, a1; READ_IRQ(a0, mideleg))
  TEST_CASE(12, a0, 0x222, READ_IRQ(a0, sie))             /* delegated bits only */
  TEST_CASE(13, a0, 0, csrw mideleg, zero; READ_IRQ(a0, sie))   /* not delegated: zero */
  li a1, 0x222
  csrw mideleg, a1
  csrw sie, zero                                  /* clears only delegated bits */
  TEST_CASE(14, a0, 0x888, READ_IRQ(a0, mie))
  csrw mie, zero
  li a1, -1                                       /* M may write SSIP, STIP, SEIP */
  csrw mip, a1
  TEST_CASE(15, a0, 0x222, READ_IRQ(a0, mip))
  TEST_CASE(16, a0, 0x222, READ_IRQ(a0, sip))
  TEST_CASE(17, a0, 0x220, csrw sip, zero; READ_IRQ(a0, mip))   /* sip writes only SSIP */
  TEST_CASE(18, a0, 0, csrw mip, zero; READ_IRQ(a0, mip))
  TEST_CASE(19, a0, 0, csrw mideleg, zero; li a1, MIP_SSIP; csrs mip, a1; READ_IRQ(a0, sip))
  csrw mip, zero
  li TESTNUM, 20                                  /* standard delegable exceptions */
  li a1, -1
  csrw medeleg, a1
  csrr a0, medeleg
  li t5, 0xb3ff
  and a0, a0, t5
  CHECK(a0, 0xb3ff)
  csrw medeleg, zero
  TEST_CASE(21, a0, 0, csrr a0, medeleg)

  /* exception PCs: bit 0 is always 0 (IALIGN 16) */
#ifdef ISA_QEMU
#define EPC_MASK ~1   /* QEMU 7.2 deviation: mepc/sepc keep bit 0 (masked on xRET only) */
#else
#define EPC_MASK -1
#endif
  TEST_CASE(22, a0, 0xfffffffffffffffe, li a1, -1; csrw mepc, a1; csrr a0, mepc; andi a0, a0, EPC_MASK)
  TEST_CASE(23, a0, 0x0000000080000002, li a1, 0x80000003; csrw sepc, a1; csrr a0, sepc; andi a0, a0, EPC_MASK)
  /* scratch, tval, cause: full width (the handlers' frame pointers
   * live in mscratch/sscratch: put them back) */
  csrr s2, mscratch
  csrr s3, sscratch
  TEST_CASE(24, a0, 0xfedcba9876543210, li a1, 0xfedcba9876543210; csrw mscratch, a1; csrr a0, mscratch)
  TEST_CASE(25, a0, 0x0123456789abcdef, li a1, 0x0123456789abcdef; csrw sscratch, a1; csrr a0, sscratch)
  csrw mscratch, s2
  csrw sscratch, s3
  TEST_CASE(26, a0, 0x123456789, li a1, 0x123456789; csrw mtval, a1; csrr a0, mtval)
  TEST_CASE(27, a0, 0x987654321, li a1, 0x987654321; csrw stval, a1; csrr a0, stval)
  TEST_CASE(28, a0, 0x8000000000000005, li a1, 0x8000000000000005; csrw mcause, a1; csrr a0, mcause)
  TEST_CASE(29, a0, 0x000000000000000d, li a1, 13; csrw scause, a1; csrr a0, scause)
  /* trap vectors: direct and vectored modes */
  csrr s0, mtvec
  TEST_CASE(30, a0, 0x80001001, li a1, 0x80001001; csrw mtvec, a1; csrr a0, mtvec)
  TEST_CASE(31, a0, 0x80001000, li a1, 0x80001000; csrw mtvec, a1; csrr a0, mtvec)
  csrw mtvec, s0
  TEST_CASE(32, a0, 0x80002001, li a1, 0x80002001; csrw stvec, a1; csrr a0, stvec)
  /* satp: unsupported modes leave it unchanged; Sv39/48/57 accepted */
  csrw satp, zero
  TEST_CASE(33, a0, 0, li a1, 1 << 60; csrw satp, a1; csrr a0, satp)
  TEST_CASE(34, a0, 0, li a1, 7 << 60; csrw satp, a1; csrr a0, satp)
  TEST_CASE(35, a0, 8, li a1, (8 << 60) | 0x80123; csrw satp, a1; csrr a0, satp; srli a0, a0, 60)
  TEST_CASE(36, a0, 0x80123, csrr a0, satp; slli a0, a0, 20; srli a0, a0, 20)
  TEST_CASE(37, a0, 9, li a1, (9 << 60) | 0x80123; csrw satp, a1; csrr a0, satp; srli a0, a0, 60)
  TEST_CASE(38, a0, 10, li a1, (10 << 60) | 0x80123; csrw satp, a1; csrr a0, satp; srli a0, a0, 60)
  TEST_CASE(39, a0, 10, li a1, (11 << 60) | 0x80456; csrw satp, a1; csrr a0, satp; srli a0, a0, 60)
  csrw satp, zero
  /* envcfg: present; FIOM writable */
  TEST_CASE(40, a0, 1, li a1, 1; csrw menvcfg, a1; csrr a0, menvcfg; andi a0, a0, 1)
  TEST_CASE(41, a0, 0, csrw menvcfg, zero; csrr a0, menvcfg)
  TEST_CASE(42, a0, 1, li a1, 1; csrw senvcfg, a1; csrr a0, senvcfg; andi a0, a0, 1)
  csrw senvcfg, zero

  /* unknown CSRs and read-only CSRs */
  ILLEGAL(50, csrr a0, 0x0ff)
  ILLEGAL(51, csrr a0, 0x7ff)
  ILLEGAL(52, csrr a0, pmpcfg1)                   /* odd pmpcfg: RV32 only */
  ILLEGAL(53, csrw mvendorid, a1)
  ILLEGAL(54, csrw mhartid, zero)
  ILLEGAL(55, csrrw zero, marchid, zero)          /* csrrw always writes */
  ILLEGAL(56, csrw cycle, a1)
  li a1, 0
#ifndef ISA_QEMU  /* QEMU 7.2 deviation: csrrs with a zero-valued rs1 != x0 is no write */
  ILLEGAL(57, csrrs a0, instret, a1)              /* rs1 != x0: a write, even of 0 */
#endif
  ILLEGAL(58, csrsi time, 1)
  ILLEGAL(59, csrr a0, 0x5ff)
  LEGAL(60, csrrs a0, mvendorid, zero; csrrc a0, mimpid, zero; csrrsi a0, mhartid, 0; csrrci a0, cycle, 0)
#ifndef ISA_QEMU  /* QEMU 7.2 -M spike has no rdtime: time is always illegal there */
  LEGAL(62, csrr a0, time)
#endif
  ILLEGAL(61, .word 0x00000073 | (0x3 << 12) | (0xf11 << 20) | (1 << 15))  /* csrrc x0, mvendorid, ra */

  /* RV32-only and absent-extension CSRs do not exist on this RV64 hart */
  ILLEGAL(63, csrr a0, 0x310)                    /* mstatush */
  ILLEGAL(64, csrr a0, 0xc80)                    /* cycleh */
  ILLEGAL(65, csrr a0, 0xc82)                    /* instreth */
  ILLEGAL(66, csrr a0, 0xb80)                    /* mcycleh */
  ILLEGAL(67, csrr a0, 0x34a)                    /* mtinst (H) */
  ILLEGAL(68, csrr a0, 0x600)                    /* hstatus (H) */
  ILLEGAL(69, csrr a0, 0x008)                    /* vstart (V) */
  /* hpm counters 3..31 and events exist (possibly hard-wired to 0) */
  li TESTNUM, 76
  CLEAR_TRAP
#ifdef ISA_QEMU
  /* QEMU 7.2 deviation: only the first 16 hpm counters (3..18) exist */
  .irp i, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18
#else
  .irp i, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
#endif
  csrr a0, mhpmcounter\i
  csrw mhpmcounter\i, zero
  csrr a0, mhpmevent\i
  csrw mhpmevent\i, zero
  csrr a0, hpmcounter\i
  .endr
  CHECK_NO_TRAP

  /* counters */
#ifdef ISA_QEMU
  /* QEMU 7.2 deviation: with -icount the csrw's own retirement is counted */
#define INSTRET_FIX addi a0, a0, -1
#else
#define INSTRET_FIX
#endif
  /* "a value written to instret by one instruction will be the value read
   * by the following instruction" */
  TEST_CASE(70, a0, 1000, li a1, 1000; csrw minstret, a1; csrr a0, minstret; INSTRET_FIX)
  TEST_NUM(71)
  csrw minstret, zero
  nop
  nop
  nop
  csrr a0, minstret
  INSTRET_FIX
  CHECK(a0, 3)
  TEST_NUM(72)
  li a1, 0x100000000
  csrw mcycle, a1
  csrr a0, mcycle
  bltu a0, a1, test_fail_far
  sub a0, a0, a1
  li a2, 1000
  bgeu a0, a2, test_fail_far
  TEST_NUM(73)
  csrr a1, instret
  csrr a2, minstret
  sub a2, a2, a1
  CHECK(a2, 1)
#ifndef ISA_QEMU
  TEST_NUM(74)                                    /* time mirrors CLINT mtime */
  li s1, CLINT_MTIME
  ld a1, 0(s1)
  csrr a2, time
  ld a3, 0(s1)
  bltu a2, a1, test_fail_far
  bltu a3, a2, test_fail_far
  TEST_NUM(75)                                    /* time advances (10 MHz) */
  csrr a1, time
  li a3, 20000
1: addi a3, a3, -1
  bnez a3, 1b
  csrr a2, time
  bgeu a1, a2, test_fail_far
#endif

  /* counter gating */
  csrw mcounteren, zero
  csrw scounteren, zero
  .macro S_ILLEGAL n, insn:vararg
  li TESTNUM, \n
  EXPECT_TRAP_AT(2f)
  ENTER_S(1f)
1: \insn
  ecall
2: CHECK_TRAP_CAUSE(CAUSE_ILLEGAL_INSN)
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
  ld t5, trap_tval
  la t6, 1b
  lwu t6, 0(t6)
  CHECK_REG(t5, t6)
  .endm
  S_ILLEGAL 80, rdcycle a0
  S_ILLEGAL 81, rdtime a0
  S_ILLEGAL 82, rdinstret a0
  S_ILLEGAL 83, csrr a0, mstatus
  S_ILLEGAL 84, csrr a0, mcycle
  S_ILLEGAL 85, csrr a0, mscratch
  li a1, 5                                        /* IR and CY */
  csrw mcounteren, a1
  li TESTNUM, 86
  RUN_IN_S(rdcycle a0; rdinstret a0)
  S_ILLEGAL 87, rdtime a0
  U_ILLEGAL 88, rdcycle a0                        /* scounteren = 0 */
  li a1, 7
  csrw scounteren, a1
  U_ILLEGAL 89, rdtime a0                         /* mcounteren.TM = 0 */
  li TESTNUM, 90
  RUN_IN_U(rdcycle a0; rdinstret a0)
  csrw mcounteren, a1
#ifndef ISA_QEMU
  li TESTNUM, 91
  RUN_IN_U(rdtime a0; rdcycle a0)
#endif
  li TESTNUM, 92
#ifndef ISA_QEMU
  RUN_IN_S(rdtime a0; csrr a0, scounteren; csrw scounteren, zero)
#else
  RUN_IN_S(csrr a0, scounteren; csrw scounteren, zero)
#endif
  U_ILLEGAL 93, rdtime a0
  U_ILLEGAL 94, csrr a0, sstatus
  U_ILLEGAL 95, csrr a0, scounteren
  S_ILLEGAL 96, csrr a0, mcounteren
  li TESTNUM, 97
  RUN_IN_S(csrr a0, senvcfg; csrr a0, sscratch; csrr a0, stvec)
  S_ILLEGAL 98, csrr a0, menvcfg
  S_ILLEGAL 99, csrw cycle, zero
  csrw mcounteren, zero
  S_ILLEGAL 100, csrr a0, hpmcounter3
  S_ILLEGAL 101, csrr a0, hpmcounter31
  /* mcounteren.HPM3 is WARL (may be read-only 0): if it sticks, S may
   * read hpmcounter3, otherwise the read is illegal */
  li a1, 1 << 3
  csrw mcounteren, a1
  csrr a0, mcounteren
  beqz a0, 7f
  li TESTNUM, 102
  RUN_IN_S(csrr a0, hpmcounter3)
  j 8f
7: S_ILLEGAL 102, csrr a0, hpmcounter3
8: S_ILLEGAL 103, csrr a0, hpmcounter4
  csrw mcounteren, zero
TEST_END

test_fail_far:
  j test_fail
