package virtio

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// BlockBackend is the storage behind a Blk device.
type BlockBackend interface {
	io.ReaderAt
	io.WriterAt
	// Sync makes completed writes durable.
	Sync() error
	// Size is the size in bytes; the device exposes Size()/512 sectors.
	Size() int64
}

// Discarder is implemented by backends that can deallocate a byte range
// so that it reads back as zeros. Blk falls back to writing zeros for
// backends without it.
type Discarder interface {
	Discard(off, n int64) error
}

// DiskFile is a BlockBackend over a host file (a raw disk image).
type DiskFile struct {
	f        *os.File
	size     int64
	readOnly bool
	noPunch  bool // hole punching failed once: write zeros from now on
}

// OpenDiskFile opens a raw disk image. A read-only image refuses writes
// (and the Blk device built on it advertises VIRTIO_BLK_F_RO).
func OpenDiskFile(path string, readOnly bool) (*DiskFile, error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("virtio: disk image %s is not a regular file", path)
	}
	return &DiskFile{f: f, size: st.Size(), readOnly: readOnly}, nil
}

// errReadOnly is returned for writes to a read-only DiskFile.
var errReadOnly = errors.New("virtio: disk image is read-only")

// ReadAt implements io.ReaderAt.
func (d *DiskFile) ReadAt(p []byte, off int64) (int, error) { return d.f.ReadAt(p, off) }

// WriteAt implements io.WriterAt.
func (d *DiskFile) WriteAt(p []byte, off int64) (int, error) {
	if d.readOnly {
		return 0, errReadOnly
	}
	return d.f.WriteAt(p, off)
}

// Sync flushes the file to stable storage (fsync).
func (d *DiskFile) Sync() error {
	if d.readOnly {
		return nil
	}
	return d.f.Sync()
}

// Size is the image size in bytes at open time.
func (d *DiskFile) Size() int64 { return d.size }

// ReadOnly reports whether the image was opened read-only.
func (d *DiskFile) ReadOnly() bool { return d.readOnly }

// Close closes the image.
func (d *DiskFile) Close() error { return d.f.Close() }

// Discard deallocates [off, off+n): it punches a hole where the host
// supports it and otherwise writes zeros.
func (d *DiskFile) Discard(off, n int64) error {
	if d.readOnly {
		return errReadOnly
	}
	if !d.noPunch {
		if err := punchHole(d.f, off, n); err == nil {
			return nil
		}
		d.noPunch = true
	}
	return writeZeros(d, off, n)
}

// writeZeros writes n zero bytes at off in 64 KiB pieces.
func writeZeros(w io.WriterAt, off, n int64) error {
	var zero [64 << 10]byte
	for n > 0 {
		k := min(n, int64(len(zero)))
		if _, err := w.WriteAt(zero[:k], off); err != nil {
			return err
		}
		off += k
		n -= k
	}
	return nil
}
