package riscv

import (
	"math"
	mbits "math/bits"
)

// fetch returns the decoded instruction at pc, decoding it into the cache if
// needed. A 32-bit instruction that crosses a page boundary is decoded into
// h.scratch and not cached. On a fault it returns nil with the exception
// recorded.
func (h *Hart) fetch(pc uint64) *Inst {
	cp, mem, ok := h.fetchPage(pc)
	if !ok {
		return nil
	}
	off := pc & (PageSize - 1)
	in := &cp.insn[off>>1]
	if in.Op != OpNone {
		return in
	}
	lo := uint32(mem[off]) | uint32(mem[off+1])<<8
	if lo&3 != 3 {
		*in = Decode(lo)
		return in
	}
	if off <= PageSize-4 {
		*in = Decode(lo | uint32(mem[off+2])<<16 | uint32(mem[off+3])<<24)
		return in
	}
	// The upper parcel lives on the next page.
	_, mem2, ok := h.fetchPage(pc + 2)
	if !ok {
		return nil
	}
	h.scratch = Decode(lo | uint32(mem2[0])<<16 | uint32(mem2[1])<<24)
	return &h.scratch
}

// run is the interpreter loop: fetch from the decoded-instruction cache,
// execute, repeat until the budget runs out or something stops the hart.
//
// The pc, the remaining budget, the retired-instruction count and the
// current code page live in locals; every path that leaves the loop or calls
// something that may look at them (traps, CSRs, xRET, fences of the
// translation caches) writes them back first and reloads pc afterwards.
func (h *Hart) run() {
	x := &h.X
	pc := h.PC
	budget := h.budget
	var retired uint64
	var cp *codePage
	pageVPN := tlbInvalid
	for budget > 0 {
		budget--
		var in *Inst
		var npc, imm uint64
		if pc>>12 == pageVPN && cp.insn[(pc&(PageSize-1))>>1].Op != OpNone {
			in = &cp.insn[(pc&(PageSize-1))>>1]
		} else {
			if in = h.fetch(pc); in == nil {
				goto fault
			}
			if in != &h.scratch && h.fetchCP != nil {
				cp, pageVPN = h.fetchCP, pc>>12
			} else {
				pageVPN = tlbInvalid
			}
		}
		npc = pc + uint64(in.Len)
		imm = uint64(int64(in.Imm))
		switch in.Op {
		case OpADDI:
			x[in.Rd&63] = x[in.Rs1&63] + imm
		case OpLUI:
			x[in.Rd&63] = imm
		case OpAUIPC:
			x[in.Rd&63] = pc + imm
		case OpJAL:
			x[in.Rd&63] = npc
			npc = pc + imm
		case OpJALR:
			t := (x[in.Rs1&63] + imm) &^ 1
			x[in.Rd&63] = npc
			npc = t
		case OpBEQ:
			if x[in.Rs1&63] == x[in.Rs2&63] {
				npc = pc + imm
			}
		case OpBNE:
			if x[in.Rs1&63] != x[in.Rs2&63] {
				npc = pc + imm
			}
		case OpBLT:
			if int64(x[in.Rs1&63]) < int64(x[in.Rs2&63]) {
				npc = pc + imm
			}
		case OpBGE:
			if int64(x[in.Rs1&63]) >= int64(x[in.Rs2&63]) {
				npc = pc + imm
			}
		case OpBLTU:
			if x[in.Rs1&63] < x[in.Rs2&63] {
				npc = pc + imm
			}
		case OpBGEU:
			if x[in.Rs1&63] >= x[in.Rs2&63] {
				npc = pc + imm
			}
		case OpLB:
			v, ok := h.load8(x[in.Rs1&63] + imm)
			if !ok {
				goto fault
			}
			x[in.Rd&63] = uint64(int8(v))
		case OpLH:
			v, ok := h.load16(x[in.Rs1&63] + imm)
			if !ok {
				goto fault
			}
			x[in.Rd&63] = uint64(int16(v))
		case OpLW:
			v, ok := h.load32(x[in.Rs1&63] + imm)
			if !ok {
				goto fault
			}
			x[in.Rd&63] = uint64(int32(v))
		case OpLD:
			v, ok := h.load64(x[in.Rs1&63] + imm)
			if !ok {
				goto fault
			}
			x[in.Rd&63] = v
		case OpLBU:
			v, ok := h.load8(x[in.Rs1&63] + imm)
			if !ok {
				goto fault
			}
			x[in.Rd&63] = v
		case OpLHU:
			v, ok := h.load16(x[in.Rs1&63] + imm)
			if !ok {
				goto fault
			}
			x[in.Rd&63] = v
		case OpLWU:
			v, ok := h.load32(x[in.Rs1&63] + imm)
			if !ok {
				goto fault
			}
			x[in.Rd&63] = v
		case OpSB:
			if !h.store8(x[in.Rs1&63]+imm, x[in.Rs2&63]) {
				goto fault
			}
			if h.halted.Load() {
				pc, retired = npc, retired+1
				goto exit
			}
		case OpSH:
			if !h.store16(x[in.Rs1&63]+imm, x[in.Rs2&63]) {
				goto fault
			}
			if h.halted.Load() {
				pc, retired = npc, retired+1
				goto exit
			}
		case OpSW:
			if !h.store32(x[in.Rs1&63]+imm, x[in.Rs2&63]) {
				goto fault
			}
			if h.halted.Load() {
				pc, retired = npc, retired+1
				goto exit
			}
		case OpSD:
			if !h.store64(x[in.Rs1&63]+imm, x[in.Rs2&63]) {
				goto fault
			}
			if h.halted.Load() {
				pc, retired = npc, retired+1
				goto exit
			}
		case OpSLTI:
			x[in.Rd&63] = b2u(int64(x[in.Rs1&63]) < int64(imm))
		case OpSLTIU:
			x[in.Rd&63] = b2u(x[in.Rs1&63] < imm)
		case OpXORI:
			x[in.Rd&63] = x[in.Rs1&63] ^ imm
		case OpORI:
			x[in.Rd&63] = x[in.Rs1&63] | imm
		case OpANDI:
			x[in.Rd&63] = x[in.Rs1&63] & imm
		case OpSLLI:
			x[in.Rd&63] = x[in.Rs1&63] << (imm & 63)
		case OpSRLI:
			x[in.Rd&63] = x[in.Rs1&63] >> (imm & 63)
		case OpSRAI:
			x[in.Rd&63] = uint64(int64(x[in.Rs1&63]) >> (imm & 63))
		case OpADD:
			x[in.Rd&63] = x[in.Rs1&63] + x[in.Rs2&63]
		case OpSUB:
			x[in.Rd&63] = x[in.Rs1&63] - x[in.Rs2&63]
		case OpSLL:
			x[in.Rd&63] = x[in.Rs1&63] << (x[in.Rs2&63] & 63)
		case OpSLT:
			x[in.Rd&63] = b2u(int64(x[in.Rs1&63]) < int64(x[in.Rs2&63]))
		case OpSLTU:
			x[in.Rd&63] = b2u(x[in.Rs1&63] < x[in.Rs2&63])
		case OpXOR:
			x[in.Rd&63] = x[in.Rs1&63] ^ x[in.Rs2&63]
		case OpSRL:
			x[in.Rd&63] = x[in.Rs1&63] >> (x[in.Rs2&63] & 63)
		case OpSRA:
			x[in.Rd&63] = uint64(int64(x[in.Rs1&63]) >> (x[in.Rs2&63] & 63))
		case OpOR:
			x[in.Rd&63] = x[in.Rs1&63] | x[in.Rs2&63]
		case OpAND:
			x[in.Rd&63] = x[in.Rs1&63] & x[in.Rs2&63]
		case OpADDIW:
			x[in.Rd&63] = uint64(int32(x[in.Rs1&63] + imm))
		case OpSLLIW:
			x[in.Rd&63] = uint64(int32(uint32(x[in.Rs1&63]) << (imm & 31)))
		case OpSRLIW:
			x[in.Rd&63] = uint64(int32(uint32(x[in.Rs1&63]) >> (imm & 31)))
		case OpSRAIW:
			x[in.Rd&63] = uint64(int32(x[in.Rs1&63]) >> (imm & 31))
		case OpADDW:
			x[in.Rd&63] = uint64(int32(x[in.Rs1&63] + x[in.Rs2&63]))
		case OpSUBW:
			x[in.Rd&63] = uint64(int32(x[in.Rs1&63] - x[in.Rs2&63]))
		case OpSLLW:
			x[in.Rd&63] = uint64(int32(uint32(x[in.Rs1&63]) << (x[in.Rs2&63] & 31)))
		case OpSRLW:
			x[in.Rd&63] = uint64(int32(uint32(x[in.Rs1&63]) >> (x[in.Rs2&63] & 31)))
		case OpSRAW:
			x[in.Rd&63] = uint64(int32(x[in.Rs1&63]) >> (x[in.Rs2&63] & 31))
		case OpMUL:
			x[in.Rd&63] = x[in.Rs1&63] * x[in.Rs2&63]
		case OpMULH:
			x[in.Rd&63] = mulh(int64(x[in.Rs1&63]), int64(x[in.Rs2&63]))
		case OpMULHSU:
			x[in.Rd&63] = mulhsu(int64(x[in.Rs1&63]), x[in.Rs2&63])
		case OpMULHU:
			hi, _ := mbits.Mul64(x[in.Rs1&63], x[in.Rs2&63])
			x[in.Rd&63] = hi
		case OpDIV:
			a, b := int64(x[in.Rs1&63]), int64(x[in.Rs2&63])
			switch {
			case b == 0:
				x[in.Rd&63] = ^uint64(0)
			case a == math.MinInt64 && b == -1:
				x[in.Rd&63] = uint64(a)
			default:
				x[in.Rd&63] = uint64(a / b)
			}
		case OpDIVU:
			a, b := x[in.Rs1&63], x[in.Rs2&63]
			if b == 0 {
				x[in.Rd&63] = ^uint64(0)
			} else {
				x[in.Rd&63] = a / b
			}
		case OpREM:
			a, b := int64(x[in.Rs1&63]), int64(x[in.Rs2&63])
			switch {
			case b == 0:
				x[in.Rd&63] = uint64(a)
			case a == math.MinInt64 && b == -1:
				x[in.Rd&63] = 0
			default:
				x[in.Rd&63] = uint64(a % b)
			}
		case OpREMU:
			a, b := x[in.Rs1&63], x[in.Rs2&63]
			if b == 0 {
				x[in.Rd&63] = a
			} else {
				x[in.Rd&63] = a % b
			}
		case OpMULW:
			x[in.Rd&63] = uint64(int32(x[in.Rs1&63] * x[in.Rs2&63]))
		case OpDIVW:
			a, b := int32(x[in.Rs1&63]), int32(x[in.Rs2&63])
			switch {
			case b == 0:
				x[in.Rd&63] = ^uint64(0)
			case a == math.MinInt32 && b == -1:
				x[in.Rd&63] = uint64(int64(a))
			default:
				x[in.Rd&63] = uint64(int64(a / b))
			}
		case OpDIVUW:
			a, b := uint32(x[in.Rs1&63]), uint32(x[in.Rs2&63])
			if b == 0 {
				x[in.Rd&63] = ^uint64(0)
			} else {
				x[in.Rd&63] = uint64(int32(a / b))
			}
		case OpREMW:
			a, b := int32(x[in.Rs1&63]), int32(x[in.Rs2&63])
			switch {
			case b == 0:
				x[in.Rd&63] = uint64(int64(a))
			case a == math.MinInt32 && b == -1:
				x[in.Rd&63] = 0
			default:
				x[in.Rd&63] = uint64(int64(a % b))
			}
		case OpREMUW:
			a, b := uint32(x[in.Rs1&63]), uint32(x[in.Rs2&63])
			if b == 0 {
				x[in.Rd&63] = uint64(int32(a))
			} else {
				x[in.Rd&63] = uint64(int32(a % b))
			}
		case OpFENCE, OpFENCEI:
			// Stores invalidate decoded instructions precisely, and harts
			// share memory sequentially consistently: nothing to do.
		case OpECALL:
			if h.Priv == PrivU && h.cfg.UserEcall {
				h.stop = StopEcall
				goto exit
			}
			if h.Priv == PrivS && h.cfg.SupervisorEcall != nil {
				// Paravirtualization: the guest kernel's ECALL is a
				// hypercall answered by the host; it retires like any
				// instruction.
				h.PC, h.instret, retired = pc, h.instret+retired, 0
				h.cfg.SupervisorEcall(h)
				h.PC = npc
				goto slowRetire
			}
			h.raise(CauseEcallU+uint64(h.Priv), 0)
			goto fault
		case OpEBREAK:
			h.raise(CauseBreakpoint, pc)
			goto fault
		case OpCSRRW, OpCSRRS, OpCSRRC, OpCSRRWI, OpCSRRSI, OpCSRRCI:
			h.PC, h.instret, retired = pc, h.instret+retired, 0
			if !h.execCSR(in) {
				goto illegal
			}
			h.PC = npc
			goto slowRetire
		case OpMRET:
			if h.Priv != PrivM {
				goto illegal
			}
			h.mret()
			goto slowRetire
		case OpSRET:
			if h.Priv < PrivS || (h.Priv == PrivS && h.mstatus&mstatusTSR != 0) {
				goto illegal
			}
			h.sret()
			goto slowRetire
		case OpWFI:
			if h.Priv == PrivU || (h.Priv == PrivS && h.mstatus&mstatusTW != 0) {
				goto illegal
			}
			pc, retired = npc, retired+1
			if !h.InterruptPending() {
				h.waiting = true
				h.stop = StopWFI
				goto exit
			}
			h.PC, h.instret, retired = pc, h.instret+retired, 0
			h.checkInterrupts()
			pc, pageVPN = h.PC, tlbInvalid
			continue
		case OpSFENCEVMA:
			if h.Priv == PrivU || (h.Priv == PrivS && h.mstatus&mstatusTVM != 0) {
				goto illegal
			}
			if in.Rs1 != 0 {
				h.flushVA(x[in.Rs1&63])
			} else {
				h.FlushTLB()
			}
			pageVPN = tlbInvalid
		case OpLRW, OpLRD:
			size := 4
			if in.Op == OpLRD {
				size = 8
			}
			p, pa, ok := h.amoAddr(x[in.Rs1&63], size, false)
			if !ok {
				goto fault
			}
			if size == 4 {
				x[in.Rd&63] = uint64(int32(le32(p)))
			} else {
				x[in.Rd&63] = le64(p)
			}
			h.resvValid, h.resvAddr = true, pa&^7
			if len(h.bus.harts) > 1 {
				h.bus.dropWriters(pa, h)
			}
		case OpSCW, OpSCD:
			size := 4
			if in.Op == OpSCD {
				size = 8
			}
			p, pa, ok := h.amoAddr(x[in.Rs1&63], size, true)
			if !ok {
				h.resvValid = false
				goto fault
			}
			if h.resvValid && h.resvAddr == pa&^7 {
				if size == 4 {
					put32(p, uint32(x[in.Rs2&63]))
				} else {
					put64(p, x[in.Rs2&63])
				}
				h.amoDone(pa, size)
				x[in.Rd&63] = 0
			} else {
				x[in.Rd&63] = 1
			}
			h.resvValid = false
		case OpAMOSWAPW, OpAMOADDW, OpAMOXORW, OpAMOANDW, OpAMOORW,
			OpAMOMINW, OpAMOMAXW, OpAMOMINUW, OpAMOMAXUW:
			p, pa, ok := h.amoAddr(x[in.Rs1&63], 4, true)
			if !ok {
				goto fault
			}
			old := le32(p)
			put32(p, amo32(in.Op, old, uint32(x[in.Rs2&63])))
			h.amoDone(pa, 4)
			x[in.Rd&63] = uint64(int32(old))
			if h.halted.Load() {
				pc, retired = npc, retired+1
				goto exit
			}
		case OpAMOSWAPD, OpAMOADDD, OpAMOXORD, OpAMOANDD, OpAMOORD,
			OpAMOMIND, OpAMOMAXD, OpAMOMINUD, OpAMOMAXUD:
			p, pa, ok := h.amoAddr(x[in.Rs1&63], 8, true)
			if !ok {
				goto fault
			}
			old := le64(p)
			put64(p, amo64(in.Op, old, x[in.Rs2&63]))
			h.amoDone(pa, 8)
			x[in.Rd&63] = old
			if h.halted.Load() {
				pc, retired = npc, retired+1
				goto exit
			}
		case OpIllegal, OpNone:
			goto illegal
		default:
			if in.Op >= OpFLW {
				switch h.execFP(in) {
				case fpOK:
				case fpIllegal:
					goto illegal
				case fpFault:
					goto fault
				}
				break
			}
			goto illegal
		}
		pc = npc
		retired++
		continue
	slowRetire:
		// An instruction that changed privilege or CSR state retired: take a
		// newly enabled interrupt before the next instruction.
		h.instret += retired + 1
		retired = 0
		h.checkInterrupts()
		pc, pageVPN = h.PC, tlbInvalid
		continue
	illegal:
		h.raise(CauseIllegalInst, uint64(in.Raw))
	fault:
		h.PC, h.instret, retired = pc, h.instret+retired, 0
		pageVPN = tlbInvalid
		h.trap(h.excCause, h.excTval)
		pc, pageVPN = h.PC, tlbInvalid
	}
exit:
	h.PC, h.instret, h.budget = pc, h.instret+retired, budget
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func mulh(a, b int64) uint64 {
	hi, _ := mbits.Mul64(uint64(a), uint64(b))
	if a < 0 {
		hi -= uint64(b)
	}
	if b < 0 {
		hi -= uint64(a)
	}
	return hi
}

func mulhsu(a int64, b uint64) uint64 {
	hi, _ := mbits.Mul64(uint64(a), b)
	if a < 0 {
		hi -= b
	}
	return hi
}

func amo32(op Op, a, b uint32) uint32 {
	switch op {
	case OpAMOSWAPW:
		return b
	case OpAMOADDW:
		return a + b
	case OpAMOXORW:
		return a ^ b
	case OpAMOANDW:
		return a & b
	case OpAMOORW:
		return a | b
	case OpAMOMINW:
		if int32(a) < int32(b) {
			return a
		}
		return b
	case OpAMOMAXW:
		if int32(a) > int32(b) {
			return a
		}
		return b
	case OpAMOMINUW:
		if a < b {
			return a
		}
		return b
	}
	if a > b { // OpAMOMAXUW
		return a
	}
	return b
}

func amo64(op Op, a, b uint64) uint64 {
	switch op {
	case OpAMOSWAPD:
		return b
	case OpAMOADDD:
		return a + b
	case OpAMOXORD:
		return a ^ b
	case OpAMOANDD:
		return a & b
	case OpAMOORD:
		return a | b
	case OpAMOMIND:
		if int64(a) < int64(b) {
			return a
		}
		return b
	case OpAMOMAXD:
		if int64(a) > int64(b) {
			return a
		}
		return b
	case OpAMOMINUD:
		if a < b {
			return a
		}
		return b
	}
	if a > b { // OpAMOMAXUD
		return a
	}
	return b
}

// execCSR executes a Zicsr instruction; false means illegal instruction.
func (h *Hart) execCSR(in *Inst) bool {
	csr := uint16(in.Imm) & 0xfff
	var src uint64
	imm := in.Op >= OpCSRRWI
	if imm {
		src = uint64(in.Rs1)
	} else {
		src = h.X[in.Rs1&63]
	}
	op := in.Op
	if imm {
		op -= OpCSRRWI - OpCSRRW
	}
	write := op == OpCSRRW || in.Rs1 != 0
	if write && csr>>10 == 3 {
		return false // read-only CSR
	}
	old, ok := h.csrRead(csr)
	if !ok {
		return false
	}
	if write {
		// For read-modify-write, mip.SEIP contributes only its
		// software-writable bit, not the PLIC's line (privileged spec,
		// mip): otherwise a csrs on mip (OpenSBI setting SSIP for an IPI)
		// would latch a pending external interrupt forever.
		base := old
		if csr == CSRMip {
			base = old&^MipSEIP | h.mipSW&MipSEIP
		}
		n := src
		switch op {
		case OpCSRRS:
			n = base | src
		case OpCSRRC:
			n = base &^ src
		}
		if !h.csrWrite(csr, n) {
			return false
		}
	}
	h.X[in.Rd&63] = old
	return true
}

func (h *Hart) mret() {
	s := h.mstatus
	mpp := uint8(s>>11) & 3
	s &^= mstatusMIE | mstatusMPP
	if s&mstatusMPIE != 0 {
		s |= mstatusMIE
	}
	s |= mstatusMPIE
	if mpp != PrivM {
		s &^= mstatusMPRV
	}
	h.mstatus = s
	h.Priv = mpp
	h.PC = h.mepc
	h.updateCtx()
}

func (h *Hart) sret() {
	s := h.mstatus
	spp := uint8(s>>8) & 1
	s &^= mstatusSIE | mstatusSPP | mstatusMPRV
	if s&mstatusSPIE != 0 {
		s |= mstatusSIE
	}
	s |= mstatusSPIE
	h.mstatus = s
	h.Priv = spp
	h.PC = h.sepc
	h.updateCtx()
}

// flushVA drops cached translations of one virtual page in every context.
func (h *Hart) flushVA(va uint64) {
	i := (va >> 12) % tlbSize
	for k := range h.tlbs {
		s := &h.tlbs[k]
		s.r[i].tag, s.w[i].tag, s.x[i].tag = tlbInvalid, tlbInvalid, tlbInvalid
	}
}
