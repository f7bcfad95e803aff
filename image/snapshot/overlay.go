package snapshot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"strata/image/archive"
)

// Overlay is the overlayfs snapshotter: each committed layer is a
// directory shared as a lower layer by every snapshot built on it; an
// active snapshot owns an upper and a work directory.
type Overlay struct{ common }

// NewOverlay opens (creating) an overlay snapshotter in dir, which must be
// on a filesystem overlayfs accepts as upper (ext4, xfs, tmpfs…).
func NewOverlay(dir string) (*Overlay, error) {
	m, err := newMeta(dir)
	if err != nil {
		return nil, err
	}
	return &Overlay{common{m}}, nil
}

// Supported reports whether overlayfs is usable for a snapshotter in dir
// (the kernel has it and an overlay can be mounted there).
func Supported(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	t, err := os.MkdirTemp(dir, "overlay-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(t)
	for _, d := range []string{"l1", "l2", "u", "w", "m"} {
		if err := os.Mkdir(filepath.Join(t, d), 0o700); err != nil {
			return err
		}
	}
	opts := fmt.Sprintf("lowerdir=%s:%s,upperdir=%s,workdir=%s", filepath.Join(t, "l1"), filepath.Join(t, "l2"), filepath.Join(t, "u"), filepath.Join(t, "w"))
	if err := unix.Mount("overlay", filepath.Join(t, "m"), "overlay", 0, opts); err != nil {
		return fmt.Errorf("overlayfs in %s: %w", dir, err)
	}
	return unix.Unmount(filepath.Join(t, "m"), unix.MNT_DETACH)
}

// Name is "overlay".
func (o *Overlay) Name() string { return "overlay" }

// Whiteouts is WhiteoutOverlay.
func (o *Overlay) Whiteouts() archive.WhiteoutMode { return archive.WhiteoutOverlay }

// Prepare creates an active snapshot on parent.
func (o *Overlay) Prepare(ctx context.Context, key, parent string) ([]Mount, error) {
	r, parents, err := o.m.create(key, parent, KindActive, true, nil)
	if err != nil {
		return nil, err
	}
	return o.mounts(r, parents), nil
}

// View creates a read-only snapshot of parent.
func (o *Overlay) View(ctx context.Context, key, parent string) ([]Mount, error) {
	r, parents, err := o.m.create(key, parent, KindView, false, nil)
	if err != nil {
		return nil, err
	}
	return o.mounts(r, parents), nil
}

// Mounts returns the mounts of an active or view snapshot.
func (o *Overlay) Mounts(ctx context.Context, key string) ([]Mount, error) {
	r, err := o.m.get(key)
	if err != nil {
		return nil, err
	}
	parents, err := o.m.chain(r.Parent)
	if err != nil {
		return nil, err
	}
	return o.mounts(r, parents), nil
}

func (o *Overlay) mounts(r record, parents []record) []Mount {
	fs := o.m.path(r.ID, "fs")
	switch {
	case r.Kind == KindView && len(parents) == 1:
		return []Mount{{Type: "bind", Source: o.m.path(parents[0].ID, "fs"), Options: []string{"rbind", "ro"}}}
	case r.Kind == KindView && len(parents) == 0:
		return []Mount{{Type: "bind", Source: fs, Options: []string{"rbind", "ro"}}}
	case r.Kind != KindView && len(parents) == 0:
		return []Mount{{Type: "bind", Source: fs, Options: []string{"rbind", "rw"}}}
	}
	var lower []string
	for _, p := range parents {
		lower = append(lower, o.m.path(p.ID, "fs"))
	}
	opts := []string{"lowerdir=" + strings.Join(lower, ":")}
	if r.Kind == KindView {
		opts = append(opts, "ro")
	} else {
		opts = append(opts, "upperdir="+fs, "workdir="+o.m.path(r.ID, "work"))
	}
	return []Mount{{Type: "overlay", Source: "overlay", Options: opts}}
}

// Changes reads the upper directory: 0/0 character devices are deletions,
// opaque directories hide their lower contents, anything else is an
// addition or (when a lower layer has the path) a change.
func (o *Overlay) Changes(ctx context.Context, key string) ([]archive.Change, error) {
	r, err := o.m.get(key)
	if err != nil {
		return nil, err
	}
	parents, err := o.m.chain(r.Parent)
	if err != nil {
		return nil, err
	}
	var lowers []string
	for _, p := range parents {
		lowers = append(lowers, o.m.path(p.ID, "fs"))
	}
	upper := o.m.path(r.ID, "fs")
	var out []archive.Change
	err = filepath.WalkDir(upper, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == upper {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel := "/" + filepath.ToSlash(strings.TrimPrefix(p, upper+"/"))
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0 {
			if lowerExists(lowers, rel) {
				out = append(out, archive.Change{Kind: archive.ChangeDelete, Path: rel})
			}
			return nil
		}
		c := archive.Change{Kind: archive.ChangeAdd, Path: rel, Source: p}
		if lowerExists(lowers, rel) {
			c.Kind = archive.ChangeModify
		}
		if d.IsDir() && isOpaque(p) {
			c.Opaque = true
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

func isOpaque(p string) bool {
	v := make([]byte, 4)
	n, err := unix.Lgetxattr(p, archive.OverlayOpaqueXattr, v)
	return err == nil && n == 1 && v[0] == 'y'
}

// lowerExists reports whether rel exists in the merged view of lowers
// (nearest first), honouring whiteouts and opaque directories.
func lowerExists(lowers []string, rel string) bool {
	parts := strings.Split(strings.TrimPrefix(rel, "/"), "/")
	for _, l := range lowers {
		cur := l
		stop := false
		for i, c := range parts {
			cur = filepath.Join(cur, c)
			var st unix.Stat_t
			if err := unix.Lstat(cur, &st); err != nil {
				break // not in this layer; look further down unless opaque above
			}
			if st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0 {
				return false
			}
			if i == len(parts)-1 {
				return true
			}
			if st.Mode&unix.S_IFMT != unix.S_IFDIR {
				return false
			}
			if isOpaque(cur) {
				stop = true
			}
		}
		if stop {
			return false
		}
	}
	return false
}
