package seccomp

import (
	"errors"
	"math"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const (
	allow = unix.SECCOMP_RET_ALLOW
	kproc = unix.SECCOMP_RET_KILL_PROCESS
	kthr  = unix.SECCOMP_RET_KILL_THREAD
	eperm = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
)

func errnoRet(e uint) *uint { return &e }

// refMatch is the reference semantics of one argument condition.
func refMatch(c specs.LinuxSeccompArg, v uint64) bool {
	switch c.Op {
	case specs.OpEqualTo:
		return v == c.Value
	case specs.OpNotEqual:
		return v != c.Value
	case specs.OpLessThan:
		return v < c.Value
	case specs.OpLessEqual:
		return v <= c.Value
	case specs.OpGreaterThan:
		return v > c.Value
	case specs.OpGreaterEqual:
		return v >= c.Value
	case specs.OpMaskedEqual:
		return v&c.Value == c.ValueTwo
	}
	panic("op")
}

// reference computes the action for a syscall of a section's own
// architecture: argument rules in profile order, then unconditional ones.
func reference(t testing.TB, s *specs.LinuxSeccomp, table map[string]uint32, nr uint32, args [6]uint64) uint32 {
	def, err := actionRet(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		t.Fatal(err)
	}
	for pass := 0; pass < 2; pass++ {
		for _, sc := range s.Syscalls {
			if (len(sc.Args) == 0) != (pass == 1) {
				continue
			}
			hit := false
			for _, n := range sc.Names {
				if v, ok := table[n]; ok && v == nr {
					hit = true
				}
			}
			if !hit {
				continue
			}
			ok := true
			for _, c := range sc.Args {
				if !refMatch(c, args[c.Index]) {
					ok = false
				}
			}
			if ok {
				r, err := actionRet(sc.Action, sc.ErrnoRet)
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
		}
	}
	return def
}

func mustRun(t testing.TB, prog []unix.SockFilter, d data) uint32 {
	t.Helper()
	r, err := run(prog, d)
	if err != nil {
		t.Fatalf("emulating: %v", err)
	}
	return r
}

func TestCompileTable(t *testing.T) {
	x := func(n string) int32 { return int32(sysX86_64[n]) }
	type probe struct {
		d    data
		want uint32
	}
	tests := []struct {
		name    string
		profile specs.LinuxSeccomp
		arch    string
		probes  []probe
	}{
		{
			name: "deny mkdir",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno},
			}},
			arch: "amd64",
			probes: []probe{
				{data{nr: x("mkdir"), arch: unix.AUDIT_ARCH_X86_64}, eperm},
				{data{nr: x("mkdirat"), arch: unix.AUDIT_ARCH_X86_64}, eperm},
				{data{nr: x("getpid"), arch: unix.AUDIT_ARCH_X86_64}, allow},
				// foreign arch: killed, even for getpid
				{data{nr: 20, arch: unix.AUDIT_ARCH_I386}, kproc},
				{data{nr: 20, arch: unix.AUDIT_ARCH_AARCH64}, kproc},
				// x32 numbers without SCMP_ARCH_X32: killed
				{data{nr: int32(sysX32["getpid"]), arch: unix.AUDIT_ARCH_X86_64}, kproc},
			},
		},
		{
			name: "errno values and kill actions",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: errnoRet(38), Syscalls: []specs.LinuxSyscall{
				{Names: []string{"read", "write"}, Action: specs.ActAllow},
				{Names: []string{"ptrace"}, Action: specs.ActKill},
				{Names: []string{"reboot"}, Action: specs.ActKillProcess},
				{Names: []string{"kexec_load"}, Action: specs.ActKillThread},
				{Names: []string{"uname"}, Action: specs.ActErrno, ErrnoRet: errnoRet(1234)},
				{Names: []string{"acct"}, Action: specs.ActTrap},
				{Names: []string{"swapon"}, Action: specs.ActTrace, ErrnoRet: errnoRet(7)},
				{Names: []string{"swapoff"}, Action: specs.ActLog},
			}},
			arch: "SCMP_ARCH_X86_64",
			probes: []probe{
				{data{nr: x("read"), arch: unix.AUDIT_ARCH_X86_64}, allow},
				{data{nr: x("write"), arch: unix.AUDIT_ARCH_X86_64}, allow},
				{data{nr: x("open"), arch: unix.AUDIT_ARCH_X86_64}, unix.SECCOMP_RET_ERRNO | 38},
				{data{nr: x("ptrace"), arch: unix.AUDIT_ARCH_X86_64}, kthr},
				{data{nr: x("reboot"), arch: unix.AUDIT_ARCH_X86_64}, kproc},
				{data{nr: x("kexec_load"), arch: unix.AUDIT_ARCH_X86_64}, kthr},
				{data{nr: x("uname"), arch: unix.AUDIT_ARCH_X86_64}, unix.SECCOMP_RET_ERRNO | 1234},
				{data{nr: x("acct"), arch: unix.AUDIT_ARCH_X86_64}, unix.SECCOMP_RET_TRAP},
				{data{nr: x("swapon"), arch: unix.AUDIT_ARCH_X86_64}, unix.SECCOMP_RET_TRACE | 7},
				{data{nr: x("swapoff"), arch: unix.AUDIT_ARCH_X86_64}, unix.SECCOMP_RET_LOG},
				{data{nr: -1, arch: unix.AUDIT_ARCH_X86_64}, kproc}, // 0xffffffff has the x32 bit
			},
		},
		{
			name: "x86 x32 and x86_64 sections",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
				Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32, specs.ArchAARCH64},
				Syscalls: []specs.LinuxSyscall{
					{Names: []string{"mkdir"}, Action: specs.ActErrno},
				}},
			arch: "amd64",
			probes: []probe{
				{data{nr: x("mkdir"), arch: unix.AUDIT_ARCH_X86_64}, eperm},
				{data{nr: int32(sysX86["mkdir"]), arch: unix.AUDIT_ARCH_I386}, eperm},
				{data{nr: int32(sysX86["getpid"]), arch: unix.AUDIT_ARCH_I386}, allow},
				{data{nr: int32(sysX32["mkdir"]), arch: unix.AUDIT_ARCH_X86_64}, eperm},
				{data{nr: int32(sysX32["getpid"]), arch: unix.AUDIT_ARCH_X86_64}, allow},
				{data{nr: 34, arch: unix.AUDIT_ARCH_AARCH64}, kproc}, // no table
				{data{nr: 34, arch: unix.AUDIT_ARCH_RISCV64}, kproc},
			},
		},
		{
			name: "riscv64 native",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"mkdir", "mkdirat", "riscv_flush_icache"}, Action: specs.ActErrno},
			}},
			arch: "SCMP_ARCH_RISCV64",
			probes: []probe{
				{data{nr: 34, arch: unix.AUDIT_ARCH_RISCV64}, eperm},  // mkdirat
				{data{nr: 259, arch: unix.AUDIT_ARCH_RISCV64}, eperm}, // riscv_flush_icache
				{data{nr: 172, arch: unix.AUDIT_ARCH_RISCV64}, allow}, // getpid
				{data{nr: 83, arch: unix.AUDIT_ARCH_X86_64}, kproc},
			},
		},
		{
			name: "argument filters",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"personality"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
					{Index: 0, Value: 0xffffffff, Op: specs.OpEqualTo}}},
				// clone: deny when flags&CLONE_NEWUSER and arg1 >= 2^32+5 (ANDed)
				{Names: []string{"clone"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
					{Index: 0, Value: unix.CLONE_NEWUSER, ValueTwo: unix.CLONE_NEWUSER, Op: specs.OpMaskedEqual},
					{Index: 1, Value: 1<<32 + 5, Op: specs.OpGreaterEqual}}},
				// socket: ORed rules
				{Names: []string{"socket"}, Action: specs.ActKillProcess, Args: []specs.LinuxSeccompArg{
					{Index: 0, Value: unix.AF_PACKET, Op: specs.OpEqualTo}}},
				{Names: []string{"socket"}, Action: specs.ActErrno, ErrnoRet: errnoRet(97), Args: []specs.LinuxSeccompArg{
					{Index: 2, Value: 1 << 40, Op: specs.OpGreaterThan}}},
				{Names: []string{"ioctl"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
					{Index: 1, Value: 0x5412, Op: specs.OpNotEqual}}},
				{Names: []string{"kill"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
					{Index: 1, Value: 1<<32 | 9, Op: specs.OpLessThan}}},
				{Names: []string{"tkill"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
					{Index: 5, Value: 1<<32 | 9, Op: specs.OpLessEqual}}},
			}},
			arch: "amd64",
			probes: []probe{
				{data{nr: x("personality"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{0xffffffff}}, eperm},
				{data{nr: x("personality"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{0x1ffffffff}}, allow},
				{data{nr: x("personality"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{0}}, allow},
				{data{nr: x("clone"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{unix.CLONE_NEWUSER | 17, 1<<32 + 5}}, eperm},
				{data{nr: x("clone"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{unix.CLONE_NEWUSER | 17, 1<<32 + 4}}, allow},
				{data{nr: x("clone"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{17, 1 << 33}}, allow},
				{data{nr: x("clone"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{unix.CLONE_NEWUSER, 2 << 32}}, eperm},
				{data{nr: x("socket"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{unix.AF_PACKET}}, kproc},
				{data{nr: x("socket"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{unix.AF_INET, 0, 1<<40 + 1}}, unix.SECCOMP_RET_ERRNO | 97},
				{data{nr: x("socket"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{unix.AF_INET, 0, 1 << 40}}, allow},
				{data{nr: x("ioctl"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{0, 0x5412}}, allow},
				{data{nr: x("ioctl"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{0, 1<<32 | 0x5412}}, eperm},
				{data{nr: x("kill"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{0, 1<<32 | 8}}, eperm},
				{data{nr: x("kill"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{0, 1<<32 | 9}}, allow},
				{data{nr: x("kill"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{0, 0xffffffff}}, eperm},
				{data{nr: x("tkill"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{5: 1<<32 | 9}}, eperm},
				{data{nr: x("tkill"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{5: 1<<32 | 10}}, allow},
				{data{nr: x("tkill"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{5: 2 << 32}}, allow},
			},
		},
		{
			name: "argument rule before unconditional rule",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"personality"}, Action: specs.ActAllow},
				{Names: []string{"personality"}, Action: specs.ActKillProcess, Args: []specs.LinuxSeccompArg{
					{Index: 0, Value: 8, Op: specs.OpEqualTo}}},
			}},
			arch: "amd64",
			probes: []probe{
				{data{nr: x("personality"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{8}}, kproc},
				{data{nr: x("personality"), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{9}}, allow},
				{data{nr: x("getpid"), arch: unix.AUDIT_ARCH_X86_64}, eperm},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prog, warns, err := CompileWarn(&tc.profile, tc.arch)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d instructions, warnings %q", len(prog), warns)
			for i, p := range tc.probes {
				if got := mustRun(t, prog, p.d); got != p.want {
					t.Errorf("probe %d (nr %d arch %#x args %#x): got %#x, want %#x", i, p.d.nr, p.d.arch, p.d.args, got, p.want)
				}
			}
		})
	}
}

func TestUnknownNamesAndErrors(t *testing.T) {
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchS390X},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"no_such_syscall", "mkdir"}, Action: specs.ActErrno},
		}}
	prog, warns, err := CompileWarn(p, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(warns, "\n")
	if !strings.Contains(joined, `"no_such_syscall"`) || !strings.Contains(joined, "SCMP_ARCH_S390X") {
		t.Errorf("warnings %q", warns)
	}
	if got := mustRun(t, prog, data{nr: 83, arch: unix.AUDIT_ARCH_X86_64}); got != eperm {
		t.Errorf("mkdir: %#x", got)
	}
	// mkdir does not exist on riscv64: a warning, not an error.
	if _, warns, err := CompileWarn(p, "riscv64"); err != nil || !strings.Contains(strings.Join(warns, " "), `"mkdir"`) {
		t.Errorf("riscv64: %v %q", err, warns)
	}

	bad := []struct {
		p    specs.LinuxSeccomp
		arch string
		want string
	}{
		{specs.LinuxSeccomp{DefaultAction: specs.ActNotify}, "amd64", "SCMP_ACT_NOTIFY"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActNotify}}}, "amd64", "syscalls[0]"},
		{specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_BOGUS"}, "amd64", "unknown action"},
		{specs.LinuxSeccomp{}, "amd64", "action missing"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow}, "SCMP_ARCH_MIPS", "no syscall table"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: errnoRet(70000)}, "amd64", "16 bits"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}}, "amd64", "index 6"},
		{specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_FOO"}}}}}, "amd64", "SCMP_CMP_FOO"},
	}
	for _, b := range bad {
		_, err := Compile(&b.p, b.arch)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: error %v, want %q wrapping ErrInvalid", b.p, err, b.want)
		}
	}
	if _, err := Flags(&specs.LinuxSeccomp{Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagSpecAllow, "BOGUS"}}); err == nil || !strings.Contains(err.Error(), "flags[2]") {
		t.Errorf("flags: %v", err)
	}
}

// TestFarJumpsAndLimit compiles profiles big enough that jumps exceed 255
// instructions (trampolines) and one too big for BPF_MAXINSNS.
func TestFarJumpsAndLimit(t *testing.T) {
	var names []string
	for n := range sysX86_64 {
		names = append(names, n)
	}
	// Each syscall gets a 3-condition rule (~14 instructions) so the
	// fail-jump of an early syscall check crosses hundreds of them.
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	for i, n := range names[:120] {
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{n}, Action: specs.ActErrno, ErrnoRet: errnoRet(uint(i + 1)),
			Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: uint64(i), Op: specs.OpEqualTo},
				{Index: 1, Value: uint64(i) << 33, Op: specs.OpGreaterEqual},
				{Index: 2, Value: 0xff, ValueTwo: 1, Op: specs.OpMaskedEqual},
			}})
	}
	// One syscall with a rule so long that its own fail jump is far.
	var many []specs.LinuxSeccompArg
	for i := 0; i < 100; i++ {
		many = append(many, specs.LinuxSeccompArg{Index: uint(i % 6), Value: 1, Op: specs.OpNotEqual})
	}
	p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{"getpid"}, Action: specs.ActKillThread, Args: many})
	prog, err := Compile(p, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	ja := 0
	for _, in := range prog {
		if in.Code == unix.BPF_JMP|unix.BPF_JA {
			ja++
		}
	}
	if len(prog) < 1000 || ja == 0 {
		t.Fatalf("%d instructions, %d trampolines: test too small", len(prog), ja)
	}
	t.Logf("%d instructions, %d trampolines", len(prog), ja)
	for i, n := range names[:120] {
		nr := int32(sysX86_64[n])
		yes := data{nr: nr, arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{uint64(i), uint64(i)<<33 + 1, 0x301}}
		no := yes
		no.args[2] = 0x300
		for _, d := range []data{yes, no} {
			if got, want := mustRun(t, prog, d), reference(t, p, sysX86_64, uint32(nr), d.args); got != want {
				t.Fatalf("%s %#x: got %#x want %#x", n, d.args, got, want)
			}
		}
	}
	gp := int32(sysX86_64["getpid"])
	if got := mustRun(t, prog, data{nr: gp, arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{2, 2, 2, 2, 2, 2}}); got != kthr {
		t.Errorf("getpid all args != 1: %#x", got)
	}
	if got := mustRun(t, prog, data{nr: gp, arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{2, 2, 2, 2, 2, 1}}); got != allow {
		t.Errorf("getpid arg5 == 1: %#x", got)
	}

	// Too long: 400 conditions on each of 20 syscalls.
	big := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	var conds []specs.LinuxSeccompArg
	for i := 0; i < 400; i++ {
		conds = append(conds, specs.LinuxSeccompArg{Index: 0, Value: uint64(i), Op: specs.OpNotEqual})
	}
	big.Syscalls = append(big.Syscalls, specs.LinuxSyscall{Names: names[:20], Action: specs.ActErrno, Args: conds})
	_, err = Compile(big, "amd64")
	if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "BPF_MAXINSNS") {
		t.Errorf("oversized program: %v", err)
	}
}

// TestArgBoundaries checks every operator around 32-bit half boundaries
// against the reference semantics.
func TestArgBoundaries(t *testing.T) {
	vals := []uint64{0, 1, 0xfffffffe, 0xffffffff, 1 << 32, 1<<32 + 1, 0x1_ffffffff, 0x7fffffff_ffffffff, math.MaxUint64 - 1, math.MaxUint64}
	ops := []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}
	nr := sysX86_64["personality"]
	for _, op := range ops {
		for _, v := range vals {
			p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
				Names: []string{"personality"}, Action: specs.ActErrno,
				Args: []specs.LinuxSeccompArg{{Index: 3, Value: v, ValueTwo: v & 0xf0000000_0000000f, Op: op}}}}}
			prog, err := Compile(p, "amd64")
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range vals {
				d := data{nr: int32(nr), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{3: a}}
				if got, want := mustRun(t, prog, d), reference(t, p, sysX86_64, nr, d.args); got != want {
					t.Errorf("%s value %#x arg %#x: got %#x want %#x", op, v, a, got, want)
				}
			}
		}
	}
}

// TestDockerSizedProfile compiles a profile shaped like Docker's default
// (default ERRNO, one big allow list of every syscall, personality and
// clone argument rules, three x86 architectures) and checks its size and
// a few decisions.
func TestDockerSizedProfile(t *testing.T) {
	p := dockerSizedProfile()
	prog, warns, err := CompileWarn(p, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d syscall names: %d instructions, %d warnings", len(p.Syscalls[0].Names), len(prog), len(warns))
	probes := []struct {
		d    data
		want uint32
	}{
		{data{nr: int32(sysX86_64["read"]), arch: unix.AUDIT_ARCH_X86_64}, allow},
		{data{nr: int32(sysX86_64["reboot"]), arch: unix.AUDIT_ARCH_X86_64}, eperm},
		{data{nr: int32(sysX86_64["personality"]), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{8}}, allow},
		{data{nr: int32(sysX86_64["personality"]), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{9}}, eperm},
		{data{nr: int32(sysX86_64["clone"]), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{0x11}}, allow},
		{data{nr: int32(sysX86_64["clone"]), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{unix.CLONE_NEWUSER}}, eperm},
		{data{nr: int32(sysX86["socketcall"]), arch: unix.AUDIT_ARCH_I386}, allow},
		{data{nr: int32(sysX32["read"]), arch: unix.AUDIT_ARCH_X86_64}, allow},
		{data{nr: int32(sysX32["reboot"]), arch: unix.AUDIT_ARCH_X86_64}, eperm},
		{data{nr: 63, arch: unix.AUDIT_ARCH_RISCV64}, kproc},
	}
	for i, pr := range probes {
		if got := mustRun(t, prog, pr.d); got != pr.want {
			t.Errorf("probe %d: got %#x want %#x", i, got, pr.want)
		}
	}
	// The variant the kernel test installs has far jumps.
	big, err := Compile(dockerSizedProfile(farPersonalityRules()...), "amd64")
	if err != nil {
		t.Fatal(err)
	}
	ja := 0
	for _, in := range big {
		if in.Code == unix.BPF_JMP|unix.BPF_JA {
			ja++
		}
	}
	if ja == 0 {
		t.Errorf("%d instructions and no trampoline", len(big))
	}
	if got := mustRun(t, big, data{nr: int32(sysX86_64["personality"]), arch: unix.AUDIT_ARCH_X86_64, args: [6]uint64{0x1005}}); got != unix.SECCOMP_RET_ERRNO|uint32(unix.EBADMSG) {
		t.Errorf("personality(0x1005): %#x", got)
	}
}

// farPersonalityRules are 80 argument rules on personality, enough to make
// the jump past its block longer than 255 instructions.
func farPersonalityRules() []specs.LinuxSyscall {
	var out []specs.LinuxSyscall
	for i := uint64(0); i < 80; i++ {
		out = append(out, specs.LinuxSyscall{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: errnoRet(uint(unix.EBADMSG)),
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0x1000 + i, Op: specs.OpEqualTo}}})
	}
	return out
}

func dockerSizedProfile(extra ...specs.LinuxSyscall) *specs.LinuxSeccomp {
	var names []string
	for n := range sysX86_64 {
		if n != "personality" && n != "clone" && n != "reboot" {
			names = append(names, n)
		}
	}
	for n := range sysX86 {
		if _, ok := sysX86_64[n]; !ok {
			names = append(names, n)
		}
	}
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: errnoRet(1),
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls:      []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}}}
	for _, v := range []uint64{0, 8, 0x20000, 0x20008, 0xffffffff} {
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{"personality"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: v, Op: specs.OpEqualTo}}})
	}
	p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{"clone"}, Action: specs.ActAllow,
		Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0x7e020000, ValueTwo: 0, Op: specs.OpMaskedEqual}}})
	p.Syscalls = append(p.Syscalls, extra...)
	return p
}

func TestSyscallLookup(t *testing.T) {
	for _, c := range []struct {
		arch, name string
		nr         uint32
		ok         bool
	}{
		{"amd64", "getpid", 39, true},
		{"SCMP_ARCH_X86_64", "mkdir", 83, true},
		{"386", "getpid", 20, true},
		{"SCMP_ARCH_X32", "read", x32SyscallBit, true},
		{"riscv64", "getpid", 172, true},
		{"riscv64", "mkdir", 0, false},
		{"arm64", "getpid", 0, false},
	} {
		nr, ok := Syscall(c.arch, c.name)
		if nr != c.nr || ok != c.ok {
			t.Errorf("Syscall(%s, %s) = %d, %v; want %d, %v", c.arch, c.name, nr, ok, c.nr, c.ok)
		}
	}
	if Native() == "" {
		t.Skip("no table for this GOARCH")
	}
	if _, ok := Syscall(Native(), "exit_group"); !ok {
		t.Errorf("native %s has no exit_group", Native())
	}
}
