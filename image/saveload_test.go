package image

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"strata/image/snapshot"
)

// tool finds a command or fails naming the Debian package to install.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install Debian package %s (scripts/setup.sh does)", name, pkg)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestSaveLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := newStore(t)
	if _, err := src.Import(ctx, bytes.NewReader(busyboxRootfs(t)), "bb:1", HistoryOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := src.Tag(ctx, "bb:1", "localhost:5000/team/bb:v2"); err != nil {
		t.Fatal(err)
	}
	_, m, err := src.Manifest(ctx, "bb:1")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []ArchiveFormat{FormatDocker, FormatOCI} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := src.Save(ctx, &buf, []string{"bb:1", "localhost:5000/team/bb:v2"}, f); err != nil {
				t.Fatal(err)
			}
			dst := newStore(t)
			names, err := dst.Load(ctx, bytes.NewReader(buf.Bytes()), LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(names, " ") != "docker.io/library/bb:1 localhost:5000/team/bb:v2" {
				t.Fatalf("loaded %v", names)
			}
			for _, n := range names {
				_, m2, err := dst.Manifest(ctx, n)
				if err != nil {
					t.Fatal(err)
				}
				if m2.Config.Digest != m.Config.Digest || len(m2.Layers) != 1 || m2.Layers[0].Digest != m.Layers[0].Digest {
					t.Errorf("%s: config %s layers %v, want %s %v", n, m2.Config.Digest, m2.Layers, m.Config.Digest, m.Layers)
				}
			}
			if ps, err := dst.Fsck(ctx); err != nil || len(ps) != 0 {
				t.Fatalf("fsck after load: %v %v", ps, err)
			}
		})
	}
}

// TestInteropSkopeoUmoci: an image strata saved is copied by skopeo and
// unpacked by umoci; an image umoci made is loaded and unpacked by strata.
func TestInteropSkopeoUmoci(t *testing.T) {
	skopeo := tool(t, "skopeo", "skopeo")
	umoci := tool(t, "umoci", "umoci")
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Import(ctx, bytes.NewReader(busyboxRootfs(t)), "bb:1", HistoryOptions{}); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	for _, f := range []ArchiveFormat{FormatOCI, FormatDocker} {
		arch := filepath.Join(work, string(f)+".tar")
		var buf bytes.Buffer
		if err := s.Save(ctx, &buf, []string{"bb:1"}, f); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(arch, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		lay := filepath.Join(work, string(f)+"-layout")
		run(t, skopeo, "copy", "--quiet", string(f)+":"+arch, "oci:"+lay+":bb")
		bundle := filepath.Join(work, string(f)+"-bundle")
		run(t, umoci, "unpack", "--rootless", "--image", lay+":bb", bundle)
		b, err := os.ReadFile(filepath.Join(bundle, "rootfs/etc/hostname"))
		if err != nil || string(b) != "strata\n" {
			t.Fatalf("%s via skopeo+umoci: etc/hostname %q, %v", f, b, err)
		}
	}
	// skopeo reads the store's own layout directly.
	out := run(t, skopeo, "inspect", "--raw", "oci:"+s.LayoutDir()+":docker.io/library/bb:1")
	if !strings.Contains(out, "application/vnd.oci.image.layer.v1.tar+gzip") {
		t.Errorf("skopeo inspect of the store: %s", out)
	}

	// The reverse: umoci makes an image, strata loads it (layout and archive).
	lay := filepath.Join(work, "umoci")
	run(t, umoci, "init", "--layout", lay)
	run(t, umoci, "new", "--image", lay+":base")
	bundle := filepath.Join(work, "ubundle")
	run(t, umoci, "unpack", "--rootless", "--image", lay+":base", bundle)
	if err := os.WriteFile(filepath.Join(bundle, "rootfs", "made-by-umoci"), []byte("yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, umoci, "repack", "--image", lay+":base", bundle)
	run(t, umoci, "config", "--image", lay+":base", "--config.cmd", "/bin/sh")
	if _, err := s.LoadLayout(ctx, lay, LoadOptions{}); err == nil {
		t.Error("a layout named only by tag loaded without a name")
	}
	names, err := s.LoadLayout(ctx, lay, LoadOptions{Name: "from-umoci:1"})
	if err != nil || len(names) != 1 {
		t.Fatalf("LoadLayout: %v %v", names, err)
	}
	arch := filepath.Join(work, "umoci.tar")
	run(t, skopeo, "copy", "--quiet", "oci:"+lay+":base", "oci-archive:"+arch+":localhost/umoci/img:2")
	f, err := os.Open(arch)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err = s.Load(ctx, f, LoadOptions{})
	if err != nil || strings.Join(names, " ") != "localhost/umoci/img:2" {
		t.Fatalf("Load of skopeo's oci-archive: %v %v", names, err)
	}
	// A plain docker-archive (manifest.json only) as skopeo writes it.
	darch := filepath.Join(work, "umoci-docker.tar")
	run(t, skopeo, "copy", "--quiet", "oci:"+lay+":base", "docker-archive:"+darch+":localhost/umoci/img:3")
	df, err := os.Open(darch)
	if err != nil {
		t.Fatal(err)
	}
	defer df.Close()
	names, err = s.Load(ctx, df, LoadOptions{})
	if err != nil || strings.Join(names, " ") != "localhost/umoci/img:3" {
		t.Fatalf("Load of skopeo's docker-archive: %v %v", names, err)
	}
	if _, err := s.Unpack(ctx, mustSnapshotter(t, s), "localhost/umoci/img:3"); err != nil {
		t.Fatal(err)
	}
	// Stored with OCI media types, so umoci reads it straight from the store.
	if d, err := s.Resolve(ctx, "localhost/umoci/img:3"); err != nil || d.MediaType != "application/vnd.oci.image.manifest.v1+json" {
		t.Fatalf("docker-archive stored as %q, %v", d.MediaType, err)
	}
	run(t, umoci, "unpack", "--rootless", "--image", s.LayoutDir()+":localhost/umoci/img:3", filepath.Join(work, "from-store"))
	if b, err := os.ReadFile(filepath.Join(work, "from-store", "rootfs", "made-by-umoci")); err != nil || string(b) != "yes\n" {
		t.Fatalf("umoci unpack from the store: %q, %v", b, err)
	}
	cfg, _, err := s.Config(ctx, "localhost/umoci/img:2")
	if err != nil || len(cfg.Config.Cmd) != 1 || cfg.Config.Cmd[0] != "/bin/sh" {
		t.Fatalf("config: %+v %v", cfg, err)
	}
	for drv, open := range snapshotters() {
		sn, err := open(filepath.Join(s.Root(), "snapshots", drv))
		if err != nil {
			t.Fatal(err)
		}
		top, err := s.Unpack(ctx, sn, "from-umoci:1")
		if err != nil {
			t.Fatal(err)
		}
		ms, err := sn.View(ctx, "v", top)
		if err != nil {
			t.Fatal(err)
		}
		mnt := t.TempDir()
		must(t, snapshotMount(ms, mnt))
		b, err := os.ReadFile(filepath.Join(mnt, "made-by-umoci"))
		must(t, snapshotUnmount(mnt))
		if err != nil || string(b) != "yes\n" {
			t.Errorf("%s: made-by-umoci %q, %v", drv, b, err)
		}
	}
}

func mustSnapshotter(t *testing.T, s *Store) snapshot.Snapshotter {
	t.Helper()
	sn, err := s.Snapshotter("auto")
	if err != nil {
		t.Fatal(err)
	}
	return sn
}
