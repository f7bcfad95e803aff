package dev

import (
	"bytes"
	"testing"
	"time"
)

type irqRecorder struct{ lines map[uint64]bool }

func (r *irqRecorder) SetIRQ(bit uint64, level bool) { r.lines[bit] = level }

func TestUARTTransmitAndLSR(t *testing.T) {
	var out bytes.Buffer
	u := NewUART(&out)
	for _, c := range []byte("hi") {
		if !u.Write(uartRBR, 1, uint64(c)) {
			t.Fatal("write refused")
		}
	}
	if out.String() != "hi" {
		t.Fatalf("output %q", out.String())
	}
	lsr, _ := u.Read(uartLSR, 1)
	if lsr&(lsrTHRE|lsrTEMT) != lsrTHRE|lsrTEMT || lsr&lsrDR != 0 {
		t.Fatalf("LSR %#x", lsr)
	}
	if _, ok := u.Read(uartLSR, 4); ok {
		t.Fatal("a 4-byte access to an 8-bit register must fail")
	}
}

func TestUARTReceiveInterrupt(t *testing.T) {
	u := NewUART(&bytes.Buffer{})
	var level bool
	u.IRQ = func(l bool) { level = l }
	u.Write(uartIER, 1, 1) // receive-data interrupt
	u.Input([]byte("ab"))
	if !level {
		t.Fatal("IRQ not raised with data available")
	}
	if iir, _ := u.Read(uartIIR, 1); iir&0x0f != 0x04 {
		t.Fatalf("IIR %#x, want received-data", iir)
	}
	if lsr, _ := u.Read(uartLSR, 1); lsr&lsrDR == 0 {
		t.Fatal("LSR.DR clear with data queued")
	}
	a, _ := u.Read(uartRBR, 1)
	b, _ := u.Read(uartRBR, 1)
	if a != 'a' || b != 'b' {
		t.Fatalf("read %#x %#x", a, b)
	}
	if level {
		t.Fatal("IRQ still raised after the FIFO drained")
	}
}

func TestUARTDivisorLatch(t *testing.T) {
	var out bytes.Buffer
	u := NewUART(&out)
	u.Write(uartLCR, 1, 0x80)
	u.Write(uartRBR, 1, 0x12) // DLL, not transmitted
	u.Write(uartIER, 1, 0x34) // DLM
	dll, _ := u.Read(uartRBR, 1)
	dlm, _ := u.Read(uartIER, 1)
	u.Write(uartLCR, 1, 0x03)
	if dll != 0x12 || dlm != 0x34 || out.Len() != 0 {
		t.Fatalf("dll %#x dlm %#x out %q", dll, dlm, out.String())
	}
}

func TestFinisher(t *testing.T) {
	tests := []struct {
		val    uint64
		code   int
		reset  bool
		called bool
	}{
		{FinisherPass, 0, false, true},
		{FinisherFail | 7<<16, 7, false, true},
		{FinisherFail, 1, false, true},
		{FinisherReset, 0, true, true},
		{0x1234, 0, false, false},
	}
	for _, tc := range tests {
		called := false
		var code int
		var reset bool
		f := &Finisher{Exit: func(c int, r bool) { called, code, reset = true, c, r }}
		size := 4
		if tc.val <= 0xffff {
			size = 2 // OpenSBI's writew
		}
		f.Write(0, size, tc.val)
		if called != tc.called || code != tc.code || reset != tc.reset {
			t.Errorf("%#x: called %v code %d reset %v", tc.val, called, code, reset)
		}
	}
}

func TestCLINT(t *testing.T) {
	rec := &irqRecorder{lines: map[uint64]bool{}}
	c := NewCLINT([]IRQTarget{rec})
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	c.start = now
	// mtime advances at 10 MHz.
	now = now.Add(time.Millisecond)
	if v, _ := c.Read(clintMtime, 8); v != 10_000 {
		t.Fatalf("mtime %d after 1 ms, want 10000", v)
	}
	// Writing mtimecmp in the past raises MTIP at once; in the future, at Tick.
	c.Write(clintMtimecmp, 8, 5_000)
	if !rec.lines[mipMTIP] {
		t.Fatal("MTIP not raised for a deadline in the past")
	}
	c.Write(clintMtimecmp, 4, 20_000) // low half
	c.Write(clintMtimecmp+4, 4, 0)    // high half
	if rec.lines[mipMTIP] {
		t.Fatal("MTIP still raised after moving the deadline ahead")
	}
	now = now.Add(time.Millisecond)
	c.Tick()
	if !rec.lines[mipMTIP] {
		t.Fatal("MTIP not raised when mtime reached mtimecmp")
	}
	// msip drives MSIP.
	c.Write(clintMSIP, 4, 1)
	if !rec.lines[mipMSIP] {
		t.Fatal("MSIP not raised")
	}
	if v, _ := c.Read(clintMSIP, 4); v != 1 {
		t.Fatalf("msip reads %d", v)
	}
	// mtime is writable.
	c.Write(clintMtime, 8, 1<<40)
	if v, _ := c.Read(clintMtime, 8); v != 1<<40 {
		t.Fatalf("mtime %#x after write", v)
	}
}
