package build

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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

// lookupID finds name's numeric id in a passwd- or group-style file of
// the root filesystem (field 0 the name, field 2 the id). Numeric names
// are returned as they are.
func lookupID(root, file, name string) (uint32, uint32, error) {
	if n, err := strconv.ParseUint(name, 10, 32); err == nil {
		gid := uint32(0)
		if file == "/etc/passwd" {
			// A numeric user's primary group comes from passwd if listed.
			if _, g, err := scanIDFile(root, file, func(f []string) bool { return f[2] == name }); err == nil {
				gid = g
			}
		}
		return uint32(n), gid, nil
	}
	return scanIDFile(root, file, func(f []string) bool { return f[0] == name })
}

func scanIDFile(root, file string, match func([]string) bool) (uint32, uint32, error) {
	host, err := resolveIn(root, file, true)
	if err != nil {
		return 0, 0, err
	}
	f, err := os.Open(host)
	if err != nil {
		return 0, 0, fmt.Errorf("no %s in the image: %w", file, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 || !match(fields) {
			continue
		}
		id, err := strconv.ParseUint(fields[2], 10, 32)
		if err != nil {
			continue
		}
		gid := uint64(0)
		if len(fields) > 3 {
			gid, _ = strconv.ParseUint(fields[3], 10, 32)
		}
		return uint32(id), uint32(gid), nil
	}
	return 0, 0, fmt.Errorf("not found in %s", file)
}

// resolveUser turns USER-style "user[:group]" into numeric ids using the
// root filesystem's /etc/passwd and /etc/group.
func resolveUser(root, spec string) (uid, gid uint32, err error) {
	u, g, hasGroup := strings.Cut(spec, ":")
	if u == "" {
		return 0, 0, fmt.Errorf("user %q: empty user", spec)
	}
	uid, gid, err = lookupID(root, "/etc/passwd", u)
	if err != nil {
		return 0, 0, fmt.Errorf("user %q: %w", u, err)
	}
	if hasGroup {
		gid, _, err = lookupID(root, "/etc/group", g)
		if err != nil {
			return 0, 0, fmt.Errorf("group %q: %w", g, err)
		}
	}
	return uid, gid, nil
}
