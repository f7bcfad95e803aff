package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDumpDTB writes the device tree with the command and has dtc read it.
func TestDumpDTB(t *testing.T) {
	dtc, err := exec.LookPath("dtc")
	if err != nil {
		t.Fatal("dtc not found: install the Debian package device-tree-compiler (make setup does)")
	}
	out := filepath.Join(t.TempDir(), "virt.dtb")
	c := newVMDumpDTBCmd()
	c.SetArgs([]string{"--smp", "3", "--mem", "1G", "--append", "console=ttyS0 quiet", "-o", out})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	dts, err := exec.Command(dtc, "-I", "dtb", "-O", "dts", out).Output()
	if err != nil {
		t.Fatalf("dtc: %v", err)
	}
	for _, want := range []string{"cpu@2 {", `bootargs = "console=ttyS0 quiet"`, "reg = <0x00 0x80000000 0x00 0x40000000>", "riscv,isa = \"rv64imafdc"} {
		if !strings.Contains(string(dts), want) {
			t.Errorf("decompiled tree lacks %q", want)
		}
	}
}
