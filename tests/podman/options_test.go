package podman

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testOptions runs `podman run --rm` with the options that turn into
// config.json settings strata must honour — cgroup limits, user, caps,
// mounts, sysctls, security options, host namespaces, a user namespace —
// and checks each from inside the container.
func testOptions(t *testing.T, e *env) {
	vol := filepath.Join(e.dir, "vol")
	if err := os.MkdirAll(vol, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vol, "f"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hostUTS, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	// --privileged gives the container every capability the host's
	// bounding set has (this sandbox lacks CAP_SYS_RESOURCE, say).
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var hostBnd string
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "CapBnd:") {
			hostBnd = l
		}
	}
	if hostBnd == "" {
		t.Fatal("no CapBnd line in /proc/self/status")
	}
	// v1 path first, then the v2 one: the container sees its own cgroup.
	cg := func(v1, v2 string) string {
		return "cat /sys/fs/cgroup/" + v1 + " 2>/dev/null || cat /sys/fs/cgroup/" + v2
	}
	for _, tt := range []struct {
		name   string
		opts   []string
		script string
		want   string // the output must start with it
	}{
		{"memory", []string{"--memory", "64m"}, cg("memory/memory.limit_in_bytes", "memory.max"), "67108864"},
		{"pids", []string{"--pids-limit", "50"}, cg("pids/pids.max", "pids.max"), "50"},
		{"cpus", []string{"--cpus", "0.5"}, cg("cpu/cpu.cfs_quota_us", "cpu.max"), "50000"},
		{"cpuset", []string{"--cpuset-cpus", "0"}, cg("cpuset/cpuset.cpus", "cpuset.cpus"), "0\n"},
		{"shm-size", []string{"--shm-size", "8m"}, "df -k /dev/shm | awk 'NR==2 {print $2}'", "8192\n"},
		// Limits enforced: a fork past --pids-limit fails.
		{"pids enforced", []string{"--pids-limit", "10"}, "for i in $(seq 20); do sleep 5 & done 2>&1 | head -1; echo done", "sh: can't fork"},
		{"user", []string{"--user", "1000:1000"}, "id", "uid=1000 gid=1000"},
		{"workdir and env", []string{"-w", "/bin", "-e", "FOO=bar"}, "echo $(pwd) $FOO", "/bin bar"},
		{"cap-drop all", []string{"--cap-drop", "all"}, "grep CapEff /proc/self/status", "CapEff:\t0000000000000000"},
		{"hostname", []string{"--hostname", "inside"}, "hostname", "inside"},
		{"volume ro", []string{"-v", vol + ":/data:ro"}, "cat /data/f; touch /data/g 2>/dev/null || echo read-only", "from the host\nread-only"},
		// A bind's own propagation (podman also sets rootfsPropagation).
		{"volume rshared", []string{"-v", vol + ":/p:rshared"}, `awk '$5 == "/p" {print $7}' /proc/self/mountinfo`, "shared:"},
		{"sysctl", []string{"--sysctl", "net.ipv4.ip_forward=1"}, "cat /proc/sys/net/ipv4/ip_forward", "1"},
		{"no-new-privileges", []string{"--security-opt", "no-new-privileges"}, "grep NoNewPrivs /proc/self/status", "NoNewPrivs:\t1"},
		{"seccomp default", nil, "grep Seccomp: /proc/self/status", "Seccomp:\t2"},
		{"seccomp unconfined", []string{"--security-opt", "seccomp=unconfined"}, "grep Seccomp: /proc/self/status", "Seccomp:\t0"},
		{"privileged", []string{"--privileged"}, "grep CapBnd /proc/self/status", hostBnd},
		{"uts host", []string{"--uts", "host"}, "hostname", hostUTS},
		// tmpfs mounts with runc's tmpcopyup option.
		{"read-only", []string{"--read-only"}, "touch /x 2>/dev/null || echo ro; touch /tmp/y && echo tmp-rw; grep -c ' /run tmpfs' /proc/mounts", "ro\ntmp-rw\n1"},
		{"tmpfs", []string{"--tmpfs", "/scratch:size=1m"}, "grep ' /scratch ' /proc/mounts", "tmpfs /scratch tmpfs rw,nosuid,nodev,relatime,size=1024k"},
		// A tmpfs over /bin is seeded with the image's /bin (copy-up), or sh
		// would not even start.
		{"tmpfs copy-up", []string{"--tmpfs", "/bin"}, "grep ' /bin ' /proc/mounts | cut -d' ' -f3; ls /bin/busybox /bin/sh", "tmpfs\n/bin/busybox\n/bin/sh"},
		{"user namespace", []string{"--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"}, "id -u; cat /proc/self/uid_map", "0\n         0     100000      65536"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--rm", "--network", "none"}, tt.opts...)
			args = append(args, image, "sh", "-c", tt.script)
			out, err := e.podman(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out, tt.want) {
				t.Errorf("podman run %v: output %q, want it to start with %q", tt.opts, out, tt.want)
			}
		})
	}
	t.Run("memory enforced", func(t *testing.T) {
		// 40 MB in a shell variable under a 16 MiB limit: the OOM killer
		// ends the container's process, podman exits 137.
		_, err := e.podman(t, "run", "--rm", "--network", "none", "--memory", "16m", image,
			"sh", "-c", `x=$(head -c 40000000 /dev/zero | tr "\0" a); echo survived`)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 137 {
			t.Errorf("a 40 MB allocation under --memory 16m: %v, want exit status 137", err)
		}
	})
	if ents, err := os.ReadDir(e.state); err == nil && len(ents) > 0 {
		t.Errorf("strata state left: %d entries in %s", len(ents), e.state)
	}
}
