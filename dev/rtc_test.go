package dev

import (
	"sync"
	"testing"
	"time"
)

// rtcClock is a fake clock for RTC tests.
type rtcClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *rtcClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *rtcClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// rtcStart is the fake clock's start: past 2^32 s of nanoseconds, so both
// halves of the count matter.
var rtcStart = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// newTestRTC returns an RTC on a fake clock and a pointer to its IRQ
// line's level.
func newTestRTC() (*RTC, *rtcClock, *bool) {
	clk := &rtcClock{t: rtcStart}
	r := NewRTC(clk.now)
	level := new(bool)
	r.IRQ = func(l bool) { *level = l }
	return r, clk, level
}

func rtcRead(t *testing.T, r *RTC, off uint64) uint64 {
	t.Helper()
	v, ok := r.Read(off, 4)
	if !ok {
		t.Fatalf("read %#x refused", off)
	}
	return v
}

func rtcWrite(t *testing.T, r *RTC, off, v uint64) {
	t.Helper()
	if !r.Write(off, 4, v) {
		t.Fatalf("write %#x refused", off)
	}
}

// rtcTime reads the time as Linux's driver does: TIME_LOW, then TIME_HIGH.
func rtcTime(t *testing.T, r *RTC) uint64 {
	t.Helper()
	lo := rtcRead(t, r, rtcTimeLow)
	return rtcRead(t, r, rtcTimeHigh)<<32 | lo
}

// rtcSetTime sets the time as Linux's driver does: TIME_HIGH, then TIME_LOW.
func rtcSetTime(t *testing.T, r *RTC, ns uint64) {
	t.Helper()
	rtcWrite(t, r, rtcTimeHigh, ns>>32)
	rtcWrite(t, r, rtcTimeLow, ns&0xffffffff)
}

// rtcArm arms the alarm as Linux's driver does: ALARM_HIGH, ALARM_LOW,
// then IRQ_ENABLED.
func rtcArm(t *testing.T, r *RTC, ns uint64) {
	t.Helper()
	rtcWrite(t, r, rtcAlarmHigh, ns>>32)
	rtcWrite(t, r, rtcAlarmLow, ns&0xffffffff)
	rtcWrite(t, r, rtcIRQEnabled, 1)
}

func TestRTCReadsHostTime(t *testing.T) {
	r, clk, _ := newTestRTC()
	if got, want := rtcTime(t, r), uint64(rtcStart.UnixNano()); got != want {
		t.Fatalf("time %d, want %d", got, want)
	}
	clk.advance(1500 * time.Millisecond)
	if got, want := rtcTime(t, r), uint64(rtcStart.UnixNano())+1.5e9; got != want {
		t.Fatalf("time %d, want %d", got, want)
	}
}

func TestRTCTimeHighIsLatched(t *testing.T) {
	// Start 1 ns before the low half wraps.
	clk := &rtcClock{t: time.Unix(0, 5<<32-1)}
	r := NewRTC(clk.now)
	lo := rtcRead(t, r, rtcTimeLow)
	clk.advance(10) // the count's high half is now 5
	if hi := rtcRead(t, r, rtcTimeHigh); hi != 4 || lo != 0xffffffff {
		t.Fatalf("hi %d lo %#x, want the pair latched at the TIME_LOW read", hi, lo)
	}
	if lo := rtcRead(t, r, rtcTimeLow); lo != 9 || rtcRead(t, r, rtcTimeHigh) != 5 {
		t.Fatalf("after a new TIME_LOW read: lo %d", lo)
	}
}

func TestRTCNilClockIsHostTime(t *testing.T) {
	r := NewRTC(nil)
	before := time.Now().UnixNano()
	got := int64(rtcTime(t, r))
	if after := time.Now().UnixNano(); got < before || got > after {
		t.Fatalf("time %d outside [%d, %d]", got, before, after)
	}
}

func TestRTCSetTime(t *testing.T) {
	tests := []struct {
		name string
		set  uint64
	}{
		{"earlier", 1_000_000_000_000_000_000},
		{"later", 2_000_000_000_000_000_000},
		{"zero", 0},
		{"low half only differs", uint64(rtcStart.UnixNano())&^0xffffffff | 0x1234},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, clk, _ := newTestRTC()
			rtcSetTime(t, r, tt.set)
			if got := rtcTime(t, r); got != tt.set {
				t.Fatalf("time %d, want %d", got, tt.set)
			}
			clk.advance(3 * time.Second)
			if got := rtcTime(t, r); got != tt.set+3e9 {
				t.Fatalf("time %d after 3s, want %d", got, tt.set+3e9)
			}
		})
	}
}

func TestRTCAlarm(t *testing.T) {
	r, clk, level := newTestRTC()
	if _, ok := r.NextDeadline(); ok {
		t.Fatal("deadline with no alarm armed")
	}
	due := uint64(rtcStart.UnixNano()) + 2e9
	rtcArm(t, r, due)
	if rtcRead(t, r, rtcAlarmLow) != due&0xffffffff || rtcRead(t, r, rtcAlarmHigh) != due>>32 {
		t.Fatal("alarm does not read back")
	}
	if rtcRead(t, r, rtcAlarmStatus) != 1 || rtcRead(t, r, rtcIRQEnabled) != 1 {
		t.Fatal("alarm not armed / IRQ not enabled")
	}
	if d, ok := r.NextDeadline(); !ok || d != 2*time.Second {
		t.Fatalf("deadline %v %v, want 2s", d, ok)
	}
	clk.advance(time.Second)
	r.Tick()
	if *level {
		t.Fatal("IRQ raised early")
	}
	if d, ok := r.NextDeadline(); !ok || d != time.Second {
		t.Fatalf("deadline %v %v, want 1s", d, ok)
	}
	clk.advance(time.Second + 1)
	if d, ok := r.NextDeadline(); !ok || d != 0 {
		t.Fatalf("deadline %v %v once due, want 0", d, ok)
	}
	r.Tick()
	if !*level {
		t.Fatal("IRQ not raised when due")
	}
	if rtcRead(t, r, rtcAlarmStatus) != 0 {
		t.Fatal("ALARM_STATUS still set after firing")
	}
	if _, ok := r.NextDeadline(); ok {
		t.Fatal("deadline after the alarm fired")
	}
	r.Tick()
	if !*level {
		t.Fatal("IRQ dropped without CLEAR_INTERRUPT")
	}
	rtcWrite(t, r, rtcClearInterrupt, 1)
	if *level {
		t.Fatal("IRQ still raised after CLEAR_INTERRUPT")
	}
}

func TestRTCAlarmInThePastFiresAtOnce(t *testing.T) {
	r, _, level := newTestRTC()
	rtcArm(t, r, uint64(rtcStart.UnixNano())-1)
	if !*level || rtcRead(t, r, rtcAlarmStatus) != 0 {
		t.Fatalf("level %v, status %d", *level, rtcRead(t, r, rtcAlarmStatus))
	}
}

func TestRTCIRQEnabledGatesTheLine(t *testing.T) {
	r, clk, level := newTestRTC()
	rtcWrite(t, r, rtcAlarmHigh, uint64(rtcStart.UnixNano()+1e9)>>32)
	rtcWrite(t, r, rtcAlarmLow, uint64(rtcStart.UnixNano()+1e9)&0xffffffff)
	clk.advance(time.Second)
	r.Tick()
	if *level {
		t.Fatal("IRQ raised while disabled")
	}
	rtcWrite(t, r, rtcIRQEnabled, 1)
	if !*level {
		t.Fatal("enabling did not raise the pending alarm interrupt")
	}
	rtcWrite(t, r, rtcIRQEnabled, 0)
	if *level {
		t.Fatal("disabling did not lower the line")
	}
}

func TestRTCClearAlarm(t *testing.T) {
	r, clk, level := newTestRTC()
	rtcArm(t, r, uint64(rtcStart.UnixNano())+1e9)
	// Linux's driver disabling an alarm: CLEAR_ALARM if running, then
	// IRQ_ENABLED = 0.
	if rtcRead(t, r, rtcAlarmStatus) == 1 {
		rtcWrite(t, r, rtcClearAlarm, 1)
	}
	rtcWrite(t, r, rtcIRQEnabled, 0)
	if rtcRead(t, r, rtcAlarmStatus) != 0 {
		t.Fatal("still armed")
	}
	if _, ok := r.NextDeadline(); ok {
		t.Fatal("deadline after CLEAR_ALARM")
	}
	clk.advance(2 * time.Second)
	r.Tick()
	rtcWrite(t, r, rtcIRQEnabled, 1)
	if *level {
		t.Fatal("a cleared alarm fired")
	}
}

func TestRTCAlarmFollowsGuestTime(t *testing.T) {
	r, clk, level := newTestRTC()
	const set = 1_700_000_000_000_000_000
	rtcSetTime(t, r, set)
	rtcArm(t, r, set+5e9)
	if d, ok := r.NextDeadline(); !ok || d != 5*time.Second {
		t.Fatalf("deadline %v %v, want 5s", d, ok)
	}
	clk.advance(5 * time.Second)
	r.Tick()
	if !*level {
		t.Fatal("alarm in guest time did not fire")
	}
}

func TestRTCFarDeadlineSaturates(t *testing.T) {
	r, _, _ := newTestRTC()
	rtcWrite(t, r, rtcTimeHigh, 0)
	rtcWrite(t, r, rtcTimeLow, 0)
	rtcArm(t, r, ^uint64(0))
	if d, ok := r.NextDeadline(); !ok || d <= 0 {
		t.Fatalf("deadline %v %v, want a large positive duration", d, ok)
	}
}

func TestRTCAccesses(t *testing.T) {
	r, _, _ := newTestRTC()
	for _, tt := range []struct {
		off  uint64
		size int
		ok   bool
	}{
		{rtcTimeLow, 4, true},
		{rtcTimeLow, 8, false},
		{rtcTimeLow, 1, false},
		{rtcTimeHigh, 2, false},
		{rtcTimeLow + 2, 4, false},
		{0x20, 4, true}, // unmapped: reads zero, writes ignored
		{RTCSize - 4, 4, true},
		{RTCSize, 4, false},
	} {
		if _, ok := r.Read(tt.off, tt.size); ok != tt.ok {
			t.Errorf("read %#x/%d ok=%v, want %v", tt.off, tt.size, ok, tt.ok)
		}
		if ok := r.Write(tt.off, tt.size, 0); ok != tt.ok {
			t.Errorf("write %#x/%d ok=%v, want %v", tt.off, tt.size, ok, tt.ok)
		}
	}
	for _, off := range []uint64{rtcClearAlarm, rtcClearInterrupt, 0x20, RTCSize - 4} {
		if v := rtcRead(t, r, off); v != 0 {
			t.Errorf("read %#x = %#x, want 0", off, v)
		}
	}
	// A write to a register without a meaning leaves the time alone.
	before := rtcTime(t, r)
	rtcWrite(t, r, 0x20, 0xffffffff)
	if rtcTime(t, r) != before {
		t.Fatal("an unmapped write moved the clock")
	}
}

func TestRTCNoAlloc(t *testing.T) {
	r, _, _ := newTestRTC()
	due := uint64(rtcStart.UnixNano())
	n := testing.AllocsPerRun(100, func() {
		r.Read(rtcTimeLow, 4)
		r.Read(rtcTimeHigh, 4)
		r.Write(rtcAlarmHigh, 4, due>>32)
		r.Write(rtcAlarmLow, 4, due&0xffffffff)
		r.Write(rtcIRQEnabled, 4, 1)
		r.Tick()
		r.NextDeadline()
		r.Write(rtcClearInterrupt, 4, 1)
	})
	if n != 0 {
		t.Fatalf("%v allocations per run", n)
	}
}

// TestRTCConcurrent ticks the RTC from the machine loop's goroutine while
// the guest arms alarms from another; run with -race.
func TestRTCConcurrent(t *testing.T) {
	clk := &rtcClock{t: rtcStart}
	r := NewRTC(clk.now)
	var mu sync.Mutex
	fired := 0
	r.IRQ = func(l bool) {
		mu.Lock()
		if l {
			fired++
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range 1000 {
			clk.advance(time.Millisecond)
			r.Tick()
			r.NextDeadline()
		}
	}()
	go func() {
		defer wg.Done()
		for range 1000 {
			lo, _ := r.Read(rtcTimeLow, 4)
			hi, _ := r.Read(rtcTimeHigh, 4)
			now := hi<<32 | lo
			r.Write(rtcAlarmHigh, 4, (now+1)>>32)
			r.Write(rtcAlarmLow, 4, (now+1)&0xffffffff)
			r.Write(rtcIRQEnabled, 4, 1)
			r.Write(rtcClearInterrupt, 4, 1)
		}
	}()
	wg.Wait()
	clk.advance(time.Second)
	r.Tick()
	if rtcRead(t, r, rtcAlarmStatus) != 0 {
		t.Fatal("an alarm one nanosecond out is still armed a second later")
	}
	mu.Lock()
	defer mu.Unlock()
	if fired == 0 {
		t.Fatal("no alarm fired")
	}
}
