package netback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// The user-mode network, as QEMU's slirp lays it out.
const (
	// GatewayIP is the host as the guest sees it: the default gateway,
	// the DHCP server, and the alias of the host's 127.0.0.1.
	GatewayIP = "10.0.2.2"
	// GuestIP is the address the DHCP server leases to the guest.
	GuestIP = "10.0.2.15"
	// UserMTU is the link MTU of the user-mode network.
	UserMTU = 1500

	nicID       = 1
	dialTimeout = 10 * time.Second
	udpIdle     = 60 * time.Second
)

var (
	gatewayAddr = tcpip.AddrFrom4([4]byte{10, 0, 2, 2})
	guestAddr   = tcpip.AddrFrom4([4]byte{10, 0, 2, 15})
	// GatewayMAC is the gateway's Ethernet address (slirp's 52:55:0a:00:02:02).
	gatewayMAC = tcpip.LinkAddress("\x52\x55\x0a\x00\x02\x02")
)

// User is the user-mode network backend: gVisor's netstack plays the
// gateway 10.0.2.2 on a virtual Ethernet, a small DHCP server leases
// 10.0.2.15/24 to the guest, the guest's TCP connections and UDP flows to
// any address are proxied through host sockets (10.0.2.2 means the host's
// 127.0.0.1), and host ports are forwarded into the guest. No privileges
// are needed. There is no DNS server.
type User struct {
	s      *stack.Stack
	ch     *channel.Endpoint
	recv   atomic.Pointer[func([]byte)]
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	lns    []net.Listener
	once   sync.Once

	mu    sync.Mutex
	conns map[io.Closer]struct{} // live proxied connections, closed by Close
}

// OpenUser starts a user-mode network with the given host forwards (their
// listeners are open when OpenUser returns).
func OpenUser(fwds []HostFwd) (*User, error) {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4},
	})
	ch := channel.New(1024, UserMTU, gatewayMAC)
	u := &User{s: s, ch: ch, conns: map[io.Closer]struct{}{}}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	fail := func(what string, e tcpip.Error) (*User, error) {
		u.Close()
		return nil, fmt.Errorf("user network: %s: %v", what, e)
	}
	if e := s.CreateNIC(nicID, ethernet.New(ch)); e != nil {
		return fail("NIC", e)
	}
	if e := s.AddProtocolAddress(nicID, tcpip.ProtocolAddress{
		Protocol:          ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: gatewayAddr, PrefixLen: 24},
	}, stack.AddressProperties{}); e != nil {
		return fail("address", e)
	}
	// Accept packets for every destination and answer from it: that is
	// what makes the stack a transparent proxy.
	if e := s.SetPromiscuousMode(nicID, true); e != nil {
		return fail("promiscuous", e)
	}
	if e := s.SetSpoofing(nicID, true); e != nil {
		return fail("spoofing", e)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: nicID}})
	sack := tcpip.TCPSACKEnabled(true)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack)

	tf := tcp.NewForwarder(s, 0, 256, u.forwardTCP)
	s.SetTransportProtocolHandler(tcp.ProtocolNumber, tf.HandlePacket)
	uf := udp.NewForwarder(s, u.forwardUDP)
	s.SetTransportProtocolHandler(udp.ProtocolNumber, uf.HandlePacket)

	if err := u.startDHCP(); err != nil {
		u.Close()
		return nil, err
	}
	for _, f := range fwds {
		if err := u.listen(f); err != nil {
			u.Close()
			return nil, err
		}
	}
	u.wg.Add(1)
	go u.output()
	return u, nil
}

// HostFwdAddrs returns the host addresses the forwards listen on, in
// order (useful with HostPort 0).
func (u *User) HostFwdAddrs() []net.Addr {
	var a []net.Addr
	for _, l := range u.lns {
		a = append(a, l.Addr())
	}
	return a
}

// SetReceiver implements Backend.
func (u *User) SetReceiver(r func([]byte)) { u.recv.Store(&r) }

// Send implements Backend: the frame goes into the stack (which may
// answer synchronously through the receiver).
func (u *User) Send(frame []byte) error {
	if len(frame) < header.EthernetMinimumSize || u.ctx.Err() != nil {
		return nil
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
	u.ch.InjectInbound(0, pkt)
	pkt.DecRef()
	return nil
}

// output hands the stack's frames to the receiver.
func (u *User) output() {
	defer u.wg.Done()
	var frame []byte
	for {
		pkt := u.ch.ReadContext(u.ctx)
		if pkt == nil {
			return
		}
		frame = frame[:0]
		for _, s := range pkt.AsSlices() {
			frame = append(frame, s...)
		}
		pkt.DecRef()
		if r := u.recv.Load(); r != nil {
			(*r)(frame)
		}
	}
}

// Close implements Backend: listeners, proxied connections and the stack
// are shut down.
func (u *User) Close() error {
	u.once.Do(func() {
		for _, l := range u.lns {
			l.Close()
		}
		// Under mu, so that no begin can add to wg once Wait may run.
		u.mu.Lock()
		u.cancel()
		for c := range u.conns {
			c.Close()
		}
		u.mu.Unlock()
		u.s.Close()
		u.wg.Wait()
		u.s.Wait()
		u.ch.Close()
	})
	return nil
}

// track registers connections for Close; false if closing already.
func (u *User) track(cs ...io.Closer) bool { return u.register(false, cs) }

// begin is track for a goroutine about to start: it is counted in wg
// (the goroutine calls wg.Done) so that Close waits for it.
func (u *User) begin(cs ...io.Closer) bool { return u.register(true, cs) }

func (u *User) register(goroutine bool, cs []io.Closer) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ctx.Err() != nil {
		return false
	}
	for _, c := range cs {
		u.conns[c] = struct{}{}
	}
	if goroutine {
		u.wg.Add(1)
	}
	return true
}

func (u *User) untrack(cs ...io.Closer) {
	u.mu.Lock()
	for _, c := range cs {
		delete(u.conns, c)
		c.Close()
	}
	u.mu.Unlock()
}

// hostAddr maps a destination the guest dialed to the host address to
// dial: the gateway is the host's loopback, a unicast address outside the
// guest network is itself. Other addresses of 10.0.2.0/24, broadcast,
// multicast, unspecified and loopback destinations are not proxied (false),
// so nothing the guest broadcasts is repeated on the host's networks.
func hostAddr(a tcpip.Address, port uint16) (string, bool) {
	ip := net.IP(a.AsSlice())
	switch {
	case a == gatewayAddr:
		ip = net.IPv4(127, 0, 0, 1)
	case ip.To4() == nil, ip.Mask(net.CIDRMask(24, 32)).Equal(net.IPv4(10, 0, 2, 0)),
		!ip.IsGlobalUnicast() && !ip.IsPrivate(), ip.Equal(net.IPv4bcast):
		return "", false
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(int(port))), true
}

// forwardTCP proxies one guest TCP connection (runs on its own goroutine).
func (u *User) forwardTCP(r *tcp.ForwarderRequest) {
	id := r.ID()
	target, ok := hostAddr(id.LocalAddress, id.LocalPort)
	if !ok {
		r.Complete(true)
		return
	}
	d := net.Dialer{Timeout: dialTimeout}
	hc, err := d.DialContext(u.ctx, "tcp", target)
	if err != nil {
		r.Complete(true) // RST: connection refused
		return
	}
	var wq waiter.Queue
	ep, e := r.CreateEndpoint(&wq)
	if e != nil {
		r.Complete(true)
		hc.Close()
		return
	}
	r.Complete(false)
	ep.SocketOptions().SetKeepAlive(true)
	gc := gonet.NewTCPConn(&wq, ep)
	u.splice(gc, hc)
}

// splice copies both ways between two stream connections, propagating
// half-closes, and closes both when done.
func (u *User) splice(a, b net.Conn) {
	if !u.begin(a, b) {
		a.Close()
		b.Close()
		return
	}
	go func() {
		defer u.wg.Done()
		defer u.untrack(a, b)
		done := make(chan struct{}, 2)
		cp := func(dst, src net.Conn) {
			io.Copy(dst, src)
			if cw, ok := dst.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			} else {
				dst.Close()
			}
			done <- struct{}{}
		}
		go cp(a, b)
		go cp(b, a)
		<-done
		<-done
	}()
}

// forwardUDP proxies a new UDP flow from the guest (called synchronously
// by the stack; the work happens on a goroutine).
func (u *User) forwardUDP(r *udp.ForwarderRequest) {
	id := r.ID()
	target, ok := hostAddr(id.LocalAddress, id.LocalPort)
	if !ok {
		return
	}
	var wq waiter.Queue
	ep, e := r.CreateEndpoint(&wq)
	if e != nil {
		return
	}
	gc := gonet.NewUDPConn(&wq, ep)
	if !u.begin(gc) {
		gc.Close()
		return
	}
	go func() {
		defer u.wg.Done()
		defer u.untrack(gc)
		hc, err := net.Dial("udp", target)
		if err != nil {
			return
		}
		if !u.track(hc) {
			hc.Close()
			return
		}
		defer u.untrack(hc)
		done := make(chan struct{}, 2)
		relay := func(dst, src net.Conn) {
			buf := make([]byte, 65536)
			for {
				src.SetReadDeadline(time.Now().Add(udpIdle))
				n, err := src.Read(buf)
				if err != nil {
					break
				}
				dst.Write(buf[:n])
			}
			done <- struct{}{}
		}
		go relay(hc, gc)
		go relay(gc, hc)
		<-done
		gc.Close()
		hc.Close()
		<-done
	}()
}

// listen starts one host forward.
func (u *User) listen(f HostFwd) error {
	if f.Proto != "tcp" {
		return fmt.Errorf("hostfwd: protocol %q not supported", f.Proto)
	}
	addr := f.HostAddr
	if addr == "" {
		addr = "127.0.0.1"
	}
	l, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(f.HostPort)))
	if err != nil {
		return fmt.Errorf("hostfwd: %w", err)
	}
	u.lns = append(u.lns, l)
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		for {
			hc, err := l.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			u.wg.Add(1)
			go func() {
				defer u.wg.Done()
				ctx, cancel := context.WithTimeout(u.ctx, dialTimeout)
				defer cancel()
				gc, err := gonet.DialContextTCP(ctx, u.s, tcpip.FullAddress{NIC: nicID, Addr: guestAddr, Port: uint16(f.GuestPort)}, ipv4.ProtocolNumber)
				if err != nil {
					hc.Close()
					return
				}
				u.splice(hc, gc)
			}()
		}
	}()
	return nil
}
