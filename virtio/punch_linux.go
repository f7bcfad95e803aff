//go:build linux

package virtio

import (
	"os"
	"syscall"
)

// punchHole deallocates [off, off+n) of f, keeping its size
// (fallocate FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE).
func punchHole(f *os.File, off, n int64) error {
	const keepSize, punch = 0x1, 0x2
	for {
		err := syscall.Fallocate(int(f.Fd()), punch|keepSize, off, n)
		if err != syscall.EINTR {
			return err
		}
	}
}
