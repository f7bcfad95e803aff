# Arms the CLINT timer 300 ms ahead, sleeps in WFI with the timer
# interrupt enabled in mie but globally disabled (so WFI just returns),
# then passes through the SiFive test finisher.
	.globl _start
_start:
	li	t0, 0x2004000		# mtimecmp[0]
	li	t1, 0x200bff8		# mtime
	ld	t2, 0(t1)
	li	t3, 3000000		# 300 ms at 10 MHz
	add	t2, t2, t3
	sd	t2, 0(t0)
	li	t4, 0x80		# MTIE
	csrw	mie, t4
1:	wfi
	csrr	t5, mip
	andi	t5, t5, 0x80
	beqz	t5, 1b
	li	t0, 0x100000
	li	t1, 0x5555
	sw	t1, 0(t0)
2:	j	2b
