package usermode

import (
	"io"
	"os"
	"syscall"
)

type fileKind int

const (
	kindHost    fileKind = iota // a host file descriptor, passed through
	kindStream                  // an io.Reader / io.Writer (stdio in-process)
	kindEventfd                 // emulated eventfd
	kindEpoll                   // emulated epoll instance
)

// file is an open file description.
type file struct {
	kind    fileKind
	host    int
	r       io.Reader
	w       io.Writer
	flags   uint32 // status flags as the guest sees them (O_ACCMODE, O_NONBLOCK)
	cloexec bool

	count uint64    // eventfd counter
	gen   uint64    // bumped when readiness may have changed
	ep    *epollSet // epoll interest list
}

type epollEntry struct {
	events  uint32
	data    uint64
	lastGen uint64
}

type epollSet struct {
	entries map[int]*epollEntry
}

// Guest (asm-generic) open flags.
const (
	gO_WRONLY    = 0x1
	gO_RDWR      = 0x2
	gO_CREAT     = 0x40
	gO_EXCL      = 0x80
	gO_NOCTTY    = 0x100
	gO_TRUNC     = 0x200
	gO_APPEND    = 0x400
	gO_NONBLOCK  = 0x800
	gO_DSYNC     = 0x1000
	gO_DIRECT    = 0x4000
	gO_LARGEFILE = 0x8000
	gO_DIRECTORY = 0x10000
	gO_NOFOLLOW  = 0x20000
	gO_NOATIME   = 0x40000
	gO_CLOEXEC   = 0x80000
	gO_SYNC      = 0x101000
	gO_PATH      = 0x200000
	gO_TMPFILE   = 0x410000
)

// hostOpenFlags translates guest open flags to the host's.
func hostOpenFlags(g uint32) int {
	f := int(g & 3)
	pairs := []struct {
		g uint32
		h int
	}{
		{gO_CREAT, syscall.O_CREAT}, {gO_EXCL, syscall.O_EXCL}, {gO_NOCTTY, syscall.O_NOCTTY},
		{gO_TRUNC, syscall.O_TRUNC}, {gO_APPEND, syscall.O_APPEND}, {gO_NONBLOCK, syscall.O_NONBLOCK},
		{gO_DIRECT, syscall.O_DIRECT}, {gO_DIRECTORY, syscall.O_DIRECTORY},
		{gO_NOFOLLOW, syscall.O_NOFOLLOW}, {gO_NOATIME, syscall.O_NOATIME}, {gO_CLOEXEC, syscall.O_CLOEXEC},
		{gO_SYNC, syscall.O_SYNC}, {gO_DSYNC, syscall.O_DSYNC},
	}
	for _, pr := range pairs {
		if g&pr.g == pr.g {
			f |= pr.h
		}
	}
	if g&gO_PATH != 0 {
		f |= 0x200000 // O_PATH has the same value on x86-64 and arm64
	}
	return f
}

// initFiles sets up fds 0, 1 and 2.
func (p *Process) initFiles() error {
	std := []struct {
		r     io.Reader
		w     io.Writer
		host  *os.File
		flags uint32
	}{
		{r: p.cfg.Stdin, host: os.Stdin, flags: 0},
		{w: p.cfg.Stdout, host: os.Stdout, flags: gO_WRONLY},
		{w: p.cfg.Stderr, host: os.Stderr, flags: gO_WRONLY},
	}
	for _, s := range std {
		hf := s.host
		var stream bool
		switch v := any(s.r).(type) {
		case *os.File:
			hf = v
		case nil:
		default:
			stream = true
		}
		switch v := any(s.w).(type) {
		case *os.File:
			hf = v
		case nil:
		default:
			stream = true
		}
		if stream {
			p.files = append(p.files, &file{kind: kindStream, r: s.r, w: s.w, flags: s.flags})
			continue
		}
		fd, err := syscall.Dup(int(hf.Fd()))
		if err != nil {
			return err
		}
		syscall.CloseOnExec(fd)
		p.files = append(p.files, &file{kind: kindHost, host: fd, flags: s.flags})
	}
	return nil
}

// allocFD installs f at the lowest free descriptor >= min.
func (p *Process) allocFD(f *file, min int) int {
	for i := min; i < len(p.files); i++ {
		if p.files[i] == nil {
			p.files[i] = f
			return i
		}
	}
	for len(p.files) < min {
		p.files = append(p.files, nil)
	}
	p.files = append(p.files, f)
	return len(p.files) - 1
}

func (p *Process) fd(n uint64) *file {
	i := int(int32(n))
	if i < 0 || i >= len(p.files) {
		return nil
	}
	return p.files[i]
}

// closeFD closes a guest descriptor.
func (p *Process) closeFD(n int) int64 {
	if n < 0 || n >= len(p.files) || p.files[n] == nil {
		return -int64(syscall.EBADF)
	}
	f := p.files[n]
	p.files[n] = nil
	for _, o := range p.files {
		if o != nil && o.ep != nil {
			delete(o.ep.entries, n)
		}
	}
	if f.kind == kindHost {
		syscall.Close(f.host)
	}
	return 0
}

// Close releases the process's host resources (its host descriptors).
func (p *Process) Close() {
	for i := range p.files {
		if p.files[i] != nil {
			p.closeFD(i)
		}
	}
}

// epoll readiness of one file.
const (
	epollIn  = 0x1
	epollOut = 0x4
	epollErr = 0x8
	epollHup = 0x10
	epollET  = 1 << 31
)

func (f *file) ready() uint32 {
	switch f.kind {
	case kindEventfd:
		r := uint32(epollOut)
		if f.count > 0 {
			r |= epollIn
		}
		return r
	}
	return 0
}

// epollCollect returns up to max ready events of set.
func (p *Process) epollCollect(set *epollSet, max int) [][2]uint64 {
	var out [][2]uint64
	for fd, e := range set.entries {
		if len(out) >= max {
			break
		}
		f := p.fd(uint64(fd))
		if f == nil {
			continue
		}
		r := f.ready() & (e.events | epollErr | epollHup)
		if r == 0 {
			continue
		}
		if e.events&epollET != 0 {
			if e.lastGen == f.gen {
				continue
			}
			e.lastGen = f.gen
		}
		out = append(out, [2]uint64{uint64(r), e.data})
	}
	return out
}

// kickEpoll re-evaluates every thread blocked in epoll_pwait.
func (p *Process) kickEpoll() {
	for _, t := range p.threads {
		if t.blocked && t.inEpoll {
			t.kicked = true
		}
	}
}
