//go:build !linux

package virtio

import (
	"errors"
	"os"
)

// punchHole is not supported here; the caller writes zeros instead.
func punchHole(f *os.File, off, n int64) error {
	return errors.New("virtio: hole punching not supported on this host")
}
