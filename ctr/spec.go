package ctr

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"strata/seccomp"
)

// LoadSpec reads and validates bundle/config.json. The returned error names
// the offending field.
func LoadSpec(bundle string) (*specs.Spec, error) {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("read config.json: %w", err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parse config.json: %w", err)
	}
	if err := Validate(&s, bundle); err != nil {
		return nil, err
	}
	return &s, nil
}

// ErrInvalidSpec is wrapped by every validation error.
var ErrInvalidSpec = errors.New("invalid config")

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidSpec, field, fmt.Sprintf(format, args...))
}

// namespaceSupport reports whether the runtime specification defines a
// namespace type (known) and whether strata can create it (supported).
func namespaceSupport(t specs.LinuxNamespaceType) (known, supported bool) {
	switch t {
	case specs.PIDNamespace, specs.NetworkNamespace, specs.MountNamespace, specs.IPCNamespace, specs.UTSNamespace:
		return true, true
	case specs.UserNamespace, specs.CgroupNamespace:
		return true, true
	case specs.TimeNamespace:
		return true, false
	}
	return false, false
}

// Validate checks a spec against what strata can honour. bundle is the
// directory root.path is relative to. Each error names the field, for
// example "process.args: empty" or `linux.namespaces[2].type: unknown "foo"`.
func Validate(s *specs.Spec, bundle string) error {
	if !strings.HasPrefix(s.Version, "1.") {
		return invalid("ociVersion", "unsupported version %q (want 1.x)", s.Version)
	}
	if s.Root == nil || s.Root.Path == "" {
		return invalid("root.path", "missing")
	}
	rootfs := s.Root.Path
	if !filepath.IsAbs(rootfs) {
		rootfs = filepath.Join(bundle, rootfs)
	}
	if fi, err := os.Stat(rootfs); err != nil {
		return invalid("root.path", "%v", err)
	} else if !fi.IsDir() {
		return invalid("root.path", "not a directory")
	}
	if err := validateProcess(s.Process); err != nil {
		return err
	}
	if err := validateHooks(s.Hooks); err != nil {
		return err
	}
	for i, m := range s.Mounts {
		f := fmt.Sprintf("mounts[%d].destination", i)
		if m.Destination == "" {
			return invalid(f, "empty")
		}
		if !filepath.IsAbs(m.Destination) {
			return invalid(f, "%q is not absolute", m.Destination)
		}
		if escapes(m.Destination) {
			return invalid(f, "%q escapes the root filesystem via ..", m.Destination)
		}
		if m.Type == "" && !hasBind(m.Options) {
			return invalid(fmt.Sprintf("mounts[%d].type", i), "empty and options have no bind")
		}
	}
	if s.Linux == nil {
		return invalid("linux", "missing")
	}
	return validateLinux(s.Linux)
}

func validateProcess(p *specs.Process) error {
	if p == nil {
		return invalid("process", "missing")
	}
	if len(p.Args) == 0 || p.Args[0] == "" {
		return invalid("process.args", "empty")
	}
	if p.Cwd == "" || !filepath.IsAbs(p.Cwd) {
		return invalid("process.cwd", "%q is not absolute", p.Cwd)
	}
	for i, e := range p.Env {
		if !strings.Contains(e, "=") {
			return invalid(fmt.Sprintf("process.env[%d]", i), "%q has no '='", e)
		}
	}
	for i, r := range p.Rlimits {
		if rlimitNumber(r.Type) < 0 {
			return invalid(fmt.Sprintf("process.rlimits[%d].type", i), "unknown %q", r.Type)
		}
		if r.Soft > r.Hard {
			return invalid(fmt.Sprintf("process.rlimits[%d]", i), "soft %d above hard %d", r.Soft, r.Hard)
		}
	}
	if a := p.OOMScoreAdj; a != nil && (*a < -1000 || *a > 1000) {
		return invalid("process.oomScoreAdj", "%d outside [-1000, 1000]", *a)
	}
	if err := validateCaps(p.Capabilities); err != nil {
		return err
	}
	if p.SelinuxLabel != "" {
		return invalid("process.selinuxLabel", "SELinux is not supported")
	}
	if p.ApparmorProfile != "" {
		return invalid("process.apparmorProfile", "AppArmor is not supported")
	}
	return nil
}

func validateLinux(l *specs.Linux) error {
	seen := map[specs.LinuxNamespaceType]bool{}
	for i, ns := range l.Namespaces {
		f := fmt.Sprintf("linux.namespaces[%d]", i)
		known, supported := namespaceSupport(ns.Type)
		if !known {
			return invalid(f+".type", "unknown %q", ns.Type)
		}
		if seen[ns.Type] {
			return invalid(f+".type", "%q listed twice", ns.Type)
		}
		seen[ns.Type] = true
		if ns.Path != "" {
			if !filepath.IsAbs(ns.Path) {
				return invalid(f+".path", "%q is not absolute", ns.Path)
			}
			if _, err := os.Stat(ns.Path); err != nil {
				return invalid(f+".path", "%v", err)
			}
			if !validNsPath(ns.Path) {
				return invalid(f+".path", "%q holds ';' or a newline", ns.Path)
			}
			if ns.Type == specs.TimeNamespace {
				return invalid(f+".type", "time namespaces are not supported")
			}
			continue
		}
		if !supported {
			return invalid(f+".type", "%q namespaces are not supported yet", ns.Type)
		}
	}
	if !seen[specs.MountNamespace] {
		return invalid("linux.namespaces", "a mount namespace is required")
	}
	newUser := false
	for _, ns := range l.Namespaces {
		if ns.Type == specs.UserNamespace && ns.Path == "" {
			newUser = true
		}
	}
	if newUser {
		if len(l.UIDMappings) == 0 {
			return invalid("linux.uidMappings", "a new user namespace needs uid mappings")
		}
		if len(l.GIDMappings) == 0 {
			return invalid("linux.gidMappings", "a new user namespace needs gid mappings")
		}
	} else if len(l.UIDMappings) > 0 || len(l.GIDMappings) > 0 {
		return invalid("linux.uidMappings", "mappings without a new user namespace")
	}
	for i, m := range append(append([]specs.LinuxIDMapping{}, l.UIDMappings...), l.GIDMappings...) {
		if m.Size == 0 {
			return invalid(fmt.Sprintf("linux.uidMappings/gidMappings[%d].size", i), "zero")
		}
	}
	if _, err := planNamespaces(l); err != nil {
		return err
	}
	if l.Seccomp != nil {
		if _, _, err := compileSeccomp(l.Seccomp); err != nil {
			return err
		}
	}
	if l.CgroupsPath != "" {
		if err := checkCgroupsPath(l.CgroupsPath); err != nil {
			return err
		}
	}
	if l.IntelRdt != nil {
		return invalid("linux.intelRdt", "not supported")
	}
	switch l.RootfsPropagation {
	case "", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable":
	default:
		return invalid("linux.rootfsPropagation", "unknown %q", l.RootfsPropagation)
	}
	for i, d := range l.Devices {
		f := fmt.Sprintf("linux.devices[%d]", i)
		if !filepath.IsAbs(d.Path) || escapes(d.Path) {
			return invalid(f+".path", "%q is not an absolute path inside the container", d.Path)
		}
		switch d.Type {
		case "c", "u", "b", "p":
		default:
			return invalid(f+".type", "unknown %q", d.Type)
		}
	}
	for k := range l.Sysctl {
		if strings.Contains(k, "..") || strings.Contains(k, "/") {
			return invalid("linux.sysctl", "bad key %q", k)
		}
	}
	return nil
}

// escapes reports whether p, taken relative to a root, climbs above it.
func escapes(p string) bool {
	depth := 0
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

func hasBind(opts []string) bool {
	for _, o := range opts {
		if o == "bind" || o == "rbind" {
			return true
		}
	}
	return false
}

// rootfsPath returns the absolute root filesystem path of a bundle.
func rootfsPath(s *specs.Spec, bundle string) string {
	if filepath.IsAbs(s.Root.Path) {
		return filepath.Clean(s.Root.Path)
	}
	return filepath.Join(bundle, s.Root.Path)
}

// compileSeccomp compiles linux.seccomp for this machine's architecture
// and converts its flags. Validate calls it so a profile strata cannot
// compile is refused at create, before anything exists; the init calls it
// again (same binary, same result) to get the program it installs.
func compileSeccomp(sc *specs.LinuxSeccomp) ([]unix.SockFilter, []seccomp.Flag, error) {
	arch := seccomp.Native()
	if arch == "" {
		return nil, nil, invalid("linux.seccomp", "no syscall table for %s", runtime.GOARCH)
	}
	flags, err := seccomp.Flags(sc)
	if err != nil {
		return nil, nil, seccompInvalid(err)
	}
	prog, err := seccomp.Compile(sc, arch)
	if err != nil {
		return nil, nil, seccompInvalid(err)
	}
	return prog, flags, nil
}

// seccompField matches the profile field a seccomp error starts with.
var seccompField = regexp.MustCompile(`^(defaultAction|flags\[\d+\]|syscalls\[\d+\](\.args\[\d+\]\.(index|op))?)`)

// seccompInvalid turns a seccomp compile error into an ErrInvalidSpec
// error naming the field under linux.seccomp, e.g.
// `linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"`.
func seccompInvalid(err error) error {
	msg := strings.ReplaceAll(err.Error(), seccomp.ErrInvalid.Error()+": ", "")
	f := seccompField.FindString(msg)
	if f == "" {
		return invalid("linux.seccomp", "%s", msg)
	}
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(msg, f), ":"))
	switch {
	case f == "defaultAction" && strings.Contains(rest, "errnoRet"):
		f = "defaultErrnoRet"
	case strings.HasPrefix(f, "syscalls[") && !strings.Contains(f, "."):
		if strings.Contains(rest, "errnoRet") {
			f += ".errnoRet"
		} else {
			f += ".action"
		}
	}
	return invalid("linux.seccomp."+f, "%s", rest)
}
