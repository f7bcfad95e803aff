package vm

import (
	"fmt"
	"strings"

	"strata/fdt"
	"strata/riscv"
)

// Device-tree facts of the QEMU virt board that strata's board implements.
const (
	dtbAddrRTC         = 0x0010_1000
	dtbAddrPLIC        = 0x0c00_0000
	dtbPLICSize        = 0x60_0000 // QEMU sizes it for 512 harts whatever the count
	dtbPLICNdev        = 95        // sources 1..95 (QEMU 7.2 said 96, an off-by-one fixed in 8.0)
	dtbAddrVirtio      = 0x1000_1000
	dtbVirtioStride    = 0x1000
	dtbMaxVirtio       = 8
	dtbUARTClock       = 0x38_4000 // 3.6864 MHz
	dtbIRQUART         = 10
	dtbIRQRTC          = 11
	dtbMaxHarts        = 64
	dtbPage            = 4096
	dtbDefaultMMU      = "riscv,sv57"
	dtbDefaultTimebase = 10_000_000
)

// Interrupt numbers of a hart-local interrupt controller (mcause codes).
const (
	irqMSI = 3
	irqMTI = 7
	irqSEI = 9
	irqMEI = 11
)

// DTBConfig describes the QEMU-virt-compatible board for its device tree.
// Zero values of MemBase, ISA, MMU and TimebaseHz select the defaults
// noted on each field.
type DTBConfig struct {
	Harts                  int    // 1..64
	MemBase                uint64 // 0: AddrRAM (0x80000000)
	MemSize                uint64 // page-aligned, non-zero
	ISA                    string // riscv,isa of every hart; "": riscv.ISAString
	MMU                    string // mmu-type; "": "riscv,sv57" (Linux probes down itself)
	TimebaseHz             uint32 // 0: 10_000_000, the CLINT's mtime rate
	Bootargs               string // the kernel command line; "": no bootargs property
	InitrdStart, InitrdEnd uint64 // 0,0: none; else [start, end) must lie in RAM
	VirtioSlots            int    // virtio-mmio transports at 0x10001000 + 0x1000*i, IRQ 1+i (0..8)
	Sstc                   bool   // whether ISA includes sstc (affects nothing else here)
}

// okString reports whether s can be a string property value.
func okString(s string) bool { return !strings.ContainsRune(s, 0) }

// check validates c (with defaults already applied).
func (c *DTBConfig) check() error {
	switch {
	case c.Harts < 1 || c.Harts > dtbMaxHarts:
		return fmt.Errorf("vm: device tree: %d harts (want 1..%d)", c.Harts, dtbMaxHarts)
	case c.MemSize == 0 || c.MemSize%dtbPage != 0 || c.MemBase%dtbPage != 0:
		return fmt.Errorf("vm: device tree: RAM at %#x size %#x is empty or not page aligned", c.MemBase, c.MemSize)
	case c.MemBase < AddrRAM:
		return fmt.Errorf("vm: device tree: RAM at %#x overlaps the MMIO window below %#x", c.MemBase, AddrRAM)
	case c.MemBase+c.MemSize < c.MemBase:
		return fmt.Errorf("vm: device tree: RAM at %#x size %#x wraps around", c.MemBase, c.MemSize)
	case c.VirtioSlots < 0 || c.VirtioSlots > dtbMaxVirtio:
		return fmt.Errorf("vm: device tree: %d virtio-mmio slots (want 0..%d)", c.VirtioSlots, dtbMaxVirtio)
	case !okString(c.Bootargs) || !okString(c.ISA) || !okString(c.MMU):
		return fmt.Errorf("vm: device tree: bootargs, ISA and MMU must not contain NUL")
	}
	if c.InitrdStart != 0 || c.InitrdEnd != 0 {
		end := c.MemBase + c.MemSize
		if c.InitrdEnd <= c.InitrdStart || c.InitrdStart < c.MemBase || c.InitrdEnd > end {
			return fmt.Errorf("vm: device tree: initrd [%#x, %#x) is empty or not inside RAM [%#x, %#x)",
				c.InitrdStart, c.InitrdEnd, c.MemBase, end)
		}
	}
	return nil
}

// VirtDTB returns the flattened device tree of strata's QEMU-virt-compatible
// board: the nodes and properties QEMU 7.2's virt machine generates for
// the devices strata has (harts and their interrupt controllers, RAM,
// CLINT, PLIC, NS16550A UART, Goldfish RTC, SiFive test device with
// syscon poweroff/reboot, virtio-mmio transports). Phandles are numbered
// in order of appearance (for one hart exactly as QEMU numbers them) and
// nodes appear in address order, where QEMU lists some in reverse. PCI,
// flash, fw-cfg, the platform bus, the PMU node and rng-seed are left out,
// and riscv,ndev is 95, the PLIC's highest source (QEMU 7.2 wrote 96, an
// off-by-one fixed in QEMU 8.0). It fails on an invalid configuration:
// harts outside 1..64, RAM empty, not page aligned, below 0x80000000 or
// wrapping, more than 8 virtio slots, NUL in a string, or an initrd that
// is empty or not inside RAM.
func VirtDTB(c DTBConfig) ([]byte, error) {
	if c.MemBase == 0 {
		c.MemBase = AddrRAM
	}
	if c.ISA == "" {
		c.ISA = riscv.ISAString
	}
	if c.MMU == "" {
		c.MMU = dtbDefaultMMU
	}
	if c.TimebaseHz == 0 {
		c.TimebaseHz = dtbDefaultTimebase
	}
	if err := c.check(); err != nil {
		return nil, err
	}

	t := fdt.New()
	root := t.Root
	root.SetU32("#address-cells", 2)
	root.SetU32("#size-cells", 2)
	root.SetString("compatible", "riscv-virtio")
	root.SetString("model", "riscv-virtio,qemu")

	chosen := root.Child("chosen")
	if c.Bootargs != "" {
		chosen.SetString("bootargs", c.Bootargs)
	}
	chosen.SetString("stdout-path", fmt.Sprintf("/soc/serial@%x", AddrUART))
	if c.InitrdEnd != 0 {
		setAddr(chosen, "linux,initrd-start", c.InitrdStart)
		setAddr(chosen, "linux,initrd-end", c.InitrdEnd)
	}

	mem := root.Child(fmt.Sprintf("memory@%x", c.MemBase))
	mem.SetString("device_type", "memory")
	mem.SetU64("reg", c.MemBase, c.MemSize)

	cpus := root.Child("cpus")
	cpus.SetU32("#address-cells", 1)
	cpus.SetU32("#size-cells", 0)
	cpus.SetU32("timebase-frequency", c.TimebaseHz)
	cpuPh := make([]uint32, c.Harts)
	intcPh := make([]uint32, c.Harts)
	for i := 0; i < c.Harts; i++ {
		// Decimal unit addresses, as QEMU writes them (cpu@10 is hart 10).
		cpu := cpus.Child(fmt.Sprintf("cpu@%d", i))
		cpuPh[i] = t.Phandle(cpu)
		cpu.SetString("device_type", "cpu")
		cpu.SetU32("reg", uint32(i))
		cpu.SetString("status", "okay")
		cpu.SetString("compatible", "riscv")
		cpu.SetString("riscv,isa", c.ISA)
		cpu.SetString("mmu-type", c.MMU)
		intc := cpu.Child("interrupt-controller")
		intc.SetU32("#interrupt-cells", 1)
		intc.SetEmpty("interrupt-controller")
		intc.SetString("compatible", "riscv,cpu-intc")
		intcPh[i] = t.Phandle(intc)
	}
	cluster := cpus.Child("cpu-map").Child("cluster0")
	for i := 0; i < c.Harts; i++ {
		cluster.Child(fmt.Sprintf("core%d", i)).SetU32("cpu", cpuPh[i])
	}

	soc := root.Child("soc")
	soc.SetU32("#address-cells", 2)
	soc.SetU32("#size-cells", 2)
	soc.SetString("compatible", "simple-bus")
	soc.SetEmpty("ranges")

	clint := soc.Child(fmt.Sprintf("clint@%x", AddrCLINT))
	plic := soc.Child(fmt.Sprintf("plic@%x", dtbAddrPLIC))
	plicPh := t.Phandle(plic)
	test := soc.Child(fmt.Sprintf("test@%x", AddrFinisher))
	testPh := t.Phandle(test)
	var clintIRQ, plicIRQ []uint32
	for i := 0; i < c.Harts; i++ {
		clintIRQ = append(clintIRQ, intcPh[i], irqMSI, intcPh[i], irqMTI)
		plicIRQ = append(plicIRQ, intcPh[i], irqMEI, intcPh[i], irqSEI)
	}
	clint.SetU32("interrupts-extended", clintIRQ...)
	clint.SetU64("reg", AddrCLINT, 0x10000)
	clint.SetString("compatible", "sifive,clint0", "riscv,clint0")

	plic.SetU32("riscv,ndev", dtbPLICNdev)
	plic.SetU64("reg", dtbAddrPLIC, dtbPLICSize)
	plic.SetU32("interrupts-extended", plicIRQ...)
	plic.SetEmpty("interrupt-controller")
	plic.SetString("compatible", "sifive,plic-1.0.0", "riscv,plic0")
	plic.SetU32("#address-cells", 0)
	plic.SetU32("#interrupt-cells", 1)

	test.SetU64("reg", AddrFinisher, 0x1000)
	test.SetString("compatible", "sifive,test1", "sifive,test0", "syscon")

	device := func(name string, addr, size uint64, irq uint32, compatible string) *fdt.Node {
		n := soc.Child(fmt.Sprintf("%s@%x", name, addr))
		n.SetU32("interrupts", irq)
		n.SetU32("interrupt-parent", plicPh)
		n.SetU64("reg", addr, size)
		n.SetString("compatible", compatible)
		return n
	}
	device("serial", AddrUART, 0x100, dtbIRQUART, "ns16550a").SetU32("clock-frequency", dtbUARTClock)
	device("rtc", dtbAddrRTC, 0x1000, dtbIRQRTC, "google,goldfish-rtc")
	for i := 0; i < c.VirtioSlots; i++ {
		device("virtio_mmio", dtbAddrVirtio+dtbVirtioStride*uint64(i), dtbVirtioStride, uint32(1+i), "virtio,mmio")
	}

	for _, s := range []struct {
		name  string
		value uint32
	}{{"poweroff", 0x5555}, {"reboot", 0x7777}} {
		n := root.Child(s.name)
		n.SetU32("value", s.value)
		n.SetU32("offset", 0)
		n.SetU32("regmap", testPh)
		n.SetString("compatible", "syscon-"+s.name)
	}
	return t.Marshal()
}

// setAddr sets an address property as one cell when it fits (as QEMU does
// for the initrd) and as two cells otherwise; Linux reads either.
func setAddr(n *fdt.Node, name string, v uint64) {
	if v <= 0xffffffff {
		n.SetU32(name, uint32(v))
	} else {
		n.SetU64(name, v)
	}
}
