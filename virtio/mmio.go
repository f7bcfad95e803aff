package virtio

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// virtio-mmio register offsets (VIRTIO 1.2 section 4.2.2).
const (
	regMagicValue        = 0x000
	regVersion           = 0x004
	regDeviceID          = 0x008
	regVendorID          = 0x00c
	regDeviceFeatures    = 0x010
	regDeviceFeaturesSel = 0x014
	regDriverFeatures    = 0x020
	regDriverFeaturesSel = 0x024
	regQueueSel          = 0x030
	regQueueNumMax       = 0x034
	regQueueNum          = 0x038
	regQueueReady        = 0x044
	regQueueNotify       = 0x050
	regInterruptStatus   = 0x060
	regInterruptACK      = 0x064
	regStatus            = 0x070
	regQueueDescLow      = 0x080
	regQueueDescHigh     = 0x084
	regQueueDriverLow    = 0x090
	regQueueDriverHigh   = 0x094
	regQueueDeviceLow    = 0x0a0
	regQueueDeviceHigh   = 0x0a4
	regSHMSel            = 0x0ac
	regSHMLenLow         = 0x0b0
	regSHMLenHigh        = 0x0b4
	regSHMBaseLow        = 0x0b8
	regSHMBaseHigh       = 0x0bc
	regQueueReset        = 0x0c0
	regConfigGeneration  = 0x0fc
	regConfig            = 0x100

	// MagicValue is "virt" in little-endian bytes.
	MagicValue = 0x74726976
	// VendorID is strata's virtio vendor ID ("strt" in little-endian bytes).
	VendorID = 0x74727473

	// MMIOSize is the size of one virtio-mmio register window.
	MMIOSize = 0x1000

	// DefaultQueueSize is the QueueNumMax a transport offers.
	DefaultQueueSize = 256
)

// MMIO is a virtio-mmio transport (version 2, the modern interface) in
// front of one Device. It implements riscv.Device. A transport built with
// a nil Device is a placeholder: DeviceID reads 0 and the driver skips it,
// as for the unused slots of QEMU's virt board.
type MMIO struct {
	mu  sync.Mutex
	dev Device
	mem Memory
	irq func(level bool)

	offered     uint64 // device features including transport bits
	devFeatSel  uint32
	drvFeatSel  uint32
	drvFeatures uint64 // as written by the driver
	status      uint32 // without NEEDS_RESET (see broken)
	queueSel    uint32
	queues      []*Queue
	active      bool // Activate succeeded and no reset since
	configGen   uint32

	// Shared with device callbacks; never behind mu.
	broken atomic.Bool   // DEVICE_NEEDS_RESET
	isr    atomic.Uint32 // InterruptStatus
	lineMu sync.Mutex    // orders irq calls; a leaf lock
	line   bool
	err    atomic.Pointer[error] // why the device broke, for diagnostics
}

// NewMMIO returns a transport for d (which may be nil for an empty slot)
// that reaches guest RAM through mem and drives its interrupt line with
// irq (which may be nil).
func NewMMIO(d Device, mem Memory, irq func(level bool)) *MMIO {
	m := &MMIO{dev: d, mem: mem, irq: irq}
	if d != nil {
		m.offered = d.Features() | FeatureVersion1 | FeatureIndirectDesc | FeatureEventIdx
		m.queues = make([]*Queue, d.NumQueues())
		for i := range m.queues {
			m.queues[i] = newQueue(DefaultQueueSize, &m.broken, m.fail)
		}
	}
	return m
}

// Err returns why the device was marked as needing a reset, or nil.
func (m *MMIO) Err() error {
	if p := m.err.Load(); p != nil && m.broken.Load() {
		return *p
	}
	return nil
}

// Broken reports whether the device has set DEVICE_NEEDS_RESET.
func (m *MMIO) Broken() bool { return m.broken.Load() }

// fail marks the device as needing a reset and tells the driver with a
// configuration-change interrupt. Safe from any goroutine.
func (m *MMIO) fail(err error) {
	m.err.Store(&err)
	if !m.broken.Swap(true) {
		m.raise(InterruptConfigChange)
	}
}

// raise sets interrupt status bits and updates the line.
func (m *MMIO) raise(bits uint32) {
	for {
		old := m.isr.Load()
		if old&bits == bits || m.isr.CompareAndSwap(old, old|bits) {
			break
		}
	}
	m.updateLine()
}

func (m *MMIO) updateLine() {
	m.lineMu.Lock()
	level := m.isr.Load() != 0
	if level != m.line {
		m.line = level
		if m.irq != nil {
			m.irq(level)
		}
	}
	m.lineMu.Unlock()
}

// interrupt is the used-buffer notification handed to the device.
func (m *MMIO) interrupt() { m.raise(InterruptUsedBuffer) }

// ConfigChanged tells the driver that the device configuration changed
// (for example a resized disk): ConfigGeneration advances and a
// configuration-change interrupt is raised.
func (m *MMIO) ConfigChanged() {
	m.mu.Lock()
	m.configGen++
	m.mu.Unlock()
	m.raise(InterruptConfigChange)
}

func (m *MMIO) selected() *Queue {
	if int(m.queueSel) < len(m.queues) {
		return m.queues[m.queueSel]
	}
	return nil
}

// Read implements riscv.Device. Registers take aligned 32-bit accesses;
// the configuration space takes 1, 2, 4 and 8-byte accesses.
func (m *MMIO) Read(off uint64, size int) (uint64, bool) {
	if off >= regConfig {
		if m.dev == nil {
			return 0, size == 1 || size == 2 || size == 4 || size == 8
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.dev.ReadConfig(off-regConfig, size)
	}
	if size != 4 || off%4 != 0 {
		return 0, false
	}
	if m.dev == nil {
		switch off {
		case regMagicValue:
			return MagicValue, true
		case regVersion:
			return 2, true
		case regVendorID:
			return VendorID, true
		}
		return 0, true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var v uint32
	switch off {
	case regMagicValue:
		v = MagicValue
	case regVersion:
		v = 2
	case regDeviceID:
		v = m.dev.Type()
	case regVendorID:
		v = VendorID
	case regDeviceFeatures:
		switch m.devFeatSel {
		case 0:
			v = uint32(m.offered)
		case 1:
			v = uint32(m.offered >> 32)
		}
	case regQueueNumMax:
		if q := m.selected(); q != nil {
			v = uint32(q.max)
		}
	case regQueueReady:
		if q := m.selected(); q != nil && q.ready {
			v = 1
		}
	case regInterruptStatus:
		v = m.isr.Load()
	case regStatus:
		v = m.status
		if m.broken.Load() {
			v |= StatusDeviceNeedsReset
		}
	case regSHMLenLow, regSHMLenHigh, regSHMBaseLow, regSHMBaseHigh:
		v = 0xffffffff // no shared memory regions
	case regConfigGeneration:
		v = m.configGen
	}
	return uint64(v), true
}

// Write implements riscv.Device.
func (m *MMIO) Write(off uint64, size int, val uint64) bool {
	if off >= regConfig {
		if m.dev == nil {
			return size == 1 || size == 2 || size == 4 || size == 8
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.dev.WriteConfig(off-regConfig, size, val)
	}
	if size != 4 || off%4 != 0 {
		return false
	}
	if m.dev == nil {
		return true
	}
	v := uint32(val)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch off {
	case regDeviceFeaturesSel:
		m.devFeatSel = v
	case regDriverFeaturesSel:
		m.drvFeatSel = v
	case regDriverFeatures:
		// Features are fixed once FEATURES_OK is set.
		if m.status&StatusFeaturesOK == 0 {
			switch m.drvFeatSel {
			case 0:
				m.drvFeatures = m.drvFeatures&^0xffffffff | uint64(v)
			case 1:
				m.drvFeatures = m.drvFeatures&0xffffffff | uint64(v)<<32
			}
		}
	case regQueueSel:
		m.queueSel = v
	case regQueueNum:
		if q := m.selected(); q != nil && !q.ready {
			q.num = uint16(min(v, 0xffff))
			if v > 0xffff {
				q.num = 3 // not a power of two: refused at QueueReady
			}
		}
	case regQueueReady:
		m.queueReady(v)
	case regQueueDescLow, regQueueDescHigh, regQueueDriverLow, regQueueDriverHigh,
		regQueueDeviceLow, regQueueDeviceHigh:
		if q := m.selected(); q != nil && !q.ready {
			switch off {
			case regQueueDescLow:
				q.descAddr = setLow(q.descAddr, v)
			case regQueueDescHigh:
				q.descAddr = setHigh(q.descAddr, v)
			case regQueueDriverLow:
				q.availAddr = setLow(q.availAddr, v)
			case regQueueDriverHigh:
				q.availAddr = setHigh(q.availAddr, v)
			case regQueueDeviceLow:
				q.usedAdr = setLow(q.usedAdr, v)
			case regQueueDeviceHigh:
				q.usedAdr = setHigh(q.usedAdr, v)
			}
		}
	case regQueueNotify:
		// The index is the low 16 bits (VIRTIO_F_NOTIFICATION_DATA is not
		// offered, so the rest is zero).
		if m.active && !m.broken.Load() && int(v&0xffff) < len(m.queues) {
			m.dev.Notify(int(v & 0xffff))
		}
	case regInterruptACK:
		for {
			old := m.isr.Load()
			if old&v == 0 || m.isr.CompareAndSwap(old, old&^v) {
				break
			}
		}
		m.updateLine()
	case regStatus:
		m.setStatus(v)
	case regSHMSel, regQueueReset:
		// No shared memory regions; VIRTIO_F_RING_RESET is not offered.
	}
	return true
}

func setLow(a uint64, v uint32) uint64  { return a&^0xffffffff | uint64(v) }
func setHigh(a uint64, v uint32) uint64 { return a&0xffffffff | uint64(v)<<32 }

// queueReady handles a QueueReady write. Enabling validates the size and
// the rings; a bad configuration marks the device broken.
func (m *MMIO) queueReady(v uint32) {
	q := m.selected()
	if q == nil {
		return
	}
	if v&1 == 0 {
		if q.ready && m.active {
			// Disabling a live queue: the device must stop using it.
			m.dev.Reset()
			m.active = false
		}
		num, d, a, u := q.num, q.descAddr, q.availAddr, q.usedAdr
		q.reset()
		q.num, q.descAddr, q.availAddr, q.usedAdr = num, d, a, u
		return
	}
	if q.ready {
		return
	}
	if m.status&StatusFeaturesOK == 0 {
		m.fail(fmt.Errorf("%w: queue %d enabled before FEATURES_OK", ErrBadQueue, m.queueSel))
		return
	}
	if err := q.enable(m.mem, m.drvFeatures); err != nil {
		m.fail(fmt.Errorf("queue %d: %w", m.queueSel, err))
	}
}

// setStatus handles a Status write.
func (m *MMIO) setStatus(v uint32) {
	if v == 0 {
		m.reset()
		return
	}
	v &^= StatusDeviceNeedsReset
	old := m.status
	if v&StatusFeaturesOK != 0 && old&StatusFeaturesOK == 0 {
		// Accept only features we offered, and only the modern interface;
		// otherwise FEATURES_OK stays clear and the driver sees it.
		if m.drvFeatures&^m.offered != 0 || m.drvFeatures&FeatureVersion1 == 0 {
			v &^= StatusFeaturesOK
		}
	}
	m.status = v
	if v&StatusDriverOK != 0 && old&StatusDriverOK == 0 && !m.broken.Load() {
		if v&StatusFeaturesOK == 0 {
			m.fail(fmt.Errorf("virtio: DRIVER_OK without FEATURES_OK"))
			return
		}
		if fn, ok := m.dev.(FeatureNegotiator); ok {
			fn.Negotiated(m.drvFeatures)
		}
		if err := m.dev.Activate(m.queues, m.mem, m.interrupt); err != nil {
			m.fail(fmt.Errorf("virtio: activate: %w", err))
			return
		}
		m.active = true
	}
}

// reset returns the transport and the device to their initial state.
func (m *MMIO) reset() {
	m.dev.Reset()
	m.active = false
	for _, q := range m.queues {
		q.reset()
	}
	m.devFeatSel, m.drvFeatSel, m.drvFeatures = 0, 0, 0
	m.status, m.queueSel = 0, 0
	m.broken.Store(false)
	m.err.Store(nil)
	m.isr.Store(0)
	m.updateLine()
}
