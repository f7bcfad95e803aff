# An S-mode payload for the builtin-SBI and firmware boot tests: checks that
# a1 points at a device tree, prints through the SBI console (legacy
# putchar), then powers off through SBI SRST with reason 0 (or 1 if the
# device-tree check failed).
	.globl _start
_start:
	lwu	t0, 0(a1)		# FDT magic 0xd00dfeed, big-endian
	li	t1, 0xedfe0dd0
	li	s1, 0			# SRST reason: 0 = no reason (success)
	beq	t0, t1, 1f
	li	s1, 1			# 1 = system failure
1:	la	s0, msg
2:	lbu	a0, 0(s0)
	beqz	a0, 3f
	li	a7, 1			# legacy console_putchar
	ecall
	addi	s0, s0, 1
	j	2b
3:	li	a7, 0x53525354		# SRST
	li	a6, 0			# system_reset
	li	a0, 0			# shutdown
	mv	a1, s1
	ecall
4:	wfi
	j	4b
	.section .rodata
msg:	.asciz	"hello from S-mode\n"
