// Package cpio writes the "newc" (SVR4, magic 070701) cpio archives the Linux
// kernel unpacks as an initramfs (Documentation/driver-api/early-userspace/
// buffer-format.rst). Go's standard library has readers and writers for tar
// and zip but none for cpio.
//
// Archives are deterministic: inode numbers are assigned in order, and
// modification times, owners and link counts are whatever the caller puts in
// the Header (zero by default).
package cpio

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// File types for Header.Mode (the S_IFMT bits).
const (
	TypeReg  = 0o100000
	TypeDir  = 0o040000
	TypeLink = 0o120000
	TypeChar = 0o020000
	TypeBlk  = 0o060000
	TypeFIFO = 0o010000
	typeMask = 0o170000
)

// Trailer is the name of the entry that ends an archive.
const Trailer = "TRAILER!!!"

// Header describes one archive entry.
type Header struct {
	Name     string // path without a leading "/", e.g. "init" or "dev/console"
	Mode     uint32 // file type bits (TypeReg, …) | permission bits
	UID, GID uint32
	Mtime    uint32 // seconds since the epoch
	Size     int64  // bytes of data that follow (regular files and symlink targets)
	Major    uint32 // device number of a character or block special file
	Minor    uint32
}

// Writer writes a newc archive.
type Writer struct {
	w       io.Writer
	ino     uint32
	remain  int64 // bytes of the current entry's data still to be written
	pad     int   // padding owed after the current entry's data
	closed  bool
	written int64
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, ino: 1} }

func (cw *Writer) out(p []byte) error {
	n, err := cw.w.Write(p)
	cw.written += int64(n)
	return err
}

func (cw *Writer) padTo4() error {
	if r := cw.written % 4; r != 0 {
		return cw.out(make([]byte, 4-r))
	}
	return nil
}

// WriteHeader starts a new entry; for regular files and symlinks hdr.Size
// bytes of data must then be written with Write.
func (cw *Writer) WriteHeader(hdr *Header) error {
	if cw.closed {
		return errors.New("cpio: write after close")
	}
	if cw.remain != 0 {
		return fmt.Errorf("cpio: %d bytes missing from the previous entry", cw.remain)
	}
	if err := cw.padTo4(); err != nil {
		return err
	}
	name := strings.TrimPrefix(hdr.Name, "/")
	if name == "" || strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("cpio: bad entry name %q", hdr.Name)
	}
	t := hdr.Mode & typeMask
	if t == 0 {
		return fmt.Errorf("cpio: %s: mode %#o has no file type", name, hdr.Mode)
	}
	if hdr.Size < 0 || hdr.Size > 0xffffffff || (hdr.Size != 0 && t != TypeReg && t != TypeLink) {
		return fmt.Errorf("cpio: %s: bad size %d for mode %#o", name, hdr.Size, hdr.Mode)
	}
	nlink := uint32(1)
	if t == TypeDir {
		nlink = 2
	}
	ino := cw.ino
	cw.ino++
	if err := cw.writeRaw(name, hdr.Mode, hdr.UID, hdr.GID, nlink, hdr.Mtime, uint32(hdr.Size), hdr.Major, hdr.Minor, ino); err != nil {
		return err
	}
	cw.remain = hdr.Size
	return nil
}

func (cw *Writer) writeRaw(name string, mode, uid, gid, nlink, mtime, size, rmaj, rmin, ino uint32) error {
	h := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, uid, gid, nlink, mtime, size, 0, 0, rmaj, rmin, len(name)+1, 0)
	if err := cw.out([]byte(h + name + "\x00")); err != nil {
		return err
	}
	return cw.padTo4()
}

// Write writes data of the current entry.
func (cw *Writer) Write(p []byte) (int, error) {
	if int64(len(p)) > cw.remain {
		return 0, fmt.Errorf("cpio: write of %d bytes exceeds the entry's remaining %d", len(p), cw.remain)
	}
	n, err := cw.w.Write(p)
	cw.written += int64(n)
	cw.remain -= int64(n)
	return n, err
}

// Close writes the trailer. It does not close the underlying writer.
func (cw *Writer) Close() error {
	if cw.closed {
		return nil
	}
	if cw.remain != 0 {
		return fmt.Errorf("cpio: %d bytes missing from the last entry", cw.remain)
	}
	if err := cw.padTo4(); err != nil {
		return err
	}
	if err := cw.writeRaw(Trailer, 0, 0, 0, 1, 0, 0, 0, 0, 0); err != nil {
		return err
	}
	cw.closed = true
	return nil
}

// AddFile writes a regular file with the given permission bits and contents.
func (cw *Writer) AddFile(name string, perm uint32, data []byte) error {
	if err := cw.WriteHeader(&Header{Name: name, Mode: TypeReg | perm&0o7777, Size: int64(len(data))}); err != nil {
		return err
	}
	_, err := cw.Write(data)
	return err
}

// AddDir writes a directory.
func (cw *Writer) AddDir(name string, perm uint32) error {
	return cw.WriteHeader(&Header{Name: name, Mode: TypeDir | perm&0o7777})
}

// AddSymlink writes a symbolic link name → target.
func (cw *Writer) AddSymlink(name, target string) error {
	if err := cw.WriteHeader(&Header{Name: name, Mode: TypeLink | 0o777, Size: int64(len(target))}); err != nil {
		return err
	}
	_, err := cw.Write([]byte(target))
	return err
}

// AddDevice writes a character (typ TypeChar) or block (TypeBlk) special file.
func (cw *Writer) AddDevice(name string, typ, perm, major, minor uint32) error {
	if typ != TypeChar && typ != TypeBlk {
		return fmt.Errorf("cpio: %s: device type %#o", name, typ)
	}
	return cw.WriteHeader(&Header{Name: name, Mode: typ | perm&0o7777, Major: major, Minor: minor})
}
