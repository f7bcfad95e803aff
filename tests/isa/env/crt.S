/* strata ISA conformance suite: start-up code, trap handlers, HTIF,
 * printing and page-table helpers. Linked into every test. */
#include "test.h"
        .option norvc

        .section .text.init
        .globl _start
_start:
        /* Known register state. */
        li x1, 0
        li x3, 0
        li x4, 0
        la sp, stack_top
        la t0, trap_entry
        csrw mtvec, t0
        la t0, mtrap_frame
        csrw mscratch, t0
        la t0, strap_frame
        csrw sscratch, t0
        /* FPU on (Initial), fcsr clear. */
        li t0, MSTATUS_FS
        csrc mstatus, t0
        li t0, MSTATUS_FS_INITIAL
        csrs mstatus, t0
        csrwi fcsr, 0
        /* No delegation, no interrupts, no translation. */
        csrw medeleg, zero
        csrw mideleg, zero
        csrw mie, zero
        csrw satp, zero
        li t0, MIP_SSIP | MIP_STIP
        csrc mip, t0
        /* CLINT: no software interrupt, timer compare far in the future */
        li t0, CLINT_MSIP
        sw zero, 0(t0)
        li t0, CLINT_MTIMECMP
        li t1, -1
        sd t1, 0(t0)
        /* PMP entry 15: NAPOT over everything, RWX, so that S/U may run.
         * Entries 0..14 are free for tests (they take precedence). */
        li t0, -1
        csrw pmpaddr15, t0
        li t0, (PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 56
        csrw pmpcfg2, t0
        csrw pmpcfg0, zero
        j test_main

        .text
/* ------------------------------------------------------------------ */
/* HTIF                                                                */

        .globl test_pass
test_pass:
        fence
        li t0, 1
        la t1, tohost
        sd t0, 0(t1)
1:      j 1b

/* Failure: test number in gp. Works from any privilege mode: it asks the
 * M-mode handler with an ecall carrying FAIL_MAGIC in t6. */
        .globl test_fail
test_fail:
        li t6, FAIL_MAGIC
        ecall
        /* ecall did not trap?! report directly (works in M-mode). */
        j fail_direct

        .globl fail_direct
fail_direct:            /* M-mode, code in gp */
        la sp, mtrap_stack_top
        la a0, msg_fail
        call puts
        mv a0, gp
        call putdec
        li a0, '\n'
        call putchar
        andi t0, gp, 0xff               /* QEMU exits with code & 0xff: */
        bnez t0, 1f                     /* never let a failure look like 0 */
        li gp, 255
1:      slli t0, gp, 1
        ori t0, t0, 1
        fence
        la t1, tohost
        sd t0, 0(t1)
2:      j 2b

/* putchar(a0): HTIF console, device 1 command 1. Clobbers t0-t2. */
        .globl putchar
putchar:
        andi a0, a0, 0xff
        li t0, (1 << 56) | (1 << 48)
        or t0, t0, a0
        la t1, tohost
1:      ld t2, 0(t1)
        bnez t2, 1b
        sd t0, 0(t1)
2:      ld t2, 0(t1)
        bnez t2, 2b
        la t1, fromhost
        sd zero, 0(t1)
        ret

/* puts(a0 = NUL-terminated string). Clobbers a0, t0-t3. */
        .globl puts
puts:
        mv t3, ra
        mv a1, a0
1:      lbu a0, 0(a1)
        beqz a0, 2f
        call putchar
        addi a1, a1, 1
        j 1b
2:      mv ra, t3
        ret

/* puthex(a0): "0x" + 16 hex digits. Clobbers a0-a2, t0-t4. */
        .globl puthex
puthex:
        mv t4, ra
        mv a2, a0
        li a0, '0'
        call putchar
        li a0, 'x'
        call putchar
        li a1, 60
1:      srl a0, a2, a1
        andi a0, a0, 0xf
        li t0, 10
        blt a0, t0, 2f
        addi a0, a0, 'a' - 10 - '0'
2:      addi a0, a0, '0'
        call putchar
        addi a1, a1, -4
        bgez a1, 1b
        mv ra, t4
        ret

/* putdec(a0) for 0..999. Clobbers a0-a2, t0-t4. */
        .globl putdec
putdec:
        mv t4, ra
        mv a2, a0
        li a1, 100
        blt a2, a1, 1f
        divu a0, a2, a1
        remu a2, a2, a1
        addi a0, a0, '0'
        call putchar
        li a1, 10
        divu a0, a2, a1
        j 2f
1:      li a1, 10
        blt a2, a1, 3f
        divu a0, a2, a1
2:      remu a2, a2, a1
        addi a0, a0, '0'
        call putchar
3:      addi a0, a2, '0'
        call putchar
        mv ra, t4
        ret

/* ------------------------------------------------------------------ */
/* Trap bookkeeping                                                    */

        .globl trap_clear
trap_clear:
        la t6, trap_count
        sd zero, 0(t6)
        li t5, -1
        la t6, trap_cause
        sd t5, 0(t6)
        la t6, trap_tval
        sd t5, 0(t6)
        la t6, trap_epc
        sd t5, 0(t6)
        ret

        .globl strap_clear
strap_clear:
        la t6, strap_count
        sd zero, 0(t6)
        li t5, -1
        la t6, strap_cause
        sd t5, 0(t6)
        la t6, strap_tval
        sd t5, 0(t6)
        la t6, strap_epc
        sd t5, 0(t6)
        ret

/* log_append(a0): append to trap_log. Clobbers t0, t1. */
log_append:
        la t0, log_count
        ld t1, 0(t0)
        addi t1, t1, 1
        sd t1, 0(t0)
        li t0, 16
        bgt t1, t0, 1f
        la t0, trap_log - 8
        slli t1, t1, 3
        add t0, t0, t1
        sd a0, 0(t0)
1:      ret

#define SAVE_REGS \
        sd x1, 1*8(sp); sd x3, 3*8(sp); sd x4, 4*8(sp); sd x5, 5*8(sp); \
        sd x6, 6*8(sp); sd x7, 7*8(sp); sd x8, 8*8(sp); sd x9, 9*8(sp); \
        sd x10, 10*8(sp); sd x11, 11*8(sp); sd x12, 12*8(sp); sd x13, 13*8(sp); \
        sd x14, 14*8(sp); sd x15, 15*8(sp); sd x16, 16*8(sp); sd x17, 17*8(sp); \
        sd x18, 18*8(sp); sd x19, 19*8(sp); sd x20, 20*8(sp); sd x21, 21*8(sp); \
        sd x22, 22*8(sp); sd x23, 23*8(sp); sd x24, 24*8(sp); sd x25, 25*8(sp); \
        sd x26, 26*8(sp); sd x27, 27*8(sp); sd x28, 28*8(sp); sd x29, 29*8(sp); \
        sd x30, 30*8(sp); sd x31, 31*8(sp)
#define RESTORE_REGS \
        ld x1, 1*8(sp); ld x3, 3*8(sp); ld x4, 4*8(sp); ld x5, 5*8(sp); \
        ld x6, 6*8(sp); ld x7, 7*8(sp); ld x8, 8*8(sp); ld x9, 9*8(sp); \
        ld x10, 10*8(sp); ld x11, 11*8(sp); ld x12, 12*8(sp); ld x13, 13*8(sp); \
        ld x14, 14*8(sp); ld x15, 15*8(sp); ld x16, 16*8(sp); ld x17, 17*8(sp); \
        ld x18, 18*8(sp); ld x19, 19*8(sp); ld x20, 20*8(sp); ld x21, 21*8(sp); \
        ld x22, 22*8(sp); ld x23, 23*8(sp); ld x24, 24*8(sp); ld x25, 25*8(sp); \
        ld x26, 26*8(sp); ld x27, 27*8(sp); ld x28, 28*8(sp); ld x29, 29*8(sp); \
        ld x30, 30*8(sp); ld x31, 31*8(sp)

/* ------------------------------------------------------------------ */
/* M-mode trap handler. mscratch holds the frame address (the frame sits
 * at the top of the M trap stack; code below it uses the stack).      */

        .align 8
        .globl trap_entry
trap_entry:
        csrrw sp, mscratch, sp
        SAVE_REGS
        csrr t0, mscratch
        sd t0, 2*8(sp)
        mv s0, sp                       /* s0 = frame */

        csrr s1, mcause
        csrr s2, mtval
        csrr s3, mepc
        csrr s4, mstatus
        la t0, trap_cause
        sd s1, 0(t0)
        la t0, trap_tval
        sd s2, 0(t0)
        la t0, trap_epc
        sd s3, 0(t0)
        la t0, trap_mstatus
        sd s4, 0(t0)

        /* Failure report from any mode: ecall with t6 == FAIL_MAGIC. */
        bltz s1, 1f
        li t0, CAUSE_USER_ECALL
        beq s1, t0, 2f
        li t0, CAUSE_SUPERVISOR_ECALL
        beq s1, t0, 2f
        li t0, CAUSE_MACHINE_ECALL
        bne s1, t0, 1f
2:      ld t0, 31*8(s0)
        li t1, FAIL_MAGIC
        bne t0, t1, 1f
        ld gp, 3*8(s0)
        j fail_direct
1:
        /* Log it. */
        andi a0, s1, 0x7f
        bgez s1, 1f
        ori a0, a0, 0x80
1:      call log_append

        /* Optional hook: a0 = mcause, a1 = frame; returns a0 != 0 when
         * it fully handled the trap (then mepc is taken as it left it). */
        ld t0, trap_hook
        beqz t0, 1f
        mv a0, s1
        mv a1, s0
        jalr t0
        beqz a0, 1f
        la t0, trap_count
        ld t1, 0(t0)
        addi t1, t1, 1
        sd t1, 0(t0)
        j trap_return
1:
        ld s5, trap_mode
        beqz s5, trap_unexpected
        la t0, trap_count
        ld t1, 0(t0)
        addi t1, t1, 1
        sd t1, 0(t0)
        li t0, TM_PERSIST
        beq s5, t0, 1f
        la t0, trap_mode                /* one-shot */
        sd zero, 0(t0)
1:
        bgez s1, trap_exception
        /* Interrupt: silence its source. */
        slli t0, s1, 1
        srli t0, t0, 1
        li t1, IRQ_M_SOFT
        bne t0, t1, 1f
        li t2, CLINT_MSIP
        sw zero, 0(t2)
        j 9f
1:      li t1, IRQ_M_TIMER
        bne t0, t1, 1f
        li t2, CLINT_MTIMECMP
        li t3, -1
        sd t3, 0(t2)
        j 9f
1:      li t1, IRQ_S_SOFT
        bne t0, t1, 1f
        csrci mip, MIP_SSIP
        j 9f
1:      li t1, IRQ_S_TIMER
        bne t0, t1, 1f
        li t2, MIP_STIP
        csrc mip, t2
        j 9f
1:      li t1, 1                        /* anything else: mask it */
        sll t1, t1, t0
        csrc mie, t1
9:      li t0, TM_RESUME
        beq s5, t0, trap_resume_m
        j trap_return

trap_exception:
        li t0, TM_RESUME
        beq s5, t0, trap_resume_m
        /* skip the instruction at mepc (must be readable by M) */
        lhu t0, 0(s3)
        andi t0, t0, 3
        li t1, 3
        addi s3, s3, 2
        bne t0, t1, 1f
        addi s3, s3, 2
1:      csrw mepc, s3
        j trap_return

trap_resume_m:
        ld t0, trap_resume
        csrw mepc, t0
        li t0, MSTATUS_MPP
        csrs mstatus, t0

trap_return:
        mv sp, s0
        RESTORE_REGS
        csrrw sp, mscratch, sp
        mret

trap_unexpected:
        la sp, mtrap_stack_top - 512
        la a0, msg_unexp
        call puts
        mv a0, s1
        call puthex
        la a0, msg_epc
        call puts
        mv a0, s3
        call puthex
        la a0, msg_tval
        call puts
        mv a0, s2
        call puthex
        la a0, msg_test
        call puts
        ld a0, 3*8(s0)
        call putdec
        li a0, '\n'
        call putchar
        andi t0, s1, 0x3f
        addi gp, t0, 200
        bgez s1, 1f
        addi gp, t0, 240
1:      j fail_direct

/* ------------------------------------------------------------------ */
/* S-mode trap handler (install with INSTALL_STVEC). sscratch = frame. */

        .align 8
        .globl strap_entry
strap_entry:
        csrrw sp, sscratch, sp
        SAVE_REGS
        csrr t0, sscratch
        sd t0, 2*8(sp)
        mv s0, sp
        csrr s1, scause
        csrr s2, stval
        csrr s3, sepc
        csrr s4, sstatus
        la t0, strap_cause
        sd s1, 0(t0)
        la t0, strap_tval
        sd s2, 0(t0)
        la t0, strap_epc
        sd s3, 0(t0)
        la t0, strap_sstatus
        sd s4, 0(t0)

        /* failure report delegated here: forward it to M */
        bltz s1, 1f
        li t0, CAUSE_USER_ECALL
        bne s1, t0, 1f
        ld t0, 31*8(s0)
        li t1, FAIL_MAGIC
        bne t0, t1, 1f
        ld gp, 3*8(s0)
        li t6, FAIL_MAGIC
        ecall
1:
        andi a0, s1, 0x7f
        bgez s1, 1f
        ori a0, a0, 0x80
1:      ori a0, a0, 0x100
        call log_append

        ld t0, strap_hook
        beqz t0, 1f
        mv a0, s1
        mv a1, s0
        jalr t0
        beqz a0, 1f
        la t0, strap_count
        ld t1, 0(t0)
        addi t1, t1, 1
        sd t1, 0(t0)
        j strap_return
1:
        ld s5, strap_mode
        beqz s5, strap_unexpected
        la t0, strap_count
        ld t1, 0(t0)
        addi t1, t1, 1
        sd t1, 0(t0)
        li t0, TM_PERSIST
        beq s5, t0, 1f
        la t0, strap_mode
        sd zero, 0(t0)
1:
        bgez s1, strap_exception
        slli t0, s1, 1
        srli t0, t0, 1
        li t1, IRQ_S_SOFT
        bne t0, t1, 1f
        csrci sip, MIP_SSIP
        j 9f
1:      li t1, 1                        /* others (STIP, SEIP): mask */
        sll t1, t1, t0
        csrc sie, t1
9:      li t0, TM_RESUME
        beq s5, t0, strap_resume_s
        j strap_return

strap_exception:
        li t0, TM_RESUME
        beq s5, t0, strap_resume_s
        lhu t0, 0(s3)
        andi t0, t0, 3
        li t1, 3
        addi s3, s3, 2
        bne t0, t1, 1f
        addi s3, s3, 2
1:      csrw sepc, s3
        j strap_return

strap_resume_s:
        ld t0, strap_resume
        csrw sepc, t0
        li t0, MSTATUS_SPP
        csrs sstatus, t0

strap_return:
        mv sp, s0
        RESTORE_REGS
        csrrw sp, sscratch, sp
        sret

strap_unexpected:
        la sp, strap_stack_top - 512
        la a0, msg_sunexp
        call puts
        mv a0, s1
        call puthex
        la a0, msg_epc
        call puts
        mv a0, s3
        call puthex
        la a0, msg_tval
        call puts
        mv a0, s2
        call puthex
        la a0, msg_test
        call puts
        ld a0, 3*8(s0)
        call putdec
        li a0, '\n'
        call putchar
        andi t0, s1, 0x1f
        addi gp, t0, 160
        bgez s1, 1f
        addi gp, t0, 190
1:      li t6, FAIL_MAGIC
        ecall
2:      j 2b

/* ------------------------------------------------------------------ */
/* Page tables.
 *   vm_init(a0 = satp mode 8/9/10) -> a0 = satp value (not written).
 *     Root table plus identity superpages (1 GiB, level 2) for
 *     [0, 1G) (MMIO: CLINT, test finisher, UART) and [2G, 3G) (RAM), RWX, A+D,
 *     not U.
 *   vm_map(a0 = va, a1 = pa, a2 = PTE flags (V must be included by the
 *     caller if wanted), a3 = level: 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB,
 *     3 = 512 GiB, 4 = 256 TiB) -> a0 = address of the leaf PTE.
 *     Intermediate tables are allocated from vm_pool. Clobbers t0-t6, a4.
 *   vm_pte(a0 = va, a1 = level) -> a0 = address of the PTE for va at that
 *     level (tables must exist). */

        .globl vm_init
vm_init:
        mv a5, ra
        la t0, vm_mode
        sd a0, 0(t0)
        addi t1, a0, -5                 /* levels: 8->3, 9->4, 10->5 */
        la t0, vm_levels
        sd t1, 0(t0)
        la t0, vm_pool
        la t1, vm_pool_next
        li t2, 4096
        add t3, t0, t2
        sd t3, 0(t1)                    /* first pool page is the root */
        la t1, vm_root
        sd t0, 0(t1)
        mv a0, t0
        call vm_zero_page
        /* identity gigapages */
        li a0, 0
        li a1, 0
        li a2, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
        li a3, 2
        call vm_map
        li a0, 0x80000000
        li a1, 0x80000000
        li a2, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
        li a3, 2
        call vm_map
        ld t0, vm_mode
        slli t0, t0, 60
        ld t1, vm_root
        srli t1, t1, 12
        or a0, t0, t1
        mv ra, a5
        ret

vm_zero_page:                           /* a0 = page; clobbers t0, t1 */
        li t0, 4096
        add t0, t0, a0
        mv t1, a0
1:      sd zero, 0(t1)
        addi t1, t1, 8
        bltu t1, t0, 1b
        ret

        .globl vm_map
vm_map:
        mv a4, ra
        mv a6, a0                       /* preserve va */
        ld t1, vm_root
        ld t2, vm_levels
        addi t2, t2, -1                 /* current level */
1:      li t3, 9
        mul t3, t3, t2
        addi t3, t3, 12
        srl t4, a6, t3
        andi t4, t4, 511
        slli t4, t4, 3
        add t4, t1, t4                  /* PTE address */
        beq t2, a3, 3f
        ld t5, 0(t4)
        andi t6, t5, PTE_V
        bnez t6, 2f
        /* allocate a table */
        la t6, vm_pool_next
        ld a0, 0(t6)
        li t5, 4096
        add t5, a0, t5
        sd t5, 0(t6)
        mv t6, t1
        call vm_zero_page
        mv t1, t6
        srli t5, a0, 12
        slli t5, t5, 10
        ori t5, t5, PTE_V
        sd t5, 0(t4)
2:      srli t5, t5, 10
        slli t1, t5, 12
        addi t2, t2, -1
        j 1b
3:      srli t5, a1, 12
        slli t5, t5, 10
        or t5, t5, a2
        sd t5, 0(t4)
        mv a0, t4
        mv ra, a4
        ret

        .globl vm_pte
vm_pte:
        ld t1, vm_root
        ld t2, vm_levels
        addi t2, t2, -1
1:      li t3, 9
        mul t3, t3, t2
        addi t3, t3, 12
        srl t4, a0, t3
        andi t4, t4, 511
        slli t4, t4, 3
        add t4, t1, t4
        beq t2, a1, 2f
        ld t5, 0(t4)
        srli t5, t5, 10
        slli t1, t5, 12
        addi t2, t2, -1
        j 1b
2:      mv a0, t4
        ret

/* ------------------------------------------------------------------ */
        .section .rodata
msg_fail:   .asciz "FAIL test "
msg_unexp:  .asciz "unexpected M-mode trap: mcause="
msg_sunexp: .asciz "unexpected S-mode trap: scause="
msg_epc:    .asciz " epc="
msg_tval:   .asciz " tval="
msg_test:   .asciz " test="

        .section .tohost, "aw", @progbits
        .align 6
        .globl tohost
tohost: .dword 0
        .size tohost, 8
        .type tohost, @object
        .align 6
        .globl fromhost
fromhost: .dword 0
        .size fromhost, 8
        .type fromhost, @object

        .data
        .align 3
        .globl trap_mode, trap_resume, trap_count, trap_cause, trap_tval
        .globl trap_epc, trap_mstatus, trap_hook, trap_log, log_count
        .globl strap_mode, strap_resume, strap_count, strap_cause, strap_tval
        .globl strap_epc, strap_sstatus, strap_hook
        .globl vm_root, vm_levels, vm_mode, vm_pool_next
trap_mode:    .dword 0
trap_resume:  .dword 0
trap_count:   .dword 0
trap_cause:   .dword -1
trap_tval:    .dword -1
trap_epc:     .dword -1
trap_mstatus: .dword 0
trap_hook:    .dword 0
strap_mode:   .dword 0
strap_resume: .dword 0
strap_count:  .dword 0
strap_cause:  .dword -1
strap_tval:   .dword -1
strap_epc:    .dword -1
strap_sstatus: .dword 0
strap_hook:   .dword 0
log_count:    .dword 0
trap_log:     .zero 16*8
vm_root:      .dword 0
vm_levels:    .dword 0
vm_mode:      .dword 0
vm_pool_next: .dword 0

        .bss
        .align 12
        .globl vm_pool
vm_pool:      .zero 32*4096
        .globl stack_top, mtrap_stack_top, strap_stack_top
stack:        .zero 16384
stack_top:
              .zero 8192
mtrap_stack_top:
        .globl mtrap_frame, strap_frame
mtrap_frame = mtrap_stack_top - 256
              .zero 8192
strap_stack_top:
strap_frame = strap_stack_top - 256
