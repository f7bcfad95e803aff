// Command mkcpio writes a newc cpio archive (gzip'd when the output name ends
// in .gz) for use as a Linux initramfs. Entries are written in the order they
// are given; missing parent directories are added (mode 0755) before them.
// Everything is owned by root with modification time 0, so the output depends
// only on the inputs.
//
//	mkcpio -o initramfs.cpio.gz -dir proc -node dev/console=c:5:1:0600 \
//	       -file init=path/to/init:0755 -symlink bin/sh=/init
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"strata/guest/cpio"
)

type op struct{ kind, arg string }

type opList struct {
	kind string
	ops  *[]op
}

func (l opList) String() string     { return "" }
func (l opList) Set(s string) error { *l.ops = append(*l.ops, op{l.kind, s}); return nil }

func main() {
	var ops []op
	out := flag.String("o", "", "output file (gzip-compressed if it ends in .gz)")
	flag.Var(opList{"dir", &ops}, "dir", "directory `NAME[:MODE]`")
	flag.Var(opList{"file", &ops}, "file", "regular file `NAME=SRC[:MODE]` (MODE defaults to SRC's)")
	flag.Var(opList{"node", &ops}, "node", "device node `NAME=c|b:MAJOR:MINOR[:MODE]`")
	flag.Var(opList{"symlink", &ops}, "symlink", "symbolic link `NAME=TARGET`")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	data, err := build(ops)
	if err == nil && strings.HasSuffix(*out, ".gz") {
		data, err = gz(data)
	}
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkcpio:", err)
		os.Exit(1)
	}
}

func gz(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func parseMode(s string) (uint32, error) {
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o7777 {
		return 0, fmt.Errorf("bad mode %q", s)
	}
	return uint32(m), nil
}

// build returns the uncompressed archive for ops.
func build(ops []op) ([]byte, error) {
	var buf bytes.Buffer
	w := cpio.NewWriter(&buf)
	dirs := map[string]bool{}
	parents := func(name string) error {
		var missing []string
		for d := path.Dir(name); d != "." && d != "/" && !dirs[d]; d = path.Dir(d) {
			missing = append(missing, d)
		}
		for i := len(missing) - 1; i >= 0; i-- {
			dirs[missing[i]] = true
			if err := w.AddDir(missing[i], 0o755); err != nil {
				return err
			}
		}
		return nil
	}
	for _, o := range ops {
		name, rest, _ := strings.Cut(o.arg, "=")
		if o.kind == "dir" {
			name, rest, _ = strings.Cut(o.arg, ":")
		}
		name = path.Clean(strings.TrimPrefix(name, "/"))
		if name == "." || name == "" {
			return nil, fmt.Errorf("-%s %q: no name", o.kind, o.arg)
		}
		if err := parents(name); err != nil {
			return nil, err
		}
		var err error
		switch o.kind {
		case "dir":
			mode := uint32(0o755)
			if rest != "" {
				if mode, err = parseMode(rest); err != nil {
					return nil, err
				}
			}
			dirs[name] = true
			err = w.AddDir(name, mode)
		case "file":
			src, modeStr, hasMode := cutLast(rest, ":")
			if !hasMode {
				src = rest
			}
			var data []byte
			var fi os.FileInfo
			if data, err = os.ReadFile(src); err != nil {
				return nil, err
			}
			if fi, err = os.Stat(src); err != nil {
				return nil, err
			}
			mode := uint32(fi.Mode().Perm())
			if hasMode {
				if mode, err = parseMode(modeStr); err != nil {
					return nil, err
				}
			}
			err = w.AddFile(name, mode, data)
		case "node":
			f := strings.Split(rest, ":")
			if len(f) < 3 || len(f) > 4 || (f[0] != "c" && f[0] != "b") {
				return nil, fmt.Errorf("-node %q: want NAME=c|b:MAJOR:MINOR[:MODE]", o.arg)
			}
			typ := uint32(cpio.TypeChar)
			if f[0] == "b" {
				typ = cpio.TypeBlk
			}
			maj, err1 := strconv.ParseUint(f[1], 10, 32)
			min, err2 := strconv.ParseUint(f[2], 10, 32)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("-node %q: bad device number", o.arg)
			}
			mode := uint32(0o600)
			if len(f) == 4 {
				if mode, err = parseMode(f[3]); err != nil {
					return nil, err
				}
			}
			err = w.AddDevice(name, typ, mode, uint32(maj), uint32(min))
		case "symlink":
			if rest == "" {
				return nil, fmt.Errorf("-symlink %q: no target", o.arg)
			}
			err = w.AddSymlink(name, rest)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// cutLast splits s around the last sep, if the part after it looks like an
// octal mode (so source paths may contain ':').
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	if _, err := parseMode(s[i+1:]); err != nil {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}
