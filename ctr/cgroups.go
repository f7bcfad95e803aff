package ctr

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"strata/cgroup"
)

// cgroupPath returns the container's cgroupsPath: linux.cgroupsPath, or
// /strata/<id> when the config has none. systemd slice paths
// ("slice:prefix:name") are refused: strata only has the cgroupfs driver.
func cgroupPath(spec *specs.Spec, id string) (string, error) {
	p := ""
	if spec.Linux != nil {
		p = spec.Linux.CgroupsPath
	}
	if p == "" {
		return "/strata/" + id, nil
	}
	if err := checkCgroupsPath(p); err != nil {
		return "", err
	}
	return p, nil
}

func checkCgroupsPath(p string) error {
	if strings.Contains(p, ":") {
		return invalid("linux.cgroupsPath", "%q looks like a systemd slice path (slice:prefix:name); the systemd cgroup driver is not supported, use a cgroupfs path such as /strata/<id>", p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return invalid("linux.cgroupsPath", "%q contains \"..\"", p)
		}
	}
	return nil
}

// loadCgroup returns the manager of a container's cgroup, or nil when the
// state has none recorded or it is gone.
func loadCgroup(s *State) cgroup.Manager {
	if s.CgroupPath == "" {
		return nil
	}
	m, err := cgroup.Load(s.CgroupPath)
	if err != nil {
		return nil
	}
	return m
}

// destroyCgroup kills whatever is left in a cgroup and removes it from
// every hierarchy, waiting (up to 10 s) for the processes to leave.
func destroyCgroup(m cgroup.Manager) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := m.Delete()
		if err == nil || !errors.Is(err, cgroup.ErrBusy) {
			if err != nil {
				return fmt.Errorf("remove cgroup %s: %w", m.Path(), err)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: %w", m.Path(), err)
		}
		killCgroup(m, syscall.SIGKILL, false)
		time.Sleep(time.Millisecond)
	}
}

// cgroupResources returns the resources to apply: linux.resources with,
// when it has device rules, runc's default allowances appended (mknod of
// any device, the default /dev nodes, pty slaves and ptmx, /dev/net/tun)
// and an allowance for every linux.devices entry, so that a config denying
// all devices — what `runc spec` writes — still gets its /dev.
func cgroupResources(l *specs.Linux) *specs.LinuxResources {
	if l.Resources == nil || len(l.Resources.Devices) == 0 {
		return l.Resources
	}
	r := *l.Resources
	r.Devices = append([]specs.LinuxDeviceCgroup(nil), l.Resources.Devices...)
	rule := func(typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
		d := specs.LinuxDeviceCgroup{Allow: true, Type: typ, Access: access}
		if major >= 0 {
			d.Major = &major
		}
		if minor >= 0 {
			d.Minor = &minor
		}
		return d
	}
	r.Devices = append(r.Devices,
		rule("c", -1, -1, "m"), rule("b", -1, -1, "m"),
		rule("c", 1, 3, "rwm"), rule("c", 1, 5, "rwm"), rule("c", 1, 7, "rwm"),
		rule("c", 1, 8, "rwm"), rule("c", 1, 9, "rwm"), rule("c", 5, 0, "rwm"),
		rule("c", 5, 1, "rwm"), rule("c", 5, 2, "rwm"), rule("c", 136, -1, "rwm"),
		rule("c", 10, 200, "rwm"))
	for _, d := range l.Devices {
		if d.Type == "p" {
			continue
		}
		typ := d.Type
		if typ == "u" {
			typ = "c"
		}
		r.Devices = append(r.Devices, rule(typ, d.Major, d.Minor, "rwm"))
	}
	return &r
}

// killCgroup signals every process in a container's cgroup. SIGKILL is
// sent in rounds until the cgroup is empty (forks made meanwhile get the
// next round; at most a second, delete waits longer) rather than through
// cgroup.Manager.Kill, whose v1 path freezes the cgroup first: a freeze
// never completes while a multi-threaded process of the container is in
// execve (its frozen threads block the exec), and the freezer would wait
// for ever. frozen says the cgroup is paused: it is thawed once the
// signals are queued, so that they are delivered.
func killCgroup(m cgroup.Manager, sig syscall.Signal, frozen bool) error {
	if sig != syscall.SIGKILL {
		return m.Kill(sig) // no freeze for other signals
	}
	deadline := time.Now().Add(time.Second)
	for round := 0; ; round++ {
		pids, err := m.Procs()
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGKILL) // it may be gone already
		}
		if round == 0 && frozen {
			if err := m.Thaw(); err != nil {
				return err
			}
		}
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(200 * time.Microsecond)
	}
}
