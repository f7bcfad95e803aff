package fdt

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

// sample builds a small tree exercising every setter.
func sample() *Tree {
	t := New()
	t.BootCPU = 3
	t.Reserve = []Reservation{{0x80000000, 0x40000}, {0x1_0000_0000, 0x1000}}
	r := t.Root
	r.SetU32("#address-cells", 2)
	r.SetU32("#size-cells", 2)
	r.SetString("compatible", "riscv-virtio")
	r.SetString("model", "riscv-virtio,qemu")
	cpus := r.Child("cpus")
	cpus.SetU32("#address-cells", 1)
	cpus.SetU32("#size-cells", 0)
	cpu := cpus.Child("cpu@0")
	cpu.SetString("device_type", "cpu")
	cpu.SetU32("reg", 0)
	intc := cpu.Child("interrupt-controller")
	intc.SetEmpty("interrupt-controller")
	intc.SetU32("#interrupt-cells", 1)
	ph := t.Phandle(intc)
	mem := r.Child("memory@80000000")
	mem.SetString("device_type", "memory")
	mem.SetU64("reg", 0x80000000, 0x20000000)
	soc := r.Child("soc")
	soc.SetEmpty("ranges")
	soc.SetString("compatible", "simple-bus")
	clint := soc.Child("clint@2000000")
	clint.SetString("compatible", "sifive,clint0", "riscv,clint0")
	clint.SetU32("interrupts-extended", ph, 3, ph, 7)
	clint.SetBytes("odd-bytes", []byte{1, 2, 3})
	r.Child("chosen").SetString("bootargs", "console=ttyS0 earlycon")
	return t
}

func TestRoundTrip(t *testing.T) {
	for name, tree := range map[string]*Tree{
		"empty":  New(),
		"sample": sample(),
	} {
		t.Run(name, func(t *testing.T) {
			b, err := tree.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tree) {
				t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, tree)
			}
			b2, err := got.Marshal()
			if err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("re-marshal differs (err %v)", err)
			}
		})
	}
}

// TestGolden checks the exact bytes of a tiny blob against the layout the
// specification describes.
func TestGolden(t *testing.T) {
	tree := New()
	tree.Root.SetU32("a", 1)
	tree.Root.Child("c@1")
	tree.Root.Child("d").SetU32("a", 2) // "a" is stored once in the strings block
	b, err := tree.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		// magic, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap
		"d00dfeed", "00000082", "00000038", "00000080", "00000028",
		// version, last_comp_version, boot_cpuid_phys, size_dt_strings, size_dt_struct
		"00000011", "00000010", "00000000", "00000002", "00000048",
		"0000000000000000", "0000000000000000", // reservation terminator
		"00000001", "00000000", // BEGIN_NODE ""
		"00000003", "00000004", "00000000", "00000001", // PROP a = <1>
		"00000001", "63403100", "00000002", // BEGIN_NODE "c@1", END_NODE
		"00000001", "64000000", // BEGIN_NODE "d"
		"00000003", "00000004", "00000000", "00000002", // PROP a = <2>
		"00000002", "00000002", "00000009", // END_NODE, END_NODE, END
		"6100", // strings: "a\0"
	}, "")
	if got := hex.EncodeToString(b); got != want {
		t.Fatalf("blob\n got %s\nwant %s", got, want)
	}
}

func TestSetters(t *testing.T) {
	n := &Node{}
	n.SetU32("x", 1, 0xdeadbeef)
	n.SetU64("y", 0x0102030405060708)
	n.SetString("s", "a", "bc")
	n.SetEmpty("e")
	n.SetBytes("b", []byte{9})
	n.SetU32("x", 7) // replaces, keeps position
	for _, c := range []struct {
		name string
		want []byte
	}{
		{"x", []byte{0, 0, 0, 7}},
		{"y", []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		{"s", []byte("a\x00bc\x00")},
		{"e", []byte{}},
		{"b", []byte{9}},
	} {
		p, ok := n.Prop(c.name)
		if !ok || !bytes.Equal(p.Value, c.want) {
			t.Errorf("%s = %x, %v; want %x", c.name, p.Value, ok, c.want)
		}
	}
	if len(n.Props) != 5 || n.Props[0].Name != "x" {
		t.Errorf("props %+v", n.Props)
	}
	if _, ok := n.Prop("nope"); ok {
		t.Error("found a missing property")
	}
	p, _ := n.Prop("s")
	if s, ok := p.Strings(); !ok || !reflect.DeepEqual(s, []string{"a", "bc"}) {
		t.Errorf("Strings = %q %v", s, ok)
	}
	p, _ = n.Prop("y")
	if v, ok := p.U32s(); !ok || !reflect.DeepEqual(v, []uint32{0x01020304, 0x05060708}) {
		t.Errorf("U32s = %x %v", v, ok)
	}
	if _, ok := p.U32(); ok {
		t.Error("U32 of an 8-byte value")
	}
	if c1, c2 := n.Child("k"), n.Child("k"); c1 != c2 || len(n.Children) != 1 {
		t.Error("Child did not return the existing child")
	}
}

func TestPhandle(t *testing.T) {
	tree := New()
	a := tree.Root.Child("a")
	b := tree.Root.Child("b")
	c := tree.Root.Child("c")
	c.SetU32("phandle", 41) // an existing phandle is kept and avoided
	if got := tree.Phandle(a); got != 42 {
		t.Errorf("first phandle = %d, want 42", got)
	}
	if got := tree.Phandle(b); got != 43 {
		t.Errorf("second phandle = %d, want 43", got)
	}
	if got := tree.Phandle(a); got != 42 {
		t.Errorf("phandle reassigned: %d", got)
	}
	if got := tree.Phandle(c); got != 41 {
		t.Errorf("existing phandle = %d", got)
	}
	p, _ := a.Prop("phandle")
	if v, _ := p.U32(); v != 42 {
		t.Errorf("phandle property = %x", p.Value)
	}
	d := tree.Root.Child("d")
	d.SetU32("linux,phandle", 7)
	if got := tree.Phandle(d); got != 7 {
		t.Errorf("linux,phandle not honoured: %d", got)
	}
}

func TestFind(t *testing.T) {
	tree := sample()
	tree.Root.Child("aliases").SetString("serial0", "/soc/clint@2000000")
	for _, c := range []struct{ path, want string }{
		{"/", ""},
		{"/cpus/cpu@0/interrupt-controller", "interrupt-controller"},
		{"/cpus/cpu/interrupt-controller", "interrupt-controller"},
		{"/soc/clint@2000000", "clint@2000000"},
		{"/memory", "memory@80000000"},
		{"/soc/", "soc"},
		{"serial0", "clint@2000000"},
		{"/soc/clint@2000001", "-"},
		{"/nope", "-"},
		{"nope/x", "-"},
		{"", "-"},
	} {
		n := tree.Find(c.path)
		got := "-"
		if n != nil {
			got = n.Name
		}
		if got != c.want {
			t.Errorf("Find(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}

func TestMarshalErrors(t *testing.T) {
	deep := New()
	n := deep.Root
	for i := 0; i <= MaxDepth; i++ {
		n = n.Child("n")
	}
	cyc := New()
	cyc.Root.Children = []*Node{{Name: "x"}}
	cyc.Root.Children[0].Children = []*Node{cyc.Root.Children[0]}
	for _, c := range []struct {
		name string
		mod  func(*Tree)
		want string
	}{
		{"root name", func(t *Tree) { t.Root.Name = "x" }, "root node name"},
		{"empty node name", func(t *Tree) { t.Root.Child("") }, "empty node name"},
		{"bad node char", func(t *Tree) { t.Root.Child("a b") }, "character ' ' not allowed"},
		{"slash", func(t *Tree) { t.Root.Child("a/b") }, "not allowed"},
		{"hash in node", func(t *Tree) { t.Root.Child("#a") }, "not allowed"},
		{"empty unit", func(t *Tree) { t.Root.Child("a@") }, "empty unit address"},
		{"two ats", func(t *Tree) { t.Root.Child("a@1@2") }, "unit address"},
		{"long node", func(t *Tree) { t.Root.Child(strings.Repeat("n", 32) + "@1") }, "longer than 31"},
		{"long prop", func(t *Tree) { t.Root.SetEmpty(strings.Repeat("p", 32)) }, "longer than 31"},
		{"empty prop", func(t *Tree) { t.Root.SetEmpty("") }, "empty property name"},
		{"bad prop char", func(t *Tree) { t.Root.Child("soc").SetEmpty("a@b") }, "/soc: property name \"a@b\""},
		{"dup prop", func(t *Tree) { t.Root.Props = append(t.Root.Props, Prop{Name: "model"}) }, "duplicate property \"model\""},
		{"dup child", func(t *Tree) { t.Root.Children = append(t.Root.Children, &Node{Name: "soc"}) }, "duplicate child node \"soc\""},
		{"nil child", func(t *Tree) { t.Root.Children = append(t.Root.Children, nil) }, "nil child"},
		{"zero reservation", func(t *Tree) { t.Reserve = append(t.Reserve, Reservation{}) }, "terminator"},
		{"nil root", func(t *Tree) { t.Root = nil }, "no root"},
		{"deep", func(t *Tree) { *t = *deep }, "deeper than"},
		{"cycle", func(t *Tree) { *t = *cyc }, "cycle"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tree := sample()
			tree.Root.SetString("model", "m")
			c.mod(tree)
			_, err := tree.Marshal()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
	// The longest allowed names are fine.
	ok := New()
	ok.Root.Child(strings.Repeat("n", 31) + "@" + strings.Repeat("1", 40)).SetEmpty(strings.Repeat("p", 31))
	ok.Root.Child("a,b._+-X9").SetEmpty("#a,b._+?-")
	if _, err := ok.Marshal(); err != nil {
		t.Fatal(err)
	}
}

// blob returns a valid marshaled sample and lets mod corrupt it.
func corrupt(t *testing.T, mod func(b []byte) []byte) []byte {
	t.Helper()
	tree := New()
	tree.Reserve = []Reservation{{0x1000, 0x2000}}
	tree.Root.SetU32("a", 1)
	tree.Root.Child("c")
	b, err := tree.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return mod(b)
}

func put(b []byte, off int, v uint32) []byte {
	binary.BigEndian.PutUint32(b[off:], v)
	return b
}

func TestParseErrors(t *testing.T) {
	// Layout of the corrupt() blob: header 0..40, reservations 40..72,
	// struct 72..: 72 BEGIN "", 80 PROP len nameoff value, 96 BEGIN "c",
	// 104 END_NODE, 108 END_NODE, 112 END; strings at 116: "a\0".
	for _, c := range []struct {
		name string
		mod  func([]byte) []byte
		want string
	}{
		{"short", func(b []byte) []byte { return b[:20] }, "shorter than a header"},
		{"magic", func(b []byte) []byte { return put(b, 0, 0xfeeddeed) }, "bad magic"},
		{"totalsize big", func(b []byte) []byte { return put(b, 4, uint32(len(b)+1)) }, "exceeds"},
		{"totalsize small", func(b []byte) []byte { return put(b, 4, 8) }, "smaller than the header"},
		{"old version", func(b []byte) []byte { return put(b, 20, 15) }, "too old"},
		{"future", func(b []byte) []byte { return put(b, 24, 18) }, "newer"},
		{"struct misaligned", func(b []byte) []byte { return put(b, 8, 73) }, "structure block"},
		{"struct past end", func(b []byte) []byte { return put(b, 36, 0xfffffff0) }, "structure block"},
		{"strings past end", func(b []byte) []byte { return put(b, 32, 100) }, "strings block"},
		{"rsv misaligned", func(b []byte) []byte { return put(b, 16, 44) }, "memory reservation block"},
		{"rsv unterminated", func(b []byte) []byte { return put(b, 16, 96) }, "no terminating entry"},
		{"first token", func(b []byte) []byte { return put(b, 72, 2) }, "FDT_END_NODE outside"},
		{"root name", func(b []byte) []byte { b[76] = 'r'; return b }, "root node name"},
		{"bad token", func(b []byte) []byte { return put(b, 104, 7) }, "unknown token 0x7"},
		{"name offset", func(b []byte) []byte { return put(b, 88, 2) }, "outside the strings block"},
		{"name unterminated", func(b []byte) []byte { b[len(b)-1] = 'x'; return b }, "runs past the strings block"},
		{"value too long", func(b []byte) []byte { return put(b, 84, 0x7fffffff) }, "runs past the structure block"},
		{"bad node name", func(b []byte) []byte { b[100] = '/'; return b }, "not allowed"},
		{"bad prop name", func(b []byte) []byte { b[len(b)-2] = '@'; return b }, "not allowed"},
		{"no end", func(b []byte) []byte { return put(b, 36, 40) }, "no FDT_END"},
		{"end early", func(b []byte) []byte { return put(b, 104, tokEnd) }, "still open"},
		{"end first", func(b []byte) []byte { return put(b, 72, tokEnd) }, "before the root"},
		{"prop outside", func(b []byte) []byte { return put(b, 112, tokProp) }, "FDT_PROP outside"},
		{"second root", func(b []byte) []byte { return put(b, 112, tokBeginNode) }, "second top-level"},
		{"truncated struct", func(b []byte) []byte { return put(b, 36, 26) }, "ends inside a token"},
		{"dup prop", func(b []byte) []byte {
			// turn BEGIN_NODE "c" + END_NODE into a second PROP a (len 0).
			put(b, 96, tokProp)
			put(b, 100, 0)
			return put(b, 104, 0)
		}, "duplicate property \"a\""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(corrupt(t, c.mod))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestParseNopsAndTrailing(t *testing.T) {
	b := corrupt(t, func(b []byte) []byte {
		put(b, 104, tokNop) // the END_NODE of "c" becomes a NOP…
		return put(b, 112, tokEndNode)
	})
	// …so "c" now closes at 108 and the root would close at 112: the blob
	// lacks FDT_END.
	if _, err := Parse(b); err == nil {
		t.Fatal("accepted a blob without FDT_END")
	}
	b = corrupt(t, func(b []byte) []byte { return put(b, 104, tokNop) })
	// Now the root never closes before FDT_END.
	if _, err := Parse(b); err == nil {
		t.Fatal("accepted an unclosed root")
	}
	b = corrupt(t, func(b []byte) []byte { return append(b, 1, 2, 3) })
	tree, err := Parse(b) // bytes past totalsize are ignored
	if err != nil {
		t.Fatal(err)
	}
	if tree.Find("/c") == nil || !reflect.DeepEqual(tree.Reserve, []Reservation{{0x1000, 0x2000}}) {
		t.Fatalf("tree %+v", tree)
	}
}

func TestParseV16(t *testing.T) {
	b := corrupt(t, func(b []byte) []byte {
		put(b, 20, 16)
		return put(b, 36, 0xdeadbeef) // size_dt_struct does not exist in v16
	})
	if _, err := Parse(b); err != nil {
		t.Fatal(err)
	}
}
