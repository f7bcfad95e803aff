package virtio

import (
	"encoding/binary"
	"sync"
)

// Block device feature bits (VIRTIO 1.2 section 5.2.3).
const (
	BlkFSegMax  = 1 << 2
	BlkFRO      = 1 << 5
	BlkFBlkSize = 1 << 6
	BlkFFlush   = 1 << 9
	BlkFDiscard = 1 << 13
)

// Block request types and status values (section 5.2.6).
const (
	blkTIn      = 0
	blkTOut     = 1
	blkTFlush   = 4
	blkTGetID   = 8
	blkTDiscard = 11

	blkSOK     = 0
	blkSIOErr  = 1
	blkSUnsupp = 2

	blkHeaderSize = 16 // le32 type, le32 reserved, le64 sector
	blkIDBytes    = 20
	blkDiscardSeg = 16 // le64 sector, le32 num_sectors, le32 flags

	// SectorSize is the virtio-blk sector: capacity and request sectors
	// count 512-byte units whatever the block size.
	SectorSize = 512

	blkSegMax            = DefaultQueueSize - 2 // data segments + header + status fit a queue
	blkMaxDiscardSectors = 1 << 21              // 1 GiB per segment
	blkMaxDiscardSeg     = 16
	blkDiscardAlign      = 8 // sectors: 4 KiB, the host's page/file-system block
)

// Blk is a virtio block device (type 2) over a BlockBackend. It has one
// request queue and serves IN, OUT, FLUSH, GET_ID and DISCARD.
//
// Requests are processed synchronously inside Notify (on the vCPU that
// kicked the queue): the guest stalls for the duration of the host I/O.
// FLUSH completes only after BlockBackend.Sync has returned, so data the
// guest was told is durable has reached the file.
type Blk struct {
	mu       sync.Mutex
	backend  BlockBackend
	readOnly bool
	serial   string
	sectors  uint64

	q         *Queue
	interrupt func()
}

// NewBlk returns a block device over b. readOnly makes it advertise
// VIRTIO_BLK_F_RO and fail writes; serial (up to 20 bytes) is what GET_ID
// returns.
func NewBlk(b BlockBackend, readOnly bool, serial string) *Blk {
	return &Blk{backend: b, readOnly: readOnly, serial: serial, sectors: uint64(b.Size()) / SectorSize}
}

// Type implements Device.
func (*Blk) Type() uint32 { return IDBlock }

// NumQueues implements Device.
func (*Blk) NumQueues() int { return 1 }

// Features implements Device.
func (b *Blk) Features() uint64 {
	f := uint64(BlkFSegMax | BlkFBlkSize | BlkFFlush | BlkFDiscard)
	if b.readOnly {
		f |= BlkFRO
	}
	return f
}

// ReadConfig implements Device: struct virtio_blk_config.
func (b *Blk) ReadConfig(off uint64, size int) (uint64, bool) {
	var cfg [64]byte
	binary.LittleEndian.PutUint64(cfg[0:], b.sectors)   // capacity
	binary.LittleEndian.PutUint32(cfg[12:], blkSegMax)  // seg_max
	binary.LittleEndian.PutUint32(cfg[20:], SectorSize) // blk_size
	binary.LittleEndian.PutUint16(cfg[34:], 1)          // num_queues
	binary.LittleEndian.PutUint32(cfg[36:], blkMaxDiscardSectors)
	binary.LittleEndian.PutUint32(cfg[40:], blkMaxDiscardSeg)
	binary.LittleEndian.PutUint32(cfg[44:], blkDiscardAlign)
	return readConfig(cfg[:], off, size)
}

// readConfig reads a little-endian field of size bytes from cfg; reads
// past the end return zero.
func readConfig(cfg []byte, off uint64, size int) (uint64, bool) {
	if size != 1 && size != 2 && size != 4 && size != 8 {
		return 0, false
	}
	var v uint64
	for i := size - 1; i >= 0; i-- {
		v <<= 8
		if o := off + uint64(i); o < uint64(len(cfg)) {
			v |= uint64(cfg[o])
		}
	}
	return v, true
}

// WriteConfig implements Device; the block configuration is read-only
// (writeback toggling is not offered), so writes are ignored.
func (*Blk) WriteConfig(off uint64, size int, val uint64) bool { return true }

// Activate implements Device.
func (b *Blk) Activate(qs []*Queue, mem Memory, interrupt func()) error {
	b.mu.Lock()
	b.q, b.interrupt = qs[0], interrupt
	b.mu.Unlock()
	return nil
}

// Reset implements Device.
func (b *Blk) Reset() {
	b.mu.Lock()
	b.q, b.interrupt = nil, nil
	b.mu.Unlock()
}

// Notify implements Device: it serves every available request.
func (b *Blk) Notify(int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.q
	if q == nil {
		return
	}
	for {
		c, ok, err := q.Pop()
		if err != nil || !ok {
			break
		}
		wl := c.WritableLen()
		if wl == 0 {
			// No room for the status byte: the driver broke the protocol.
			q.bad("blk request %d has no writable status byte", c.Head)
			return
		}
		st, data := b.serve(&c)
		// The status is the last writable byte.
		status := [1]byte{st}
		c.WriteAt(status[:], wl-1)
		written := uint32(data) + 1
		// The data and the status byte may be anywhere in the writable
		// area, and a failed read may have filled part of it: invalidate
		// all of it.
		invalidateAll(q.mem, &c)
		if q.Push(c.Head, written) != nil {
			return
		}
	}
	if q.NeedInterrupt() {
		b.interrupt()
	}
}

// serve performs one request and returns its status and how many data
// bytes it wrote into the writable buffers (before the status byte).
func (b *Blk) serve(c *Chain) (status byte, data int) {
	var hdr [blkHeaderSize]byte
	if c.ReadAt(hdr[:], 0) != blkHeaderSize {
		return blkSIOErr, 0
	}
	typ := binary.LittleEndian.Uint32(hdr[0:])
	sector := binary.LittleEndian.Uint64(hdr[8:])
	wl := c.WritableLen() - 1 // data room before the status byte
	if wl < 0 {
		return blkSIOErr, 0
	}
	switch typ {
	case blkTIn:
		off, ok := b.span(sector, wl)
		if !ok {
			return blkSIOErr, 0
		}
		if err := eachSegment(c.Writable, 0, wl, func(p []byte) error {
			_, err := b.backend.ReadAt(p, off)
			off += int64(len(p))
			return err
		}); err != nil {
			return blkSIOErr, 0
		}
		return blkSOK, wl
	case blkTOut:
		if b.readOnly {
			return blkSIOErr, 0
		}
		n := c.ReadableLen() - blkHeaderSize
		off, ok := b.span(sector, n)
		if !ok {
			return blkSIOErr, 0
		}
		if err := eachSegment(c.Readable, blkHeaderSize, n, func(p []byte) error {
			_, err := b.backend.WriteAt(p, off)
			off += int64(len(p))
			return err
		}); err != nil {
			return blkSIOErr, 0
		}
		return blkSOK, 0
	case blkTFlush:
		if b.backend.Sync() != nil {
			return blkSIOErr, 0
		}
		return blkSOK, 0
	case blkTGetID:
		var id [blkIDBytes]byte
		copy(id[:], b.serial)
		n := min(wl, blkIDBytes)
		c.WriteAt(id[:n], 0)
		return blkSOK, n
	case blkTDiscard:
		return b.discard(c), 0
	}
	return blkSUnsupp, 0
}

// span checks that n bytes at sector lie on the disk in whole sectors and
// returns the byte offset.
func (b *Blk) span(sector uint64, n int) (int64, bool) {
	if n < 0 || n%SectorSize != 0 || sector > b.sectors {
		return 0, false
	}
	if uint64(n/SectorSize) > b.sectors-sector {
		return 0, false
	}
	return int64(sector * SectorSize), true
}

// discard serves a DISCARD request: an array of segments after the
// header. Every segment is checked before any is applied.
func (b *Blk) discard(c *Chain) byte {
	if b.readOnly {
		return blkSIOErr
	}
	n := c.ReadableLen() - blkHeaderSize
	if n <= 0 || n%blkDiscardSeg != 0 || n/blkDiscardSeg > blkMaxDiscardSeg {
		return blkSUnsupp
	}
	var segs [blkMaxDiscardSeg][blkDiscardSeg]byte
	count := n / blkDiscardSeg
	for i := 0; i < count; i++ {
		s := segs[i][:]
		c.ReadAt(s, blkHeaderSize+i*blkDiscardSeg)
		num := binary.LittleEndian.Uint32(s[8:])
		if binary.LittleEndian.Uint32(s[12:]) != 0 {
			return blkSUnsupp // unmap or reserved flags on a discard
		}
		if num > blkMaxDiscardSectors {
			return blkSIOErr
		}
		if _, ok := b.span(binary.LittleEndian.Uint64(s[0:]), int(num)*SectorSize); !ok {
			return blkSIOErr
		}
	}
	for i := 0; i < count; i++ {
		off := int64(binary.LittleEndian.Uint64(segs[i][0:])) * SectorSize
		ln := int64(binary.LittleEndian.Uint32(segs[i][8:])) * SectorSize
		var err error
		if d, ok := b.backend.(Discarder); ok {
			err = d.Discard(off, ln)
		} else {
			err = writeZeros(b.backend, off, ln)
		}
		if err != nil {
			return blkSIOErr
		}
	}
	return blkSOK
}

// eachSegment calls fn on the pieces of bufs covering bytes
// [skip, skip+n) of their concatenation.
func eachSegment(bufs [][]byte, skip, n int, fn func([]byte) error) error {
	for _, b := range bufs {
		if n == 0 {
			break
		}
		if skip >= len(b) {
			skip -= len(b)
			continue
		}
		p := b[skip:]
		skip = 0
		if len(p) > n {
			p = p[:n]
		}
		if err := fn(p); err != nil {
			return err
		}
		n -= len(p)
	}
	return nil
}

// invalidateAll reports a write over every writable buffer of c.
func invalidateAll(mem Memory, c *Chain) {
	for i, b := range c.Writable {
		if len(b) > 0 {
			mem.Invalidate(c.waddr[i], uint64(len(b)))
		}
	}
}
