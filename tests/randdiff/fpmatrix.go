package randdiff

import (
	"fmt"
	"strings"
)

// The FP edge matrix: every F/D operation × every rounding mode × a grid
// of edge values, each result stored with the fflags it raised (fflags is
// cleared before every operation).

// Grids of f-register images.
var (
	gridD = []uint64{
		0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
		0x3ff8000000000000, 0x4008000000000000, 0x3fd5555555555555, 0x3ff0000000000001,
		0x3ca0000000000000, 0x0000000000000001, 0x800fffffffffffff, 0x0010000000000000,
		0x7fefffffffffffff, 0xffefffffffffffff, 0x7ff0000000000000, 0xfff0000000000000,
		0x7ff8000000000000, 0x7ff0000000000001, 0xfff8000000000001,
	}
	gridS = []uint64{
		0xffffffff00000000, 0xffffffff80000000, 0xffffffff3f800000, 0xffffffffbf800000,
		0xffffffff3fc00000, 0xffffffff40400000, 0xffffffff3eaaaaab, 0xffffffff3f800001,
		0xffffffff33800000, 0xffffffff00000001, 0xffffffff807fffff, 0xffffffff00800000,
		0xffffffff7f7fffff, 0xffffffffff7fffff, 0xffffffff7f800000, 0xffffffffff800000,
		0xffffffff7fc00000, 0xffffffff7f800001, 0xffffffffffc00001,
		0x000000003f800000, // improperly boxed 1.0: reads as the canonical NaN
	}
	fmaD = []uint64{
		0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
		0x3ff0000000000001, 0x0000000000000001, 0x7ff0000000000000, 0x7ff8000000000000,
		0x7ff0000000000001,
	}
	fmaS = []uint64{
		0xffffffff00000000, 0xffffffff80000000, 0xffffffff3f800000, 0xffffffffbf800000,
		0xffffffff3f800001, 0xffffffff00000001, 0xffffffff7f800000, 0xffffffff7fc00000,
		0xffffffff7f800001,
	}
	// conversion sources (to integers and to the other precision)
	cvtD = []uint64{
		0x0000000000000000, 0x8000000000000000, 0x3fe0000000000000, 0xbfe0000000000000,
		0x3ff8000000000000, 0xbff8000000000000, 0x4004000000000000, 0xc004000000000000,
		0x41dfffffffe00000, 0x41dfffffffc00000, 0x41e0000000000000, 0xc1e0000000000000,
		0xc1e0000000100000, 0xc1e0000000200000, 0x41efffffffe00000, 0x41f0000000000000,
		0x43dfffffffffffff, 0x43e0000000000000, 0xc3e0000000000000, 0xc3e0000000000001,
		0x43f0000000000000, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
		0x7ff0000000000001, 0x0000000000000001, 0x8000000000000001, 0x7fefffffffffffff,
		0x3810000000000000, 0x380fffffffffffff, 0x36a0000000000000, 0x3690000000000000,
		0x3690000000000001, 0x47efffffe0000000, 0x47effffff0000000, 0x3ff0000010000000,
		0x3ff0000030000000, 0x3ff0000010000001, 0xbff0000010000000,
	}
	cvtS = []uint64{
		0xffffffff00000000, 0xffffffff80000000, 0xffffffff3f000000, 0xffffffffbf000000,
		0xffffffff3fc00000, 0xffffffffbfc00000, 0xffffffff40200000, 0xffffffffc0200000,
		0xffffffff4effffff, 0xffffffff4f000000, 0xffffffffcf000000, 0xffffffffcf000001,
		0xffffffff4f7fffff, 0xffffffff4f800000, 0xffffffff5effffff, 0xffffffff5f000000,
		0xffffffffdf000000, 0xffffffffdf000001, 0xffffffff5f800000, 0xffffffff7f800000,
		0xffffffffff800000, 0xffffffff7fc00000, 0xffffffff7f800001, 0xffffffff00000001,
		0xffffffff80000001, 0xffffffff7f7fffff, 0x000000003f800000,
	}
	// integer sources for conversions to floating point
	cvtI = []uint64{
		0, 1, 0xffffffffffffffff, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff80000000,
		0xffffffff, 0x7fffffffffffffff, 0x8000000000000000, 0x1000001, 0x1000003,
		0xffffffffff000001, 0x20000000000001, 0x20000000000003, 0xffdfffffffffffff,
		0x8000000000000401, 0x8000000000000c00, 0xfffffffffffff800, 0xfffffffffffffc00,
		0x7fffff8000000000, 0x7fffffc000000000, 0xffffff80, 0x7fffffc0,
	}
)

type rmode struct {
	name string // suffix: "rne", ..., "dyn"
	frm  int    // frm set for the block (matters for dyn)
}

var allModes = []rmode{{"rne", 0}, {"rtz", 0}, {"rdn", 0}, {"rup", 0}, {"rmm", 0},
	{"dyn", 2}, {"dyn", 4}}
var staticModes = allModes[:5]
var noMode = []rmode{{"", 0}}

// A block computes op over the Cartesian product of its grids.
type block struct {
	op    string // mnemonic
	mode  rmode
	grids [][]uint64
	xsrc  bool // sources are integers (x registers)
	xdst  bool // result is an x register
}

// record is the name of one result.
func (b block) names() []string {
	var out []string
	var rec func(prefix string, k int)
	rec = func(prefix string, k int) {
		if k == len(b.grids) {
			m := b.mode.name
			if m == "dyn" {
				m = fmt.Sprintf("dyn(frm=%s)", allModes[b.mode.frm].name)
			}
			if m != "" {
				m = " " + m
			}
			out = append(out, b.op+m+prefix)
			return
		}
		for _, v := range b.grids[k] {
			rec(fmt.Sprintf("%s %016x", prefix, v), k+1)
		}
	}
	rec("", 0)
	return out
}

// FPMatrixPart is one program of the matrix.
type FPMatrixPart struct {
	Name   string
	blocks []block
	Names  []string // name of each result (2 words each: value, fflags)
}

// FPMatrix returns the parts of the matrix (one program each).
func FPMatrix() []*FPMatrixPart {
	var parts []*FPMatrixPart
	for _, p := range []struct {
		s                  string
		grid, fma, cvt     []uint64
		other              string
		gridOther, cvtOthr []uint64
	}{{"s", gridS, fmaS, cvtS, "d", gridD, cvtD}, {"d", gridD, fmaD, cvtD, "s", gridS, cvtS}} {
		arith := &FPMatrixPart{Name: "arith." + p.s}
		for _, op := range []string{"fadd", "fsub", "fmul", "fdiv"} {
			for _, m := range allModes {
				arith.blocks = append(arith.blocks, block{op: op + "." + p.s, mode: m, grids: [][]uint64{p.grid, p.grid}})
			}
		}
		for _, m := range allModes {
			arith.blocks = append(arith.blocks, block{op: "fsqrt." + p.s, mode: m, grids: [][]uint64{p.grid}})
		}
		for _, op := range []string{"fmin", "fmax", "fsgnj", "fsgnjn", "fsgnjx"} {
			arith.blocks = append(arith.blocks, block{op: op + "." + p.s, mode: noMode[0], grids: [][]uint64{p.grid, p.grid}})
		}
		for _, op := range []string{"feq", "flt", "fle"} {
			arith.blocks = append(arith.blocks, block{op: op + "." + p.s, mode: noMode[0], grids: [][]uint64{p.grid, p.grid}, xdst: true})
		}
		arith.blocks = append(arith.blocks, block{op: "fclass." + p.s, mode: noMode[0], grids: [][]uint64{p.grid}, xdst: true})
		parts = append(parts, arith)

		fma := &FPMatrixPart{Name: "fma." + p.s}
		for _, op := range []string{"fmadd", "fmsub", "fnmadd", "fnmsub"} {
			for _, m := range staticModes {
				fma.blocks = append(fma.blocks, block{op: op + "." + p.s, mode: m, grids: [][]uint64{p.fma, p.fma, p.fma}})
			}
		}
		parts = append(parts, fma)

		cvt := &FPMatrixPart{Name: "cvt." + p.s}
		for _, it := range []string{"w", "wu", "l", "lu"} {
			for _, m := range allModes {
				cvt.blocks = append(cvt.blocks,
					block{op: "fcvt." + it + "." + p.s, mode: m, grids: [][]uint64{p.cvt}, xdst: true},
					block{op: "fcvt." + p.s + "." + it, mode: m, grids: [][]uint64{cvtI}, xsrc: true})
			}
		}
		if p.s == "s" {
			for _, m := range allModes {
				cvt.blocks = append(cvt.blocks, block{op: "fcvt.s.d", mode: m, grids: [][]uint64{cvtD}})
			}
		} else {
			cvt.blocks = append(cvt.blocks, block{op: "fcvt.d.s", mode: noMode[0], grids: [][]uint64{cvtS}})
		}
		parts = append(parts, cvt)
	}
	for _, p := range parts {
		var kept []block
		for _, b := range p.blocks {
			// the assembler takes no rm on exact conversions
			if b.op == "fcvt.d.w" || b.op == "fcvt.d.wu" {
				if b.mode.name != "rne" {
					continue
				}
				b.mode = noMode[0]
			}
			kept = append(kept, b)
			p.Names = append(p.Names, b.names()...)
		}
		p.blocks = kept
	}
	return parts
}

// Source renders the part as an assembly program.
func (p *FPMatrixPart) Source() string {
	var b strings.Builder
	b.WriteString(`	.section .text
	.globl _start
_start:
	la t0, trap
	csrw mtvec, t0
	li t0, 0x2000
	csrs mstatus, t0
	la s1, out
`)
	var data strings.Builder
	for bi, bl := range p.blocks {
		fmt.Fprintf(&b, "# block %d: %s %s\n\tcsrwi frm, %d\n", bi, bl.op, bl.mode.name, bl.mode.frm)
		for k, g := range bl.grids {
			fmt.Fprintf(&data, "g%d_%d:\n", bi, k)
			for _, v := range g {
				fmt.Fprintf(&data, "\t.dword 0x%016x\n", v)
			}
		}
		ptr := []string{"s2", "s3", "s4"}
		cnt := []string{"s5", "s6", "s7"}
		src := []string{"f1", "f2", "f3"}
		if bl.xsrc {
			src = []string{"t1"}
		}
		n := len(bl.grids)
		for k := 0; k < n; k++ {
			fmt.Fprintf(&b, "\tla %s, g%d_%d\n\tli %s, %d\n.Lb%d_%d:\n", ptr[k], bi, k, cnt[k], len(bl.grids[k]), bi, k)
			if bl.xsrc {
				fmt.Fprintf(&b, "\tld %s, 0(%s)\n", src[k], ptr[k])
			} else {
				fmt.Fprintf(&b, "\tfld %s, 0(%s)\n", src[k], ptr[k])
			}
		}
		dst := "f4"
		if bl.xdst {
			dst = "t2"
		}
		ops := append([]string{dst}, src[:n]...)
		if bl.mode.name != "" {
			ops = append(ops, bl.mode.name)
		}
		fmt.Fprintf(&b, "\tcsrwi fflags, 0\n\t%s %s\n\tcsrr t0, fflags\n", bl.op, strings.Join(ops, ", "))
		if bl.xdst {
			b.WriteString("\tsd t2, 0(s1)\n")
		} else {
			b.WriteString("\tfsd f4, 0(s1)\n")
		}
		b.WriteString("\tsd t0, 8(s1)\n\taddi s1, s1, 16\n")
		for k := n - 1; k >= 0; k-- {
			fmt.Fprintf(&b, "\taddi %s, %s, 8\n\taddi %s, %s, -1\n\tbnez %s, .Lb%d_%d\n", ptr[k], ptr[k], cnt[k], cnt[k], cnt[k], bi, k)
		}
	}
	fmt.Fprintf(&b, `%s	.balign 4
trap:	# unexpected trap: exit with status 3
	li t0, 0x100000
	li t1, 0x33333
	sw t1, 0(t0)
	j trap
	.section .data
	.balign 8
`, dumpAsm("la a0, out", 2*len(p.Names)))
	b.WriteString(data.String())
	fmt.Fprintf(&b, "out:\n\t.zero %d\n", 16*len(p.Names))
	return b.String()
}

// Name names output word i.
func (p *FPMatrixPart) WordName(i int) string {
	k := i / 2
	what := "result"
	if i%2 == 1 {
		what = "fflags"
	}
	if k < len(p.Names) {
		return fmt.Sprintf("%s: %s", p.Names[k], what)
	}
	return fmt.Sprintf("word %d", i)
}
