package dev

import (
	"math/bits"
	"sync"
)

// PLIC register map (offsets into the region), from the RISC-V PLIC
// specification.
const (
	plicPriority     = 0x000000 // 4 bytes per source; source 0 is reserved
	plicPending      = 0x001000 // one bit per source, read-only
	plicEnable       = 0x002000 // per context: one bit per source
	plicEnableStride = 0x80
	plicContext      = 0x200000 // per context: threshold, claim/complete
	plicContextSize  = 0x1000
	plicThreshold    = 0x0
	plicClaim        = 0x4

	// plicMaxContexts is the number of contexts the register map has room
	// for.
	plicMaxContexts = (PLICSize - plicContext) / plicContextSize

	// plicPrioMask keeps the implemented priority bits: 0..7, as QEMU's
	// virt board (WARL).
	plicPrioMask = 7

	// PLICSize is the size of the PLIC's MMIO region on QEMU's virt board.
	PLICSize = 0x600000
)

// PLICContext is one interrupt target of the PLIC: a privilege mode of a
// hart. The PLIC drives the Bit line of Target (mip.MEIP, 1<<11, for an
// M-mode context; mip.SEIP, 1<<9, for an S-mode one).
type PLICContext struct {
	Target IRQTarget
	Bit    uint64
}

// PLIC is the SiFive/RISC-V platform-level interrupt controller of QEMU's
// virt board ("sifive,plic-1.0.0", 0xc000000). Sources 1..nsources-1 are
// level-triggered device lines fed through SetLevel; each context has an
// enable bit per source, a priority threshold and a claim/complete
// register. Only aligned 32-bit accesses are accepted.
//
// Gateways follow the specification (and QEMU since 9.2): a source becomes
// pending when its level is high and it is not in service; claiming it
// clears the pending bit and puts it in service; completing it ends
// service and, if the level is still high, makes it pending again. A level
// that drops before the claim does not withdraw the request: the handler
// finds the device idle, as on hardware.
type PLIC struct {
	mu      sync.Mutex
	n       int // number of sources, including the reserved source 0
	words   int // 32-bit words of a source bitmap
	prio    []uint8
	level   []uint32 // bitmap: the line is high
	pending []uint32 // bitmap: the gateway has forwarded a request
	claimed []uint32 // bitmap: claimed and not yet completed (in service)
	valid   []uint32 // bitmap: sources 1..n-1 (the writable enable bits)
	enable  []uint32 // len(ctx)*words bitmaps
	thresh  []uint8
	ctx     []PLICContext
	line    []bool // the level last driven on each context's line
}

// NewPLIC returns a PLIC with nsources sources (IDs 1..nsources-1; 96 for
// the virt board's riscv,ndev = 95) and the given contexts, in context
// order: on the virt board context 2*i is hart i's M mode and 2*i+1 its S
// mode. All priorities, enables and thresholds start at zero. A context
// with a nil Target is addressable but drives nothing. NewPLIC panics if
// nsources is outside 1..1024 or there are more contexts than the register
// map holds (15872).
func NewPLIC(nsources int, ctx []PLICContext) *PLIC {
	if nsources < 1 || nsources > 1024 {
		panic("dev: PLIC source count out of range 1..1024")
	}
	if len(ctx) > plicMaxContexts {
		panic("dev: too many PLIC contexts")
	}
	words := (nsources + 31) / 32
	p := &PLIC{
		n:       nsources,
		words:   words,
		prio:    make([]uint8, nsources),
		level:   make([]uint32, words),
		pending: make([]uint32, words),
		claimed: make([]uint32, words),
		valid:   make([]uint32, words),
		enable:  make([]uint32, len(ctx)*words),
		thresh:  make([]uint8, len(ctx)),
		ctx:     append([]PLICContext(nil), ctx...),
		line:    make([]bool, len(ctx)),
	}
	for src := 1; src < nsources; src++ {
		p.valid[src/32] |= 1 << (src % 32)
	}
	return p
}

// SetLevel sets the level of source src's interrupt line. It is safe to
// call from any goroutine; out-of-range sources (including 0) are ignored.
func (p *PLIC) SetLevel(src int, level bool) {
	if src <= 0 || src >= p.n {
		return
	}
	w, bit := src/32, uint32(1)<<(src%32)
	p.mu.Lock()
	if level {
		p.level[w] |= bit
		if p.claimed[w]&bit == 0 {
			p.pending[w] |= bit
		}
	} else {
		p.level[w] &^= bit
	}
	p.update()
	p.mu.Unlock()
}

// Read implements riscv.Device.
func (p *PLIC) Read(off uint64, size int) (uint64, bool) {
	if size != 4 || off%4 != 0 || off >= PLICSize {
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case off < plicPending:
		if src := int(off / 4); src < p.n {
			return uint64(p.prio[src]), true
		}
	case off < plicEnable:
		if w := int(off-plicPending) / 4; w < p.words {
			return uint64(p.pending[w]), true
		}
	case off < plicContext:
		c, w := int(off-plicEnable)/plicEnableStride, int(off-plicEnable)%plicEnableStride/4
		if c < len(p.ctx) && w < p.words {
			return uint64(p.enable[c*p.words+w]), true
		}
	default:
		c, reg := int(off-plicContext)/plicContextSize, (off-plicContext)%plicContextSize
		if c >= len(p.ctx) {
			break
		}
		switch reg {
		case plicThreshold:
			return uint64(p.thresh[c]), true
		case plicClaim:
			return uint64(p.claim(c)), true
		}
	}
	return 0, true
}

// Write implements riscv.Device.
func (p *PLIC) Write(off uint64, size int, val uint64) bool {
	if size != 4 || off%4 != 0 || off >= PLICSize {
		return false
	}
	v := uint32(val)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case off < plicPending:
		if src := int(off / 4); src > 0 && src < p.n {
			p.prio[src] = uint8(v & plicPrioMask)
			p.update()
		}
	case off < plicEnable:
		// Pending bits are read-only.
	case off < plicContext:
		c, w := int(off-plicEnable)/plicEnableStride, int(off-plicEnable)%plicEnableStride/4
		if c < len(p.ctx) && w < p.words {
			p.enable[c*p.words+w] = v & p.valid[w]
			p.update()
		}
	default:
		c, reg := int(off-plicContext)/plicContextSize, (off-plicContext)%plicContextSize
		if c >= len(p.ctx) {
			break
		}
		switch reg {
		case plicThreshold:
			p.thresh[c] = uint8(v & plicPrioMask)
			p.update()
		case plicClaim:
			p.complete(c, v)
		}
	}
	return true
}

// best returns the highest-priority source that is pending, enabled for
// context c and above its threshold (ties go to the lowest ID), or 0.
// The caller holds p.mu.
func (p *PLIC) best(c int) uint32 {
	var id uint32
	top := p.thresh[c]
	en := p.enable[c*p.words : (c+1)*p.words]
	for w, e := range en {
		m := p.pending[w] & e
		for m != 0 {
			b := bits.TrailingZeros32(m)
			m &= m - 1
			src := uint32(w*32 + b)
			if pr := p.prio[src]; pr > top {
				top, id = pr, src
			}
		}
	}
	return id
}

// claim performs a claim by context c. The caller holds p.mu.
func (p *PLIC) claim(c int) uint32 {
	id := p.best(c)
	if id != 0 {
		w, bit := id/32, uint32(1)<<(id%32)
		p.pending[w] &^= bit
		p.claimed[w] |= bit
		p.update()
	}
	return id
}

// complete signals completion of source id by context c: ignored unless
// id is a valid source enabled for c. The caller holds p.mu.
func (p *PLIC) complete(c int, id uint32) {
	if id == 0 || id >= uint32(p.n) {
		return
	}
	w, bit := id/32, uint32(1)<<(id%32)
	if p.enable[c*p.words+int(w)]&bit == 0 {
		return
	}
	p.claimed[w] &^= bit
	if p.level[w]&bit != 0 {
		p.pending[w] |= bit
	}
	p.update()
}

// update drives every context's line whose level changed. The caller
// holds p.mu.
func (p *PLIC) update() {
	for c := range p.ctx {
		level := p.best(c) != 0
		if level != p.line[c] {
			p.line[c] = level
			if t := p.ctx[c].Target; t != nil {
				t.SetIRQ(p.ctx[c].Bit, level)
			}
		}
	}
}
