package dev

import (
	"math"
	"sync"
	"time"
)

// Goldfish RTC register offsets.
const (
	rtcTimeLow        = 0x00 // read: current time, low half; latches the high half
	rtcTimeHigh       = 0x04 // read: the high half latched by the last TIME_LOW read
	rtcAlarmLow       = 0x08 // write: alarm low half, then arm
	rtcAlarmHigh      = 0x0c // alarm high half
	rtcIRQEnabled     = 0x10 // bit 0: the alarm interrupt reaches the line
	rtcClearAlarm     = 0x14 // write: disarm
	rtcAlarmStatus    = 0x18 // read: 1 while an alarm is armed
	rtcClearInterrupt = 0x1c // write: lower the interrupt

	// RTCSize is the size of the Goldfish RTC's MMIO region.
	RTCSize = 0x1000
)

// RTC is the Goldfish real-time clock ("google,goldfish-rtc") at 0x101000
// on QEMU's virt board (PLIC source 11). It counts nanoseconds since the
// Unix epoch: the host clock plus an offset the guest sets by writing
// TIME_HIGH and TIME_LOW. An armed alarm raises the interrupt once the
// count reaches it; the machine loop calls Tick to notice and NextDeadline
// to know how long it may sleep. Only aligned 32-bit accesses are
// accepted.
type RTC struct {
	mu         sync.Mutex
	now        func() time.Time
	offset     int64  // count = now().UnixNano() + offset
	timeHigh   uint32 // latched by a TIME_LOW read
	alarm      uint64 // the alarm time, in the count's terms
	armed      bool   // an alarm is running (ALARM_STATUS)
	irqEnabled bool
	irqPending bool // the alarm went off and was not cleared
	line       bool // the level last passed to IRQ
	// IRQ, if set, is called with the interrupt line's new level when it
	// changes. It is called with the RTC's lock held, so it must not call
	// back into the RTC.
	IRQ func(level bool)
}

// NewRTC returns an RTC that reads the host time from now (time.Now if
// nil).
func NewRTC(now func() time.Time) *RTC {
	if now == nil {
		now = time.Now
	}
	return &RTC{now: now}
}

// count returns the RTC's current time in nanoseconds. The caller holds
// r.mu.
func (r *RTC) count() uint64 { return uint64(r.now().UnixNano() + r.offset) }

// Read implements riscv.Device.
func (r *RTC) Read(off uint64, size int) (uint64, bool) {
	if size != 4 || off%4 != 0 || off >= RTCSize {
		return 0, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch off {
	case rtcTimeLow:
		c := r.count()
		r.timeHigh = uint32(c >> 32)
		return uint64(uint32(c)), true
	case rtcTimeHigh:
		return uint64(r.timeHigh), true
	case rtcAlarmLow:
		return uint64(uint32(r.alarm)), true
	case rtcAlarmHigh:
		return r.alarm >> 32, true
	case rtcIRQEnabled:
		return rtcBool(r.irqEnabled), true
	case rtcAlarmStatus:
		return rtcBool(r.armed), true
	}
	return 0, true
}

// Write implements riscv.Device.
func (r *RTC) Write(off uint64, size int, val uint64) bool {
	if size != 4 || off%4 != 0 || off >= RTCSize {
		return false
	}
	v := uint64(uint32(val))
	r.mu.Lock()
	defer r.mu.Unlock()
	switch off {
	case rtcTimeLow, rtcTimeHigh:
		// Replace one half of the current count; the other half keeps
		// running. Linux writes TIME_HIGH, then TIME_LOW.
		c := r.count()
		n := c&^0xffffffff | v
		if off == rtcTimeHigh {
			n = c&0xffffffff | v<<32
		}
		r.offset += int64(n - c)
	case rtcAlarmLow:
		r.alarm = r.alarm&^0xffffffff | v
		r.armed = true
		r.check()
	case rtcAlarmHigh:
		r.alarm = r.alarm&0xffffffff | v<<32
	case rtcIRQEnabled:
		r.irqEnabled = v&1 != 0
	case rtcClearAlarm:
		r.armed = false
	case rtcClearInterrupt:
		r.irqPending = false
	}
	r.update()
	return true
}

// Tick fires an armed alarm that has come due.
func (r *RTC) Tick() {
	r.mu.Lock()
	r.check()
	r.update()
	r.mu.Unlock()
}

// NextDeadline returns how long until the armed alarm is due (zero if it
// already is), and false if no alarm is armed.
func (r *RTC) NextDeadline() (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.armed {
		return 0, false
	}
	c := r.count()
	switch {
	case r.alarm <= c:
		return 0, true
	case r.alarm-c > math.MaxInt64:
		return math.MaxInt64, true
	}
	return time.Duration(r.alarm - c), true
}

// check fires the alarm if it is armed and due. The caller holds r.mu.
func (r *RTC) check() {
	if r.armed && r.alarm <= r.count() {
		r.armed = false
		r.irqPending = true
	}
}

// update drives the interrupt line if its level changed. The caller holds
// r.mu.
func (r *RTC) update() {
	level := r.irqPending && r.irqEnabled
	if level != r.line {
		r.line = level
		if r.IRQ != nil {
			r.IRQ(level)
		}
	}
}

// rtcBool is a register bit.
func rtcBool(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
