package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Banner is printed on the console once /proc, /sys and /dev are mounted.
const Banner = "strata guest: userspace up"

// Prompt is the interactive shell's prompt; script commands are echoed after
// it too, so a console log reads like an interactive session.
const Prompt = "# "

// ScriptParam is the kernel command-line parameter holding a script.
const ScriptParam = "strata.script"

// ParseScript extracts the commands of strata.script=… from a kernel command
// line (the contents of /proc/cmdline). The value is a list of commands
// separated by ';'; each command is then percent-decoded, so "%20" is a
// space, "%3B" a ';' and "%25" a '%'. The kernel's own quoting also works:
// strata.script="uname -a;nproc". found is false when the parameter is
// absent; the last occurrence wins.
func ParseScript(cmdline string) (cmds []string, found bool, err error) {
	for _, arg := range splitCmdline(cmdline) {
		val, ok := strings.CutPrefix(arg, ScriptParam+"=")
		if !ok {
			continue
		}
		found, cmds = true, nil
		for _, c := range strings.Split(val, ";") {
			d, err := url.PathUnescape(c)
			if err != nil {
				return nil, true, fmt.Errorf("%s: command %q: %v", ScriptParam, c, err)
			}
			if d = strings.TrimSpace(d); d != "" {
				cmds = append(cmds, d)
			}
		}
	}
	return cmds, found, nil
}

// splitCmdline splits a kernel command line as the kernel does
// (lib/cmdline.c next_arg): on spaces outside double quotes; the quotes are
// removed.
func splitCmdline(s string) []string {
	var args []string
	var cur strings.Builder
	inQuote, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote, have = !inQuote, true
		case (r == ' ' || r == '\t' || r == '\n') && !inQuote:
			if have {
				args = append(args, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		args = append(args, cur.String())
	}
	return args
}

// Tokenize splits a shell command line into words: whitespace separates
// words, single quotes quote literally, double quotes quote with backslash
// escapes for \" and \\, and a backslash outside quotes escapes the next
// character. A word starting with '#' begins a comment.
func Tokenize(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	have := false
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			if have {
				words = append(words, cur.String())
				cur.Reset()
				have = false
			}
		case r == '#' && !have:
			return words, nil
		case r == '\\':
			if i+1 >= len(rs) {
				return nil, errors.New("trailing backslash")
			}
			i++
			cur.WriteRune(rs[i])
			have = true
		case r == '\'':
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j >= len(rs) {
				return nil, errors.New("unterminated '")
			}
			cur.WriteString(string(rs[i+1 : j]))
			i, have = j, true
		case r == '"':
			i++
			for ; i < len(rs) && rs[i] != '"'; i++ {
				if rs[i] == '\\' && i+1 < len(rs) && (rs[i+1] == '"' || rs[i+1] == '\\') {
					i++
				}
				cur.WriteRune(rs[i])
			}
			if i >= len(rs) {
				return nil, errors.New("unterminated \"")
			}
			have = true
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		words = append(words, cur.String())
	}
	return words, nil
}

// Shell is the init's command interpreter. Its file paths are fields so that
// tests can point them at fixtures.
type Shell struct {
	Out     io.Writer
	In      io.Reader // for external commands
	Cmdline string    // path of the kernel command line (/proc/cmdline)
	CPUs    string    // path of the online-CPU list
	Kmsg    string
	Hwrng   string
	Mounts  string
	// PowerOff and Reboot end the machine; they return only on failure.
	PowerOff func() error
	Reboot   func() error
}

// NewShell returns a shell with the real system paths.
func NewShell(out io.Writer, in io.Reader) *Shell {
	return &Shell{
		Out: out, In: in,
		Cmdline:  "/proc/cmdline",
		CPUs:     "/sys/devices/system/cpu/online",
		Kmsg:     "/dev/kmsg",
		Hwrng:    "/dev/hwrng",
		Mounts:   "/proc/mounts",
		PowerOff: func() error { return reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF) },
		Reboot:   func() error { return reboot(syscall.LINUX_REBOOT_CMD_RESTART) },
	}
}

func reboot(cmd int) error {
	syscall.Sync()
	return syscall.Reboot(cmd)
}

// nlWriter remembers whether the last byte written was a newline.
type nlWriter struct {
	w       io.Writer
	any, nl bool
}

func (n *nlWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		n.any, n.nl = true, p[len(p)-1] == '\n'
	}
	return n.w.Write(p)
}

// Run executes one command line and returns its exit status. Output that
// does not end in a newline is terminated with one.
func (s *Shell) Run(line string) int {
	words, err := Tokenize(line)
	if err != nil {
		fmt.Fprintf(s.Out, "sh: %v\n", err)
		return 2
	}
	if len(words) == 0 {
		return 0
	}
	w := &nlWriter{w: s.Out}
	status := s.exec(w, words)
	if w.any && !w.nl {
		io.WriteString(s.Out, "\n")
	}
	return status
}

type builtin struct {
	usage string
	fn    func(s *Shell, w io.Writer, args []string) error
}

var builtins map[string]builtin

func init() {
	builtins = map[string]builtin{
		"echo":       {"echo [WORD…]", (*Shell).echo},
		"cat":        {"cat FILE…", (*Shell).cat},
		"ls":         {"ls [DIR|FILE…]", (*Shell).ls},
		"mount":      {"mount [-t TYPE] [-o OPTS] SOURCE DIR  (no arguments: list mounts)", (*Shell).mount},
		"uname":      {"uname [-a]", (*Shell).uname},
		"dmesg":      {"dmesg", (*Shell).dmesg},
		"sha256sum":  {"sha256sum FILE…", (*Shell).sha256sum},
		"mkdir":      {"mkdir [-p] DIR…", (*Shell).mkdir},
		"write":      {"write FILE TEXT…  (TEXT words joined by spaces, plus a newline)", (*Shell).write},
		"sleep":      {"sleep SECONDS", (*Shell).sleep},
		"date":       {"date", (*Shell).date},
		"nproc":      {"nproc", (*Shell).nproc},
		"hwrng":      {"hwrng [N]  (N bytes from /dev/hwrng in hex, default 16)", (*Shell).hwrng},
		"poweroff":   {"poweroff", func(s *Shell, w io.Writer, _ []string) error { return s.PowerOff() }},
		"reboot":     {"reboot", func(s *Shell, w io.Writer, _ []string) error { return s.Reboot() }},
		"run-script": {"run-script  (run strata.script from the kernel command line, then power off)", (*Shell).runScriptCmd},
		"help":       {"help", (*Shell).help},
	}
}

func (s *Shell) exec(w io.Writer, words []string) int {
	if b, ok := builtins[words[0]]; ok {
		if err := b.fn(s, w, words[1:]); err != nil {
			fmt.Fprintf(w, "%s: %v\n", words[0], err)
			return 1
		}
		return 0
	}
	// Not a builtin: run a program, if there is one.
	path, err := exec.LookPath(words[0])
	if err != nil {
		fmt.Fprintf(w, "sh: %s: not found\n", words[0])
		return 127
	}
	cmd := exec.Command(path, words[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.In, w, w
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintf(w, "sh: %s: %v\n", words[0], err)
		return 126
	}
	return 0
}

func (s *Shell) help(w io.Writer, _ []string) error {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintln(w, builtins[n].usage)
	}
	return nil
}

func (s *Shell) echo(w io.Writer, args []string) error {
	_, err := fmt.Fprintln(w, strings.Join(args, " "))
	return err
}

func (s *Shell) cat(w io.Writer, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: cat FILE…")
	}
	for _, a := range args {
		f, err := os.Open(a)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Shell) ls(w io.Writer, args []string) error {
	if len(args) == 0 {
		args = []string{"."}
	}
	for _, a := range args {
		fi, err := os.Lstat(a)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			fmt.Fprintf(w, "%s %8d %s\n", fi.Mode(), fi.Size(), a)
			continue
		}
		if len(args) > 1 {
			fmt.Fprintf(w, "%s:\n", a)
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return err
		}
		for _, e := range ents {
			info, err := e.Info()
			if err != nil {
				fmt.Fprintf(w, "?????????? %8s %s\n", "?", e.Name())
				continue
			}
			name := e.Name()
			if info.Mode()&os.ModeSymlink != 0 {
				if t, err := os.Readlink(a + "/" + name); err == nil {
					name += " -> " + t
				}
			}
			fmt.Fprintf(w, "%s %8d %s\n", info.Mode(), info.Size(), name)
		}
	}
	return nil
}

func (s *Shell) mount(w io.Writer, args []string) error {
	if len(args) == 0 {
		return s.cat(w, []string{s.Mounts})
	}
	fstype, opts := "", ""
	var rest []string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-t", "-o":
			if i+1 >= len(args) {
				return fmt.Errorf("%s needs an argument", args[i])
			}
			if args[i] == "-t" {
				fstype = args[i+1]
			} else {
				opts = args[i+1]
			}
			i++
		default:
			rest = append(rest, args[i])
		}
	}
	if len(rest) != 2 {
		return errors.New("usage: mount [-t TYPE] [-o OPTS] SOURCE DIR")
	}
	var flags uintptr
	var data []string
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "":
		case "ro":
			flags |= syscall.MS_RDONLY
		case "remount":
			flags |= syscall.MS_REMOUNT
		case "bind":
			flags |= syscall.MS_BIND
		case "nosuid":
			flags |= syscall.MS_NOSUID
		case "nodev":
			flags |= syscall.MS_NODEV
		case "noexec":
			flags |= syscall.MS_NOEXEC
		default:
			data = append(data, o)
		}
	}
	if fstype == "" {
		fstype = rest[0] // "mount proc /proc"
	}
	return syscall.Mount(rest[0], rest[1], fstype, flags, strings.Join(data, ","))
}

func (s *Shell) uname(w io.Writer, args []string) error {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return err
	}
	if len(args) == 1 && args[0] == "-a" {
		_, err := fmt.Fprintf(w, "%s %s %s %s %s\n", cstr(u.Sysname[:]), cstr(u.Nodename[:]), cstr(u.Release[:]), cstr(u.Version[:]), cstr(u.Machine[:]))
		return err
	}
	if len(args) != 0 {
		return errors.New("usage: uname [-a]")
	}
	_, err := fmt.Fprintln(w, cstr(u.Sysname[:]))
	return err
}

// cstr converts a NUL-terminated utsname field (int8 on some
// architectures, uint8 on others).
func cstr[T int8 | uint8](f []T) string {
	b := make([]byte, 0, len(f))
	for _, c := range f {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// FormatKmsg turns one /dev/kmsg record ("prio,seq,usec,flags;text") into
// a dmesg line "[    1.234567] text".
func FormatKmsg(rec string) string {
	rec = strings.TrimRight(rec, "\n")
	head, text, ok := strings.Cut(rec, ";")
	if !ok {
		return rec
	}
	if i := strings.IndexByte(text, '\n'); i >= 0 { // drop the dictionary lines
		text = text[:i]
	}
	f := strings.Split(head, ",")
	if len(f) < 3 {
		return text
	}
	us, err := strconv.ParseUint(f[2], 10, 64)
	if err != nil {
		return text
	}
	return fmt.Sprintf("[%5d.%06d] %s", us/1e6, us%1e6, text)
}

func (s *Shell) dmesg(w io.Writer, _ []string) error {
	fd, err := syscall.Open(s.Kmsg, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	buf := make([]byte, 8192) // one record per read
	for {
		n, err := syscall.Read(fd, buf)
		if err == syscall.EPIPE { // overwritten records: keep going
			continue
		}
		if err == syscall.EAGAIN || n == 0 {
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(w, FormatKmsg(string(buf[:n])))
	}
}

func (s *Shell) sha256sum(w io.Writer, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: sha256sum FILE…")
	}
	for _, a := range args {
		f, err := os.Open(a)
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%x  %s\n", h.Sum(nil), a)
	}
	return nil
}

func (s *Shell) mkdir(w io.Writer, args []string) error {
	parents := len(args) > 0 && args[0] == "-p"
	if parents {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("usage: mkdir [-p] DIR…")
	}
	for _, a := range args {
		var err error
		if parents {
			err = os.MkdirAll(a, 0o755)
		} else {
			err = os.Mkdir(a, 0o755)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Shell) write(w io.Writer, args []string) error {
	if len(args) < 1 {
		return errors.New("usage: write FILE TEXT…")
	}
	return os.WriteFile(args[0], []byte(strings.Join(args[1:], " ")+"\n"), 0o644)
}

func (s *Shell) sleep(w io.Writer, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: sleep SECONDS")
	}
	sec, err := strconv.ParseFloat(args[0], 64)
	if err != nil || sec < 0 {
		return fmt.Errorf("bad duration %q", args[0])
	}
	time.Sleep(time.Duration(sec * float64(time.Second)))
	return nil
}

func (s *Shell) date(w io.Writer, _ []string) error {
	_, err := fmt.Fprintln(w, time.Now().UTC().Format("Mon Jan _2 15:04:05 UTC 2006"))
	return err
}

// CountCPUs counts the CPUs in a kernel CPU list such as "0-1,3\n".
func CountCPUs(list string) (int, error) {
	list = strings.TrimSpace(list)
	if list == "" {
		return 0, errors.New("empty CPU list")
	}
	n := 0
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0, fmt.Errorf("bad CPU list %q", list)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0, fmt.Errorf("bad CPU list %q", list)
			}
		}
		n += b - a + 1
	}
	return n, nil
}

func (s *Shell) nproc(w io.Writer, _ []string) error {
	b, err := os.ReadFile(s.CPUs)
	if err != nil {
		return err
	}
	n, err := CountCPUs(string(b))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, n)
	return err
}

func (s *Shell) hwrng(w io.Writer, args []string) error {
	n := 16
	if len(args) == 1 {
		var err error
		if n, err = strconv.Atoi(args[0]); err != nil || n <= 0 || n > 1<<20 {
			return fmt.Errorf("bad count %q", args[0])
		}
	} else if len(args) > 1 {
		return errors.New("usage: hwrng [N]")
	}
	f, err := os.Open(s.Hwrng)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, n)
	if _, err := io.ReadFull(f, buf); err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, hex.EncodeToString(buf))
	return err
}

// RunScript runs the strata.script commands from the kernel command line,
// echoing each after the prompt, and reports how many failed. It does not
// power off; the caller does.
func (s *Shell) RunScript() (failed int, err error) {
	b, err := os.ReadFile(s.Cmdline)
	if err != nil {
		return 0, err
	}
	cmds, found, err := ParseScript(string(b))
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("no %s= on the kernel command line", ScriptParam)
	}
	for _, c := range cmds {
		fmt.Fprintf(s.Out, "%s%s\n", Prompt, c)
		if words, _ := Tokenize(c); len(words) > 0 && words[0] == "run-script" {
			fmt.Fprintln(s.Out, "run-script: not inside a script")
			failed++
			continue
		}
		if st := s.Run(c); st != 0 {
			failed++
		}
	}
	return failed, nil
}

// ScriptDone is printed after a script: "strata guest: script done, N failed".
const ScriptDone = "strata guest: script done"

func (s *Shell) finishScript(failed int, err error) {
	if err != nil {
		fmt.Fprintf(s.Out, "run-script: %v\n", err)
		failed = -1
	}
	fmt.Fprintf(s.Out, "%s, %d failed\n", ScriptDone, failed)
	fmt.Fprintln(s.Out, "strata guest: powering off")
	if err := s.PowerOff(); err != nil {
		fmt.Fprintf(s.Out, "poweroff: %v\n", err)
	}
}

func (s *Shell) runScriptCmd(w io.Writer, _ []string) error {
	s.finishScript(s.RunScript())
	return errors.New("still running")
}

// Interact reads command lines from in until it ends, printing the prompt
// before each.
func (s *Shell) Interact(in io.Reader) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for {
		io.WriteString(s.Out, Prompt)
		if !sc.Scan() {
			return
		}
		s.Run(sc.Text())
	}
}
