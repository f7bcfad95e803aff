package image

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// RunOverrides are what `strata run` may override of an image's config.
type RunOverrides struct {
	Entrypoint *[]string // non-nil replaces the image's entrypoint ([]{}: none)
	Cmd        []string  // non-empty replaces the image's CMD
	Env        []string  // K=V, added to or replacing the image's variables
	WorkingDir string    // replaces the image's working directory
	User       string    // replaces the image's user
}

// Process is what a container made from an image runs, by docker's rules.
type Process struct {
	Args         []string          // entrypoint + cmd
	Env          []string          // image env, then overrides (by key)
	Cwd          string            // working directory ("/" by default)
	User         string            // user spec as written (NAME|UID[:GROUP|GID]); see ResolveUser
	Labels       map[string]string // image labels
	ExposedPorts []string          // e.g. "80/tcp", sorted
	StopSignal   string            // e.g. "SIGTERM"; empty: the default
}

// ProcessFor combines an image config with run-time overrides: the
// arguments are the entrypoint followed by the command (overridden CMD
// replaces the image's; an overridden entrypoint also drops the image's
// CMD), environment variables are merged by key, and the working directory
// defaults to "/". It fails when there is nothing to run.
func ProcessFor(cfg ocispec.ImageConfig, o RunOverrides) (Process, error) {
	p := Process{Labels: cfg.Labels, StopSignal: cfg.StopSignal, User: cfg.User, Cwd: cfg.WorkingDir}
	entry, cmd := cfg.Entrypoint, cfg.Cmd
	if o.Entrypoint != nil {
		entry, cmd = *o.Entrypoint, nil
	}
	if len(o.Cmd) > 0 {
		cmd = o.Cmd
	}
	p.Args = append(append([]string{}, entry...), cmd...)
	if len(p.Args) == 0 {
		return p, fmt.Errorf("image has no entrypoint or command and none was given")
	}
	p.Env = mergeEnv(cfg.Env, o.Env)
	if o.WorkingDir != "" {
		p.Cwd = o.WorkingDir
	}
	if p.Cwd == "" {
		p.Cwd = "/"
	}
	if o.User != "" {
		p.User = o.User
	}
	for port := range cfg.ExposedPorts {
		p.ExposedPorts = append(p.ExposedPorts, port)
	}
	sort.Strings(p.ExposedPorts)
	return p, nil
}

func mergeEnv(base, over []string) []string {
	out := append([]string{}, base...)
	idx := map[string]int{}
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		idx[k] = i
	}
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	if _, ok := idx["PATH"]; !ok {
		out = append(out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	return out
}

// ResolveUser turns a user spec (NAME or UID, optionally :GROUP or :GID;
// empty is root) into numeric IDs using the rootfs's /etc/passwd and
// /etc/group, read without following symlinks out of rootfs. Additional
// groups are the groups listing the user.
func ResolveUser(rootfs, spec string) (uid, gid uint32, extra []uint32, err error) {
	if spec == "" {
		return 0, 0, nil, nil
	}
	user, group, hasGroup := strings.Cut(spec, ":")
	passwd, _ := readInRoot(rootfs, "etc/passwd")
	groups, _ := readInRoot(rootfs, "etc/group")
	name := ""
	if n, perr := strconv.ParseUint(user, 10, 32); perr == nil {
		uid = uint32(n)
		gid = uid
		for _, f := range colonRecords(passwd, 7) {
			if f[2] == user {
				name = f[0]
				if g, e := strconv.ParseUint(f[3], 10, 32); e == nil {
					gid = uint32(g)
				}
				break
			}
		}
	} else {
		found := false
		for _, f := range colonRecords(passwd, 7) {
			if f[0] == user {
				u, e1 := strconv.ParseUint(f[2], 10, 32)
				g, e2 := strconv.ParseUint(f[3], 10, 32)
				if e1 != nil || e2 != nil {
					return 0, 0, nil, fmt.Errorf("user %q: bad /etc/passwd entry", user)
				}
				uid, gid, name, found = uint32(u), uint32(g), user, true
				break
			}
		}
		if !found {
			return 0, 0, nil, fmt.Errorf("user %q: not in the image's /etc/passwd", user)
		}
	}
	if hasGroup {
		if n, perr := strconv.ParseUint(group, 10, 32); perr == nil {
			gid = uint32(n)
		} else {
			found := false
			for _, f := range colonRecords(groups, 4) {
				if f[0] == group {
					g, e := strconv.ParseUint(f[2], 10, 32)
					if e != nil {
						return 0, 0, nil, fmt.Errorf("group %q: bad /etc/group entry", group)
					}
					gid, found = uint32(g), true
					break
				}
			}
			if !found {
				return 0, 0, nil, fmt.Errorf("group %q: not in the image's /etc/group", group)
			}
		}
	}
	if name != "" {
		for _, f := range colonRecords(groups, 4) {
			for _, m := range strings.Split(f[3], ",") {
				if m == name {
					if g, e := strconv.ParseUint(f[2], 10, 32); e == nil && uint32(g) != gid {
						extra = append(extra, uint32(g))
					}
				}
			}
		}
	}
	return uid, gid, extra, nil
}

func colonRecords(b []byte, n int) [][]string {
	var out [][]string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) >= n {
			out = append(out, f)
		}
	}
	return out
}

// readInRoot reads rel inside root, resolving symlinks as if root were /.
func readInRoot(root, rel string) ([]byte, error) {
	rfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(rfd)
	fd, err := unix.Openat2(rfd, rel, &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	var sb strings.Builder
	buf := make([]byte, 64<<10)
	for sb.Len() < 4<<20 {
		n, err := f.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return []byte(sb.String()), nil
}
