package vm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

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

// inNetns runs fn on a thread moved into the named network namespace;
// sockets and TAP interfaces created by fn belong to it.
func inNetns(t *testing.T, ns string, fn func() error) error {
	t.Helper()
	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer unix.Close(orig)
	nsfd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer unix.Close(nsfd)
	if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	ferr := fn()
	if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
		t.Fatal(err) // the thread stays locked and dies with the goroutine
	}
	runtime.UnlockOSThread()
	return ferr
}

// TestLinuxNetTAP boots the Linux guest on a TAP interface living in a
// private network namespace where the host side is 10.0.2.2/24: the guest
// configures itself statically (ifup eth0 static), fetches a page and
// 1 MiB from a server listening in the namespace, and serves a page that a
// client in the namespace fetches from 10.0.2.15. Needs root.
func TestLinuxNetTAP(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (ip netns, /dev/net/tun)")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skip("no /dev/net/tun")
	}
	kernel, initrd := linuxGuest(t)
	ns := fmt.Sprintf("strata-vmtap-%d", os.Getpid())
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	ip("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	ip("-n", ns, "link", "set", "lo", "up")

	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	var l net.Listener
	var m *Virt
	var con netConsole
	if err := inNetns(t, ns, func() error {
		var err error
		if l, err = net.Listen("tcp", "0.0.0.0:8000"); err != nil {
			return err
		}
		script := guest.ScriptArg(
			"ifup eth0 static",
			"httpget http://10.0.2.2:8000/",
			"httpget -q http://10.0.2.2:8000/big",
			"httpserve 8080 hello-over-tap 1",
			"httpwait 30",
		)
		m, err = NewVirt(VirtConfig{Kernel: kernel, Initrd: initrd, Append: guest.Cmdline + " " + script,
			Harts: 1, RNG: true, Nets: []netback.Spec{{Kind: "tap", TAP: "stt0"}}, Console: &con})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(big)
			return
		}
		io.WriteString(w, "hello over tap")
	}))
	defer l.Close()
	ip("-n", ns, "addr", "add", "10.0.2.2/24", "dev", "stt0")
	ip("-n", ns, "link", "set", "stt0", "up")

	got := make(chan string, 1)
	go func() {
		deadline := time.Now().Add(50 * time.Second)
		for time.Now().Before(deadline) && !strings.Contains(con.String(), "httpserve: serving") {
			time.Sleep(20 * time.Millisecond)
		}
		for time.Now().Before(deadline) {
			var body string
			err := inNetns(t, ns, func() error {
				c, err := net.DialTimeout("tcp", "10.0.2.15:8080", 5*time.Second)
				if err != nil {
					return err
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(c, "GET / HTTP/1.0\r\nHost: guest\r\n\r\n")
				b, err := io.ReadAll(c)
				body = string(b)
				return err
			})
			if err == nil {
				got <- body
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		got <- "(no answer from the guest)"
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := m.Run(ctx)
	out := con.String()
	if err != nil {
		t.Fatalf("run: %v\nconsole:\n%s", err, out)
	}
	for _, want := range []string{
		"eth0: 10.0.2.15/24 gateway 10.0.2.2",
		"# httpget http://10.0.2.2:8000/\nhello over tap\n",
		"httpget: 1048576 bytes in",
		"strata guest: script done, 0 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	select {
	case body := <-got:
		if !strings.HasSuffix(body, "\r\n\r\nhello-over-tap\n") {
			t.Errorf("namespace client got %q", body)
		}
	case <-time.After(5 * time.Second):
		t.Error("namespace client did not finish")
	}
	if res.ExitCode != 0 || t.Failed() {
		t.Fatalf("exit %d; console:\n%s", res.ExitCode, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "httpget: ") {
			t.Log(l)
		}
	}
}
