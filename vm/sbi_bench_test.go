package vm

import (
	"context"
	"io"
	"os"
	"testing"
)

// BenchmarkSBICall compares the cost of one SBI call (set_timer) answered
// by strata itself (paravirtualized: the ECALL is a hypercall into Go) with
// the same call trapped to Debian's OpenSBI running in M-mode (full
// virtualization). It reports guest instructions per call too.
func BenchmarkSBICall(b *testing.B) {
	payload := buildRawB(b, "sbi_calls", "0x80200000")
	fw, err := os.ReadFile("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf")
	if err != nil {
		b.Fatalf("%v: install the Debian package opensbi", err)
	}
	for _, tc := range []struct {
		name string
		cfg  VirtConfig
	}{
		{"builtin", VirtConfig{Bios: BiosBuiltin}},
		{"opensbi", VirtConfig{Bios: BiosFirmware, Firmware: fw}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var insns uint64
			for i := 0; i < b.N; i++ {
				cfg := tc.cfg
				cfg.Kernel, cfg.MemSize, cfg.Console = payload, 64<<20, io.Discard
				m, err := NewVirt(cfg)
				if err != nil {
					b.Fatal(err)
				}
				res, err := m.Run(context.Background())
				if err != nil || res.ExitCode != 0 {
					b.Fatalf("run: %v exit %d", err, res.ExitCode)
				}
				insns += res.Instret
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/call")
			b.ReportMetric(float64(insns)/float64(b.N)/100000, "insns/call")
		})
	}
}
