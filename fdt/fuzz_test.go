package fdt

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// marshals again into a blob that parses to the same tree.
func FuzzParse(f *testing.F) {
	for _, tree := range []*Tree{New(), sample()} {
		b, err := tree.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tree, err := Parse(b)
		if err != nil {
			return
		}
		out, err := tree.Marshal()
		if err != nil {
			t.Fatalf("parsed tree does not marshal: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("re-marshaled blob does not parse: %v", err)
		}
		if !reflect.DeepEqual(again, tree) {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v", again, tree)
		}
		if out2, err := again.Marshal(); err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("Marshal is not deterministic (err %v)", err)
		}
	})
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzParse when
// FDT_WRITE_SEEDS=1: blobs from Marshal, from dtc (the QEMU virt reference
// tree among them) and a few damaged ones.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("FDT_WRITE_SEEDS") != "1" {
		t.Skip("set FDT_WRITE_SEEDS=1 to regenerate the seed corpus")
	}
	seeds := map[string][]byte{}
	for name, tree := range map[string]*Tree{"empty": New(), "sample": sample()} {
		b, err := tree.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		seeds[name] = b
		seeds[name+"-truncated"] = b[:len(b)*2/3]
	}
	ref, err := os.ReadFile(filepath.Join("..", "vm", "testdata", "qemu-virt-512M-smp1.dts"))
	if err != nil {
		t.Fatal(err)
	}
	seeds["qemu-virt"] = dtc(t, ref, "-I", "dts", "-O", "dtb")
	seeds["dtc-nops"] = dtc(t, []byte("/dts-v1/;\n/memreserve/ 0x1000 0x10;\n/ { a; b = <1>; c@1 { d = \"x\"; }; };\n"),
		"-I", "dts", "-O", "dtb", "-p", "64", "-b", "2")
	bad := append([]byte{}, seeds["sample"]...)
	put(bad, 8, 0x1001) // misaligned structure block
	seeds["bad-offset"] = bad
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
