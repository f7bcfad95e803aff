// Package ctrnet gives strata's containers their networks: "none" (a
// network namespace with only loopback, brought up), "host" (the host's
// namespace, nothing to do) and "bridge" (a veth pair per container whose
// host end is a port of the Linux bridge strata0, with an address from a
// private subnet handed out by a small file-backed IPAM and a default route
// through the bridge's gateway address).
//
// A container is named by the path of its network namespace
// (/proc/PID/ns/net for a process inside it, or a bind-mounted namespace
// such as /run/netns/NAME) and an id. All netlink work inside the container's
// namespace goes through a netlink socket opened in that namespace, so no
// goroutine of the caller changes namespace.
package ctrnet

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Network modes accepted by Setup and Teardown.
const (
	ModeNone   = "none"
	ModeHost   = "host"
	ModeBridge = "bridge"
)

// Defaults for Config fields left empty.
const (
	DefaultBridge   = "strata0"
	DefaultSubnet   = "10.99.0.0/24" // clear of podman's 10.88.0.0/16 and docker's 172.17.0.0/16
	DefaultStateDir = "/run/strata/net"
	// ContainerIface is the name of the container's end of the veth pair.
	ContainerIface = "eth0"
)

// ErrUnknownMode is returned (wrapped) for a mode other than none, host or
// bridge.
var ErrUnknownMode = errors.New("ctrnet: unknown network mode")

// Config configures a Network. Zero fields take the defaults above.
type Config struct {
	Bridge   string // bridge name, at most 15 bytes
	Subnet   string // IPv4 CIDR; the gateway is its first host address
	StateDir string // directory of the IPAM state file
}

// Network sets up and tears down container networking for one bridge and
// subnet. It is safe for concurrent use, also across processes sharing the
// state directory.
type Network struct {
	cfg  Config
	ipam *IPAM
}

// Result describes what Setup did.
type Result struct {
	Mode      string
	Interface string     // the container's interface ("eth0"), bridge mode only
	HostVeth  string     // the host end of the veth pair, bridge mode only
	Address   *net.IPNet // the container's address and prefix, bridge mode only
	Gateway   net.IP     // the default route's gateway, bridge mode only
	Bridge    string     // bridge mode only
}

// New returns a Network for cfg.
func New(cfg Config) (*Network, error) {
	if cfg.Bridge == "" {
		cfg.Bridge = DefaultBridge
	}
	if cfg.Subnet == "" {
		cfg.Subnet = DefaultSubnet
	}
	if cfg.StateDir == "" {
		cfg.StateDir = DefaultStateDir
	}
	if len(cfg.Bridge) > unix.IFNAMSIZ-1 {
		return nil, fmt.Errorf("ctrnet: bridge name %q is longer than %d bytes", cfg.Bridge, unix.IFNAMSIZ-1)
	}
	ipam, err := NewIPAM(cfg.Subnet, filepath.Join(cfg.StateDir, "ipam-"+cfg.Bridge+".json"))
	if err != nil {
		return nil, err
	}
	return &Network{cfg: cfg, ipam: ipam}, nil
}

// IPAM returns the network's address allocator.
func (n *Network) IPAM() *IPAM { return n.ipam }

// Bridge returns the bridge name.
func (n *Network) Bridge() string { return n.cfg.Bridge }

// Setup networks the container with the default Config; see Network.Setup.
func Setup(mode, netnsPath, id string) (Result, error) {
	n, err := New(Config{})
	if err != nil {
		return Result{}, err
	}
	return n.Setup(mode, netnsPath, id)
}

// Teardown undoes Setup with the default Config; see Network.Teardown.
func Teardown(mode, netnsPath, id string) error {
	n, err := New(Config{})
	if err != nil {
		return err
	}
	return n.Teardown(mode, netnsPath, id)
}

// NetnsPath returns the path of the network namespace of process pid.
func NetnsPath(pid int) string { return "/proc/" + strconv.Itoa(pid) + "/ns/net" }

// HostVethName returns the host end's name for container id: "vs" and 12
// hex digits of the id's SHA-256, 14 bytes (IFNAMSIZ allows 15).
func HostVethName(id string) string {
	h := sha256.Sum256([]byte(id))
	return "vs" + hex.EncodeToString(h[:6])
}

// Setup gives the container whose network namespace is at netnsPath its
// network in mode:
//
//   - "none": loopback is brought up; nothing else.
//   - "host": nothing (the container shares the host's namespace); netnsPath
//     may be empty.
//   - "bridge": the bridge is ensured (created with the gateway address and
//     up), an address is allocated for id, and a veth pair is made: the host
//     end HostVethName(id) joins the bridge, the other end goes into the
//     namespace as eth0 with the address, and lo and eth0 come up with a
//     default route via the gateway. On failure everything is undone.
func (n *Network) Setup(mode, netnsPath, id string) (Result, error) {
	switch mode {
	case ModeHost:
		return Result{Mode: mode}, nil
	case ModeNone, ModeBridge:
	default:
		return Result{}, fmt.Errorf("%w %q (want none, host or bridge)", ErrUnknownMode, mode)
	}
	ns, err := openNetns(netnsPath)
	if err != nil {
		return Result{}, err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return Result{}, fmt.Errorf("ctrnet: netlink in %s: %w", netnsPath, err)
	}
	defer h.Close()
	if err := linkUp(h, "lo"); err != nil {
		return Result{}, fmt.Errorf("ctrnet: %s: %w", netnsPath, err)
	}
	if mode == ModeNone {
		return Result{Mode: mode}, nil
	}
	if id == "" {
		return Result{}, errors.New("ctrnet: bridge mode needs a container id")
	}
	if _, err := netlink.LinkByName(HostVethName(id)); err == nil {
		return Result{}, fmt.Errorf("ctrnet: container %q is already on the bridge (veth %s exists)", id, HostVethName(id))
	}
	res, err := n.setupBridge(ns, h, id)
	if err != nil {
		// Undo whatever was done; the errors of the undo are secondary.
		_ = n.Teardown(ModeBridge, "", id)
		return Result{}, err
	}
	return res, nil
}

// setupBridge does Setup's bridge-mode work; h is a netlink handle in ns.
func (n *Network) setupBridge(ns netns.NsHandle, h *netlink.Handle, id string) (Result, error) {
	br, err := n.EnsureBridge()
	if err != nil {
		return Result{}, err
	}
	ip, err := n.ipam.Allocate(id)
	if err != nil {
		return Result{}, err
	}
	ones, _ := n.ipam.subnet.Mask.Size()
	addr := &net.IPNet{IP: ip, Mask: net.CIDRMask(ones, 32)}
	gw := n.ipam.Gateway()
	hostName := HostVethName(id)

	// Make the pair with its peer born inside the container's namespace as
	// eth0: no temporary name in the host namespace, no rename.
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: hostName, MasterIndex: br.Attrs().Index},
		PeerName:      ContainerIface,
		PeerNamespace: netlink.NsFd(int(ns)),
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return Result{}, fmt.Errorf("ctrnet: add veth %s: %w", hostName, err)
	}
	host, err := netlink.LinkByName(hostName)
	if err != nil {
		return Result{}, fmt.Errorf("ctrnet: veth %s: %w", hostName, err)
	}
	if err := netlink.LinkSetMaster(host, br); err != nil {
		return Result{}, fmt.Errorf("ctrnet: attach %s to %s: %w", hostName, n.cfg.Bridge, err)
	}
	if err := netlink.LinkSetUp(host); err != nil {
		return Result{}, fmt.Errorf("ctrnet: up %s: %w", hostName, err)
	}
	eth, err := h.LinkByName(ContainerIface)
	if err != nil {
		return Result{}, fmt.Errorf("ctrnet: container %s: %w", ContainerIface, err)
	}
	if err := h.AddrReplace(eth, &netlink.Addr{IPNet: addr}); err != nil {
		return Result{}, fmt.Errorf("ctrnet: address %s on %s: %w", addr, ContainerIface, err)
	}
	if err := h.LinkSetUp(eth); err != nil {
		return Result{}, fmt.Errorf("ctrnet: up container %s: %w", ContainerIface, err)
	}
	route := &netlink.Route{LinkIndex: eth.Attrs().Index, Gw: gw, Dst: nil}
	if err := h.RouteReplace(route); err != nil {
		return Result{}, fmt.Errorf("ctrnet: default route via %s: %w", gw, err)
	}
	return Result{
		Mode:      ModeBridge,
		Interface: ContainerIface,
		HostVeth:  hostName,
		Address:   addr,
		Gateway:   gw,
		Bridge:    n.cfg.Bridge,
	}, nil
}

// EnsureBridge makes the bridge exist, carry the gateway address with the
// subnet's prefix, and be up; it returns the bridge. It is idempotent and
// tolerates another process creating the bridge at the same time.
func (n *Network) EnsureBridge() (netlink.Link, error) {
	name := n.cfg.Bridge
	br, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if !errors.As(err, &nf) {
			return nil, fmt.Errorf("ctrnet: bridge %s: %w", name, err)
		}
		err = netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}})
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("ctrnet: add bridge %s: %w", name, err)
		}
		if br, err = netlink.LinkByName(name); err != nil {
			return nil, fmt.Errorf("ctrnet: bridge %s: %w", name, err)
		}
	}
	if br.Type() != "bridge" {
		return nil, fmt.Errorf("ctrnet: %s exists and is a %s, not a bridge", name, br.Type())
	}
	ones, _ := n.ipam.subnet.Mask.Size()
	gw := &netlink.Addr{IPNet: &net.IPNet{IP: n.ipam.Gateway(), Mask: net.CIDRMask(ones, 32)}}
	if err := netlink.AddrReplace(br, gw); err != nil {
		return nil, fmt.Errorf("ctrnet: address %s on %s: %w", gw.IPNet, name, err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		return nil, fmt.Errorf("ctrnet: up %s: %w", name, err)
	}
	return br, nil
}

// RemoveBridge deletes the bridge if it exists. Teardown never does: the
// bridge stays for the next container, like docker0 or podman's cni-podman0.
func (n *Network) RemoveBridge() error {
	br, err := netlink.LinkByName(n.cfg.Bridge)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("ctrnet: bridge %s: %w", n.cfg.Bridge, err)
	}
	if err := netlink.LinkDel(br); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("ctrnet: delete bridge %s: %w", n.cfg.Bridge, err)
	}
	return nil
}

// Teardown undoes Setup. In bridge mode it deletes the host end of the veth
// pair (which deletes the pair; if the namespace is already gone, the kernel
// has done so) and releases id's address; netnsPath is not needed and may
// name a namespace that no longer exists. The bridge stays. "none" and
// "host" have nothing to undo. Teardown is idempotent.
func (n *Network) Teardown(mode, netnsPath, id string) error {
	switch mode {
	case ModeNone, ModeHost:
		return nil
	case ModeBridge:
	default:
		return fmt.Errorf("%w %q (want none, host or bridge)", ErrUnknownMode, mode)
	}
	if id == "" {
		return errors.New("ctrnet: bridge mode needs a container id")
	}
	var errs []error
	name := HostVethName(id)
	if l, err := netlink.LinkByName(name); err == nil {
		if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
			errs = append(errs, fmt.Errorf("ctrnet: delete veth %s: %w", name, err))
		}
	} else if nf := (netlink.LinkNotFoundError{}); !errors.As(err, &nf) {
		errs = append(errs, fmt.Errorf("ctrnet: veth %s: %w", name, err))
	}
	if err := n.ipam.Release(id); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// openNetns opens the network namespace at path and checks that it is one.
func openNetns(path string) (netns.NsHandle, error) {
	if path == "" {
		return -1, errors.New("ctrnet: no network namespace path given")
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("ctrnet: network namespace %s: %w", path, &os.PathError{Op: "open", Path: path, Err: err})
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("ctrnet: network namespace %s: %w", path, err)
	}
	if st.Type != unix.NSFS_MAGIC {
		unix.Close(fd)
		return -1, fmt.Errorf("ctrnet: %s is not a namespace file", path)
	}
	nstype, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err == nil && nstype != unix.CLONE_NEWNET {
		unix.Close(fd)
		return -1, fmt.Errorf("ctrnet: %s is not a network namespace", path)
	}
	return netns.NsHandle(fd), nil
}

// linkUp sets the link named name up through h.
func linkUp(h *netlink.Handle, name string) error {
	l, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("link %s: %w", name, err)
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("up %s: %w", name, err)
	}
	return nil
}
