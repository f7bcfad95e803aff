package cgroup

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func boolp(v bool) *bool   { return &v }

func TestCPUSharesToWeight(t *testing.T) {
	for _, tc := range []struct{ shares, weight uint64 }{
		{0, 0},          // unset
		{1, 1},          // below the v1 minimum
		{2, 1},          // v1 minimum -> v2 minimum
		{1024, 100},     // v1 default -> v2 default
		{262144, 10000}, // v1 maximum -> v2 maximum
		{1 << 20, 10000},
		{512, 59},
		{2048, 174},
	} {
		if got := CPUSharesToWeight(tc.shares); got != tc.weight {
			t.Errorf("CPUSharesToWeight(%d) = %d, want %d", tc.shares, got, tc.weight)
		}
	}
}

func TestBlkioWeightToIOWeight(t *testing.T) {
	for _, tc := range []struct {
		w    uint16
		want uint64
	}{{0, 0}, {10, 1}, {500, 4950}, {1000, 10000}} {
		if got := BlkioWeightToIOWeight(tc.w); got != tc.want {
			t.Errorf("BlkioWeightToIOWeight(%d) = %d, want %d", tc.w, got, tc.want)
		}
	}
}

func TestMemorySwapToV2(t *testing.T) {
	for _, tc := range []struct {
		swap, limit, want int64
		err               bool
	}{
		{0, 0, 0, false},
		{0, -1, -1, false},     // unlimited memory: unlimited swap
		{-1, 100, -1, false},   // unlimited memory+swap
		{200, 100, 100, false}, // 100 of swap
		{100, 100, 0, false},   // no swap
		{50, 100, 0, true},     // memory+swap below memory
		{100, 0, 0, true},      // swap without a memory limit
		{100, -1, 0, true},
		{-5, 100, 0, true},
	} {
		got, err := MemorySwapToV2(tc.swap, tc.limit)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("MemorySwapToV2(%d, %d) = %d, %v; want %d, err %v", tc.swap, tc.limit, got, err, tc.want, tc.err)
		}
	}
}

// TestToV2 checks the cgroup v2 translation of OCI resources: the files the
// library would write (through Resources.Values) plus the extra ones.
func TestToV2(t *testing.T) {
	tests := []struct {
		name    string
		r       *specs.LinuxResources
		lib     map[string]string // control file -> value from the library's Values
		extra   []fileValue
		ctls    []string
		err     error
		weight  *uint16
		devices int
	}{
		{name: "nil", r: nil, lib: map[string]string{}},
		{name: "empty", r: &specs.LinuxResources{}, lib: map[string]string{}},
		{
			name: "memory limit and swap",
			r:    &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(64 << 20), Swap: i64(96 << 20), Reservation: i64(32 << 20)}},
			lib:  map[string]string{"memory.max": "67108864", "memory.swap.max": "33554432", "memory.low": "33554432"},
			ctls: []string{"memory"},
		},
		{
			name: "memory swap equal to limit disables swap",
			r:    &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(64 << 20), Swap: i64(64 << 20)}},
			lib:  map[string]string{"memory.max": "67108864", "memory.swap.max": "0"},
			ctls: []string{"memory"},
		},
		{
			name:  "memory unlimited",
			r:     &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1), Swap: i64(-1)}},
			lib:   map[string]string{},
			extra: []fileValue{{"memory.max", "max"}, {"memory.swap.max", "max"}},
			ctls:  []string{"memory"},
		},
		{
			name: "memory swap below limit",
			r:    &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(64 << 20), Swap: i64(32 << 20)}},
			err:  ErrInvalid,
		},
		{
			name: "disable OOM killer",
			r:    &specs.LinuxResources{Memory: &specs.LinuxMemory{DisableOOMKiller: boolp(true)}},
			err:  ErrUnsupported,
		},
		{
			name: "cpu shares quota period cpuset",
			r:    &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1024), Quota: i64(20000), Period: u64(100000), Cpus: "0", Mems: "0"}},
			lib:  map[string]string{"cpu.weight": "100", "cpu.max": "20000 100000", "cpuset.cpus": "0", "cpuset.mems": "0"},
			ctls: []string{"cpu", "cpuset"},
		},
		{
			name: "cpu quota only uses the default period",
			r:    &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000)}},
			lib:  map[string]string{"cpu.max": "50000 100000"},
			ctls: []string{"cpu"},
		},
		{
			name: "cpu unlimited quota",
			r:    &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1), Period: u64(50000)}},
			lib:  map[string]string{"cpu.max": "max 50000"},
			ctls: []string{"cpu"},
		},
		{
			name:  "cpu burst and idle",
			r:     &specs.LinuxResources{CPU: &specs.LinuxCPU{Burst: u64(1000), Idle: i64(1)}},
			lib:   map[string]string{},
			extra: []fileValue{{"cpu.max.burst", "1000"}, {"cpu.idle", "1"}},
			ctls:  []string{"cpu"},
		},
		{
			name: "cpu realtime",
			r:    &specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: i64(1000)}},
			err:  ErrUnsupported,
		},
		{
			name: "pids",
			r:    &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(10)}},
			lib:  map[string]string{"pids.max": "10"},
			ctls: []string{"pids"},
		},
		{
			name:  "pids unlimited",
			r:     &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}},
			lib:   map[string]string{},
			extra: []fileValue{{"pids.max", "max"}},
			ctls:  []string{"pids"},
		},
		{
			name: "blkio throttle and weight",
			r: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
				Weight:                u16(500),
				ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1 << 20}},
			}},
			lib:    map[string]string{"io.max": "8:0 rbps=1048576"},
			ctls:   []string{"io"},
			weight: u16(500),
		},
		{
			name: "blkio weight out of range",
			r:    &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(5)}},
			err:  ErrInvalid,
		},
		{
			name: "blkio leaf weight",
			r:    &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: u16(500)}},
			err:  ErrUnsupported,
		},
		{
			name: "network",
			r:    &specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: func() *uint32 { v := uint32(1); return &v }()}},
			err:  ErrUnsupported,
		},
		{
			name:    "devices go to the eBPF program",
			r:       &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"}}},
			lib:     map[string]string{},
			devices: 2,
		},
		{
			name: "device type",
			r:    &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "x", Access: "rwm"}}},
			err:  ErrInvalid,
		},
		{
			name: "device access",
			r:    &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "c", Access: "rwx"}}},
			err:  ErrInvalid,
		},
		{
			name:  "unified",
			r:     &specs.LinuxResources{Unified: map[string]string{"memory.high": "1000000"}},
			lib:   map[string]string{},
			extra: []fileValue{{"memory.high", "1000000"}},
		},
		{
			name: "unified path escape",
			r:    &specs.LinuxResources{Unified: map[string]string{"../memory.max": "1"}},
			err:  ErrInvalid,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := toV2(tc.r)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("toV2 error = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("toV2: %v", err)
			}
			got := map[string]string{}
			for _, v := range s.res.Values() {
				f, val := valueParts(v)
				got[f] = val
			}
			for k, v := range tc.lib {
				if got[k] != v {
					t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
			if len(got) != len(tc.lib) {
				t.Errorf("library writes %v, want %v", got, tc.lib)
			}
			if !slices.Equal(s.files, tc.extra) {
				t.Errorf("extra files %v, want %v", s.files, tc.extra)
			}
			if c := s.res.EnabledControllers(); !slices.Equal(c, tc.ctls) {
				t.Errorf("controllers %v, want %v", c, tc.ctls)
			}
			if (s.blkioWeight == nil) != (tc.weight == nil) || (s.blkioWeight != nil && *s.blkioWeight != *tc.weight) {
				t.Errorf("blkio weight %v, want %v", s.blkioWeight, tc.weight)
			}
			if len(s.res.Devices) != tc.devices {
				t.Errorf("%d device rules, want %d", len(s.res.Devices), tc.devices)
			}
			for _, d := range s.res.Devices {
				if d.Type == "" || d.Major == nil || d.Minor == nil {
					t.Errorf("device rule %+v without a type, major or minor (want a, -1, -1)", d)
				}
			}
		})
	}
}

// TestForV1 checks the v1 preparation: validation, and dropping the
// deprecated kernel memory limits.
func TestForV1(t *testing.T) {
	tests := []struct {
		name string
		r    *specs.LinuxResources
		err  error
	}{
		{"nil", nil, nil},
		{"kernel memory dropped", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 20), Kernel: i64(1 << 20), KernelTCP: i64(1 << 20)}}, nil},
		{"swap below limit", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(2 << 20), Swap: i64(1 << 20)}}, ErrInvalid},
		{"negative limit", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-2)}}, ErrInvalid},
		{"unlimited", &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1), Swap: i64(-1)}}, nil},
		{"blkio weight range", &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(2000)}}, ErrInvalid},
		{"unified needs v2", &specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}, ErrUnsupported},
		{"device type", &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "q", Access: "r"}}}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := forV1(tc.r)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("forV1 error = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if got.Memory != nil && (got.Memory.Kernel != nil || got.Memory.KernelTCP != nil) {
				t.Errorf("kernel memory limits kept: %+v", got.Memory)
			}
			if tc.r != nil && tc.r.Memory != nil && tc.r.Memory.Kernel != nil && got.Memory.Limit != tc.r.Memory.Limit {
				t.Errorf("memory limit lost")
			}
		})
	}
	extras := v1Extras(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}, CPU: &specs.LinuxCPU{Burst: u64(5), Idle: i64(1)}})
	want := []string{"pids.max=max", "cpu.cfs_burst_us=5", "cpu.idle=1"}
	var got []string
	for _, e := range extras {
		got = append(got, e.file+"="+e.value)
	}
	if !slices.Equal(got, want) {
		t.Errorf("v1Extras = %v, want %v", got, want)
	}
}

// TestCheckPath checks cgroupsPath validation and resolution.
func TestCheckPath(t *testing.T) {
	for _, p := range []string{"", "/", "../x", "/a/../../b"} {
		if err := checkPath(p); !errors.Is(err, ErrInvalid) {
			t.Errorf("checkPath(%q) = %v, want ErrInvalid", p, err)
		}
	}
	for _, tc := range []struct{ path, own, want string }{
		{"/strata/abc", "/user.slice", "/strata/abc"},
		{"strata/abc", "/user.slice", "/user.slice/strata/abc"},
		{"abc", "/", "/abc"},
	} {
		if err := checkPath(tc.path); err != nil {
			t.Errorf("checkPath(%q): %v", tc.path, err)
		}
		if got := resolve(tc.path, tc.own); got != tc.want {
			t.Errorf("resolve(%q, %q) = %q, want %q", tc.path, tc.own, got, tc.want)
		}
	}
}

// valueParts splits a library Value (whose fields are unexported) into
// its file name and value, through its fmt form "{file value}".
func valueParts(v cgroup2.Value) (string, string) {
	s := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%v", v), "{"), "}")
	file, value, _ := strings.Cut(s, " ")
	return file, value
}
