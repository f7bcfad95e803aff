package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestBenchBuiltins(t *testing.T) {
	dir := t.TempDir()
	dat := filepath.Join(dir, "bench.dat")
	// A "disk": 2 MiB of known bytes.
	disk := make([]byte, 2<<20)
	fillRandom(disk, 42)
	dev := filepath.Join(dir, "vda")
	if err := os.WriteFile(dev, disk, 0o644); err != nil {
		t.Fatal(err)
	}
	first := sha256.Sum256(disk[:1<<20])
	for _, tc := range []struct {
		cmd  string
		want string // regexp for the result line
	}{
		{"bench-sha256 2 " + dat, `^strata-bench sha256 bytes=2097152 ms=[0-9.]+ mbps=[0-9.]+ gen_ms=[0-9.]+ sum=[0-9a-f]{64}$`},
		{"bench-int 1000", `^strata-bench int n=1000 ms=[0-9.]+ mops=[0-9.]+ sum=` + fmt.Sprintf("%016x", IntLoop(1000)) + `$`},
		{"bench-sort 1000", `^strata-bench sort n=1000 ms=[0-9.]+ sum=` + fmt.Sprintf("%016x", SortSum(1000)) + `$`},
		// tmpfs may refuse O_DIRECT; bench-blk then falls back to plain reads.
		{"bench-blk " + dev + " 2", `^strata-bench blk bytes=2097152 ms=[0-9.]+ mbps=[0-9.]+ direct=[01]\nstrata-bench blk-check sum=` + fmt.Sprintf("%x", first) + `$`},
	} {
		var out bytes.Buffer
		s := NewShell(&out, strings.NewReader(""))
		if st := s.Run(tc.cmd); st != 0 {
			t.Errorf("%s: status %d: %s", tc.cmd, st, out.String())
			continue
		}
		lines := strings.SplitN(strings.TrimSpace(out.String()), "\n", 2)
		name := strings.TrimPrefix(strings.Fields(tc.cmd)[0], "bench-")
		if len(lines) != 2 || lines[0] != "strata-bench "+name+" start" || !regexp.MustCompile(tc.want).MatchString(lines[1]) {
			t.Errorf("%s printed %q; want a start line and one matching %s", tc.cmd, lines, tc.want)
		}
	}
	// The generated file is the same stream as fillRandom's.
	b, err := os.ReadFile(dat)
	if err != nil || len(b) != 2<<20 {
		t.Fatalf("bench.dat: %d bytes, %v", len(b), err)
	}
	for _, bad := range []string{"bench-int", "bench-int 0", "bench-sort x", "bench-blk /nonexistent 1", "bench-sha256 0"} {
		var out bytes.Buffer
		if st := NewShell(&out, strings.NewReader("")).Run(bad); st == 0 {
			t.Errorf("%q succeeded: %s", bad, out.String())
		}
	}
}
