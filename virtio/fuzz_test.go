package virtio

import (
	"testing"
	"unsafe"
)

const fuzzRAM = 16 << 10

// within reports whether b lies inside ram (by address).
func within(ram, b []byte) bool {
	if len(b) == 0 {
		return true
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(ram)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= lo && p+uintptr(len(b)) <= lo+uintptr(len(ram))
}

// fuzzSeed lays out a well-formed queue with direct and indirect chains
// and returns the RAM image and the ring addresses (as offsets).
func fuzzSeed(t testing.TB) (ram []byte, num uint16, desc, avail, used uint64) {
	d := &driver{t: t, mem: newFakeMem(ramBase, fuzzRAM), next: ramBase}
	q := &drvQueue{num: 8}
	q.desc = d.alloc(16*8, 16)
	q.avail = d.alloc(6+2*8, 2)
	q.used = d.alloc(6+8*8, 4)
	a, b, c := d.alloc(64, 8), d.alloc(64, 8), d.alloc(64, 8)
	d.post(q, false, buf{a, 16, false}, buf{b, 64, true})
	d.post(q, true, buf{a, 8, false}, buf{b, 8, false}, buf{c, 64, true})
	d.post(q, false, buf{c, 1, true})
	return d.mem.ram, q.num, q.desc - ramBase, q.avail - ramBase, q.used - ramBase
}

// FuzzQueue feeds arbitrary guest memory and queue registers to a queue
// and plays the device: Pop every chain, write its writable buffers, read
// its readable ones, push it back. Nothing may panic, and no byte outside
// guest RAM may be touched.
func FuzzQueue(f *testing.F) {
	ram, num, desc, avail, used := fuzzSeed(f)
	f.Add(ram, num, desc, avail, used, uint8(0xff), uint16(0))
	f.Add(ram, num, desc, avail, used, uint8(0xfd), uint16(3))
	f.Add(ram[:64], uint16(3), uint64(0), uint64(0), uint64(0), uint8(0), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, num uint16, desc, avail, used uint64, flags uint8, pushHead uint16) {
		mem := newFakeMem(ramBase, fuzzRAM)
		copy(mem.ram, data)
		addr := func(v uint64) uint64 {
			if flags&0x80 == 0 {
				return v // raw: anywhere in the 64-bit space
			}
			return ramBase + v%(fuzzRAM+512) // mostly inside, sometimes past the end
		}
		var features uint64
		if flags&1 != 0 {
			features |= FeatureIndirectDesc
		}
		if flags&2 != 0 {
			features |= FeatureEventIdx
		}
		failed := false
		q := newQueue(DefaultQueueSize, nil, func(error) { failed = true })
		q.num = num
		q.descAddr, q.availAddr, q.usedAdr = addr(desc), addr(avail), addr(used)
		if err := q.enable(mem, features); err != nil {
			if q.Ready() {
				t.Fatal("queue ready after a failed enable")
			}
			if _, ok, err := q.Pop(); ok || err != nil {
				t.Fatal("pop from a disabled queue")
			}
			mem.check(t)
			return
		}
		for i := 0; i < 3*int(q.num)+4; i++ {
			c, ok, err := q.Pop()
			if err != nil {
				if !failed || !q.broken.Load() {
					t.Fatal("pop error without marking the device broken")
				}
				if _, ok, err := q.Pop(); ok || err == nil {
					t.Fatal("broken queue still pops")
				}
				break
			}
			if !ok {
				break
			}
			if len(c.Readable)+len(c.Writable) > int(q.num) {
				t.Fatalf("chain of %d buffers in a queue of %d", len(c.Readable)+len(c.Writable), q.num)
			}
			sum := 0
			for _, b := range c.Readable {
				if !within(mem.ram, b) {
					t.Fatal("readable buffer outside RAM")
				}
				for _, x := range b {
					sum += int(x)
				}
			}
			n := 0
			for _, b := range c.Writable {
				if !within(mem.ram, b) {
					t.Fatal("writable buffer outside RAM")
				}
				for j := range b {
					b[j] = byte(sum + j)
				}
				n += len(b)
			}
			if flags&4 != 0 {
				q.Push(pushHead, uint32(n)) // possibly bogus head: must be refused, not trusted
			} else if err := q.PushChain(&c, uint32(n)); err != nil {
				t.Fatalf("push of a popped chain: %v", err)
			}
			q.NeedInterrupt()
		}
		mem.check(t)
	})
}

// TestQueueAllocs checks that the hot path, Pop then PushChain, does not
// allocate once the chain slices have grown.
func TestQueueAllocs(t *testing.T) {
	ram, num, desc, avail, used := fuzzSeed(t)
	mem := newFakeMem(ramBase, fuzzRAM)
	q := newQueue(DefaultQueueSize, nil, nil)
	run := func() {
		copy(mem.ram, ram)
		q.reset()
		q.num, q.descAddr, q.availAddr, q.usedAdr = num, ramBase+desc, ramBase+avail, ramBase+used
		if err := q.enable(mem, FeatureIndirectDesc|FeatureEventIdx); err != nil {
			t.Fatal(err)
		}
		for {
			c, ok, err := q.Pop()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			q.PushChain(&c, uint32(c.WritableLen()))
		}
		q.NeedInterrupt()
	}
	run()
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Fatalf("%v allocations per round", n)
	}
}

// FuzzMMIO drives a transport with arbitrary register writes (and reads)
// over arbitrary guest memory: nothing may panic or touch memory outside
// RAM, whatever order the "driver" uses.
func FuzzMMIO(f *testing.F) {
	ram, num, desc, avail, used := fuzzSeed(f)
	// A plausible Linux-like sequence for seeding.
	var seq []byte
	w := func(off uint16, v uint32) {
		seq = append(seq, byte(off>>2), byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	w(regStatus, 0)
	w(regStatus, 3)
	w(regDriverFeaturesSel, 1)
	w(regDriverFeatures, 1)
	w(regDriverFeaturesSel, 0)
	w(regDriverFeatures, 1<<28)
	w(regStatus, 11)
	w(regQueueSel, 0)
	w(regQueueNum, uint32(num))
	w(regQueueDescLow, uint32(ramBase+desc))
	w(regQueueDriverLow, uint32(ramBase+avail))
	w(regQueueDeviceLow, uint32(ramBase+used))
	w(regQueueReady, 1)
	w(regStatus, 15)
	w(regQueueNotify, 0)
	w(regInterruptACK, 3)
	for dev := byte(0); dev < 4; dev++ {
		f.Add(ram, seq, dev)
	}
	f.Fuzz(func(t *testing.T, data, ops []byte, which byte) {
		mem := newFakeMem(ramBase, fuzzRAM)
		copy(mem.ram, data)
		var d Device
		switch which % 4 {
		case 0:
			d = NewRNG()
		case 1:
			d = NewBlk(&memDisk{b: make([]byte, 8<<10)}, which&4 != 0, "fuzz")
		case 2:
			con := NewConsole(discard{})
			con.Input([]byte("input"))
			d = con
		case 3:
			d, _ = NewP9("fuzz", &echoP9{})
		}
		m := NewMMIO(d, mem, func(bool) {})
		for len(ops) >= 5 {
			off := uint64(ops[0]) << 2
			v := uint32(ops[1]) | uint32(ops[2])<<8 | uint32(ops[3])<<16 | uint32(ops[4])<<24
			ops = ops[5:]
			if off == regQueueDescHigh || off == regQueueDriverHigh || off == regQueueDeviceHigh {
				v &= 1 // mostly keep addresses near RAM
			}
			if ops := len(ops); ops%7 == 3 {
				m.Read(off, 4)
			}
			m.Write(off, 4, uint64(v))
		}
		if con, ok := d.(*Console); ok {
			con.Input([]byte("more"))
		}
		mem.check(t)
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
