package ctr

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// The console socket protocol (runc's, which podman's conmon and
// containerd's shim speak): the caller listens on a unix socket and
// passes its path as --console-socket; the runtime connects, and the
// container side sends the pty master as one SCM_RIGHTS descriptor in a
// message whose payload is the name of the pty. The caller owns the
// master from then on; the slave is the process's stdin, stdout, stderr
// and controlling terminal.

// dialConsole connects to the console socket at path and returns the
// connection as a file to hand to the container process.
func dialConsole(path string) (*os.File, error) {
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	defer conn.Close()
	f, err := conn.File()
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	return f, nil
}

// setupConsole runs in the container process, after pivot_root: it makes
// a pty from the container's /dev/ptmx, sends the master over the console
// socket descriptor sock, and makes the slave the process's stdio and
// controlling terminal.
func setupConsole(sock int, size *specs.Box) error {
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("process.terminal: open /dev/ptmx: %w", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("process.terminal: unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(master, unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("process.terminal: pty number: %w", err)
	}
	name := "/dev/pts/" + strconv.Itoa(n)
	slave, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return fmt.Errorf("process.terminal: open %s: %w", name, err)
	}
	if size != nil {
		ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
		if err := unix.IoctlSetWinsize(slave, unix.TIOCSWINSZ, ws); err != nil {
			unix.Close(slave)
			return fmt.Errorf("process.consoleSize: %w", err)
		}
	}
	if err := unix.Sendmsg(sock, []byte(name), unix.UnixRights(master), nil, 0); err != nil {
		unix.Close(slave)
		return fmt.Errorf("console socket: send pty master: %w", err)
	}
	unix.Close(sock)
	// A new session, so the pty can become the controlling terminal (the
	// process may lead one already).
	unix.Setsid()
	if err := unix.IoctlSetInt(slave, unix.TIOCSCTTY, 0); err != nil {
		unix.Close(slave)
		return fmt.Errorf("process.terminal: set controlling terminal: %w", err)
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup2(slave, fd); err != nil {
			unix.Close(slave)
			return fmt.Errorf("process.terminal: %w", err)
		}
	}
	if slave > 2 {
		unix.Close(slave)
	}
	return nil
}

// RecvConsole accepts one connection on l and receives the pty master a
// container sends over it (the console socket protocol). It is what
// `strata-oci run` uses for a terminal without --console-socket, and what
// tests use to play the role of podman's conmon.
func RecvConsole(l *net.UnixListener) (*os.File, error) {
	conn, err := l.AcceptUnix()
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	defer conn.Close()
	name := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := conn.ReadMsgUnix(name, oob)
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("console socket: no descriptor received")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("console socket: no descriptor received")
	}
	return os.NewFile(uintptr(fds[0]), string(name[:n])), nil
}

// ConsoleRelay is a console socket of the caller's own, for a terminal
// container or exec without an outside --console-socket: it receives the
// pty master and copies between it and the caller's stdio (in raw mode
// when stdin is a terminal), as runc does in the foreground.
type ConsoleRelay struct {
	dir    string
	path   string
	l      *net.UnixListener
	got    chan *os.File
	master *os.File
	raw    *term.State
	rawFd  int
	done   chan struct{}
}

// NewConsoleRelay listens on a fresh socket and starts accepting the one
// connection a container process makes to it.
func NewConsoleRelay() (*ConsoleRelay, error) {
	dir, err := os.MkdirTemp("", "strata-console-")
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	path := filepath.Join(dir, "sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("console: %w", err)
	}
	c := &ConsoleRelay{dir: dir, path: path, l: l, got: make(chan *os.File, 1), done: make(chan struct{})}
	go func() {
		m, err := RecvConsole(l)
		if err != nil {
			m = nil
		}
		c.got <- m
	}()
	return c, nil
}

// Path is the socket to pass as the console socket.
func (c *ConsoleRelay) Path() string { return c.path }

// Relay waits for the pty master — sent before Create or Exec returns —
// and copies stdin to it and its output to stdout until the pty closes.
func (c *ConsoleRelay) Relay(stdin io.Reader, stdout io.Writer) error {
	c.master = <-c.got
	if c.master == nil {
		close(c.done)
		return errors.New("console: no pty master received")
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if st, err := term.MakeRaw(int(f.Fd())); err == nil {
			c.raw, c.rawFd = st, int(f.Fd())
		}
		c.Resize()
	}
	if stdin != nil {
		go io.Copy(c.master, stdin)
	}
	go func() {
		io.Copy(stdout, c.master) // ends with EIO once every slave is closed
		close(c.done)
	}()
	return nil
}

// Resize copies the size of the caller's terminal (stdin) to the pty.
func (c *ConsoleRelay) Resize() {
	if c.master == nil || c.raw == nil {
		return
	}
	if ws, err := unix.IoctlGetWinsize(c.rawFd, unix.TIOCGWINSZ); err == nil {
		unix.IoctlSetWinsize(int(c.master.Fd()), unix.TIOCSWINSZ, ws)
	}
}

// FollowResize resizes the pty whenever the caller's terminal is resized
// (SIGWINCH) until stop is called.
func (c *ConsoleRelay) FollowResize() (stop func()) {
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, unix.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-winch:
				c.Resize()
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(winch)
		close(done)
	}
}

// Wait waits until the pty's output is copied out (the process and every
// other holder of the slave have closed it).
func (c *ConsoleRelay) Wait() {
	if c.master != nil {
		<-c.done
	}
}

// Close restores the caller's terminal and removes the socket.
func (c *ConsoleRelay) Close() {
	if c.raw != nil {
		term.Restore(c.rawFd, c.raw)
	}
	if c.master != nil {
		c.master.Close()
	}
	c.l.Close()
	os.RemoveAll(c.dir)
}
