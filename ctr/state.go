package ctr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// DefaultRoot is where container state lives unless a Store says otherwise.
const DefaultRoot = "/run/strata"

const (
	stateFile = "state.json"
	fifoName  = "exec.fifo"
)

// ErrNotExist is wrapped when a container id has no state directory.
var ErrNotExist = errors.New("container does not exist")

// State is a container's persisted state: the OCI state plus what strata
// needs to recognise its init process later.
type State struct {
	specs.State
	// Rootfs is the absolute root filesystem path.
	Rootfs string `json:"rootfs"`
	// Created is when create finished.
	Created time.Time `json:"created"`
	// InitStartTime is field 22 of /proc/PID/stat of the init, so a
	// recycled pid is not mistaken for the container.
	InitStartTime uint64 `json:"initStartTime"`
	// CgroupPath is the container's cgroupsPath (absolute, or relative to
	// the runtime's own cgroups).
	CgroupPath string `json:"cgroupPath,omitempty"`
	// Hooks are config.json's hooks as of create (start runs poststart,
	// delete poststop; later edits of config.json do not count).
	Hooks *specs.Hooks `json:"hooks,omitempty"`
	// SharedPidNS: the container joined a pid namespace it does not own;
	// delete must not wait for every process in it.
	SharedPidNS bool `json:"sharedPidNS,omitempty"`
}

// Store is a root directory holding one state directory per container.
type Store struct {
	Root string
	// Warnings receives warnings (a failed poststop hook); nil means
	// os.Stderr.
	Warnings io.Writer
}

// ValidateID rejects ids that could escape the root directory or are
// otherwise unusable as a directory name.
func ValidateID(id string) error {
	if id == "" {
		return fmt.Errorf("invalid container id: empty")
	}
	if id == "." || id == ".." || strings.ContainsAny(id, "/\x00") || strings.Contains(id, "..") {
		return fmt.Errorf("invalid container id %q: must not contain '/' or '..'", id)
	}
	if len(id) > 1024 {
		return fmt.Errorf("invalid container id: longer than 1024 bytes")
	}
	return nil
}

func (st Store) root() string {
	if st.Root == "" {
		return DefaultRoot
	}
	return st.Root
}

// Dir returns the state directory of a container id (not validated).
func (st Store) Dir(id string) string { return filepath.Join(st.root(), id) }

// lock takes an exclusive flock on the container's state directory. The
// returned function releases it.
func (st Store) lock(id string) (func(), error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	fd, err := unix.Open(st.Dir(id), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
		}
		return nil, fmt.Errorf("open state dir of %q: %w", id, err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lock %q: %w", id, err)
	}
	return func() { unix.Close(fd) }, nil
}

// save writes state.json atomically (temporary file, rename). There is
// no fsync: the state describes processes that do not survive a crash or
// reboot, it lives under /run (tmpfs on most hosts), and readers only need
// the rename's atomicity; runc and crun do the same.
func (st Store) save(s *State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	dir := st.Dir(s.ID)
	tmp, err := os.CreateTemp(dir, ".state-*.json")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, stateFile)); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// load reads a container's state and refreshes its status from /proc.
func (st Store) load(id string) (*State, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(st.Dir(id), stateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
		}
		return nil, fmt.Errorf("read state of %q: %w", id, err)
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parse state of %q: %w", id, err)
	}
	st.refresh(&s)
	return &s, nil
}

// refresh sets Status (and clears Pid of a stopped container) from the
// init's /proc entry and whether the exec FIFO is still there.
func (st Store) refresh(s *State) {
	if !initAlive(s.Pid, s.InitStartTime) {
		s.Status = specs.StateStopped
		s.Pid = 0
		return
	}
	if _, err := os.Lstat(filepath.Join(st.Dir(s.ID), pausedName)); err == nil {
		s.Status = StatePaused
	} else if _, err := os.Lstat(filepath.Join(st.Dir(s.ID), fifoName)); err == nil {
		s.Status = specs.StateCreated
	} else {
		s.Status = specs.StateRunning
	}
}

// procStat returns the state letter and start time (field 22) of a pid.
func procStat(pid int) (byte, uint64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name is in parentheses and may contain spaces.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state); field 22 is f[19].
	if len(f) < 20 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	t, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	return f[0][0], t, nil
}

// initAlive reports whether pid is the same live (non-zombie) process that
// started at startTime.
func initAlive(pid int, startTime uint64) bool {
	if pid <= 0 {
		return false
	}
	state, t, err := procStat(pid)
	if err != nil || t != startTime {
		return false
	}
	return state != 'Z' && state != 'X'
}
