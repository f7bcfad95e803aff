// Command ctrcmp benchmarks strata's OCI runtime (strata-oci) against runc
// and crun: the lifecycle of a container running /bin/true in one busybox
// bundle, many rounds, the runtimes interleaved within each round. It
// prints a markdown report of median and p95 wall times per runtime, the
// strata/runc and strata/crun ratios and the peak RSS of the runtime
// process. See bench/README.md.
//
// Two ways of driving the lifecycle, each the same for every runtime:
//
//   - run: X --root R run --bundle B ID (one process: create, start, wait
//     for the container's process, delete);
//   - split: X --root R create --bundle B --pid-file F ID, X --root R start
//     ID, wait4 on the container's process (ctrcmp is a child subreaper, so
//     the orphaned container process is reparented to it), X --root R
//     delete ID.
//
// Usage:
//
//	go run ./bench/ctrcmp [-rounds 100] [-modes run,split] [-o table.md]
package main

import (
	"bytes"
	"context"
	"encoding/json"
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
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cgroupParent holds the benchmark's container cgroups in every hierarchy,
// one per ctrcmp process (benchCgroup), so concurrent runs — a benchmark
// and the package's test — never share one; each run removes its own, and
// the parent when it is empty.
const cgroupParent = "strata-ctrcmp"

// benchCgroup is this run's cgroupsPath.
func benchCgroup() string { return fmt.Sprintf("/%s/%d", cgroupParent, os.Getpid()) }

type config struct {
	rounds   int
	modes    string
	runtimes string
	strata   string
	extra    string
	out      string
	timeout  time.Duration
	keep     bool
}

func main() {
	var c config
	flag.IntVar(&c.rounds, "rounds", 100, "rounds; each runs every runtime once per mode, in an order rotated per round")
	flag.StringVar(&c.modes, "modes", "run,split", "lifecycles to time: run (one `run` command) and/or split (create, start, wait, delete)")
	flag.StringVar(&c.runtimes, "runtimes", "strata,runc,crun", "runtimes to compare (strata first: the ratios are strata/each other)")
	flag.StringVar(&c.strata, "strata", "", "strata-oci binary to use (default: go build ./cmd/strata-oci into the work directory)")
	flag.StringVar(&c.extra, "extra", "", "more runc-compatible runtimes to time, as NAME=PATH[,NAME=PATH] (e.g. a patched strata-oci)")
	flag.StringVar(&c.out, "o", "", "also write the markdown report to this file")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Second, "limit for one runtime command")
	flag.BoolVar(&c.keep, "keep", false, "keep the work directory (bundle, state roots, container output) and print its path")
	flag.Parse()
	if flag.NArg() != 0 {
		fatalf("unexpected arguments: %v", flag.Args())
	}
	if err := run(c); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ctrcmp: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// rt is one runtime under test.
type rt struct {
	Name string // table column
	Path string
}

// parseList splits a comma-separated flag into its non-empty entries and
// checks each is one of allowed.
func parseList(flagName, s string, allowed ...string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == f
		}
		if !ok {
			return nil, fmt.Errorf("-%s: unknown %q (have %s)", flagName, f, strings.Join(allowed, ", "))
		}
		if seen[f] {
			return nil, fmt.Errorf("-%s: %q listed twice", flagName, f)
		}
		seen[f] = true
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-%s: empty", flagName)
	}
	return out, nil
}

func run(c config) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (containers need namespaces, cgroups and mounts)")
	}
	if c.rounds < 1 {
		return fmt.Errorf("-rounds %d: need at least 1", c.rounds)
	}
	modes, err := parseList("modes", c.modes, "run", "split")
	if err != nil {
		return err
	}
	names, err := parseList("runtimes", c.runtimes, "strata", "runc", "crun")
	if err != nil {
		return err
	}
	bb, err := staticBusybox()
	if err != nil {
		return err
	}
	runcPath, err := hostinfo.Need("runc", "runc") // runc spec writes the config, in every case
	if err != nil {
		return err
	}
	root, err := hostinfo.ModuleRoot()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "ctrcmp-")
	if err != nil {
		return err
	}
	if c.keep {
		logf("work directory: %s", work)
	} else {
		defer os.RemoveAll(work)
	}

	var rts []rt
	for _, n := range names {
		switch n {
		case "strata":
			p := c.strata
			if p == "" {
				logf("building strata-oci …")
				if p, err = buildStrataOCI(root, work); err != nil {
					return err
				}
			}
			rts = append(rts, rt{"strata", p})
		case "runc":
			rts = append(rts, rt{"runc", runcPath})
		case "crun":
			p, err := hostinfo.Need("crun", "crun")
			if err != nil {
				return err
			}
			did, err := ensureHugetlbV1()
			if err != nil {
				return err
			}
			if did != "" {
				logf("%s", did)
			}
			rts = append(rts, rt{"crun", p})
		}
	}

	extra, err := parseExtra(c.extra, names)
	if err != nil {
		return err
	}
	rts = append(rts, extra...)

	bundle := filepath.Join(work, "bundle")
	if err := makeBundle(runcPath, bb, bundle); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", err)
	}
	defer removeCgroups()

	b := &bench{c: c, work: work, bundle: bundle, rts: rts, modes: modes,
		samples: map[key][]sample{}}
	loadBefore := hostinfo.LoadAvg()
	started := time.Now()
	// One untimed round warms the page cache and each binary.
	if err := b.round(-1); err != nil {
		return err
	}
	for i := 0; i < c.rounds; i++ {
		if err := b.round(i); err != nil {
			return err
		}
		if (i+1)%25 == 0 {
			logf("round %d/%d", i+1, c.rounds)
		}
	}
	elapsed := time.Since(started)

	rep := report{
		Date:       started.UTC().Format("2006-01-02 15:04 UTC"),
		CPU:        hostinfo.CPU(),
		Cores:      runtime.NumCPU(),
		Kernel:     kernelRelease(),
		LoadBefore: loadBefore,
		LoadAfter:  hostinfo.LoadAvg(),
		Commit:     gitHead(root),
		Rounds:     c.rounds,
		Elapsed:    elapsed,
		Modes:      modes,
	}
	for _, r := range rts {
		rep.Runtimes = append(rep.Runtimes, runtimeInfo{Name: r.Name, Version: version(r), Path: r.Path})
	}
	for _, m := range modes {
		for _, r := range rts {
			rep.Rows = append(rep.Rows, summarize(m, r.Name, b.samples[key{m, r.Name}]))
		}
	}
	text := rep.markdown()
	fmt.Print(text)
	if c.out != "" {
		if err := os.WriteFile(c.out, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// parseExtra parses -extra: NAME=PATH pairs, names unique and not one of
// the built-in runtimes, paths executable.
func parseExtra(s string, taken []string) ([]rt, error) {
	var out []rt
	seen := map[string]bool{}
	for _, n := range taken {
		seen[n] = true
	}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		name, path, ok := strings.Cut(kv, "=")
		if !ok || name == "" || path == "" || strings.ContainsAny(name, " |") {
			return nil, fmt.Errorf("-extra %q: want NAME=PATH", kv)
		}
		if seen[name] || name == "strata" || name == "runc" || name == "crun" {
			return nil, fmt.Errorf("-extra %q: the name %s is taken", kv, name)
		}
		seen[name] = true
		if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
			return nil, fmt.Errorf("-extra %q: %s is not an executable file", kv, path)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		out = append(out, rt{name, abs})
	}
	return out, nil
}

// staticBusybox finds a static busybox for the rootfs.
func staticBusybox() (string, error) {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if ok, _ := isStatic(p); ok {
			return p, nil
		}
	}
	return "", errors.New("no static busybox at /bin/busybox: install the Debian package busybox-static (apt-get install busybox-static, or make setup)")
}

func buildStrataOCI(root, work string) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(work, "strata-oci")
	// Linked as `make build` links it: statically (see the Makefile's
	// OCI_STATIC).
	cmd := exec.Command(gobin, "build", "-tags", "netgo,osusergo",
		"-ldflags", "-linkmode external -extldflags -static", "-o", out, "./cmd/strata-oci")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/strata-oci: %w\n%s", err, msg)
	}
	return out, nil
}

// makeBundle writes dir/rootfs (busybox and a true applet link) and
// dir/config.json: what `runc spec` writes, without a terminal, running
// /bin/true, in the cgroup benchCgroup().
func makeBundle(runcPath, busybox, dir string) error {
	bin := filepath.Join(dir, "rootfs", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	data, err := os.ReadFile(busybox)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755); err != nil {
		return err
	}
	for _, a := range []string{"true", "sh"} {
		if err := os.Symlink("busybox", filepath.Join(bin, a)); err != nil {
			return err
		}
	}
	if out, err := exec.Command(runcPath, "spec", "--bundle", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("runc spec --bundle %s: %w\n%s", dir, err, out)
	}
	cfg := filepath.Join(dir, "config.json")
	raw, err := os.ReadFile(cfg)
	if err != nil {
		return err
	}
	patched, err := benchSpec(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg, err)
	}
	return os.WriteFile(cfg, patched, 0o644)
}

// benchSpec turns runc spec's config.json into the benchmark's: no
// terminal, /bin/true, a fixed cgroupsPath (the same for every runtime; the
// rounds run one container at a time).
func benchSpec(raw []byte) ([]byte, error) {
	var s specs.Spec
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("parsing the runc spec config: %w", err)
	}
	if s.Process == nil || s.Linux == nil {
		return nil, errors.New("runc spec config has no process or linux section")
	}
	s.Process.Terminal = false
	s.Process.Args = []string{"/bin/true"}
	s.Linux.CgroupsPath = benchCgroup()
	return json.MarshalIndent(&s, "", "  ")
}

// removeCgroups removes benchCgroup() and, if empty, cgroupParent from every
// hierarchy; a runtime leaving the bench cgroup behind fails the next round,
// so at this point it is at most empty directories.
func removeCgroups() {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	for _, m := range cgroupMountpoints(string(mi)) {
		os.Remove(filepath.Join(m.Dir, benchCgroup()))
		os.Remove(filepath.Join(m.Dir, cgroupParent)) // fails while another run has its cgroup there
	}
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
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

// version returns the first line of `X --version` (strata-oci has none:
// its row names the commit instead).
func version(r rt) string {
	if r.Name == "strata" {
		return "strata-oci (this commit)"
	}
	out, err := exec.Command(r.Path, "--version").Output()
	if err != nil {
		if r.Name != "runc" && r.Name != "crun" {
			return "given with -extra"
		}
		return "unknown"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}

// key names one table row.
type key struct{ Mode, Runtime string }

// sample is one timed lifecycle.
type sample struct {
	Total time.Duration
	// Phases of the split mode (create, start, wait, delete); nil for run.
	Phases []time.Duration
	// MaxRSS is the largest wait4 ru_maxrss (KiB) of the runtime commands
	// of the lifecycle: the runtime process and the children it reaped.
	MaxRSS int64
}

// bench holds the state of one benchmark run.
type bench struct {
	c       config
	work    string
	bundle  string
	rts     []rt
	modes   []string
	samples map[key][]sample
}

// round runs every runtime once in every mode; the order of the runtimes
// rotates with the round so none is always first. Round -1 is a warm-up
// whose samples are dropped.
func (b *bench) round(i int) error {
	n := len(b.rts)
	for _, m := range b.modes {
		for j := 0; j < n; j++ {
			r := b.rts[(max(i, 0)+j)%n]
			id := fmt.Sprintf("ctrcmp-%d-%s-%s-%d", os.Getpid(), m, r.Name, i+1)
			var s sample
			var err error
			if m == "run" {
				s, err = b.lifecycleRun(r, id)
			} else {
				s, err = b.lifecycleSplit(r, id)
			}
			if err != nil {
				return fmt.Errorf("%s (%s mode, round %d): %w", r.Name, m, i+1, err)
			}
			if i >= 0 {
				b.samples[key{m, r.Name}] = append(b.samples[key{m, r.Name}], s)
			}
		}
	}
	return nil
}

func (b *bench) stateRoot(r rt) string { return filepath.Join(b.work, "state-"+r.Name) }

// result is one finished runtime command.
type result struct {
	Wall   time.Duration
	MaxRSS int64 // KiB
}

// command runs one runtime command with stdin from /dev/null and the
// container's and runtime's output appended to a log file in the work
// directory (a file, not a pipe: a detached container keeps its end open).
func (b *bench) command(r rt, args ...string) (result, error) {
	argv := append([]string{"--root", b.stateRoot(r)}, args...)
	logPath := filepath.Join(b.work, r.Name+".log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return result{}, err
	}
	defer logFile.Close()
	off, _ := logFile.Seek(0, 2)
	ctx, cancel := context.WithTimeout(context.Background(), b.c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.Path, argv...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = b.bundle
	t0 := time.Now()
	err = cmd.Run()
	wall := time.Since(t0)
	var rss int64
	if cmd.ProcessState != nil { // nil when the command did not start
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
			rss = ru.Maxrss
		}
	}
	if err != nil {
		out, _ := os.ReadFile(logPath)
		if int64(len(out)) > off {
			out = out[off:]
		}
		return result{}, fmt.Errorf("%s %s: %w\n%s", r.Path, strings.Join(argv, " "), err, tail(string(out), 2000))
	}
	return result{Wall: wall, MaxRSS: rss}, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func (b *bench) lifecycleRun(r rt, id string) (sample, error) {
	res, err := b.command(r, "run", "--bundle", b.bundle, id)
	if err != nil {
		return sample{}, err
	}
	return sample{Total: res.Wall, MaxRSS: res.MaxRSS}, nil
}

func (b *bench) lifecycleSplit(r rt, id string) (sample, error) {
	pidFile := filepath.Join(b.work, id+".pid")
	defer os.Remove(pidFile)
	t0 := time.Now()
	cr, err := b.command(r, "create", "--bundle", b.bundle, "--pid-file", pidFile, id)
	if err != nil {
		b.command(r, "delete", "--force", id)
		return sample{}, err
	}
	pid, err := readPidFile(pidFile)
	if err != nil {
		b.command(r, "delete", "--force", id)
		return sample{}, err
	}
	st, err := b.command(r, "start", id)
	if err != nil {
		b.command(r, "delete", "--force", id)
		return sample{}, err
	}
	t1 := time.Now()
	status, err := waitOrphan(pid, b.c.timeout)
	if err != nil {
		b.command(r, "delete", "--force", id)
		return sample{}, err
	}
	wait := time.Since(t1)
	if !status.Exited() || status.ExitStatus() != 0 {
		b.command(r, "delete", "--force", id)
		return sample{}, fmt.Errorf("container process %d: wait status %#x, want exit 0", pid, uint32(status))
	}
	del, err := b.command(r, "delete", id)
	if err != nil {
		return sample{}, err
	}
	reapStrays()
	return sample{
		Total:  time.Since(t0),
		Phases: []time.Duration{cr.Wall, st.Wall, wait, del.Wall},
		MaxRSS: max(cr.MaxRSS, st.MaxRSS, del.MaxRSS),
	}, nil
}

// readPidFile reads the decimal pid a runtime's --pid-file holds.
func readPidFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s: %q is not a pid", path, data)
	}
	return pid, nil
}

// waitOrphan waits for the container's process, which its runtime's create
// left behind and the kernel reparented to ctrcmp (a child subreaper): a
// pidfd becomes readable when the process exits, then wait4 reaps it.
// Without pidfds (Linux < 5.3) it polls wait4 every 100 µs.
func waitOrphan(pid int, limit time.Duration) (unix.WaitStatus, error) {
	deadline := time.Now().Add(limit)
	pidfd, perr := unix.PidfdOpen(pid, 0)
	if perr == nil {
		defer unix.Close(pidfd)
	}
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, fmt.Errorf("wait4(%d): %w (not reparented to ctrcmp?)", pid, err)
		case got == pid:
			return ws, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			unix.Kill(pid, unix.SIGKILL)
			return 0, fmt.Errorf("container process %d still running after %v", pid, limit)
		}
		if perr == nil {
			fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
			unix.Poll(fds, int(min(left, time.Second)/time.Millisecond)+1) // EINTR or timeout: wait4 again
		} else {
			time.Sleep(100 * time.Microsecond)
		}
	}
}

// reapStrays reaps any other orphan that died while reparented to ctrcmp
// (a runtime's helper processes), so zombies do not pile up.
func reapStrays() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
