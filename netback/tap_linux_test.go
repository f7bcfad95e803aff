package netback

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// inNetns runs fn on a thread moved into the named network namespace.
func inNetns(t *testing.T, ns string, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	defer unix.Close(orig)
	nsfd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	defer unix.Close(nsfd)
	if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		t.Fatal(err)
	}
	fn()
	if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
		t.Fatal(err) // the thread stays locked and dies with the goroutine
	}
	runtime.UnlockOSThread()
}

func csum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// TestTAP creates a TAP interface in a fresh network namespace, gives the
// host side 10.77.0.1/24 and exchanges an ARP request/reply and an ICMP
// echo with the host kernel through it.
func TestTAP(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (ip netns, /dev/net/tun)")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skip("no /dev/net/tun")
	}
	ns := fmt.Sprintf("strata-tap-%d", os.Getpid())
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	ip("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	var tap *TAP
	var err error
	inNetns(t, ns, func() { tap, err = OpenTAP("stt0") })
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()
	frames := make(chan []byte, 64)
	tap.SetReceiver(func(f []byte) {
		select {
		case frames <- bytes.Clone(f):
		default:
		}
	})
	ip("-n", ns, "addr", "add", "10.77.0.1/24", "dev", tap.Name())
	ip("-n", ns, "link", "set", tap.Name(), "up")

	mac := []byte{0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc}
	me, host := []byte{10, 77, 0, 2}, []byte{10, 77, 0, 1}
	wait := func(match func([]byte) bool) []byte {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case f := <-frames:
				if match(f) {
					return f
				}
			case <-deadline:
				t.Fatal("no answer from the host kernel")
			}
		}
	}

	// ARP who-has 10.77.0.1.
	arp := append(append([]byte{}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), mac...)
	arp = append(arp, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1)
	arp = append(append(append(arp, mac...), me...), make([]byte, 6)...)
	arp = append(arp, host...)
	if err := tap.Send(arp); err != nil {
		t.Fatal(err)
	}
	reply := wait(func(f []byte) bool {
		return len(f) >= 42 && binary.BigEndian.Uint16(f[12:]) == 0x0806 && binary.BigEndian.Uint16(f[20:]) == 2
	})
	hostMAC := reply[22:28]
	if !bytes.Equal(reply[28:32], host) || !bytes.Equal(reply[0:6], mac) {
		t.Fatalf("ARP reply % x", reply)
	}

	// ICMP echo request to 10.77.0.1.
	icmp := []byte{8, 0, 0, 0, 0x12, 0x34, 0, 1}
	icmp = append(icmp, "strata tap ping"...)
	binary.BigEndian.PutUint16(icmp[2:], csum(icmp))
	iph := []byte{0x45, 0, 0, 0, 0, 1, 0, 0, 64, 1, 0, 0}
	iph = append(append(iph, me...), host...)
	binary.BigEndian.PutUint16(iph[2:], uint16(20+len(icmp)))
	binary.BigEndian.PutUint16(iph[10:], csum(iph))
	eth := append(append(append([]byte{}, hostMAC...), mac...), 0x08, 0x00)
	if err := tap.Send(append(append(eth, iph...), icmp...)); err != nil {
		t.Fatal(err)
	}
	pong := wait(func(f []byte) bool {
		return len(f) >= 42 && binary.BigEndian.Uint16(f[12:]) == 0x0800 && f[23] == 1 && f[34] == 0
	})
	if !bytes.Equal(pong[26:30], host) || !bytes.HasSuffix(pong, []byte("strata tap ping")) {
		t.Fatalf("echo reply % x", pong)
	}
	if err := tap.Close(); err != nil {
		t.Fatal(err)
	}
}
