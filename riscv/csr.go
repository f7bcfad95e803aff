package riscv

// CSR numbers.
const (
	CSRFflags     = 0x001
	CSRFrm        = 0x002
	CSRFcsr       = 0x003
	CSRCycle      = 0xc00
	CSRTime       = 0xc01
	CSRInstret    = 0xc02
	CSRSstatus    = 0x100
	CSRSie        = 0x104
	CSRStvec      = 0x105
	CSRScounteren = 0x106
	CSRSenvcfg    = 0x10a
	CSRSscratch   = 0x140
	CSRSepc       = 0x141
	CSRScause     = 0x142
	CSRStval      = 0x143
	CSRSip        = 0x144
	CSRStimecmp   = 0x14d
	CSRSatp       = 0x180
	CSRMvendorid  = 0xf11
	CSRMarchid    = 0xf12
	CSRMimpid     = 0xf13
	CSRMhartid    = 0xf14
	CSRMconfigptr = 0xf15
	CSRMstatus    = 0x300
	CSRMisa       = 0x301
	CSRMedeleg    = 0x302
	CSRMideleg    = 0x303
	CSRMie        = 0x304
	CSRMtvec      = 0x305
	CSRMcounteren = 0x306
	CSRMenvcfg    = 0x30a
	CSRMcountinh  = 0x320
	CSRMscratch   = 0x340
	CSRMepc       = 0x341
	CSRMcause     = 0x342
	CSRMtval      = 0x343
	CSRMip        = 0x344
	CSRPmpcfg0    = 0x3a0
	CSRPmpaddr0   = 0x3b0
	CSRTselect    = 0x7a0
	CSRTdata1     = 0x7a1
	CSRTdata2     = 0x7a2
	CSRTdata3     = 0x7a3
	CSRTinfo      = 0x7a4
	CSRMcycle     = 0xb00
	CSRMinstret   = 0xb02
)

// mstatus fields.
const (
	mstatusSIE  = 1 << 1
	mstatusMIE  = 1 << 3
	mstatusSPIE = 1 << 5
	mstatusUBE  = 1 << 6
	mstatusMPIE = 1 << 7
	mstatusSPP  = 1 << 8
	mstatusVS   = 3 << 9
	mstatusMPP  = 3 << 11
	mstatusFS   = 3 << 13
	mstatusXS   = 3 << 15
	mstatusMPRV = 1 << 17
	mstatusSUM  = 1 << 18
	mstatusMXR  = 1 << 19
	mstatusTVM  = 1 << 20
	mstatusTW   = 1 << 21
	mstatusTSR  = 1 << 22
	mstatusUXL  = 3 << 32
	mstatusSD   = 1 << 63

	mstatusWritable = mstatusSIE | mstatusMIE | mstatusSPIE | mstatusMPIE | mstatusSPP |
		mstatusMPP | mstatusFS | mstatusMPRV | mstatusSUM | mstatusMXR | mstatusTVM | mstatusTW | mstatusTSR
	sstatusMask = mstatusSIE | mstatusSPIE | mstatusUBE | mstatusSPP | mstatusVS | mstatusFS |
		mstatusXS | mstatusSUM | mstatusMXR | mstatusUXL | mstatusSD

	menvcfgSTCE = 1 << 63
	// Writable menvcfg bits: FIOM and STCE (Sstc). PBMT/CBIE/CBCFE/CBZE are
	// not implemented and read as zero.
	menvcfgMask = 1 | menvcfgSTCE
	senvcfgMask = 1

	medelegMask = 0xb3ff // every exception but ECALL from M
	midelegMask = MipSSIP | MipSTIP | MipSEIP
	mieMask     = MipSSIP | MipMSIP | MipSTIP | MipMTIP | MipSEIP | MipMEIP
	counterMask = 7 // CY, TM, IR; hpmcounters read as zero
)

// fsDirty marks the floating-point state dirty.
func (h *Hart) fsDirty() { h.mstatus |= mstatusFS }

// readMstatus returns mstatus with SD computed.
func (h *Hart) readMstatus() uint64 {
	s := h.mstatus
	if s&mstatusFS == mstatusFS {
		s |= mstatusSD
	}
	return s
}

// counterAllowed applies mcounteren/scounteren to user-level counter reads.
func (h *Hart) counterAllowed(bit uint) bool {
	if h.Priv < PrivM && h.mcounteren>>bit&1 == 0 {
		return false
	}
	if h.Priv == PrivU && h.scounteren>>bit&1 == 0 {
		return false
	}
	return true
}

// CSR reads a CSR as M-mode software would, for debuggers and tests.
func (h *Hart) CSR(n uint16) (uint64, bool) {
	p := h.Priv
	h.Priv = PrivM
	v, ok := h.csrRead(n)
	h.Priv = p
	return v, ok
}

// SetCSR writes a CSR as M-mode software would.
func (h *Hart) SetCSR(n uint16, v uint64) bool {
	p := h.Priv
	h.Priv = PrivM
	ok := h.csrWrite(n, v)
	h.Priv = p
	h.updateCtx()
	return ok
}

// csrRead returns the value of CSR n, or false if it does not exist or is
// not accessible at the current privilege.
func (h *Hart) csrRead(n uint16) (uint64, bool) {
	if uint8(n>>8&3) > h.Priv {
		return 0, false
	}
	switch {
	case n >= 0xc03 && n <= 0xc1f: // hpmcounter3..31
		return 0, h.counterAllowed(uint(n - 0xc00))
	case n >= 0xb03 && n <= 0xb1f, n >= 0x323 && n <= 0x33f: // mhpmcounter/event
		return 0, true
	case n >= CSRPmpcfg0 && n <= CSRPmpcfg0+15:
		if n&1 != 0 {
			return 0, false // odd pmpcfg CSRs do not exist on RV64
		}
		i := int(n-CSRPmpcfg0) * 4
		if i >= 16 {
			return 0, true
		}
		var v uint64
		for k := 0; k < 8; k++ {
			v |= uint64(h.pmpcfg[i+k]) << (8 * k)
		}
		return v, true
	case n >= CSRPmpaddr0 && n <= CSRPmpaddr0+63:
		i := int(n - CSRPmpaddr0)
		if i >= 16 {
			return 0, true
		}
		return h.pmpaddr[i], true
	}
	switch n {
	case CSRFflags, CSRFrm, CSRFcsr:
		if h.mstatus&mstatusFS == 0 {
			return 0, false
		}
		switch n {
		case CSRFflags:
			return h.fcsr & 0x1f, true
		case CSRFrm:
			return h.fcsr >> 5 & 7, true
		}
		return h.fcsr & 0xff, true
	case CSRCycle:
		return h.instret + h.cycleDelta, h.counterAllowed(0)
	case CSRTime:
		return h.time(), h.counterAllowed(1)
	case CSRInstret:
		return h.instret, h.counterAllowed(2)
	case CSRSstatus:
		return h.readMstatus() & sstatusMask, true
	case CSRSie:
		return h.mie & h.mideleg, true
	case CSRStvec:
		return h.stvec, true
	case CSRScounteren:
		return h.scounteren, true
	case CSRSenvcfg:
		return h.senvcfg, true
	case CSRSscratch:
		return h.sscratch, true
	case CSRSepc:
		return h.sepc, true
	case CSRScause:
		return h.scause, true
	case CSRStval:
		return h.stval, true
	case CSRSip:
		return h.mip() & h.mideleg, true
	case CSRStimecmp:
		if !h.stimecmpAllowed() {
			return 0, false
		}
		return h.stimecmp, true
	case CSRSatp:
		if h.Priv == PrivS && h.mstatus&mstatusTVM != 0 {
			return 0, false
		}
		return h.satp, true
	case CSRMvendorid, CSRMarchid, CSRMimpid, CSRMconfigptr:
		return 0, true
	case CSRMhartid:
		return h.cfg.HartID, true
	case CSRMstatus:
		return h.readMstatus(), true
	case CSRMisa:
		return h.misa, true
	case CSRMedeleg:
		return h.medeleg, true
	case CSRMideleg:
		return h.mideleg, true
	case CSRMie:
		return h.mie, true
	case CSRMtvec:
		return h.mtvec, true
	case CSRMcounteren:
		return h.mcounteren, true
	case CSRMenvcfg:
		return h.menvcfg, true
	case CSRMcountinh:
		return 0, true
	case CSRMscratch:
		return h.mscratch, true
	case CSRMepc:
		return h.mepc, true
	case CSRMcause:
		return h.mcause, true
	case CSRMtval:
		return h.mtval, true
	case CSRMip:
		return h.mip(), true
	case CSRTselect, CSRTdata1, CSRTdata2, CSRTdata3:
		// Sdtrig with zero triggers: tselect is hard-wired to 0 and
		// tdata1.type reads 0, "no trigger at this tselect".
		return 0, true
	case CSRTinfo:
		return 1, true // only type 0 (no trigger) is supported
	case CSRMcycle:
		return h.instret + h.cycleDelta, true
	case CSRMinstret:
		return h.instret, true
	}
	return 0, false
}

func (h *Hart) stimecmpAllowed() bool {
	if h.Priv < PrivM && (h.menvcfg&menvcfgSTCE == 0 || h.mcounteren&2 == 0) {
		return false
	}
	return true
}

// csrWrite writes CSR n; the caller has checked that the CSR exists, is
// accessible and is not read-only. The value retired-instruction counters
// receive accounts for the increment of the writing instruction itself.
func (h *Hart) csrWrite(n uint16, v uint64) bool {
	switch {
	case n >= 0xb03 && n <= 0xb1f, n >= 0x323 && n <= 0x33f:
		return true
	case n >= CSRPmpcfg0 && n <= CSRPmpcfg0+15:
		i := int(n-CSRPmpcfg0) * 4
		if i < 16 {
			for k := 0; k < 8; k++ {
				h.writePmpcfg(i+k, uint8(v>>(8*k)))
			}
			h.FlushTLB()
		}
		return true
	case n >= CSRPmpaddr0 && n <= CSRPmpaddr0+63:
		i := int(n - CSRPmpaddr0)
		if i < 16 && !h.pmpAddrLocked(i) {
			h.pmpaddr[i] = v & (1<<54 - 1)
			h.FlushTLB()
		}
		return true
	}
	switch n {
	case CSRFflags:
		h.fcsr = h.fcsr&^0x1f | v&0x1f
		h.fsDirty()
	case CSRFrm:
		h.fcsr = h.fcsr&^0xe0 | (v&7)<<5
		h.fsDirty()
	case CSRFcsr:
		h.fcsr = v & 0xff
		h.fsDirty()
	case CSRSstatus:
		h.writeMstatus(h.mstatus&^sstatusMask | v&sstatusMask)
	case CSRSie:
		h.mie = h.mie&^h.mideleg | v&h.mideleg&mieMask
	case CSRStvec:
		h.stvec = legalTvec(h.stvec, v)
	case CSRScounteren:
		h.scounteren = v & counterMask
	case CSRSenvcfg:
		h.senvcfg = v & senvcfgMask
	case CSRSscratch:
		h.sscratch = v
	case CSRSepc:
		h.sepc = v &^ 1
	case CSRScause:
		h.scause = v
	case CSRStval:
		h.stval = v
	case CSRSip:
		m := h.mideleg & MipSSIP
		h.mipSW = h.mipSW&^m | v&m
	case CSRStimecmp:
		h.stimecmp = v
	case CSRSatp:
		mode := v >> 60
		if mode != 0 && mode != 8 && mode != 9 && mode != 10 {
			return true // WARL: an unsupported mode leaves satp unchanged
		}
		h.satp = v & (0xf<<60 | 0xffff<<44 | (1<<44 - 1))
		h.FlushTLB()
	case CSRMstatus:
		h.writeMstatus(v)
	case CSRMisa:
		// misa is read-only in strata: extensions cannot be switched off.
	case CSRMedeleg:
		h.medeleg = v & medelegMask
	case CSRMideleg:
		h.mideleg = v & midelegMask
	case CSRMie:
		h.mie = v & mieMask
	case CSRMtvec:
		h.mtvec = legalTvec(h.mtvec, v)
	case CSRMcounteren:
		h.mcounteren = v & counterMask
	case CSRMenvcfg:
		h.menvcfg = v & menvcfgMask
	case CSRMcountinh:
		// Counters cannot be inhibited: mcountinhibit is read-only zero.
	case CSRMscratch:
		h.mscratch = v
	case CSRMepc:
		h.mepc = v &^ 1
	case CSRMcause:
		h.mcause = v
	case CSRMtval:
		h.mtval = v
	case CSRMip:
		m := uint64(MipSSIP | MipSEIP)
		if h.menvcfg&menvcfgSTCE == 0 {
			m |= MipSTIP
		}
		h.mipSW = h.mipSW&^m | v&m
	case CSRTselect, CSRTdata1, CSRTdata2, CSRTdata3, CSRTinfo:
		// No triggers: writes are ignored (WARL).
	case CSRMcycle:
		h.cycleDelta = v - h.instret - 1
	case CSRMinstret:
		// The writing instruction's own retirement follows; mcycle keeps
		// counting as if nothing happened.
		h.cycleDelta += h.instret - (v - 1)
		h.instret = v - 1
	default:
		return false
	}
	return true
}

func legalTvec(old, v uint64) uint64 {
	if v&3 >= 2 {
		return old // reserved mode: keep the old value (WARL)
	}
	return v
}

func (h *Hart) writeMstatus(v uint64) {
	old := h.mstatus
	n := old&^mstatusWritable | v&mstatusWritable
	if n&mstatusMPP == 2<<11 { // reserved MPP: keep the old value
		n = n&^mstatusMPP | old&mstatusMPP
	}
	h.mstatus = n
	if (old^n)&mstatusMXR != 0 {
		h.FlushTLB()
	}
	h.updateCtx()
}
