package ctr

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// Features describes what this runtime supports, in the format of
// `runc features` (runtime-spec features.json).
func Features() *features.Features {
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions: []string{"ro", "rw", "bind", "rbind", "nosuid", "suid", "nodev", "dev",
			"noexec", "exec", "sync", "async", "dirsync", "remount", "mand", "nomand", "atime",
			"noatime", "diratime", "nodiratime", "relatime", "norelatime", "strictatime",
			"nostrictatime", "private", "rprivate", "shared", "rshared", "slave", "rslave",
			"unbindable", "runbindable"},
		Linux: &features.Linux{
			Namespaces: []string{"pid", "network", "mount", "ipc", "uts"},
		},
	}
}
