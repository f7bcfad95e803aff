package snapshot

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"strata/image/archive"
)

// drivers are the snapshotters every conformance test runs against.
var drivers = []struct {
	name string
	open func(dir string) (Snapshotter, error)
}{
	{"overlay", func(d string) (Snapshotter, error) { return NewOverlay(d) }},
	{"copy", func(d string) (Snapshotter, error) { return NewCopy(d) }},
}

func forEachDriver(t *testing.T, fn func(t *testing.T, sn Snapshotter)) {
	for _, d := range drivers {
		t.Run(d.name, func(t *testing.T) {
			sn, err := d.open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if sn.Name() != d.name {
				t.Fatalf("Name() = %q", sn.Name())
			}
			fn(t, sn)
		})
	}
}

type tent struct{ name, body string } // body "<dir>" makes a directory

func layerTar(t *testing.T, ents ...tent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(e.body))}
		if e.body == "<dir>" {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

// commitLayer applies a layer on parent and commits it as key.
func commitLayer(t *testing.T, sn Snapshotter, key, parent string, layer []byte) {
	t.Helper()
	ctx := context.Background()
	if _, err := sn.Prepare(ctx, "extract-"+key, parent); err != nil {
		t.Fatal(err)
	}
	dir, err := sn.UpperDir(ctx, "extract-"+key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := archive.Apply(ctx, dir, bytes.NewReader(layer), archive.Options{Whiteouts: sn.Whiteouts()}); err != nil {
		t.Fatal(err)
	}
	if err := sn.Commit(ctx, key, "extract-"+key); err != nil {
		t.Fatal(err)
	}
}

// withMounted mounts key's mounts on a temp dir for fn.
func withMounted(t *testing.T, sn Snapshotter, key string, fn func(root string)) {
	t.Helper()
	ms, err := sn.Mounts(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	if err := MountAll(ms, target); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := Unmount(target); err != nil {
			t.Error(err)
		}
	}()
	fn(target)
}

func readFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel := strings.TrimPrefix(p, root)
		if d.IsDir() {
			out[rel] = "<dir>"
			return nil
		}
		b, _ := os.ReadFile(p)
		out[rel] = string(b)
		return nil
	})
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestConformanceLayersAndViews(t *testing.T) {
	forEachDriver(t, func(t *testing.T, sn Snapshotter) {
		ctx := context.Background()
		commitLayer(t, sn, "l1", "", layerTar(t, tent{"etc", "<dir>"}, tent{"etc/a", "a1"}, tent{"etc/b", "b1"}, tent{"opq", "<dir>"}, tent{"opq/old", "o"}))
		commitLayer(t, sn, "l2", "l1", layerTar(t, tent{"etc/.wh.a", ""}, tent{"etc/b", "b2"}, tent{"opq/.wh..wh..opq", ""}, tent{"opq/new", "n"}, tent{"bin", "<dir>"}, tent{"bin/sh", "sh"}))
		want := map[string]string{"/etc": "<dir>", "/etc/b": "b2", "/opq": "<dir>", "/opq/new": "n", "/bin": "<dir>", "/bin/sh": "sh"}
		if _, err := sn.View(ctx, "v", "l2"); err != nil {
			t.Fatal(err)
		}
		withMounted(t, sn, "v", func(root string) {
			if got := readFiles(t, root); !equalMaps(got, want) {
				t.Errorf("view of l2 = %v, want %v", got, want)
			}
			if err := os.WriteFile(filepath.Join(root, "x"), nil, 0o644); err == nil {
				t.Error("a view is writable")
			}
		})
		// The lower layer is untouched.
		if _, err := sn.View(ctx, "v1", "l1"); err != nil {
			t.Fatal(err)
		}
		withMounted(t, sn, "v1", func(root string) {
			got := readFiles(t, root)
			if got["/etc/a"] != "a1" || got["/etc/b"] != "b1" || got["/opq/old"] != "o" {
				t.Errorf("view of l1 = %v", got)
			}
		})
		info, err := sn.Stat(ctx, "l2")
		if err != nil || info.Kind != KindCommitted || info.Parent != "l1" {
			t.Errorf("Stat(l2) = %+v, %v", info, err)
		}
		var keys []string
		sn.Walk(ctx, func(i Info) error { keys = append(keys, i.Key+"/"+i.Kind.String()); return nil })
		if strings.Join(keys, " ") != "l1/committed l2/committed v/view v1/view" {
			t.Errorf("Walk = %v", keys)
		}
	})
}

func TestConformanceActiveIsolationAndChanges(t *testing.T) {
	forEachDriver(t, func(t *testing.T, sn Snapshotter) {
		ctx := context.Background()
		commitLayer(t, sn, "base", "", layerTar(t, tent{"etc", "<dir>"}, tent{"etc/keep", "k"}, tent{"etc/mod", "m1"}, tent{"etc/del", "d"}, tent{"var", "<dir>"}, tent{"var/lib", "<dir>"}, tent{"var/lib/x", "x"}))
		for _, k := range []string{"c1", "c2"} {
			if _, err := sn.Prepare(ctx, k, "base"); err != nil {
				t.Fatal(err)
			}
		}
		withMounted(t, sn, "c1", func(root string) {
			must(t, os.WriteFile(filepath.Join(root, "etc/mod"), []byte("m2"), 0o644))
			must(t, os.Remove(filepath.Join(root, "etc/del")))
			must(t, os.WriteFile(filepath.Join(root, "new"), []byte("n"), 0o644))
			must(t, os.RemoveAll(filepath.Join(root, "var/lib")))
		})
		withMounted(t, sn, "c2", func(root string) {
			got := readFiles(t, root)
			if got["/etc/mod"] != "m1" || got["/etc/del"] != "d" || got["/new"] != "" {
				t.Errorf("c2 sees c1's writes: %v", got)
			}
		})
		chs, err := sn.Changes(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range chs {
			got = append(got, c.Kind.String()+" "+c.Path)
		}
		want := "C /etc D /etc/del C /etc/mod A /new C /var D /var/lib"
		if g := strings.Join(sortedChanges(got), " "); g != want {
			t.Errorf("Changes = %q, want %q", g, want)
		}
		u, err := sn.Usage(ctx, "c1")
		if err != nil || u.Size < 3 {
			t.Errorf("Usage = %+v, %v", u, err)
		}
		if err := sn.Commit(ctx, "c1-img", "c1"); err != nil {
			t.Fatal(err)
		}
		if _, err := sn.Stat(ctx, "c1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("committed key still there: %v", err)
		}
	})
}

// sortedChanges orders "K /path" strings by path, keeping A/C/D kinds.
func sortedChanges(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j][2:] < out[i][2:] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestConformanceErrors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, sn Snapshotter) {
		ctx := context.Background()
		commitLayer(t, sn, "base", "", layerTar(t, tent{"f", "x"}))
		if _, err := sn.Prepare(ctx, "act", "base"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			err  error
			want error
		}{
			{"prepare existing key", second(sn.Prepare(ctx, "act", "base")), ErrAlreadyExists},
			{"parent not committed", second(sn.Prepare(ctx, "x", "act")), ErrNotCommitted},
			{"missing parent", second(sn.Prepare(ctx, "y", "nope")), ErrNotFound},
			{"commit a committed snapshot", sn.Commit(ctx, "z", "base"), ErrNotActive},
			{"commit onto an existing name", sn.Commit(ctx, "base", "act"), ErrAlreadyExists},
			{"remove a parent", sn.Remove(ctx, "base"), ErrHasChildren},
			{"remove unknown", sn.Remove(ctx, "nope"), ErrNotFound},
			{"stat unknown", second(sn.Stat(ctx, "nope")), ErrNotFound},
			{"upper of a committed snapshot", second(sn.UpperDir(ctx, "base")), ErrNotActive},
		}
		for _, tt := range tests {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
			}
		}
		// Failed calls left nothing behind; removal in order works.
		must(t, sn.Remove(ctx, "act"))
		must(t, sn.Remove(ctx, "base"))
		n := 0
		sn.Walk(ctx, func(Info) error { n++; return nil })
		if n != 0 {
			t.Errorf("%d snapshots left", n)
		}
	})
}

func second[T any](_ T, err error) error { return err }
