package randdiff

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	flagSeed     = flag.Int64("seed", -1, "run only the program with this seed")
	flagInsns    = flag.Int("insns", 200, "stream items per program")
	flagKeep     = flag.Bool("keep", false, "keep the generated sources and ELFs")
	flagMinimize = flag.Bool("minimize", false, "with -seed: minimize a diverging program and print it")
	flagReserved = flag.Bool("reserved", false, "also generate reserved encodings (behaviour open in the spec)")
)

const parallel = 2

var (
	buildOnce sync.Once
	strataBin string
	buildErr  error
)

// setup checks the tools and builds strata once.
func setup(t *testing.T) string {
	t.Helper()
	if err := CheckTools(); err != nil {
		t.Fatal(err)
	}
	buildOnce.Do(func() {
		if b := os.Getenv("STRATA_RANDDIFF_BIN"); b != "" { // a prebuilt strata (e.g. a mutant)
			strataBin = b
			return
		}
		wd, err := os.Getwd()
		if err != nil {
			buildErr = err
			return
		}
		root := filepath.Clean(filepath.Join(wd, "..", ".."))
		dir, err := os.MkdirTemp("", "strata-randdiff-bin-")
		if err != nil {
			buildErr = err
			return
		}
		strataBin = filepath.Join(dir, "strata")
		cmd := exec.Command("go", "build", "-o", strataBin, "./cmd/strata")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/strata: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return strataBin
}

func workDir(t *testing.T) (string, func(failed bool)) {
	dir, err := os.MkdirTemp("", "strata-randdiff-")
	if err != nil {
		t.Fatal(err)
	}
	return dir, func(failed bool) {
		if failed || *flagKeep {
			t.Logf("sources and ELFs kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	}
}

func envInt(t *testing.T, name string, def int) int {
	if s := os.Getenv(name); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("%s=%q: %v", name, s, err)
		}
		return v
	}
	return def
}

type outcome struct {
	seed  uint64
	src   string
	diffs []Diff
	err   error
}

// runBoth assembles src and runs it on both machines.
func runBoth(ctx context.Context, bin, dir, name, src string, nameFn func([]uint64) func(int) string) ([]Diff, error) {
	elf, err := Assemble(ctx, dir, name, src)
	if err != nil {
		return nil, err
	}
	q, err := RunQEMU(ctx, elf)
	if err != nil {
		return nil, fmt.Errorf("qemu: %w", err)
	}
	s, err := RunStrata(ctx, bin, elf)
	if err != nil {
		return nil, fmt.Errorf("strata: %w", err)
	}
	var ds []Diff
	for _, d := range Compare(q, s, nameFn) {
		if Tolerated(q, s, d.Index) {
			tolerated.Add(1)
			continue
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// tolerated counts implementation-defined differences (see Tolerated).
var tolerated atomic.Int64

func TestRandomStreams(t *testing.T) {
	bin := setup(t)
	dir, done := workDir(t)
	failed := false
	defer func() { done(failed) }()
	opt := Options{N: *flagInsns, Reserved: *flagReserved}

	var seeds []uint64
	if *flagSeed >= 0 {
		seeds = []uint64{uint64(*flagSeed)}
	} else {
		k := 150
		if testing.Short() {
			k = 40
		}
		k = envInt(t, "STRATA_RANDDIFF_N", k)
		base := envInt(t, "STRATA_RANDDIFF_BASE", 1)
		for i := 0; i < k; i++ {
			seeds = append(seeds, uint64(base+i))
		}
	}
	ctx := context.Background()
	start := time.Now()
	results := make([]outcome, len(seeds))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, seed := range seeds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			p := Generate(seed, opt)
			src := p.Source(p.Items)
			ds, err := runBoth(ctx, bin, dir, fmt.Sprintf("seed%d", seed), src,
				namer(p))
			results[i] = outcome{seed, src, ds, err}
		}()
	}
	wg.Wait()

	nbad, items := 0, 0
	for _, r := range results {
		items += opt.N
		if r.err == nil && len(r.diffs) == 0 {
			continue
		}
		failed = true
		nbad++
		if nbad > 8 {
			t.Errorf("seed %d also diverges (%d words)", r.seed, len(r.diffs))
			continue
		}
		if r.err != nil {
			t.Errorf("seed %d: %v", r.seed, r.err)
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "seed %d: strata diverges from QEMU in %d words "+
			"(reproduce: go test ./tests/randdiff -run TestRandomStreams -seed %d [-minimize]; source %s)\n",
			r.seed, len(r.diffs), r.seed, filepath.Join(dir, fmt.Sprintf("seed%d.S", r.seed)))
		for j, d := range r.diffs {
			if j == 24 {
				fmt.Fprintf(&b, "    ... %d more\n", len(r.diffs)-j)
				break
			}
			fmt.Fprintf(&b, "    %s\n", d)
		}
		t.Error(b.String())
	}
	t.Logf("%d programs, ~%d stream items each (%d total), %d diverging, %d implementation-defined differences tolerated (EBREAK mtval), %v",
		len(seeds), opt.N, items, nbad, tolerated.Load(), time.Since(start).Round(time.Millisecond))

	if failed && *flagMinimize && len(seeds) == 1 {
		p := Generate(seeds[0], opt)
		min := Minimize(p.Items, func(items []Item) bool {
			ds, err := runBoth(ctx, bin, dir, "min", p.Source(items), namer(p))
			return err == nil && len(ds) > 0
		})
		ds, _ := runBoth(ctx, bin, dir, "min", p.Source(min), namer(p))
		t.Logf("minimized stream (%d items; trace stores omitted):\n%s", len(min), Plain(min))
		for _, d := range ds {
			t.Logf("    %s", d)
		}
		t.Logf("initial registers: %s", initRegs(p))
		t.Logf("full minimized source: %s", filepath.Join(dir, "min.S"))
	}
}

func namer(p *Program) func([]uint64) func(int) string {
	return func(q []uint64) func(int) string { return WordNamer(p, q) }
}

func initRegs(p *Program) string {
	var b strings.Builder
	for i := 1; i < 32; i++ {
		if i != 2 && i != 8 {
			fmt.Fprintf(&b, "x%d=%x ", i, p.Consts[i])
		}
	}
	for i := 0; i < 32; i++ {
		fmt.Fprintf(&b, "f%d=%x ", i, p.Consts[32+i])
	}
	fmt.Fprintf(&b, "frm=%d fflags=%x", p.Frm, p.Fflags)
	return b.String()
}

// Minimize shrinks items while bad keeps holding: it deletes chunks of
// decreasing size, then replaces compound items by their inner items.
func Minimize(items []Item, bad func([]Item) bool) []Item {
	cur := append([]Item(nil), items...)
	for changed := true; changed; {
		changed = false
		for chunk := len(cur) / 2; chunk >= 1; chunk /= 2 {
			for i := 0; i+chunk <= len(cur); {
				try := append(append([]Item(nil), cur[:i]...), cur[i+chunk:]...)
				if bad(try) {
					cur, changed = try, true
				} else {
					i += chunk
				}
			}
		}
		for i := 0; i < len(cur); i++ {
			if len(cur[i].Inner) == 0 {
				continue
			}
			try := append(append(append([]Item(nil), cur[:i]...), cur[i].Inner...), cur[i+1:]...)
			if bad(try) {
				cur, changed = try, true
			}
		}
	}
	return cur
}

func TestFPEdgeMatrix(t *testing.T) {
	bin := setup(t)
	dir, done := workDir(t)
	failed := false
	defer func() { done(failed) }()
	ctx := context.Background()
	parts := FPMatrix()
	type res struct {
		diffs []Diff
		err   error
	}
	results := make([]res, len(parts))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ds, err := runBoth(ctx, bin, dir, "fpmatrix-"+p.Name, p.Source(),
				func([]uint64) func(int) string { return p.WordName })
			results[i] = res{ds, err}
		}()
	}
	wg.Wait()
	total := 0
	for i, p := range parts {
		total += len(p.Names)
		r := results[i]
		if r.err != nil {
			failed = true
			t.Errorf("%s: %v", p.Name, r.err)
			continue
		}
		if len(r.diffs) == 0 {
			continue
		}
		failed = true
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %d of %d words differ (op rm operands: what)\n", p.Name, len(r.diffs), 2*len(p.Names))
		for j, d := range r.diffs {
			if j == 40 {
				fmt.Fprintf(&b, "    ... %d more\n", len(r.diffs)-j)
				break
			}
			fmt.Fprintf(&b, "    %s\n", d)
		}
		t.Error(b.String())
	}
	t.Logf("%d parts, %d operations compared", len(parts), total)
}
