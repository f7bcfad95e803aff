package guest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestScriptArg(t *testing.T) {
	cmds := []string{"uname -a", "write /tmp/f 'a;b' 100%", "cat /proc/cpuinfo", "echo \"x\"\ty"}
	arg := ScriptArg(cmds...)
	if strings.ContainsAny(arg, " \t\"'") {
		t.Errorf("ScriptArg left kernel-command-line specials in %q", arg)
	}
	if want := "strata.script=uname%20-a;write%20/tmp/f%20%27a%3Bb%27%20100%25;cat%20/proc/cpuinfo;echo%20%22x%22%09y"; arg != want {
		t.Errorf("ScriptArg = %q, want %q", arg, want)
	}
	got, err := decodeScript(arg)
	if err != nil || !reflect.DeepEqual(got, cmds) {
		t.Errorf("round trip: %q, %v", got, err)
	}
}

// needTool fails (never skips) naming the Debian package that provides a
// missing tool: make setup installs them all.
func needTool(t *testing.T, tool, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s not found: install the Debian package %s (make setup)", tool, pkg)
	}
}

// built returns the guest, building it if the cache is empty (minutes).
func built(t *testing.T) Paths {
	t.Helper()
	needTool(t, "riscv64-linux-gnu-gcc", "gcc-riscv64-linux-gnu")
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	p, err := Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type bootResult struct {
	lines    []string      // console output, \r removed
	banner   time.Duration // from QEMU's start to the banner line
	total    time.Duration // from QEMU's start to its exit
	exitCode int
}

func boot(t *testing.T, p Paths, smp int, cmdline string, extra ...string) bootResult {
	t.Helper()
	return bootInput(t, p, smp, cmdline, nil, extra...)
}

// bootInput boots the guest; respond, if not nil, sees every console line
// (\r removed) and returns what to type on the console next, if anything.
func bootInput(t *testing.T, p Paths, smp int, cmdline string, respond func(line string) string, extra ...string) bootResult {
	t.Helper()
	needTool(t, "qemu-system-riscv64", "qemu-system-misc")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-riscv64", QEMUArgs(p, smp, cmdline, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var r bootResult
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.ReplaceAll(sc.Text(), "\r", "")
		if line == Banner && r.banner == 0 {
			r.banner = time.Since(start)
		}
		if respond != nil {
			if in := respond(line); in != "" {
				go stdin.Write([]byte(in))
			}
		}
		r.lines = append(r.lines, line)
	}
	err = cmd.Wait()
	r.total = time.Since(start)
	r.exitCode = cmd.ProcessState.ExitCode()
	if ctx.Err() != nil {
		t.Fatalf("QEMU timed out; console:\n%s", strings.Join(r.lines, "\n"))
	}
	if err != nil {
		t.Logf("qemu: %v", err)
	}
	return r
}

// output returns the lines a script command printed: those after its echoed
// "# CMD" line up to the next prompt or the script's end.
func (r bootResult) output(cmd string) ([]string, bool) {
	for i, l := range r.lines {
		if l != Prompt+cmd {
			continue
		}
		var out []string
		for _, m := range r.lines[i+1:] {
			if strings.HasPrefix(m, Prompt) || strings.HasPrefix(m, ScriptDone) {
				break
			}
			out = append(out, m)
		}
		return out, true
	}
	return nil, false
}

func (r bootResult) check(t *testing.T, cmd string, want func(out []string) bool) {
	t.Helper()
	out, ok := r.output(cmd)
	if !ok {
		t.Errorf("no %q in the console output", Prompt+cmd)
		return
	}
	if !want(out) {
		t.Errorf("%q printed %q", cmd, out)
	}
}

func (r bootResult) has(line string) bool {
	for _, l := range r.lines {
		if l == line {
			return true
		}
	}
	return false
}

func (r bootResult) mustEnd(t *testing.T) {
	t.Helper()
	if r.exitCode != 0 || !r.has(Banner) || !r.has(ScriptDone+", 0 failed") || !r.has(PowerOff) {
		t.Fatalf("QEMU exit status %d (want 0), banner %v, script clean %v; console:\n%s",
			r.exitCode, r.has(Banner), r.has(ScriptDone+", 0 failed"), strings.Join(r.lines, "\n"))
	}
}

func TestQEMUBoot(t *testing.T) {
	p := built(t)
	script := []string{
		"uname -a",
		"nproc",
		"cat /proc/cpuinfo",
		"mkdir -p /tmp/a/b",
		"write /tmp/a/b/f hello strata",
		"cat /tmp/a/b/f",
		"sha256sum /tmp/a/b/f",
		"ls /dev",
		"hwrng 8",
		"date",
		"mount",
		"dmesg",
	}
	r := boot(t, p, 1, "console=ttyS0 "+ScriptArg(script...), "-device", "virtio-rng-device")
	r.mustEnd(t)
	r.check(t, "uname -a", func(o []string) bool {
		return len(o) == 1 && strings.HasPrefix(o[0], "Linux (none) 6.1.") && strings.HasSuffix(o[0], " riscv64")
	})
	r.check(t, "nproc", func(o []string) bool { return reflect.DeepEqual(o, []string{"1"}) })
	r.check(t, "cat /proc/cpuinfo", func(o []string) bool {
		s := strings.Join(o, "\n")
		return strings.Contains(s, "processor\t: 0") && strings.Contains(s, "isa\t\t: rv64imafdc") && strings.Contains(s, "mmu\t\t: sv")
	})
	r.check(t, "cat /tmp/a/b/f", func(o []string) bool { return reflect.DeepEqual(o, []string{"hello strata"}) })
	r.check(t, "sha256sum /tmp/a/b/f", func(o []string) bool {
		return reflect.DeepEqual(o, []string{fmt.Sprintf("%x  /tmp/a/b/f", sha256.Sum256([]byte("hello strata\n")))})
	})
	r.check(t, "ls /dev", func(o []string) bool {
		s := strings.Join(o, "\n")
		return strings.Contains(s, " console") && strings.Contains(s, " ttyS0") && strings.Contains(s, " hwrng") && strings.Contains(s, " kmsg")
	})
	r.check(t, "hwrng 8", func(o []string) bool { return len(o) == 1 && len(o[0]) == 16 })
	r.check(t, "date", func(o []string) bool {
		// The goldfish RTC sets the clock (RTC_HCTOSYS): not 1970.
		return len(o) == 1 && !strings.HasSuffix(o[0], "1970") && strings.Contains(o[0], " UTC 20")
	})
	r.check(t, "mount", func(o []string) bool {
		s := strings.Join(o, "\n")
		return strings.Contains(s, "proc /proc proc") && strings.Contains(s, "sysfs /sys sysfs") && strings.Contains(s, "devtmpfs /dev devtmpfs")
	})
	r.check(t, "dmesg", func(o []string) bool {
		return len(o) > 10 && strings.Contains(o[0], "] Linux version 6.1.") && strings.HasPrefix(o[0], "[    0.000000] ")
	})
	t.Logf("QEMU -smp 1: banner after %v, exit after %v", r.banner.Round(time.Millisecond), r.total.Round(time.Millisecond))
}

// TestQEMUBootSMP2 boots two harts with the SBI early console; nproc must
// say 2, and Go's clock (the vDSO; see FACTS.md on CONFIG_JUMP_LABEL) must
// survive timer updates from the other hart.
func TestQEMUBootSMP2(t *testing.T) {
	p := built(t)
	r := boot(t, p, 2, "console=ttyS0 earlycon=sbi "+ScriptArg("nproc", "sleep 0.5", "date", "cat /sys/devices/system/cpu/online"))
	r.mustEnd(t)
	r.check(t, "nproc", func(o []string) bool { return reflect.DeepEqual(o, []string{"2"}) })
	r.check(t, "cat /sys/devices/system/cpu/online", func(o []string) bool { return reflect.DeepEqual(o, []string{"0-1"}) })
	early := false
	for _, l := range r.lines {
		if strings.Contains(l, "earlycon: sbi0 at I/O port 0x0") {
			early = true
		}
	}
	if !early {
		t.Errorf("no \"earlycon: sbi0\" line; console:\n%s", strings.Join(r.lines, "\n"))
	}
	t.Logf("QEMU -smp 2: banner after %v, exit after %v", r.banner.Round(time.Millisecond), r.total.Round(time.Millisecond))
}

// TestQEMUInteractive types at the shell: no strata.script on the command
// line, so the init prompts on the console. Each line is typed once the
// previous command's output is out, since the tty echoes typed text at once
// and would otherwise interleave it with the shell's prompts.
func TestQEMUInteractive(t *testing.T) {
	p := built(t)
	step := 0
	r := bootInput(t, p, 1, "console=ttyS0", func(line string) string {
		out := strings.TrimPrefix(line, Prompt)
		switch {
		case step == 0 && line == Banner:
			step++
			return "echo hello 'big  world'\n"
		case step == 1 && strings.HasSuffix(line, "hello big  world") && !strings.Contains(line, "'"):
			step++
			return "nproc\n"
		case step == 2 && out == "1":
			step++
			return "poweroff\n"
		}
		return ""
	})
	if r.exitCode != 0 || step != 3 {
		t.Fatalf("QEMU exit status %d, reached step %d of 3; console:\n%s", r.exitCode, step, strings.Join(r.lines, "\n"))
	}
}

func TestLocate(t *testing.T) {
	b := built(t)
	p, err := Locate()
	if err != nil || p != b {
		t.Fatalf("Locate() = %+v, %v; Build gave %+v", p, err, b)
	}
	t.Setenv("STRATA_GUEST", t.TempDir())
	if _, err := Locate(); err == nil {
		t.Error("Locate accepted an empty STRATA_GUEST directory")
	}
}
