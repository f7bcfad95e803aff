package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"strata/ctr/ctrtest"
	"strata/image"
	"strata/image/registry/registrytest"
)

func TestBuildCommand(t *testing.T) {
	bin, err := os.ReadFile(ctrtest.Busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	root, dir := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dir, "busybox"), bin, 0o755)
	os.WriteFile(filepath.Join(dir, "Dockerfile.app"), []byte(`FROM scratch
ARG WHO=nobody
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox echo hi $WHO > /hi"]
CMD ["/bin/busybox", "cat", "/hi"]
`), 0o644)
	args := []string{"--root", root, "-f", filepath.Join(dir, "Dockerfile.app"), "-t", "app:1", "--build-arg", "WHO=you", "--snapshotter", "copy", dir}
	out, err := execCmd(t, newBuildCmd(), args...)
	if err != nil || strings.TrimSpace(out) != "docker.io/library/app:1" {
		t.Fatalf("build: %q %v", out, err)
	}
	st, err := image.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := st.Resolve(context.Background(), "app:1")
	if err != nil {
		t.Fatal(err)
	}
	// Unchanged: the same image, every step from the cache.
	c := newBuildCmd()
	var log strings.Builder
	c.SetErr(&log)
	c.SetOut(&strings.Builder{})
	c.SetArgs(args)
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(log.String(), "(cached)"); n != 2 {
		t.Errorf("rebuild: %d cached steps, want 2\n%s", n, log.String())
	}
	again, _ := st.Resolve(context.Background(), "app:1")
	if again.Digest != desc.Digest {
		t.Errorf("unchanged rebuild gave %s, first build %s", again.Digest, desc.Digest)
	}
	for _, bad := range [][]string{{"--build-arg", "novalue", dir}, {"--network", "bridge", dir}, {"-t", "Bad Name", dir}, {filepath.Join(dir, "missing")}, {"--snapshotter", "zfs", dir}} {
		if _, err := execCmd(t, newBuildCmd(), append([]string{"--root", root}, bad...)...); err == nil {
			t.Errorf("build %q accepted", bad)
		}
	}
}

// TestBuildPushPullRun is the round trip: build an image, push it to a
// registry, pull it into another store (unpacking its root filesystem) and
// run a container from that root filesystem. (strata run IMAGE, from the
// store's snapshots, is the front door's; this uses --rootfs.)
func TestBuildPushPullRun(t *testing.T) {
	bin, err := os.ReadFile(ctrtest.Busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registrytest.Start(context.Background(), t.TempDir(), registrytest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	rootA, rootB, dir := t.TempDir(), t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dir, "busybox"), bin, 0o755)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(`FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN echo "round trip ok" > /msg
ENV GREETING=hello
CMD ["sh", "-c", "cat /msg; echo $GREETING"]
`), 0o644)
	ref := reg.Addr + "/demo/app:1"
	if out, err := execCmd(t, newBuildCmd(), "-q", "--root", rootA, "-t", ref, dir); err != nil {
		t.Fatalf("build: %v %s", err, out)
	}
	if out, err := execCmd(t, newPushCmd(), "--root", rootA, ref); err != nil {
		t.Fatalf("push: %v %s", err, out)
	}
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	if out, err := execCmd(t, newPullCmd(), "--root", rootB, "--unpack", rootfs, ref); err != nil {
		t.Fatalf("pull: %v %s", err, out)
	}
	st, err := image.Open(rootB)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := st.Config(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--rm", "--root", filepath.Join(rootB, "containers"), "--rootfs", rootfs, "--name", fmt.Sprintf("roundtrip-%d", os.Getpid())}
	for _, e := range cfg.Config.Env {
		args = append(args, "--env", e)
	}
	args = append(append(args, "--"), cfg.Config.Cmd...)
	out, err := execCmd(t, newRunCmd(), args...)
	if err != nil {
		t.Fatalf("run: %v (output %q)", err, out)
	}
	if out != "round trip ok\nhello\n" {
		t.Errorf("run printed %q", out)
	}
}
