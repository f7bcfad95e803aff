// Command imagecmp benchmarks strata's registry pull + unpack against
// skopeo copy + umoci unpack, and times warm-cache `strata build`.
//
// It starts Debian's docker-registry on 127.0.0.1, pushes a generated
// multi-layer image (default 5 layers, ~200 MiB uncompressed, a mix of
// compressible and incompressible files), then alternates, run by run:
//
//   - strata: `strata pull --root FRESH --unpack DIR REF` (parallel layer
//     fetch, each layer applied as soon as it and those below it arrived);
//   - skopeo+umoci: `skopeo copy docker://REF oci:LAYOUT:img` then
//     `umoci unpack --image LAYOUT:img BUNDLE`.
//
// Every run starts from empty directories. It checks that both trees hold
// the same files, prints medians and the ratio, then times `strata build`
// of a small Dockerfile FROM the image with everything cached.
//
// Usage:
//
//	go run ./bench/imagecmp [-runs 5] [-layers 5] [-mib 200] [-builds 10] [-o report.md]
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"strata/bench/internal/hostinfo"
	"strata/image/registry"
	"strata/image/registry/registrytest"
)

type config struct {
	runs, layers, mib, builds int
	strata, out               string
	keep                      bool
}

func main() {
	var c config
	flag.IntVar(&c.runs, "runs", 5, "pull+unpack runs of each tool, interleaved")
	flag.IntVar(&c.layers, "layers", 5, "layers in the generated image")
	flag.IntVar(&c.mib, "mib", 200, "uncompressed image size in MiB")
	flag.IntVar(&c.builds, "builds", 10, "warm-cache strata build runs")
	flag.StringVar(&c.strata, "strata", "", "strata binary (default: go build ./cmd/strata into the work directory)")
	flag.StringVar(&c.out, "o", "", "also write the markdown report to this file")
	flag.BoolVar(&c.keep, "keep", false, "keep the work directory and print its path")
	flag.Parse()
	if flag.NArg() != 0 || c.runs < 1 || c.layers < 1 || c.mib < 1 || c.builds < 1 {
		fatalf("usage: imagecmp [-runs N] [-layers N] [-mib N] [-builds N] [-strata PATH] [-o FILE] [-keep]")
	}
	if err := run(c); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "imagecmp: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "imagecmp: "+format+"\n", args...)
}

func run(c config) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root (strata build runs containers; umoci unpack keeps ownership)")
	}
	skopeo, err := hostinfo.Need("skopeo", "skopeo")
	if err != nil {
		return err
	}
	umoci, err := hostinfo.Need("umoci", "umoci")
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "imagecmp-")
	if err != nil {
		return err
	}
	if c.keep {
		logf("work directory %s", work)
	} else {
		defer os.RemoveAll(work)
	}
	strata := c.strata
	if strata == "" {
		root, err := hostinfo.ModuleRoot()
		if err != nil {
			return err
		}
		strata = filepath.Join(work, "strata")
		logf("building strata")
		cmd := exec.Command("go", "build", "-o", strata, "./cmd/strata")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/strata: %v\n%s", err, out)
		}
	}
	ctx := context.Background()
	reg, err := registrytest.Start(ctx, filepath.Join(work, "registry"), registrytest.Options{})
	if err != nil {
		return err
	}
	defer reg.Close()

	logf("generating a %d-layer %d MiB image", c.layers, c.mib)
	img, files, err := generate(c.layers, int64(c.mib)<<20)
	if err != nil {
		return err
	}
	ref := reg.Addr + "/bench/image:1"
	if _, err := registry.PushImage(ctx, img, ref, registry.Options{}); err != nil {
		return err
	}
	compressed := int64(0)
	ls, _ := img.Layers()
	for _, l := range ls {
		n, _ := l.Size()
		compressed += n
	}

	var sTimes, kTimes, copyTimes, umociTimes []float64
	for i := 0; i < c.runs; i++ {
		order := []string{"strata", "skopeo"}
		if i%2 == 1 {
			order = []string{"skopeo", "strata"}
		}
		for _, who := range order {
			dir := filepath.Join(work, fmt.Sprintf("run-%d-%s", i, who))
			os.MkdirAll(dir, 0o755)
			var rootfs string
			switch who {
			case "strata":
				rootfs = filepath.Join(dir, "rootfs")
				d, err := timeCmd(strata, "pull", "-q", "--root", filepath.Join(dir, "root"), "--unpack", rootfs, ref)
				if err != nil {
					return err
				}
				sTimes = append(sTimes, d)
			case "skopeo":
				layout := filepath.Join(dir, "layout")
				d1, err := timeCmd(skopeo, "copy", "-q", "--src-tls-verify=false", "docker://"+ref, "oci:"+layout+":img")
				if err != nil {
					return err
				}
				d2, err := timeCmd(umoci, "unpack", "--image", layout+":img", filepath.Join(dir, "bundle"))
				if err != nil {
					return err
				}
				copyTimes, umociTimes = append(copyTimes, d1), append(umociTimes, d2)
				kTimes = append(kTimes, d1+d2)
				rootfs = filepath.Join(dir, "bundle", "rootfs")
			}
			if i == 0 {
				if err := checkTree(rootfs, files); err != nil {
					return fmt.Errorf("%s's tree: %w", who, err)
				}
			}
			os.RemoveAll(dir)
		}
		logf("run %d/%d: strata %.2fs, skopeo+umoci %.2fs", i+1, c.runs, sTimes[i], kTimes[i])
	}

	buildFirst, buildTimes, err := warmBuild(strata, work, ref, c.builds)
	if err != nil {
		return err
	}

	var rep strings.Builder
	fmt.Fprintf(&rep, "Host: %s, %d CPUs, load %s; %s.\n\n", hostinfo.CPU(), runtime.NumCPU(), hostinfo.LoadAvg(), time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&rep, "Image: %d layers, %d MiB uncompressed (%d files), %.0f MiB compressed, from docker-registry on 127.0.0.1; %d runs each, interleaved, medians.\n\n",
		c.layers, c.mib, len(files), float64(compressed)/(1<<20), c.runs)
	fmt.Fprintf(&rep, "| pull + unpack | median | runs |\n|---|---|---|\n")
	fmt.Fprintf(&rep, "| strata pull --unpack | %.2f s | %s |\n", hostinfo.Median(sTimes), list(sTimes))
	fmt.Fprintf(&rep, "| skopeo copy + umoci unpack | %.2f s | %s |\n", hostinfo.Median(kTimes), list(kTimes))
	fmt.Fprintf(&rep, "| — skopeo copy | %.2f s | %s |\n", hostinfo.Median(copyTimes), list(copyTimes))
	fmt.Fprintf(&rep, "| — umoci unpack | %.2f s | %s |\n\n", hostinfo.Median(umociTimes), list(umociTimes))
	fmt.Fprintf(&rep, "strata / (skopeo + umoci) = **%.2f** (below 1: strata is faster)\n\n", hostinfo.Median(sTimes)/hostinfo.Median(kTimes))
	fmt.Fprintf(&rep, "Warm-cache `strata build` (FROM the image, COPY, RUN, ENV, CMD; every step cached), whole command: median **%.3f s** over %d runs (%s); the first, uncached build took %.2f s.\n",
		hostinfo.Median(buildTimes), len(buildTimes), list(buildTimes), buildFirst)
	fmt.Print(rep.String())
	if c.out != "" {
		return os.WriteFile(c.out, []byte(rep.String()), 0o644)
	}
	return nil
}

func list(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.2f", x)
		if x < 0.1 {
			s[i] = fmt.Sprintf("%.3f", x)
		}
	}
	return strings.Join(s, ", ")
}

// timeCmd runs a command and returns its wall time in seconds.
func timeCmd(name string, args ...string) (float64, error) {
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start).Seconds()
	if err != nil {
		return 0, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return d, nil
}

// generate makes a reproducible image: layers of files from 1 KiB to
// 2 MiB, half random bytes (incompressible), half repetitive text. It
// returns the image and the final path → size of every file.
func generate(layers int, total int64) (v1.Image, map[string]int64, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	files := map[string]int64{}
	img := empty.Image
	per := total / int64(layers)
	for li := 0; li < layers; li++ {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		written := int64(0)
		dirs := map[string]bool{}
		for n := 0; written < per; n++ {
			size := int64(1<<10) + rng.Int64N(2<<20)
			if size > per-written {
				size = per - written
			}
			dir := fmt.Sprintf("layer%d/d%02d", li, n%32)
			if !dirs[dir] {
				for _, d := range []string{fmt.Sprintf("layer%d", li), dir} {
					if !dirs[d] {
						tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755})
						dirs[d] = true
					}
				}
			}
			name := fmt.Sprintf("%s/f%05d", dir, n)
			data := make([]byte, size)
			if n%2 == 0 {
				for i := range data {
					data[i] = byte(rng.Uint32())
				}
			} else {
				line := []byte(fmt.Sprintf("line of a text file in layer %d, number %d; ", li, n))
				for i := range data {
					data[i] = line[i%len(line)]
				}
			}
			if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: size}); err != nil {
				return nil, nil, err
			}
			tw.Write(data)
			files[name] = size
			written += size
		}
		tw.Close()
		data := buf.Bytes()
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		if err != nil {
			return nil, nil, err
		}
		// Compress once now, not on every push.
		if _, err := l.Digest(); err != nil {
			return nil, nil, err
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			return nil, nil, err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, nil, err
	}
	cf.OS, cf.Architecture = "linux", "amd64"
	img, err = mutate.ConfigFile(img, cf)
	return img, files, err
}

// checkTree verifies that every generated file is in rootfs with its size.
func checkTree(rootfs string, files map[string]int64) error {
	seen := 0
	err := filepath.WalkDir(rootfs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(rootfs, p)
		if want, ok := files[rel]; ok {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if fi.Size() != want {
				return fmt.Errorf("%s: %d bytes, want %d", rel, fi.Size(), want)
			}
			seen++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if seen != len(files) {
		return fmt.Errorf("%d of %d files present", seen, len(files))
	}
	return nil
}

// warmBuild builds a small Dockerfile FROM the image once, then times
// n unchanged rebuilds.
func warmBuild(strata, work, ref string, n int) (first float64, times []float64, err error) {
	root := filepath.Join(work, "build-root")
	dir := filepath.Join(work, "build-ctx")
	os.MkdirAll(dir, 0o755)
	bb := "/bin/busybox"
	bin, err := os.ReadFile(bb)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: install busybox-static: %w", bb, err)
	}
	os.WriteFile(filepath.Join(dir, "busybox"), bin, 0o755)
	os.WriteFile(filepath.Join(dir, "app.txt"), []byte("app\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+ref+`
COPY busybox /bin/busybox
COPY app.txt /app/
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox cp /app/app.txt /app/copy"]
ENV MODE=bench
CMD ["/bin/busybox", "cat", "/app/copy"]
`), 0o644)
	args := []string{"build", "-q", "--root", root, "-t", "bench/built:1", dir}
	if first, err = timeCmd(strata, args...); err != nil {
		return 0, nil, err
	}
	for i := 0; i < n; i++ {
		d, err := timeCmd(strata, args...)
		if err != nil {
			return 0, nil, err
		}
		times = append(times, d)
	}
	return first, times, nil
}
