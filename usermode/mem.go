package usermode

import (
	"errors"
	"fmt"
	"sort"
	"syscall"

	"strata/riscv"
)

const pageSize = riscv.PageSize

func pageDown(a uint64) uint64 { return a &^ (pageSize - 1) }
func pageUp(a uint64) uint64   { return (a + pageSize - 1) &^ (pageSize - 1) }

// span is a half-open guest address range [lo, hi).
type span struct{ lo, hi uint64 }

// spanSet is a sorted list of disjoint, non-adjacent spans.
type spanSet []span

// add inserts [lo, hi), merging with overlapping and adjacent spans.
func (s spanSet) add(lo, hi uint64) spanSet {
	if lo >= hi {
		return s
	}
	out := make(spanSet, 0, len(s)+1)
	for _, x := range s {
		if x.hi < lo || x.lo > hi {
			out = append(out, x)
			continue
		}
		lo, hi = min(lo, x.lo), max(hi, x.hi)
	}
	out = append(out, span{lo, hi})
	sort.Slice(out, func(i, j int) bool { return out[i].lo < out[j].lo })
	return out
}

// remove deletes [lo, hi), splitting spans as needed.
func (s spanSet) remove(lo, hi uint64) spanSet {
	out := make(spanSet, 0, len(s)+1)
	for _, x := range s {
		if x.hi <= lo || x.lo >= hi {
			out = append(out, x)
			continue
		}
		if x.lo < lo {
			out = append(out, span{x.lo, lo})
		}
		if x.hi > hi {
			out = append(out, span{hi, x.hi})
		}
	}
	return out
}

// overlaps reports whether any span intersects [lo, hi).
func (s spanSet) overlaps(lo, hi uint64) bool {
	for _, x := range s {
		if x.lo < hi && lo < x.hi {
			return true
		}
	}
	return false
}

// covers reports whether [lo, hi) lies entirely inside the set.
func (s spanSet) covers(lo, hi uint64) bool {
	for _, x := range s {
		if x.lo <= lo && hi <= x.hi {
			return true
		}
	}
	return lo >= hi
}

// Address-space layout. With satp = 0 guest virtual addresses are bus
// (physical) addresses, so every mapping is a RAM region on the bus.
const (
	trapPage    = 0x3f_ffff_f000 // M-mode trap vector: a WFI that stops Run
	clearResv   = 8              // offset in the trap page of an SC that drops the reservation
	stackTop    = trapPage
	stackSize   = 8 << 20
	mmapBase    = 0x10_0000_0000 // anonymous mmaps without a usable hint go here, upwards
	mmapLimit   = 0x3f_0000_0000
	minChunk    = 64 << 20    // backing RAM is added at least this much at a time
	maxBacking  = 256 << 30   // total host virtual memory the guest may reserve
	staticDynLo = 0x4000_0000 // load bias of a static-pie (ET_DYN) executable
	maxAddr     = 1 << 56     // highest address a hint may reach
)

// addrSpace manages the guest's mappings (vmas: what the guest believes is
// mapped) and the bus RAM regions backing them (backing: never removed,
// because the bus cannot unmap). A vma is always backed; backing may extend
// beyond the vmas, so regions stay few and large (the bus looks regions up
// linearly).
type addrSpace struct {
	bus     *riscv.Bus
	rams    []*riscv.RAM
	backing spanSet
	vmas    spanSet
	total   uint64
	brkBase uint64
	brk     uint64
}

var errNoMem = errors.New("out of guest address space")

// ensureBacked adds RAM regions so that every page of [lo, hi) is backed.
// A gap at the end of the backing grows to at least minChunk when it can.
func (as *addrSpace) ensureBacked(lo, hi uint64, grow bool) error {
	lo, hi = pageDown(lo), pageUp(hi)
	for a := lo; a < hi; {
		// skip backed part
		inside := false
		for _, b := range as.backing {
			if b.lo <= a && a < b.hi {
				a = b.hi
				inside = true
				break
			}
		}
		if inside {
			continue
		}
		// a is the start of a gap; find where the next backing begins
		next := ^uint64(0)
		for _, b := range as.backing {
			if b.lo > a && b.lo < next {
				next = b.lo
			}
		}
		end := min(hi, next)
		if grow && end-a < minChunk {
			want := a + minChunk
			if want < a { // overflow
				want = ^uint64(0) &^ (pageSize - 1)
			}
			end = max(end, min(next, want))
			if end <= a {
				end = min(hi, next)
			}
		}
		if as.total+(end-a) > maxBacking {
			return errNoMem
		}
		r, err := as.bus.AddRAM(a, end-a)
		if err != nil {
			return fmt.Errorf("backing %#x-%#x: %w", a, end, err)
		}
		as.rams = append(as.rams, r)
		as.backing = as.backing.add(a, end)
		as.total += end - a
		a = end
	}
	return nil
}

// mapFixed maps [lo, hi) (page aligned) as fresh zeroed memory.
func (as *addrSpace) mapFixed(lo, hi uint64, grow bool) error {
	if err := as.ensureBacked(lo, hi, grow); err != nil {
		return err
	}
	if as.vmas.overlaps(lo, hi) {
		as.zero(lo, hi)
	}
	as.vmas = as.vmas.add(lo, hi)
	return nil
}

// findFree returns the lowest free range of n bytes at or above mmapBase.
func (as *addrSpace) findFree(n uint64) (uint64, bool) {
	a := uint64(mmapBase)
	for _, v := range as.vmas {
		if v.hi <= a {
			continue
		}
		if v.lo >= a+n {
			break
		}
		a = v.hi
	}
	if a+n > mmapLimit || a+n < a {
		return 0, false
	}
	return a, true
}

// mmap implements anonymous mmap: MAP_FIXED replaces, a free hint is
// honoured, otherwise the lowest free range above mmapBase is used.
func (as *addrSpace) mmap(hint, length uint64, fixed bool) (uint64, error) {
	n := pageUp(length)
	if n == 0 || n < length {
		return 0, syscall.EINVAL
	}
	if fixed {
		if hint%pageSize != 0 || hint+n < hint {
			return 0, syscall.EINVAL
		}
		return hint, as.mapFixed(hint, hint+n, false)
	}
	if hint != 0 {
		hint = pageDown(hint)
		if hint+n > hint && hint+n <= maxAddr && hint >= 0x10000 && !as.vmas.overlaps(hint, hint+n) {
			if err := as.mapFixed(hint, hint+n, true); err == nil {
				return hint, nil
			}
		}
	}
	a, ok := as.findFree(n)
	if !ok {
		return 0, syscall.ENOMEM
	}
	return a, as.mapFixed(a, a+n, true)
}

// munmap forgets [lo, hi) and releases its host pages (the backing stays).
func (as *addrSpace) munmap(lo, hi uint64) {
	as.zero(lo, hi)
	as.vmas = as.vmas.remove(lo, hi)
}

// zero makes [lo, hi) (page aligned) read as zero, releasing host memory.
func (as *addrSpace) zero(lo, hi uint64) {
	for _, r := range as.rams {
		rlo, rhi := r.Base, r.Base+uint64(len(r.Data))
		a, b := max(lo, rlo), min(hi, rhi)
		if a >= b {
			continue
		}
		buf := r.Data[a-rlo : b-rlo]
		if syscall.Madvise(buf, syscall.MADV_DONTNEED) != nil {
			clear(buf)
		}
		as.bus.Invalidate(a, b-a)
	}
}

// setBrk implements brk: growing maps zeroed pages after the program's
// data; shrinking unmaps. It returns the new (or unchanged) break.
func (as *addrSpace) setBrk(a uint64) uint64 {
	if a < as.brkBase {
		return as.brk
	}
	oldTop, newTop := pageUp(as.brk), pageUp(a)
	switch {
	case newTop > oldTop:
		if as.vmas.overlaps(oldTop, newTop) || as.mapFixed(oldTop, newTop, true) != nil {
			return as.brk
		}
	case newTop < oldTop:
		as.munmap(newTop, oldTop)
	}
	as.brk = a
	return a
}

// read copies n guest bytes at a.
func (as *addrSpace) read(a, n uint64) ([]byte, error) {
	out := make([]byte, 0, n)
	for n > 0 {
		chunk := min(n, pageSize-a%pageSize)
		b, ok := as.bus.Slice(a, chunk)
		if !ok {
			return nil, syscall.EFAULT
		}
		out = append(out, b...)
		a += chunk
		n -= chunk
	}
	return out, nil
}

// write copies p into guest memory at a.
func (as *addrSpace) write(a uint64, p []byte) error {
	start, total := a, uint64(len(p))
	for len(p) > 0 {
		chunk := min(uint64(len(p)), pageSize-a%pageSize)
		b, ok := as.bus.Slice(a, chunk)
		if !ok {
			return syscall.EFAULT
		}
		copy(b, p)
		p = p[chunk:]
		a += chunk
	}
	as.bus.Invalidate(start, total)
	return nil
}

// buffer returns host bytes for [a, a+n): the RAM itself when the range is
// in one region (direct, zero copy), else nil.
func (as *addrSpace) direct(a, n uint64) []byte {
	if n == 0 {
		return nil
	}
	b, ok := as.bus.Slice(a, n)
	if !ok {
		return nil
	}
	return b
}

func (as *addrSpace) u32(a uint64) (uint32, error) {
	v, ok := as.bus.Read(a, 4)
	if !ok || a%4 != 0 {
		return 0, syscall.EFAULT
	}
	return uint32(v), nil
}

func (as *addrSpace) u64(a uint64) (uint64, error) {
	v, ok := as.bus.Read(a, 8)
	if !ok {
		return 0, syscall.EFAULT
	}
	return v, nil
}

func (as *addrSpace) put32(a uint64, v uint32) error {
	if !as.bus.Write(a, 4, uint64(v)) {
		return syscall.EFAULT
	}
	return nil
}

func (as *addrSpace) put64(a uint64, v uint64) error {
	if !as.bus.Write(a, 8, v) {
		return syscall.EFAULT
	}
	return nil
}

// cstring reads a NUL-terminated string (at most 4096 bytes).
func (as *addrSpace) cstring(a uint64) (string, error) {
	var out []byte
	for len(out) < 4096 {
		chunk := pageSize - a%pageSize
		b, ok := as.bus.Slice(a, chunk)
		if !ok {
			return "", syscall.EFAULT
		}
		for i, c := range b {
			if c == 0 {
				return string(append(out, b[:i]...)), nil
			}
		}
		out = append(out, b...)
		a += chunk
	}
	return "", syscall.ENAMETOOLONG
}
