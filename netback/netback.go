// Package netback holds the host sides of strata's virtio-net devices:
// a TAP device (OpenTAP, root or CAP_NET_ADMIN) and a user-mode network
// (OpenUser, no privileges) that gives the guest slirp's 10.0.2.0/24 with
// DHCP, proxies its TCP and UDP connections to host sockets and forwards
// host ports into it.
//
// Every backend satisfies virtio.NetBackend (the method set of Backend).
package netback

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Backend is a network backend: virtio.NetBackend's method set.
type Backend interface {
	// Send transmits one Ethernet frame from the guest; frame is only
	// valid during the call.
	Send(frame []byte) error
	// SetReceiver installs the function called (from a backend
	// goroutine) with every frame for the guest.
	SetReceiver(func(frame []byte))
	// Close stops the backend and releases its host resources.
	Close() error
}

// Spec describes one network backend, as parsed from --net.
type Spec struct {
	// Kind is "tap" or "user".
	Kind string
	// TAP is the TAP interface name (Kind "tap").
	TAP string
	// HostFwd lists host ports forwarded into the guest (Kind "user").
	HostFwd []HostFwd
}

// HostFwd forwards connections to HostAddr:HostPort on the host to
// GuestPort of the guest (at GuestAddr, 10.0.2.15).
type HostFwd struct {
	Proto     string // "tcp"
	HostAddr  string // listen address; "" is 127.0.0.1
	HostPort  int    // 0 picks a free port (see User.HostFwdAddrs)
	GuestPort int
}

// ParseNetSpec parses a --net value:
//
//	tap=NAME
//	user[,hostfwd=tcp:HOSTADDR:HOSTPORT-:GUESTPORT]...
//
// HOSTADDR may be empty (127.0.0.1); the guest address in a hostfwd is
// always the DHCP address 10.0.2.15, so the part after '-' is ":PORT"
// (QEMU's syntax also allows "10.0.2.15:PORT").
func ParseNetSpec(s string) (Spec, error) {
	if name, ok := strings.CutPrefix(s, "tap="); ok {
		if name == "" || len(name) >= 16 || strings.ContainsAny(name, ",/ ") {
			return Spec{}, fmt.Errorf("net %q: bad TAP interface name", s)
		}
		return Spec{Kind: "tap", TAP: name}, nil
	}
	parts := strings.Split(s, ",")
	if parts[0] != "user" {
		return Spec{}, fmt.Errorf("net %q: want tap=NAME or user[,hostfwd=tcp:HOSTADDR:HOSTPORT-:GUESTPORT]", s)
	}
	sp := Spec{Kind: "user"}
	for _, p := range parts[1:] {
		v, ok := strings.CutPrefix(p, "hostfwd=")
		if !ok {
			return Spec{}, fmt.Errorf("net %q: unknown option %q", s, p)
		}
		f, err := parseHostFwd(v)
		if err != nil {
			return Spec{}, fmt.Errorf("net %q: %w", s, err)
		}
		sp.HostFwd = append(sp.HostFwd, f)
	}
	return sp, nil
}

func parseHostFwd(v string) (HostFwd, error) {
	proto, rest, ok := strings.Cut(v, ":")
	if !ok || proto != "tcp" {
		return HostFwd{}, fmt.Errorf("hostfwd %q: only tcp:HOSTADDR:HOSTPORT-:GUESTPORT is supported", v)
	}
	host, guest, ok := strings.Cut(rest, "-")
	if !ok {
		return HostFwd{}, fmt.Errorf("hostfwd %q: missing '-'", v)
	}
	haddr, hport, err := net.SplitHostPort(host)
	if err != nil {
		return HostFwd{}, fmt.Errorf("hostfwd %q: %v", v, err)
	}
	gaddr, gport, err := net.SplitHostPort(guest)
	if err != nil {
		return HostFwd{}, fmt.Errorf("hostfwd %q: %v", v, err)
	}
	if gaddr != "" && gaddr != GuestIP {
		return HostFwd{}, fmt.Errorf("hostfwd %q: the guest is %s", v, GuestIP)
	}
	hp, err1 := strconv.ParseUint(hport, 10, 16)
	gp, err2 := strconv.ParseUint(gport, 10, 16)
	if err := errors.Join(err1, err2); err != nil || gp == 0 {
		return HostFwd{}, fmt.Errorf("hostfwd %q: bad port", v)
	}
	if haddr == "" {
		haddr = "127.0.0.1"
	}
	return HostFwd{Proto: proto, HostAddr: haddr, HostPort: int(hp), GuestPort: int(gp)}, nil
}

// Open starts the backend a Spec describes.
func Open(s Spec) (Backend, error) {
	switch s.Kind {
	case "tap":
		return OpenTAP(s.TAP)
	case "user":
		return OpenUser(s.HostFwd)
	}
	return nil, fmt.Errorf("netback: unknown kind %q", s.Kind)
}
