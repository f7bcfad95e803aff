package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseScript(t *testing.T) {
	for _, tc := range []struct {
		cmdline string
		want    []string
		found   bool
	}{
		{"console=ttyS0 earlycon=sbi", nil, false},
		{"console=ttyS0 strata.script=uname%20-a;nproc;cat%20/proc/cpuinfo\n", []string{"uname -a", "nproc", "cat /proc/cpuinfo"}, true},
		{`console=ttyS0 strata.script="uname -a;nproc" quiet`, []string{"uname -a", "nproc"}, true},
		{"strata.script=echo%20a%3Bb;;echo%20100%25 x=1", []string{"echo a;b", "echo 100%"}, true},
		{"strata.script=", nil, true},
		{"strata.script=echo%20one strata.script=echo%20two", []string{"echo two"}, true},
		{"xstrata.script=echo", nil, false},
		{"strata.script=write%20/tmp/f%20'a%20b'", []string{"write /tmp/f 'a b'"}, true},
	} {
		got, found, err := ParseScript(tc.cmdline)
		if err != nil || found != tc.found || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseScript(%q) = %q, %v, %v; want %q, %v", tc.cmdline, got, found, err, tc.want, tc.found)
		}
	}
	if _, _, err := ParseScript("strata.script=echo%zz"); err == nil {
		t.Error("bad percent escape accepted")
	}
}

func TestTokenize(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"echo  a\tb ", []string{"echo", "a", "b"}},
		{`write f 'a  b' "c \"d\" \\" e\ f`, []string{"write", "f", "a  b", `c "d" \`, "e f"}},
		{`echo ''`, []string{"echo", ""}},
		{"echo a # comment", []string{"echo", "a"}},
		{"echo a#b", []string{"echo", "a#b"}},
		{"ls\r", []string{"ls"}},
	} {
		got, err := Tokenize(tc.line)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Tokenize(%q) = %q, %v; want %q", tc.line, got, err, tc.want)
		}
	}
	for _, bad := range []string{`echo 'a`, `echo "a`, `echo a\`} {
		if _, err := Tokenize(bad); err == nil {
			t.Errorf("Tokenize(%q) accepted", bad)
		}
	}
}

func TestCountCPUs(t *testing.T) {
	for in, want := range map[string]int{"0\n": 1, "0-1\n": 2, "0-3,5,7-8": 7, "0-7": 8} {
		if got, err := CountCPUs(in); err != nil || got != want {
			t.Errorf("CountCPUs(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "3-1", "0-"} {
		if _, err := CountCPUs(bad); err == nil {
			t.Errorf("CountCPUs(%q) accepted", bad)
		}
	}
}

func TestFormatKmsg(t *testing.T) {
	for in, want := range map[string]string{
		"6,1,0,-;Linux version 6.1\n":                   "[    0.000000] Linux version 6.1",
		"4,212,1234567,-;virtio: hello\n SUBSYSTEM=x\n": "[    1.234567] virtio: hello",
		"6,5,12345678901,c;long ago":                    "[12345.678901] long ago",
		"garbage":                                       "garbage",
	} {
		if got := FormatKmsg(in); got != want {
			t.Errorf("FormatKmsg(%q) = %q; want %q", in, got, want)
		}
	}
}

func testShell(t *testing.T) (*Shell, *bytes.Buffer, string) {
	dir := t.TempDir()
	var out bytes.Buffer
	s := NewShell(&out, strings.NewReader(""))
	s.CPUs = filepath.Join(dir, "online")
	s.Hwrng = filepath.Join(dir, "hwrng")
	s.Cmdline = filepath.Join(dir, "cmdline")
	s.PowerOff = func() error { out.WriteString("<poweroff>\n"); return nil }
	s.Reboot = func() error { return errors.New("no") }
	os.WriteFile(s.CPUs, []byte("0-1\n"), 0o644)
	os.WriteFile(s.Hwrng, []byte{0xde, 0xad, 0xbe, 0xef, 1, 2}, 0o644)
	return s, &out, dir
}

func TestBuiltins(t *testing.T) {
	s, out, dir := testShell(t)
	f := filepath.Join(dir, "f")
	run := func(line string, wantStatus int, want string) {
		t.Helper()
		out.Reset()
		if st := s.Run(line); st != wantStatus || out.String() != want {
			t.Errorf("%q: status %d, output %q; want %d, %q", line, st, out.String(), wantStatus, want)
		}
	}
	run("echo hello   world", 0, "hello world\n")
	run("echo", 0, "\n")
	run("", 0, "")
	run("write "+f+" a 'b  c'", 0, "")
	run("cat "+f, 0, "a b  c\n")
	run("sha256sum "+f, 0, "3fa9210b646641a6b6dd4f1a5ab89f4bc325af9bcd201634eb378588f96c362f  "+f+"\n")
	run("mkdir -p "+dir+"/x/y", 0, "")
	fi, err := os.Stat(dir + "/x/y")
	if err != nil {
		t.Fatal(err)
	}
	run("ls "+dir+"/x", 0, fmt.Sprintf("drwxr-xr-x %8d y\n", fi.Size()))
	run("nproc", 0, "2\n")
	run("hwrng 4", 0, "deadbeef\n")
	run("hwrng 0", 1, "hwrng: bad count \"0\"\n")
	run("cat /nonexistent", 1, "cat: open /nonexistent: no such file or directory\n")
	run("frobnicate", 127, "sh: frobnicate: not found\n")
	run("echo 'open", 2, "sh: unterminated '\n")
	run("sleep 0.01", 0, "")
	run("reboot", 1, "reboot: no\n")
	run("uname", 0, "Linux\n")
	out.Reset()
	if st := s.Run("help"); st != 0 || !strings.Contains(out.String(), "run-script") {
		t.Errorf("help: %d %q", st, out.String())
	}
	out.Reset()
	if st := s.Run("date"); st != 0 || !strings.Contains(out.String(), " UTC ") {
		t.Errorf("date: %d %q", st, out.String())
	}
	// External programs get the shell's output, and it is newline-terminated.
	if _, err := os.Stat("/bin/printf"); err == nil {
		run("/bin/printf abc", 0, "abc\n")
		run("/bin/sh -c 'exit 3'", 3, "")
	}
}

func TestRunScript(t *testing.T) {
	s, out, dir := testShell(t)
	f := filepath.Join(dir, "g")
	os.WriteFile(s.Cmdline, []byte("console=ttyS0 strata.script=nproc;write%20"+f+"%20hi;cat%20"+f+";false-cmd;run-script\n"), 0o644)
	s.finishScript(s.RunScript())
	want := "# nproc\n2\n# write " + f + " hi\n# cat " + f + "\nhi\n# false-cmd\nsh: false-cmd: not found\n" +
		"# run-script\nrun-script: not inside a script\n" + ScriptDone + ", 2 failed\nstrata guest: powering off\n<poweroff>\n"
	if out.String() != want {
		t.Errorf("script output:\n%s\nwant:\n%s", out, want)
	}
	out.Reset()
	os.WriteFile(s.Cmdline, []byte("console=ttyS0\n"), 0o644)
	s.Run("run-script")
	if !strings.Contains(out.String(), "no strata.script= on the kernel command line") || !strings.Contains(out.String(), "<poweroff>") {
		t.Errorf("run-script without a script: %q", out.String())
	}
}

func TestInteract(t *testing.T) {
	s, out, _ := testShell(t)
	s.Interact(strings.NewReader("echo one\r\nnproc\n\n"))
	if want := "# one\n# 2\n# # "; out.String() != want {
		t.Errorf("session %q, want %q", out.String(), want)
	}
}
