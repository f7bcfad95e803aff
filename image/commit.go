package image

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"strata/image/archive"
	"strata/image/snapshot"
)

// HistoryOptions describe the history entry a new layer gets.
type HistoryOptions struct {
	CreatedBy string    // e.g. "strata commit c1"
	Comment   string    // free text (commit message)
	Author    string    // who made it
	Created   time.Time // zero: now
}

// putLayer gzips the tar stream that write produces into a blob and
// returns it as a layer whose digest and diff ID are both known.
func (s *Store) putLayer(ctx context.Context, write func(io.Writer) error) (v1.Layer, error) {
	pr, pw := io.Pipe()
	diff := digest.SHA256.Digester()
	go func() {
		zw := gzip.NewWriter(pw)
		err := write(io.MultiWriter(zw, diff.Hash()))
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	d, n, err := s.PutBlob(ctx, pr, "")
	pr.CloseWithError(err)
	if err != nil {
		return nil, fmt.Errorf("new layer: %w", err)
	}
	h, _ := v1.NewHash(d.String())
	dh, _ := v1.NewHash(diff.Digest().String())
	return partial.CompressedToLayer(&knownLayer{storeLayer: storeLayer{s: s, ctx: ctx, desc: v1.Descriptor{
		MediaType: types.OCILayer, Digest: h, Size: n}}, diffID: dh})
}

type knownLayer struct {
	storeLayer
	diffID v1.Hash
}

func (l *knownLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }

// appendLayer writes base + layer as a new image named name.
func (s *Store) appendLayer(ctx context.Context, base v1.Image, layer v1.Layer, h HistoryOptions, name string) (ocispec.Descriptor, error) {
	created := h.Created
	if created.IsZero() {
		created = time.Now().UTC()
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: created}, CreatedBy: h.CreatedBy, Comment: h.Comment, Author: h.Author},
	})
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	cfg = cfg.DeepCopy()
	cfg.Created = v1.Time{Time: created}
	if h.Author != "" {
		cfg.Author = h.Author
	}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return ocispec.Descriptor{}, err
	}
	return s.WriteImage(ctx, img, name)
}

// Import makes a one-layer image from a root filesystem tarball (plain,
// gzip or zstd) and names it. The image is for linux on this machine's
// architecture.
func (s *Store) Import(ctx context.Context, r io.Reader, name string, h HistoryOptions) (ocispec.Descriptor, error) {
	if _, err := ParseReference(name); err != nil {
		return ocispec.Descriptor{}, err
	}
	release, err := s.Lease(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer release()
	tr, err := archive.Decompress(r)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("import: %w", err)
	}
	defer tr.Close()
	layer, err := s.putLayer(ctx, func(w io.Writer) error { _, err := io.Copy(w, tr); return err })
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("import: %w", err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	cfg, err := base.ConfigFile()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if base, err = mutate.ConfigFile(base, cfg); err != nil {
		return ocispec.Descriptor{}, err
	}
	if h.CreatedBy == "" {
		h.CreatedBy = "strata image import"
	}
	return s.appendLayer(ctx, base, layer, h, name)
}

// Commit makes a new image from baseImage plus one layer holding the
// changes of the active snapshot key (a container's rootfs prepared on the
// image's top chain ID), with a history entry, and names it.
func (s *Store) Commit(ctx context.Context, sn snapshot.Snapshotter, key, baseImage, name string, h HistoryOptions) (ocispec.Descriptor, error) {
	changes, err := sn.Changes(ctx, key)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("commit %s: %w", key, err)
	}
	return s.commitChanges(ctx, changes, baseImage, name, h)
}

// CommitDir is Commit for a container whose root filesystem is the plain
// directory rootfs (not a snapshot): its changes are found by comparing
// it with baseImage's unpacked tree (a view in sn).
func (s *Store) CommitDir(ctx context.Context, sn snapshot.Snapshotter, rootfs, baseImage, name string, h HistoryOptions) (ocispec.Descriptor, error) {
	changes, cleanup, err := s.DiffDir(ctx, sn, rootfs, baseImage)
	defer cleanup()
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return s.commitChanges(ctx, changes, baseImage, name, h)
}

// DiffDir lists how the directory rootfs differs from baseImage's tree.
// Change sources point into rootfs; call cleanup when done with them.
func (s *Store) DiffDir(ctx context.Context, sn snapshot.Snapshotter, rootfs, baseImage string) ([]archive.Change, func(), error) {
	nop := func() {}
	release, err := s.Lease(ctx)
	if err != nil {
		return nil, nop, err
	}
	top, err := s.Unpack(ctx, sn, baseImage)
	if err != nil {
		release()
		return nil, nop, err
	}
	if top == "" {
		release()
		ch, err := snapshot.DiffDirs(ctx, "", rootfs)
		return ch, nop, err
	}
	key := "diff-view-" + randomSuffix()
	ms, err := sn.View(ctx, key, top)
	if err != nil {
		release()
		return nil, nop, err
	}
	mnt, err := os.MkdirTemp(s.tmpDir(), "view-")
	if err != nil {
		sn.Remove(ctx, key)
		release()
		return nil, nop, err
	}
	cleanup := func() {
		snapshot.Unmount(mnt)
		os.Remove(mnt)
		sn.Remove(context.WithoutCancel(ctx), key)
		release()
	}
	if err := snapshot.MountAll(ms, mnt); err != nil {
		os.Remove(mnt)
		sn.Remove(ctx, key)
		release()
		return nil, nop, err
	}
	ch, err := snapshot.DiffDirs(ctx, mnt, rootfs)
	return ch, cleanup, err
}

func (s *Store) commitChanges(ctx context.Context, changes []archive.Change, baseImage, name string, h HistoryOptions) (ocispec.Descriptor, error) {
	if _, err := ParseReference(name); err != nil {
		return ocispec.Descriptor{}, err
	}
	release, err := s.Lease(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer release()
	base, err := s.Image(ctx, baseImage)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	layer, err := s.putLayer(ctx, func(w io.Writer) error { return archive.WriteChanges(w, changes) })
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("commit: %w", err)
	}
	if h.CreatedBy == "" {
		h.CreatedBy = "strata commit"
	}
	return s.appendLayer(ctx, base, layer, h, name)
}
