package podman

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// testExec runs `podman exec` into a detached container: conmon calls
// `strata-oci exec --pid-file F --process P --detach ID` and reaps the
// process itself.
func testExec(t *testing.T, e *env) {
	out, err := e.podman(t, "run", "-d", "--network", "none", "--hostname", "inside", image, "sleep", "1000")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)

	if out, err := e.podman(t, "exec", id, "echo", "hi from exec"); err != nil || out != "hi from exec\n" {
		t.Errorf("exec echo: %q, %v", out, err)
	}
	// In the container's namespaces: its hostname, its pid 1.
	if out, err := e.podman(t, "exec", id, "sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '"); err != nil || out != "inside\nsleep 1000 " {
		t.Errorf("exec in the container's namespaces: %q, %v", out, err)
	}
	// The exit status comes back through conmon.
	_, err = e.podman(t, "exec", id, "sh", "-c", "exit 3")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("exec exit 3: podman returned %v", err)
	}
	// stdin reaches the process with -i.
	if out, err := e.podmanStdin(t, "piped\n", "exec", "-i", id, "cat"); err != nil || out != "piped\n" {
		t.Errorf("exec -i cat: %q, %v", out, err)
	}
	// A missing program is an error, and the container keeps running.
	if _, err := e.podman(t, "exec", id, "/no/such/program"); err == nil {
		t.Error("exec of a missing program succeeded")
	}
	if st, err := e.podman(t, "inspect", "--format", "{{.State.Status}}", id); err != nil || strings.TrimSpace(st) != "running" {
		t.Errorf("after the execs: %q, %v; want running", st, err)
	}
	if _, err := e.podman(t, "stop", "--time", "1", id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.podman(t, "rm", id); err != nil {
		t.Fatal(err)
	}
	e.checkClean(t, id)
	if !slices.Contains(e.commands(), "exec") {
		t.Errorf("podman never ran exec; it ran %v", e.commands())
	}
}
