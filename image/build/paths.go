package build

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// resolveIn maps the container path p to a host path under root the way
// a process chrooted at root resolves it: ".." stops at root and symlinks
// (absolute or relative) resolve inside root. The last component's
// symlink is followed only when followLast; missing components are
// appended as they are.
func resolveIn(root, p string, followLast bool) (string, error) {
	resolved := "" // below root, "" or starting with "/"
	rest := p
	links := 0
	for rest != "" {
		var comp string
		comp, rest, _ = strings.Cut(rest, "/")
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
		last := strings.Trim(rest, "/") == ""
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil || fi.Mode()&os.ModeSymlink == 0 || last && !followLast {
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("resolve %s: %w", p, err)
			}
			resolved = next
			continue
		}
		if links++; links > 64 {
			return "", fmt.Errorf("resolve %s: too many symlinks", p)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", fmt.Errorf("resolve %s: %w", p, err)
		}
		if filepath.IsAbs(target) {
			resolved = ""
		}
		rest = target + "/" + rest
	}
	return filepath.Join(root, resolved), nil
}
