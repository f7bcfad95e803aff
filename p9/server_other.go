//go:build !linux

package p9

import "errors"

// Server serves 9P2000.L for one host directory; it needs Linux (O_PATH
// descriptors and the *at system calls).
type Server struct{}

// NewServer fails: sharing a host directory needs a Linux host.
func NewServer(dir string, opt Options) (*Server, error) {
	return nil, errors.New("p9: sharing a host directory needs a Linux host")
}

// Handle answers nothing.
func (s *Server) Handle(req, resp []byte) int { return 0 }

// Reset does nothing.
func (s *Server) Reset() {}

// Active reports false.
func (s *Server) Active() bool { return false }

// Close does nothing.
func (s *Server) Close() error { return nil }
