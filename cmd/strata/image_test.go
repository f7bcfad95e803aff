package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"strata/image"
	"strata/image/snapshot"
)

// strataCmd runs one strata subcommand in-process against root.
func strataCmd(t *testing.T, mk func() *cobra.Command, args ...string) (string, error) {
	t.Helper()
	c := mk()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs(args)
	err := c.Execute()
	return out.String(), err
}

func TestImageCommands(t *testing.T) {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal("busybox not found: install Debian package busybox-static")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "etc"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("cp", bb, filepath.Join(rootfs, "bin/busybox")).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	os.WriteFile(filepath.Join(rootfs, "etc/hostname"), []byte("strata\n"), 0o644)
	tarball := filepath.Join(dir, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", rootfs, "-cf", tarball, ".").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	img := func(args ...string) string {
		t.Helper()
		out, err := strataCmd(t, newImageCmd, append(append([]string{}, args...), "--root", root)...)
		if err != nil {
			t.Fatalf("strata image %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	img("import", "-m", "base", tarball, "bb:1")
	if out := img("ls"); !strings.Contains(out, "bb ") || !strings.Contains(out, " 1 ") {
		t.Errorf("ls:\n%s", out)
	}
	img("tag", "bb:1", "localhost:5000/bb:v1")
	// A container rootfs made from the image, changed, committed.
	c1 := filepath.Join(dir, "c1")
	os.Mkdir(c1, 0o755)
	if out, err := exec.Command("tar", "-C", c1, "-xf", tarball).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	os.WriteFile(filepath.Join(c1, "etc/new"), []byte("x"), 0o644)
	os.Remove(filepath.Join(c1, "etc/hostname"))
	if out := img("diff", "--rootfs", c1, "--image", "bb:1"); !strings.Contains(out, "D /etc/hostname\n") || !strings.Contains(out, "A /etc/new\n") {
		t.Errorf("diff:\n%s", out)
	}
	if out, err := strataCmd(t, newCommitCmd, "--root", root, "--rootfs", c1, "--image", "bb:1", "-m", "second", "bb:2"); err != nil {
		t.Fatalf("commit: %v %s", err, out)
	}
	if out := img("history", "bb:2"); !strings.Contains(out, "second") || !strings.Contains(out, "base") {
		t.Errorf("history:\n%s", out)
	}
	archive := filepath.Join(dir, "bb.tar")
	img("save", "-o", archive, "--format", "oci-archive", "bb:2")
	img("rm", "bb:2")
	if out := img("load", "-i", archive); !strings.Contains(out, "Loaded image: docker.io/library/bb:2") {
		t.Errorf("load: %s", out)
	}
	if out := img("inspect", "bb:2"); !strings.Contains(out, `"docker.io/library/bb:2"`) {
		t.Errorf("inspect: %s", out)
	}
	img("rm", "bb:2", "bb:1", "localhost:5000/bb:v1")
	if out := img("prune"); !strings.Contains(out, "removed 6 blobs") {
		t.Errorf("prune: %s", out)
	}
	if out := img("fsck"); !strings.Contains(out, "ok") {
		t.Errorf("fsck: %s", out)
	}
	// A damaged store makes fsck exit 1.
	img("import", tarball, "bb:3")
	blobs, _ := filepath.Glob(filepath.Join(root, "images/blobs/sha256/*"))
	for _, b := range blobs {
		if fi, _ := os.Stat(b); fi.Size() > 100000 {
			os.Truncate(b, 1000)
		}
	}
	out, err := strataCmd(t, newImageCmd, "fsck", "--root", root)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(out, "does not match its digest") {
		t.Errorf("fsck of a damaged store: %v\n%s", err, out)
	}
}

// TestCommitContainerByName: a container strata run made from an image
// has the rootfs snapshot NAME-XXXXXXXX; commit and diff take NAME.
func TestCommitContainerByName(t *testing.T) {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal("busybox not found: install Debian package busybox-static")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	rootfs := filepath.Join(dir, "rootfs")
	os.MkdirAll(filepath.Join(rootfs, "bin"), 0o755)
	if out, err := exec.Command("cp", bb, filepath.Join(rootfs, "bin/busybox")).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	tarball := filepath.Join(dir, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", rootfs, "-cf", tarball, ".").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if out, err := strataCmd(t, newImageCmd, "import", "--root", root, tarball, "bb:1"); err != nil {
		t.Fatalf("import: %v %s", err, out)
	}
	st, err := image.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	sn, err := st.Snapshotter("auto")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ms, err := st.PrepareRootfs(ctx, sn, "bb:1", "web-0123abcd")
	if err != nil {
		t.Fatal(err)
	}
	mnt := t.TempDir()
	if err := snapshot.MountAll(ms, mnt); err != nil {
		t.Fatal(err)
	}
	werr := os.WriteFile(filepath.Join(mnt, "hello"), []byte("hi\n"), 0o644)
	if err := snapshot.Unmount(mnt); err != nil || werr != nil {
		t.Fatal(err, werr)
	}
	if out, err := strataCmd(t, newImageCmd, "diff", "--root", root, "web"); err != nil || out != "A /hello\n" {
		t.Errorf("diff web: %q, %v", out, err)
	}
	if out, err := strataCmd(t, newCommitCmd, "--root", root, "-m", "hello", "web", "bb:web"); err != nil {
		t.Fatalf("commit web: %v %s", err, out)
	}
	hist, err := st.History(ctx, "bb:web")
	if err != nil || len(hist) != 2 || hist[1].Comment != "hello" {
		t.Fatalf("history of bb:web: %+v, %v", hist, err)
	}
	if out, err := strataCmd(t, newCommitCmd, "--root", root, "nosuch", "x:1"); err == nil {
		t.Errorf("commit of an unknown container succeeded: %s", out)
	}
	if err := sn.Remove(ctx, "web-0123abcd"); err != nil {
		t.Fatal(err)
	}
}
