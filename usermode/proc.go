// Package usermode runs static riscv64 Linux executables on strata's hart,
// emulating the Linux system-call ABI in Go, as qemu-riscv64 does: each
// guest thread is a riscv.Hart in U-mode with satp = 0, all sharing one bus
// whose RAM regions are the guest's mappings, scheduled round-robin on the
// calling goroutine. It is an emulator, not a sandbox: file-system calls are
// passed through to the host with the emulator's own privileges.
package usermode

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"strata/riscv"
)

// Config describes a guest process.
type Config struct {
	// Args is argv; Args[0] is also the path reported by /proc/self/exe.
	Args []string
	Env  []string
	// Stdin, Stdout and Stderr are the guest's fds 0, 1 and 2. A nil
	// stream is the emulator's own; an *os.File is passed through as a host
	// file descriptor.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// NumCPU is the number of CPUs the guest sees (sched_getaffinity);
	// default 2.
	NumCPU int
	// TimeSlice is the number of instructions a thread runs before the
	// next one gets a turn (default 20000).
	TimeSlice int64
	// Trace, if set, receives one line per executed instruction.
	Trace  io.Writer
	Logger *slog.Logger
}

// Process is a guest process: an address space, threads and files.
type Process struct {
	cfg     Config
	log     *slog.Logger
	bus     *riscv.Bus
	as      *addrSpace
	img     *image
	exe     string
	threads []*thread
	cpu     *riscv.Hart // the one hart every thread runs on
	last    *thread     // the thread that ran last on cpu
	nextTID int
	pid     int
	futexQ  map[uint64][]*thread
	files   []*file
	sig     sigState
	rlimits map[uint32][2]uint64
	umask   uint32
	start   time.Time
	trace   *bufio.Writer

	exited   bool
	exitCode int
	fatal    error
	yield    bool
	switches uint64        // context switches (each runs one extra SC)
	idle     time.Duration // time spent sleeping with every thread blocked
}

// cpuState is a thread's user register state while it is not on the hart.
type cpuState struct {
	X    [64]uint64 // as riscv.Hart.X (x0..x31 plus the write sink)
	F    [32]uint64
	PC   uint64
	Fcsr uint64
}

// thread is one guest thread: registers plus kernel-side state.
type thread struct {
	tid      int
	c        cpuState
	clearTID uint64
	sigmask  uint64
	altstack [3]uint64

	// Blocking state: a blocked thread sits at its ECALL until finish.
	blocked   bool
	deadline  time.Time // zero: none
	onTimeout int64
	retry     func() (int64, bool) // re-evaluated when kicked
	kicked    bool
	futexAddr uint64
	inEpoll   bool
}

// ErrDeadlock is returned when every guest thread is blocked forever.
var ErrDeadlock = errors.New("all guest threads are blocked with no timeout (deadlock)")

// New loads the static riscv64 ELF executable prog into a new process.
func New(prog []byte, cfg Config) (*Process, error) {
	if len(cfg.Args) == 0 {
		cfg.Args = []string{"a.out"}
	}
	if cfg.NumCPU <= 0 {
		cfg.NumCPU = 2
	}
	if cfg.TimeSlice <= 0 {
		cfg.TimeSlice = 20000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := &Process{cfg: cfg, log: cfg.Logger, bus: riscv.NewBus(),
		futexQ: map[uint64][]*thread{}, rlimits: map[uint32][2]uint64{}, umask: 0o022, start: time.Now()}
	p.as = &addrSpace{bus: p.bus}
	exe, err := filepath.Abs(cfg.Args[0])
	if err != nil {
		exe = cfg.Args[0]
	}
	p.exe = exe
	img, err := loadELF(p.as, prog)
	if err != nil {
		return nil, err
	}
	p.img = img
	p.as.brkBase = pageUp(img.brk)
	p.as.brk = p.as.brkBase
	// The trap page: any exception in U-mode enters M-mode here and stops
	// Run with StopWFI, which the scheduler reports as a fatal signal.
	if err := p.as.ensureBacked(trapPage, trapPage+pageSize, false); err != nil {
		return nil, err
	}
	p.bus.Write(trapPage, 4, 0x10500073)           // wfi
	p.bus.Write(trapPage+clearResv, 4, 0x1802b02f) // sc.d zero, zero, (t0)
	if err := p.as.mapFixed(stackTop-stackSize, stackTop, false); err != nil {
		return nil, err
	}
	var rnd [16]byte
	rand.Read(rnd[:])
	auxv := [][2]uint64{
		{atPhdr, img.phdr}, {atPhent, img.phent}, {atPhnum, img.phnum}, {atPagesz, pageSize},
		{atBase, 0}, {atFlags, 0}, {atEntry, img.entry},
		{atUID, uint64(os.Getuid())}, {atEUID, uint64(os.Geteuid())},
		{atGID, uint64(os.Getgid())}, {atEGID, uint64(os.Getegid())},
		{atHwcap, hwcapIMAFDC}, {atClktck, 100}, {atSecure, 0},
	}
	stk, sp := buildStack(stackTop, cfg.Args, cfg.Env, auxv, rnd, cfg.Args[0])
	if uint64(len(stk)) > stackSize/2 {
		return nil, fmt.Errorf("arguments and environment too large (%d bytes)", len(stk))
	}
	if err := p.as.write(sp, stk); err != nil {
		return nil, err
	}
	if cfg.Trace != nil {
		p.trace = bufio.NewWriterSize(cfg.Trace, 64<<10)
	}
	p.pid = os.Getpid()
	p.nextTID = p.pid + 1
	p.cpu = p.newHart()
	t := &thread{tid: p.pid}
	t.c.PC = img.entry
	t.c.X[2] = sp
	p.addThread(t)
	if err := p.initFiles(); err != nil {
		return nil, err
	}
	return p, nil
}

// newHart returns a hart set up for user mode: U-mode, PMP granting
// everything, FP enabled, counters readable, traps to the trap page.
func (p *Process) newHart() *riscv.Hart {
	cfg := riscv.Config{UserEcall: true, Time: p.mtime}
	if p.trace != nil {
		cfg.Trace = p.traceInsn
	}
	h := riscv.NewHart(p.bus, cfg)
	h.Priv = riscv.PrivU
	h.SetCSR(riscv.CSRPmpaddr0, ^uint64(0)>>10)
	h.SetCSR(riscv.CSRPmpcfg0, 0x1f)
	h.SetCSR(riscv.CSRMtvec, trapPage)
	h.SetCSR(riscv.CSRMcounteren, 7)
	h.SetCSR(riscv.CSRScounteren, 7)
	h.SetCSR(riscv.CSRMstatus, 1<<13) // FS = initial
	return h
}

// mtime is the guest timer (rdtime): 10 MHz since the process started.
func (p *Process) mtime() uint64 { return uint64(time.Since(p.start) / 100) }

func (p *Process) traceInsn(h *riscv.Hart, pc uint64, in riscv.Inst) {
	if pc == trapPage+clearResv {
		return // the context-switch SC is not the guest's
	}
	tid := 0
	if p.last != nil {
		tid = p.last.tid
	}
	fmt.Fprintf(p.trace, "%d %016x %s\n", tid, pc, riscv.Disasm(in, pc))
}

func (p *Process) addThread(t *thread) {
	p.threads = append(p.threads, t)
}

// Instret returns the instructions retired by all guest threads.
func (p *Process) Instret() uint64 {
	return p.cpu.Instret() - p.switches
}

// Idle returns the time Run spent asleep because every thread was blocked.
func (p *Process) Idle() time.Duration { return p.idle }

// Run runs the guest until it exits and returns its exit status. An error
// means the emulation itself failed (a fatal guest fault, a deadlock, ctx).
func (p *Process) Run(ctx context.Context) (int, error) {
	defer p.flushTrace()
	pass := 0
	for !p.exited {
		pass++
		if pass%64 == 0 && ctx.Err() != nil {
			return -1, ctx.Err()
		}
		now := time.Now()
		runnable := 0
		var earliest time.Time
		for _, t := range p.threads {
			if t.blocked {
				p.poll(t, now)
			}
			if !t.blocked {
				runnable++
			} else if !t.deadline.IsZero() && (earliest.IsZero() || t.deadline.Before(earliest)) {
				earliest = t.deadline
			}
		}
		if runnable == 0 {
			if earliest.IsZero() {
				return -1, ErrDeadlock
			}
			t0 := time.Now()
			tm := time.NewTimer(time.Until(earliest))
			select {
			case <-ctx.Done():
				tm.Stop()
				return -1, ctx.Err()
			case <-tm.C:
			}
			p.idle += time.Since(t0)
			continue
		}
		slice := p.cfg.TimeSlice
		if runnable == 1 {
			slice *= 10
		}
		for i := 0; i < len(p.threads) && !p.exited; i++ {
			t := p.threads[i]
			if t.blocked {
				continue
			}
			p.step(t, slice)
		}
	}
	if p.fatal != nil {
		return p.exitCode, p.fatal
	}
	return p.exitCode, nil
}

// poll wakes a blocked thread whose wait condition may have changed or
// whose deadline has passed.
func (p *Process) poll(t *thread, now time.Time) {
	if t.kicked {
		t.kicked = false
		if t.retry != nil {
			if r, ok := t.retry(); ok {
				p.finish(t, r)
				return
			}
		}
	}
	if !t.deadline.IsZero() && !now.Before(t.deadline) {
		r := t.onTimeout
		if t.retry != nil {
			if v, ok := t.retry(); ok {
				r = v
			}
		}
		p.finish(t, r)
	}
}

// step runs one thread for a time slice and handles why it stopped.
func (p *Process) step(t *thread, slice int64) {
	p.yield = false
	h := p.cpu
	if p.last != t {
		// A context switch: drop the previous thread's LR reservation (as
		// Linux does on every trap return) by running one SC on the trap
		// page, so the next thread's SC cannot succeed on it.
		h.X[5], h.PC = trapPage+0x800, trapPage+clearResv
		h.Run(1)
		p.switches++
		p.last = t
	}
	h.X, h.F, h.PC = t.c.X, t.c.F, t.c.PC
	h.SetCSR(riscv.CSRFcsr, t.c.Fcsr)
	stop := h.Run(slice)
	t.c.X, t.c.F, t.c.PC = h.X, h.F, h.PC
	t.c.Fcsr, _ = h.CSR(riscv.CSRFcsr)
	switch stop {
	case riscv.StopEcall:
		p.syscall(t)
	case riscv.StopWFI, riscv.StopHalt:
		if h.Priv == riscv.PrivM {
			p.fault(t)
		}
	}
}

// Guest exceptions are not delivered as signals: they end the process like
// an unhandled SIGSEGV/SIGILL/SIGBUS would.
func (p *Process) fault(t *thread) {
	cause, _ := p.cpu.CSR(riscv.CSRMcause)
	epc, _ := p.cpu.CSR(riscv.CSRMepc)
	tval, _ := p.cpu.CSR(riscv.CSRMtval)
	sig := 11 // SIGSEGV
	switch cause {
	case riscv.CauseIllegalInst:
		sig = 4
	case riscv.CauseBreakpoint:
		sig = 5
	case riscv.CauseMisalignedLoad, riscv.CauseMisalignedStore, riscv.CauseMisalignedFetch:
		sig = 7
	}
	p.fatal = fmt.Errorf("guest thread %d: exception %d at pc %#x (tval %#x): fatal signal %d (signal delivery is not emulated)",
		t.tid, cause, epc, tval, sig)
	p.exit(128 + sig)
}

func (p *Process) exit(code int) {
	p.exited = true
	p.exitCode = code
}

func (p *Process) flushTrace() {
	if p.trace != nil {
		p.trace.Flush()
	}
}

// finish completes a blocked thread's system call with result r.
func (p *Process) finish(t *thread, r int64) {
	if t.futexAddr != 0 {
		q := p.futexQ[t.futexAddr]
		for i, w := range q {
			if w == t {
				q = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(p.futexQ, t.futexAddr)
		} else {
			p.futexQ[t.futexAddr] = q
		}
		t.futexAddr = 0
	}
	t.blocked, t.kicked, t.retry, t.inEpoll = false, false, nil, false
	t.deadline = time.Time{}
	t.c.X[10] = uint64(r)
	t.c.PC += 4
}

// block suspends t in its current system call until finish is called, its
// retry function succeeds after a kick, or the deadline (if not zero)
// passes, which completes the call with onTimeout.
func (p *Process) block(t *thread, deadline time.Time, onTimeout int64, retry func() (int64, bool)) {
	t.blocked, t.deadline, t.onTimeout, t.retry = true, deadline, onTimeout, retry
	p.yield = true
}

// removeThread ends one thread (exit, or the process ending).
func (p *Process) removeThread(t *thread) {
	for i, x := range p.threads {
		if x == t {
			p.threads = append(p.threads[:i:i], p.threads[i+1:]...)
			break
		}
	}
	if p.last == t {
		p.last = nil
	}
}

func strErr(err error) string {
	if err == nil {
		return ""
	}
	return strings.TrimSpace(err.Error())
}
