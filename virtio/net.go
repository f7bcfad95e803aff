package virtio

import (
	"encoding/binary"
	"slices"
	"sync"
)

// Network device feature bits (VIRTIO 1.2 section 5.1.3).
const (
	NetFCSUM      = 1 << 0  // VIRTIO_NET_F_CSUM: the guest may leave checksums to the device
	NetFGuestCSUM = 1 << 1  // VIRTIO_NET_F_GUEST_CSUM: the device may mark checksums valid
	NetFMAC       = 1 << 5  // VIRTIO_NET_F_MAC: the config space holds the MAC
	NetFStatus    = 1 << 16 // VIRTIO_NET_F_STATUS: the config space holds the link status
)

// virtio_net_hdr flags.
const (
	netHdrNeedsCsum = 1 // VIRTIO_NET_HDR_F_NEEDS_CSUM
	netHdrDataValid = 2 // VIRTIO_NET_HDR_F_DATA_VALID
)

const (
	// NetHeaderSize is struct virtio_net_hdr of the modern interface:
	// flags, gso_type, hdr_len, gso_size, csum_start, csum_offset and
	// num_buffers (VIRTIO_F_VERSION_1 makes num_buffers always present).
	NetHeaderSize = 12

	// NetMaxFrame is the largest Ethernet frame (without the virtio
	// header) the device passes in either direction; no GSO is offered,
	// so real frames are at most 1514 bytes plus a VLAN tag.
	NetMaxFrame = 65535

	// NetMaxPending bounds the received frames held while the guest has
	// no receive buffers posted; the oldest are dropped beyond it.
	NetMaxPending = 512

	netStatusLinkUp = 1
)

// NetBackend is the host side of a virtio-net device: where the guest's
// frames go and where the guest's incoming frames come from.
type NetBackend interface {
	// Send transmits one Ethernet frame from the guest. frame is only
	// valid during the call (the implementation copies what it keeps).
	// It may call the receiver synchronously.
	Send(frame []byte) error
	// SetReceiver installs the function the backend calls, from any
	// goroutine, with every frame for the guest; the frame is only valid
	// during the call. Called once, before any Send.
	SetReceiver(func(frame []byte))
	// Close stops the backend; the receiver is not called afterwards.
	Close() error
}

// Net is a virtio network device (type 1): queue 0 receives
// (backend → guest), queue 1 transmits (guest → backend). It offers
// VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS (the link is always up) and
// checksum offload both ways (CSUM: the device completes the partial
// checksum of a NEEDS_CSUM frame before the backend sees it; GUEST_CSUM:
// received frames are marked DATA_VALID, since both backends deliver frames
// with complete checksums). There is no GSO and no mergeable receive
// buffers, so every frame travels as one 12-byte virtio_net_hdr plus the
// frame in one chain.
//
// Received frames are queued (up to NetMaxPending, oldest dropped) and
// copied into receive buffers as the guest posts them. A receive chain too
// small for a frame is returned with length 0 and the frame is dropped
// (Linux counts it as a length error). Transmitted frames are copied out of
// guest memory before the backend sees them, and Send runs without the
// device lock held, so a backend may answer synchronously.
type Net struct {
	mu        sync.Mutex
	mac       [6]byte
	pending   [][]byte // frames not yet delivered, oldest first
	rx, tx    *Queue
	interrupt func()
	dropped   uint64
	dataValid bool // VIRTIO_NET_F_GUEST_CSUM negotiated

	sendMu  sync.Mutex // orders transmissions across Notify calls; taken before mu
	backend NetBackend
	txBuf   []byte   // arena of copied frames, reused (under sendMu)
	txOffs  []int    // frame boundaries in txBuf
	scratch [][]byte // frames of one batch
}

// NewNet returns a network device with the given MAC address whose frames
// go to and come from b. It installs its receiver on b.
func NewNet(b NetBackend, mac [6]byte) *Net {
	n := &Net{backend: b, mac: mac}
	b.SetReceiver(n.Receive)
	return n
}

// Type implements Device.
func (*Net) Type() uint32 { return IDNet }

// Features implements Device.
func (*Net) Features() uint64 { return NetFCSUM | NetFGuestCSUM | NetFMAC | NetFStatus }

// Negotiated implements FeatureNegotiator.
func (n *Net) Negotiated(f uint64) {
	n.mu.Lock()
	n.dataValid = f&NetFGuestCSUM != 0
	n.mu.Unlock()
}

// NumQueues implements Device: one receive and one transmit queue.
func (*Net) NumQueues() int { return 2 }

// ReadConfig implements Device: struct virtio_net_config's mac and status.
func (n *Net) ReadConfig(off uint64, size int) (uint64, bool) {
	var cfg [8]byte
	copy(cfg[:6], n.mac[:])
	binary.LittleEndian.PutUint16(cfg[6:], netStatusLinkUp)
	return readConfig(cfg[:], off, size)
}

// WriteConfig implements Device. The MAC is only writable by the driver
// with legacy interfaces; writes are ignored.
func (*Net) WriteConfig(off uint64, size int, val uint64) bool { return true }

// Activate implements Device; frames queued so far are delivered as soon
// as the guest posts receive buffers.
func (n *Net) Activate(qs []*Queue, mem Memory, interrupt func()) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.rx, n.tx, n.interrupt = qs[0], qs[1], interrupt
	n.fill()
	return nil
}

// Reset implements Device. Frames not yet delivered are kept.
func (n *Net) Reset() {
	n.mu.Lock()
	n.rx, n.tx, n.interrupt = nil, nil, nil
	n.mu.Unlock()
}

// Dropped returns how many received frames were dropped (queue overflow,
// oversized frames, receive buffers too small).
func (n *Net) Dropped() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dropped
}

// Receive queues a frame for the guest and delivers what fits into the
// posted receive buffers. It is the backend's receiver; safe to call from
// any goroutine. frame is copied.
func (n *Net) Receive(frame []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(frame) == 0 || len(frame) > NetMaxFrame {
		n.dropped++
		return
	}
	if len(n.pending) >= NetMaxPending {
		n.pending[0] = nil
		n.pending = n.pending[1:]
		n.dropped++
	}
	n.pending = append(n.pending, append([]byte(nil), frame...))
	n.fill()
}

// Notify implements Device.
func (n *Net) Notify(q int) {
	switch q {
	case 0:
		n.mu.Lock()
		n.fill()
		n.mu.Unlock()
	case 1:
		n.transmit()
	}
}

// fill moves pending frames into receive buffers. Called with mu held.
func (n *Net) fill() {
	if n.rx == nil || len(n.pending) == 0 {
		return
	}
	pushed := false
	var hdr [NetHeaderSize]byte
	binary.LittleEndian.PutUint16(hdr[10:], 1) // num_buffers
	if n.dataValid {
		hdr[0] = netHdrDataValid
	}
	for len(n.pending) > 0 {
		c, ok, err := n.rx.Pop()
		if err != nil || !ok {
			break
		}
		f := n.pending[0]
		n.pending[0] = nil
		n.pending = n.pending[1:]
		written := 0
		if c.WritableLen() >= NetHeaderSize+len(f) {
			c.WriteAt(hdr[:], 0)
			c.WriteAt(f, NetHeaderSize)
			written = NetHeaderSize + len(f)
		} else {
			n.dropped++
		}
		if n.rx.PushChain(&c, uint32(written)) != nil {
			return
		}
		pushed = true
	}
	if len(n.pending) == 0 {
		n.pending = nil // let the old array go
	}
	if pushed && n.rx.NeedInterrupt() {
		n.interrupt()
	}
}

// transmit takes every available transmit chain, copies the frames out of
// guest memory, completes the chains and then hands the frames to the
// backend without holding mu.
func (n *Net) transmit() {
	n.sendMu.Lock()
	defer n.sendMu.Unlock()
	n.mu.Lock()
	q := n.tx
	if q == nil {
		n.mu.Unlock()
		return
	}
	n.txBuf, n.txOffs = n.txBuf[:0], n.txOffs[:0]
	for {
		c, ok, err := q.Pop()
		if err != nil || !ok {
			break
		}
		// No GSO was offered, so gso_type is ignored (0); a NEEDS_CSUM
		// frame gets its checksum completed here.
		var hdr [NetHeaderSize]byte
		if l := c.ReadableLen() - NetHeaderSize; l > 0 && l <= NetMaxFrame {
			c.ReadAt(hdr[:], 0)
			start := len(n.txBuf)
			n.txBuf = slices.Grow(n.txBuf, l)[:start+l]
			f := n.txBuf[start:]
			c.ReadAt(f, NetHeaderSize)
			if hdr[0]&netHdrNeedsCsum == 0 || completeChecksum(f, &hdr) {
				n.txOffs = append(n.txOffs, len(n.txBuf))
			} else {
				n.txBuf = n.txBuf[:start] // bad checksum offsets: drop the frame
			}
		}
		if q.PushChain(&c, 0) != nil {
			break
		}
	}
	if q.NeedInterrupt() {
		n.interrupt()
	}
	n.mu.Unlock()
	n.scratch = n.scratch[:0]
	start := 0
	for _, end := range n.txOffs {
		n.scratch = append(n.scratch, n.txBuf[start:end:end])
		start = end
	}
	for _, f := range n.scratch {
		n.backend.Send(f) // a lost frame is the network's business
	}
	if cap(n.txBuf) > 1<<20 {
		n.txBuf = nil // do not pin a large arena after a burst
	}
}

// completeChecksum finishes a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM):
// the Internet checksum of f[csum_start:], seeded with the pseudo-header
// sum the driver left in the field, is stored at csum_start+csum_offset.
// It reports false if the offsets do not fit the frame.
func completeChecksum(f []byte, hdr *[NetHeaderSize]byte) bool {
	start := int(binary.LittleEndian.Uint16(hdr[6:]))
	at := start + int(binary.LittleEndian.Uint16(hdr[8:]))
	if start >= len(f) || at+2 > len(f) {
		return false
	}
	binary.BigEndian.PutUint16(f[at:], ^csumFold(csumAdd(0, f[start:])))
	return true
}

// csumAdd adds b to a ones'-complement sum in 16-bit big-endian words.
func csumAdd(sum uint64, b []byte) uint64 {
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		sum += v >> 48
		sum += (v >> 32) & 0xffff
		sum += (v >> 16) & 0xffff
		sum += v & 0xffff
		b = b[8:]
	}
	for len(b) >= 2 {
		sum += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint64(b[0]) << 8
	}
	return sum
}

func csumFold(sum uint64) uint16 {
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}
