// Package registrytest runs Debian's docker-registry (Distribution v2) on
// 127.0.0.1 with filesystem storage in a directory, for tests and
// benchmarks of strata's registry client.
package registrytest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Binary is where Debian's docker-registry package installs the registry.
const Binary = "/usr/bin/docker-registry"

// Server is a running registry.
type Server struct {
	// Addr is host:port (127.0.0.1:PORT); use it as the registry part of
	// image references.
	Addr string
	// Dir holds the config, the storage and the log.
	Dir    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// Options configure Start.
type Options struct {
	// Username and Password, when set, turn on basic auth (htpasswd).
	Username, Password string
}

// Start runs a registry storing under dir (created if needed) and waits
// until it answers. The error names the Debian package when the binary is
// missing.
func Start(ctx context.Context, dir string, o Options) (*Server, error) {
	if _, err := os.Stat(Binary); err != nil {
		return nil, fmt.Errorf("%s missing: install docker-registry (apt-get install -y docker-registry; scripts/setup.sh does)", Binary)
	}
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o755); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	auth := ""
	if o.Username != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(o.Password), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		htp := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htp, []byte(o.Username+":"+string(hash)+"\n"), 0o600); err != nil {
			return nil, err
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: strata-test\n    path: %s\n", htp)
	}
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
%s`, filepath.Join(dir, "storage"), addr, auth)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(Binary, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", Binary, err)
	}
	exited := make(chan struct{})
	s := &Server{Addr: addr, Dir: dir, cmd: cmd, exited: exited}
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return s, nil
			}
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			return nil, fmt.Errorf("docker-registry exited: %s", strings.TrimSpace(string(log)))
		case <-ctx.Done():
			s.Close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, errors.New("docker-registry did not answer within 15 s")
		}
	}
}

// Close stops the registry.
func (s *Server) Close() error {
	s.cmd.Process.Kill()
	<-s.exited
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
