package randdiff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	GCC  = "riscv64-unknown-elf-gcc"
	QEMU = "qemu-system-riscv64"

	// QEMU's defaults add H and Z* extensions strata does not have; switch
	// them off so both machines present RV64IMAFDC (as tests/isa does).
	qemuCPU = "rv64,h=false,sstc=false,svpbmt=false,svinval=false,svnapot=false," +
		"zba=false,zbb=false,zbc=false,zbs=false,Zihintpause=false"

	RunTimeout = 20 * time.Second
)

// ToolPackages maps each external tool to the Debian package providing it.
var ToolPackages = map[string]string{
	GCC:  "gcc-riscv64-unknown-elf",
	QEMU: "qemu-system-misc",
}

// CheckTools reports missing tools with the Debian package to install.
func CheckTools() error {
	var msgs []string
	for _, bin := range []string{GCC, QEMU} {
		if _, err := exec.LookPath(bin); err != nil {
			pkg := ToolPackages[bin]
			msgs = append(msgs, fmt.Sprintf("%s not found in PATH: install the Debian package %s (apt-get install %s)", bin, pkg, pkg))
		}
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}

// Assemble writes src to dir/name.S and builds dir/name.elf.
func Assemble(ctx context.Context, dir, name, src string) (string, error) {
	s := filepath.Join(dir, name+".S")
	elf := filepath.Join(dir, name+".elf")
	if err := os.WriteFile(s, []byte(src), 0o644); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, GCC, "-march=rv64gc", "-mabi=lp64d", "-nostdlib",
		"-nostartfiles", "-static", "-Ttext=0x80000000", "-o", elf, s).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("assembling %s: %v\n%s", s, err, out)
	}
	return elf, nil
}

func runCmd(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return stdout.Bytes(), fmt.Errorf("%s timed out after %v (stdout %q)", name, RunTimeout, tail(stdout.String()))
	}
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %v; stderr: %s; stdout tail: %q", name, err, tail(stderr.String()), tail(stdout.String()))
	}
	return stdout.Bytes(), nil
}

func tail(s string) string {
	if len(s) > 400 {
		return "..." + s[len(s)-400:]
	}
	return s
}

// RunQEMU runs elf on QEMU's virt board and returns the printed words.
func RunQEMU(ctx context.Context, elf string) ([]uint64, error) {
	out, err := runCmd(ctx, QEMU, "-M", "virt", "-cpu", qemuCPU, "-bios", "none",
		"-nographic", "-monitor", "none", "-kernel", elf)
	if err != nil {
		return nil, err
	}
	return ParseOutput(out)
}

// RunStrata runs elf on strata.
func RunStrata(ctx context.Context, bin, elf string) ([]uint64, error) {
	out, err := runCmd(ctx, bin, "vm", "run", "--bios", "none", "--max-insns", "50000000", "--kernel", elf)
	if err != nil {
		return nil, err
	}
	return ParseOutput(out)
}

// ParseOutput extracts the hex words between the "@" and "$" lines.
func ParseOutput(out []byte) ([]uint64, error) {
	s := strings.ReplaceAll(string(out), "\r", "")
	i := strings.Index(s, "@\n")
	j := strings.LastIndex(s, "$\n")
	if i < 0 || j < i {
		return nil, fmt.Errorf("output has no @...$ dump: %q", tail(s))
	}
	var words []uint64
	for _, ln := range strings.Split(strings.TrimSpace(s[i+2:j]), "\n") {
		v, err := strconv.ParseUint(ln, 16, 64)
		if err != nil || len(ln) != 16 {
			return nil, fmt.Errorf("bad dump line %q", ln)
		}
		words = append(words, v)
	}
	return words, nil
}

var abi = [32]string{"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1",
	"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
	"s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"}

// WordNamer names the output words of p.
// (q, the QEMU output, gives the id of each trace entry).
func WordNamer(p *Program, q []uint64) func(int) string {
	return func(i int) string {
		if i >= outputWords {
			k := (i - outputWords) / 3
			what := []string{"rd", "fflags", "id"}[(i-outputWords)%3]
			text := "?"
			if j := outputWords + 3*k + 2; j < len(q) && q[j] >= 1 && int(q[j]) <= len(p.Texts) {
				text = p.Texts[q[j]-1]
			}
			return fmt.Sprintf("trace[%d].%s after `%s`", k, what, text)
		}
		return WordName(i)
	}
}

// WordName names output word i of a random-stream program.
func WordName(i int) string {
	switch {
	case i < outX:
		return fmt.Sprintf("scratch[%d] (sp+%d)", i, 8*i)
	case i < outF:
		return fmt.Sprintf("x%d (%s)", i-outX, abi[i-outX])
	case i < outFCSR:
		return fmt.Sprintf("f%d", i-outF)
	case i == outFCSR:
		return "fcsr"
	case i == outChecksum:
		return "scratch checksum"
	case i == outSaveT1:
		return "t1 at last trap"
	case i == outSaveT2:
		return "t2 at last trap"
	case i == outTrapCnt:
		return "trap count"
	case i < outLog:
		return "pad"
	}
	k := i - outLog
	return fmt.Sprintf("trap[%d].%s", k/3, []string{"mcause", "mepc", "mtval"}[k%3])
}

// Diff is one mismatching output word.
type Diff struct {
	Index        int
	Name         string
	QEMU, Strata uint64
}

func (d Diff) String() string {
	return fmt.Sprintf("%s: qemu=%016x strata=%016x", d.Name, d.QEMU, d.Strata)
}

// Tolerated reports whether a difference in word i of a random-stream
// output is one the spec leaves to the implementation:
//
//   - mtval of a breakpoint exception raised by EBREAK/C.EBREAK: zero or the
//     address of the instruction (QEMU 7.2 writes 0, strata the pc).
func Tolerated(q, s []uint64, i int) bool {
	if i >= outLog && i < outLog+3*logEntries && (i-outLog)%3 == 2 &&
		i < len(q) && i < len(s) && q[i-2] == 3 && s[i-2] == 3 && q[i-1] == s[i-1] {
		pc := q[i-1]
		return (q[i] == 0 || q[i] == pc) && (s[i] == 0 || s[i] == pc)
	}
	return false
}

// Compare returns the words that differ, named by name(q).
func Compare(q, s []uint64, namer func([]uint64) func(int) string) []Diff {
	name := namer(q)
	var ds []Diff
	n := max(len(q), len(s))
	for i := 0; i < n; i++ {
		var a, b uint64
		if i < len(q) {
			a = q[i]
		}
		if i < len(s) {
			b = s[i]
		}
		if a != b || i >= len(q) || i >= len(s) {
			ds = append(ds, Diff{i, name(i), a, b})
		}
	}
	return ds
}
