package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

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
	// Streamed counts the layers unpacked (Options.UnpackDir) straight
	// from their download rather than read back from the store.
	Streamed int
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
	var u *unpacker
	if o.UnpackDir != "" {
		u = newUnpacker(st, layers, ready, o.UnpackDir)
		go func() { unpacked <- u.run(unpackCtx) }()
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
			n, err := fetchLayer(gctx, st, l, h, b, u.stream(i))
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
	if u != nil {
		res.Streamed = u.streamed
	}
	return res, nil
}

// unpacker applies layers to a directory bottom-up. The layer it is
// waiting for when its download starts is handed to it as the live
// download stream (stream), so it is unpacked while it downloads — the
// download then goes at the unpacker's pace; any other layer is read back
// from the store once it is there.
type unpacker struct {
	st       *image.Store
	layers   []v1.Layer
	ready    []chan struct{}
	dir      string
	streams  []chan io.Reader
	mu       sync.Mutex
	next     int // the layer being waited for
	claimed  []bool
	streamed int
}

func newUnpacker(st *image.Store, layers []v1.Layer, ready []chan struct{}, dir string) *unpacker {
	u := &unpacker{st: st, layers: layers, ready: ready, dir: dir,
		streams: make([]chan io.Reader, len(layers)), claimed: make([]bool, len(layers))}
	for i := range u.streams {
		u.streams[i] = make(chan io.Reader, 1)
	}
	return u
}

// stream returns where layer i's download should also be written when the
// unpacker is waiting for exactly that layer (nil otherwise). The caller
// must close it with the download's outcome.
func (u *unpacker) stream(i int) *io.PipeWriter {
	if u == nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.next != i || u.claimed[i] {
		return nil
	}
	u.claimed[i] = true
	pr, pw := io.Pipe()
	u.streams[i] <- pr
	return pw
}

func (u *unpacker) run(ctx context.Context) error {
	for i, l := range u.layers {
		u.mu.Lock()
		u.next = i
		u.mu.Unlock()
		h, err := l.Digest()
		if err != nil {
			return err
		}
		select {
		case r := <-u.streams[i]:
			pr := r.(*io.PipeReader)
			err = applyStream(ctx, pr, u.dir)
			pr.CloseWithError(err) // unblocks the download if we stopped early
			u.streamed++
		case <-u.ready[i]:
			err = applyBlob(ctx, u.st, digest.Digest(h.String()), u.dir)
		case <-ctx.Done():
			return ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("layer %d (%s): %w", i, h, err)
		}
	}
	return nil
}

// applyStream applies a compressed layer stream to dir and drains what
// follows the tar's end (so that the download completes).
func applyStream(ctx context.Context, r io.Reader, dir string) error {
	tr, err := archive.Decompress(r)
	if err != nil {
		return err
	}
	defer tr.Close()
	if _, err := archive.Apply(ctx, dir, tr, archive.Options{Whiteouts: archive.WhiteoutDelete}); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, tr); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, r)
	return err
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

// fetchLayer streams one compressed layer into the store and, when tee
// is not nil, into tee (the unpacker) as well.
func fetchLayer(ctx context.Context, st *image.Store, l v1.Layer, h v1.Hash, b *bars, tee *io.PipeWriter) (int64, error) {
	rc, err := l.Compressed()
	if err != nil {
		if tee != nil {
			tee.CloseWithError(err)
		}
		return 0, err
	}
	defer rc.Close()
	size, _ := l.Size()
	// A failed sibling download cancels ctx and stops this one.
	src := image.ContextReader(ctx, rc)
	if tee != nil {
		src = io.TeeReader(src, tee)
	}
	r, done := b.wrap(shortDigest(h), size, src)
	_, n, err := st.PutBlob(ctx, r, digest.Digest(h.String()))
	done(err)
	if tee != nil {
		if err == nil {
			tee.Close()
		} else {
			tee.CloseWithError(err)
		}
	}
	return n, err
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
