package dev

// Finisher is the SiFive test device ("sifive,test0") at 0x100000 on QEMU's
// virt board: writing 0x5555 passes (exit 0), 0x3333 | code<<16 fails with
// code, 0x7777 resets.
type Finisher struct {
	// Exit is called with the requested exit status (and reset=true for a
	// reset request).
	Exit func(code int, reset bool)
}

// Finisher commands.
const (
	FinisherFail  = 0x3333
	FinisherPass  = 0x5555
	FinisherReset = 0x7777
)

// Read implements riscv.Device; the register reads as zero.
func (f *Finisher) Read(off uint64, size int) (uint64, bool) { return 0, true }

// Write implements riscv.Device.
func (f *Finisher) Write(off uint64, size int, val uint64) bool {
	if off != 0 || size < 2 {
		return true // other offsets and byte writes are ignored
	}
	// OpenSBI writes the command with a 16-bit store; a 32-bit store can
	// also carry a failure code in the upper half.
	switch val & 0xffff {
	case FinisherPass:
		f.Exit(0, false)
	case FinisherFail:
		code := int(val>>16) & 0xffff
		if code == 0 {
			code = 1
		}
		f.Exit(code, false)
	case FinisherReset:
		f.Exit(0, true)
	}
	return true
}
