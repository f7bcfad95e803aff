package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"strata/image/archive"
	"strata/image/snapshot"
)

// Config reads the image config of the image nameOrID resolves to.
func (s *Store) Config(ctx context.Context, nameOrID string) (*ocispec.Image, *ocispec.Manifest, error) {
	_, m, err := s.Manifest(ctx, nameOrID)
	if err != nil {
		return nil, nil, err
	}
	raw, err := s.ReadBlob(ctx, m.Config.Digest)
	if err != nil {
		return nil, m, fmt.Errorf("image %s: config: %w", nameOrID, err)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, m, fmt.Errorf("image %s: config %s: %w", nameOrID, m.Config.Digest, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, m, fmt.Errorf("image %s: config lists %d diff IDs for %d layers", nameOrID, len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
	return &cfg, m, nil
}

// Unpack makes sure every layer of the image is unpacked in sn as a
// committed snapshot keyed by its chain ID — each layer once, however many
// images or processes share it — and returns the top chain ID ("" for an
// image without layers). Layer digests and diff IDs are verified while
// unpacking; a layer that fails leaves no snapshot.
func (s *Store) Unpack(ctx context.Context, sn snapshot.Snapshotter, nameOrID string) (string, error) {
	cfg, m, err := s.Config(ctx, nameOrID)
	if err != nil {
		return "", err
	}
	chains := ChainIDs(cfg.RootFS.DiffIDs)
	parent := ""
	for i, layer := range m.Layers {
		chain := chains[i].String()
		if err := s.unpackLayer(ctx, sn, layer, cfg.RootFS.DiffIDs[i], chain, parent); err != nil {
			return "", fmt.Errorf("image %s: layer %d (%s): %w", nameOrID, i, layer.Digest, err)
		}
		parent = chain
	}
	return parent, nil
}

func (s *Store) unpackLayer(ctx context.Context, sn snapshot.Snapshotter, layer ocispec.Descriptor, diffID digest.Digest, chain, parent string) error {
	unlock, err := s.lock("unpack-"+sn.Name()+"-"+digest.Digest(chain).Encoded(), unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	if info, err := sn.Stat(ctx, chain); err == nil && info.Kind == snapshot.KindCommitted {
		return nil
	}
	key := "extract-" + randomSuffix() + "-" + chain
	if _, err := sn.Prepare(ctx, key, parent); err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			sn.Remove(context.WithoutCancel(ctx), key)
		}
	}()
	dir, err := sn.UpperDir(ctx, key)
	if err != nil {
		return err
	}
	rc, err := s.GetBlob(ctx, layer.Digest)
	if err != nil {
		return err
	}
	defer rc.Close()
	tarStream, err := archive.Decompress(rc)
	if err != nil {
		return err
	}
	defer tarStream.Close()
	dg := digest.SHA256.Digester()
	tee := io.TeeReader(tarStream, dg.Hash())
	if _, err := archive.Apply(ctx, dir, tee, archive.Options{Whiteouts: sn.Whiteouts()}); err != nil {
		return err
	}
	// Trailing padding after the tar's end marker counts toward the diff ID,
	// and draining it lets the compressed reader verify its own digest.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return err
	}
	if got := dg.Digest(); got != diffID {
		return fmt.Errorf("uncompressed layer hashes to %s, config says %s: %w", got, diffID, ErrDigestMismatch)
	}
	if err := sn.Commit(ctx, chain, key); err != nil {
		if errors.Is(err, snapshot.ErrAlreadyExists) {
			return nil
		}
		return err
	}
	ok = true
	return nil
}

// PrepareRootfs unpacks the image and prepares the active snapshot key on
// top of it (a container's writable root filesystem); mount it with
// snapshot.MountAll.
func (s *Store) PrepareRootfs(ctx context.Context, sn snapshot.Snapshotter, nameOrID, key string) ([]snapshot.Mount, error) {
	top, err := s.Unpack(ctx, sn, nameOrID)
	if err != nil {
		return nil, err
	}
	return sn.Prepare(ctx, key, top)
}
