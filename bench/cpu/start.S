/*
 * Startup for the strata CPU benchmarks (bare metal, M-mode, hart 0).
 *
 *   - park every hart but hart 0 (QEMU virt -smp 1 has only hart 0 anyway)
 *   - set gp and sp, install a trap handler that reports and fails
 *   - zero .bss
 *   - enable the FPU (mstatus.FS = Initial) and clear fcsr
 *   - call main; exit through the SiFive test finisher at 0x100000:
 *     0x5555 on success, 0x3333 | (status << 16) on failure.
 *
 * With -DBENCH_INSTRET the minstret CSR is read at entry and after main and
 * the difference is printed by report_instret() (used for calibration on
 * QEMU with -icount shift=0, where minstret counts guest instructions).
 */
#define FINISHER 0x100000

	.section .text.init, "ax", @progbits
	.globl _start
_start:
#ifdef BENCH_INSTRET
	csrr	s1, minstret
#endif
	csrr	t0, mhartid
	bnez	t0, park

	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	la	sp, __stack_top

	la	t0, trap_entry
	csrw	mtvec, t0

	/* zero .bss (both ends are 8-byte aligned) */
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	/* FPU on: mstatus.FS = 01 (Initial); round-to-nearest, flags clear */
	li	t0, (1 << 13)
	csrs	mstatus, t0
	csrwi	fcsr, 0

	call	main
	mv	s2, a0
#ifdef BENCH_INSTRET
	csrr	a1, minstret
	sub	a0, a1, s1
	call	report_instret
#endif
	mv	a0, s2
	/* fall through */

	.globl	bench_exit
bench_exit:
	li	t0, FINISHER
	beqz	a0, 3f
	slli	a0, a0, 16
	li	t1, 0x3333
	or	a0, a0, t1
	sw	a0, 0(t0)
	j	park
3:	li	t1, 0x5555
	sw	t1, 0(t0)
park:
	wfi
	j	park

	/* Any trap is a bug: report it from C on the normal stack and fail. */
	.align	2
trap_entry:
	la	sp, __stack_top
	csrr	a0, mcause
	csrr	a1, mepc
	csrr	a2, mtval
	call	trap_report
	li	a0, 2
	j	bench_exit
