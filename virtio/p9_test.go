package virtio

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"strata/p9"
)

// echoP9 is a fake 9P server: the reply is "R" followed by the request,
// cut to the reply room.
type echoP9 struct {
	reqs   [][]byte
	resets int
}

func (e *echoP9) Handle(req, resp []byte) int {
	e.reqs = append(e.reqs, bytes.Clone(req))
	return copy(resp, append([]byte("R"), req...))
}

func (e *echoP9) Reset() { e.resets++ }

func TestP9Config(t *testing.T) {
	if _, err := NewP9("", &echoP9{}); err == nil {
		t.Fatal("empty tag accepted")
	}
	if _, err := NewP9(string(make([]byte, 256)), &echoP9{}); err == nil {
		t.Fatal("256-byte tag accepted")
	}
	p, err := NewP9("hostshare", &echoP9{})
	if err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, p, 1<<16)
	d.w32(regDeviceFeaturesSel, 0)
	if d.r32(regDeviceFeatures)&P9FMountTag == 0 || d.r32(regDeviceID) != ID9P {
		t.Fatal("no MOUNT_TAG feature or wrong device ID")
	}
	// Linux reads tag_len (le16), then the tag byte by byte.
	if v, ok := d.m.Read(regConfig, 2); !ok || v != 9 {
		t.Fatalf("tag_len %d", v)
	}
	var tag []byte
	for i := uint64(0); i < 9; i++ {
		v, _ := d.m.Read(regConfig+2+i, 1)
		tag = append(tag, byte(v))
	}
	if string(tag) != "hostshare" {
		t.Fatalf("tag %q", tag)
	}
	if v, _ := d.m.Read(regConfig+11, 4); v != 0 {
		t.Fatal("bytes past the tag are not zero")
	}
}

func TestP9Requests(t *testing.T) {
	srv := &echoP9{}
	p, _ := NewP9("t", srv)
	d := newDriver(t, p, 1<<16)
	d.init(^uint64(0), 8)
	q := d.qs[0]
	// A request in two readable buffers, the reply over two writable
	// ones (as Linux's zero-copy reads lay it out: header, then data).
	r1, r2 := d.alloc(4, 1), d.alloc(6, 1)
	d.fill(r1, []byte("abcd"))
	d.fill(r2, []byte("efghij"))
	w1, w2 := d.alloc(3, 1), d.alloc(64, 1)
	u := d.one(q, false, buf{r1, 4, false}, buf{r2, 6, false}, buf{w1, 3, true}, buf{w2, 64, true})
	if len(srv.reqs) != 1 || string(srv.reqs[0]) != "abcdefghij" {
		t.Fatalf("server saw %q", srv.reqs)
	}
	if u.len != 11 || string(d.bytesAt(w1, 3)) != "Rab" || string(d.bytesAt(w2, 8)) != "cdefghij" {
		t.Fatalf("reply len %d: %q %q", u.len, d.bytesAt(w1, 3), d.bytesAt(w2, 8))
	}
	// The reply is cut to the writable room; indirect chains work too.
	w3 := d.alloc(4, 1)
	if u := d.one(q, true, buf{r1, 4, false}, buf{w3, 4, true}); u.len != 4 || string(d.bytesAt(w3, 4)) != "Rabc" {
		t.Fatalf("short reply: %d %q", u.len, d.bytesAt(w3, 4))
	}
	if !d.level {
		t.Fatal("no interrupt")
	}
	d.ackIRQ()
	// A device reset ends the server's session.
	before := srv.resets
	d.reset()
	if srv.resets != before+1 {
		t.Fatal("server not reset")
	}
	d.mem.check(t)
}

// TestP9Server runs a real 9P session with package p9's server through
// the virtqueue: version, attach, walk, open and a read whose data lands
// in a separate writable buffer.
func TestP9Server(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the p9 server needs Linux")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello over virtio\n"), 0o644)
	srv, err := p9.NewServer(dir, p9.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p, _ := NewP9("share", srv)
	d := newDriver(t, p, 1<<20)
	d.init(^uint64(0), 16)
	q := d.qs[0]
	tag := uint16(0)
	// rpc sends a message built from fields and returns the reply; hdr is
	// the size of the first writable buffer (the rest goes in a second).
	rpc := func(typ uint8, hdr uint32, fields ...any) []byte {
		t.Helper()
		var b []byte
		for _, f := range fields {
			switch v := f.(type) {
			case uint16:
				b = binary.LittleEndian.AppendUint16(b, v)
			case uint32:
				b = binary.LittleEndian.AppendUint32(b, v)
			case uint64:
				b = binary.LittleEndian.AppendUint64(b, v)
			case string:
				b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
				b = append(b, v...)
			}
		}
		tag++
		m := binary.LittleEndian.AppendUint32(nil, uint32(7+len(b)))
		m = append(m, typ)
		m = binary.LittleEndian.AppendUint16(m, tag)
		m = append(m, b...)
		ra := d.alloc(uint64(len(m)), 8)
		d.fill(ra, m)
		wa, wb := d.alloc(uint64(hdr), 8), d.alloc(4096, 8)
		u := d.one(q, false, buf{ra, uint32(len(m)), false}, buf{wa, hdr, true}, buf{wb, 4096, true})
		out := append(d.bytesAt(wa, int(hdr)), d.bytesAt(wb, 4096)...)[:u.len]
		if u.len < 7 || binary.LittleEndian.Uint32(out) != u.len || out[4] != typ+1 {
			t.Fatalf("type %d: reply % x", typ, out)
		}
		return out[7:]
	}
	if r := rpc(p9.Tversion, 64, uint32(8192), p9.Version); string(r[6:]) != p9.Version {
		t.Fatalf("Rversion %q", r)
	}
	rpc(p9.Tattach, 64, uint32(0), p9.NoFid, "root", "", uint32(0))
	rpc(p9.Twalk, 64, uint32(0), uint32(1), uint16(1), "hello.txt")
	rpc(p9.Tlopen, 64, uint32(1), uint32(0))
	r := rpc(p9.Tread, 11, uint32(1), uint64(0), uint32(4096))
	if n := binary.LittleEndian.Uint32(r); string(r[4:4+n]) != "hello over virtio\n" {
		t.Fatalf("Rread %q", r)
	}
	d.mem.check(t)
}

// TestP9Snapshot checks that a snapshot refuses a mounted share (the
// server's open fids cannot be saved) and accepts an idle one.
func TestP9Snapshot(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the p9 server needs Linux")
	}
	srv, err := p9.NewServer(t.TempDir(), p9.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p, _ := NewP9("share", srv)
	if _, err := p.SaveDeviceState(); err != nil {
		t.Fatalf("idle share: %v", err)
	}
	resp := make([]byte, 256)
	msg := func(typ uint8, body ...byte) []byte {
		m := binary.LittleEndian.AppendUint32(nil, uint32(7+len(body)))
		m = append(m, typ, 1, 0)
		return append(m, body...)
	}
	srv.Handle(msg(p9.Tversion, 0, 32, 0, 0, 8, 0, '9', 'P', '2', '0', '0', '0', '.', 'L'), resp)
	srv.Handle(msg(p9.Tattach, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0), resp)
	if resp[4] != p9.Tattach+1 {
		t.Fatalf("attach: % x", resp[:11])
	}
	if _, err := p.SaveDeviceState(); err == nil {
		t.Fatal("snapshot of a mounted share accepted")
	}
}
