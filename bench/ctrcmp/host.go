package main

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// cgroupMount is one cgroup or cgroup2 filesystem of a mountinfo.
type cgroupMount struct {
	Dir         string   // mount point
	V2          bool     // cgroup2
	Controllers []string // v1: the controllers among the super options (name=… included)
}

// cgroupMountpoints parses /proc/self/mountinfo text and returns its cgroup
// and cgroup2 mounts. Malformed lines are skipped.
func cgroupMountpoints(mountinfo string) []cgroupMount {
	var out []cgroupMount
	for _, line := range strings.Split(mountinfo, "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		pf, f := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(f) < 1 {
			continue
		}
		m := cgroupMount{Dir: unescapeMountinfo(pf[4])}
		switch f[0] {
		case "cgroup2":
			m.V2 = true
		case "cgroup":
			if len(f) >= 3 {
				for _, o := range strings.Split(f[2], ",") {
					switch o {
					case "rw", "ro", "":
					default:
						m.Controllers = append(m.Controllers, o)
					}
				}
			}
		default:
			continue
		}
		out = append(out, m)
	}
	return out
}

// unescapeMountinfo undoes mountinfo's octal escapes (\040 for a space,
// \011, \012, \134).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && isOctal(s[i+1:i+4]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 || s[0] > '3' {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return true
}

// hasV1Controller reports whether a cgroup v1 hierarchy carries ctl.
func hasV1Controller(ms []cgroupMount, ctl string) bool {
	for _, m := range ms {
		if !m.V2 && slices.Contains(m.Controllers, ctl) {
			return true
		}
	}
	return false
}

// ensureHugetlbV1 makes crun accept this hybrid host: crun refuses a
// v1/v2 hybrid layout while a controller is left to the unified hierarchy
// ("cgroups in hybrid mode not supported, drop all controllers from
// cgroupv2"), and hugetlb is the one no v1 hierarchy mounts here. It takes
// hugetlb out of the unified root's cgroup.subtree_control (where a v2 user
// may have enabled it; the kernel refuses to bind it to a v1 hierarchy
// otherwise) and mounts a v1 hugetlb hierarchy at
// /sys/fs/cgroup/hugetlb. Nothing happens on a pure v2 host or when
// hugetlb is mounted already. It returns what it did ("" for nothing).
func ensureHugetlbV1() (string, error) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	ms := cgroupMountpoints(string(mi))
	var unified string
	v1 := false
	for _, m := range ms {
		if m.V2 {
			unified = m.Dir
		} else {
			v1 = true
		}
	}
	if !v1 || hasV1Controller(ms, "hugetlb") {
		return "", nil
	}
	var did []string
	if unified != "" {
		sc := filepath.Join(unified, "cgroup.subtree_control")
		if data, err := os.ReadFile(sc); err == nil && slices.Contains(strings.Fields(string(data)), "hugetlb") {
			if err := os.WriteFile(sc, []byte("-hugetlb"), 0o644); err != nil {
				return "", fmt.Errorf("taking hugetlb out of %s (for crun): %w", sc, err)
			}
			did = append(did, "removed hugetlb from "+sc)
		}
	}
	dir := "/sys/fs/cgroup/hugetlb"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("crun needs a v1 hugetlb hierarchy on this hybrid host: %w", err)
	}
	if err := unix.Mount("cgroup", dir, "cgroup", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "hugetlb"); err != nil {
		return "", fmt.Errorf("crun needs a v1 hugetlb hierarchy on this hybrid host: mount -t cgroup -o hugetlb cgroup %s: %w", dir, err)
	}
	did = append(did, "mounted the v1 hugetlb hierarchy at "+dir+" (crun refuses the hybrid layout without it)")
	return strings.Join(did, "; "), nil
}

// isStatic reports whether path is an ELF file without a program
// interpreter.
func isStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	if len(f.Progs) == 0 {
		return false, errors.New(path + ": no program headers")
	}
	return true, nil
}
