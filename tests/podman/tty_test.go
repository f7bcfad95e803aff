package podman

import (
	"strings"
	"testing"
)

// testTTY runs containers with a terminal: `podman run -t` makes conmon
// pass --console-socket to create and read the pty master it gets back;
// `podman exec -t` passes --tty --console-socket to exec.
func testTTY(t *testing.T, e *env) {
	out, err := e.podman(t, "run", "--rm", "-t", "--network", "none", image,
		"sh", "-c", "test -t 0 && test -t 1 && test -t 2 && echo tty; tty")
	if err != nil {
		t.Fatal(err)
	}
	// The pty turns \n into \r\n.
	if lines := strings.Split(strings.TrimRight(out, "\r\n"), "\r\n"); len(lines) != 2 || lines[0] != "tty" || !strings.HasPrefix(lines[1], "/dev/pts/") {
		t.Errorf("podman run -t: %q, want tty and a /dev/pts/N name", out)
	}

	out, err = e.podman(t, "run", "-d", "--network", "none", image, "sleep", "1000")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	if out, err := e.podman(t, "exec", "-t", id, "sh", "-c", "test -t 1 && echo tty"); err != nil || strings.TrimRight(out, "\r\n") != "tty" {
		t.Errorf("podman exec -t: %q, %v", out, err)
	}
	if _, err := e.podman(t, "rm", "--force", "--time", "0", id); err != nil {
		t.Fatal(err)
	}
	e.checkClean(t, id)
}
