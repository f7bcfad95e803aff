package ctr

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"strata/cgroup"
)

// StatePaused is the status of a container whose cgroup is frozen (runc's
// "paused"; the runtime spec leaves it to the runtime).
const StatePaused specs.ContainerState = "paused"

// pausedName marks a paused container in its state directory.
const pausedName = "paused"

// cgroupOf loads a live container's cgroup.
func (st Store) cgroupOf(s *State) (cgroup.Manager, error) {
	if s.CgroupPath == "" {
		return nil, fmt.Errorf("container %q has no cgroup", s.ID)
	}
	m, err := cgroup.Load(s.CgroupPath)
	if err != nil {
		return nil, fmt.Errorf("container %q: %w", s.ID, err)
	}
	return m, nil
}

// Pause freezes every process of a created or running container (the
// cgroup freezer); State then reports "paused".
func (st Store) Pause(id string) error {
	unlock, err := st.lock(id)
	if err != nil {
		return err
	}
	defer unlock()
	s, err := st.load(id)
	if err != nil {
		return err
	}
	if s.Status != specs.StateRunning && s.Status != specs.StateCreated {
		return fmt.Errorf("container %q is %s, not running", id, s.Status)
	}
	m, err := st.cgroupOf(s)
	if err != nil {
		return err
	}
	// The mark goes first: a crash between the two leaves a container
	// reported paused that resume can thaw, never a frozen "running" one.
	mark := filepath.Join(st.Dir(id), pausedName)
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		return fmt.Errorf("pause %q: %w", id, err)
	}
	if err := freeze(m, s.CgroupPath); err != nil {
		m.Thaw()
		os.Remove(mark)
		return fmt.Errorf("pause %q: %w", id, err)
	}
	return nil
}

// Resume thaws a paused container.
func (st Store) Resume(id string) error {
	unlock, err := st.lock(id)
	if err != nil {
		return err
	}
	defer unlock()
	s, err := st.load(id)
	if err != nil {
		return err
	}
	if s.Status != StatePaused {
		return fmt.Errorf("container %q is %s, not paused", id, s.Status)
	}
	m, err := st.cgroupOf(s)
	if err != nil {
		return err
	}
	if err := m.Thaw(); err != nil {
		return fmt.Errorf("resume %q: %w", id, err)
	}
	if err := os.Remove(filepath.Join(st.Dir(id), pausedName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("resume %q: %w", id, err)
	}
	return nil
}

// Stats returns the usage of a container's cgroup.
func (st Store) Stats(id string) (*cgroup.Stats, error) {
	s, err := st.load(id)
	if err != nil {
		return nil, err
	}
	if s.Status == specs.StateStopped {
		return nil, fmt.Errorf("container %q is not running", id)
	}
	m, err := st.cgroupOf(s)
	if err != nil {
		return nil, err
	}
	return m.Stats()
}

// Ps lists the pids (in the caller's pid namespace) of every process in a
// container's cgroup.
func (st Store) Ps(id string) ([]int, error) {
	s, err := st.load(id)
	if err != nil {
		return nil, err
	}
	m, err := st.cgroupOf(s)
	if err != nil {
		if s.Status == specs.StateStopped {
			return nil, nil
		}
		return nil, err
	}
	return m.Procs()
}

// freeze freezes a container's cgroup. On a v1 (or hybrid) host with an
// absolute cgroups path it drives freezer.state itself, as runc does: a
// freeze stuck in FREEZING for 50 ms — a multi-threaded process of the
// container in execve, whose frozen threads block the exec — is thawed
// (the exec completes) and tried again, for up to 2 s. Elsewhere it is
// cgroup.Manager.Freeze.
func freeze(m cgroup.Manager, path string) error {
	dir := v1FreezerDir(path)
	if dir == "" {
		return m.Freeze()
	}
	state := filepath.Join(dir, "freezer.state")
	deadline := time.Now().Add(2 * time.Second)
	for {
		if err := os.WriteFile(state, []byte("FROZEN"), 0); err != nil {
			return fmt.Errorf("freeze: %w", err)
		}
		for i := 0; i < 50; i++ {
			data, err := os.ReadFile(state)
			if err != nil {
				return fmt.Errorf("freeze: %w", err)
			}
			if strings.TrimSpace(string(data)) == "FROZEN" {
				return nil
			}
			time.Sleep(time.Millisecond)
		}
		if err := os.WriteFile(state, []byte("THAWED"), 0); err != nil {
			return fmt.Errorf("freeze: %w", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("freeze: %s stayed FREEZING for 2 s", dir)
		}
		time.Sleep(time.Millisecond)
	}
}

// v1FreezerDir returns the v1 freezer directory of an absolute cgroups
// path, or "" (a v2 host, a relative path, no freezer hierarchy).
func v1FreezerDir(path string) string {
	if m := cgroup.Mode(); (m != "v1" && m != "hybrid") || !filepath.IsAbs(path) {
		return ""
	}
	mounts, err := hostCgroupMounts()
	if err != nil {
		return ""
	}
	for _, mt := range mounts {
		if slices.Contains(mt.ctrls, "freezer") {
			dir := filepath.Join(mt.point, path)
			if _, err := os.Stat(filepath.Join(dir, "freezer.state")); err == nil {
				return dir
			}
		}
	}
	return ""
}
