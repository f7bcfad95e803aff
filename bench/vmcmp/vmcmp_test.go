package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseBenchLine(t *testing.T) {
	b, ok := parseBenchLine("strata-bench sha256 bytes=16777216 ms=882.087 mbps=19.02 gen_ms=363.9 sum=fffb\r")
	if !ok || b.Name != "sha256" || b.Fields["sum"] != "fffb" || b.Fields["bytes"] != "16777216" {
		t.Fatalf("got %+v, %v", b, ok)
	}
	if x, err := b.float("mbps"); err != nil || x != 19.02 {
		t.Errorf("mbps = %v, %v", x, err)
	}
	if _, err := b.float("nope"); err == nil {
		t.Error("missing field accepted")
	}
	b.Fields["ms"] = "x"
	if _, err := b.float("ms"); err == nil {
		t.Error("bad number accepted")
	}
	for _, s := range []string{"strata-bench int start", "strata-bench int", "# strata-bench int ms=1", "strata-bench int ms", "hello"} {
		if _, ok := parseBenchLine(s); ok {
			t.Errorf("parseBenchLine(%q) accepted", s)
		}
	}
}

func TestParseConsole(t *testing.T) {
	ms := time.Millisecond
	lines := []consoleLine{
		{10 * ms, "[    0.000000] Linux version 6.1"},
		{900 * ms, "strata guest: userspace up\r"},
		{950 * ms, "# bench-int 1000"},
		{1000 * ms, "strata-bench int start"},
		{1500 * ms, "strata-bench int n=1000 ms=490.000 mops=2.04 sum=00000000000000ab"},
		{1600 * ms, "strata-bench blk bytes=1048576 ms=10.000 mbps=104.86 direct=1"},
		{1700 * ms, "strata-bench blk-check sum=abcd"},
		{1800 * ms, "strata guest: userspace up"}, // only the first counts
		{1900 * ms, "strata guest: script done, 0 failed"},
	}
	c := parseConsole(lines, "strata guest: userspace up", "strata guest: script done")
	if c.Banner != 900*ms || !c.Done {
		t.Errorf("banner %v done %v", c.Banner, c.Done)
	}
	if c.Results["int"].Fields["sum"] != "00000000000000ab" || c.Results["blk-check"].Fields["sum"] != "abcd" {
		t.Errorf("results %+v", c.Results)
	}
	if c.Wall["int"] != 500*ms {
		t.Errorf("int wall %v", c.Wall["int"])
	}
	if _, ok := c.Wall["blk"]; ok {
		t.Error("wall time without a start line")
	}
	c = parseConsole([]consoleLine{{ms, "strata guest: script done, 2 failed"}}, "x", "strata guest: script done")
	if c.Done || c.Failed != "2 failed" || c.Banner != 0 {
		t.Errorf("failed script: %+v", c)
	}
}

func TestProcCPU(t *testing.T) {
	stat := "4242 (qemu (x) y) S 1 2 3 0 -1 4194304 99 0 0 0 150 25 0 0 20 0 3 0 503458 3133440 413 18446744073709551615"
	if n, err := procCPU(stat); err != nil || n != 175 {
		t.Errorf("procCPU = %d, %v; want 175", n, err)
	}
	for _, bad := range []string{"", "4242 cat R 1", "1 (a) R 1 2 3", "1 (a) R 1 2 3 0 -1 4 9 0 0 0 x 25"} {
		if _, err := procCPU(bad); err == nil {
			t.Errorf("procCPU(%q) accepted", bad)
		}
	}
	if n, err := parseSchedstat("214397070 178555 7\n"); err != nil || n != 214397070 {
		t.Errorf("parseSchedstat = %d, %v", n, err)
	}
	if _, err := parseSchedstat(""); err == nil {
		t.Error("empty schedstat accepted")
	}
	if p := cpuPercent(50, 100, 5*time.Second); math.Abs(p-10) > 1e-9 {
		t.Errorf("cpuPercent = %v, want 10", p)
	}
	if !math.IsNaN(cpuPercent(1, 100, 0)) {
		t.Error("cpuPercent over zero wall time is not NaN")
	}
}

func TestFormatTable(t *testing.T) {
	rows := []row{
		{metric{"banner", "boot to banner", "s", false, 2}, []float64{1.8, 1.0}},
		{metric{"blk", "blk read", "MB/s", true, 1}, []float64{250, math.NaN()}},
		{metric{"idle", "idle", "%", false, 2}, []float64{0, 0}},
		{metric{"x", "big", "s", false, 0}, []float64{120, 10}},
	}
	got := formatTable([]string{"strata", "QEMU"}, rows)
	want := "| measurement | strata | QEMU | strata / QEMU |\n" +
		"|---|--:|--:|--:|\n" +
		"| boot to banner, s (lower is better) | 1.80 | 1.00 | 1.80× |\n" +
		"| blk read, MB/s (higher is better) | 250.0 | – | – |\n" +
		"| idle, % (lower is better) | 0.00 | 0.00 | – |\n" +
		"| big, s (lower is better) | 120 | 10 | 12.0× |\n"
	if got != want {
		t.Errorf("formatTable:\n%s\nwant:\n%s", got, want)
	}
}

func TestFormatReport(t *testing.T) {
	m := meta{Date: time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC), CPU: "AMD EPYC", CPUs: 2,
		LoadStart: "0.50", LoadEnd: "1.20", QEMU: "QEMU emulator version 7.2.22", Strata: "bin/strata @ abc",
		Runs: 3, SMP: 1, Mem: "512M", Commands: []string{"# a", "strata vm run"}, Notes: []string{"a note"}}
	r := formatReport(m, []string{"strata", "QEMU"}, []row{{metric{"b", "boot", "s", false, 2}, []float64{1, 2}}})
	for _, want := range []string{
		"- date: 2026-11-25 15:00 UTC\n",
		"- host CPU: AMD EPYC (2 logical CPUs); 1-min load average 0.50 at start, 1.20 at end\n",
		"- QEMU: QEMU emulator version 7.2.22\n",
		"- machine: 1 hart(s), 512M RAM; runs: 3 each, interleaved; medians\n",
		"| boot, s (lower is better) | 1.00 | 2.00 | 0.50× |\n",
		"\na note\n",
		"```sh\n# a\nstrata vm run\n```\n",
	} {
		if !strings.Contains(r, want) {
			t.Errorf("report lacks %q:\n%s", want, r)
		}
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"/bin/strata", "--append", "console=ttyS0 strata.script=echo%20a;b", "it's", ""})
	want := `/bin/strata --append 'console=ttyS0 strata.script=echo%20a;b' 'it'\''s' ''`
	if got != want {
		t.Errorf("shellJoin = %s\nwant %s", got, want)
	}
}

func TestHumanCount(t *testing.T) {
	for n, want := range map[int]string{50_000_000: "50M", 1_000_000: "1M", 200_000: "200k", 1234: "1234", 1500: "1500"} {
		if got := humanCount(n); got != want {
			t.Errorf("humanCount(%d) = %s, want %s", n, got, want)
		}
	}
}
