package vm

import (
	"bufio"
	"fmt"
	"io"

	"strata/riscv"
)

// tracer prints one line per instruction: privilege, pc, raw bits,
// disassembly and the register the instruction wrote. The written value is
// known only after execution, so each line is completed when the next
// instruction starts (or when the run ends).
type tracer struct {
	w       *bufio.Writer
	pending bool
	prev    riscv.Inst
	instret uint64
	hart    *riscv.Hart
}

func newTracer(w io.Writer) *tracer { return &tracer{w: bufio.NewWriterSize(w, 64<<10)} }

var privName = [4]byte{'U', 'S', '?', 'M'}

func (t *tracer) hook(h *riscv.Hart, pc uint64, in riscv.Inst) {
	t.complete(h)
	raw := fmt.Sprintf("%08x", in.Raw)
	if in.Len == 2 {
		raw = fmt.Sprintf("    %04x", in.Raw)
	}
	fmt.Fprintf(t.w, "%c %016x (%s) %-32s", privName[h.Priv&3], pc, raw, riscv.Disasm(in, pc))
	t.pending, t.prev, t.instret, t.hart = true, in, h.Instret(), h
}

// complete finishes the previous line with the register it wrote.
func (t *tracer) complete(h *riscv.Hart) {
	if !t.pending {
		return
	}
	t.pending = false
	switch {
	case h.Instret() == t.instret:
		fmt.Fprintf(t.w, " trap\n")
	case t.prev.Op.WritesX() && t.prev.Rd != riscv.RegSink:
		fmt.Fprintf(t.w, " %s=%016x\n", riscv.RegName(t.prev.Rd), h.X[t.prev.Rd])
	case t.prev.Op.WritesF():
		fmt.Fprintf(t.w, " %s=%016x\n", riscv.FRegName(t.prev.Rd), h.F[t.prev.Rd&31])
	default:
		fmt.Fprintln(t.w)
	}
}

// Flush completes the last line and flushes the output.
func (t *tracer) Flush() {
	if t.hart != nil {
		t.complete(t.hart)
	}
	t.w.Flush()
}
