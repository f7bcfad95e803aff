package virtio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
)

// loopNet is a NetBackend that records sent frames and, if echo is set,
// answers every frame synchronously with a copy (as netstack may).
type loopNet struct {
	mu   sync.Mutex
	sent [][]byte
	recv func([]byte)
	echo bool
}

func (l *loopNet) Send(f []byte) error {
	l.mu.Lock()
	l.sent = append(l.sent, bytes.Clone(f))
	echo, recv := l.echo, l.recv
	l.mu.Unlock()
	if echo {
		recv(append([]byte("echo:"), f...))
	}
	return nil
}
func (l *loopNet) SetReceiver(r func([]byte)) { l.recv = r }
func (l *loopNet) Close() error               { return nil }

var testMAC = [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

// netRx posts one receive buffer of n bytes and returns its address.
func (d *driver) netRx(n uint32) uint64 {
	a := d.alloc(uint64(n), 8)
	d.post(d.qs[0], false, buf{a, n, true})
	return a
}

// netTx transmits frame behind a zero header, split in two descriptors.
func (d *driver) netTx(frame []byte) {
	h := d.alloc(NetHeaderSize, 8)
	p := d.alloc(uint64(len(frame)), 8)
	d.fill(p, frame)
	d.post(d.qs[1], false, buf{h, NetHeaderSize, false}, buf{p, uint32(len(frame)), false})
	d.kick(d.qs[1])
}

func TestNetConfig(t *testing.T) {
	n := NewNet(&loopNet{}, testMAC)
	d := newDriver(t, n, 1<<16)
	if d.r32(regDeviceID) != IDNet {
		t.Fatal("device id")
	}
	d.init(^uint64(0), 16)
	if d.feats&(NetFMAC|NetFStatus) != NetFMAC|NetFStatus {
		t.Fatalf("features %#x", d.feats)
	}
	var mac [6]byte
	for i := range mac {
		v, ok := d.m.Read(regConfig+uint64(i), 1)
		if !ok {
			t.Fatal("config read")
		}
		mac[i] = byte(v)
	}
	st, _ := d.m.Read(regConfig+6, 2)
	if mac != testMAC || st != netStatusLinkUp {
		t.Fatalf("mac %x status %d", mac, st)
	}
}

func TestNetTxRx(t *testing.T) {
	be := &loopNet{}
	n := NewNet(be, testMAC)
	d := newDriver(t, n, 1<<18)
	d.init(^uint64(0), 16)

	// Transmit: the header is stripped, the two descriptors are joined.
	frame := bytes.Repeat([]byte("0123456789abcdef"), 8)
	d.netTx(frame)
	if u := d.reap(d.qs[1]); len(u) != 1 || u[0].len != 0 {
		t.Fatalf("tx used %v", u)
	}
	if len(be.sent) != 1 || !bytes.Equal(be.sent[0], frame) {
		t.Fatalf("sent %q", be.sent)
	}

	// Receive before any buffer is posted: queued, delivered later.
	be.recv([]byte("early frame"))
	if u := d.reap(d.qs[0]); len(u) != 0 {
		t.Fatal("delivered without buffers")
	}
	a := d.netRx(2048)
	d.kick(d.qs[0])
	u := d.reap(d.qs[0])
	if len(u) != 1 || u[0].len != NetHeaderSize+11 {
		t.Fatalf("rx used %v", u)
	}
	got := d.bytesAt(a, int(u[0].len))
	if binary.LittleEndian.Uint16(got[10:]) != 1 || got[0] != netHdrDataValid || !bytes.Equal(got[1:10], make([]byte, 9)) {
		t.Fatalf("header % x", got[:NetHeaderSize])
	}
	if string(got[NetHeaderSize:]) != "early frame" {
		t.Fatalf("payload %q", got[NetHeaderSize:])
	}
	if !d.level {
		t.Fatal("no interrupt for rx")
	}
	d.ackIRQ()

	// Buffers posted first, frame arrives later (from another goroutine).
	a = d.netRx(2048)
	d.kick(d.qs[0])
	done := make(chan struct{})
	go func() { be.recv([]byte("late")); close(done) }()
	<-done
	if u := d.reap(d.qs[0]); len(u) != 1 || string(d.bytesAt(a+NetHeaderSize, 4)) != "late" {
		t.Fatalf("late rx %v", u)
	}

	// A buffer too small for the frame completes empty; the frame is dropped.
	d.netRx(NetHeaderSize + 2)
	d.kick(d.qs[0])
	be.recv([]byte("too long"))
	if u := d.reap(d.qs[0]); len(u) != 1 || u[0].len != 0 || n.Dropped() != 1 {
		t.Fatalf("small buffer: %v dropped %d", u, n.Dropped())
	}

	// Checksum offload: NEEDS_CSUM with csum_start 14 and csum_offset 6
	// (UDP's) gets the checksum completed; offsets past the frame drop it.
	udp := make([]byte, 14+8+33)
	for i := range udp {
		udp[i] = byte(i * 7)
	}
	for _, c := range []struct {
		start, off uint16
		ok         bool
	}{{14, 6, true}, {14, 38, true}, {14, 40, false}, {60, 0, false}} {
		be.sent = nil
		h := d.alloc(NetHeaderSize, 8)
		d.mem.ram[h-ramBase] = netHdrNeedsCsum
		d.mem.put16(h+6, c.start)
		d.mem.put16(h+8, c.off)
		p := d.alloc(uint64(len(udp)), 8)
		d.fill(p, udp)
		d.post(d.qs[1], false, buf{h, NetHeaderSize, false}, buf{p, uint32(len(udp)), false})
		d.kick(d.qs[1])
		d.reap(d.qs[1])
		if !c.ok {
			if len(be.sent) != 0 {
				t.Fatalf("csum %d+%d: frame sent", c.start, c.off)
			}
			continue
		}
		// The receiver adds the pseudo-header sum the driver seeded the
		// field with; the total must fold to 0xffff.
		seed := uint64(binary.BigEndian.Uint16(udp[c.start+c.off:]))
		if len(be.sent) != 1 || csumFold(seed+csumAdd(0, be.sent[0][c.start:])) != 0xffff ||
			!bytes.Equal(be.sent[0][:c.start+c.off], udp[:c.start+c.off]) {
			t.Fatalf("csum %d+%d: sent % x", c.start, c.off, be.sent)
		}
	}

	// A synchronous answer from inside Send does not deadlock.
	be.echo = true
	b := d.netRx(2048)
	d.netTx([]byte("ping"))
	d.reap(d.qs[1])
	if u := d.reap(d.qs[0]); len(u) != 1 || string(d.bytesAt(b+NetHeaderSize, 9)) != "echo:ping" {
		t.Fatalf("echo %v", u)
	}
	d.mem.check(t)
}

func TestNetPendingBound(t *testing.T) {
	be := &loopNet{}
	n := NewNet(be, testMAC)
	d := newDriver(t, n, 1<<20)
	d.init(^uint64(0), 16)
	for i := 0; i < NetMaxPending+10; i++ {
		be.recv([]byte(fmt.Sprintf("frame %04d", i)))
	}
	if n.Dropped() != 10 {
		t.Fatalf("dropped %d", n.Dropped())
	}
	// The oldest went: the first delivered frame is number 10.
	a := d.netRx(64)
	d.kick(d.qs[0])
	if got := string(d.bytesAt(a+NetHeaderSize, 10)); got != "frame 0010" {
		t.Fatalf("first delivered %q", got)
	}
	// Many frames through a small ring, reposting buffers.
	for i := 0; i < 100; i++ {
		d.reap(d.qs[0])
		d.next = ramBase + 1<<16
		a = d.netRx(64)
		d.kick(d.qs[0])
	}
	d.mem.check(t)
}

func TestNetAllocs(t *testing.T) {
	be := &loopNet{}
	n := NewNet(be, testMAC)
	d := newDriver(t, n, 1<<18)
	d.init(^uint64(0), 16)
	frame := make([]byte, 1500)
	h := d.alloc(NetHeaderSize, 8)
	p := d.alloc(1500, 8)
	d.fill(p, frame)
	be2 := &countNet{}
	n.backend = be2
	allocs := testing.AllocsPerRun(100, func() {
		d.post(d.qs[1], false, buf{h, NetHeaderSize, false}, buf{p, 1500, false})
		d.kick(d.qs[1])
		d.qs[1].lastUsed = d.mem.get16(d.qs[1].used + 2)
	})
	if allocs > 0 || be2.n < 100 {
		t.Fatalf("%v allocations per transmitted frame (%d sent)", allocs, be2.n)
	}
}

type countNet struct{ n int }

func (c *countNet) Send([]byte) error        { c.n++; return nil }
func (c *countNet) SetReceiver(func([]byte)) {}
func (c *countNet) Close() error             { return nil }

// FuzzNet drives the transport of a network device with arbitrary
// register writes over arbitrary RAM while an echoing backend injects
// frames: no panic, no access outside RAM.
func FuzzNet(f *testing.F) {
	const ram = 16 << 10
	f.Add(make([]byte, ram), []byte{0x1c, 15, 0, 0, 0, 0x14, 1, 0, 0, 0}, []byte("frame"))
	f.Fuzz(func(t *testing.T, data, ops, frame []byte) {
		mem := newFakeMem(ramBase, ram)
		copy(mem.ram, data)
		be := &loopNet{echo: true}
		n := NewNet(be, testMAC)
		m := NewMMIO(n, mem, func(bool) {})
		for len(ops) >= 5 {
			off := uint64(ops[0]) << 2
			v := uint32(ops[1]) | uint32(ops[2])<<8 | uint32(ops[3])<<16 | uint32(ops[4])<<24
			ops = ops[5:]
			if off == regQueueDescHigh || off == regQueueDriverHigh || off == regQueueDeviceHigh {
				v &= 1
			}
			if off == regQueueDescLow || off == regQueueDriverLow || off == regQueueDeviceLow {
				v = ramBase + v%ram
			}
			m.Write(off, 4, uint64(v))
			be.recv(frame)
		}
		mem.check(t)
	})
}
