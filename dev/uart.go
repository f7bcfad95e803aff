// Package dev holds strata's emulated platform devices: the NS16550A UART,
// the CLINT timer/IPI block, the PLIC, the Goldfish RTC and the SiFive test
// finisher, each a riscv.Device (Read/Write by offset) that a machine maps
// on its bus. Devices never call into harts: they drive interrupt lines.
package dev

import (
	"io"
	"sync"
)

// UART register offsets (DLAB=0 unless noted).
const (
	uartRBR = 0 // receive buffer (read) / THR transmit (write) / DLL (DLAB)
	uartIER = 1 // interrupt enable / DLM (DLAB)
	uartIIR = 2 // interrupt identification (read) / FCR (write)
	uartLCR = 3
	uartMCR = 4
	uartLSR = 5
	uartMSR = 6
	uartSCR = 7

	lsrDR   = 0x01
	lsrTHRE = 0x20
	lsrTEMT = 0x40
)

// UART is an NS16550A-compatible serial port. Output goes to Out; input
// bytes are queued with Input. It is the model of the UART at 0x10000000
// on QEMU's virt board.
type UART struct {
	mu   sync.Mutex
	out  io.Writer
	in   []byte
	ier  uint8
	lcr  uint8
	mcr  uint8
	scr  uint8
	fcr  uint8
	dll  uint8
	dlm  uint8
	thre bool // a THR-empty interrupt is pending
	// IRQ, if set, is called with the interrupt line's new level.
	IRQ func(level bool)
}

// NewUART returns a UART that writes transmitted bytes to out.
func NewUART(out io.Writer) *UART { return &UART{out: out} }

// Input queues bytes for the guest to receive.
func (u *UART) Input(p []byte) {
	u.mu.Lock()
	u.in = append(u.in, p...)
	u.mu.Unlock()
	u.update()
}

// Read implements riscv.Device.
func (u *UART) Read(off uint64, size int) (uint64, bool) {
	if size != 1 {
		return 0, false
	}
	u.mu.Lock()
	var v uint8
	switch off {
	case uartRBR:
		if u.lcr&0x80 != 0 {
			v = u.dll
		} else if len(u.in) > 0 {
			v = u.in[0]
			u.in = u.in[1:]
		}
	case uartIER:
		if u.lcr&0x80 != 0 {
			v = u.dlm
		} else {
			v = u.ier
		}
	case uartIIR:
		v = u.iir()
		if v&0x0f == 0x02 {
			u.thre = false // reading IIR clears a THRE interrupt
		}
		if u.fcr&1 != 0 {
			v |= 0xc0
		}
	case uartLCR:
		v = u.lcr
	case uartMCR:
		v = u.mcr
	case uartLSR:
		v = lsrTHRE | lsrTEMT
		if len(u.in) > 0 {
			v |= lsrDR
		}
	case uartMSR:
		v = 0xb0 // DCD, DSR, CTS
	case uartSCR:
		v = u.scr
	}
	u.mu.Unlock()
	u.update()
	return uint64(v), true
}

func (u *UART) iir() uint8 {
	switch {
	case u.ier&1 != 0 && len(u.in) > 0:
		return 0x04 // received data available
	case u.ier&2 != 0 && u.thre:
		return 0x02 // THR empty
	}
	return 0x01 // no interrupt
}

// Write implements riscv.Device.
func (u *UART) Write(off uint64, size int, val uint64) bool {
	if size != 1 {
		return false
	}
	b := uint8(val)
	u.mu.Lock()
	switch off {
	case uartRBR:
		if u.lcr&0x80 != 0 {
			u.dll = b
		} else {
			u.out.Write([]byte{b})
			u.thre = true
		}
	case uartIER:
		if u.lcr&0x80 != 0 {
			u.dlm = b
		} else {
			if b&2 != 0 && u.ier&2 == 0 {
				u.thre = true
			}
			u.ier = b & 0x0f
		}
	case uartIIR:
		u.fcr = b
		if b&2 != 0 {
			u.in = u.in[:0]
		}
	case uartLCR:
		u.lcr = b
	case uartMCR:
		u.mcr = b & 0x1f
	case uartSCR:
		u.scr = b
	}
	u.mu.Unlock()
	u.update()
	return true
}

func (u *UART) update() {
	if u.IRQ == nil {
		return
	}
	u.mu.Lock()
	level := u.iir()&1 == 0
	u.mu.Unlock()
	u.IRQ(level)
}
