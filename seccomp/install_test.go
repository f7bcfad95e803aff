package seccomp

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const childEnv = "_STRATA_SECCOMP_CHILD"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		if err := child(name); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runtimeSyscalls are what the Go runtime of a child needs to keep going
// and exit under a default-deny profile.
var runtimeSyscalls = []string{
	"futex", "mmap", "munmap", "madvise", "mprotect", "brk", "rt_sigreturn", "rt_sigaction",
	"rt_sigprocmask", "sigaltstack", "sched_yield", "nanosleep", "clock_gettime", "clock_nanosleep",
	"gettid", "tgkill", "getpid", "exit", "exit_group", "write", "epoll_pwait", "epoll_wait",
	"clone", "clone3", "sched_getaffinity", "getrlimit", "prlimit64",
}

func child(name string) error {
	runtime.LockOSThread() // the filter is per thread without TSYNC
	if err := SetNoNewPrivs(); err != nil {
		return err
	}
	dir := os.Getenv("_STRATA_SECCOMP_DIR")
	var p specs.LinuxSeccomp
	var flags []Flag
	switch name {
	case "mkdir":
		p = specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC"},
			Syscalls: []specs.LinuxSyscall{
				{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno},
			}}
		f, err := Flags(&p)
		if err != nil {
			return err
		}
		flags = f
	case "personality":
		p = specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: errnoRet(uint(unix.EPERM)),
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0xffffffff, Op: specs.OpEqualTo}}},
		}}
	case "allowlist":
		p = specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: errnoRet(uint(unix.ENOSYS)),
			Syscalls: []specs.LinuxSyscall{{Names: runtimeSyscalls, Action: specs.ActAllow}}}
	case "docker":
		p = *dockerSizedProfile(farPersonalityRules()...)
		flags = []Flag{FlagTSync}
	default:
		return fmt.Errorf("unknown child %q", name)
	}
	prog, err := Compile(&p, runtime.GOARCH)
	if err != nil {
		return err
	}
	if err := Install(prog, flags...); err != nil {
		return err
	}
	switch name {
	case "mkdir":
		if err := unix.Mkdir(filepath.Join(dir, "denied"), 0o755); !errors.Is(err, unix.EPERM) {
			return fmt.Errorf("mkdir: %v, want EPERM", err)
		}
		if err := os.Mkdir(filepath.Join(dir, "denied2"), 0o755); !errors.Is(err, unix.EPERM) {
			return fmt.Errorf("os.Mkdir: %v, want EPERM", err)
		}
		if pid := unix.Getpid(); pid != os.Getpid() || pid <= 0 {
			return fmt.Errorf("getpid %d", pid)
		}
		if f, err := os.Create(filepath.Join(dir, "allowed")); err != nil {
			return fmt.Errorf("create still allowed: %w", err)
		} else {
			f.Close()
		}
	case "personality":
		_, _, e := unix.RawSyscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0)
		if e != unix.EPERM {
			return fmt.Errorf("personality(0xffffffff): %v, want EPERM", e)
		}
		// The kernel truncates to unsigned int, the filter sees 64 bits:
		// 0x1_ffffffff is not 0xffffffff, so it is allowed (a query).
		if _, _, e := unix.RawSyscall(unix.SYS_PERSONALITY, 0x1_ffffffff, 0, 0); e != 0 {
			return fmt.Errorf("personality(0x1ffffffff): %v", e)
		}
		if _, _, e := unix.RawSyscall(unix.SYS_PERSONALITY, 0, 0, 0); e != 0 {
			return fmt.Errorf("personality(0): %v", e)
		}
	case "docker":
		if pid := unix.Getpid(); pid != os.Getpid() {
			return fmt.Errorf("getpid %d", pid)
		}
		// Bad magic: EINVAL from the kernel, EPERM from the filter.
		if _, _, e := unix.RawSyscall(unix.SYS_REBOOT, 1, 2, 3); e != unix.EPERM {
			return fmt.Errorf("reboot: %v, want EPERM", e)
		}
		if _, _, e := unix.RawSyscall(unix.SYS_PERSONALITY, 0x1005, 0, 0); e != unix.EBADMSG {
			return fmt.Errorf("personality(0x1005): %v, want EBADMSG", e)
		}
		if _, _, e := unix.RawSyscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0); e != 0 {
			return fmt.Errorf("personality(0xffffffff): %v", e)
		}
		if err := os.Mkdir(filepath.Join(dir, "made"), 0o755); err != nil {
			return fmt.Errorf("mkdir: %w", err)
		}
	case "allowlist":
		if pid := unix.Getpid(); pid <= 0 {
			return fmt.Errorf("getpid %d", pid)
		}
		var u unix.Utsname
		if err := unix.Uname(&u); !errors.Is(err, unix.ENOSYS) {
			return fmt.Errorf("uname: %v, want ENOSYS", err)
		}
		if err := unix.Mkdirat(unix.AT_FDCWD, filepath.Join(dir, "denied"), 0o755); !errors.Is(err, unix.ENOSYS) {
			return fmt.Errorf("mkdirat: %v, want ENOSYS", err)
		}
		if _, err := unix.Open(dir, unix.O_RDONLY, 0); !errors.Is(err, unix.ENOSYS) {
			return fmt.Errorf("open: %v, want ENOSYS", err)
		}
		if _, err := unix.Write(1, nil); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}

func runChild(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name, "_STRATA_SECCOMP_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
	return dir
}

func TestInstallMkdirDenied(t *testing.T) {
	dir := runChild(t, "mkdir")
	if _, err := os.Stat(filepath.Join(dir, "denied")); !os.IsNotExist(err) {
		t.Errorf("denied directory exists: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "allowed")); err != nil {
		t.Errorf("allowed file: %v", err)
	}
}

func TestInstallArgumentFilter(t *testing.T) { runChild(t, "personality") }

func TestInstallDefaultErrnoAllowList(t *testing.T) {
	dir := runChild(t, "allowlist")
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("child created %v", ents)
	}
}

// TestInstallDockerSized installs a Docker-sized filter with far jumps
// (trampolines) and TSYNC: the kernel's checker accepts it and it decides
// as compiled.
func TestInstallDockerSized(t *testing.T) {
	dir := runChild(t, "docker")
	if _, err := os.Stat(filepath.Join(dir, "made")); err != nil {
		t.Error(err)
	}
}

func TestInstallErrors(t *testing.T) {
	if err := Install(nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty filter: %v", err)
	}
	if err := Install(make([]unix.SockFilter, unix.BPF_MAXINSNS+1)); err == nil || !errors.Is(err, ErrInvalid) {
		t.Errorf("long filter: %v", err)
	}
}
