package filetree

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ResolveIn maps the path p, as seen by a process chrooted at root, to a
// host path below root: ".." never climbs above root and symlinks
// (absolute or relative) resolve inside root. The last component's
// symlink is followed only when followLast. Components that do not exist
// are appended as they are. The container runtime resolves mount
// destinations this way, image builds COPY destinations and sources.
func ResolveIn(root, p string, followLast bool) (string, error) {
	resolved := "" // below root: "" or starting with "/"
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
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("resolve %s in %s: %w", p, root, err)
		}
		if err != nil || fi.Mode()&os.ModeSymlink == 0 || last && !followLast {
			resolved = next
			continue
		}
		if links++; links > 255 {
			return "", fmt.Errorf("resolve %s in %s: too many symlinks", p, root)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", fmt.Errorf("resolve %s in %s: %w", p, root, err)
		}
		if filepath.IsAbs(target) {
			resolved = ""
		}
		rest = target + "/" + rest
	}
	return filepath.Join(root, filepath.Clean("/"+resolved)), nil
}
