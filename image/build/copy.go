package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"strata/filetree"
)

// copyOpts are a COPY's ownership and mode options.
type copyOpts struct {
	chown    bool
	uid, gid int
	chmod    fs.FileMode
	hasChmod bool
	ignored  filterFunc // context paths excluded (nil for --from)
	ctxRoot  string
}

// copyInto copies srcs into the root filesystem at dest (a container
// path, absolute), as COPY does: a directory source's contents go into
// dest; a file goes to dest itself unless dest is a directory (an
// existing one, one ending in "/", or because there are several sources).
func copyInto(rootfs string, srcs []source, dest string, destIsDir bool, o copyOpts) error {
	if strings.HasSuffix(dest, "/") || len(srcs) > 1 {
		destIsDir = true
	}
	hostDest, err := filetree.ResolveIn(rootfs, dest, true)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(hostDest); err == nil && fi.IsDir() {
		destIsDir = true
	}
	for _, s := range srcs {
		if s.dir || destIsDir {
			if err := mkdirAll(rootfs, hostDest, o); err != nil {
				return err
			}
		}
		if s.dir {
			err = copyTree(s.host, rootfs, dest, o)
		} else {
			ctrTarget := dest
			if destIsDir {
				ctrTarget = path.Join(dest, path.Base(s.rel))
			}
			var target string
			if target, err = filetree.ResolveIn(rootfs, ctrTarget, false); err == nil {
				if err = mkdirAll(rootfs, filepath.Dir(target), o); err == nil {
					err = copyEntry(s.host, target, o)
				}
			}
		}
		if err != nil {
			return fmt.Errorf("COPY %s: %w", s.rel, err)
		}
	}
	return nil
}

// mkdirAll creates dir (a host path under rootfs) and its missing parents
// (mode 0755, owned by the --chown user when given).
func mkdirAll(rootfs, dir string, o copyOpts) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", strings.TrimPrefix(dir, rootfs))
		}
		return nil
	}
	if dir == rootfs {
		return nil
	}
	if err := mkdirAll(rootfs, filepath.Dir(dir), o); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	if o.chown {
		return os.Lchown(dir, o.uid, o.gid)
	}
	return nil
}

// copyTree copies the contents of directory src into the container
// directory dest, resolving every target inside rootfs (a symlink in the
// image never sends a write outside it).
func copyTree(src, rootfs, dest string, o copyOpts) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == src {
			return nil
		}
		if strings.HasPrefix(p, o.ctxRoot+"/") {
			if ig, err := o.ignored.skip(filepath.ToSlash(p[len(o.ctxRoot)+1:]), d); ig {
				return err
			}
		}
		target, err := filetree.ResolveIn(rootfs, path.Join(dest, filepath.ToSlash(p[len(src)+1:])), false)
		if err != nil {
			return err
		}
		if err := mkdirAll(rootfs, filepath.Dir(target), copyOpts{chown: o.chown, uid: o.uid, gid: o.gid}); err != nil {
			return err
		}
		return copyEntry(p, target, o)
	})
}

// copyEntry copies one file, directory (without contents), symlink or
// special file from src to the host path dst, replacing a non-directory
// at dst.
func copyEntry(src, dst string, o copyOpts) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Lstat(src, &st); err != nil {
		return err
	}
	mode := fi.Mode()
	if cur, err := os.Lstat(dst); err == nil && !(cur.IsDir() && mode.IsDir()) {
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
	}
	perm := mode.Perm() | mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
	if o.hasChmod {
		perm = o.chmod
	}
	switch {
	case mode.IsDir():
		if err := os.Mkdir(dst, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	case mode.IsRegular():
		if err := filetree.CopyFile(src, dst); err != nil {
			return err
		}
	case mode&fs.ModeSymlink != 0:
		t, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(t, dst); err != nil {
			return err
		}
	default:
		if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
			return fmt.Errorf("mknod %s: %w", dst, err)
		}
	}
	uid, gid := int(st.Uid), int(st.Gid)
	if o.chown {
		uid, gid = o.uid, o.gid
	} else if o.ignored != nil {
		// Files from the build context belong to root, as in Docker.
		uid, gid = 0, 0
	}
	if err := os.Lchown(dst, uid, gid); err != nil {
		return err
	}
	if mode&fs.ModeSymlink == 0 {
		if err := unix.Chmod(dst, uint32(toUnixMode(perm))); err != nil {
			return err
		}
	}
	ts := []unix.Timespec{unix.NsecToTimespec(st.Atim.Nano()), unix.NsecToTimespec(st.Mtim.Nano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}

func toUnixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= unix.S_ISUID
	}
	if m&fs.ModeSetgid != 0 {
		u |= unix.S_ISGID
	}
	if m&fs.ModeSticky != 0 {
		u |= unix.S_ISVTX
	}
	return u
}
