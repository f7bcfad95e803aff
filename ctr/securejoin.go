package ctr

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// secureJoin joins unsafe onto root the way a process chrooted at root
// would resolve it: ".." never climbs above root and symlinks (absolute or
// relative) are resolved inside root. Components that do not exist are
// appended lexically.
func secureJoin(root, unsafe string) (string, error) {
	var resolved string // path below root, always starting with "/" or empty
	rest := unsafe
	links := 0
	for rest != "" {
		var comp string
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			comp, rest = rest[:i], rest[i+1:]
		} else {
			comp, rest = rest, ""
		}
		switch comp {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir("/" + resolved)
			if resolved == "/" {
				resolved = ""
			}
			continue
		}
		next := resolved + "/" + comp
		fi, err := os.Lstat(filepath.Join(root, next))
		if errors.Is(err, os.ErrNotExist) {
			resolved = next
			continue
		}
		if err != nil {
			return "", fmt.Errorf("resolve %s in %s: %w", unsafe, root, err)
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			resolved = next
			continue
		}
		links++
		if links > 255 {
			return "", fmt.Errorf("resolve %s in %s: too many symlinks", unsafe, root)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", fmt.Errorf("resolve %s in %s: %w", unsafe, root, err)
		}
		if filepath.IsAbs(target) {
			resolved = ""
		}
		rest = target + "/" + rest
	}
	return filepath.Join(root, filepath.Clean("/"+resolved)), nil
}
