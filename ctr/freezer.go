package ctr

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
	if err := m.Freeze(); err != nil {
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
