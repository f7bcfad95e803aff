package ctrnet

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ErrExhausted is returned by IPAM.Allocate when every host address of the
// subnet is taken.
var ErrExhausted = errors.New("ctrnet: subnet exhausted")

// IPAM hands out IPv4 addresses of one private subnet to container ids. The
// network address, the broadcast address and the gateway (the first host
// address, .1) are never handed out.
//
// State lives in one JSON file, replaced atomically (write to a temporary
// file, fsync, rename) under an exclusive flock(2) on a separate lock file,
// so that allocations from many goroutines or processes never hand the
// same address out twice. An IPAM value holds no state in memory and is
// safe for concurrent use.
type IPAM struct {
	subnet *net.IPNet
	path   string // the JSON state file
	lock   string // the lock file beside it
}

// ipamState is the on-disk form of the allocations.
type ipamState struct {
	Subnet      string            `json:"subnet"`
	Allocations map[string]string `json:"allocations"` // id → IPv4 address
}

// NewIPAM returns an allocator for subnet (an IPv4 CIDR of /8 to /30) that
// keeps its state in file, creating the file's directory if needed. A state
// file written for another subnet is an error.
func NewIPAM(subnet, file string) (*IPAM, error) {
	_, n, err := net.ParseCIDR(subnet)
	if err != nil {
		return nil, fmt.Errorf("ctrnet: subnet %q: %w", subnet, err)
	}
	ones, bits := n.Mask.Size()
	if n.IP.To4() == nil || bits != 32 || ones < 8 || ones > 30 {
		return nil, fmt.Errorf("ctrnet: subnet %q: need an IPv4 prefix of /8 to /30", subnet)
	}
	n.IP = n.IP.To4()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return nil, fmt.Errorf("ctrnet: ipam state dir: %w", err)
	}
	return &IPAM{subnet: n, path: file, lock: file + ".lock"}, nil
}

// Subnet returns the allocator's subnet.
func (a *IPAM) Subnet() *net.IPNet {
	return &net.IPNet{IP: append(net.IP(nil), a.subnet.IP...), Mask: append(net.IPMask(nil), a.subnet.Mask...)}
}

// Gateway returns the subnet's first host address, kept for the bridge.
func (a *IPAM) Gateway() net.IP { return a.nth(1) }

// nth returns the subnet's address at offset i from the network address.
func (a *IPAM) nth(i uint32) net.IP {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, binary.BigEndian.Uint32(a.subnet.IP)+i)
	return ip
}

// size returns the number of addresses in the subnet.
func (a *IPAM) size() uint32 {
	ones, _ := a.subnet.Mask.Size()
	return 1 << (32 - ones)
}

// Allocate returns the address held by id, allocating the lowest free one
// if id holds none. It is idempotent: the same id gets the same address
// until Release. It returns an error wrapping ErrExhausted when no address
// is free.
func (a *IPAM) Allocate(id string) (net.IP, error) {
	if id == "" {
		return nil, errors.New("ctrnet: allocate: empty id")
	}
	var out net.IP
	err := a.update(func(st *ipamState) (bool, error) {
		if s, ok := st.Allocations[id]; ok {
			out = net.ParseIP(s).To4()
			return false, nil
		}
		used := make(map[string]bool, len(st.Allocations))
		for _, s := range st.Allocations {
			used[s] = true
		}
		for i := uint32(2); i < a.size()-1; i++ {
			ip := a.nth(i)
			if !used[ip.String()] {
				st.Allocations[id] = ip.String()
				out = ip
				return true, nil
			}
		}
		return false, fmt.Errorf("ctrnet: allocate %q in %s: %w", id, a.subnet, ErrExhausted)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Release frees the address held by id. Releasing an id that holds none is
// not an error.
func (a *IPAM) Release(id string) error {
	return a.update(func(st *ipamState) (bool, error) {
		if _, ok := st.Allocations[id]; !ok {
			return false, nil
		}
		delete(st.Allocations, id)
		return true, nil
	})
}

// Lookup returns the address held by id, or nil.
func (a *IPAM) Lookup(id string) (net.IP, error) {
	var out net.IP
	err := a.update(func(st *ipamState) (bool, error) {
		if s, ok := st.Allocations[id]; ok {
			out = net.ParseIP(s).To4()
		}
		return false, nil
	})
	return out, err
}

// Allocations returns a copy of all current allocations, id → address, in
// no particular order.
func (a *IPAM) Allocations() (map[string]net.IP, error) {
	out := map[string]net.IP{}
	err := a.update(func(st *ipamState) (bool, error) {
		for id, s := range st.Allocations {
			out[id] = net.ParseIP(s).To4()
		}
		return false, nil
	})
	return out, err
}

// update runs fn on the state under the lock and writes the state back
// atomically when fn reports a change.
func (a *IPAM) update(fn func(*ipamState) (bool, error)) error {
	lf, err := os.OpenFile(a.lock, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("ctrnet: ipam lock: %w", err)
	}
	defer lf.Close()
	for {
		err = unix.Flock(int(lf.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("ctrnet: ipam flock %s: %w", a.lock, err)
	}
	defer unix.Flock(int(lf.Fd()), unix.LOCK_UN) //nolint:errcheck // closing unlocks too

	st := &ipamState{Subnet: a.subnet.String(), Allocations: map[string]string{}}
	b, err := os.ReadFile(a.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("ctrnet: ipam state: %w", err)
	default:
		if err := json.Unmarshal(b, st); err != nil {
			return fmt.Errorf("ctrnet: ipam state %s: %w", a.path, err)
		}
		if st.Subnet != a.subnet.String() {
			return fmt.Errorf("ctrnet: ipam state %s is for subnet %s, not %s", a.path, st.Subnet, a.subnet)
		}
		if st.Allocations == nil {
			st.Allocations = map[string]string{}
		}
	}
	changed, err := fn(st)
	if err != nil || !changed {
		return err
	}
	return writeAtomic(a.path, st)
}

// writeAtomic writes v as JSON to path through a temporary file in the same
// directory, fsynced and renamed over path.
func writeAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("ctrnet: encode ipam state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ipam-*.tmp")
	if err != nil {
		return fmt.Errorf("ctrnet: write ipam state: %w", err)
	}
	name := tmp.Name()
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("ctrnet: write ipam state %s: %w", path, err)
	}
	return nil
}
