package ctr

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// Features describes what this runtime supports, in the format of
// `runc features` (runtime-spec features.json).
func Features() *features.Features {
	yes, no := true, false
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions: []string{"ro", "rw", "bind", "rbind", "nosuid", "suid", "nodev", "dev",
			"noexec", "exec", "sync", "async", "dirsync", "remount", "mand", "nomand", "atime",
			"noatime", "diratime", "nodiratime", "relatime", "norelatime", "strictatime",
			"nostrictatime", "private", "rprivate", "shared", "rshared", "slave", "rslave",
			"unbindable", "runbindable", "tmpcopyup"},
		Linux: &features.Linux{
			Namespaces:   []string{"pid", "network", "mount", "ipc", "uts", "user", "cgroup"},
			Capabilities: capNames(),
			Cgroup:       &features.Cgroup{V1: &yes, V2: &yes, Systemd: &no, SystemdUser: &no},
			Seccomp: &features.Seccomp{
				Enabled: &yes,
				Actions: []string{string(specs.ActKill), string(specs.ActKillThread), string(specs.ActKillProcess),
					string(specs.ActTrap), string(specs.ActErrno), string(specs.ActTrace), string(specs.ActLog),
					string(specs.ActAllow)},
				Operators: []string{string(specs.OpNotEqual), string(specs.OpLessThan), string(specs.OpLessEqual),
					string(specs.OpEqualTo), string(specs.OpGreaterEqual), string(specs.OpGreaterThan),
					string(specs.OpMaskedEqual)},
				Archs: []string{string(specs.ArchX86_64), string(specs.ArchX86), string(specs.ArchX32),
					string(specs.ArchRISCV64)},
				KnownFlags: []string{string(specs.LinuxSeccompFlagLog), string(specs.LinuxSeccompFlagSpecAllow),
					"SECCOMP_FILTER_FLAG_TSYNC"},
				SupportedFlags: []string{string(specs.LinuxSeccompFlagLog), string(specs.LinuxSeccompFlagSpecAllow),
					"SECCOMP_FILTER_FLAG_TSYNC"},
			},
			Apparmor: &features.Apparmor{Enabled: &no},
			Selinux:  &features.Selinux{Enabled: &no},
			IntelRdt: &features.IntelRdt{Enabled: &no},
		},
	}
}
