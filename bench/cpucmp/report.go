package main

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strata/bench/internal/hostinfo"
	"strconv"
	"strings"
	"time"
)

// stats is strata's --stats line: "strata: instructions=N seconds=S mips=M".
type stats struct {
	Instructions uint64
	Seconds      float64
	MIPS         float64
}

// parseStats finds the last --stats line in strata's stderr.
func parseStats(stderr string) (stats, error) {
	var st stats
	found := false
	for _, line := range strings.Split(stderr, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "strata:") || !strings.Contains(line, "instructions=") {
			continue
		}
		var s stats
		var haveInsns bool
		for _, f := range strings.Fields(strings.TrimPrefix(line, "strata:")) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			var err error
			switch k {
			case "instructions":
				s.Instructions, err = strconv.ParseUint(v, 10, 64)
				haveInsns = err == nil
			case "seconds":
				s.Seconds, err = strconv.ParseFloat(v, 64)
			case "mips":
				s.MIPS, err = strconv.ParseFloat(v, 64)
			}
			if err != nil {
				return stats{}, fmt.Errorf("bad %s in stats line %q: %v", k, line, err)
			}
		}
		if !haveInsns {
			return stats{}, fmt.Errorf("no instruction count in stats line %q", line)
		}
		st, found = s, true
	}
	if !found {
		return stats{}, errors.New("no \"strata: instructions=...\" line on stderr (is --stats supported?)")
	}
	return st, nil
}

var checksumRE = regexp.MustCompile(`(?m)^checksum=(0x[0-9a-fA-F]+)\s*$`)

// parseChecksum returns the value of the single checksum=0x... line a
// benchmark prints, lower-cased.
func parseChecksum(stdout string) (string, error) {
	m := checksumRE.FindAllStringSubmatch(stdout, -1)
	switch len(m) {
	case 0:
		return "", errors.New("no checksum=0x... line in output")
	case 1:
		return strings.ToLower(m[0][1]), nil
	default:
		return "", fmt.Errorf("%d checksum lines in output", len(m))
	}
}

var instretRE = regexp.MustCompile(`(?m)^instret=(\d+)\s*$`)

// parseInstret returns the instret=N line of a -DBENCH_INSTRET build.
func parseInstret(stdout string) (uint64, error) {
	m := instretRE.FindStringSubmatch(stdout)
	if m == nil {
		return 0, errors.New("no instret=N line in output")
	}
	return strconv.ParseUint(m[1], 10, 64)
}

// row is one workload's result. Zero/NaN fields are shown as "–".
type row struct {
	Name    string
	Insns   uint64  // guest instructions (0 = unknown)
	StrataS float64 // median wall seconds (0 = not run)
	QEMUS   float64 // median wall seconds (0 = not run)
}

func (r row) strataMIPS() float64 { return mips(r.Insns, r.StrataS) }
func (r row) qemuMIPS() float64   { return mips(r.Insns, r.QEMUS) }

// ratio is strata's speed relative to QEMU's (>1: strata is faster).
func (r row) ratio() float64 {
	if r.StrataS <= 0 || r.QEMUS <= 0 {
		return math.NaN()
	}
	return r.QEMUS / r.StrataS
}

func mips(insns uint64, secs float64) float64 {
	if insns == 0 || secs <= 0 {
		return math.NaN()
	}
	return float64(insns) / secs / 1e6
}

const dash = "–"

// fmtInsns prints an instruction count in millions, e.g. 405.11M.
func fmtInsns(n uint64) string {
	if n == 0 {
		return dash
	}
	return fmt.Sprintf("%.2fM", float64(n)/1e6)
}

func fmtSecs(s float64) string {
	if !(s > 0) {
		return dash
	}
	return fmt.Sprintf("%.3f", s)
}

func fmtMIPS(m float64) string {
	if math.IsNaN(m) || m <= 0 {
		return dash
	}
	if m >= 100 {
		return fmt.Sprintf("%.0f", m)
	}
	return fmt.Sprintf("%.1f", m)
}

func fmtRatio(r float64) string {
	if math.IsNaN(r) || r <= 0 {
		return dash
	}
	return fmt.Sprintf("%.3f×", r)
}

// formatTable renders the results as a GitHub-flavoured markdown table, with
// a geometric-mean row when more than one workload has both timings.
func formatTable(rows []row) string {
	var b strings.Builder
	b.WriteString("| workload | guest insns | strata s | strata MIPS | QEMU s | QEMU MIPS | strata/QEMU speed |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|\n")
	var ratios, sm, qm []float64
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n",
			r.Name, fmtInsns(r.Insns), fmtSecs(r.StrataS), fmtMIPS(r.strataMIPS()),
			fmtSecs(r.QEMUS), fmtMIPS(r.qemuMIPS()), fmtRatio(r.ratio()))
		if x := r.ratio(); !math.IsNaN(x) {
			ratios = append(ratios, x)
		}
		if x := r.strataMIPS(); !math.IsNaN(x) {
			sm = append(sm, x)
		}
		if x := r.qemuMIPS(); !math.IsNaN(x) {
			qm = append(qm, x)
		}
	}
	if len(rows) > 1 && (len(ratios) > 1 || len(sm) > 1 || len(qm) > 1) {
		fmt.Fprintf(&b, "| **geomean** | | | %s | | %s | %s |\n",
			fmtMIPS(hostinfo.Geomean(sm)), fmtMIPS(hostinfo.Geomean(qm)), fmtRatio(hostinfo.Geomean(ratios)))
	}
	return b.String()
}

// meta describes the machine and tools a table was measured with.
type meta struct {
	Date     time.Time
	CPU      string
	CPUs     int
	QEMU     string
	Strata   string // binary and commit
	Runs     int
	Scale    int
	Overhead string // startup overhead note, may be empty
	Load     string // host load average note, may be empty
	Notes    []string
}

func formatReport(m meta, rows []row) string {
	var b strings.Builder
	b.WriteString("## strata vs QEMU TCG: bare-metal RV64GC CPU benchmarks\n\n")
	fmt.Fprintf(&b, "- date: %s\n", m.Date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- host CPU: %s (%d logical CPUs)", m.CPU, m.CPUs)
	if m.Load != "" {
		fmt.Fprintf(&b, "; 1-min load average %s", m.Load)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "- QEMU: %s\n", m.QEMU)
	if m.Strata != "" {
		fmt.Fprintf(&b, "- strata: %s\n", m.Strata)
	}
	fmt.Fprintf(&b, "- runs: %d each, interleaved; times are median wall-clock seconds per run (process start to exit)", m.Runs)
	if m.Scale != 1 {
		fmt.Fprintf(&b, "; -scale %d", m.Scale)
	}
	b.WriteString("\n")
	if m.Overhead != "" {
		fmt.Fprintf(&b, "- %s\n", m.Overhead)
	}
	b.WriteString("\n")
	b.WriteString(formatTable(rows))
	for _, n := range m.Notes {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	return b.String()
}
