// Command cpucmp benchmarks strata's RISC-V interpreter against QEMU TCG
// (qemu-system-riscv64) on the bare-metal programs in bench/cpu.
//
// It builds each workload into an ELF, builds bin/strata, then runs strata
// and QEMU alternately on it, checks that both print the same checksum and
// exit 0, and prints a markdown table of median wall times, guest
// instruction counts (from strata's --stats line) and MIPS. See
// bench/README.md.
//
//	go run ./bench/cpucmp [-runs 3] [-only integer,float] [-o table.md]
//	go run ./bench/cpucmp -selfcheck   # guest checksums vs the same C run natively
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strata/bench/internal/hostinfo"
	"strconv"
	"strings"
	"time"
)

// workload is one program in bench/cpu.
type workload struct {
	Name string // as printed by the program (bench=NAME)
	Src  string // C file in bench/cpu
	Opt  string // optimisation flag
}

var workloads = []workload{
	{"integer", "integer.c", "-O2"},
	{"memory", "memory.c", "-O2"},
	{"branchy", "branchy.c", "-O2"},
	{"float", "float.c", "-O2"},
	{"rvc-mix", "mix.c", "-Os"},
}

// baseline measures fixed startup/exit cost; it is not a table row.
var baseline = workload{"empty", "empty.c", "-O2"}

// Flags shared by every guest and host build. -ffp-contract=off keeps the
// compilers from fusing multiply-adds, so guest and host FP results are
// bit-identical; -fno-math-errno lets sqrt be a single instruction.
var commonCFlags = []string{"-ffp-contract=off", "-fno-math-errno", "-Wall"}

var guestCFlags = []string{
	"-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany",
	"-nostdlib", "-nostartfiles", "-static", "-ffreestanding",
	"-fno-tree-loop-distribute-patterns",
}

type config struct {
	runs      int
	only      string
	strata    string
	qemu      string
	out       string
	cc        string
	hostCC    string
	src       string
	scale     int
	timeout   time.Duration
	selfcheck bool
	noStrata  bool
	count     bool
	keep      bool
}

func main() {
	var c config
	flag.IntVar(&c.runs, "runs", 3, "timed runs per emulator and workload (interleaved)")
	flag.StringVar(&c.only, "only", "", "comma-separated workloads to run (default all: "+names()+")")
	flag.StringVar(&c.strata, "strata", "", "strata binary to use (default: build bin/strata from this module)")
	flag.StringVar(&c.qemu, "qemu", "qemu-system-riscv64", "QEMU binary")
	flag.StringVar(&c.out, "o", "", "also write the markdown report to this file")
	flag.StringVar(&c.cc, "cc", "riscv64-unknown-elf-gcc", "bare-metal RISC-V C compiler")
	flag.StringVar(&c.hostCC, "hostcc", "gcc", "host C compiler (for -selfcheck)")
	flag.StringVar(&c.src, "src", "", "benchmark sources (default: bench/cpu of the enclosing module)")
	flag.IntVar(&c.scale, "scale", 1, "multiply every workload's iteration counts by this")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Minute, "limit for one run")
	flag.BoolVar(&c.selfcheck, "selfcheck", false, "run each workload once on QEMU (and strata) and natively on the host, and check the checksums agree")
	flag.BoolVar(&c.noStrata, "no-strata", false, "QEMU only (guest instruction counts then come from QEMU -icount)")
	flag.BoolVar(&c.count, "count", false, "cross-check strata's instruction count against QEMU -icount (one extra, slower QEMU run each)")
	flag.BoolVar(&c.keep, "keep", false, "keep the build directory and print its path")
	flag.Parse()
	if flag.NArg() != 0 {
		fatalf("unexpected arguments: %v", flag.Args())
	}
	if err := run(c); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "cpucmp: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

func names() string {
	var n []string
	for _, w := range workloads {
		n = append(n, w.Name)
	}
	return strings.Join(n, ",")
}

// selectWorkloads applies -only.
func selectWorkloads(only string) ([]workload, error) {
	if strings.TrimSpace(only) == "" {
		return workloads, nil
	}
	var sel []workload
	for _, name := range strings.Split(only, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, w := range workloads {
			if w.Name == name {
				sel = append(sel, w)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown workload %q (have %s)", name, names())
		}
	}
	return sel, nil
}

func run(c config) error {
	if c.runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	if c.scale < 1 {
		return errors.New("-scale must be at least 1")
	}
	sel, err := selectWorkloads(c.only)
	if err != nil {
		return err
	}
	root, rootErr := hostinfo.ModuleRoot()
	if c.src == "" {
		if rootErr != nil {
			return rootErr
		}
		c.src = filepath.Join(root, "bench", "cpu")
	}
	if c.cc, err = hostinfo.Need(c.cc, "gcc-riscv64-unknown-elf"); err != nil {
		return err
	}
	if c.qemu, err = hostinfo.Need(c.qemu, "qemu-system-misc"); err != nil {
		return err
	}
	if c.selfcheck {
		if c.hostCC, err = hostinfo.Need(c.hostCC, "gcc"); err != nil {
			return err
		}
	}
	if c.noStrata {
		c.count = true
	}

	dir, err := os.MkdirTemp("", "cpucmp-")
	if err != nil {
		return err
	}
	if c.keep {
		logf("cpucmp: build directory %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	// Guest programs.
	all := append([]workload{baseline}, sel...)
	for _, w := range all {
		if err := buildGuest(c, w, dir, false); err != nil {
			return err
		}
		if c.count && w != baseline {
			if err := buildGuest(c, w, dir, true); err != nil {
				return err
			}
		}
	}

	// strata.
	strataDesc := ""
	if !c.noStrata {
		built := c.strata == ""
		if built {
			if rootErr != nil {
				return rootErr
			}
			if c.strata, err = buildStrata(root); err != nil {
				return err
			}
		} else if c.strata, err = exec.LookPath(c.strata); err != nil {
			return fmt.Errorf("strata binary: %v", err)
		}
		strataDesc = c.strata
		if built && root != "" {
			if out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty").Output(); err == nil {
				strataDesc += " @ " + strings.TrimSpace(string(out))
			}
		}
	}

	if c.selfcheck {
		return selfcheck(c, sel, dir)
	}

	m := meta{
		Date:   time.Now(),
		CPU:    hostinfo.CPU(),
		CPUs:   runtime.NumCPU(),
		QEMU:   hostinfo.QEMUVersion(c.qemu),
		Strata: strataDesc,
		Runs:   c.runs,
		Scale:  c.scale,
		Load:   hostinfo.LoadAvg(),
	}

	// Fixed cost of starting each emulator, for reading short runs.
	base, err := measure(c, baseline, dir)
	if err != nil {
		return err
	}
	if c.noStrata {
		m.Overhead = fmt.Sprintf("startup+exit overhead (empty program), included in every time: QEMU %.3f s", base.QEMUS)
	} else {
		m.Overhead = fmt.Sprintf("startup+exit overhead (empty program), included in every time: strata %.3f s, QEMU %.3f s", base.StrataS, base.QEMUS)
	}

	var rows []row
	for _, w := range sel {
		r, err := measure(c, w, dir)
		if err != nil {
			return err
		}
		if c.count {
			n, err := icount(c, w, dir)
			if err != nil {
				return err
			}
			if c.noStrata {
				r.Insns = n
			} else if d := absDiff(n, r.Insns); d > 64 {
				m.Notes = append(m.Notes, fmt.Sprintf("**instruction count mismatch** on %s: strata %d, QEMU -icount %d", w.Name, r.Insns, n))
			} else {
				logf("%-8s instruction count agrees with QEMU -icount (%d vs %d)", w.Name, r.Insns, n)
			}
		}
		rows = append(rows, r)
	}
	if c.noStrata {
		m.Notes = append(m.Notes, "strata not run (-no-strata); guest instruction counts from QEMU -icount shift=0.")
	}
	if l := hostinfo.LoadAvg(); l != "" && m.Load != "" {
		m.Load += " at start, " + l + " at end"
	}
	report := formatReport(m, rows)
	fmt.Print(report)
	if c.out != "" {
		if err := os.WriteFile(c.out, []byte(report), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

func elfPath(dir string, w workload, count bool) string {
	if count {
		return filepath.Join(dir, w.Name+"-icount.elf")
	}
	return filepath.Join(dir, w.Name+".elf")
}

func buildGuest(c config, w workload, dir string, count bool) error {
	args := []string{w.Opt}
	args = append(args, guestCFlags...)
	args = append(args, commonCFlags...)
	args = append(args, "-DSCALE="+strconv.Itoa(c.scale), "-I", c.src, "-T", filepath.Join(c.src, "link.ld"))
	if count {
		args = append(args, "-DBENCH_INSTRET")
	}
	args = append(args, "-o", elfPath(dir, w, count),
		filepath.Join(c.src, "start.S"), filepath.Join(c.src, "rt.c"), filepath.Join(c.src, w.Src), "-lgcc")
	return runTool(c.cc, args...)
}

func buildHost(c config, w workload, dir string) (string, error) {
	out := filepath.Join(dir, w.Name+"-host")
	args := []string{w.Opt}
	args = append(args, commonCFlags...)
	args = append(args, "-DSCALE="+strconv.Itoa(c.scale), "-I", c.src, "-o", out,
		filepath.Join(c.src, "host.c"), filepath.Join(c.src, w.Src))
	return out, runTool(c.hostCC, args...)
}

func buildStrata(root string) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(root, "bin", "strata")
	cmd := exec.Command(gobin, "build", "-o", out, "./cmd/strata")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/strata: %v\n%s", err, msg)
	}
	return out, nil
}

func runTool(tool string, args ...string) error {
	cmd := exec.Command(tool, args...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", filepath.Base(tool), strings.Join(args, " "), err, msg)
	} else if len(bytes.TrimSpace(msg)) > 0 {
		logf("%s", msg)
	}
	return nil
}

// result is one finished run of a guest.
type result struct {
	Stdout, Stderr string
	Wall           time.Duration
	Checksum       string
}

func qemuArgs(c config, elf string, icount bool) []string {
	args := []string{c.qemu, "-M", "virt", "-bios", "none", "-nographic"}
	if icount {
		args = append(args, "-icount", "shift=0")
	}
	return append(args, "-kernel", elf)
}

func strataArgs(c config, elf string) []string {
	return []string{c.strata, "vm", "run", "--bios", "none", "--kernel", elf, "--stats"}
}

// runGuest runs one emulator to completion and checks it exited 0 with a
// checksum line.
func runGuest(c config, who string, argv []string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	r := result{Stdout: stdout.String(), Stderr: stderr.String(), Wall: time.Since(start)}
	fail := func(what string) (result, error) {
		return r, fmt.Errorf("%s: %s\ncommand: %s\n--- stdout (tail) ---\n%s\n--- stderr (tail) ---\n%s",
			who, what, strings.Join(argv, " "), tail(r.Stdout, 1500), tail(r.Stderr, 1500))
	}
	if ctx.Err() != nil {
		return fail(fmt.Sprintf("timed out after %v", c.timeout))
	}
	if err != nil {
		return fail(err.Error())
	}
	cs, err := parseChecksum(r.Stdout)
	if err != nil {
		return fail(err.Error())
	}
	r.Checksum = cs
	return r, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// measure runs w on strata and QEMU alternately, c.runs times each.
func measure(c config, w workload, dir string) (row, error) {
	elf := elfPath(dir, w, false)
	r := row{Name: w.Name}
	var st, qt []float64
	want := ""
	check := func(who string, res result) error {
		if want == "" {
			want = res.Checksum
		} else if res.Checksum != want {
			return fmt.Errorf("%s: checksum mismatch on %s: got %s, earlier runs printed %s", who, w.Name, res.Checksum, want)
		}
		return nil
	}
	for i := 1; i <= c.runs; i++ {
		var line []string
		if !c.noStrata {
			res, err := runGuest(c, "strata "+w.Name, strataArgs(c, elf))
			if err != nil {
				return r, err
			}
			if err := check("strata", res); err != nil {
				return r, err
			}
			s, err := parseStats(res.Stderr)
			if err != nil {
				return r, fmt.Errorf("strata %s: %v", w.Name, err)
			}
			if r.Insns != 0 && s.Instructions != r.Insns {
				logf("warning: strata %s: instruction count changed between runs: %d then %d", w.Name, r.Insns, s.Instructions)
			}
			r.Insns = s.Instructions
			st = append(st, res.Wall.Seconds())
			line = append(line, fmt.Sprintf("strata %.3fs (%s reported %.1f MIPS)", res.Wall.Seconds(), fmtInsns(s.Instructions), s.MIPS))
		}
		res, err := runGuest(c, "qemu "+w.Name, qemuArgs(c, elf, false))
		if err != nil {
			return r, err
		}
		if err := check("qemu", res); err != nil {
			return r, err
		}
		qt = append(qt, res.Wall.Seconds())
		line = append(line, fmt.Sprintf("qemu %.3fs", res.Wall.Seconds()))
		logf("%-8s run %d/%d  %s  checksum=%s", w.Name, i, c.runs, strings.Join(line, "  "), want)
	}
	if len(st) > 0 {
		r.StrataS = hostinfo.Median(st)
	}
	r.QEMUS = hostinfo.Median(qt)
	return r, nil
}

// icount runs the -DBENCH_INSTRET build on QEMU with -icount shift=0, where
// minstret counts guest instructions exactly.
func icount(c config, w workload, dir string) (uint64, error) {
	res, err := runGuest(c, "qemu -icount "+w.Name, qemuArgs(c, elfPath(dir, w, true), true))
	if err != nil {
		return 0, err
	}
	n, err := parseInstret(res.Stdout)
	if err != nil {
		return 0, fmt.Errorf("qemu -icount %s: %v", w.Name, err)
	}
	return n, nil
}

// selfcheck compares guest checksums with the same kernel run natively.
func selfcheck(c config, sel []workload, dir string) error {
	failed := 0
	fmt.Println("| workload | native | QEMU | strata | result |")
	fmt.Println("|---|---|---|---|---|")
	for _, w := range sel {
		bin, err := buildHost(c, w, dir)
		if err != nil {
			return err
		}
		native, err := runGuest(c, "native "+w.Name, []string{bin})
		if err != nil {
			return err
		}
		elf := elfPath(dir, w, false)
		q, err := runGuest(c, "qemu "+w.Name, qemuArgs(c, elf, false))
		if err != nil {
			return err
		}
		ok := q.Checksum == native.Checksum
		s := dash
		if !c.noStrata {
			res, err := runGuest(c, "strata "+w.Name, strataArgs(c, elf))
			if err != nil {
				logf("%v", err)
				s = "FAILED (see above)"
				ok = false
			} else {
				s = res.Checksum
				ok = ok && s == native.Checksum
			}
		}
		verdict := "ok"
		if !ok {
			verdict = "**MISMATCH**"
			failed++
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", w.Name, native.Checksum, q.Checksum, s, verdict)
	}
	if failed > 0 {
		return fmt.Errorf("selfcheck: %d workload(s) disagree with the native checksum", failed)
	}
	return nil
}
