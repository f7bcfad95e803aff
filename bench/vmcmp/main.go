// Command vmcmp benchmarks strata's virtual machine against QEMU TCG
// (qemu-system-riscv64 -M virt) on the same Linux guest (package guest): the
// same kernel and initramfs boot on strata with its built-in SBI, on strata
// running Debian's OpenSBI fw_jump (--bios), and on QEMU with its default
// OpenSBI. Interleaved, -runs times each, it measures
//
//   - boot: time from process start to the guest's first userspace line
//     (the banner) and to poweroff (process exit), with a one-command script;
//   - work: in-guest benchmarks (bench-sha256, bench-int, bench-sort,
//     bench-blk on a virtio-blk disk; guest/init/shell_bench.go) timed by
//     the guest's own clock, checking that every machine computes the same
//     checksums;
//   - idle: the host CPU the emulator process uses (utime+stime from
//     /proc/PID/stat) over a window while the guest sleeps;
//
// and prints a markdown table of medians with strata/QEMU ratios, the host
// CPU, load average, QEMU version and the exact commands. See bench/README.md.
//
//	go run ./bench/vmcmp [-runs 3] [-o table.md]
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strata/bench/internal/hostinfo"
	"strconv"
	"strings"
	"sync"
	"time"

	"strata/guest"
)

const defaultFirmware = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf"

// userHZ is the unit of utime/stime in /proc/PID/stat (USER_HZ, 100 on
// every Linux architecture Go's syscall package targets with /proc).
const userHZ = 100

type config struct {
	runs     int
	strata   string
	qemu     string
	firmware string
	out      string
	smp      int
	mem      string
	shaMiB   int
	intN     int
	sortN    int
	blkMiB   int
	idle     time.Duration
	settle   time.Duration
	timeout  time.Duration
	machines string
	keep     bool
}

func main() {
	var c config
	flag.IntVar(&c.runs, "runs", 3, "runs per machine and phase (interleaved); the table shows medians")
	flag.StringVar(&c.strata, "strata", "", "strata binary to use (default: build bin/strata from this module)")
	flag.StringVar(&c.qemu, "qemu", "qemu-system-riscv64", "QEMU binary")
	flag.StringVar(&c.firmware, "firmware", defaultFirmware, "M-mode firmware for strata's --bios mode (Debian's OpenSBI fw_jump)")
	flag.StringVar(&c.out, "o", "", "also write the markdown report to this file")
	flag.IntVar(&c.smp, "smp", 1, "harts of every machine")
	flag.StringVar(&c.mem, "mem", "512M", "RAM of every machine")
	flag.IntVar(&c.shaMiB, "sha-mib", 16, "bench-sha256: MiB the guest generates into a file and hashes")
	flag.IntVar(&c.intN, "int-n", 50_000_000, "bench-int: loop iterations")
	flag.IntVar(&c.sortN, "sort-n", 1_000_000, "bench-sort: uint32s to sort")
	flag.IntVar(&c.blkMiB, "blk-mib", 64, "bench-blk: MiB read from the virtio-blk disk (also the disk's size)")
	flag.DurationVar(&c.idle, "idle", 5*time.Second, "idle phase: CPU sampling window")
	flag.DurationVar(&c.settle, "settle", time.Second, "idle phase: wait after the guest's sleep starts before sampling")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Minute, "limit for one run")
	flag.StringVar(&c.machines, "machines", "sbi,opensbi,qemu", "machines to run, in table order (the last is the ratios' reference)")
	flag.BoolVar(&c.keep, "keep", false, "keep the work directory (disk image) and print its path")
	flag.Parse()
	if flag.NArg() != 0 {
		fatalf("unexpected arguments: %v", flag.Args())
	}
	if err := run(c); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "vmcmp: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// machine is one way of running the guest.
type machine struct {
	Key   string // -machines name
	Title string // table column
	argv  func(cmdline, disk string) []string
}

// machineList resolves -machines.
func machineList(c config, p guest.Paths) ([]machine, error) {
	all := map[string]machine{
		"sbi": {"sbi", "strata (SBI)", func(cmdline, disk string) []string {
			return strataArgs(c, p, "", cmdline, disk)
		}},
		"opensbi": {"opensbi", "strata (OpenSBI)", func(cmdline, disk string) []string {
			return strataArgs(c, p, c.firmware, cmdline, disk)
		}},
		"qemu": {"qemu", "QEMU", func(cmdline, disk string) []string {
			return qemuArgs(c, p, cmdline, disk)
		}},
	}
	var ms []machine
	for _, k := range strings.Split(c.machines, ",") {
		m, ok := all[strings.TrimSpace(k)]
		if !ok {
			return nil, fmt.Errorf("unknown machine %q (have sbi, opensbi, qemu)", k)
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return nil, errors.New("no machines")
	}
	return ms, nil
}

func strataArgs(c config, p guest.Paths, firmware, cmdline, disk string) []string {
	argv := []string{c.strata, "vm", "run", "--kernel", p.Kernel, "--initrd", p.Initramfs,
		"--append", cmdline, "--smp", strconv.Itoa(c.smp), "--mem", c.mem}
	if firmware != "" {
		argv = append(argv, "--bios", firmware)
	}
	if disk != "" {
		argv = append(argv, "--disk", disk)
	}
	return argv
}

func qemuArgs(c config, p guest.Paths, cmdline, disk string) []string {
	var extra []string
	if disk != "" {
		extra = []string{"-drive", "file=" + disk + ",if=none,format=raw,id=d0", "-device", "virtio-blk-device,drive=d0"}
	}
	args := guest.QEMUArgs(p, c.smp, cmdline, extra...)
	for i := range args { // guest.QEMUArgs fixes -m 512M
		if args[i] == "-m" && i+1 < len(args) {
			args[i+1] = c.mem
		}
	}
	return append([]string{c.qemu}, args...)
}

// The scripts of the three phases.
func bootScript() string { return guest.ScriptArg("echo boot") }

func workScript(c config) string {
	return guest.ScriptArg(
		fmt.Sprintf("bench-sha256 %d", c.shaMiB),
		fmt.Sprintf("bench-int %d", c.intN),
		fmt.Sprintf("bench-sort %d", c.sortN),
		fmt.Sprintf("bench-blk /dev/vda %d", c.blkMiB))
}

// idleSleep is long enough for settle + the window; the process is killed
// after sampling.
func idleScript(c config) (string, string) {
	cmd := fmt.Sprintf("sleep %d", int((c.settle+c.idle).Seconds())+30)
	return guest.ScriptArg(cmd), guest.Prompt + cmd
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

func gitHead(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown commit"
	}
	s := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		s += " (with uncommitted changes)"
	}
	return s
}

// makeDisk writes a raw image of mib MiB of pseudo-random bytes and returns
// the sha256 of its first MiB (what bench-blk's blk-check line reports).
func makeDisk(path string, mib int) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	rng := rand.NewChaCha8([32]byte{'s', 't', 'r', 'a', 't', 'a'})
	buf := make([]byte, 1<<20)
	var first string
	for i := 0; i < mib; i++ {
		rng.Read(buf)
		if i == 0 {
			first = fmt.Sprintf("%x", sha256.Sum256(buf))
		}
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return "", err
		}
	}
	return first, f.Close()
}

// proc is a running emulator whose console (stdout) is timestamped line by
// line, from process start.
type proc struct {
	argv   []string
	cmd    *exec.Cmd
	start  time.Time
	mu     sync.Mutex
	lines  []consoleLine
	stderr bytes.Buffer
	eof    chan struct{}
	cancel context.CancelFunc
}

func launch(c config, argv []string) (*proc, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	p := &proc{argv: argv, eof: make(chan struct{}), cancel: cancel}
	p.cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	p.cmd.Stderr = &p.stderr
	p.cmd.WaitDelay = 5 * time.Second
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	go func() {
		defer close(p.eof)
		r := bufio.NewReaderSize(out, 64<<10)
		for {
			s, err := r.ReadString('\n')
			if s != "" {
				at := time.Since(p.start)
				p.mu.Lock()
				p.lines = append(p.lines, consoleLine{At: at, Text: strings.TrimRight(s, "\r\n")})
				p.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return p, nil
}

// wait waits for exit and returns the time from start to exit.
func (p *proc) wait() (time.Duration, error) {
	<-p.eof
	err := p.cmd.Wait()
	d := time.Since(p.start)
	p.cancel()
	return d, err
}

func (p *proc) snapshot() []consoleLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]consoleLine(nil), p.lines...)
}

// waitLine waits until a console line contains s.
func (p *proc) waitLine(s string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		for _, l := range p.snapshot() {
			if strings.Contains(l.Text, s) {
				return nil
			}
		}
		select {
		case <-p.eof:
			return fmt.Errorf("exited before printing %q", s)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %q within %v", s, limit)
		}
	}
}

func (p *proc) failure(who, what string) error {
	var con strings.Builder
	for _, l := range p.snapshot() {
		con.WriteString(l.Text + "\n")
	}
	return fmt.Errorf("%s: %s\ncommand: %s\n--- console (tail) ---\n%s\n--- stderr (tail) ---\n%s",
		who, what, shellJoin(p.argv), tail(con.String(), 2000), tail(p.stderr.String(), 1500))
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// runToEnd runs a script to poweroff and digests its console.
func runToEnd(c config, who string, argv []string) (console, time.Duration, error) {
	p, err := launch(c, argv)
	if err != nil {
		return console{}, 0, fmt.Errorf("%s: %v", who, err)
	}
	exit, err := p.wait()
	con := parseConsole(p.snapshot(), guest.Banner, guest.ScriptDone)
	switch {
	case err != nil:
		return con, exit, p.failure(who, err.Error())
	case con.Banner == 0:
		return con, exit, p.failure(who, "no userspace banner")
	case !con.Done:
		return con, exit, p.failure(who, "script did not finish with 0 failed: "+con.Failed)
	}
	return con, exit, nil
}

func readStat(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return procCPU(string(b))
}

// readSchedstat sums the on-CPU nanoseconds of a process's threads
// (/proc/PID/task/*/schedstat, first field): a finer clock than stat's ticks.
func readSchedstat(pid int) (uint64, error) {
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(files) == 0 {
		return 0, fmt.Errorf("no /proc/%d/task/*/schedstat", pid)
	}
	var sum uint64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited
		}
		ns, err := parseSchedstat(string(b))
		if err != nil {
			return 0, err
		}
		sum += ns
	}
	return sum, nil
}

// idleCPU boots the guest into a long sleep and returns the emulator's CPU
// use, in % of one core, over c.idle after c.settle: from utime+stime of
// /proc/PID/stat, and (NaN if unavailable) from the threads' schedstat.
func idleCPU(c config, who string, argv []string, marker string) (pct, fine float64, err error) {
	p, err := launch(c, argv)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %v", who, err)
	}
	defer func() {
		p.cmd.Process.Kill()
		p.wait()
	}()
	if err := p.waitLine(marker, c.timeout); err != nil {
		return 0, 0, p.failure(who, err.Error())
	}
	time.Sleep(c.settle)
	pid := p.cmd.Process.Pid
	t0 := time.Now()
	a, err := readStat(pid)
	if err != nil {
		return 0, 0, p.failure(who, err.Error())
	}
	na, nerr := readSchedstat(pid)
	time.Sleep(c.idle)
	b, err := readStat(pid)
	nb, nerr2 := readSchedstat(pid)
	wall := time.Since(t0)
	if err != nil {
		return 0, 0, p.failure(who, err.Error())
	}
	fine = math.NaN()
	if nerr == nil && nerr2 == nil && nb >= na {
		fine = float64(nb-na) / float64(wall.Nanoseconds()) * 100
	}
	return cpuPercent(b-a, userHZ, wall), fine, nil
}

// The table's rows.
var (
	mBanner   = metric{"banner", "boot to userspace banner", "s", false, 2}
	mPoweroff = metric{"poweroff", "boot to poweroff (process exit)", "s", false, 2}
	mSHA      = metric{"sha256", "", "MB/s", true, 2}
	mInt      = metric{"int", "", "s", false, 3}
	mSort     = metric{"sort", "", "s", false, 3}
	mBlk      = metric{"blk", "", "MB/s", true, 1}
	mIdle     = metric{"idle", "", "% of one host core", false, 2}
	mIdleNS   = metric{"idle-ns", "", "% of one host core", false, 3}
)

func metrics(c config) []metric {
	sha, in, so, blk, idle := mSHA, mInt, mSort, mBlk, mIdle
	sha.Label = fmt.Sprintf("sha256 of a %d MiB file in tmpfs (guest clock)", c.shaMiB)
	in.Label = fmt.Sprintf("integer loop, %s iterations (guest clock)", humanCount(c.intN))
	so.Label = fmt.Sprintf("sort %s uint32 (guest clock)", humanCount(c.sortN))
	blk.Label = fmt.Sprintf("virtio-blk sequential read of %d MiB, O_DIRECT 1 MiB requests (guest clock)", c.blkMiB)
	idle.Label = fmt.Sprintf("host CPU of an idle (sleeping) guest over %v, utime+stime of /proc/PID/stat", c.idle)
	idleNS := mIdleNS
	idleNS.Label = "the same, from the threads' /proc/PID/task/*/schedstat (ns)"
	return []metric{mBanner, mPoweroff, sha, in, so, blk, idle, idleNS}
}

func humanCount(n int) string {
	switch {
	case n >= 1e6 && n%1e6 == 0:
		return strconv.Itoa(n/1e6) + "M"
	case n >= 1e3 && n%1e3 == 0:
		return strconv.Itoa(n/1e3) + "k"
	}
	return strconv.Itoa(n)
}

func run(c config) error {
	if c.runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	root, err := hostinfo.ModuleRoot()
	if err != nil {
		return err
	}
	ms0 := c.machines
	if _, err := machineList(c, guest.Paths{}); err != nil { // names only; paths come later
		return err
	}
	wantQEMU, wantFW := strings.Contains(ms0, "qemu"), strings.Contains(ms0, "opensbi")
	if wantQEMU {
		if c.qemu, err = hostinfo.Need(c.qemu, "qemu-system-misc"); err != nil {
			return err
		}
	}
	if wantFW {
		if _, err := os.Stat(c.firmware); err != nil {
			return fmt.Errorf("OpenSBI firmware %s: %v: install the Debian package opensbi (apt-get install opensbi, or make setup)", c.firmware, err)
		}
	}
	logf("vmcmp: building the guest (make guest; minutes if the kernel is not cached)…")
	gp, err := guest.Build(context.Background())
	if err != nil {
		return err
	}
	strataDesc := ""
	if strings.Contains(ms0, "sbi") {
		if c.strata == "" {
			if c.strata, err = buildStrata(root); err != nil {
				return err
			}
			strataDesc = c.strata + " @ " + gitHead(root)
		} else {
			strataDesc = c.strata
		}
	}
	machines, err := machineList(c, gp)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "vmcmp-")
	if err != nil {
		return err
	}
	if c.keep {
		logf("vmcmp: work directory %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	disk := filepath.Join(dir, "disk.img")
	diskSum, err := makeDisk(disk, c.blkMiB)
	if err != nil {
		return err
	}

	m := meta{Date: time.Now().UTC(), CPU: hostinfo.CPU(), CPUs: runtime.NumCPU(), LoadStart: hostinfo.LoadAvg(),
		Runs: c.runs, SMP: c.smp, Mem: c.mem, Strata: strataDesc,
		Guest: fmt.Sprintf("Linux 6.1 + Go /init, %s", gp.Dir)}
	if wantQEMU {
		m.QEMU = hostinfo.QEMUVersion(c.qemu)
	}
	boot := guest.Cmdline + " " + bootScript()
	work := guest.Cmdline + " " + workScript(c)
	idleArg, idleMarker := idleScript(c)
	idle := guest.Cmdline + " " + idleArg
	for _, mc := range machines {
		m.Commands = append(m.Commands,
			"# "+mc.Title+": boot", shellJoin(mc.argv(boot, "")),
			"# "+mc.Title+": work", shellJoin(mc.argv(work, disk)),
			"# "+mc.Title+": idle (killed after sampling)", shellJoin(mc.argv(idle, "")))
	}

	// samples[machine][metric]
	samples := make([]map[string][]float64, len(machines))
	walls := make([]map[string][]float64, len(machines)) // wall/guest per bench
	for i := range samples {
		samples[i], walls[i] = map[string][]float64{}, map[string][]float64{}
	}
	sums := map[string]string{"blk-check": diskSum}
	checkSum := func(who, name, sum string) error {
		if want, ok := sums[name]; ok && want != sum {
			return fmt.Errorf("%s: %s checksum %s differs from %s (earlier run or host)", who, name, sum, want)
		}
		sums[name] = sum
		return nil
	}
	for r := 1; r <= c.runs; r++ {
		for i, mc := range machines {
			who := fmt.Sprintf("%s boot run %d", mc.Title, r)
			con, exit, err := runToEnd(c, who, mc.argv(boot, ""))
			if err != nil {
				return err
			}
			samples[i]["banner"] = append(samples[i]["banner"], con.Banner.Seconds())
			samples[i]["poweroff"] = append(samples[i]["poweroff"], exit.Seconds())
			logf("%-16s run %d/%d boot: banner %.2fs, exit %.2fs", mc.Title, r, c.runs, con.Banner.Seconds(), exit.Seconds())
		}
		for i, mc := range machines {
			who := fmt.Sprintf("%s work run %d", mc.Title, r)
			con, exit, err := runToEnd(c, who, mc.argv(work, disk))
			if err != nil {
				return err
			}
			var line []string
			for _, name := range []string{"sha256", "int", "sort", "blk"} {
				b, ok := con.Results[name]
				if !ok {
					return fmt.Errorf("%s: no strata-bench %s line", who, name)
				}
				msv, err := b.float("ms")
				if err != nil {
					return fmt.Errorf("%s: %v", who, err)
				}
				var v float64
				switch name {
				case "sha256", "blk":
					if v, err = b.float("mbps"); err != nil {
						return fmt.Errorf("%s: %v", who, err)
					}
					line = append(line, fmt.Sprintf("%s %.2f MB/s", name, v))
				default:
					v = msv / 1e3
					line = append(line, fmt.Sprintf("%s %.3fs", name, v))
				}
				samples[i][name] = append(samples[i][name], v)
				if w, ok := con.Wall[name]; ok && msv > 0 {
					walls[i][name] = append(walls[i][name], w.Seconds()*1e3/msv)
				}
				if name != "blk" {
					if err := checkSum(who, name, b.Fields["sum"]); err != nil {
						return err
					}
				}
			}
			if b, ok := con.Results["blk-check"]; !ok {
				return fmt.Errorf("%s: no blk-check line", who)
			} else if err := checkSum(who, "blk-check", b.Fields["sum"]); err != nil {
				return err
			}
			if con.Results["blk"].Fields["direct"] != "1" {
				m.Notes = appendOnce(m.Notes, fmt.Sprintf("**%s: the guest could not open /dev/vda with O_DIRECT; bench-blk used buffered reads.**", mc.Title))
			}
			logf("%-16s run %d/%d work: %s (exit %.1fs)", mc.Title, r, c.runs, strings.Join(line, ", "), exit.Seconds())
		}
		for i, mc := range machines {
			who := fmt.Sprintf("%s idle run %d", mc.Title, r)
			pct, fine, err := idleCPU(c, who, mc.argv(idle, ""), idleMarker)
			if err != nil {
				return err
			}
			samples[i]["idle"] = append(samples[i]["idle"], pct)
			if !math.IsNaN(fine) {
				samples[i]["idle-ns"] = append(samples[i]["idle-ns"], fine)
			}
			logf("%-16s run %d/%d idle: %.2f%% of one core (stat), %.3f%% (schedstat)", mc.Title, r, c.runs, pct, fine)
		}
	}
	m.LoadEnd = hostinfo.LoadAvg()

	var titles []string
	for _, mc := range machines {
		titles = append(titles, mc.Title)
	}
	var rows []row
	for _, mt := range metrics(c) {
		rw := row{Metric: mt}
		for i := range machines {
			rw.Vals = append(rw.Vals, hostinfo.Median(samples[i][mt.Key]))
		}
		rows = append(rows, rw)
	}
	m.Notes = append([]string{notes(c, titles, walls)}, m.Notes...)
	report := formatReport(m, titles, rows)
	fmt.Print(report)
	if c.out != "" {
		return os.WriteFile(c.out, []byte(report), 0o644)
	}
	return nil
}

func appendOnce(xs []string, s string) []string {
	for _, x := range xs {
		if x == s {
			return xs
		}
	}
	return append(xs, s)
}

// notes explains the table and reports the guest-clock cross-check.
func notes(c config, titles []string, walls []map[string][]float64) string {
	var b strings.Builder
	b.WriteString("Boot times are host wall clock from process start to the first userspace console line " +
		"and to process exit (kernel boot, /init, a one-command script, poweroff). " +
		"The work rows are timed by the guest with its own clock, in one boot running " +
		"`bench-sha256`, `bench-int`, `bench-sort` and `bench-blk` (guest/init/shell_bench.go); " +
		"every machine printed the same checksums, and the disk's first MiB read back matched the host's. " +
		"Ratios are the strata value divided by the QEMU value in the same row. " +
		fmt.Sprintf("Idle: CPU time of the emulator process over %v, starting %v after the guest began `sleep`; "+
			"/proc/PID/stat counts in %d ms ticks, so its row resolves %.2f %% of a core, the schedstat row nanoseconds.", c.idle, c.settle, 1000/userHZ, 100.0/userHZ/c.idle.Seconds()))
	b.WriteString("\n\nGuest clock cross-check (host wall time between the `strata-bench NAME start` and result console lines ÷ guest-timed duration, median):")
	for i, t := range titles {
		var parts []string
		for _, name := range []string{"sha256", "int", "sort", "blk"} {
			if x := hostinfo.Median(walls[i][name]); !math.IsNaN(x) {
				parts = append(parts, fmt.Sprintf("%s %.2f", name, x))
			}
		}
		fmt.Fprintf(&b, " %s: %s;", t, strings.Join(parts, ", "))
	}
	return strings.TrimSuffix(b.String(), ";") + "."
}
