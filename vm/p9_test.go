package vm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"strata/guest"
)

// TestLinux9P boots the Linux guest with two virtio-9p shares of temp
// directories: the script mounts the writable one, reads a host file,
// writes a new one and lists the directory; the host then sees the guest's
// file. On the read-only share the guest can read but a write fails, and
// the host directory is unchanged. Host symlinks leading out of the share
// (absolute and "../") are resolved by the guest in its own namespace: the
// host file they name is never read, and a write through one lands in the
// guest's root file system, not next to the share.
func TestLinux9P(t *testing.T) {
	kernel, initrd := linuxGuest(t)
	parent, roDir := t.TempDir(), t.TempDir()
	dir := filepath.Join(parent, "share")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Host symlinks pointing outside the share: the guest resolves them in
	// its own namespace, never on the host.
	secret := filepath.Join(parent, "secret.txt")
	if err := os.WriteFile(secret, []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"abs": secret, "up": "../secret.txt", "upnew": "../created.txt"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(roDir, "ro.txt"), []byte("read-only data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file larger than the negotiated msize exercises multi-message
	// (zero-copy) reads.
	big := make([]byte, 700<<10+123)
	for i := range big {
		big[i] = byte(rand.Uint32())
	}
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(big)
	script := guest.ScriptArg(
		"mkdir -p /mnt /ro",
		"mount -t 9p -o trans=virtio,version=9p2000.L hostshare /mnt",
		"cat /mnt/hello.txt",
		"write /mnt/from-guest.txt written by the guest",
		"ls /mnt",
		"cat /mnt/from-guest.txt",
		"sha256sum /mnt/big.bin",
		"mkdir -p /mnt/sub/deeper",
		"write /mnt/sub/deeper/nested.txt nested",
		"cat /mnt/abs",
		"cat /mnt/up",
		"write /mnt/upnew lands in the guest root",
		"cat /created.txt",
		"mount -t 9p -o trans=virtio,version=9p2000.L rodata /ro",
		"cat /ro/ro.txt",
		"write /ro/nope.txt must fail",
	)
	cfg := VirtConfig{
		Kernel: kernel, Initrd: initrd, Append: guest.Cmdline + " " + script,
		Shares: []Share{{Dir: dir, Tag: "hostshare"}, {Dir: roDir, Tag: "rodata", ReadOnly: true}},
	}
	start := time.Now()
	out, res := runVirt(t, cfg)
	out = strings.ReplaceAll(out, "\r", "")
	for _, want := range []string{
		"# cat /mnt/hello.txt\nhello from the host\n",
		" from-guest.txt\n",
		"# cat /mnt/from-guest.txt\nwritten by the guest\n",
		"# cat /ro/ro.txt\nread-only data\n",
		hex.EncodeToString(sum[:]),
		"read-only file system",
		"# cat /created.txt\nlands in the guest root\n",
		"strata guest: script done, 3 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "from-guest.txt"))
	if err != nil || string(b) != "written by the guest\n" {
		t.Errorf("host sees from-guest.txt = %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "sub/deeper/nested.txt")); err != nil || string(b) != "nested\n" {
		t.Errorf("host sees sub/deeper/nested.txt = %q, %v", b, err)
	}
	if strings.Contains(out, "host secret") {
		t.Error("the guest read a host file outside the share")
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 2 {
		t.Errorf("the share's parent has %d entries", len(ents))
	}
	if ents, _ := os.ReadDir(roDir); len(ents) != 1 {
		t.Errorf("read-only share has %d entries", len(ents))
	}
	if res.ExitCode != 0 || t.Failed() {
		t.Fatalf("exit %d; console:\n%s", res.ExitCode, out)
	}
	t.Logf("powered off after %v wall, %d instructions", time.Since(start), res.Instret)
}

// TestShareSnapshot checks that a snapshot records the shares (by path,
// like disks): the restored board has the same 9p devices, so the
// transports' states load into the right slots.
func TestShareSnapshot(t *testing.T) {
	payload := buildRaw(t, "snap_count", "0x80200000")
	shares := []Share{{Dir: t.TempDir(), Tag: "a"}, {Dir: t.TempDir(), Tag: "b", ReadOnly: true}}
	m, err := NewVirt(VirtConfig{Kernel: payload, MemSize: 16 << 20, MaxInsns: 1000, Shares: shares})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Run(context.Background()); !errors.Is(err, ErrInsnLimit) {
		t.Fatalf("run: %v", err)
	}
	var snap bytes.Buffer
	if err := m.Snapshot(&snap); err != nil {
		t.Fatal(err)
	}
	r, err := RestoreVirt(&snap, VirtConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !slices.Equal(r.cfg.Shares, shares) {
		t.Fatalf("restored shares %+v", r.cfg.Shares)
	}
}
