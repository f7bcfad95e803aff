package seccomp

import (
	"encoding/binary"
	"errors"
	"sort"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// byteSrc hands out fuzz input; zeros once exhausted.
type byteSrc struct{ b []byte }

func (s *byteSrc) u8() uint8 {
	if len(s.b) == 0 {
		return 0
	}
	v := s.b[0]
	s.b = s.b[1:]
	return v
}

func (s *byteSrc) u64() uint64 {
	var buf [8]byte
	n := int(s.u8() % 9)
	for i := 0; i < n; i++ {
		buf[i] = s.u8()
	}
	return binary.LittleEndian.Uint64(buf[:])
}

var fuzzNames = func() []string {
	var ns []string
	seen := map[string]bool{}
	for _, t := range []map[string]uint32{sysX86_64, sysX86, sysRISCV64} {
		for n := range t {
			if !seen[n] {
				seen[n] = true
				ns = append(ns, n)
			}
		}
	}
	sort.Strings(ns)
	return append(ns, "not_a_syscall")
}()

var fuzzActions = []specs.LinuxSeccompAction{specs.ActKill, specs.ActKillProcess, specs.ActKillThread,
	specs.ActTrap, specs.ActErrno, specs.ActTrace, specs.ActLog, specs.ActAllow}

var fuzzOps = []specs.LinuxSeccompOperator{specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
	specs.OpEqualTo, specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual}

func fuzzProfile(s *byteSrc) *specs.LinuxSeccomp {
	action := func() (specs.LinuxSeccompAction, *uint) {
		a := fuzzActions[int(s.u8())%len(fuzzActions)]
		var e *uint
		if s.u8()%2 == 1 {
			e = errnoRet(uint(s.u8()))
		}
		return a, e
	}
	p := &specs.LinuxSeccomp{}
	p.DefaultAction, p.DefaultErrnoRet = action()
	for _, a := range []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchRISCV64, specs.ArchAARCH64} {
		if s.u8()%2 == 1 {
			p.Architectures = append(p.Architectures, a)
		}
	}
	nrules := int(s.u8() % 24)
	for i := 0; i < nrules; i++ {
		var sc specs.LinuxSyscall
		for j := 0; j < 1+int(s.u8()%4); j++ {
			sc.Names = append(sc.Names, fuzzNames[(int(s.u8())<<8|int(s.u8()))%len(fuzzNames)])
		}
		sc.Action, sc.ErrnoRet = action()
		for j := 0; j < int(s.u8()%4); j++ {
			sc.Args = append(sc.Args, specs.LinuxSeccompArg{Index: uint(s.u8() % 6), Value: s.u64(), ValueTwo: s.u64(),
				Op: fuzzOps[int(s.u8())%len(fuzzOps)]})
		}
		p.Syscalls = append(p.Syscalls, sc)
	}
	return p
}

// FuzzCompile compiles arbitrary profiles and checks the emulated program
// against the reference semantics for syscalls of every architecture.
func FuzzCompile(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{4, 0, 1, 1, 1, 0, 0, 5, 2, 0, 83, 0, 1, 3, 0, 0, 1, 8, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 3})
	f.Add([]byte{7, 1, 9, 1, 1, 1, 1, 1, 20, 3, 1, 2, 1, 7, 1, 1, 2, 4, 1, 2, 3, 4, 8, 1, 2, 3, 4, 5, 6, 7, 8, 6})
	f.Fuzz(func(t *testing.T, in []byte) {
		s := &byteSrc{in}
		p := fuzzProfile(s)
		native := []string{"amd64", "riscv64", "386"}[int(s.u8())%3]
		prog, _, err := CompileWarn(p, native)
		if err != nil {
			if errors.Is(err, ErrInvalid) {
				return // e.g. too long
			}
			t.Fatalf("compile: %v", err)
		}
		allowed := map[uint32]bool{unix.SECCOMP_RET_KILL_PROCESS: true}
		def, _ := actionRet(p.DefaultAction, p.DefaultErrnoRet)
		allowed[def] = true
		for _, sc := range p.Syscalls {
			r, _ := actionRet(sc.Action, sc.ErrnoRet)
			allowed[r] = true
		}
		listed := map[specs.Arch]bool{goArch[native]: true}
		for _, a := range p.Architectures {
			listed[a] = true
		}
		type archProbe struct {
			name  specs.Arch
			audit uint32
			table map[string]uint32
		}
		probes := []archProbe{
			{specs.ArchX86_64, unix.AUDIT_ARCH_X86_64, sysX86_64},
			{specs.ArchX86, unix.AUDIT_ARCH_I386, sysX86},
			{specs.ArchX32, unix.AUDIT_ARCH_X86_64, sysX32},
			{specs.ArchRISCV64, unix.AUDIT_ARCH_RISCV64, sysRISCV64},
		}
		for _, ap := range probes {
			var nrs []uint32
			for _, sc := range p.Syscalls {
				for _, n := range sc.Names {
					if v, ok := ap.table[n]; ok {
						nrs = append(nrs, v)
					}
				}
			}
			nrs = append(nrs, uint32(s.u64()), ap.table["getpid"])
			for _, nr := range nrs {
				for k := 0; k < 3; k++ {
					d := data{nr: int32(nr), arch: ap.audit}
					for i := range d.args {
						d.args[i] = s.u64()
					}
					if k == 1 {
						// hit argument values of the rules
						for _, sc := range p.Syscalls {
							for _, c := range sc.Args {
								d.args[c.Index] = c.Value
							}
						}
					}
					got, err := run(prog, d)
					if err != nil {
						t.Fatalf("emulate: %v", err)
					}
					if !allowed[got] {
						t.Fatalf("action %#x not in the profile", got)
					}
					var want uint32
					x32nr := ap.audit == unix.AUDIT_ARCH_X86_64 && nr >= x32SyscallBit
					switch {
					case !listed[ap.name]:
						want = unix.SECCOMP_RET_KILL_PROCESS
						if ap.name == specs.ArchX86_64 && listed[specs.ArchX32] && x32nr {
							want = reference(t, p, sysX32, nr, d.args)
						} else if ap.name == specs.ArchX32 && listed[specs.ArchX86_64] && !x32nr {
							want = reference(t, p, sysX86_64, nr, d.args)
						}
					case ap.name == specs.ArchX86_64 && x32nr:
						want = unix.SECCOMP_RET_KILL_PROCESS
						if listed[specs.ArchX32] {
							want = reference(t, p, sysX32, nr, d.args)
						}
					case ap.name == specs.ArchX32 && !x32nr:
						want = unix.SECCOMP_RET_KILL_PROCESS
						if listed[specs.ArchX86_64] {
							want = reference(t, p, sysX86_64, nr, d.args)
						}
					default:
						want = reference(t, p, ap.table, nr, d.args)
					}
					if got != want {
						t.Fatalf("%s nr %#x args %#x: got %#x want %#x (native %s, arches %v)", ap.name, nr, d.args, got, want, native, p.Architectures)
					}
				}
			}
		}
	})
}
