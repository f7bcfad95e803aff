package frontdoor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strata/ctrnet"
	"strata/image"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultRoot is where `strata run` keeps its bundles and container
// state unless --root or STRATA_ROOT says otherwise: the image store's
// root too.
const DefaultRoot = image.DefaultRoot

// RunOptions are the flags of `strata run` (see docs/run.md).
type RunOptions struct {
	Root     string
	Rootfs   string // a root filesystem directory instead of an image
	Hostname string
	Env      []string
	Workdir  string
	User     string
	Memory   string
	Pids     int64
	CPUs     float64
	Network  string
	Volumes  []string
	Rm       bool
	Name     string
	Detach   bool
	TTY      bool
	Bridge   string
	Subnet   string
	// WorkdirSet and UserSet: the flags were given (they then override
	// the image's).
	WorkdirSet, UserSet bool
}

// Stdio is a foreground container's standard streams, and where run
// reports (the name of a detached container, warnings).
type Stdio struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Run runs a container the way `strata run` does: IMAGE [CMD…] (args[0]
// is the image) or, with Rootfs, CMD…. In the foreground it returns the
// container process's exit status (128+N when killed by signal N),
// relaying stdio and the usual signals; with Detach it starts a monitor,
// prints the name on Stdout and returns 0 once the container runs. An
// error means the container never ran, and nothing of it is left.
func Run(ctx context.Context, o *RunOptions, args []string, stdio Stdio) (int, error) {
	err := run(ctx, o, args, stdio)
	var ee exitStatus
	if errors.As(err, &ee) {
		return int(ee), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// exitStatus carries the container's non-zero status out of run.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func run(ctx context.Context, o *RunOptions, args []string, stdio Stdio) error {
	if o.TTY && o.Detach {
		return errors.New("-t with -d: a detached container's output goes to its log; run it in the foreground for a terminal")
	}
	// Either --rootfs DIR -- CMD…, or IMAGE [CMD…].
	var ref, rootfs string
	if o.Rootfs == "" {
		ref, args = args[0], args[1:]
	} else {
		if len(args) == 0 {
			return errors.New("--rootfs: a command is required")
		}
		var err error
		if rootfs, err = filepath.Abs(o.Rootfs); err != nil {
			return fmt.Errorf("--rootfs: %w", err)
		}
		if fi, err := os.Stat(rootfs); err != nil || !fi.IsDir() {
			return fmt.Errorf("--rootfs %s: not a directory", o.Rootfs)
		}
	}
	name := o.Name
	if name == "" {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return err
		}
		name = "strata-" + hex.EncodeToString(b[:])
	}
	if err := validName(name); err != nil {
		return fmt.Errorf("--name: %w", err)
	}
	bo := *o
	if ref != "" {
		bo.User = "0:0" // the image's user, or --user, is looked up in its rootfs below
	}
	spec, err := buildSpec(&bo, rootfs, name, args)
	if err != nil {
		return err
	}
	nc := NetConfig{Mode: o.Network}
	if o.Network == ctrnet.ModeBridge {
		nc.Bridge, nc.Subnet = o.Bridge, o.Subnet
		// Refuse a bad bridge name or subnet before anything is made.
		if _, err := nc.network(); err != nil {
			return fmt.Errorf("--network bridge: %w", err)
		}
	}
	fs, err := Open(o.Root)
	if err != nil {
		return err
	}
	key := fs.Key(name)
	spec.Linux.CgroupsPath = "/strata/" + key
	if err := os.MkdirAll(fs.bundles(), 0o711); err != nil {
		return fmt.Errorf("state root: %w", err)
	}
	bundle := fs.Bundle(name)
	if err := os.Mkdir(bundle, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("a container named %q already exists (strata rm %s removes it)", name, name)
		}
		return fmt.Errorf("bundle: %w", err)
	}
	// Until the container runs, a failure removes the bundle: the name is
	// free again and nothing is left.
	running := false
	var img *ImageMeta
	defer func() {
		if !running {
			if err := releaseImageRootfs(context.Background(), o.Root, img, filepath.Join(bundle, "rootfs"), true); err != nil {
				fmt.Fprintf(stdio.Stderr, "strata run: %v\n", err)
			} else {
				os.RemoveAll(bundle)
			}
		}
	}()
	if ref != "" {
		dir := filepath.Join(bundle, "rootfs")
		cfg, m, err := prepareImageRootfs(ctx, o.Root, ref, key, dir)
		if err != nil {
			return err
		}
		img = m
		spec.Root.Path = dir
		if err := applyImageConfig(spec, cfg, args, o, dir); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(bundle, ConfigFile), data, 0o600); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	meta := &Meta{
		Name:     name,
		Key:      key,
		Command:  spec.Process.Args,
		Created:  time.Now().UTC(),
		Detached: o.Detach,
		Remove:   o.Rm,
		Network:  nc,
		Image:    img,
	}
	if err := fs.saveMeta(meta); err != nil {
		return err
	}
	if o.Detach {
		if _, err := startMonitor(fs, name); err != nil {
			return err
		}
		running = true
		fmt.Fprintln(stdio.Stdout, name)
		return nil
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, ForwardedSignals...)
	defer signal.Stop(sigs)
	k := &keeper{
		fs: fs, meta: meta,
		stdin: stdio.Stdin, stdout: stdio.Stdout, stderr: stdio.Stderr,
		tty:      o.TTY,
		forward:  sigs,
		started:  func(int) { running = true },
		log:      slog.New(slog.NewTextHandler(stdio.Stderr, nil)),
		warnings: stdio.Stderr,
	}
	code, err := k.run()
	if err != nil {
		return err
	}
	if code != 0 {
		return exitStatus(code)
	}
	return nil
}

// buildSpec makes the config.json of `strata run`: what `runc spec` writes
// (mounts, masked and read-only paths, capabilities), adjusted by the flags.
func buildSpec(o *RunOptions, rootfs, name string, args []string) (*specs.Spec, error) {
	hostname := o.Hostname
	if hostname == "" {
		hostname = name
		if len(hostname) > 63 {
			hostname = hostname[:63]
		}
	}
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "HOME=/root"}
	for _, e := range o.Env {
		k, _, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--env %q: want K=V", e)
		}
		env = setEnv(env, e)
	}
	if !filepath.IsAbs(o.Workdir) {
		return nil, fmt.Errorf("--workdir %q: must be an absolute path", o.Workdir)
	}
	user, err := parseUser(o.User)
	if err != nil {
		return nil, err
	}
	// runc spec's default set, for any user (no ambient capabilities).
	caps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	s := &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: rootfs},
		Process: &specs.Process{
			Args:            args,
			Env:             env,
			Terminal:        o.TTY,
			Cwd:             filepath.Clean(o.Workdir),
			User:            user,
			NoNewPrivileges: true,
			Capabilities:    &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		},
		Hostname: hostname,
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
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace},
			},
			MaskedPaths: []string{
				"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
				"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
			},
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		},
	}
	switch o.Network {
	case "none":
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	case "host":
		// The host's network namespace: nothing to add.
	case "bridge":
		// A new namespace; strata run puts a veth on the bridge into it
		// between create and start.
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	default:
		return nil, fmt.Errorf("--network %q: want none, host or bridge", o.Network)
	}
	for _, v := range o.Volumes {
		m, err := parseVolume(v)
		if err != nil {
			return nil, err
		}
		s.Mounts = append(s.Mounts, m)
	}
	res := &specs.LinuxResources{}
	limited := false
	if o.Memory != "" {
		n, err := parseMemory(o.Memory)
		if err != nil {
			return nil, fmt.Errorf("--memory: %w", err)
		}
		res.Memory = &specs.LinuxMemory{Limit: &n}
		limited = true
	}
	if o.Pids < 0 {
		return nil, fmt.Errorf("--pids %d: must not be negative", o.Pids)
	}
	if o.Pids > 0 {
		pids := o.Pids
		res.Pids = &specs.LinuxPids{Limit: &pids}
		limited = true
	}
	if o.CPUs < 0 {
		return nil, fmt.Errorf("--cpus %g: must not be negative", o.CPUs)
	}
	if o.CPUs > 0 {
		period := uint64(100000)
		quota := int64(o.CPUs * float64(period))
		if quota < 1000 {
			return nil, fmt.Errorf("--cpus %g: too small (at least 0.01)", o.CPUs)
		}
		res.CPU = &specs.LinuxCPU{Period: &period, Quota: &quota}
		limited = true
	}
	if limited {
		s.Linux.Resources = res
	}
	return s, nil
}

// setEnv replaces K's entry in env or appends kv.
func setEnv(env []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if ek, _, _ := strings.Cut(e, "="); ek == k {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// parseUser parses a numeric UID[:GID]; GID defaults to 0 (there is no
// /etc/passwd lookup yet).
func parseUser(s string) (specs.User, error) {
	us, gs, hasGID := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return specs.User{}, fmt.Errorf("--user %q: want a numeric UID[:GID] (names are not supported yet)", s)
	}
	var gid uint64
	if hasGID {
		if gid, err = strconv.ParseUint(gs, 10, 32); err != nil {
			return specs.User{}, fmt.Errorf("--user %q: want a numeric UID[:GID] (names are not supported yet)", s)
		}
	}
	return specs.User{UID: uint32(uid), GID: uint32(gid)}, nil
}

// parseVolume parses HOST:CTR[:ro|:rw] into a recursive bind mount.
func parseVolume(v string) (specs.Mount, error) {
	parts := strings.Split(v, ":")
	mode := "rw"
	switch len(parts) {
	case 2:
	case 3:
		mode = parts[2]
		if mode != "ro" && mode != "rw" {
			return specs.Mount{}, fmt.Errorf("--volume %q: mode must be ro or rw", v)
		}
	default:
		return specs.Mount{}, fmt.Errorf("--volume %q: want HOST:CTR[:ro]", v)
	}
	host, dest := parts[0], parts[1]
	if host == "" || !filepath.IsAbs(dest) {
		return specs.Mount{}, fmt.Errorf("--volume %q: want HOST:CTR[:ro] with an absolute CTR path", v)
	}
	src, err := filepath.Abs(host)
	if err != nil {
		return specs.Mount{}, fmt.Errorf("--volume %q: %w", v, err)
	}
	if _, err := os.Stat(src); err != nil {
		return specs.Mount{}, fmt.Errorf("--volume %q: %w", v, err)
	}
	return specs.Mount{Destination: filepath.Clean(dest), Type: "bind", Source: src, Options: []string{"rbind", mode}}, nil
}

// parseMemory parses a byte count with an optional K, M or G suffix (powers
// of 1024; a trailing B or iB is accepted: 64M, 64MB, 64MiB).
func parseMemory(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q: want a positive size such as 64M", s)
	}
	return n * mult, nil
}
