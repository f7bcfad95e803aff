package frontdoor

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"strata/ctr"
	"strata/ctrnet"
)

// The front door's record of a container lives in its bundle directory,
// ROOT/bundles/NAME, beside config.json:
//
//	strata.json    what `strata run` was asked for (Meta), rewritten by the keeper
//	container.log  stdout and stderr of a detached container
//	exit.json      the exit status, written by the keeper when the container exits
//	keeper.log     the keeper's own messages (detached containers)
//
// The runtime's state (package ctr) lives under ROOT/state/NAME only while
// the container has processes; the keeper deletes it when the container
// exits, so a container that has exited is only its bundle directory.
const (
	MetaFile   = "strata.json"
	LogFile    = "container.log"
	ExitFile   = "exit.json"
	KeeperLog  = "keeper.log"
	ConfigFile = "config.json"
)

// Meta is strata.json: the container as `strata run` made it.
type Meta struct {
	Name string `json:"name"`
	// Key names the container host-wide: its cgroup is /strata/KEY, its
	// bridge address and veth are KEY's (see Store.key).
	Key      string    `json:"key"`
	Command  []string  `json:"command"`
	Created  time.Time `json:"created"`
	Detached bool      `json:"detached"`
	Remove   bool      `json:"remove"` // --rm: the keeper removes the bundle after exit
	Network  NetConfig `json:"network"`
	// Keeper is the process that created the container, waits for it and
	// records its exit: the monitor of a detached container, `strata run`
	// itself in the foreground. KeeperStart is field 22 of its
	// /proc/PID/stat, so a recycled pid is not taken for it.
	KeeperPid   int    `json:"keeperPid,omitempty"`
	KeeperStart uint64 `json:"keeperStart,omitempty"`
	// IP is the container's bridge address while it has one.
	IP string `json:"ip,omitempty"`
	// Image, for a container run from an image: its snapshot, mounted at
	// the bundle's rootfs until rm (or the exit of a --rm container).
	Image *ImageMeta `json:"image,omitempty"`
}

// NetConfig is the container's network: mode none, host or bridge, and for
// bridge the bridge and subnet (so teardown uses the same IPAM file).
type NetConfig struct {
	Mode   string `json:"mode"`
	Bridge string `json:"bridge,omitempty"`
	Subnet string `json:"subnet,omitempty"`
}

// ExitRecord is exit.json.
type ExitRecord struct {
	Code     int       `json:"code"` // as a shell reports it: 128+N when killed by signal N
	Finished time.Time `json:"finished"`
	// Released is set once the keeper has released the container's
	// network, runtime state and cgroups: it has nothing left to do.
	Released bool `json:"released,omitempty"`
}

// Store is the state root of `strata run` and its companions.
type Store struct {
	root string // absolute
}

// Open opens the state root (made absolute; nothing is created until a
// container is run). The caller resolves --root and $STRATA_ROOT.
func Open(root string) (Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return Store{}, fmt.Errorf("--root %q: %w", root, err)
	}
	return Store{root: abs}, nil
}

// Key returns the host-wide name of container name: NAME-TTTTTTTT, the
// tag being the first 8 hex digits of SHA-256(ROOT). Two state roots may
// each have a container "web"; their cgroups, addresses and veths must
// not meet.
func (fs Store) Key(name string) string {
	h := sha256.Sum256([]byte(fs.root))
	return name + "-" + hex.EncodeToString(h[:4])
}

// maxNameLen bounds container names: a name is part of a cgroup
// directory's name and, by default, the hostname.
const maxNameLen = 63

// validName checks a name of strata run --name: letters, digits, '_', '.'
// and '-', starting with a letter or digit, at most 63 bytes (as docker,
// and so that it is a valid hostname when it is one).
func validName(name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("container name %q: want 1 to %d characters", name, maxNameLen)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || i > 0 && (r == '_' || r == '.' || r == '-')
		if !ok {
			return fmt.Errorf("container name %q: want letters, digits, '_', '.' and '-', starting with a letter or digit", name)
		}
	}
	return nil
}

func (fs Store) bundles() string { return filepath.Join(fs.root, "bundles") }

// Bundle is the bundle directory of container name.
func (fs Store) Bundle(name string) string { return filepath.Join(fs.bundles(), name) }

// File is one of the files (MetaFile, LogFile, …) of container name.
func (fs Store) File(name, f string) string {
	return filepath.Join(fs.Bundle(name), f)
}

// ctr returns the runtime store under ROOT/state.
func (fs Store) ctr() ctr.Store { return ctr.Store{Root: filepath.Join(fs.root, "state")} }

// errNoContainer is wrapped when a name has no bundle directory.
var errNoContainer = errors.New("no such container")

// checkName validates a container name and that it exists.
func (fs Store) checkName(name string) error {
	if err := ctr.ValidateID(name); err != nil {
		return fmt.Errorf("container name: %w", err)
	}
	if _, err := os.Stat(fs.Bundle(name)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: %q (see strata ps -a)", errNoContainer, name)
		}
		return fmt.Errorf("container %q: %w", name, err)
	}
	return nil
}

// writeJSON writes v to path atomically (temporary file, fsync, rename).
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func (fs Store) saveMeta(m *Meta) error {
	return writeJSON(fs.File(m.Name, MetaFile), m)
}

// LoadMeta reads container name's strata.json.
func (fs Store) LoadMeta(name string) (*Meta, error) {
	b, err := os.ReadFile(fs.File(name, MetaFile))
	if err != nil {
		return nil, fmt.Errorf("container %q: %w", name, err)
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("container %q: %s: %w", name, MetaFile, err)
	}
	return &m, nil
}

// loadExit returns the recorded exit status, or nil when there is none.
func (fs Store) loadExit(name string) (*ExitRecord, error) {
	b, err := os.ReadFile(fs.File(name, ExitFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("container %q: %w", name, err)
	}
	var e ExitRecord
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("container %q: %s: %w", name, ExitFile, err)
	}
	return &e, nil
}

// Status is what `strata ps` says about one container.
type Status struct {
	Name    string
	State   string // created, running, paused, exited, stopped, starting, unknown
	Exit    *ExitRecord
	Pid     int
	Created time.Time
	Command []string
	IP      string
	Meta    *Meta // nil for a bundle without strata.json
	// KeeperAlive reports whether the keeper process still runs and has
	// not finished with the container.
	KeeperAlive bool
}

// Active reports whether the container may still have processes.
func (s *Status) Active() bool {
	switch s.State {
	case string(specs.StateCreated), string(specs.StateRunning), string(ctr.StatePaused), "starting":
		return true
	}
	return false
}

// String is the STATUS column: "running", "exited (N)", ….
func (s *Status) String() string {
	if s.State == "exited" && s.Exit != nil {
		return fmt.Sprintf("exited (%d)", s.Exit.Code)
	}
	return s.State
}

// Status works out a container's state from the runtime's state, the
// exit record and the keeper. The exit record wins: once it exists, the
// container has exited whatever else is still being cleaned up.
func (fs Store) Status(name string) (*Status, error) {
	if err := ctr.ValidateID(name); err != nil {
		return nil, fmt.Errorf("container name: %w", err)
	}
	s := &Status{Name: name, State: "unknown"}
	if m, err := fs.LoadMeta(name); err == nil {
		s.Meta = m
		s.Created, s.Command, s.IP = m.Created, m.Command, m.IP
		s.KeeperAlive = procAlive(m.KeeperPid, m.KeeperStart)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	ex, err := fs.loadExit(name)
	if err != nil {
		return nil, err
	}
	if ex != nil {
		if ex.Released {
			s.KeeperAlive = false
		}
		s.State, s.Exit, s.IP = "exited", ex, ""
		return s, nil
	}
	cs, err := fs.ctr().State(name)
	switch {
	case err == nil:
		s.State, s.Pid = string(cs.Status), cs.Pid
		if cs.Status == specs.StateStopped {
			s.IP = ""
		}
	case errors.Is(err, ctr.ErrNotExist):
		if s.KeeperAlive {
			s.State = "starting"
		} else if s.Meta != nil {
			s.State = "stopped" // the keeper died before it recorded an exit status
		}
		s.IP = ""
	default:
		return nil, err
	}
	return s, nil
}

// List returns the status of every container, sorted by creation time.
func (fs Store) List() ([]*Status, error) {
	ents, err := os.ReadDir(fs.bundles())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []*Status
	for _, e := range ents {
		if !e.IsDir() || ctr.ValidateID(e.Name()) != nil {
			continue
		}
		s, err := fs.Status(e.Name())
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // removed meanwhile
			}
			return nil, err
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// network returns the ctrnet network of a bridge config.
func (n NetConfig) network() (*ctrnet.Network, error) {
	return ctrnet.New(ctrnet.Config{Bridge: n.Bridge, Subnet: n.Subnet})
}

// procStartTime returns field 22 of /proc/PID/stat (the start time) and
// whether the process is alive (not a zombie).
func procStartTime(pid int) (uint64, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return 0, false
	}
	t, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, false
	}
	return t, f[0] != "Z" && f[0] != "X"
}

// procAlive reports whether pid is the live process that started at start.
func procAlive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	t, alive := procStartTime(pid)
	return alive && t == start
}
