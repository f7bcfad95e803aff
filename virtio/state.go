package virtio

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
)

// Snapshots. A transport's state is its registers, each queue's
// configuration and ring positions, and the device model's own state (for
// devices implementing Stateful). Rings, descriptors and buffers live in
// guest RAM, which the machine saves separately.
//
// In-flight requests: a device model may hold chains it has popped but not
// yet pushed only inside Notify (or Input). strata's devices are
// synchronous — blk, rng and console complete every chain before Notify
// returns — so between run slices, when a machine saves its state, no
// chain is in flight and lastAvail/usedIdx describe the queue completely.
// An asynchronous device added later must drain (or record) its in-flight
// chains in SaveDeviceState.

// ErrState reports a saved transport state that does not fit the transport
// it is loaded into (another device type, feature set or queue count), or
// whose queues no longer validate.
var ErrState = errors.New("virtio: incompatible transport state")

// QueueState is one virtqueue's driver configuration and ring positions.
type QueueState struct {
	Num                           uint16
	Ready                         bool
	DescAddr, AvailAddr, UsedAddr uint64
	LastAvail, UsedIdx, Signalled uint16
}

// MMIOState is a virtio-mmio transport's state.
type MMIOState struct {
	DeviceID    uint32 // 0 for an empty slot
	Offered     uint64
	DevFeatSel  uint32
	DrvFeatSel  uint32
	DrvFeatures uint64
	Status      uint32
	QueueSel    uint32
	Active      bool
	ConfigGen   uint32
	Broken      bool
	BrokenErr   string // why the device broke (diagnostics only)
	ISR         uint32
	Queues      []QueueState
	Device      []byte // the device model's state (Stateful), or nil
}

// Stateful is implemented by device models that can be snapshotted. A
// device's state beyond its queues (the console's undelivered input) goes
// in the returned bytes; devices with none (blk, rng) return nil. Devices
// that do not implement Stateful cannot be snapshotted: SaveState refuses
// them rather than silently losing state a new device model may hold.
type Stateful interface {
	// SaveDeviceState returns the device's state. It is called between
	// run slices, with no request in flight.
	SaveDeviceState() ([]byte, error)
	// LoadDeviceState restores it, before the transport re-activates the
	// device.
	LoadDeviceState([]byte) error
}

// Quiescer is implemented by device models that touch their queues and
// guest RAM outside Notify (virtio-net receives on its backend's
// goroutine). Quiesce stops that until the returned function is called;
// a machine quiesces every device before it saves queues and RAM, and
// SaveDeviceState is then called with the device quiesced.
type Quiescer interface {
	Quiesce() (resume func())
}

// Quiesce stops the device's activity outside Notify (see Quiescer) until
// the returned function is called. For other devices it does nothing.
func (m *MMIO) Quiesce() (resume func()) {
	if q, ok := m.dev.(Quiescer); ok {
		return q.Quiesce()
	}
	return func() {}
}

// SaveState returns the transport's state. Call it only while no hart is
// running (no register access or Notify in progress) and, for a device
// that receives from the host on its own (virtio-net), while it is
// quiesced.
func (m *MMIO) SaveState() (MMIOState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := MMIOState{
		Offered: m.offered, DevFeatSel: m.devFeatSel, DrvFeatSel: m.drvFeatSel,
		DrvFeatures: m.drvFeatures, Status: m.status, QueueSel: m.queueSel,
		Active: m.active, ConfigGen: m.configGen, Broken: m.broken.Load(), ISR: m.isr.Load(),
	}
	if m.dev == nil {
		return s, nil
	}
	s.DeviceID = m.dev.Type()
	if err := m.Err(); err != nil {
		s.BrokenErr = err.Error()
	}
	for i, q := range m.queues {
		// Every chain popped must have been pushed (see the package's
		// snapshot notes above); a broken device has stopped anyway.
		if q.ready && !s.Broken && q.lastAvail != q.usedIdx {
			return MMIOState{}, fmt.Errorf("virtio: device %d queue %d: %d requests in flight", s.DeviceID, i, q.lastAvail-q.usedIdx)
		}
		s.Queues = append(s.Queues, QueueState{
			Num: q.num, Ready: q.ready, DescAddr: q.descAddr, AvailAddr: q.availAddr, UsedAddr: q.usedAdr,
			LastAvail: q.lastAvail, UsedIdx: q.usedIdx, Signalled: q.signalled,
		})
	}
	sd, ok := m.dev.(Stateful)
	if !ok {
		return MMIOState{}, fmt.Errorf("virtio: device %d (%T) does not support snapshots", s.DeviceID, m.dev)
	}
	b, err := sd.SaveDeviceState()
	if err != nil {
		return MMIOState{}, fmt.Errorf("virtio: device %d: %w", s.DeviceID, err)
	}
	s.Device = b
	return s, nil
}

// LoadState restores s into a freshly created transport for the same kind
// of device, after guest RAM has been restored: ready queues are mapped
// and validated again, and an active device is told the negotiated
// features (FeatureNegotiator) and re-activated (the console then delivers
// pending input into posted buffers). The interrupt line is
// driven from the restored interrupt status.
func (m *MMIO) LoadState(s MMIOState) error {
	var id uint32
	if m.dev != nil {
		id = m.dev.Type()
	}
	switch {
	case s.DeviceID != id:
		return fmt.Errorf("%w: device type %d, saved %d", ErrState, id, s.DeviceID)
	case s.Offered != m.offered:
		return fmt.Errorf("%w: device %d offers features %#x, saved %#x (a disk changed read-only mode?)", ErrState, id, m.offered, s.Offered)
	case len(s.Queues) != len(m.queues):
		return fmt.Errorf("%w: device %d has %d queues, saved %d", ErrState, id, len(m.queues), len(s.Queues))
	}
	if m.dev == nil {
		return nil
	}
	m.mu.Lock()
	m.devFeatSel, m.drvFeatSel, m.drvFeatures = s.DevFeatSel, s.DrvFeatSel, s.DrvFeatures
	m.status, m.queueSel, m.configGen = s.Status, s.QueueSel, s.ConfigGen
	for i, qs := range s.Queues {
		q := m.queues[i]
		q.reset()
		q.num, q.descAddr, q.availAddr, q.usedAdr = qs.Num, qs.DescAddr, qs.AvailAddr, qs.UsedAddr
		if !qs.Ready {
			continue
		}
		if err := q.enable(m.mem, m.drvFeatures); err != nil {
			m.mu.Unlock()
			return fmt.Errorf("%w: queue %d: %v", ErrState, i, err)
		}
		q.lastAvail, q.usedIdx, q.signalled = qs.LastAvail, qs.UsedIdx, qs.Signalled
	}
	var err error
	if sd, ok := m.dev.(Stateful); ok && s.Device != nil {
		err = sd.LoadDeviceState(s.Device)
	}
	m.broken.Store(s.Broken)
	if s.Broken {
		e := errors.New(s.BrokenErr)
		m.err.Store(&e)
	}
	m.isr.Store(s.ISR)
	m.active = false
	if err == nil && s.Active {
		if fn, ok := m.dev.(FeatureNegotiator); ok {
			fn.Negotiated(m.drvFeatures)
		}
		if err = m.dev.Activate(m.queues, m.mem, m.interrupt); err == nil {
			m.active = true
		}
	}
	m.mu.Unlock()
	if err != nil {
		return fmt.Errorf("virtio: device %d: %w", id, err)
	}
	m.lineMu.Lock()
	m.line = s.ISR == 0 // force updateLine to drive the line
	m.lineMu.Unlock()
	m.updateLine()
	return nil
}

// SaveDeviceState implements Stateful: the input not yet delivered.
func (c *Console) SaveDeviceState() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte{}, c.pending...), nil
}

// LoadDeviceState implements Stateful.
func (c *Console) LoadDeviceState(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = append([]byte(nil), b...)
	return nil
}

// SaveDeviceState implements Stateful: a block device has no state beyond
// its queue (requests complete inside Notify; the image is flushed by the
// machine and reopened by path).
func (b *Blk) SaveDeviceState() ([]byte, error) { return nil, nil }

// LoadDeviceState implements Stateful.
func (b *Blk) LoadDeviceState([]byte) error { return nil }

// SaveDeviceState implements Stateful: the entropy device has no state
// beyond its queue.
func (r *RNG) SaveDeviceState() ([]byte, error) { return nil, nil }

// LoadDeviceState implements Stateful.
func (r *RNG) LoadDeviceState([]byte) error { return nil }

// Quiesce implements Quiescer: the backend's receiver blocks (frames wait
// in the backend) until resume is called, so the receive queue and guest
// RAM hold still while a machine saves them.
func (n *Net) Quiesce() (resume func()) {
	n.mu.Lock()
	return n.mu.Unlock
}

// netState is virtio-net's device state.
type netState struct {
	Pending   [][]byte // frames received from the host, not yet delivered
	DataValid bool     // VIRTIO_NET_F_GUEST_CSUM negotiated
	Dropped   uint64
}

// SaveDeviceState implements Stateful: frames not yet delivered to the
// guest. Call it with the device quiesced (it does not take the lock
// Quiesce holds). Host-side connections are not part of the state: the
// machine reopens the backend from its spec on restore.
func (n *Net) SaveDeviceState() ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(netState{Pending: n.pending, DataValid: n.dataValid, Dropped: n.dropped})
	return b.Bytes(), err
}

// LoadDeviceState implements Stateful.
func (n *Net) LoadDeviceState(b []byte) error {
	var s netState
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&s); err != nil {
		return err
	}
	if len(s.Pending) > NetMaxPending {
		return fmt.Errorf("virtio-net: %d pending frames, at most %d", len(s.Pending), NetMaxPending)
	}
	for _, f := range s.Pending {
		if len(f) == 0 || len(f) > NetMaxFrame {
			return fmt.Errorf("virtio-net: pending frame of %d bytes", len(f))
		}
	}
	n.mu.Lock()
	n.pending, n.dataValid, n.dropped = s.Pending, s.DataValid, s.Dropped
	n.mu.Unlock()
	return nil
}
