package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	cgroups "github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v1Manager is a cgroup in every v1 hierarchy (and, on a hybrid host, in
// the unified one, where runc also puts its containers so that the
// container's cgroup namespace and tools reading "0::" see it).
type v1Manager struct {
	path string         // cgroupsPath as given
	cg   cgroup1.Cgroup // the containerd library's view: settings, stats, freezer
	// dirs are the cgroup's directories, one per mounted hierarchy.
	dirs []string
	// ctl maps a controller (or "name=systemd", or "" for the hybrid
	// unified hierarchy) to the cgroup's directory in its hierarchy.
	ctl map[string]string
	// mnt maps a controller to its hierarchy's mountpoint.
	mnt map[string]string
}

// v1Layout finds the v1 hierarchies in /proc/self/mountinfo and where the
// cgroup at path lives in each.
func v1Layout(path string) (*v1Manager, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	defer f.Close()
	own, unified, err := cgroup1ParseSelf()
	if err != nil {
		return nil, err
	}
	m := &v1Manager{path: path, ctl: map[string]string{}, mnt: map[string]string{}}
	seen := map[string]bool{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		// id parent maj:min root mountpoint opts [optional...] - fstype source superopts
		fields := strings.Fields(s.Text())
		sep := -1
		for i, fl := range fields {
			if fl == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+3 >= len(fields) || len(fields) < 5 {
			continue
		}
		fstype, root, mp := fields[sep+1], fields[3], fields[4]
		if root != "/" || seen[mp] {
			continue
		}
		switch fstype {
		case "cgroup":
			var ctls []string
			for _, o := range strings.Split(fields[sep+3], ",") {
				switch {
				case o == "rw" || o == "ro" || strings.HasPrefix(o, "release_agent=") || o == "clone_children" || o == "noprefix" || o == "xattr" || o == "cpuset_v2_mode" || o == "favordynmods":
				default:
					ctls = append(ctls, o)
				}
			}
			if len(ctls) == 0 {
				continue
			}
			ownPath, ok := own[ctls[0]]
			if !ok {
				continue
			}
			seen[mp] = true
			dir := filepath.Join(mp, resolve(path, ownPath))
			m.dirs = append(m.dirs, dir)
			for _, c := range ctls {
				m.ctl[c] = dir
				m.mnt[c] = mp
			}
		case "cgroup2":
			if mp != hybridUnified {
				continue
			}
			seen[mp] = true
			dir := filepath.Join(mp, resolve(path, unified))
			m.dirs = append(m.dirs, dir)
			m.ctl[""] = dir
			m.mnt[""] = mp
		}
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("cgroup: reading mountinfo: %w", err)
	}
	if len(m.dirs) == 0 {
		return nil, ErrNoCgroups
	}
	return m, nil
}

// cgroup1ParseSelf returns the calling process's v1 cgroups keyed by
// controller ("cpu", "cpuacct", "name=systemd") and its unified one.
func cgroup1ParseSelf() (map[string]string, string, error) {
	own, unified, err := cgroups.ParseCgroupFileUnified("/proc/self/cgroup")
	if err != nil {
		return nil, "", fmt.Errorf("cgroup: reading /proc/self/cgroup: %w", err)
	}
	return own, unified, nil
}

// libPath is the containerd library's form of the cgroupsPath.
func (m *v1Manager) libPath() cgroup1.Path {
	if filepath.IsAbs(m.path) {
		return cgroup1.StaticPath(m.path)
	}
	return cgroup1.NestedPath(m.path)
}

// checkHost rejects settings the mounted v1 controllers cannot honour,
// before anything is created or changed.
func (m *v1Manager) checkHost(r *specs.LinuxResources) error {
	has := func(ctl, file string) bool {
		mp, ok := m.mnt[ctl]
		if !ok {
			return false
		}
		return file == "" || exists(filepath.Join(mp, file))
	}
	if b := r.BlockIO; b != nil {
		if b.Weight != nil && *b.Weight != 0 && !has("blkio", "blkio.weight") {
			return fmt.Errorf("%w: linux.resources.blockIO.weight: this host's blkio controller has no blkio.weight (no CFQ/BFQ proportional weights)", ErrUnsupported)
		}
		if b.LeafWeight != nil && *b.LeafWeight != 0 && !has("blkio", "blkio.leaf_weight") {
			return fmt.Errorf("%w: linux.resources.blockIO.leafWeight: this host's blkio controller has no blkio.leaf_weight", ErrUnsupported)
		}
		if len(b.WeightDevice) > 0 && !has("blkio", "blkio.weight_device") {
			return fmt.Errorf("%w: linux.resources.blockIO.weightDevice: this host's blkio controller has no blkio.weight_device", ErrUnsupported)
		}
		if (len(b.ThrottleReadBpsDevice)+len(b.ThrottleWriteBpsDevice)+len(b.ThrottleReadIOPSDevice)+len(b.ThrottleWriteIOPSDevice) > 0) && !has("blkio", "blkio.throttle.read_bps_device") {
			return fmt.Errorf("%w: linux.resources.blockIO.throttle*: no blkio throttling on this host", ErrUnsupported)
		}
	}
	if mem := r.Memory; mem != nil {
		if (mem.Limit != nil || mem.Reservation != nil || mem.Swap != nil || mem.Swappiness != nil || mem.DisableOOMKiller != nil) && !has("memory", "") {
			return fmt.Errorf("%w: linux.resources.memory: no memory controller mounted", ErrUnsupported)
		}
		if mem.Swap != nil && !has("memory", "memory.memsw.limit_in_bytes") {
			return fmt.Errorf("%w: linux.resources.memory.swap: no swap accounting (memory.memsw.*) on this host", ErrUnsupported)
		}
	}
	if c := r.CPU; c != nil {
		if (c.Shares != nil || c.Quota != nil || c.Period != nil) && !has("cpu", "") {
			return fmt.Errorf("%w: linux.resources.cpu: no cpu controller mounted", ErrUnsupported)
		}
		if (c.Cpus != "" || c.Mems != "") && !has("cpuset", "") {
			return fmt.Errorf("%w: linux.resources.cpu.cpus/mems: no cpuset controller mounted", ErrUnsupported)
		}
		if ((c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0) || (c.RealtimePeriod != nil && *c.RealtimePeriod != 0)) && !has("cpu", "cpu.rt_runtime_us") {
			return fmt.Errorf("%w: linux.resources.cpu.realtime*: no RT group scheduling in this kernel", ErrUnsupported)
		}
		if c.Burst != nil && !has("cpu", "cpu.cfs_burst_us") {
			return fmt.Errorf("%w: linux.resources.cpu.burst: no cpu.cfs_burst_us on this host", ErrUnsupported)
		}
		if c.Idle != nil && !has("cpu", "cpu.idle") {
			return fmt.Errorf("%w: linux.resources.cpu.idle: no cpu.idle on this host", ErrUnsupported)
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil && !has("pids", "") {
		return fmt.Errorf("%w: linux.resources.pids: no pids controller mounted", ErrUnsupported)
	}
	if len(r.Devices) > 0 && !has("devices", "") {
		return fmt.Errorf("%w: linux.resources.devices: no devices controller mounted", ErrUnsupported)
	}
	if len(r.HugepageLimits) > 0 && !has("hugetlb", "") {
		return fmt.Errorf("%w: linux.resources.hugepageLimits: no hugetlb controller mounted", ErrUnsupported)
	}
	if n := r.Network; n != nil {
		if n.ClassID != nil && !has("net_cls", "") {
			return fmt.Errorf("%w: linux.resources.network.classID: no net_cls controller mounted", ErrUnsupported)
		}
		if len(n.Priorities) > 0 && !has("net_prio", "") {
			return fmt.Errorf("%w: linux.resources.network.priorities: no net_prio controller mounted", ErrUnsupported)
		}
	}
	if len(r.Rdma) > 0 && !has("rdma", "") {
		return fmt.Errorf("%w: linux.resources.rdma: no rdma controller mounted", ErrUnsupported)
	}
	return nil
}

// newV1 creates the cgroup in every hierarchy and applies r.
func newV1(path string, r *specs.LinuxResources) (Manager, error) {
	rr, err := forV1(r)
	if err != nil {
		return nil, err
	}
	m, err := v1Layout(path)
	if err != nil {
		return nil, err
	}
	if err := m.checkHost(rr); err != nil {
		return nil, err
	}
	// Remember the topmost directory New creates in each hierarchy, to
	// undo a half-done creation.
	var created []string
	for _, d := range m.dirs {
		top := ""
		for p := d; !exists(p); p = filepath.Dir(p) {
			top = p
		}
		if top != "" {
			created = append(created, top)
		}
	}
	undo := func() {
		for _, d := range created {
			_ = removeTree(d)
		}
	}
	cg, err := cgroup1.New(m.libPath(), rr, cgroup1.WithHierarchy(cgroup1.Default))
	if err != nil {
		undo()
		return nil, fmt.Errorf("cgroup: creating %s (v1): %w", path, err)
	}
	m.cg = cg
	// Hierarchies the library does not know (the hybrid unified one,
	// misc, ...) get the directory too, so that Apply puts the process
	// everywhere.
	for _, d := range m.dirs {
		if err := os.MkdirAll(d, defaultDirPerm); err != nil {
			undo()
			return nil, fmt.Errorf("cgroup: creating %s: %w", d, err)
		}
	}
	if err := m.writeExtras(r); err != nil {
		undo()
		return nil, err
	}
	return m, nil
}

// loadV1 attaches to an existing cgroup.
func loadV1(path string) (Manager, error) {
	m, err := v1Layout(path)
	if err != nil {
		return nil, err
	}
	cg, err := cgroup1.Load(m.libPath(), cgroup1.WithHierarchy(cgroup1.Default))
	if err != nil {
		if errors.Is(err, cgroup1.ErrCgroupDeleted) {
			return nil, fmt.Errorf("%w: %s", ErrNotExist, path)
		}
		return nil, fmt.Errorf("cgroup: loading %s (v1): %w", path, err)
	}
	m.cg = cg
	return m, nil
}

// writeExtras writes the settings the library's v1 controllers skip.
func (m *v1Manager) writeExtras(r *specs.LinuxResources) error {
	for _, e := range v1Extras(r) {
		dir, ok := m.ctl[e.controller]
		if !ok {
			return fmt.Errorf("%w: %s: no %s controller mounted", ErrUnsupported, e.file, e.controller)
		}
		if err := writeFile(dir, e.file, e.value); err != nil {
			return err
		}
	}
	return nil
}

func (m *v1Manager) Path() string {
	if d, ok := m.ctl["memory"]; ok {
		return strings.TrimPrefix(d, m.mnt["memory"])
	}
	return resolve(m.path, "/")
}

func (m *v1Manager) Apply(pid int) error {
	for _, d := range m.dirs {
		if err := writeFile(d, "cgroup.procs", fmt.Sprint(pid)); err != nil {
			return fmt.Errorf("cgroup: adding pid %d: %w", pid, err)
		}
	}
	return nil
}

func (m *v1Manager) Set(r *specs.LinuxResources) error {
	rr, err := forV1(r)
	if err != nil {
		return err
	}
	if err := m.checkHost(rr); err != nil {
		return err
	}
	if err := m.cg.Update(rr); err != nil {
		return fmt.Errorf("cgroup: updating %s (v1): %w", m.path, err)
	}
	return m.writeExtras(r)
}

// unlimited turns v1's "no limit" values (PAGE_COUNTER_MAX pages, near
// 2^63) into 0.
func unlimited(v uint64) uint64 {
	if v >= math.MaxInt64/2 {
		return 0
	}
	return v
}

func (m *v1Manager) Stats() (*Stats, error) {
	mt, err := m.cg.Stat(cgroup1.IgnoreNotExist)
	if err != nil {
		return nil, fmt.Errorf("cgroup: stats of %s (v1): %w", m.path, err)
	}
	st := &Stats{}
	if mem := mt.Memory; mem != nil {
		if u := mem.Usage; u != nil {
			st.Memory.Usage, st.Memory.Limit, st.Memory.MaxUsage = u.Usage, unlimited(u.Limit), u.Max
		}
		if s := mem.Swap; s != nil {
			st.Memory.SwapUsage = s.Usage
		}
	}
	if o := mt.MemoryOomControl; o != nil {
		st.Memory.OOMKills = o.OomKill
	}
	if c := mt.CPU; c != nil {
		if u := c.Usage; u != nil {
			st.CPU.UsageNs, st.CPU.UserNs, st.CPU.SystemNs = u.Total, u.User, u.Kernel
		}
		if t := c.Throttling; t != nil {
			st.CPU.Periods, st.CPU.ThrottledPeriods, st.CPU.ThrottledNs = t.Periods, t.ThrottledPeriods, t.ThrottledTime
		}
	}
	if p := mt.Pids; p != nil {
		st.Pids.Current, st.Pids.Limit = p.Current, p.Limit
	}
	return st, nil
}

func (m *v1Manager) Freeze() error {
	if err := m.cg.Freeze(); err != nil {
		return fmt.Errorf("cgroup: freezing %s (v1): %w", m.path, err)
	}
	return nil
}

func (m *v1Manager) Thaw() error {
	if err := m.cg.Thaw(); err != nil {
		return fmt.Errorf("cgroup: thawing %s (v1): %w", m.path, err)
	}
	return nil
}

func (m *v1Manager) Procs() ([]int, error) { return procsOf(m.dirs) }

func (m *v1Manager) Kill(sig syscall.Signal) error {
	_, hasFreezer := m.ctl["freezer"]
	freeze := sig == syscall.SIGKILL && hasFreezer
	if freeze {
		// Frozen, nothing can fork between listing and signalling.
		if err := m.cg.Freeze(); err != nil {
			freeze = false
		}
	}
	pids, err := m.Procs()
	if err == nil {
		err = signalAll(pids, sig)
	}
	if freeze {
		// SIGKILL is delivered to frozen tasks once they thaw.
		if terr := m.cg.Thaw(); terr != nil && err == nil {
			err = fmt.Errorf("cgroup: thawing %s after kill: %w", m.path, terr)
		}
	}
	return err
}

func (m *v1Manager) Delete() error {
	pids, err := m.Procs()
	if err != nil {
		return err
	}
	if len(pids) > 0 {
		return fmt.Errorf("%w: %s has pids %v (Kill them and wait first)", ErrBusy, m.path, pids)
	}
	var errs []error
	for _, d := range m.dirs {
		if err := removeTree(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
