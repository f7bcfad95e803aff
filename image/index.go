package image

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// Named is one name in the store and the manifest (or index) it points at.
type Named struct {
	Name       string             // normalised, e.g. docker.io/library/busybox:latest
	Descriptor ocispec.Descriptor // the manifest's descriptor in index.json
}

func (s *Store) indexPath() string { return filepath.Join(s.layout, "index.json") }

func (s *Store) readIndex() (*ocispec.Index, error) {
	b, err := os.ReadFile(s.indexPath())
	if err != nil {
		return nil, fmt.Errorf("store index: %w", err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("store index %s: %w", s.indexPath(), err)
	}
	return &idx, nil
}

// writeIndex replaces index.json atomically; the caller holds the index lock.
func (s *Store) writeIndex(idx *ocispec.Index) error {
	idx.Versioned = specs.Versioned{SchemaVersion: 2}
	idx.MediaType = ocispec.MediaTypeImageIndex
	if idx.Manifests == nil {
		idx.Manifests = []ocispec.Descriptor{}
	}
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.indexPath(), b, s.tmpDir())
}

// updateIndex applies fn to index.json under the exclusive index lock.
func (s *Store) updateIndex(fn func(*ocispec.Index) error) error {
	return s.withLock("index", unix.LOCK_EX, func() error {
		idx, err := s.readIndex()
		if err != nil {
			return err
		}
		if err := fn(idx); err != nil {
			return err
		}
		return s.writeIndex(idx)
	})
}

// List returns every name in the store, sorted.
func (s *Store) List(ctx context.Context) ([]Named, error) {
	var out []Named
	err := s.withLock("index", unix.LOCK_SH, func() error {
		idx, err := s.readIndex()
		if err != nil {
			return err
		}
		for _, d := range idx.Manifests {
			n := d.Annotations[ocispec.AnnotationRefName]
			out = append(out, Named{Name: n, Descriptor: d})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// SetName points name (normalised first) at the manifest desc, replacing
// whatever it pointed at. The manifest blob must be in the store.
func (s *Store) SetName(ctx context.Context, name string, desc ocispec.Descriptor) error {
	ref, err := ParseReference(name)
	if err != nil {
		return err
	}
	if ref.Tag == "" {
		return fmt.Errorf("name %q: a name in the store needs a tag, not only a digest", name)
	}
	ref.Digest = ""
	n := ref.String()
	if !s.HasBlob(desc.Digest) {
		return fmt.Errorf("name %s → %s: manifest blob: %w", n, desc.Digest, ErrNotFound)
	}
	d := desc
	d.Annotations = map[string]string{}
	for k, v := range desc.Annotations {
		d.Annotations[k] = v
	}
	d.Annotations[ocispec.AnnotationRefName] = n
	return s.updateIndex(func(idx *ocispec.Index) error {
		kept := idx.Manifests[:0]
		for _, m := range idx.Manifests {
			if m.Annotations[ocispec.AnnotationRefName] != n {
				kept = append(kept, m)
			}
		}
		idx.Manifests = append(kept, d)
		return nil
	})
}

// Tag gives the image that src resolves to the additional name dst.
func (s *Store) Tag(ctx context.Context, src, dst string) error {
	d, err := s.Resolve(ctx, src)
	if err != nil {
		return err
	}
	return s.SetName(ctx, dst, d)
}

// Untag removes a name. If nameOrID is a digest or an ID prefix, every name
// pointing at that manifest is removed. Blobs stay until Prune. It returns
// the names removed.
func (s *Store) Untag(ctx context.Context, nameOrID string) ([]string, error) {
	var removed []string
	err := s.updateIndex(func(idx *ocispec.Index) error {
		match, err := s.matcher(idx, nameOrID)
		if err != nil {
			return err
		}
		kept := idx.Manifests[:0]
		for _, m := range idx.Manifests {
			if match(m) {
				removed = append(removed, m.Annotations[ocispec.AnnotationRefName])
			} else {
				kept = append(kept, m)
			}
		}
		idx.Manifests = kept
		if len(removed) == 0 {
			return fmt.Errorf("image %q: %w", nameOrID, ErrNotFound)
		}
		return nil
	})
	return removed, err
}

// matcher returns a predicate for index entries that nameOrID designates:
// a name (normalised), a NAME@DIGEST, a full digest, or a unique hex prefix
// (at least 4 digits) of a manifest digest.
func (s *Store) matcher(idx *ocispec.Index, nameOrID string) (func(ocispec.Descriptor) bool, error) {
	if d, err := digest.Parse(nameOrID); err == nil {
		return func(m ocispec.Descriptor) bool { return m.Digest == d }, nil
	}
	if isHexPrefix(nameOrID) {
		var found digest.Digest
		for _, m := range idx.Manifests {
			if strings.HasPrefix(m.Digest.Encoded(), nameOrID) {
				if found != "" && found != m.Digest {
					return nil, fmt.Errorf("image ID prefix %q is ambiguous (%s, %s)", nameOrID, found, m.Digest)
				}
				found = m.Digest
			}
		}
		if found != "" {
			return func(m ocispec.Descriptor) bool { return m.Digest == found }, nil
		}
	}
	ref, err := ParseReference(nameOrID)
	if err != nil {
		return nil, err
	}
	if ref.Digest != "" {
		return func(m ocispec.Descriptor) bool { return m.Digest == ref.Digest }, nil
	}
	n := ref.String()
	return func(m ocispec.Descriptor) bool { return m.Annotations[ocispec.AnnotationRefName] == n }, nil
}

func isHexPrefix(s string) bool {
	if len(s) < 4 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Resolve returns the descriptor of the manifest nameOrID designates (see
// Untag for the accepted forms). A NAME@DIGEST or a digest not in
// index.json resolves if the manifest blob is in the store.
func (s *Store) Resolve(ctx context.Context, nameOrID string) (ocispec.Descriptor, error) {
	var out ocispec.Descriptor
	err := s.withLock("index", unix.LOCK_SH, func() error {
		idx, err := s.readIndex()
		if err != nil {
			return err
		}
		match, err := s.matcher(idx, nameOrID)
		if err != nil {
			return err
		}
		for _, m := range idx.Manifests {
			if match(m) {
				out = m
				return nil
			}
		}
		return fmt.Errorf("image %q: %w", nameOrID, ErrNotFound)
	})
	if err == nil {
		return out, nil
	}
	// A digest of a stored manifest that carries no name.
	d, perr := digest.Parse(nameOrID)
	if perr != nil {
		if ref, rerr := ParseReference(nameOrID); rerr == nil && ref.Digest != "" {
			d, perr = ref.Digest, nil
		}
	}
	if perr == nil && s.HasBlob(d) {
		b, rerr := s.ReadBlob(ctx, d)
		if rerr != nil {
			return out, rerr
		}
		mt, merr := sniffMediaType(b)
		if merr != nil {
			return out, fmt.Errorf("image %s: %w", d, merr)
		}
		return ocispec.Descriptor{MediaType: mt, Digest: d, Size: int64(len(b))}, nil
	}
	return out, err
}

// sniffMediaType reads the mediaType of a manifest or index blob.
func sniffMediaType(b []byte) (string, error) {
	var probe struct {
		MediaType string            `json:"mediaType"`
		Config    json.RawMessage   `json:"config"`
		Manifests []json.RawMessage `json:"manifests"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return "", fmt.Errorf("not a manifest: %w", err)
	}
	switch {
	case probe.MediaType != "":
		return probe.MediaType, nil
	case probe.Config != nil:
		return ocispec.MediaTypeImageManifest, nil
	case probe.Manifests != nil:
		return ocispec.MediaTypeImageIndex, nil
	}
	return "", fmt.Errorf("not a manifest: no mediaType, config or manifests")
}
