package virtio

import (
	"encoding/binary"
	"errors"
	"sync"
)

// P9FMountTag is VIRTIO_9P_MOUNT_TAG: the configuration space holds the
// mount tag (VIRTIO 1.2 section 5.14).
const P9FMountTag = 1 << 0

// P9MaxTag is the longest mount tag accepted.
const P9MaxTag = 255

// p9MaxMsg bounds the request and reply sizes the device handles; it is
// above any msize the server negotiates (512 KiB by default).
const p9MaxMsg = 1 << 20

// P9Server serves 9P messages (package p9's Server implements it). Handle
// is given one complete request and the room for the reply, and returns
// the reply's length (at most len(resp); 0 for no reply).
type P9Server interface {
	Handle(req, resp []byte) int
}

// P9 is a virtio 9P transport (type 9): one request queue; each chain
// carries a 9P message in its device-readable part, and the reply is
// written over its device-writable part. Messages are handed to a
// P9Server synchronously, on the vCPU that kicked the queue.
//
// If the server also has a Reset method, a device reset calls it (the
// driver's session ends: every fid is forgotten).
type P9 struct {
	mu        sync.Mutex
	tag       string
	srv       P9Server
	q         *Queue
	interrupt func()
	req, resp []byte // reused scratch buffers
}

// NewP9 returns a 9P transport exporting srv under the mount tag (1 to
// P9MaxTag bytes).
func NewP9(tag string, srv P9Server) (*P9, error) {
	if tag == "" || len(tag) > P9MaxTag {
		return nil, errors.New("virtio: 9p mount tag must be 1 to 255 bytes")
	}
	return &P9{tag: tag, srv: srv}, nil
}

// Type implements Device.
func (*P9) Type() uint32 { return ID9P }

// Features implements Device.
func (*P9) Features() uint64 { return P9FMountTag }

// NumQueues implements Device.
func (*P9) NumQueues() int { return 1 }

// ReadConfig implements Device: struct virtio_9p_config, le16 tag_len then
// the tag bytes (not NUL-terminated).
func (p *P9) ReadConfig(off uint64, size int) (uint64, bool) {
	cfg := make([]byte, 2+len(p.tag))
	binary.LittleEndian.PutUint16(cfg, uint16(len(p.tag)))
	copy(cfg[2:], p.tag)
	return readConfig(cfg, off, size)
}

// WriteConfig implements Device; the configuration is read-only.
func (*P9) WriteConfig(off uint64, size int, val uint64) bool { return true }

// Activate implements Device.
func (p *P9) Activate(qs []*Queue, mem Memory, interrupt func()) error {
	p.mu.Lock()
	p.q, p.interrupt = qs[0], interrupt
	p.mu.Unlock()
	return nil
}

// Reset implements Device.
func (p *P9) Reset() {
	p.mu.Lock()
	p.q, p.interrupt = nil, nil
	p.mu.Unlock()
	if r, ok := p.srv.(interface{ Reset() }); ok {
		r.Reset()
	}
}

// Notify implements Device: it serves every available request.
func (p *P9) Notify(int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.q
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
			q.bad("9p request %d has no writable buffer for the reply", c.Head)
			return
		}
		rl := min(c.ReadableLen(), p9MaxMsg)
		wl = min(wl, p9MaxMsg)
		p.req = grow(p.req, rl)
		p.resp = grow(p.resp, wl)
		c.ReadAt(p.req, 0)
		n := p.srv.Handle(p.req, p.resp)
		if n < 0 || n > wl {
			n = 0 // a server bug must not become a write past the buffers
		}
		c.WriteAt(p.resp[:n], 0)
		if q.PushChain(&c, uint32(n)) != nil {
			return
		}
	}
	if q.NeedInterrupt() {
		p.interrupt()
	}
}

// SaveDeviceState implements Stateful. A live 9P session (the server's
// fids: open host files and directories) cannot be saved, so if the
// server reports one (an Active method returning true: the guest has the
// share mounted) the snapshot fails with an error instead of restoring a
// guest whose mount would then fail every request.
func (p *P9) SaveDeviceState() ([]byte, error) {
	if a, ok := p.srv.(interface{ Active() bool }); ok && a.Active() {
		return nil, errors.New("9p: the share is mounted in the guest; its session (open files) cannot be saved: unmount it first")
	}
	return nil, nil
}

// LoadDeviceState implements Stateful; there is nothing to restore.
func (p *P9) LoadDeviceState([]byte) error { return nil }

// grow returns b resized to n bytes, reallocating only to grow.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
