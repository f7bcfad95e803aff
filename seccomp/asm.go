package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// prog is a classic BPF program under construction with symbolic, forward
// jump targets. assemble lays it out; a conditional jump whose target is
// more than 255 instructions away (jt/jf are 8 bits) is given a
// trampoline: an unconditional BPF_JA (32-bit offset) placed right after it.
type prog struct {
	ins     []insn
	labels  []int // label id -> index in ins of the instruction it marks
	nlabels int
}

// insn is one instruction; for jumps jt/jf are label ids, or -1 for the
// next instruction.
type insn struct {
	code   uint16
	k      uint32
	jt, jf int
}

func (p *prog) label() int {
	p.nlabels++
	return p.nlabels - 1
}

func (p *prog) mark(l int) {
	for len(p.labels) < p.nlabels {
		p.labels = append(p.labels, -1)
	}
	p.labels[l] = len(p.ins)
}

func (p *prog) stmt(code uint16, k uint32) {
	p.ins = append(p.ins, insn{code: code, k: k, jt: -1, jf: -1})
}

func (p *prog) load(off uint32) { p.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, off) }
func (p *prog) ret(k uint32)    { p.stmt(unix.BPF_RET|unix.BPF_K, k) }

// jump emits a conditional jump (BPF_JMP|op); jt/jf are labels or -1.
func (p *prog) jump(op uint16, k uint32, jt, jf int) {
	p.ins = append(p.ins, insn{code: unix.BPF_JMP | op, k: k, jt: jt, jf: jf})
}

// cond emits the test of one argument condition: it falls through when the
// condition holds and jumps to fail otherwise. 64-bit values are compared
// unsigned, high half (args[i] at offset 16+8i+4, little-endian) first.
func (p *prog) cond(c specs.LinuxSeccompArg, fail int) {
	lo := offArgs + 8*uint32(c.Index)
	hi := lo + 4
	v := c.Value
	vhi, vlo := uint32(v>>32), uint32(v)
	pass := p.label()
	const (
		jeq = unix.BPF_JEQ | unix.BPF_K
		jgt = unix.BPF_JGT | unix.BPF_K
		jge = unix.BPF_JGE | unix.BPF_K
	)
	switch c.Op {
	case specs.OpEqualTo:
		p.load(hi)
		p.jump(jeq, vhi, -1, fail)
		p.load(lo)
		p.jump(jeq, vlo, pass, fail)
	case specs.OpNotEqual:
		p.load(hi)
		p.jump(jeq, vhi, -1, pass)
		p.load(lo)
		p.jump(jeq, vlo, fail, pass)
	case specs.OpGreaterThan, specs.OpGreaterEqual:
		p.load(hi)
		p.jump(jgt, vhi, pass, -1)
		p.jump(jeq, vhi, -1, fail)
		p.load(lo)
		op := uint16(jgt)
		if c.Op == specs.OpGreaterEqual {
			op = jge
		}
		p.jump(op, vlo, pass, fail)
	case specs.OpLessThan, specs.OpLessEqual:
		p.load(hi)
		p.jump(jgt, vhi, fail, -1)
		p.jump(jeq, vhi, -1, pass)
		p.load(lo)
		op := uint16(jge) // a < v fails when a >= v
		if c.Op == specs.OpLessEqual {
			op = jgt // a <= v fails when a > v
		}
		p.jump(op, vlo, fail, pass)
	case specs.OpMaskedEqual:
		m := v
		want := c.ValueTwo
		p.load(hi)
		p.stmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, uint32(m>>32))
		p.jump(jeq, uint32(want>>32), -1, fail)
		p.load(lo)
		p.stmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, uint32(m))
		p.jump(jeq, uint32(want), pass, fail)
	default:
		panic("seccomp: unchecked operator " + string(c.Op))
	}
	p.mark(pass)
}

// assemble resolves labels and inserts trampolines for far jumps.
func (p *prog) assemble() ([]unix.SockFilter, error) {
	for len(p.labels) < p.nlabels {
		p.labels = append(p.labels, -1)
	}
	n := len(p.ins)
	target := func(i, l int) (int, error) {
		if l < 0 {
			return i + 1, nil
		}
		t := p.labels[l]
		if t < 0 {
			return 0, fmt.Errorf("seccomp: internal error: label %d never placed", l)
		}
		if t <= i || t > n {
			return 0, fmt.Errorf("seccomp: internal error: jump from %d to %d is not forward", i, t)
		}
		return t, nil
	}
	// far[i] bit 0: jt needs a trampoline; bit 1: jf does.
	far := make([]uint8, n)
	pos := make([]int, n+1)
	for {
		at := 0
		for i := range p.ins {
			pos[i] = at
			at += 1 + int(far[i]&1) + int(far[i]>>1)
		}
		pos[n] = at
		changed := false
		for i, in := range p.ins {
			if in.code&0x07 != unix.BPF_JMP || in.code&0xf0 == unix.BPF_JA {
				continue
			}
			for bit, l := range [2]int{in.jt, in.jf} {
				t, err := target(i, l)
				if err != nil {
					return nil, err
				}
				if far[i]&(1<<bit) == 0 && pos[t]-(pos[i]+1) > 255 {
					far[i] |= 1 << bit
					changed = true
				}
			}
		}
		if !changed {
			break
		}
	}
	out := make([]unix.SockFilter, 0, pos[n])
	for i, in := range p.ins {
		if in.code&0x07 != unix.BPF_JMP || in.code&0xf0 == unix.BPF_JA {
			out = append(out, unix.SockFilter{Code: in.code, K: in.k})
			continue
		}
		tt, _ := target(i, in.jt)
		tf, _ := target(i, in.jf)
		self := pos[i]
		f := unix.SockFilter{Code: in.code, K: in.k}
		var tramp []unix.SockFilter
		slot := self + 1
		if far[i]&1 != 0 {
			f.Jt = uint8(slot - (self + 1))
			tramp = append(tramp, unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JA, K: uint32(pos[tt] - (slot + 1))})
			slot++
		} else {
			f.Jt = uint8(pos[tt] - (self + 1))
		}
		if far[i]&2 != 0 {
			f.Jf = uint8(slot - (self + 1))
			tramp = append(tramp, unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JA, K: uint32(pos[tf] - (slot + 1))})
		} else {
			f.Jf = uint8(pos[tf] - (self + 1))
		}
		// Non-far targets were measured from self; trampolines sit
		// between, and pos already accounts for them.
		out = append(out, f)
		out = append(out, tramp...)
	}
	return out, nil
}
