package usermode

import (
	"crypto/rand"
	"encoding/binary"
	"io"
	"syscall"
	"time"
	"unsafe"
)

// riscv64 (asm-generic) system call numbers.
const (
	sysGetcwd         = 17
	sysEventfd2       = 19
	sysEpollCreate1   = 20
	sysEpollCtl       = 21
	sysEpollPwait     = 22
	sysDup            = 23
	sysDup3           = 24
	sysFcntl          = 25
	sysIoctl          = 29
	sysMkdirat        = 34
	sysUnlinkat       = 35
	sysFtruncate      = 46
	sysFaccessat      = 48
	sysChdir          = 49
	sysFchmod         = 52
	sysFchmodat       = 53
	sysOpenat         = 56
	sysClose          = 57
	sysPipe2          = 59
	sysGetdents64     = 61
	sysLseek          = 62
	sysRead           = 63
	sysWrite          = 64
	sysReadv          = 65
	sysWritev         = 66
	sysPread64        = 67
	sysPwrite64       = 68
	sysPpoll          = 73
	sysReadlinkat     = 78
	sysNewfstatat     = 79
	sysFstat          = 80
	sysFsync          = 82
	sysExit           = 93
	sysExitGroup      = 94
	sysSetTidAddress  = 96
	sysFutex          = 98
	sysSetRobustList  = 99
	sysNanosleep      = 101
	sysGetitimer      = 102
	sysSetitimer      = 103
	sysClockGettime   = 113
	sysClockGetres    = 114
	sysClockNanosleep = 115
	sysSchedSetaff    = 122
	sysSchedGetaff    = 123
	sysSchedYield     = 124
	sysKill           = 129
	sysTkill          = 130
	sysTgkill         = 131
	sysSigaltstack    = 132
	sysRtSigaction    = 134
	sysRtSigprocmask  = 135
	sysRtSigreturn    = 139
	sysUname          = 160
	sysGetrlimit      = 163
	sysUmask          = 166
	sysPrctl          = 167
	sysGettimeofday   = 169
	sysGetpid         = 172
	sysGetppid        = 173
	sysGetuid         = 174
	sysGeteuid        = 175
	sysGetgid         = 176
	sysGetegid        = 177
	sysGettid         = 178
	sysSysinfo        = 179
	sysBrk            = 214
	sysMunmap         = 215
	sysMremap         = 216
	sysClone          = 220
	sysExecve         = 221
	sysMmap           = 222
	sysMprotect       = 226
	sysMsync          = 227
	sysMadvise        = 233
	sysRiscvHwprobe   = 258
	sysWait4          = 260
	sysPrlimit64      = 261
	sysRenameat2      = 276
	sysGetrandom      = 278
	sysMembarrier     = 283
	sysStatx          = 291
	sysRseq           = 293
	sysClone3         = 435
	sysFaccessat2     = 439
)

const atFDCWD = -100

func errno(e error) int64 {
	if en, ok := e.(syscall.Errno); ok {
		return -int64(en)
	}
	return -int64(syscall.EIO)
}

func neg(e syscall.Errno) int64 { return -int64(e) }

// hostDir translates a guest directory descriptor for *at calls.
func (p *Process) hostDir(d uint64) (int, bool) {
	if int32(d) == atFDCWD {
		return atFDCWD, true
	}
	f := p.fd(d)
	if f == nil || f.kind != kindHost {
		return 0, false
	}
	return f.host, true
}

func bptr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}

func cstr(s string) []byte { return append([]byte(s), 0) }

// syscall handles the ECALL at t's pc.
func (p *Process) syscall(t *thread) {
	h := &t.c
	nr := h.X[17]
	a := [6]uint64{h.X[10], h.X[11], h.X[12], h.X[13], h.X[14], h.X[15]}
	r, done := p.dispatch(t, nr, a)
	if !done {
		return // blocked (or the thread/process is gone)
	}
	h.X[10] = uint64(r)
	h.PC += 4
}

// dispatch runs one system call; done is false when the thread blocked or
// exited (its pc stays at the ECALL).
func (p *Process) dispatch(t *thread, nr uint64, a [6]uint64) (int64, bool) {
	as := p.as
	switch nr {
	case sysExitGroup:
		p.exit(int(a[0] & 0xff))
		return 0, false
	case sysExit:
		p.threadExit(t, int(a[0]&0xff))
		return 0, false
	case sysRead:
		return p.read(t, a[0], a[1], a[2], -1)
	case sysPread64:
		return p.read(t, a[0], a[1], a[2], int64(a[3]))
	case sysWrite:
		return p.write(a[0], a[1], a[2], -1), true
	case sysPwrite64:
		return p.write(a[0], a[1], a[2], int64(a[3])), true
	case sysReadv, sysWritev:
		var total int64
		for i := uint64(0); i < a[2]; i++ {
			base, err1 := as.u64(a[1] + 16*i)
			n, err2 := as.u64(a[1] + 16*i + 8)
			if err1 != nil || err2 != nil {
				return neg(syscall.EFAULT), true
			}
			var r int64
			if nr == sysWritev {
				r = p.write(a[0], base, n, -1)
			} else {
				r, _ = p.read(t, a[0], base, n, -2) // never blocks
			}
			if r < 0 {
				if total > 0 {
					break
				}
				return r, true
			}
			total += r
			if uint64(r) < n {
				break
			}
		}
		return total, true
	case sysOpenat:
		path, err := as.cstring(a[1])
		if err != nil {
			return errno(err), true
		}
		dir, ok := p.hostDir(a[0])
		if !ok {
			return neg(syscall.EBADF), true
		}
		hfd, err := syscall.Openat(dir, path, hostOpenFlags(uint32(a[2]))|syscall.O_CLOEXEC, uint32(a[3]))
		if err != nil {
			return errno(err), true
		}
		return int64(p.allocFD(&file{kind: kindHost, host: hfd, flags: uint32(a[2]) &^ gO_CLOEXEC,
			cloexec: a[2]&gO_CLOEXEC != 0}, 0)), true
	case sysClose:
		return p.closeFD(int(int32(a[0]))), true
	case sysLseek:
		f := p.fd(a[0])
		if f == nil {
			return neg(syscall.EBADF), true
		}
		if f.kind != kindHost {
			return neg(syscall.ESPIPE), true
		}
		off, err := syscall.Seek(f.host, int64(a[1]), int(a[2]))
		if err != nil {
			return errno(err), true
		}
		return off, true
	case sysFstat:
		f := p.fd(a[0])
		if f == nil {
			return neg(syscall.EBADF), true
		}
		var st syscall.Stat_t
		if f.kind == kindHost {
			if err := syscall.Fstat(f.host, &st); err != nil {
				return errno(err), true
			}
		} else {
			st.Mode = syscall.S_IFIFO | 0o600
			st.Blksize = 4096
		}
		return p.putStat(a[1], &st), true
	case sysNewfstatat:
		path, err := as.cstring(a[1])
		if err != nil {
			return errno(err), true
		}
		if path == "" && a[3]&0x1000 != 0 { // AT_EMPTY_PATH
			return p.dispatch(t, sysFstat, [6]uint64{a[0], a[2]})
		}
		dir, ok := p.hostDir(a[0])
		if !ok {
			return neg(syscall.EBADF), true
		}
		var st syscall.Stat_t
		pb := cstr(path)
		_, _, e := syscall.Syscall6(syscall.SYS_NEWFSTATAT, uintptr(dir), bptr(pb), uintptr(unsafe.Pointer(&st)), uintptr(a[3]), 0, 0)
		if e != 0 {
			return neg(e), true
		}
		return p.putStat(a[2], &st), true
	case sysReadlinkat:
		path, err := as.cstring(a[1])
		if err != nil {
			return errno(err), true
		}
		var target string
		if path == "/proc/self/exe" || path == "/proc/"+itoa(p.pid)+"/exe" {
			target = p.exe
		} else {
			dir, ok := p.hostDir(a[0])
			if !ok {
				return neg(syscall.EBADF), true
			}
			buf := make([]byte, 4096)
			pb := cstr(path)
			n, _, e := syscall.Syscall6(syscall.SYS_READLINKAT, uintptr(dir), bptr(pb), bptr(buf), uintptr(len(buf)), 0, 0)
			if e != 0 {
				return neg(e), true
			}
			target = string(buf[:n])
		}
		b := []byte(target)
		if uint64(len(b)) > a[3] {
			b = b[:a[3]]
		}
		if err := as.write(a[2], b); err != nil {
			return errno(err), true
		}
		return int64(len(b)), true
	case sysGetdents64:
		f := p.fd(a[0])
		if f == nil || f.kind != kindHost {
			return neg(syscall.EBADF), true
		}
		buf := make([]byte, min(a[2], 1<<20))
		n, err := syscall.Getdents(f.host, buf)
		if err != nil {
			return errno(err), true
		}
		if err := as.write(a[1], buf[:n]); err != nil {
			return errno(err), true
		}
		return int64(n), true
	case sysFaccessat, sysFaccessat2, sysMkdirat, sysUnlinkat, sysFchmodat:
		path, err := as.cstring(a[1])
		if err != nil {
			return errno(err), true
		}
		dir, ok := p.hostDir(a[0])
		if !ok {
			return neg(syscall.EBADF), true
		}
		pb := cstr(path)
		hn := map[uint64]uintptr{sysFaccessat: syscall.SYS_FACCESSAT, sysFaccessat2: 439,
			sysMkdirat: syscall.SYS_MKDIRAT, sysUnlinkat: syscall.SYS_UNLINKAT, sysFchmodat: syscall.SYS_FCHMODAT}[nr]
		_, _, e := syscall.Syscall6(hn, uintptr(dir), bptr(pb), uintptr(a[2]), uintptr(a[3]), 0, 0)
		if e != 0 {
			return neg(e), true
		}
		return 0, true
	case sysRenameat2:
		from, err1 := as.cstring(a[1])
		to, err2 := as.cstring(a[3])
		if err1 != nil || err2 != nil {
			return neg(syscall.EFAULT), true
		}
		d1, ok1 := p.hostDir(a[0])
		d2, ok2 := p.hostDir(a[2])
		if !ok1 || !ok2 {
			return neg(syscall.EBADF), true
		}
		fb, tb := cstr(from), cstr(to)
		_, _, e := syscall.Syscall6(316, uintptr(d1), bptr(fb), uintptr(d2), bptr(tb), uintptr(a[4]), 0) // renameat2 on x86-64
		if e != 0 {
			return neg(e), true
		}
		return 0, true
	case sysFtruncate, sysFsync, sysFchmod:
		f := p.fd(a[0])
		if f == nil || f.kind != kindHost {
			return neg(syscall.EBADF), true
		}
		var err error
		switch nr {
		case sysFtruncate:
			err = syscall.Ftruncate(f.host, int64(a[1]))
		case sysFsync:
			err = syscall.Fsync(f.host)
		default:
			err = syscall.Fchmod(f.host, uint32(a[1]))
		}
		if err != nil {
			return errno(err), true
		}
		return 0, true
	case sysChdir:
		path, err := as.cstring(a[0])
		if err != nil {
			return errno(err), true
		}
		if err := syscall.Chdir(path); err != nil {
			return errno(err), true
		}
		return 0, true
	case sysGetcwd:
		buf := make([]byte, 4096)
		n, err := syscall.Getcwd(buf)
		if err != nil {
			return errno(err), true
		}
		if uint64(n) > a[1] {
			return neg(syscall.ERANGE), true
		}
		if err := as.write(a[0], buf[:n]); err != nil {
			return errno(err), true
		}
		return int64(n), true
	case sysFcntl:
		return p.fcntl(a), true
	case sysIoctl:
		if p.fd(a[0]) == nil {
			return neg(syscall.EBADF), true
		}
		return neg(syscall.ENOTTY), true
	case sysDup:
		f := p.fd(a[0])
		if f == nil {
			return neg(syscall.EBADF), true
		}
		return int64(p.allocFD(p.dupFile(f, false), 0)), true
	case sysDup3:
		f := p.fd(a[0])
		if f == nil || a[0] == a[1] || int32(a[1]) < 0 || a[1] > 1<<16 {
			return neg(syscall.EBADF), true
		}
		n := int(a[1])
		if n < len(p.files) && p.files[n] != nil {
			p.closeFD(n)
		}
		for len(p.files) <= n {
			p.files = append(p.files, nil)
		}
		p.files[n] = p.dupFile(f, a[2]&gO_CLOEXEC != 0)
		return int64(n), true
	case sysPipe2:
		var fds [2]int
		if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC|int(a[1]&gO_NONBLOCK)/gO_NONBLOCK*syscall.O_NONBLOCK); err != nil {
			return errno(err), true
		}
		r := p.allocFD(&file{kind: kindHost, host: fds[0], flags: uint32(a[1]) & gO_NONBLOCK}, 0)
		w := p.allocFD(&file{kind: kindHost, host: fds[1], flags: gO_WRONLY | uint32(a[1])&gO_NONBLOCK}, 0)
		if p.as.put32(a[0], uint32(r)) != nil || p.as.put32(a[0]+4, uint32(w)) != nil {
			return neg(syscall.EFAULT), true
		}
		return 0, true
	case sysEventfd2:
		return int64(p.allocFD(&file{kind: kindEventfd, count: uint64(uint32(a[0])), flags: gO_RDWR | uint32(a[1])&gO_NONBLOCK,
			cloexec: a[1]&gO_CLOEXEC != 0}, 0)), true
	case sysEpollCreate1:
		return int64(p.allocFD(&file{kind: kindEpoll, ep: &epollSet{entries: map[int]*epollEntry{}}, flags: gO_RDWR}, 0)), true
	case sysEpollCtl:
		return p.epollCtl(a), true
	case sysEpollPwait:
		return p.epollWait(t, a)
	case sysPpoll:
		return neg(syscall.ENOSYS), true

	case sysBrk:
		return int64(as.setBrk(a[0])), true
	case sysMmap:
		return p.mmap(a), true
	case sysMunmap:
		if a[0]%pageSize != 0 || a[1] == 0 {
			return neg(syscall.EINVAL), true
		}
		as.munmap(a[0], a[0]+pageUp(a[1]))
		return 0, true
	case sysMadvise:
		if a[2] == 4 && a[0]%pageSize == 0 { // MADV_DONTNEED: private anonymous pages read as zero
			as.zero(a[0], a[0]+pageUp(a[1]))
		}
		return 0, true
	case sysMprotect, sysMsync:
		return 0, true
	case sysMremap:
		return neg(syscall.ENOMEM), true
	case sysMembarrier:
		return 0, true

	case sysClone:
		return p.clone(t, a), true
	case sysClone3:
		return neg(syscall.ENOSYS), true
	case sysSetTidAddress:
		t.clearTID = a[0]
		return int64(t.tid), true
	case sysSetRobustList:
		return 0, true
	case sysRseq:
		return neg(syscall.ENOSYS), true
	case sysFutex:
		return p.futex(t, a)
	case sysGettid:
		return int64(t.tid), true
	case sysGetpid:
		return int64(p.pid), true
	case sysGetppid:
		return int64(syscall.Getppid()), true
	case sysGetuid:
		return int64(syscall.Getuid()), true
	case sysGeteuid:
		return int64(syscall.Geteuid()), true
	case sysGetgid:
		return int64(syscall.Getgid()), true
	case sysGetegid:
		return int64(syscall.Getegid()), true
	case sysSchedYield:
		p.yield = true
		return 0, true
	case sysSchedGetaff:
		n := min(a[1], 8)
		if n < 8 {
			return neg(syscall.EINVAL), true
		}
		mask := uint64(1)<<uint(p.cfg.NumCPU) - 1
		if p.cfg.NumCPU >= 64 {
			mask = ^uint64(0)
		}
		if err := as.put64(a[2], mask); err != nil {
			return errno(err), true
		}
		return 8, true
	case sysSchedSetaff:
		return 0, true

	case sysNanosleep:
		d, err := p.timespec(a[0])
		if err != nil {
			return errno(err), true
		}
		if d < 0 {
			return neg(syscall.EINVAL), true
		}
		p.block(t, time.Now().Add(time.Duration(d)), 0, nil)
		return 0, false
	case sysClockNanosleep:
		d, err := p.timespec(a[2])
		if err != nil {
			return errno(err), true
		}
		deadline := time.Now().Add(time.Duration(d))
		if a[1]&1 != 0 { // TIMER_ABSTIME
			deadline = p.clockTime(a[0], d)
		}
		p.block(t, deadline, 0, nil)
		return 0, false
	case sysClockGettime:
		ns, ok := p.clockNow(a[0])
		if !ok {
			return neg(syscall.EINVAL), true
		}
		if a[1] != 0 {
			if err := p.putTimespec(a[1], ns); err != nil {
				return errno(err), true
			}
		}
		return 0, true
	case sysClockGetres:
		if a[1] != 0 {
			p.putTimespec(a[1], 1)
		}
		return 0, true
	case sysGettimeofday:
		if a[0] != 0 {
			ns := time.Now().UnixNano()
			as.put64(a[0], uint64(ns/1e9))
			as.put64(a[0]+8, uint64(ns%1e9/1000))
		}
		return 0, true
	case sysGetitimer, sysSetitimer:
		return 0, true

	case sysRtSigaction:
		return p.sigaction(a), true
	case sysRtSigprocmask:
		return p.sigprocmask(t, a), true
	case sysSigaltstack:
		return p.sigaltstack(t, a), true
	case sysKill, sysTkill, sysTgkill:
		return p.kill(t, nr, a), true
	case sysRtSigreturn:
		return neg(syscall.ENOSYS), true

	case sysUname:
		fields := []string{"Linux", "strata", "6.1.0-strata", "#1 SMP strata usermode", "riscv64", "(none)"}
		buf := make([]byte, 65*6)
		for i, f := range fields {
			copy(buf[65*i:65*i+64], f)
		}
		if err := as.write(a[0], buf); err != nil {
			return errno(err), true
		}
		return 0, true
	case sysGetrlimit:
		return p.prlimit(uint32(a[0]), 0, a[1]), true
	case sysPrlimit64:
		return p.prlimit(uint32(a[1]), a[2], a[3]), true
	case sysUmask:
		old := p.umask
		p.umask = uint32(a[0]) & 0o777
		return int64(old), true
	case sysPrctl:
		if a[0] == 15 || a[0] == 16 { // PR_SET_NAME, PR_GET_NAME
			return 0, true
		}
		return neg(syscall.EINVAL), true
	case sysGetrandom:
		buf := make([]byte, min(a[1], 1<<20))
		rand.Read(buf)
		if err := as.write(a[0], buf); err != nil {
			return errno(err), true
		}
		return int64(len(buf)), true
	case sysSysinfo:
		buf := make([]byte, 112)
		binary.LittleEndian.PutUint64(buf[0:], uint64(time.Since(p.start).Seconds())+1)
		binary.LittleEndian.PutUint64(buf[32:], 4<<30) // totalram
		binary.LittleEndian.PutUint64(buf[40:], 2<<30) // freeram
		binary.LittleEndian.PutUint16(buf[80:], uint16(len(p.threads)))
		binary.LittleEndian.PutUint32(buf[104:], 1) // mem_unit
		if err := as.write(a[0], buf); err != nil {
			return errno(err), true
		}
		return 0, true
	case sysRiscvHwprobe, sysStatx, sysExecve, sysWait4:
		return neg(syscall.ENOSYS), true
	}
	p.log.Debug("usermode: unimplemented system call", "nr", nr, "pc", t.c.PC,
		"a0", a[0], "a1", a[1], "a2", a[2])
	return neg(syscall.ENOSYS), true
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// read implements read/pread (off >= 0). off == -2 means "never block".
func (p *Process) read(t *thread, fd, buf, n uint64, off int64) (int64, bool) {
	f := p.fd(fd)
	if f == nil {
		return neg(syscall.EBADF), true
	}
	if f.flags&3 == gO_WRONLY {
		return neg(syscall.EBADF), true
	}
	n = min(n, 1<<24)
	switch f.kind {
	case kindEventfd:
		if n < 8 {
			return neg(syscall.EINVAL), true
		}
		try := func() (int64, bool) {
			if f.count == 0 {
				return 0, false
			}
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], f.count)
			f.count = 0
			f.gen++
			if err := p.as.write(buf, b[:]); err != nil {
				return errno(err), true
			}
			return 8, true
		}
		if r, ok := try(); ok {
			return r, true
		}
		if f.flags&gO_NONBLOCK != 0 || off == -2 {
			return neg(syscall.EAGAIN), true
		}
		p.block(t, time.Time{}, 0, try)
		t.inEpoll = true // kicked by eventfd writes
		return 0, false
	case kindEpoll:
		return neg(syscall.EINVAL), true
	}
	dst := p.as.direct(buf, n)
	bounce := dst == nil && n > 0
	if bounce {
		dst = make([]byte, n)
	}
	var got int
	var err error
	switch f.kind {
	case kindHost:
		if off >= 0 {
			got, err = syscall.Pread(f.host, dst, off)
		} else {
			got, err = syscall.Read(f.host, dst)
		}
	case kindStream:
		if f.r == nil {
			return neg(syscall.EBADF), true
		}
		got, err = f.r.Read(dst)
		if err == io.EOF {
			err = nil
		}
	}
	if err != nil {
		return errno(err), true
	}
	if got < 0 {
		got = 0
	}
	if bounce {
		if e := p.as.write(buf, dst[:got]); e != nil {
			return errno(e), true
		}
	} else {
		p.bus.Invalidate(buf, uint64(got))
	}
	return int64(got), true
}

func (p *Process) write(fd, buf, n uint64, off int64) int64 {
	f := p.fd(fd)
	if f == nil || f.flags&3 == 0 && f.kind != kindEventfd {
		return neg(syscall.EBADF)
	}
	n = min(n, 1<<24)
	src := p.as.direct(buf, n)
	if src == nil && n > 0 {
		var err error
		if src, err = p.as.read(buf, n); err != nil {
			return errno(err)
		}
	}
	switch f.kind {
	case kindEventfd:
		if n < 8 {
			return neg(syscall.EINVAL)
		}
		v := binary.LittleEndian.Uint64(src)
		if v == ^uint64(0) {
			return neg(syscall.EINVAL)
		}
		f.count += v
		f.gen++
		p.kickEpoll()
		return 8
	case kindEpoll:
		return neg(syscall.EINVAL)
	case kindStream:
		if f.w == nil {
			return neg(syscall.EBADF)
		}
		m, err := f.w.Write(src)
		if err != nil && m == 0 {
			return neg(syscall.EIO)
		}
		return int64(m)
	}
	var m int
	var err error
	if off >= 0 {
		m, err = syscall.Pwrite(f.host, src, off)
	} else {
		m, err = syscall.Write(f.host, src)
	}
	if err != nil {
		return errno(err)
	}
	return int64(m)
}

func (p *Process) dupFile(f *file, cloexec bool) *file {
	g := *f
	g.cloexec = cloexec
	if f.kind == kindHost {
		if h, err := syscall.Dup(f.host); err == nil {
			syscall.CloseOnExec(h)
			g.host = h
		}
	}
	if f.kind == kindEventfd || f.kind == kindEpoll {
		return f // shared description
	}
	return &g
}

func (p *Process) fcntl(a [6]uint64) int64 {
	f := p.fd(a[0])
	if f == nil {
		return neg(syscall.EBADF)
	}
	switch a[1] {
	case 0, 1030: // F_DUPFD, F_DUPFD_CLOEXEC
		return int64(p.allocFD(p.dupFile(f, a[1] == 1030), int(a[2])))
	case 1: // F_GETFD
		if f.cloexec {
			return 1
		}
		return 0
	case 2: // F_SETFD
		f.cloexec = a[2]&1 != 0
		return 0
	case 3: // F_GETFL
		return int64(f.flags &^ gO_CLOEXEC)
	case 4: // F_SETFL
		f.flags = f.flags&^(gO_NONBLOCK|gO_APPEND) | uint32(a[2])&(gO_NONBLOCK|gO_APPEND)
		if f.kind == kindHost {
			hf, _, _ := syscall.Syscall(syscall.SYS_FCNTL, uintptr(f.host), syscall.F_GETFL, 0)
			hf &^= syscall.O_NONBLOCK | syscall.O_APPEND
			if f.flags&gO_NONBLOCK != 0 {
				hf |= syscall.O_NONBLOCK
			}
			if f.flags&gO_APPEND != 0 {
				hf |= syscall.O_APPEND
			}
			syscall.Syscall(syscall.SYS_FCNTL, uintptr(f.host), syscall.F_SETFL, hf)
		}
		return 0
	}
	return neg(syscall.EINVAL)
}

// putStat writes a riscv64 (asm-generic) struct stat.
func (p *Process) putStat(addr uint64, st *syscall.Stat_t) int64 {
	b := make([]byte, 128)
	le := binary.LittleEndian
	le.PutUint64(b[0:], uint64(st.Dev))
	le.PutUint64(b[8:], st.Ino)
	le.PutUint32(b[16:], st.Mode)
	le.PutUint32(b[20:], uint32(st.Nlink))
	le.PutUint32(b[24:], st.Uid)
	le.PutUint32(b[28:], st.Gid)
	le.PutUint64(b[32:], uint64(st.Rdev))
	le.PutUint64(b[48:], uint64(st.Size))
	le.PutUint32(b[56:], uint32(st.Blksize))
	le.PutUint64(b[64:], uint64(st.Blocks))
	le.PutUint64(b[72:], uint64(st.Atim.Sec))
	le.PutUint64(b[80:], uint64(st.Atim.Nsec))
	le.PutUint64(b[88:], uint64(st.Mtim.Sec))
	le.PutUint64(b[96:], uint64(st.Mtim.Nsec))
	le.PutUint64(b[104:], uint64(st.Ctim.Sec))
	le.PutUint64(b[112:], uint64(st.Ctim.Nsec))
	if err := p.as.write(addr, b); err != nil {
		return errno(err)
	}
	return 0
}

// mmap: anonymous mappings come from the address-space manager; a file
// mapping is a private copy of the file's bytes (MAP_SHARED writes are not
// written back).
func (p *Process) mmap(a [6]uint64) int64 {
	addr, length, flags, fd, off := a[0], a[1], a[3], a[4], a[5]
	const mapFixed, mapAnon, mapFixedNoreplace = 0x10, 0x20, 0x100000
	if length == 0 || off%pageSize != 0 {
		return neg(syscall.EINVAL)
	}
	var f *file
	if flags&mapAnon == 0 {
		if f = p.fd(fd); f == nil || f.kind != kindHost {
			return neg(syscall.EBADF)
		}
	}
	if flags&mapFixedNoreplace != 0 && p.as.vmas.overlaps(addr, addr+pageUp(length)) {
		return neg(syscall.EEXIST)
	}
	va, err := p.as.mmap(addr, length, flags&mapFixed != 0)
	if err != nil {
		return errno(err)
	}
	if f != nil {
		buf := make([]byte, length)
		n, _ := syscall.Pread(f.host, buf, int64(off))
		if n > 0 {
			p.as.write(va, buf[:n])
		}
	}
	return int64(va)
}

func (p *Process) prlimit(res uint32, newp, oldp uint64) int64 {
	if res >= 16 {
		return neg(syscall.EINVAL)
	}
	cur, ok := p.rlimits[res]
	if !ok {
		inf := ^uint64(0)
		cur = [2]uint64{inf, inf}
		switch res {
		case 3: // RLIMIT_STACK
			cur = [2]uint64{stackSize, inf}
		case 7: // RLIMIT_NOFILE
			cur = [2]uint64{1024, 4096}
		}
	}
	if oldp != 0 {
		if p.as.put64(oldp, cur[0]) != nil || p.as.put64(oldp+8, cur[1]) != nil {
			return neg(syscall.EFAULT)
		}
	}
	if newp != 0 {
		s, err1 := p.as.u64(newp)
		m, err2 := p.as.u64(newp + 8)
		if err1 != nil || err2 != nil {
			return neg(syscall.EFAULT)
		}
		if s > m || m > cur[1] {
			return neg(syscall.EPERM)
		}
		p.rlimits[res] = [2]uint64{s, m}
	}
	return 0
}
