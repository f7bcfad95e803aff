// Package registry moves images between strata's image store and OCI
// Distribution (v2) registries, on go-containerregistry's remote package.
//
// Loopback registries (localhost, 127.0.0.1, ::1) are spoken to over plain
// HTTP; others over HTTPS unless Options.Insecure. Credentials come from
// Options.Username/Password or an auth file in the containers-auth.json /
// Docker config.json shape. A multi-platform index resolves to one
// platform's image (linux/amd64 by default). Layers are fetched in
// parallel, verified against their digests while they stream, and written
// to the store only once whole.
package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Options configure a registry transfer.
type Options struct {
	// Insecure allows plain HTTP (and unverified TLS is never used) for a
	// registry that is not on loopback; loopback registries always get it.
	Insecure bool
	// Username and Password are basic-auth credentials; empty means
	// anonymous unless AuthFile has an entry for the registry.
	Username, Password string
	// AuthFile is a JSON file {"auths": {"HOST[:PORT]": {"auth":
	// base64("user:pass")}}} as podman, skopeo and docker write.
	AuthFile string
	// Platform chooses the image of a multi-platform index (default
	// linux/amd64).
	Platform *v1.Platform
	// Jobs is how many layers move at once (default 4).
	Jobs int
	// Progress, when not nil, receives per-layer progress bars (give it a
	// terminal).
	Progress io.Writer
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
	// Retries is how many times a failed request is retried (default 2);
	// negative means none.
	Retries int
	// UnpackDir, when set, receives the pulled image's root filesystem
	// (Pull only): each layer is applied, in order, as soon as it and the
	// layers below it are in the store, while later layers still download.
	// The directory must exist; after a failed pull it holds a partial
	// tree.
	UnpackDir string
}

func (o Options) jobs() int {
	if o.Jobs > 0 {
		return o.Jobs
	}
	return 4
}

func (o Options) platform() v1.Platform {
	if o.Platform != nil {
		return *o.Platform
	}
	return v1.Platform{OS: "linux", Architecture: "amd64"}
}

// ParseReference parses an image reference such as
// 127.0.0.1:5000/app:1 or busybox (docker.io/library/busybox:latest).
// Loopback registries, and every registry when insecure, may use plain HTTP.
func ParseReference(s string, insecure bool) (name.Reference, error) {
	ref, err := name.ParseReference(s)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", s, err)
	}
	if insecure || IsLoopback(ref.Context().RegistryStr()) {
		ref, err = name.ParseReference(s, name.Insecure)
		if err != nil {
			return nil, fmt.Errorf("image reference %q: %w", s, err)
		}
	}
	return ref, nil
}

// IsLoopback reports whether a registry host[:port] is on this machine.
func IsLoopback(registry string) bool {
	host := registry
	if h, _, err := net.SplitHostPort(registry); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// authenticator returns the credentials for a registry.
func (o Options) authenticator(registry string) (authn.Authenticator, error) {
	if o.Username != "" || o.Password != "" {
		return authn.FromConfig(authn.AuthConfig{Username: o.Username, Password: o.Password}), nil
	}
	if o.AuthFile == "" {
		return authn.Anonymous, nil
	}
	data, err := os.ReadFile(o.AuthFile)
	if err != nil {
		return nil, fmt.Errorf("auth file: %w", err)
	}
	cfg, err := ParseAuthFile(data)
	if err != nil {
		return nil, fmt.Errorf("auth file %s: %w", o.AuthFile, err)
	}
	if c, ok := cfg[registry]; ok {
		return authn.FromConfig(c), nil
	}
	return authn.Anonymous, nil
}

// ParseAuthFile reads an auth file: {"auths": {"HOST[:PORT]": {"auth":
// base64("user:pass")} or {"username": ..., "password": ...}}}. Keys may be
// URLs (https://host/v2/); they are reduced to host[:port].
func ParseAuthFile(data []byte) (map[string]authn.AuthConfig, error) {
	var f struct {
		Auths map[string]struct {
			Auth     string `json:"auth"`
			Username string `json:"username"`
			Password string `json:"password"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	out := map[string]authn.AuthConfig{}
	for k, a := range f.Auths {
		host := k
		if i := strings.Index(host, "://"); i >= 0 {
			host = host[i+3:]
		}
		host, _, _ = strings.Cut(host, "/")
		if host == "" {
			return nil, fmt.Errorf("auths key %q: no registry host", k)
		}
		c := authn.AuthConfig{Username: a.Username, Password: a.Password}
		if a.Auth != "" {
			raw, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return nil, fmt.Errorf("auths[%q].auth: not base64: %w", k, err)
			}
			u, p, ok := strings.Cut(string(raw), ":")
			if !ok {
				return nil, fmt.Errorf("auths[%q].auth: want base64 of user:password", k)
			}
			c.Username, c.Password = u, p
		}
		out[host] = c
	}
	return out, nil
}

// remoteOptions are the go-containerregistry options for ref.
func (o Options) remoteOptions(ctx context.Context, ref name.Reference) ([]remote.Option, error) {
	auth, err := o.authenticator(ref.Context().RegistryStr())
	if err != nil {
		return nil, err
	}
	tr := o.Transport
	if tr == nil {
		tr = remote.DefaultTransport
	}
	steps := o.Retries
	if steps == 0 {
		steps = 2
	}
	if steps < 0 {
		steps = 0
	}
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuth(auth),
		remote.WithTransport(tr),
		remote.WithPlatform(o.platform()),
		remote.WithJobs(o.jobs()),
		remote.WithUserAgent("strata"),
		remote.WithRetryBackoff(remote.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Steps: steps + 1}),
	}, nil
}

// Fetch resolves ref on its registry to one image (choosing the platform
// from an index). Its layers are fetched lazily as they are read; every
// read is checked against the layer's digest.
func Fetch(ctx context.Context, ref string, o Options) (v1.Image, name.Reference, error) {
	r, err := ParseReference(ref, o.Insecure)
	if err != nil {
		return nil, nil, err
	}
	ropts, err := o.remoteOptions(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	img, err := remote.Image(r, ropts...)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w", r, explain(err))
	}
	return img, r, nil
}

// explain turns common transport errors into clearer ones.
func explain(err error) error {
	var ne *net.OpError
	if errors.As(err, &ne) && ne.Op == "dial" {
		return fmt.Errorf("registry unreachable: %w", err)
	}
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%w (authentication required or refused: give --creds USER:PASS or --authfile)", err)
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return fmt.Errorf("%w (a plain-HTTP registry: use --insecure)", err)
	}
	return err
}
