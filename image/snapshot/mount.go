package snapshot

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// MountAll mounts ms on target, in order.
func MountAll(ms []Mount, target string) error {
	for _, m := range ms {
		if err := mountOne(m, target); err != nil {
			return err
		}
	}
	return nil
}

func mountOne(m Mount, target string) error {
	switch m.Type {
	case "bind":
		flags := uintptr(unix.MS_BIND)
		ro := false
		for _, o := range m.Options {
			switch o {
			case "rbind":
				flags |= unix.MS_REC
			case "ro":
				ro = true
			}
		}
		if err := unix.Mount(m.Source, target, "", flags, ""); err != nil {
			return fmt.Errorf("bind %s on %s: %w", m.Source, target, err)
		}
		if ro {
			if err := unix.Mount("", target, "", flags|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
				unix.Unmount(target, unix.MNT_DETACH)
				return fmt.Errorf("remount %s read-only: %w", target, err)
			}
		}
		return nil
	case "overlay":
		var flags uintptr
		var data []string
		for _, o := range m.Options {
			if o == "ro" {
				flags |= unix.MS_RDONLY
				continue
			}
			data = append(data, o)
		}
		if err := unix.Mount("overlay", target, "overlay", flags, strings.Join(data, ",")); err != nil {
			return fmt.Errorf("overlay on %s (%s): %w", target, strings.Join(data, ","), err)
		}
		return nil
	}
	return fmt.Errorf("mount on %s: unknown type %q", target, m.Type)
}

// Unmount detaches whatever is mounted on target.
func Unmount(target string) error {
	if err := unix.Unmount(target, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount %s: %w", target, err)
	}
	return nil
}
