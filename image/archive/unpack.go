package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// Limits on what a layer may contain.
const (
	MaxPathLen     = 4096 // bytes in an entry's name or link target
	MaxNameLen     = 255  // bytes in one path component
	MaxXattrs      = 128  // extended attributes per entry
	MaxXattrValLen = 64 << 10
)

// WhiteoutPrefix marks a deleted path in a layer: DIR/.wh.NAME deletes
// DIR/NAME.
const WhiteoutPrefix = ".wh."

// OpaqueMarker in a directory hides everything the lower layers had there.
const OpaqueMarker = ".wh..wh..opq"

// OverlayOpaqueXattr is overlayfs's opaque-directory attribute.
const OverlayOpaqueXattr = "trusted.overlay.opaque"

// ErrUnsafe is returned (wrapped) for entries that are refused because
// they would escape the target or are not permitted.
var ErrUnsafe = errors.New("unsafe layer entry")

// Options control Apply.
type Options struct {
	// Whiteouts is how deletions are applied (delete or overlay form).
	Whiteouts WhiteoutMode
	// AllowDevices permits character and block device entries (other
	// than overlay whiteouts); without it they are refused.
	AllowDevices bool
	// NoChown keeps files owned by the caller (for unprivileged use).
	NoChown bool
	// Log receives notes about neutralised entries; nil: slog.Default().
	Log *slog.Logger
}

// Stats summarises an Apply.
type Stats struct {
	Entries int   // tar entries processed
	Bytes   int64 // regular-file bytes written
}

// Decompress returns a reader of the uncompressed tar stream, detecting
// gzip and zstd by their magic numbers (anything else is taken as a plain
// tar).
func Decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("layer: %w", err)
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("layer: gzip: %w", err)
		}
		return z, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		z, err := zstd.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("layer: zstd: %w", err)
		}
		return z.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}

// Apply unpacks the uncompressed layer tar r into dir. Names are cleaned
// and taken relative to dir (a leading "/" is dropped); entries whose name
// or hardlink target climbs out with "..", device nodes (unless allowed),
// over-long names and malformed headers are refused with an error wrapping
// ErrUnsafe. Symlinks in the tree are never followed out of dir: every
// path is resolved with dir as its root (openat2 RESOLVE_IN_ROOT), so a
// symlink to "/etc" makes later entries land in dir/etc. Whiteouts are
// applied per opts.Whiteouts. On error dir may hold part of the layer, but
// nothing outside dir has been touched.
func Apply(ctx context.Context, dir string, r io.Reader, opts Options) (Stats, error) {
	var st Stats
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	rootFd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return st, fmt.Errorf("apply layer to %s: %w", dir, err)
	}
	defer unix.Close(rootFd)
	a := &applier{root: rootFd, dir: dir, opts: opts, log: log, added: map[string]bool{}}
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, fmt.Errorf("layer: entry %d: %w", st.Entries+1, err)
		}
		st.Entries++
		n, err := a.entry(hdr, tr)
		st.Bytes += n
		if err != nil {
			return st, fmt.Errorf("layer entry %q: %w", hdr.Name, err)
		}
	}
	// Directory times last: creating children changed them.
	for i := len(a.dirTimes) - 1; i >= 0; i-- {
		dt := a.dirTimes[i]
		_ = a.setTimes(dt.rel, dt.hdr)
	}
	return st, nil
}

type dirTime struct {
	rel string
	hdr *tar.Header
}

type applier struct {
	root     int
	dir      string
	opts     Options
	log      *slog.Logger
	added    map[string]bool // paths this layer created (for opaque dirs)
	dirTimes []dirTime
}

// cleanRel turns a tar name into a clean path relative to the root, or
// refuses it.
func cleanRel(name string) (string, error) {
	if len(name) > MaxPathLen {
		return "", fmt.Errorf("%w: name is %d bytes (limit %d)", ErrUnsafe, len(name), MaxPathLen)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", fmt.Errorf("%w: NUL in name", ErrUnsafe)
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", fmt.Errorf("%w: name contains \"..\"", ErrUnsafe)
		}
		if len(c) > MaxNameLen {
			return "", fmt.Errorf("%w: a component is %d bytes (limit %d)", ErrUnsafe, len(c), MaxNameLen)
		}
	}
	p := path.Clean("/" + name)
	if p == "/" {
		return ".", nil
	}
	return p[1:], nil
}

// openDir opens the directory rel (resolved inside the root, never
// outside), creating missing components as 0755 directories.
func (a *applier) openDir(rel string) (int, error) {
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	for {
		fd, err := unix.Openat2(a.root, rel, how)
		if err == nil {
			return fd, nil
		}
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != unix.ENOENT || rel == "." {
			return -1, fmt.Errorf("open %s in layer root: %w", rel, err)
		}
		// Create the missing parent chain, one component at a time.
		pfd, err := a.openDir(path.Dir(rel))
		if err != nil {
			return -1, err
		}
		err = unix.Mkdirat(pfd, path.Base(rel), 0o755)
		unix.Close(pfd)
		if err == unix.EEXIST {
			// Something that is not a directory we can reach (a dangling
			// symlink, resolved inside the root) is in the way.
			return -1, fmt.Errorf("%w: parent %s is not a directory inside the layer", ErrUnsafe, rel)
		}
		if err != nil {
			return -1, fmt.Errorf("mkdir %s: %w", rel, err)
		}
	}
}

// removeAt removes name in the directory fd (recursively for directories;
// symlinks are removed, not followed).
func removeAt(dfd int, name string) error {
	err := unix.Unlinkat(dfd, name, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR && err != unix.EPERM {
		return err
	}
	err = unix.Unlinkat(dfd, name, unix.AT_REMOVEDIR)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.ENOTEMPTY && err != unix.EEXIST {
		return err
	}
	cfd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(cfd), name)
	names, err := f.Readdirnames(-1)
	if err != nil {
		f.Close()
		return err
	}
	for _, n := range names {
		if err := removeAt(cfd, n); err != nil {
			f.Close()
			return err
		}
	}
	f.Close()
	return unix.Unlinkat(dfd, name, unix.AT_REMOVEDIR)
}

func (a *applier) entry(hdr *tar.Header, r io.Reader) (int64, error) {
	rel, err := cleanRel(hdr.Name)
	if err != nil {
		return 0, err
	}
	if len(hdr.Linkname) > MaxPathLen {
		return 0, fmt.Errorf("%w: link target is %d bytes (limit %d)", ErrUnsafe, len(hdr.Linkname), MaxPathLen)
	}
	if hdr.Typeflag == tar.TypeGNUSparse || hasSparseRecords(hdr) {
		// A sparse entry can expand to far more bytes than the layer
		// holds; image layers have no business using them.
		return 0, fmt.Errorf("%w: sparse files are not supported", ErrUnsafe)
	}
	dirRel, base := path.Dir(rel), path.Base(rel)
	if rel == "." {
		dirRel, base = ".", "."
	}
	// Whiteouts.
	if strings.HasPrefix(base, WhiteoutPrefix) {
		return 0, a.whiteout(dirRel, base)
	}
	pfd, err := a.openDir(dirRel)
	if err != nil {
		return 0, err
	}
	defer unix.Close(pfd)
	if rel == "." {
		if hdr.Typeflag == tar.TypeDir {
			return 0, a.meta(pfd, ".", hdr, true)
		}
		return 0, fmt.Errorf("%w: the root must be a directory", ErrUnsafe)
	}
	// Replace whatever is there, unless both are directories.
	var cur unix.Stat_t
	exists := unix.Fstatat(pfd, base, &cur, unix.AT_SYMLINK_NOFOLLOW) == nil
	if exists && !(hdr.Typeflag == tar.TypeDir && cur.Mode&unix.S_IFMT == unix.S_IFDIR) {
		if err := removeAt(pfd, base); err != nil {
			return 0, fmt.Errorf("replace: %w", err)
		}
	}
	a.added[rel] = true
	var n int64
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(pfd, base, 0o700); err != nil && err != unix.EEXIST {
			return 0, fmt.Errorf("mkdir: %w", err)
		}
		a.dirTimes = append(a.dirTimes, dirTime{rel, hdr})
	case tar.TypeReg, tar.TypeRegA:
		fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return 0, fmt.Errorf("create: %w", err)
		}
		f := os.NewFile(uintptr(fd), rel)
		n, err = io.Copy(f, r)
		cerr := f.Close()
		if err != nil {
			return n, fmt.Errorf("write: %w", err)
		}
		if cerr != nil {
			return n, cerr
		}
	case tar.TypeSymlink:
		if hdr.Linkname == "" {
			return 0, fmt.Errorf("%w: symlink with an empty target", ErrUnsafe)
		}
		if err := unix.Symlinkat(hdr.Linkname, pfd, base); err != nil {
			return 0, fmt.Errorf("symlink: %w", err)
		}
	case tar.TypeLink:
		trel, err := cleanRel(hdr.Linkname)
		if err != nil || trel == "." {
			return 0, fmt.Errorf("%w: hardlink target %q is outside the layer", ErrUnsafe, hdr.Linkname)
		}
		tfd, err := a.openDir(path.Dir(trel))
		if err != nil {
			return 0, fmt.Errorf("hardlink target %q: %w", hdr.Linkname, err)
		}
		err = unix.Linkat(tfd, path.Base(trel), pfd, base, 0)
		unix.Close(tfd)
		if err != nil {
			return 0, fmt.Errorf("hardlink to %q: %w", hdr.Linkname, err)
		}
		return 0, nil // a hardlink shares the target's metadata
	case tar.TypeChar, tar.TypeBlock:
		if !a.opts.AllowDevices {
			return 0, fmt.Errorf("%w: device node (%d,%d) not permitted", ErrUnsafe, hdr.Devmajor, hdr.Devminor)
		}
		mode := uint32(unix.S_IFCHR)
		if hdr.Typeflag == tar.TypeBlock {
			mode = unix.S_IFBLK
		}
		if err := unix.Mknodat(pfd, base, mode|0o600, int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))); err != nil {
			return 0, fmt.Errorf("mknod: %w", err)
		}
	case tar.TypeFifo:
		if err := unix.Mknodat(pfd, base, unix.S_IFIFO|0o600, 0); err != nil {
			return 0, fmt.Errorf("mkfifo: %w", err)
		}
	case tar.TypeXGlobalHeader:
		delete(a.added, rel)
		return 0, nil
	default:
		return 0, fmt.Errorf("%w: unsupported entry type %q", ErrUnsafe, hdr.Typeflag)
	}
	return n, a.meta(pfd, base, hdr, hdr.Typeflag == tar.TypeDir)
}

// meta sets ownership, xattrs, mode and (except for directories, done at
// the end) times of base in pfd.
func (a *applier) meta(pfd int, base string, hdr *tar.Header, isDir bool) error {
	if !a.opts.NoChown {
		if err := unix.Fchownat(pfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("chown %d:%d: %w", hdr.Uid, hdr.Gid, err)
		}
	}
	if hdr.Typeflag == tar.TypeSymlink {
		ts := []unix.Timespec{unix.NsecToTimespec(hdr.AccessTime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
		if hdr.AccessTime.IsZero() {
			ts[0] = ts[1]
		}
		_ = unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
		return nil
	}
	nx := 0
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		if !ok {
			continue
		}
		if strings.HasPrefix(name, "trusted.") {
			a.log.Debug("layer: dropping trusted xattr", "entry", hdr.Name, "xattr", name)
			continue
		}
		if nx++; nx > MaxXattrs || len(v) > MaxXattrValLen {
			return fmt.Errorf("%w: too many or too large xattrs", ErrUnsafe)
		}
		if err := a.setXattr(pfd, base, name, []byte(v)); err != nil {
			a.log.Debug("layer: xattr not set", "entry", hdr.Name, "xattr", name, "err", err)
		}
	}
	if err := unix.Fchmodat(pfd, base, uint32(hdr.Mode)&07777, 0); err != nil {
		return fmt.Errorf("chmod %o: %w", hdr.Mode, err)
	}
	if !isDir {
		return a.setTimesAt(pfd, base, hdr)
	}
	return nil
}

func (a *applier) setXattr(pfd int, base, name string, v []byte) error {
	fd, err := unix.Openat(pfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Setxattr("/proc/self/fd/"+strconv.Itoa(fd), name, v, 0)
}

func (a *applier) setTimesAt(pfd int, base string, hdr *tar.Header) error {
	at := hdr.AccessTime
	if at.IsZero() {
		at = hdr.ModTime
	}
	ts := []unix.Timespec{timespec(at), timespec(hdr.ModTime)}
	if err := unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("times: %w", err)
	}
	return nil
}

func timespec(t time.Time) unix.Timespec {
	if t.IsZero() {
		return unix.Timespec{Sec: 0}
	}
	return unix.NsecToTimespec(t.UnixNano())
}

func (a *applier) setTimes(rel string, hdr *tar.Header) error {
	pfd, err := a.openDir(path.Dir(rel))
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	return a.setTimesAt(pfd, path.Base(rel), hdr)
}

// whiteout applies DIR/.wh.NAME or DIR/.wh..wh..opq.
func (a *applier) whiteout(dirRel, base string) error {
	pfd, err := a.openDir(dirRel)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	if base == OpaqueMarker {
		if a.opts.Whiteouts == WhiteoutOverlay {
			fd, err := unix.Openat(pfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			if err := unix.Fsetxattr(fd, OverlayOpaqueXattr, []byte("y"), 0); err != nil {
				return fmt.Errorf("opaque directory %s: %w", dirRel, err)
			}
			return nil
		}
		// Delete everything this layer did not itself put there.
		fd, err := unix.Openat(pfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		f := os.NewFile(uintptr(fd), dirRel)
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			return err
		}
		for _, n := range names {
			if a.added[path.Join(dirRel, n)] {
				continue
			}
			if err := removeAt(pfd, n); err != nil {
				return fmt.Errorf("opaque directory %s: %w", dirRel, err)
			}
		}
		return nil
	}
	name := strings.TrimPrefix(base, WhiteoutPrefix)
	if name == "" || name == "." || name == ".." || strings.HasPrefix(name, WhiteoutPrefix) {
		return fmt.Errorf("%w: malformed whiteout %q", ErrUnsafe, base)
	}
	if err := removeAt(pfd, name); err != nil {
		return fmt.Errorf("whiteout %s: %w", path.Join(dirRel, name), err)
	}
	if a.opts.Whiteouts == WhiteoutOverlay {
		if err := unix.Mknodat(pfd, name, unix.S_IFCHR, 0); err != nil {
			return fmt.Errorf("whiteout %s: %w", path.Join(dirRel, name), err)
		}
	}
	return nil
}

func hasSparseRecords(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}
