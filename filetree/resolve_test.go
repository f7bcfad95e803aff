package filetree

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolveIn(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "a"), 0o755)
	os.Symlink("/etc", filepath.Join(root, "a", "abs"))
	os.Symlink("../../../..", filepath.Join(root, "a", "up"))
	os.Symlink("../a", filepath.Join(root, "a", "rel"))
	for _, c := range []struct {
		in         string
		followLast bool
		want       string
	}{
		{"/a/abs/passwd", true, "/etc/passwd"},
		{"/a/up/etc", true, "/etc"},
		{"/../../x", true, "/x"},
		{"/a/./b/../c", true, "/a/c"},
		{"/a/abs", true, "/etc"},
		{"/a/abs", false, "/a/abs"},
		{"/a/rel/abs/x", false, "/etc/x"},
	} {
		got, err := ResolveIn(root, c.in, c.followLast)
		if err != nil || got != filepath.Join(root, c.want) {
			t.Errorf("ResolveIn(%q, %v) = %q, %v; want %q", c.in, c.followLast, got, err, filepath.Join(root, c.want))
		}
	}
	os.Symlink("loop", filepath.Join(root, "loop"))
	if _, err := ResolveIn(root, "/loop/x", true); err == nil {
		t.Error("a symlink loop resolved")
	}
}
