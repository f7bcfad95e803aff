package build

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"strata/ctr/ctrtest"
	"strata/image/registry"
	"strata/image/registry/registrytest"
)

// tool returns a tool's path, failing (not skipping) with the Debian
// package to install when it is missing.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install %s (apt-get install -y %s; scripts/setup.sh does)", name, pkg, pkg)
	}
	return p
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestInteropSkopeoUmoci: an image strata built and pushed is copied by
// skopeo and unpacked by umoci; an image umoci made and skopeo pushed is
// pulled by strata and run in a RUN step (FROM it).
func TestInteropSkopeoUmoci(t *testing.T) {
	skopeo := tool(t, "skopeo", "skopeo")
	umoci := tool(t, "umoci", "umoci")
	ctx := context.Background()
	reg, err := registrytest.Start(ctx, t.TempDir(), registrytest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()

	// strata → registry → skopeo + umoci.
	e := newEnv(t)
	e.write(map[string]string{
		"Dockerfile":   "FROM busybox:test\nCOPY greeting.txt /srv/\nRUN echo built > /srv/built; rm /etc/group\nCMD [\"cat\", \"/srv/greeting.txt\"]\n",
		"greeting.txt": "hello from strata\n",
	})
	e.mustBuild("interop:1", nil)
	dest := reg.Addr + "/strata/interop:1"
	if _, err := registry.Push(ctx, e.st, "interop:1", dest, registry.Options{}); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	layout := filepath.Join(work, "layout")
	runTool(t, skopeo, "copy", "--src-tls-verify=false", "docker://"+dest, "oci:"+layout+":interop")
	bundle := filepath.Join(work, "bundle")
	runTool(t, umoci, "unpack", "--image", layout+":interop", bundle)
	rootfs := filepath.Join(bundle, "rootfs")
	if b, err := os.ReadFile(filepath.Join(rootfs, "srv/greeting.txt")); err != nil || string(b) != "hello from strata\n" {
		t.Errorf("umoci's rootfs: greeting %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(rootfs, "srv/built")); err != nil || string(b) != "built\n" {
		t.Errorf("umoci's rootfs: built %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "etc/group")); !os.IsNotExist(err) {
		t.Errorf("umoci's rootfs still has /etc/group (whiteout not honoured): %v", err)
	}
	if cfg, err := os.ReadFile(filepath.Join(bundle, "config.json")); err != nil || !strings.Contains(string(cfg), "/srv/greeting.txt") {
		t.Errorf("umoci's config.json lacks the image's CMD: %v", err)
	}

	// umoci → skopeo → registry → strata pull, and a RUN over it.
	bin, err := os.ReadFile(ctrtest.Busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	ulayout := filepath.Join(work, "umoci-layout")
	runTool(t, umoci, "init", "--layout", ulayout)
	runTool(t, umoci, "new", "--image", ulayout+":made")
	ubundle := filepath.Join(work, "umoci-bundle")
	runTool(t, umoci, "unpack", "--image", ulayout+":made", ubundle)
	ur := filepath.Join(ubundle, "rootfs")
	os.MkdirAll(filepath.Join(ur, "bin"), 0o755)
	os.WriteFile(filepath.Join(ur, "bin/busybox"), bin, 0o755)
	os.Symlink("busybox", filepath.Join(ur, "bin/sh"))
	os.Symlink("busybox", filepath.Join(ur, "bin/cat"))
	os.WriteFile(filepath.Join(ur, "hello"), []byte("made by umoci\n"), 0o644)
	runTool(t, umoci, "repack", "--image", ulayout+":made", ubundle)
	runTool(t, umoci, "config", "--image", ulayout+":made", "--config.env", "PATH=/bin")
	udest := reg.Addr + "/umoci/made:1"
	runTool(t, skopeo, "copy", "--dest-tls-verify=false", "oci:"+ulayout+":made", "docker://"+udest)

	res, err := registry.Pull(ctx, e.st, udest, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Fetched != 1 {
		t.Errorf("pulled %d layers, want 1", res.Fetched)
	}
	e.write(map[string]string{"Dockerfile": "FROM " + udest + "\nRUN cat /hello > /seen\n"})
	e.mustBuild("over-umoci:1", nil)
	files, _ := e.files("over-umoci:1")
	if files["/seen"] != "made by umoci\n" {
		t.Errorf("RUN over the umoci image read %q", files["/seen"])
	}
	e.fsck()
}
