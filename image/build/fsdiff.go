package build

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"strata/image"
)

// fileState is what the diff compares of one filesystem entry: a change
// of content always changes ctime, which no process can set back.
type fileState struct {
	mode         fs.FileMode
	size         int64
	mtime, ctime int64
	uid, gid     uint32
	ino, nlink   uint64
	rdev         uint64
}

// tree maps slash-separated paths relative to the root ("etc/passwd") to
// their state.
type tree map[string]fileState

// scanTree records the state of every entry under root.
func scanTree(root string) (tree, error) {
	t := tree{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		rel := filepath.ToSlash(p[len(root)+1:])
		t[rel] = fileState{
			mode: d.Type(), size: st.Size,
			mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(),
			uid: st.Uid, gid: st.Gid, ino: st.Ino, nlink: uint64(st.Nlink), rdev: st.Rdev,
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", root, err)
	}
	return t, nil
}

// changes lists what differs between before and after: changed or added
// paths, and deleted paths (a deleted directory's children are not
// listed separately).
func changes(before, after tree) (changed, deleted []string) {
	for p, a := range after {
		if b, ok := before[p]; !ok || b != a {
			changed = append(changed, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; ok {
			continue
		}
		if dir := path.Dir(p); dir != "." {
			if _, parentGone := before[dir]; parentGone {
				if _, still := after[dir]; !still {
					continue
				}
			}
		}
		deleted = append(deleted, p)
	}
	sort.Strings(changed)
	sort.Strings(deleted)
	return changed, deleted
}

// layerBlob is a layer written to the store.
type layerBlob struct {
	Desc   ocispec.Descriptor
	DiffID digest.Digest
}

// writeLayer writes the changed paths (with their parent directories) and
// whiteouts for the deleted ones as a gzipped tar into the store. The tar
// stream is hashed for the diff ID on its way into gzip.
func writeLayer(ctx context.Context, st *image.Store, root string, changed, deleted []string) (layerBlob, error) {
	pr, pw := io.Pipe()
	diffHash := sha256.New()
	done := make(chan struct{})
	go func() {
		defer close(done)
		gz, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		tw := tar.NewWriter(io.MultiWriter(gz, diffHash))
		err := writeTar(tw, root, changed, deleted)
		if cerr := tw.Close(); err == nil {
			err = cerr
		}
		if cerr := gz.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err)
	}()
	d, n, err := st.PutBlob(ctx, pr, "")
	pr.CloseWithError(errors.New("layer writer stopped"))
	<-done
	if err != nil {
		return layerBlob{}, fmt.Errorf("write layer: %w", err)
	}
	return layerBlob{
		Desc:   ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: d, Size: n},
		DiffID: digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(diffHash.Sum(nil))),
	}, nil
}

// writeTar writes the layer's entries.
func writeTar(tw *tar.Writer, root string, changed, deleted []string) error {
	// Parents of changed entries go in first so that the layer applies on
	// its own; entries are in path order, so parents precede children.
	all := map[string]bool{}
	for _, p := range changed {
		all[p] = true
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			all[d] = true
		}
	}
	paths := make([]string, 0, len(all)+len(deleted))
	for p := range all {
		paths = append(paths, p)
	}
	for _, p := range deleted {
		paths = append(paths, path.Join(path.Dir(p), ".wh."+path.Base(p)))
	}
	sort.Strings(paths)
	links := map[uint64]string{}
	for _, p := range paths {
		if strings.HasPrefix(path.Base(p), ".wh.") && !all[p] {
			if err := tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o600, Format: tar.FormatPAX}); err != nil {
				return err
			}
			continue
		}
		if err := addEntry(tw, root, p, links); err != nil {
			return err
		}
	}
	return nil
}

// addEntry writes one filesystem entry.
func addEntry(tw *tar.Writer, root, rel string, links map[uint64]string) error {
	full := filepath.Join(root, filepath.FromSlash(rel))
	fi, err := os.Lstat(full)
	if err != nil {
		return err
	}
	target := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		if target, err = os.Readlink(full); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, target)
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	hdr.Name = rel
	if fi.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uname, hdr.Gname = "", ""
	hdr.Format = tar.FormatPAX
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().IsRegular() && st.Nlink > 1 {
		if first, ok := links[st.Ino]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			return tw.WriteHeader(hdr)
		}
		links[st.Ino] = rel
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(full)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(tw, f)
	if err == nil && n != hdr.Size {
		err = errors.New("file changed size while being archived")
	}
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	return nil
}
