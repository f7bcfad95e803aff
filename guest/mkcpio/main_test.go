package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in:it")
	if err := os.WriteFile(src, []byte("payload"), 0o700); err != nil {
		t.Fatal(err)
	}
	ops := []op{
		{"dir", "proc"},
		{"node", "dev/console=c:5:1:0600"},
		{"file", "init=" + src + ":0755"},
		{"file", "sbin/x=" + src},
		{"symlink", "bin/sh=/init"},
	}
	a, err := build(ops)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := build(ops)
	if !bytes.Equal(a, b) {
		t.Fatal("not deterministic")
	}
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Fatal("cpio not found: install the Debian package cpio (make setup)")
	}
	cmd := exec.Command("cpio", "-t", "-v", "--quiet")
	cmd.Stdin = bytes.NewReader(a)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var names []string
	for _, l := range lines {
		_, name, _ := strings.Cut(l, " 1970 ")
		names = append(names, l[:1]+" "+name)
	}
	want := []string{"d proc", "d dev", "c dev/console", "- init", "d sbin", "- sbin/x", "d bin", "l bin/sh -> /init"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Fatalf("entries:\n%s\nwant %q", out, want)
	}
	if !strings.Contains(lines[3], "-rwxr-xr-x") || !strings.Contains(lines[5], "-rwx------") {
		t.Errorf("modes wrong:\n%s", out)
	}
	for _, bad := range [][]op{{{"node", "x=q:1:2"}}, {{"dir", ":0755"}}, {{"file", "x=/nonexistent"}}, {{"dir", "d:999"}}} {
		if _, err := build(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
