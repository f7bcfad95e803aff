package snapshot

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"strata/filetree"
	"strata/image/archive"
)

// Copy is the copying snapshotter: every snapshot's fs/ holds the whole
// tree, copied from its parent when prepared. It works on any filesystem
// and needs no overlayfs, at the cost of space and time.
type Copy struct{ common }

// NewCopy opens (creating) a copying snapshotter in dir.
func NewCopy(dir string) (*Copy, error) {
	m, err := newMeta(dir)
	if err != nil {
		return nil, err
	}
	return &Copy{common{m}}, nil
}

// Name is "copy".
func (c *Copy) Name() string { return "copy" }

// Whiteouts is WhiteoutDelete.
func (c *Copy) Whiteouts() archive.WhiteoutMode { return archive.WhiteoutDelete }

func (c *Copy) create(key, parent string, kind Kind) ([]Mount, error) {
	r, _, err := c.m.create(key, parent, kind, false, func(fs string, parents []record) error {
		if len(parents) == 0 {
			return nil
		}
		return filetree.Copy(c.m.path(parents[0].ID, "fs"), fs)
	})
	if err != nil {
		return nil, err
	}
	return c.mounts(r), nil
}

func (c *Copy) mounts(r record) []Mount {
	mode := "rw"
	if r.Kind == KindView {
		mode = "ro"
	}
	return []Mount{{Type: "bind", Source: c.m.path(r.ID, "fs"), Options: []string{"rbind", mode}}}
}

// Prepare creates an active snapshot holding a copy of parent.
func (c *Copy) Prepare(ctx context.Context, key, parent string) ([]Mount, error) {
	return c.create(key, parent, KindActive)
}

// View creates a read-only snapshot holding a copy of parent.
func (c *Copy) View(ctx context.Context, key, parent string) ([]Mount, error) {
	return c.create(key, parent, KindView)
}

// Mounts returns a bind mount of the snapshot's tree.
func (c *Copy) Mounts(ctx context.Context, key string) ([]Mount, error) {
	r, err := c.m.get(key)
	if err != nil {
		return nil, err
	}
	return c.mounts(r), nil
}

// Changes compares the snapshot's tree with its parent's.
func (c *Copy) Changes(ctx context.Context, key string) ([]archive.Change, error) {
	r, err := c.m.get(key)
	if err != nil {
		return nil, err
	}
	lower := ""
	if r.Parent != "" {
		p, err := c.m.get(r.Parent)
		if err != nil {
			return nil, err
		}
		lower = c.m.path(p.ID, "fs")
	}
	return DiffDirs(ctx, lower, c.m.path(r.ID, "fs"))
}

// DiffDirs lists the changes that turn the tree lower ("" for none) into
// upper, sorted by path: entries only in upper are additions, entries
// whose type, mode, owner, size, mtime, link target or xattrs differ are
// changes, and entries only in lower are deletions (only the topmost
// deleted path is listed).
func DiffDirs(ctx context.Context, lower, upper string) ([]archive.Change, error) {
	var out []archive.Change
	err := filepath.WalkDir(upper, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == upper {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, upper)
		if lower == "" {
			out = append(out, archive.Change{Kind: archive.ChangeAdd, Path: rel, Source: p})
			return nil
		}
		var us, ls unix.Stat_t
		if err := unix.Lstat(p, &us); err != nil {
			return err
		}
		if err := unix.Lstat(filepath.Join(lower, rel), &ls); err != nil {
			out = append(out, archive.Change{Kind: archive.ChangeAdd, Path: rel, Source: p})
			return nil
		}
		if differs(p, filepath.Join(lower, rel), &us, &ls) {
			out = append(out, archive.Change{Kind: archive.ChangeModify, Path: rel, Source: p})
		}
		return nil
	})
	if err != nil || lower == "" {
		return out, err
	}
	err = filepath.WalkDir(lower, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == lower {
			return nil
		}
		rel := strings.TrimPrefix(p, lower)
		var st unix.Stat_t
		if unix.Lstat(filepath.Join(upper, rel), &st) != nil {
			out = append(out, archive.Change{Kind: archive.ChangeDelete, Path: rel})
			if d.IsDir() {
				return filepath.SkipDir
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}

func differs(up, lp string, us, ls *unix.Stat_t) bool {
	if us.Mode != ls.Mode || us.Uid != ls.Uid || us.Gid != ls.Gid || us.Rdev != ls.Rdev {
		return true
	}
	switch us.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return us.Mtim != ls.Mtim || !sameXattrs(up, lp) // a directory's mtime changes with its children
	case unix.S_IFLNK:
		a, _ := os.Readlink(up)
		b, _ := os.Readlink(lp)
		return a != b
	case unix.S_IFREG:
		if us.Size != ls.Size {
			return true
		}
		if us.Mtim != ls.Mtim {
			return !sameContent(up, lp)
		}
	}
	return !sameXattrs(up, lp)
}

func sameContent(a, b string) bool {
	fa, err := os.Open(a)
	if err != nil {
		return false
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false
	}
	defer fb.Close()
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false
		}
		if ea != nil || eb != nil {
			return ea == eb || (ea == io.ErrUnexpectedEOF && eb == io.ErrUnexpectedEOF)
		}
	}
}

func sameXattrs(a, b string) bool {
	xa, xb := filetree.Xattrs(a), filetree.Xattrs(b)
	if len(xa) != len(xb) {
		return false
	}
	for k, v := range xa {
		if xb[k] != v {
			return false
		}
	}
	return true
}
