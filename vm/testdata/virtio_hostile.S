# A hostile S-mode guest: it sets up virtio-blk in slot 0 the way a driver
# does, then hands the device a bad descriptor chain (CASE selects which)
# and reports through the SBI console whether the device marked itself
# broken (DEVICE_NEEDS_RESET): "broken" or "accepted". The host must
# survive and write nothing outside guest RAM.
#define MMIO 0x10001000
#define Q    0x80400000		/* descriptor table; avail at +0x100, used at +0x200 */

	.globl _start
_start:
	li	s0, MMIO
	sw	zero, 0x70(s0)		# reset
	li	t0, 1
	sw	t0, 0x70(s0)		# ACKNOWLEDGE
	li	t0, 3
	sw	t0, 0x70(s0)		# DRIVER
	li	t0, 1
	sw	t0, 0x24(s0)		# DriverFeaturesSel = 1
	sw	t0, 0x20(s0)		# VERSION_1 (bit 32)
	sw	zero, 0x24(s0)
	sw	zero, 0x20(s0)
	li	t0, 0xb
	sw	t0, 0x70(s0)		# FEATURES_OK
	sw	zero, 0x30(s0)		# QueueSel 0
	li	t0, 8
	sw	t0, 0x38(s0)		# QueueNum 8
	li	s1, Q
	sw	s1, 0x80(s0)		# QueueDescLow
	sw	zero, 0x84(s0)
	addi	t0, s1, 0x100
	sw	t0, 0x90(s0)		# QueueDriverLow
	sw	zero, 0x94(s0)
	addi	t0, s1, 0x200
	sw	t0, 0xa0(s0)		# QueueDeviceLow
	sw	zero, 0xa4(s0)
	li	t0, 1
	sw	t0, 0x44(s0)		# QueueReady
	li	t0, 0xf
	sw	t0, 0x70(s0)		# DRIVER_OK

	# Descriptor 0 (16 bytes: addr, len, flags, next).
#if CASE == 1
	li	t0, 0xdead000000000000	# outside guest RAM
	li	t1, 16
	li	t2, 0
#elif CASE == 2
	mv	t0, s1			# a loop: 0 -> 0
	li	t1, 16
	li	t2, 1			# NEXT, next = 0
#elif CASE == 3
	li	t0, 0xfffffffffffffff0	# addr + len overflows 64 bits
	li	t1, 0x100
	li	t2, 0
#endif
	sd	t0, 0(s1)
	sw	t1, 8(s1)
	sh	t2, 12(s1)
	sh	zero, 14(s1)
	sh	zero, 0x100(s1)		# avail.flags
	sh	zero, 0x104(s1)		# avail.ring[0] = 0
	li	t0, 1
	sh	t0, 0x102(s1)		# avail.idx = 1
	fence
	sw	zero, 0x50(s0)		# QueueNotify 0

	lw	t0, 0x70(s0)		# Status
	andi	t0, t0, 0x40		# DEVICE_NEEDS_RESET
	la	s2, accepted
	beqz	t0, 1f
	la	s2, broken
1:	lbu	a0, 0(s2)
	beqz	a0, 2f
	li	a7, 1			# SBI legacy putchar
	ecall
	addi	s2, s2, 1
	j	1b
2:	li	a7, 0x53525354		# SRST shutdown
	li	a6, 0
	li	a0, 0
	li	a1, 0
	ecall
3:	j	3b

	.section .rodata
broken:	.asciz	"broken\n"
accepted: .asciz "accepted\n"
