package virtio

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// fakeMem is guest RAM over a byte slice at base, fenced by guard bytes
// that no device access may touch.
type fakeMem struct {
	base uint64
	buf  []byte // guard | ram | guard
	ram  []byte
	// invalidations outside RAM, and the number of calls
	badInval []string
	invals   int
}

const (
	guardSize = 4096
	guardByte = 0xa5
	ramBase   = 0x8000_0000
)

func newFakeMem(base uint64, size int) *fakeMem {
	buf := make([]byte, guardSize+size+guardSize)
	for i := range buf[:guardSize] {
		buf[i] = guardByte
	}
	for i := guardSize + size; i < len(buf); i++ {
		buf[i] = guardByte
	}
	return &fakeMem{base: base, buf: buf, ram: buf[guardSize : guardSize+size : guardSize+size]}
}

func (m *fakeMem) Slice(pa, n uint64) ([]byte, bool) {
	size := uint64(len(m.ram))
	off := pa - m.base
	if pa < m.base || off > size || n > size-off {
		return nil, false
	}
	return m.ram[off : off+n : off+n], true
}

func (m *fakeMem) Invalidate(pa, n uint64) {
	m.invals++
	size := uint64(len(m.ram))
	off := pa - m.base
	if pa < m.base || off > size || n > size-off {
		m.badInval = append(m.badInval, "invalidate outside RAM")
	}
}

// guardsOK reports whether the guard regions are untouched.
func (m *fakeMem) guardsOK() bool {
	for i := range guardSize {
		if m.buf[i] != guardByte || m.buf[len(m.buf)-1-i] != guardByte {
			return false
		}
	}
	return true
}

func (m *fakeMem) check(t testing.TB) {
	t.Helper()
	if !m.guardsOK() {
		t.Fatal("a guard byte outside guest RAM was modified")
	}
	if len(m.badInval) > 0 {
		t.Fatalf("%d invalidations outside RAM", len(m.badInval))
	}
}

func (m *fakeMem) off(pa uint64) []byte { return m.ram[pa-m.base:] }

func (m *fakeMem) put16(pa uint64, v uint16) { binary.LittleEndian.PutUint16(m.off(pa), v) }
func (m *fakeMem) put32(pa uint64, v uint32) { binary.LittleEndian.PutUint32(m.off(pa), v) }
func (m *fakeMem) put64(pa uint64, v uint64) { binary.LittleEndian.PutUint64(m.off(pa), v) }
func (m *fakeMem) get16(pa uint64) uint16    { return binary.LittleEndian.Uint16(m.off(pa)) }
func (m *fakeMem) get32(pa uint64) uint32    { return binary.LittleEndian.Uint32(m.off(pa)) }

// driver is a minimal virtio-mmio driver that touches the registers in
// the order Linux's virtio_mmio and virtio_ring do.
type driver struct {
	t      testing.TB
	m      *MMIO
	mem    *fakeMem
	next   uint64 // bump allocator in guest RAM
	qs     []*drvQueue
	level  bool // the interrupt line
	raised int  // rising edges seen
	feats  uint64
	// keepUsedEvent stops reap from moving used_event (EVENT_IDX).
	keepUsedEvent bool
}

type drvQueue struct {
	idx                int
	num                uint16
	desc, avail, used  uint64
	nextDesc           uint16
	availIdx, lastUsed uint16
}

// buf is one buffer of a request: guest address, length, device-writable.
type buf struct {
	addr  uint64
	n     uint32
	write bool
}

func newDriver(t testing.TB, d Device, memSize int) *driver {
	dr := &driver{t: t, mem: newFakeMem(ramBase, memSize)}
	dr.next = ramBase
	dr.m = NewMMIO(d, dr.mem, func(level bool) {
		if level && !dr.level {
			dr.raised++
		}
		dr.level = level
	})
	return dr
}

func (d *driver) r32(off uint64) uint32 {
	d.t.Helper()
	v, ok := d.m.Read(off, 4)
	if !ok {
		d.t.Fatalf("read of register %#x failed", off)
	}
	return uint32(v)
}

func (d *driver) w32(off uint64, v uint32) {
	d.t.Helper()
	if !d.m.Write(off, 4, uint64(v)) {
		d.t.Fatalf("write of register %#x failed", off)
	}
}

// alloc returns n zeroed bytes of guest RAM aligned to align.
func (d *driver) alloc(n, align uint64) uint64 {
	a := (d.next + align - 1) &^ (align - 1)
	d.next = a + n
	if d.next > d.mem.base+uint64(len(d.mem.ram)) {
		d.t.Fatal("test driver out of guest RAM")
	}
	clear(d.mem.ram[a-d.mem.base : d.next-d.mem.base])
	return a
}

// reset writes 0 to Status and waits for it to read back 0.
func (d *driver) reset() {
	d.w32(regStatus, 0)
	if d.r32(regStatus) != 0 {
		d.t.Fatal("status not 0 after reset")
	}
}

// negotiate does the reset/ACK/DRIVER/features/FEATURES_OK dance and
// returns whether the device accepted the features.
func (d *driver) negotiate(want uint64) bool {
	d.t.Helper()
	if d.r32(regMagicValue) != MagicValue || d.r32(regVersion) != 2 {
		d.t.Fatal("not a virtio-mmio v2 device")
	}
	d.reset()
	d.w32(regStatus, StatusAcknowledge)
	d.w32(regStatus, StatusAcknowledge|StatusDriver)
	d.w32(regDeviceFeaturesSel, 1)
	offered := uint64(d.r32(regDeviceFeatures)) << 32
	d.w32(regDeviceFeaturesSel, 0)
	offered |= uint64(d.r32(regDeviceFeatures))
	d.feats = offered & want
	d.w32(regDriverFeaturesSel, 1)
	d.w32(regDriverFeatures, uint32(d.feats>>32))
	d.w32(regDriverFeaturesSel, 0)
	d.w32(regDriverFeatures, uint32(d.feats))
	d.w32(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK)
	return d.r32(regStatus)&StatusFeaturesOK != 0
}

// setupQueue lays out queue i with num entries (capped by QueueNumMax)
// and enables it.
func (d *driver) setupQueue(i int, num uint16) *drvQueue {
	d.t.Helper()
	d.w32(regQueueSel, uint32(i))
	if d.r32(regQueueReady) != 0 {
		d.t.Fatalf("queue %d already set up", i)
	}
	max := d.r32(regQueueNumMax)
	if max == 0 {
		d.t.Fatalf("queue %d not available", i)
	}
	num = uint16(min(uint32(num), max))
	n := uint64(num)
	q := &drvQueue{idx: i, num: num}
	q.desc = d.alloc(16*n, 16)
	q.avail = d.alloc(6+2*n, 2)
	q.used = d.alloc(6+8*n, 4)
	d.programQueue(q)
	d.w32(regQueueReady, 1)
	for len(d.qs) <= i {
		d.qs = append(d.qs, nil)
	}
	d.qs[i] = q
	return q
}

func (d *driver) programQueue(q *drvQueue) {
	d.w32(regQueueSel, uint32(q.idx))
	d.w32(regQueueNum, uint32(q.num))
	d.w32(regQueueDescLow, uint32(q.desc))
	d.w32(regQueueDescHigh, uint32(q.desc>>32))
	d.w32(regQueueDriverLow, uint32(q.avail))
	d.w32(regQueueDriverHigh, uint32(q.avail>>32))
	d.w32(regQueueDeviceLow, uint32(q.used))
	d.w32(regQueueDeviceHigh, uint32(q.used>>32))
}

func (d *driver) driverOK() {
	d.w32(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK|StatusDriverOK)
}

// init brings a device up with every queue at num entries.
func (d *driver) init(want uint64, num uint16) {
	d.t.Helper()
	if !d.negotiate(want) {
		d.t.Fatal("device refused FEATURES_OK")
	}
	n := int(d.r32(regQueueNumMax)) // touch the register like Linux; per-queue below
	_ = n
	d.qs = nil
	for i := 0; ; i++ {
		d.w32(regQueueSel, uint32(i))
		if d.r32(regQueueNumMax) == 0 {
			break
		}
		d.setupQueue(i, num)
	}
	d.driverOK()
	if s := d.r32(regStatus); s&StatusDeviceNeedsReset != 0 {
		d.t.Fatalf("device broken after init: %v", d.m.Err())
	}
}

// descAt writes descriptor i of a table at table.
func (d *driver) descAt(table uint64, i uint16, addr uint64, n uint32, flags, next uint16) {
	p := table + 16*uint64(i)
	d.mem.put64(p, addr)
	d.mem.put32(p+8, n)
	d.mem.put16(p+12, flags)
	d.mem.put16(p+14, next)
}

// post chains bufs (direct descriptors, or one indirect table) and makes
// the chain available; it returns the head.
func (d *driver) post(q *drvQueue, indirect bool, bufs ...buf) uint16 {
	head := q.nextDesc % q.num
	if indirect {
		table := d.alloc(16*uint64(len(bufs)), 16)
		for i, b := range bufs {
			d.descAt(table, uint16(i), b.addr, b.n, flagsOf(b, i < len(bufs)-1), uint16(i+1))
		}
		d.descAt(q.desc, head, table, uint32(16*len(bufs)), descFIndirect, 0)
		q.nextDesc++
	} else {
		for i, b := range bufs {
			idx := q.nextDesc % q.num
			q.nextDesc++
			d.descAt(q.desc, idx, b.addr, b.n, flagsOf(b, i < len(bufs)-1), q.nextDesc%q.num)
		}
	}
	d.makeAvail(q, head)
	return head
}

func (d *driver) makeAvail(q *drvQueue, head uint16) {
	d.mem.put16(q.avail+4+2*uint64(q.availIdx%q.num), head)
	q.availIdx++
	d.mem.put16(q.avail+2, q.availIdx)
}

func flagsOf(b buf, more bool) uint16 {
	var f uint16
	if b.write {
		f |= descFWrite
	}
	if more {
		f |= descFNext
	}
	return f
}

func (d *driver) kick(q *drvQueue) { d.w32(regQueueNotify, uint32(q.idx)) }

// usedElem is one completed chain.
type usedElem struct {
	id  uint32
	len uint32
}

// reap returns the new used ring entries.
func (d *driver) reap(q *drvQueue) []usedElem {
	var out []usedElem
	idx := d.mem.get16(q.used + 2)
	for q.lastUsed != idx {
		p := q.used + 4 + 8*uint64(q.lastUsed%q.num)
		out = append(out, usedElem{d.mem.get32(p), d.mem.get32(p + 4)})
		q.lastUsed++
	}
	if d.feats&FeatureEventIdx != 0 && !d.keepUsedEvent {
		// Like virtqueue_enable_cb: interrupt at the next completion.
		d.mem.put16(q.avail+4+2*uint64(q.num), q.lastUsed)
	}
	return out
}

// ackIRQ is the interrupt handler: read InterruptStatus, acknowledge it.
func (d *driver) ackIRQ() uint32 {
	isr := d.r32(regInterruptStatus)
	d.w32(regInterruptACK, isr)
	return isr
}

// one submits a request, kicks, and returns its single completion.
func (d *driver) one(q *drvQueue, indirect bool, bufs ...buf) usedElem {
	d.t.Helper()
	head := d.post(q, indirect, bufs...)
	d.kick(q)
	u := d.reap(q)
	if len(u) != 1 || u[0].id != uint32(head) {
		d.t.Fatalf("used = %v, want one completion of head %d (device err %v)", u, head, d.m.Err())
	}
	return u[0]
}

func (d *driver) bytesAt(pa uint64, n int) []byte {
	return bytes.Clone(d.mem.ram[pa-d.mem.base : pa-d.mem.base+uint64(n)])
}

func (d *driver) fill(pa uint64, p []byte) { copy(d.mem.ram[pa-d.mem.base:], p) }
