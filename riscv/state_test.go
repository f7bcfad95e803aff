package riscv

import (
	"bytes"
	"encoding/gob"
	"errors"
	"reflect"
	"testing"
)

// TestHartStateRoundTrip runs a program half way, moves its state (through
// gob) and RAM into a fresh hart on a fresh bus, and checks that both
// harts finish in the same state.
func TestHartStateRoundTrip(t *testing.T) {
	prog := []uint32{
		addi(0, 0, 0),   // nop (s0 = the data page, set below)
		addi(5, 0, 1),   // t0 = 1
		addi(6, 0, 3),   // t1 = 3
		mul(5, 5, 6),    // loop: t0 *= t1
		add(7, 7, 5),    // t2 += t0
		sd(7, 8, 0),     // *s0 = t2
		ld(9, 8, 0),     // s1 = *s0
		addi(10, 10, 1), // a0++
		bne(10, 0, -20), // loop (a0 never wraps in the test)
	}
	a := machine(t, prog...)
	for n, v := range map[uint16]uint64{
		CSRMscratch: 0x1234, CSRSscratch: 0x5678, CSRMtvec: 0x80000100, CSRStvec: 0x80000200,
		CSRMedeleg: 0x100, CSRMideleg: MipSSIP, CSRMie: MipSSIP | MipMTIP, CSRSatp: 0,
		CSRMenvcfg: 1 << 63, CSRStimecmp: 99999, CSRFcsr: 0x42, CSRPmpaddr0 + 3: 0x1fff,
		CSRPmpcfg0: 0x1f << 24, CSRMcounteren: 5, CSRScounteren: 2, CSRMepc: 0x80000040,
	} {
		if !a.SetCSR(n, v) {
			t.Fatalf("SetCSR %#x", n)
		}
	}
	a.X[8] = testRAM + 0x10000
	a.F[3] = 0x4000_0000_0000_0000
	a.SetPending(MipSSIP, true)
	a.SetIRQ(MipSEIP, true)
	a.Run(1001)

	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(a.SaveState()); err != nil {
		t.Fatal(err)
	}
	var s HartState
	if err := gob.NewDecoder(&buf).Decode(&s); err != nil {
		t.Fatal(err)
	}
	b := machine(t)
	copy(b.bus.rams[0].Data, a.bus.rams[0].Data)
	if err := b.LoadState(s); err != nil {
		t.Fatal(err)
	}
	if got, want := b.SaveState(), a.SaveState(); got != want {
		t.Fatalf("state after load differs:\n got %+v\nwant %+v", got, want)
	}
	a.Run(5000)
	b.Run(5000)
	if got, want := b.SaveState(), a.SaveState(); got != want {
		t.Fatalf("state after running on differs:\n got %+v\nwant %+v", got, want)
	}
	if !bytes.Equal(a.bus.rams[0].Data, b.bus.rams[0].Data) {
		t.Fatal("RAM differs")
	}
	if a.X[10] < 900 {
		t.Fatalf("loop did not run: a0 = %d, state %+v", a.X[10], a.SaveState())
	}
}

// TestHartStateWFIAndErrors checks that the WFI flag survives and that a
// state from another hart or another version is refused.
func TestHartStateWFIAndErrors(t *testing.T) {
	a := machine(t, insWFI)
	if a.Run(10) != StopWFI {
		t.Fatal("no WFI stop")
	}
	s := a.SaveState()
	if !s.Waiting {
		t.Fatal("Waiting not saved")
	}
	b := machine(t)
	if err := b.LoadState(s); err != nil {
		t.Fatal(err)
	}
	if !b.Waiting() || b.Run(10) != StopWFI {
		t.Fatal("restored hart is not waiting")
	}
	bad := s
	bad.HartID = 7
	if err := b.LoadState(bad); !errors.Is(err, ErrHartState) {
		t.Fatalf("foreign hart id: %v", err)
	}
	bad = s
	bad.Version = 99
	if err := b.LoadState(bad); !errors.Is(err, ErrHartState) {
		t.Fatalf("bad version: %v", err)
	}
	bad = s
	bad.Priv = 2
	if err := b.LoadState(bad); !errors.Is(err, ErrHartState) {
		t.Fatalf("bad privilege: %v", err)
	}
}

// TestHartStateCoversHart fails when a field is added to Hart without a
// decision about snapshots: save it in HartState or list it here as
// rebuilt or transient.
func TestHartStateCoversHart(t *testing.T) {
	saved := map[string]bool{
		"X": true, "F": true, "PC": true, "Priv": true, "mstatus": true, "misa": true,
		"medeleg": true, "mideleg": true, "mie": true, "mipSW": true, "irq": true,
		"mtvec": true, "stvec": true, "mepc": true, "sepc": true, "mcause": true,
		"scause": true, "mtval": true, "stval": true, "mscratch": true, "sscratch": true,
		"satp": true, "mcounteren": true, "scounteren": true, "menvcfg": true,
		"senvcfg": true, "stimecmp": true, "fcsr": true, "instret": true,
		"cycleDelta": true, "pmpcfg": true, "pmpaddr": true, "waiting": true, "halted": true,
	}
	notSaved := map[string]string{
		"bus": "the machine's", "bit": "set by NewHart", "cfg": "the machine's (HartID is checked)",
		"resvValid": "reservations may be lost", "resvAddr": "reservations may be lost",
		"tlbs": "flushed", "dtlb": "rebuilt", "itlb": "rebuilt", "gen": "flushed", "genTag": "flushed",
		"scratch": "per instruction", "fetchCP": "cache", "excCause": "per instruction",
		"excTval": "per instruction", "budget": "per Run", "stop": "per Run",
	}
	ty := reflect.TypeOf(Hart{})
	for i := 0; i < ty.NumField(); i++ {
		name := ty.Field(i).Name
		if !saved[name] && notSaved[name] == "" {
			t.Errorf("Hart.%s is neither in HartState nor listed as not saved", name)
		}
	}
}
