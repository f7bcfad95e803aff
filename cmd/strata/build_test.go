package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"strata/ctr/ctrtest"
	"strata/image"
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
