package vm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"strata/riscv"
)

func newTestBus(t testing.TB) *riscv.Bus {
	t.Helper()
	b := riscv.NewBus()
	if _, err := b.AddRAM(AddrRAM, 1<<20); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoadELF(t *testing.T) {
	data, err := os.ReadFile("testdata/hello.elf")
	if err != nil {
		t.Fatal(err)
	}
	b := newTestBus(t)
	img, err := LoadELF(b, data)
	if err != nil {
		t.Fatal(err)
	}
	if img.Entry != AddrRAM {
		t.Errorf("entry %#x", img.Entry)
	}
	if _, ok := img.Symbols["_start"]; !ok {
		t.Errorf("symbol _start missing: %v", img.Symbols)
	}
	// The first instruction is lui t0,0x10000.
	if v, _ := b.Read(AddrRAM, 4); v != 0x100002b7 {
		t.Errorf("first word %#x", v)
	}
}

// elfHeader builds a minimal ELF64 RISC-V header with one program header.
func elfHeader(paddr, off, filesz, memsz uint64) []byte {
	var buf bytes.Buffer
	h := make([]byte, 64)
	copy(h, "\x7fELF")
	h[4], h[5], h[6] = 2, 1, 1                 // 64-bit, little-endian, version
	binary.LittleEndian.PutUint16(h[16:], 2)   // ET_EXEC
	binary.LittleEndian.PutUint16(h[18:], 243) // EM_RISCV
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint64(h[24:], paddr) // entry
	binary.LittleEndian.PutUint64(h[32:], 64)    // phoff
	binary.LittleEndian.PutUint16(h[52:], 64)    // ehsize
	binary.LittleEndian.PutUint16(h[54:], 56)    // phentsize
	binary.LittleEndian.PutUint16(h[56:], 1)     // phnum
	buf.Write(h)
	p := make([]byte, 56)
	binary.LittleEndian.PutUint32(p[0:], 1) // PT_LOAD
	binary.LittleEndian.PutUint32(p[4:], 5)
	binary.LittleEndian.PutUint64(p[8:], off)
	binary.LittleEndian.PutUint64(p[16:], paddr)
	binary.LittleEndian.PutUint64(p[24:], paddr)
	binary.LittleEndian.PutUint64(p[32:], filesz)
	binary.LittleEndian.PutUint64(p[40:], memsz)
	buf.Write(p)
	buf.Write(make([]byte, 16))
	return buf.Bytes()
}

func TestLoadELFRejects(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated header", []byte("\x7fELF\x02\x01\x01")},
		{"filesz > memsz", elfHeader(AddrRAM, 120, 16, 8)},
		{"segment past end of file", elfHeader(AddrRAM, 120, 1<<20, 1<<20)},
		{"outside RAM", elfHeader(0x1000, 120, 16, 16)},
		{"larger than RAM", elfHeader(AddrRAM, 120, 16, 2<<20)},
		{"wraps around", elfHeader(^uint64(0)-8, 120, 16, 16)},
		{"no segments", elfHeader(AddrRAM, 120, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBus(t)
			_, err := LoadELF(b, tc.data)
			if !errors.Is(err, ErrBadELF) {
				t.Fatalf("err = %v, want ErrBadELF", err)
			}
			// Nothing was written to RAM.
			mem, _ := b.Slice(AddrRAM, 1<<20)
			if !bytes.Equal(mem, make([]byte, 1<<20)) {
				t.Fatal("RAM was modified by a refused ELF")
			}
		})
	}
}

func TestLoadELFZeroesBSS(t *testing.T) {
	data := elfHeader(AddrRAM, 120, 16, 64)
	copy(data[120:], bytes.Repeat([]byte{0xaa}, 16))
	b := newTestBus(t)
	mem, _ := b.Slice(AddrRAM, 64)
	for i := range mem {
		mem[i] = 0xff
	}
	if _, err := LoadELF(b, data); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mem[:16], bytes.Repeat([]byte{0xaa}, 16)) || !bytes.Equal(mem[16:], make([]byte, 48)) {
		t.Fatalf("segment contents % x", mem)
	}
}

func FuzzLoadELF(f *testing.F) {
	if data, err := os.ReadFile("testdata/hello.elf"); err == nil {
		f.Add(data)
	}
	f.Add(elfHeader(AddrRAM, 120, 16, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := newTestBus(t)
		img, err := LoadELF(b, data)
		if err != nil {
			if !errors.Is(err, ErrBadELF) {
				t.Fatalf("error does not wrap ErrBadELF: %v", err)
			}
			return
		}
		if img.Low < AddrRAM || img.High > AddrRAM+1<<20 || img.Low > img.High {
			t.Fatalf("loaded range [%#x, %#x) outside RAM", img.Low, img.High)
		}
	})
}

// A kernel linked at its virtual address (like vmlinux) is moved to the
// load address with its entry point.
func TestLoadELFAtRelocates(t *testing.T) {
	const vaddr = 0xffffffff80000000
	data := elfHeader(vaddr, 120, 16, 64)
	copy(data[120:], bytes.Repeat([]byte{0x5a}, 16))
	b := newTestBus(t)
	img, err := LoadELFAt(b, data, AddrRAM+0x1000)
	if err != nil {
		t.Fatal(err)
	}
	if img.Entry != AddrRAM+0x1000 || img.Low != AddrRAM+0x1000 || img.High != AddrRAM+0x1000+64 {
		t.Fatalf("entry %#x range [%#x, %#x)", img.Entry, img.Low, img.High)
	}
	if v, _ := b.Read(AddrRAM+0x1000, 8); v != 0x5a5a5a5a5a5a5a5a {
		t.Fatalf("loaded %#x", v)
	}
}
