package fdt

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// dtc runs the device-tree compiler on input; a missing dtc fails the test.
func dtc(t testing.TB, input []byte, args ...string) []byte {
	t.Helper()
	path, err := exec.LookPath("dtc")
	if err != nil {
		t.Fatalf("dtc not found: install the Debian package device-tree-compiler (%v)", err)
	}
	cmd := exec.Command(path, append(args, "-")...)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dtc %v: %v\n%s", args, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Logf("dtc %v: %s", args, stderr.String())
	}
	return out
}

// TestDTCReadsMarshal has dtc decompile Marshal's output and checks that
// it shows every property, and that dtc's own re-encoding parses to the
// same tree.
func TestDTCReadsMarshal(t *testing.T) {
	tree := sample()
	b, err := tree.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	dts := dtc(t, b, "-I", "dtb", "-O", "dts")
	for _, want := range []string{
		"/memreserve/\t0x0000000080000000 0x0000000000040000;",
		"/memreserve/\t0x0000000100000000 0x0000000000001000;",
		"#address-cells = <0x02>;",
		`compatible = "riscv-virtio";`,
		`model = "riscv-virtio,qemu";`,
		"cpu@0 {",
		`device_type = "cpu";`,
		"reg = <0x00>;",
		"interrupt-controller;",
		"phandle = <0x01>;",
		"reg = <0x00 0x80000000 0x00 0x20000000>;",
		"ranges;",
		`compatible = "sifive,clint0\0riscv,clint0";`,
		"interrupts-extended = <0x01 0x03 0x01 0x07>;",
		"odd-bytes = [01 02 03];",
		`bootargs = "console=ttyS0 earlycon";`,
	} {
		if !bytes.Contains(dts, []byte(want)) {
			t.Errorf("dtc output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("dtc output:\n%s", dts)
	}
	// The boot CPU survives dtc's dtb → dtb.
	again, err := Parse(dtc(t, b, "-I", "dtb", "-O", "dtb"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, tree) {
		t.Errorf("dtc's re-encoding parses differently:\n got %+v\nwant %+v", again, tree)
	}
}

// TestParseDTCOutput parses blobs dtc wrote from source, including the
// QEMU virt reference tree, and checks Marshal reproduces what dtc reads.
func TestParseDTCOutput(t *testing.T) {
	src := []byte(`/dts-v1/;
/memreserve/ 0x1000 0x2000;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	label: node@1,2 {
		p = <1 2>, <3>;
		s = "x", "yz";
		bytes = [de ad];
		empty;
		ref = <&label>;
		child { q-q_q.q+q,q#?; };
	};
};
`)
	tree, err := Parse(dtc(t, src, "-I", "dts", "-O", "dtb", "-b", "5"))
	if err != nil {
		t.Fatal(err)
	}
	if tree.BootCPU != 5 || !reflect.DeepEqual(tree.Reserve, []Reservation{{0x1000, 0x2000}}) {
		t.Errorf("header: boot cpu %d, reserve %v", tree.BootCPU, tree.Reserve)
	}
	n := tree.Find("/node@1,2")
	if n == nil {
		t.Fatal("no /node@1,2")
	}
	for _, c := range []struct {
		name string
		want []byte
	}{
		{"p", []byte{0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}},
		{"s", []byte("x\x00yz\x00")},
		{"bytes", []byte{0xde, 0xad}},
		{"empty", []byte{}},
		{"ref", []byte{0, 0, 0, 1}},
		{"phandle", []byte{0, 0, 0, 1}},
	} {
		if p, ok := n.Prop(c.name); !ok || !bytes.Equal(p.Value, c.want) {
			t.Errorf("%s = %x (%v), want %x", c.name, p.Value, ok, c.want)
		}
	}
	if _, ok := tree.Find("/node/child").Prop("q-q_q.q+q,q#?"); !ok {
		t.Error("child property missing")
	}

	ref, err := os.ReadFile(filepath.Join("..", "vm", "testdata", "qemu-virt-512M-smp1.dts"))
	if err != nil {
		t.Fatalf("reference tree: %v", err)
	}
	blob := dtc(t, ref, "-I", "dts", "-O", "dtb")
	tree, err = Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	if n := tree.Find("/soc/serial@10000000"); n == nil {
		t.Fatal("no serial")
	} else if p, _ := n.Prop("clock-frequency"); fmt.Sprintf("%x", p.Value) != "00384000" {
		t.Errorf("clock-frequency = %x", p.Value)
	}
	b, err := tree.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// dtc prints both blobs identically.
	if a, b := dtc(t, blob, "-I", "dtb", "-O", "dts"), dtc(t, b, "-I", "dtb", "-O", "dts"); !bytes.Equal(a, b) {
		t.Errorf("dtc sees a difference:\n%s\n----\n%s", a, b)
	}
}
