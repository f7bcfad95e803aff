package virtio

import (
	"bytes"
	"testing"
)

func TestTransportRegisters(t *testing.T) {
	d := newDriver(t, NewRNG(), 1<<16)
	if d.r32(regMagicValue) != MagicValue || d.r32(regVersion) != 2 ||
		d.r32(regDeviceID) != IDRNG || d.r32(regVendorID) != VendorID {
		t.Fatal("identification registers")
	}
	// Only aligned 32-bit register accesses.
	if _, ok := d.m.Read(regMagicValue, 1); ok {
		t.Fatal("byte read of a register accepted")
	}
	if d.m.Write(regStatus+2, 4, 0) {
		t.Fatal("misaligned register write accepted")
	}
	// Refusing VERSION_1 (a legacy driver) leaves FEATURES_OK clear.
	if d.negotiate(FeatureIndirectDesc) {
		t.Fatal("FEATURES_OK accepted without VERSION_1")
	}
	// Features beyond the offered set are refused too.
	d.reset()
	d.w32(regStatus, StatusAcknowledge|StatusDriver)
	d.w32(regDriverFeaturesSel, 1)
	d.w32(regDriverFeatures, 1|1<<8) // VERSION_1 and bit 40
	d.w32(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK)
	if d.r32(regStatus)&StatusFeaturesOK != 0 {
		t.Fatal("FEATURES_OK accepted with unoffered features")
	}
	// QueueNumMax is 0 past the last queue; queue registers hold values.
	d.init(^uint64(0), 8)
	d.w32(regQueueSel, 1)
	if d.r32(regQueueNumMax) != 0 || d.r32(regQueueReady) != 0 {
		t.Fatal("queue 1 of rng exists")
	}
	d.w32(regQueueSel, 0)
	if d.r32(regQueueReady) != 1 || d.r32(regQueueNumMax) != DefaultQueueSize {
		t.Fatal("queue 0 state")
	}
	// Disabling the queue reads back 0 (Linux checks this on del_vq).
	d.w32(regQueueReady, 0)
	if d.r32(regQueueReady) != 0 {
		t.Fatal("queue still ready")
	}
	// ConfigChanged: generation advances, config interrupt.
	g := d.r32(regConfigGeneration)
	d.m.ConfigChanged()
	if d.r32(regConfigGeneration) == g || d.ackIRQ() != InterruptConfigChange || d.level {
		t.Fatal("config change notification")
	}
	// An empty slot reads DeviceID 0 and ignores writes.
	e := NewMMIO(nil, d.mem, nil)
	if v, _ := e.Read(regMagicValue, 4); v != MagicValue {
		t.Fatal("empty slot magic")
	}
	if v, _ := e.Read(regDeviceID, 4); v != 0 {
		t.Fatal("empty slot device id")
	}
	if !e.Write(regStatus, 4, 1) {
		t.Fatal("empty slot write")
	}
}

func TestRNG(t *testing.T) {
	d := newDriver(t, NewRNG(), 1<<16)
	d.init(^uint64(0), 8)
	q := d.qs[0]
	a, b := d.alloc(64, 8), d.alloc(100, 8)
	u := d.one(q, false, buf{a, 64, true}, buf{b, 100, true})
	if u.len != 164 {
		t.Fatalf("used len %d", u.len)
	}
	x, y := d.bytesAt(a, 64), d.bytesAt(b, 100)
	if bytes.Count(x, []byte{0}) > 8 || bytes.Count(y, []byte{0}) > 10 {
		t.Fatal("buffers not filled with random bytes")
	}
	// An indirect chain works too.
	c := d.alloc(32, 8)
	if u := d.one(q, true, buf{c, 32, true}); u.len != 32 || bytes.Equal(d.bytesAt(c, 32), make([]byte, 32)) {
		t.Fatal("indirect rng request")
	}
	if !d.level || d.ackIRQ()&InterruptUsedBuffer == 0 {
		t.Fatal("no used-buffer interrupt")
	}
	d.mem.check(t)
}

func TestInterruptSuppression(t *testing.T) {
	d := newDriver(t, NewRNG(), 1<<16)
	d.init(^uint64(0)&^FeatureEventIdx, 8)
	q := d.qs[0]
	d.mem.put16(q.avail, availFNoInterrupt)
	a := d.alloc(8, 8)
	d.one(q, false, buf{a, 8, true})
	if d.level || d.r32(regInterruptStatus) != 0 {
		t.Fatal("interrupt despite VIRTQ_AVAIL_F_NO_INTERRUPT")
	}
	d.mem.put16(q.avail, 0)
	d.one(q, false, buf{a, 8, true})
	if !d.level {
		t.Fatal("no interrupt")
	}
	d.ackIRQ()

	// EVENT_IDX: interrupt only when used idx passes used_event; the
	// device publishes avail_event.
	d = newDriver(t, NewRNG(), 1<<16)
	d.init(^uint64(0), 8)
	q = d.qs[0]
	d.keepUsedEvent = true
	a = d.alloc(8, 8)
	usedEvent := q.avail + 4 + 2*uint64(q.num)
	d.mem.put16(usedEvent, 2) // interrupt when entry 2 is used (the third)
	for i := 0; i < 3; i++ {
		d.one(q, false, buf{a, 8, true})
		if want := i == 2; d.level != want {
			t.Fatalf("completion %d: line %v, want %v", i, d.level, want)
		}
	}
	if ae := d.mem.get16(q.used + 4 + 8*uint64(q.num)); ae != 3 {
		t.Fatalf("avail_event = %d, want 3", ae)
	}
}

func TestConsole(t *testing.T) {
	var out bytes.Buffer
	con := NewConsole(&out)
	con.Input([]byte("early ")) // before the driver is up
	d := newDriver(t, con, 1<<16)
	d.init(^uint64(0), 8)
	rx, tx := d.qs[0], d.qs[1]

	// Transmit.
	msg := d.alloc(16, 1)
	d.fill(msg, []byte("hello, host\n"))
	msg2 := d.alloc(8, 1)
	d.fill(msg2, []byte("bye\n"))
	if u := d.one(tx, false, buf{msg, 12, false}, buf{msg2, 4, false}); u.len != 0 {
		t.Fatalf("tx used len %d", u.len)
	}
	if out.String() != "hello, host\nbye\n" {
		t.Fatalf("output %q", out.String())
	}

	// Receive: input queued before any buffer arrives when one is posted.
	r1 := d.alloc(4, 1)
	d.post(rx, false, buf{r1, 4, true})
	d.kick(rx)
	u := d.reap(rx)
	if len(u) != 1 || u[0].len != 4 || string(d.bytesAt(r1, 4)) != "earl" {
		t.Fatalf("rx %v %q", u, d.bytesAt(r1, 4))
	}
	r2 := d.alloc(64, 1)
	d.post(rx, false, buf{r2, 64, true})
	d.kick(rx)
	u = d.reap(rx)
	if len(u) != 1 || string(d.bytesAt(r2, int(u[0].len))) != "y " {
		t.Fatalf("rx rest %v", u)
	}
	d.ackIRQ()

	// Input with a buffer already posted is delivered at once, with an
	// interrupt; no kick needed.
	r3 := d.alloc(64, 1)
	d.post(rx, false, buf{r3, 64, true})
	d.kick(rx) // nothing pending: the buffer stays posted
	if len(d.reap(rx)) != 0 {
		t.Fatal("buffer consumed without input")
	}
	con.Input([]byte("typed"))
	u = d.reap(rx)
	if len(u) != 1 || string(d.bytesAt(r3, int(u[0].len))) != "typed" || !d.level {
		t.Fatalf("live input %v level %v", u, d.level)
	}
	d.mem.check(t)
}
