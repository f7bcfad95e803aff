package seccomp

import (
	"errors"
	"fmt"
	"runtime"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ErrInvalid is wrapped by every error about a profile strata cannot compile.
var ErrInvalid = errors.New("seccomp: invalid profile")

// Offsets in struct seccomp_data (little-endian on every supported arch):
// int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6].
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

// x32SyscallBit marks x32 syscall numbers on AUDIT_ARCH_X86_64.
const x32SyscallBit = 0x40000000

// arch describes one architecture section of the program.
type arch struct {
	name  specs.Arch // SCMP_ARCH_*
	audit uint32     // AUDIT_ARCH_*
	table map[string]uint32
}

var arches = map[specs.Arch]*arch{
	specs.ArchX86_64:  {specs.ArchX86_64, unix.AUDIT_ARCH_X86_64, sysX86_64},
	specs.ArchX86:     {specs.ArchX86, unix.AUDIT_ARCH_I386, sysX86},
	specs.ArchX32:     {specs.ArchX32, unix.AUDIT_ARCH_X86_64, sysX32},
	specs.ArchRISCV64: {specs.ArchRISCV64, unix.AUDIT_ARCH_RISCV64, sysRISCV64},
}

// goArch maps GOARCH names to SCMP_ARCH names.
var goArch = map[string]specs.Arch{
	"amd64":   specs.ArchX86_64,
	"386":     specs.ArchX86,
	"riscv64": specs.ArchRISCV64,
}

// Native returns the SCMP_ARCH name of the running program's architecture,
// or "" when strata has no syscall table for it.
func Native() string { return string(goArch[runtime.GOARCH]) }

// Syscall returns the number of the named syscall on arch (an SCMP_ARCH_*
// or GOARCH name).
func Syscall(archName, name string) (uint32, bool) {
	a, err := lookupArch(archName)
	if err != nil {
		return 0, false
	}
	nr, ok := a.table[name]
	return nr, ok
}

func lookupArch(name string) (*arch, error) {
	if a, ok := goArch[name]; ok {
		name = string(a)
	}
	a, ok := arches[specs.Arch(name)]
	if !ok {
		return nil, fmt.Errorf("%w: architecture %q has no syscall table", ErrInvalid, name)
	}
	return a, nil
}

// Compile compiles the profile s for the native architecture arch (an
// SCMP_ARCH_* name such as "SCMP_ARCH_X86_64", or a GOARCH name such as
// "amd64"). Warnings (unknown syscall names, architectures without a table)
// are dropped; use CompileWarn to see them.
func Compile(s *specs.LinuxSeccomp, arch string) ([]unix.SockFilter, error) {
	prog, _, err := CompileWarn(s, arch)
	return prog, err
}

// CompileWarn is Compile that also returns the warnings: syscall names not
// in an architecture's table (skipped, as runc skips them) and listed
// architectures strata has no table for (treated as foreign).
func CompileWarn(s *specs.LinuxSeccomp, archName string) ([]unix.SockFilter, []string, error) {
	if s == nil {
		return nil, nil, fmt.Errorf("%w: no profile", ErrInvalid)
	}
	native, err := lookupArch(archName)
	if err != nil {
		return nil, nil, err
	}
	var warns []string
	defRet, err := actionRet(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, nil, fmt.Errorf("defaultAction: %w", err)
	}
	// Collect the sections: native first, then the listed ones.
	want := []*arch{native}
	seen := map[specs.Arch]bool{native.name: true}
	for _, n := range s.Architectures {
		if seen[n] {
			continue
		}
		seen[n] = true
		a, ok := arches[n]
		if !ok {
			warns = append(warns, fmt.Sprintf("architecture %s: no syscall table, treated as foreign", n))
			continue
		}
		want = append(want, a)
	}
	var x32 *arch
	var sections []*arch
	for _, a := range want {
		if a.name == specs.ArchX32 {
			x32 = a
			continue
		}
		sections = append(sections, a)
	}
	hasX86_64 := false
	for _, a := range sections {
		if a.name == specs.ArchX86_64 {
			hasX86_64 = true
		}
	}
	if x32 != nil && !hasX86_64 {
		// x32 shares AUDIT_ARCH_X86_64. With an x86_64 section it is a
		// branch of that section; without one it gets a section of its
		// own that treats plain x86_64 numbers as foreign.
		sections = append(sections, x32)
	}

	// Resolve every rule once per section.
	type srule struct {
		args []specs.LinuxSeccompArg
		ret  uint32
	}
	rulesFor := func(a *arch) (map[uint32][]srule, error) {
		m := map[uint32][]srule{}
		var cond, uncond = map[uint32][]srule{}, map[uint32][]srule{}
		for i, sc := range s.Syscalls {
			ret, err := actionRet(sc.Action, sc.ErrnoRet)
			if err != nil {
				return nil, fmt.Errorf("syscalls[%d]: %w", i, err)
			}
			for j, arg := range sc.Args {
				if arg.Index >= 6 {
					return nil, fmt.Errorf("%w: syscalls[%d].args[%d].index %d out of range 0-5", ErrInvalid, i, j, arg.Index)
				}
				switch arg.Op {
				case specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
					specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual:
				default:
					return nil, fmt.Errorf("%w: syscalls[%d].args[%d].op %q unknown", ErrInvalid, i, j, arg.Op)
				}
			}
			for _, name := range sc.Names {
				nr, ok := a.table[name]
				if !ok {
					warns = append(warns, fmt.Sprintf("%s: unknown syscall %q skipped", a.name, name))
					continue
				}
				r := srule{args: sc.Args, ret: ret}
				if len(sc.Args) == 0 {
					uncond[nr] = append(uncond[nr], r)
				} else {
					cond[nr] = append(cond[nr], r)
				}
			}
		}
		// Argument rules are tried before the unconditional ones, in
		// profile order; the first match wins.
		for nr, rs := range cond {
			m[nr] = append(m[nr], rs...)
		}
		for nr, rs := range uncond {
			m[nr] = append(m[nr], rs...)
		}
		return m, nil
	}

	var p prog
	const lBadArch = 0
	p.nlabels = 1
	// emitRules emits one architecture's syscall checks; A holds nr.
	// Syscalls whose first rule is unconditional need one jeq each: they
	// are grouped by action, at most groupSize to a group, every jeq of
	// a group jumping to the group's shared return (within 255). Those
	// whose action is the default are left out. Syscalls with argument
	// rules get a block each: jeq nr, the rules, the default return.
	const groupSize = 200
	emitRules := func(rules map[uint32][]srule) {
		nrs := make([]uint32, 0, len(rules))
		for nr := range rules {
			nrs = append(nrs, nr)
		}
		sort.Slice(nrs, func(i, j int) bool { return nrs[i] < nrs[j] })
		plain := map[uint32][]uint32{} // action -> syscalls
		var actions []uint32
		var complex []uint32
		for _, nr := range nrs {
			rs := rules[nr]
			if len(rs[0].args) != 0 {
				complex = append(complex, nr)
				continue
			}
			if rs[0].ret == defRet {
				continue
			}
			if _, ok := plain[rs[0].ret]; !ok {
				actions = append(actions, rs[0].ret)
			}
			plain[rs[0].ret] = append(plain[rs[0].ret], nr)
		}
		for _, act := range actions {
			list := plain[act]
			for len(list) > 0 {
				n := min(len(list), groupSize)
				ret, after := p.label(), p.label()
				for i, nr := range list[:n] {
					jf := -1
					if i == n-1 {
						jf = after
					}
					p.jump(unix.BPF_JEQ|unix.BPF_K, nr, ret, jf)
				}
				p.mark(ret)
				p.ret(act)
				p.mark(after)
				list = list[n:]
			}
		}
		for _, nr := range complex {
			next := p.label()
			p.jump(unix.BPF_JEQ|unix.BPF_K, nr, -1, next)
			uncond := false
			for _, r := range rules[nr] {
				if len(r.args) == 0 {
					p.ret(r.ret) // unconditional: later rules are unreachable
					uncond = true
					break
				}
				fail := p.label()
				for _, c := range r.args {
					p.cond(c, fail)
				}
				p.ret(r.ret)
				p.mark(fail)
			}
			if !uncond {
				p.ret(defRet)
			}
			p.mark(next)
		}
		p.ret(defRet)
	}
	p.load(offArch)
	for _, a := range sections {
		next := p.label()
		p.jump(unix.BPF_JEQ|unix.BPF_K, a.audit, -1, next)
		rules, err := rulesFor(a)
		if err != nil {
			return nil, nil, err
		}
		p.load(offNr)
		if a.name == specs.ArchX86_64 {
			x32l := lBadArch
			if x32 != nil {
				x32l = p.label()
			}
			p.jump(unix.BPF_JGE|unix.BPF_K, x32SyscallBit, x32l, -1)
			emitRules(rules)
			if x32 != nil {
				p.mark(x32l)
				xr, err := rulesFor(x32)
				if err != nil {
					return nil, nil, err
				}
				emitRules(xr)
			}
		} else {
			if a.name == specs.ArchX32 {
				// A lone x32 section: plain x86_64 numbers are foreign.
				p.jump(unix.BPF_JGE|unix.BPF_K, x32SyscallBit, -1, lBadArch)
			}
			emitRules(rules)
		}
		// Every section ends in a return, so the arch check's
		// fall-through below still has arch in A.
		p.mark(next)
	}
	p.mark(lBadArch)
	p.ret(unix.SECCOMP_RET_KILL_PROCESS)

	warns = dedup(warns)
	out, err := p.assemble()
	if err != nil {
		return nil, warns, err
	}
	if len(out) > unix.BPF_MAXINSNS {
		return nil, warns, fmt.Errorf("%w: program has %d instructions, more than the kernel's BPF_MAXINSNS (%d)", ErrInvalid, len(out), unix.BPF_MAXINSNS)
	}
	return out, warns, nil
}

func dedup(ws []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// actionRet maps an OCI action to a SECCOMP_RET_* value. ERRNO and TRACE
// carry errnoRet (default EPERM, as runc) in the 16-bit data field.
func actionRet(a specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	data := uint32(unix.EPERM)
	if errnoRet != nil {
		if *errnoRet > unix.SECCOMP_RET_DATA {
			return 0, fmt.Errorf("%w: errnoRet %d does not fit in 16 bits", ErrInvalid, *errnoRet)
		}
		data = uint32(*errnoRet)
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return unix.SECCOMP_RET_KILL_THREAD, nil
	case specs.ActKillProcess:
		return unix.SECCOMP_RET_KILL_PROCESS, nil
	case specs.ActTrap:
		return unix.SECCOMP_RET_TRAP, nil
	case specs.ActErrno:
		return unix.SECCOMP_RET_ERRNO | data, nil
	case specs.ActTrace:
		return unix.SECCOMP_RET_TRACE | data, nil
	case specs.ActLog:
		return unix.SECCOMP_RET_LOG, nil
	case specs.ActAllow:
		return unix.SECCOMP_RET_ALLOW, nil
	case specs.ActNotify:
		return 0, fmt.Errorf("%w: action %s (user notification through a listener fd) is not supported by strata", ErrInvalid, a)
	case "":
		return 0, fmt.Errorf("%w: action missing", ErrInvalid)
	}
	return 0, fmt.Errorf("%w: unknown action %q", ErrInvalid, a)
}
