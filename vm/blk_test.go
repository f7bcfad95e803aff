package vm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"strata/guest"
)

// TestLinuxVirtioBlk attaches an ext4 image made on the host, has the guest
// mount it, read a host file and write a new one, and checks the write on
// the host with debugfs.
func TestLinuxVirtioBlk(t *testing.T) {
	kernel, initrd := linuxGuest(t)
	for _, tool := range []string{"mkfs.ext4", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install the Debian package e2fsprogs (make setup does)", tool)
		}
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "host.txt"), []byte("written on the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "disk.img")
	if b, err := exec.Command("mkfs.ext4", "-q", "-F", "-d", src, img, "16M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, b)
	}
	script := guest.ScriptArg(
		"mount -t ext4 /dev/vda /mnt",
		"cat /mnt/host.txt",
		"write /mnt/guest.txt written in the guest",
		"ls /mnt",
	)
	out, res := runVirt(t, VirtConfig{Bios: BiosBuiltin, Kernel: kernel, Initrd: initrd,
		Append: guest.Cmdline + " " + script, Disks: []Disk{{Path: img}}})
	out = strings.ReplaceAll(out, "\r", "")
	if res.ExitCode != 0 || !strings.Contains(out, "written on the host") || !strings.Contains(out, "script done, 0 failed") {
		t.Fatalf("exit %d; console:\n%s", res.ExitCode, out)
	}
	got, err := exec.Command("debugfs", "-R", "cat /guest.txt", img).Output()
	if err != nil {
		t.Fatalf("debugfs: %v", err)
	}
	if string(got) != "written in the guest\n" {
		t.Fatalf("guest.txt on the host: %q", got)
	}
}
