package vm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"strata/guest"
	"strata/netback"
)

// netConsole is a console that the test reads while the machine writes.
type netConsole struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *netConsole) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *netConsole) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.ReplaceAll(s.b.String(), "\r", "")
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestLinuxNetUser boots the Linux guest with a virtio-net device on the
// user-mode network: the guest gets its address by DHCP, fetches pages
// from an HTTP server on the host's loopback through 10.0.2.2, and serves
// a page that the host reaches through a forwarded port. Everything stays
// on 127.0.0.1.
func TestLinuxNetUser(t *testing.T) {
	kernel, initrd := linuxGuest(t)
	const small = "hello from the host"
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(big)
			return
		}
		io.WriteString(w, small)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	fwd := freePort(t)
	spec, err := netback.ParseNetSpec(fmt.Sprintf("user,hostfwd=tcp:127.0.0.1:%d-:8080", fwd))
	if err != nil {
		t.Fatal(err)
	}
	script := guest.ScriptArg(
		"ifup eth0",
		"httpget http://10.0.2.2:"+port+"/",
		"httpget -q http://10.0.2.2:"+port+"/big",
		"httpserve 8080 hello-from-the-guest 1",
		"httpwait 30",
	)
	var con netConsole
	m, err := NewVirt(VirtConfig{Kernel: kernel, Initrd: initrd, Append: guest.Cmdline + " " + script,
		Harts: 1, RNG: true, Nets: []netback.Spec{spec}, Console: &con})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	// The host side: once the guest serves, fetch through the forward.
	got := make(chan string, 1)
	go func() {
		deadline := time.Now().Add(50 * time.Second)
		for time.Now().Before(deadline) && !strings.Contains(con.String(), "httpserve: serving") {
			time.Sleep(20 * time.Millisecond)
		}
		c := &http.Client{Timeout: 10 * time.Second}
		for time.Now().Before(deadline) {
			resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", fwd))
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got <- string(b)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		got <- "(no answer through the forwarded port)"
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	res, err := m.Run(ctx)
	out := con.String()
	if err != nil {
		t.Fatalf("run: %v\nconsole:\n%s", err, out)
	}
	for _, want := range []string{
		"eth0: 10.0.2.15/24 gateway 10.0.2.2",
		"# httpget http://10.0.2.2:" + port + "/\n" + small + "\n",
		"httpget: 1048576 bytes in",
		"strata guest: script done, 0 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	select {
	case body := <-got:
		if body != "hello-from-the-guest\n" {
			t.Errorf("host fetched %q through the forwarded port", body)
		}
	case <-time.After(5 * time.Second):
		t.Error("host client did not finish")
	}
	if res.ExitCode != 0 || t.Failed() {
		t.Fatalf("exit %d; console:\n%s", res.ExitCode, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "httpget: ") {
			t.Log(l)
		}
	}
	t.Logf("powered off after %v wall, %d instructions", time.Since(start), res.Instret)
}
