package virtio

import (
	"bytes"
	"encoding/gob"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// moveDriver saves d's transport (through gob), builds a new transport for
// dev over a copy of d's guest RAM, loads the state and returns a driver
// for it with d's bookkeeping, as a restored guest would continue.
func moveDriver(t *testing.T, d *driver, dev Device) *driver {
	t.Helper()
	s, err := d.m.SaveState()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(s); err != nil {
		t.Fatal(err)
	}
	var s2 MMIOState
	if err := gob.NewDecoder(&b).Decode(&s2); err != nil {
		t.Fatal(err)
	}
	d2 := newDriver(t, dev, len(d.mem.ram))
	copy(d2.mem.ram, d.mem.ram)
	d2.next, d2.qs, d2.feats = d.next, d.qs, d.feats
	if err := d2.m.LoadState(s2); err != nil {
		t.Fatal(err)
	}
	s3, _ := d2.m.SaveState()
	if !reflect.DeepEqual(s3, s) {
		t.Fatalf("restored state %+v, want %+v", s3, s)
	}
	return d2
}

// TestConsoleStateRoundTrip moves a live console (with undelivered input
// and used ring entries) to a new transport and checks that the guest
// continues: the input arrives, transmission works, ring indexes carry on.
func TestConsoleStateRoundTrip(t *testing.T) {
	var out bytes.Buffer
	con := NewConsole(&out)
	d := newDriver(t, con, 1<<16)
	d.init(^uint64(0), 8)
	rx, tx := d.qs[0], d.qs[1]
	for i := 0; i < 5; i++ { // advance the tx ring indexes
		msg := d.alloc(8, 1)
		d.fill(msg, []byte("x"))
		d.one(tx, false, buf{msg, 1, false})
	}
	con.Input([]byte("pending")) // no receive buffer posted: stays pending

	var out2 bytes.Buffer
	con2 := NewConsole(&out2)
	d2 := moveDriver(t, d, con2)
	if d2.r32(regStatus)&StatusDriverOK == 0 {
		t.Fatal("DRIVER_OK lost")
	}
	r := d2.alloc(64, 1)
	d2.post(rx, false, buf{r, 64, true})
	d2.kick(rx)
	u := d2.reap(rx)
	if len(u) != 1 || string(d2.bytesAt(r, int(u[0].len))) != "pending" {
		t.Fatalf("rx after restore: %v", u)
	}
	msg := d2.alloc(8, 1)
	d2.fill(msg, []byte("after\n"))
	d2.one(tx, false, buf{msg, 6, false})
	if out2.String() != "after\n" || out.String() != "xxxxx" {
		t.Fatalf("outputs %q and %q", out.String(), out2.String())
	}
	d2.mem.check(t)
}

// TestStateMismatch checks that state is only loaded into the same kind
// of transport.
func TestStateMismatch(t *testing.T) {
	d := newDriver(t, NewRNG(), 1<<16)
	d.init(^uint64(0), 8)
	s, err := d.m.SaveState()
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*MMIO{
		"console": NewMMIO(NewConsole(nil), d.mem, nil),
		"empty":   NewMMIO(nil, d.mem, nil),
	} {
		if err := m.LoadState(s); !errors.Is(err, ErrState) {
			t.Errorf("rng state into %s: %v", name, err)
		}
	}
	// A ring that no longer fits in RAM is refused.
	bad := s
	bad.Queues = append([]QueueState(nil), s.Queues...)
	bad.Queues[0].DescAddr = 0x10
	if err := NewMMIO(NewRNG(), d.mem, nil).LoadState(bad); !errors.Is(err, ErrState) {
		t.Errorf("bad ring: %v", err)
	}
	if err := NewMMIO(NewRNG(), d.mem, nil).LoadState(s); err != nil {
		t.Errorf("rng state into rng: %v", err)
	}
}

// TestStateRefusesUnknownDevices checks that a device model without
// Stateful is not snapshotted (its state would be lost).
func TestStateRefusesUnknownDevices(t *testing.T) {
	d := newDriver(t, opaqueDevice{NewRNG()}, 1<<16)
	d.init(^uint64(0), 8)
	if _, err := d.m.SaveState(); err == nil {
		t.Fatal("SaveState accepted a device without Stateful")
	}
	for _, dev := range []Device{NewRNG(), NewConsole(nil), NewBlk(&memDisk{b: make([]byte, 4096)}, false, "x")} {
		if _, ok := dev.(Stateful); !ok {
			t.Errorf("%T is not Stateful", dev)
		}
	}
}

// opaqueDevice hides a device's Stateful methods.
type opaqueDevice struct{ Device }

// TestStateRefusesInFlight checks that a queue with a chain popped but not
// pushed is not saved.
func TestStateRefusesInFlight(t *testing.T) {
	con := NewConsole(nil)
	d := newDriver(t, con, 1<<16)
	d.init(^uint64(0), 8)
	r := d.alloc(16, 1)
	d.post(d.qs[0], false, buf{r, 16, true})
	if _, ok, err := d.m.queues[0].Pop(); !ok || err != nil {
		t.Fatalf("pop: %v %v", ok, err)
	}
	if _, err := d.m.SaveState(); err == nil || !strings.Contains(err.Error(), "in flight") {
		t.Fatalf("SaveState with a request in flight: %v", err)
	}
}

// TestNetStateQuiesced saves a virtio-net device while its backend keeps
// delivering frames from another goroutine (quiesced, the receive side
// holds still), and checks that the restored device delivers the frames
// that were pending, in order, into the guest's next receive buffers.
func TestNetStateQuiesced(t *testing.T) {
	be := &loopNet{}
	n := NewNet(be, testMAC)
	d := newDriver(t, n, 1<<16)
	d.init(^uint64(0), 16)
	rxA := d.netRx(NetHeaderSize + 64)
	d.kick(d.qs[0])
	be.recv([]byte("first frame"))  // fills the posted buffer
	be.recv([]byte("second frame")) // pending: no buffer
	if u := d.reap(d.qs[0]); len(u) != 1 || string(d.bytesAt(rxA+NetHeaderSize, int(u[0].len)-NetHeaderSize)) != "first frame" {
		t.Fatalf("before the snapshot: %v", u)
	}

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // the backend keeps receiving
		defer close(done)
		for i := 0; i < NetMaxPending/2; i++ { // no overflow: "second frame" stays first
			select {
			case <-stop:
				return
			default:
				be.recv([]byte("later frame"))
			}
		}
	}()
	time.Sleep(time.Millisecond)
	resume := d.m.Quiesce()
	s, err := d.m.SaveState()
	ram := append([]byte(nil), d.mem.ram...)
	resume()
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}

	be2 := &loopNet{}
	d2 := newDriver(t, NewNet(be2, testMAC), len(ram))
	copy(d2.mem.ram, ram)
	d2.next, d2.qs, d2.feats = d.next, d.qs, d.feats
	if err := d2.m.LoadState(s); err != nil {
		t.Fatal(err)
	}
	rxB := d2.netRx(NetHeaderSize + 64)
	d2.kick(d2.qs[0])
	u := d2.reap(d2.qs[0])
	if len(u) != 1 || string(d2.bytesAt(rxB+NetHeaderSize, int(u[0].len)-NetHeaderSize)) != "second frame" {
		t.Fatalf("after the restore: %v", u)
	}
	be2.recv([]byte("new frame"))
	d2.mem.check(t)
}

// TestStateCoversTransport fails when a field is added to the transport
// or a queue without a decision about snapshots.
func TestStateCoversTransport(t *testing.T) {
	for _, tc := range []struct {
		v      any
		fields string // every field, saved, derived or wiring
	}{
		{MMIO{}, "mu dev mem irq offered devFeatSel drvFeatSel drvFeatures status queueSel queues active configGen broken isr lineMu line err"},
		{Queue{}, "num ready descAddr availAddr usedAdr max mem desc avail used indirect eventIdx lastAvail usedIdx signalled broken fail chain"},
	} {
		known := map[string]bool{}
		for _, f := range strings.Fields(tc.fields) {
			known[f] = true
		}
		ty := reflect.TypeOf(tc.v)
		for i := 0; i < ty.NumField(); i++ {
			if !known[ty.Field(i).Name] {
				t.Errorf("%s.%s: new field; save it in virtio/state.go and list it here", ty.Name(), ty.Field(i).Name)
			}
		}
	}
}
