package netback

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// TAP is a backend over a Linux TAP interface: frames the guest sends are
// written to it, frames the host kernel sends to it are read by a
// goroutine and handed to the receiver.
type TAP struct {
	f    *os.File
	name string
	recv atomic.Pointer[func([]byte)]
	wg   sync.WaitGroup
	once sync.Once
}

// OpenTAP attaches to (or creates) the TAP interface name through
// /dev/net/tun with IFF_TAP|IFF_NO_PI. A non-persistent interface created
// here disappears when the TAP is closed. Needs CAP_NET_ADMIN unless the
// interface was created persistent for this user.
func OpenTAP(name string) (*TAP, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("tap %s: %w", name, err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tap %s: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tap %s: TUNSETIFF: %w", name, err)
	}
	t := &TAP{f: os.NewFile(uintptr(fd), "/dev/net/tun"), name: ifr.Name()}
	t.wg.Add(1)
	go t.reader()
	return t, nil
}

// Name is the interface's name.
func (t *TAP) Name() string { return t.name }

func (t *TAP) reader() {
	defer t.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, err := t.f.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
				continue
			}
			return // the interface went away
		}
		if r := t.recv.Load(); r != nil && n > 0 {
			(*r)(buf[:n])
		}
	}
}

// SetReceiver implements Backend.
func (t *TAP) SetReceiver(r func([]byte)) { t.recv.Store(&r) }

// Send implements Backend: one write per frame.
func (t *TAP) Send(frame []byte) error {
	_, err := t.f.Write(frame)
	return err
}

// Close implements Backend; it waits for the reader goroutine.
func (t *TAP) Close() error {
	var err error
	t.once.Do(func() {
		err = t.f.Close()
		t.wg.Wait()
	})
	return err
}
