package virtio

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
)

// Split virtqueue layout (VIRTIO 1.2 section 2.7).
const (
	descSize = 16 // struct virtq_desc: le64 addr, le32 len, le16 flags, le16 next

	descFNext     = 1
	descFWrite    = 2
	descFIndirect = 4

	availFNoInterrupt = 1

	// Alignment the driver must give each part of a split queue.
	descAlign  = 16
	availAlign = 2
	usedAlign  = 4

	// MaxQueueSize is the largest queue size of a split virtqueue.
	MaxQueueSize = 32768
)

// Chain is one descriptor chain taken from a queue's available ring: host
// slices into guest RAM (no copies), the device-readable buffers first and
// then the device-writable ones, in chain order. The slices stay valid
// until the next Pop on the same queue.
type Chain struct {
	Head     uint16
	Readable [][]byte
	Writable [][]byte

	waddr []uint64 // guest-physical address of each Writable buffer
}

// ReadableLen is the total size of the device-readable buffers.
func (c *Chain) ReadableLen() int {
	n := 0
	for _, b := range c.Readable {
		n += len(b)
	}
	return n
}

// WritableLen is the total size of the device-writable buffers.
func (c *Chain) WritableLen() int {
	n := 0
	for _, b := range c.Writable {
		n += len(b)
	}
	return n
}

// ReadAt copies from the concatenated readable buffers, starting off
// bytes in, into p and returns the number of bytes copied.
func (c *Chain) ReadAt(p []byte, off int) int {
	return gather(c.Readable, p, off)
}

// WriteAt copies p into the concatenated writable buffers, starting off
// bytes in, and returns the number of bytes copied. The caller must still
// report the write (Queue.PushChain invalidates what it covers).
func (c *Chain) WriteAt(p []byte, off int) int {
	n := 0
	for _, b := range c.Writable {
		if off >= len(b) {
			off -= len(b)
			continue
		}
		k := copy(b[off:], p[n:])
		n += k
		off = 0
		if n == len(p) {
			break
		}
	}
	return n
}

func gather(bufs [][]byte, p []byte, off int) int {
	n := 0
	for _, b := range bufs {
		if off >= len(b) {
			off -= len(b)
			continue
		}
		k := copy(p[n:], b[off:])
		n += k
		off = 0
		if n == len(p) {
			break
		}
	}
	return n
}

// Queue is a split virtqueue as the device sees it. The transport
// configures it from the driver's register writes and validates the rings;
// device models take chains with Pop and return them with Push/PushChain.
// A Queue is not safe for concurrent use: the device model owning it
// serialises Pop and Push.
type Queue struct {
	// Driver-written configuration (transport registers).
	num                          uint16
	ready                        bool
	descAddr, availAddr, usedAdr uint64

	max      uint16 // QueueNumMax
	mem      Memory
	desc     []byte // num*16 bytes
	avail    []byte // 6 + 2*num bytes
	used     []byte // 6 + 8*num bytes
	indirect bool   // VIRTIO_F_INDIRECT_DESC negotiated
	eventIdx bool   // VIRTIO_F_EVENT_IDX negotiated

	lastAvail uint16 // next available ring entry to consume
	usedIdx   uint16 // next used ring entry to fill
	signalled uint16 // usedIdx when NeedInterrupt last said yes (or was asked)
	broken    *atomic.Bool
	fail      func(error)
	chain     Chain
}

// newQueue returns an unconfigured queue whose size may go up to max.
// broken and fail come from the transport: broken is shared by all queues
// of a device and fail marks the device as needing a reset.
func newQueue(max uint16, broken *atomic.Bool, fail func(error)) *Queue {
	q := &Queue{max: max, broken: broken, fail: fail}
	if q.broken == nil {
		q.broken = new(atomic.Bool)
	}
	return q
}

// Size is the queue size the driver chose.
func (q *Queue) Size() int { return int(q.num) }

// Ready reports whether the driver has enabled the queue (and its rings
// passed validation).
func (q *Queue) Ready() bool { return q.ready }

// reset returns the queue to its unconfigured state.
func (q *Queue) reset() {
	q.num, q.ready = 0, false
	q.descAddr, q.availAddr, q.usedAdr = 0, 0, 0
	q.mem, q.desc, q.avail, q.used = nil, nil, nil, nil
	q.indirect, q.eventIdx = false, false
	q.lastAvail, q.usedIdx, q.signalled = 0, 0, 0
	q.chain = Chain{Readable: q.chain.Readable[:0], Writable: q.chain.Writable[:0], waddr: q.chain.waddr[:0]}
}

// enable validates the driver's configuration and maps the rings; on
// failure the queue stays disabled and the error says why.
func (q *Queue) enable(mem Memory, features uint64) error {
	n := uint64(q.num)
	switch {
	case n == 0:
		return fmt.Errorf("%w: queue size 0", ErrBadQueue)
	case n&(n-1) != 0:
		return fmt.Errorf("%w: queue size %d is not a power of two", ErrBadQueue, n)
	case n > uint64(q.max):
		return fmt.Errorf("%w: queue size %d above maximum %d", ErrBadQueue, n, q.max)
	}
	var ok bool
	if q.desc, ok = ring(mem, q.descAddr, descSize*n, descAlign); !ok {
		return fmt.Errorf("%w: descriptor table %#x (%d entries) misaligned or outside RAM", ErrBadQueue, q.descAddr, n)
	}
	if q.avail, ok = ring(mem, q.availAddr, 6+2*n, availAlign); !ok {
		return fmt.Errorf("%w: available ring %#x misaligned or outside RAM", ErrBadQueue, q.availAddr)
	}
	if q.used, ok = ring(mem, q.usedAdr, 6+8*n, usedAlign); !ok {
		return fmt.Errorf("%w: used ring %#x misaligned or outside RAM", ErrBadQueue, q.usedAdr)
	}
	q.mem = mem
	q.indirect = features&FeatureIndirectDesc != 0
	q.eventIdx = features&FeatureEventIdx != 0
	q.lastAvail, q.usedIdx, q.signalled = 0, 0, 0
	q.ready = true
	return nil
}

func ring(mem Memory, addr, size, align uint64) ([]byte, bool) {
	if addr%align != 0 || addr+size < addr {
		return nil, false
	}
	b, ok := mem.Slice(addr, size)
	if !ok || uint64(len(b)) != size {
		return nil, false
	}
	return b, true
}

// bad marks the device broken and returns the error.
func (q *Queue) bad(format string, args ...any) error {
	err := fmt.Errorf("%w: "+format, append([]any{ErrBadQueue}, args...)...)
	if q.fail != nil {
		q.fail(err) // sets the shared broken flag and tells the driver
	}
	q.broken.Store(true)
	return err
}

// Pop takes the next available descriptor chain. It returns ok == false
// when the ring is empty or the queue is not enabled. Every descriptor is
// validated (addresses inside RAM, no 64-bit wrap, chain length within the
// queue size, no loops, readable buffers before writable ones, indirect
// tables well-formed and not nested); a violation marks the device broken
// and returns an error, as does any Pop after that. The returned Chain
// reuses the queue's slices: it is valid until the next Pop.
func (q *Queue) Pop() (Chain, bool, error) {
	if q.broken.Load() {
		return Chain{}, false, ErrBroken
	}
	if !q.ready {
		return Chain{}, false, nil
	}
	availIdx := binary.LittleEndian.Uint16(q.avail[2:])
	if availIdx == q.lastAvail {
		if !q.eventIdx {
			return Chain{}, false, nil
		}
		// Ask to be kicked at the next addition, then look again in case
		// the driver added a buffer meanwhile.
		q.setAvailEvent()
		availIdx = binary.LittleEndian.Uint16(q.avail[2:])
		if availIdx == q.lastAvail {
			return Chain{}, false, nil
		}
	}
	if pending := availIdx - q.lastAvail; pending > q.num {
		return Chain{}, false, q.bad("available index %d is %d ahead of %d (queue size %d)", availIdx, pending, q.lastAvail, q.num)
	}
	slot := uint64(q.lastAvail & (q.num - 1))
	head := binary.LittleEndian.Uint16(q.avail[4+2*slot:])
	if head >= q.num {
		return Chain{}, false, q.bad("available ring head %d out of range (queue size %d)", head, q.num)
	}
	if err := q.walk(head); err != nil {
		return Chain{}, false, err
	}
	q.lastAvail++
	if q.eventIdx {
		q.setAvailEvent()
	}
	return q.chain, true, nil
}

// walk validates the chain starting at head into q.chain.
func (q *Queue) walk(head uint16) error {
	c := &q.chain
	c.Head = head
	c.Readable, c.Writable, c.waddr = c.Readable[:0], c.Writable[:0], c.waddr[:0]
	table := q.desc
	limit := uint64(q.num) // entries in the current table; bounds the chain length
	idx := uint64(head)
	count := uint64(0)
	inIndirect := false
	for {
		if idx >= limit {
			return q.bad("chain from %d: next index %d out of range %d", head, idx, limit)
		}
		count++
		if count > limit {
			return q.bad("chain from %d: longer than %d descriptors (loop?)", head, limit)
		}
		d := table[idx*descSize : idx*descSize+descSize]
		addr := binary.LittleEndian.Uint64(d[0:])
		ln := uint64(binary.LittleEndian.Uint32(d[8:]))
		flags := binary.LittleEndian.Uint16(d[12:])
		next := binary.LittleEndian.Uint16(d[14:])
		if flags&descFIndirect != 0 {
			switch {
			case !q.indirect:
				return q.bad("chain from %d: indirect descriptor without VIRTIO_F_INDIRECT_DESC", head)
			case inIndirect:
				return q.bad("chain from %d: nested indirect table", head)
			case flags&descFNext != 0:
				return q.bad("chain from %d: indirect descriptor with NEXT", head)
			case ln == 0 || ln%descSize != 0:
				return q.bad("chain from %d: indirect table length %d", head, ln)
			case ln/descSize > uint64(q.num):
				return q.bad("chain from %d: indirect table of %d entries exceeds queue size %d", head, ln/descSize, q.num)
			case addr+ln < addr:
				return q.bad("chain from %d: indirect table %#x+%#x wraps", head, addr, ln)
			}
			t, ok := q.mem.Slice(addr, ln)
			if !ok || uint64(len(t)) != ln {
				return q.bad("chain from %d: indirect table %#x+%#x outside RAM", head, addr, ln)
			}
			table, limit, idx, count, inIndirect = t, ln/descSize, 0, 0, true
			continue
		}
		if addr+ln < addr {
			return q.bad("chain from %d: buffer %#x+%#x wraps", head, addr, ln)
		}
		var buf []byte
		if ln > 0 {
			b, ok := q.mem.Slice(addr, ln)
			if !ok || uint64(len(b)) != ln {
				return q.bad("chain from %d: buffer %#x+%#x outside RAM", head, addr, ln)
			}
			buf = b
		}
		if flags&descFWrite != 0 {
			c.Writable = append(c.Writable, buf)
			c.waddr = append(c.waddr, addr)
		} else {
			if len(c.Writable) > 0 {
				return q.bad("chain from %d: device-readable buffer after a writable one", head)
			}
			c.Readable = append(c.Readable, buf)
		}
		if flags&descFNext == 0 {
			return nil
		}
		idx = uint64(next)
	}
}

// setAvailEvent publishes avail_event (VIRTIO_F_EVENT_IDX): the driver
// should kick when it makes entry lastAvail available.
func (q *Queue) setAvailEvent() {
	off := 4 + 8*uint64(q.num)
	binary.LittleEndian.PutUint16(q.used[off:], q.lastAvail)
	q.mem.Invalidate(q.usedAdr+off, 2)
}

// Push returns the chain with the given head to the driver through the
// used ring, reporting written bytes written into its writable buffers.
// The caller must have invalidated (Memory.Invalidate) what it wrote into
// the buffers (PushChain does that) and then signals an interrupt if
// NeedInterrupt says so.
func (q *Queue) Push(head uint16, written uint32) error {
	if q.broken.Load() {
		return ErrBroken
	}
	if !q.ready {
		return fmt.Errorf("%w: push to a disabled queue", ErrBadQueue)
	}
	if head >= q.num {
		return fmt.Errorf("%w: push of head %d out of range %d", ErrBadQueue, head, q.num)
	}
	slot := uint64(q.usedIdx & (q.num - 1))
	off := 4 + 8*slot
	binary.LittleEndian.PutUint32(q.used[off:], uint32(head))
	binary.LittleEndian.PutUint32(q.used[off+4:], written)
	q.mem.Invalidate(q.usedAdr+off, 8)
	q.usedIdx++
	binary.LittleEndian.PutUint16(q.used[2:], q.usedIdx)
	q.mem.Invalidate(q.usedAdr+2, 2)
	return nil
}

// PushChain invalidates the first written bytes of c's writable buffers
// and pushes c to the used ring.
func (q *Queue) PushChain(c *Chain, written uint32) error {
	left := uint64(written)
	for i, b := range c.Writable {
		if left == 0 {
			break
		}
		n := min(uint64(len(b)), left)
		if n > 0 && i < len(c.waddr) {
			q.mem.Invalidate(c.waddr[i], n)
		}
		left -= n
	}
	return q.Push(c.Head, written)
}

// NeedInterrupt reports whether the driver wants a used-buffer
// notification for the entries pushed since the last call: it honours
// VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event when VIRTIO_F_EVENT_IDX was
// negotiated.
func (q *Queue) NeedInterrupt() bool {
	if !q.ready || q.broken.Load() {
		return false
	}
	old, cur := q.signalled, q.usedIdx
	q.signalled = cur
	if old == cur {
		return false
	}
	if q.eventIdx {
		event := binary.LittleEndian.Uint16(q.avail[4+2*uint64(q.num):])
		return cur-event-1 < cur-old
	}
	return binary.LittleEndian.Uint16(q.avail[0:])&availFNoInterrupt == 0
}
