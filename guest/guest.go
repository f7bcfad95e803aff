// Package guest locates (and if need be builds) strata's riscv64 Linux
// guest: a tinyconfig-based Linux 6.1 kernel built from Debian's
// linux-source-6.1 and an initramfs whose /init is the Go program in
// guest/init. See docs/guest.md.
//
// The artifacts live outside the repository, in
//
//	${STRATA_CACHE:-$HOME/.cache/strata}/guest/<key>/
//	    Image              the kernel (RISC-V "Image" format; load at RAM+2 MiB)
//	    initramfs.cpio.gz  gzip'd newc cpio holding /init
//	    config             the kernel's final .config
//
// where <key> is a hash of everything they are built from (the kernel config
// fragment, the Debian package versions of the kernel source and the cross
// compiler, the Go version and the init's sources); scripts/guest/build.sh
// computes it and builds into a temporary directory that is renamed into
// place, so a directory that exists is complete. The kernel alone is cached
// under guest/kernel/<kernel-key>/ so that changing the init does not
// rebuild it; the source tree is unpacked once into guest/src/.
package guest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Paths are the artifacts of a built guest.
type Paths struct {
	Dir       string // the cache directory holding the three files
	Kernel    string // Dir/Image
	Initramfs string // Dir/initramfs.cpio.gz
	Config    string // Dir/config
}

// Console lines the guest's /init prints (defined for the guest itself in
// guest/init/shell.go).
const (
	Banner     = "strata guest: userspace up" // once /proc, /sys and /dev are mounted
	ScriptDone = "strata guest: script done"  // followed by ", N failed"
	PowerOff   = "strata guest: powering off" // just before the poweroff system call
	Prompt     = "# "                         // the shell prompt; script commands are echoed after it
)

// Cmdline is the kernel command line for the virt board's NS16550A console,
// with SBI early console for the first messages.
const Cmdline = "console=ttyS0 earlycon=sbi"

const (
	scriptName = "strata.script"
	buildRel   = "scripts/guest/build.sh"
	locateMiss = 3 // build.sh --locate's status when the guest is not built
)

// ScriptArg encodes commands as the kernel command-line parameter the init
// runs at boot: strata.script=CMD;CMD;… with each command percent-encoded
// (space → %20, ';' → %3B, '%' → %25, and anything else outside
// [A-Za-z0-9-._~/:=,+@] likewise). After the last command the guest prints
// "strata guest: script done, N failed" and powers off.
func ScriptArg(cmds ...string) string {
	enc := make([]string, len(cmds))
	for i, c := range cmds {
		var b strings.Builder
		for j := 0; j < len(c); j++ {
			ch := c[j]
			if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("-._~/:=,+@", ch) >= 0 {
				b.WriteByte(ch)
			} else {
				fmt.Fprintf(&b, "%%%02X", ch)
			}
		}
		enc[i] = b.String()
	}
	return scriptName + "=" + strings.Join(enc, ";")
}

// decodeScript is ScriptArg's inverse (for tests).
func decodeScript(arg string) ([]string, error) {
	v, ok := strings.CutPrefix(arg, scriptName+"=")
	if !ok {
		return nil, errors.New("not a " + scriptName + " argument")
	}
	var out []string
	for _, c := range strings.Split(v, ";") {
		d, err := url.PathUnescape(c)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Root returns the strata source tree: $STRATA_SRC if set, else the tree
// this package was compiled from, else the first directory upwards from the
// working directory that holds scripts/guest/build.sh.
func Root() (string, error) {
	if r := os.Getenv("STRATA_SRC"); r != "" {
		return r, nil
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		r := filepath.Dir(filepath.Dir(file))
		if _, err := os.Stat(filepath.Join(r, buildRel)); err == nil {
			return r, nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, buildRel)); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("guest: cannot find the strata tree (scripts/guest/build.sh); set STRATA_SRC")
		}
	}
}

func paths(dir string) Paths {
	return Paths{Dir: dir, Kernel: filepath.Join(dir, "Image"),
		Initramfs: filepath.Join(dir, "initramfs.cpio.gz"), Config: filepath.Join(dir, "config")}
}

// ErrNotBuilt is returned by Locate when the current guest is not cached.
var ErrNotBuilt = errors.New("guest: not built (run make guest)")

func script(ctx context.Context, arg string) (string, int, []byte, error) {
	root, err := Root()
	if err != nil {
		return "", 0, nil, err
	}
	var args []string
	args = append(args, filepath.Join(root, buildRel))
	if arg != "" {
		args = append(args, arg)
	}
	cmd := exec.CommandContext(ctx, "bash", args...)
	// On cancellation kill the whole build (make and the compilers), not
	// just bash.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	return strings.TrimSpace(stdout.String()), code, stderr.Bytes(), err
}

// Locate returns the cached guest matching the current sources without
// building anything; ErrNotBuilt if there is none. $STRATA_GUEST, if set,
// names a directory to use instead.
func Locate() (Paths, error) {
	if d := os.Getenv("STRATA_GUEST"); d != "" {
		return checked(d)
	}
	out, code, stderr, err := script(context.Background(), "--locate")
	if code == locateMiss {
		return Paths{}, ErrNotBuilt
	}
	if err != nil {
		return Paths{}, fmt.Errorf("guest: %s --locate: %v\n%s", buildRel, err, stderr)
	}
	return checked(out)
}

// Build returns the cached guest, building it first if it is missing (the
// kernel takes several minutes on two cores; the init seconds). Build
// progress goes to the build script's stderr, which Build returns in the
// error on failure.
func Build(ctx context.Context) (Paths, error) {
	if d := os.Getenv("STRATA_GUEST"); d != "" {
		return checked(d)
	}
	out, _, stderr, err := script(ctx, "")
	if err != nil {
		return Paths{}, fmt.Errorf("guest: %s: %v\n%s", buildRel, err, stderr)
	}
	lines := strings.Split(out, "\n")
	return checked(lines[len(lines)-1])
}

func checked(dir string) (Paths, error) {
	p := paths(dir)
	for _, f := range []string{p.Kernel, p.Initramfs, p.Config} {
		if _, err := os.Stat(f); err != nil {
			return Paths{}, fmt.Errorf("guest: incomplete guest directory %s: %v", dir, err)
		}
	}
	return p, nil
}

// QEMUArgs returns the qemu-system-riscv64 arguments that boot the guest on
// QEMU's virt machine (the reference for strata's board) with QEMU's default
// OpenSBI firmware: -M virt -m 512M -smp N -nographic -no-reboot.
func QEMUArgs(p Paths, smp int, cmdline string, extra ...string) []string {
	args := []string{"-M", "virt", "-m", "512M", "-smp", strconv.Itoa(smp), "-nographic", "-no-reboot",
		"-kernel", p.Kernel, "-initrd", p.Initramfs, "-append", cmdline}
	return append(args, extra...)
}
