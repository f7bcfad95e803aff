package registry

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	digest "github.com/opencontainers/go-digest"

	"strata/image"
	"strata/image/registry/registrytest"
)

// startRegistry runs docker-registry for one test.
func startRegistry(t *testing.T, o registrytest.Options) *registrytest.Server {
	t.Helper()
	srv, err := registrytest.Start(context.Background(), t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func openStore(t *testing.T) *image.Store {
	t.Helper()
	st, err := image.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// fsckClean fails the test if the store is inconsistent.
func fsckClean(t *testing.T, st *image.Store) {
	t.Helper()
	probs, err := st.Fsck(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) > 0 {
		t.Fatalf("fsck: %v", probs)
	}
}

func randomImage(t *testing.T, size, layers int64) v1.Image {
	t.Helper()
	img, err := random.Image(size, layers)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestPushPullRoundTrip(t *testing.T) {
	ctx := context.Background()
	srv := startRegistry(t, registrytest.Options{})
	src := openStore(t)
	img := randomImage(t, 64<<10, 3)
	want, err := src.WriteImage(ctx, img, "app:1")
	if err != nil {
		t.Fatal(err)
	}
	dest := srv.Addr + "/strata/app:1"
	if _, err := Push(ctx, src, "app:1", dest, Options{}); err != nil {
		t.Fatal(err)
	}
	dst := openStore(t)
	res, err := Pull(ctx, dst, dest, Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Descriptor.Digest != want.Digest {
		t.Errorf("pulled manifest %s, pushed %s", res.Descriptor.Digest, want.Digest)
	}
	if res.Name != dest || res.Fetched != 3 || res.Skipped != 0 || res.Bytes == 0 {
		t.Errorf("result %+v", res)
	}
	got, err := dst.Resolve(ctx, dest)
	if err != nil || got.Digest != want.Digest {
		t.Fatalf("resolve %s: %v %v", dest, got.Digest, err)
	}
	fsckClean(t, dst)

	// A second pull fetches nothing.
	res, err = Pull(ctx, dst, dest, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Fetched != 0 || res.Skipped != 3 {
		t.Errorf("second pull %+v, want 3 skipped", res)
	}
	// By digest, into a fresh store.
	byDigest := srv.Addr + "/strata/app@" + want.Digest.String()
	fresh := openStore(t)
	res, err = Pull(ctx, fresh, byDigest, Options{})
	if err != nil || res.Descriptor.Digest != want.Digest {
		t.Fatalf("pull by digest: %+v %v", res, err)
	}
	if got, err := fresh.Resolve(ctx, byDigest); err != nil || got.Digest != want.Digest {
		t.Errorf("resolve %s: %v %v", byDigest, got.Digest, err)
	}
}

func TestPullMultiPlatform(t *testing.T) {
	ctx := context.Background()
	srv := startRegistry(t, registrytest.Options{})
	var idx v1.ImageIndex = empty.Index
	var wantAMD64 v1.Hash
	for _, arch := range []string{"arm64", "amd64", "riscv64"} {
		img := randomImage(t, 1024, 1)
		img, err := mutate.ConfigFile(img, &v1.ConfigFile{OS: "linux", Architecture: arch})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		if arch == "amd64" {
			wantAMD64 = d
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	ref, err := ParseReference(srv.Addr+"/multi:latest", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	res, err := Pull(ctx, st, ref.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Descriptor.Digest.String() != wantAMD64.String() {
		t.Errorf("pulled %s, want the linux/amd64 image %s", res.Descriptor.Digest, wantAMD64)
	}
	riscv := &v1.Platform{OS: "linux", Architecture: "riscv64"}
	res, err = Pull(ctx, st, ref.String(), Options{Platform: riscv})
	if err != nil {
		t.Fatal(err)
	}
	_, m, err := st.Manifest(ctx, res.Descriptor.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := st.ReadBlob(ctx, m.Config.Digest)
	if err != nil || !strings.Contains(string(cfg), `"riscv64"`) {
		t.Errorf("--platform linux/riscv64 pulled config %s (%v)", cfg, err)
	}
	fsckClean(t, st)
}

func TestBasicAuth(t *testing.T) {
	ctx := context.Background()
	srv := startRegistry(t, registrytest.Options{Username: "alice", Password: "s3cret"})
	img := randomImage(t, 1024, 1)
	dest := srv.Addr + "/private/app:1"
	if _, err := PushImage(ctx, img, dest, Options{}); err == nil || !strings.Contains(err.Error(), "authentication required") {
		t.Fatalf("anonymous push: %v, want authentication required", err)
	}
	if _, err := PushImage(ctx, img, dest, Options{Username: "alice", Password: "wrong"}); err == nil {
		t.Fatal("push with a wrong password succeeded")
	}
	if _, err := PushImage(ctx, img, dest, Options{Username: "alice", Password: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	if _, err := Pull(ctx, st, dest, Options{}); err == nil || !strings.Contains(err.Error(), "authentication required") {
		t.Fatalf("anonymous pull from an auth registry: %v", err)
	}
	authFile := filepath.Join(t.TempDir(), "auth.json")
	enc := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	os.WriteFile(authFile, []byte(fmt.Sprintf(`{"auths":{"%s":{"auth":"%s"}}}`, srv.Addr, enc)), 0o600)
	res, err := Pull(ctx, st, dest, Options{AuthFile: authFile})
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := img.Digest(); res.Descriptor.Digest.String() != want.String() {
		t.Errorf("pulled %s, want %s", res.Descriptor.Digest, want)
	}
	fsckClean(t, st)
}

// cutProxy forwards to a registry but drops the connection halfway
// through every layer blob body.
func cutProxy(t *testing.T, target string, cut digest.Digest) string {
	t.Helper()
	u, _ := url.Parse("http://" + target)
	rp := httputil.NewSingleHostReverseProxy(u)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+cut.String()) {
			rp.ServeHTTP(w, r)
			return
		}
		resp, err := http.Get("http://" + target + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.CopyN(w, resp.Body, resp.ContentLength/2)
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

func TestPullConnectionDropped(t *testing.T) {
	for _, tc := range []struct {
		name   string
		victim int
		unpack bool
	}{{"layer 1", 1, false}, {"streamed layer 0 while unpacking", 0, true}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			reg := startRegistry(t, registrytest.Options{})
			img := randomImage(t, 256<<10, 3)
			if _, err := PushImage(ctx, img, reg.Addr+"/cut/app:1", Options{}); err != nil {
				t.Fatal(err)
			}
			layers, _ := img.Layers()
			victim, _ := layers[tc.victim].Digest()
			proxy := cutProxy(t, reg.Addr, digest.Digest(victim.String()))
			st := openStore(t)
			ref := proxy + "/cut/app:1"
			o := Options{Retries: 1}
			if tc.unpack {
				o.UnpackDir = t.TempDir()
			}
			_, err := Pull(ctx, st, ref, o)
			if err == nil {
				t.Fatal("pull through a cutting proxy succeeded")
			}
			t.Logf("cut pull: %v", err)
			if !strings.Contains(err.Error(), fmt.Sprintf("layer %d", tc.victim)) || !strings.Contains(err.Error(), victim.Hex) {
				t.Errorf("error %q does not name layer %d (%s)", err, tc.victim, victim)
			}
			if _, rerr := st.Resolve(ctx, ref); !errors.Is(rerr, image.ErrNotFound) {
				t.Errorf("after a failed pull the name resolves: %v", rerr)
			}
			if st.HasBlob(digest.Digest(victim.String())) {
				t.Error("the cut layer is in the store")
			}
			fsckClean(t, st)
			// The same store then pulls the image whole from the registry itself.
			if _, err := Pull(ctx, st, reg.Addr+"/cut/app:1", Options{UnpackDir: t.TempDir()}); err != nil {
				t.Fatal(err)
			}
			fsckClean(t, st)
		})
	}
}

func TestPullErrors(t *testing.T) {
	ctx := context.Background()
	reg := startRegistry(t, registrytest.Options{})
	st := openStore(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l.Addr().String()
	l.Close()
	tests := []struct{ ref, want string }{
		{reg.Addr + "/nothing:here", "MANIFEST_UNKNOWN"},
		{dead + "/x:1", "unreachable"},
		{"Bad Ref!", `"Bad Ref!"`},
	}
	for _, tc := range tests {
		_, err := Pull(ctx, st, tc.ref, Options{Retries: -1})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("pull %s: %v, want %q", tc.ref, err, tc.want)
		}
	}
	fsckClean(t, st)
}

func TestIsLoopback(t *testing.T) {
	for in, want := range map[string]bool{
		"localhost:5000": true, "127.0.0.1:5000": true, "127.0.0.1": true, "[::1]:5000": true,
		"reg.localhost": true, "docker.io": false, "10.0.0.1:5000": false, "index.docker.io": false,
	} {
		if got := IsLoopback(in); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseReferenceScheme(t *testing.T) {
	tests := []struct {
		in       string
		insecure bool
		scheme   string
	}{
		{"127.0.0.1:5000/a:1", false, "http"},
		{"localhost:5000/a", false, "http"},
		{"registry.example:5000/a", false, "https"},
		{"registry.example:5000/a", true, "http"},
	}
	for _, tc := range tests {
		r, err := ParseReference(tc.in, tc.insecure)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Context().Scheme(); got != tc.scheme {
			t.Errorf("%s insecure=%v: scheme %s, want %s", tc.in, tc.insecure, got, tc.scheme)
		}
	}
}

func TestParseAuthFile(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString([]byte("u:p:w"))
	cfg, err := ParseAuthFile([]byte(`{"auths":{"https://reg.example/v2/":{"auth":"` + enc + `"},"127.0.0.1:5000":{"username":"a","password":"b"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg["reg.example"]; c.Username != "u" || c.Password != "p:w" {
		t.Errorf("reg.example: %+v", c)
	}
	if c := cfg["127.0.0.1:5000"]; c.Username != "a" || c.Password != "b" {
		t.Errorf("127.0.0.1:5000: %+v", c)
	}
	for _, bad := range []string{`nope`, `{"auths":{"x":{"auth":"!!"}}}`, `{"auths":{"x":{"auth":"` + base64.StdEncoding.EncodeToString([]byte("nocolon")) + `"}}}`, `{"auths":{"https://":{}}}`} {
		if _, err := ParseAuthFile([]byte(bad)); err == nil {
			t.Errorf("ParseAuthFile(%s) accepted", bad)
		}
	}
}

func FuzzParseAuthFile(f *testing.F) {
	f.Add([]byte(`{"auths":{"reg:5000":{"auth":"dTpw"}}}`))
	f.Add([]byte(`{"auths":{"https://r/v2/":{"username":"a","password":"b"}}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := ParseAuthFile(b)
		if err != nil {
			return
		}
		for k := range cfg {
			if k == "" || strings.Contains(k, "/") {
				t.Fatalf("bad host key %q", k)
			}
		}
	})
}

// tarLayer makes a layer from name → content ("" content with a trailing
// "/" name is a directory).
func tarLayer(t *testing.T, files [][2]string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if strings.HasSuffix(f[0], "/") {
			tw.WriteHeader(&tar.Header{Name: f[0], Typeflag: tar.TypeDir, Mode: 0o755})
			continue
		}
		tw.WriteHeader(&tar.Header{Name: f[0], Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f[1]))})
		tw.Write([]byte(f[1]))
	}
	tw.Close()
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestPullUnpack(t *testing.T) {
	ctx := context.Background()
	reg := startRegistry(t, registrytest.Options{})
	img, err := mutate.AppendLayers(empty.Image,
		tarLayer(t, [][2]string{{"a/", ""}, {"a/one", "1"}, {"a/gone", "x"}, {"c/", ""}, {"c/old", "o"}}),
		tarLayer(t, [][2]string{{"a/.wh.gone", ""}, {"b/", ""}, {"b/two", "2"}}),
		tarLayer(t, [][2]string{{"c/", ""}, {"c/.wh..wh..opq", ""}, {"c/new", "n"}, {"a/one", "1b"}}),
	)
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Addr + "/layers:1"
	if _, err := PushImage(ctx, img, ref, Options{}); err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	dir := t.TempDir()
	first, err := Pull(ctx, st, ref, Options{UnpackDir: dir, Jobs: 3})
	if err != nil {
		t.Fatal(err)
	}
	// The bottom layer is waited for when its download starts: it is
	// unpacked from the stream.
	if first.Streamed < 1 {
		t.Errorf("no layer unpacked while downloading: %+v", first)
	}
	want := map[string]string{"a/one": "1b", "b/two": "2", "c/new": "n"}
	for p, content := range want {
		if b, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(b) != content {
			t.Errorf("%s: %q %v, want %q", p, b, err, content)
		}
	}
	for _, p := range []string{"a/gone", "c/old"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); !os.IsNotExist(err) {
			t.Errorf("%s survived its whiteout: %v", p, err)
		}
	}
	// Everything already stored: the unpack still happens.
	dir2 := t.TempDir()
	res, err := Pull(ctx, st, ref, Options{UnpackDir: dir2})
	if err != nil || res.Fetched != 0 || res.Streamed != 0 {
		t.Fatalf("second pull: %+v %v", res, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir2, "b/two")); string(b) != "2" {
		t.Errorf("second unpack: b/two %q", b)
	}
	fsckClean(t, st)
}

func TestConcurrentPulls(t *testing.T) {
	ctx := context.Background()
	reg := startRegistry(t, registrytest.Options{})
	img := randomImage(t, 128<<10, 4)
	ref := reg.Addr + "/conc/app:1"
	if _, err := PushImage(ctx, img, ref, Options{}); err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	st := openStore(t)
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			res, err := Pull(ctx, st, ref, Options{Jobs: 2, UnpackDir: t.TempDir()})
			if err == nil && res.Descriptor.Digest.String() != want.String() {
				err = fmt.Errorf("pulled %s, want %s", res.Descriptor.Digest, want)
			}
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	fsckClean(t, st)
	names, err := st.List(ctx)
	if err != nil || len(names) != 1 {
		t.Errorf("names after 4 concurrent pulls: %v %v", names, err)
	}
}
