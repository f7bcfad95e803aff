package dev

import (
	"sync"
	"testing"
)

// plicRecorder is an IRQTarget that records the level of each bit and how
// many times it was driven.
type plicRecorder struct {
	mu    sync.Mutex
	lines map[uint64]bool
	calls int
}

func (r *plicRecorder) SetIRQ(bit uint64, level bool) {
	r.mu.Lock()
	if r.lines == nil {
		r.lines = map[uint64]bool{}
	}
	r.lines[bit] = level
	r.calls++
	r.mu.Unlock()
}

func (r *plicRecorder) get(bit uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lines[bit]
}

const (
	plicMEIP = 1 << 11
	plicSEIP = 1 << 9
)

// newTestPLIC returns a virt-sized PLIC with one hart's M and S contexts
// (0 and 1) both wired to hart.
func newTestPLIC() (*PLIC, *plicRecorder) {
	hart := &plicRecorder{}
	return NewPLIC(96, []PLICContext{{hart, plicMEIP}, {hart, plicSEIP}}), hart
}

// plicOp is one step of a PLIC test script.
type plicOp struct {
	op  string // "level", "w" (write), "r" (read and compare), "claim", "complete", "line"
	a   uint64 // source, offset or context
	v   uint64 // value, level (0/1) or expected result
	bit uint64 // the line for "line"
}

func plicPrioOff(src int) uint64      { return plicPriority + 4*uint64(src) }
func plicEnableOff(ctx, w int) uint64 { return plicEnable + plicEnableStride*uint64(ctx) + 4*uint64(w) }
func plicThresholdOff(ctx int) uint64 {
	return plicContext + plicContextSize*uint64(ctx) + plicThreshold
}
func plicClaimOff(ctx int) uint64 { return plicContext + plicContextSize*uint64(ctx) + plicClaim }
func plicPendingOff(w int) uint64 { return plicPending + 4*uint64(w) }
func plicSetLevel(src int, on bool) plicOp {
	v := uint64(0)
	if on {
		v = 1
	}
	return plicOp{op: "level", a: uint64(src), v: v}
}
func plicW(off, v uint64) plicOp              { return plicOp{op: "w", a: off, v: v} }
func plicR(off, want uint64) plicOp           { return plicOp{op: "r", a: off, v: want} }
func plicClaimed(ctx int, want uint64) plicOp { return plicOp{op: "claim", a: uint64(ctx), v: want} }
func plicComplete(ctx int, id uint64) plicOp {
	return plicOp{op: "complete", a: uint64(ctx), v: id}
}
func plicLineIs(bit uint64, on bool) plicOp {
	v := uint64(0)
	if on {
		v = 1
	}
	return plicOp{op: "line", bit: bit, v: v}
}

func TestPLICScripts(t *testing.T) {
	tests := []struct {
		name string
		ops  []plicOp
	}{
		{"priority WARL 0..7, source 0 hardwired", []plicOp{
			plicW(plicPrioOff(1), 0xffffffff), plicR(plicPrioOff(1), 7),
			plicW(plicPrioOff(95), 5), plicR(plicPrioOff(95), 5),
			plicW(plicPrioOff(0), 7), plicR(plicPrioOff(0), 0),
			plicW(plicPrioOff(96), 7), plicR(plicPrioOff(96), 0), // beyond riscv,ndev
		}},
		{"enable bits only for sources 1..95", []plicOp{
			plicW(plicEnableOff(0, 0), 0xffffffff), plicR(plicEnableOff(0, 0), 0xfffffffe),
			plicW(plicEnableOff(0, 2), 0xffffffff), plicR(plicEnableOff(0, 2), 0xffffffff),
			plicW(plicEnableOff(0, 3), 0xffffffff), plicR(plicEnableOff(0, 3), 0),
			plicW(plicEnableOff(1, 1), 0x1234), plicR(plicEnableOff(1, 1), 0x1234), plicR(plicEnableOff(0, 1), 0),
			plicW(plicEnableOff(2, 0), 0xffffffff), plicR(plicEnableOff(2, 0), 0), // no context 2
		}},
		{"threshold WARL 0..7", []plicOp{
			plicW(plicThresholdOff(1), 0xff), plicR(plicThresholdOff(1), 7), plicR(plicThresholdOff(0), 0),
		}},
		{"pending bits follow the gateway and are read-only", []plicOp{
			plicSetLevel(3, true), plicSetLevel(40, true), plicR(plicPendingOff(0), 1<<3), plicR(plicPendingOff(1), 1<<8),
			plicW(plicPendingOff(0), 0), plicR(plicPendingOff(0), 1<<3),
		}},
		{"pending but priority 0 never interrupts", []plicOp{
			plicW(plicEnableOff(1, 0), 1<<5), plicSetLevel(5, true),
			plicLineIs(plicSEIP, false), plicClaimed(1, 0), plicR(plicPendingOff(0), 1<<5),
			plicW(plicPrioOff(5), 1), plicLineIs(plicSEIP, true),
		}},
		{"line needs pending, enabled and above threshold", []plicOp{
			plicW(plicPrioOff(10), 3), plicSetLevel(10, true), plicLineIs(plicSEIP, false),
			plicW(plicEnableOff(1, 0), 1<<10), plicLineIs(plicSEIP, true), plicLineIs(plicMEIP, false),
			plicW(plicThresholdOff(1), 3), plicLineIs(plicSEIP, false), // priority must exceed the threshold
			plicW(plicThresholdOff(1), 2), plicLineIs(plicSEIP, true),
			plicW(plicEnableOff(1, 0), 0), plicLineIs(plicSEIP, false),
		}},
		{"two contexts with different thresholds", []plicOp{
			plicW(plicPrioOff(1), 2), plicW(plicPrioOff(2), 6),
			plicW(plicEnableOff(0, 0), 1<<1|1<<2), plicW(plicEnableOff(1, 0), 1<<1|1<<2),
			plicW(plicThresholdOff(0), 5), plicW(plicThresholdOff(1), 1),
			plicSetLevel(1, true), plicLineIs(plicMEIP, false), plicLineIs(plicSEIP, true),
			plicClaimed(0, 0), // source 1 is below M's threshold
			plicSetLevel(2, true), plicLineIs(plicMEIP, true),
			plicClaimed(0, 2), plicLineIs(plicMEIP, false), plicLineIs(plicSEIP, true),
			plicClaimed(1, 1), plicLineIs(plicSEIP, false),
		}},
		{"highest priority first, ties to the lowest ID", []plicOp{
			plicW(plicPrioOff(7), 2), plicW(plicPrioOff(9), 4), plicW(plicPrioOff(33), 4), plicW(plicPrioOff(60), 1),
			plicW(plicEnableOff(1, 0), 1<<7|1<<9), plicW(plicEnableOff(1, 1), 1<<1|1<<28),
			plicSetLevel(60, true), plicSetLevel(33, true), plicSetLevel(9, true), plicSetLevel(7, true),
			plicClaimed(1, 9), plicClaimed(1, 33), plicClaimed(1, 7), plicClaimed(1, 60), plicClaimed(1, 0),
			plicLineIs(plicSEIP, false),
		}},
		{"claim puts the source in service until complete", []plicOp{
			plicW(plicPrioOff(10), 1), plicW(plicEnableOff(1, 0), 1<<10),
			plicSetLevel(10, true), plicClaimed(1, 10), plicR(plicPendingOff(0), 0),
			plicSetLevel(10, false), plicSetLevel(10, true), // a new edge while in service
			plicR(plicPendingOff(0), 0), plicLineIs(plicSEIP, false), plicClaimed(1, 0),
			plicComplete(1, 10), plicR(plicPendingOff(0), 1<<10), plicLineIs(plicSEIP, true),
			plicClaimed(1, 10),
		}},
		{"complete re-pends a level still high", []plicOp{
			plicW(plicPrioOff(4), 1), plicW(plicEnableOff(1, 0), 1<<4),
			plicSetLevel(4, true), plicClaimed(1, 4), plicLineIs(plicSEIP, false),
			plicComplete(1, 4), plicLineIs(plicSEIP, true), plicClaimed(1, 4),
			plicSetLevel(4, false), plicComplete(1, 4), plicLineIs(plicSEIP, false), plicClaimed(1, 0),
		}},
		{"a level dropped before the claim leaves the request pending", []plicOp{
			plicW(plicPrioOff(4), 1), plicW(plicEnableOff(1, 0), 1<<4),
			plicSetLevel(4, true), plicSetLevel(4, false), plicLineIs(plicSEIP, true), plicClaimed(1, 4),
			plicComplete(1, 4), plicClaimed(1, 0),
		}},
		{"complete of a source not enabled for the context is ignored", []plicOp{
			plicW(plicPrioOff(6), 1), plicW(plicEnableOff(1, 0), 1<<6),
			plicSetLevel(6, true), plicClaimed(1, 6),
			plicW(plicEnableOff(1, 0), 0), plicComplete(1, 6), // masked: ignored
			plicW(plicEnableOff(1, 0), 1<<6), plicR(plicPendingOff(0), 0), plicLineIs(plicSEIP, false),
			plicComplete(0, 6), plicR(plicPendingOff(0), 0), // not enabled for M either
			plicComplete(1, 6), plicR(plicPendingOff(0), 1<<6), plicClaimed(1, 6),
		}},
		{"completes of IDs 0 and out of range are ignored", []plicOp{
			plicComplete(1, 0), plicComplete(1, 96), plicComplete(1, 1<<20), plicClaimed(1, 0),
		}},
		{"a context may complete a source another claimed", []plicOp{
			plicW(plicPrioOff(8), 1), plicW(plicEnableOff(0, 0), 1<<8), plicW(plicEnableOff(1, 0), 1<<8),
			plicSetLevel(8, true), plicLineIs(plicMEIP, true), plicLineIs(plicSEIP, true),
			plicClaimed(1, 8), plicLineIs(plicMEIP, false), plicClaimed(0, 0),
			plicComplete(0, 8), plicLineIs(plicMEIP, true),
		}},
		{"out-of-range sources in SetLevel are ignored", []plicOp{
			plicSetLevel(0, true), plicSetLevel(96, true), plicSetLevel(-1, true), plicSetLevel(1000, true),
			plicR(plicPendingOff(0), 0), plicR(plicPendingOff(2), 0), plicR(plicPendingOff(3), 0),
		}},
		{"unmapped offsets read zero and ignore writes", []plicOp{
			plicR(0x1100, 0), plicW(0x1100, 1),
			plicR(plicThresholdOff(2), 0), plicR(plicClaimOff(2), 0), plicW(plicThresholdOff(2), 1), plicW(plicClaimOff(2), 1),
			plicR(plicContext+8, 0), plicW(plicContext+8, 1), plicR(plicContext+8, 0),
			plicR(PLICSize-4, 0),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, hart := newTestPLIC()
			for i, op := range tt.ops {
				switch op.op {
				case "level":
					p.SetLevel(int(int64(op.a)), op.v != 0)
				case "w":
					if !p.Write(op.a, 4, op.v) {
						t.Fatalf("step %d: write %#x refused", i, op.a)
					}
				case "r":
					got, ok := p.Read(op.a, 4)
					if !ok || got != op.v {
						t.Fatalf("step %d: read %#x = %#x, %v; want %#x", i, op.a, got, ok, op.v)
					}
				case "claim":
					got, ok := p.Read(plicClaimOff(int(op.a)), 4)
					if !ok || got != op.v {
						t.Fatalf("step %d: context %d claimed %d, %v; want %d", i, op.a, got, ok, op.v)
					}
				case "complete":
					if !p.Write(plicClaimOff(int(op.a)), 4, op.v) {
						t.Fatalf("step %d: complete refused", i)
					}
				case "line":
					if got := hart.get(op.bit); got != (op.v != 0) {
						t.Fatalf("step %d: line %#x = %v, want %v", i, op.bit, got, op.v != 0)
					}
				}
			}
		})
	}
}

func TestPLICAccessSizes(t *testing.T) {
	p, _ := newTestPLIC()
	for _, tt := range []struct {
		off  uint64
		size int
		ok   bool
	}{
		{plicPrioOff(1), 4, true},
		{plicPrioOff(1), 1, false},
		{plicPrioOff(1), 2, false},
		{plicPrioOff(1), 8, false},
		{plicPrioOff(1) + 1, 4, false},
		{plicPrioOff(1) + 2, 4, false},
		{plicClaimOff(0), 8, false},
		{plicThresholdOff(0), 8, false},
		{PLICSize - 4, 4, true},
		{PLICSize, 4, false},
		{^uint64(3), 4, false},
	} {
		if _, ok := p.Read(tt.off, tt.size); ok != tt.ok {
			t.Errorf("read %#x/%d ok=%v, want %v", tt.off, tt.size, ok, tt.ok)
		}
		if ok := p.Write(tt.off, tt.size, 0); ok != tt.ok {
			t.Errorf("write %#x/%d ok=%v, want %v", tt.off, tt.size, ok, tt.ok)
		}
	}
}

// TestPLICMultiHart checks the virt layout for two harts: context 2*i
// drives hart i's MEIP, 2*i+1 its SEIP, and nothing else.
func TestPLICMultiHart(t *testing.T) {
	h0, h1 := &plicRecorder{}, &plicRecorder{}
	p := NewPLIC(96, []PLICContext{{h0, plicMEIP}, {h0, plicSEIP}, {h1, plicMEIP}, {h1, plicSEIP}})
	p.Write(plicPrioOff(1), 4, 1)
	p.Write(plicEnableOff(3, 0), 4, 1<<1)
	p.SetLevel(1, true)
	if !h1.get(plicSEIP) || h1.get(plicMEIP) || h0.get(plicSEIP) || h0.get(plicMEIP) {
		t.Fatalf("lines h0=%v h1=%v, want only hart 1 SEIP", h0.lines, h1.lines)
	}
	if id, _ := p.Read(plicClaimOff(3), 4); id != 1 {
		t.Fatalf("claim = %d", id)
	}
	if h1.get(plicSEIP) {
		t.Fatal("SEIP still high after the claim")
	}
}

// TestPLICDrivesOnlyChanges checks the line is driven on edges only, so a
// busy device does not keep waking the hart.
func TestPLICDrivesOnlyChanges(t *testing.T) {
	p, hart := newTestPLIC()
	p.Write(plicPrioOff(2), 4, 1)
	p.Write(plicEnableOff(1, 0), 4, 1<<2)
	for range 10 {
		p.SetLevel(2, true)
	}
	if hart.calls != 1 {
		t.Fatalf("%d SetIRQ calls, want 1", hart.calls)
	}
}

func TestPLICNoAlloc(t *testing.T) {
	p, _ := newTestPLIC()
	p.Write(plicPrioOff(5), 4, 1)
	p.Write(plicEnableOff(1, 0), 4, 1<<5)
	n := testing.AllocsPerRun(100, func() {
		p.SetLevel(5, true)
		id, _ := p.Read(plicClaimOff(1), 4)
		p.SetLevel(5, false)
		p.Write(plicClaimOff(1), 4, id)
		p.Read(plicPendingOff(0), 4)
		p.Write(plicThresholdOff(1), 4, 0)
	})
	if n != 0 {
		t.Fatalf("%v allocations per run", n)
	}
}

// TestPLICConcurrent raises and lowers lines from several goroutines while
// a handler claims and completes; run with -race. At the end every source
// left high must be claimable exactly once.
func TestPLICConcurrent(t *testing.T) {
	p, hart := newTestPLIC()
	const workers = 8
	for src := 1; src < 96; src++ {
		p.Write(plicPrioOff(src), 4, uint64(1+src%7))
	}
	for w := range 3 {
		p.Write(plicEnableOff(1, w), 4, 0xffffffff)
	}
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				src := 1 + (g*12+i)%95
				p.SetLevel(src, i%3 != 0)
			}
		}()
	}
	stop := make(chan struct{})
	var handler sync.WaitGroup
	handler.Add(1)
	go func() {
		defer handler.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if id, _ := p.Read(plicClaimOff(1), 4); id != 0 {
				p.Write(plicClaimOff(1), 4, id)
			}
		}
	}()
	wg.Wait()
	close(stop)
	handler.Wait()
	// Quiesce: drop every line, then drain what is pending.
	for src := 1; src < 96; src++ {
		p.SetLevel(src, false)
	}
	for range 200 {
		id, _ := p.Read(plicClaimOff(1), 4)
		if id == 0 {
			break
		}
		p.Write(plicClaimOff(1), 4, id)
	}
	if id, _ := p.Read(plicClaimOff(1), 4); id != 0 {
		t.Fatalf("source %d still pending after draining", id)
	}
	if hart.get(plicSEIP) {
		t.Fatal("SEIP high with nothing pending")
	}
	// Raise a known set: each is claimable once.
	seen := map[uint64]bool{}
	for _, src := range []int{3, 50, 95} {
		p.SetLevel(src, true)
	}
	for range 3 {
		id, _ := p.Read(plicClaimOff(1), 4)
		if id == 0 || seen[id] {
			t.Fatalf("claimed %d (seen %v)", id, seen)
		}
		seen[id] = true
	}
	if id, _ := p.Read(plicClaimOff(1), 4); id != 0 {
		t.Fatalf("extra claim %d", id)
	}
}
