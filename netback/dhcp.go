package netback

import (
	"encoding/binary"
	"fmt"
	"net"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// DHCP (RFC 2131) message layout and the options the server uses.
const (
	dhcpServerPort = 67
	dhcpClientPort = 68
	dhcpFixedLen   = 236 // op … file, before the magic cookie
	dhcpMagic      = 0x63825363

	dhcpDiscover = 1
	dhcpOffer    = 2
	dhcpRequest  = 3
	dhcpAck      = 5

	optSubnetMask = 1
	optRouter     = 3
	optLeaseTime  = 51
	optMsgType    = 53
	optServerID   = 54
	optEnd        = 255

	dhcpLease = 86400 // seconds
)

// startDHCP binds the DHCP server to port 67 of the gateway's stack. It
// leases GuestIP to whoever asks (there is one guest on the link) and
// always answers by broadcast, so the client needs no address to hear it.
func (u *User) startDHCP() error {
	var wq waiter.Queue
	ep, e := u.s.NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if e != nil {
		return fmt.Errorf("dhcp: %v", e)
	}
	ep.SocketOptions().SetBroadcast(true)
	if e := ep.Bind(tcpip.FullAddress{NIC: nicID, Port: dhcpServerPort}); e != nil {
		ep.Close()
		return fmt.Errorf("dhcp: bind: %v", e)
	}
	c := gonet.NewUDPConn(&wq, ep)
	if !u.begin(c) {
		c.Close()
		return fmt.Errorf("dhcp: closed")
	}
	go func() {
		defer u.wg.Done()
		bcast := &net.UDPAddr{IP: net.IPv4bcast, Port: dhcpClientPort}
		buf := make([]byte, 1500)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			if reply := dhcpReply(buf[:n]); reply != nil {
				c.WriteTo(reply, bcast)
			}
		}
	}()
	return nil
}

// dhcpReply answers a DISCOVER with an OFFER and a REQUEST with an ACK of
// GuestIP; anything else (or anything malformed) gets no answer.
func dhcpReply(req []byte) []byte {
	if len(req) < dhcpFixedLen+4 || req[0] != 1 || req[1] != 1 || req[2] != 6 ||
		binary.BigEndian.Uint32(req[dhcpFixedLen:]) != dhcpMagic {
		return nil
	}
	var typ byte
	opts := req[dhcpFixedLen+4:]
	for len(opts) > 0 {
		code := opts[0]
		if code == optEnd {
			break
		}
		if code == 0 {
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || len(opts) < 2+int(opts[1]) {
			return nil
		}
		if code == optMsgType && opts[1] == 1 {
			typ = opts[2]
		}
		opts = opts[2+int(opts[1]):]
	}
	var rtyp byte
	switch typ {
	case dhcpDiscover:
		rtyp = dhcpOffer
	case dhcpRequest:
		rtyp = dhcpAck
	default:
		return nil
	}
	gw, guest := gatewayAddr.As4(), guestAddr.As4()
	r := make([]byte, dhcpFixedLen+4, 300)
	r[0], r[1], r[2] = 2, 1, 6 // BOOTREPLY, Ethernet, 6-byte MAC
	copy(r[4:8], req[4:8])     // xid
	copy(r[10:12], req[10:12]) // flags
	copy(r[16:20], guest[:])   // yiaddr
	copy(r[20:24], gw[:])      // siaddr
	copy(r[28:44], req[28:44]) // chaddr
	binary.BigEndian.PutUint32(r[dhcpFixedLen:], dhcpMagic)
	var lease [4]byte
	binary.BigEndian.PutUint32(lease[:], dhcpLease)
	r = append(r, optMsgType, 1, rtyp)
	r = append(r, optServerID, 4)
	r = append(r, gw[:]...)
	r = append(r, optLeaseTime, 4)
	r = append(r, lease[:]...)
	r = append(r, optSubnetMask, 4, 255, 255, 255, 0)
	r = append(r, optRouter, 4)
	r = append(r, gw[:]...)
	r = append(r, optEnd)
	for len(r) < 300 { // BOOTP minimum
		r = append(r, 0)
	}
	return r
}
