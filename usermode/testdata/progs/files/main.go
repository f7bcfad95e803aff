// Command files exercises file I/O through the emulated system calls:
// create, write, stat, read, seek, rename, readdir, remove; then panics
// and recovers, writes to stderr and exits with status 3.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	dir, err := os.MkdirTemp("", "strata-files-")
	if err != nil {
		fmt.Println("mkdirtemp:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "a.txt")
	var sb strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&sb, "line %d %x\n", i, i*7919)
	}
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		fmt.Println("write:", err)
	}
	st, err := os.Stat(p)
	fmt.Println("stat", st.Size(), st.Mode().IsRegular(), err)
	f, _ := os.Open(p)
	sc := bufio.NewScanner(f)
	n, last := 0, ""
	for sc.Scan() {
		n++
		last = sc.Text()
	}
	fmt.Println("lines", n, last)
	off, err := f.Seek(-12, io.SeekEnd)
	buf := make([]byte, 12)
	io.ReadFull(f, buf)
	fmt.Printf("seek %d %q %v\n", off, buf, err)
	f.Close()
	if err := os.Rename(p, filepath.Join(dir, "b.txt")); err != nil {
		fmt.Println("rename:", err)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "c"), []byte("c"), 0o600)
	var names []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, path)
		names = append(names, rel+fmt.Sprint(d.IsDir()))
		return nil
	})
	sort.Strings(names)
	fmt.Println("walk", names)
	_, err = os.Stat(filepath.Join(dir, "missing"))
	fmt.Println("missing", errors.Is(err, fs.ErrNotExist))
	exe, err := os.Executable()
	fmt.Println("executable", filepath.Base(exe), err == nil)
	wd, err := os.Getwd()
	fmt.Println("getwd", wd != "", err)
	fmt.Println("args", len(os.Args), os.Args[1:])
	fmt.Println("env", os.Getenv("STRATA_TEST_VAR"))

	func() {
		defer func() { fmt.Println("recovered:", recover()) }()
		var a []int
		i := len(os.Args) + 5
		fmt.Println(a[i])
	}()
	func() {
		defer func() { fmt.Println("recovered:", recover()) }()
		z := len(os.Args) - len(os.Args)
		fmt.Println(10 / z)
	}()
	fmt.Fprintln(os.Stderr, "to stderr")
	os.Exit(3)
}
