package sbi

import (
	"encoding/binary"
	"math/bits"

	"strata/riscv"
)

// maxLegacyWords bounds the legacy hart-mask bit vector: hart IDs from 4096
// up cannot be named by the legacy calls.
const maxLegacyWords = 64

// legacy answers the SBI v0.1 extensions (EIDs 0x00..0x08): the FID is
// ignored, the result is a0 only.
func (s *SBI) legacy(i int, eid uint64) int64 {
	h := s.harts[i].h
	switch eid {
	case EIDLegacySetTimer:
		s.setTimer(i, h.X[10])
	case EIDLegacyPutchar:
		s.putc(byte(h.X[10]))
	case EIDLegacyGetchar:
		if s.p.ConsoleRead(s.buf[:]) <= 0 {
			return -1
		}
		return int64(s.buf[0])
	case EIDLegacyClearIPI:
		mip, _ := h.CSR(riscv.CSRMip)
		h.SetPending(riscv.MipSSIP, false)
		if mip&riscv.MipSSIP != 0 {
			return 1
		}
	case EIDLegacySendIPI:
		return s.legacyMask(h, h.X[10], sendIPI)
	case EIDLegacyRemoteFenceI, EIDLegacyRemoteSfence, EIDLegacyRemoteSfenceID:
		return s.legacyMask(h, h.X[10], flush)
	case EIDLegacyShutdown:
		s.shutdown(i, ResetShutdown, ReasonNone)
	}
	return Success
}

// legacyMask applies fn to the harts named by the legacy hart mask: a
// bit vector of unsigned longs at the guest virtual address va (hart ID n
// is bit n%64 of word n/64). A null pointer names every hart, as in other
// SBI implementations. The vector is read through the caller's address
// translation (see readULong); a mask that cannot be read gives
// ErrInvalidAddress, a bit for a hart that does not exist ErrInvalidParam,
// and in both cases no hart is touched.
func (s *SBI) legacyMask(h *riscv.Hart, va uint64, fn func(st *hart)) int64 {
	if va == 0 {
		return s.forMask(0, ^uint64(0), fn)
	}
	var words [maxLegacyWords]uint64
	n := min(s.maxID/64+1, maxLegacyWords)
	for w := uint64(0); w < n; w++ {
		v, ok := s.readULong(h, va+8*w)
		if !ok {
			return ErrInvalidAddress
		}
		for m := v; m != 0; m &= m - 1 {
			if _, ok := s.byID[64*w+uint64(bits.TrailingZeros64(m))]; !ok {
				return ErrInvalidParam
			}
		}
		words[w] = v
	}
	for w := uint64(0); w < n; w++ {
		s.forMask(words[w], 64*w, fn)
	}
	return Success
}

// readULong reads the aligned 8-byte word at guest virtual address va as an
// S-mode load by h would see it. With satp bare the address is physical.
// Otherwise strata walks the guest's page table itself (Sv39/48/57) from
// satp, reading PTEs from guest RAM: it applies the S-mode load rules (V,
// R or X with MXR, U pages only with SUM, reserved bits, misaligned
// superpages) but does not set A bits and does not consult PMP (the SBI is
// the party that configured PMP to allow all of RAM). Only RAM can be
// read: an address that maps to MMIO fails instead of touching a device.
func (s *SBI) readULong(h *riscv.Hart, va uint64) (uint64, bool) {
	if va&7 != 0 {
		return 0, false
	}
	pa, ok := s.translate(h, va)
	if !ok {
		return 0, false
	}
	return s.ram64(pa)
}

func (s *SBI) ram64(pa uint64) (uint64, bool) {
	p, ok := s.bus.Slice(pa, 8)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint64(p), true
}

// PTE bits.
const (
	pteV = 1 << 0
	pteR = 1 << 1
	pteW = 1 << 2
	pteX = 1 << 3
	pteU = 1 << 4
)

// translate maps va for an S-mode load on h.
func (s *SBI) translate(h *riscv.Hart, va uint64) (uint64, bool) {
	satp, _ := h.CSR(riscv.CSRSatp)
	mode := satp >> 60
	if mode == 0 {
		return va, true
	}
	if mode < 8 || mode > 10 {
		return 0, false
	}
	levels := uint(mode - 5) // Sv39: 3, Sv48: 4, Sv57: 5
	vaBits := 12 + 9*levels
	if top := int64(va) >> (vaBits - 1); top != 0 && top != -1 {
		return 0, false
	}
	mstatus, _ := h.CSR(riscv.CSRMstatus)
	base := (satp & (1<<44 - 1)) << 12
	for i := int(levels) - 1; i >= 0; i-- {
		shift := 12 + 9*uint(i)
		pte, ok := s.ram64(base + (va>>shift&0x1ff)*8)
		if !ok || pte&pteV == 0 || (pte&pteR == 0 && pte&pteW != 0) || pte>>54 != 0 {
			return 0, false
		}
		ppn := pte >> 10 & (1<<44 - 1)
		if pte&(pteR|pteX) == 0 {
			if i == 0 {
				return 0, false
			}
			base = ppn << 12
			continue
		}
		if pte&pteU != 0 && mstatus&mstatusSUM == 0 {
			return 0, false
		}
		if pte&pteR == 0 && !(mstatus&mstatusMXR != 0 && pte&pteX != 0) {
			return 0, false
		}
		if ppn&(1<<(9*uint(i))-1) != 0 {
			return 0, false // misaligned superpage
		}
		return ppn<<12&^(1<<shift-1) | va&(1<<shift-1), true
	}
	return 0, false
}
