package cgroup

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fileValue is one control file and the value to write to it.
type fileValue struct {
	file, value string
}

// v2Settings is the cgroup v2 form of an OCI LinuxResources: what the
// containerd library writes (res), plus what it cannot express and this
// package writes itself afterwards.
type v2Settings struct {
	res *cgroup2.Resources
	// files are written after res, in order ("max" values, cpu.idle,
	// cpu.max.burst, the OCI unified map).
	files []fileValue
	// blkioWeight is the OCI blkio weight (10..1000); it goes to
	// io.bfq.weight as is, or converted to io.weight, whichever the host
	// has.
	blkioWeight *uint16
	// weightDevices go to io.bfq.weight as "major:minor weight".
	weightDevices []specs.LinuxWeightDevice
}

// CPUSharesToWeight converts cgroup v1 cpu.shares [2, 262144] to a cgroup
// v2 cpu.weight [1, 10000] with the formula runc (opencontainers/cgroups
// ≥ 0.0.5, runc ≥ 1.3) and the containerd library use: a quadratic in
// log2(shares) that maps the v1 default 1024 onto the v2 default 100 and
// the ends of the ranges onto each other. (runc ≤ 1.2 and crun use the
// linear 1 + (shares-2)*9999/262142, which maps 1024 to 39.) 0 means unset.
func CPUSharesToWeight(shares uint64) uint64 {
	return cgroup2.ConvertCPUSharesToCgroupV2Value(shares)
}

// BlkioWeightToIOWeight converts a cgroup v1 blkio weight [10, 1000] to a
// cgroup v2 io.weight [1, 10000] (runc's ConvertBlkIOToIOWeightValue).
// 0 means unset.
func BlkioWeightToIOWeight(w uint16) uint64 {
	if w == 0 {
		return 0
	}
	return 1 + (uint64(w)-10)*9999/990
}

// MemorySwapToV2 converts the OCI memory.swap (a limit on memory+swap, as
// v1's memory.memsw.limit_in_bytes) to cgroup v2's memory.swap.max (swap
// alone), given the memory limit, as runc does. -1 means "max"; 0 with
// swap == 0 means unset.
func MemorySwapToV2(swap, limit int64) (int64, error) {
	switch {
	case limit == -1 && swap == 0:
		// Unlimited memory and unset swap: unlimited swap too.
		return -1, nil
	case swap == -1 || swap == 0:
		return swap, nil
	case limit == 0 || limit == -1:
		return 0, fmt.Errorf("%w: memory.swap %d needs a memory.limit", ErrInvalid, swap)
	case limit < 0 || swap < 0:
		return 0, fmt.Errorf("%w: memory.swap %d / memory.limit %d", ErrInvalid, swap, limit)
	case swap < limit:
		return 0, fmt.Errorf("%w: memory.swap (memory+swap) %d is below memory.limit %d", ErrInvalid, swap, limit)
	}
	return swap - limit, nil
}

// maxOr formats a limit where -1 means "max".
func maxOr(v int64) string {
	if v == -1 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// toV2 converts OCI resources to cgroup v2 settings, rejecting what v2
// cannot do with an error naming the field.
func toV2(r *specs.LinuxResources) (*v2Settings, error) {
	s := &v2Settings{res: &cgroup2.Resources{}}
	if r == nil {
		return s, nil
	}
	if m := r.Memory; m != nil {
		mem := &cgroup2.Memory{}
		set := false
		var limit int64
		if m.Limit != nil {
			limit = *m.Limit
			switch {
			case limit > 0:
				mem.Max, set = &limit, true
			case limit == -1:
				s.files = append(s.files, fileValue{"memory.max", "max"})
			case limit < -1:
				return nil, fmt.Errorf("%w: linux.resources.memory.limit %d", ErrInvalid, limit)
			}
		}
		if m.Swap != nil {
			sw, err := MemorySwapToV2(*m.Swap, limit)
			if err != nil {
				return nil, fmt.Errorf("linux.resources.memory.swap: %w", err)
			}
			switch {
			case sw == -1:
				s.files = append(s.files, fileValue{"memory.swap.max", "max"})
			case sw > 0 || *m.Swap > 0: // swap == limit: no swap at all
				mem.Swap, set = &sw, true
			}
		}
		if m.Reservation != nil {
			switch v := *m.Reservation; {
			case v > 0:
				mem.Low, set = &v, true
			case v == -1:
				s.files = append(s.files, fileValue{"memory.low", "max"})
			case v < -1:
				return nil, fmt.Errorf("%w: linux.resources.memory.reservation %d", ErrInvalid, v)
			}
		}
		if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
			return nil, fmt.Errorf("%w: linux.resources.memory.disableOOMKiller (cgroup v2 has no such knob)", ErrUnsupported)
		}
		// Swappiness has no v2 equivalent and Kernel/KernelTCP are
		// deprecated: ignored, as runc does.
		if set || len(s.files) > 0 {
			s.res.Memory = mem
		}
	}
	if c := r.CPU; c != nil {
		cpu := &cgroup2.CPU{Cpus: c.Cpus, Mems: c.Mems}
		if c.Shares != nil && *c.Shares > 0 {
			w := CPUSharesToWeight(*c.Shares)
			cpu.Weight = &w
		}
		quotaSet := c.Quota != nil && *c.Quota != 0
		periodSet := c.Period != nil && *c.Period != 0
		if quotaSet || periodSet {
			quota := "max"
			if quotaSet && *c.Quota > 0 {
				quota = strconv.FormatInt(*c.Quota, 10)
			} else if quotaSet && *c.Quota < -1 {
				return nil, fmt.Errorf("%w: linux.resources.cpu.quota %d", ErrInvalid, *c.Quota)
			}
			period := uint64(100000)
			if periodSet {
				period = *c.Period
			}
			cpu.Max = cgroup2.CPUMax(quota + " " + strconv.FormatUint(period, 10))
		}
		if c.Burst != nil {
			s.files = append(s.files, fileValue{"cpu.max.burst", strconv.FormatUint(*c.Burst, 10)})
		}
		if c.Idle != nil {
			s.files = append(s.files, fileValue{"cpu.idle", strconv.FormatInt(*c.Idle, 10)})
		}
		if (c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0) || (c.RealtimePeriod != nil && *c.RealtimePeriod != 0) {
			return nil, fmt.Errorf("%w: linux.resources.cpu.realtimeRuntime/realtimePeriod (cgroup v2 has no RT bandwidth control)", ErrUnsupported)
		}
		s.res.CPU = cpu
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		switch v := *p.Limit; {
		case v > 0:
			s.res.Pids = &cgroup2.Pids{Max: v}
		case v < 0:
			s.res.Pids = &cgroup2.Pids{}
			s.files = append(s.files, fileValue{"pids.max", "max"})
		}
	}
	if b := r.BlockIO; b != nil {
		if b.Weight != nil && *b.Weight != 0 {
			if *b.Weight < 10 || *b.Weight > 1000 {
				return nil, fmt.Errorf("%w: linux.resources.blockIO.weight %d (want 10..1000)", ErrInvalid, *b.Weight)
			}
			w := *b.Weight
			s.blkioWeight = &w
		}
		if b.LeafWeight != nil && *b.LeafWeight != 0 {
			return nil, fmt.Errorf("%w: linux.resources.blockIO.leafWeight (cgroup v2 has none)", ErrUnsupported)
		}
		for _, wd := range b.WeightDevice {
			if wd.LeafWeight != nil && *wd.LeafWeight != 0 {
				return nil, fmt.Errorf("%w: linux.resources.blockIO.weightDevice[].leafWeight (cgroup v2 has none)", ErrUnsupported)
			}
			if wd.Weight != nil {
				s.weightDevices = append(s.weightDevices, wd)
			}
		}
		io := &cgroup2.IO{}
		for _, t := range []struct {
			typ  cgroup2.IOType
			devs []specs.LinuxThrottleDevice
		}{
			{cgroup2.ReadBPS, b.ThrottleReadBpsDevice},
			{cgroup2.WriteBPS, b.ThrottleWriteBpsDevice},
			{cgroup2.ReadIOPS, b.ThrottleReadIOPSDevice},
			{cgroup2.WriteIOPS, b.ThrottleWriteIOPSDevice},
		} {
			for _, d := range t.devs {
				io.Max = append(io.Max, cgroup2.Entry{Type: t.typ, Major: d.Major, Minor: d.Minor, Rate: d.Rate})
			}
		}
		s.res.IO = io
	}
	for _, h := range r.HugepageLimits {
		if s.res.HugeTlb == nil {
			s.res.HugeTlb = &cgroup2.HugeTlb{}
		}
		*s.res.HugeTlb = append(*s.res.HugeTlb, cgroup2.HugeTlbEntry{HugePageSize: h.Pagesize, Limit: h.Limit})
	}
	if n := r.Network; n != nil && (n.ClassID != nil || len(n.Priorities) > 0) {
		return nil, fmt.Errorf("%w: linux.resources.network (net_cls/net_prio do not exist in cgroup v2)", ErrUnsupported)
	}
	if len(r.Rdma) > 0 {
		rd := &cgroup2.RDMA{}
		for dev, v := range r.Rdma {
			if v.HcaHandles == nil || v.HcaObjects == nil {
				return nil, fmt.Errorf("%w: linux.resources.rdma[%q] needs hcaHandles and hcaObjects on cgroup v2", ErrInvalid, dev)
			}
			rd.Limit = append(rd.Limit, cgroup2.RDMAEntry{Device: dev, HcaHandles: *v.HcaHandles, HcaObjects: *v.HcaObjects})
		}
		s.res.RDMA = rd
	}
	// An empty type means "a" (all) and an absent major/minor means "*" in
	// the OCI spec; the library's eBPF generator wants them spelled out
	// ("a", -1).
	if err := checkDevices(r.Devices); err != nil {
		return nil, err
	}
	for _, d := range r.Devices {
		if d.Type == "" {
			d.Type = "a"
		}
		if d.Major == nil {
			d.Major = i64p(-1)
		}
		if d.Minor == nil {
			d.Minor = i64p(-1)
		}
		s.res.Devices = append(s.res.Devices, d)
	}
	for k, v := range r.Unified {
		if err := checkUnifiedKey(k); err != nil {
			return nil, err
		}
		s.files = append(s.files, fileValue{k, v})
	}
	return s, nil
}

// checkUnifiedKey accepts a key of the OCI unified map: a control file
// name such as "memory.high", never a path.
func checkUnifiedKey(k string) error {
	if k == "" || strings.ContainsAny(k, "/\x00") || k == "." || k == ".." || !strings.Contains(k, ".") {
		return fmt.Errorf("%w: linux.resources.unified key %q is not a cgroup control file name", ErrInvalid, k)
	}
	return nil
}

// v1Extras is what the cgroup v1 path writes itself after the containerd
// library (whose v1 controllers skip these).
func v1Extras(r *specs.LinuxResources) []struct{ controller, file, value string } {
	var out []struct{ controller, file, value string }
	if r == nil {
		return nil
	}
	if p := r.Pids; p != nil && p.Limit != nil && *p.Limit < 0 {
		// The library writes only positive limits; -1 lifts one.
		out = append(out, struct{ controller, file, value string }{"pids", "pids.max", "max"})
	}
	if c := r.CPU; c != nil {
		if c.Burst != nil {
			// v1 takes microseconds as v2's cpu.max.burst does.
			out = append(out, struct{ controller, file, value string }{"cpu", "cpu.cfs_burst_us", strconv.FormatUint(*c.Burst, 10)})
		}
		if c.Idle != nil {
			out = append(out, struct{ controller, file, value string }{"cpu", "cpu.idle", strconv.FormatInt(*c.Idle, 10)})
		}
	}
	return out
}

// forV1 returns a copy of r without what the v1 path ignores (kernel
// memory limits, deprecated and refused by current kernels) and checks
// values the library would write blindly.
func forV1(r *specs.LinuxResources) (*specs.LinuxResources, error) {
	if r == nil {
		return &specs.LinuxResources{}, nil
	}
	c := *r
	if m := r.Memory; m != nil {
		mm := *m
		mm.Kernel, mm.KernelTCP = nil, nil
		for name, v := range map[string]*int64{"limit": m.Limit, "swap": m.Swap, "reservation": m.Reservation} {
			if v != nil && *v < -1 {
				return nil, fmt.Errorf("%w: linux.resources.memory.%s %d", ErrInvalid, name, *v)
			}
		}
		if m.Limit != nil && m.Swap != nil && *m.Limit > 0 && *m.Swap > 0 && *m.Swap < *m.Limit {
			return nil, fmt.Errorf("%w: linux.resources.memory.swap (memory+swap) %d is below memory.limit %d", ErrInvalid, *m.Swap, *m.Limit)
		}
		c.Memory = &mm
	}
	if b := r.BlockIO; b != nil && b.Weight != nil && *b.Weight != 0 && (*b.Weight < 10 || *b.Weight > 1000) {
		return nil, fmt.Errorf("%w: linux.resources.blockIO.weight %d (want 10..1000)", ErrInvalid, *b.Weight)
	}
	if len(r.Unified) > 0 {
		return nil, fmt.Errorf("%w: linux.resources.unified needs cgroup v2", ErrUnsupported)
	}
	if err := checkDevices(r.Devices); err != nil {
		return nil, err
	}
	return &c, nil
}

func i64p(v int64) *int64 { return &v }

// checkDevices validates device cgroup rules: type a, b or c (or empty,
// meaning a) and access made of r, w and m.
func checkDevices(devs []specs.LinuxDeviceCgroup) error {
	for i, d := range devs {
		switch d.Type {
		case "", "a", "b", "c":
		default:
			return fmt.Errorf("%w: linux.resources.devices[%d].type %q (want a, b or c)", ErrInvalid, i, d.Type)
		}
		if strings.Trim(d.Access, "rwm") != "" {
			return fmt.Errorf("%w: linux.resources.devices[%d].access %q (want letters of rwm)", ErrInvalid, i, d.Access)
		}
		for _, n := range []*int64{d.Major, d.Minor} {
			if n != nil && (*n < -1 || *n > 1<<32-1) {
				return fmt.Errorf("%w: linux.resources.devices[%d]: device number %d", ErrInvalid, i, *n)
			}
		}
	}
	return nil
}
