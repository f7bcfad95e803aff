# Waits for an interrupt with every interrupt disabled in mie: nothing can
# ever wake the hart.
	.globl _start
_start:
	wfi
	j	_start
