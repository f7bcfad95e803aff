// Package randdiff is a differential tester: it generates random RV64GC
// instruction streams (deterministically from a seed), runs each one on QEMU
// and on strata, and compares the architectural state both leave behind.
// See README.md.
package randdiff

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Memory layout, relative to sp (x2, reserved), which points at the
// scratch buffer:
//
//	sp-1024 .. sp-1   consts: 128 dwords (x init, f init, extra values); loads only
//	sp      .. sp+511 scratch: 64 dwords, seeded; loads, stores, AMOs
//	sp+512  ..        dump: x0..x31, f0..f31, fcsr, checksum, trap save, trap log
//
// s0 (x8, reserved) = sp+256, the base of compressed loads/stores.
const (
	nConsts     = 128
	nScratch    = 64
	logEntries  = 32
	dumpWords   = 70 + 3*logEntries
	outputWords = nScratch + dumpWords
)

// Word indices in the printed output (which starts at the scratch buffer).
const (
	outScratch  = 0
	outX        = nScratch
	outF        = outX + 32
	outFCSR     = outF + 32
	outChecksum = outFCSR + 1
	outSaveT1   = outChecksum + 1
	outSaveT2   = outSaveT1 + 1
	outTrapCnt  = outSaveT2 + 1
	outLog      = outTrapCnt + 2
)

// Item is one unit of the random stream. A compound item (a forward
// branch) renders Head, then Inner, then Tail; the minimizer may delete an
// item or replace a compound item by its inner items.
type Item struct {
	Head  string
	Inner []Item
	Tail  string
	ID    int    // trace id (1-based; 0: not traced)
	Rd    string // destination register recorded in the trace ("" none)
}

// Text is the item's (last) instruction, for messages.
func (it Item) Text() string {
	lines := strings.Split(strings.TrimSpace(it.Head), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// render writes the item; traced items append their destination register,
// fflags and id to the trace buffer at t6.
func (it Item) render(b *strings.Builder) { it.write(b, true) }

// Plain renders items without the trace code (for messages).
func Plain(items []Item) string {
	var b strings.Builder
	for _, it := range items {
		it.write(&b, false)
	}
	return b.String()
}

func (it Item) write(b *strings.Builder, trace bool) {
	b.WriteString(it.Head)
	if trace && it.ID != 0 && it.Rd != "" {
		st := "sd"
		if it.Rd[0] == 'f' {
			st = "fsd"
		}
		// Read fflags and, for most items, clear it, so that each
		// instruction's own flags are compared (every fifth item lets
		// them accumulate).
		rf := "csrrw t5, fflags, x0"
		if it.ID%5 == 0 {
			rf = "csrr t5, fflags"
		}
		fmt.Fprintf(b, "\t%s %s, 0(t6)\n\t%s\n\tsd t5, 8(t6)\n\tli t5, %d\n\tsd t5, 16(t6)\n\taddi t6, t6, 24\n",
			st, it.Rd, rf, it.ID)
	}
	for _, in := range it.Inner {
		in.write(b, trace)
	}
	b.WriteString(it.Tail)
}

var noRd = map[string]bool{}

func init() {
	for _, m := range strings.Fields(`sb sh sw sd fsw fsd c.sd c.sw c.fsd c.sdsp c.swsp c.fsdsp
		c.nop fence fence.i csrw csrwi csrs csrc .half beq bne blt bge bltu bgeu c.beqz c.bnez jal c.j c.jr c.jalr`) {
		noRd[m] = true
	}
}

// destReg finds the destination register of an instruction line.
func destReg(line string) string {
	f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' })
	if len(f) < 2 || noRd[f[0]] {
		return ""
	}
	rd := f[1]
	if f[0] == ".insn" {
		switch {
		case (f[1] == "r" || f[1] == "r4") && len(f) > 5:
			rd = f[5]
		case f[1] == "i" && len(f) > 4:
			rd = f[4]
		default:
			return ""
		}
	}
	if len(rd) >= 2 && (rd[0] == 'x' || rd[0] == 'f') && rd[1] >= '0' && rd[1] <= '9' && rd != "x0" {
		return rd
	}
	return ""
}

// assignIDs numbers the traced items and returns their texts by id.
func assignIDs(items []Item, texts *[]string) {
	for i := range items {
		it := &items[i]
		if rd := destReg(it.Text()); rd != "" && len(it.Inner) == 0 {
			*texts = append(*texts, it.Text())
			it.ID, it.Rd = len(*texts), rd
		}
		assignIDs(it.Inner, texts)
	}
}

// Count is the number of instructions-ish units (items, recursively).
func (it Item) Count() int {
	n := 1
	for _, in := range it.Inner {
		n += in.Count()
	}
	return n
}

// Program is a generated test program.
type Program struct {
	Seed   uint64
	Frm    int
	Fflags int
	Consts [nConsts]uint64
	Init   [nScratch]uint64
	Items  []Item
	Texts  []string // traced instruction texts, by id-1
}

// Options tune the instruction mix.
type Options struct {
	N int // number of stream items
	// Reserved enables reserved (not merely illegal) encodings whose
	// behaviour the spec leaves open; off by default.
	Reserved bool
}

type gen struct {
	r     *rand.Rand
	opt   Options
	label *int
}

var xPool = func() []int {
	var p []int
	for i := 1; i < 32; i++ {
		if i != 2 && i != 8 && i != 30 && i != 31 {
			p = append(p, i)
		}
	}
	return p
}()

// Compressed-register pool (x8..x15 minus the reserved s0).
var cxPool = []int{9, 10, 11, 12, 13, 14, 15}

func (g *gen) xr() string { return fmt.Sprintf("x%d", xPool[g.r.IntN(len(xPool))]) }

// xd is a destination: rarely x0.
func (g *gen) xd() string {
	if g.r.IntN(40) == 0 {
		return "x0"
	}
	return g.xr()
}

// xs is a source: sometimes x0.
func (g *gen) xs() string {
	if g.r.IntN(25) == 0 {
		return "x0"
	}
	return g.xr()
}
func (g *gen) cx() string  { return fmt.Sprintf("x%d", cxPool[g.r.IntN(len(cxPool))]) }
func (g *gen) fr() string  { return fmt.Sprintf("f%d", g.r.IntN(32)) }
func (g *gen) cfr() string { return fmt.Sprintf("f%d", 8+g.r.IntN(8)) }

func (g *gen) newLabel() string {
	*g.label++
	return fmt.Sprintf(".Lr%d", *g.label)
}

var rms = []string{"rne", "rtz", "rdn", "rup", "rmm", "dyn"}

// rm returns a rounding-mode suffix (", rtz") or "" (dyn by default).
func (g *gen) rm() string {
	if g.r.IntN(3) == 0 {
		return ""
	}
	return ", " + rms[g.r.IntN(len(rms))]
}

// rmField returns an encodable valid rm field value (0-4 or 7).
func (g *gen) rmField() int {
	v := g.r.IntN(6)
	if v == 5 {
		return 7
	}
	return v
}

func (g *gen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

func simple(format string, a ...any) Item { return Item{Head: "\t" + fmt.Sprintf(format, a...) + "\n"} }

// Generate builds the program for seed.
func Generate(seed uint64, opt Options) *Program {
	r := rand.New(rand.NewPCG(seed, 0x5eed_d1ff_0000_0001))
	p := &Program{Seed: seed}
	// Mostly valid frm; occasionally an invalid one (5-7) so that dynamic
	// rounding traps until the stream rewrites frm.
	p.Frm = r.IntN(5)
	if r.IntN(10) == 0 {
		p.Frm = 5 + r.IntN(3)
	}
	if r.IntN(3) == 0 {
		p.Fflags = r.IntN(32)
	}
	for i := range p.Consts {
		switch {
		case i < 32: // x init
			p.Consts[i] = randX(r)
		case i < 64: // f init
			p.Consts[i] = randF(r)
		case i < 96:
			p.Consts[i] = randX(r)
		default:
			p.Consts[i] = randF(r)
		}
	}
	for i := range p.Init {
		if r.IntN(2) == 0 {
			p.Init[i] = randF(r)
		} else {
			p.Init[i] = randX(r)
		}
	}
	label := 0
	g := &gen{r: r, opt: opt, label: &label}
	for n := 0; n < opt.N; {
		it := g.item(true)
		n += it.Count()
		p.Items = append(p.Items, it)
	}
	assignIDs(p.Items, &p.Texts)
	return p
}

type weighted struct {
	w int
	f func(g *gen) Item
}

var categories []weighted

func init() {
	categories = []weighted{
		{10, (*gen).aluR},
		{8, (*gen).aluI},
		{7, (*gen).mul},
		{9, (*gen).li},
		{22, (*gen).fpArith},
		{8, (*gen).fpMisc},
		{10, (*gen).fpCvt},
		{10, (*gen).compressed},
		{8, (*gen).load},
		{5, (*gen).store},
		{3, (*gen).amo},
		{1, (*gen).lrsc},
		{3, (*gen).csr},
		{2, (*gen).illegal},
		{1, (*gen).fsOff},
		{1, (*gen).envTrap},
		{4, nil}, // branch
	}
	for _, c := range categories {
		totalWeight += c.w
	}
}

var totalWeight int

func (g *gen) item(allowBranch bool) Item {
	for {
		x := g.r.IntN(totalWeight)
		for _, c := range categories {
			if x < c.w {
				if c.f == nil {
					if !allowBranch {
						break
					}
					return g.branch()
				}
				return c.f(g)
			}
			x -= c.w
		}
	}
}

func (g *gen) aluR() Item {
	op := g.pick("add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
		"addw", "subw", "sllw", "srlw", "sraw")
	return simple("%s %s, %s, %s", op, g.xd(), g.xs(), g.xs())
}

func (g *gen) imm12() int {
	switch g.r.IntN(4) {
	case 0:
		return g.r.IntN(4096) - 2048
	case 1:
		return g.r.IntN(64) - 32
	case 2:
		return []int{0, 1, -1, 2047, -2048, 0x7ff, 0x555, -0x556}[g.r.IntN(8)]
	}
	return g.r.IntN(512) - 256
}

func (g *gen) aluI() Item {
	switch g.r.IntN(10) {
	case 0:
		return simple("lui %s, 0x%x", g.xd(), g.r.IntN(1<<20))
	case 1:
		return simple("auipc %s, 0x%x", g.xd(), g.r.IntN(1<<20))
	case 2, 3:
		op := g.pick("slli", "srli", "srai")
		sh := g.r.IntN(64)
		if g.r.IntN(3) == 0 {
			sh = g.pick2(0, 1, 31, 32, 33, 63)
		}
		return simple("%s %s, %s, %d", op, g.xd(), g.xs(), sh)
	case 4:
		op := g.pick("slliw", "srliw", "sraiw")
		sh := g.r.IntN(32)
		if g.r.IntN(3) == 0 {
			sh = g.pick2(0, 1, 15, 16, 30, 31)
		}
		return simple("%s %s, %s, %d", op, g.xd(), g.xs(), sh)
	}
	op := g.pick("addi", "slti", "sltiu", "xori", "ori", "andi", "addiw")
	return simple("%s %s, %s, %d", op, g.xd(), g.xs(), g.imm12())
}

func (g *gen) pick2(v ...int) int { return v[g.r.IntN(len(v))] }

func (g *gen) mul() Item {
	op := g.pick("mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
		"mulw", "divw", "divuw", "remw", "remuw")
	return simple("%s %s, %s, %s", op, g.xd(), g.xs(), g.xs())
}

// li re-injects interesting values: an integer, or an f register loaded
// from the constant table.
func (g *gen) li() Item {
	switch g.r.IntN(4) {
	case 0:
		return simple("li %s, %d", g.xr(), int64(randX(g.r)))
	case 1:
		return simple("ld %s, %d(sp)", g.xr(), -1024+8*g.r.IntN(32))
	}
	idx := 32 + g.r.IntN(32)
	if g.r.IntN(2) == 0 {
		idx += 64
	}
	return simple("fld %s, %d(sp)", g.fr(), -1024+8*idx)
}

func (g *gen) fmt1() string { return g.pick("s", "d") }

func (g *gen) fpArith() Item {
	f := g.fmt1()
	switch g.r.IntN(9) {
	case 0, 1, 2, 3:
		op := g.pick("fadd", "fsub", "fmul", "fdiv")
		return simple("%s.%s %s, %s, %s%s", op, f, g.fr(), g.fr(), g.fr(), g.rm())
	case 4:
		return simple("fsqrt.%s %s, %s%s", f, g.fr(), g.fr(), g.rm())
	case 5, 6, 7:
		op := g.pick("fmadd", "fmsub", "fnmadd", "fnmsub")
		return simple("%s.%s %s, %s, %s, %s%s", op, f, g.fr(), g.fr(), g.fr(), g.fr(), g.rm())
	}
	op := g.pick("fmin", "fmax")
	return simple("%s.%s %s, %s, %s", op, f, g.fr(), g.fr(), g.fr())
}

func (g *gen) fpMisc() Item {
	f := g.fmt1()
	switch g.r.IntN(7) {
	case 0, 1:
		op := g.pick("fsgnj", "fsgnjn", "fsgnjx")
		return simple("%s.%s %s, %s, %s", op, f, g.fr(), g.fr(), g.fr())
	case 2, 3:
		op := g.pick("feq", "flt", "fle")
		return simple("%s.%s %s, %s, %s", op, f, g.xd(), g.fr(), g.fr())
	case 4:
		return simple("fclass.%s %s, %s", f, g.xd(), g.fr())
	case 5:
		if f == "s" {
			return simple("fmv.x.w %s, %s", g.xd(), g.fr())
		}
		return simple("fmv.x.d %s, %s", g.xd(), g.fr())
	}
	if f == "s" {
		return simple("fmv.w.x %s, %s", g.fr(), g.xs())
	}
	return simple("fmv.d.x %s, %s", g.fr(), g.xs())
}

func (g *gen) fpCvt() Item {
	f := g.fmt1()
	it := g.pick("w", "wu", "l", "lu")
	switch g.r.IntN(7) {
	case 0, 1, 2: // to int
		return simple("fcvt.%s.%s %s, %s%s", it, f, g.xd(), g.fr(), g.rm())
	case 3, 4: // from int
		if f == "d" && (it == "w" || it == "wu") {
			// exact: the assembler only takes rm=rne; encode others by hand
			if g.r.IntN(2) == 0 {
				return simple("fcvt.d.%s %s, %s", it, g.fr(), g.xs())
			}
			rs2 := 0
			if it == "wu" {
				rs2 = 1
			}
			rm := g.rmField()
			return simple(".insn r 0x53, %d, 0x69, %s, %s, x%d # fcvt.d.%s rm=%d", rm, g.fr(), g.xs(), rs2, it, rm)
		}
		return simple("fcvt.%s.%s %s, %s%s", f, it, g.fr(), g.xs(), g.rm())
	case 5:
		return simple("fcvt.s.d %s, %s%s", g.fr(), g.fr(), g.rm())
	}
	if g.r.IntN(2) == 0 {
		return simple("fcvt.d.s %s, %s", g.fr(), g.fr())
	}
	rm := g.rmField()
	return simple(".insn r 0x53, %d, 0x21, %s, %s, f0 # fcvt.d.s rm=%d", rm, g.fr(), g.fr(), rm)
}

// nz returns a random nonzero int in [lo, hi].
func (g *gen) nz(lo, hi int) int {
	for {
		v := lo + g.r.IntN(hi-lo+1)
		if v != 0 {
			return v
		}
	}
}

func (g *gen) compressed() Item {
	switch g.r.IntN(24) {
	case 0:
		return simple("c.addi %s, %d", g.xr(), g.nz(-32, 31))
	case 1:
		return simple("c.addiw %s, %d", g.xr(), g.r.IntN(64)-32)
	case 2:
		return simple("c.li %s, %d", g.xr(), g.r.IntN(64)-32)
	case 3:
		rd := g.xr()
		for rd == "x2" {
			rd = g.xr()
		}
		v := g.nz(1, 63)
		if v >= 32 {
			v = 0xfffc0 + v // 0xfffe0..0xfffff
		}
		return simple("c.lui %s, 0x%x", rd, v)
	case 4:
		return simple("c.slli %s, %d", g.xr(), g.nz(1, 63))
	case 5:
		return simple("c.srli %s, %d", g.cx(), g.nz(1, 63))
	case 6:
		return simple("c.srai %s, %d", g.cx(), g.nz(1, 63))
	case 7:
		return simple("c.andi %s, %d", g.cx(), g.r.IntN(64)-32)
	case 8:
		return simple("c.mv %s, %s", g.xr(), g.xr())
	case 9:
		return simple("c.add %s, %s", g.xr(), g.xr())
	case 10, 11:
		op := g.pick("c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw")
		return simple("%s %s, %s", op, g.cx(), g.cx())
	case 12:
		op, sz := g.pickMem("c.ld", 8, "c.lw", 4)
		return simple("%s %s, %d(s0)", op, g.cx(), sz*g.r.IntN(32))
	case 13:
		op, sz := g.pickMem("c.sd", 8, "c.sw", 4)
		return simple("%s %s, %d(s0)", op, g.cx(), sz*g.r.IntN(32))
	case 14:
		if g.r.IntN(2) == 0 {
			return simple("c.fld %s, %d(s0)", g.cfr(), 8*g.r.IntN(32))
		}
		return simple("c.fsd %s, %d(s0)", g.cfr(), 8*g.r.IntN(32))
	case 15:
		op, sz := g.pickMem("c.ldsp", 8, "c.lwsp", 4)
		return simple("%s %s, %d(sp)", op, g.xr(), sz*g.r.IntN(64))
	case 16:
		op, sz := g.pickMem("c.sdsp", 8, "c.swsp", 4)
		return simple("%s %s, %d(sp)", op, g.xs(), sz*g.r.IntN(64))
	case 17:
		if g.r.IntN(2) == 0 {
			return simple("c.fldsp %s, %d(sp)", g.fr(), 8*g.r.IntN(64))
		}
		return simple("c.fsdsp %s, %d(sp)", g.fr(), 8*g.r.IntN(64))
	case 18:
		return simple("c.addi4spn %s, sp, %d", g.cx(), 4*g.nz(1, 255))
	case 19:
		// c.addi16sp moves the reserved sp: move it back right away.
		v := 16 * g.nz(-31, 31)
		return Item{Head: fmt.Sprintf("\tc.addi16sp sp, %d\n\tc.addi %s, 1\n\tc.addi16sp sp, %d\n", v, g.xr(), -v)}
	case 20:
		return simple("%s", g.pick("c.nop", "fence", "fence.i", "fence rw, rw"))
	case 21:
		// c.jalr / c.jr to a forward label
		l := g.newLabel()
		rt := g.xr()
		jump := fmt.Sprintf("%s %s", g.pick("c.jr", "c.jalr"), rt)
		if g.r.IntN(3) == 0 { // jalr clears bit 0 of the target
			jump = fmt.Sprintf("jalr %s, %d(%s)", g.xd(), g.pick2(0, 1), rt)
		}
		var inner []Item
		for i := 0; i < 1+g.r.IntN(2); i++ {
			inner = append(inner, g.item(false))
		}
		return Item{Head: fmt.Sprintf("\tla %s, %s\n\t%s\n", rt, l, jump), Inner: inner, Tail: l + ":\n"}
	}
	// full-size ops the assembler compresses on its own
	rd := g.cx()
	return simple("%s %s, %s, %s", g.pick("and", "or", "xor", "sub", "addw", "subw"), rd, rd, g.cx())
}

func (g *gen) pickMem(a string, as int, b string, bs int) (string, int) {
	if g.r.IntN(2) == 0 {
		return a, as
	}
	return b, bs
}

// addr returns an aligned "off(base)" operand: stores only hit the
// scratch buffer, loads also read the constant table.
func (g *gen) addr(size int, store bool) string {
	lo, hi := 0, 512 // relative to sp
	if !store && g.r.IntN(3) == 0 {
		lo, hi = -1024, 0
	}
	off := lo + size*g.r.IntN((hi-lo)/size)
	if g.r.IntN(2) == 0 {
		return fmt.Sprintf("%d(s0)", off-256)
	}
	return fmt.Sprintf("%d(sp)", off)
}

var loads = []struct {
	op   string
	size int
	fp   bool
}{
	{"lb", 1, false}, {"lbu", 1, false}, {"lh", 2, false}, {"lhu", 2, false},
	{"lw", 4, false}, {"lwu", 4, false}, {"ld", 8, false},
	{"flw", 4, true}, {"fld", 8, true},
}

var stores = []struct {
	op   string
	size int
	fp   bool
}{
	{"sb", 1, false}, {"sh", 2, false}, {"sw", 4, false}, {"sd", 8, false},
	{"fsw", 4, true}, {"fsd", 8, true},
}

func (g *gen) load() Item {
	l := loads[g.r.IntN(len(loads))]
	rd := g.xd()
	if l.fp {
		rd = g.fr()
	}
	return simple("%s %s, %s", l.op, rd, g.addr(l.size, false))
}

func (g *gen) store() Item {
	s := stores[g.r.IntN(len(stores))]
	rs := g.xs()
	if s.fp {
		rs = g.fr()
	}
	return simple("%s %s, %s", s.op, rs, g.addr(s.size, true))
}

func (g *gen) ordering() string {
	return g.pick("", "", ".aq", ".rl", ".aqrl")
}

func (g *gen) amo() Item {
	op := g.pick("amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu")
	sz := g.pick("w", "d")
	size := 4
	if sz == "d" {
		size = 8
	}
	rt := g.xr()
	off := size * g.r.IntN(512/size)
	return Item{Head: fmt.Sprintf("\taddi %s, sp, %d\n\t%s.%s%s %s, %s, (%s)\n", rt, off, op, sz, g.ordering(), g.xd(), g.xs(), rt)}
}

// lrsc emits LR, up to two ALU ops that leave the address alone, and an SC
// to the same address (or, rarely, an SC with no reservation).
func (g *gen) lrsc() Item {
	sz := g.pick("w", "d")
	size := 4
	if sz == "d" {
		size = 8
	}
	rt := g.xr()
	off := size * g.r.IntN(512/size)
	var b strings.Builder
	fmt.Fprintf(&b, "\taddi %s, sp, %d\n", rt, off)
	if g.r.IntN(8) != 0 {
		rd := g.xd()
		for rd == rt {
			rd = g.xd()
		}
		fmt.Fprintf(&b, "\tlr.%s%s %s, (%s)\n", sz, g.ordering(), rd, rt)
		for i := g.r.IntN(3); i > 0; i-- {
			d := g.xd()
			for d == rt {
				d = g.xd()
			}
			fmt.Fprintf(&b, "\t%s %s, %s, %s\n", g.pick("add", "xor", "sub", "or"), d, g.xs(), g.xs())
		}
	}
	fmt.Fprintf(&b, "\tsc.%s%s %s, %s, (%s)\n", sz, g.ordering(), g.xd(), g.xs(), rt)
	return Item{Head: b.String()}
}

func (g *gen) csr() Item {
	c := g.pick("fflags", "frm", "fcsr")
	switch g.r.IntN(6) {
	case 0:
		return simple("csrr %s, %s", g.xd(), c)
	case 1:
		return simple("%s %s, %s, %s", g.pick("csrrw", "csrrs", "csrrc"), g.xd(), c, g.xs())
	case 2:
		return simple("%s %s, %s, %d", g.pick("csrrwi", "csrrsi", "csrrci"), g.xd(), c, g.r.IntN(32))
	case 3:
		// a valid rounding mode most of the time
		return simple("csrwi frm, %d", g.pick2(0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6, 7))
	case 4:
		return simple("csrw %s, %s", c, g.xs())
	}
	return simple("fsflags %s, %s", g.xd(), g.xs())
}

// illegal emits encodings that must raise an illegal-instruction
// exception (plus, with Options.Reserved, reserved encodings).
func (g *gen) illegal() Item {
	k := g.r.IntN(9)
	if g.opt.Reserved && g.r.IntN(5) == 0 {
		k = 10 + g.r.IntN(2)
	}
	switch k {
	case 8:
		k = 9
	}
	switch k {
	case 0: // arithmetic with reserved rm 5 or 6
		rm := 5 + g.r.IntN(2)
		f7 := g.pick2(0x00, 0x01, 0x04, 0x05, 0x08, 0x09, 0x0c, 0x0d)
		return simple(".insn r 0x53, %d, 0x%x, %s, %s, %s # bad rm", rm, f7, g.fr(), g.fr(), g.fr())
	case 1: // fma with reserved rm
		return simple(".insn r4 0x%x, %d, %d, %s, %s, %s, %s # fma bad rm", g.pick2(0x43, 0x47, 0x4b, 0x4f), 5+g.r.IntN(2), g.r.IntN(2), g.fr(), g.fr(), g.fr(), g.fr())
	case 2: // conversions with reserved rm
		return simple(".insn r 0x53, %d, 0x%x, %s, %s, x%d # cvt bad rm", 5+g.r.IntN(2), g.pick2(0x60, 0x61, 0x20), g.xr(), g.fr(), g.r.IntN(2))
	case 3: // Q-format (not implemented)
		return simple(".insn r 0x53, %d, 0x%x, %s, %s, %s # fmt=Q", g.rmField(), g.pick2(0x03, 0x07, 0x0b, 0x0f), g.fr(), g.fr(), g.fr())
	case 4: // bad funct3 on sgnj/minmax/compare/fmv/fclass
		switch g.r.IntN(4) {
		case 0:
			return simple(".insn r 0x53, %d, 0x%x, %s, %s, %s # sgnj bad f3", 3+g.r.IntN(5), g.pick2(0x10, 0x11), g.fr(), g.fr(), g.fr())
		case 1:
			return simple(".insn r 0x53, %d, 0x%x, %s, %s, %s # minmax bad f3", 2+g.r.IntN(6), g.pick2(0x14, 0x15), g.fr(), g.fr(), g.fr())
		case 2:
			return simple(".insn r 0x53, %d, 0x%x, %s, %s, %s # cmp bad f3", 3+g.r.IntN(5), g.pick2(0x50, 0x51), g.xr(), g.fr(), g.fr())
		}
		return simple(".insn r 0x53, %d, 0x%x, %s, %s, f0 # fmv.x/fclass bad f3", 2+g.r.IntN(6), g.pick2(0x70, 0x71), g.xr(), g.fr())
	case 5:
		return simple(".half 0 # defined illegal")
	case 6: // fsqrt / fcvt with nonzero rs2 selector that does not exist
		return simple(".insn r 0x53, 0, 0x%x, %s, %s, x%d # bad rs2", g.pick2(0x2c, 0x2d), g.fr(), g.fr(), 1+g.r.IntN(31))
	case 9: // fmv.x.w/fclass/fmv.w.x with nonzero rs2
		if g.r.IntN(2) == 0 {
			return simple(".insn r 0x53, %d, 0x%x, %s, %s, x%d # fmv.x/fclass rs2!=0", g.r.IntN(2), g.pick2(0x70, 0x71), g.xr(), g.fr(), 1+g.r.IntN(31))
		}
		return simple(".insn r 0x53, 0, 0x%x, %s, %s, x%d # fmv.w.x rs2!=0", g.pick2(0x78, 0x79), g.fr(), g.xr(), 1+g.r.IntN(31))
	case 7: // AMO with unknown funct5
		return simple(".insn r 0x2f, 3, 0x%x, %s, %s, %s # bad amo", g.pick2(0x18, 0x28, 0x38, 0x78), g.xr(), "sp", g.xr())
	case 10: // RV64 shift-W with imm[5] set: reserved
		return simple(".insn i 0x1b, %d, %s, %s, %d # reserved shiftw", g.pick2(1, 5), g.xr(), g.xr(), 32+g.r.IntN(32))
	}
	// c.lui / c.addi16sp with zero immediate: reserved
	return simple(".half 0x%x # reserved c.lui/addi16sp 0", 0x6001|g.pick2(3, 5, 9, 2)<<7)
}

// fsOff clears mstatus.FS, runs one F/D instruction or FP CSR access
// (which must raise an illegal-instruction exception), and restores FS.
func (g *gen) fsOff() Item {
	rt := g.xr()
	var op Item
	switch g.r.IntN(4) {
	case 0:
		op = g.csr()
	case 1:
		op = g.fpCvt()
	case 2:
		op = g.fpMisc()
	default:
		op = g.fpArith()
	}
	return Item{Head: fmt.Sprintf("\tli %s, 0x6000\n\tcsrc mstatus, %s\n%s\tli %s, 0x2000\n\tcsrs mstatus, %s\n",
		rt, rt, op.Head, rt, rt)}
}

// envTrap raises environment-call and breakpoint exceptions.
func (g *gen) envTrap() Item {
	return simple("%s", g.pick("ecall", "ebreak", "c.ebreak"))
}

func (g *gen) branch() Item {
	l := g.newLabel()
	var head string
	switch g.r.IntN(6) {
	case 0, 1, 2:
		op := g.pick("beq", "bne", "blt", "bge", "bltu", "bgeu")
		head = fmt.Sprintf("\t%s %s, %s, %s\n", op, g.xs(), g.xs(), l)
	case 3:
		head = fmt.Sprintf("\t%s %s, %s\n", g.pick("c.beqz", "c.bnez"), g.cx(), l)
	case 4:
		head = fmt.Sprintf("\tjal %s, %s\n", g.xd(), l)
	default:
		head = fmt.Sprintf("\tc.j %s\n", l)
	}
	var inner []Item
	for i := 0; i < 1+g.r.IntN(4); i++ {
		inner = append(inner, g.item(false))
	}
	return Item{Head: head, Inner: inner, Tail: l + ":\n"}
}

// Source renders the program with the given stream items.
func (p *Program) Source(items []Item) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# randdiff seed %d\n", p.Seed)
	b.WriteString(`	.section .text
	.globl _start
_start:
	la t0, trap
	csrw mtvec, t0
	la sp, scratch
	addi t0, sp, 512+66*8
	csrw mscratch, t0
	li t0, 0x2000
	csrs mstatus, t0
	addi s0, sp, 256
`)
	fmt.Fprintf(&b, "\tcsrwi frm, %d\n\tcsrwi fflags, %d\n", p.Frm, p.Fflags)
	for i := 0; i < 32; i++ {
		fmt.Fprintf(&b, "\tfld f%d, %d(sp)\n", i, -1024+8*(32+i))
	}
	for i := 1; i < 30; i++ {
		if i == 2 || i == 8 {
			continue
		}
		fmt.Fprintf(&b, "\tld x%d, %d(sp)\n", i, -1024+8*i)
	}
	b.WriteString("\tla t6, trace\n\tli t5, 0\n")
	b.WriteString("# ---- stream ----\n")
	for _, it := range items {
		it.render(&b)
	}
	b.WriteString("# ---- end of stream ----\n")
	b.WriteString(epilogue(outputWords + 3*len(p.Texts)))
	b.WriteString("\t.section .data\n\t.balign 4096\nconsts:\n")
	for _, v := range p.Consts {
		fmt.Fprintf(&b, "\t.dword 0x%016x\n", v)
	}
	b.WriteString("scratch:\n")
	for _, v := range p.Init {
		fmt.Fprintf(&b, "\t.dword 0x%016x\n", v)
	}
	fmt.Fprintf(&b, "dump:\n\t.zero %d\ntrace:\n\t.zero %d\n", 8*dumpWords, 8*3*len(p.Texts)+8)
	return b.String()
}

func epilogue(printWords int) string {
	var b strings.Builder
	b.WriteString("\t.balign 4\n")
	for i := 0; i < 32; i++ {
		fmt.Fprintf(&b, "\tsd x%d, %d(sp)\n", i, 512+8*i)
	}
	for i := 0; i < 32; i++ {
		fmt.Fprintf(&b, "\tfsd f%d, %d(sp)\n", i, 512+256+8*i)
	}
	fmt.Fprintf(&b, `	csrr t0, fcsr
	sd t0, %d(sp)
	# FNV-style checksum of the scratch buffer
	mv a0, sp
	li a1, %d
	li a2, 0xcbf29ce484222325
	li a3, 0x100000001b3
1:	ld a4, 0(a0)
	xor a2, a2, a4
	mul a2, a2, a3
	addi a0, a0, 8
	addi a1, a1, -1
	bnez a1, 1b
	sd a2, %d(sp)
%s
	# trap handler: log mcause/mepc/mtval, skip the instruction
	.balign 4
trap:
	csrrw t0, mscratch, t0
	sd t1, 0(t0)
	sd t2, 8(t0)
	ld t1, 16(t0)
	li t2, %d
	bgeu t1, t2, 1f
	slli t2, t1, 1
	add t2, t2, t1
	slli t2, t2, 3
	add t2, t2, t0
	csrr t1, mcause
	sd t1, 32(t2)
	csrr t1, mepc
	sd t1, 40(t2)
	csrr t1, mtval
	sd t1, 48(t2)
	ld t1, 16(t0)
1:	addi t1, t1, 1
	sd t1, 16(t0)
	csrr t1, mepc
	lhu t2, 0(t1)
	andi t2, t2, 3
	addi t1, t1, 2
	xori t2, t2, 3
	bnez t2, 2f
	addi t1, t1, 2
2:	csrw mepc, t1
	ld t1, 0(t0)
	ld t2, 8(t0)
	csrrw t0, mscratch, t0
	mret
`, 512+64*8, nScratch, 512+65*8, dumpAsm("mv a0, sp", printWords), logEntries)
	return b.String()
}

// dumpAsm is the epilogue both generators end with: it prints n 64-bit
// words, starting where the load instruction leaves a0, between "@" and "$"
// lines in hex over the UART (see ParseOutput), then exits through the
// SiFive finisher.
func dumpAsm(loadA0 string, n int) string {
	return fmt.Sprintf(`	# print n words from a0 in hex between "@" and "$" lines
	li t3, 0x10000000
	li a4, '@'
	sb a4, 0(t3)
	li a4, '\n'
	sb a4, 0(t3)
	%s
	li a1, %d
2:	ld a2, 0(a0)
	li a3, 60
3:	srl a4, a2, a3
	andi a4, a4, 15
	addi a4, a4, '0'
	li a5, '9'
	ble a4, a5, 4f
	addi a4, a4, 'a'-'0'-10
4:	sb a4, 0(t3)
	addi a3, a3, -4
	bgez a3, 3b
	li a4, '\n'
	sb a4, 0(t3)
	addi a0, a0, 8
	addi a1, a1, -1
	bnez a1, 2b
	li a4, '$'
	sb a4, 0(t3)
	li a4, '\n'
	sb a4, 0(t3)
	li t0, 0x100000
	li t1, 0x5555
	sw t1, 0(t0)
5:	j 5b
`, loadA0, n)
}
