package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// benchLine is one "strata-bench NAME key=value …" console line.
type benchLine struct {
	Name   string
	Fields map[string]string
}

const benchPrefix = "strata-bench "

// parseBenchLine parses a result line; ok is false for other lines,
// including the "strata-bench NAME start" markers.
func parseBenchLine(line string) (b benchLine, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(line), benchPrefix)
	if !found {
		return benchLine{}, false
	}
	f := strings.Fields(rest)
	if len(f) < 2 || f[1] == "start" {
		return benchLine{}, false
	}
	b = benchLine{Name: f[0], Fields: map[string]string{}}
	for _, kv := range f[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return benchLine{}, false
		}
		b.Fields[k] = v
	}
	return b, true
}

// float returns a numeric field.
func (b benchLine) float(key string) (float64, error) {
	v, ok := b.Fields[key]
	if !ok {
		return 0, fmt.Errorf("strata-bench %s: no %s=", b.Name, key)
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("strata-bench %s: bad %s=%q", b.Name, key, v)
	}
	return x, nil
}

// consoleLine is one line of guest console output with the time it reached
// the host, measured from process start.
type consoleLine struct {
	At   time.Duration
	Text string
}

// console is what one run printed, digested.
type console struct {
	Banner  time.Duration        // first userspace line; 0 if absent
	Results map[string]benchLine // by name
	// Wall is the host wall time between "strata-bench NAME start" and the
	// NAME result line (a cross-check of the guest's clock).
	Wall   map[string]time.Duration
	Done   bool // "script done, 0 failed" seen
	Failed string
}

// parseConsole digests the timed lines of one run.
func parseConsole(lines []consoleLine, banner, scriptDone string) console {
	c := console{Results: map[string]benchLine{}, Wall: map[string]time.Duration{}}
	starts := map[string]time.Duration{}
	for _, l := range lines {
		text := strings.TrimRight(l.Text, "\r")
		switch {
		case c.Banner == 0 && strings.Contains(text, banner):
			c.Banner = l.At
		case strings.HasPrefix(text, scriptDone):
			rest := strings.TrimPrefix(text, scriptDone)
			if strings.TrimSpace(rest) == ", 0 failed" {
				c.Done = true
			} else {
				c.Failed = strings.TrimSpace(strings.TrimPrefix(rest, ","))
			}
		case strings.HasPrefix(text, benchPrefix):
			f := strings.Fields(text)
			if len(f) == 3 && f[2] == "start" {
				starts[f[1]] = l.At
				continue
			}
			if b, ok := parseBenchLine(text); ok {
				c.Results[b.Name] = b
				if s, ok := starts[b.Name]; ok {
					c.Wall[b.Name] = l.At - s
				}
			}
		}
	}
	return c
}

// procCPU returns utime+stime, in clock ticks, from the contents of
// /proc/PID/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted after its last ')'.
func procCPU(stat string) (uint64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc/PID/stat: no ')'")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc/PID/stat: %d fields after the name", len(f))
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed utime/stime %q %q", f[11], f[12])
	}
	return u + s, nil
}

// parseSchedstat returns the first field of /proc/PID/task/TID/schedstat:
// nanoseconds spent on a CPU.
func parseSchedstat(s string) (uint64, error) {
	f := strings.Fields(s)
	if len(f) < 1 {
		return 0, errors.New("empty schedstat")
	}
	n, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed schedstat %q", s)
	}
	return n, nil
}

// cpuPercent is the % of one core used by ticks (at hz per second) of CPU
// time over wall.
func cpuPercent(ticks uint64, hz float64, wall time.Duration) float64 {
	if wall <= 0 {
		return math.NaN()
	}
	return float64(ticks) / hz / wall.Seconds() * 100
}

// metric is one table row: a quantity measured on every machine.
type metric struct {
	Key    string // internal name
	Label  string // row label
	Unit   string // unit shown in the label
	Higher bool   // true: higher is better (throughput)
	Prec   int    // decimals
}

// row is a metric's median per machine (NaN: not measured).
type row struct {
	Metric metric
	Vals   []float64 // in the order of the report's machines
}

func fmtVal(x float64, prec int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return dash
	}
	return strconv.FormatFloat(x, 'f', prec, 64)
}

const dash = "–"

func fmtRatio(a, b float64) string {
	r := a / b
	if math.IsNaN(r) || math.IsInf(r, 0) || !(b > 0) {
		return dash
	}
	if r >= 10 {
		return fmt.Sprintf("%.1f×", r)
	}
	return fmt.Sprintf("%.2f×", r)
}

// formatTable renders rows as a markdown table: one column per machine and,
// for each machine but the last (the reference, QEMU), the ratio of its
// value to the reference's.
func formatTable(machines []string, rows []row) string {
	var b strings.Builder
	ref := len(machines) - 1
	b.WriteString("| measurement |")
	for _, m := range machines {
		fmt.Fprintf(&b, " %s |", m)
	}
	for _, m := range machines[:ref] {
		fmt.Fprintf(&b, " %s / %s |", m, machines[ref])
	}
	b.WriteString("\n|---|")
	for range machines {
		b.WriteString("--:|")
	}
	for range machines[:ref] {
		b.WriteString("--:|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		dir := "lower is better"
		if r.Metric.Higher {
			dir = "higher is better"
		}
		fmt.Fprintf(&b, "| %s, %s (%s) |", r.Metric.Label, r.Metric.Unit, dir)
		for i := range machines {
			fmt.Fprintf(&b, " %s |", fmtVal(val(r, i), r.Metric.Prec))
		}
		for i := range machines[:ref] {
			fmt.Fprintf(&b, " %s |", fmtRatio(val(r, i), val(r, ref)))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func val(r row, i int) float64 {
	if i < len(r.Vals) {
		return r.Vals[i]
	}
	return math.NaN()
}

// meta describes the machine, tools and commands of a report.
type meta struct {
	Date      time.Time
	CPU       string
	CPUs      int
	LoadStart string
	LoadEnd   string
	QEMU      string
	Strata    string
	Guest     string
	Runs      int
	SMP       int
	Mem       string
	Commands  []string // "label: command"
	Notes     []string
}

func formatReport(m meta, machines []string, rows []row) string {
	var b strings.Builder
	b.WriteString("## strata vs QEMU TCG: the Linux guest\n\n")
	fmt.Fprintf(&b, "- date: %s\n", m.Date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- host CPU: %s (%d logical CPUs); 1-min load average %s at start, %s at end\n", m.CPU, m.CPUs, m.LoadStart, m.LoadEnd)
	fmt.Fprintf(&b, "- QEMU: %s\n", m.QEMU)
	if m.Strata != "" {
		fmt.Fprintf(&b, "- strata: %s\n", m.Strata)
	}
	if m.Guest != "" {
		fmt.Fprintf(&b, "- guest: %s\n", m.Guest)
	}
	fmt.Fprintf(&b, "- machine: %d hart(s), %s RAM; runs: %d each, interleaved; medians\n", m.SMP, m.Mem, m.Runs)
	b.WriteString("\n")
	b.WriteString(formatTable(machines, rows))
	for _, n := range m.Notes {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	if len(m.Commands) > 0 {
		b.WriteString("\nCommands (one run each; paths as on the measuring host):\n\n```sh\n")
		for _, c := range m.Commands {
			fmt.Fprintf(&b, "%s\n", c)
		}
		b.WriteString("```\n")
	}
	return b.String()
}

// shellQuote quotes a word for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=,:+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}
