package archive

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// WriteChanges writes a layer tar for changes (as Changes or DiffDirs
// return them, sorted by path): added and changed entries are copied from
// their Source with owner, mode, times, link target and xattrs; deletions
// become .wh.NAME whiteouts; opaque directories get a .wh..wh..opq marker.
// Regular files sharing an inode within the layer become hardlinks.
func WriteChanges(w io.Writer, changes []Change) error {
	tw := tar.NewWriter(w)
	links := map[[2]uint64]string{}
	for _, c := range changes {
		name := strings.TrimPrefix(path.Clean(c.Path), "/")
		if name == "" || name == "." {
			continue
		}
		if c.Kind == ChangeDelete {
			wh := path.Join(path.Dir(name), WhiteoutPrefix+path.Base(name))
			if err := tw.WriteHeader(&tar.Header{Name: wh, Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatPAX}); err != nil {
				return fmt.Errorf("layer: %s: %w", wh, err)
			}
			continue
		}
		if err := writeEntry(tw, name, c.Source, links); err != nil {
			return fmt.Errorf("layer: %s: %w", c.Path, err)
		}
		if c.Opaque {
			if err := tw.WriteHeader(&tar.Header{Name: name + "/" + OpaqueMarker, Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatPAX}); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

func writeEntry(tw *tar.Writer, name, src string, links map[[2]uint64]string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	link := ""
	if fi.Mode()&os.ModeSymlink != 0 {
		if link, err = os.Readlink(src); err != nil {
			return err
		}
	}
	h, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	h.Name = name
	h.Uname, h.Gname = "", ""
	h.Format = tar.FormatPAX
	h.AccessTime, h.ChangeTime = time.Time{}, time.Time{}
	if fi.IsDir() {
		h.Name += "/"
	}
	var us unix.Stat_t
	if err := unix.Lstat(src, &us); err == nil {
		h.Uid, h.Gid = int(us.Uid), int(us.Gid)
		if fi.Mode().IsRegular() && us.Nlink > 1 {
			k := [2]uint64{us.Dev, us.Ino}
			if first, ok := links[k]; ok {
				h.Typeflag, h.Linkname, h.Size = tar.TypeLink, first, 0
			} else {
				links[k] = name
			}
		}
	}
	for k, v := range readXattrs(src) {
		if h.PAXRecords == nil {
			h.PAXRecords = map[string]string{}
		}
		h.PAXRecords["SCHILY.xattr."+k] = v
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if h.Typeflag == tar.TypeReg && h.Size > 0 {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.CopyN(tw, f, h.Size); err != nil {
			return err
		}
	}
	return nil
}

// readXattrs returns the extended attributes of p worth carrying in a
// layer (overlayfs's own trusted.overlay.* are not).
func readXattrs(p string) map[string]string {
	sz, err := unix.Llistxattr(p, nil)
	if err != nil || sz == 0 {
		return nil
	}
	buf := make([]byte, sz)
	if sz, err = unix.Llistxattr(p, buf); err != nil {
		return nil
	}
	out := map[string]string{}
	for _, n := range strings.Split(string(buf[:sz]), "\x00") {
		if n == "" || strings.HasPrefix(n, "trusted.") {
			continue
		}
		v := make([]byte, MaxXattrValLen)
		if vn, err := unix.Lgetxattr(p, n, v); err == nil {
			out[n] = string(v[:vn])
		}
	}
	return out
}
