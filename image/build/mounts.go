package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"strata/filetree"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runMount is one RUN --mount.
type runMount struct {
	typ      string // cache, bind or tmpfs
	target   string
	id       string // cache: shared by equal ids (default: the target)
	source   string // bind: path in the build context
	readonly bool
	uid, gid int
	mode     os.FileMode
}

// parseMount reads a --mount value: type=cache|bind|tmpfs (default bind),
// target (dst, destination), and per type id, uid, gid, mode (cache),
// source (src; bind, from the build context), ro/readonly, rw/readwrite.
func parseMount(v string) (runMount, error) {
	m := runMount{typ: "bind", mode: 0o755}
	rw := false
	for _, field := range strings.Split(v, ",") {
		k, val, hasVal := strings.Cut(strings.TrimSpace(field), "=")
		switch strings.ToLower(k) {
		case "type":
			m.typ = val
		case "target", "dst", "destination":
			m.target = val
		case "id":
			m.id = val
		case "source", "src":
			m.source = val
		case "ro", "readonly":
			m.readonly = !hasVal || val == "true"
		case "rw", "readwrite":
			rw = !hasVal || val == "true"
			m.readonly = !rw
		case "uid", "gid":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return m, fmt.Errorf("--mount %s=%s: want a number", k, val)
			}
			if k == "uid" {
				m.uid = n
			} else {
				m.gid = n
			}
		case "mode":
			n, err := strconv.ParseUint(val, 8, 32)
			if err != nil || n > 0o7777 {
				return m, fmt.Errorf("--mount mode=%s: want an octal mode", val)
			}
			m.mode = os.FileMode(n)
		case "sharing", "size":
			// Accepted; caches are always shared, tmpfs is unbounded.
		case "from":
			return m, fmt.Errorf("--mount from=%s is not supported (bind mounts come from the build context)", val)
		default:
			return m, fmt.Errorf("--mount: unknown option %q", k)
		}
	}
	switch m.typ {
	case "bind":
		if rw {
			return m, fmt.Errorf("--mount %q: read-write bind mounts of the build context are not supported", v)
		}
		m.readonly = true
	case "cache", "tmpfs":
	default:
		return m, fmt.Errorf("--mount type=%s is not supported (cache, bind and tmpfs are)", m.typ)
	}
	if m.target == "" || !path.IsAbs(m.target) {
		return m, fmt.Errorf("--mount %q: needs an absolute target", v)
	}
	m.target = path.Clean(m.target)
	if m.target == "/" {
		return m, fmt.Errorf("--mount %q: cannot mount over /", v)
	}
	if m.id == "" {
		m.id = m.target
	}
	return m, nil
}

// key is what the mount adds to a RUN's cache key.
func (m runMount) key() string {
	return fmt.Sprintf("%s target=%s id=%s source=%s ro=%v uid=%d gid=%d mode=%o", m.typ, m.target, m.id, m.source, m.readonly, m.uid, m.gid, m.mode)
}

// spec makes the OCI mount; a cache directory is created under root.
func (m runMount) spec(storeRoot, contextDir string) (specs.Mount, error) {
	opts := []string{"rbind", "rw"}
	if m.readonly {
		opts[1] = "ro"
	}
	switch m.typ {
	case "tmpfs":
		return specs.Mount{Destination: m.target, Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777"}}, nil
	case "cache":
		h := sha256.Sum256([]byte(m.id))
		dir := filepath.Join(storeRoot, "build", "mounts", hex.EncodeToString(h[:16]))
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return specs.Mount{}, err
			}
			if err := os.Chown(dir, m.uid, m.gid); err != nil {
				return specs.Mount{}, err
			}
			if err := os.Chmod(dir, m.mode); err != nil {
				return specs.Mount{}, err
			}
		}
		return specs.Mount{Destination: m.target, Type: "bind", Source: dir, Options: opts}, nil
	default: // bind from the context
		src, err := filetree.ResolveIn(contextDir, m.source, true)
		if err != nil {
			return specs.Mount{}, err
		}
		if _, err := os.Stat(src); err != nil {
			return specs.Mount{}, fmt.Errorf("--mount source=%s: %w", m.source, errNotInContext(err))
		}
		return specs.Mount{Destination: m.target, Type: "bind", Source: src, Options: opts}, nil
	}
}
