package ctr

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Update changes the resource limits of a created, running or paused
// container (runc's update): fields left nil keep their values. What the
// host cannot honour fails naming the field, and nothing is changed by a
// refused update. Device rules cannot be updated (as with runc).
func (st Store) Update(id string, r *specs.LinuxResources) error {
	unlock, err := st.lock(id)
	if err != nil {
		return err
	}
	defer unlock()
	s, err := st.load(id)
	if err != nil {
		return err
	}
	if s.Status == specs.StateStopped {
		return fmt.Errorf("container %q is stopped: cannot update", id)
	}
	if r == nil {
		return nil
	}
	if len(r.Devices) > 0 {
		return invalid("linux.resources.devices", "cannot be updated")
	}
	m, err := st.cgroupOf(s)
	if err != nil {
		return err
	}
	if err := m.Set(r); err != nil {
		return fmt.Errorf("container %q: linux.resources: %w", id, err)
	}
	return nil
}
