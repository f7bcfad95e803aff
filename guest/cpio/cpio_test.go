package cpio

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// parse is an independent newc reader used to check the writer.
type entry struct {
	name             string
	ino, mode, nlink uint64
	size, rmaj, rmin uint64
	data             string
}

func parse(t *testing.T, b []byte) []entry {
	t.Helper()
	var out []entry
	off := 0
	for {
		if off%4 != 0 {
			t.Fatalf("header at unaligned offset %d", off)
		}
		if len(b)-off < 110 {
			t.Fatalf("truncated header at %d", off)
		}
		h := string(b[off : off+110])
		if h[:6] != "070701" {
			t.Fatalf("bad magic %q at %d", h[:6], off)
		}
		f := func(i int) uint64 {
			v, err := strconv.ParseUint(h[6+8*i:14+8*i], 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		e := entry{ino: f(0), mode: f(1), nlink: f(4), size: f(6), rmaj: f(9), rmin: f(10)}
		if f(12) != 0 {
			t.Fatalf("check field %d", f(12))
		}
		namesize := int(f(11))
		off += 110
		e.name = string(b[off : off+namesize-1])
		if b[off+namesize-1] != 0 {
			t.Fatal("name not NUL-terminated")
		}
		off += namesize
		off = (off + 3) &^ 3
		e.data = string(b[off : off+int(e.size)])
		off += int(e.size)
		off = (off + 3) &^ 3
		if e.name == Trailer {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
		out = append(out, e)
	}
}

func build(t *testing.T) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.AddDir("dev", 0o755))
	must(w.AddDevice("dev/console", TypeChar, 0o600, 5, 1))
	must(w.AddFile("/init", 0o755, []byte("#!/bin/sh\necho hi\n"))) // leading slash dropped
	must(w.AddFile("empty", 0o644, nil))
	must(w.AddFile("a", 0o644, []byte("x")))
	must(w.AddSymlink("bin/sh", "/init"))
	must(w.Close())
	if buf.Len()%4 != 0 {
		t.Fatalf("archive length %d not a multiple of 4", buf.Len())
	}
	return buf.Bytes()
}

func TestWriterRoundTrip(t *testing.T) {
	es := parse(t, build(t))
	want := []entry{
		{name: "dev", ino: 1, mode: TypeDir | 0o755, nlink: 2},
		{name: "dev/console", ino: 2, mode: TypeChar | 0o600, nlink: 1, rmaj: 5, rmin: 1},
		{name: "init", ino: 3, mode: TypeReg | 0o755, nlink: 1, size: 18, data: "#!/bin/sh\necho hi\n"},
		{name: "empty", ino: 4, mode: TypeReg | 0o644, nlink: 1},
		{name: "a", ino: 5, mode: TypeReg | 0o644, nlink: 1, size: 1, data: "x"},
		{name: "bin/sh", ino: 6, mode: TypeLink | 0o777, nlink: 1, size: 5, data: "/init"},
	}
	if len(es) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(es), len(want), es)
	}
	for i := range want {
		if es[i] != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, es[i], want[i])
		}
	}
	if !bytes.Equal(build(t), build(t)) {
		t.Error("archive is not deterministic")
	}
}

func TestWriterErrors(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteHeader(&Header{Name: "x", Mode: 0o644}); err == nil {
		t.Error("mode without a file type accepted")
	}
	if err := w.WriteHeader(&Header{Name: "", Mode: TypeReg}); err == nil {
		t.Error("empty name accepted")
	}
	if err := w.WriteHeader(&Header{Name: "d", Mode: TypeDir, Size: 3}); err == nil {
		t.Error("directory with data accepted")
	}
	if err := w.WriteHeader(&Header{Name: "f", Mode: TypeReg | 0o644, Size: 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("12345")); err == nil {
		t.Error("overlong write accepted")
	}
	if err := w.Close(); err == nil {
		t.Error("close with a short entry accepted")
	}
	if _, err := w.Write([]byte("1234")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDebianCpioReads checks the archive against GNU cpio (Debian package
// cpio, installed by make setup), an independent implementation.
func TestDebianCpioReads(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Fatal("cpio not found: install the Debian package cpio (make setup)")
	}
	dir := t.TempDir()
	cmd := exec.Command("cpio", "-t", "-v", "--quiet")
	cmd.Stdin = bytes.NewReader(build(t))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -t: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"drwxr-xr-x", " dev\n", "crw-------", "dev/console", "-rwxr-xr-x", " init\n", "bin/sh -> /init"} {
		if !strings.Contains(s, want) {
			t.Errorf("cpio -tv output lacks %q:\n%s", want, s)
		}
	}
	// Extract the regular files (no device nodes: that needs root).
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.AddDir("d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := w.AddFile("d/f", 0o640, []byte("hello, cpio\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("cpio", "-i", "-d", "--quiet")
	cmd.Stdin = &buf
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio -i: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "d", "f"))
	if err != nil || string(got) != "hello, cpio\n" {
		t.Fatalf("extracted d/f = %q, %v", got, err)
	}
}
