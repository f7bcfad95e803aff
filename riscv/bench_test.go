package riscv

import "testing"

// BenchmarkALULoop measures the interpreter on a tight integer loop
// (add, mul, addi, bne): ns per guest instruction, and allocations, which
// must be zero.
func BenchmarkALULoop(b *testing.B) {
	h := machine(b,
		addi(5, 0, 1),  // t0 = 1
		addi(6, 0, 3),  // t1 = 3
		add(7, 7, 5),   // loop: t2 += t0
		mul(28, 7, 6),  // t3 = t2*t1
		addi(5, 5, 1),  // t0++
		bne(6, 0, -12), // t1 != 0: always taken
	)
	b.ReportAllocs()
	b.ResetTimer()
	h.Run(int64(b.N))
	if h.Instret() < uint64(b.N) {
		b.Fatalf("retired %d < %d", h.Instret(), b.N)
	}
}

// BenchmarkLoadStoreLoop measures the data TLB fast path.
func BenchmarkLoadStoreLoop(b *testing.B) {
	h := machine(b,
		addi(0, 0, 0), // nop; t0 is preset to a data page away from code
		ld(6, 5, 0),   // loop: t1 = [t0]
		addi(6, 6, 1),
		sd(6, 5, 8),
		ld(7, 5, 8),
		sd(7, 5, 0),
		bne(5, 0, -20),
	)
	h.X[5] = testRAM + 0x80000
	b.ReportAllocs()
	b.ResetTimer()
	h.Run(int64(b.N))
	if h.mcause != 0 {
		b.Fatalf("trapped: mcause %d", h.mcause)
	}
}

func le(w uint32) []byte { return []byte{byte(w), byte(w >> 8), byte(w >> 16), byte(w >> 24)} }

// BenchmarkLRSCWithSecondHart runs an LR/SC loop on a bus that has a second
// (idle) hart: taking a reservation must not cost a scan of that hart's TLB
// every time.
func BenchmarkLRSCWithSecondHart(b *testing.B) {
	h := machine(b,
		encR(0x2f, 3, 2<<2, 6, 10, 0), // lr.d t1,(a0)
		encR(0x2f, 3, 3<<2, 7, 10, 6), // sc.d t2,t1,(a0)
		encJ(0, -8),
	)
	NewHart(h.bus, Config{HartID: 1})
	h.X[10] = testRAM + 0x80000
	b.ReportAllocs()
	b.ResetTimer()
	h.Run(int64(b.N))
}
