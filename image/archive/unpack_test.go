package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ent is a tar entry for tests.
type ent struct {
	name, link, body string
	typ              byte
	mode             int64
	major            int64
	pax              map[string]string
}

func file(name, body string) ent { return ent{name: name, body: body, typ: tar.TypeReg, mode: 0o644} }
func dir(name string) ent        { return ent{name: name, typ: tar.TypeDir, mode: 0o755} }
func symlink(name, to string) ent {
	return ent{name: name, link: to, typ: tar.TypeSymlink, mode: 0o777}
}
func hardlink(name, to string) ent { return ent{name: name, link: to, typ: tar.TypeLink} }

func mktar(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Size: int64(len(e.body)),
			ModTime: time.Unix(1700000000, 0), Devmajor: e.major, PAXRecords: e.pax, Format: tar.FormatPAX}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sandbox makes base/root (the target) and base/outside/secret (which
// must never change), and returns base.
func sandbox(t testing.TB) string {
	t.Helper()
	base := t.TempDir()
	for _, d := range []string{"root", "outside"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(base, "outside", "secret"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	return base
}

// checkOutside fails if anything outside base/root changed.
func checkOutside(t testing.TB, base string) {
	t.Helper()
	ents, _ := os.ReadDir(base)
	if len(ents) != 2 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("sandbox holds %v, want only root and outside", names)
	}
	out, _ := os.ReadDir(filepath.Join(base, "outside"))
	if len(out) != 1 {
		t.Fatalf("outside/ holds %d entries, want 1", len(out))
	}
	fi, err := os.Lstat(filepath.Join(base, "outside", "secret"))
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("outside/secret: %v %v", fi, err)
	}
	var st unix.Stat_t
	unix.Lstat(filepath.Join(base, "outside", "secret"), &st)
	if st.Nlink != 1 {
		t.Fatalf("outside/secret has %d links", st.Nlink)
	}
	b, _ := os.ReadFile(filepath.Join(base, "outside", "secret"))
	if string(b) != "secret" {
		t.Fatalf("outside/secret now holds %q", b)
	}
}

func TestApplyUnsafeEntries(t *testing.T) {
	long := strings.Repeat("a", 200) + "/"
	tests := []struct {
		name   string
		ents   func(base string) []ent
		unsafe bool     // want an error wrapping ErrUnsafe
		fails  bool     // want some error
		exists []string // paths (relative to root) that must exist afterwards
	}{
		{name: "dotdot", ents: func(string) []ent { return []ent{file("../outside/secret", "pwned")} }, unsafe: true},
		{name: "dotdot deep", ents: func(string) []ent { return []ent{file("a/../../outside/x", "pwned")} }, unsafe: true},
		{name: "absolute path neutralised", ents: func(b string) []ent { return []ent{file(b+"/outside/secret", "pwned")} },
			exists: []string{"$B/outside/secret"}},
		{name: "symlink to absolute dir then write through it", ents: func(b string) []ent {
			return []ent{symlink("evil", b+"/outside"), file("evil/secret", "pwned"), file("evil/new", "x")}
		}, unsafe: true},
		{name: "absolute symlink resolved inside the root", ents: func(b string) []ent {
			return []ent{dir("usr/lib"), symlink("lib", "/usr/lib"), file("lib/x", "x"), symlink("o", b+"/outside"), dir(b[1:] + "/outside"), file("o/secret", "pwned")}
		}, exists: []string{"usr/lib/x", "$B/outside/secret"}},
		{name: "symlink climbing out then write through it", ents: func(string) []ent {
			return []ent{symlink("up", "../../../../../../.."), dir("up/x"), file("up/outside/secret", "pwned")}
		}, exists: []string{"x", "outside/secret"}},
		{name: "file replaces a symlink pointing outside", ents: func(b string) []ent {
			return []ent{symlink("f", b+"/outside/secret"), file("f", "pwned")}
		}, exists: []string{"f"}},
		{name: "hardlink outside", ents: func(string) []ent { return []ent{hardlink("h", "../outside/secret")} }, unsafe: true},
		{name: "hardlink through an escaping symlink", ents: func(b string) []ent {
			return []ent{symlink("s", b+"/outside"), hardlink("h", "s/secret")}
		}, fails: true},
		{name: "device node refused", ents: func(string) []ent {
			return []ent{{name: "dev/sda", typ: tar.TypeBlock, mode: 0o600, major: 8}}
		}, unsafe: true},
		{name: "char device refused", ents: func(string) []ent {
			return []ent{{name: "dev/mem", typ: tar.TypeChar, mode: 0o600, major: 1, link: ""}}
		}, unsafe: true},
		{name: "oversized name", ents: func(string) []ent { return []ent{file(strings.Repeat(long, 25)+"f", "x")} }, unsafe: true},
		{name: "oversized component", ents: func(string) []ent { return []ent{file(strings.Repeat("n", 300), "x")} }, unsafe: true},
		{name: "whiteout of parent", ents: func(string) []ent { return []ent{file("a/.wh...", "")} }, unsafe: true},
		{name: "trusted xattr dropped", ents: func(string) []ent {
			e := dir("d")
			e.pax = map[string]string{"SCHILY.xattr.trusted.overlay.opaque": "y"}
			return []ent{e}
		}, exists: []string{"d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := sandbox(t)
			root := filepath.Join(base, "root")
			_, err := Apply(context.Background(), root, bytes.NewReader(mktar(t, tt.ents(base)...)), Options{})
			switch {
			case tt.unsafe && !errors.Is(err, ErrUnsafe):
				t.Fatalf("Apply: %v, want ErrUnsafe", err)
			case tt.fails && err == nil:
				t.Fatal("Apply succeeded, want an error")
			case !tt.unsafe && !tt.fails && err != nil:
				t.Fatalf("Apply: %v", err)
			}
			checkOutside(t, base)
			for _, p := range tt.exists {
				p = strings.ReplaceAll(p, "$B", strings.TrimPrefix(base, "/"))
				if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
					t.Errorf("%s missing in the layer root: %v", p, err)
				}
			}
			if tt.name == "trusted xattr dropped" {
				if _, err := unix.Getxattr(filepath.Join(root, "d"), OverlayOpaqueXattr, make([]byte, 8)); err == nil {
					t.Error("trusted.overlay.opaque from the tar was set")
				}
			}
		})
	}
}

func TestApplyDevicesAllowed(t *testing.T) {
	root := t.TempDir()
	tarb := mktar(t, ent{name: "dev/null", typ: tar.TypeChar, mode: 0o666, major: 1, pax: nil})
	// major 1 minor 0 is /dev/mem-like; use minor via header below.
	if _, err := Apply(context.Background(), root, bytes.NewReader(tarb), Options{AllowDevices: true}); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(root, "dev/null"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(uint64(st.Rdev)) != 1 {
		t.Fatalf("dev/null: mode %o rdev %d: %v", st.Mode, st.Rdev, err)
	}
}

func TestApplyContentAndMetadata(t *testing.T) {
	root := t.TempDir()
	e := file("bin/tool", "#!/bin/sh\n")
	e.mode = 0o4755
	l := mktar(t, dir("bin"), e, symlink("bin/sh", "/bin/tool"), hardlink("bin/tool2", "bin/tool"), ent{name: "run/fifo", typ: tar.TypeFifo, mode: 0o600})
	st, err := Apply(context.Background(), root, bytes.NewReader(l), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Entries != 5 || st.Bytes != 10 {
		t.Errorf("stats %+v", st)
	}
	fi, err := os.Stat(filepath.Join(root, "bin/tool"))
	if err != nil || fi.Mode()&os.ModeSetuid == 0 || fi.Mode().Perm() != 0o755 {
		t.Fatalf("bin/tool: %v %v", fi.Mode(), err)
	}
	if !fi.ModTime().Equal(time.Unix(1700000000, 0)) {
		t.Errorf("bin/tool mtime %v", fi.ModTime())
	}
	if d, _ := os.Stat(filepath.Join(root, "bin")); !d.ModTime().Equal(time.Unix(1700000000, 0)) {
		t.Errorf("bin mtime %v (directory times are set last)", d.ModTime())
	}
	if l, err := os.Readlink(filepath.Join(root, "bin/sh")); err != nil || l != "/bin/tool" {
		t.Errorf("bin/sh -> %q, %v", l, err)
	}
	var a, b unix.Stat_t
	unix.Stat(filepath.Join(root, "bin/tool"), &a)
	unix.Stat(filepath.Join(root, "bin/tool2"), &b)
	if a.Ino != b.Ino {
		t.Error("bin/tool2 is not a hardlink of bin/tool")
	}
}

func TestApplyWhiteouts(t *testing.T) {
	lower := mktar(t, dir("etc"), file("etc/a", "a"), file("etc/b", "b"), dir("opq"), file("opq/old", "o"), dir("gone"), file("gone/x", "x"))
	upper := mktar(t, file("etc/.wh.a", ""), dir("opq"), file("opq/new", "n"), file("opq/.wh..wh..opq", ""), file(".wh.gone", ""))
	t.Run("delete", func(t *testing.T) {
		root := t.TempDir()
		for _, l := range [][]byte{lower, upper} {
			if _, err := Apply(context.Background(), root, bytes.NewReader(l), Options{}); err != nil {
				t.Fatal(err)
			}
		}
		for p, want := range map[string]bool{"etc/a": false, "etc/b": true, "opq/old": false, "opq/new": true, "gone": false, "etc/.wh.a": false, "opq/.wh..wh..opq": false} {
			_, err := os.Lstat(filepath.Join(root, p))
			if (err == nil) != want {
				t.Errorf("%s exists=%v, want %v", p, err == nil, want)
			}
		}
	})
	t.Run("overlay", func(t *testing.T) {
		root := t.TempDir()
		if _, err := Apply(context.Background(), root, bytes.NewReader(upper), Options{Whiteouts: WhiteoutOverlay}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"etc/a", "gone"} {
			var st unix.Stat_t
			if err := unix.Lstat(filepath.Join(root, p), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
				t.Errorf("%s: not a 0/0 char device whiteout (mode %o rdev %d, %v)", p, st.Mode, st.Rdev, err)
			}
		}
		v := make([]byte, 8)
		n, err := unix.Getxattr(filepath.Join(root, "opq"), OverlayOpaqueXattr, v)
		if err != nil || string(v[:n]) != "y" {
			t.Errorf("opq: opaque xattr %q, %v", v[:n], err)
		}
		if _, err := os.Stat(filepath.Join(root, "opq/new")); err != nil {
			t.Error(err)
		}
	})
}

func FuzzUnpack(f *testing.F) {
	f.Add(mktar(f, dir("a"), file("a/b", "x"), symlink("a/c", "../../.."), file("a/c/d", "y")))
	f.Add(mktar(f, symlink("s", "/"), file("s/etc/x", "x"), hardlink("h", "s/etc/x")))
	f.Add(mktar(f, file("../x", "x")))
	f.Add(mktar(f, file("a/.wh..wh..opq", ""), file(".wh.a", ""), dir("/")))
	f.Add(mktar(f, ent{name: "d", typ: tar.TypeChar}))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		base := sandbox(t)
		root := filepath.Join(base, "root")
		for _, mode := range []WhiteoutMode{WhiteoutDelete, WhiteoutOverlay} {
			_, _ = Apply(context.Background(), root, bytes.NewReader(data), Options{Whiteouts: mode})
			checkOutside(t, base)
		}
	})
}

// gnuSparse builds a tar whose one entry is an old-GNU sparse file of
// 1 GiB made of a single hole: no data in the archive, a gigabyte of
// zeros if unpacked naively.
func gnuSparse(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "hole", Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatGNU}); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	b := buf.Bytes()
	b[156] = tar.TypeGNUSparse
	copy(b[483:495], []byte("10000000000\x00")) // realsize: 1 GiB, octal
	for i := 148; i < 156; i++ {
		b[i] = ' '
	}
	sum := 0
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:156], []byte(fmt.Sprintf("%06o\x00 ", sum)))
	return b
}

func TestApplySparseRefused(t *testing.T) {
	data := gnuSparse(t)
	// The crafted header is really a 1 GiB sparse entry to Go's reader.
	h, err := tar.NewReader(bytes.NewReader(data)).Next()
	if err != nil || h.Size != 1<<30 {
		t.Fatalf("crafted sparse header: size %d, %v", h.Size, err)
	}
	base := sandbox(t)
	_, err = Apply(context.Background(), filepath.Join(base, "root"), bytes.NewReader(data), Options{})
	if !errors.Is(err, ErrUnsafe) {
		t.Fatalf("Apply: %v, want ErrUnsafe", err)
	}
	if _, err := os.Lstat(filepath.Join(base, "root", "hole")); err == nil {
		t.Error("the sparse entry was written")
	}
}

// TestApplyOversizedPAXHeader: a 2 MiB PAX extended header (Go's writer
// refuses to make one, so it is patched in) is refused, nothing written.
func TestApplyOversizedPAXHeader(t *testing.T) {
	rec := "comment=" + strings.Repeat("p", 2<<20) + "\n"
	n := len(rec) + 8
	rec = fmt.Sprintf("%d %s", n, rec)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "PaxHeaders/f", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(rec)), Format: tar.FormatUSTAR}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(rec))
	tw.Flush()
	b := buf.Bytes()
	b[156] = tar.TypeXHeader
	for i := 148; i < 156; i++ {
		b[i] = ' '
	}
	sum := 0
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:156], []byte(fmt.Sprintf("%06o\x00 ", sum)))
	data := append(append([]byte{}, b...), mktar(t, file("f", "x"))...)
	base := sandbox(t)
	root := filepath.Join(base, "root")
	_, err := Apply(context.Background(), root, bytes.NewReader(data), Options{})
	if err == nil || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("Apply of a 2 MiB PAX header: %v, want a header-too-long error", err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Fatalf("entries written: %v", ents)
	}
	checkOutside(t, base)
}
