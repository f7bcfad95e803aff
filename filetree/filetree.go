// Package filetree copies directory trees with all their metadata: types
// (directories, files, symlinks, devices, fifos), modes including setuid,
// setgid and sticky, owners, times, extended attributes (except overlayfs's
// own trusted.overlay.*) and hardlinks. Symlinks are copied, never
// followed. The copying snapshotter, image builds and the container
// runtime's tmpcopyup mounts share it.
package filetree

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Copy copies the tree src into the existing directory dst keeping
// types, modes, owners, times, xattrs and hardlinks. Symlinks are copied,
// never followed.
func Copy(src, dst string) error {
	type dirMeta struct {
		path string
		st   unix.Stat_t
	}
	var dirs []dirMeta
	links := map[[2]uint64]string{}
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, src)
		target := filepath.Join(dst, rel)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			if rel != "" {
				if err := os.Mkdir(target, 0o700); err != nil {
					return err
				}
			}
			dirs = append(dirs, dirMeta{target, st})
			copyXattrs(p, target)
			return unix.Lchown(target, int(st.Uid), int(st.Gid))
		case unix.S_IFREG:
			if st.Nlink > 1 {
				k := [2]uint64{st.Dev, st.Ino}
				if first, ok := links[k]; ok {
					return os.Link(first, target)
				}
				links[k] = target
			}
			if err := CopyFile(p, target); err != nil {
				return err
			}
		case unix.S_IFLNK:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(l, target); err != nil {
				return err
			}
			if err := unix.Lchown(target, int(st.Uid), int(st.Gid)); err != nil {
				return err
			}
			return unix.UtimesNanoAt(unix.AT_FDCWD, target, []unix.Timespec{st.Atim, st.Mtim}, unix.AT_SYMLINK_NOFOLLOW)
		default: // devices, fifos, sockets
			if err := unix.Mknod(target, st.Mode, int(st.Rdev)); err != nil {
				return err
			}
		}
		copyXattrs(p, target)
		if err := unix.Lchown(target, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
		if err := unix.Chmod(target, st.Mode&07777); err != nil {
			return err
		}
		return unix.UtimesNanoAt(unix.AT_FDCWD, target, []unix.Timespec{st.Atim, st.Mtim}, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		if err := unix.Chmod(d.path, d.st.Mode&07777); err != nil {
			return err
		}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, d.path, []unix.Timespec{d.st.Atim, d.st.Mtim}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
	}
	return nil
}

// CopyFile copies a regular file's contents to a new file dst (mode 0600;
// Copy sets the metadata).
func CopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func copyXattrs(src, dst string) {
	for k, v := range Xattrs(src) {
		if strings.HasPrefix(k, "trusted.overlay.") {
			continue
		}
		_ = unix.Lsetxattr(dst, k, []byte(v), 0)
	}
}

// Xattrs returns the extended attributes of p (not following a symlink).
func Xattrs(p string) map[string]string {
	sz, err := unix.Llistxattr(p, nil)
	if err != nil || sz == 0 {
		return nil
	}
	buf := make([]byte, sz)
	sz, err = unix.Llistxattr(p, buf)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, n := range strings.Split(strings.TrimRight(string(buf[:sz]), "\x00"), "\x00") {
		if n == "" {
			continue
		}
		v := make([]byte, 64<<10)
		vn, err := unix.Lgetxattr(p, n, v)
		if err == nil {
			out[n] = string(v[:vn])
		}
	}
	return out
}
