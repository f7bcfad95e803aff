/* strata ISA conformance suite: test environment header.
 *
 * Every test is one assembly file that includes this header, defines
 * test_main (use TEST_BEGIN / TEST_END) and is linked with env/crt.S and
 * env/link.ld. Register conventions:
 *   gp (x3)  current test-case number; it becomes the exit code on failure
 *   t5, t6   scratch for the macros below: do not keep values in them
 *            across a macro
 * Exit codes: 0 pass; 1..149 failing TEST_CASE number;
 *   160+c unexpected S-mode exception c, 190+c unexpected S-mode interrupt c,
 *   200+c unexpected M-mode exception c, 240+c unexpected M-mode interrupt c.
 */
#ifndef STRATA_ISA_TEST_H
#define STRATA_ISA_TEST_H

#define TESTNUM gp

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

#define MSTATUS_SIE   (1 << 1)
#define MSTATUS_MIE   (1 << 3)
#define MSTATUS_SPIE  (1 << 5)
#define MSTATUS_UBE   (1 << 6)
#define MSTATUS_MPIE  (1 << 7)
#define MSTATUS_SPP   (1 << 8)
#define MSTATUS_VS    (3 << 9)
#define MSTATUS_MPP   (3 << 11)
#define MSTATUS_MPP_S (1 << 11)
#define MSTATUS_FS    (3 << 13)
#define MSTATUS_FS_INITIAL (1 << 13)
#define MSTATUS_FS_CLEAN   (2 << 13)
#define MSTATUS_FS_DIRTY   (3 << 13)
#define MSTATUS_XS    (3 << 15)
#define MSTATUS_MPRV  (1 << 17)
#define MSTATUS_SUM   (1 << 18)
#define MSTATUS_MXR   (1 << 19)
#define MSTATUS_TVM   (1 << 20)
#define MSTATUS_TW    (1 << 21)
#define MSTATUS_TSR   (1 << 22)
#define MSTATUS_UXL   (3 << 32)
#define MSTATUS_SXL   (3 << 34)
#define MSTATUS_SBE   (1 << 36)
#define MSTATUS_MBE   (1 << 37)
#define MSTATUS_SD    (1 << 63)

#define IRQ_S_SOFT   1
#define IRQ_M_SOFT   3
#define IRQ_S_TIMER  5
#define IRQ_M_TIMER  7
#define IRQ_S_EXT    9
#define IRQ_M_EXT    11
#define MIP_SSIP (1 << IRQ_S_SOFT)
#define MIP_MSIP (1 << IRQ_M_SOFT)
#define MIP_STIP (1 << IRQ_S_TIMER)
#define MIP_MTIP (1 << IRQ_M_TIMER)
#define MIP_SEIP (1 << IRQ_S_EXT)
#define MIP_MEIP (1 << IRQ_M_EXT)

#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS     1
#define CAUSE_ILLEGAL_INSN     2
#define CAUSE_BREAKPOINT       3
#define CAUSE_MISALIGNED_LOAD  4
#define CAUSE_LOAD_ACCESS      5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS     7
#define CAUSE_USER_ECALL       8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_MACHINE_ECALL    11
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT  13
#define CAUSE_STORE_PAGE_FAULT 15
#define CAUSE_INTR             (1 << 63)

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)
#define PTE_G (1 << 5)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)

#define SATP_MODE_SV39 8
#define SATP_MODE_SV48 9
#define SATP_MODE_SV57 10

#define PMP_R     0x01
#define PMP_W     0x02
#define PMP_X     0x04
#define PMP_OFF   0x00
#define PMP_TOR   0x08
#define PMP_NA4   0x10
#define PMP_NAPOT 0x18
#define PMP_L     0x80

#define CLINT_BASE     0x2000000
#define CLINT_MSIP     (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME    (CLINT_BASE + 0xbff8)

#define FAIL_MAGIC 0xfa11fa11fa11fa11

/* Entries of trap_log (shared by the M and the S handler). */
#define LOG_M_EXC(c) (c)
#define LOG_M_IRQ(c) (0x80 | (c))
#define LOG_S_EXC(c) (0x100 | (c))
#define LOG_S_IRQ(c) (0x180 | (c))

/* Trap modes (trap_mode / strap_mode). */
#define TM_UNEXPECTED 0  /* any trap fails the test */
#define TM_SKIP       1  /* one trap: record it, skip the instruction (or return for an interrupt) */
#define TM_RESUME     2  /* one trap: record it, continue at trap_resume in the handler's mode */
#define TM_PERSIST    3  /* like TM_SKIP, for any number of traps */

/* ---------------------------------------------------------------- */
/* Test structure                                                   */

#define TEST_BEGIN       .text; .globl test_main; test_main:
#define TEST_END         j test_pass
#define PASS             j test_pass
#define FAIL(n)          li TESTNUM, n; j test_fail
#define TEST_NUM(n)      li TESTNUM, n

/* Compare a register with a constant. */
#define CHECK(reg, correct) \
        li t6, correct; beq reg, t6, 31337f; j test_fail; 31337:
#define CHECK_NE(reg, wrong) \
        li t6, wrong; bne reg, t6, 31337f; j test_fail; 31337:
#define CHECK_REG(reg, reg2) \
        beq reg, reg2, 31337f; j test_fail; 31337:
#define CHECK_CSR(csr, correct) \
        csrr t5, csr; CHECK(t5, correct)
/* 64-bit memory word at symbol/address expression. */
#define CHECK_MEM(sym, correct) \
        la t5, sym; ld t5, 0(t5); CHECK(t5, correct)

/* TEST_CASE(n, reg, correct, code...): run code, compare reg with correct. */
#define TEST_CASE(n, reg, correct, code...) \
        li TESTNUM, n; code; CHECK(reg, correct)

/* Register-register / register-immediate ops: a0 = a1 op a2. */
#define TEST_RR(n, inst, result, v1, v2) \
        TEST_CASE(n, a0, result, li a1, v1; li a2, v2; inst a0, a1, a2)
#define TEST_RI(n, inst, result, v1, imm) \
        TEST_CASE(n, a0, result, li a1, v1; inst a0, a1, imm)
/* Same register as source and destination. */
#define TEST_RR_SAME(n, inst, result, v1) \
        TEST_CASE(n, a1, result, li a1, v1; inst a1, a1, a1)

/* ---------------------------------------------------------------- */
/* Traps (M-mode handler in crt.S)                                  */

#define SET_TRAP_MODE(m)  la t6, trap_mode; li t5, m; sd t5, 0(t6)
/* Forget the last recorded trap: count=0, cause/tval/epc = -1. */
#define CLEAR_TRAP        call trap_clear
/* Expect exactly one trap: skip the trapping instruction. */
#define EXPECT_TRAP       CLEAR_TRAP; SET_TRAP_MODE(TM_SKIP)
/* Expect exactly one trap: continue at label in M-mode. */
#define EXPECT_TRAP_AT(label) CLEAR_TRAP; la t6, trap_resume; la t5, label; sd t5, 0(t6); SET_TRAP_MODE(TM_RESUME)
#define NO_TRAPS          SET_TRAP_MODE(TM_UNEXPECTED)
#define LOAD_TRAP(reg, field) ld reg, trap_##field
/* Check that exactly one trap was taken with the given mcause and mtval. */
#define CHECK_TRAP(cause, tval) \
        NO_TRAPS; ld t5, trap_count; CHECK(t5, 1); \
        ld t5, trap_cause; CHECK(t5, cause); \
        ld t5, trap_tval;  CHECK(t5, tval)
#define CHECK_TRAP_CAUSE(cause) \
        NO_TRAPS; ld t5, trap_count; CHECK(t5, 1); \
        ld t5, trap_cause; CHECK(t5, cause)
#define CHECK_TRAP_EPC(label) \
        ld t5, trap_epc; la t6, label; beq t5, t6, 31337f; j test_fail; 31337:
#define CHECK_NO_TRAP \
        NO_TRAPS; ld t5, trap_count; CHECK(t5, 0)

/* S-mode handler (install with INSTALL_STVEC) */
#define INSTALL_STVEC     la t5, strap_entry; csrw stvec, t5
#define S_SET_TRAP_MODE(m) la t6, strap_mode; li t5, m; sd t5, 0(t6)
#define S_CLEAR_TRAP      call strap_clear
#define S_EXPECT_TRAP     S_CLEAR_TRAP; S_SET_TRAP_MODE(TM_SKIP)
#define S_EXPECT_TRAP_AT(label) S_CLEAR_TRAP; la t6, strap_resume; la t5, label; sd t5, 0(t6); S_SET_TRAP_MODE(TM_RESUME)
#define S_NO_TRAPS        S_SET_TRAP_MODE(TM_UNEXPECTED)
#define S_CHECK_TRAP(cause, tval) \
        S_NO_TRAPS; ld t5, strap_count; CHECK(t5, 1); \
        ld t5, strap_cause; CHECK(t5, cause); \
        ld t5, strap_tval;  CHECK(t5, tval)
#define S_CHECK_TRAP_CAUSE(cause) \
        S_NO_TRAPS; ld t5, strap_count; CHECK(t5, 1); \
        ld t5, strap_cause; CHECK(t5, cause)
#define S_CHECK_NO_TRAP \
        S_NO_TRAPS; ld t5, strap_count; CHECK(t5, 0)

/* ---------------------------------------------------------------- */
/* Privilege changes                                                */

/* From M: continue at label in S-mode / U-mode (via mret). */
#define ENTER_S(label) \
        li t5, MSTATUS_MPP; csrc mstatus, t5; li t5, MSTATUS_MPP_S; csrs mstatus, t5; \
        la t5, label; csrw mepc, t5; mret
#define ENTER_U(label) \
        li t5, MSTATUS_MPP; csrc mstatus, t5; la t5, label; csrw mepc, t5; mret
/* Same, to an absolute (virtual) address. */
#define ENTER_S_VA(va) \
        li t5, MSTATUS_MPP; csrc mstatus, t5; li t5, MSTATUS_MPP_S; csrs mstatus, t5; \
        li t5, va; csrw mepc, t5; mret
#define ENTER_U_VA(va) \
        li t5, MSTATUS_MPP; csrc mstatus, t5; li t5, va; csrw mepc, t5; mret
/* From S: continue at label in U-mode (via sret). */
#define S_ENTER_U(label) \
        li t5, MSTATUS_SPP; csrc sstatus, t5; la t5, label; csrw sepc, t5; sret

/* Run "code" in S-mode (or U-mode), come back to M with ecall.
 * After it, the recorded trap must be the ecall. */
#define RUN_IN_S(code...) \
        EXPECT_TRAP_AT(31338f); ENTER_S(31339f); 31339: code; ecall; 31338: \
        CHECK_TRAP(CAUSE_SUPERVISOR_ECALL, 0)
#define RUN_IN_U(code...) \
        EXPECT_TRAP_AT(31338f); ENTER_U(31339f); 31339: code; ecall; 31338: \
        CHECK_TRAP(CAUSE_USER_ECALL, 0)

/* ---------------------------------------------------------------- */
/* Floating point helpers                                           */

/* Load a 32-bit pattern into f-register (NaN-boxed by fmv.w.x). */
#define FLI_S(freg, bits) li t5, bits; fmv.w.x freg, t5
#define FLI_D(freg, bits) li t5, bits; fmv.d.x freg, t5
/* Sign-extended 32-bit value, as fmv.x.w / W-ops produce it. */
#define SEXT32(x) ((((x) & 0xffffffff) ^ 0x80000000) - 0x80000000)

#endif
