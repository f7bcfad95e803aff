// Package seccomp compiles the OCI runtime-spec seccomp format
// (specs.LinuxSeccomp) into a classic BPF program for the kernel's
// SECCOMP_SET_MODE_FILTER, and installs it — in pure Go, without libseccomp.
//
// The program first checks seccomp_data.arch: a section per architecture
// (the native one plus every architecture the profile lists that strata has
// a table for) matches syscall numbers and arguments; a foreign architecture
// gets SECCOMP_RET_KILL_PROCESS. Syscall names come from tables generated
// from the kernel UAPI headers (go generate; see internal/mksyscalls).
// Names missing from an architecture's table are skipped, as runc skips
// them, and reported as warnings (CompileWarn).
//
// x86 handling (as runc with libseccomp): on x86_64 the x32 ABI shares
// AUDIT_ARCH_X86_64 and marks its syscall numbers with __X32_SYSCALL_BIT
// (0x40000000). An x86_64 section sends numbers with that bit set to the x32
// rules when the profile lists SCMP_ARCH_X32 and kills the process
// otherwise, so an x32 syscall can never be mistaken for an x86_64 one.
// SCMP_ARCH_X86 (i386, AUDIT_ARCH_I386) gets its own section from
// asm/unistd_32.h.
//
// Regenerate the tables with "go generate ./seccomp" (needs cpp and the
// linux-libc-dev headers, including the riscv64 cross ones).
package seccomp

//go:generate go run ./internal/mksyscalls -o zsyscalls.go
