package cgroup

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v2Manager is a cgroup in a unified (cgroup2) hierarchy mounted at
// mount.
type v2Manager struct {
	path  string // cgroupsPath as given
	mount string // the hierarchy's mountpoint
	group string // the cgroup's absolute path inside the hierarchy
	dir   string // mount + group
	lib   *cgroup2.Manager
}

// v2Group resolves a cgroupsPath in the unified hierarchy.
func v2Group(path string) (string, error) {
	own := "/"
	if !filepath.IsAbs(path) {
		o, err := ownCgroup("")
		if err != nil {
			return "", err
		}
		own = o
	}
	return resolve(path, own), nil
}

// newV2 creates the cgroup below mount and applies r.
func newV2(mount, path string, r *specs.LinuxResources) (Manager, error) {
	if !isCgroup2(mount) {
		return nil, fmt.Errorf("%w: %s is not a cgroup2 mount", ErrNoCgroups, mount)
	}
	s, err := toV2(r)
	if err != nil {
		return nil, err
	}
	group, err := v2Group(path)
	if err != nil {
		return nil, err
	}
	m := &v2Manager{path: path, mount: mount, group: group, dir: filepath.Join(mount, group)}
	// Every controller the settings need must be available at the root.
	avail, err := controllers(mount)
	if err != nil {
		return nil, err
	}
	for _, c := range s.res.EnabledControllers() {
		if !slices.Contains(avail, c) {
			return nil, fmt.Errorf("%w: the %s controller is not available in the cgroup2 hierarchy at %s (available: %v)", ErrUnsupported, c, mount, avail)
		}
	}
	top := ""
	for p := m.dir; !exists(p); p = filepath.Dir(p) {
		top = p
	}
	undo := func() {
		if top != "" {
			_ = removeTree(top)
		}
	}
	// Delegate every available controller down to the new cgroup (as
	// runc does), so that stats work for controllers with no settings.
	if err := os.MkdirAll(m.dir, defaultDirPerm); err != nil {
		return nil, fmt.Errorf("cgroup: creating %s: %w", m.dir, err)
	}
	if mount != hybridUnified {
		// On a hybrid host the unified hierarchy tracks processes only:
		// a controller enabled there (one the v1 side has not mounted,
		// such as hugetlb) could then not be mounted as v1 any more,
		// and crun refuses such a host.
		m.enableControllers(avail)
	}
	lib, err := cgroup2.NewManager(mount, group, s.res)
	if err != nil {
		undo()
		return nil, fmt.Errorf("cgroup: creating %s (v2): %w", path, err)
	}
	m.lib = lib
	if err := m.writeRest(s); err != nil {
		undo()
		return nil, err
	}
	return m, nil
}

// loadV2 attaches to an existing cgroup below mount.
func loadV2(mount, path string) (Manager, error) {
	group, err := v2Group(path)
	if err != nil {
		return nil, err
	}
	m := &v2Manager{path: path, mount: mount, group: group, dir: filepath.Join(mount, group)}
	if !exists(m.dir) {
		return nil, fmt.Errorf("%w: %s", ErrNotExist, path)
	}
	lib, err := cgroup2.Load(group, cgroup2.WithMountpoint(mount))
	if err != nil {
		return nil, fmt.Errorf("cgroup: loading %s (v2): %w", path, err)
	}
	m.lib = lib
	return m, nil
}

// controllers lists the controllers available in the cgroup at dir.
func controllers(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	return strings.Fields(string(b)), nil
}

// enableControllers turns on each controller in the subtree_control of
// every ancestor of the cgroup, one at a time, so that one refused
// controller does not stop the others. Failures are left for the
// library's own toggling of the controllers the settings need to report.
func (m *v2Manager) enableControllers(ctls []string) {
	rel := strings.Trim(m.group, "/")
	parts := strings.Split(rel, "/")
	dir := m.mount
	for i := 0; i < len(parts); i++ {
		have, err := controllers(dir)
		if err != nil {
			return
		}
		for _, c := range ctls {
			if slices.Contains(have, c) {
				_ = os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+"+c), defaultFilePerm)
			}
		}
		dir = filepath.Join(dir, parts[i])
	}
}

// writeRest writes what the library does not: "max" values, the blkio
// weights and the unified map.
func (m *v2Manager) writeRest(s *v2Settings) error {
	for _, f := range s.files {
		if err := writeFile(m.dir, f.file, f.value); err != nil {
			return err
		}
	}
	if s.blkioWeight != nil {
		switch {
		case exists(filepath.Join(m.dir, "io.bfq.weight")):
			if err := writeFile(m.dir, "io.bfq.weight", strconv.Itoa(int(*s.blkioWeight))); err != nil {
				return err
			}
		case exists(filepath.Join(m.dir, "io.weight")):
			if err := writeFile(m.dir, "io.weight", "default "+strconv.FormatUint(BlkioWeightToIOWeight(*s.blkioWeight), 10)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: linux.resources.blockIO.weight: no io.bfq.weight or io.weight here (io controller off, or no BFQ)", ErrUnsupported)
		}
	}
	for _, wd := range s.weightDevices {
		if !exists(filepath.Join(m.dir, "io.bfq.weight")) {
			return fmt.Errorf("%w: linux.resources.blockIO.weightDevice: no io.bfq.weight here", ErrUnsupported)
		}
		if err := writeFile(m.dir, "io.bfq.weight", fmt.Sprintf("%d:%d %d", wd.Major, wd.Minor, *wd.Weight)); err != nil {
			return err
		}
	}
	return nil
}

func (m *v2Manager) Path() string { return m.group }

func (m *v2Manager) Apply(pid int) error {
	if err := m.lib.AddProc(uint64(pid)); err != nil {
		return fmt.Errorf("cgroup: adding pid %d to %s: %w", pid, m.dir, err)
	}
	return nil
}

func (m *v2Manager) Set(r *specs.LinuxResources) error {
	s, err := toV2(r)
	if err != nil {
		return err
	}
	if err := m.lib.Update(s.res); err != nil {
		return fmt.Errorf("cgroup: updating %s (v2): %w", m.path, err)
	}
	return m.writeRest(s)
}

// limit turns v2's "max" (read as MaxUint64 by the library) into 0.
func limit(v uint64) uint64 {
	if v == math.MaxUint64 || v >= math.MaxInt64 {
		return 0
	}
	return v
}

func (m *v2Manager) Stats() (*Stats, error) {
	mt, err := m.lib.Stat()
	if err != nil {
		return nil, fmt.Errorf("cgroup: stats of %s (v2): %w", m.path, err)
	}
	st := &Stats{}
	if mem := mt.Memory; mem != nil {
		st.Memory.Usage, st.Memory.Limit, st.Memory.MaxUsage = mem.Usage, limit(mem.UsageLimit), mem.MaxUsage
		st.Memory.SwapUsage = mem.SwapUsage
	}
	if ev := mt.MemoryEvents; ev != nil {
		st.Memory.OOMKills = ev.OomKill
	}
	if c := mt.CPU; c != nil {
		st.CPU.UsageNs, st.CPU.UserNs, st.CPU.SystemNs = c.UsageUsec*1000, c.UserUsec*1000, c.SystemUsec*1000
		st.CPU.Periods, st.CPU.ThrottledPeriods, st.CPU.ThrottledNs = c.NrPeriods, c.NrThrottled, c.ThrottledUsec*1000
	}
	if p := mt.Pids; p != nil {
		st.Pids.Current, st.Pids.Limit = p.Current, limit(p.Limit)
	}
	return st, nil
}

// Freeze writes cgroup.freeze and, unlike the library (which only reads
// cgroup.freeze back), waits until cgroup.events reports "frozen 1": only
// then are all the tasks stopped.
func (m *v2Manager) Freeze() error {
	if err := m.lib.Freeze(); err != nil {
		return fmt.Errorf("cgroup: freezing %s (v2): %w", m.path, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(m.dir, "cgroup.events"))
		if err != nil {
			return fmt.Errorf("cgroup: freezing %s (v2): %w", m.path, err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l == "frozen 1" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			_ = m.lib.Thaw()
			return fmt.Errorf("cgroup: freezing %s (v2): tasks did not freeze within 10s", m.path)
		}
		time.Sleep(time.Millisecond)
	}
}

func (m *v2Manager) Thaw() error {
	if err := m.lib.Thaw(); err != nil {
		return fmt.Errorf("cgroup: thawing %s (v2): %w", m.path, err)
	}
	return nil
}

func (m *v2Manager) Procs() ([]int, error) { return procsOf([]string{m.dir}) }

// Kill uses cgroup.kill (Linux 5.14+) for SIGKILL; other signals, and
// SIGKILL on older kernels, go to each listed process (SIGKILL with the
// cgroup frozen). The library's own Kill fallback reaps the processes it
// kills, which would steal exit statuses from their parent: not used.
func (m *v2Manager) Kill(sig syscall.Signal) error {
	if sig == syscall.SIGKILL && exists(filepath.Join(m.dir, "cgroup.kill")) {
		return writeFile(m.dir, "cgroup.kill", "1")
	}
	freeze := sig == syscall.SIGKILL && m.Freeze() == nil
	pids, err := m.Procs()
	if err == nil {
		err = signalAll(pids, sig)
	}
	if freeze {
		if terr := m.lib.Thaw(); terr != nil && err == nil {
			err = fmt.Errorf("cgroup: thawing %s after kill: %w", m.path, terr)
		}
	}
	return err
}

func (m *v2Manager) Delete() error {
	pids, err := m.Procs()
	if err != nil {
		return err
	}
	if len(pids) > 0 {
		return fmt.Errorf("%w: %s has pids %v (Kill them and wait first)", ErrBusy, m.path, pids)
	}
	if err := removeTree(m.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
