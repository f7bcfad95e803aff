package vm

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"strata/guest"
)

// linuxGuest returns strata's Linux guest, building it if it is not cached
// (several minutes the first time on a new machine).
func linuxGuest(t *testing.T) (kernel, initrd []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	p, err := guest.Build(ctx)
	if err != nil {
		t.Fatalf("building the guest (make guest): %v", err)
	}
	if kernel, err = os.ReadFile(p.Kernel); err != nil {
		t.Fatal(err)
	}
	if initrd, err = os.ReadFile(p.Initramfs); err != nil {
		t.Fatal(err)
	}
	return kernel, initrd
}

// TestLinuxBoots boots an unmodified Linux 6.1 to its userspace, runs a
// script on the serial console and powers off, in both boot modes:
// paravirtualized (strata's SBI, two harts) and fully virtualized (Debian's
// OpenSBI in M-mode).
func TestLinuxBoots(t *testing.T) {
	kernel, initrd := linuxGuest(t)
	fw, err := os.ReadFile("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf")
	if err != nil {
		t.Fatalf("%v: install the Debian package opensbi (make setup does)", err)
	}
	script := guest.ScriptArg("uname -a", "nproc", "cat /proc/cpuinfo", "hwrng 8", "date")
	for _, tc := range []struct {
		name  string
		cfg   VirtConfig
		harts string
	}{
		{"builtin-smp2", VirtConfig{Bios: BiosBuiltin, Harts: 2, RNG: true}, "2"},
		{"opensbi", VirtConfig{Bios: BiosFirmware, Firmware: fw, Harts: 1, RNG: true}, "1"},
		// Two harts behind OpenSBI: IPIs through the CLINT and OpenSBI's
		// csrs on mip (this once latched the PLIC's SEIP and livelocked).
		{"opensbi-smp2", VirtConfig{Bios: BiosFirmware, Firmware: fw, Harts: 2, RNG: true}, "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Kernel, cfg.Initrd = kernel, initrd
			cfg.Append = guest.Cmdline + " " + script
			start := time.Now()
			out, res := runVirt(t, cfg)
			for _, want := range []string{
				guest.Banner, "Linux (none) 6.1", "riscv64", "# nproc\n" + tc.harts + "\n",
				"isa\t\t: rv64imafdc", "strata guest: script done, 0 failed",
			} {
				if !strings.Contains(strings.ReplaceAll(out, "\r", ""), want) {
					t.Errorf("console lacks %q", want)
				}
			}
			if res.ExitCode != 0 || t.Failed() {
				t.Fatalf("exit %d; console:\n%s", res.ExitCode, out)
			}
			t.Logf("%s: powered off after %v wall, %d instructions", tc.name, time.Since(start), res.Instret)
		})
	}
}

// TestLinuxVirtioConsole runs the guest's console on hvc0, the virtio
// console, instead of the UART.
func TestLinuxVirtioConsole(t *testing.T) {
	kernel, initrd := linuxGuest(t)
	out, res := runVirt(t, VirtConfig{Bios: BiosBuiltin, Kernel: kernel, Initrd: initrd, VirtioConsole: true,
		Append: "console=hvc0 " + guest.ScriptArg("uname -a", "cat /sys/class/tty/console/active")})
	out = strings.ReplaceAll(out, "\r", "")
	if res.ExitCode != 0 || !strings.Contains(out, guest.Banner) || !strings.Contains(out, "hvc0\n") ||
		!strings.Contains(out, "script done, 0 failed") {
		t.Fatalf("exit %d; console:\n%s", res.ExitCode, out)
	}
}
