package build

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"strata/ctr"
	"strata/ctr/ctrtest"
	"strata/image"
	"strata/image/archive"
	"strata/image/snapshot"
)

// TestMain doubles as the container init of RUN steps.
func TestMain(m *testing.M) {
	ctr.MaybeInit()
	os.Exit(m.Run())
}

// applets are the busybox commands the test base image links.
var applets = []string{"sh", "echo", "cat", "id", "mkdir", "rm", "touch", "false", "true", "ls", "test", "sleep", "wc"}

// busyboxImage stores a one-layer busybox-static image named
// busybox:test with an /etc/passwd holding root and app (1000:1000).
func busyboxImage(t *testing.T, st *image.Store) {
	t.Helper()
	bb := ctrtest.Busybox(t)
	bin, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))})
	tw.Write(bin)
	for _, a := range applets {
		tw.WriteHeader(&tar.Header{Name: "bin/" + a, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777})
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"
	group := "root:x:0:\napp:x:1000:\nstaff:x:50:app\n"
	tw.WriteHeader(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(passwd))})
	tw.Write([]byte(passwd))
	tw.WriteHeader(&tar.Header{Name: "etc/group", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(group))})
	tw.Write([]byte(group))
	tw.WriteHeader(&tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777})
	tw.Close()
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Env = []string{"PATH=/bin"}
	cf.Config.Cmd = []string{"sh"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriteImage(context.Background(), img, "busybox:test"); err != nil {
		t.Fatal(err)
	}
}

type env struct {
	t   *testing.T
	st  *image.Store
	sn  snapshot.Snapshotter // nil: the default
	dir string               // the build context
	log bytes.Buffer
}

func newEnv(t *testing.T) *env {
	st, err := image.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	busyboxImage(t, st)
	return &env{t: t, st: st, dir: t.TempDir()}
}

// write puts files into the context.
func (e *env) write(files map[string]string) {
	e.t.Helper()
	for name, content := range files {
		p := filepath.Join(e.dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) build(tag string, args map[string]string) (Result, error) {
	e.log.Reset()
	return Build(context.Background(), e.st, Options{ContextDir: e.dir, Tags: []string{tag}, BuildArgs: args, Output: &e.log, Snapshotter: e.sn})
}

func (e *env) mustBuild(tag string, args map[string]string) Result {
	e.t.Helper()
	res, err := e.build(tag, args)
	if err != nil {
		e.t.Fatalf("build: %v\nlog:\n%s", err, e.log.String())
	}
	return res
}

// files flattens an image's layers into path → content (regular files),
// "-> target" (symlinks) or "dir" (directories), applying whiteouts.
func (e *env) files(name string) (map[string]string, *v1.ConfigFile) {
	e.t.Helper()
	ctx := context.Background()
	_, m, err := e.st.Manifest(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range m.Layers {
		rc, err := e.st.GetBlob(ctx, l.Digest)
		if err != nil {
			e.t.Fatal(err)
		}
		zr, err := archive.Decompress(rc)
		if err != nil {
			e.t.Fatal(err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				e.t.Fatal(err)
			}
			name := "/" + strings.TrimSuffix(path.Clean(h.Name), "/")
			if base := path.Base(name); strings.HasPrefix(base, ".wh.") {
				gone := path.Join(path.Dir(name), strings.TrimPrefix(base, ".wh."))
				for k := range out {
					if k == gone || strings.HasPrefix(k, gone+"/") {
						delete(out, k)
					}
				}
				continue
			}
			switch h.Typeflag {
			case tar.TypeReg:
				b, _ := io.ReadAll(tr)
				out[name] = string(b)
			case tar.TypeSymlink:
				out[name] = "-> " + h.Linkname
			case tar.TypeDir:
				out[name] = "dir"
			}
		}
		zr.Close()
		rc.Close()
	}
	raw, err := e.st.ReadBlob(ctx, m.Config.Digest)
	if err != nil {
		e.t.Fatal(err)
	}
	var cf v1.ConfigFile
	if err := json.Unmarshal(raw, &cf); err != nil {
		e.t.Fatal(err)
	}
	return out, &cf
}

// fsck checks the store, that no build snapshot is left active and that
// nothing stays mounted under the store's root.
func (e *env) fsck() {
	e.t.Helper()
	ctx := context.Background()
	probs, err := e.st.Fsck(ctx)
	if err != nil || len(probs) > 0 {
		e.t.Fatalf("fsck: %v %v", probs, err)
	}
	sn := e.sn
	if sn == nil {
		if sn, err = e.st.Snapshotter("auto"); err != nil {
			e.t.Fatal(err)
		}
	}
	sn.Walk(ctx, func(i snapshot.Info) error {
		if i.Kind != snapshot.KindCommitted {
			e.t.Errorf("snapshot %s left %s", i.Key, i.Kind)
		}
		return nil
	})
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mi), e.st.Root()) {
		e.t.Errorf("mounts left under %s", e.st.Root())
	}
}

func TestBuildMultiStage(t *testing.T) {
	t.Run("default", func(t *testing.T) { testMultiStage(t, newEnv(t)) })
	t.Run("copy", func(t *testing.T) {
		e := newEnv(t)
		sn, err := snapshot.NewCopy(filepath.Join(e.st.Root(), "snapshots", "copy"))
		if err != nil {
			t.Fatal(err)
		}
		e.sn = sn
		testMultiStage(t, e)
	})
}

func testMultiStage(t *testing.T, e *env) {
	e.write(map[string]string{
		"Dockerfile": `ARG BASE=busybox:test
FROM $BASE AS build
ARG GREETING=hello
ENV OUT=/out
WORKDIR $OUT
RUN echo "$GREETING from build" > msg.txt && mkdir -p /out/sub && echo deep > sub/f
RUN rm /etc/group
FROM scratch
COPY --from=build /out/ /data/
COPY --from=build /bin/busybox /bin/
LABEL org.example.title="two stages" version=2
EXPOSE 8080 53/udp
USER 1000:50
WORKDIR /data
ENTRYPOINT ["/bin/busybox"]
CMD ["cat", "msg.txt"]
`,
	})
	res := e.mustBuild("multi:1", map[string]string{"GREETING": "bonjour"})
	if res.Steps != 15 {
		t.Errorf("%d steps, want 15", res.Steps)
	}
	files, cfg := e.files("multi:1")
	if files["/data/msg.txt"] != "bonjour from build\n" || files["/data/sub/f"] != "deep\n" {
		t.Errorf("copied files: %q %q", files["/data/msg.txt"], files["/data/sub/f"])
	}
	if _, ok := files["/bin/busybox"]; !ok {
		t.Error("no /bin/busybox")
	}
	if _, ok := files["/etc/passwd"]; ok {
		t.Error("the build stage's /etc leaked into the final stage")
	}
	c := cfg.Config
	if c.User != "1000:50" || c.WorkingDir != "/data" || c.Labels["org.example.title"] != "two stages" || c.Labels["version"] != "2" {
		t.Errorf("config %+v", c)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v", c.ExposedPorts)
	}
	if _, ok := c.ExposedPorts["53/udp"]; !ok {
		t.Errorf("exposed ports %v", c.ExposedPorts)
	}
	if strings.Join(c.Entrypoint, " ") != "/bin/busybox" || strings.Join(c.Cmd, " ") != "cat msg.txt" {
		t.Errorf("entrypoint %q cmd %q", c.Entrypoint, c.Cmd)
	}
	if len(cfg.RootFS.DiffIDs) != 2 || len(cfg.History) != 8 {
		t.Errorf("%d diff IDs (want 2: the COPYs; /data exists for WORKDIR), %d history entries (want 8)", len(cfg.RootFS.DiffIDs), len(cfg.History))
	}
	// History: one entry per instruction of the final stage, layer-less
	// ones marked empty, in order.
	wantHist := []struct {
		by    string
		empty bool
	}{
		{"COPY --from=build /out/ /data/", false}, {"COPY --from=build /bin/busybox /bin/", false},
		{"LABEL", true}, {"EXPOSE", true}, {"USER 1000:50", true}, {"WORKDIR /data", true},
		{"ENTRYPOINT", true}, {`CMD ["cat", "msg.txt"]`, true},
	}
	for i, h := range cfg.History {
		if i < len(wantHist) && (!strings.HasPrefix(h.CreatedBy, wantHist[i].by) || h.EmptyLayer != wantHist[i].empty) {
			t.Errorf("history[%d] = %q empty=%v, want %q empty=%v", i, h.CreatedBy, h.EmptyLayer, wantHist[i].by, wantHist[i].empty)
		}
	}
	// The build stage's deletion became a whiteout in its layer.
	if !strings.Contains(e.log.String(), "STEP 6/15 (line 7): RUN rm /etc/group") {
		t.Errorf("log:\n%s", e.log.String())
	}
	e.fsck()
}

func TestBuildCache(t *testing.T) {
	e := newEnv(t)
	e.write(map[string]string{
		"Dockerfile": `FROM busybox:test
RUN echo one > /one
COPY a.txt /a.txt
RUN cat /a.txt > /copy-of-a
COPY b.txt /b.txt
`,
		"a.txt": "A1", "b.txt": "B1",
	})
	first := e.mustBuild("cache:1", nil)
	if first.Cached != 0 {
		t.Errorf("first build: %d cached steps", first.Cached)
	}
	second := e.mustBuild("cache:1", nil)
	if second.Cached != 4 || second.Descriptor.Digest != first.Descriptor.Digest {
		t.Errorf("unchanged rebuild: %d cached (want 4), digest %s vs %s", second.Cached, second.Descriptor.Digest, first.Descriptor.Digest)
	}
	// Touching a.txt without changing it keeps the cache; changing it
	// rebuilds from its COPY on.
	e.write(map[string]string{"a.txt": "A1"})
	if r := e.mustBuild("cache:1", nil); r.Cached != 4 {
		t.Errorf("rewritten but equal a.txt: %d cached, want 4", r.Cached)
	}
	e.write(map[string]string{"a.txt": "A2"})
	third := e.mustBuild("cache:2", nil)
	if third.Cached != 1 {
		t.Errorf("changed a.txt: %d cached, want 1 (only the first RUN)\n%s", third.Cached, e.log.String())
	}
	files, _ := e.files("cache:2")
	if files["/copy-of-a"] != "A2" || files["/one"] != "one\n" || files["/b.txt"] != "B1" {
		t.Errorf("files after the partial rebuild: %q %q %q", files["/copy-of-a"], files["/one"], files["/b.txt"])
	}
	// A Dockerfile edit in the middle invalidates from there.
	e.write(map[string]string{"Dockerfile": `FROM busybox:test
RUN echo one > /one
COPY a.txt /a.txt
RUN cat /a.txt /a.txt > /copy-of-a
COPY b.txt /b.txt
`})
	if r := e.mustBuild("cache:3", nil); r.Cached != 2 {
		t.Errorf("edited RUN: %d cached, want 2", r.Cached)
	}
	// Build args are part of a RUN's key.
	e.write(map[string]string{"Dockerfile": "FROM busybox:test\nARG V=1\nRUN echo $V > /v\n"})
	e.mustBuild("cache:4", nil)
	if r := e.mustBuild("cache:4", map[string]string{"V": "2"}); r.Cached != 0 {
		t.Errorf("changed build arg: %d cached, want 0", r.Cached)
	}
	if files, _ := e.files("cache:4"); files["/v"] != "2\n" {
		t.Errorf("/v = %q, want 2", files["/v"])
	}
	e.fsck()
}

func TestBuildDockerignore(t *testing.T) {
	e := newEnv(t)
	e.write(map[string]string{
		"Dockerfile":    "FROM busybox:test\nCOPY . /app/\n",
		".dockerignore": "# secrets stay home\n*.key\nlogs/\n!logs/keep.log\n",
		"main.txt":      "main", "server.key": "secret", "logs/a.log": "noise", "logs/keep.log": "kept",
		"sub/inner.key": "not matched by *.key (root only)",
	})
	e.mustBuild("ignore:1", nil)
	files, _ := e.files("ignore:1")
	if files["/app/main.txt"] != "main" || files["/app/logs/keep.log"] != "kept" || files["/app/sub/inner.key"] == "" {
		t.Errorf("wanted files missing: %v", sortedKeys(files))
	}
	for _, p := range []string{"/app/server.key", "/app/logs/a.log"} {
		if _, ok := files[p]; ok {
			t.Errorf("%s was copied despite .dockerignore", p)
		}
	}
	// Changing an ignored file does not invalidate the COPY.
	e.write(map[string]string{"server.key": "other secret"})
	if r := e.mustBuild("ignore:1", nil); r.Cached != 1 {
		t.Errorf("changed ignored file: %d cached, want 1", r.Cached)
	}
	e.write(map[string]string{"Dockerfile": "FROM busybox:test\nCOPY server.key /\n"})
	if _, err := e.build("ignore:2", nil); err == nil || !strings.Contains(err.Error(), ".dockerignore") {
		t.Errorf("COPY of an ignored file: %v", err)
	}
}

func TestBuildRunFails(t *testing.T) {
	e := newEnv(t)
	e.write(map[string]string{"Dockerfile": "FROM busybox:test\nRUN echo fine > /f\n\nRUN echo about to fail; false\nRUN echo never\n"})
	_, err := e.build("fail:1", nil)
	var be *Error
	if !errors.As(err, &be) || be.Line != 4 || be.Cmd != "RUN" {
		t.Fatalf("error %v: want a RUN error at line 4", err)
	}
	if !strings.Contains(err.Error(), "exit status 1") || !strings.Contains(err.Error(), "about to fail") {
		t.Errorf("error %q lacks the status or the output", err)
	}
	if strings.Contains(e.log.String(), "never") {
		t.Error("the build went on after the failure")
	}
	if _, err := e.st.Resolve(context.Background(), "fail:1"); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("failed build named an image: %v", err)
	}
	e.fsck()
	entries, _ := os.ReadDir(filepath.Join(e.st.Root(), "build", "work"))
	if len(entries) != 0 {
		t.Errorf("work directories left: %v", entries)
	}
}

func TestBuildScratchStaticBinary(t *testing.T) {
	e := newEnv(t)
	bin, err := os.ReadFile(ctrtest.Busybox(t))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(e.dir, "busybox"), bin, 0o755)
	e.write(map[string]string{"Dockerfile": `FROM scratch
COPY --chmod=755 busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox echo static ok > /ok; /bin/busybox id -u > /uid"]
USER 4242
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox id -u > /tmp-uid 2>&1 || /bin/busybox echo denied"]
CMD ["/bin/busybox", "cat", "/ok"]
`})
	res := e.mustBuild("static:1", nil)
	files, cfg := e.files("static:1")
	if files["/ok"] != "static ok\n" || files["/uid"] != "0\n" {
		t.Errorf("RUN on scratch wrote %q, %q", files["/ok"], files["/uid"])
	}
	if _, ok := files["/bin/busybox"]; !ok {
		t.Error("no /bin/busybox in the image")
	}
	for _, m := range mountpoints {
		if _, ok := files["/"+m]; ok {
			t.Errorf("mountpoint /%s leaked into a layer", m)
		}
	}
	if !strings.Contains(e.log.String(), "denied") {
		t.Errorf("uid 4242 could write to / (log %q)", e.log.String())
	}
	if cfg.Config.Cmd[0] != "/bin/busybox" || res.Descriptor.MediaType != ocispec.MediaTypeImageManifest {
		t.Errorf("cmd %q media type %s", cfg.Config.Cmd, res.Descriptor.MediaType)
	}
	e.fsck()
}

func TestBuildUserAndChown(t *testing.T) {
	e := newEnv(t)
	e.write(map[string]string{
		"Dockerfile": "FROM busybox:test\nCOPY --chown=app:staff f.txt /home/app/\nUSER app\nRUN id -u > /tmp/uid; id -g >> /tmp/uid; id -G >> /tmp/uid\n",
		"f.txt":      "x",
	})
	e.mustBuild("user:1", nil)
	files, _ := e.files("user:1")
	if files["/tmp/uid"] != "1000\n1000\n1000 50\n" {
		t.Errorf("RUN as app: %q", files["/tmp/uid"])
	}
	// Ownership is in the layer: read it back.
	ctx := context.Background()
	_, m, _ := e.st.Manifest(ctx, "user:1")
	rc, _ := e.st.GetBlob(ctx, m.Layers[1].Digest)
	zr, _ := archive.Decompress(rc)
	tr := tar.NewReader(zr)
	found := false
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Name == "home/app/f.txt" {
			found = true
			if h.Uid != 1000 || h.Gid != 50 {
				t.Errorf("f.txt owned by %d:%d, want 1000:50", h.Uid, h.Gid)
			}
		}
	}
	rc.Close()
	if !found {
		t.Error("f.txt not in the COPY layer")
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct{ dockerfile, want string }{
		{"FROM busybox:test\nRUN true\nBOGUS x\n", "line 3"},
		{"FROM busybox:test\nCOPY missing.txt /\n", "line 2: COPY"},
		{"FROM busybox:test\nCOPY --from=nowhere /a /b\n", "line 2"},
		{"FROM busybox:test\nCOPY http://127.0.0.1:1/x /x\n", "use ADD"},
		{"FROM busybox:test\nADD ftp://127.0.0.1:1/x /x\n", "only http"},
		{"FROM busybox:test\nADD http://127.0.0.1:1/x /x\n", "line 2: ADD"},
		{"FROM busybox:test\nRUN --mount=type=secret,id=x true\n", "not supported"},
		{"FROM busybox:test\nRUN --network=none true\n", "not supported"},
		{"FROM busybox:test\nRUN --mount=type=bind,source=.,target=/src,rw true\n", "read-write"},
		{"FROM busybox:test\nRUN --mount=type=cache true\n", "absolute target"},
		{"FROM busybox:test\nUSER nobody\nRUN true\n", "nobody"},
		{"FROM busybox:test\nEXPOSE 99999\n", "EXPOSE"},
		{"FROM 127.0.0.1:1/none:1\n", "line 1: FROM"},
	}
	e := newEnv(t)
	for _, tc := range tests {
		e.write(map[string]string{"Dockerfile": tc.dockerfile})
		_, err := e.build("bad:1", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.dockerfile, err, tc.want)
		}
	}
	e.fsck()
}

func TestBuildCancelled(t *testing.T) {
	e := newEnv(t)
	e.write(map[string]string{"Dockerfile": "FROM busybox:test\nRUN echo started; sleep 60\n"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Build(ctx, e.st, Options{ContextDir: e.dir, Tags: []string{"cancel:1"}, Output: io.Discard})
		done <- err
	}()
	// Cancel once the step's container is up (its state directory exists).
	for i := 0; i < 500; i++ {
		if m, _ := filepath.Glob(filepath.Join(e.st.Root(), "build", "work", "*", "ctr", "state", "*")); len(m) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled build: %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a cancelled build kept running")
	}
	if _, err := e.st.Resolve(context.Background(), "cancel:1"); !errors.Is(err, image.ErrNotFound) {
		t.Errorf("cancelled build named an image: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(e.st.Root(), "build", "work")); len(entries) != 0 {
		t.Errorf("work directories left: %v", entries)
	}
	e.fsck()
}

func TestBuildTargetAndCopyFromImage(t *testing.T) {
	e := newEnv(t)
	e.write(map[string]string{"Dockerfile": `FROM busybox:test AS base
RUN echo base > /base
FROM base AS dev
RUN echo dev > /dev-only
FROM scratch AS final
COPY --from=busybox:test /etc/passwd /passwd
COPY --from=base /base /base
`})
	ctx := context.Background()
	res, err := Build(ctx, e.st, Options{ContextDir: e.dir, Tags: []string{"t:dev"}, Target: "DEV", Output: &e.log})
	if err != nil {
		t.Fatalf("--target dev: %v\n%s", err, e.log.String())
	}
	if res.Steps != 4 || strings.Contains(e.log.String(), "passwd") {
		t.Errorf("--target dev ran %d steps (want 4, not the final stage):\n%s", res.Steps, e.log.String())
	}
	files, _ := e.files("t:dev")
	if files["/base"] != "base\n" || files["/dev-only"] != "dev\n" {
		t.Errorf("dev stage: /base %q /dev-only %q", files["/base"], files["/dev-only"])
	}
	e.log.Reset()
	if _, err := Build(ctx, e.st, Options{ContextDir: e.dir, Tags: []string{"t:final"}, Output: &e.log}); err != nil {
		t.Fatalf("final: %v\n%s", err, e.log.String())
	}
	if strings.Contains(e.log.String(), "dev-only") {
		t.Errorf("the unused dev stage was built:\n%s", e.log.String())
	}
	files, _ = e.files("t:final")
	if !strings.HasPrefix(files["/passwd"], "root:x:0:0") || files["/base"] != "base\n" || len(files) != 2 {
		t.Errorf("final stage files: %v", sortedKeys(files))
	}
	if _, err := Build(ctx, e.st, Options{ContextDir: e.dir, Target: "nope"}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("--target nope: %v", err)
	}
	e.fsck()
}

func TestHashCache(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("one"), 0o644)
	c := loadHashCache(root, dir)
	s1, err := c.sum(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	c = loadHashCache(root, dir)
	if s, _ := c.sum(p); s != s1 || c.changed {
		t.Errorf("unchanged file: %s (changed=%v), want %s from the cache", s, c.changed, s1)
	}
	// Same size, mtime put back: ctime still gives the change away.
	fi, _ := os.Stat(p)
	os.WriteFile(p, []byte("two"), 0o644)
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	c = loadHashCache(root, dir)
	if s, _ := c.sum(p); s == s1 || !c.changed {
		t.Errorf("rewritten file with its old mtime kept the old sum %s", s)
	}
}

func TestBuildHealthcheckAndOnbuild(t *testing.T) {
	e := newEnv(t)
	e.write(map[string]string{"Dockerfile": `FROM busybox:test
HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD ["cat", "/ok"]
ONBUILD RUN echo "triggered by $WHO" > /trig
ONBUILD ENV CHILD=yes
`})
	e.mustBuild("parent:1", nil)
	_, cfg := e.files("parent:1")
	hc := cfg.Config.Healthcheck
	if hc == nil || strings.Join(hc.Test, " ") != "CMD cat /ok" || hc.Interval != 5*time.Second || hc.Timeout != 2*time.Second || hc.Retries != 4 {
		t.Errorf("healthcheck %+v", hc)
	}
	if len(cfg.Config.OnBuild) != 2 || cfg.Config.OnBuild[1] != "ENV CHILD=yes" {
		t.Errorf("onbuild %q", cfg.Config.OnBuild)
	}
	e.write(map[string]string{"Dockerfile": "FROM parent:1\nENV WHO=child\nHEALTHCHECK NONE\n"})
	e.mustBuild("child:1", nil)
	files, ccfg := e.files("child:1")
	if files["/trig"] != "triggered by \n" {
		t.Errorf("/trig = %q (the trigger runs right after FROM, before ENV WHO)", files["/trig"])
	}
	if len(ccfg.Config.OnBuild) != 0 || strings.Join(ccfg.Config.Healthcheck.Test, " ") != "NONE" {
		t.Errorf("child config: onbuild %q healthcheck %+v", ccfg.Config.OnBuild, ccfg.Config.Healthcheck)
	}
	found := false
	for _, kv := range ccfg.Config.Env {
		found = found || kv == "CHILD=yes"
	}
	if !found {
		t.Errorf("ONBUILD ENV not applied: %q", ccfg.Config.Env)
	}
	if !strings.Contains(e.log.String(), "(line 1): RUN echo") {
		t.Errorf("trigger not reported at the FROM line:\n%s", e.log.String())
	}
	e.fsck()
}

func TestBuildPlatformArgs(t *testing.T) {
	e := newEnv(t)
	e.write(map[string]string{"Dockerfile": `FROM --platform=$BUILDPLATFORM busybox:test
ARG TARGETARCH
RUN echo "$TARGETOS/$TARGETARCH" > /arch
`})
	e.mustBuild("plat:1", nil)
	if files, _ := e.files("plat:1"); files["/arch"] != "/amd64\n" {
		t.Errorf("/arch = %q (TARGETARCH declared, TARGETOS not)", files["/arch"])
	}
	e.write(map[string]string{"Dockerfile": "FROM --platform=linux/arm64 busybox:test\n"})
	if _, err := e.build("plat:2", nil); err == nil || !strings.Contains(err.Error(), "linux/amd64 only") {
		t.Errorf("--platform=linux/arm64: %v", err)
	}
}

func TestBuildHostNetworkFiles(t *testing.T) {
	e := newEnv(t)
	e.write(map[string]string{"Dockerfile": "FROM busybox:test\nRUN cat /etc/resolv.conf > /resolv; cat /etc/hosts > /hosts\nRUN true\n"})
	if _, err := Build(context.Background(), e.st, Options{ContextDir: e.dir, Tags: []string{"net:1"}, Network: "host", Output: &e.log}); err != nil {
		t.Fatalf("%v\n%s", err, e.log.String())
	}
	files, cfg := e.files("net:1")
	hostResolv, _ := os.ReadFile("/etc/resolv.conf")
	hostHosts, _ := os.ReadFile("/etc/hosts")
	if files["/resolv"] != string(hostResolv) || files["/hosts"] != string(hostHosts) {
		t.Errorf("RUN on the host network saw resolv.conf %q and hosts %q", files["/resolv"], files["/hosts"])
	}
	for _, p := range []string{"/etc/resolv.conf", "/etc/hosts"} {
		if _, ok := files[p]; ok {
			t.Errorf("%s (bound from the host) leaked into a layer", p)
		}
	}
	// The second RUN changed nothing: no layer, not even /etc.
	if n := len(cfg.RootFS.DiffIDs); n != 2 {
		t.Errorf("%d layers, want 2 (base + the first RUN)", n)
	}
	e.fsck()
}

func TestBuildHeredocs(t *testing.T) {
	e := newEnv(t)
	df := `FROM busybox:test
ARG WHO=world
RUN <<EOF
echo "hello $WHO" > /greeting
mkdir -p /etc/app
EOF
COPY <<CONF /etc/app/app.conf
name=$WHO
quoted="yes"
CONF
COPY <<'RAW' <<NOTE /notes/
$WHO stays
RAW
note for $WHO
NOTE
RUN cat > /via-shell <<EOT
shell $WHO
EOT
RUN <<EOF
#!/bin/busybox sh
echo "interpreted by $0" > /shebang
EOF
`
	e.write(map[string]string{"Dockerfile": df})
	e.mustBuild("here:1", nil)
	files, _ := e.files("here:1")
	want := map[string]string{
		"/greeting":         "hello world\n",
		"/etc/app/app.conf": "name=world\nquoted=\"yes\"\n",
		"/notes/RAW":        "$WHO stays\n",
		"/notes/NOTE":       "note for world\n",
		"/via-shell":        "shell world\n",
		"/shebang":          "interpreted by /dev/.strata-run-script\n",
	}
	for p, w := range want {
		if files[p] != w {
			t.Errorf("%s = %q, want %q", p, files[p], w)
		}
	}
	if r := e.mustBuild("here:1", nil); r.Cached != 5 {
		t.Errorf("unchanged rebuild: %d cached, want 5", r.Cached)
	}
	for p := range files {
		if strings.HasPrefix(p, "/dev/") {
			t.Errorf("%s in the image", p)
		}
	}
	e.write(map[string]string{"Dockerfile": strings.Replace(df, "quoted=\"yes\"", "quoted=\"no\"", 1)})
	if r := e.mustBuild("here:2", nil); r.Cached != 1 {
		t.Errorf("changed COPY heredoc: %d cached, want 1", r.Cached)
	}
	e.fsck()
}

func TestBuildRunMounts(t *testing.T) {
	e := newEnv(t)
	e.write(map[string]string{
		"Dockerfile": `FROM busybox:test
RUN --mount=type=cache,target=/var/cache/app echo run >> /var/cache/app/log && wc -l < /var/cache/app/log > /count
RUN --mount=type=bind,source=data,target=/src cat /src/input.txt > /copied
RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/y && ls /scratch > /listed
`,
		"data/input.txt": "from the context\n",
	})
	ctx := context.Background()
	build := func(tag string, noCache bool) map[string]string {
		t.Helper()
		e.log.Reset()
		if _, err := Build(ctx, e.st, Options{ContextDir: e.dir, Tags: []string{tag}, NoCache: noCache, Output: &e.log}); err != nil {
			t.Fatalf("%v\n%s", err, e.log.String())
		}
		files, _ := e.files(tag)
		return files
	}
	files := build("mnt:1", false)
	if strings.TrimSpace(files["/count"]) != "1" || files["/copied"] != "from the context\n" || files["/listed"] != "y\n" {
		t.Errorf("count %q copied %q listed %q", files["/count"], files["/copied"], files["/listed"])
	}
	for _, p := range []string{"/var", "/var/cache/app/log", "/src", "/scratch"} {
		if _, ok := files[p]; ok {
			t.Errorf("%s (a mount or its mountpoint) is in the image", p)
		}
	}
	// The cache mount keeps its contents across builds.
	files = build("mnt:2", true)
	if strings.TrimSpace(files["/count"]) != "2" {
		t.Errorf("second run saw %q lines in the cache mount, want 2", files["/count"])
	}
	// What a bind mount shows is part of the step's key.
	e.write(map[string]string{"data/input.txt": "changed\n"})
	files = build("mnt:3", false)
	if files["/copied"] != "changed\n" {
		t.Errorf("bind-mounted file changed, RUN gave %q", files["/copied"])
	}
	e.fsck()
}

func TestBuildAddURL(t *testing.T) {
	e := newEnv(t)
	var gets, full atomic.Int64
	body := "downloaded content\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"v1"`)
		io.WriteString(w, body)
	}))
	defer srv.Close()
	sum := sha256.Sum256([]byte(body))
	e.write(map[string]string{"Dockerfile": "FROM busybox:test\nADD " + srv.URL + "/files/tool.tar.gz /opt/\n" +
		"ADD --checksum=sha256:" + hex.EncodeToString(sum[:]) + " " + srv.URL + "/x /named\n"})
	e.mustBuild("url:1", nil)
	files, _ := e.files("url:1")
	if files["/opt/tool.tar.gz"] != body || files["/named"] != body {
		t.Errorf("ADD URL gave %q and %q (a remote .tar.gz is not unpacked); files %v", files["/opt/tool.tar.gz"], files["/named"], sortedKeys(files))
	}
	if r := e.mustBuild("url:1", nil); r.Cached != 2 || full.Load() != 2 || gets.Load() != 4 {
		t.Errorf("rebuild: %d cached, %d requests, %d full downloads (want 2 cached, 4, 2: revalidated with 304s)", r.Cached, gets.Load(), full.Load())
	}
	e.write(map[string]string{"Dockerfile": "FROM busybox:test\nADD --checksum=sha256:0000 " + srv.URL + "/x /y\n"})
	if _, err := e.build("url:2", nil); err == nil || !strings.Contains(err.Error(), "--checksum") {
		t.Errorf("wrong checksum: %v", err)
	}
	e.fsck()
}
