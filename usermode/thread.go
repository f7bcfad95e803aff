package usermode

import (
	"syscall"
	"time"
)

// Clone flags.
const (
	cloneVM            = 0x100
	cloneThread        = 0x10000
	cloneSettls        = 0x80000
	cloneParentSettid  = 0x100000
	cloneChildCleartid = 0x200000
	cloneChildSettid   = 0x1000000
)

// clone creates a thread (all threads share the one hart) with the parent's
// registers, a0 = 0, sp = the new stack and tp = tls with CLONE_SETTLS.
// Arguments (riscv64 order): flags, newsp, parent_tid, child_tid, tls.
// Processes (fork, vfork) are not supported.
func (p *Process) clone(t *thread, a [6]uint64) int64 {
	flags, sp, ptid, ctid, tls := a[0], a[1], a[2], a[3], a[4]
	if flags&cloneVM == 0 || flags&cloneThread == 0 {
		p.log.Debug("usermode: clone without CLONE_VM|CLONE_THREAD (fork) is not supported", "flags", flags)
		return neg(syscall.ENOSYS)
	}
	c := &thread{tid: p.nextTID, c: t.c, sigmask: t.sigmask}
	p.nextTID++
	c.c.PC += 4
	c.c.X[10] = 0
	if sp != 0 {
		c.c.X[2] = sp
	}
	if flags&cloneSettls != 0 {
		c.c.X[4] = tls
	}
	if flags&cloneParentSettid != 0 {
		p.as.put32(ptid, uint32(c.tid))
	}
	if flags&cloneChildSettid != 0 {
		p.as.put32(ctid, uint32(c.tid))
	}
	if flags&cloneChildCleartid != 0 {
		c.clearTID = ctid
	}
	p.addThread(c)
	return int64(c.tid)
}

// threadExit ends one thread; the last one ends the process.
func (p *Process) threadExit(t *thread, code int) {
	if t.clearTID != 0 {
		p.as.put32(t.clearTID, 0)
		p.futexWake(t.clearTID, 1)
	}
	p.removeThread(t)
	if len(p.threads) == 0 {
		p.exit(code)
	}
}

// Futex operations.
const (
	futexWait        = 0
	futexWake        = 1
	futexRequeue     = 3
	futexCmpRequeue  = 4
	futexWaitBitset  = 9
	futexWakeBitset  = 10
	futexPrivate     = 128
	futexClockRealtm = 256
)

// futex implements FUTEX_WAIT(_BITSET) and FUTEX_WAKE(_BITSET) (bitsets
// are treated as all ones) and (CMP_)REQUEUE; the private flag is accepted
// and irrelevant (there is one address space).
func (p *Process) futex(t *thread, a [6]uint64) (int64, bool) {
	addr, op, val := a[0], a[1]&^(futexPrivate|futexClockRealtm), uint32(a[2])
	switch op {
	case futexWait, futexWaitBitset:
		cur, err := p.as.u32(addr)
		if err != nil {
			return errno(err), true
		}
		if cur != val {
			return neg(syscall.EAGAIN), true
		}
		var deadline time.Time
		if a[3] != 0 {
			d, err := p.timespec(a[3])
			if err != nil {
				return errno(err), true
			}
			if op == futexWait {
				deadline = time.Now().Add(time.Duration(d))
			} else if a[1]&futexClockRealtm != 0 {
				deadline = time.Unix(0, d)
			} else {
				deadline = p.clockTime(1, d)
			}
		}
		p.futexBlock(t, addr, deadline)
		return 0, false
	case futexWake, futexWakeBitset:
		return int64(p.futexWake(addr, int(val))), true
	case futexRequeue, futexCmpRequeue:
		if op == futexCmpRequeue {
			cur, err := p.as.u32(addr)
			if err != nil {
				return errno(err), true
			}
			if cur != uint32(a[5]) {
				return neg(syscall.EAGAIN), true
			}
		}
		n := p.futexWake(addr, int(val))
		moved := 0
		q := p.futexQ[addr]
		for len(q) > 0 && moved < int(uint32(a[3])) {
			w := q[0]
			q = q[1:]
			w.futexAddr = a[4]
			p.futexQ[a[4]] = append(p.futexQ[a[4]], w)
			moved++
		}
		if len(q) == 0 {
			delete(p.futexQ, addr)
		} else {
			p.futexQ[addr] = q
		}
		return int64(n + moved), true
	}
	p.log.Debug("usermode: unsupported futex op", "op", a[1])
	return neg(syscall.ENOSYS), true
}

// futexBlock queues t on addr until woken or the deadline.
func (p *Process) futexBlock(t *thread, addr uint64, deadline time.Time) {
	p.block(t, deadline, neg(syscall.ETIMEDOUT), nil)
	t.futexAddr = addr
	p.futexQ[addr] = append(p.futexQ[addr], t)
}

// futexWake wakes up to n waiters on addr in FIFO order (their FUTEX_WAIT
// returns 0) and returns how many it woke.
func (p *Process) futexWake(addr uint64, n int) int {
	woke := 0
	for woke < n {
		q := p.futexQ[addr]
		if len(q) == 0 {
			break
		}
		p.finish(q[0], 0)
		woke++
	}
	return woke
}

// timespec reads a struct timespec as nanoseconds.
func (p *Process) timespec(addr uint64) (int64, error) {
	s, err := p.as.u64(addr)
	if err != nil {
		return 0, err
	}
	ns, err := p.as.u64(addr + 8)
	if err != nil {
		return 0, err
	}
	if int64(ns) < 0 || ns >= 1e9 || int64(s) < 0 {
		return 0, syscall.EINVAL
	}
	if int64(s) > 1<<33 {
		s = 1 << 33
	}
	return int64(s)*1e9 + int64(ns), nil
}

func (p *Process) putTimespec(addr uint64, ns int64) error {
	if err := p.as.put64(addr, uint64(ns/1e9)); err != nil {
		return err
	}
	return p.as.put64(addr+8, uint64(ns%1e9))
}

// monoOffset makes the guest's CLOCK_MONOTONIC start at a plausible uptime.
const monoOffset = 1000 * time.Second

// clockNow returns the current value of a guest clock in nanoseconds.
func (p *Process) clockNow(clk uint64) (int64, bool) {
	switch clk {
	case 0, 5, 8, 11: // REALTIME, REALTIME_COARSE, REALTIME_ALARM, TAI
		return time.Now().UnixNano(), true
	case 1, 4, 6, 7, 9: // MONOTONIC, MONOTONIC_RAW, MONOTONIC_COARSE, BOOTTIME, BOOTTIME_ALARM
		return int64(time.Since(p.start) + monoOffset), true
	case 2, 3: // PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID: approximated by wall time
		return int64(time.Since(p.start)), true
	}
	return 0, false
}

// clockTime converts an absolute guest clock value to a host time.
func (p *Process) clockTime(clk uint64, ns int64) time.Time {
	switch clk {
	case 0, 5, 8, 11:
		return time.Unix(0, ns)
	}
	return p.start.Add(time.Duration(ns) - monoOffset)
}

// epollCtl implements EPOLL_CTL_ADD/DEL/MOD. Only emulated files (eventfd)
// can be polled; host files get EPERM, which makes Go fall back to blocking
// I/O for them, as it does for regular files on Linux.
func (p *Process) epollCtl(a [6]uint64) int64 {
	ep := p.fd(a[0])
	if ep == nil || ep.kind != kindEpoll {
		return neg(syscall.EBADF)
	}
	f := p.fd(a[2])
	if f == nil {
		return neg(syscall.EBADF)
	}
	fd := int(int32(a[2]))
	switch a[1] {
	case 1, 3: // ADD, MOD
		if f.kind != kindEventfd {
			return neg(syscall.EPERM)
		}
		ev, err1 := p.as.u32(a[3])
		data, err2 := p.as.u64(a[3] + 8)
		if err1 != nil || err2 != nil {
			return neg(syscall.EFAULT)
		}
		_, exists := ep.ep.entries[fd]
		if a[1] == 1 && exists {
			return neg(syscall.EEXIST)
		}
		if a[1] == 3 && !exists {
			return neg(syscall.ENOENT)
		}
		ep.ep.entries[fd] = &epollEntry{events: ev, data: data, lastGen: f.gen - 1}
		return 0
	case 2: // DEL
		if _, ok := ep.ep.entries[fd]; !ok {
			return neg(syscall.ENOENT)
		}
		delete(ep.ep.entries, fd)
		return 0
	}
	return neg(syscall.EINVAL)
}

// epollWait implements epoll_pwait: struct epoll_event is 16 bytes on
// riscv64 (u32 events, padding, u64 data).
func (p *Process) epollWait(t *thread, a [6]uint64) (int64, bool) {
	ep := p.fd(a[0])
	if ep == nil || ep.kind != kindEpoll {
		return neg(syscall.EBADF), true
	}
	max := int(int32(a[2]))
	if max <= 0 {
		return neg(syscall.EINVAL), true
	}
	evp := a[1]
	try := func() (int64, bool) {
		evs := p.epollCollect(ep.ep, max)
		if len(evs) == 0 {
			return 0, false
		}
		for i, e := range evs {
			p.as.put32(evp+16*uint64(i), uint32(e[0]))
			p.as.put64(evp+16*uint64(i)+8, e[1])
		}
		return int64(len(evs)), true
	}
	if r, ok := try(); ok {
		return r, true
	}
	timeout := int64(int32(a[3]))
	if timeout == 0 {
		return 0, true
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(time.Duration(timeout) * time.Millisecond)
	}
	p.block(t, deadline, 0, try)
	t.inEpoll = true
	return 0, false
}
