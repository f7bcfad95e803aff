package virtio

import (
	"bytes"
	"testing"
)

const hostileRAM = 64 << 10

// hostileCase is a guest misbehaviour: a bad queue layout (queue) or a
// bad descriptor chain posted on a good queue (chain).
type hostileCase struct {
	name  string
	feats uint64 // features to negotiate; 0 means everything
	queue func(d *driver, q *drvQueue)
	chain func(d *driver, q *drvQueue)
	only  uint32 // run only against this device type, if set
}

func hostileCases() []hostileCase {
	end := uint64(ramBase + hostileRAM)
	post := func(d *driver, q *drvQueue, head uint16) { d.makeAvail(q, head) }
	// table writes an indirect table with the given descriptors and
	// posts a descriptor pointing at it.
	type ent struct {
		addr        uint64
		n           uint32
		flags, next uint16
	}
	indirect := func(d *driver, q *drvQueue, tlen uint32, flags uint16, ents ...ent) {
		t := d.alloc(16*uint64(max(len(ents), 1)), 16)
		for i, e := range ents {
			d.descAt(t, uint16(i), e.addr, e.n, e.flags, e.next)
		}
		d.descAt(q.desc, 0, t, tlen, descFIndirect|flags, 0)
		post(d, q, 0)
	}
	return []hostileCase{
		{name: "queue size not a power of two", queue: func(d *driver, q *drvQueue) { q.num = 3 }},
		{name: "queue size zero", queue: func(d *driver, q *drvQueue) { q.num = 0 }},
		{name: "queue size above QueueNumMax", queue: func(d *driver, q *drvQueue) { q.num = 2 * DefaultQueueSize }},
		{name: "descriptor table past the end of RAM", queue: func(d *driver, q *drvQueue) { q.desc = end - 64 }},
		{name: "available ring below RAM", queue: func(d *driver, q *drvQueue) { q.avail = 0x1000 }},
		{name: "used ring just past RAM", queue: func(d *driver, q *drvQueue) { q.used = end }},
		{name: "used ring wraps 64 bits", queue: func(d *driver, q *drvQueue) { q.used = ^uint64(0) &^ 3 }},
		{name: "descriptor table misaligned", queue: func(d *driver, q *drvQueue) { q.desc += 8 }},
		{name: "available ring misaligned", queue: func(d *driver, q *drvQueue) { q.avail++ }},
		{name: "used ring misaligned", queue: func(d *driver, q *drvQueue) { q.used += 2 }},

		{name: "buffer past the end of RAM", chain: func(d *driver, q *drvQueue) {
			d.descAt(q.desc, 0, end-4, 8, descFWrite, 0)
			post(d, q, 0)
		}},
		{name: "buffer below RAM", chain: func(d *driver, q *drvQueue) {
			d.descAt(q.desc, 0, ramBase-16, 32, descFWrite, 0)
			post(d, q, 0)
		}},
		{name: "buffer length overflows 64 bits", chain: func(d *driver, q *drvQueue) {
			d.descAt(q.desc, 0, ^uint64(0)-0xff, 0x200, descFWrite, 0)
			post(d, q, 0)
		}},
		{name: "buffer covering all of RAM and more", chain: func(d *driver, q *drvQueue) {
			d.descAt(q.desc, 0, ramBase, hostileRAM+1, descFWrite, 0)
			post(d, q, 0)
		}},
		{name: "two-descriptor loop", chain: func(d *driver, q *drvQueue) {
			b := d.alloc(8, 8)
			d.descAt(q.desc, 0, b, 8, descFWrite|descFNext, 1)
			d.descAt(q.desc, 1, b, 8, descFWrite|descFNext, 0)
			post(d, q, 0)
		}},
		{name: "self loop", chain: func(d *driver, q *drvQueue) {
			d.descAt(q.desc, 5, d.alloc(8, 8), 8, descFWrite|descFNext, 5)
			post(d, q, 5)
		}},
		{name: "next index out of range", chain: func(d *driver, q *drvQueue) {
			d.descAt(q.desc, 0, d.alloc(8, 8), 8, descFWrite|descFNext, q.num)
			post(d, q, 0)
		}},
		{name: "readable after writable", chain: func(d *driver, q *drvQueue) {
			b := d.alloc(16, 8)
			d.descAt(q.desc, 0, b, 8, descFWrite|descFNext, 1)
			d.descAt(q.desc, 1, b+8, 8, 0, 0)
			post(d, q, 0)
		}},
		{name: "head out of range", chain: func(d *driver, q *drvQueue) { post(d, q, q.num+1) }},
		{name: "available index runs ahead", chain: func(d *driver, q *drvQueue) {
			d.mem.put16(q.avail+2, q.num+1)
		}},
		{name: "indirect without the feature", feats: ^uint64(0) &^ FeatureIndirectDesc, chain: func(d *driver, q *drvQueue) {
			indirect(d, q, 16, 0, ent{d.alloc(8, 8), 8, descFWrite, 0})
		}},
		{name: "indirect length not a multiple of 16", chain: func(d *driver, q *drvQueue) {
			indirect(d, q, 24, 0, ent{d.alloc(8, 8), 8, descFWrite, 0}, ent{})
		}},
		{name: "indirect length zero", chain: func(d *driver, q *drvQueue) {
			indirect(d, q, 0, 0)
		}},
		{name: "indirect table outside RAM", chain: func(d *driver, q *drvQueue) {
			d.descAt(q.desc, 0, end-16, 32, descFIndirect, 0)
			post(d, q, 0)
		}},
		{name: "indirect table address wraps", chain: func(d *driver, q *drvQueue) {
			d.descAt(q.desc, 0, ^uint64(0)-15, 32, descFIndirect, 0)
			post(d, q, 0)
		}},
		{name: "nested indirect", chain: func(d *driver, q *drvQueue) {
			indirect(d, q, 16, 0, ent{d.alloc(16, 16), 16, descFIndirect, 0})
		}},
		{name: "indirect with NEXT", chain: func(d *driver, q *drvQueue) {
			indirect(d, q, 16, descFNext, ent{d.alloc(8, 8), 8, descFWrite, 0})
		}},
		{name: "indirect table longer than the queue", chain: func(d *driver, q *drvQueue) {
			ents := make([]ent, q.num+1)
			b := d.alloc(8, 8)
			for i := range ents {
				ents[i] = ent{b, 8, descFWrite | descFNext, uint16(i + 1)}
			}
			ents[len(ents)-1].flags = descFWrite
			indirect(d, q, 16*uint32(len(ents)), 0, ents...)
		}},
		{name: "loop inside an indirect table", chain: func(d *driver, q *drvQueue) {
			b := d.alloc(8, 8)
			indirect(d, q, 32, 0, ent{b, 8, descFWrite | descFNext, 1}, ent{b, 8, descFWrite | descFNext, 0})
		}},
		{name: "indirect next out of the table", chain: func(d *driver, q *drvQueue) {
			b := d.alloc(8, 8)
			indirect(d, q, 32, 0, ent{b, 8, descFWrite | descFNext, 2}, ent{b, 8, descFWrite, 0})
		}},
		{name: "indirect buffer outside RAM", chain: func(d *driver, q *drvQueue) {
			indirect(d, q, 16, 0, ent{end, 8, descFWrite, 0})
		}},
		{name: "9p request without a writable buffer", only: ID9P, chain: func(d *driver, q *drvQueue) {
			h := d.alloc(16, 8)
			d.descAt(q.desc, 0, h, 16, 0, 0)
			post(d, q, 0)
		}},
		{name: "blk request without a status byte", only: IDBlock, chain: func(d *driver, q *drvQueue) {
			h := d.alloc(16, 8)
			d.descAt(q.desc, 0, h, 16, 0, 0)
			post(d, q, 0)
		}},
	}
}

func hostileDevices() []func() Device {
	return []func() Device{
		func() Device { return NewRNG() },
		func() Device { return NewBlk(&memDisk{b: make([]byte, 64<<10)}, false, "h") },
		func() Device { return NewConsole(&bytes.Buffer{}) },
		func() Device { return NewNet(&loopNet{}, testMAC) },
		func() Device { p, _ := NewP9("h", &echoP9{}); return p },
	}
}

func TestHostile(t *testing.T) {
	for _, mk := range hostileDevices() {
		for _, c := range hostileCases() {
			dev := mk()
			if c.only != 0 && dev.Type() != c.only {
				continue
			}
			t.Run(typeName(dev.Type())+"/"+c.name, func(t *testing.T) {
				runHostile(t, dev, c)
			})
		}
	}
}

func typeName(id uint32) string {
	switch id {
	case IDBlock:
		return "blk"
	case IDRNG:
		return "rng"
	case IDConsole:
		return "console"
	case IDNet:
		return "net"
	case ID9P:
		return "9p"
	}
	return "?"
}

func runHostile(t *testing.T, dev Device, c hostileCase) {
	d := newDriver(t, dev, hostileRAM)
	feats := c.feats
	if feats == 0 {
		feats = ^uint64(0)
	}
	if !d.negotiate(feats) {
		t.Fatal("FEATURES_OK refused")
	}
	// Set up every queue; the last one (the one the chain goes to) gets
	// the sabotage. For the console that is the transmit queue.
	nq := dev.NumQueues()
	var q *drvQueue
	for i := 0; i < nq; i++ {
		d.w32(regQueueSel, uint32(i))
		q = &drvQueue{idx: i, num: 8}
		q.desc = d.alloc(16*8, 16)
		q.avail = d.alloc(6+2*8, 2)
		q.used = d.alloc(6+8*8, 4)
		if c.queue != nil && i == nq-1 {
			c.queue(d, q)
		}
		d.programQueue(q)
		d.w32(regQueueReady, 1)
		d.qs = append(d.qs, q)
	}
	d.driverOK()
	if c.chain != nil {
		if d.m.Broken() {
			t.Fatalf("broken before the bad chain: %v", d.m.Err())
		}
		c.chain(d, q)
		d.kick(q)
	}

	if d.r32(regStatus)&StatusDeviceNeedsReset == 0 {
		t.Fatal("DEVICE_NEEDS_RESET not set")
	}
	if d.raised == 0 || d.r32(regInterruptStatus)&InterruptConfigChange == 0 {
		t.Fatal("no configuration-change interrupt")
	}
	t.Logf("device error: %v", d.m.Err())
	d.ackIRQ()
	d.mem.check(t)

	// A broken device processes nothing, even a good request.
	if c.queue == nil {
		before := d.mem.get16(q.used + 2)
		q.availIdx = d.mem.get16(q.avail + 2)
		b := d.alloc(8, 8)
		h := d.alloc(16, 8)
		d.post(q, false, buf{h, 16, false}, buf{b, 8, true})
		d.kick(q)
		if d.mem.get16(q.used+2) != before {
			t.Fatal("broken device still completes requests")
		}
	}

	// Reset brings it back.
	d.reset()
	if d.level || d.r32(regInterruptStatus) != 0 || d.m.Broken() {
		t.Fatal("reset left state behind")
	}
	d.next = ramBase
	d.init(^uint64(0), 8)
	q = d.qs[len(d.qs)-1]
	work(t, d, dev, q)
	d.mem.check(t)
}

// work checks that a freshly initialised device serves a good request.
func work(t *testing.T, d *driver, dev Device, q *drvQueue) {
	t.Helper()
	switch dev.Type() {
	case IDBlock:
		if st, _, _ := d.blkDo(q, true, blkTIn, 0, nil, 512); st != blkSOK {
			t.Fatalf("blk after reset: status %d", st)
		}
	case IDRNG:
		b := d.alloc(16, 8)
		if u := d.one(q, false, buf{b, 16, true}); u.len != 16 {
			t.Fatalf("rng after reset: len %d", u.len)
		}
	case IDConsole:
		b := d.alloc(4, 1)
		d.fill(b, []byte("ok\n"))
		d.one(q, false, buf{b, 3, false})
	case IDNet:
		h := d.alloc(NetHeaderSize+4, 8)
		d.fill(h+NetHeaderSize, []byte("ping"))
		d.one(q, false, buf{h, NetHeaderSize + 4, false})
	case ID9P:
		r, w := d.alloc(8, 8), d.alloc(16, 8)
		if u := d.one(q, false, buf{r, 8, false}, buf{w, 16, true}); u.len != 9 {
			t.Fatalf("9p after reset: len %d", u.len)
		}
	}
	if d.m.Broken() {
		t.Fatalf("broken after reset: %v", d.m.Err())
	}
}
