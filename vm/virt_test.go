package vm

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildRawB is buildRaw for benchmarks.
func buildRawB(b *testing.B, name, addr string) []byte {
	return buildRawTB(b, name, addr)
}

// buildRaw assembles testdata/NAME.S into a raw binary linked at addr.
func buildRaw(t *testing.T, name string, addr string, defs ...string) []byte {
	return buildRawTB(t, name, addr, defs...)
}

func buildRawTB(t testing.TB, name string, addr string, defs ...string) []byte {
	t.Helper()
	elf := filepath.Join(t.TempDir(), name+".elf")
	cc, err := exec.LookPath("riscv64-unknown-elf-gcc")
	if err != nil {
		t.Fatal("riscv64-unknown-elf-gcc not found: install the Debian package gcc-riscv64-unknown-elf (make setup does)")
	}
	args := append([]string{"-march=rv64gc", "-mabi=lp64d", "-nostdlib", "-nostartfiles", "-static",
		"-Ttext=" + addr, "-o", elf, filepath.Join("testdata", name+".S")}, defs...)
	if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("assembling %s: %v\n%s", name, err, b)
	}
	bin := elf + ".bin"
	if b, err := exec.Command("riscv64-unknown-elf-objcopy", "-O", "binary", elf, bin).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, b)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func runVirt(t *testing.T, cfg VirtConfig) (string, Result) {
	t.Helper()
	var out bytes.Buffer
	cfg.Console = &out
	m, err := NewVirt(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := m.Run(ctx)
	if err != nil {
		t.Fatalf("run: %v\nconsole:\n%s", err, out.String())
	}
	return out.String(), res
}

// TestBuiltinSBIBoot boots an S-mode payload with no firmware: strata
// answers its SBI calls (paravirtualization).
func TestBuiltinSBIBoot(t *testing.T) {
	payload := buildRaw(t, "sbi_hello", "0x80200000")
	for _, harts := range []int{1, 2} {
		out, res := runVirt(t, VirtConfig{Bios: BiosBuiltin, Kernel: payload, Harts: harts, MemSize: 64 << 20})
		if out != "hello from S-mode\n" || res.ExitCode != 0 {
			t.Fatalf("harts %d: console %q, exit %d", harts, out, res.ExitCode)
		}
	}
}

// TestOpenSBIBoot runs Debian's unmodified OpenSBI (fw_jump) in M-mode from
// the reset vector; it finds the board through strata's device tree and
// hands over to the S-mode payload at 0x80200000, whose SBI calls OpenSBI
// answers (full virtualization).
func TestOpenSBIBoot(t *testing.T) {
	const fw = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf"
	firmware, err := os.ReadFile(fw)
	if err != nil {
		t.Fatalf("%v: install the Debian package opensbi (make setup does)", err)
	}
	payload := buildRaw(t, "sbi_hello", "0x80200000")
	out, res := runVirt(t, VirtConfig{Bios: BiosFirmware, Firmware: firmware, Kernel: payload, MemSize: 128 << 20})
	if !bytes.Contains([]byte(out), []byte("OpenSBI")) || !bytes.Contains([]byte(out), []byte("hello from S-mode")) {
		t.Fatalf("console:\n%s", out)
	}
	if res.ExitCode != 0 {
		t.Fatalf("exit %d\n%s", res.ExitCode, out)
	}
}

// chat drives a guest console: each time the output so far contains the
// next expected string, it sends the paired input. After the last step's
// expectation is met, done is closed.
type chat struct {
	mu    sync.Mutex
	out   bytes.Buffer
	steps []chatStep
	in    *io.PipeWriter
	done  chan struct{}
}

type chatStep struct{ expect, send string }

func newChat(steps ...chatStep) (*chat, io.Reader) {
	r, w := io.Pipe()
	return &chat{steps: steps, in: w, done: make(chan struct{})}, r
}

func (c *chat) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out.Write(p)
	for len(c.steps) > 0 && strings.Contains(c.out.String(), c.steps[0].expect) {
		s := c.steps[0]
		c.steps = c.steps[1:]
		if s.send != "" {
			go c.in.Write([]byte(s.send))
		}
		if len(c.steps) == 0 {
			close(c.done)
		}
	}
	return len(p), nil
}

func (c *chat) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

// runChat runs a machine until the chat's last expectation is met.
func runChat(t *testing.T, cfg VirtConfig, steps ...chatStep) string {
	t.Helper()
	c, in := newChat(steps...)
	cfg.Console, cfg.Input = c, in
	m, err := NewVirt(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	_, err = m.Run(ctx)
	select {
	case <-c.done:
	default:
		t.Fatalf("run ended (%v) before the console showed %q; console:\n%s", err, c.steps[0].expect, c.String())
	}
	return c.String()
}

// TestUBootPrompt boots Debian's S-mode U-Boot to its prompt and has it
// answer a command, both behind unmodified OpenSBI and on strata's SBI.
func TestUBootPrompt(t *testing.T) {
	const ubootPath = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
	uboot, err := os.ReadFile(ubootPath)
	if err != nil {
		t.Fatalf("%v: install the Debian package u-boot-qemu (make setup does)", err)
	}
	fw, err := os.ReadFile("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf")
	if err != nil {
		t.Fatalf("%v: install the Debian package opensbi (make setup does)", err)
	}
	for _, tc := range []struct {
		name string
		cfg  VirtConfig
	}{
		{"opensbi", VirtConfig{Bios: BiosFirmware, Firmware: fw, Kernel: uboot}},
		{"builtin", VirtConfig{Bios: BiosBuiltin, Kernel: uboot}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runChat(t, tc.cfg,
				chatStep{"=> ", "version\r"},
				chatStep{"GNU ld", ""})
			if !strings.Contains(out, "U-Boot 20") || !strings.Contains(out, "Model: riscv-virtio,qemu") {
				t.Fatalf("console:\n%s", out)
			}
		})
	}
}

// TestHostileVirtioGuest hands virtio-blk bad descriptor chains from a
// guest: the device must mark itself broken, the host must survive, and the
// disk must be untouched.
func TestHostileVirtioGuest(t *testing.T) {
	for _, tc := range []struct {
		name string
		cas  string
	}{
		{"outside-ram", "1"},
		{"loop", "2"},
		{"overflow", "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := buildRaw(t, "virtio_hostile", "0x80200000", "-DCASE="+tc.cas)
			disk := filepath.Join(t.TempDir(), "disk.img")
			content := bytes.Repeat([]byte("strata"), 1<<14)
			if err := os.WriteFile(disk, content, 0o644); err != nil {
				t.Fatal(err)
			}
			out, res := runVirt(t, VirtConfig{Bios: BiosBuiltin, Kernel: payload, MemSize: 64 << 20,
				Disks: []Disk{{Path: disk}}})
			if out != "broken\n" || res.ExitCode != 0 {
				t.Fatalf("console %q exit %d", out, res.ExitCode)
			}
			if got, _ := os.ReadFile(disk); !bytes.Equal(got, content) {
				t.Fatal("the disk image changed")
			}
		})
	}
}
