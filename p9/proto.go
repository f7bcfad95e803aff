// Package p9 is a 9P2000.L file server for one host directory: the
// server behind strata's virtio-9p device ("--share DIR,tag=NAME"), which
// a Linux guest mounts with
//
//	mount -t 9p -o trans=virtio,version=9p2000.L NAME /mnt
//
// The server works on whole message buffers (Server.Handle), not on a
// stream: the virtio transport hands it one request and the room for the
// reply. It is synchronous and serialises requests.
//
// The guest is untrusted. Every message is decoded with bounds checks (a
// malformed one gets Rlerror EINVAL), and the guest cannot reach anything
// outside the shared directory: walks accept only plain names (no "..",
// ".", "/" or NUL), every path component is opened relative to its
// parent's descriptor with O_PATH|O_NOFOLLOW so symbolic links are never
// followed by the host (the guest's kernel resolves them itself through
// Treadlink), files are opened only through the descriptor of the inode
// the walk found, and creation uses O_NOFOLLOW|O_EXCL semantics. A
// read-only server refuses every modifying request with EROFS.
package p9

import (
	"encoding/binary"
	"strings"
)

// Message types of 9P2000 and 9P2000.L (T = request, R = reply = T+1).
const (
	Tlerror      = 6
	Rlerror      = 7
	Tstatfs      = 8
	Tlopen       = 12
	Tlcreate     = 14
	Tsymlink     = 16
	Tmknod       = 18
	Trename      = 20
	Treadlink    = 22
	Tgetattr     = 24
	Tsetattr     = 26
	Txattrwalk   = 30
	Txattrcreate = 32
	Treaddir     = 40
	Tfsync       = 50
	Tlock        = 52
	Tgetlock     = 54
	Tlink        = 70
	Tmkdir       = 72
	Trenameat    = 74
	Tunlinkat    = 76
	Tversion     = 100
	Tauth        = 102
	Tattach      = 104
	Tflush       = 108
	Twalk        = 110
	Tread        = 116
	Twrite       = 118
	Tclunk       = 120
	Tremove      = 122
)

// Protocol constants.
const (
	// Version is the only protocol version the server speaks.
	Version = "9P2000.L"
	// NoFid is the "no fid" value (e.g. afid in Tattach).
	NoFid = ^uint32(0)
	// NoTag is the tag of Tversion.
	NoTag = uint16(0xffff)
	// HeaderSize is size[4] type[1] tag[2].
	HeaderSize = 7
	// MaxWalk is the most names one Twalk may carry (MAXWELEM).
	MaxWalk = 16
	// DefaultMsize is the largest message size the server negotiates
	// unless Options.Msize says otherwise.
	DefaultMsize = 512 << 10
	// MinMsize is the smallest msize accepted in Tversion (Linux needs
	// at least 4096 too).
	MinMsize = 4096

	qidSize = 13 // type[1] version[4] path[8]
)

// Qid types.
const (
	QTDir     = 0x80
	QTSymlink = 0x02
	QTFile    = 0x00
)

// Open flags as 9P2000.L carries them (P9_DOTL_*). They happen to equal
// the generic Linux values, but not those of every host architecture, so
// the server translates them.
const (
	dotlRdonly   = 0
	dotlWronly   = 1
	dotlRdwr     = 2
	dotlAccMode  = 3
	dotlCreate   = 0o100
	dotlExcl     = 0o200
	dotlTrunc    = 0o1000
	dotlAppend   = 0o2000
	dotlDsync    = 0o10000
	dotlDir      = 0o200000
	dotlSync     = 0o4000000
	atRemoveDir  = 0x200 // Tunlinkat flag (AT_REMOVEDIR)
	getattrBasic = 0x7ff // P9_GETATTR_BASIC
)

// Tsetattr valid bits.
const (
	setattrMode     = 0x1
	setattrUID      = 0x2
	setattrGID      = 0x4
	setattrSize     = 0x8
	setattrAtime    = 0x10
	setattrMtime    = 0x20
	setattrAtimeSet = 0x80
	setattrMtimeSet = 0x100
)

// Options configures a Server.
type Options struct {
	// ReadOnly refuses every request that would modify the directory.
	ReadOnly bool
	// Msize caps the negotiated message size (default DefaultMsize).
	Msize uint32
	// MaxFids caps the number of fids the client may hold (default
	// 8192); each holds one or two host file descriptors.
	MaxFids int
}

// Qid is a server's unique identification of a file.
type Qid struct {
	Type    uint8
	Version uint32
	Path    uint64
}

// decoder reads little-endian fields from a message body. A read past the
// end sets bad and returns zero values; callers check bad once at the end.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) take(n int) []byte {
	if d.bad || n < 0 || n > len(d.b) {
		d.bad = true
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8() uint8 {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if p := d.take(2); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// str reads a string: len[2] then the bytes.
func (d *decoder) str() string {
	n := int(d.u16())
	return string(d.take(n))
}

// encoder writes fields into a fixed buffer; overflow sets over and drops
// the write (the caller then answers with an error instead).
type encoder struct {
	b    []byte
	n    int
	over bool
}

func (e *encoder) room(n int) []byte {
	if e.over || n > len(e.b)-e.n {
		e.over = true
		return nil
	}
	p := e.b[e.n : e.n+n]
	e.n += n
	return p
}

func (e *encoder) u8(v uint8) {
	if p := e.room(1); p != nil {
		p[0] = v
	}
}

func (e *encoder) u16(v uint16) {
	if p := e.room(2); p != nil {
		binary.LittleEndian.PutUint16(p, v)
	}
}

func (e *encoder) u32(v uint32) {
	if p := e.room(4); p != nil {
		binary.LittleEndian.PutUint32(p, v)
	}
}

func (e *encoder) u64(v uint64) {
	if p := e.room(8); p != nil {
		binary.LittleEndian.PutUint64(p, v)
	}
}

func (e *encoder) str(s string) {
	if len(s) > 0xffff {
		e.over = true
		return
	}
	e.u16(uint16(len(s)))
	if p := e.room(len(s)); p != nil {
		copy(p, s)
	}
}

func (e *encoder) qid(q Qid) {
	e.u8(q.Type)
	e.u32(q.Version)
	e.u64(q.Path)
}

// validName reports whether s may name a directory entry: not empty, not
// "." or "..", no '/' and no NUL, at most 255 bytes. Anything else could
// lead a path outside the entry's directory.
func validName(s string) bool {
	return s != "" && s != "." && s != ".." && len(s) <= 255 && !strings.ContainsAny(s, "/\x00")
}

// Message is a decoded 9P message header and its body.
type Message struct {
	Type uint8
	Tag  uint16
	Body []byte
}

// ParseMessage splits a 9P message into its header fields and body. It
// fails (ok false) if the buffer is shorter than the header or than the
// size field says, or the size field is below the header size. Bytes past
// size are ignored.
func ParseMessage(b []byte) (m Message, ok bool) {
	if len(b) < HeaderSize {
		return Message{}, false
	}
	size := binary.LittleEndian.Uint32(b)
	if size < HeaderSize || uint64(size) > uint64(len(b)) {
		return Message{}, false
	}
	return Message{Type: b[4], Tag: binary.LittleEndian.Uint16(b[5:]), Body: b[HeaderSize:size]}, true
}
