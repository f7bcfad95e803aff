package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"strata/image"
	"strata/image/archive"
)

// PullResult says what Pull stored.
type PullResult struct {
	// Name is the image's normalised name; for a pull by digest alone it
	// is NAME@DIGEST, which resolves in the store but is not an index.json
	// name (tag it to keep it from prune).
	Name string
	// Descriptor is the stored manifest's.
	Descriptor ocispec.Descriptor
	// Fetched and Skipped count the layers downloaded and those already in
	// the store.
	Fetched, Skipped int
	// Bytes is the compressed size downloaded.
	Bytes int64
}

// Pull fetches ref from its registry into the store under ref's
// normalised name: the layers the store lacks in parallel (Options.Jobs),
// each hashed while it streams and made visible only when its digest
// matches, then the config and the manifest. If anything fails, nothing
// is named and no partial blob is visible; blobs fetched whole stay until
// the next prune.
func Pull(ctx context.Context, st *image.Store, ref string, o Options) (PullResult, error) {
	var res PullResult
	sref, err := image.ParseReference(ref)
	if err != nil {
		return res, err
	}
	res.Name = sref.String()
	img, r, err := Fetch(ctx, ref, o)
	if err != nil {
		return res, err
	}
	release, err := st.Lease(ctx)
	if err != nil {
		return res, err
	}
	defer release()
	raw, err := img.RawManifest()
	if err != nil {
		return res, fmt.Errorf("pull %s: manifest: %w", r, explain(err))
	}
	mt, err := img.MediaType()
	if err != nil {
		return res, fmt.Errorf("pull %s: manifest: %w", r, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return res, fmt.Errorf("pull %s: layers: %w", r, err)
	}
	b := newBars(o.Progress)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.jobs())
	// ready[i] is closed once layer i is in the store.
	ready := make([]chan struct{}, len(layers))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	unpackCtx, cancelUnpack := context.WithCancel(ctx)
	defer cancelUnpack()
	unpacked := make(chan error, 1)
	if o.UnpackDir != "" {
		go func() { unpacked <- unpackInOrder(unpackCtx, st, layers, ready, o.UnpackDir) }()
	} else {
		unpacked <- nil
	}
	type count struct {
		fetched bool
		bytes   int64
	}
	counts := make([]count, len(layers))
	for i, l := range layers {
		h, err := l.Digest()
		if err != nil {
			return res, fmt.Errorf("pull %s: layer %d: %w", r, i, err)
		}
		d := digest.Digest(h.String())
		if st.HasBlob(d) {
			close(ready[i])
			continue
		}
		g.Go(func() error {
			n, err := fetchLayer(gctx, st, l, h, b)
			if err != nil {
				return fmt.Errorf("pull %s: layer %d (%s): %w", r, i, d, explain(err))
			}
			counts[i] = count{true, n}
			close(ready[i])
			return nil
		})
	}
	cfgRaw, cfgErr := img.RawConfigFile()
	err = g.Wait()
	b.wait()
	if err != nil {
		cancelUnpack()
		<-unpacked
		return res, err
	}
	if err := <-unpacked; err != nil {
		return res, fmt.Errorf("pull %s: unpack: %w", r, err)
	}
	if cfgErr != nil {
		return res, fmt.Errorf("pull %s: config: %w", r, explain(cfgErr))
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return res, fmt.Errorf("pull %s: config: %w", r, err)
	}
	if _, _, err := st.PutBlob(ctx, bytes.NewReader(cfgRaw), digest.Digest(cfgName.String())); err != nil {
		return res, fmt.Errorf("pull %s: config: %w", r, err)
	}
	// A pull by digest alone names nothing (a store name needs a tag): the
	// image resolves by NAME@DIGEST until it is tagged.
	storeName := res.Name
	if sref.Tag == "" {
		storeName = ""
	}
	desc, err := st.PutManifest(ctx, raw, string(mt), storeName)
	if err != nil {
		return res, fmt.Errorf("pull %s: %w", r, err)
	}
	res.Descriptor = desc
	for _, c := range counts {
		if c.fetched {
			res.Fetched++
			res.Bytes += c.bytes
		}
	}
	res.Skipped = len(layers) - res.Fetched
	return res, nil
}

// unpackInOrder applies the layers to dir bottom-up, each as soon as it
// is ready.
func unpackInOrder(ctx context.Context, st *image.Store, layers []v1.Layer, ready []chan struct{}, dir string) error {
	for i, l := range layers {
		select {
		case <-ready[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		h, err := l.Digest()
		if err != nil {
			return err
		}
		if err := applyBlob(ctx, st, digest.Digest(h.String()), dir); err != nil {
			return fmt.Errorf("layer %d (%s): %w", i, h, err)
		}
	}
	return nil
}

// applyBlob applies one stored layer blob to dir.
func applyBlob(ctx context.Context, st *image.Store, d digest.Digest, dir string) error {
	rc, err := st.GetBlob(ctx, d)
	if err != nil {
		return err
	}
	defer rc.Close()
	tr, err := archive.Decompress(rc)
	if err != nil {
		return err
	}
	defer tr.Close()
	_, err = archive.Apply(ctx, dir, tr, archive.Options{Whiteouts: archive.WhiteoutDelete})
	return err
}

// fetchLayer streams one compressed layer into the store.
func fetchLayer(ctx context.Context, st *image.Store, l v1.Layer, h v1.Hash, b *bars) (int64, error) {
	rc, err := l.Compressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	size, _ := l.Size()
	r, done := b.wrap(shortDigest(h), size, ctxReader{ctx, rc})
	_, n, err := st.PutBlob(ctx, r, digest.Digest(h.String()))
	done(err)
	return n, err
}

// ctxReader stops reading once ctx is done (a failed sibling download
// cancels the others).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Push uploads the store's image src to dest (src's own name when dest is
// empty).
func Push(ctx context.Context, st *image.Store, src, dest string, o Options) (string, error) {
	img, err := st.Image(ctx, src)
	if err != nil {
		return "", err
	}
	if dest == "" {
		ref, err := image.ParseReference(src)
		if err != nil {
			return "", err
		}
		dest = ref.String()
	}
	r, err := PushImage(ctx, img, dest, o)
	if err != nil {
		return "", err
	}
	return r.String(), nil
}
