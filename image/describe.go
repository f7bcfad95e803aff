package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"strata/image/snapshot"
)

// Description is what `strata image inspect` shows of an image.
type Description struct {
	Names    []string           `json:"names"`
	ID       string             `json:"id"`     // manifest digest, hex, 12 digits
	Digest   digest.Digest      `json:"digest"` // manifest digest
	Created  *time.Time         `json:"created,omitempty"`
	Size     int64              `json:"size"` // config + compressed layers
	Manifest *ocispec.Manifest  `json:"manifest"`
	Config   *ocispec.Image     `json:"config"`
	Chain    []digest.Digest    `json:"chainIDs"` // snapshot keys of the layers
	Desc     ocispec.Descriptor `json:"descriptor"`
}

// HistoryEntry is one line of `strata image history`: a history entry
// with the layer it made (none for empty_layer entries).
type HistoryEntry struct {
	ocispec.History
	Layer *ocispec.Descriptor
}

// Describe gathers what is known about the image nameOrID resolves to.
func (s *Store) Describe(ctx context.Context, nameOrID string) (*Description, error) {
	desc, m, err := s.Manifest(ctx, nameOrID)
	if err != nil {
		return nil, err
	}
	cfg, _, err := s.Config(ctx, desc.Digest.String())
	if err != nil {
		return nil, err
	}
	d := &Description{ID: desc.Digest.Encoded()[:12], Digest: desc.Digest, Created: cfg.Created, Manifest: m, Config: cfg, Desc: desc,
		Chain: ChainIDs(cfg.RootFS.DiffIDs), Size: m.Config.Size}
	for _, l := range m.Layers {
		d.Size += l.Size
	}
	list, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range list {
		if n.Descriptor.Digest == desc.Digest {
			d.Names = append(d.Names, n.Name)
		}
	}
	return d, nil
}

// History pairs the image's history entries with its layers.
func (s *Store) History(ctx context.Context, nameOrID string) ([]HistoryEntry, error) {
	cfg, m, err := s.Config(ctx, nameOrID)
	if err != nil {
		return nil, err
	}
	var out []HistoryEntry
	li := 0
	for _, h := range cfg.History {
		e := HistoryEntry{History: h}
		if !h.EmptyLayer && li < len(m.Layers) {
			l := m.Layers[li]
			e.Layer = &l
			li++
		}
		out = append(out, e)
	}
	// Layers without history (some tools write none).
	for ; li < len(m.Layers); li++ {
		l := m.Layers[li]
		out = append(out, HistoryEntry{Layer: &l})
	}
	return out, nil
}

// Snapshotter opens the store's snapshotter driver ("overlay", "copy" or
// "auto": overlay where overlayfs works under the root, else copy) in
// ROOT/snapshots/DRIVER.
func (s *Store) Snapshotter(driver string) (snapshot.Snapshotter, error) {
	base := filepath.Join(s.root, "snapshots")
	if driver == "" || driver == "auto" {
		driver = "copy"
		if snapshot.Supported(filepath.Join(base, "overlay")) == nil {
			driver = "overlay"
		}
	}
	switch driver {
	case "overlay":
		return snapshot.NewOverlay(filepath.Join(base, "overlay"))
	case "copy":
		return snapshot.NewCopy(filepath.Join(base, "copy"))
	}
	return nil, fmt.Errorf("snapshotter %q: want overlay, copy or auto", driver)
}

// Snapshotters opens every snapshotter driver that has a directory under
// ROOT/snapshots (for Prune).
func (s *Store) Snapshotters() ([]snapshot.Snapshotter, error) {
	var out []snapshot.Snapshotter
	for _, d := range []string{"overlay", "copy"} {
		if _, err := os.Stat(filepath.Join(s.root, "snapshots", d)); errors.Is(err, os.ErrNotExist) {
			continue
		}
		sn, err := s.Snapshotter(d)
		if err != nil {
			return nil, err
		}
		out = append(out, sn)
	}
	return out, nil
}

// ImageForSnapshot finds a name of the image whose top layer is the
// parent of snapshot key (the image a container's rootfs was prepared
// from).
func (s *Store) ImageForSnapshot(ctx context.Context, sn snapshot.Snapshotter, key string) (string, error) {
	info, err := sn.Stat(ctx, key)
	if err != nil {
		return "", err
	}
	list, err := s.List(ctx)
	if err != nil {
		return "", err
	}
	for _, n := range list {
		cfg, _, err := s.Config(ctx, n.Descriptor.Digest.String())
		if err != nil {
			continue
		}
		ch := ChainIDs(cfg.RootFS.DiffIDs)
		top := ""
		if len(ch) > 0 {
			top = ch[len(ch)-1].String()
		}
		if top == info.Parent {
			return n.Name, nil
		}
	}
	return "", fmt.Errorf("snapshot %q: no image in the store has its parent %q as top layer; name the base image", key, info.Parent)
}

// FindSnapshot finds an active snapshot by key or by container name in
// every snapshotter of the store: the key itself, or NAME-XXXXXXXX (eight
// hex digits) — the key `strata run IMAGE` gives a container's rootfs.
func (s *Store) FindSnapshot(ctx context.Context, nameOrKey string) (snapshot.Snapshotter, string, error) {
	sns, err := s.Snapshotters()
	if err != nil {
		return nil, "", err
	}
	type hit struct {
		sn  snapshot.Snapshotter
		key string
	}
	var exact, named []hit
	for _, sn := range sns {
		err := sn.Walk(ctx, func(i snapshot.Info) error {
			if i.Kind != snapshot.KindActive {
				return nil
			}
			if i.Key == nameOrKey {
				exact = append(exact, hit{sn, i.Key})
			} else if rest, ok := strings.CutPrefix(i.Key, nameOrKey+"-"); ok && len(rest) == 8 && isHexPrefix(rest) {
				named = append(named, hit{sn, i.Key})
			}
			return nil
		})
		if err != nil {
			return nil, "", err
		}
	}
	for _, hs := range [][]hit{exact, named} {
		switch len(hs) {
		case 0:
			continue
		case 1:
			return hs[0].sn, hs[0].key, nil
		}
		var keys []string
		for _, h := range hs {
			keys = append(keys, h.sn.Name()+":"+h.key)
		}
		return nil, "", fmt.Errorf("container or snapshot %q is ambiguous: %s", nameOrKey, strings.Join(keys, ", "))
	}
	return nil, "", fmt.Errorf("container or snapshot %q: no active snapshot by that key or container name: %w", nameOrKey, snapshot.ErrNotFound)
}
