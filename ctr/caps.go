package ctr

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// capNames lists the capability names in number order (CAP_CHOWN is 0).
func capNames() []string {
	return []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
		"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
		"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
		"CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
		"CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
		"CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
		"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
		"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
		"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"}
}

// capNumber returns the number of a capability name, or -1.
func capNumber(name string) int {
	for i, n := range capNames() {
		if n == name {
			return i
		}
	}
	return -1
}

// validateCaps checks every capability name in every set.
func validateCaps(c *specs.LinuxCapabilities) error {
	if c == nil {
		return nil
	}
	sets := []struct {
		name string
		caps []string
	}{{"bounding", c.Bounding}, {"effective", c.Effective}, {"inheritable", c.Inheritable},
		{"permitted", c.Permitted}, {"ambient", c.Ambient}}
	for _, s := range sets {
		for i, n := range s.caps {
			if capNumber(n) < 0 {
				return invalid(fmt.Sprintf("process.capabilities.%s[%d]", s.name, i), "unknown %q", n)
			}
		}
	}
	return nil
}

func capMask(names []string) uint64 {
	var m uint64
	for _, n := range names {
		if c := capNumber(n); c >= 0 {
			m |= 1 << uint(c)
		}
	}
	return m
}

// lastCap is the highest capability the running kernel knows.
func lastCap() int {
	data, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return unix.CAP_LAST_CAP
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return unix.CAP_LAST_CAP
	}
	return n
}

// dropBounding removes from this thread's bounding set every capability
// not listed. It must run while CAP_SETPCAP is still effective.
func dropBounding(c *specs.LinuxCapabilities) error {
	keep := capMask(c.Bounding)
	last := lastCap()
	for i := 0; i <= last; i++ {
		if keep&(1<<uint(i)) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(i), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("process.capabilities.bounding: drop cap %d: %w", i, err)
		}
	}
	return nil
}

// applyCaps sets this thread's effective, permitted and inheritable sets
// and raises the ambient ones. It runs after the uid change (with
// PR_SET_KEEPCAPS set beforehand) on the thread that will execve.
func applyCaps(c *specs.LinuxCapabilities) error {
	eff, perm, inh := capMask(c.Effective), capMask(c.Permitted), capMask(c.Inheritable)
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(eff), Permitted: uint32(perm), Inheritable: uint32(inh)},
		{Effective: uint32(eff >> 32), Permitted: uint32(perm >> 32), Inheritable: uint32(inh >> 32)},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("process.capabilities: capset: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("process.capabilities.ambient: clear: %w", err)
	}
	for _, n := range c.Ambient {
		// The kernel raises an ambient capability only when it is both
		// permitted and inheritable; `runc spec` lists ambient ones that
		// are not inheritable, and runc skips those, so strata does too.
		if bit := uint64(1) << uint(capNumber(n)); perm&bit == 0 || inh&bit == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(capNumber(n)), 0, 0); err != nil {
			return fmt.Errorf("process.capabilities.ambient %s: %w", n, err)
		}
	}
	return nil
}
