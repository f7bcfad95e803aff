package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"

	"strata/ctrnet"
	"strata/image"
)

// defaultRunRoot is where `strata run` keeps its bundles and container
// state unless --root or STRATA_ROOT says otherwise.
const defaultRunRoot = image.DefaultRoot

// runOptions are the flags of `strata run`.
type runOptions struct {
	root     string
	rootfs   string
	hostname string
	env      []string
	workdir  string
	user     string
	memory   string
	pids     int64
	cpus     float64
	network  string
	volumes  []string
	rm       bool
	name     string
	detach   bool
	tty      bool
	bridge   string
	subnet   string
}

func newRunCmd() *cobra.Command {
	o := &runOptions{}
	c := &cobra.Command{
		Use:   "run [flags] IMAGE [CMD [ARGS...]] | run --rootfs DIR [flags] -- CMD [ARGS...]",
		Short: "run a command in a container made from an image or a root filesystem directory",
		Long: `run writes an OCI bundle (config.json generated from the flags) under
ROOT/bundles/NAME and runs the container. Its root filesystem is either an
image of the store under the same root — a writable snapshot of its layers
mounted at ROOT/bundles/NAME/rootfs, with the image's entrypoint, command,
environment, working directory, user and labels as defaults for the flags
and CMD — or, with --rootfs, a directory used in place, read-write.

In the foreground (the default) it uses this terminal's stdin/stdout/stderr
and exits with the container process's status (128+signal when it was
killed). With -d it prints the container's name once the container runs and
returns; a monitor process (strata ctr-monitor) keeps the container, with
its stdout and stderr appended to ROOT/bundles/NAME/container.log (strata
logs), and records its exit status (strata ps -a).

When the container exits its runtime state, cgroups and network are
released; the bundle directory (config, log, exit status) stays until
strata rm, or goes at once with --rm. Networking: none (loopback only, the
default), host, or bridge (a veth on the bridge strata0 and an address from
10.99.0.0/24; --bridge and --subnet choose others).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("root") {
				if env := os.Getenv("STRATA_ROOT"); env != "" {
					o.root = env
				}
			}
			return runContainer(cmd, o, args)
		},
	}
	f := c.Flags()
	// Flags end at IMAGE: what follows is the container's command.
	f.SetInterspersed(false)
	f.StringVar(&o.root, "root", defaultRunRoot, "state root (bundles/ and state/ under it); STRATA_ROOT overrides the default")
	f.StringVar(&o.rootfs, "rootfs", "", "root filesystem directory (required; used in place, read-write)")
	f.StringVar(&o.hostname, "hostname", "", "container hostname (default: the container name)")
	f.StringArrayVarP(&o.env, "env", "e", nil, "environment variable K=V (repeatable)")
	f.StringVarP(&o.workdir, "workdir", "w", "/", "working directory inside the container (default: the image's)")
	f.StringVarP(&o.user, "user", "u", "0:0", "UID[:GID] to run as (with an image also names from its /etc/passwd and /etc/group; default: the image's user)")
	f.StringVarP(&o.memory, "memory", "m", "", "memory limit, e.g. 64M (suffixes K, M, G; bytes without)")
	f.Int64Var(&o.pids, "pids", 0, "maximum number of processes (0: no limit)")
	f.Float64Var(&o.cpus, "cpus", 0, "CPU quota in CPUs, e.g. 0.5 (0: no limit)")
	f.StringVar(&o.network, "network", "none", "network: none (loopback only), host, or bridge")
	f.StringVar(&o.bridge, "bridge", ctrnet.DefaultBridge, "bridge of --network bridge")
	f.StringVar(&o.subnet, "subnet", ctrnet.DefaultSubnet, "IPv4 subnet of --network bridge's bridge (its .1 is the gateway)")
	f.BoolVarP(&o.detach, "detach", "d", false, "run in the background, print the name; output goes to the log (strata logs)")
	f.BoolVarP(&o.tty, "tty", "t", false, "give the container a pseudo-terminal on this terminal (foreground only; TERM=xterm)")
	f.StringArrayVarP(&o.volumes, "volume", "v", nil, "bind mount HOST:CTR[:ro] (repeatable)")
	f.BoolVar(&o.rm, "rm", false, "remove the bundle (config, log, exit status) too when the container exits")
	f.StringVar(&o.name, "name", "", "container name (default: a random one)")
	return c
}

func runContainer(cmd *cobra.Command, o *runOptions, args []string) error {
	if o.tty && o.detach {
		return errors.New("-t with -d: a detached container's output goes to its log; run it in the foreground for a terminal")
	}
	// Either --rootfs DIR -- CMD…, or IMAGE [CMD…].
	var ref, rootfs string
	if o.rootfs == "" {
		ref, args = args[0], args[1:]
	} else {
		if len(args) == 0 {
			return errors.New("--rootfs: a command is required")
		}
		var err error
		if rootfs, err = filepath.Abs(o.rootfs); err != nil {
			return fmt.Errorf("--rootfs: %w", err)
		}
		if fi, err := os.Stat(rootfs); err != nil || !fi.IsDir() {
			return fmt.Errorf("--rootfs %s: not a directory", o.rootfs)
		}
	}
	name := o.name
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
		bo.user = "0:0" // the image's user, or --user, is looked up in its rootfs below
	}
	spec, err := buildSpec(&bo, rootfs, name, args)
	if err != nil {
		return err
	}
	nc := netConfig{Mode: o.network}
	if o.network == ctrnet.ModeBridge {
		nc.Bridge, nc.Subnet = o.bridge, o.subnet
		// Refuse a bad bridge name or subnet before anything is made.
		if _, err := nc.network(); err != nil {
			return fmt.Errorf("--network bridge: %w", err)
		}
	}
	fs, err := openFrontStore(o.root)
	if err != nil {
		return err
	}
	key := fs.key(name)
	spec.Linux.CgroupsPath = "/strata/" + key
	if err := os.MkdirAll(fs.bundles(), 0o711); err != nil {
		return fmt.Errorf("state root: %w", err)
	}
	bundle := fs.bundle(name)
	if err := os.Mkdir(bundle, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("a container named %q already exists (strata rm %s removes it)", name, name)
		}
		return fmt.Errorf("bundle: %w", err)
	}
	// Until the container runs, a failure removes the bundle: the name is
	// free again and nothing is left.
	running := false
	var img *imageMeta
	defer func() {
		if !running {
			if err := releaseImageRootfs(context.Background(), o.root, img, filepath.Join(bundle, "rootfs"), true); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "strata run: %v\n", err)
			} else {
				os.RemoveAll(bundle)
			}
		}
	}()
	if ref != "" {
		dir := filepath.Join(bundle, "rootfs")
		cfg, m, err := prepareImageRootfs(cmd.Context(), o.root, ref, key, dir)
		if err != nil {
			return err
		}
		img = m
		spec.Root.Path = dir
		if err := applyImageConfig(spec, cfg, args, o, cmd.Flags().Changed("workdir"), cmd.Flags().Changed("user"), dir); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(bundle, configFile), data, 0o600); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	meta := &frontMeta{
		Name:     name,
		Key:      key,
		Command:  spec.Process.Args,
		Created:  time.Now().UTC(),
		Detached: o.detach,
		Remove:   o.rm,
		Network:  nc,
		Image:    img,
	}
	if err := fs.saveMeta(meta); err != nil {
		return err
	}
	if o.detach {
		if _, err := startMonitor(fs, name); err != nil {
			return err
		}
		running = true
		fmt.Fprintln(cmd.OutOrStdout(), name)
		return nil
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	k := &keeper{
		fs: fs, meta: meta,
		stdin: cmd.InOrStdin(), stdout: cmd.OutOrStdout(), stderr: cmd.ErrOrStderr(),
		tty:      o.tty,
		forward:  sigs,
		started:  func(int) { running = true },
		log:      slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)),
		warnings: cmd.ErrOrStderr(),
	}
	code, err := k.run()
	if err != nil {
		return err
	}
	if code != 0 {
		return exitError{code}
	}
	return nil
}

// buildSpec makes the config.json of `strata run`: what `runc spec` writes
// (mounts, masked and read-only paths, capabilities), adjusted by the flags.
func buildSpec(o *runOptions, rootfs, name string, args []string) (*specs.Spec, error) {
	hostname := o.hostname
	if hostname == "" {
		hostname = name
		if len(hostname) > 63 {
			hostname = hostname[:63]
		}
	}
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "HOME=/root"}
	for _, e := range o.env {
		k, _, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--env %q: want K=V", e)
		}
		env = setEnv(env, e)
	}
	if !filepath.IsAbs(o.workdir) {
		return nil, fmt.Errorf("--workdir %q: must be an absolute path", o.workdir)
	}
	user, err := parseUser(o.user)
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
			Terminal:        o.tty,
			Cwd:             filepath.Clean(o.workdir),
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
	switch o.network {
	case "none":
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	case "host":
		// The host's network namespace: nothing to add.
	case "bridge":
		// A new namespace; strata run puts a veth on the bridge into it
		// between create and start.
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	default:
		return nil, fmt.Errorf("--network %q: want none, host or bridge", o.network)
	}
	for _, v := range o.volumes {
		m, err := parseVolume(v)
		if err != nil {
			return nil, err
		}
		s.Mounts = append(s.Mounts, m)
	}
	res := &specs.LinuxResources{}
	limited := false
	if o.memory != "" {
		n, err := parseMemory(o.memory)
		if err != nil {
			return nil, fmt.Errorf("--memory: %w", err)
		}
		res.Memory = &specs.LinuxMemory{Limit: &n}
		limited = true
	}
	if o.pids < 0 {
		return nil, fmt.Errorf("--pids %d: must not be negative", o.pids)
	}
	if o.pids > 0 {
		pids := o.pids
		res.Pids = &specs.LinuxPids{Limit: &pids}
		limited = true
	}
	if o.cpus < 0 {
		return nil, fmt.Errorf("--cpus %g: must not be negative", o.cpus)
	}
	if o.cpus > 0 {
		period := uint64(100000)
		quota := int64(o.cpus * float64(period))
		if quota < 1000 {
			return nil, fmt.Errorf("--cpus %g: too small (at least 0.01)", o.cpus)
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
