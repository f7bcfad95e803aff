package ctrnet

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("ctrnet tests need root (CI runs them as root)")
	}
}

var nsSeq int

// newNetns makes a named network namespace with iproute2 and deletes it in
// t.Cleanup; it returns the namespace's path.
func newNetns(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("no ip command: install iproute2 (apt-get install -y iproute2)")
	}
	nsSeq++
	name := fmt.Sprintf("strata-t%d-%d", os.Getpid(), nsSeq)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return "/run/netns/" + name
}

// testNetwork returns a Network on a bridge and subnet of the test's own
// (never strata0 or 10.99.0.0/24), with state in a temporary directory; the
// bridge is removed in t.Cleanup.
func testNetwork(t *testing.T, prefix int) *Network {
	t.Helper()
	pid := os.Getpid()
	nsSeq++
	bridge := fmt.Sprintf("stt%x-%d", pid, nsSeq)
	subnet := fmt.Sprintf("10.213.%d.0/%d", (pid+nsSeq)%200+20, prefix)
	n, err := New(Config{Bridge: bridge, Subnet: subnet, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.RemoveBridge(); err != nil {
			t.Error(err)
		}
	})
	return n
}

// inNetns runs fn on a locked OS thread that has joined the network
// namespace at path (only the network namespace, only that thread).
func inNetns(path string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	target, err := netns.GetFromPath(path)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	ferr := fn()
	if err := netns.Set(orig); err != nil {
		// Leave the thread locked: the runtime ends it with the goroutine.
		return fmt.Errorf("restore netns: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// handleIn returns a netlink handle inside the namespace at path.
func handleIn(t *testing.T, path string) *netlink.Handle {
	t.Helper()
	ns, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// linkNames lists the links in the namespace of h.
func linkNames(t *testing.T, h *netlink.Handle) []string {
	t.Helper()
	links, err := h.LinkList()
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	return names
}

func isUp(l netlink.Link) bool { return l.Attrs().Flags&net.FlagUp != 0 }

func linkGone(name string) bool {
	_, err := netlink.LinkByName(name)
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf)
}

func TestHostVethName(t *testing.T) {
	a, b := HostVethName("one"), HostVethName("two")
	if a == b || len(a) > 15 || !strings.HasPrefix(a, "vs") || a != HostVethName("one") {
		t.Fatalf("names %q %q", a, b)
	}
}

func TestBridgeTwoContainers(t *testing.T) {
	requireRoot(t)
	n := testNetwork(t, 24)
	nsA, nsB := newNetns(t), newNetns(t)

	ra, err := n.Setup(ModeBridge, nsA, "ctr-a")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := n.Setup(ModeBridge, nsB, "ctr-b")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a: %+v", ra)
	t.Logf("b: %+v", rb)
	if ra.Address.IP.Equal(rb.Address.IP) {
		t.Fatalf("both got %s", ra.Address.IP)
	}
	gw := n.IPAM().Gateway()
	if !ra.Gateway.Equal(gw) || !n.IPAM().Subnet().Contains(ra.Address.IP) {
		t.Fatalf("result %+v, gateway %s", ra, gw)
	}

	// The bridge: up, with the gateway address; both host ends its ports, up.
	br, err := netlink.LinkByName(n.Bridge())
	if err != nil || br.Type() != "bridge" || !isUp(br) {
		t.Fatalf("bridge %v %v", br, err)
	}
	addrs, err := netlink.AddrList(br, netlink.FAMILY_V4)
	if err != nil || len(addrs) != 1 || !addrs[0].IP.Equal(gw) {
		t.Fatalf("bridge addresses %v %v", addrs, err)
	}
	for _, r := range []Result{ra, rb} {
		l, err := netlink.LinkByName(r.HostVeth)
		if err != nil || l.Type() != "veth" || l.Attrs().MasterIndex != br.Attrs().Index || !isUp(l) {
			t.Fatalf("host veth %s: %v %v", r.HostVeth, l, err)
		}
	}

	// Inside A: lo and eth0 up, eth0 with the address, default route via the gateway.
	h := handleIn(t, nsA)
	eth, err := h.LinkByName("eth0")
	if err != nil || !isUp(eth) {
		t.Fatalf("eth0 in A: %v %v", eth, err)
	}
	if lo, err := h.LinkByName("lo"); err != nil || !isUp(lo) {
		t.Fatalf("lo in A: %v %v", lo, err)
	}
	ea, _ := h.AddrList(eth, netlink.FAMILY_V4)
	if len(ea) != 1 || ea[0].IPNet.String() != ra.Address.String() {
		t.Fatalf("eth0 addresses %v, want %s", ea, ra.Address)
	}
	routes, _ := h.RouteList(eth, netlink.FAMILY_V4)
	var def bool
	for _, r := range routes {
		if (r.Dst == nil || r.Dst.String() == "0.0.0.0/0") && r.Gw.Equal(gw) {
			def = true
		}
	}
	if !def {
		t.Fatalf("no default route via %s in A: %v", gw, routes)
	}

	// A TCP connection from B to A, across the bridge.
	var ln net.Listener
	if err := inNetns(nsA, func() (err error) {
		ln, err = net.Listen("tcp4", net.JoinHostPort(ra.Address.IP.String(), "0"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.Copy(c, c) // echo
	}()
	var reply string
	var local net.Addr
	if err := inNetns(nsB, func() error {
		c, err := net.DialTimeout("tcp4", ln.Addr().String(), 3*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		local = c.LocalAddr()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := c.Write([]byte("hello")); err != nil {
			return err
		}
		b := make([]byte, 5)
		_, err = io.ReadFull(c, b)
		reply = string(b)
		return err
	}); err != nil {
		t.Fatalf("B → A (%s): %v", ln.Addr(), err)
	}
	if reply != "hello" || local.(*net.TCPAddr).IP.String() != rb.Address.IP.String() {
		t.Fatalf("reply %q from local address %v", reply, local)
	}

	// Setting up a container twice is refused and leaves the first intact.
	if _, err := n.Setup(ModeBridge, nsA, "ctr-a"); err == nil {
		t.Fatal("second Setup of ctr-a succeeded")
	}
	if linkGone(ra.HostVeth) {
		t.Fatal("refused second Setup removed the first's veth")
	}

	// Teardown: both pairs gone, addresses released, the bridge stays.
	for _, id := range []string{"ctr-a", "ctr-b"} {
		if err := n.Teardown(ModeBridge, "", id); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []Result{ra, rb} {
		if !linkGone(r.HostVeth) {
			t.Fatalf("%s left behind", r.HostVeth)
		}
	}
	if names := linkNames(t, h); strings.Join(names, " ") != "lo" {
		t.Fatalf("links left in A: %v", names)
	}
	if all, err := n.IPAM().Allocations(); err != nil || len(all) != 0 {
		t.Fatalf("allocations after teardown: %v %v", all, err)
	}
	if linkGone(n.Bridge()) {
		t.Fatal("bridge removed by teardown")
	}
	if err := n.Teardown(ModeBridge, nsA, "ctr-a"); err != nil {
		t.Fatalf("second teardown: %v", err)
	}
}

// TestBridgeByPID networks a child process's own network namespace through
// /proc/PID/ns/net, then tears down after the process (and so the namespace)
// is gone.
func TestBridgeByPID(t *testing.T) {
	requireRoot(t)
	n := testNetwork(t, 24)
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r, err := n.Setup(ModeBridge, NetnsPath(cmd.Process.Pid), "by-pid")
	if err != nil {
		t.Fatal(err)
	}
	// The child sees eth0 with its address.
	out, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/dev", cmd.Process.Pid))
	if err != nil || !strings.Contains(string(out), "eth0:") {
		t.Fatalf("child's /proc/net/dev: %v\n%s", err, out)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if err := n.Teardown(ModeBridge, NetnsPath(cmd.Process.Pid), "by-pid"); err != nil {
		t.Fatal(err)
	}
	if !linkGone(r.HostVeth) {
		t.Fatalf("%s left behind", r.HostVeth)
	}
	if ip, _ := n.IPAM().Lookup("by-pid"); ip != nil {
		t.Fatalf("%s still allocated", ip)
	}
}

func TestNoneAndHost(t *testing.T) {
	requireRoot(t)
	n := testNetwork(t, 24)
	ns := newNetns(t)
	if _, err := n.Setup(ModeNone, ns, "n"); err != nil {
		t.Fatal(err)
	}
	h := handleIn(t, ns)
	if names := linkNames(t, h); strings.Join(names, " ") != "lo" {
		t.Fatalf("links in a none container: %v", names)
	}
	lo, err := h.LinkByName("lo")
	if err != nil || !isUp(lo) {
		t.Fatalf("lo: %v %v", lo, err)
	}
	addrs, _ := h.AddrList(lo, netlink.FAMILY_V4)
	if len(addrs) != 1 || addrs[0].IP.String() != "127.0.0.1" {
		t.Fatalf("lo addresses %v", addrs)
	}
	if err := n.Teardown(ModeNone, ns, "n"); err != nil {
		t.Fatal(err)
	}
	if !linkGone(n.Bridge()) {
		t.Fatal("none mode made the bridge")
	}
	if r, err := n.Setup(ModeHost, "", "h"); err != nil || r.Mode != ModeHost {
		t.Fatalf("host: %+v %v", r, err)
	}
	if err := n.Teardown(ModeHost, "", "h"); err != nil {
		t.Fatal(err)
	}
}

func TestBadInput(t *testing.T) {
	requireRoot(t)
	n := testNetwork(t, 24)
	ns := newNetns(t)
	if _, err := n.Setup("nat", ns, "x"); !errors.Is(err, ErrUnknownMode) {
		t.Fatalf("unknown mode: %v", err)
	}
	if err := n.Teardown("nat", ns, "x"); !errors.Is(err, ErrUnknownMode) {
		t.Fatalf("unknown mode teardown: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "no-such-netns")
	if _, err := n.Setup(ModeBridge, missing, "x"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("missing netns: %v", err)
	}
	if _, err := n.Setup(ModeNone, "", "x"); err == nil {
		t.Fatal("empty netns path accepted")
	}
	plain := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(plain, nil, 0o600)
	if _, err := n.Setup(ModeNone, plain, "x"); err == nil || !strings.Contains(err.Error(), "not a namespace") {
		t.Fatalf("plain file as netns: %v", err)
	}
	if _, err := n.Setup(ModeNone, "/proc/self/ns/uts", "x"); err == nil || !strings.Contains(err.Error(), "not a network namespace") {
		t.Fatalf("uts namespace as netns: %v", err)
	}
	if _, err := n.Setup(ModeBridge, ns, ""); err == nil {
		t.Fatal("empty id accepted")
	}
	if _, err := New(Config{Bridge: "a-bridge-name-too-long"}); err == nil {
		t.Fatal("long bridge name accepted")
	}
	// A "bridge" that is not one: nothing is allocated or left behind.
	lo, err := New(Config{Bridge: "lo", Subnet: "10.213.250.0/24", StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lo.Setup(ModeBridge, ns, "x"); err == nil || !strings.Contains(err.Error(), "not a bridge") {
		t.Fatalf("lo as bridge: %v", err)
	}
	if all, _ := lo.IPAM().Allocations(); len(all) != 0 || !linkGone(HostVethName("x")) {
		t.Fatalf("failed setup left %v", all)
	}
	for _, id := range []string{"x"} {
		if ip, _ := n.IPAM().Lookup(id); ip != nil {
			t.Fatalf("failed setups allocated %s", ip)
		}
	}
}

// TestBridgeExhausted: a /30 has one container address; the second Setup
// fails with ErrExhausted and leaves no veth, the first keeps working.
func TestBridgeExhausted(t *testing.T) {
	requireRoot(t)
	n := testNetwork(t, 30)
	nsA, nsB := newNetns(t), newNetns(t)
	ra, err := n.Setup(ModeBridge, nsA, "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Setup(ModeBridge, nsB, "b"); !errors.Is(err, ErrExhausted) {
		t.Fatalf("second container on a /30: %v", err)
	}
	if !linkGone(HostVethName("b")) || linkGone(ra.HostVeth) {
		t.Fatal("failed setup touched the wrong veths")
	}
	if names := linkNames(t, handleIn(t, nsB)); strings.Join(names, " ") != "lo" {
		t.Fatalf("links left in B: %v", names)
	}
	if err := n.Teardown(ModeBridge, nsA, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Setup(ModeBridge, nsB, "b"); err != nil {
		t.Fatalf("after release: %v", err)
	}
	if err := n.Teardown(ModeBridge, nsB, "b"); err != nil {
		t.Fatal(err)
	}
}

// TestBridgeConcurrent sets up and tears down several containers at once
// (the first Setups race to create the bridge); each can reach the host
// through the gateway address on the bridge.
func TestBridgeConcurrent(t *testing.T) {
	requireRoot(t)
	n := testNetwork(t, 24)
	const count = 6
	paths := make([]string, count)
	for i := range paths {
		paths[i] = newNetns(t)
	}
	results := make([]Result, count)
	errs := make(chan error, count)
	for i := range count {
		go func() {
			var err error
			results[i], err = n.Setup(ModeBridge, paths[i], fmt.Sprint("c", i))
			errs <- err
		}()
	}
	for range count {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, r := range results {
		if seen[r.Address.IP.String()] {
			t.Fatalf("%s given twice", r.Address.IP)
		}
		seen[r.Address.IP.String()] = true
	}
	ln, err := net.Listen("tcp4", net.JoinHostPort(n.IPAM().Gateway().String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	for i, p := range paths {
		if err := inNetns(p, func() error {
			c, err := net.DialTimeout("tcp4", ln.Addr().String(), 3*time.Second)
			if err == nil {
				c.Close()
			}
			return err
		}); err != nil {
			t.Fatalf("container %d → gateway %s: %v", i, ln.Addr(), err)
		}
	}
	for i := range count {
		go func() { errs <- n.Teardown(ModeBridge, paths[i], fmt.Sprint("c", i)) }()
	}
	for range count {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range results {
		if !linkGone(r.HostVeth) {
			t.Fatalf("%s left behind", r.HostVeth)
		}
	}
	if all, err := n.IPAM().Allocations(); err != nil || len(all) != 0 {
		t.Fatalf("allocations after teardown: %v %v", all, err)
	}
}

// BenchmarkBridgeSetupTeardown measures one container's bridge Setup and
// Teardown (veth pair, address, routes, IPAM) on an existing bridge.
func BenchmarkBridgeSetupTeardown(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Fatal("ctrnet benchmarks need root")
	}
	n, err := New(Config{Bridge: fmt.Sprintf("stb%x", os.Getpid()), Subnet: "10.213.251.0/24", StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer n.RemoveBridge()
	name := fmt.Sprintf("strata-b%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		b.Fatalf("ip netns add (install iproute2): %v: %s", err, out)
	}
	defer exec.Command("ip", "netns", "del", name).Run()
	if _, err := n.EnsureBridge(); err != nil {
		b.Fatal(err)
	}
	var setup, teardown time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := n.Setup(ModeBridge, "/run/netns/"+name, "bench"); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := n.Teardown(ModeBridge, "", "bench"); err != nil {
			b.Fatal(err)
		}
		setup += t1.Sub(t0)
		teardown += time.Since(t1)
	}
	b.ReportMetric(float64(setup.Microseconds())/float64(b.N), "setup-µs/op")
	b.ReportMetric(float64(teardown.Microseconds())/float64(b.N), "teardown-µs/op")
}
