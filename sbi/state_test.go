package sbi

import (
	"bytes"
	"encoding/gob"
	"errors"
	"reflect"
	"testing"

	"strata/riscv"
)

// TestStateRoundTrip saves an SBI with a started hart, a stopped one and
// an armed software timer, loads it into a fresh machine and checks the
// HSM status and the timer carry on.
func TestStateRoundTrip(t *testing.T) {
	m := newMachine(t, 2)
	h := m.harts[0]
	h.SetCSR(riscv.CSRMenvcfg, 0) // no Sstc: the SBI's own timer
	m.p.now = 50
	if e, _ := m.call(h, EIDTime, 0, 100); e != Success {
		t.Fatalf("set_timer = %d", e)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(m.s.SaveState()); err != nil {
		t.Fatal(err)
	}
	var st State
	if err := gob.NewDecoder(&buf).Decode(&st); err != nil {
		t.Fatal(err)
	}

	n := newMachine(t, 2)
	for i := range n.harts {
		if err := n.harts[i].LoadState(m.harts[i].SaveState()); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.s.LoadState(st); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(n.s.SaveState(), m.s.SaveState()) {
		t.Fatalf("state %+v, want %+v", n.s.SaveState(), m.s.SaveState())
	}
	if !n.s.Runnable(0) || n.s.Runnable(1) {
		t.Fatal("HSM status lost")
	}
	if d, ok := n.s.NextDeadline(); !ok || d != 100 {
		t.Fatalf("NextDeadline = %d, %v", d, ok)
	}
	n.p.now = 100
	n.s.Tick()
	if mip(n.harts[0])&riscv.MipSTIP == 0 {
		t.Fatal("restored timer did not fire")
	}
	if e, v := n.call(n.harts[0], EIDHSM, 2, 1); e != Success || v != HartStopped {
		t.Fatalf("hart_get_status(1) = %d, %d", e, v)
	}

	if err := newMachine(t, 1).s.LoadState(st); !errors.Is(err, ErrState) {
		t.Fatalf("2-hart state into 1 hart: %v", err)
	}
	bad := State{Harts: append([]HartState(nil), st.Harts...)}
	bad.Harts[1].Status = 42
	if err := newMachine(t, 2).s.LoadState(bad); !errors.Is(err, ErrState) {
		t.Fatalf("bad status: %v", err)
	}
}
