package seccomp

import (
	"fmt"
	"runtime"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Flag is a SECCOMP_FILTER_FLAG_* value for seccomp(2).
type Flag uint

// Flags strata accepts in a profile's "flags".
const (
	FlagTSync     Flag = unix.SECCOMP_FILTER_FLAG_TSYNC      // apply to every thread of the process
	FlagLog       Flag = unix.SECCOMP_FILTER_FLAG_LOG        // log every non-ALLOW action
	FlagSpecAllow Flag = unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW // keep speculative store bypass enabled
)

// Flags converts a profile's flags to seccomp(2) flags.
// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only matters with user
// notification, which strata refuses, and is an error like any unknown
// name.
func Flags(s *specs.LinuxSeccomp) ([]Flag, error) {
	var out []Flag
	for i, f := range s.Flags {
		switch f {
		case "SECCOMP_FILTER_FLAG_TSYNC":
			out = append(out, FlagTSync)
		case specs.LinuxSeccompFlagLog:
			out = append(out, FlagLog)
		case specs.LinuxSeccompFlagSpecAllow:
			out = append(out, FlagSpecAllow)
		default:
			return nil, fmt.Errorf("%w: flags[%d] %q not supported", ErrInvalid, i, f)
		}
	}
	return out, nil
}

// Install loads filter into the calling thread with seccomp(2)
// SECCOMP_SET_MODE_FILTER and the given flags. Without FlagTSync the
// filter applies to the calling OS thread only (and to the threads and
// processes it creates afterwards), so callers should hold
// runtime.LockOSThread, typically just before execve.
//
// The kernel requires either no_new_privs on the thread
// (prctl(PR_SET_NO_NEW_PRIVS, 1) — see SetNoNewPrivs) or CAP_SYS_ADMIN in
// the thread's user namespace; otherwise it fails with EACCES.
func Install(filter []unix.SockFilter, flags ...Flag) error {
	if len(filter) == 0 {
		return fmt.Errorf("%w: empty filter", ErrInvalid)
	}
	if len(filter) > unix.BPF_MAXINSNS {
		return fmt.Errorf("%w: filter has %d instructions, more than BPF_MAXINSNS (%d)", ErrInvalid, len(filter), unix.BPF_MAXINSNS)
	}
	var fl uintptr
	for _, f := range flags {
		fl |= uintptr(f)
	}
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, fl, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(filter)
	if errno != 0 {
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER, flags %#x): %w", fl, errno)
	}
	return nil
}

// SetNoNewPrivs sets no_new_privs on the calling thread, which lets a
// process without CAP_SYS_ADMIN install a filter.
func SetNoNewPrivs() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	return nil
}
