package vm

import (
	"context"
	"sync"
	"time"

	"strata/riscv"
)

// core is what every board shares: its harts, the run loop that drives
// them round-robin in slices, and the bookkeeping of how the run ended.
type core struct {
	harts   []*riscv.Hart
	wake    chan struct{} // device interrupts and console input wake an idle loop
	tracers []*tracer

	mu     sync.Mutex // guards done and result (and board state that says so)
	done   bool
	result Result
	start  time.Time
}

func newCore() core { return core{wake: make(chan struct{}, 1)} }

// boardHooks are the parts of the loop that differ between boards.
type boardHooks struct {
	runnable func(i int) bool                // nil: every hart runs
	before   func() (stop bool, err error)   // at each slice boundary (snapshots)
	tick     func()                          // timers and alarms, after each round
	idle     func(ctx context.Context) error // every hart waits in WFI
}

// sliceInsns is how many instructions a hart runs before the machine polls
// timers and switches harts.
const sliceInsns = 16384

// run drives the harts until the guest ends the run, the context is
// cancelled, maxInsns (0: no limit) instructions have retired, or a hook
// reports an error.
func (c *core) run(ctx context.Context, maxInsns uint64, hk boardHooks) (Result, error) {
	c.start = time.Now()
	defer func() {
		for _, t := range c.tracers {
			t.Flush()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return c.finalResult(), err
		}
		if hk.before != nil {
			if stop, err := hk.before(); stop {
				return c.finalResult(), err
			}
		}
		allWaiting := true
		for i, h := range c.harts {
			if hk.runnable != nil && !hk.runnable(i) {
				continue
			}
			budget := int64(sliceInsns)
			if maxInsns > 0 {
				left := int64(maxInsns - c.instret())
				if left <= 0 {
					c.mu.Lock()
					c.result.ExitCode = ExitInsnLimit
					c.mu.Unlock()
					return c.finalResult(), ErrInsnLimit
				}
				budget = min(budget, left)
			}
			if h.Run(budget) != riscv.StopWFI {
				allWaiting = false
			}
			if c.isDone() {
				return c.finalResult(), nil
			}
		}
		hk.tick()
		if allWaiting {
			if err := hk.idle(ctx); err != nil {
				return c.finalResult(), err
			}
		}
	}
}

// finish ends the run with an exit code (or a reset request); the first
// call wins.
func (c *core) finish(code int, reset bool) {
	c.mu.Lock()
	if !c.done {
		c.done = true
		c.result.ExitCode = code
		c.result.Reset = reset
	}
	c.mu.Unlock()
	for _, h := range c.harts {
		h.Halt()
	}
	c.kick()
}

// kick wakes an idle run loop.
func (c *core) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *core) isDone() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

func (c *core) instret() uint64 {
	var n uint64
	for _, h := range c.harts {
		n += h.Instret()
	}
	return n
}

func (c *core) finalResult() Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.result
	r.Instret = c.instret()
	r.Elapsed = time.Since(c.start)
	return r
}

// sleepUntil waits for d (forever if d < 0), a wake-up or the context.
func (c *core) sleepUntil(ctx context.Context, d time.Duration) {
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
	case <-c.wake:
	case <-ctx.Done():
	}
}
