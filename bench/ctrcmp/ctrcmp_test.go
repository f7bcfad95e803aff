package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestPercentile(t *testing.T) {
	xs := []float64{}
	for i := 100; i >= 1; i-- {
		xs = append(xs, float64(i))
	}
	for _, tt := range []struct {
		in   []float64
		p    float64
		want float64
	}{
		{xs, 95, 95},
		{xs, 50, 50},
		{xs, 100, 100},
		{xs, 1, 1},
		{[]float64{7}, 95, 7},
		{[]float64{3, 1, 2}, 95, 3},
		{[]float64{3, 1, 2}, 0, 1},
	} {
		if got := percentile(tt.in, tt.p); got != tt.want {
			t.Errorf("percentile(%d values, %v) = %v, want %v", len(tt.in), tt.p, got, tt.want)
		}
	}
	if !math.IsNaN(percentile(nil, 95)) {
		t.Error("percentile of nothing should be NaN")
	}
	if xs[0] != 100 {
		t.Error("percentile sorted its input in place")
	}
}

func TestParseList(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"strata,runc,crun", []string{"strata", "runc", "crun"}, ""},
		{" crun , strata ,", []string{"crun", "strata"}, ""},
		{"strata,docker", nil, `unknown "docker"`},
		{"runc,runc", nil, "listed twice"},
		{",", nil, "empty"},
	} {
		got, err := parseList("runtimes", tt.in, "strata", "runc", "crun")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "-runtimes") {
				t.Errorf("parseList(%q) error %v, want one naming -runtimes and %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("parseList(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseExtra(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseExtra(" patched="+exe+" ,", []string{"strata", "crun"})
	if err != nil || len(got) != 1 || got[0].Name != "patched" || got[0].Path != exe {
		t.Errorf("parseExtra = %+v, %v", got, err)
	}
	if got, err := parseExtra("", nil); err != nil || len(got) != 0 {
		t.Errorf("empty -extra: %+v, %v", got, err)
	}
	for _, bad := range []string{"patched", "=" + exe, "p=", "runc=" + exe, "a=" + exe + ",a=" + exe, "x=/nonexistent", "y=" + t.TempDir()} {
		if _, err := parseExtra(bad, []string{"strata"}); err == nil || !strings.Contains(err.Error(), "-extra") {
			t.Errorf("parseExtra(%q) error %v, want one naming -extra", bad, err)
		}
	}
}

func TestBenchSpec(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "runc-spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := benchSpec(raw)
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	if s.Process.Terminal || !slices.Equal(s.Process.Args, []string{"/bin/true"}) {
		t.Errorf("process: terminal %v args %v", s.Process.Terminal, s.Process.Args)
	}
	if s.Linux.CgroupsPath != fmt.Sprintf("/strata-ctrcmp/%d", os.Getpid()) {
		t.Errorf("cgroupsPath %q", s.Linux.CgroupsPath)
	}
	// Everything else is runc spec's.
	if len(s.Mounts) != 7 || len(s.Linux.Namespaces) != 5 || !s.Root.Readonly || len(s.Linux.MaskedPaths) == 0 {
		t.Errorf("runc spec's settings lost: %d mounts, %d namespaces, readonly %v", len(s.Mounts), len(s.Linux.Namespaces), s.Root.Readonly)
	}
	for _, bad := range []string{"", "{", `{"ociVersion":"1.0.2"}`, `{"process":{}}`} {
		if _, err := benchSpec([]byte(bad)); err == nil {
			t.Errorf("benchSpec(%q) accepted", bad)
		}
	}
}

const mountinfoHybrid = `25 1 0:23 / / rw,relatime - overlay overlay rw
30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate
32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,xattr,name=systemd
33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu,cpuacct
34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory
35 30 0:31 / /sys/fs/cgroup/my\040dir rw - cgroup cgroup rw,pids
`

func TestCgroupMountpoints(t *testing.T) {
	ms := cgroupMountpoints(mountinfoHybrid)
	var dirs []string
	for _, m := range ms {
		dirs = append(dirs, m.Dir)
	}
	want := []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/my dir"}
	if !slices.Equal(dirs, want) {
		t.Fatalf("mount points %q, want %q", dirs, want)
	}
	if !ms[0].V2 || ms[1].V2 || !slices.Equal(ms[2].Controllers, []string{"cpu", "cpuacct"}) {
		t.Errorf("parsed %+v", ms)
	}
	for _, tt := range []struct {
		ctl  string
		want bool
	}{
		{"memory", true}, {"cpuacct", true}, {"name=systemd", true}, {"pids", true},
		{"hugetlb", false}, {"rw", false}, {"xattr", true}, // super options are not told apart from controllers
	} {
		if got := hasV1Controller(ms, tt.ctl); got != tt.want {
			t.Errorf("hasV1Controller(%q) = %v, want %v", tt.ctl, got, tt.want)
		}
	}
	if len(cgroupMountpoints("garbage\n - \n1 2 3 - cgroup\n")) != 0 {
		t.Error("malformed lines parsed")
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	for in, want := range map[string]string{
		`/a\040b`:   "/a b",
		`/a\134b`:   `/a\b`,
		`/tab\011`:  "/tab\t",
		`/short\04`: `/short\04`,
		`/bad\999`:  `/bad\999`,
		`/plain`:    "/plain",
	} {
		if got := unescapeMountinfo(in); got != want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCgroupMountpoints(f *testing.F) {
	f.Add(mountinfoHybrid)
	f.Add("1 2 3:4 / /x\\040y rw - cgroup cgroup rw,\n")
	f.Add(" - cgroup2\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range cgroupMountpoints(s) {
			if m.V2 && len(m.Controllers) > 0 {
				t.Errorf("cgroup2 mount with v1 controllers: %+v", m)
			}
			for _, c := range m.Controllers {
				if c == "" || c == "rw" || c == "ro" || strings.Contains(c, ",") {
					t.Errorf("bad controller %q in %+v", c, m)
				}
			}
		}
	})
}

func TestSummarizeAndReport(t *testing.T) {
	msd := time.Millisecond
	var strata, crun []sample
	for i := 1; i <= 20; i++ {
		strata = append(strata, sample{Total: time.Duration(i) * msd, Phases: []time.Duration{msd, 2 * msd, 0, 3 * msd}, MaxRSS: 10240})
		crun = append(crun, sample{Total: time.Duration(2*i) * msd, Phases: []time.Duration{2 * msd, 2 * msd, msd, 4 * msd}, MaxRSS: 5120})
	}
	s := summarize("split", "strata", strata)
	if s.Median != 10.5 || s.P95 != 19 || s.RSSMax != 10240 || !slices.Equal(s.PhaseMedian, []float64{1, 2, 0, 3}) {
		t.Errorf("summarize = %+v", s)
	}
	if r := summarize("run", "strata", []sample{{Total: msd, MaxRSS: 1}}); r.PhaseMedian != nil {
		t.Errorf("run mode has phases: %+v", r)
	}
	rep := report{Rounds: 20, Modes: []string{"split"},
		Runtimes: []runtimeInfo{{Name: "strata"}, {Name: "crun"}},
		Rows:     []row{s, summarize("split", "crun", crun)}}
	md := rep.markdown()
	for _, want := range []string{
		"| strata | 10.5 | 19.0 | 1.0 | 2.0 | 0.0 | 3.0 | 10.0 / 10.0 |",
		"| crun | 21.0 | 38.0 |",
		"strata/crun median 0.50×, p95 0.50×, RSS 2.00×",
		"`X delete ID`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "strata/strata") {
		t.Errorf("report compares strata with itself:\n%s", md)
	}
	if ratio(1, 0) != "–" || ratio(math.NaN(), 1) != "–" {
		t.Error("ratio of a missing value")
	}
}

func TestReadPidFile(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		content string
		want    int
	}{
		{"1234", 1234}, {"1234\n", 1234}, {"", 0}, {"-1", 0}, {"12a", 0},
	} {
		p := filepath.Join(dir, "pid")
		os.WriteFile(p, []byte(tt.content), 0o644)
		got, err := readPidFile(p)
		if got != tt.want || (tt.want == 0) != (err != nil) {
			t.Errorf("readPidFile(%q) = %v, %v", tt.content, got, err)
		}
	}
	if _, err := readPidFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing pid file accepted")
	}
}

// TestBenchRounds runs the whole benchmark for two rounds against the real
// runtimes (root; runc, crun and busybox-static installed) and checks the
// report has a row for each runtime and mode and nothing is left behind.
func TestBenchRounds(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("ctrcmp needs root")
	}
	out := filepath.Join(t.TempDir(), "report.md")
	c := config{rounds: 2, modes: "run,split", runtimes: "strata,runc,crun", out: out, timeout: 30 * time.Second}
	if err := run(c); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	md := string(data)
	for _, want := range []string{"| strata |", "| runc |", "| crun |", "strata/runc median", "strata/crun median", "**run**", "**split**", "2 rounds"} {
		if c := strings.Count(md, want); c == 0 {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Count(md, "| strata |") != 2 {
		t.Errorf("want a strata row per mode:\n%s", md)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, m := range cgroupMountpoints(string(mi)) {
		if _, err := os.Stat(filepath.Join(m.Dir, benchCgroup())); err == nil {
			t.Errorf("cgroup %s left in %s", benchCgroup(), m.Dir)
		}
	}
}

// TestCommandFailure: a runtime that fails (or is not there) gives an
// error naming the command line and its output, not a panic.
func TestCommandFailure(t *testing.T) {
	dir := t.TempDir()
	b := &bench{c: config{timeout: 5 * time.Second}, work: dir, bundle: dir}
	failing := filepath.Join(dir, "failing")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\necho no such container >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := b.command(rt{"failing", failing}, "delete", "x")
	if err == nil || !strings.Contains(err.Error(), "no such container") || !strings.Contains(err.Error(), "delete x") {
		t.Errorf("failing runtime: %v", err)
	}
	if _, err := b.command(rt{"missing", filepath.Join(dir, "missing")}, "state", "x"); err == nil {
		t.Error("missing runtime binary: no error")
	}
	res, err := b.command(rt{"true", "/bin/true"}, "state", "x")
	if err != nil || res.MaxRSS <= 0 || res.Wall <= 0 {
		t.Errorf("/bin/true: %+v, %v", res, err)
	}
}
