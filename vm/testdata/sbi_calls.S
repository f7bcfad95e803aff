# Calls SBI set_timer (TIME extension) 100000 times, then shuts down: the
# cost of a hypercall, answered in the host (builtin SBI) or by M-mode
# firmware after a trap (OpenSBI).
	.globl _start
_start:
	li	s0, 100000
1:	li	a7, 0x54494D45		# TIME
	li	a6, 0			# set_timer
	li	a0, -1			# far in the future
	ecall
	addi	s0, s0, -1
	bnez	s0, 1b
	li	a7, 0x53525354		# SRST shutdown
	li	a6, 0
	li	a0, 0
	li	a1, 0
	ecall
2:	j	2b
