package ctr

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"strata/ctr/ctrtest"
)

// usernsSpec maps container ids 0–65535 to host ids 100000–165535 and
// chowns the bundle's rootfs to match.
func usernsSpec(t *testing.T, args ...string) (*specs.Spec, func(bundle string)) {
	s := ctrtest.Spec(args...)
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	chown := func(bundle string) {
		root := filepath.Join(bundle, "rootfs")
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, 100000, 100000)
		})
		if err != nil {
			t.Fatal(err)
		}
		// The namespace's root (host uid 100000) must reach the rootfs,
		// as with runc: open up the test's temporary directories.
		for d := filepath.Dir(root); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
			os.Chmod(d, 0o711)
		}
	}
	return s, chown
}

func TestUserNamespace(t *testing.T) {
	s, chown := usernsSpec(t, "sh", "-c", "cat /proc/self/uid_map; id -u; touch /made-inside; test -c /dev/null && echo devnull; hostname")
	e := newEnv(t, s)
	chown(e.bundle)
	code, out, errs := e.run("userns")
	if code != 0 {
		t.Fatalf("status %d, stdout %q, stderr %q", code, out, errs)
	}
	f := strings.Fields(out)
	if len(f) != 6 || f[0] != "0" || f[1] != "100000" || f[2] != "65536" || f[3] != "0" || f[4] != "devnull" || f[5] != "strata-test" {
		t.Fatalf("output %q: want the mapping 0 100000 65536, uid 0, /dev/null, the hostname", out)
	}
	fi, err := os.Stat(filepath.Join(e.bundle, "rootfs", "made-inside"))
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 100000 || st.Gid != 100000 {
		t.Fatalf("file made by the container's root is owned by %d:%d on the host, want 100000:100000", st.Uid, st.Gid)
	}
}

func TestUserNamespaceExec(t *testing.T) {
	s, chown := usernsSpec(t, "sleep", "1000")
	e := newEnv(t, s)
	chown(e.bundle)
	st := e.started("usernsexec")
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", st.Pid))
	if !strings.Contains(string(status), "Uid:\t100000\t100000") {
		t.Errorf("the init's host uid: %s", status)
	}
	if code, out, errs := e.exec("usernsexec", execProc("sh", "-c", "id -u; cat /proc/self/uid_map")); code != 0 || !strings.HasPrefix(out, "0\n") || !strings.Contains(out, "100000") {
		t.Fatalf("exec in a user namespace: status %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestJoinNamespacesByPath(t *testing.T) {
	a := ctrtest.Spec("sleep", "1000")
	a.Hostname = "alpha"
	ea := newEnv(t, a)
	sa := ea.started("alpha")
	// b joins a's pid, net, ipc and uts namespaces; its mount namespace
	// is its own (with /proc of a's pid namespace).
	b := ctrtest.Spec("sh", "-c", "hostname; cat /proc/1/cmdline; echo; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc")
	b.Hostname = ""
	for i, ns := range b.Linux.Namespaces {
		if ns.Type != specs.MountNamespace {
			b.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/%s", sa.Pid, procNsName(ns.Type))
		}
	}
	eb := newEnv(t, b)
	code, out, errs := eb.run("beta")
	if code != 0 {
		t.Fatalf("status %d, stdout %q, stderr %q", code, out, errs)
	}
	netA, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", sa.Pid))
	ipcA, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/ipc", sa.Pid))
	want := "alpha\nsleep\x001000\x00\n" + netA + "\n" + ipcA + "\n"
	if out != want {
		t.Fatalf("output %q, want %q", out, want)
	}
	// a is untouched by b's delete (Run deleted b).
	if s, _ := ea.store.State("alpha"); s.Status != specs.StateRunning {
		t.Fatalf("a is %s after b ended", s.Status)
	}
	if err := ea.store.Delete("alpha", true); err != nil {
		t.Fatal(err)
	}
}

func TestCgroupNamespace(t *testing.T) {
	s := ctrtest.Spec("cat", "/proc/self/cgroup")
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	e := newEnv(t, s)
	code, out, errs := e.run("cgns")
	if code != 0 || out == "" {
		t.Fatalf("status %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasSuffix(line, ":/") {
			t.Errorf("cgroup line %q: want the namespace root /", line)
		}
	}
}
