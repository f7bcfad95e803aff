package riscv

// RegName returns the ABI name of integer register r (RegSink reads as
// "zero").
func RegName(r uint8) string { return xNames[r%33] }

// FRegName returns the ABI name of floating-point register r.
func FRegName(r uint8) string { return fNames[r&31] }

// writesF reports which ops write a floating-point register.
var writesF = func() (w [opCount]bool) {
	for o := OpFLW; o < opCount; o++ {
		w[o] = !writesX[o] && o != OpFSW && o != OpFSD
	}
	return w
}()

// WritesF reports whether op writes a floating-point register.
func (o Op) WritesF() bool { return o < opCount && writesF[o] }

// SetTrace installs (or, with nil, removes) a hook called before every
// instruction executes.
func (h *Hart) SetTrace(fn func(h *Hart, pc uint64, in Inst)) { h.cfg.Trace = fn }

// TimerDeadline returns the Sstc supervisor timer's compare value when it is
// enabled (menvcfg.STCE), for a machine deciding how long an idle hart may
// sleep.
func (h *Hart) TimerDeadline() (uint64, bool) {
	if h.menvcfg&menvcfgSTCE == 0 || h.mie&MipSTIP == 0 {
		return 0, false
	}
	return h.stimecmp, true
}
