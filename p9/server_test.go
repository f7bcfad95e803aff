//go:build linux

package p9

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// msg builds a 9P message body field by field.
type msg struct{ b []byte }

func (m *msg) u8(v uint8) *msg   { m.b = append(m.b, v); return m }
func (m *msg) u16(v uint16) *msg { m.b = binary.LittleEndian.AppendUint16(m.b, v); return m }
func (m *msg) u32(v uint32) *msg { m.b = binary.LittleEndian.AppendUint32(m.b, v); return m }
func (m *msg) u64(v uint64) *msg { m.b = binary.LittleEndian.AppendUint64(m.b, v); return m }
func (m *msg) s(v string) *msg   { m.u16(uint16(len(v))); m.b = append(m.b, v...); return m }

func body() *msg { return &msg{} }

// frame wraps a body in a header.
func frame(typ uint8, tag uint16, b []byte) []byte {
	out := binary.LittleEndian.AppendUint32(nil, uint32(HeaderSize+len(b)))
	out = append(out, typ)
	out = binary.LittleEndian.AppendUint16(out, tag)
	return append(out, b...)
}

// client drives a Server with whole messages, as the virtio device does.
type client struct {
	t    *testing.T
	s    *Server
	tag  uint16
	resp []byte
}

func newClient(t *testing.T, dir string, ro bool) *client {
	t.Helper()
	s, err := NewServer(dir, Options{ReadOnly: ro})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := &client{t: t, s: s, resp: make([]byte, 64<<10)}
	r := c.ok(Tversion, body().u32(64<<10).s(Version))
	if r.u32() != 64<<10 || r.str() != Version {
		t.Fatal("Rversion")
	}
	c.ok(Tattach, body().u32(0).u32(NoFid).s("root").s("").u32(0))
	return c
}

// rpc sends a request and returns the reply type and body; it checks
// the reply header (size, tag).
func (c *client) rpc(typ uint8, m *msg) (uint8, *decoder) {
	c.t.Helper()
	c.tag++
	n := c.s.Handle(frame(typ, c.tag, m.b), c.resp)
	r, ok := ParseMessage(c.resp[:n])
	if !ok || int(binary.LittleEndian.Uint32(c.resp)) != n || r.Tag != c.tag {
		c.t.Fatalf("type %d: bad reply % x", typ, c.resp[:n])
	}
	return r.Type, &decoder{b: r.Body}
}

// ok expects a successful reply.
func (c *client) ok(typ uint8, m *msg) *decoder {
	c.t.Helper()
	rt, d := c.rpc(typ, m)
	if rt == Rlerror {
		c.t.Fatalf("type %d: %v", typ, unix.Errno(d.u32()))
	}
	if rt != typ+1 {
		c.t.Fatalf("type %d answered with %d", typ, rt)
	}
	return d
}

// fail expects Rlerror and returns the errno.
func (c *client) fail(typ uint8, m *msg) unix.Errno {
	c.t.Helper()
	rt, d := c.rpc(typ, m)
	if rt != Rlerror {
		c.t.Fatalf("type %d succeeded (reply %d)", typ, rt)
	}
	return unix.Errno(d.u32())
}

func (c *client) walk(fid, newfid uint32, names ...string) *msg {
	m := body().u32(fid).u32(newfid).u16(uint16(len(names)))
	for _, n := range names {
		m.s(n)
	}
	return m
}

func readQid(d *decoder) Qid { return Qid{d.u8(), d.u32(), d.u64()} }

func TestSession(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello, guest\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	fds := openFDs(t)
	c := newClient(t, dir, false)

	// Walk, getattr, open, read.
	d := c.ok(Twalk, c.walk(0, 1, "hello.txt"))
	if d.u16() != 1 || readQid(d).Type != QTFile {
		t.Fatal("Rwalk")
	}
	d = c.ok(Tgetattr, body().u32(1).u64(getattrBasic))
	d.u64()
	readQid(d)
	if mode := d.u32(); mode&unix.S_IFMT != unix.S_IFREG || mode&0o777 != 0o644 {
		t.Fatalf("mode %o", mode)
	}
	d.u32()
	d.u32()
	d.u64()
	d.u64()
	if size := d.u64(); size != 13 {
		t.Fatalf("size %d", size)
	}
	c.ok(Tlopen, body().u32(1).u32(dotlRdonly))
	d = c.ok(Tread, body().u32(1).u64(7).u32(100))
	if n := d.u32(); string(d.take(int(n))) != "guest\n" {
		t.Fatal("Rread")
	}
	if e := c.fail(Twrite, body().u32(1).u64(0).u32(1).u8('x')); e != unix.EBADF {
		t.Fatalf("write to a read-only open: %v", e)
	}
	c.ok(Tclunk, body().u32(1))
	if e := c.fail(Tclunk, body().u32(1)); e != unix.EBADF {
		t.Fatalf("double clunk: %v", e)
	}

	// Create and write in sub/.
	c.ok(Twalk, c.walk(0, 2, "sub"))
	c.ok(Tlcreate, body().u32(2).s("new.txt").u32(dotlRdwr|dotlCreate|dotlExcl).u32(0o600).u32(0))
	d = c.ok(Twrite, body().u32(2).u64(0).u32(5).u8('a').u8('b').u8('c').u8('d').u8('e'))
	if d.u32() != 5 {
		t.Fatal("Rwrite")
	}
	c.ok(Tfsync, body().u32(2).u32(0))
	c.ok(Tclunk, body().u32(2))
	if b, _ := os.ReadFile(filepath.Join(dir, "sub/new.txt")); string(b) != "abcde" {
		t.Fatalf("host sees %q", b)
	}
	// Truncate through setattr.
	c.ok(Twalk, c.walk(0, 3, "sub", "new.txt"))
	c.ok(Tsetattr, body().u32(3).u32(setattrSize|setattrMode).u32(0o640).u32(0).u32(0).u64(2).u64(0).u64(0).u64(0).u64(0))
	if st, _ := os.Stat(filepath.Join(dir, "sub/new.txt")); st.Size() != 2 || st.Mode().Perm() != 0o640 {
		t.Fatalf("after setattr: %v %v", st.Size(), st.Mode())
	}
	c.ok(Tclunk, body().u32(3))

	// mkdir, symlink, readlink, rename, readdir, unlink.
	c.ok(Tmkdir, body().u32(0).s("d").u32(0o755).u32(0))
	c.ok(Tsymlink, body().u32(0).s("ln").s("hello.txt").u32(0))
	c.ok(Twalk, c.walk(0, 4, "ln"))
	if d = c.ok(Treadlink, body().u32(4)); d.str() != "hello.txt" {
		t.Fatal("Rreadlink")
	}
	c.ok(Trenameat, body().u32(0).s("ln").u32(0).s("ln2"))
	c.ok(Twalk, c.walk(0, 5))
	c.ok(Tlopen, body().u32(5).u32(dotlRdonly))
	var names []string
	for off := uint64(0); ; {
		d = c.ok(Treaddir, body().u32(5).u64(off).u32(60)) // small: several rounds
		n := d.u32()
		if n == 0 {
			break
		}
		e := &decoder{b: d.take(int(n))}
		for len(e.b) > 0 && !e.bad {
			readQid(e)
			off = e.u64()
			e.u8()
			names = append(names, e.str())
		}
	}
	slices.Sort(names)
	if strings.Join(names, ",") != "d,hello.txt,ln2,sub" {
		t.Fatalf("readdir %v", names)
	}
	c.ok(Tunlinkat, body().u32(0).s("ln2").u32(0))
	c.ok(Tunlinkat, body().u32(0).s("d").u32(atRemoveDir))
	if _, err := os.Lstat(filepath.Join(dir, "d")); !os.IsNotExist(err) {
		t.Fatal("d not removed")
	}
	d = c.ok(Tstatfs, body().u32(0))
	if d.u32() != 0x01021997 {
		t.Fatal("Rstatfs")
	}
	// Partial walk: Rwalk with the qids reached, newfid not created.
	d = c.ok(Twalk, c.walk(0, 6, "sub", "missing"))
	if d.u16() != 1 {
		t.Fatal("partial walk")
	}
	if e := c.fail(Tclunk, body().u32(6)); e != unix.EBADF {
		t.Fatal("newfid created by a partial walk")
	}
	if e := c.fail(Twalk, c.walk(0, 6, "missing")); e != unix.ENOENT {
		t.Fatalf("walk to a missing file: %v", e)
	}
	// A new Tversion clunks everything.
	c.ok(Tversion, body().u32(8192).s(Version))
	if e := c.fail(Tgetattr, body().u32(0).u64(0)); e != unix.EBADF {
		t.Fatalf("fid 0 survived Tversion: %v", e)
	}
	if len(c.s.fids) != 0 {
		t.Fatal("fids leaked")
	}
	c.s.Close()
	if n := openFDs(t); n != fds {
		t.Fatalf("%d descriptors open after Close, %d before", n, fds)
	}
}

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestTraversal tries to leave the shared directory: "..", names with
// slashes, symbolic links to /etc (absolute) and to the parent (relative).
// Every attempt fails and nothing outside the share changes.
func TestTraversal(t *testing.T) {
	parent := t.TempDir()
	outside := filepath.Join(parent, "outside.txt")
	os.WriteFile(outside, []byte("secret\n"), 0o644)
	dir := filepath.Join(parent, "share")
	os.Mkdir(dir, 0o755)
	os.Symlink("/etc", filepath.Join(dir, "etc"))
	os.Symlink("/etc/passwd", filepath.Join(dir, "passwd"))
	os.Symlink("../outside.txt", filepath.Join(dir, "up"))
	os.Symlink("..", filepath.Join(dir, "parent"))
	c := newClient(t, dir, false)

	for _, names := range [][]string{
		{".."}, {"."}, {"../outside.txt"}, {"/etc"}, {"/"}, {"etc/passwd"}, {""}, {"a\x00b"},
		{"parent", "outside.txt"}, {"etc", "passwd"},
	} {
		rt, d := c.rpc(Twalk, c.walk(0, 9, names...))
		if rt == Rlerror {
			continue
		}
		// A partial walk is fine as long as it did not finish.
		if n := d.u16(); int(n) >= len(names) {
			t.Fatalf("walk %q succeeded", names)
		}
		if e := c.fail(Tclunk, body().u32(9)); e != unix.EBADF {
			t.Fatalf("walk %q created the fid", names)
		}
	}
	// The links themselves can be walked to (the guest reads them), but
	// never opened, written through or walked through.
	for i, name := range []string{"etc", "passwd", "up", "parent"} {
		f := uint32(10 + i)
		d := c.ok(Twalk, c.walk(0, f, name))
		if d.u16() != 1 || readQid(d).Type != QTSymlink {
			t.Fatalf("%s: not a symlink qid", name)
		}
		if e := c.fail(Tlopen, body().u32(f).u32(dotlRdonly)); e != unix.ELOOP {
			t.Fatalf("lopen %s: %v", name, e)
		}
		if e := c.fail(Tlopen, body().u32(f).u32(dotlWronly|dotlTrunc)); e != unix.ELOOP {
			t.Fatalf("lopen %s for writing: %v", name, e)
		}
		if e := c.fail(Tlcreate, body().u32(f).s("x").u32(dotlRdwr).u32(0o644).u32(0)); e != unix.ENOTDIR {
			t.Fatalf("create in %s: %v", name, e)
		}
		if e := c.fail(Tmkdir, body().u32(f).s("x").u32(0o755).u32(0)); e != unix.ENOTDIR {
			t.Fatalf("mkdir in %s: %v", name, e)
		}
		if e := c.fail(Tsetattr, body().u32(f).u32(setattrSize).u32(0).u32(0).u32(0).u64(0).u64(0).u64(0).u64(0).u64(0)); e != unix.EINVAL {
			t.Fatalf("truncate %s: %v", name, e)
		}
		// Creating over the link does not follow it.
		if e := c.fail(Tlcreate, body().u32(0).s(name).u32(dotlWronly|dotlTrunc).u32(0o644).u32(0)); e != unix.ELOOP {
			t.Fatalf("create over %s: %v", name, e)
		}
	}
	// Names with path syntax in every *at request.
	for _, bad := range []string{"..", ".", "../x", "/tmp/x", "a/b", ""} {
		if e := c.fail(Tlcreate, body().u32(0).s(bad).u32(dotlRdwr).u32(0o644).u32(0)); e != unix.EPERM {
			t.Fatalf("lcreate %q: %v", bad, e)
		}
		c.ok(Twalk, c.walk(0, 1)) // lcreate failed: fid 1 is a fresh clone of the root each round
		if e := c.fail(Tmkdir, body().u32(0).s(bad).u32(0o755).u32(0)); e != unix.EPERM {
			t.Fatalf("mkdir %q: %v", bad, e)
		}
		if e := c.fail(Tsymlink, body().u32(0).s(bad).s("x").u32(0)); e != unix.EPERM {
			t.Fatalf("symlink %q: %v", bad, e)
		}
		if e := c.fail(Tunlinkat, body().u32(0).s(bad).u32(0)); e != unix.EPERM {
			t.Fatalf("unlinkat %q: %v", bad, e)
		}
		if e := c.fail(Trenameat, body().u32(0).s("up").u32(0).s(bad)); e != unix.EPERM {
			t.Fatalf("renameat to %q: %v", bad, e)
		}
		if e := c.fail(Tlink, body().u32(0).u32(0).s(bad)); e != unix.EPERM {
			t.Fatalf("link %q: %v", bad, e)
		}
		c.ok(Tclunk, body().u32(1))
	}
	// Nothing outside changed.
	if b, _ := os.ReadFile(outside); string(b) != "secret\n" {
		t.Fatal("outside file modified")
	}
	ents, _ := os.ReadDir(parent)
	if len(ents) != 2 {
		t.Fatalf("parent has %d entries", len(ents))
	}
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("data"), 0o644)
	c := newClient(t, dir, true)
	c.ok(Twalk, c.walk(0, 1, "f"))
	for _, fl := range []uint32{dotlWronly, dotlRdwr, dotlRdonly | dotlTrunc, dotlWronly | dotlAppend} {
		if e := c.fail(Tlopen, body().u32(1).u32(fl)); e != unix.EROFS {
			t.Fatalf("lopen %o: %v", fl, e)
		}
	}
	c.ok(Tlopen, body().u32(1).u32(dotlRdonly))
	if e := c.fail(Twrite, body().u32(1).u64(0).u32(1).u8('x')); e != unix.EROFS {
		t.Fatalf("write: %v", e)
	}
	for _, req := range []struct {
		typ uint8
		m   *msg
	}{
		{Tlcreate, body().u32(0).s("n").u32(dotlRdwr).u32(0o644).u32(0)},
		{Tmkdir, body().u32(0).s("n").u32(0o755).u32(0)},
		{Tsymlink, body().u32(0).s("n").s("f").u32(0)},
		{Tunlinkat, body().u32(0).s("f").u32(0)},
		{Trenameat, body().u32(0).s("f").u32(0).s("g")},
		{Tlink, body().u32(0).u32(1).s("g")},
		{Tmknod, body().u32(0).s("n").u32(unix.S_IFREG | 0o644).u32(0).u32(0).u32(0)},
		{Tsetattr, body().u32(1).u32(setattrSize).u32(0).u32(0).u32(0).u64(0).u64(0).u64(0).u64(0).u64(0)},
	} {
		if e := c.fail(req.typ, req.m); e != unix.EROFS {
			t.Fatalf("type %d: %v", req.typ, e)
		}
	}
	ents, _ := os.ReadDir(dir)
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); len(ents) != 1 || string(b) != "data" {
		t.Fatal("read-only share modified")
	}
}

func TestMalformed(t *testing.T) {
	c := newClient(t, t.TempDir(), false)
	resp := make([]byte, 4096)
	// Too short for a tag: no reply at all.
	if n := c.s.Handle([]byte{1, 2, 3}, resp); n != 0 {
		t.Fatal("reply to a 3-byte message")
	}
	// Size field beyond the buffer, below the header, truncated bodies.
	for _, req := range [][]byte{
		{0xff, 0, 0, 0, Tclunk, 1, 0},
		{3, 0, 0, 0, Tclunk, 1, 0},
		frame(Tclunk, 1, []byte{0, 0}),
		frame(Twalk, 1, body().u32(0).u32(1).u16(2).s("a").b),
		frame(Twalk, 1, body().u32(0).u32(1).u16(17).b),
		frame(Twrite, 1, body().u32(0).u64(0).u32(100).b),
		frame(Tversion, 1, body().u32(100).s(Version).b),
		frame(200, 1, nil),
	} {
		n := c.s.Handle(req, resp)
		if n != 11 || resp[4] != Rlerror || binary.LittleEndian.Uint16(resp[5:]) != 1 {
			t.Fatalf("% x: reply % x", req, resp[:n])
		}
	}
	// A reply buffer too small for an error gets nothing.
	if n := c.s.Handle(frame(Tclunk, 1, body().u32(5).b), make([]byte, 10)); n != 0 {
		t.Fatal("reply overflowed a 10-byte buffer")
	}
	// Requests before Tversion are refused.
	s, _ := NewServer(t.TempDir(), Options{})
	defer s.Close()
	if n := s.Handle(frame(Tattach, 1, body().u32(0).u32(NoFid).s("").s("").u32(0).b), resp); n != 11 || resp[4] != Rlerror {
		t.Fatal("attach before version")
	}
	// An unknown version is answered with "unknown".
	n := s.Handle(frame(Tversion, NoTag, body().u32(8192).s("9P2000.u").b), resp)
	d := &decoder{b: resp[HeaderSize:n]}
	if resp[4] != Tversion+1 || d.u32() != 8192 || d.str() != "unknown" {
		t.Fatal("Rversion for an unknown version")
	}
}

// TestReadLimits checks that reads and readdir never exceed the reply
// buffer or msize.
func TestReadLimits(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789"), 10000)
	os.WriteFile(filepath.Join(dir, "big"), big, 0o644)
	c := newClient(t, dir, false)
	c.ok(Twalk, c.walk(0, 1, "big"))
	c.ok(Tlopen, body().u32(1).u32(dotlRdonly))
	c.resp = make([]byte, 1000)
	d := c.ok(Tread, body().u32(1).u64(10).u32(1<<20))
	n := d.u32()
	if n != 1000-11 || !bytes.Equal(d.take(int(n)), big[10:10+n]) {
		t.Fatalf("read of %d into a 1000-byte reply", n)
	}
	d = c.ok(Tread, body().u32(1).u64(uint64(len(big))).u32(100))
	if d.u32() != 0 {
		t.Fatal("read past EOF")
	}
}

// FuzzP9Message feeds arbitrary bytes as a message to a server holding a
// session (fids 0 = root, 1 = an open file, 2 = an open directory): it must
// never panic, and every reply must be well-formed and fit the buffer.
func FuzzP9Message(f *testing.F) {
	f.Add(frame(Twalk, 1, body().u32(0).u32(5).u16(2).s("sub").s("f").b))
	f.Add(frame(Tread, 1, body().u32(1).u64(0).u32(100).b))
	f.Add(frame(Twrite, 1, body().u32(1).u64(3).u32(2).u8(1).u8(2).b))
	f.Add(frame(Treaddir, 1, body().u32(2).u64(0).u32(200).b))
	f.Add(frame(Tlcreate, 1, body().u32(0).s("n").u32(2).u32(0o644).u32(0).b))
	f.Add(frame(Tgetattr, 1, body().u32(0).u64(0).b))
	f.Add(frame(Tsetattr, 1, body().u32(1).u32(0xfff).u32(0o644).u32(0).u32(0).u64(1).u64(0).u64(0).u64(0).u64(0).b))
	f.Add(frame(Tversion, 1, body().u32(8192).s(Version).b))
	f.Add([]byte{7, 0, 0, 0, Tclunk, 0, 0})
	parent := f.TempDir()
	outside := filepath.Join(parent, "outside")
	os.WriteFile(outside, []byte("x"), 0o644)
	f.Fuzz(func(t *testing.T, req []byte) {
		dir := filepath.Join(parent, "share")
		os.RemoveAll(dir)
		os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
		os.WriteFile(filepath.Join(dir, "sub/f"), []byte("hello"), 0o644)
		os.Symlink("../outside", filepath.Join(dir, "up"))
		c := newClient(t, dir, false)
		c.ok(Twalk, c.walk(0, 1, "sub", "f"))
		c.ok(Tlopen, body().u32(1).u32(dotlRdwr))
		c.ok(Twalk, c.walk(0, 2, "sub"))
		c.ok(Tlopen, body().u32(2).u32(dotlRdonly))
		for _, size := range []int{11, 64, 4096} {
			resp := make([]byte, size+16)
			n := c.s.Handle(req, resp[:size])
			if n == 0 {
				continue
			}
			if n < HeaderSize || n > size || int(binary.LittleEndian.Uint32(resp)) != n {
				t.Fatalf("reply of %d bytes into %d: % x", n, size, resp[:min(n, 64)])
			}
			if !bytes.Equal(resp[size:], make([]byte, 16)) {
				t.Fatal("reply written past the buffer")
			}
		}
		if b, err := os.ReadFile(outside); err != nil || string(b) != "x" {
			t.Fatal("outside file touched")
		}
		ents, _ := os.ReadDir(parent)
		if len(ents) != 2 {
			t.Fatalf("parent has %d entries", len(ents))
		}
	})
}

// TestNoSetID checks that the guest cannot create set-user-ID or
// set-group-ID files or directories on the host.
func TestNoSetID(t *testing.T) {
	dir := t.TempDir()
	c := newClient(t, dir, false)
	if !c.s.Active() {
		t.Fatal("attached session not active")
	}
	c.ok(Twalk, c.walk(0, 1))
	c.ok(Tlcreate, body().u32(1).s("suid").u32(dotlRdwr).u32(0o6755).u32(0))
	c.ok(Tmkdir, body().u32(0).s("sgid").u32(0o3777).u32(0))
	c.ok(Twalk, c.walk(0, 2, "suid"))
	c.ok(Tsetattr, body().u32(2).u32(setattrMode).u32(0o4777).u32(0).u32(0).u64(0).u64(0).u64(0).u64(0).u64(0))
	for _, name := range []string{"suid", "sgid"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode()&(os.ModeSetuid|os.ModeSetgid) != 0 || st.Mode().Perm()&0o700 != 0o700 {
			t.Errorf("%s: mode %v", name, st.Mode())
		}
	}
	if st, _ := os.Stat(filepath.Join(dir, "sgid")); st.Mode()&os.ModeSticky == 0 {
		t.Error("sticky bit dropped")
	}
	c.ok(Tclunk, body().u32(0))
	c.ok(Tclunk, body().u32(1))
	c.ok(Tclunk, body().u32(2))
	if c.s.Active() {
		t.Fatal("session active with no fids")
	}
}
