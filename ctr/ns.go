package ctr

import (
	"fmt"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"strata/ctr/nsenter"
)

// nsPlan says how a container's init gets its namespaces.
//
// Without joins every new namespace is created at clone time
// (SysProcAttr.Cloneflags, user namespace mappings written by Go's
// os/exec), so the init's Go runtime starts inside them. With joins
// (linux.namespaces[i].path) the nsenter constructor joins them before the
// Go runtime starts and then unshares the new ones, so new namespaces are
// owned by a joined user namespace, as runc does; a new pid namespace (or
// a joined one) needs a fork, and the forked child is the init. A new
// cgroup namespace is always made by the init itself once it is in its
// cgroup, so the namespace's root is the container's cgroup.
type nsPlan struct {
	cloneFlags uintptr
	unshare    uintptr
	joins      []nsenter.Join
	mode       nsenter.Mode
	newUser    bool
	newCgroup  bool
	// sharedPid: the pid namespace is joined, not the container's own.
	sharedPid bool
}

// procNsName maps an OCI namespace type to its name in /proc/PID/ns.
func procNsName(t specs.LinuxNamespaceType) string {
	switch t {
	case specs.PIDNamespace:
		return "pid"
	case specs.NetworkNamespace:
		return "net"
	case specs.MountNamespace:
		return "mnt"
	case specs.IPCNamespace:
		return "ipc"
	case specs.UTSNamespace:
		return "uts"
	case specs.UserNamespace:
		return "user"
	case specs.CgroupNamespace:
		return "cgroup"
	case specs.TimeNamespace:
		return "time"
	}
	return ""
}

func planNamespaces(l *specs.Linux) (nsPlan, error) {
	var p nsPlan
	var newFlags uintptr
	for _, ns := range l.Namespaces {
		if ns.Path != "" {
			p.joins = append(p.joins, nsenter.Join{Type: procNsName(ns.Type), Path: ns.Path})
			if ns.Type == specs.PIDNamespace {
				p.sharedPid = true
			}
			continue
		}
		switch ns.Type {
		case specs.CgroupNamespace:
			p.newCgroup = true
		case specs.UserNamespace:
			p.newUser = true
			newFlags |= unix.CLONE_NEWUSER
		default:
			newFlags |= cloneFlag(ns.Type)
		}
	}
	if len(p.joins) == 0 {
		p.cloneFlags = newFlags
		p.mode = nsenter.NoFork
		return p, nil
	}
	if p.newUser {
		return p, invalid("linux.namespaces", "a new user namespace together with joined namespaces is not supported")
	}
	p.unshare = newFlags
	p.mode = nsenter.NoFork
	if p.sharedPid || newFlags&unix.CLONE_NEWPID != 0 {
		p.mode = nsenter.Detach
	}
	return p, nil
}

// joinsOf lists the namespaces of process pid that differ from the
// caller's: what a process entering the container must join.
func joinsOf(pid int) ([]nsenter.Join, error) {
	var joins []nsenter.Join
	for _, t := range []string{"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"} {
		theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, t))
		if err != nil {
			if os.IsNotExist(err) && t == "time" {
				continue // kernels before 5.6
			}
			return nil, fmt.Errorf("namespaces of pid %d: %w", pid, err)
		}
		ours, err := os.Readlink("/proc/self/ns/" + t)
		if err != nil {
			return nil, fmt.Errorf("own namespaces: %w", err)
		}
		if theirs != ours {
			joins = append(joins, nsenter.Join{Type: t, Path: fmt.Sprintf("/proc/%d/ns/%s", pid, t)})
		}
	}
	return joins, nil
}

// validNsPath reports whether a namespace path can be passed to the nsenter
// constructor (its format is ';'-separated).
func validNsPath(p string) bool {
	return !strings.ContainsAny(p, ";\n")
}
