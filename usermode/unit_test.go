package usermode

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"strata/riscv"
)

// RV64 encoders for hand-assembled test programs.
func iType(op, f3, rd, rs1 uint32, imm int32) uint32 {
	return uint32(imm)<<20 | rs1<<15 | f3<<12 | rd<<7 | op
}
func addi(rd, rs1 uint32, imm int32) uint32 { return iType(0x13, 0, rd, rs1, imm) }
func ld(rd, rs1 uint32, imm int32) uint32   { return iType(0x03, 3, rd, rs1, imm) }
func auipc(rd uint32) uint32                { return rd<<7 | 0x17 }

const ecall = 0x73

// Register numbers.
const (
	regSP = 2
	regA0 = 10
	regA1 = 11
	regA2 = 12
	regA7 = 17
)

// elfPhdr is a program header for makeELF.
type elfPhdr struct {
	typ, flags              uint32
	off, vaddr, filesz, mem uint64
}

// makeELF builds a riscv64 executable: header, program headers, then
// payload; by default one PT_LOAD maps the whole file at 0x10000 and the
// entry is the payload's start.
func makeELF(code []uint32, data []byte, extra ...elfPhdr) []byte {
	var payload bytes.Buffer
	for _, c := range code {
		binary.Write(&payload, binary.LittleEndian, c)
	}
	payload.Write(data)
	nph := 1 + len(extra)
	hdrLen := 64 + 56*nph
	total := hdrLen + payload.Len()
	const base = 0x10000
	b := make([]byte, hdrLen)
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[16:], 2)   // ET_EXEC
	le.PutUint16(b[18:], 243) // EM_RISCV
	le.PutUint32(b[20:], 1)   // version
	le.PutUint64(b[24:], base+uint64(hdrLen))
	le.PutUint64(b[32:], 64) // phoff
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], uint16(nph))
	phs := append([]elfPhdr{{1, 7, 0, base, uint64(total), uint64(total)}}, extra...)
	for i, ph := range phs {
		p := b[64+56*i:]
		le.PutUint32(p[0:], ph.typ)
		le.PutUint32(p[4:], ph.flags)
		le.PutUint64(p[8:], ph.off)
		le.PutUint64(p[16:], ph.vaddr)
		le.PutUint64(p[24:], ph.vaddr)
		le.PutUint64(p[32:], ph.filesz)
		le.PutUint64(p[40:], ph.mem)
		le.PutUint64(p[48:], 0x1000)
	}
	return append(b, payload.Bytes()...)
}

func runTiny(t *testing.T, img []byte, args ...string) (int, string, error) {
	t.Helper()
	var out bytes.Buffer
	p, err := New(img, Config{Args: append([]string{"tiny"}, args...), Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code, err := p.Run(ctx)
	return code, out.String(), err
}

// TestTinyWriteExit runs a hand-assembled program: write(1, msg), exit(42).
func TestTinyWriteExit(t *testing.T) {
	msg := "hello from a hand-made ELF\n"
	code := []uint32{
		auipc(regA1), addi(regA1, regA1, 36),
		addi(regA0, 0, 1), addi(regA2, 0, int32(len(msg))), addi(regA7, 0, 64), ecall,
		addi(regA0, 0, 42), addi(regA7, 0, 93), ecall,
	}
	st, out, err := runTiny(t, makeELF(code, []byte(msg)))
	if err != nil || st != 42 || out != msg {
		t.Fatalf("status %d, output %q, err %v; want 42, %q", st, out, err, msg)
	}
}

// TestTinyArgc exits with argc read from the initial stack.
func TestTinyArgc(t *testing.T) {
	code := []uint32{ld(regA0, regSP, 0), addi(regA7, 0, 94), ecall}
	st, _, err := runTiny(t, makeELF(code, nil), "a", "b", "c")
	if err != nil || st != 4 {
		t.Fatalf("status %d err %v, want argc 4", st, err)
	}
}

// TestTinyFault: a load from address 0 is a fatal SIGSEGV (status 139).
func TestTinyFault(t *testing.T) {
	code := []uint32{ld(regA0, 0, 0), addi(regA7, 0, 93), ecall}
	st, _, err := runTiny(t, makeELF(code, nil))
	if st != 128+11 || err == nil || !strings.Contains(err.Error(), "exception 5") {
		t.Fatalf("status %d err %v, want 139 and a load access fault", st, err)
	}
}

// TestStackLayout checks argc, argv, envp, auxv and AT_RANDOM as the ELF
// ABI lays them out.
func TestStackLayout(t *testing.T) {
	const top = 0x7000_0000
	args := []string{"prog", "x", ""}
	env := []string{"A=1", "LONGER=value"}
	auxv := [][2]uint64{{atPagesz, 4096}, {atHwcap, hwcapIMAFDC}, {atEntry, 0x10078}}
	rnd := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	buf, sp := buildStack(top, args, env, auxv, rnd, "/bin/prog")
	if sp%16 != 0 || sp+uint64(len(buf)) != top {
		t.Fatalf("sp %#x (len %d): want 16-byte aligned, ending at top", sp, len(buf))
	}
	word := func(a uint64) uint64 { return binary.LittleEndian.Uint64(buf[a-sp:]) }
	str := func(a uint64) string {
		b := buf[a-sp:]
		return string(b[:bytes.IndexByte(b, 0)])
	}
	if word(sp) != 3 {
		t.Fatalf("argc %d", word(sp))
	}
	a := sp + 8
	for i, want := range args {
		if got := str(word(a)); got != want {
			t.Errorf("argv[%d] = %q, want %q", i, got, want)
		}
		a += 8
	}
	if word(a) != 0 {
		t.Fatal("argv not NULL-terminated")
	}
	a += 8
	for i, want := range env {
		if got := str(word(a)); got != want {
			t.Errorf("envp[%d] = %q, want %q", i, got, want)
		}
		a += 8
	}
	if word(a) != 0 {
		t.Fatal("envp not NULL-terminated")
	}
	a += 8
	got := map[uint64]uint64{}
	var order []uint64
	for {
		k, v := word(a), word(a+8)
		a += 16
		got[k] = v
		order = append(order, k)
		if k == atNull {
			break
		}
	}
	for _, kv := range auxv {
		if got[kv[0]] != kv[1] {
			t.Errorf("auxv[%d] = %#x, want %#x", kv[0], got[kv[0]], kv[1])
		}
	}
	r := got[atRandom]
	if r == 0 || !bytes.Equal(buf[r-sp:r-sp+16], rnd[:]) {
		t.Errorf("AT_RANDOM %#x does not point at the random bytes", r)
	}
	if str(got[atExecfn]) != "/bin/prog" {
		t.Errorf("AT_EXECFN %q", str(got[atExecfn]))
	}
	if order[len(order)-1] != atNull {
		t.Error("auxv does not end with AT_NULL")
	}
	if got[atHwcap] != 0x112d {
		t.Errorf("AT_HWCAP %#x, want 0x112d (IMAFDC)", got[atHwcap])
	}
}

// TestProcessAuxv checks the auxv of a real process: AT_PHDR points at
// the program headers in guest memory, AT_ENTRY at the entry point.
func TestProcessAuxv(t *testing.T) {
	img := makeELF([]uint32{addi(regA7, 0, 94), ecall}, nil)
	p, err := New(img, Config{Args: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sp := p.threads[0].c.X[regSP]
	a := sp + 8*4 // argc, argv[0], NULL, envp NULL
	aux := map[uint64]uint64{}
	for {
		k, _ := p.as.u64(a)
		v, _ := p.as.u64(a + 8)
		aux[k] = v
		a += 16
		if k == atNull {
			break
		}
	}
	if aux[atPhdr] != 0x10000+64 || aux[atPhnum] != 1 || aux[atPhent] != 56 || aux[atEntry] != 0x10000+64+56 || aux[atPagesz] != 4096 {
		t.Errorf("auxv %v", aux)
	}
	ph, _ := p.as.read(aux[atPhdr], 4)
	if binary.LittleEndian.Uint32(ph) != 1 {
		t.Errorf("AT_PHDR does not point at a PT_LOAD header")
	}
}

func TestMalformedELF(t *testing.T) {
	good := makeELF([]uint32{addi(regA7, 0, 94), ecall}, nil)
	self, _ := os.Executable()
	host, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	beyond := makeELF(nil, nil)
	binary.LittleEndian.PutUint64(beyond[64+32:], 1<<20) // filesz past the end of the file
	cases := []struct {
		name string
		img  []byte
		want string
	}{
		{"empty", nil, "not a valid ELF"},
		{"garbage", []byte("#!/bin/sh\necho hi\n"), "not a valid ELF"},
		{"truncated", good[:40], "not a valid ELF"},
		{"x86-64", host, "not a riscv64"},
		{"dynamic", makeELF(nil, []byte("/lib/ld.so\x00"), elfPhdr{typ: 3, off: 0, filesz: 8}), "dynamically linked"},
		{"segment beyond file", beyond, "outside the file"},
		{"no segments", func() []byte { b := append([]byte{}, good...); binary.LittleEndian.PutUint32(b[64:], 4); return b }(), "no PT_LOAD"},
	}
	for _, c := range cases {
		_, err := New(c.img, Config{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestMmapRegions(t *testing.T) {
	as := &addrSpace{bus: riscv.NewBus()}
	a1, err := as.mmap(0, 100, false)
	if err != nil || a1 != mmapBase {
		t.Fatalf("first mmap %#x %v", a1, err)
	}
	a2, _ := as.mmap(0, 8192, false)
	if a2 != mmapBase+4096 {
		t.Fatalf("second mmap %#x, want right after the first", a2)
	}
	as.write(a2, []byte("dirty"))
	if b, _ := as.read(a2, 5); string(b) != "dirty" {
		t.Fatal("write/read mismatch")
	}
	if got, _ := as.mmap(a2, 4096, true); got != a2 {
		t.Fatalf("MAP_FIXED returned %#x", got)
	}
	if b, _ := as.read(a2, 5); !bytes.Equal(b, make([]byte, 5)) {
		t.Fatalf("MAP_FIXED over a mapping did not zero it: %q", b)
	}
	// Many small mappings share a few large regions.
	for i := 0; i < 1000; i++ {
		if _, err := as.mmap(0, 64<<10, false); err != nil {
			t.Fatal(err)
		}
	}
	if len(as.rams) > 3 {
		t.Errorf("%d RAM regions for 1002 small mappings, want at most 3", len(as.rams))
	}
	// A free hint is honoured (Go's arena hints); an occupied one is not.
	const hint = 0x7000_0000_0000
	if got, _ := as.mmap(hint, 64<<20, false); got != hint {
		t.Errorf("free hint: got %#x", got)
	}
	if got, _ := as.mmap(hint, 4096, false); got == hint || got < mmapBase {
		t.Errorf("occupied hint: got %#x", got)
	}
	// A large PROT_NONE-style reservation, then MAP_FIXED pieces inside it.
	res, _ := as.mmap(0, 512<<20, false)
	before := len(as.rams)
	if got, err := as.mmap(res+(100<<20), 1<<20, true); got != res+(100<<20) || err != nil {
		t.Fatalf("MAP_FIXED inside a reservation: %#x %v", got, err)
	}
	if len(as.rams) != before {
		t.Error("MAP_FIXED inside a reservation added a region")
	}
	// munmap frees the range for reuse and zeroes it.
	as.write(a1, []byte{1})
	as.munmap(a1, a1+4096)
	if as.vmas.overlaps(a1, a1+4096) {
		t.Error("munmap left the range mapped")
	}
	if got, _ := as.mmap(0, 4096, false); got != a1 {
		t.Errorf("freed range not reused: %#x", got)
	}
	if b, _ := as.read(a1, 1); b[0] != 0 {
		t.Error("reused range not zero")
	}
	// brk grows and shrinks after the program's data.
	as.brkBase, as.brk = 0x200000, 0x200000
	if got := as.setBrk(0x200000 + 10000); got != 0x200000+10000 {
		t.Fatalf("brk grow %#x", got)
	}
	if err := as.write(0x200000+9000, []byte{7}); err != nil {
		t.Fatal("brk memory not writable")
	}
	if got := as.setBrk(0x100); got != 0x200000+10000 {
		t.Errorf("brk below its base changed it: %#x", got)
	}
	// Zero-length and misaligned MAP_FIXED requests fail.
	if _, err := as.mmap(0, 0, false); err == nil {
		t.Error("zero-length mmap succeeded")
	}
	if _, err := as.mmap(0x1234, 4096, true); err == nil {
		t.Error("misaligned MAP_FIXED succeeded")
	}
}

func TestFutex(t *testing.T) {
	img := makeELF([]uint32{addi(regA7, 0, 94), ecall}, nil)
	p, err := New(img, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	t1 := p.threads[0]
	t2 := &thread{tid: 2}
	t3 := &thread{tid: 3}
	p.addThread(t2)
	p.addThread(t3)
	for _, th := range p.threads {
		th.c.PC = 0x1000
	}
	word := uint64(stackTop - stackSize + 0x100)
	p.as.put32(word, 5)
	const private = futexPrivate
	if r, done := p.futex(t1, [6]uint64{word, futexWait | private, 4}); !done || r != neg(syscall.EAGAIN) {
		t.Fatalf("wait on a changed value: %d %v, want EAGAIN", r, done)
	}
	if _, done := p.futex(t1, [6]uint64{word, futexWait | private, 5}); done || !t1.blocked {
		t.Fatal("wait did not block")
	}
	if _, done := p.futex(t2, [6]uint64{word, futexWait, 5}); done {
		t.Fatal("second wait did not block")
	}
	if r, _ := p.futex(t3, [6]uint64{word + 4, futexWake | private, 1}); r != 0 {
		t.Fatalf("wake on another address woke %d", r)
	}
	if r, _ := p.futex(t3, [6]uint64{word, futexWake | private, 1}); r != 1 {
		t.Fatalf("wake 1 woke %d", r)
	}
	if t1.blocked || t1.c.X[regA0] != 0 || t1.c.PC != 0x1004 {
		t.Fatalf("first waiter not woken first (FIFO): blocked %v a0 %d pc %#x", t1.blocked, t1.c.X[regA0], t1.c.PC)
	}
	if !t2.blocked {
		t.Fatal("second waiter woken too")
	}
	if r, _ := p.futex(t3, [6]uint64{word, futexWake | private, 100}); r != 1 || t2.blocked {
		t.Fatalf("wake all woke %d", r)
	}
	// A timed wait ends with ETIMEDOUT once its deadline passes.
	ts := uint64(stackTop - stackSize + 0x200)
	p.as.put64(ts, 0)
	p.as.put64(ts+8, 1_000_000) // 1 ms
	if _, done := p.futex(t1, [6]uint64{word, futexWait | private, 5, ts}); done {
		t.Fatal("timed wait did not block")
	}
	p.poll(t1, time.Now())
	if !t1.blocked {
		t.Fatal("timed wait ended early")
	}
	p.poll(t1, time.Now().Add(2*time.Millisecond))
	if t1.blocked || int64(t1.c.X[regA0]) != neg(syscall.ETIMEDOUT) {
		t.Fatalf("timed wait: blocked %v a0 %d, want ETIMEDOUT", t1.blocked, int64(t1.c.X[regA0]))
	}
	if len(p.futexQ) != 0 {
		t.Errorf("futex queues not empty: %v", p.futexQ)
	}
	// Thread exit with CLONE_CHILD_CLEARTID clears the tid word and wakes a joiner.
	tidWord := word + 8
	p.as.put32(tidWord, 3)
	t3.clearTID = tidWord
	p.futex(t1, [6]uint64{tidWord, futexWait, 3})
	p.threadExit(t3, 0)
	if v, _ := p.as.u32(tidWord); v != 0 || t1.blocked {
		t.Fatalf("exit: tid word %d, joiner blocked %v", v, t1.blocked)
	}
}
