package ctr

import (
	"errors"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"strata/ctr/ctrtest"
)

// denyMkdir is a profile that allows everything but mkdir (and mkdirat,
// which is what some libcs and architectures use), which fail with EPERM.
func denyMkdir(flags ...specs.LinuxSeccompFlag) *specs.LinuxSeccomp {
	eperm := uint(unix.EPERM)
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Flags:         flags,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &eperm},
		},
	}
}

const mkdirScript = "echo ok; busybox mkdir /tmp/x; echo mkdir=$?; if test -d /tmp/x; then echo made; fi"

// withTmp adds a tmpfs on /tmp, where the tests make directories.
func withTmp(s *specs.Spec) *specs.Spec {
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777"}})
	return s
}

func checkMkdirDenied(t *testing.T, code int, out, errs string) {
	t.Helper()
	if code != 0 || !strings.HasPrefix(out, "ok\n") || !strings.Contains(out, "mkdir=1") || strings.Contains(out, "made") {
		t.Errorf("status %d, output %q; want ok and a failed mkdir", code, out)
	}
	if !strings.Contains(errs, "Operation not permitted") {
		t.Errorf("stderr %q lacks Operation not permitted", errs)
	}
}

// TestSeccompDenyMkdir runs the filter in both places the init installs
// it: early (no noNewPrivileges, root's CAP_SYS_ADMIN) and last before
// execve (noNewPrivileges, capabilities dropped, TSYNC asked for).
func TestSeccompDenyMkdir(t *testing.T) {
	t.Run("early", func(t *testing.T) {
		s := withTmp(ctrtest.Spec("sh", "-c", mkdirScript))
		s.Linux.Seccomp = denyMkdir()
		e := newEnv(t, s)
		code, out, errs := e.run("seccomp-early")
		checkMkdirDenied(t, code, out, errs)
	})
	t.Run("nonewprivs", func(t *testing.T) {
		s := withTmp(ctrtest.Spec("sh", "-c", mkdirScript+"; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status"))
		s.Linux.Seccomp = denyMkdir("SECCOMP_FILTER_FLAG_TSYNC")
		s.Process.NoNewPrivileges = true
		caps := []string{"CAP_CHOWN"}
		s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
		s.Process.User = specs.User{UID: 1000, GID: 1000}
		e := newEnv(t, s)
		code, out, errs := e.run("seccomp-nnp")
		checkMkdirDenied(t, code, out, errs)
		if !strings.Contains(out, "NoNewPrivs:\t1") || !strings.Contains(out, "Seccomp:\t2") {
			t.Errorf("output %q: want NoNewPrivs 1 and Seccomp 2 (filter)", out)
		}
	})
	t.Run("none", func(t *testing.T) {
		// Without a profile the same script makes the directory.
		e := newEnv(t, withTmp(ctrtest.Spec("sh", "-c", mkdirScript)))
		if code, out, errs := e.run("seccomp-none"); code != 0 || out != "ok\nmkdir=0\nmade\n" {
			t.Errorf("status %d, output %q, stderr %q", code, out, errs)
		}
	})
}

// TestSeccompArgRule denies chmod only when its mode argument is 0700 (an
// argument rule, SCMP_CMP_MASKED_EQ on the permission bits): `chmod 700`
// fails with EPERM while `chmod 755` works.
func TestSeccompArgRule(t *testing.T) {
	eperm := uint(unix.EPERM)
	mode := func(i uint) []specs.LinuxSeccompArg {
		return []specs.LinuxSeccompArg{{Index: i, Value: 0o777, ValueTwo: 0o700, Op: specs.OpMaskedEqual}}
	}
	s := withTmp(ctrtest.Spec("sh", "-c", "busybox mkdir /tmp/a; busybox chmod 700 /tmp/a; echo c700=$?; busybox chmod 755 /tmp/a; echo c755=$?; ls -ld /tmp/a"))
	s.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"chmod"}, Action: specs.ActErrno, ErrnoRet: &eperm, Args: mode(1)},
			{Names: []string{"fchmodat"}, Action: specs.ActErrno, ErrnoRet: &eperm, Args: mode(2)},
		},
	}
	e := newEnv(t, s)
	code, out, errs := e.run("seccomp-args")
	if code != 0 || !strings.HasPrefix(out, "c700=1\nc755=0\ndrwxr-xr-x") || !strings.Contains(errs, "Operation not permitted") {
		t.Fatalf("status %d, output %q, stderr %q; want chmod 700 refused (EPERM), chmod 755 done", code, out, errs)
	}
}

// TestSeccompBadProfile: a profile that does not compile is refused at
// create, naming the field, and nothing is left behind (no state, cgroup,
// mount or process).
func TestSeccompBadProfile(t *testing.T) {
	s := ctrtest.Spec("true")
	e := newEnv(t, s)
	cases := []struct {
		want string
		edit func(sc *specs.LinuxSeccomp)
	}{
		{`linux.seccomp.syscalls[1].action: unknown action "SCMP_ACT_FOO"`, func(sc *specs.LinuxSeccomp) { sc.Syscalls[1].Action = "SCMP_ACT_FOO" }},
		{`linux.seccomp.defaultAction: unknown action "SCMP_ACT_BAR"`, func(sc *specs.LinuxSeccomp) { sc.DefaultAction = "SCMP_ACT_BAR" }},
		{"linux.seccomp.defaultAction: action missing", func(sc *specs.LinuxSeccomp) { sc.DefaultAction = "" }},
		{"linux.seccomp.syscalls[0].errnoRet", func(sc *specs.LinuxSeccomp) { big := uint(1 << 20); sc.Syscalls[0].ErrnoRet = &big }},
		{"linux.seccomp.syscalls[1].args[0].op", func(sc *specs.LinuxSeccomp) {
			sc.Syscalls[1].Args = []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_FOO"}}
		}},
		{"linux.seccomp.syscalls[1].args[0].index", func(sc *specs.LinuxSeccomp) {
			sc.Syscalls[1].Args = []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}
		}},
		{"linux.seccomp.flags[0]", func(sc *specs.LinuxSeccomp) { sc.Flags = []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_FOO"} }},
		{"linux.seccomp.syscalls[0].action", func(sc *specs.LinuxSeccomp) { sc.Syscalls[0].Action = specs.ActNotify }},
	}
	for _, c := range cases {
		s.Linux.Seccomp = denyMkdir()
		s.Linux.Seccomp.Syscalls = append(s.Linux.Seccomp.Syscalls, specs.LinuxSyscall{Names: []string{"getpid"}, Action: specs.ActAllow})
		c.edit(s.Linux.Seccomp)
		ctrtest.WriteSpec(t, e.bundle, s)
		_, err := e.store.Create("badseccomp", CreateOptions{Bundle: e.bundle})
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("want an error naming %q, got %v", c.want, err)
		}
		if left := ctrtest.LeftoverCgroups(s.Linux.CgroupsPath); len(left) > 0 {
			t.Errorf("%s: cgroups left: %v", c.want, left)
		}
	}
}
