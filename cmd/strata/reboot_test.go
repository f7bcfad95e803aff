package main

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strata/guest"
)

// TestGuestRebootReboots boots the Linux guest with the CLI, types reboot
// at its shell, waits for the second boot and powers off.
func TestGuestRebootReboots(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	p, err := guest.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "strata")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	cmd := exec.CommandContext(ctx, bin, "vm", "run", "--kernel", p.Kernel, "--initrd", p.Initramfs, "--append", guest.Cmdline)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	banners := 0
	sc := bufio.NewScanner(io.TeeReader(stdout, &log))
	for sc.Scan() {
		if strings.Contains(sc.Text(), guest.Banner) {
			banners++
			if banners == 1 {
				io.WriteString(stdin, "reboot\r")
			} else {
				io.WriteString(stdin, "poweroff\r")
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("strata: %v\n%s", err, log.String())
	}
	if banners != 2 {
		t.Fatalf("saw %d boots, want 2:\n%s", banners, log.String())
	}
}
