package image

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestProcessFor(t *testing.T) {
	cfg := ocispec.ImageConfig{Entrypoint: []string{"/init"}, Cmd: []string{"serve"}, Env: []string{"PATH=/bin", "A=1"},
		WorkingDir: "/app", User: "app", ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}}}
	none := []string{}
	tests := []struct {
		name string
		cfg  ocispec.ImageConfig
		o    RunOverrides
		want Process
		bad  bool
	}{
		{name: "image defaults", cfg: cfg, want: Process{Args: []string{"/init", "serve"}, Env: []string{"PATH=/bin", "A=1"}, Cwd: "/app", User: "app", ExposedPorts: []string{"53/udp", "80/tcp"}}},
		{name: "cmd replaced", cfg: cfg, o: RunOverrides{Cmd: []string{"debug"}, Env: []string{"A=2", "B=3"}, User: "0"},
			want: Process{Args: []string{"/init", "debug"}, Env: []string{"PATH=/bin", "A=2", "B=3"}, Cwd: "/app", User: "0", ExposedPorts: []string{"53/udp", "80/tcp"}}},
		{name: "entrypoint replaced drops cmd", cfg: cfg, o: RunOverrides{Entrypoint: &none, Cmd: []string{"sh"}, WorkingDir: "/tmp"},
			want: Process{Args: []string{"sh"}, Env: []string{"PATH=/bin", "A=1"}, Cwd: "/tmp", User: "app", ExposedPorts: []string{"53/udp", "80/tcp"}}},
		{name: "nothing to run", cfg: ocispec.ImageConfig{}, bad: true},
		{name: "default cwd and PATH", cfg: ocispec.ImageConfig{Cmd: []string{"sh"}},
			want: Process{Args: []string{"sh"}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, Cwd: "/"}},
	}
	for _, tt := range tests {
		got, err := ProcessFor(tt.cfg, tt.o)
		if tt.bad {
			if err == nil {
				t.Errorf("%s: no error", tt.name)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, %v\nwant %+v", tt.name, got, err, tt.want)
		}
	}
}

func TestResolveUser(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\napp:x:1000:\nwheel:x:10:app\n"), 0o644)
	tests := []struct {
		spec     string
		uid, gid uint32
		extra    []uint32
		bad      bool
	}{
		{spec: "", uid: 0, gid: 0},
		{spec: "app", uid: 1000, gid: 1000, extra: []uint32{10}},
		{spec: "app:wheel", uid: 1000, gid: 10},
		{spec: "1000", uid: 1000, gid: 1000, extra: []uint32{10}},
		{spec: "4242:7", uid: 4242, gid: 7},
		{spec: "nobody", bad: true},
		{spec: "app:nogroup", bad: true},
	}
	for _, tt := range tests {
		uid, gid, extra, err := ResolveUser(root, tt.spec)
		if tt.bad {
			if err == nil {
				t.Errorf("%q: no error", tt.spec)
			}
			continue
		}
		if err != nil || uid != tt.uid || gid != tt.gid || !reflect.DeepEqual(extra, tt.extra) {
			t.Errorf("%q: %d:%d %v %v, want %d:%d %v", tt.spec, uid, gid, extra, err, tt.uid, tt.gid, tt.extra)
		}
	}
	// /etc/passwd as a symlink out of the rootfs is read inside it.
	evil := t.TempDir()
	os.MkdirAll(filepath.Join(evil, "etc"), 0o755)
	os.Symlink("/etc/passwd", filepath.Join(evil, "etc/passwd"))
	if _, _, _, err := ResolveUser(evil, "root"); err == nil {
		t.Error("a passwd symlinked out of the rootfs was followed")
	}
}
