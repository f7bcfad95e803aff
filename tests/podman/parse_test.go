package podman

import (
	"strings"
	"testing"
)

func TestRuntimeCommand(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{"create --bundle /b --pid-file /p ID", "create"},
		{"--root /run/x create --bundle /b ID", "create"},
		{"--root=/run/x --log /l --log-format json kill ID 9", "kill"},
		{"--systemd-cgroup delete --force ID", "delete"},
		{"exec --pid-file /p --process /q --detach --tty --console-socket /s ID", "exec"},
		{"--root", ""},
		{"", ""},
		{"   ", ""},
		{"--debug", ""},
	} {
		if got := runtimeCommand(tt.line); got != tt.want {
			t.Errorf("runtimeCommand(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func FuzzRuntimeCommand(f *testing.F) {
	f.Add("create --bundle /b --pid-file /p ID")
	f.Add("--root /x --log-format json start ID")
	f.Add("--root")
	f.Fuzz(func(t *testing.T, line string) {
		c := runtimeCommand(line)
		if c == "" {
			return
		}
		if strings.HasPrefix(c, "-") || strings.ContainsAny(c, " \t\n") {
			t.Errorf("runtimeCommand(%q) = %q: a flag or not one word", line, c)
		}
		if !strings.Contains(line, c) {
			t.Errorf("runtimeCommand(%q) = %q: not in the line", line, c)
		}
	})
}
