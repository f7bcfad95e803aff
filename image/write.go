package image

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Lease holds off Prune until release is called. Writers that put blobs
// one by one (a registry pull) take a lease first so that blobs not yet
// named by any manifest are not collected. WriteImage and PutManifest
// take one themselves.
func (s *Store) Lease(ctx context.Context) (release func(), err error) {
	return s.gcShared()
}

// WriteImage stores img (layers, config, manifest; blobs already present
// are skipped) and, if name is non-empty, names it. It returns the
// manifest's descriptor.
func (s *Store) WriteImage(ctx context.Context, img v1.Image, name string) (ocispec.Descriptor, error) {
	release, err := s.Lease(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer release()
	layers, err := img.Layers()
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("write image: layers: %w", err)
	}
	for i, l := range layers {
		h, err := l.Digest()
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("write image: layer %d: %w", i, err)
		}
		d := digest.Digest(h.String())
		if s.HasBlob(d) {
			continue
		}
		rc, err := l.Compressed()
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("write image: layer %d (%s): %w", i, d, err)
		}
		_, _, err = s.PutBlob(ctx, rc, d)
		rc.Close()
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("write image: layer %d: %w", i, err)
		}
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("write image: config: %w", err)
	}
	if _, err := s.PutBlobBytes(ctx, cfg); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("write image: config: %w", err)
	}
	raw, err := img.RawManifest()
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("write image: manifest: %w", err)
	}
	mt, err := img.MediaType()
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("write image: manifest: %w", err)
	}
	return s.PutManifest(ctx, raw, string(mt), name)
}

// PutManifest stores a manifest (OCI or Docker schema 2) or an index
// whose referenced blobs are already in the store, and names it if name is
// non-empty. A manifest that references a missing blob is refused.
func (s *Store) PutManifest(ctx context.Context, raw []byte, mediaType, name string) (ocispec.Descriptor, error) {
	release, err := s.Lease(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer release()
	if mediaType == "" {
		if mediaType, err = sniffMediaType(raw); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("put manifest: %w", err)
		}
	}
	refs, err := manifestRefs(raw, mediaType)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("put manifest: %w", err)
	}
	for _, r := range refs {
		if !s.HasBlob(r.Digest) {
			return ocispec.Descriptor{}, fmt.Errorf("put manifest: references %s (%s): %w", r.Digest, r.MediaType, ErrNotFound)
		}
	}
	d, err := s.PutBlobBytes(ctx, raw)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("put manifest: %w", err)
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(raw))}
	if name != "" {
		if err := s.SetName(ctx, name, desc); err != nil {
			return desc, err
		}
	}
	return desc, nil
}

// isIndex reports whether mt is an OCI index or a Docker manifest list.
func isIndex(mt string) bool {
	return mt == ocispec.MediaTypeImageIndex || mt == string(types.DockerManifestList)
}

// manifestRefs lists the descriptors a manifest or index points at.
func manifestRefs(raw []byte, mediaType string) ([]ocispec.Descriptor, error) {
	if isIndex(mediaType) {
		var idx ocispec.Index
		if err := json.Unmarshal(raw, &idx); err != nil {
			return nil, fmt.Errorf("index: %w", err)
		}
		return idx.Manifests, nil
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if m.Config.Digest == "" {
		return nil, fmt.Errorf("manifest: no config")
	}
	return append([]ocispec.Descriptor{m.Config}, m.Layers...), nil
}

// Manifest reads the image manifest that nameOrID resolves to (for an
// index, the entry for this machine's platform).
func (s *Store) Manifest(ctx context.Context, nameOrID string) (ocispec.Descriptor, *ocispec.Manifest, error) {
	desc, err := s.Resolve(ctx, nameOrID)
	if err != nil {
		return desc, nil, err
	}
	return s.manifestOf(ctx, desc)
}

func (s *Store) manifestOf(ctx context.Context, desc ocispec.Descriptor) (ocispec.Descriptor, *ocispec.Manifest, error) {
	for depth := 0; depth < 4; depth++ {
		raw, err := s.ReadBlob(ctx, desc.Digest)
		if err != nil {
			return desc, nil, err
		}
		if !isIndex(desc.MediaType) {
			var m ocispec.Manifest
			if err := json.Unmarshal(raw, &m); err != nil {
				return desc, nil, fmt.Errorf("manifest %s: %w", desc.Digest, err)
			}
			return desc, &m, nil
		}
		var idx ocispec.Index
		if err := json.Unmarshal(raw, &idx); err != nil {
			return desc, nil, fmt.Errorf("index %s: %w", desc.Digest, err)
		}
		found := false
		for _, m := range idx.Manifests {
			if m.Platform == nil || (m.Platform.OS == runtime.GOOS && m.Platform.Architecture == runtime.GOARCH) {
				desc, found = m, true
				break
			}
		}
		if !found {
			return desc, nil, fmt.Errorf("index %s: no manifest for %s/%s", desc.Digest, runtime.GOOS, runtime.GOARCH)
		}
	}
	return desc, nil, fmt.Errorf("index %s: nested too deeply", desc.Digest)
}

// Image returns the stored image nameOrID resolves to as a
// go-containerregistry v1.Image; every blob read through it is verified.
func (s *Store) Image(ctx context.Context, nameOrID string) (v1.Image, error) {
	desc, _, err := s.Manifest(ctx, nameOrID)
	if err != nil {
		return nil, err
	}
	return s.imageAt(ctx, desc)
}

func (s *Store) imageAt(ctx context.Context, desc ocispec.Descriptor) (v1.Image, error) {
	raw, err := s.ReadBlob(ctx, desc.Digest)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&storeImage{s: s, ctx: ctx, raw: raw, mt: types.MediaType(desc.MediaType)})
}

type storeImage struct {
	s   *Store
	ctx context.Context
	raw []byte
	mt  types.MediaType
}

func (i *storeImage) MediaType() (types.MediaType, error) { return i.mt, nil }
func (i *storeImage) RawManifest() ([]byte, error)        { return i.raw, nil }
func (i *storeImage) RawConfigFile() ([]byte, error) {
	m, err := partial.Manifest(i)
	if err != nil {
		return nil, err
	}
	return i.s.ReadBlob(i.ctx, digest.Digest(m.Config.Digest.String()))
}

func (i *storeImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	m, err := partial.Manifest(i)
	if err != nil {
		return nil, err
	}
	for _, l := range m.Layers {
		if l.Digest == h {
			return &storeLayer{s: i.s, ctx: i.ctx, desc: l}, nil
		}
	}
	if m.Config.Digest == h {
		return &storeLayer{s: i.s, ctx: i.ctx, desc: m.Config}, nil
	}
	return nil, fmt.Errorf("layer %s: not in manifest: %w", h, ErrNotFound)
}

type storeLayer struct {
	s    *Store
	ctx  context.Context
	desc v1.Descriptor
}

func (l *storeLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *storeLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *storeLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *storeLayer) Compressed() (io.ReadCloser, error) {
	return l.s.GetBlob(l.ctx, digest.Digest(l.desc.Digest.String()))
}
