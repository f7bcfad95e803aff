# An S-mode payload for the snapshot tests: prints "tick N" ten times,
# mixing a checksum between ticks (busy work) and sleeping 30 ms on the SBI
# timer (Sstc stimecmp + wfi), then prints the checksum in hex and powers
# off through SBI SRST.
	.globl _start
_start:
	li	s0, 0			# tick counter
	li	s2, 0			# checksum
	li	t0, 0x20		# sie.STIE
	csrs	sie, t0
loop:
	la	s1, msg
1:	lbu	a0, 0(s1)
	beqz	a0, 2f
	li	a7, 1			# legacy console_putchar
	ecall
	addi	s1, s1, 1
	j	1b
2:	addi	a0, s0, '0'
	li	a7, 1
	ecall
	li	a0, '\n'
	li	a7, 1
	ecall
	li	t1, 200000		# busy work
3:	slli	t2, s2, 5
	sub	s2, t2, s2		# s2 *= 31
	add	s2, s2, t1
	addi	t1, t1, -1
	bnez	t1, 3b
	rdtime	t2			# sleep 30 ms (10 MHz timebase)
	li	t3, 300000
	add	a0, t2, t3
	li	a7, 0x54494D45		# TIME set_timer
	li	a6, 0
	ecall
4:	wfi
	csrr	t4, sip
	andi	t4, t4, 0x20
	beqz	t4, 4b
	li	a0, -1			# cancel (clears STIP)
	li	a7, 0x54494D45
	li	a6, 0
	ecall
	addi	s0, s0, 1
	li	t0, 10
	blt	s0, t0, loop
	la	s1, summsg
5:	lbu	a0, 0(s1)
	beqz	a0, 6f
	li	a7, 1
	ecall
	addi	s1, s1, 1
	j	5b
6:	li	s3, 60			# print s2 in hex, high nibble first
7:	srl	t0, s2, s3
	andi	t0, t0, 15
	la	t1, hex
	add	t1, t1, t0
	lbu	a0, 0(t1)
	li	a7, 1
	ecall
	addi	s3, s3, -4
	bgez	s3, 7b
	li	a0, '\n'
	li	a7, 1
	ecall
	li	a7, 0x53525354		# SRST system_reset: shutdown, no reason
	li	a6, 0
	li	a0, 0
	li	a1, 0
	ecall
8:	wfi
	j	8b
	.section .rodata
msg:	.asciz	"tick "
summsg:	.asciz	"sum "
hex:	.ascii	"0123456789abcdef"
