package virtio

import (
	"encoding/binary"
	"io"
	"sync"
)

// consoleMaxPending bounds the input bytes held while the guest posts no
// receive buffers; older bytes are dropped beyond it.
const consoleMaxPending = 1 << 20

// Console is a virtio console (type 3) with one port and no multiport
// support: queue 0 receives (host → guest), queue 1 transmits
// (guest → host) to an io.Writer.
type Console struct {
	mu        sync.Mutex
	out       io.Writer
	pending   []byte // input not yet delivered to the guest
	rx, tx    *Queue
	interrupt func()
}

// NewConsole returns a console whose guest output goes to out.
func NewConsole(out io.Writer) *Console { return &Console{out: out} }

// Type implements Device.
func (*Console) Type() uint32 { return IDConsole }

// Features implements Device; no optional features are offered (the
// console size is reported but VIRTIO_CONSOLE_F_SIZE is not).
func (*Console) Features() uint64 { return 0 }

// NumQueues implements Device.
func (*Console) NumQueues() int { return 2 }

// ReadConfig implements Device: struct virtio_console_config (cols and
// rows 0 since VIRTIO_CONSOLE_F_SIZE is not offered, max_nr_ports 1,
// emerg_wr 0).
func (c *Console) ReadConfig(off uint64, size int) (uint64, bool) {
	var cfg [12]byte
	binary.LittleEndian.PutUint32(cfg[4:], 1)
	return readConfig(cfg[:], off, size)
}

// WriteConfig implements Device. emerg_wr is only meaningful with
// VIRTIO_CONSOLE_F_EMERG_WRITE, which is not offered; writes are ignored.
func (*Console) WriteConfig(off uint64, size int, val uint64) bool { return true }

// Activate implements Device; pending input is delivered as soon as the
// guest posts receive buffers.
func (c *Console) Activate(qs []*Queue, mem Memory, interrupt func()) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rx, c.tx, c.interrupt = qs[0], qs[1], interrupt
	c.fill()
	return nil
}

// Reset implements Device. Undelivered input is kept.
func (c *Console) Reset() {
	c.mu.Lock()
	c.rx, c.tx, c.interrupt = nil, nil, nil
	c.mu.Unlock()
}

// Input queues bytes for the guest and delivers what fits into the
// receive buffers it has posted; the rest waits for more buffers. Safe to
// call from any goroutine.
func (c *Console) Input(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = append(c.pending, p...)
	if over := len(c.pending) - consoleMaxPending; over > 0 {
		c.pending = c.pending[over:]
	}
	c.fill()
}

// Notify implements Device.
func (c *Console) Notify(q int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch q {
	case 0:
		c.fill()
	case 1:
		c.drain()
	}
}

// fill moves pending input into receive buffers. Called with mu held.
func (c *Console) fill() {
	if c.rx == nil || len(c.pending) == 0 {
		return
	}
	for len(c.pending) > 0 {
		ch, ok, err := c.rx.Pop()
		if err != nil || !ok {
			break
		}
		n := ch.WriteAt(c.pending, 0)
		c.pending = c.pending[n:]
		if c.rx.PushChain(&ch, uint32(n)) != nil {
			return
		}
	}
	if len(c.pending) == 0 {
		c.pending = c.pending[:0:0] // let the old array go
	}
	if c.rx.NeedInterrupt() {
		c.interrupt()
	}
}

// drain writes transmitted buffers to the output. Called with mu held.
func (c *Console) drain() {
	if c.tx == nil {
		return
	}
	for {
		ch, ok, err := c.tx.Pop()
		if err != nil || !ok {
			break
		}
		for _, b := range ch.Readable {
			if len(b) > 0 {
				c.out.Write(b)
			}
		}
		if c.tx.PushChain(&ch, 0) != nil {
			return
		}
	}
	if c.tx.NeedInterrupt() {
		c.interrupt()
	}
}
