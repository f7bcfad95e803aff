package sbi

import (
	"errors"
	"fmt"
)

// ErrState reports a saved SBI state that does not fit this SBI (another
// set of harts).
var ErrState = errors.New("sbi: incompatible state")

// HartState is the SBI's state for one hart: its HSM status and the
// software timer used without Sstc. Everything else the SBI set up (PMP,
// delegation, a parked hart's trap vector) lives in the hart's CSRs, which
// riscv.HartState saves.
type HartState struct {
	HartID   uint64
	Status   int
	Armed    bool
	Deadline uint64 // mtime units
}

// State is the SBI's state, one entry per hart in board order.
type State struct {
	Harts []HartState
}

// SaveState returns the SBI's state. Call it between run slices.
func (s *SBI) SaveState() State {
	var st State
	for _, h := range s.harts {
		st.Harts = append(st.Harts, HartState{HartID: h.id, Status: h.status, Armed: h.armed, Deadline: h.deadline})
	}
	return st
}

// LoadState restores st, saved by an SBI for harts with the same IDs in
// the same order. Timer deadlines are in mtime units, which a restored
// CLINT continues, so an armed timer fires after the same guest time.
func (s *SBI) LoadState(st State) error {
	if len(st.Harts) != len(s.harts) {
		return fmt.Errorf("%w: %d harts, saved %d", ErrState, len(s.harts), len(st.Harts))
	}
	for i, h := range st.Harts {
		if h.HartID != s.harts[i].id {
			return fmt.Errorf("%w: hart %d has ID %d, saved %d", ErrState, i, s.harts[i].id, h.HartID)
		}
		if h.Status < HartStarted || h.Status > HartResumePending {
			return fmt.Errorf("%w: hart %d in HSM state %d", ErrState, h.HartID, h.Status)
		}
	}
	for i, h := range st.Harts {
		s.harts[i].status, s.harts[i].armed, s.harts[i].deadline = h.Status, h.Armed, h.Deadline
	}
	return nil
}
