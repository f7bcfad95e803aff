package vm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"strata/guest"
	"strata/netback"
)

// syncBuffer is a console that tests may read while the machine writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSnapshotBareMetal stops a counting S-mode program half way (at an
// instruction limit), snapshots it, restores it into a new machine and
// checks that the two halves of the console output add up to an
// uninterrupted run's, checksum included: with strata's SBI on two harts,
// and under Debian's OpenSBI in M-mode (firmware state, boot ROM).
func TestSnapshotBareMetal(t *testing.T) {
	payload := buildRaw(t, "snap_count", "0x80200000")
	fw, fwErr := os.ReadFile("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf")
	for _, tc := range []struct {
		name string
		cfg  VirtConfig
	}{
		{"builtin-smp2", VirtConfig{Bios: BiosBuiltin, Kernel: payload, Harts: 2, MemSize: 64 << 20}},
		{"opensbi", VirtConfig{Bios: BiosFirmware, Firmware: fw, Kernel: payload, MemSize: 64 << 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cfg.Bios == BiosFirmware && fwErr != nil {
				t.Fatalf("%v: install the Debian package opensbi (make setup does)", fwErr)
			}
			cfg := tc.cfg
			want, ref := runVirt(t, cfg)
			if ref.ExitCode != 0 || !strings.Contains(strings.ReplaceAll(want, "\r", ""), "tick 9\nsum ") {
				t.Fatalf("reference run: exit %d, console %q", ref.ExitCode, want)
			}

			var first bytes.Buffer
			cfg.Console = &first
			cfg.MaxInsns = ref.Instret / 2
			m, err := NewVirt(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Run(context.Background()); !errors.Is(err, ErrInsnLimit) {
				t.Fatalf("first half: %v", err)
			}
			var snap bytes.Buffer
			if err := m.Snapshot(&snap); err != nil {
				t.Fatal(err)
			}
			t.Logf("snapshot of 64 MiB: %d bytes; first half ends %q", snap.Len(), tail(first.String(), 40))

			var second bytes.Buffer
			r0, err := RestoreVirt(&snap, VirtConfig{})
			if err != nil {
				t.Fatal(err)
			}
			// A restored machine saves again to the same state.
			var again bytes.Buffer
			if err := r0.Snapshot(&again); err != nil {
				t.Fatal(err)
			}
			r, err := RestoreVirt(&again, VirtConfig{Console: &second})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res, err := r.Run(ctx)
			if err != nil || res.ExitCode != 0 {
				t.Fatalf("restored run: %v, exit %d", err, res.ExitCode)
			}
			if got := first.String() + second.String(); got != want {
				t.Fatalf("console across the snapshot:\n%q\nwant\n%q", got, want)
			}
			if res.Instret < ref.Instret/2 {
				t.Fatalf("instret %d did not continue from the saved count", res.Instret)
			}
		})
	}
}

func tail(s string, n int) string { return s[max(0, len(s)-n):] }

// TestSnapshotRequest snapshots a running machine through RequestSnapshot
// and SnapshotPath (Run stops at a slice boundary and returns
// ErrSnapshotted), then restores the file and runs the guest to its end.
func TestSnapshotRequest(t *testing.T) {
	payload := buildRaw(t, "snap_count", "0x80200000")
	path := filepath.Join(t.TempDir(), "vm.snap")
	out := &syncBuffer{}
	m, err := NewVirt(VirtConfig{Kernel: payload, MemSize: 32 << 20, Console: out, SnapshotPath: path})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for !strings.Contains(out.String(), "tick 3") {
			time.Sleep(time.Millisecond)
		}
		m.RequestSnapshot()
	}()
	if _, err := m.Run(context.Background()); !errors.Is(err, ErrSnapshotted) {
		t.Fatalf("run: %v, console %q", err, out.String())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rest bytes.Buffer
	r, err := RestoreVirt(f, VirtConfig{Console: &rest})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("restored run: %v, exit %d", err, res.ExitCode)
	}
	all := out.String() + rest.String()
	for i := 0; i < 10; i++ {
		if n := strings.Count(all, "tick "+string(rune('0'+i))+"\n"); n != 1 {
			t.Errorf("tick %d printed %d times in %q", i, n, all)
		}
	}
	if !strings.Contains(rest.String(), "sum ") {
		t.Fatalf("restored run printed %q", rest.String())
	}
}

// TestSnapshotErrors checks the header checks: wrong magic, wrong version,
// truncation (in the header and in the payload), a checksum mismatch, and
// a payload that is not a machine.
func TestSnapshotErrors(t *testing.T) {
	payload := buildRaw(t, "snap_count", "0x80200000")
	m, err := NewVirt(VirtConfig{Kernel: payload, MemSize: 16 << 20, MaxInsns: 1000})
	if err != nil {
		t.Fatal(err)
	}
	m.Run(context.Background())
	var b bytes.Buffer
	if err := m.Snapshot(&b); err != nil {
		t.Fatal(err)
	}
	good := b.Bytes()
	if _, err := RestoreVirt(bytes.NewReader(good), VirtConfig{}); err != nil {
		t.Fatalf("good snapshot: %v", err)
	}
	if _, err := RestoreVirt(struct{ io.Reader }{bytes.NewReader(good)}, VirtConfig{}); err != nil {
		t.Fatalf("good snapshot, unseekable: %v", err)
	}
	// Written to a file after other data (streamed, the header patched
	// in place afterwards), it restores from that offset, and the file
	// ends with it.
	f, err := os.Create(filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("prefix")
	if err := m.Snapshot(f); err != nil {
		t.Fatal(err)
	}
	end, _ := f.Seek(0, io.SeekCurrent)
	if fi, _ := f.Stat(); fi.Size() != end {
		t.Fatalf("file position %d after the snapshot, size %d", end, fi.Size())
	}
	f.Seek(int64(len("prefix")), io.SeekStart)
	if _, err := RestoreVirt(f, VirtConfig{}); err != nil {
		t.Fatalf("file snapshot: %v", err)
	}
	mod := func(f func(p []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrSnapshotTruncated},
		{"magic", mod(func(p []byte) []byte { p[0] = 'X'; return p }), ErrSnapshotMagic},
		{"not a snapshot", []byte("#!/bin/sh\necho hello\n"), ErrSnapshotMagic},
		{"version", mod(func(p []byte) []byte { binary.LittleEndian.PutUint32(p[10:], 99); return p }), ErrSnapshotVersion},
		{"short header", good[:20], ErrSnapshotTruncated},
		{"short payload", good[:len(good)-100], ErrSnapshotTruncated},
		{"checksum", mod(func(p []byte) []byte { p[len(p)-1] ^= 1; return p }), ErrSnapshotChecksum},
		{"huge length", mod(func(p []byte) []byte { binary.LittleEndian.PutUint64(p[14:], 1<<62); return p }), ErrSnapshotCorrupt},
		{"garbage payload", corruptPayload(good), ErrSnapshotCorrupt},
	} {
		// A seekable reader (checked, then decoded from the start
		// again) and a plain one (held in memory).
		if _, err := RestoreVirt(bytes.NewReader(tc.data), VirtConfig{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
		if _, err := RestoreVirt(struct{ io.Reader }{bytes.NewReader(tc.data)}, VirtConfig{}); !errors.Is(err, tc.want) {
			t.Errorf("%s, unseekable: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// corruptPayload replaces a snapshot's payload with bytes that are not a
// DEFLATE stream, with a matching checksum.
func corruptPayload(good []byte) []byte {
	p := append([]byte(nil), good[:snapHeaderSize]...)
	junk := bytes.Repeat([]byte{0xff}, 64)
	binary.LittleEndian.PutUint64(p[14:], uint64(len(junk)))
	sum := sha256Sum(junk)
	copy(p[22:], sum[:])
	return append(p, junk...)
}

// strataBinary builds the strata command for tests that need a separate
// process.
func strataBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "strata")
	if b, err := exec.Command("go", "build", "-o", bin, "strata/cmd/strata").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return bin
}

// TestSnapshotLinux boots Linux on two harts with an ext4 disk and the
// rng, with a script that mounts the disk, prints a marker, sleeps, then
// uses the rng and the disk and writes and hashes a file; snapshots it
// during the sleep; and restores the snapshot in a new process (strata vm
// restore), whose console must show the rest of the script, which must
// exit 0, and whose write to the disk must be in the image.
func TestSnapshotLinux(t *testing.T) {
	if testing.Short() {
		t.Skip("boots Linux and builds strata")
	}
	kernel, initrd := linuxGuest(t)
	for _, tool := range []string{"mkfs.ext4", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install the Debian package e2fsprogs (make setup does)", tool)
		}
	}
	bin := strataBinary(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "linux.snap")
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	if err := os.WriteFile(filepath.Join(src, "host.txt"), []byte("written on the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "disk.img")
	if b, err := exec.Command("mkfs.ext4", "-q", "-F", "-d", src, img, "16M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, b)
	}
	out := &syncBuffer{}
	script := guest.ScriptArg("mount -t ext4 /dev/vda /mnt", "echo snap-before", "sleep 2",
		"hwrng 8", "cat /mnt/host.txt", "write /mnt/guest.txt written after restore",
		"write /snapfile hello", "sha256sum /snapfile", "echo snap-after")
	m, err := NewVirt(VirtConfig{Kernel: kernel, Initrd: initrd, Append: guest.Cmdline + " " + script,
		Harts: 2, RNG: true, Disks: []Disk{{Path: img}}, Console: out, SnapshotPath: path})
	if err != nil {
		t.Fatal(err)
	}
	clean := func(s string) string { return strings.ReplaceAll(s, "\r", "") }
	go func() {
		for !strings.Contains(clean(out.String()), "\nsnap-before\n") {
			time.Sleep(5 * time.Millisecond)
		}
		m.RequestSnapshot()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := m.Run(ctx); !errors.Is(err, ErrSnapshotted) {
		t.Fatalf("run: %v\nconsole:\n%s", err, out.String())
	}
	m.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot after %v: %d bytes (512 MiB of RAM)", time.Since(start), fi.Size())
	if strings.Contains(clean(out.String()), "\nsnap-after\n") {
		t.Fatal("the script finished before the snapshot")
	}

	cmd := exec.CommandContext(ctx, bin, "vm", "restore", path)
	var rest, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &rest, &stderr
	start = time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("strata vm restore: %v\nstderr:\n%s\nconsole:\n%s", err, stderr.String(), rest.String())
	}
	got := clean(rest.String())
	t.Logf("restored run took %v; console:\n%s", time.Since(start), got)
	for _, want := range []string{
		"written on the host\n",
		"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  /snapfile",
		"\nsnap-after\n", guest.ScriptDone + ", 0 failed", guest.PowerOff,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("restored console lacks %q", want)
		}
	}
	if strings.Contains(got, guest.Banner) || strings.Contains(got, "\nsnap-before\n") {
		t.Error("the restored guest booted again instead of continuing")
	}
	if b, err := exec.Command("debugfs", "-R", "cat /guest.txt", img).Output(); err != nil || string(b) != "written after restore\n" {
		t.Errorf("guest.txt on the host: %q, %v", b, err)
	}
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// TestSnapshotCLI saves a running machine from the command line — with
// SIGUSR1 (--snapshot-on-signal) and with a timer (--snapshot-after) — and
// resumes each file with strata vm restore in another process.
func TestSnapshotCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds strata")
	}
	bin := strataBinary(t)
	dir := t.TempDir()
	kernel := filepath.Join(dir, "snap_count.bin")
	if err := os.WriteFile(kernel, buildRaw(t, "snap_count", "0x80200000"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"signal", "after"} {
		t.Run(mode, func(t *testing.T) {
			snap := filepath.Join(dir, mode+".snap")
			args := []string{"vm", "run", "--kernel", kernel, "--mem", "32M"}
			if mode == "signal" {
				args = append(args, "--snapshot-on-signal", snap)
			} else {
				args = append(args, "--snapshot-after", "100ms,"+snap)
			}
			cmd := exec.Command(bin, args...)
			out := &syncBuffer{}
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = out, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if mode == "signal" {
				deadline := time.Now().Add(30 * time.Second)
				for !strings.Contains(out.String(), "tick 2\n") && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				cmd.Process.Signal(syscall.SIGUSR1)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("vm run: %v\nstderr: %s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), "machine saved to "+snap) {
				t.Fatalf("stderr %q", stderr.String())
			}
			restored, err := exec.Command(bin, "vm", "restore", snap).Output()
			if err != nil {
				t.Fatalf("vm restore: %v", err)
			}
			all := out.String() + string(restored)
			for i := 0; i < 10; i++ {
				if n := strings.Count(all, "tick "+string(rune('0'+i))+"\n"); n != 1 {
					t.Errorf("tick %d printed %d times", i, n)
				}
			}
			if !strings.Contains(string(restored), "sum ") || strings.Contains(out.String(), "sum ") {
				t.Errorf("before: %q\nrestored: %q", out.String(), restored)
			}
		})
	}
}

// TestSnapshotLinuxNet snapshots a Linux guest with user-mode networking
// up (an HTTP fetch before the snapshot) and restores it over a fresh
// backend: the guest's next fetch goes through without reconfiguring.
func TestSnapshotLinuxNet(t *testing.T) {
	if testing.Short() {
		t.Skip("boots Linux")
	}
	kernel, initrd := linuxGuest(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "served "+r.URL.Path)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	url := "http://10.0.2.2:" + port
	script := guest.ScriptArg("ifup eth0", "httpget "+url+"/before", "echo snap-before", "sleep 2",
		"httpget "+url+"/after", "echo snap-after")
	path := filepath.Join(t.TempDir(), "net.snap")
	out := &syncBuffer{}
	m, err := NewVirt(VirtConfig{Kernel: kernel, Initrd: initrd, Append: guest.Cmdline + " " + script,
		Nets: []netback.Spec{{Kind: "user"}}, Console: out, SnapshotPath: path})
	if err != nil {
		t.Fatal(err)
	}
	clean := func(s string) string { return strings.ReplaceAll(s, "\r", "") }
	go func() {
		for !strings.Contains(clean(out.String()), "\nsnap-before\n") {
			time.Sleep(5 * time.Millisecond)
		}
		m.RequestSnapshot()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := m.Run(ctx); !errors.Is(err, ErrSnapshotted) {
		t.Fatalf("run: %v\nconsole:\n%s", err, out.String())
	}
	m.Close() // the old backend goes away, as with a process exit
	if !strings.Contains(clean(out.String()), "served /before") {
		t.Fatalf("no fetch before the snapshot:\n%s", out.String())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rest := &syncBuffer{}
	r, err := RestoreVirt(f, VirtConfig{Console: rest})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.Run(ctx)
	got := clean(rest.String())
	if err != nil || res.ExitCode != 0 || !strings.Contains(got, "served /after") || !strings.Contains(got, "script done, 0 failed") {
		t.Fatalf("restored run: %v, exit %d; console:\n%s", err, res.ExitCode, got)
	}
	t.Logf("restored console:\n%s", got)
}
