// Package ctrtest builds OCI bundles and checks for leftovers in tests of
// strata's container runtime. Its helpers need root and busybox-static.
package ctrtest

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Busybox returns the path of a static busybox, failing the test (never
// skipping) when busybox-static is not installed.
func Busybox(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("container tests need root")
	}
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		static := true
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				static = false
			}
		}
		f.Close()
		if static {
			return p
		}
	}
	t.Fatal("no static busybox at /bin/busybox: install busybox-static (apt-get install -y busybox-static; scripts/setup.sh does)")
	return ""
}

// Spec returns a config like `runc spec` writes (without a terminal)
// running args.
func Spec(args ...string) *specs.Spec {
	return &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: "rootfs"},
		Process: &specs.Process{
			Args: args,
			Env:  []string{"PATH=/bin", "TERM=xterm"},
			Cwd:  "/",
		},
		Hostname: "strata-test",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		},
		Linux: &specs.Linux{
			CgroupsPath: CgroupPath(),
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
			},
			MaskedPaths:   []string{"/proc/kcore", "/proc/keys", "/sys/firmware"},
			ReadonlyPaths: []string{"/proc/bus", "/proc/sys"},
		},
	}
}

var cgroupSeq atomic.Int64

// CgroupPath returns a fresh cgroupsPath, /strata-test/<pid>-<n>, so test
// binaries running at the same time never share a cgroup; CheckClean
// asserts none of this process's is left.
func CgroupPath() string {
	return fmt.Sprintf("/%s/%d-%d", cgroupParent, os.Getpid(), cgroupSeq.Add(1))
}

const cgroupParent = "strata-test"

// cgroupMounts returns the mount points of every cgroup and cgroup2
// filesystem in /proc/self/mountinfo.
func cgroupMounts() []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		_, rest, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		if f := strings.Fields(rest); len(f) > 0 && (f[0] == "cgroup" || f[0] == "cgroup2") {
			out = append(out, strings.Fields(line)[4])
		}
	}
	return out
}

// LeftoverCgroups lists the cgroup directories of this process's test
// containers (CgroupPath) that exist in any hierarchy, plus path (another
// cgroupsPath, absolute) when not "".
func LeftoverCgroups(path string) []string {
	var left []string
	for _, mnt := range cgroupMounts() {
		m, _ := filepath.Glob(filepath.Join(mnt, cgroupParent, fmt.Sprintf("%d-*", os.Getpid())))
		left = append(left, m...)
		if path != "" {
			if _, err := os.Stat(filepath.Join(mnt, path)); err == nil {
				left = append(left, filepath.Join(mnt, path))
			}
		}
	}
	return left
}

// Bundle makes a bundle directory under t.TempDir(): a busybox rootfs and
// config.json from spec. It returns the bundle path.
func Bundle(t testing.TB, spec *specs.Spec) string {
	t.Helper()
	bb := Busybox(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "rootfs", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"sh", "echo", "hostname", "cat", "ls", "touch", "sleep", "true", "false", "id", "test", "grep", "mount"} {
		if err := os.Symlink("busybox", filepath.Join(bin, a)); err != nil {
			t.Fatal(err)
		}
	}
	WriteSpec(t, dir, spec)
	return dir
}

// WriteSpec (re)writes bundle/config.json.
func WriteSpec(t testing.TB, bundle string, spec *specs.Spec) {
	t.Helper()
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// PidNS returns the pid namespace link of pid ("pid:[4026…]"), or "".
func PidNS(pid int) string {
	l, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid")
	return l
}

// CheckClean fails the test if stateRoot has entries left, if a mount in
// /proc/self/mountinfo mentions any of paths, if a cgroup made for one of
// this process's test containers (CgroupPath) exists in any hierarchy, or if a live (non-zombie)
// process is left in any of the pid namespaces pidNS.
func CheckClean(t testing.TB, stateRoot string, paths []string, pidNS []string) {
	t.Helper()
	if ents, err := os.ReadDir(stateRoot); err == nil && len(ents) > 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("leftover state under %s: %v", stateRoot, names)
	}
	if f, err := os.Open("/proc/self/mountinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			for _, p := range paths {
				if p != "" && strings.Contains(sc.Text(), p) {
					t.Errorf("leftover mount: %s", sc.Text())
				}
			}
		}
		f.Close()
	}
	if left := LeftoverCgroups(""); len(left) > 0 {
		t.Errorf("leftover cgroups: %v", left)
		for _, d := range left {
			os.Remove(d) // reported once, not again by the next test
		}
	}
	self := PidNS(os.Getpid())
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ns := PidNS(pid)
		for _, want := range pidNS {
			if want != "" && want != self && ns == want && !zombie(pid) {
				t.Errorf("leftover process %d in %s", pid, ns)
			}
		}
	}
}

// zombie reports whether pid has exited and only awaits its reaper (its
// new parent, pid 1 or a subreaper, once the runtime process has exited).
func zombie(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(data), ')')
	return i < 0 || i+2 >= len(data) || data[i+2] == 'Z' || data[i+2] == 'X'
}
