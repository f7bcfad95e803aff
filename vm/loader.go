package vm

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"

	"strata/riscv"
)

// Image is a program loaded into guest memory.
type Image struct {
	Entry   uint64
	Symbols map[string]uint64 // from the ELF symbol table; nil for raw images
	Low     uint64            // lowest loaded address
	High    uint64            // one past the highest loaded address
}

// ErrBadELF wraps every reason an ELF file is refused.
var ErrBadELF = errors.New("bad ELF")

// LoadELF copies the PT_LOAD segments of a RISC-V 64-bit ELF executable into
// guest-physical memory (zeroing bss) and returns its entry point and
// symbols. Segments are placed at their physical addresses (p_paddr). A
// malformed file or one that does not fit in RAM is refused with an error
// wrapping ErrBadELF; memory is only written once the whole file checks out.
func LoadELF(bus *riscv.Bus, data []byte) (img *Image, err error) {
	return loadELF(bus, data, false, 0)
}

// LoadELFAt loads an ELF like LoadELF but moves the whole image so that its
// lowest segment starts at base (the entry point moves with it). Kernels
// linked at virtual addresses (a Linux vmlinux, at 0xffffffff80000000) load
// this way, at the address their Image would use.
func LoadELFAt(bus *riscv.Bus, data []byte, base uint64) (*Image, error) {
	return loadELF(bus, data, true, base)
}

func loadELF(bus *riscv.Bus, data []byte, relocate bool, base uint64) (img *Image, err error) {
	defer func() {
		// debug/elf is robust, but a loader must never take the host down.
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("%w: %v", ErrBadELF, r)
		}
	}()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadELF, err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_RISCV || f.Data != elf.ELFDATA2LSB {
		return nil, fmt.Errorf("%w: not a little-endian 64-bit RISC-V ELF (class %v, machine %v)", ErrBadELF, f.Class, f.Machine)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return nil, fmt.Errorf("%w: type %v is not executable", ErrBadELF, f.Type)
	}
	type seg struct {
		addr uint64
		file []byte
		mem  uint64
	}
	var segs []seg
	img = &Image{Entry: f.Entry, Low: ^uint64(0)}
	var delta uint64 // added to every address when relocating
	if relocate {
		low := ^uint64(0)
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && p.Memsz != 0 {
				low = min(low, p.Paddr)
			}
		}
		delta = base - low
		img.Entry += delta
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Memsz == 0 {
			continue
		}
		if p.Filesz > p.Memsz {
			return nil, fmt.Errorf("%w: segment at %#x has filesz %#x > memsz %#x", ErrBadELF, p.Paddr, p.Filesz, p.Memsz)
		}
		if p.Off > uint64(len(data)) || p.Filesz > uint64(len(data))-p.Off {
			return nil, fmt.Errorf("%w: segment at %#x extends past the end of the file", ErrBadELF, p.Paddr)
		}
		if p.Paddr+delta+p.Memsz < p.Paddr+delta {
			return nil, fmt.Errorf("%w: segment at %#x wraps around the address space", ErrBadELF, p.Paddr)
		}
		addr, file, memsz := p.Paddr+delta, data[p.Off:p.Off+p.Filesz], p.Memsz
		if _, ok := bus.Slice(addr, memsz); !ok {
			// Linkers often put the ELF headers in the first segment, in the
			// page below the text: drop a head that lies below RAM as long
			// as the rest of the segment fits.
			start, ok := ramStartIn(bus, addr, memsz)
			if !ok {
				return nil, fmt.Errorf("%w: segment [%#x, %#x) is not inside guest RAM", ErrBadELF, addr, addr+memsz)
			}
			skip := start - addr
			file = file[min(skip, uint64(len(file))):]
			addr, memsz = start, memsz-skip
		}
		segs = append(segs, seg{addr, file, memsz})
		img.Low = min(img.Low, addr)
		img.High = max(img.High, addr+memsz)
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("%w: no loadable segments", ErrBadELF)
	}
	for _, s := range segs {
		mem, _ := bus.Slice(s.addr, s.mem)
		n := copy(mem, s.file)
		clear(mem[n:])
		bus.Invalidate(s.addr, s.mem)
	}
	img.Symbols = map[string]uint64{}
	if syms, err := f.Symbols(); err == nil {
		for _, s := range syms {
			if s.Name != "" {
				img.Symbols[s.Name] = s.Value
			}
		}
	}
	return img, nil
}

// LoadRaw copies a raw binary to addr; execution starts at addr.
func LoadRaw(bus *riscv.Bus, data []byte, addr uint64) (*Image, error) {
	if _, ok := bus.Slice(addr, uint64(len(data))); !ok {
		return nil, fmt.Errorf("raw image of %d bytes at %#x does not fit in guest RAM", len(data), addr)
	}
	if err := bus.LoadBytes(addr, data); err != nil {
		return nil, err
	}
	return &Image{Entry: addr, Low: addr, High: addr + uint64(len(data))}, nil
}

// IsELF reports whether data starts with the ELF magic.
func IsELF(data []byte) bool { return len(data) >= 4 && string(data[:4]) == elf.ELFMAG }

// ramStartIn finds the first page-aligned address in [addr, addr+size) from
// which the rest of the range is inside one RAM region.
func ramStartIn(bus *riscv.Bus, addr, size uint64) (uint64, bool) {
	end := addr + size
	for a := (addr + riscv.PageSize - 1) &^ (riscv.PageSize - 1); a < end; a += riscv.PageSize {
		if _, ok := bus.Slice(a, end-a); ok {
			return a, true
		}
	}
	return 0, false
}
