package image

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DefaultRoot is the store root when neither --root nor STRATA_ROOT says
// otherwise.
const DefaultRoot = "/var/lib/strata"

// RootEnv is the environment variable that overrides DefaultRoot.
const RootEnv = "STRATA_ROOT"

// ResolveRoot picks the root: flag if non-empty, else $STRATA_ROOT, else
// DefaultRoot.
func ResolveRoot(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv(RootEnv); env != "" {
		return env
	}
	return DefaultRoot
}

// Store is an OCI image store rooted at one directory. It is safe for
// concurrent use by goroutines and by several processes.
type Store struct {
	root   string
	layout string // ROOT/images
	log    *slog.Logger
}

// Open opens (creating if needed) the store under root.
func Open(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("store root %q: %w", root, err)
	}
	s := &Store{root: abs, layout: filepath.Join(abs, "images"), log: slog.Default().With("store", abs)}
	for _, d := range []string{
		filepath.Join(s.layout, "blobs", "sha256"),
		filepath.Join(abs, "tmp"),
		filepath.Join(abs, "locks"),
	} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("store root %s: %w", abs, err)
		}
	}
	if err := s.initLayout(); err != nil {
		return nil, err
	}
	return s, nil
}

// Root is the store's root directory.
func (s *Store) Root() string { return s.root }

// LayoutDir is the OCI image-layout directory (ROOT/images): skopeo and
// umoci read it as oci:LAYOUTDIR:NAME.
func (s *Store) LayoutDir() string { return s.layout }

// SetLogger replaces the store's logger.
func (s *Store) SetLogger(l *slog.Logger) { s.log = l }

func (s *Store) initLayout() error {
	return s.withLock("index", unix.LOCK_EX, func() error {
		lay := filepath.Join(s.layout, ocispec.ImageLayoutFile)
		if _, err := os.Stat(lay); errors.Is(err, os.ErrNotExist) {
			b, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
			if err := writeFileAtomic(lay, b, s.tmpDir()); err != nil {
				return err
			}
		} else if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		idx := filepath.Join(s.layout, "index.json")
		if _, err := os.Stat(idx); errors.Is(err, os.ErrNotExist) {
			return s.writeIndex(&ocispec.Index{})
		} else if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		return nil
	})
}

func (s *Store) tmpDir() string { return filepath.Join(s.root, "tmp") }

// withLock runs fn holding flock(how) on ROOT/locks/NAME.lock.
func (s *Store) withLock(name string, how int, fn func() error) error {
	unlock, err := s.lock(name, how)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

func (s *Store) lock(name string, how int) (func(), error) {
	p := filepath.Join(s.root, "locks", name+".lock")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	return func() { f.Close() }, nil
}

// gcShared holds the GC lock shared for the duration of a write, so Prune
// (exclusive) never removes blobs that a writer has put but not yet named.
func (s *Store) gcShared() (func(), error) { return s.lock("gc", unix.LOCK_SH) }

func randomSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeFileAtomic writes b to a temp file in tmp, fsyncs it and renames it
// over path, then fsyncs path's directory.
func writeFileAtomic(path string, b []byte, tmp string) error {
	f, err := os.CreateTemp(tmp, filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(name)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// ContextReader returns a reader that fails once ctx is done, so a long
// copy (a blob write, a layer download) stops when it is cancelled.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

// ctxReader fails reads once ctx is done.
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
