package dev

import (
	"errors"
	"fmt"
)

// ErrState reports a saved device state that does not fit the device it is
// loaded into (a different number of harts, sources or contexts).
var ErrState = errors.New("dev: incompatible device state")

// The Save/Load pairs below capture a device's guest-visible state for
// snapshots. Save and Load must be called while no hart is running (between
// run slices); the interrupt lines a device drives are re-driven by Load so
// that the harts and the PLIC see the restored levels.

// CLINTState is the CLINT's state: msip, mtimecmp and mtime at save time.
type CLINTState struct {
	Msip     []uint32
	Mtimecmp []uint64
	Mtime    uint64
}

// SaveState returns the CLINT's state.
func (c *CLINT) SaveState() CLINTState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CLINTState{
		Msip:     append([]uint32(nil), c.msip...),
		Mtimecmp: append([]uint64(nil), c.mtimecmp...),
		Mtime:    c.Mtime(),
	}
}

// LoadState restores s. mtime continues from the saved value (the guest
// sees no time pass while the machine was saved), and the MSIP and MTIP
// lines of every hart are driven from the restored registers.
func (c *CLINT) LoadState(s CLINTState) error {
	if len(s.Msip) != len(c.msip) || len(s.Mtimecmp) != len(c.mtimecmp) {
		return fmt.Errorf("%w: CLINT for %d harts, saved state has %d", ErrState, len(c.msip), len(s.Msip))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	copy(c.msip, s.Msip)
	copy(c.mtimecmp, s.Mtimecmp)
	c.start = c.now()
	c.offset = s.Mtime
	now := c.Mtime()
	for i, h := range c.harts {
		h.SetIRQ(mipMSIP, c.msip[i]&1 != 0)
		h.SetIRQ(mipMTIP, now >= c.mtimecmp[i])
	}
	return nil
}

// UARTState is the UART's register state and its queued input.
type UARTState struct {
	In                                []byte
	IER, LCR, MCR, SCR, FCR, DLL, DLM uint8
	THRE                              bool
}

// SaveState returns the UART's state.
func (u *UART) SaveState() UARTState {
	u.mu.Lock()
	defer u.mu.Unlock()
	return UARTState{In: append([]byte(nil), u.in...), IER: u.ier, LCR: u.lcr, MCR: u.mcr,
		SCR: u.scr, FCR: u.fcr, DLL: u.dll, DLM: u.dlm, THRE: u.thre}
}

// LoadState restores s and drives the interrupt line.
func (u *UART) LoadState(s UARTState) error {
	u.mu.Lock()
	u.in = append([]byte(nil), s.In...)
	u.ier, u.lcr, u.mcr, u.scr, u.fcr, u.dll, u.dlm, u.thre = s.IER, s.LCR, s.MCR, s.SCR, s.FCR, s.DLL, s.DLM, s.THRE
	u.mu.Unlock()
	u.update()
	return nil
}

// PLICState is the PLIC's state: priorities, the gateways (line levels,
// pending and in-service bitmaps), per-context enables and thresholds, and
// the level last driven on each context's line.
type PLICState struct {
	Sources  int
	Priority []uint8
	Level    []uint32
	Pending  []uint32
	Claimed  []uint32
	Enable   []uint32 // context-major: Enable[c*words+w]
	Thresh   []uint8
	Line     []bool
}

// SaveState returns the PLIC's state.
func (p *PLIC) SaveState() PLICState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PLICState{
		Sources:  p.n,
		Priority: append([]uint8(nil), p.prio...),
		Level:    append([]uint32(nil), p.level...),
		Pending:  append([]uint32(nil), p.pending...),
		Claimed:  append([]uint32(nil), p.claimed...),
		Enable:   append([]uint32(nil), p.enable...),
		Thresh:   append([]uint8(nil), p.thresh...),
		Line:     append([]bool(nil), p.line...),
	}
}

// LoadState restores s and drives every context's line to its restored
// level.
func (p *PLIC) LoadState(s PLICState) error {
	if s.Sources != p.n || len(s.Priority) != p.n || len(s.Level) != p.words ||
		len(s.Pending) != p.words || len(s.Claimed) != p.words ||
		len(s.Enable) != len(p.enable) || len(s.Thresh) != len(p.thresh) || len(s.Line) != len(p.line) {
		return fmt.Errorf("%w: PLIC with %d sources and %d contexts, saved state has %d and %d",
			ErrState, p.n, len(p.ctx), s.Sources, len(s.Thresh))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, v := range s.Priority {
		p.prio[i] = v & plicPrioMask
	}
	for w := range p.words {
		p.level[w] = s.Level[w] & p.valid[w]
		p.pending[w] = s.Pending[w] & p.valid[w]
		p.claimed[w] = s.Claimed[w] & p.valid[w]
	}
	for i, v := range s.Enable {
		p.enable[i] = v & p.valid[i%p.words]
	}
	for i, v := range s.Thresh {
		p.thresh[i] = v & plicPrioMask
	}
	for c := range p.ctx {
		p.line[c] = p.best(c) != 0
		if t := p.ctx[c].Target; t != nil {
			t.SetIRQ(p.ctx[c].Bit, p.line[c])
		}
	}
	return nil
}

// RTCState is the RTC's state. Offset is relative to the host's wall
// clock, so a restored RTC keeps telling the real time (unlike mtime, which
// continues from where it was saved).
type RTCState struct {
	Offset     int64
	TimeHigh   uint32
	Alarm      uint64
	Armed      bool
	IRQEnabled bool
	IRQPending bool
}

// SaveState returns the RTC's state.
func (r *RTC) SaveState() RTCState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return RTCState{Offset: r.offset, TimeHigh: r.timeHigh, Alarm: r.alarm, Armed: r.armed,
		IRQEnabled: r.irqEnabled, IRQPending: r.irqPending}
}

// LoadState restores s and drives the interrupt line. An alarm that came
// due while the machine was saved fires at the next Tick.
func (r *RTC) LoadState(s RTCState) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.offset, r.timeHigh, r.alarm, r.armed = s.Offset, s.TimeHigh, s.Alarm, s.Armed
	r.irqEnabled, r.irqPending = s.IRQEnabled, s.IRQPending
	r.line = !(r.irqPending && r.irqEnabled) // force update to drive the line
	r.update()
	return nil
}
