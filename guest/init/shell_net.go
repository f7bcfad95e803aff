package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Networking builtins: ifup, httpget, httpserve and httpwait. ifup
// configures an interface with DHCP (the default; strata's user-mode
// network answers it) or statically as slirp's guest (10.0.2.15/24, gateway
// 10.0.2.2), using ioctls for the link and the address and rtnetlink for
// the default route.

func init() {
	var servers sync.WaitGroup // background httpserve instances
	builtins["ifup"] = builtin{"ifup IFACE [static]  (link up, then DHCP, or 10.0.2.15/24 via 10.0.2.2 with static)", ifup}
	builtins["httpget"] = builtin{"httpget [-q] URL  (print the body; -q prints its size and the transfer rate instead)", httpget}
	builtins["httpserve"] = builtin{"httpserve PORT TEXT [N]  (serve TEXT to N requests, default 1, in the background)",
		func(s *Shell, w io.Writer, args []string) error { return httpserve(w, args, &servers) }}
	builtins["httpwait"] = builtin{"httpwait [SECONDS]  (wait for background httpserve instances to finish, default 60 s)",
		func(s *Shell, w io.Writer, args []string) error { return httpwait(args, &servers) }}
}

// lease is an IPv4 configuration.
type lease struct {
	addr, mask, router net.IP
}

func ifup(s *Shell, w io.Writer, args []string) error {
	if len(args) < 1 || len(args) > 2 || (len(args) == 2 && args[1] != "static") {
		return errors.New("usage: ifup IFACE [static]")
	}
	name := args[0]
	if err := linkUp("lo"); err != nil {
		return fmt.Errorf("lo: %w", err)
	}
	if err := linkUp(name); err != nil {
		return err
	}
	l := lease{addr: net.IPv4(10, 0, 2, 15).To4(), mask: net.IPv4(255, 255, 255, 0).To4(), router: net.IPv4(10, 0, 2, 2).To4()}
	if len(args) == 1 {
		var err error
		if l, err = dhcp(name); err != nil {
			return fmt.Errorf("dhcp: %w", err)
		}
	}
	if err := setAddr(name, l); err != nil {
		return err
	}
	if l.router != nil {
		if err := addDefaultRoute(name, l.router); err != nil {
			return fmt.Errorf("default route: %w", err)
		}
	}
	ones, _ := net.IPMask(l.mask).Size()
	_, err := fmt.Fprintf(w, "%s: %s/%d gateway %s\n", name, l.addr, ones, l.router)
	return err
}

func ioctlSocket() (int, error) {
	return unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
}

// linkUp sets IFF_UP on an interface.
func linkUp(name string) error {
	fd, err := ioctlSocket()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// setAddr gives the interface its address and netmask (which also adds
// the subnet route).
func setAddr(name string, l lease) error {
	fd, err := ioctlSocket()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for _, op := range []struct {
		req uint
		ip  net.IP
	}{{unix.SIOCSIFADDR, l.addr}, {unix.SIOCSIFNETMASK, l.mask}} {
		ifr, err := unix.NewIfreq(name)
		if err != nil {
			return err
		}
		if err := ifr.SetInet4Addr(op.ip.To4()); err != nil {
			return err
		}
		if err := unix.IoctlIfreq(fd, op.req, ifr); err != nil {
			return fmt.Errorf("%s: set %s: %w", name, op.ip, err)
		}
	}
	return nil
}

// addDefaultRoute adds 0.0.0.0/0 via gw on name with an RTM_NEWROUTE
// message and waits for the kernel's acknowledgement.
func addDefaultRoute(name string, gw net.IP) error {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	attr := func(typ uint16, data []byte) []byte {
		b := make([]byte, 4, 4+len(data))
		binary.NativeEndian.PutUint16(b[0:], uint16(4+len(data)))
		binary.NativeEndian.PutUint16(b[2:], typ)
		return append(b, data...)
	}
	var oif [4]byte
	binary.NativeEndian.PutUint32(oif[:], uint32(ifi.Index))
	body := []byte{unix.AF_INET, 0, 0, 0, unix.RT_TABLE_MAIN, unix.RTPROT_BOOT, unix.RT_SCOPE_UNIVERSE, unix.RTN_UNICAST, 0, 0, 0, 0}
	body = append(body, attr(unix.RTA_GATEWAY, gw.To4())...)
	body = append(body, attr(unix.RTA_OIF, oif[:])...)
	msg := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	binary.NativeEndian.PutUint32(msg[0:], uint32(unix.NLMSG_HDRLEN+len(body)))
	binary.NativeEndian.PutUint16(msg[4:], unix.RTM_NEWROUTE)
	binary.NativeEndian.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK|unix.NLM_F_CREATE|unix.NLM_F_REPLACE)
	binary.NativeEndian.PutUint32(msg[8:], 1)
	msg = append(msg, body...)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return err
	}
	if n < unix.NLMSG_HDRLEN+4 || binary.NativeEndian.Uint16(buf[4:]) != unix.NLMSG_ERROR {
		return errors.New("unexpected netlink answer")
	}
	if e := int32(binary.NativeEndian.Uint32(buf[unix.NLMSG_HDRLEN:])); e != 0 {
		return unix.Errno(-e)
	}
	return nil
}

// DHCP client: DISCOVER, OFFER, REQUEST, ACK over a UDP socket bound to
// the interface (SO_BINDTODEVICE) with the broadcast flag set, so the
// server answers by broadcast while the interface has no address.
const (
	dhcpMagic    = 0x63825363
	dhcpDiscover = 1
	dhcpOffer    = 2
	dhcpRequest  = 3
	dhcpAck      = 5
	dhcpNak      = 6
)

func dhcp(name string) (lease, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return lease{}, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return lease{}, err
	}
	defer unix.Close(fd)
	for _, o := range []int{unix.SO_REUSEADDR, unix.SO_BROADCAST} {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, o, 1); err != nil {
			return lease{}, err
		}
	}
	if err := unix.BindToDevice(fd, name); err != nil {
		return lease{}, err
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 68}); err != nil {
		return lease{}, err
	}
	tv := unix.NsecToTimeval(int64(time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return lease{}, err
	}
	xid := uint32(time.Now().UnixNano())
	bcast := &unix.SockaddrInet4{Port: 67, Addr: [4]byte{255, 255, 255, 255}}
	exchange := func(typ byte, extra []byte, want byte) ([]byte, map[byte][]byte, error) {
		m := make([]byte, 240, 300)
		m[0], m[1], m[2] = 1, 1, 6
		binary.BigEndian.PutUint32(m[4:], xid)
		binary.BigEndian.PutUint16(m[10:], 0x8000) // broadcast flag
		copy(m[28:], ifi.HardwareAddr)
		binary.BigEndian.PutUint32(m[236:], dhcpMagic)
		m = append(m, 53, 1, typ)
		m = append(m, extra...)
		m = append(m, 55, 2, 1, 3, 255) // parameter requests: mask, router
		for len(m) < 300 {
			m = append(m, 0)
		}
		buf := make([]byte, 1500)
		for try := 0; try < 4; try++ {
			if err := unix.Sendto(fd, m, 0, bcast); err != nil {
				return nil, nil, err
			}
			deadline := time.Now().Add(time.Second)
			for time.Now().Before(deadline) {
				n, _, err := unix.Recvfrom(fd, buf, 0)
				if err != nil {
					break // timeout: send again
				}
				r := buf[:n]
				if n < 240 || r[0] != 2 || binary.BigEndian.Uint32(r[4:]) != xid || binary.BigEndian.Uint32(r[236:]) != dhcpMagic {
					continue
				}
				opts := parseDHCPOptions(r[240:])
				if t := opts[53]; len(t) == 1 && t[0] == dhcpNak {
					return nil, nil, errors.New("server sent NAK")
				} else if len(t) == 1 && t[0] == want {
					return r, opts, nil
				}
			}
		}
		return nil, nil, errors.New("no answer from a DHCP server")
	}
	offer, oopts, err := exchange(dhcpDiscover, nil, dhcpOffer)
	if err != nil {
		return lease{}, err
	}
	yi := append(net.IP(nil), offer[16:20]...)
	extra := append([]byte{50, 4}, yi...)
	if sid := oopts[54]; len(sid) == 4 {
		extra = append(append(extra, 54, 4), sid...)
	}
	ack, aopts, err := exchange(dhcpRequest, extra, dhcpAck)
	if err != nil {
		return lease{}, err
	}
	l := lease{addr: append(net.IP(nil), ack[16:20]...), mask: net.IPv4(255, 255, 255, 0).To4()}
	if m := aopts[1]; len(m) == 4 {
		l.mask = net.IP(m)
	}
	if r := aopts[3]; len(r) >= 4 {
		l.router = net.IP(r[:4])
	}
	return l, nil
}

// parseDHCPOptions returns the options (code → value) up to END or a
// malformed entry.
func parseDHCPOptions(b []byte) map[byte][]byte {
	o := map[byte][]byte{}
	for len(b) > 0 && b[0] != 255 {
		if b[0] == 0 {
			b = b[1:]
			continue
		}
		if len(b) < 2 || len(b) < 2+int(b[1]) {
			break
		}
		o[b[0]] = append([]byte(nil), b[2:2+int(b[1])]...)
		b = b[2+int(b[1]):]
	}
	return o
}

func httpget(s *Shell, w io.Writer, args []string) error {
	quiet := len(args) == 2 && args[0] == "-q"
	if quiet {
		args = args[1:]
	}
	if len(args) != 1 {
		return errors.New("usage: httpget [-q] URL")
	}
	c := &http.Client{Timeout: 60 * time.Second}
	start := time.Now()
	resp, err := c.Get(args[0])
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	if !quiet {
		_, err = io.Copy(w, resp.Body)
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return err
	}
	el := time.Since(start)
	_, err = fmt.Fprintf(w, "httpget: %d bytes in %.3f s (%.2f MB/s)\n", n, el.Seconds(), float64(n)/el.Seconds()/1e6)
	return err
}

func httpserve(w io.Writer, args []string, wg *sync.WaitGroup) error {
	if len(args) < 2 || len(args) > 3 {
		return errors.New("usage: httpserve PORT TEXT [N]")
	}
	port, err := strconv.ParseUint(args[0], 10, 16)
	if err != nil {
		return fmt.Errorf("bad port %q", args[0])
	}
	n := 1
	if len(args) == 3 {
		if n, err = strconv.Atoi(args[2]); err != nil || n < 1 {
			return fmt.Errorf("bad count %q", args[2])
		}
	}
	text := args[1] + "\n"
	l, err := net.Listen("tcp", ":"+strconv.Itoa(int(port)))
	if err != nil {
		return err
	}
	var mu sync.Mutex
	left := n
	srv := &http.Server{}
	ctx, cancel := context.WithCancel(context.Background())
	srv.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Connection", "close")
		io.WriteString(rw, text)
		mu.Lock()
		left--
		if left == 0 {
			cancel()
		}
		mu.Unlock()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		go srv.Serve(l)
		<-ctx.Done()
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		srv.Shutdown(sctx) // lets the last response finish
		c()
	}()
	_, err = fmt.Fprintf(w, "httpserve: serving %d request(s) on :%d\n", n, port)
	return err
}

func httpwait(args []string, wg *sync.WaitGroup) error {
	sec := 60.0
	if len(args) == 1 {
		var err error
		if sec, err = strconv.ParseFloat(args[0], 64); err != nil || sec < 0 {
			return fmt.Errorf("bad duration %q", args[0])
		}
	} else if len(args) > 1 {
		return errors.New("usage: httpwait [SECONDS]")
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(time.Duration(sec * float64(time.Second))):
		return errors.New("timed out")
	}
}
