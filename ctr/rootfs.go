package ctr

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"strata/filetree"
)

// setupRootfs runs in the init, inside its new mount namespace: it makes
// the host's mounts private to this namespace, binds the rootfs to itself,
// mounts config.json's mounts, creates /dev, pivots into the rootfs and
// applies masked, read-only paths and a read-only root.
// beforePivot runs after the mounts and devices, before pivot_root (the
// createRuntime/createContainer hook point).
//
// In a user namespace (userns) device nodes cannot be made: the host's
// are bind-mounted instead, and sysfs, which needs a network namespace
// owned by the user namespace, becomes a recursive bind of the host's
// /sys when it cannot be mounted — runc's behaviour. noPivot (or a root
// on ramfs, where pivot_root fails) moves the rootfs onto / and chroots.
func setupRootfs(spec *specs.Spec, rootfs string, userns, noPivot bool, beforePivot func() error) error {
	// Nothing done below may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	if err := unix.Mount(rootfs, rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind rootfs: %w", err)
	}
	devMounted := false
	for i, m := range spec.Mounts {
		err := mountOne(rootfs, m)
		if err != nil && userns && m.Type == "sysfs" && errors.Is(err, unix.EPERM) {
			m.Type, m.Source = "", "/sys"
			m.Options = append([]string{"rbind"}, m.Options...)
			err = mountOne(rootfs, m)
		}
		if err != nil {
			return fmt.Errorf("mounts[%d] (%s): %w", i, m.Destination, err)
		}
		if filepath.Clean(m.Destination) == "/dev" {
			devMounted = true
		}
	}
	if err := setupDev(rootfs, spec.Linux.Devices, devMounted, userns); err != nil {
		return err
	}
	if err := beforePivot(); err != nil {
		return err
	}
	if noPivot || onRamfs() {
		if err := moveRoot(rootfs); err != nil {
			return err
		}
	} else if err := pivotRoot(rootfs); err != nil {
		return err
	}
	for k, v := range spec.Linux.Sysctl {
		p := "/proc/sys/" + strings.ReplaceAll(k, ".", "/")
		if err := os.WriteFile(p, []byte(v), 0); err != nil {
			return fmt.Errorf("linux.sysctl %s: %w", k, err)
		}
	}
	for _, p := range spec.Linux.MaskedPaths {
		if err := maskPath(p); err != nil {
			return fmt.Errorf("linux.maskedPaths %s: %w", p, err)
		}
	}
	for _, p := range spec.Linux.ReadonlyPaths {
		if err := readonlyPath(p); err != nil {
			return fmt.Errorf("linux.readonlyPaths %s: %w", p, err)
		}
	}
	if spec.Root.Readonly {
		if err := unix.Mount("", "/", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("root.readonly: %w", err)
		}
	}
	if prop := spec.Linux.RootfsPropagation; prop != "" {
		_, flags, _ := parseOptions([]string{prop})
		if err := unix.Mount("", "/", "", flags, ""); err != nil {
			return fmt.Errorf("linux.rootfsPropagation: %w", err)
		}
	}
	return nil
}

// mountOne mounts one config.json mount under rootfs.
func mountOne(rootfs string, m specs.Mount) error {
	dest, err := filetree.ResolveIn(rootfs, m.Destination, true)
	if err != nil {
		return err
	}
	flags, prop, data := parseOptions(m.Options)
	src := m.Source
	if m.Type == "cgroup" || m.Type == "cgroup2" {
		// No cgroup namespace: show the container's own cgroups.
		return mountCgroups(dest, flags)
	}
	bind := flags&unix.MS_BIND != 0
	if bind {
		fi, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("bind source: %w", err)
		}
		if err := makeMountpoint(dest, fi.IsDir()); err != nil {
			return err
		}
		if err := unix.Mount(src, dest, "", flags&(unix.MS_BIND|unix.MS_REC), ""); err != nil {
			return fmt.Errorf("bind %s: %w", src, err)
		}
		// Bind mounts ignore most flags until remounted.
		if rest := flags &^ (unix.MS_BIND | unix.MS_REC); rest != 0 {
			err := unix.Mount("", dest, "", rest|unix.MS_BIND|unix.MS_REMOUNT, "")
			if errors.Is(err, unix.EPERM) {
				// In a user namespace the source's nosuid, nodev,
				// noexec, ro and atime flags are locked: keep them.
				err = unix.Mount("", dest, "", rest|lockedFlags(src)|unix.MS_BIND|unix.MS_REMOUNT, "")
			}
			if err != nil {
				return fmt.Errorf("remount %s: %w", dest, err)
			}
		}
	} else if m.Type == "tmpfs" && slices.Contains(m.Options, optTmpcopyup) {
		if err := makeMountpoint(dest, true); err != nil {
			return err
		}
		if err := mountTmpcopyup(dest, flags, data); err != nil {
			return err
		}
	} else {
		if err := makeMountpoint(dest, true); err != nil {
			return err
		}
		if err := unix.Mount(m.Source, dest, m.Type, flags, data); err != nil {
			return fmt.Errorf("mount %s: %w", m.Type, err)
		}
	}
	if prop != 0 {
		if err := unix.Mount("", dest, "", prop, ""); err != nil {
			return fmt.Errorf("propagation of %s: %w", dest, err)
		}
	}
	return nil
}

// optTmpcopyup is runc's mount option for a tmpfs that starts with a copy
// of what the rootfs has at its destination (podman's --tmpfs and
// --read-only use it).
const optTmpcopyup = "tmpcopyup"

// mountTmpcopyup mounts a tmpfs on a temporary directory, copies dest's
// contents with their metadata (filetree.Copy) into it, and moves it onto
// dest. It runs in the container's private mount namespace.
func mountTmpcopyup(dest string, flags uintptr, data string) error {
	tmp, err := os.MkdirTemp("", "strata-tmpcopyup-")
	if err != nil {
		return fmt.Errorf("tmpcopyup: %w", err)
	}
	defer os.Remove(tmp)
	if err := unix.Mount("tmpfs", tmp, "tmpfs", flags&^unix.MS_RDONLY, data); err != nil {
		return fmt.Errorf("mount tmpfs: %w", err)
	}
	if err := filetree.Copy(dest, tmp); err != nil {
		unix.Unmount(tmp, unix.MNT_DETACH)
		return fmt.Errorf("tmpcopyup of %s: %w", dest, err)
	}
	if flags&unix.MS_RDONLY != 0 {
		if err := unix.Mount("", tmp, "", unix.MS_REMOUNT|flags, data); err != nil {
			unix.Unmount(tmp, unix.MNT_DETACH)
			return fmt.Errorf("tmpcopyup: remount read-only: %w", err)
		}
	}
	if err := unix.Mount(tmp, dest, "", unix.MS_MOVE, ""); err != nil {
		unix.Unmount(tmp, unix.MNT_DETACH)
		return fmt.Errorf("tmpcopyup: move onto %s: %w", dest, err)
	}
	return nil
}

func makeMountpoint(dest string, dir bool) error {
	if dir {
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return fmt.Errorf("mountpoint: %w", err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("mountpoint: %w", err)
	}
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		return fmt.Errorf("mountpoint: %w", err)
	}
	return f.Close()
}

// mountFlagOptions maps mount(8) options to the flag they set (clear
// false) or clear (clear true).
var mountFlagOptions = map[string]struct {
	flag  uintptr
	clear bool
}{
	"ro": {unix.MS_RDONLY, false}, "rw": {unix.MS_RDONLY, true},
	"bind": {unix.MS_BIND, false}, "rbind": {unix.MS_BIND | unix.MS_REC, false},
	"nosuid": {unix.MS_NOSUID, false}, "suid": {unix.MS_NOSUID, true},
	"nodev": {unix.MS_NODEV, false}, "dev": {unix.MS_NODEV, true},
	"noexec": {unix.MS_NOEXEC, false}, "exec": {unix.MS_NOEXEC, true},
	"sync": {unix.MS_SYNCHRONOUS, false}, "async": {unix.MS_SYNCHRONOUS, true},
	"dirsync": {unix.MS_DIRSYNC, false}, "remount": {unix.MS_REMOUNT, false},
	"mand": {unix.MS_MANDLOCK, false}, "nomand": {unix.MS_MANDLOCK, true},
	"noatime": {unix.MS_NOATIME, false}, "atime": {unix.MS_NOATIME, true},
	"nodiratime": {unix.MS_NODIRATIME, false}, "diratime": {unix.MS_NODIRATIME, true},
	"relatime": {unix.MS_RELATIME, false}, "norelatime": {unix.MS_RELATIME, true},
	"strictatime": {unix.MS_STRICTATIME, false}, "nostrictatime": {unix.MS_STRICTATIME, true},
}

// propagationOptions maps mount(8) propagation options to their flags.
var propagationOptions = map[string]uintptr{
	"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
	"shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC,
	"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC,
	"unbindable": unix.MS_UNBINDABLE, "runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// parseOptions splits mount(8)-style options into mount flags,
// propagation flags and the data string for the filesystem.
func parseOptions(opts []string) (flags, prop uintptr, data string) {
	var extra []string
	for _, o := range opts {
		if o == optTmpcopyup {
			continue // runc's extension, handled by mountOne
		}
		if f, ok := mountFlagOptions[o]; ok {
			if f.clear {
				flags &^= f.flag
			} else {
				flags |= f.flag
			}
		} else if p, ok := propagationOptions[o]; ok {
			prop = p
		} else {
			extra = append(extra, o)
		}
	}
	return flags, prop, strings.Join(extra, ",")
}

// defaultDevices returns the nodes every container gets (OCI runtime
// spec, "Default Devices").
func defaultDevices() []specs.LinuxDevice {
	return []specs.LinuxDevice{
		{Path: "/dev/null", Type: "c", Major: 1, Minor: 3},
		{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5},
		{Path: "/dev/full", Type: "c", Major: 1, Minor: 7},
		{Path: "/dev/random", Type: "c", Major: 1, Minor: 8},
		{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9},
		{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0},
	}
}

// setupDev creates the default and configured device nodes and the
// standard /dev symlinks. Without a /dev mount from config.json, only the
// configured devices are created (the rootfs's own /dev is left alone).
func setupDev(rootfs string, devices []specs.LinuxDevice, devMounted, userns bool) error {
	all := devices
	if devMounted {
		all = append(append([]specs.LinuxDevice{}, defaultDevices()...), devices...)
	}
	for _, d := range all {
		create := mknod
		if userns {
			create = bindDevice
		}
		if err := create(rootfs, d); err != nil {
			return fmt.Errorf("linux.devices %s: %w", d.Path, err)
		}
	}
	if !devMounted {
		return nil
	}
	links := [][2]string{
		{"/proc/self/fd", "/dev/fd"},
		{"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"},
		{"/proc/self/fd/2", "/dev/stderr"},
		{"pts/ptmx", "/dev/ptmx"},
	}
	for _, l := range links {
		dst := filepath.Join(rootfs, l[1])
		if _, err := os.Lstat(dst); err == nil {
			continue // a mount or device already provides it
		}
		if err := os.Symlink(l[0], dst); err != nil {
			return fmt.Errorf("/dev symlink %s: %w", l[1], err)
		}
	}
	return nil
}

func mknod(rootfs string, d specs.LinuxDevice) error {
	dest, err := filetree.ResolveIn(rootfs, d.Path, true)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	mode := uint32(0o666)
	if d.FileMode != nil {
		mode = uint32(*d.FileMode & 0o7777)
	}
	switch d.Type {
	case "c", "u":
		mode |= unix.S_IFCHR
	case "b":
		mode |= unix.S_IFBLK
	case "p":
		mode |= unix.S_IFIFO
	}
	os.Remove(dest)
	if err := unix.Mknod(dest, mode, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor)))); err != nil {
		return fmt.Errorf("mknod: %w", err)
	}
	uid, gid := 0, 0
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	if err := unix.Chown(dest, uid, gid); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	return nil
}

// bindDevice bind-mounts the host's node at d.Path onto an empty file in
// the rootfs: what a user namespace allows instead of mknod.
func bindDevice(rootfs string, d specs.LinuxDevice) error {
	dest, err := filetree.ResolveIn(rootfs, d.Path, true)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	if err := makeMountpoint(dest, false); err != nil {
		return err
	}
	if err := unix.Mount(d.Path, dest, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind host device (user namespace): %w", err)
	}
	return nil
}

// lockedFlags returns the mount flags of the mount holding path that a
// bind remount in a user namespace must keep.
func lockedFlags(path string) uintptr {
	var st unix.Statfs_t
	if unix.Statfs(path, &st) != nil {
		return 0
	}
	var f uintptr
	for _, m := range [][2]uintptr{
		{unix.ST_RDONLY, unix.MS_RDONLY}, {unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV}, {unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_NOATIME, unix.MS_NOATIME}, {unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		{unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if uintptr(st.Flags)&m[0] != 0 {
			f |= m[1]
		}
	}
	return f
}

// onRamfs reports whether / is the initramfs (ramfs), where pivot_root
// fails with EINVAL.
func onRamfs() bool {
	var st unix.Statfs_t
	return unix.Statfs("/", &st) == nil && st.Type == unix.RAMFS_MAGIC
}

// moveRoot is the fallback for pivot_root (runc's --no-pivot): it moves
// the rootfs mount onto / and chroots into it. The host's old root stays
// mounted underneath in the container's mount namespace (hidden, but not
// detached), which is why pivot_root is the default.
func moveRoot(rootfs string) error {
	if err := unix.Chdir(rootfs); err != nil {
		return fmt.Errorf("chdir rootfs: %w", err)
	}
	if err := unix.Mount(rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move rootfs onto / (no pivot): %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot (no pivot): %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}

// pivotRoot makes rootfs the root with pivot_root(".", "."), which stacks
// the old root on top of the new one, then lazily detaches the old root.
// (Where pivot_root cannot work — a root on the initramfs — moveRoot is
// the fallback.)
func pivotRoot(rootfs string) error {
	oldroot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open old root: %w", err)
	}
	defer unix.Close(oldroot)
	if err := unix.Chdir(rootfs); err != nil {
		return fmt.Errorf("chdir rootfs: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	// The old root is now stacked on the new one, but "." is still the
	// new root's directory: step into the old root so the rslave below
	// reaches it and not the container's own mounts (which would turn a
	// bind's rshared, a peer group of one, into private).
	if err := unix.Fchdir(oldroot); err != nil {
		return fmt.Errorf("fchdir old root: %w", err)
	}
	// Keep the unmount of the old root from propagating anywhere.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("old root rslave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}

// maskPath hides a path: /dev/null over a file, an empty read-only tmpfs
// over a directory. Missing paths are fine.
func maskPath(p string) error {
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "")
	}
	return unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
}

// readonlyPath bind-mounts a path onto itself read-only.
func readonlyPath(p string) error {
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	return unix.Mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_REC, "")
}
