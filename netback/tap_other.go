//go:build !linux

package netback

import "errors"

// TAP is a TAP interface backend; Linux only.
type TAP struct{}

// OpenTAP fails: TAP interfaces are only supported on Linux.
func OpenTAP(name string) (*TAP, error) { return nil, errors.New("tap: only on Linux") }

// Send implements Backend.
func (*TAP) Send([]byte) error { return errors.ErrUnsupported }

// SetReceiver implements Backend.
func (*TAP) SetReceiver(func([]byte)) {}

// Close implements Backend.
func (*TAP) Close() error { return nil }
