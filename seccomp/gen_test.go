package seccomp

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedTablesUpToDate regenerates zsyscalls.go from this machine's
// headers and compares it with the committed file.
func TestGeneratedTablesUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, f := range []string{"/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/riscv64-linux-gnu/include/asm/unistd.h"} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("headers missing: %v", err)
		}
	}
	if _, err := exec.LookPath("cpp"); err != nil {
		t.Skip("no cpp")
	}
	out := filepath.Join(t.TempDir(), "z.go")
	if b, err := exec.Command("go", "run", "./internal/mksyscalls", "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("mksyscalls: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("zsyscalls.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("zsyscalls.go is stale: run go generate ./seccomp")
	}
}
