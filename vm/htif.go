package vm

import (
	"io"

	"strata/riscv"
)

// HTIF implements the Spike host-target interface over the tohost/fromhost
// words of a program: a store to tohost is a command to the host.
//
//	device 0, command 0, bit 0 set: exit; status 0 for value 1, else value>>1
//	device 0, command 0, bit 0 clear: a syscall block (write and exit)
//	device 1, command 1: print one byte
type HTIF struct {
	bus      *riscv.Bus
	tohost   uint64
	fromhost uint64 // 0 if the program has no fromhost symbol
	out      io.Writer
	exit     func(code int)
}

// sycall numbers of the syscall block (Linux riscv64 numbers).
const (
	sysWrite = 64
	sysExit  = 93
)

// NewHTIF watches the program's tohost word at physical address tohost.
func NewHTIF(bus *riscv.Bus, tohost, fromhost uint64, out io.Writer, exit func(code int)) (*HTIF, error) {
	h := &HTIF{bus: bus, tohost: tohost, fromhost: fromhost, out: out, exit: exit}
	if err := bus.WatchStores(tohost, 8, func(*riscv.Hart) { h.poll() }); err != nil {
		return nil, err
	}
	return h, nil
}

// ExitStatus maps an HTIF exit payload (value>>1) to a process exit status:
// 0 stays 0, anything else becomes a non-zero status in 1..255.
func ExitStatus(code uint64) int {
	switch {
	case code == 0:
		return 0
	case code > 255:
		return 255
	}
	return int(code)
}

func (h *HTIF) poll() {
	v, ok := h.bus.Read(h.tohost, 8)
	if !ok || v == 0 {
		return
	}
	dev, cmd, payload := v>>56, v>>48&0xff, v&(1<<48-1)
	switch {
	case dev == 0 && cmd == 0 && payload&1 != 0:
		h.exit(ExitStatus(payload >> 1))
		return
	case dev == 0 && cmd == 0:
		h.syscall(payload)
	case dev == 1 && cmd == 1:
		h.out.Write([]byte{byte(payload)})
	}
	h.bus.Write(h.tohost, 8, 0)
}

// syscall serves a block of eight 64-bit words at addr: the syscall number
// and its arguments; the result replaces the number, then fromhost is set.
func (h *HTIF) syscall(addr uint64) {
	var a [4]uint64
	for i := range a {
		v, ok := h.bus.Read(addr+8*uint64(i), 8)
		if !ok {
			return
		}
		a[i] = v
	}
	ret := ^uint64(0) // -1: unsupported
	switch a[0] {
	case sysWrite:
		if p, ok := h.bus.Slice(a[2], a[3]); ok && (a[1] == 1 || a[1] == 2) {
			n, _ := h.out.Write(p)
			ret = uint64(n)
		}
	case sysExit:
		h.exit(ExitStatus(a[1]))
		return
	}
	h.bus.Write(addr, 8, ret)
	if h.fromhost != 0 {
		h.bus.Write(h.fromhost, 8, 1)
	}
}
