package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"strata/dev"
	"strata/riscv"
	"strata/vm"
)

func newVMDumpDTBCmd() *cobra.Command {
	var mem, appendArgs, out string
	var smp int
	c := &cobra.Command{
		Use:   "dumpdtb",
		Short: "Write the device tree strata gives a virt machine (check it with dtc)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			size, err := parseSize(mem)
			if err != nil {
				return fmt.Errorf("--mem: %w", err)
			}
			dtb, err := vm.VirtDTB(vm.DTBConfig{Harts: smp, MemBase: vm.AddrRAM, MemSize: size,
				ISA: riscv.ISAString, MMU: "riscv,sv57", TimebaseHz: dev.TimebaseHz,
				Bootargs: appendArgs, Sstc: true})
			if err != nil {
				return err
			}
			if out == "-" {
				_, err = os.Stdout.Write(dtb)
				return err
			}
			return os.WriteFile(out, dtb, 0o644)
		},
	}
	fl := c.Flags()
	fl.StringVar(&mem, "mem", "512M", "RAM size")
	fl.IntVar(&smp, "smp", 1, "number of harts")
	fl.StringVar(&appendArgs, "append", "console=ttyS0", "kernel command line (chosen/bootargs)")
	fl.StringVarP(&out, "output", "o", "strata.dtb", "output file (- for standard output)")
	return c
}
