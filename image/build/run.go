package build

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"strata/ctr"
)

// defaultCaps is the capability set RUN steps get (Docker's default).
var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// runSpec is a RUN step's container.
type runSpec struct {
	rootfs   string
	args     []string
	env      []string
	cwd      string
	uid, gid uint32
	groups   []uint32      // additional groups
	network  string        // "none" or "host" (with hostFiles bound)
	mounts   []specs.Mount // RUN --mount
}

// mountpoints are created in a root filesystem before a RUN (and before
// its "before" scan) so that they never show up in a layer.
var mountpoints = []string{"proc", "sys", "dev"}

// config is the OCI runtime config of a RUN step.
func (r runSpec) config() *specs.Spec {
	caps := defaultCaps
	s := &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: r.rootfs},
		Process: &specs.Process{
			Args:         r.args,
			Env:          r.env,
			Cwd:          r.cwd,
			User:         specs.User{UID: r.uid, GID: r.gid, AdditionalGids: r.groups},
			Capabilities: &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
		},
		Hostname: "strata-build",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
			},
			MaskedPaths:   []string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
	s.Mounts = append(s.Mounts, r.mounts...)
	if r.network != "host" {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	} else {
		// The host's network wants the host's resolver and hosts file, as
		// Docker gives RUN; read-only binds over files created empty
		// (hostFiles), which the layer leaves out.
		for _, f := range hostFiles {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: f, Type: "bind", Source: f, Options: []string{"rbind", "ro"}})
		}
	}
	return s
}

// hostFiles are bound from the host into RUN steps on the host network.
var hostFiles = []string{"/etc/resolv.conf", "/etc/hosts"}

// prepareHostFiles creates the hostFiles a root filesystem lacks (empty),
// when it has /etc, and returns those it created.
func prepareHostFiles(rootfs string) ([]string, error) {
	if fi, err := os.Lstat(filepath.Join(rootfs, "etc")); err != nil || !fi.IsDir() {
		return nil, nil
	}
	var created []string
	for _, f := range hostFiles {
		p := filepath.Join(rootfs, f)
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return created, err
		}
		created = append(created, f)
	}
	return created, nil
}

// runContainer runs a RUN step with ctr and returns its exit status; the
// process's output goes to out. stateDir holds the bundle and the
// runtime state, removed afterwards.
func runContainer(ctx context.Context, r runSpec, stateDir string, out io.Writer) (int, error) {
	for _, m := range mountpoints {
		if err := os.MkdirAll(filepath.Join(r.rootfs, m), 0o755); err != nil {
			return -1, err
		}
	}
	if r.network == "host" {
		if _, err := prepareHostFiles(r.rootfs); err != nil {
			return -1, err
		}
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return -1, err
	}
	id := "strata-build-" + hex.EncodeToString(b[:])
	bundle := filepath.Join(stateDir, "bundles", id)
	if err := os.MkdirAll(bundle, 0o700); err != nil {
		return -1, err
	}
	defer os.RemoveAll(bundle)
	data, err := json.Marshal(r.config())
	if err != nil {
		return -1, err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o600); err != nil {
		return -1, err
	}
	st := ctr.Store{Root: filepath.Join(stateDir, "state"), Warnings: out}
	// A cancelled build kills the step's process.
	sigs := make(chan os.Signal, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
			sigs <- syscall.SIGKILL
		case <-stop:
		}
	}()
	code, err := st.Run(id, ctr.CreateOptions{Bundle: bundle, Stdout: out, Stderr: out}, sigs)
	if err != nil {
		return -1, fmt.Errorf("run container: %w", err)
	}
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	return code, nil
}

// tailWriter passes writes through and keeps the last lines written.
type tailWriter struct {
	w    io.Writer
	buf  []byte
	keep int
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.keep {
		t.buf = t.buf[len(t.buf)-t.keep:]
	}
	if t.w == nil {
		return len(p), nil
	}
	return t.w.Write(p)
}

// tail returns up to n last lines.
func (t *tailWriter) tail(n int) string {
	lines := strings.Split(strings.TrimRight(string(t.buf), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
