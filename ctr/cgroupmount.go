package ctr

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// hostCgroupRoot is where the host mounts its cgroup hierarchies.
const hostCgroupRoot = "/sys/fs/cgroup"

// cgroupMount is one cgroup (v1) or cgroup2 filesystem of the host.
type cgroupMount struct {
	point  string   // mount point, e.g. /sys/fs/cgroup/memory
	v2     bool     // cgroup2
	ctrls  []string // v1: controllers and name= options of the hierarchy
	ownDir string   // the init's own cgroup in that hierarchy
}

// hostCgroupMounts lists the cgroup filesystems mounted at or directly
// below /sys/fs/cgroup, each with the calling process's cgroup in it
// (from /proc/self/cgroup).
func hostCgroupMounts() ([]cgroupMount, error) {
	own := map[string]string{} // controller list ("" for cgroup2) → path
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 {
			own[f[1]] = f[2]
		}
	}
	data, err = os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []cgroupMount
	for _, line := range strings.Split(string(data), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 3 || (qf[0] != "cgroup" && qf[0] != "cgroup2") {
			continue
		}
		point := pf[4]
		if point != hostCgroupRoot && filepath.Dir(point) != hostCgroupRoot {
			continue
		}
		m := cgroupMount{point: point, v2: qf[0] == "cgroup2"}
		if m.v2 {
			m.ownDir = own[""]
		} else {
			opts := map[string]bool{}
			for _, o := range strings.Split(qf[2], ",") {
				opts[o] = true
			}
			for key, path := range own {
				if key == "" {
					continue
				}
				all := true
				for _, c := range strings.Split(key, ",") {
					all = all && opts[c]
				}
				if all {
					m.ctrls, m.ownDir = strings.Split(key, ","), path
				}
			}
			if m.ctrls == nil {
				continue // a hierarchy this process is not in
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// mountCgroups makes a config.json cgroup mount at dest show the
// container's own cgroups, as runc does without a cgroup namespace: on a
// v1 or hybrid host a tmpfs with one directory per hierarchy (named as on
// the host, with the host's symlinks such as cpu → cpu,cpuacct), each a
// bind of the container's cgroup in that hierarchy; on a v2 host a bind of
// the container's cgroup. flags are the mount's options (ro, nosuid, …);
// they apply to every bind and to the tmpfs.
func mountCgroups(dest string, flags uintptr) error {
	mounts, err := hostCgroupMounts()
	if err != nil {
		return fmt.Errorf("cgroup mounts: %w", err)
	}
	if err := makeMountpoint(dest, true); err != nil {
		return err
	}
	bindFlags := flags & (unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	bind := func(src, dst string) error {
		if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s: %w", src, err)
		}
		if err := unix.Mount("", dst, "", unix.MS_BIND|unix.MS_REMOUNT|bindFlags, ""); err != nil {
			return fmt.Errorf("remount %s: %w", dst, err)
		}
		return nil
	}
	if len(mounts) == 1 && mounts[0].point == hostCgroupRoot {
		return bind(filepath.Join(hostCgroupRoot, mounts[0].ownDir), dest)
	}
	tmpFlags := bindFlags &^ unix.MS_RDONLY
	if err := unix.Mount("tmpfs", dest, "tmpfs", tmpFlags, "mode=755"); err != nil {
		return fmt.Errorf("tmpfs for cgroups: %w", err)
	}
	for _, m := range mounts {
		if m.point == hostCgroupRoot {
			continue
		}
		dir := filepath.Join(dest, filepath.Base(m.point))
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		if err := bind(filepath.Join(m.point, m.ownDir), dir); err != nil {
			return err
		}
	}
	// The host's symlinks (cpu -> cpu,cpuacct on many distributions).
	if ents, err := os.ReadDir(hostCgroupRoot); err == nil {
		for _, e := range ents {
			if e.Type()&os.ModeSymlink == 0 {
				continue
			}
			if target, err := os.Readlink(filepath.Join(hostCgroupRoot, e.Name())); err == nil {
				os.Symlink(target, filepath.Join(dest, e.Name()))
			}
		}
	}
	if flags&unix.MS_RDONLY != 0 {
		if err := unix.Mount("", dest, "", unix.MS_REMOUNT|tmpFlags|unix.MS_RDONLY, "mode=755"); err != nil {
			return fmt.Errorf("remount cgroup tmpfs read-only: %w", err)
		}
	}
	return nil
}
