package virtio

import (
	"crypto/rand"
	"sync"
)

// RNG is a virtio entropy device (type 4): every writable buffer the
// driver posts on its one queue is filled from crypto/rand.
type RNG struct {
	mu        sync.Mutex
	q         *Queue
	mem       Memory
	interrupt func()
}

// NewRNG returns an entropy device.
func NewRNG() *RNG { return &RNG{} }

// Type implements Device.
func (*RNG) Type() uint32 { return IDRNG }

// Features implements Device; the entropy device has none.
func (*RNG) Features() uint64 { return 0 }

// NumQueues implements Device.
func (*RNG) NumQueues() int { return 1 }

// ReadConfig implements Device; there is no configuration space.
func (*RNG) ReadConfig(off uint64, size int) (uint64, bool) { return readConfig(nil, off, size) }

// WriteConfig implements Device.
func (*RNG) WriteConfig(off uint64, size int, val uint64) bool { return true }

// Activate implements Device.
func (r *RNG) Activate(qs []*Queue, mem Memory, interrupt func()) error {
	r.mu.Lock()
	r.q, r.mem, r.interrupt = qs[0], mem, interrupt
	r.mu.Unlock()
	return nil
}

// Reset implements Device.
func (r *RNG) Reset() {
	r.mu.Lock()
	r.q, r.mem, r.interrupt = nil, nil, nil
	r.mu.Unlock()
}

// Notify implements Device.
func (r *RNG) Notify(int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.q == nil {
		return
	}
	for {
		c, ok, err := r.q.Pop()
		if err != nil || !ok {
			break
		}
		n := 0
		for _, b := range c.Writable {
			rand.Read(b) // never fails (Go 1.24+ crashes the program instead)
			n += len(b)
		}
		if r.q.PushChain(&c, uint32(n)) != nil {
			return
		}
	}
	if r.q.NeedInterrupt() {
		r.interrupt()
	}
}
