package filetree

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestCopy(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "d", "e"), 0o750))
	must(os.WriteFile(filepath.Join(src, "d", "f"), []byte("data"), 0o640))
	must(os.Chown(filepath.Join(src, "d", "f"), 1234, 5678))
	must(os.Chmod(filepath.Join(src, "d", "f"), 0o751|os.ModeSetuid)) // after chown, which clears it
	must(os.Link(filepath.Join(src, "d", "f"), filepath.Join(src, "hard")))
	must(os.Symlink("../outside", filepath.Join(src, "d", "link")))
	must(unix.Mkfifo(filepath.Join(src, "fifo"), 0o600))
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	must(os.Chtimes(filepath.Join(src, "d", "f"), old, old))
	xattr := unix.Lsetxattr(filepath.Join(src, "d", "f"), "user.strata", []byte("v"), 0) == nil
	must(Copy(src, dst))

	fi, err := os.Lstat(filepath.Join(dst, "d", "f"))
	must(err)
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode()&os.ModeSetuid == 0 || fi.Mode().Perm() != 0o751 || st.Uid != 1234 || st.Gid != 5678 || !fi.ModTime().Equal(old) {
		t.Errorf("file metadata: mode %v uid %d gid %d mtime %v", fi.Mode(), st.Uid, st.Gid, fi.ModTime())
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "d", "f")); string(b) != "data" {
		t.Errorf("contents %q", b)
	}
	if d, _ := os.Lstat(filepath.Join(dst, "d")); d.Mode().Perm() != 0o750 {
		t.Errorf("directory mode %v", d.Mode())
	}
	if l, err := os.Readlink(filepath.Join(dst, "d", "link")); err != nil || l != "../outside" {
		t.Errorf("symlink %q %v", l, err)
	}
	h, _ := os.Lstat(filepath.Join(dst, "hard"))
	if !os.SameFile(fi, h) {
		t.Error("hardlink not kept")
	}
	if f, _ := os.Lstat(filepath.Join(dst, "fifo")); f == nil || f.Mode()&os.ModeNamedPipe == 0 {
		t.Error("fifo not copied")
	}
	if xattr && Xattrs(filepath.Join(dst, "d", "f"))["user.strata"] != "v" {
		t.Error("xattr not copied")
	}
	if _, err := os.Lstat(filepath.Join(dst, "outside")); err == nil {
		t.Error("symlink followed")
	}
}
