package ctr

import (
	"fmt"
	"net"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
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
