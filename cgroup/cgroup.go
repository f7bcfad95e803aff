// Package cgroup manages the control groups of strata's containers: it
// creates a cgroup for a container, applies the resource limits of an OCI
// config.json (specs.LinuxResources) to it, reports statistics, freezes and
// thaws it, signals every process in it and removes it again.
//
// It works on the three layouts a Linux host can have:
//
//   - "v1": only cgroup v1 hierarchies (one per controller, or co-mounted),
//   - "hybrid": v1 controllers plus an (often controller-less) cgroup2
//     hierarchy at /sys/fs/cgroup/unified,
//   - "v2": the unified hierarchy mounted at /sys/fs/cgroup.
//
// The controller work is done by github.com/containerd/cgroups/v3 (its
// cgroup1 and cgroup2 packages); this package adds what a runtime needs
// around it: runc's cgroupsPath semantics for the cgroupfs driver, the
// v1-to-v2 conversions runc uses, clear errors for what the host cannot do,
// signalling without reaping other people's children, and a Delete that
// leaves nothing behind in any hierarchy.
package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	cgroups "github.com/containerd/cgroups/v3"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Errors returned (wrapped) by this package.
var (
	// ErrUnsupported: the host (or the cgroup version) cannot honour a
	// requested resource setting. The wrapping error names the field.
	ErrUnsupported = errors.New("cgroup: unsupported on this host")
	// ErrInvalid: a resource value or a cgroups path is malformed.
	ErrInvalid = errors.New("cgroup: invalid setting")
	// ErrNotExist: Load found no such cgroup.
	ErrNotExist = errors.New("cgroup: does not exist")
	// ErrBusy: Delete was asked to remove a cgroup that still has
	// processes. Kill them (and wait for them) first.
	ErrBusy = errors.New("cgroup: still has processes")
	// ErrNoCgroups: no cgroup filesystem is mounted.
	ErrNoCgroups = errors.New("cgroup: no cgroup filesystem mounted")
)

// Manager controls one container's cgroup.
type Manager interface {
	// Apply moves the process pid (all its threads) into the cgroup.
	Apply(pid int) error
	// Set applies the resource limits (an update: fields left nil are
	// left as they are).
	Set(r *specs.LinuxResources) error
	// Stats reports usage and limits.
	Stats() (*Stats, error)
	// Freeze stops every process in the cgroup; it returns once they are
	// all frozen.
	Freeze() error
	// Thaw lets frozen processes run again.
	Thaw() error
	// Procs lists the processes in the cgroup and its descendants.
	Procs() ([]int, error)
	// Kill sends sig to every process in the cgroup and its descendants.
	// It does not wait for or reap them. SIGKILL is sent with the cgroup
	// frozen (or through cgroup.kill on v2) so that forks cannot escape.
	Kill(sig syscall.Signal) error
	// Delete removes the cgroup (and any descendant cgroups) from every
	// hierarchy. It fails with ErrBusy, removing nothing, while processes
	// remain. Deleting a deleted cgroup is not an error.
	Delete() error
	// Path returns the cgroup's path inside the hierarchies, e.g.
	// "/strata/abc" (for a relative cgroupsPath, the resolved absolute
	// one of the first hierarchy).
	Path() string
}

// Stats is a snapshot of a cgroup's usage. Zero means "unknown" or "not
// limited" for limits (a limit of "max" is reported as 0).
type Stats struct {
	Memory MemoryStats
	CPU    CPUStats
	Pids   PidsStats
}

// MemoryStats is memory usage in bytes.
type MemoryStats struct {
	Usage     uint64 // current usage (v1 memory.usage_in_bytes, v2 memory.current)
	Limit     uint64 // limit (0: none)
	MaxUsage  uint64 // high-water mark (v1 max_usage_in_bytes, v2 memory.peak when the kernel has it)
	SwapUsage uint64 // v1: memory+swap usage; v2: swap only
	OOMKills  uint64 // processes killed by the OOM killer in this cgroup
}

// CPUStats is CPU usage and throttling.
type CPUStats struct {
	UsageNs          uint64 // total CPU time of the cgroup's tasks
	UserNs           uint64
	SystemNs         uint64
	Periods          uint64 // enforcement periods that elapsed (CFS bandwidth)
	ThrottledPeriods uint64 // periods in which the cgroup was throttled
	ThrottledNs      uint64 // total time throttled
}

// PidsStats is the number of tasks and its limit.
type PidsStats struct {
	Current uint64
	Limit   uint64 // 0: none
}

// Mode reports the host's cgroup layout: "v1", "hybrid", "v2", or "" when
// no cgroup filesystem is mounted.
func Mode() string {
	switch cgroups.Mode() {
	case cgroups.Legacy:
		return "v1"
	case cgroups.Hybrid:
		return "hybrid"
	case cgroups.Unified:
		return "v2"
	}
	return ""
}

const (
	cgroupRoot      = "/sys/fs/cgroup"
	hybridUnified   = "/sys/fs/cgroup/unified"
	cgroup2Magic    = 0x63677270
	defaultDirPerm  = 0o755
	defaultFilePerm = 0o644
)

// New creates the cgroup at path in every hierarchy and applies r (which
// may be nil). path follows runc's cgroupsPath semantics for the cgroupfs
// driver: an absolute path such as "/strata/<id>" is taken from the root of
// each hierarchy; a relative one is taken from the cgroup the calling
// process is in (per hierarchy). Settings the host cannot honour are
// rejected before anything is created; if applying fails halfway, what was
// created is removed again.
func New(path string, r *specs.LinuxResources) (Manager, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if r == nil {
		r = &specs.LinuxResources{}
	}
	switch Mode() {
	case "v1", "hybrid":
		return newV1(path, r)
	case "v2":
		return newV2(cgroupRoot, path, r)
	}
	return nil, ErrNoCgroups
}

// Load returns a Manager for an existing cgroup created by New (possibly by
// another process). It fails with ErrNotExist if the cgroup is in no
// hierarchy.
func Load(path string) (Manager, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	switch Mode() {
	case "v1", "hybrid":
		return loadV1(path)
	case "v2":
		return loadV2(cgroupRoot, path)
	}
	return nil, ErrNoCgroups
}

// checkPath rejects cgroups paths that are empty or climb out of their
// hierarchy.
func checkPath(path string) error {
	if path == "" || path == "/" {
		return fmt.Errorf("%w: cgroups path %q: want a path below the root, e.g. /strata/<id>", ErrInvalid, path)
	}
	for _, el := range strings.Split(path, "/") {
		if el == ".." {
			return fmt.Errorf("%w: cgroups path %q contains \"..\"", ErrInvalid, path)
		}
	}
	return nil
}

// ownCgroup returns the calling process's cgroup in the hierarchy named
// by key in /proc/self/cgroup ("" for the unified one, else a controller
// name such as "memory" or "name=systemd").
func ownCgroup(key string) (string, error) {
	m, unified, err := cgroups.ParseCgroupFileUnified("/proc/self/cgroup")
	if err != nil {
		return "", fmt.Errorf("cgroup: reading /proc/self/cgroup: %w", err)
	}
	if key == "" {
		return unified, nil
	}
	p, ok := m[key]
	if !ok {
		return "", fmt.Errorf("cgroup: %s not in /proc/self/cgroup: %w", key, ErrNoCgroups)
	}
	return p, nil
}

// resolve turns a cgroupsPath into an absolute path inside a hierarchy
// whose own cgroup (for relative paths) is own.
func resolve(path, own string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join("/", own, path)
}

// readProcs reads the pids in dir's cgroup.procs and those of every
// descendant cgroup into set. A missing dir is not an error.
func readProcs(dir string, set map[int]struct{}) error {
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		f, err := os.Open(filepath.Join(p, "cgroup.procs"))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if pid, err := strconv.Atoi(strings.TrimSpace(s.Text())); err == nil && pid > 0 {
				set[pid] = struct{}{}
			}
		}
		return s.Err()
	})
	if err != nil {
		return fmt.Errorf("cgroup: listing processes of %s: %w", dir, err)
	}
	return nil
}

// procsOf returns the sorted pids in dirs (and their descendants).
func procsOf(dirs []string) ([]int, error) {
	set := map[int]struct{}{}
	for _, d := range dirs {
		if err := readProcs(d, set); err != nil {
			return nil, err
		}
	}
	out := make([]int, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Ints(out)
	return out, nil
}

// signalAll sends sig to each pid; processes that are already gone are
// skipped.
func signalAll(pids []int, sig syscall.Signal) error {
	var errs []error
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("cgroup: kill %d: %w", pid, err))
		}
	}
	return errors.Join(errs...)
}

// writeFile writes one cgroup control file.
func writeFile(dir, file, value string) error {
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), defaultFilePerm); err != nil {
		return fmt.Errorf("cgroup: writing %q to %s: %w", value, filepath.Join(dir, file), err)
	}
	return nil
}

// removeTree removes the cgroup directory dir and every cgroup below it,
// deepest first (cgroup directories are removed with rmdir; their control
// files cannot be unlinked). A missing dir is not an error. EBUSY (a task
// that is exiting) is retried for a short while.
func removeTree(dir string) error {
	var subdirs []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			subdirs = append(subdirs, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cgroup: removing %s: %w", dir, err)
	}
	for i := len(subdirs) - 1; i >= 0; i-- {
		delay := 5 * time.Millisecond
		for try := 0; ; try++ {
			err := syscall.Rmdir(subdirs[i])
			if err == nil || errors.Is(err, syscall.ENOENT) {
				break
			}
			if !errors.Is(err, syscall.EBUSY) || try >= 8 {
				return fmt.Errorf("cgroup: removing %s: %w", subdirs[i], err)
			}
			time.Sleep(delay)
			delay *= 2
		}
	}
	return nil
}

// isCgroup2 reports whether dir is on a cgroup2 filesystem.
func isCgroup2(dir string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && st.Type == cgroup2Magic
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
