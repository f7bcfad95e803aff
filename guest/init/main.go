// Command init is the /init of strata's riscv64 guest initramfs (see
// docs/guest.md): it mounts /proc, /sys and /dev, prints the banner
// "strata guest: userspace up" on the console and then either runs the
// commands of strata.script=… from the kernel command line and powers off,
// or runs a small line-oriented shell on the console.
package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

func main() {
	out := os.Stdout
	in := os.Stdin
	// The kernel opens /dev/console as fds 0-2 for init; if it could not,
	// open it ourselves once devtmpfs is up.
	consoleOK := true
	if _, err := os.Stdout.Stat(); err != nil {
		consoleOK = false
	}
	var errs []string
	for _, m := range []struct{ src, dir, fstype string }{
		{"proc", "/proc", "proc"},
		{"sysfs", "/sys", "sysfs"},
		{"devtmpfs", "/dev", "devtmpfs"},
	} {
		os.MkdirAll(m.dir, 0o755)
		if err := syscall.Mount(m.src, m.dir, m.fstype, syscall.MS_NOSUID, ""); err != nil && err != syscall.EBUSY {
			errs = append(errs, fmt.Sprintf("mount %s: %v", m.dir, err))
		}
	}
	if !consoleOK {
		if f, err := os.OpenFile("/dev/console", os.O_RDWR, 0); err == nil {
			out, in = f, f
			os.Stdout, os.Stderr, os.Stdin = f, f, f
		}
	}
	os.MkdirAll("/tmp", 0o1777)
	os.Setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin")
	os.Setenv("HOME", "/root")

	fmt.Fprintln(out, Banner)
	if up, err := os.ReadFile("/proc/uptime"); err == nil {
		fmt.Fprintf(out, "strata guest: uptime %s s, go %s\n", strings.Fields(string(up))[0], goVersion())
	}
	for _, e := range errs {
		fmt.Fprintln(out, "init:", e)
	}

	sh := NewShell(out, in)
	if b, err := os.ReadFile(sh.Cmdline); err == nil {
		if _, found, _ := ParseScript(string(b)); found {
			sh.finishScript(sh.RunScript())
		}
	}
	for {
		sh.Interact(in)
		// The console closed (it should not): do not exit, init must not die.
		time.Sleep(time.Second)
	}
}
