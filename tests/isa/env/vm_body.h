/* Shared body of the virtual-memory tests (vm_sv39.S, vm_sv48.S,
 * vm_sv57.S): define VM_MODE (8, 9 or 10) and include this file.
 *
 * Address map (all VAs canonical in Sv39):
 *   identity gigapages [0,1G) and [2G,3G): RWX, A, D, not U (vm_init)
 *   VA_UCODE  -> user_page          U R X      user routines
 *   VA_AD     -> pg0                R W        A and D clear: set by hardware
 *   VA_RO     -> pg1                R A
 *   VA_XO     -> pg2                X A        execute-only (MXR)
 *   VA_WO     -> pg2                W A        reserved combination
 *   VA_INV    -> pg3                V = 0
 *   VA_USER   -> pg4                U R W A D
 *   VA_SF     -> pg5, later pg6     R W A D    sfence.vma
 *   VA_NONLEAF-> pg3                V only at level 0: not a leaf
 *   VA_PBMT   -> pg1                R A + PBMT bits (reserved w/o Svpbmt)
 *   VA_2M     -> 0x80200000         2 MiB page, R W A D
 *   VA_2MBAD  -> 0x80201000         misaligned 2 MiB superpage
 *   VA_1G     -> 0x80000000         1 GiB page at 3G, R A
 *   VA_HTIF   -> page of tohost     R W A D (S-mode passes through it)
 */
#include "test.h"

#define VA_UCODE   0x40000000
#define VA_AD      0x40010000
#define VA_RO      0x40011000
#define VA_XO      0x40012000
#define VA_WO      0x40013000
#define VA_INV     0x40014000
#define VA_USER    0x40015000
#define VA_SF      0x40016000
#define VA_NONLEAF 0x40017000
#define VA_PBMT    0x40018000
#define VA_HTIF    0x40100000
#define VA_2M      0x40200000
#define VA_2MBAD   0x40400000
#define VA_1G      0xc0000000
#define VA_XS      0x40020000        /* xpage0, xpage1 (mapped later) */

/* user routines sit at fixed offsets of user_page */
#define u_load  0x00
#define u_store 0x10
#define u_jump  0x20
#define UOFF(off) (VA_UCODE + (off))

#define S_FAULT(n, cause, tval, insn...) \
  li TESTNUM, n; EXPECT_TRAP_AT(31341f); ENTER_S(31342f); 31342: insn; j test_fail; \
  31341: CHECK_TRAP(cause, tval)
/* Run a user routine at VA (it ends with ecall or faults). */
#define U_CALL(va) EXPECT_TRAP_AT(31343f); ENTER_U_VA(va); 31343:

#define MAP(va, pa, flags, level) li a0, va; li a1, pa; li a2, (flags) | PTE_V; li a3, level; call vm_map
#define MAPL(va, sym, flags) li a0, va; la a1, sym; li a2, (flags) | PTE_V; li a3, 0; call vm_map

  .option norvc
TEST_BEGIN
  li a0, VM_MODE
  call vm_init
  mv s11, a0                       /* satp */
  MAPL(VA_UCODE, user_page, PTE_U | PTE_R | PTE_X | PTE_A)
  MAPL(VA_AD, pg0, PTE_R | PTE_W)
  mv s2, a0                        /* PTE of VA_AD */
  MAPL(VA_RO, pg1, PTE_R | PTE_A)
  MAPL(VA_XO, pg2, PTE_X | PTE_A)
  MAPL(VA_WO, pg2, PTE_W | PTE_A)
  MAPL(VA_INV, pg3, PTE_R | PTE_W | PTE_A | PTE_D)
  ld t0, 0(a0)                     /* clear V */
  andi t0, t0, ~PTE_V
  sd t0, 0(a0)
  MAPL(VA_USER, pg4, PTE_U | PTE_R | PTE_W | PTE_A | PTE_D)
  MAPL(VA_SF, pg5, PTE_R | PTE_W | PTE_A | PTE_D)
  mv s3, a0                        /* PTE of VA_SF */
  MAPL(VA_NONLEAF, pg3, 0)
  MAPL(VA_PBMT, pg1, PTE_R | PTE_A)
  ld t0, 0(a0)
  li t1, 1 << 62                   /* PBMT = IO */
  or t0, t0, t1
  sd t0, 0(a0)
  MAPL(VA_HTIF, tohost, PTE_R | PTE_W | PTE_A | PTE_D)
  MAPL(VA_XS, xpage0, PTE_R | PTE_X | PTE_A)
  MAP(VA_2M, 0x80200000, PTE_R | PTE_W | PTE_A | PTE_D, 1)
  MAP(VA_2MBAD, 0x80201000, PTE_R | PTE_W | PTE_A | PTE_D, 1)
  MAP(VA_1G, 0x80000000, PTE_R | PTE_A, 2)
#if VM_MODE >= 9
  MAP(0x8000000000, 0, PTE_R | PTE_A, 3)          /* 512 GiB page */
#endif
#if VM_MODE >= 10
  MAP(0x1000000000000, 0, PTE_R | PTE_A, 4)       /* 256 TiB page */
#endif
  /* recognisable data */
  li t0, 0x1111111111111111
  la t1, pg1
  sd t0, 0(t1)
  li t0, 0x2222222222222222
  la t1, pg2
  sd t0, 0(t1)
  li t0, 0x5555555555555555
  la t1, pg5
  sd t0, 8(t1)
  li t0, 0x6666666666666666
  la t1, pg6
  sd t0, 8(t1)
  li t0, 0x2020202020202020
  li t1, 0x80201238
  sd t0, 0(t1)
  csrw satp, s11
  sfence.vma
  TEST_CASE(1, a0, VM_MODE, csrr a0, satp; srli a0, a0, 60)

  /* basic translation from S */
  li a2, VA_RO
  li TESTNUM, 2
  RUN_IN_S(ld a0, 0(a2))
  CHECK(a0, 0x1111111111111111)
  /* A/D set by the hardware walker */
  li TESTNUM, 3
  ld a0, 0(s2)
  andi a0, a0, PTE_A | PTE_D
  CHECK(a0, 0)
  li a2, VA_AD
  li TESTNUM, 4
  RUN_IN_S(ld a0, 8(a2))
  ld a0, 0(s2)
  andi a0, a0, PTE_A | PTE_D
  CHECK(a0, PTE_A)                 /* A after a load, D still clear */
  li TESTNUM, 5
  RUN_IN_S(sd a2, 16(a2))
  ld a0, 0(s2)
  andi a0, a0, PTE_A | PTE_D
  CHECK(a0, PTE_A | PTE_D)         /* D after a store */
  TEST_CASE(6, a0, VA_AD, la a1, pg0; ld a0, 16(a1))
  /* a store to a clean page sets A and D together */
  ld a0, 0(s2)
  andi a0, a0, ~(PTE_A | PTE_D)
  sd a0, 0(s2)
  sfence.vma
  li TESTNUM, 7
  RUN_IN_S(sd zero, 24(a2))
  ld a0, 0(s2)
  andi a0, a0, PTE_A | PTE_D
  CHECK(a0, PTE_A | PTE_D)

  /* permission faults: cause 12/13/15, tval = VA */
  li a2, VA_RO
  S_FAULT(10, CAUSE_STORE_PAGE_FAULT, VA_RO + 8, sd zero, 8(a2))
  S_FAULT(11, CAUSE_FETCH_PAGE_FAULT, VA_RO, jr a2)
  ld t5, trap_epc
  CHECK(t5, VA_RO)
  li a2, VA_XO
  S_FAULT(12, CAUSE_LOAD_PAGE_FAULT, VA_XO, ld a0, 0(a2))
  S_FAULT(13, CAUSE_STORE_PAGE_FAULT, VA_XO, sd a0, 0(a2))
  li a2, VA_WO
  S_FAULT(14, CAUSE_LOAD_PAGE_FAULT, VA_WO + 4, lw a0, 4(a2))
  S_FAULT(15, CAUSE_STORE_PAGE_FAULT, VA_WO, sd a0, 0(a2))
  li a2, VA_INV
  S_FAULT(16, CAUSE_LOAD_PAGE_FAULT, VA_INV + 0x7f8, ld a0, 0x7f8(a2))
  S_FAULT(17, CAUSE_STORE_PAGE_FAULT, VA_INV, sb a0, 0(a2))
  S_FAULT(18, CAUSE_FETCH_PAGE_FAULT, VA_INV, jr a2)
  li a2, VA_NONLEAF
  S_FAULT(19, CAUSE_LOAD_PAGE_FAULT, VA_NONLEAF, ld a0, 0(a2))
  li a2, VA_PBMT
  S_FAULT(20, CAUSE_LOAD_PAGE_FAULT, VA_PBMT, ld a0, 0(a2))
  /* S may not execute user pages, nor touch them without SUM */
  li a2, VA_UCODE
  S_FAULT(21, CAUSE_FETCH_PAGE_FAULT, VA_UCODE, jr a2)
  li a2, VA_USER
  S_FAULT(22, CAUSE_LOAD_PAGE_FAULT, VA_USER, ld a0, 0(a2))
  S_FAULT(23, CAUSE_STORE_PAGE_FAULT, VA_USER, sd a0, 0(a2))
  li a1, MSTATUS_SUM
  csrs mstatus, a1
  li TESTNUM, 24
  RUN_IN_S(li a0, 0x4444; sd a0, 0(a2); ld a0, 0(a2))
  CHECK(a0, 0x4444)
  S_FAULT(25, CAUSE_FETCH_PAGE_FAULT, VA_UCODE, li a2, VA_UCODE; jr a2)  /* SUM does not allow execution */
  li a1, MSTATUS_SUM
  csrc mstatus, a1
  /* MXR: loads from execute-only pages */
  li a1, MSTATUS_MXR
  csrs mstatus, a1
  li a2, VA_XO
  li TESTNUM, 26
  RUN_IN_S(ld a0, 0(a2))
  CHECK(a0, 0x2222222222222222)
  S_FAULT(27, CAUSE_STORE_PAGE_FAULT, VA_XO, sd a0, 0(a2))
  li a1, MSTATUS_MXR
  csrc mstatus, a1

  /* U mode */
  li a2, VA_USER
  li TESTNUM, 30
  U_CALL(UOFF(u_load))
  CHECK_TRAP(CAUSE_USER_ECALL, 0)
  CHECK(a0, 0x4444)
  li a2, VA_RO                     /* not a U page */
  li TESTNUM, 31
  U_CALL(UOFF(u_load))
  CHECK_TRAP(CAUSE_LOAD_PAGE_FAULT, VA_RO)
  ld t5, trap_epc
  CHECK(t5, UOFF(u_load))
  li a1, MSTATUS_SUM               /* SUM does not matter for U */
  csrs mstatus, a1
  li TESTNUM, 32
  U_CALL(UOFF(u_store))
  CHECK_TRAP(CAUSE_STORE_PAGE_FAULT, VA_RO)
  li a1, MSTATUS_SUM
  csrc mstatus, a1
  la a2, test_main                 /* identity map is not U: no fetch */
  li TESTNUM, 33
  U_CALL(UOFF(u_jump))
  CHECK_TRAP_CAUSE(CAUSE_FETCH_PAGE_FAULT)
  ld t5, trap_tval
  CHECK_REG(t5, a2)
  ld t5, trap_epc
  CHECK_REG(t5, a2)
  /* page faults delegated to S: scause/stval/sepc */
  INSTALL_STVEC
  li a1, (1 << CAUSE_LOAD_PAGE_FAULT) | (1 << CAUSE_STORE_PAGE_FAULT)
  csrw medeleg, a1
  li a2, VA_RO
  li TESTNUM, 34
  S_EXPECT_TRAP_AT(3f)
  EXPECT_TRAP_AT(2f)
  ENTER_U_VA(UOFF(u_store))        /* U store to a non-U page -> S */
3: ecall                           /* S handler resumes here in S */
2: CHECK_TRAP(CAUSE_SUPERVISOR_ECALL, 0)
  S_CHECK_TRAP(CAUSE_STORE_PAGE_FAULT, VA_RO)
  ld t5, strap_epc
  CHECK(t5, UOFF(u_store))
  li TESTNUM, 35                   /* from S itself */
  li a2, VA_XO
  S_EXPECT_TRAP_AT(3f)
  EXPECT_TRAP_AT(2f)
  ENTER_S(1f)
1: ld a0, 0x10(a2)
  j test_fail
3: ecall
2: CHECK_TRAP(CAUSE_SUPERVISOR_ECALL, 0)
  S_CHECK_TRAP(CAUSE_LOAD_PAGE_FAULT, VA_XO + 0x10)
  ld t5, strap_sstatus
  andi t5, t5, MSTATUS_SPP
  CHECK(t5, MSTATUS_SPP)
  csrw medeleg, zero

  /* superpages */
  li a2, VA_2M + 0x1238
  li TESTNUM, 40
  RUN_IN_S(ld a0, 0(a2))
  CHECK(a0, 0x2020202020202020)
  li a2, VA_2MBAD
  S_FAULT(41, CAUSE_LOAD_PAGE_FAULT, VA_2MBAD, ld a0, 0(a2))
  la a2, pg1
  li t0, VA_1G - 0x80000000
  add a2, a2, t0
  li TESTNUM, 42
  RUN_IN_S(ld a0, 0(a2))
  CHECK(a0, 0x1111111111111111)
  li TESTNUM, 43
  EXPECT_TRAP_AT(2f)
  ENTER_S(1f)
1: sd a0, 0(a2)
  j test_fail
2: CHECK_TRAP_CAUSE(CAUSE_STORE_PAGE_FAULT)
  ld t5, trap_tval
  CHECK_REG(t5, a2)
#if VM_MODE >= 9
  la a2, pg2
  li t0, 0x8000000000
  add a2, a2, t0
  li TESTNUM, 44
  RUN_IN_S(ld a0, 0(a2))
  CHECK(a0, 0x2222222222222222)
#else
  /* Sv39: bits 63:39 must equal bit 38 */
  li a2, 0x8000000000
  S_FAULT(44, CAUSE_LOAD_PAGE_FAULT, 0x8000000000, ld a0, 0(a2))
#endif
#if VM_MODE >= 10
  la a2, pg2
  li t0, 0x1000000000000
  add a2, a2, t0
  li TESTNUM, 45
  RUN_IN_S(ld a0, 0(a2))
  CHECK(a0, 0x2222222222222222)
#else
  li a2, 0x1000000000000           /* beyond the VA width */
  S_FAULT(45, CAUSE_LOAD_PAGE_FAULT, 0x1000000000000, ld a0, 0(a2))
#endif
  li a2, 0xffffffffc0000000        /* canonical, unmapped (top of the space) */
  S_FAULT(46, CAUSE_LOAD_PAGE_FAULT, 0xffffffffc0000000, ld a0, 0(a2))

  /* MPRV: M-mode loads/stores translated with MPP = S */
  li TESTNUM, 50
  li a1, MSTATUS_MPP
  csrc mstatus, a1
  li a1, MSTATUS_MPRV | MSTATUS_MPP_S
  csrs mstatus, a1
  li a2, VA_RO
  ld a0, 0(a2)
  li a1, MSTATUS_MPRV
  csrc mstatus, a1
  CHECK(a0, 0x1111111111111111)
  /* (the trap's mret leaves MPP = U: with MPRV still set, M's own data
   * accesses would then be U accesses, so clear MPRV first thing) */
  li TESTNUM, 51
  EXPECT_TRAP
  li a1, MSTATUS_MPRV | MSTATUS_MPP_S
  li a3, MSTATUS_MPRV
  csrs mstatus, a1
  sd a0, 0(a2)
  csrc mstatus, a3
  CHECK_TRAP(CAUSE_STORE_PAGE_FAULT, VA_RO)
  /* ...and that is what happens: MPP = U after the mret */
  ld a0, trap_mstatus
  srli a0, a0, 11
  andi a0, a0, 3
  CHECK(a0, PRV_M)
  TEST_CASE(53, a0, 0, csrr a0, mstatus; srli a0, a0, 11; andi a0, a0, 3)
  li TESTNUM, 52                   /* instruction fetch is not affected by MPRV */
  li a1, MSTATUS_MPRV | MSTATUS_MPP_S
  csrs mstatus, a1
  nop
  li a1, MSTATUS_MPRV
  csrc mstatus, a1

  /* sfence.vma: change a PTE, fence, see the new mapping */
  li a2, VA_SF
  li TESTNUM, 60
  RUN_IN_S(ld a0, 8(a2))
  CHECK(a0, 0x5555555555555555)
  la t0, pg6
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  sd t0, 0(s3)
  li TESTNUM, 61
  RUN_IN_S(sfence.vma a2, zero; ld a0, 8(a2))
  CHECK(a0, 0x6666666666666666)
  la t0, pg5
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  sd t0, 0(s3)
  li TESTNUM, 62
  RUN_IN_S(sfence.vma; ld a0, 8(a2))
  CHECK(a0, 0x5555555555555555)
  sd zero, 0(s3)                   /* unmap: fault after sfence */
  S_FAULT(63, CAUSE_LOAD_PAGE_FAULT, VA_SF + 8, sfence.vma zero, zero; ld a0, 8(a2))

  /* satp switch to Bare in S: physical addresses again */
  la a2, pg1
  li TESTNUM, 70
  RUN_IN_S(csrw satp, zero; sfence.vma; ld a0, 0(a2))
  CHECK(a0, 0x1111111111111111)
  TEST_CASE(71, a0, 0, csrr a0, satp)
  li a2, VA_RO
  S_FAULT(72, CAUSE_LOAD_ACCESS, VA_RO, ld a0, 0(a2))   /* VA_RO is not RAM */
  csrw satp, s11
  sfence.vma
  li TESTNUM, 73
  RUN_IN_S(ld a0, 0(a2))
  CHECK(a0, 0x1111111111111111)

  /* a 32-bit instruction straddling into an unmapped page: fetch page
   * fault with mepc = the instruction, mtval = the faulting portion */
  li TESTNUM, 74
  EXPECT_TRAP_AT(2f)
  ENTER_S_VA(VA_XS + 4094)
2: CHECK_TRAP(CAUSE_FETCH_PAGE_FAULT, VA_XS + 4096)
  ld t5, trap_epc
  CHECK(t5, VA_XS + 4094)
  MAPL(VA_XS + 0x1000, xpage1, PTE_R | PTE_X | PTE_A)
  li TESTNUM, 75
  li a0, 0
  EXPECT_TRAP_AT(2f)
  ENTER_S_VA(VA_XS + 4094)
2: CHECK_TRAP(CAUSE_SUPERVISOR_ECALL, 0)
  CHECK(a0, 0x555)

  /* the walker's own accesses are checked by PMP (as S-mode reads): a
   * denied page-table page gives an access fault of the original type
   * (only the last-level table of VA_RO is denied: the S code itself runs
   * from a gigapage whose walk does not touch it) */
  li a0, VA_RO
  li a1, 0
  call vm_pte
  srli a0, a0, 12
  slli a0, a0, 10
  ori a0, a0, 0x1ff                /* NAPOT 4 KiB: (base >> 2) | 0x1ff */
  csrw pmpaddr0, a0
  li t0, PMP_NAPOT                 /* entry 0: no permissions */
  csrw pmpcfg0, t0
  sfence.vma
  li a2, VA_RO
  S_FAULT(76, CAUSE_LOAD_ACCESS, VA_RO, ld a0, 0(a2))
  S_FAULT(77, CAUSE_STORE_ACCESS, VA_RO + 8, sd a0, 8(a2))
  S_FAULT(78, CAUSE_FETCH_ACCESS, VA_RO, jr a2)
  csrw pmpcfg0, zero
  sfence.vma
  li TESTNUM, 79
  RUN_IN_S(ld a0, 0(a2))
  CHECK(a0, 0x1111111111111111)

  /* cached translations must still honour the current privilege and
   * SUM/MXR: warm a translation, then change only the mode bits */
  li a2, VA_USER
  li TESTNUM, 90
  U_CALL(UOFF(u_load))
  CHECK_TRAP(CAUSE_USER_ECALL, 0)
  S_FAULT(91, CAUSE_LOAD_PAGE_FAULT, VA_USER, ld a0, 0(a2))      /* S, SUM = 0 */
  li a1, MSTATUS_SUM
  csrs mstatus, a1
  li TESTNUM, 92
  RUN_IN_S(ld a0, 0(a2))
  li a1, MSTATUS_SUM
  csrc mstatus, a1
  S_FAULT(93, CAUSE_STORE_PAGE_FAULT, VA_USER, sd a0, 0(a2))     /* SUM cleared */
  li a1, MSTATUS_MXR
  csrs mstatus, a1
  li a2, VA_XO
  li TESTNUM, 94
  RUN_IN_S(ld a0, 0(a2))
  li a1, MSTATUS_MXR
  csrc mstatus, a1
  S_FAULT(95, CAUSE_LOAD_PAGE_FAULT, VA_XO, ld a0, 0(a2))        /* MXR cleared */
  li a2, VA_RO                     /* S-readable page, then from U: fault */
  li TESTNUM, 96
  RUN_IN_S(ld a0, 0(a2))
  li TESTNUM, 97
  U_CALL(UOFF(u_load))
  CHECK_TRAP(CAUSE_LOAD_PAGE_FAULT, VA_RO)
  /* permission downgrade + sfence.vma by address */
  la t0, pg5                       /* (unmapped by test 63: map RW again) */
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
  sd t0, 0(s3)
  sfence.vma
  li a2, VA_SF
  li TESTNUM, 98
  RUN_IN_S(sd a2, 0(a2))
  la t0, pg5
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, PTE_V | PTE_R | PTE_A | PTE_D
  sd t0, 0(s3)
  S_FAULT(99, CAUSE_STORE_PAGE_FAULT, VA_SF, sfence.vma a2, zero; sd a2, 0(a2))
  /* execute permission removed from a page that has been executed */
  li a0, VA_XS
  li a1, 0
  call vm_pte
  ld t0, 0(a0)
  andi t0, t0, ~PTE_X
  sd t0, 0(a0)
  li a2, VA_XS + 4094
  S_FAULT(100, CAUSE_FETCH_PAGE_FAULT, VA_XS + 4094, sfence.vma; jr a2)

  /* AMOs need write permission (store/AMO page fault), LR read permission;
   * an AMO on a clean page sets A and D */
  li a2, VA_RO
  S_FAULT(104, CAUSE_STORE_PAGE_FAULT, VA_RO + 8, addi a3, a2, 8; amoadd.d a0, a0, (a3))
  S_FAULT(105, CAUSE_STORE_PAGE_FAULT, VA_RO, amoswap.w a0, a0, (a2))
  li a2, VA_XO
  S_FAULT(106, CAUSE_LOAD_PAGE_FAULT, VA_XO, lr.d a0, (a2))
  ld a0, 0(s2)
  andi a0, a0, ~(PTE_A | PTE_D)
  sd a0, 0(s2)
  sfence.vma
  li a2, VA_AD
  li TESTNUM, 107
  RUN_IN_S(li a1, 5; amoadd.d a0, a1, (a2))
  ld a0, 0(s2)
  andi a0, a0, PTE_A | PTE_D
  CHECK(a0, PTE_A | PTE_D)

  /* misaligned accesses crossing into a page they may not touch: a page
   * fault whose mtval is the address of the faulting portion (the next
   * page), or -- for a hart without misaligned support -- an
   * address-misaligned exception with the original address */
  li a2, VA_RO + 0xffc             /* VA_RO readable, VA_XO (next) not */
  li TESTNUM, 101
  EXPECT_TRAP_AT(2f)
  ENTER_S(1f)
1: ld a0, 0(a2)
  j test_fail
2: li a3, CAUSE_MISALIGNED_LOAD
  li a4, CAUSE_LOAD_PAGE_FAULT
  li a5, VA_XO
  call check_split_fault
  li a2, VA_AD + 0xffc             /* VA_AD writable, VA_RO (next) not */
  li TESTNUM, 102
  EXPECT_TRAP_AT(2f)
  ENTER_S(1f)
1: sd a0, 0(a2)
  j test_fail
2: li a3, CAUSE_MISALIGNED_STORE
  li a4, CAUSE_STORE_PAGE_FAULT
  li a5, VA_RO
  call check_split_fault
  li a2, VA_RO + 0xffe             /* first portion faults: original address */
  li TESTNUM, 103
  EXPECT_TRAP_AT(2f)
  ENTER_S(1f)
1: sw a0, 0(a2)
  j test_fail
2: li a3, CAUSE_MISALIGNED_STORE
  li a4, CAUSE_STORE_PAGE_FAULT
  mv a5, a2
  call check_split_fault

  /* pass through the HTIF mapping: S stores 1 to tohost via its VA */
  li TESTNUM, 80
  la t0, tohost
  slli t0, t0, 52
  srli t0, t0, 52
  li a2, VA_HTIF
  add a2, a2, t0
  ENTER_S(1f)
1: fence
  li a0, 1
  sd a0, 0(a2)
2: j 2b
TEST_END

/* one trap: (a3 = misaligned cause, tval = a2) or (a4 = page-fault cause,
 * tval = a5) */
check_split_fault:
  NO_TRAPS
  ld t5, trap_count
  CHECK(t5, 1)
  ld t5, trap_cause
  ld t4, trap_tval
  bne t5, a3, 1f
  CHECK_REG(t4, a2)
  ret
1: CHECK_REG(t5, a4)
  CHECK_REG(t4, a5)
  ret

  .section .page.user, "ax", @progbits
  .balign 4096
user_page:
  .org user_page + u_load
  ld a0, 0(a2)
  ecall
  .org user_page + u_store
  sd a0, 0(a2)
  ecall
  .org user_page + u_jump
  jr a2
  .balign 4096

  .section .page.xpage, "ax", @progbits
  .balign 4096
  .option push
  .option norvc
xpage0:
  .fill 2047, 2, 0x0001            /* c.nop */
  addi a0, zero, 0x555             /* crosses into xpage1 */
xpage1 = xpage0 + 4096
  ecall
  .option pop
  .balign 4096

  .bss
  .balign 4096
pg0: .zero 4096
pg1: .zero 4096
pg2: .zero 4096
pg3: .zero 4096
pg4: .zero 4096
pg5: .zero 4096
pg6: .zero 4096
