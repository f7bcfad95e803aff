package dev

import (
	"sync"
	"time"
)

// CLINT offsets.
const (
	clintMSIP     = 0x0000
	clintMtimecmp = 0x4000
	clintMtime    = 0xbff8
	// CLINTSize is the size of the CLINT's MMIO region.
	CLINTSize = 0x10000
	// TimebaseHz is the frequency of mtime, as on QEMU's virt board.
	TimebaseHz = 10_000_000
)

// IRQTarget is the part of a hart the CLINT drives.
type IRQTarget interface {
	SetIRQ(bit uint64, level bool)
}

// CLINT is the core-local interruptor: per-hart software interrupts (msip)
// and timers (mtimecmp) against a shared mtime that follows the host clock
// at 10 MHz.
type CLINT struct {
	mu       sync.Mutex
	harts    []IRQTarget
	msip     []uint32
	mtimecmp []uint64
	start    time.Time
	offset   uint64 // mtime = offset + elapsed ticks
	now      func() time.Time
}

// Interrupt-pending bits the CLINT drives (mip.MSIP, mip.MTIP).
const (
	mipMSIP = 1 << 3
	mipMTIP = 1 << 7
)

// NewCLINT returns a CLINT for the given harts with mtime starting at 0.
func NewCLINT(harts []IRQTarget) *CLINT {
	c := &CLINT{harts: harts, msip: make([]uint32, len(harts)),
		mtimecmp: make([]uint64, len(harts)), now: time.Now}
	for i := range c.mtimecmp {
		c.mtimecmp[i] = ^uint64(0)
	}
	c.start = c.now()
	return c
}

// Mtime returns the current timer value.
func (c *CLINT) Mtime() uint64 {
	return c.offset + uint64(c.now().Sub(c.start)/(time.Second/TimebaseHz))
}

// Mtimecmp returns hart i's timer compare value.
func (c *CLINT) Mtimecmp(i int) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mtimecmp[i]
}

// Tick updates the timer interrupt lines from the current time.
func (c *CLINT) Tick() {
	c.mu.Lock()
	now := c.Mtime()
	for i, h := range c.harts {
		h.SetIRQ(mipMTIP, now >= c.mtimecmp[i])
	}
	c.mu.Unlock()
}

// Read implements riscv.Device.
func (c *CLINT) Read(off uint64, size int) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case off < clintMtimecmp:
		i := int(off / 4)
		if size != 4 || off%4 != 0 || i >= len(c.msip) {
			return 0, i >= len(c.msip)
		}
		return uint64(c.msip[i]), true
	case off >= clintMtimecmp && off < clintMtimecmp+8*uint64(len(c.mtimecmp)):
		i := int(off-clintMtimecmp) / 8
		return part(c.mtimecmp[i], off%8, size)
	case off >= clintMtime && off < clintMtime+8:
		return part(c.Mtime(), off-clintMtime, size)
	}
	return 0, true
}

// Write implements riscv.Device.
func (c *CLINT) Write(off uint64, size int, val uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case off < clintMtimecmp:
		i := int(off / 4)
		if i < len(c.msip) && size == 4 && off%4 == 0 {
			c.msip[i] = uint32(val) & 1
			c.harts[i].SetIRQ(mipMSIP, val&1 != 0)
		}
	case off >= clintMtimecmp && off < clintMtimecmp+8*uint64(len(c.mtimecmp)):
		i := int(off-clintMtimecmp) / 8
		c.mtimecmp[i] = setPart(c.mtimecmp[i], off%8, size, val)
		c.harts[i].SetIRQ(mipMTIP, c.Mtime() >= c.mtimecmp[i])
	case off >= clintMtime && off < clintMtime+8:
		now := c.Mtime()
		n := setPart(now, off-clintMtime, size, val)
		c.offset += n - now
	}
	return true
}

// part extracts size bytes at byte offset off of a 64-bit register.
func part(v, off uint64, size int) (uint64, bool) {
	if off+uint64(size) > 8 {
		return 0, false
	}
	v >>= 8 * off
	if size < 8 {
		v &= 1<<(8*uint(size)) - 1
	}
	return v, true
}

func setPart(old, off uint64, size int, val uint64) uint64 {
	if off+uint64(size) > 8 {
		return old
	}
	mask := ^uint64(0)
	if size < 8 {
		mask = 1<<(8*uint(size)) - 1
	}
	return old&^(mask<<(8*off)) | (val&mask)<<(8*off)
}
