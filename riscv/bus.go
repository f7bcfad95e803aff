package riscv

import (
	"encoding/binary"
	"fmt"
	"sort"
)

// PageSize is the size of a base page and of a decoded-instruction cache page.
const PageSize = 4096

// Device is a memory-mapped I/O device. Offsets are relative to the start of
// the device's region; size is 1, 2, 4 or 8. Returning false makes the
// access fail with an access-fault exception in the hart that issued it.
type Device interface {
	Read(off uint64, size int) (uint64, bool)
	Write(off uint64, size int, val uint64) bool
}

// RAM is a region of guest-physical memory backed by a host byte slice.
type RAM struct {
	Base     uint64
	Data     []byte
	ReadOnly bool // a ROM: stores raise access faults

	code  []*codePage // decoded instructions per 4 KiB page, created lazily
	watch []bool      // pages holding a store watch (never on the write fast path)
	// writers has, per page, a bit for each hart that may hold a write
	// fast-path entry for it (set on fill, cleared by dropWriters).
	writers []uint64
}

// codePage caches the decoded instructions of one physical page, one slot
// per 2-byte parcel.
type codePage struct {
	insn [PageSize / 2]Inst
}

// invalidate drops the decoded slots that a store of size bytes at page
// offset off may have changed.
func (c *codePage) invalidate(off uint64, size int) {
	lo := off >> 1
	if lo > 0 {
		lo-- // a 32-bit instruction starting one parcel earlier
	}
	hi := (off + uint64(size) - 1) >> 1
	if hi >= uint64(len(c.insn)) {
		hi = uint64(len(c.insn)) - 1
	}
	for i := lo; i <= hi; i++ {
		c.insn[i].Op = OpNone
	}
}

type mmioRegion struct {
	base, size uint64
	dev        Device
}

// StoreWatch is called after any store that overlaps the watched physical
// range, with the hart that stored. HTIF's tohost is implemented with it.
type StoreWatch func(h *Hart)

type watch struct {
	base, size uint64
	fn         StoreWatch
}

// Bus is the guest-physical address space shared by the harts of a machine:
// RAM regions reached through a fast path and MMIO regions dispatched to
// devices.
type Bus struct {
	rams    []*RAM
	mmio    []mmioRegion
	watches []watch
	harts   []*Hart
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{} }

// AddRAM maps size bytes of zeroed RAM at base and returns it.
func (b *Bus) AddRAM(base, size uint64) (*RAM, error) {
	return b.addRAM(base, make([]byte, size), false)
}

// AddROM maps data read-only at base.
func (b *Bus) AddROM(base uint64, data []byte) (*RAM, error) {
	n := (uint64(len(data)) + PageSize - 1) &^ (PageSize - 1)
	buf := make([]byte, n)
	copy(buf, data)
	return b.addRAM(base, buf, true)
}

func (b *Bus) addRAM(base uint64, data []byte, ro bool) (*RAM, error) {
	size := uint64(len(data))
	if base%PageSize != 0 || size%PageSize != 0 || size == 0 {
		return nil, fmt.Errorf("ram at %#x size %#x: must be page aligned and non-empty", base, size)
	}
	if err := b.checkFree(base, size); err != nil {
		return nil, err
	}
	r := &RAM{Base: base, Data: data, ReadOnly: ro,
		code: make([]*codePage, size/PageSize), watch: make([]bool, size/PageSize),
		writers: make([]uint64, size/PageSize)}
	b.rams = append(b.rams, r)
	sort.Slice(b.rams, func(i, j int) bool { return b.rams[i].Base < b.rams[j].Base })
	return r, nil
}

// AddDevice maps dev at [base, base+size).
func (b *Bus) AddDevice(base, size uint64, dev Device) error {
	if err := b.checkFree(base, size); err != nil {
		return err
	}
	b.mmio = append(b.mmio, mmioRegion{base, size, dev})
	return nil
}

func (b *Bus) checkFree(base, size uint64) error {
	if base+size < base {
		return fmt.Errorf("region at %#x size %#x wraps around", base, size)
	}
	for _, r := range b.rams {
		if base < r.Base+uint64(len(r.Data)) && r.Base < base+size {
			return fmt.Errorf("region at %#x overlaps RAM at %#x", base, r.Base)
		}
	}
	for _, m := range b.mmio {
		if base < m.base+m.size && m.base < base+size {
			return fmt.Errorf("region at %#x overlaps device at %#x", base, m.base)
		}
	}
	return nil
}

// WatchStores registers fn to run after every store overlapping
// [base, base+size). The range must lie in RAM.
func (b *Bus) WatchStores(base, size uint64, fn StoreWatch) error {
	for a := base &^ (PageSize - 1); a < base+size; a += PageSize {
		r := b.ramAt(a)
		if r == nil {
			return fmt.Errorf("store watch at %#x: not RAM", a)
		}
		r.watch[(a-r.Base)/PageSize] = true
	}
	b.watches = append(b.watches, watch{base, size, fn})
	for _, h := range b.harts {
		h.FlushTLB()
	}
	return nil
}

// dropWriters removes the write fast-path entries that harts other than
// except hold for the physical page of pa, so that their next store to it
// takes the slow path (which invalidates decoded code and breaks
// reservations). Only harts marked in the page's writers mask are scanned.
func (b *Bus) dropWriters(pa uint64, except *Hart) {
	r := b.ramAt(pa)
	if r == nil {
		return
	}
	page := (pa - r.Base) / PageSize
	keep := uint64(0)
	if except != nil {
		keep = except.bit
	}
	if r.writers[page]&^keep == 0 {
		return
	}
	for _, o := range b.harts {
		if o != except && r.writers[page]&o.bit != 0 {
			o.flushWriteEntries(pa &^ (PageSize - 1))
		}
	}
	r.writers[page] &= keep
}

// ramAt returns the RAM region holding physical address pa, or nil.
func (b *Bus) ramAt(pa uint64) *RAM {
	for _, r := range b.rams {
		if pa-r.Base < uint64(len(r.Data)) {
			return r
		}
	}
	return nil
}

func (b *Bus) deviceAt(pa uint64) (*mmioRegion, uint64) {
	for i := range b.mmio {
		m := &b.mmio[i]
		if pa-m.base < m.size {
			return m, pa - m.base
		}
	}
	return nil, 0
}

// Slice returns the host bytes backing [pa, pa+n) if the whole range lies in
// one RAM region. Devices use it for DMA; writes through it must be
// followed by Invalidate for the range if it may hold code.
func (b *Bus) Slice(pa, n uint64) ([]byte, bool) {
	r := b.ramAt(pa)
	if r == nil {
		return nil, false
	}
	off := pa - r.Base
	if n > uint64(len(r.Data))-off {
		return nil, false
	}
	return r.Data[off : off+n], true
}

// Invalidate drops decoded instructions in [pa, pa+n) after a write that did
// not go through a hart (DMA, loaders, debuggers).
func (b *Bus) Invalidate(pa, n uint64) {
	end := pa + n
	for a := pa; a < end; {
		next := (a | (PageSize - 1)) + 1
		if next > end || next == 0 {
			next = end
		}
		if r := b.ramAt(a); r != nil {
			if cp := r.code[(a-r.Base)/PageSize]; cp != nil {
				cp.invalidate(a%PageSize, int(next-a))
			}
		}
		a = next
	}
}

// Read performs a physical read of size bytes (1, 2, 4 or 8) outside any
// hart, for loaders and devices.
func (b *Bus) Read(pa uint64, size int) (uint64, bool) {
	if r := b.ramAt(pa); r != nil {
		off := pa - r.Base
		if uint64(size) > uint64(len(r.Data))-off {
			return 0, false
		}
		return readLE(r.Data[off:], size), true
	}
	if m, off := b.deviceAt(pa); m != nil && off+uint64(size) <= m.size {
		return m.dev.Read(off, size)
	}
	return 0, false
}

// Write performs a physical write outside any hart. It honours store
// watches and invalidates decoded code.
func (b *Bus) Write(pa uint64, size int, v uint64) bool {
	if r := b.ramAt(pa); r != nil {
		off := pa - r.Base
		if uint64(size) > uint64(len(r.Data))-off {
			return false
		}
		writeLE(r.Data[off:], size, v)
		if cp := r.code[off/PageSize]; cp != nil {
			cp.invalidate(off%PageSize, size)
		}
		return true
	}
	if m, off := b.deviceAt(pa); m != nil && off+uint64(size) <= m.size {
		return m.dev.Write(off, size, v)
	}
	return false
}

// LoadBytes copies data into guest-physical memory at pa (RAM or ROM).
func (b *Bus) LoadBytes(pa uint64, data []byte) error {
	for len(data) > 0 {
		r := b.ramAt(pa)
		if r == nil {
			return fmt.Errorf("load at %#x: no RAM there", pa)
		}
		off := pa - r.Base
		n := copy(r.Data[off:], data)
		b.Invalidate(pa, uint64(n))
		data = data[n:]
		pa += uint64(n)
	}
	return nil
}

func readLE(p []byte, size int) uint64 {
	switch size {
	case 1:
		return uint64(p[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(p))
	case 4:
		return uint64(binary.LittleEndian.Uint32(p))
	default:
		return binary.LittleEndian.Uint64(p)
	}
}

func writeLE(p []byte, size int, v uint64) {
	switch size {
	case 1:
		p[0] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(p, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(p, uint32(v))
	default:
		binary.LittleEndian.PutUint64(p, v)
	}
}
