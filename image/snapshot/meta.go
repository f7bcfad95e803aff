package snapshot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// meta is the bookkeeping both drivers share: one directory per snapshot
// under DIR/snapshots/ID (ID derived from the key), holding info.json and
// fs/ (and work/ for overlay). Changes happen under an exclusive flock on
// DIR/lock, so several processes can share a snapshotter directory.
type meta struct {
	dir string
}

type record struct {
	Info
	ID string `json:"id"`
}

func newMeta(dir string) (*meta, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("snapshotter %q: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, "snapshots"), 0o700); err != nil {
		return nil, fmt.Errorf("snapshotter %s: %w", abs, err)
	}
	return &meta{dir: abs}, nil
}

// idOf names a key's directory: short enough that a long lowerdir= list
// of overlay layers fits in one mount option page.
func idOf(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:8])
}

func (m *meta) path(id string, sub ...string) string {
	return filepath.Join(append([]string{m.dir, "snapshots", id}, sub...)...)
}

func (m *meta) locked(how int, fn func() error) error {
	f, err := os.OpenFile(filepath.Join(m.dir, "lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("snapshotter lock: %w", err)
	}
	defer f.Close()
	for {
		if err = unix.Flock(int(f.Fd()), how); err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("snapshotter lock: %w", err)
	}
	return fn()
}

func (m *meta) get(key string) (record, error) {
	if key == "" {
		return record{}, fmt.Errorf("snapshot key: empty: %w", ErrNotFound)
	}
	id := idOf(key)
	b, err := os.ReadFile(m.path(id, "info.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return record{}, fmt.Errorf("snapshot %q: %w", key, ErrNotFound)
		}
		return record{}, fmt.Errorf("snapshot %q: %w", key, err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return record{}, fmt.Errorf("snapshot %q: info.json: %w", key, err)
	}
	if r.Key != key {
		return record{}, fmt.Errorf("snapshot %q: id %s belongs to %q", key, id, r.Key)
	}
	return r, nil
}

func (m *meta) put(r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	tmp := m.path(r.ID, "info.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("snapshot %q: %w", r.Key, err)
	}
	return os.Rename(tmp, m.path(r.ID, "info.json"))
}

// chain returns the records of key's parents, nearest first.
func (m *meta) chain(parent string) ([]record, error) {
	var out []record
	for p := parent; p != ""; {
		r, err := m.get(p)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		p = r.Parent
		if len(out) > 500 {
			return nil, fmt.Errorf("snapshot %q: parent chain too long", parent)
		}
	}
	return out, nil
}

// create makes the directory of a new snapshot (fs/ and, if work, work/)
// after checking the key is free and the parent committed; init fills
// fs/ before the snapshot becomes visible.
func (m *meta) create(key, parent string, kind Kind, work bool, init func(fs string, parents []record) error) (record, []record, error) {
	var r record
	var parents []record
	err := m.locked(unix.LOCK_EX, func() error {
		if key == "" {
			return fmt.Errorf("snapshot key: empty")
		}
		if _, err := m.get(key); err == nil {
			return fmt.Errorf("snapshot %q: %w", key, ErrAlreadyExists)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if parent != "" {
			p, err := m.get(parent)
			if err != nil {
				return fmt.Errorf("parent: %w", err)
			}
			if p.Kind != KindCommitted {
				return fmt.Errorf("parent %q is %s: %w", parent, p.Kind, ErrNotCommitted)
			}
			if parents, err = m.chain(parent); err != nil {
				return err
			}
		}
		r = record{Info: Info{Key: key, Parent: parent, Kind: kind, Created: time.Now().UTC()}, ID: idOf(key)}
		d := m.path(r.ID)
		os.RemoveAll(d) // a leftover of a crash before info.json was written
		if err := os.MkdirAll(filepath.Join(d, "fs"), 0o755); err != nil {
			return fmt.Errorf("snapshot %q: %w", key, err)
		}
		if work {
			if err := os.Mkdir(filepath.Join(d, "work"), 0o700); err != nil {
				return fmt.Errorf("snapshot %q: %w", key, err)
			}
		}
		if init != nil {
			if err := init(filepath.Join(d, "fs"), parents); err != nil {
				os.RemoveAll(d)
				return fmt.Errorf("snapshot %q: %w", key, err)
			}
		}
		if err := m.put(r); err != nil {
			os.RemoveAll(d)
			return err
		}
		return nil
	})
	return r, parents, err
}

func (m *meta) commit(name, key string) error {
	return m.locked(unix.LOCK_EX, func() error {
		r, err := m.get(key)
		if err != nil {
			return err
		}
		if r.Kind != KindActive {
			return fmt.Errorf("commit %q: it is %s: %w", key, r.Kind, ErrNotActive)
		}
		if _, err := m.get(name); err == nil {
			return fmt.Errorf("commit %q as %q: %w", key, name, ErrAlreadyExists)
		}
		nr := record{Info: Info{Key: name, Parent: r.Parent, Kind: KindCommitted, Created: time.Now().UTC()}, ID: idOf(name)}
		os.RemoveAll(m.path(nr.ID))
		os.RemoveAll(m.path(r.ID, "work"))
		if err := os.Rename(m.path(r.ID), m.path(nr.ID)); err != nil {
			return fmt.Errorf("commit %q as %q: %w", key, name, err)
		}
		return m.put(nr)
	})
}

func (m *meta) remove(key string) error {
	return m.locked(unix.LOCK_EX, func() error {
		r, err := m.get(key)
		if err != nil {
			return err
		}
		all, err := m.list()
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.Parent == key {
				return fmt.Errorf("remove %q: %q is built on it: %w", key, o.Key, ErrHasChildren)
			}
		}
		// info.json goes first: a crash mid-removal leaves no half snapshot.
		if err := os.Remove(m.path(r.ID, "info.json")); err != nil {
			return fmt.Errorf("remove %q: %w", key, err)
		}
		if err := os.RemoveAll(m.path(r.ID)); err != nil {
			return fmt.Errorf("remove %q: %w", key, err)
		}
		return nil
	})
}

func (m *meta) list() ([]record, error) {
	ents, err := os.ReadDir(filepath.Join(m.dir, "snapshots"))
	if err != nil {
		return nil, fmt.Errorf("snapshots: %w", err)
	}
	var out []record
	for _, e := range ents {
		b, err := os.ReadFile(m.path(e.Name(), "info.json"))
		if err != nil {
			continue // being created or removed
		}
		var r record
		if json.Unmarshal(b, &r) == nil {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (m *meta) walk(ctx context.Context, fn func(Info) error) error {
	var all []record
	err := m.locked(unix.LOCK_SH, func() error {
		var err error
		all, err = m.list()
		return err
	})
	if err != nil {
		return err
	}
	for _, r := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(r.Info); err != nil {
			return err
		}
	}
	return nil
}

func (m *meta) stat(key string) (Info, error) {
	var r record
	err := m.locked(unix.LOCK_SH, func() error {
		var err error
		r, err = m.get(key)
		return err
	})
	return r.Info, err
}

// usage sums the regular-file bytes and entries under a snapshot's fs/.
func usage(dir string) (Usage, error) {
	var u Usage
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		u.Inodes++
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			u.Size += fi.Size()
		}
		return nil
	})
	return u, err
}
