package image

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"strata/image/snapshot"
)

// busyboxRootfs is a tar of a tiny root filesystem around Debian's
// busybox-static.
func busyboxRootfs(t testing.TB) []byte {
	t.Helper()
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal("busybox not found: install Debian package busybox-static")
	}
	bin, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body []byte) {
		h.Size = int64(len(body))
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	for _, d := range []string{"bin", "etc", "tmp"} {
		add(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755}, nil)
	}
	add(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755}, bin)
	for _, l := range []string{"sh", "ls", "cat", "echo"} {
		add(&tar.Header{Name: "bin/" + l, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}, nil)
	}
	add(&tar.Header{Name: "etc/hostname", Typeflag: tar.TypeReg}, []byte("strata\n"))
	add(&tar.Header{Name: "etc/motd", Typeflag: tar.TypeReg}, []byte("hello\n"))
	tw.Close()
	return buf.Bytes()
}

func snapshotters() map[string]func(string) (snapshot.Snapshotter, error) {
	return map[string]func(string) (snapshot.Snapshotter, error){
		"overlay": func(d string) (snapshot.Snapshotter, error) { return snapshot.NewOverlay(d) },
		"copy":    func(d string) (snapshot.Snapshotter, error) { return snapshot.NewCopy(d) },
	}
}

func countSnapshots(t *testing.T, sn snapshot.Snapshotter) int {
	n := 0
	if err := sn.Walk(context.Background(), func(snapshot.Info) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportUnpackCommitPrune(t *testing.T) {
	rootfs := busyboxRootfs(t)
	for drv, open := range snapshotters() {
		t.Run(drv, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			sn, err := open(filepath.Join(s.Root(), "snapshots", drv))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Import(ctx, bytes.NewReader(rootfs), "bb:1", HistoryOptions{Comment: "base"}); err != nil {
				t.Fatal(err)
			}
			top, err := s.Unpack(ctx, sn, "bb:1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Unpack(ctx, sn, "bb:1"); err != nil {
				t.Fatal(err)
			}
			if n := countSnapshots(t, sn); n != 1 {
				t.Fatalf("%d snapshots after unpacking twice, want 1", n)
			}
			ms, err := s.PrepareRootfs(ctx, sn, "bb:1", "c1")
			if err != nil {
				t.Fatal(err)
			}
			mnt := t.TempDir()
			must(t, snapshot.MountAll(ms, mnt))
			must(t, os.WriteFile(filepath.Join(mnt, "etc/new"), []byte("new\n"), 0o644))
			must(t, os.WriteFile(filepath.Join(mnt, "etc/hostname"), []byte("changed\n"), 0o644))
			must(t, os.Remove(filepath.Join(mnt, "etc/motd")))
			must(t, snapshot.Unmount(mnt))

			chs, err := sn.Changes(ctx, "c1")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range chs {
				got = append(got, c.Kind.String()+" "+c.Path)
			}
			if g := strings.Join(got, ","); g != "C /etc,C /etc/hostname,D /etc/motd,A /etc/new" {
				t.Errorf("changes %s", g)
			}
			desc, err := s.Commit(ctx, sn, "c1", "bb:1", "bb:2", HistoryOptions{CreatedBy: "strata commit c1", Comment: "second"})
			if err != nil {
				t.Fatal(err)
			}
			cfg, m, err := s.Config(ctx, "bb:2")
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Layers) != 2 || len(cfg.History) != 2 || cfg.History[1].Comment != "second" || cfg.History[0].Comment != "base" {
				t.Fatalf("committed image: %d layers, history %+v", len(m.Layers), cfg.History)
			}
			// The committed image unpacks elsewhere to the container's tree.
			sn2, err := open(filepath.Join(t.TempDir(), "other"))
			if err != nil {
				t.Fatal(err)
			}
			top2, err := s.Unpack(ctx, sn2, desc.Digest.String())
			if err != nil {
				t.Fatal(err)
			}
			vms, err := sn2.View(ctx, "v", top2)
			if err != nil {
				t.Fatal(err)
			}
			must(t, snapshot.MountAll(vms, mnt))
			files := map[string]string{}
			for _, f := range []string{"etc/new", "etc/hostname", "etc/motd"} {
				b, err := os.ReadFile(filepath.Join(mnt, f))
				if err != nil {
					files[f] = "<missing>"
				} else {
					files[f] = string(b)
				}
			}
			out, err := exec.Command("chroot", mnt, "/bin/sh", "-c", "echo hi").Output()
			must(t, snapshot.Unmount(mnt))
			if err != nil || string(out) != "hi\n" {
				t.Errorf("busybox sh in the committed image: %q, %v", out, err)
			}
			if files["etc/new"] != "new\n" || files["etc/hostname"] != "changed\n" || files["etc/motd"] != "<missing>" {
				t.Errorf("committed tree: %v", files)
			}
			must(t, sn2.Remove(ctx, "v"))

			// Prune keeps what bb:2 and the container use.
			if _, err := s.Untag(ctx, "bb:1"); err != nil {
				t.Fatal(err)
			}
			rep, err := s.Prune(ctx, sn)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Snapshots) != 0 {
				t.Errorf("pruned snapshots in use: %v", rep.Snapshots)
			}
			if _, err := sn.Stat(ctx, top); err != nil {
				t.Errorf("base layer snapshot gone: %v", err)
			}
			// Without the container and the names, everything goes.
			must(t, sn.Remove(ctx, "c1"))
			if _, err := s.Untag(ctx, "bb:2"); err != nil {
				t.Fatal(err)
			}
			if rep, err = s.Prune(ctx, sn); err != nil {
				t.Fatal(err)
			}
			if len(rep.Snapshots) != 1 || countSnapshots(t, sn) != 0 {
				t.Errorf("prune removed %v, %d left", rep.Snapshots, countSnapshots(t, sn))
			}
			blobs, _ := blobFiles(t, s)
			if len(blobs) != 0 {
				t.Errorf("%d blobs left after pruning everything", len(blobs))
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestUnpackCorruptLayerLeavesNoSnapshot(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	sn, err := snapshot.NewOverlay(filepath.Join(s.Root(), "snapshots", "overlay"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, bytes.NewReader(busyboxRootfs(t)), "bb", HistoryOptions{}); err != nil {
		t.Fatal(err)
	}
	_, m, err := s.Manifest(ctx, "bb")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.BlobPath(m.Layers[0].Digest)
	fi, _ := os.Stat(p)
	must(t, os.Truncate(p, fi.Size()/2))
	if _, err := s.Unpack(ctx, sn, "bb"); err == nil {
		t.Fatal("unpacking a truncated layer succeeded")
	}
	if n := countSnapshots(t, sn); n != 0 {
		t.Fatalf("%d snapshots left after a failed unpack", n)
	}
	ps, _ := s.Fsck(ctx)
	if len(ps) != 1 {
		t.Fatalf("fsck: %v", ps)
	}
}

func snapshotMount(ms []snapshot.Mount, target string) error { return snapshot.MountAll(ms, target) }
func snapshotUnmount(target string) error                    { return snapshot.Unmount(target) }

// A crashed diff can leave a snapshot mounted under ROOT/tmp; Prune's
// cleanup of tmp must detach it, not delete through it.
func TestPruneDoesNotDeleteThroughMounts(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	sn, err := snapshot.NewCopy(filepath.Join(s.Root(), "snapshots", "copy"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, bytes.NewReader(busyboxRootfs(t)), "bb", HistoryOptions{}); err != nil {
		t.Fatal(err)
	}
	ms, err := s.PrepareRootfs(ctx, sn, "bb", "c1")
	if err != nil {
		t.Fatal(err)
	}
	mnt := filepath.Join(s.Root(), "tmp", "view-crashed")
	must(t, os.Mkdir(mnt, 0o700))
	must(t, snapshot.MountAll(ms, mnt))
	if _, err := s.Prune(ctx, sn); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mnt); err == nil {
		snapshot.Unmount(mnt)
		t.Fatal("the leftover mount point is still there")
	}
	dir, err := sn.UpperDir(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin/busybox")); err != nil {
		t.Fatalf("the container's snapshot lost its files: %v", err)
	}
}

func TestFsckSnapshots(t *testing.T) {
	ctx := context.Background()
	for drv, open := range snapshotters() {
		sn, err := open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sn.Prepare(ctx, "a", ""); err != nil {
			t.Fatal(err)
		}
		must(t, sn.Commit(ctx, "base", "a"))
		if _, err := sn.Prepare(ctx, "c", "base"); err != nil {
			t.Fatal(err)
		}
		if ps, err := FsckSnapshots(ctx, sn); err != nil || len(ps) != 0 {
			t.Fatalf("%s: %v %v", drv, ps, err)
		}
		// Lose the parent behind the snapshotter's back.
		must(t, os.RemoveAll(filepath.Join(filepath.Dir(mustUpper(t, sn, "c")), "..", snapshotID(sn, "base"))))
		ps, err := FsckSnapshots(ctx, sn)
		if err != nil || len(ps) != 1 || !strings.Contains(ps[0].What, `parent "base" is missing`) {
			t.Fatalf("%s: %v %v", drv, ps, err)
		}
	}
}

func mustUpper(t *testing.T, sn snapshot.Snapshotter, key string) string {
	t.Helper()
	d, err := sn.UpperDir(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// snapshotID finds the directory of a committed snapshot by elimination:
// the one sibling of the active snapshot's directory.
func snapshotID(sn snapshot.Snapshotter, _ string) string {
	d, _ := sn.UpperDir(context.Background(), "c")
	own := filepath.Base(filepath.Dir(d))
	ents, _ := os.ReadDir(filepath.Dir(filepath.Dir(d)))
	for _, e := range ents {
		if e.Name() != own {
			return e.Name()
		}
	}
	return ""
}

// TestCommitRecreatedDirectory: a container removes a directory and makes
// it anew; the committed layer must hide the old contents (an opaque
// directory on overlay, deletions on copy) wherever it is unpacked.
func TestCommitRecreatedDirectory(t *testing.T) {
	for drv, open := range snapshotters() {
		t.Run(drv, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			sn, err := open(filepath.Join(s.Root(), "snapshots", drv))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Import(ctx, bytes.NewReader(busyboxRootfs(t)), "bb", HistoryOptions{}); err != nil {
				t.Fatal(err)
			}
			ms, err := s.PrepareRootfs(ctx, sn, "bb", "c")
			if err != nil {
				t.Fatal(err)
			}
			mnt := t.TempDir()
			must(t, snapshot.MountAll(ms, mnt))
			must(t, os.RemoveAll(filepath.Join(mnt, "etc")))
			must(t, os.Mkdir(filepath.Join(mnt, "etc"), 0o755))
			must(t, os.WriteFile(filepath.Join(mnt, "etc/only"), []byte("1"), 0o644))
			must(t, snapshot.Unmount(mnt))
			if _, err := s.Commit(ctx, sn, "c", "bb", "bb:2", HistoryOptions{}); err != nil {
				t.Fatal(err)
			}
			for other, open2 := range snapshotters() {
				sn2, err := open2(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				top, err := s.Unpack(ctx, sn2, "bb:2")
				if err != nil {
					t.Fatal(err)
				}
				vms, err := sn2.View(ctx, "v", top)
				if err != nil {
					t.Fatal(err)
				}
				must(t, snapshot.MountAll(vms, mnt))
				ents, err := os.ReadDir(filepath.Join(mnt, "etc"))
				must(t, snapshot.Unmount(mnt))
				if err != nil || len(ents) != 1 || ents[0].Name() != "only" {
					t.Errorf("committed on %s, unpacked on %s: etc holds %v, %v; want only", drv, other, ents, err)
				}
			}
		})
	}
}
