package usermode

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
)

// image describes a loaded executable.
type image struct {
	entry  uint64
	phdr   uint64 // address of the program headers in guest memory
	phent  uint64
	phnum  uint64
	bias   uint64
	brk    uint64 // end of the highest segment
	loaded []span
}

// loadELF maps the PT_LOAD segments of a static riscv64 executable.
func loadELF(as *addrSpace, data []byte) (*image, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not a valid ELF file: %w", err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_RISCV || f.Data != elf.ELFDATA2LSB {
		return nil, fmt.Errorf("not a riscv64 little-endian ELF (class %v, machine %v)", f.Class, f.Machine)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return nil, fmt.Errorf("ELF type %v is not executable", f.Type)
	}
	img := &image{phent: 56, phnum: uint64(len(f.Progs))}
	if f.Type == elf.ET_DYN {
		img.bias = staticDynLo
	}
	var phoff uint64
	if len(data) >= 64 {
		phoff = binary.LittleEndian.Uint64(data[32:40])
	}
	var segs spanSet
	nload := 0
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			return nil, fmt.Errorf("dynamically linked executables are not supported (PT_INTERP); build statically (CGO_ENABLED=0)")
		case elf.PT_PHDR:
			img.phdr = p.Vaddr + img.bias
		case elf.PT_LOAD:
			if p.Filesz > p.Memsz || p.Off+p.Filesz > uint64(len(data)) || p.Off+p.Filesz < p.Off {
				return nil, fmt.Errorf("PT_LOAD at %#x: file range %#x+%#x outside the file", p.Vaddr, p.Off, p.Filesz)
			}
			lo, hi := p.Vaddr+img.bias, p.Vaddr+img.bias+p.Memsz
			if hi < lo || hi > trapPage-stackSize || lo < 0x1000 {
				return nil, fmt.Errorf("PT_LOAD at %#x size %#x: outside the user address range", p.Vaddr, p.Memsz)
			}
			segs = segs.add(pageDown(lo), pageUp(hi))
			img.brk = max(img.brk, hi)
			if img.phdr == 0 && phoff >= p.Off && phoff < p.Off+p.Filesz {
				img.phdr = p.Vaddr + img.bias + (phoff - p.Off)
			}
			nload++
		}
	}
	if nload == 0 {
		return nil, fmt.Errorf("ELF has no PT_LOAD segments")
	}
	for _, s := range segs {
		if err := as.mapFixed(s.lo, s.hi, false); err != nil {
			return nil, err
		}
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Filesz == 0 {
			continue
		}
		if err := as.write(p.Vaddr+img.bias, data[p.Off:p.Off+p.Filesz]); err != nil {
			return nil, err
		}
	}
	img.entry = f.Entry + img.bias
	img.loaded = segs
	return img, nil
}

// Auxiliary vector tags.
const (
	atNull   = 0
	atPhdr   = 3
	atPhent  = 4
	atPhnum  = 5
	atPagesz = 6
	atBase   = 7
	atFlags  = 8
	atEntry  = 9
	atUID    = 11
	atEUID   = 12
	atGID    = 13
	atEGID   = 14
	atHwcap  = 16
	atClktck = 17
	atSecure = 23
	atRandom = 25
	atExecfn = 31
)

// hwcapIMAFDC has one bit per single-letter extension, as Linux reports it.
const hwcapIMAFDC = 1<<('i'-'a') | 1<<('m'-'a') | 1<<('a'-'a') | 1<<('f'-'a') | 1<<('d'-'a') | 1<<('c'-'a')

// buildStack lays out the initial process stack below top as the Linux ELF
// ABI specifies: from sp upwards argc, argv[], NULL, envp[], NULL, auxv
// pairs ending with AT_NULL; the strings and the 16 AT_RANDOM bytes live
// above. It returns the stack bytes (to be placed at sp) and sp.
func buildStack(top uint64, args, env []string, auxv [][2]uint64, random [16]byte, execfn string) ([]byte, uint64) {
	// String area, growing down from top.
	var strs []byte
	place := func(s []byte) uint64 {
		strs = append(append([]byte{}, s...), strs...)
		return top - uint64(len(strs))
	}
	execfnAddr := place(append([]byte(execfn), 0))
	envAddrs := make([]uint64, len(env))
	for i := len(env) - 1; i >= 0; i-- {
		envAddrs[i] = place(append([]byte(env[i]), 0))
	}
	argAddrs := make([]uint64, len(args))
	for i := len(args) - 1; i >= 0; i-- {
		argAddrs[i] = place(append([]byte(args[i]), 0))
	}
	// Align the string area down to 16 and put AT_RANDOM below it.
	pad := (top - uint64(len(strs))) % 16
	strs = append(make([]byte, pad), strs...)
	randAddr := place(random[:])

	aux := append([][2]uint64{}, auxv...)
	aux = append(aux, [2]uint64{atRandom, randAddr}, [2]uint64{atExecfn, execfnAddr}, [2]uint64{atNull, 0})
	words := 1 + len(args) + 1 + len(env) + 1 + 2*len(aux)
	strBase := top - uint64(len(strs))
	sp := (strBase - uint64(words)*8) &^ 15
	buf := make([]byte, top-sp)
	w := buf
	put := func(v uint64) { binary.LittleEndian.PutUint64(w, v); w = w[8:] }
	put(uint64(len(args)))
	for _, a := range argAddrs {
		put(a)
	}
	put(0)
	for _, a := range envAddrs {
		put(a)
	}
	put(0)
	for _, kv := range aux {
		put(kv[0])
		put(kv[1])
	}
	copy(buf[strBase-sp:], strs)
	return buf, sp
}
