package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netlink"

	"strata/ctr/ctrtest"
	"strata/ctrnet"
	"strata/frontdoor"
)

// frontEnv is one test's rootfs (busybox with the applets these tests use),
// state root, and for bridge tests a bridge and subnet of its own.
type frontEnv struct {
	*runEnv
	bridge, subnet string
}

var bridgeSeq atomic.Int64

func newFrontEnv(t *testing.T) *frontEnv {
	e := &frontEnv{runEnv: newRunEnv(t)}
	for _, a := range []string{"httpd", "wget", "ip", "nc", "head"} {
		if err := os.Symlink("busybox", filepath.Join(e.rootfs, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		// Whatever a failed test left running; then nothing may be left.
		fs := fdStore(e.root)
		if list, _ := fs.List(); len(list) > 0 {
			for _, s := range list {
				fs.Remove(context.Background(), s.Name, true)
			}
			t.Errorf("containers left at the end of the test: %d", len(list))
		}
		ctrtest.CheckClean(t, filepath.Join(e.root, "state"), []string{e.rootfs}, nil)
	})
	return e
}

// useBridge gives the test a bridge and subnet of its own (never strata0),
// removed with its IPAM files at the end.
func (e *frontEnv) useBridge() {
	n := bridgeSeq.Add(1)
	e.bridge = fmt.Sprintf("stf%x-%d", os.Getpid(), n)
	e.subnet = fmt.Sprintf("10.214.%d.0/24", (os.Getpid()+int(n))%200+20)
	e.t.Cleanup(func() {
		nw, err := ctrnet.New(ctrnet.Config{Bridge: e.bridge, Subnet: e.subnet})
		if err != nil {
			e.t.Error(err)
			return
		}
		if a, err := nw.IPAM().Allocations(); err != nil || len(a) > 0 {
			e.t.Errorf("IPAM of %s: allocations left %v (%v)", e.bridge, a, err)
		}
		if err := nw.RemoveBridge(); err != nil {
			e.t.Error(err)
		}
		f := filepath.Join(ctrnet.DefaultStateDir, "ipam-"+e.bridge+".json")
		os.Remove(f)
		os.Remove(f + ".lock")
	})
}

// netFlags are the flags that put a container on the test's bridge.
func (e *frontEnv) netFlags() []string {
	return []string{"--network", "bridge", "--bridge", e.bridge, "--subnet", e.subnet}
}

// strata runs one strata command in-process with --root and returns its
// stdout, stderr and error.
func (e *frontEnv) strata(args ...string) (string, string, error) {
	e.t.Helper()
	return e.strataIn("", args...)
}

// strataIn is strata with stdin.
func (e *frontEnv) strataIn(stdin string, args ...string) (string, string, error) {
	e.t.Helper()
	root := &cobra.Command{Use: "strata", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newRunCmd(), newPsCmd(), newLogsCmd(), newStopCmd(), newRmCmd(), newExecCmd())
	full := append([]string{args[0], "--root", e.root}, args[1:]...)
	if args[0] == "run" {
		full = append([]string{"run", "--root", e.root, "--rootfs", e.rootfs}, args[1:]...)
	}
	root.SetArgs(full)
	var out, errb bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	return out.String(), errb.String(), err
}

// must runs a strata command that must succeed and returns its stdout.
func (e *frontEnv) must(args ...string) string {
	e.t.Helper()
	out, errOut, err := e.strata(args...)
	if err != nil {
		e.t.Fatalf("strata %q: %v (stderr %q)", args, err, errOut)
	}
	return out
}

// detach starts a detached container and checks run -d printed its name.
func (e *frontEnv) detach(name string, flags []string, cmd ...string) {
	e.t.Helper()
	args := append(append([]string{"run", "-d", "--name", name}, flags...), "--")
	if out := e.must(append(args, cmd...)...); out != name+"\n" {
		e.t.Fatalf("run -d printed %q, want the name %q", out, name)
	}
}

// psRow returns name's row of `ps -a` as its columns (COMMAND collapsed).
func (e *frontEnv) psRow(name string) map[string]string {
	e.t.Helper()
	out := e.must("ps", "-a")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "NAME") {
		e.t.Fatalf("ps -a: no header in %q", out)
	}
	hdr := lines[0]
	cols := []string{"NAME", "STATUS", "PID", "CREATED", "COMMAND", "IP"}
	for _, line := range lines[1:] {
		if strings.Fields(line)[0] != name {
			continue
		}
		l := []rune(line) // tabwriter aligns runes, not bytes
		row := map[string]string{}
		for i, c := range cols {
			from := min(strings.Index(hdr, c), len(l))
			to := len(l)
			if i+1 < len(cols) {
				to = min(strings.Index(hdr, cols[i+1]), len(l))
			}
			row[c] = strings.TrimSpace(string(l[from:to]))
		}
		return row
	}
	return nil
}

// waitExited waits (hang guard only: no timing is asserted) until name has
// exited and its exit status is recorded, and returns its ps row.
func (e *frontEnv) waitExited(name string) map[string]string {
	e.t.Helper()
	fs := fdStore(e.root)
	ok, err := fs.WaitFor(context.Background(), name, time.Minute, func(s *frontdoor.Status) bool { return s.Exit != nil && !s.KeeperAlive })
	if err != nil || !ok {
		e.t.Fatalf("container %s did not exit: %v", name, err)
	}
	return e.psRow(name)
}

// waitLog waits until name's log contains want (hang guard only).
func (e *frontEnv) waitLog(name, want string) {
	e.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out := e.must("logs", name)
		if strings.Contains(out, want) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("log of %s: %q, never contained %q", name, out, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// key is the host-wide key of container name (cgroup, IPAM, veth).
func (e *frontEnv) key(name string) string { return fdStore(e.root).Key(name) }

// checkGone asserts nothing of name is left: bundle (and its log), runtime
// state, cgroup, veth, IPAM entry; mounts are checked at the test's end.
func (e *frontEnv) checkGone(name string) {
	e.t.Helper()
	for _, p := range []string{filepath.Join(e.root, "bundles", name), filepath.Join(e.root, "state", name)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			e.t.Errorf("%s left: %v", p, err)
		}
	}
	key := e.key(name)
	if left := ctrtest.LeftoverCgroups("/strata/" + key); len(left) > 0 {
		e.t.Errorf("leftover cgroups: %v", left)
	}
	if _, err := netlink.LinkByName(ctrnet.HostVethName(key)); err == nil {
		e.t.Errorf("veth %s of %s left", ctrnet.HostVethName(key), name)
	}
	if e.bridge != "" {
		nw, err := ctrnet.New(ctrnet.Config{Bridge: e.bridge, Subnet: e.subnet})
		if err != nil {
			e.t.Fatal(err)
		}
		if ip, err := nw.IPAM().Lookup(key); err != nil || ip != nil {
			e.t.Errorf("IPAM entry of %s left: %v (%v)", name, ip, err)
		}
	}
}

// TestDetachLogsPs: run -d returns while the container runs; ps shows it
// running with its init's pid, then exited (3) after it exits (and only
// with -a); its output is in the log, also after exit, and logs -f
// follows it to the end; the runtime state and cgroup go at exit, the
// bundle and log stay until rm.
func TestDetachLogsPs(t *testing.T) {
	e := newFrontEnv(t)
	ctl := t.TempDir()
	e.detach("d1", []string{"-v", ctl + ":/ctl"}, "sh", "-c",
		`echo out; echo err >&2; while [ ! -e /ctl/go ]; do sleep 0.05; done; echo last; exit 3`)
	row := e.psRow("d1")
	if row == nil || row["STATUS"] != "running" || row["IP"] != "-" || !strings.Contains(row["COMMAND"], "sh -c echo out") {
		t.Fatalf("ps -a row of a running container: %v", row)
	}
	pid, err := strconv.Atoi(row["PID"])
	if err != nil || ctrtest.PidNS(pid) == ctrtest.PidNS(os.Getpid()) {
		t.Fatalf("PID %q is not a process in the container's pid namespace", row["PID"])
	}
	if out := e.must("ps"); !strings.Contains(out, "d1") {
		t.Fatalf("ps without -a does not list a running container:\n%s", out)
	}
	if cg := ctrtest.LeftoverCgroups("/strata/" + e.key("d1")); len(cg) == 0 {
		t.Fatalf("no cgroup /strata/%s while the container runs", e.key("d1"))
	}
	e.waitLog("d1", "out\nerr\n")

	// logs -f from now on returns only once the container has exited.
	type res struct {
		out string
		err error
	}
	follow := make(chan res, 1)
	go func() {
		var b bytes.Buffer
		err := fdStore(e.root).Logs(context.Background(), "d1", &b, true)
		follow <- res{b.String(), err}
	}()
	if err := os.WriteFile(filepath.Join(ctl, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	row = e.waitExited("d1")
	if row["STATUS"] != "exited (3)" || row["PID"] != "-" {
		t.Fatalf("ps -a row of an exited container: %v", row)
	}
	if f := <-follow; f.err != nil || f.out != "out\nerr\nlast\n" {
		t.Fatalf("logs -f: %q, %v; want out, err, last", f.out, f.err)
	}
	if out := e.must("ps"); strings.Contains(out, "d1") {
		t.Fatalf("ps without -a lists an exited container:\n%s", out)
	}
	if out := e.must("logs", "d1"); out != "out\nerr\nlast\n" {
		t.Fatalf("logs after exit: %q", out)
	}
	// Exited: the runtime's state and cgroup are gone, the bundle stays.
	if _, err := os.Stat(filepath.Join(e.root, "state", "d1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("runtime state of an exited container: %v", err)
	}
	if left := ctrtest.LeftoverCgroups("/strata/" + e.key("d1")); len(left) > 0 {
		t.Errorf("cgroups of an exited container: %v", left)
	}
	if out := e.must("rm", "d1"); out != "d1\n" {
		t.Fatalf("rm printed %q", out)
	}
	e.checkGone("d1")
	if out := e.must("ps", "-a"); strings.Count(out, "\n") != 1 {
		t.Fatalf("ps -a after rm:\n%s", out)
	}
}

// TestDetachRm: -d --rm leaves nothing once the container exits.
func TestDetachRm(t *testing.T) {
	e := newFrontEnv(t)
	e.detach("d2", []string{"--rm"}, "true")
	// Wait (hang guard only) for the monitor to have removed the bundle
	// and exited.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		_, err := os.Stat(filepath.Join(e.root, "bundles", "d2"))
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bundle of d2 still there: %v", err)
		}
	}
	e.checkGone("d2")
}

// TestStop: stop -t 1 of a container whose init ignores SIGTERM kills it
// (exited (137)); one that exits on SIGTERM gets to (exited (7)).
func TestStop(t *testing.T) {
	e := newFrontEnv(t)
	e.detach("deaf", nil, "sh", "-c", `trap '' TERM; echo ready; while :; do sleep 1; done`)
	e.detach("polite", nil, "sh", "-c", `trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done`)
	e.waitLog("deaf", "ready")
	e.waitLog("polite", "ready")
	if out := e.must("stop", "-t", "1", "deaf"); out != "deaf\n" {
		t.Fatalf("stop printed %q", out)
	}
	if row := e.psRow("deaf"); row["STATUS"] != "exited (137)" {
		t.Fatalf("after stop -t 1 of a container ignoring SIGTERM: %v, want exited (137)", row)
	}
	e.must("stop", "-t", "60", "polite")
	if row := e.psRow("polite"); row["STATUS"] != "exited (7)" {
		t.Fatalf("after stop of a container exiting on SIGTERM: %v, want exited (7)", row)
	}
	// Stopping an exited container does nothing.
	e.must("stop", "polite")
	e.must("rm", "deaf", "polite")
	e.checkGone("deaf")
	e.checkGone("polite")
}

// TestBridge: two detached containers on a bridge of the test's own; one
// serves HTTP, the other fetches from it by the address ps shows; rm -f
// of the running server and rm of the client release veths and addresses.
func TestBridge(t *testing.T) {
	e := newFrontEnv(t)
	e.useBridge()
	www := t.TempDir()
	if err := os.WriteFile(filepath.Join(www, "index.html"), []byte("hello over the bridge\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.detach("srv", append(e.netFlags(), "-v", www+":/www:ro"), "httpd", "-f", "-p", "8080", "-h", "/www")
	row := e.psRow("srv")
	ip := net.ParseIP(row["IP"])
	_, subnet, _ := net.ParseCIDR(e.subnet)
	if row["STATUS"] != "running" || ip == nil || !subnet.Contains(ip) {
		t.Fatalf("ps row of the server: %v; want running with an address in %s", row, e.subnet)
	}
	if _, err := netlink.LinkByName(ctrnet.HostVethName(e.key("srv"))); err != nil {
		t.Fatalf("host veth of srv: %v", err)
	}
	// httpd may not listen yet when run -d returns: the client retries.
	e.detach("cli", e.netFlags(), "sh", "-c", fmt.Sprintf(
		`ip -4 addr show eth0; for i in $(seq 100); do wget -q -O - http://%s:8080/index.html && exit 0; sleep 0.1; done; exit 1`, ip))
	row = e.waitExited("cli")
	logs := e.must("logs", "cli")
	if row["STATUS"] != "exited (0)" || !strings.Contains(logs, "hello over the bridge") {
		t.Fatalf("client: %v, log %q", row, logs)
	}
	if !strings.Contains(logs, "inet 10.214.") || strings.Contains(logs, "inet "+ip.String()+"/") {
		t.Fatalf("client's eth0 should have another address of the subnet: %q", logs)
	}
	// The exited client no longer holds an address or a veth.
	nw, err := ctrnet.New(ctrnet.Config{Bridge: e.bridge, Subnet: e.subnet})
	if err != nil {
		t.Fatal(err)
	}
	if a, err := nw.IPAM().Allocations(); err != nil || len(a) != 1 || !a[e.key("srv")].Equal(ip) {
		t.Fatalf("IPAM after the client exited: %v (%v); want only srv at %s", a, err, ip)
	}
	// Another state root may have its own "srv" on the same bridge: it
	// gets its own address and veth.
	e2 := &frontEnv{runEnv: &runEnv{t: t, rootfs: e.rootfs, root: t.TempDir()}, bridge: e.bridge, subnet: e.subnet}
	e2.detach("srv", e.netFlags(), "sleep", "1000")
	if ip2 := net.ParseIP(e2.psRow("srv")["IP"]); ip2 == nil || ip2.Equal(ip) || !subnet.Contains(ip2) {
		t.Fatalf("srv of a second root: address %v; want another one than %s in %s", ip2, ip, e.subnet)
	}
	e2.must("rm", "-f", "srv")
	e2.checkGone("srv")
	if _, _, err := e.strata("rm", "srv"); err == nil || !strings.Contains(err.Error(), "rm -f") {
		t.Fatalf("rm of a running container: %v; want a refusal naming rm -f", err)
	}
	e.must("rm", "-f", "srv", "cli")
	e.checkGone("srv")
	e.checkGone("cli")
}

// TestBridgeForeground: a foreground --rm run on the bridge sees its
// address; after it, and after a run that fails to start, no veth and no
// address are left.
func TestBridgeForeground(t *testing.T) {
	e := newFrontEnv(t)
	e.useBridge()
	out, errOut, code := e.run(e.netFlags(), "sh", "-c", "ip -4 -o addr show eth0; ip route")
	if code != 0 || !strings.Contains(out, "inet 10.214.") || !strings.Contains(out, "default via 10.214.") {
		t.Fatalf("foreground bridge run: %q (stderr %q), status %d", out, errOut, code)
	}
	_, _, err := e.strata(append(append([]string{"run", "--name", "fail"}, e.netFlags()...), "--", "/no/such/binary")...)
	if err == nil || !strings.Contains(err.Error(), "/no/such/binary") {
		t.Fatalf("run of a missing binary: %v; want an error naming it", err)
	}
	e.checkGone("fail")
	if out := e.must("ps", "-a"); strings.Count(out, "\n") != 1 {
		t.Fatalf("ps -a after the runs:\n%s", out)
	}
}

// TestFrontBadInput: unknown names, a duplicate name, a bad name, logs of
// a foreground container — each a clear error, nothing left behind.
func TestFrontBadInput(t *testing.T) {
	e := newFrontEnv(t)
	for _, args := range [][]string{{"logs", "nope"}, {"stop", "nope"}, {"rm", "nope"}, {"rm", "-f", "nope"}} {
		if _, _, err := e.strata(args...); err == nil || !strings.Contains(err.Error(), `no such container: "nope"`) {
			t.Errorf("%q: %v; want no such container", args, err)
		}
	}
	if _, _, err := e.strata("rm", "../x"); err == nil || !strings.Contains(err.Error(), "..") {
		t.Errorf("rm ../x: %v; want an invalid name", err)
	}
	for _, name := range []string{"-x", "a b", "x/y", "..", strings.Repeat("n", 64), "é"} {
		if _, _, err := e.strata("run", "--name", name, "--", "true"); err == nil || !strings.Contains(err.Error(), "--name") {
			t.Errorf("run --name %q: %v; want a refused name", name, err)
		}
	}
	if _, _, err := e.strata("stop", "-t", "-1", "x"); err == nil || !strings.Contains(err.Error(), "-t -1") {
		t.Errorf("stop -t -1: %v", err)
	}
	e.detach("dup", nil, "sleep", "1000")
	_, _, err := e.strata("run", "-d", "--name", "dup", "--", "true")
	if err == nil || !strings.Contains(err.Error(), `"dup" already exists`) {
		t.Errorf("second run --name dup: %v; want already exists", err)
	}
	if _, _, err := e.strata("rm", "dup"); err == nil || !strings.Contains(err.Error(), "is running") {
		t.Errorf("rm of a running container: %v", err)
	}
	if row := e.psRow("dup"); row["STATUS"] != "running" {
		t.Errorf("the first dup after the refused duplicate and rm: %v", row)
	}
	e.must("rm", "-f", "dup")
	e.checkGone("dup")
	// A foreground container keeps no log.
	if _, _, err := e.strata("run", "--name", "fg", "--", "true"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.strata("logs", "fg"); err == nil || !strings.Contains(err.Error(), "foreground") {
		t.Errorf("logs of a foreground container: %v", err)
	}
	if row := e.psRow("fg"); row["STATUS"] != "exited (0)" {
		t.Errorf("ps of a finished foreground container: %v", row)
	}
	e.must("rm", "fg")
	e.checkGone("fg")
	// A detached container that cannot start: a clear error, no name taken.
	_, _, err = e.strata("run", "-d", "--name", "bad", "--", "/no/such/binary")
	if err == nil || !strings.Contains(err.Error(), "/no/such/binary") {
		t.Errorf("run -d of a missing binary: %v; want an error naming it", err)
	}
	e.checkGone("bad")
}

func TestPsTable(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	list := []*frontdoor.Status{
		{Name: "a", State: "running", Pid: 42, Created: now.Add(-5 * time.Second), Command: []string{"sleep", "1000"}, IP: "10.99.0.2"},
		{Name: "b", State: "exited", Exit: &frontdoor.ExitRecord{Code: 137}, Created: now.Add(-3 * time.Hour), Command: []string{"sh", "-c", "a very long command line\nthat goes on and on and on"}},
	}
	var b bytes.Buffer
	if err := writePs(&b, list, true, false, now); err != nil {
		t.Fatal(err)
	}
	want := "NAME   STATUS         PID   CREATED         COMMAND                                      IP\n" +
		"a      running        42    5 seconds ago   \"sleep 1000\"                                 10.99.0.2\n" +
		"b      exited (137)   -     3 hours ago     \"sh -c a very long command line that goe…\"   -\n"
	if b.String() != want {
		t.Errorf("ps -a:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	writePs(&b, list, false, true, now)
	if b.String() != "a\n" {
		t.Errorf("ps -q: %q", b.String())
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"}, {time.Second, "1 second ago"}, {59 * time.Second, "59 seconds ago"},
		{time.Minute, "1 minute ago"}, {47 * time.Hour, "47 hours ago"}, {72 * time.Hour, "3 days ago"},
	} {
		if got := ago(now.Add(-tc.d), now); got != tc.want {
			t.Errorf("ago(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := ago(time.Time{}, now); got != "-" {
		t.Errorf("ago(zero) = %q", got)
	}
}

// TestExec: exec runs in a running container with its env, user, cwd and
// hostname, sees its processes, takes overrides, gets stdin with -i, and
// propagates the exit status; the container keeps running. Exec into an
// exited container, an unknown one, or of a missing binary is an error.
func TestExec(t *testing.T) {
	e := newFrontEnv(t)
	e.detach("ex", []string{"--env", "FOO=bar", "--user", "1000:1001", "--workdir", "/bin", "--hostname", "box"}, "sleep", "1000")
	exec := func(stdin string, args ...string) (string, string, int) {
		t.Helper()
		out, errOut, err := e.strataIn(stdin, append([]string{"exec"}, args...)...)
		var ee exitError
		switch {
		case err == nil:
			return out, errOut, 0
		case errors.As(err, &ee):
			return out, errOut, ee.code
		}
		t.Fatalf("exec %q: %v (stderr %q)", args, err, errOut)
		return "", "", 0
	}
	out, errOut, code := exec("", "ex", "--", "sh", "-c", `echo "$FOO"; id -u; id -g; pwd; hostname; cat /proc/1/comm; exit 5`)
	if want := "bar\n1000\n1001\n/bin\nbox\nsleep\n"; out != want || code != 5 {
		t.Fatalf("exec: %q (stderr %q), status %d; want %q, 5", out, errOut, code, want)
	}
	out, errOut, code = exec("", "--env", "FOO=baz", "-e", "NEW=1", "--user", "0", "--workdir", "/", "ex", "--", "sh", "-c", `echo "$FOO$NEW"; id -u; pwd`)
	if want := "baz1\n0\n/\n"; out != want || code != 0 {
		t.Fatalf("exec with overrides: %q (stderr %q), status %d; want %q", out, errOut, code, want)
	}
	if out, _, code = exec("piped in\n", "-i", "ex", "--", "cat"); out != "piped in\n" || code != 0 {
		t.Fatalf("exec -i cat: %q, status %d", out, code)
	}
	if out, _, code = exec("not for you\n", "ex", "--", "cat"); out != "" || code != 0 {
		t.Fatalf("exec without -i: cat read %q, status %d; want nothing", out, code)
	}
	// -t: a pty (output with the terminal's CRLF), -it: input through it.
	if out, errOut, code = exec("", "-t", "ex", "--", "sh", "-c", "tty; exit 4"); !strings.HasPrefix(out, "/dev/pts/") || code != 4 {
		t.Fatalf("exec -t: %q (stderr %q), status %d; want a /dev/pts name, 4", out, errOut, code)
	}
	if out, errOut, code = exec("typed\n", "-it", "ex", "--", "sh", "-c", "read l; echo got-$l"); !strings.Contains(out, "got-typed") || code != 0 {
		t.Fatalf("exec -it: %q (stderr %q), status %d", out, errOut, code)
	}
	if _, _, err := e.strata("exec", "ex", "--", "/no/such/binary"); err == nil || !strings.Contains(err.Error(), "/no/such/binary") {
		t.Fatalf("exec of a missing binary: %v; want an error naming it", err)
	}
	if _, _, err := e.strata("exec", "--workdir", "rel", "ex", "--", "true"); err == nil || !strings.Contains(err.Error(), "--workdir") {
		t.Fatalf("exec --workdir rel: %v", err)
	}
	if row := e.psRow("ex"); row["STATUS"] != "running" {
		t.Fatalf("container after the execs: %v; want running", row)
	}
	if _, _, err := e.strata("exec", "nope", "--", "true"); err == nil || !strings.Contains(err.Error(), "no such container") {
		t.Fatalf("exec into an unknown container: %v", err)
	}
	e.must("stop", "-t", "0", "ex")
	if _, _, err := e.strata("exec", "ex", "--", "true"); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("exec into an exited container: %v; want not running", err)
	}
	e.must("rm", "ex")
	e.checkGone("ex")
}

// TestKeeperDied: when a detached container's monitor is killed, the
// container keeps running; once it is stopped ps says stopped (no exit
// status was recorded) and rm still removes everything, network included.
func TestKeeperDied(t *testing.T) {
	e := newFrontEnv(t)
	e.useBridge()
	e.detach("orphan", e.netFlags(), "sleep", "1000")
	fs := fdStore(e.root)
	m, err := fs.LoadMeta("orphan")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(m.KeeperPid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if ok, err := fs.WaitFor(context.Background(), "orphan", time.Minute, func(s *frontdoor.Status) bool { return !s.KeeperAlive }); !ok || err != nil {
		t.Fatalf("monitor did not die: %v", err)
	}
	if row := e.psRow("orphan"); row["STATUS"] != "running" || row["IP"] == "-" {
		t.Fatalf("container without its monitor: %v; want running with its address", row)
	}
	e.must("stop", "-t", "0", "orphan")
	if row := e.psRow("orphan"); row["STATUS"] != "stopped" {
		t.Fatalf("stopped container without a monitor: %v; want stopped", row)
	}
	e.must("rm", "orphan")
	e.checkGone("orphan")
}

// TestBridgeExhausted: a container that cannot get an address (a /30 has
// one for containers) is an error naming the cause, and leaves nothing:
// no bundle, state, cgroup or veth, and the first container's address is
// untouched.
func TestBridgeExhausted(t *testing.T) {
	e := newFrontEnv(t)
	e.useBridge()
	e.subnet = strings.Replace(e.subnet, "/24", "/30", 1)
	e.detach("first", e.netFlags(), "sleep", "1000")
	for _, d := range []string{"-d", "--rm"} {
		_, _, err := e.strata(append(append([]string{"run", d, "--name", "second"}, e.netFlags()...), "--", "true")...)
		if err == nil || !strings.Contains(err.Error(), "exhausted") {
			t.Fatalf("run %s on a full subnet: %v; want exhausted", d, err)
		}
		e.checkGone("second")
	}
	if row := e.psRow("first"); row["STATUS"] != "running" || !strings.HasSuffix(row["IP"], ".2") {
		t.Fatalf("first container after the refused second: %v", row)
	}
	e.must("rm", "-f", "first")
	e.checkGone("first")
}

// FuzzStatusFiles: whatever strata.json and exit.json hold, status and
// ps do not panic, and a decoding error names the file.
func FuzzStatusFiles(f *testing.F) {
	f.Add([]byte(`{"name":"c","key":"c-00000000","command":["sh"],"created":"2026-01-02T03:04:05Z","detached":true,"network":{"mode":"none"},"keeperPid":1,"keeperStart":1}`), []byte(`{"code":3,"finished":"2026-01-02T03:04:06Z","released":true}`))
	f.Add([]byte(`{"name":"c","command":null,"network":{"mode":"bridge","bridge":"x","subnet":"10.0.0.0/8"},"ip":"10.0.0.2"}`), []byte(``))
	f.Add([]byte(`{`), []byte(`{"code":"x"}`))
	f.Add([]byte(`null`), []byte(`null`))
	f.Fuzz(func(t *testing.T, meta, exit []byte) {
		fs := fdStore(t.TempDir())
		if err := os.MkdirAll(fs.Bundle("c"), 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(fs.File("c", frontdoor.MetaFile), meta, 0o600)
		if len(exit) > 0 {
			os.WriteFile(fs.File("c", frontdoor.ExitFile), exit, 0o600)
		}
		s, err := fs.Status("c")
		if err != nil {
			if !strings.Contains(err.Error(), frontdoor.MetaFile) && !strings.Contains(err.Error(), frontdoor.ExitFile) {
				t.Fatalf("status error %q names neither file", err)
			}
			return
		}
		var b bytes.Buffer
		if err := writePs(&b, []*frontdoor.Status{s}, true, false, time.Now()); err != nil || !strings.HasPrefix(b.String(), "NAME") {
			t.Fatalf("ps: %q, %v", b.String(), err)
		}
	})
}

// BenchmarkFrontDoor measures whole lifecycles through the commands, in
// process: a foreground `run --rm true` without and with a bridge, and
// `run -d sleep` + `rm -f`.
func BenchmarkFrontDoor(b *testing.B) {
	bundle := ctrtest.Bundle(b, ctrtest.Spec("true"))
	rootfs := filepath.Join(bundle, "rootfs")
	for _, a := range []string{"httpd", "wget", "ip", "nc", "head"} {
		os.Symlink("busybox", filepath.Join(rootfs, "bin", a))
	}
	bridge := fmt.Sprintf("stfb%x", os.Getpid())
	subnet := fmt.Sprintf("10.214.%d.0/24", os.Getpid()%20+230)
	defer func() {
		if nw, err := ctrnet.New(ctrnet.Config{Bridge: bridge, Subnet: subnet}); err == nil {
			nw.RemoveBridge()
		}
		f := filepath.Join(ctrnet.DefaultStateDir, "ipam-"+bridge+".json")
		os.Remove(f)
		os.Remove(f + ".lock")
	}()
	strata := func(b *testing.B, root string, args ...string) {
		c := &cobra.Command{Use: "strata", SilenceUsage: true, SilenceErrors: true}
		c.AddCommand(newRunCmd(), newRmCmd())
		if args[0] == "run" {
			args = append([]string{"run", "--rootfs", rootfs}, args[1:]...)
		}
		c.SetArgs(append([]string{args[0], "--root", root}, args[1:]...))
		c.SetIn(strings.NewReader(""))
		c.SetOut(io.Discard)
		c.SetErr(io.Discard)
		if err := c.Execute(); err != nil {
			b.Fatalf("strata %q: %v", args, err)
		}
	}
	for _, bc := range []struct {
		name string
		cmds [][]string
	}{
		{"run-none", [][]string{{"run", "--rm", "--name", "c", "--", "true"}}},
		{"run-bridge", [][]string{{"run", "--rm", "--name", "c", "--network", "bridge", "--bridge", bridge, "--subnet", subnet, "--", "true"}}},
		{"detach-rm", [][]string{{"run", "-d", "--name", "c", "--", "sleep", "1000"}, {"rm", "-f", "c"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			root := b.TempDir()
			for i := 0; i < b.N; i++ {
				for _, args := range bc.cmds {
					strata(b, root, args...)
				}
			}
		})
	}
}
