package main

// Benchmark builtins for bench/vmcmp (make bench-vm). Each prints
//
//	strata-bench NAME start
//
// immediately before its timed section, so that the host can also time it by
// wall clock between console lines, and then one result line
//
//	strata-bench NAME key=value …
//
// with ms= (the timed section's length by the guest's own clock) and sum=
// (a checksum of the work, identical on every correct machine); bench-blk
// prints its checksum, of the device's first MiB, on a following line
// "strata-bench blk-check sum=…" as it is computed after the timed section.

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// This file's name sorts after shell.go, whose init creates the map.
func init() {
	builtins["bench-sha256"] = builtin{"bench-sha256 MIB [FILE]  (write MIB MiB of pseudo-random data to FILE, default /tmp/bench.dat, then time sha256 over the file)", (*Shell).benchSHA256}
	builtins["bench-int"] = builtin{"bench-int N  (time an N-iteration integer loop: xorshift, multiply, rotate)", (*Shell).benchInt}
	builtins["bench-sort"] = builtin{"bench-sort N  (time sorting N pseudo-random uint32s)", (*Shell).benchSort}
	builtins["bench-blk"] = builtin{"bench-blk DEVICE MIB  (time reading MIB MiB sequentially, O_DIRECT in 1 MiB requests)", (*Shell).benchBlk}
}

func benchCount(arg string, max uint64) (uint64, error) {
	n, err := strconv.ParseUint(arg, 10, 64)
	if err != nil || n == 0 || n > max {
		return 0, fmt.Errorf("bad count %q (1..%d)", arg, max)
	}
	return n, nil
}

func ms(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1e3, 'f', 3, 64) }

func mbps(bytes uint64, d time.Duration) string {
	return strconv.FormatFloat(float64(bytes)/1e6/d.Seconds(), 'f', 2, 64)
}

// fillRandom fills b with a xorshift64 stream (deterministic for a seed).
func fillRandom(b []byte, x uint64) uint64 {
	for i := 0; i+8 <= len(b); i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		binary.LittleEndian.PutUint64(b[i:], x)
	}
	return x
}

func (s *Shell) benchSHA256(w io.Writer, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: bench-sha256 MIB [FILE]")
	}
	mib, err := benchCount(args[0], 1<<12)
	if err != nil {
		return err
	}
	path := "/tmp/bench.dat"
	if len(args) == 2 {
		path = args[1]
	}
	t0 := time.Now()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	x := uint64(0x9E3779B97F4A7C15)
	for i := uint64(0); i < mib; i++ {
		x = fillRandom(buf, x)
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	gen := time.Since(t0)

	fmt.Fprintln(w, "strata-bench sha256 start")
	t0 = time.Now()
	f, err = os.Open(path)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, f, buf)
	f.Close()
	d := time.Since(t0)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "strata-bench sha256 bytes=%d ms=%s mbps=%s gen_ms=%s sum=%x\n", n, ms(d), mbps(uint64(n), d), ms(gen), h.Sum(nil))
	return err
}

// IntLoop is bench-int's kernel.
func IntLoop(n uint64) uint64 {
	x, acc := uint64(0x9E3779B97F4A7C15), uint64(1)
	for i := uint64(0); i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		acc = bits.RotateLeft64(acc+x*(i|1), 7)
	}
	return acc
}

func (s *Shell) benchInt(w io.Writer, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: bench-int N")
	}
	n, err := benchCount(args[0], 1<<40)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "strata-bench int start")
	t0 := time.Now()
	sum := IntLoop(n)
	d := time.Since(t0)
	_, err = fmt.Fprintf(w, "strata-bench int n=%d ms=%s mops=%s sum=%016x\n", n, ms(d),
		strconv.FormatFloat(float64(n)/1e6/d.Seconds(), 'f', 2, 64), sum)
	return err
}

// SortSum sorts n pseudo-random uint32s and returns a position-weighted
// checksum of the result.
func SortSum(n uint64) uint64 {
	v := make([]uint32, n)
	x := uint64(0x2545F4914F6CDD1D)
	for i := range v {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		v[i] = uint32(x >> 32)
	}
	slices.Sort(v)
	var sum uint64
	for i, e := range v {
		sum = sum*31 + uint64(e) ^ uint64(i)
	}
	return sum
}

func (s *Shell) benchSort(w io.Writer, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: bench-sort N")
	}
	n, err := benchCount(args[0], 1<<28)
	if err != nil {
		return err
	}
	// The input is generated inside SortSum; at a few instructions per
	// element that is small next to the n·log n sort.
	fmt.Fprintln(w, "strata-bench sort start")
	t0 := time.Now()
	sum := SortSum(n)
	d := time.Since(t0)
	_, err = fmt.Fprintf(w, "strata-bench sort n=%d ms=%s sum=%016x\n", n, ms(d), sum)
	return err
}

func (s *Shell) benchBlk(w io.Writer, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: bench-blk DEVICE MIB")
	}
	mib, err := benchCount(args[1], 1<<20)
	if err != nil {
		return err
	}
	const req = 1 << 20
	direct := 1
	fd, err := syscall.Open(args[0], syscall.O_RDONLY|syscall.O_DIRECT|syscall.O_CLOEXEC, 0)
	if err == syscall.EINVAL { // no O_DIRECT here: plain large reads
		direct = 0
		fd, err = syscall.Open(args[0], syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: args[0], Err: err}
	}
	defer syscall.Close(fd)
	// O_DIRECT needs an aligned buffer: an anonymous mapping is page-aligned.
	buf, err := syscall.Mmap(-1, 0, req, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return err
	}
	defer syscall.Munmap(buf)
	want := mib << 20
	fmt.Fprintln(w, "strata-bench blk start")
	t0 := time.Now()
	var total uint64
	for total < want {
		n, err := syscall.Read(fd, buf[:min(uint64(req), want-total)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("read at %d: %v", total, err)
		}
		if n == 0 {
			return fmt.Errorf("%s: only %d bytes (want %d MiB)", args[0], total, mib)
		}
		total += uint64(n)
	}
	d := time.Since(t0)
	fmt.Fprintf(w, "strata-bench blk bytes=%d ms=%s mbps=%s direct=%d\n", total, ms(d), mbps(total, d), direct)
	// Untimed: a checksum of the first MiB, for the host to verify.
	n, err := syscall.Pread(fd, buf[:min(uint64(req), want)], 0)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "strata-bench blk-check sum=%x\n", sha256.Sum256(buf[:n]))
	return err
}
