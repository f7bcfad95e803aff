package riscv

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"
)

type access uint8

const (
	accRead access = iota
	accWrite
	accExec
)

// PTE bits.
const (
	pteV = 1 << 0
	pteR = 1 << 1
	pteW = 1 << 2
	pteX = 1 << 3
	pteU = 1 << 4
	pteG = 1 << 5
	pteA = 1 << 6
	pteD = 1 << 7
)

func pageFault(a access) uint64 {
	switch a {
	case accWrite:
		return CauseStorePage
	case accExec:
		return CauseFetchPage
	}
	return CauseLoadPage
}

func accessFault(a access) uint64 {
	switch a {
	case accWrite:
		return CauseStoreAccess
	case accExec:
		return CauseFetchAccess
	}
	return CauseLoadAccess
}

// translate turns virtual address va into a physical address for access a
// at privilege priv, walking the page table (and setting A/D bits) if
// needed. On failure it records the exception and returns false.
func (h *Hart) translate(va uint64, a access, priv uint8) (uint64, bool) {
	mode := h.satp >> 60
	if priv == PrivM || mode == 0 {
		return va, true
	}
	levels := int(mode - 5) // Sv39: 3, Sv48: 4, Sv57: 5
	vaBits := uint(12 + 9*levels)
	if top := int64(va) >> (vaBits - 1); top != 0 && top != -1 {
		return 0, h.raise(pageFault(a), va)
	}
	base := (h.satp & (1<<44 - 1)) << 12
	for i := levels - 1; i >= 0; i-- {
		pteAddr := base + (va>>(12+9*uint(i))&0x1ff)*8
		if !h.pmpOK(pteAddr, 8, accRead, PrivS) {
			return 0, h.raise(accessFault(a), va)
		}
		r := h.bus.ramAt(pteAddr)
		if r == nil {
			return 0, h.raise(accessFault(a), va)
		}
		p := (*uint64)(unsafe.Pointer(&r.Data[pteAddr-r.Base]))
		pte := atomic.LoadUint64(p)
		if pte&pteV == 0 || (pte&pteR == 0 && pte&pteW != 0) || pte>>54 != 0 {
			return 0, h.raise(pageFault(a), va)
		}
		if pte&(pteR|pteX) == 0 {
			if i == 0 {
				return 0, h.raise(pageFault(a), va)
			}
			base = (pte >> 10 & (1<<44 - 1)) << 12
			continue
		}
		// A leaf: check permissions.
		if pte&pteU != 0 {
			if priv == PrivS && (a == accExec || h.mstatus&mstatusSUM == 0) {
				return 0, h.raise(pageFault(a), va)
			}
		} else if priv == PrivU {
			return 0, h.raise(pageFault(a), va)
		}
		switch a {
		case accRead:
			if pte&pteR == 0 && !(h.mstatus&mstatusMXR != 0 && pte&pteX != 0) {
				return 0, h.raise(pageFault(a), va)
			}
		case accWrite:
			if pte&pteW == 0 {
				return 0, h.raise(pageFault(a), va)
			}
		case accExec:
			if pte&pteX == 0 {
				return 0, h.raise(pageFault(a), va)
			}
		}
		ppn := pte >> 10 & (1<<44 - 1)
		if i > 0 && ppn&(1<<(9*uint(i))-1) != 0 {
			return 0, h.raise(pageFault(a), va) // misaligned superpage
		}
		// Set A (and D for stores) atomically with respect to other harts.
		want := pte | pteA
		if a == accWrite {
			want |= pteD
		}
		if want != pte {
			if !atomic.CompareAndSwapUint64(p, pte, want) {
				i++ // the PTE changed under us: walk this level again
				continue
			}
			if cp := r.code[(pteAddr-r.Base)/PageSize]; cp != nil {
				cp.invalidate(pteAddr%PageSize, 8)
			}
		}
		off := va & (1<<(12+9*uint(i)) - 1)
		return ppn<<12&^(1<<(12+9*uint(i))-1) | off, true
	}
	return 0, h.raise(pageFault(a), va)
}

// pmpRange returns the byte range [lo, hi) matched by PMP entry i, and
// false if the entry is off.
func (h *Hart) pmpRange(i int) (lo, hi uint64, ok bool) {
	cfg := h.pmpcfg[i]
	switch cfg >> 3 & 3 {
	case 1: // TOR
		if i > 0 {
			lo = h.pmpaddr[i-1] << 2
		}
		return lo, h.pmpaddr[i] << 2, true
	case 2: // NA4
		lo = h.pmpaddr[i] << 2
		return lo, lo + 4, true
	case 3: // NAPOT
		a := h.pmpaddr[i]
		// The number of trailing ones gives the size: 2^(n+3) bytes.
		n := 0
		for n < 54 && a>>uint(n)&1 == 1 {
			n++
		}
		size := uint64(1) << uint(n+3)
		lo = (a &^ (1<<uint(n) - 1)) << 2
		if n >= 54 {
			return 0, ^uint64(0), true
		}
		return lo &^ (size - 1), (lo &^ (size - 1)) + size, true
	}
	return 0, 0, false
}

// pmpAllows applies the permission bits of entry i.
func (h *Hart) pmpAllows(i int, a access, priv uint8) bool {
	cfg := h.pmpcfg[i]
	if priv == PrivM && cfg&0x80 == 0 {
		return true
	}
	switch a {
	case accRead:
		return cfg&1 != 0
	case accWrite:
		return cfg&2 != 0
	}
	return cfg&4 != 0
}

// pmpOK checks a physical access of size bytes against the PMP entries.
func (h *Hart) pmpOK(pa uint64, size int, a access, priv uint8) bool {
	end := pa + uint64(size)
	for i := 0; i < 16; i++ {
		lo, hi, on := h.pmpRange(i)
		if !on || hi <= lo {
			continue
		}
		if pa >= lo && end <= hi {
			return h.pmpAllows(i, a, priv)
		}
		if pa < hi && end > lo {
			return false // partial match
		}
	}
	return priv == PrivM
}

// pmpPageOK reports whether the whole 4 KiB page at pa gets the same PMP
// verdict as one access within it and that verdict allows a, so a fast-path
// TLB entry may cover it.
func (h *Hart) pmpPageOK(pa uint64, a access, priv uint8) bool {
	return h.pmpOK(pa&^(PageSize-1), PageSize, a, priv)
}

func (h *Hart) pmpAddrLocked(i int) bool {
	if h.pmpcfg[i]&0x80 != 0 {
		return true
	}
	if i+1 < 16 && h.pmpcfg[i+1]&0x80 != 0 && h.pmpcfg[i+1]>>3&3 == 1 {
		return true
	}
	return false
}

func (h *Hart) writePmpcfg(i int, v uint8) {
	if h.pmpcfg[i]&0x80 != 0 {
		return
	}
	v &= 0x9f
	if v&3 == 2 { // W without R is reserved: keep the old value
		return
	}
	h.pmpcfg[i] = v
}

// fillTLB installs a fast-path entry for va -> pa if the page is plain RAM
// with a uniform PMP verdict.
func (h *Hart) fillTLB(set *[tlbSize]tlbEntry, va, pa uint64, a access, priv uint8) {
	r := h.bus.ramAt(pa)
	if r == nil {
		return
	}
	page := (pa - r.Base) / PageSize
	if a == accWrite {
		if r.ReadOnly || r.watch[page] || h.reservedByOther(pa&^(PageSize-1)) {
			return
		}
	}
	if !h.pmpPageOK(pa, a, priv) {
		return
	}
	if a == accWrite {
		r.writers[page] |= h.bit
	}
	e := &set[(va>>12)%tlbSize]
	e.tag = va>>12 | h.genTag
	off := page * PageSize
	e.mem = r.Data[off : off+PageSize : off+PageSize]
	e.code = r.code[page]
	e.pa = pa &^ (PageSize - 1)
}

// reservedByOther reports whether another hart holds an LR reservation in the
// physical page.
func (h *Hart) reservedByOther(page uint64) bool {
	for _, o := range h.bus.harts {
		if o != h && o.resvValid && o.resvAddr&^(PageSize-1) == page {
			return true
		}
	}
	return false
}

// load reads size bytes at virtual address va (any alignment).
func (h *Hart) load(va uint64, size int) (uint64, bool) {
	e := &h.dtlb.r[(va>>12)%tlbSize]
	off := va & (PageSize - 1)
	if e.tag == va>>12|h.genTag && off+uint64(size) <= PageSize {
		return readLE(e.mem[off:], size), true
	}
	return h.loadSlow(va, size)
}

func (h *Hart) loadSlow(va uint64, size int) (uint64, bool) {
	if va&(PageSize-1)+uint64(size) > PageSize {
		// Misaligned across a page boundary: byte by byte, in order.
		var v uint64
		for i := 0; i < size; i++ {
			b, ok := h.loadSlow(va+uint64(i), 1)
			if !ok {
				return 0, false
			}
			v |= b << (8 * i)
		}
		return v, true
	}
	priv := h.dataPriv()
	pa, ok := h.translate(va, accRead, priv)
	if !ok {
		return 0, false
	}
	if !h.pmpOK(pa, size, accRead, priv) {
		return 0, h.raise(CauseLoadAccess, va)
	}
	if r := h.bus.ramAt(pa); r != nil {
		h.fillTLB(&h.dtlb.r, va, pa, accRead, priv)
		off := pa - r.Base
		if uint64(size) > uint64(len(r.Data))-off {
			return 0, h.raise(CauseLoadAccess, va)
		}
		return readLE(r.Data[off:], size), true
	}
	if m, off := h.bus.deviceAt(pa); m != nil && off+uint64(size) <= m.size {
		if v, ok := m.dev.Read(off, size); ok {
			return v, true
		}
	}
	return 0, h.raise(CauseLoadAccess, va)
}

// store writes size bytes at virtual address va (any alignment).
func (h *Hart) store(va uint64, size int, v uint64) bool {
	e := &h.dtlb.w[(va>>12)%tlbSize]
	off := va & (PageSize - 1)
	if e.tag == va>>12|h.genTag && off+uint64(size) <= PageSize {
		writeLE(e.mem[off:], size, v)
		if e.code != nil {
			e.code.invalidate(off, size)
		}
		return true
	}
	return h.storeSlow(va, size, v)
}

func (h *Hart) storeSlow(va uint64, size int, v uint64) bool {
	if va&(PageSize-1)+uint64(size) > PageSize {
		// Across a page boundary: translate both pages first so that a
		// fault leaves memory untouched.
		priv := h.dataPriv()
		second := (va | (PageSize - 1)) + 1
		if _, ok := h.translate(va, accWrite, priv); !ok {
			return false
		}
		if _, ok := h.translate(second, accWrite, priv); !ok {
			return false
		}
		for i := 0; i < size; i++ {
			if !h.storeSlow(va+uint64(i), 1, v>>(8*i)) {
				return false
			}
		}
		return true
	}
	priv := h.dataPriv()
	pa, ok := h.translate(va, accWrite, priv)
	if !ok {
		return false
	}
	if !h.pmpOK(pa, size, accWrite, priv) {
		return h.raise(CauseStoreAccess, va)
	}
	if r := h.bus.ramAt(pa); r != nil {
		off := pa - r.Base
		if r.ReadOnly || uint64(size) > uint64(len(r.Data))-off {
			return h.raise(CauseStoreAccess, va)
		}
		h.fillTLB(&h.dtlb.w, va, pa, accWrite, priv)
		writeLE(r.Data[off:], size, v)
		page := off / PageSize
		if cp := r.code[page]; cp != nil {
			cp.invalidate(off%PageSize, size)
		}
		h.storeHooks(pa, size, r.watch[page])
		return true
	}
	if m, off := h.bus.deviceAt(pa); m != nil && off+uint64(size) <= m.size {
		if m.dev.Write(off, size, v) {
			return true
		}
	}
	return h.raise(CauseStoreAccess, va)
}

// storeHooks runs after a slow-path RAM store: it breaks other harts'
// reservations on the granule and calls store watches.
func (h *Hart) storeHooks(pa uint64, size int, watched bool) {
	if len(h.bus.harts) > 1 {
		for _, o := range h.bus.harts {
			if o != h && o.resvValid && o.resvAddr < pa+uint64(size) && pa < o.resvAddr+8 {
				o.resvValid = false
			}
		}
	}
	if watched {
		for _, w := range h.bus.watches {
			if pa < w.base+w.size && w.base < pa+uint64(size) {
				w.fn(h)
			}
		}
	}
}

// amoAddr translates the address of an atomic for a read-modify-write and
// returns a pointer to the host word. Atomics must be naturally aligned and
// target RAM.
func (h *Hart) amoAddr(va uint64, size int, write bool) ([]byte, uint64, bool) {
	if va&uint64(size-1) != 0 {
		if write {
			return nil, 0, h.raise(CauseMisalignedStore, va)
		}
		return nil, 0, h.raise(CauseMisalignedLoad, va)
	}
	set := &h.dtlb.r
	if write {
		set = &h.dtlb.w
	}
	if e := &set[(va>>12)%tlbSize]; e.tag == va>>12|h.genTag {
		off := va & (PageSize - 1)
		return e.mem[off : off+uint64(size)], e.pa | off, true
	}
	priv := h.dataPriv()
	a := accRead
	if write {
		a = accWrite
	}
	pa, ok := h.translate(va, a, priv)
	if !ok {
		return nil, 0, false
	}
	fault := uint64(CauseLoadAccess)
	if write {
		fault = CauseStoreAccess
	}
	if !h.pmpOK(pa, size, a, priv) {
		return nil, 0, h.raise(fault, va)
	}
	r := h.bus.ramAt(pa)
	if r == nil || (write && r.ReadOnly) {
		return nil, 0, h.raise(fault, va)
	}
	h.fillTLB(set, va, pa, a, priv)
	off := pa - r.Base
	return r.Data[off : off+uint64(size)], pa, true
}

// amoDone finishes a store done by an atomic: decoded-code invalidation,
// reservations and watches.
func (h *Hart) amoDone(pa uint64, size int) {
	r := h.bus.ramAt(pa)
	off := pa - r.Base
	if cp := r.code[off/PageSize]; cp != nil {
		cp.invalidate(off%PageSize, size)
	}
	h.storeHooks(pa, size, r.watch[off/PageSize])
}

func le32(p []byte) uint32     { return binary.LittleEndian.Uint32(p) }
func le64(p []byte) uint64     { return binary.LittleEndian.Uint64(p) }
func put32(p []byte, v uint32) { binary.LittleEndian.PutUint32(p, v) }
func put64(p []byte, v uint64) { binary.LittleEndian.PutUint64(p, v) }

// fetchPage returns the decoded-instruction page for the virtual page of pc,
// refilling the fetch TLB on a miss.
func (h *Hart) fetchPage(pc uint64) (*codePage, []byte, bool) {
	e := &h.itlb.x[(pc>>12)%tlbSize]
	if e.tag == pc>>12|h.genTag {
		h.fetchCP = e.code
		return e.code, e.mem, true
	}
	pa, ok := h.translate(pc, accExec, h.Priv)
	if !ok {
		return nil, nil, false
	}
	if !h.pmpOK(pa, 2, accExec, h.Priv) {
		return nil, nil, h.raise(CauseFetchAccess, pc)
	}
	r := h.bus.ramAt(pa)
	if r == nil {
		return nil, nil, h.raise(CauseFetchAccess, pc)
	}
	page := (pa - r.Base) / PageSize
	cp := r.code[page]
	if cp == nil {
		cp = new(codePage)
		r.code[page] = cp
		// Stores to this page must now invalidate decoded slots: drop every
		// hart's write fast-path entries for it so they pick up cp.
		h.bus.dropWriters(pa, nil)
	}
	off := page * PageSize
	mem := r.Data[off : off+PageSize : off+PageSize]
	h.fetchCP = cp
	if h.pmpPageOK(pa, accExec, h.Priv) {
		e.tag = pc>>12 | h.genTag
		e.mem = mem
		e.code = cp
		e.pa = pa &^ (PageSize - 1)
	} else {
		// Only part of the page is executable: the caller must not keep
		// using this page without checking again.
		h.fetchCP = nil
	}
	return cp, mem, true
}

// Size-specialized fast paths, small enough for the compiler to inline into
// the interpreter loop; a miss falls back to the general slow path.

func (h *Hart) load8(va uint64) (uint64, bool) {
	if e := &h.dtlb.r[(va>>12)%tlbSize]; e.tag == va>>12|h.genTag {
		return uint64(e.mem[va&(PageSize-1)]), true
	}
	return h.loadSlow(va, 1)
}

func (h *Hart) load16(va uint64) (uint64, bool) {
	if e := &h.dtlb.r[(va>>12)%tlbSize]; e.tag == va>>12|h.genTag && va&(PageSize-1) <= PageSize-2 {
		return uint64(binary.LittleEndian.Uint16(e.mem[va&(PageSize-1):])), true
	}
	return h.loadSlow(va, 2)
}

func (h *Hart) load32(va uint64) (uint64, bool) {
	if e := &h.dtlb.r[(va>>12)%tlbSize]; e.tag == va>>12|h.genTag && va&(PageSize-1) <= PageSize-4 {
		return uint64(binary.LittleEndian.Uint32(e.mem[va&(PageSize-1):])), true
	}
	return h.loadSlow(va, 4)
}

func (h *Hart) load64(va uint64) (uint64, bool) {
	if e := &h.dtlb.r[(va>>12)%tlbSize]; e.tag == va>>12|h.genTag && va&(PageSize-1) <= PageSize-8 {
		return binary.LittleEndian.Uint64(e.mem[va&(PageSize-1):]), true
	}
	return h.loadSlow(va, 8)
}

func (h *Hart) store8(va, v uint64) bool {
	if e := &h.dtlb.w[(va>>12)%tlbSize]; e.tag == va>>12|h.genTag && e.code == nil {
		e.mem[va&(PageSize-1)] = byte(v)
		return true
	}
	return h.store(va, 1, v)
}

func (h *Hart) store16(va, v uint64) bool {
	if e := &h.dtlb.w[(va>>12)%tlbSize]; e.tag == va>>12|h.genTag && e.code == nil && va&(PageSize-1) <= PageSize-2 {
		binary.LittleEndian.PutUint16(e.mem[va&(PageSize-1):], uint16(v))
		return true
	}
	return h.store(va, 2, v)
}

func (h *Hart) store32(va, v uint64) bool {
	if e := &h.dtlb.w[(va>>12)%tlbSize]; e.tag == va>>12|h.genTag && e.code == nil && va&(PageSize-1) <= PageSize-4 {
		binary.LittleEndian.PutUint32(e.mem[va&(PageSize-1):], uint32(v))
		return true
	}
	return h.store(va, 4, v)
}

func (h *Hart) store64(va, v uint64) bool {
	if e := &h.dtlb.w[(va>>12)%tlbSize]; e.tag == va>>12|h.genTag && e.code == nil && va&(PageSize-1) <= PageSize-8 {
		binary.LittleEndian.PutUint64(e.mem[va&(PageSize-1):], v)
		return true
	}
	return h.store(va, 8, v)
}
