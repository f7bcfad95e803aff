package ctrnet

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestIPAMBasics(t *testing.T) {
	a, err := NewIPAM("10.99.0.0/24", filepath.Join(t.TempDir(), "net", "ipam.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Gateway().String(); got != "10.99.0.1" {
		t.Fatalf("gateway %s", got)
	}
	ip1, err := a.Allocate("c1")
	if err != nil {
		t.Fatal(err)
	}
	if ip1.String() != "10.99.0.2" {
		t.Fatalf("first address %s, want 10.99.0.2", ip1)
	}
	again, err := a.Allocate("c1")
	if err != nil || !again.Equal(ip1) {
		t.Fatalf("second Allocate(c1) = %v, %v; want %v (idempotent)", again, err, ip1)
	}
	ip2, err := a.Allocate("c2")
	if err != nil || ip2.String() != "10.99.0.3" {
		t.Fatalf("Allocate(c2) = %v, %v", ip2, err)
	}
	if err := a.Release("c1"); err != nil {
		t.Fatal(err)
	}
	if err := a.Release("c1"); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	if ip, _ := a.Lookup("c1"); ip != nil {
		t.Fatalf("c1 still holds %s", ip)
	}
	ip3, err := a.Allocate("c3")
	if err != nil || !ip3.Equal(ip1) {
		t.Fatalf("Allocate(c3) = %v, %v; want the released %v", ip3, err, ip1)
	}
	// A second allocator on the same file sees the same state.
	b, err := NewIPAM("10.99.0.0/24", a.path)
	if err != nil {
		t.Fatal(err)
	}
	if ip, _ := b.Lookup("c2"); !ip.Equal(ip2) {
		t.Fatalf("state not shared: %v", ip)
	}
	if _, err := a.Allocate(""); err == nil {
		t.Fatal("empty id accepted")
	}
}

func TestIPAMExhaustion(t *testing.T) {
	// A /29 has 8 addresses: network, gateway, 5 hosts, broadcast.
	a, err := NewIPAM("10.99.7.8/29", filepath.Join(t.TempDir(), "ipam.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range 5 {
		ip, err := a.Allocate(fmt.Sprint("c", i))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ip.String())
	}
	if want := "10.99.7.10 10.99.7.11 10.99.7.12 10.99.7.13 10.99.7.14"; strings.Join(got, " ") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	if _, err := a.Allocate("c5"); !errors.Is(err, ErrExhausted) {
		t.Fatalf("sixth allocation: %v, want ErrExhausted", err)
	}
	if err := a.Release("c2"); err != nil {
		t.Fatal(err)
	}
	if ip, err := a.Allocate("c5"); err != nil || ip.String() != "10.99.7.12" {
		t.Fatalf("after release: %v, %v", ip, err)
	}
}

func TestIPAMBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []string{"nonsense", "fd00::/64", "10.0.0.0/31", "10.0.0.0/4"} {
		if _, err := NewIPAM(s, filepath.Join(dir, "x.json")); err == nil {
			t.Errorf("subnet %q accepted", s)
		}
	}
	f := filepath.Join(dir, "ipam.json")
	a, _ := NewIPAM("10.99.0.0/24", f)
	if _, err := a.Allocate("c"); err != nil {
		t.Fatal(err)
	}
	b, _ := NewIPAM("10.98.0.0/24", f)
	if _, err := b.Allocate("d"); err == nil || !strings.Contains(err.Error(), "10.99.0.0/24") {
		t.Fatalf("state for another subnet: %v", err)
	}
	os.WriteFile(f, []byte("{garbage"), 0o600)
	if _, err := a.Allocate("e"); err == nil {
		t.Fatal("corrupt state accepted")
	}
}

// checkUnique fails unless the allocations are distinct host addresses.
func checkUnique(t *testing.T, a *IPAM, want int) {
	t.Helper()
	all, err := a.Allocations()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != want {
		t.Fatalf("%d allocations, want %d", len(all), want)
	}
	seen := map[string]string{}
	for id, ip := range all {
		if other, ok := seen[ip.String()]; ok {
			t.Fatalf("%s given to %s and %s", ip, id, other)
		}
		if ip.Equal(a.Gateway()) || !a.subnet.Contains(ip) {
			t.Fatalf("%s got bad address %s", id, ip)
		}
		seen[ip.String()] = id
	}
}

func TestIPAMConcurrentGoroutines(t *testing.T) {
	f := filepath.Join(t.TempDir(), "ipam.json")
	const n = 64
	var wg sync.WaitGroup
	ips := make([]net.IP, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each goroutine has its own allocator and so its own lock fd.
			a, err := NewIPAM("10.99.0.0/24", f)
			if err == nil {
				ips[i], err = a.Allocate(fmt.Sprint("g", i))
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
	}
	a, _ := NewIPAM("10.99.0.0/24", f)
	checkUnique(t, a, n)
	// Concurrent releases of half of them.
	for i := 0; i < n; i += 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = a.Release(fmt.Sprint("g", i))
		}()
	}
	wg.Wait()
	checkUnique(t, a, n/2)
}

// TestIPAMHelperProcess is the child of TestIPAMConcurrentProcesses.
func TestIPAMHelperProcess(t *testing.T) {
	f := os.Getenv("CTRNET_IPAM_HELPER")
	if f == "" {
		t.Skip("helper process only")
	}
	a, err := NewIPAM("10.99.0.0/24", f)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		if _, err := a.Allocate(fmt.Sprintf("p%d-%d", os.Getpid(), i)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIPAMConcurrentProcesses(t *testing.T) {
	f := filepath.Join(t.TempDir(), "ipam.json")
	const procs = 6
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestIPAMHelperProcess$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), "CTRNET_IPAM_HELPER="+f)
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper %d: %v", i, err)
		}
	}
	a, _ := NewIPAM("10.99.0.0/24", f)
	checkUnique(t, a, procs*25)
	for _, c := range cmds {
		pid := strconv.Itoa(c.Process.Pid)
		if ip, _ := a.Lookup("p" + pid + "-24"); ip == nil {
			t.Fatalf("process %s's last allocation missing", pid)
		}
	}
}
