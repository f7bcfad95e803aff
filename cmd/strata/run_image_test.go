package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"strata/ctr/ctrtest"
	"strata/image"
	"strata/image/build"
	"strata/image/snapshot"
)

// imageEnv is a store root holding busybox:test (busybox-static with an
// /etc/passwd and /etc/group) and app:test built from it by a Dockerfile.
type imageEnv struct {
	t    *testing.T
	root string
}

func newImageEnv(t *testing.T) *imageEnv {
	t.Helper()
	e := &imageEnv{t: t, root: t.TempDir()}
	bundle := ctrtest.Bundle(t, ctrtest.Spec("true"))
	rootfs := filepath.Join(bundle, "rootfs")
	os.MkdirAll(filepath.Join(rootfs, "etc"), 0o755)
	os.WriteFile(filepath.Join(rootfs, "etc", "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(rootfs, "etc", "group"), []byte("root:x:0:\napp:x:1000:\nstaff:x:50:app\n"), 0o644)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.Walk(rootfs, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == rootfs {
			return err
		}
		rel, _ := filepath.Rel(rootfs, p)
		link := ""
		if fi.Mode()&os.ModeSymlink != 0 {
			link, _ = os.Readlink(p)
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = rel
		if fi.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	})
	if err != nil || tw.Close() != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := image.Open(e.root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(ctx, &buf, "busybox:test", image.HistoryOptions{CreatedBy: "test import"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(`FROM busybox:test
ENV GREETING=hello
WORKDIR /work
RUN echo built > /work/file
LABEL org.example.role=test
USER app
CMD ["sh", "-c", "echo $GREETING; pwd; id -u; id -G; cat /work/file"]
`), 0o644)
	if _, err := build.Build(ctx, st, build.Options{ContextDir: dir, Tags: []string{"app:test"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Nothing of the containers may stay mounted or in the store.
		mi, _ := os.ReadFile("/proc/self/mountinfo")
		for _, l := range strings.Split(string(mi), "\n") {
			if strings.Contains(l, filepath.Join(e.root, "bundles")) {
				t.Errorf("left mounted: %s", l)
			}
		}
		sn, err := st.Snapshotter("auto")
		if err != nil {
			t.Fatal(err)
		}
		// Active snapshots are containers' (build steps commit theirs).
		for _, k := range activeSnapshots(t, sn) {
			t.Errorf("container snapshot %s left", k)
		}
		ctrtest.CheckClean(t, filepath.Join(e.root, "state"), nil, nil)
	})
	return e
}

// strata runs a strata command with --root in-process.
func (e *imageEnv) strata(args ...string) (string, string, error) {
	e.t.Helper()
	root := &cobra.Command{Use: "strata", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newRunCmd(), newPsCmd(), newLogsCmd(), newStopCmd(), newRmCmd(), newExecCmd())
	root.SetArgs(append([]string{args[0], "--root", e.root}, args[1:]...))
	var out, errb bytes.Buffer
	root.SetIn(strings.NewReader(""))
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	return out.String(), errb.String(), err
}

func TestRunImage(t *testing.T) {
	e := newImageEnv(t)
	// The image's CMD, ENV, WORKDIR and USER (a name: uid, gid and the
	// supplementary group from the image's /etc/group).
	out, errs, err := e.strata("run", "--rm", "app:test")
	if want := "hello\n/work\n1000\n1000 50\nbuilt\n"; err != nil || out != want {
		t.Fatalf("run app:test: %q, %v (stderr %q); want %q", out, err, errs, want)
	}
	// A command after the image replaces CMD; flags override the rest.
	out, errs, err = e.strata("run", "--rm", "--user", "0", "--workdir", "/", "-e", "GREETING=hi", "app:test", "sh", "-c", "echo $GREETING; id -u; pwd")
	if want := "hi\n0\n/\n"; err != nil || out != want {
		t.Fatalf("run with overrides: %q, %v (stderr %q); want %q", out, err, errs, want)
	}
	// A detached container's changes live in its own snapshot: another
	// container from the same image does not see them; rm removes it.
	if _, errs, err := e.strata("run", "-d", "--name", "one", "--user", "0", "app:test", "sh", "-c", "echo mine > /work/new; sleep 1000"); err != nil {
		t.Fatalf("run -d: %v (stderr %q)", err, errs)
	}
	var last string
	waitFor(t, func() bool {
		out, errs, err := e.strata("exec", "one", "--", "cat", "/work/new")
		last = fmt.Sprintf("%q %q %v", out, errs, err)
		return err == nil && out == "mine\n"
	}, &last)
	out, _, err = e.strata("run", "--rm", "app:test", "sh", "-c", "test -e /work/new && echo leaked || echo clean")
	if err != nil || out != "clean\n" {
		t.Fatalf("second container sees the first's file: %q %v", out, err)
	}
	if _, errs, err := e.strata("rm", "-f", "one"); err != nil {
		t.Fatalf("rm -f: %v (stderr %q)", err, errs)
	}
	// Errors: a missing image, a bad user name; nothing is left.
	if _, _, err := e.strata("run", "--rm", "nosuch:image"); err == nil || !strings.Contains(err.Error(), "strata pull") {
		t.Fatalf("missing image: %v", err)
	}
	if _, _, err := e.strata("run", "--rm", "--user", "nobody", "app:test"); err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Fatalf("unknown user: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(e.root, "bundles")); len(entries) != 0 {
		t.Fatalf("bundles left: %v", entries)
	}
}

func waitFor(t *testing.T, ok func() bool, last *string) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("condition not reached; last: %s", *last)
}

// activeSnapshots lists the active (container) snapshots of sn.
func activeSnapshots(t *testing.T, sn snapshot.Snapshotter) []string {
	var keys []string
	err := sn.Walk(context.Background(), func(i snapshot.Info) error {
		if i.Kind == snapshot.KindActive {
			keys = append(keys, i.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestRoundTripScript runs examples/image/roundtrip.sh — the README's
// build → push → pull → run — with the built binary against Debian's
// docker-registry on a free loopback port.
func TestRoundTripScript(t *testing.T) {
	if _, err := exec.LookPath("docker-registry"); err != nil {
		t.Fatal("docker-registry is missing: apt-get install docker-registry (scripts/setup.sh does)")
	}
	bin := filepath.Join(t.TempDir(), "strata")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cmd := exec.Command("bash", "../../examples/image/roundtrip.sh", bin)
	cmd.Env = append(os.Environ(), "PORT="+port)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "\nbuilt by strata\n") || !strings.Contains(string(out), "1 layers fetched") && !strings.Contains(string(out), "2 layers fetched") {
		t.Fatalf("roundtrip.sh: %v\n%s", err, out)
	}
}
