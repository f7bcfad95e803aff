package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"strata/bench/internal/hostinfo"
)

// phaseNames are the split mode's phases, in order.
var phaseNames = []string{"create", "start", "wait", "delete"}

// row is one runtime in one mode, summarized.
type row struct {
	Mode, Runtime string
	N             int
	Median, P95   float64   // ms
	PhaseMedian   []float64 // ms, split mode only
	RSSMedian     float64   // KiB
	RSSMax        int64     // KiB
}

// runtimeInfo names a runtime in the report header.
type runtimeInfo struct{ Name, Version, Path string }

// report is everything the markdown report shows.
type report struct {
	Date, CPU, Kernel     string
	Cores                 int
	LoadBefore, LoadAfter string
	Commit                string
	Rounds                int
	Elapsed               time.Duration
	Modes                 []string
	Runtimes              []runtimeInfo
	Rows                  []row
}

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of xs;
// NaN if xs is empty.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// summarize turns one row's samples into medians and p95.
func summarize(mode, runtime string, ss []sample) row {
	r := row{Mode: mode, Runtime: runtime, N: len(ss)}
	var tot, rss []float64
	phases := make([][]float64, len(phaseNames))
	for _, s := range ss {
		tot = append(tot, ms(s.Total))
		rss = append(rss, float64(s.MaxRSS))
		r.RSSMax = max(r.RSSMax, s.MaxRSS)
		for i, p := range s.Phases {
			if i < len(phases) {
				phases[i] = append(phases[i], ms(p))
			}
		}
	}
	r.Median, r.P95 = hostinfo.Median(tot), percentile(tot, 95)
	r.RSSMedian = hostinfo.Median(rss)
	if len(phases[0]) > 0 {
		for _, p := range phases {
			r.PhaseMedian = append(r.PhaseMedian, hostinfo.Median(p))
		}
	}
	return r
}

// find returns the row of a runtime in a mode.
func (rep *report) find(mode, runtime string) (row, bool) {
	for _, r := range rep.Rows {
		if r.Mode == mode && r.Runtime == runtime {
			return r, true
		}
	}
	return row{}, false
}

// ratio formats a/b as "0.87×", or "–" when either is missing.
func ratio(a, b float64) string {
	if !(a > 0) || !(b > 0) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func mib(kib float64) string { return fmt.Sprintf("%.1f", kib/1024) }

// markdown renders the report.
func (rep *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Container lifecycle: strata-oci vs runc vs crun (`make bench-ctr`)\n\n")
	fmt.Fprintf(&b, "%s · %s (%d cores) · Linux %s · load %s before, %s after · strata %s · %d rounds (+1 warm-up), %s in all\n\n",
		rep.Date, rep.CPU, rep.Cores, rep.Kernel, rep.LoadBefore, rep.LoadAfter, rep.Commit, rep.Rounds, rep.Elapsed.Round(time.Second))
	for _, r := range rep.Runtimes {
		fmt.Fprintf(&b, "- %s: %s (`%s`)\n", r.Name, r.Version, r.Path)
	}
	b.WriteString("\nOne bundle for all: `runc spec`'s config.json with `terminal: false`, `args: [\"/bin/true\"]`, `cgroupsPath: /" + cgroupParent + "/<ctrcmp pid>`; rootfs = static busybox. Times are wall clock per lifecycle in ms; RSS is the runtime command's wait4 `ru_maxrss` (the process and the children it reaped), in MiB.\n\n")
	others := rep.Runtimes
	for _, mode := range rep.Modes {
		switch mode {
		case "run":
			b.WriteString("**run** — `X --root R run --bundle B ID` (create, start, wait, delete in one process):\n\n")
		case "split":
			b.WriteString("**split** — `X create --bundle B --pid-file F ID`; `X start ID`; wait4 on the container process (ctrcmp is its subreaper); `X delete ID`:\n\n")
		}
		b.WriteString("| runtime | median ms | p95 ms |")
		if mode == "split" {
			b.WriteString(" create | start | wait | delete |")
		}
		b.WriteString(" peak RSS MiB (median / max) |\n|---|---:|---:|")
		if mode == "split" {
			b.WriteString("---:|---:|---:|---:|")
		}
		b.WriteString("---:|\n")
		for _, ri := range others {
			r, ok := rep.find(mode, ri.Name)
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "| %s | %.1f | %.1f |", r.Runtime, r.Median, r.P95)
			if mode == "split" {
				for _, p := range r.PhaseMedian {
					fmt.Fprintf(&b, " %.1f |", p)
				}
			}
			fmt.Fprintf(&b, " %s / %s |\n", mib(r.RSSMedian), mib(float64(r.RSSMax)))
		}
		if s, ok := rep.find(mode, "strata"); ok {
			var parts []string
			for _, ri := range others {
				if ri.Name == "strata" {
					continue
				}
				if o, ok := rep.find(mode, ri.Name); ok {
					parts = append(parts, fmt.Sprintf("strata/%s median %s, p95 %s, RSS %s",
						ri.Name, ratio(s.Median, o.Median), ratio(s.P95, o.P95), ratio(s.RSSMedian, o.RSSMedian)))
				}
			}
			if len(parts) > 0 {
				fmt.Fprintf(&b, "\n%s.\n", strings.Join(parts, "; "))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
