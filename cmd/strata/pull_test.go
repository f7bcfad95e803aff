package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/spf13/cobra"

	"strata/image"
	"strata/image/registry/registrytest"
)

// execCmd runs a cobra command in-process and returns stdout and the error.
func execCmd(t *testing.T, c *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	c.SetArgs(args)
	c.SetOut(&out)
	c.SetErr(&errb)
	c.SilenceUsage, c.SilenceErrors = true, true
	err := c.Execute()
	return out.String(), err
}

func TestPushPullCommands(t *testing.T) {
	ctx := context.Background()
	reg, err := registrytest.Start(ctx, t.TempDir(), registrytest.Options{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	srcRoot, dstRoot := t.TempDir(), t.TempDir()
	src, err := image.Open(srcRoot)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := random.Image(4096, 2)
	desc, err := src.WriteImage(ctx, img, "demo:1")
	if err != nil {
		t.Fatal(err)
	}
	dest := reg.Addr + "/demo:1"
	if _, err := execCmd(t, newPushCmd(), "--root", srcRoot, "demo:1", dest); err == nil || !strings.Contains(err.Error(), "--creds") {
		t.Fatalf("push without creds: %v", err)
	}
	out, err := execCmd(t, newPushCmd(), "--root", srcRoot, "--creds", "u:p", "demo:1", dest)
	if err != nil || !strings.Contains(out, "pushed "+dest) {
		t.Fatalf("push: %q %v", out, err)
	}
	out, err = execCmd(t, newPullCmd(), "--root", dstRoot, "--creds", "u:p", dest)
	if err != nil || !strings.Contains(out, desc.Digest.String()) || !strings.Contains(out, "2 layers fetched") {
		t.Fatalf("pull: %q %v", out, err)
	}
	dst, _ := image.Open(dstRoot)
	if got, err := dst.Resolve(ctx, dest); err != nil || got.Digest != desc.Digest {
		t.Fatalf("pulled image resolves to %v, %v", got.Digest, err)
	}
	for _, bad := range [][]string{{"--creds", "nocolon", dest}, {"--platform", "linux", dest}, {"--jobs", "0", dest}} {
		if _, err := execCmd(t, newPullCmd(), append([]string{"--root", dstRoot}, bad...)...); err == nil {
			t.Errorf("pull %q accepted", bad)
		}
	}
}
