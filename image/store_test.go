package image

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	digest "github.com/opencontainers/go-digest"
)

func TestParseReference(t *testing.T) {
	tests := []struct {
		in, want, familiar string
		bad                bool
	}{
		{in: "busybox", want: "docker.io/library/busybox:latest", familiar: "busybox:latest"},
		{in: "busybox:1.36", want: "docker.io/library/busybox:1.36", familiar: "busybox:1.36"},
		{in: "user/app", want: "docker.io/user/app:latest", familiar: "user/app:latest"},
		{in: "index.docker.io/library/alpine", want: "docker.io/library/alpine:latest", familiar: "alpine:latest"},
		{in: "localhost:5000/a/b:v1", want: "localhost:5000/a/b:v1", familiar: "localhost:5000/a/b:v1"},
		{in: "localhost/x", want: "localhost/x:latest", familiar: "localhost/x:latest"},
		{in: "127.0.0.1:5000/x@sha256:" + strings.Repeat("a", 64), want: "127.0.0.1:5000/x@sha256:" + strings.Repeat("a", 64)},
		{in: "", bad: true},
		{in: "Busybox", bad: true},
		{in: "busybox:", bad: true},
		{in: "a/../b", bad: true},
		{in: "x@sha256:short", bad: true},
		{in: "x:" + strings.Repeat("t", 129), bad: true},
	}
	for _, tt := range tests {
		r, err := ParseReference(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseReference(%q) = %v, want an error", tt.in, r)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseReference(%q): %v", tt.in, err)
			continue
		}
		if r.String() != tt.want {
			t.Errorf("ParseReference(%q) = %q, want %q", tt.in, r, tt.want)
		}
		if tt.familiar != "" && r.Familiar() != tt.familiar {
			t.Errorf("ParseReference(%q).Familiar() = %q, want %q", tt.in, r.Familiar(), tt.familiar)
		}
	}
}

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randomImage(t *testing.T, layers int64) v1.Image {
	t.Helper()
	img, err := random.Image(512, layers)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func mustDigest(t *testing.T, img v1.Image) digest.Digest {
	t.Helper()
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return digest.Digest(h.String())
}

func TestStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	img := randomImage(t, 3)
	desc, err := s.WriteImage(ctx, img, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if desc.Digest != mustDigest(t, img) {
		t.Fatalf("stored digest %s, image digest %s", desc.Digest, mustDigest(t, img))
	}
	for _, name := range []string{"busybox", "busybox:latest", "docker.io/library/busybox:latest", desc.Digest.String(), desc.Digest.Encoded()[:12]} {
		got, err := s.Resolve(ctx, name)
		if err != nil || got.Digest != desc.Digest {
			t.Errorf("Resolve(%q) = %v, %v; want %s", name, got.Digest, err, desc.Digest)
		}
	}
	back, err := s.Image(ctx, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	if mustDigest(t, back) != desc.Digest {
		t.Fatalf("read back %s, want %s", mustDigest(t, back), desc.Digest)
	}
	ls, err := back.Layers()
	if err != nil || len(ls) != 3 {
		t.Fatalf("layers: %d, %v", len(ls), err)
	}
	for _, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	if err := s.Tag(ctx, "busybox", "localhost:5000/bb:v1"); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "docker.io/library/busybox:latest" || list[1].Name != "localhost:5000/bb:v1" {
		t.Fatalf("List = %+v", list)
	}
	if _, err := s.Untag(ctx, "busybox"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(ctx, "busybox"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Resolve after Untag: %v, want ErrNotFound", err)
	}
	// Reopening sees the same store.
	s2, err := Open(s.Root())
	if err != nil {
		t.Fatal(err)
	}
	if d, err := s2.Resolve(ctx, "localhost:5000/bb:v1"); err != nil || d.Digest != desc.Digest {
		t.Fatalf("reopened Resolve = %v, %v", d.Digest, err)
	}
	if ps, err := s.Fsck(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("Fsck = %v, %v", ps, err)
	}
}

// blobFiles lists blobs/sha256 and tmp.
func blobFiles(t *testing.T, s *Store) (blobs, tmp []string) {
	t.Helper()
	for dir, out := range map[string]*[]string{filepath.Join(s.LayoutDir(), "blobs", "sha256"): &blobs, s.tmpDir(): &tmp} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			*out = append(*out, e.Name())
		}
	}
	return blobs, tmp
}

type failingReader struct {
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	n := min(len(p), f.n)
	for i := range p[:n] {
		p[i] = 'x'
	}
	f.n -= n
	return n, nil
}

func TestPutBlobNeverVisibleOnFailure(t *testing.T) {
	content := bytes.Repeat([]byte("layer"), 10000)
	good := digest.FromBytes(content)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		r      io.Reader
		expect digest.Digest
		is     error
	}{
		{"digest mismatch", context.Background(), bytes.NewReader(content), digest.FromString("other"), ErrDigestMismatch},
		{"truncated", context.Background(), bytes.NewReader(content[:len(content)/2]), good, ErrDigestMismatch},
		{"connection dropped", context.Background(), &failingReader{n: 30000, err: io.ErrUnexpectedEOF}, good, io.ErrUnexpectedEOF},
		{"cancelled", cancelled, bytes.NewReader(content), good, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			_, _, err := s.PutBlob(tt.ctx, tt.r, tt.expect)
			if !errors.Is(err, tt.is) {
				t.Fatalf("PutBlob error %v, want %v", err, tt.is)
			}
			blobs, tmp := blobFiles(t, s)
			if len(blobs) != 0 || len(tmp) != 0 {
				t.Fatalf("after a failed write: blobs %v, tmp %v", blobs, tmp)
			}
			if s.HasBlob(tt.expect) {
				t.Fatal("blob visible after a failed write")
			}
		})
	}
}

func TestCorruptionDetected(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		want   string
	}{
		{"flipped byte", func(t *testing.T, p string) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0xff
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "does not match its digest"},
		{"truncated", func(t *testing.T, p string) {
			if err := os.Truncate(p, 10); err != nil {
				t.Fatal(err)
			}
		}, "does not match its digest"},
		{"missing", func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}, "is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			img := randomImage(t, 2)
			if _, err := s.WriteImage(ctx, img, "victim"); err != nil {
				t.Fatal(err)
			}
			ls, _ := img.Layers()
			h, _ := ls[1].Digest()
			layer := digest.Digest(h.String())
			p, _ := s.BlobPath(layer)
			tt.damage(t, p)
			ps, err := s.Fsck(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != 1 || ps[0].Digest != layer || !strings.Contains(ps[0].What, tt.want) {
				t.Fatalf("Fsck = %v, want one problem with %s saying %q", ps, layer, tt.want)
			}
			// Reading the image's layer fails too.
			back, err := s.Image(ctx, "victim")
			if err != nil {
				t.Fatal(err)
			}
			bl, _ := back.Layers()
			rc, err := bl[1].Compressed()
			if err == nil {
				_, err = io.Copy(io.Discard, rc)
				rc.Close()
			}
			if err == nil {
				t.Fatal("reading a damaged layer succeeded")
			}
		})
	}
}

func TestPutManifestMissingBlobRefused(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	img := randomImage(t, 1)
	raw, _ := img.RawManifest()
	mt, _ := img.MediaType()
	_, err := s.PutManifest(ctx, raw, string(mt), "incomplete")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("PutManifest with no blobs: %v, want ErrNotFound", err)
	}
	if l, _ := s.List(ctx); len(l) != 0 {
		t.Fatalf("names after refused manifest: %v", l)
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	img := randomImage(t, 4)
	other := randomImage(t, 2)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// A second Store on the same root stands in for another process.
			st := s
			if i%2 == 1 {
				var err error
				if st, err = Open(s.Root()); err != nil {
					errs <- err
					return
				}
			}
			if _, err := st.WriteImage(ctx, img, "same"); err != nil {
				errs <- err
			}
			name := "other" + string(rune('a'+i))
			if _, err := st.WriteImage(ctx, other, name); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 9 {
		t.Fatalf("List has %d names, want 9: %v", len(list), list)
	}
	if ps, err := s.Fsck(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("Fsck = %v, %v", ps, err)
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	keep := randomImage(t, 2)
	drop := randomImage(t, 3)
	if _, err := s.WriteImage(ctx, keep, "keep"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WriteImage(ctx, drop, "drop"); err != nil {
		t.Fatal(err)
	}
	stray, err := s.PutBlobBytes(ctx, []byte("unreferenced"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Untag(ctx, "drop"); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Prune(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// drop: 3 layers + config + manifest, and the stray blob.
	if len(rep.Blobs) != 6 {
		t.Fatalf("pruned %d blobs, want 6: %v", len(rep.Blobs), rep.Blobs)
	}
	if s.HasBlob(stray) || s.HasBlob(mustDigest(t, drop)) {
		t.Fatal("unreferenced blobs survived Prune")
	}
	blobs, _ := blobFiles(t, s)
	if len(blobs) != 4 { // keep: 2 layers + config + manifest
		t.Fatalf("%d blobs left, want 4", len(blobs))
	}
	if _, err := s.Image(ctx, "keep"); err != nil {
		t.Fatal(err)
	}
	if ps, err := s.Fsck(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("Fsck = %v, %v", ps, err)
	}
}

func TestPruneWaitsForLeases(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	img := randomImage(t, 2)
	release, err := s.Lease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A pull in progress: blobs arrive one by one, not yet named.
	ls, _ := img.Layers()
	for _, l := range ls {
		rc, _ := l.Compressed()
		h, _ := l.Digest()
		if _, _, err := s.PutBlob(ctx, rc, digest.Digest(h.String())); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	done := make(chan PruneReport)
	go func() {
		rep, err := s.Prune(ctx)
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	cfg, _ := img.RawConfigFile()
	if _, err := s.PutBlobBytes(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	raw, _ := img.RawManifest()
	mt, _ := img.MediaType()
	if _, err := s.PutManifest(ctx, raw, string(mt), "pulled"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		t.Fatal("Prune finished while a lease was held")
	default:
	}
	release()
	rep := <-done
	if len(rep.Blobs) != 0 {
		t.Fatalf("Prune removed %v from an image being written", rep.Blobs)
	}
	if ps, err := s.Fsck(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("Fsck = %v, %v", ps, err)
	}
}

// TestConcurrentProcesses: several processes (this test binary re-run as
// a writer) import the same image under the same name into one store at
// once; all succeed and the store holds one consistent image.
func TestConcurrentProcesses(t *testing.T) {
	if root := os.Getenv("STRATA_TEST_WRITER_ROOT"); root != "" {
		s, err := Open(root)
		if err != nil {
			t.Fatal(err)
		}
		created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := s.Import(context.Background(), bytes.NewReader(busyboxRootfs(t)), "same:1", HistoryOptions{Created: created}); err != nil {
			t.Fatal(err)
		}
		return
	}
	s := newStore(t)
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := 0; i < 4; i++ {
		c := exec.Command(os.Args[0], "-test.run=^TestConcurrentProcesses$", "-test.count=1")
		c.Env = append(os.Environ(), "STRATA_TEST_WRITER_ROOT="+s.Root())
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, c), append(outs, &out)
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("writer %d: %v\n%s", i, err, outs[i])
		}
	}
	list, err := s.List(context.Background())
	if err != nil || len(list) != 1 || list[0].Name != "docker.io/library/same:1" {
		t.Fatalf("List = %v, %v", list, err)
	}
	blobs, tmp := blobFiles(t, s)
	if len(blobs) != 3 || len(tmp) != 0 {
		t.Fatalf("blobs %v, tmp %v; want 3 blobs (one image, written identically by all) and no temporaries", blobs, tmp)
	}
	if ps, err := s.Fsck(context.Background()); err != nil || len(ps) != 0 {
		t.Fatalf("Fsck = %v, %v", ps, err)
	}
}
