package netback

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
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
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"strata/virtio"
)

var (
	_ virtio.NetBackend = (*User)(nil)
	_ virtio.NetBackend = (*TAP)(nil)
	_ virtio.NetBackend = Backend(nil)
)

func TestParseNetSpec(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Spec
		err  bool
	}{
		{in: "tap=tap0", want: Spec{Kind: "tap", TAP: "tap0"}},
		{in: "user", want: Spec{Kind: "user"}},
		{in: "user,hostfwd=tcp:127.0.0.1:8022-:22", want: Spec{Kind: "user", HostFwd: []HostFwd{{"tcp", "127.0.0.1", 8022, 22}}}},
		{in: "user,hostfwd=tcp::8080-10.0.2.15:80,hostfwd=tcp:127.0.0.1:0-:81",
			want: Spec{Kind: "user", HostFwd: []HostFwd{{"tcp", "127.0.0.1", 8080, 80}, {"tcp", "127.0.0.1", 0, 81}}}},
		{in: "tap=", err: true},
		{in: "tap=averyveryverylongname", err: true},
		{in: "bridge", err: true},
		{in: "user,foo=bar", err: true},
		{in: "user,hostfwd=udp::53-:53", err: true},
		{in: "user,hostfwd=tcp:127.0.0.1:8022", err: true},
		{in: "user,hostfwd=tcp:127.0.0.1:8022-:0", err: true},
		{in: "user,hostfwd=tcp:127.0.0.1:99999-:22", err: true},
		{in: "user,hostfwd=tcp:127.0.0.1:80-10.0.2.16:22", err: true},
	} {
		got, err := ParseNetSpec(c.in)
		if (err != nil) != c.err || (!c.err && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("ParseNetSpec(%q) = %+v, %v", c.in, got, err)
		}
	}
}

func TestDHCPReply(t *testing.T) {
	req := make([]byte, 300)
	req[0], req[1], req[2] = 1, 1, 6
	copy(req[4:8], "\x01\x02\x03\x04")
	copy(req[28:34], "\x52\x54\x00\x12\x34\x56")
	binary.BigEndian.PutUint32(req[dhcpFixedLen:], dhcpMagic)
	opts := req[dhcpFixedLen+4:]
	copy(opts, []byte{optMsgType, 1, dhcpDiscover, optEnd})
	r := dhcpReply(req)
	if r == nil || r[0] != 2 || string(r[4:8]) != "\x01\x02\x03\x04" || net.IP(r[16:20]).String() != GuestIP ||
		string(r[28:34]) != "\x52\x54\x00\x12\x34\x56" {
		t.Fatalf("offer % x", r)
	}
	if !strings.Contains(string(r[dhcpFixedLen:]), string([]byte{optMsgType, 1, dhcpOffer})) {
		t.Fatal("not an offer")
	}
	opts[2] = dhcpRequest
	if r := dhcpReply(req); r == nil || !strings.Contains(string(r[dhcpFixedLen:]), string([]byte{optMsgType, 1, dhcpAck})) {
		t.Fatal("no ack")
	}
	// Malformed: truncated option, wrong magic, release (no answer).
	for _, bad := range [][]byte{{optMsgType, 5}, {optMsgType, 1, 7, optEnd}} {
		clear(opts)
		copy(opts, bad)
		if dhcpReply(req) != nil {
			t.Fatalf("answer to %v", bad)
		}
	}
	if dhcpReply(req[:100]) != nil {
		t.Fatal("answer to a short packet")
	}
}

// guestStack is a second netstack playing the guest at 10.0.2.15 with
// the link wired to b.
func guestStack(t *testing.T, b Backend) *stack.Stack {
	t.Helper()
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
	})
	ch := channel.New(1024, UserMTU, tcpip.LinkAddress("\x52\x54\x00\x12\x34\x56"))
	if e := s.CreateNIC(1, ethernet.New(ch)); e != nil {
		t.Fatal(e)
	}
	s.AddProtocolAddress(1, tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: guestAddr, PrefixLen: 24}}, stack.AddressProperties{})
	s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, Gateway: gatewayAddr, NIC: 1}})
	b.SetReceiver(func(f []byte) {
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(f)})
		ch.InjectInbound(0, pkt)
		pkt.DecRef()
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var frame []byte
		for {
			pkt := ch.ReadContext(ctx)
			if pkt == nil {
				return
			}
			frame = frame[:0]
			for _, v := range pkt.AsSlices() {
				frame = append(frame, v...)
			}
			pkt.DecRef()
			b.Send(frame)
		}
	}()
	t.Cleanup(func() { cancel(); <-done; s.Close(); s.Wait() })
	return s
}

func TestUserNetwork(t *testing.T) {
	page := strings.Repeat("strata user-mode networking\n", 40000) // ~1.1 MB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, page) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	u, err := OpenUser([]HostFwd{{Proto: "tcp", HostAddr: "127.0.0.1", HostPort: 0, GuestPort: 8080}})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	gs := guestStack(t, u)

	// Guest → 10.0.2.2:PORT reaches the host's loopback.
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			h, p, _ := net.SplitHostPort(addr)
			var pn uint16
			fmt.Sscan(p, &pn)
			ip := net.ParseIP(h).To4()
			return gonet.DialContextTCP(ctx, gs, tcpip.FullAddress{NIC: 1, Addr: tcpip.AddrFrom4([4]byte(ip)), Port: pn}, ipv4.ProtocolNumber)
		}}}
	start := time.Now()
	resp, err := client.Get("http://" + GatewayIP + ":" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != page {
		t.Fatalf("guest GET: %d bytes, %v", len(body), err)
	}
	el := time.Since(start)
	t.Logf("guest stack fetched %d bytes through the proxy in %v (%.1f MB/s)", len(body), el, float64(len(body))/el.Seconds()/1e6)

	// A closed host port is refused (RST), not hung.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c, err := gonet.DialContextTCP(ctx, gs, tcpip.FullAddress{NIC: 1, Addr: gatewayAddr, Port: uint16(closed)}, ipv4.ProtocolNumber); err == nil {
		c.Close()
		t.Fatal("connection to a closed port succeeded")
	}

	// UDP through the proxy: an echo server on the host's loopback.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go func() {
		b := make([]byte, 1500)
		for {
			n, a, err := pc.ReadFrom(b)
			if err != nil {
				return
			}
			pc.WriteTo(append([]byte("echo "), b[:n]...), a)
		}
	}()
	uc, err := gonet.DialUDP(gs, nil, &tcpip.FullAddress{NIC: 1, Addr: gatewayAddr, Port: uint16(pc.LocalAddr().(*net.UDPAddr).Port)}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	uc.Write([]byte("hello"))
	uc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 100)
	if n, err := uc.Read(b); err != nil || string(b[:n]) != "echo hello" {
		t.Fatalf("udp: %q %v", b[:n], err)
	}

	// Host → forwarded port → the guest's server on :8080.
	gl, err := gonet.ListenTCP(gs, tcpip.FullAddress{NIC: 1, Port: 8080}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	go http.Serve(gl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "from the guest") }))
	defer gl.Close()
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err = hc.Get("http://" + u.HostFwdAddrs()[0].String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "from the guest" {
		t.Fatalf("hostfwd body %q", body)
	}
	hc.CloseIdleConnections()
	client.CloseIdleConnections()
}

func TestHostAddr(t *testing.T) {
	for _, c := range []struct {
		ip   [4]byte
		want string
	}{
		{[4]byte{10, 0, 2, 2}, "127.0.0.1:80"},
		{[4]byte{93, 184, 216, 34}, "93.184.216.34:80"},
		{[4]byte{192, 168, 1, 1}, "192.168.1.1:80"},
		{[4]byte{10, 0, 2, 3}, ""},
		{[4]byte{10, 0, 2, 255}, ""},
		{[4]byte{255, 255, 255, 255}, ""},
		{[4]byte{224, 0, 0, 251}, ""},
		{[4]byte{0, 0, 0, 0}, ""},
		{[4]byte{127, 0, 0, 1}, ""},
	} {
		got, ok := hostAddr(tcpip.AddrFrom4(c.ip), 80)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("hostAddr(%v) = %q, %v", c.ip, got, ok)
		}
	}
}
