package podman

import (
	"strings"
	"testing"
)

// testUpdate changes a running container's limits: podman runs
// `strata-oci update --resources=FILE ID` (runc's update) and the new
// values show in the container's cgroup.
func testUpdate(t *testing.T, e *env) {
	out, err := e.podman(t, "run", "-d", "--network", "none", "--memory", "64m", "--cpus", "1", image, "sleep", "1000")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	read := func(v1, v2 string) string {
		t.Helper()
		out, err := e.podman(t, "exec", id, "sh", "-c", "cat /sys/fs/cgroup/"+v1+" 2>/dev/null || cat /sys/fs/cgroup/"+v2)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	if got := read("memory/memory.limit_in_bytes", "memory.max"); got != "67108864" {
		t.Fatalf("memory limit before update: %q", got)
	}
	if _, err := e.podman(t, "update", "--memory", "100m", "--cpus", "0.5", id); err != nil {
		t.Fatal(err)
	}
	if got := read("memory/memory.limit_in_bytes", "memory.max"); got != "104857600" {
		t.Errorf("memory limit after update: %q, want 104857600", got)
	}
	if got := read("cpu/cpu.cfs_quota_us", "cpu.max"); !strings.HasPrefix(got, "50000") {
		t.Errorf("cpu quota after update: %q, want 50000", got)
	}
	if _, err := e.podman(t, "rm", "--force", "--time", "0", id); err != nil {
		t.Fatal(err)
	}
	e.checkClean(t, id)
}
