package dev

import (
	"bytes"
	"encoding/gob"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// gobRoundTrip encodes v and decodes it into a new value of the same type.
func gobRoundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	var out T
	if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCLINTState checks msip and mtimecmp survive and that mtime resumes
// from the saved value however much host time has passed.
func TestCLINTState(t *testing.T) {
	a := NewCLINT([]IRQTarget{&irqRecorder{lines: map[uint64]bool{}}, &irqRecorder{lines: map[uint64]bool{}}})
	now := time.Unix(1000, 0)
	a.now = func() time.Time { return now }
	a.start = now
	now = now.Add(time.Second) // mtime = 10_000_000
	a.Write(clintMSIP+4, 4, 1)
	a.Write(clintMtimecmp, 8, 5_000_000)
	a.Write(clintMtimecmp+8, 8, 15_000_000)
	s := gobRoundTrip(t, a.SaveState())

	r0, r1 := &irqRecorder{lines: map[uint64]bool{}}, &irqRecorder{lines: map[uint64]bool{}}
	b := NewCLINT([]IRQTarget{r0, r1})
	later := time.Unix(5000, 0) // an hour later on another host
	b.now = func() time.Time { return later }
	if err := b.LoadState(s); err != nil {
		t.Fatal(err)
	}
	if v, _ := b.Read(clintMtime, 8); v != 10_000_000 {
		t.Fatalf("mtime %d after restore, want 10000000", v)
	}
	if !r0.lines[mipMTIP] || r1.lines[mipMTIP] || r0.lines[mipMSIP] || !r1.lines[mipMSIP] {
		t.Fatalf("lines after restore: hart0 %v hart1 %v", r0.lines, r1.lines)
	}
	later = later.Add(time.Second / 2)
	b.Tick()
	if !r1.lines[mipMTIP] || b.Mtime() != 15_000_000 {
		t.Fatalf("mtime %d, hart1 MTIP %v", b.Mtime(), r1.lines[mipMTIP])
	}
	if !reflect.DeepEqual(b.SaveState().Mtimecmp, a.SaveState().Mtimecmp) {
		t.Fatal("mtimecmp differs")
	}
	one := NewCLINT([]IRQTarget{r0})
	if err := one.LoadState(s); !errors.Is(err, ErrState) {
		t.Fatalf("loading 2 harts into 1: %v", err)
	}
}

// TestUARTState checks registers and queued input survive.
func TestUARTState(t *testing.T) {
	var out bytes.Buffer
	a := NewUART(&out)
	a.Write(uartLCR, 1, 0x80)
	a.Write(uartRBR, 1, 0x12) // DLL
	a.Write(uartLCR, 1, 0x03)
	a.Write(uartIER, 1, 0x01)
	a.Write(uartSCR, 1, 0x5a)
	a.Input([]byte("hi"))
	s := gobRoundTrip(t, a.SaveState())
	var level bool
	b := NewUART(&out)
	b.IRQ = func(l bool) { level = l }
	if err := b.LoadState(s); err != nil {
		t.Fatal(err)
	}
	if !level {
		t.Fatal("receive interrupt not driven after restore")
	}
	if !reflect.DeepEqual(b.SaveState(), a.SaveState()) {
		t.Fatalf("state %+v, want %+v", b.SaveState(), a.SaveState())
	}
	for _, want := range []byte("hi") {
		if v, _ := b.Read(uartRBR, 1); byte(v) != want {
			t.Fatalf("read %q, want %q", byte(v), want)
		}
	}
	if level {
		t.Fatal("interrupt still raised with the input drained")
	}
}

// TestPLICState checks priorities, enables, thresholds, pending and
// in-service sources survive, and the context lines are driven.
func TestPLICState(t *testing.T) {
	a, _ := newTestPLIC()
	a.Write(plicPrioOff(10), 4, 3)
	a.Write(plicPrioOff(11), 4, 5)
	a.Write(plicEnableOff(1, 0), 4, 1<<10|1<<11)
	a.Write(plicThresholdOff(0), 4, 1)
	a.SetLevel(10, true)
	a.SetLevel(11, true)
	if id, _ := a.Read(plicClaimOff(1), 4); id != 11 {
		t.Fatalf("claimed %d", id)
	}
	s := gobRoundTrip(t, a.SaveState())
	b, hart := newTestPLIC()
	if err := b.LoadState(s); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.SaveState(), a.SaveState()) {
		t.Fatalf("state %+v, want %+v", b.SaveState(), a.SaveState())
	}
	if !hart.get(plicSEIP) || hart.get(plicMEIP) {
		t.Fatal("S line not driven (source 10 pending) or M line raised")
	}
	// Source 11 is still in service: completing it re-pends it (level high).
	b.Write(plicClaimOff(1), 4, 11)
	if id, _ := b.Read(plicClaimOff(1), 4); id != 11 {
		t.Fatalf("after completing 11, claimed %d, want 11 again", id)
	}
	small := NewPLIC(32, nil)
	if err := small.LoadState(s); !errors.Is(err, ErrState) {
		t.Fatalf("loading into a smaller PLIC: %v", err)
	}
}

// TestRTCState checks the offset and alarm survive and a pending
// interrupt is driven.
func TestRTCState(t *testing.T) {
	now := time.Unix(100, 0)
	a := NewRTC(func() time.Time { return now })
	a.Write(rtcTimeHigh, 4, 0)
	a.Write(rtcTimeLow, 4, 7)
	a.Write(rtcIRQEnabled, 4, 1)
	a.Write(rtcAlarmHigh, 4, 0)
	a.Write(rtcAlarmLow, 4, 5) // in the past: fires at once
	s := gobRoundTrip(t, a.SaveState())
	var level bool
	b := NewRTC(func() time.Time { return now })
	b.IRQ = func(l bool) { level = l }
	if err := b.LoadState(s); err != nil {
		t.Fatal(err)
	}
	if !level {
		t.Fatal("alarm interrupt not driven")
	}
	if v, _ := b.Read(rtcTimeLow, 4); v != 7 {
		t.Fatalf("time %d, want 7", v)
	}
	if b.SaveState() != a.SaveState() {
		t.Fatalf("state %+v, want %+v", b.SaveState(), a.SaveState())
	}
}

// TestStateCoversDevices fails when a field is added to a device without
// a decision about snapshots: save it in the device's state or list it
// here as wiring or host-side.
func TestStateCoversDevices(t *testing.T) {
	for _, tc := range []struct {
		v      any
		fields string // every field, saved or not
	}{
		{CLINT{}, "mu harts msip mtimecmp start offset now"},
		{UART{}, "mu out in ier lcr mcr scr fcr dll dlm thre IRQ"},
		{PLIC{}, "mu n words prio level pending claimed valid enable thresh ctx line"},
		{RTC{}, "mu now offset timeHigh alarm armed irqEnabled irqPending line IRQ"},
	} {
		known := map[string]bool{}
		for _, f := range strings.Fields(tc.fields) {
			known[f] = true
		}
		ty := reflect.TypeOf(tc.v)
		for i := 0; i < ty.NumField(); i++ {
			if !known[ty.Field(i).Name] {
				t.Errorf("%s.%s: new field; save it in the device's state (dev/state.go) and list it here", ty.Name(), ty.Field(i).Name)
			}
		}
	}
}
