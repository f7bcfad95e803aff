// Command goroutines runs concurrent workers with channels, a WaitGroup, a
// mutex, atomics, select and timers; its output does not depend on timing.
package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func main() {
	runtime.GOMAXPROCS(2)
	jobs := make(chan int)
	results := make(chan [2]int, 16)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- [2]int{j, fib(j % 22)}
			}
		}()
	}
	go func() {
		for i := 0; i < 300; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	go func() { wg.Wait(); close(results) }()
	sum := map[int]int{}
	for r := range results {
		sum[r[0]%10] += r[1]
	}
	fmt.Println("fib sums", sum)

	var mu sync.Mutex
	var counter int
	var acount atomic.Int64
	var wg2 sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg2.Add(1)
		go func(g int) {
			defer wg2.Done()
			for i := 0; i < 2000; i++ {
				mu.Lock()
				counter += g
				mu.Unlock()
				acount.Add(int64(i))
				if i%500 == 0 {
					runtime.Gosched()
				}
			}
		}(g)
	}
	wg2.Wait()
	fmt.Println("counter", counter, acount.Load())

	// A pipeline of unbuffered stages.
	src := make(chan int)
	go func() {
		for i := 1; i <= 1000; i++ {
			src <- i
		}
		close(src)
	}()
	sq := make(chan int)
	go func() {
		for v := range src {
			sq <- v * v
		}
		close(sq)
	}()
	total := 0
	for v := range sq {
		total += v
	}
	fmt.Println("pipeline", total)

	// Timers and select.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	tick := time.NewTicker(2 * time.Millisecond)
	ticks := 0
loop:
	for {
		select {
		case <-tick.C:
			ticks++
			if ticks == 5 {
				break loop
			}
		case <-ctx.Done():
			break loop
		}
	}
	tick.Stop()
	start := time.Now()
	time.Sleep(10 * time.Millisecond)
	fmt.Println("ticks>=1", ticks >= 1, "slept>=10ms", time.Since(start) >= 10*time.Millisecond)

	// sync.Once, sync.Cond, and a buffered semaphore.
	var once sync.Once
	var cond = sync.NewCond(&sync.Mutex{})
	ready := 0
	sem := make(chan struct{}, 3)
	var wg3 sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg3.Add(1)
		go func() {
			defer wg3.Done()
			sem <- struct{}{}
			once.Do(func() { fmt.Println("once") })
			cond.L.Lock()
			ready++
			cond.Broadcast()
			cond.L.Unlock()
			<-sem
		}()
	}
	cond.L.Lock()
	for ready < 10 {
		cond.Wait()
	}
	cond.L.Unlock()
	wg3.Wait()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Println("ready", ready, "gc ran", ms.NumGC > 0)
}
