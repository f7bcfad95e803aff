package usermode

import "syscall"

// sigState records signal dispositions. Signals are never delivered: a
// handler is recorded and reported back, tgkill/tkill/kill of a signal with
// a handler (Go's SIGURG preemption requests) is dropped, and one whose
// action is the default "terminate" ends the process with 128+sig.
type sigState struct {
	actions [65][3]uint64 // sa_handler, sa_flags, sa_mask
}

func (p *Process) sigaction(a [6]uint64) int64 {
	sig := a[0]
	if sig == 0 || sig > 64 || a[3] != 8 {
		return neg(syscall.EINVAL)
	}
	old := p.sig.actions[sig]
	if a[1] != 0 {
		if sig == 9 || sig == 19 {
			return neg(syscall.EINVAL)
		}
		var n [3]uint64
		for i := range n {
			v, err := p.as.u64(a[1] + 8*uint64(i))
			if err != nil {
				return neg(syscall.EFAULT)
			}
			n[i] = v
		}
		p.sig.actions[sig] = n
	}
	if a[2] != 0 {
		for i, v := range old {
			if p.as.put64(a[2]+8*uint64(i), v) != nil {
				return neg(syscall.EFAULT)
			}
		}
	}
	return 0
}

func (p *Process) sigprocmask(t *thread, a [6]uint64) int64 {
	old := t.sigmask
	if a[1] != 0 {
		set, err := p.as.u64(a[1])
		if err != nil {
			return neg(syscall.EFAULT)
		}
		switch a[0] {
		case 0: // SIG_BLOCK
			t.sigmask |= set
		case 1: // SIG_UNBLOCK
			t.sigmask &^= set
		case 2: // SIG_SETMASK
			t.sigmask = set
		default:
			return neg(syscall.EINVAL)
		}
		t.sigmask &^= 1<<(9-1) | 1<<(19-1)
	}
	if a[2] != 0 {
		if p.as.put64(a[2], old) != nil {
			return neg(syscall.EFAULT)
		}
	}
	return 0
}

// sigaltstack records stack_t {ss_sp, ss_flags (int + pad), ss_size}.
func (p *Process) sigaltstack(t *thread, a [6]uint64) int64 {
	old := t.altstack
	if old[2] == 0 {
		old[1] = 2 // SS_DISABLE
	}
	if a[0] != 0 {
		var n [3]uint64
		for i := range n {
			v, err := p.as.u64(a[0] + 8*uint64(i))
			if err != nil {
				return neg(syscall.EFAULT)
			}
			n[i] = v
		}
		if uint32(n[1])&2 != 0 {
			n = [3]uint64{}
		}
		t.altstack = n
	}
	if a[1] != 0 {
		for i, v := range old {
			if p.as.put64(a[1]+8*uint64(i), v) != nil {
				return neg(syscall.EFAULT)
			}
		}
	}
	return 0
}

// kill, tkill, tgkill.
func (p *Process) kill(t *thread, nr uint64, a [6]uint64) int64 {
	sig := a[1]
	if nr == sysTgkill {
		sig = a[2]
	}
	if sig == 0 {
		return 0
	}
	if sig > 64 {
		return neg(syscall.EINVAL)
	}
	h := p.sig.actions[sig][0]
	if h == 1 { // SIG_IGN
		return 0
	}
	if h == 0 {
		switch sig {
		case 17, 18, 23, 28: // SIGCHLD, SIGCONT, SIGURG, SIGWINCH: default is ignore
			return 0
		}
		p.log.Debug("usermode: signal with default action terminates the process", "sig", sig)
		p.exit(128 + int(sig))
		return 0
	}
	p.log.Debug("usermode: signal dropped (delivery not emulated)", "sig", sig, "tid", t.tid)
	return 0
}
