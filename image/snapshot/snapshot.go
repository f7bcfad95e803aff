// Package snapshot keeps unpacked filesystem layers as snapshots after
// containerd's model: a committed snapshot is an immutable layer stack
// (keyed by its chain ID when it holds an image layer), Prepare makes a
// writable active snapshot on top of a parent (a container's rootfs, or a
// layer being unpacked), View a read-only one, and Commit turns an active
// snapshot into a committed one.
//
// Two implementations share one conformance suite: Overlay (overlayfs:
// committed layers are shared lower directories, each active snapshot
// owns an upper and a work directory) and Copy (every snapshot is a full
// copy of its parent's tree, for filesystems where overlayfs is missing).
package snapshot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"strata/image/archive"
)

// Kind is the state of a snapshot.
type Kind int

// Snapshot kinds.
const (
	KindCommitted Kind = iota // immutable; may be a parent
	KindActive                // writable (Prepare)
	KindView                  // read-only (View)
)

// String is "committed", "active" or "view".
func (k Kind) String() string {
	switch k {
	case KindCommitted:
		return "committed"
	case KindActive:
		return "active"
	case KindView:
		return "view"
	}
	return "unknown"
}

// Info describes a snapshot.
type Info struct {
	Key     string    // the snapshot's key (a chain ID for image layers)
	Parent  string    // the parent's key; empty for a base layer
	Kind    Kind      // committed, active or view
	Created time.Time // when it was prepared
}

// Mount is one mount that makes a snapshot's filesystem appear at a
// target directory (see MountAll).
type Mount struct {
	Type    string   // "overlay" or "bind"
	Source  string   // "overlay" or the directory to bind
	Options []string // mount options (lowerdir=…, upperdir=…, ro, rbind)
}

// Usage is the disk space a snapshot itself uses (not its parents).
type Usage struct {
	Size   int64 // bytes in regular files
	Inodes int64 // directory entries
}

// Errors returned (wrapped) by snapshotters.
var (
	ErrNotFound      = errors.New("snapshot not found")
	ErrAlreadyExists = errors.New("snapshot already exists")
	ErrNotCommitted  = errors.New("parent snapshot is not committed")
	ErrNotActive     = errors.New("snapshot is not active")
	ErrHasChildren   = errors.New("snapshot has children")
)

// Snapshotter stores snapshots. Keys are arbitrary non-empty strings.
type Snapshotter interface {
	// Name is the driver name ("overlay", "copy").
	Name() string
	// Prepare creates an active (writable) snapshot key on top of the
	// committed snapshot parent ("" for an empty one) and returns the
	// mounts that show it.
	Prepare(ctx context.Context, key, parent string) ([]Mount, error)
	// View creates a read-only snapshot of parent.
	View(ctx context.Context, key, parent string) ([]Mount, error)
	// Mounts returns the mounts of an existing active or view snapshot.
	Mounts(ctx context.Context, key string) ([]Mount, error)
	// Commit turns the active snapshot key into the committed snapshot
	// name; key no longer exists afterwards.
	Commit(ctx context.Context, name, key string) error
	// Remove deletes a snapshot that no other snapshot has as parent.
	Remove(ctx context.Context, key string) error
	// Stat describes a snapshot.
	Stat(ctx context.Context, key string) (Info, error)
	// Walk calls fn for every snapshot.
	Walk(ctx context.Context, fn func(Info) error) error
	// Usage is the space the snapshot itself takes.
	Usage(ctx context.Context, key string) (Usage, error)
	// UpperDir is the directory to apply a layer into for the active
	// snapshot key (with Whiteouts' convention) without mounting.
	UpperDir(ctx context.Context, key string) (string, error)
	// Whiteouts is how deletions are represented when applying a layer
	// into UpperDir.
	Whiteouts() archive.WhiteoutMode
	// Changes lists what the active snapshot key changed relative to its
	// parent, sorted by path, with the host path of each added or changed
	// entry.
	Changes(ctx context.Context, key string) ([]archive.Change, error)
}

// common is what both drivers do the same way over their metadata: every
// snapshot keeps its own tree in ID/fs (the whole tree for copy, the
// upper directory for overlay).
type common struct{ m *meta }

// Commit turns the active snapshot key into the committed name.
func (c common) Commit(ctx context.Context, name, key string) error { return c.m.commit(name, key) }

// Remove deletes a snapshot with no children.
func (c common) Remove(ctx context.Context, key string) error { return c.m.remove(key) }

// Stat describes a snapshot.
func (c common) Stat(ctx context.Context, key string) (Info, error) { return c.m.stat(key) }

// Walk calls fn for every snapshot.
func (c common) Walk(ctx context.Context, fn func(Info) error) error { return c.m.walk(ctx, fn) }

// Usage is the size of the snapshot's own tree (copy: all of it;
// overlay: its upper directory).
func (c common) Usage(ctx context.Context, key string) (Usage, error) {
	r, err := c.m.get(key)
	if err != nil {
		return Usage{}, err
	}
	return usage(c.m.path(r.ID, "fs"))
}

// UpperDir is the active snapshot's own tree, where a layer is applied.
func (c common) UpperDir(ctx context.Context, key string) (string, error) {
	r, err := c.m.get(key)
	if err != nil {
		return "", err
	}
	if r.Kind != KindActive {
		return "", fmt.Errorf("snapshot %q is %s: %w", key, r.Kind, ErrNotActive)
	}
	return c.m.path(r.ID, "fs"), nil
}
