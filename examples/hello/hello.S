# A bare-metal RISC-V program that runs unchanged on strata and on
# qemu-system-riscv64 -M virt -bios none: it prints a greeting on the
# NS16550A UART and powers off through the SiFive test finisher.
	.section .text
	.globl _start
_start:
	li	t0, 0x10000000		# UART THR
	la	t1, msg
1:	lbu	t2, 0(t1)
	beqz	t2, 2f
	sb	t2, 0(t0)
	addi	t1, t1, 1
	j	1b
2:	li	t0, 0x100000		# SiFive test finisher
	li	t1, 0x5555		# pass
	sw	t1, 0(t0)
3:	wfi
	j	3b

	.section .rodata
msg:	.asciz	"Hello from a RISC-V hart emulated by strata.\n"
