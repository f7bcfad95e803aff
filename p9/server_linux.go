package p9

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Server serves 9P2000.L for one host directory. It is safe for
// concurrent use; requests are serialised.
type Server struct {
	mu      sync.Mutex
	root    string
	rootFD  int // O_PATH descriptor of the shared directory
	ro      bool
	maxSize uint32
	msize   uint32 // negotiated; 0 before Tversion
	maxFids int
	fids    map[uint32]*fid
	closed  bool
}

// fid is the server side of a client fid: an O_PATH descriptor of the
// inode a walk reached (never a followed symbolic link) and, once opened,
// a real descriptor.
type fid struct {
	path   int    // O_PATH|O_NOFOLLOW descriptor
	mode   uint32 // S_IFMT bits of the inode
	open   int    // -1 until Tlopen/Tlcreate
	dirent []dirent
}

type dirent struct {
	qid  Qid
	typ  uint8
	name string
}

// NewServer returns a server exporting the directory dir.
func NewServer(dir string, opt Options) (*Server, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("p9: share %s: %w", dir, err)
	}
	s := &Server{root: dir, rootFD: fd, ro: opt.ReadOnly, maxSize: opt.Msize, maxFids: opt.MaxFids, fids: map[uint32]*fid{}}
	if s.maxSize < MinMsize {
		s.maxSize = DefaultMsize
	}
	if s.maxFids <= 0 {
		s.maxFids = 8192
	}
	return s, nil
}

// Close releases every host descriptor; later requests fail.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.clunkAll()
	s.closed = true
	return unix.Close(s.rootFD)
}

// Active reports whether the client holds any fid (a live session that a
// machine snapshot could not carry over).
func (s *Server) Active() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.fids) > 0
}

// Reset forgets the session (all fids), as a device reset does.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clunkAll()
	s.msize = 0
}

func (s *Server) clunkAll() {
	for k, f := range s.fids {
		f.close()
		delete(s.fids, k)
	}
}

func (f *fid) close() {
	unix.Close(f.path)
	if f.open >= 0 {
		unix.Close(f.open)
	}
	f.path, f.open, f.dirent = -1, -1, nil
}

// procPath names the inode behind descriptor fd for the calls that have
// no descriptor-based form (reopening an O_PATH descriptor, chmod,
// truncate, utimes).
func procPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// Handle serves one request message and writes the reply into resp,
// returning its length. A reply always fits resp: if it would not, the
// reply is an Rlerror. It returns 0 if req is too short to carry a tag or
// resp cannot hold even an error reply (11 bytes).
func (s *Server) Handle(req, resp []byte) int {
	if len(resp) < HeaderSize+4 {
		return 0
	}
	m, ok := ParseMessage(req)
	if !ok {
		if len(req) < HeaderSize {
			return 0
		}
		return errorReply(resp, binary.LittleEndian.Uint16(req[5:]), unix.EINVAL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Never produce more than the negotiated msize.
	if s.msize != 0 && uint32(len(resp)) > s.msize {
		resp = resp[:s.msize]
	}
	e := &encoder{b: resp, n: HeaderSize}
	d := &decoder{b: m.Body}
	var err error
	if s.closed {
		err = unix.EBADF
	} else if m.Type != Tversion && s.msize == 0 {
		err = unix.EPROTO // no session
	} else {
		err = s.dispatch(m.Type, d, e)
	}
	if err == nil && d.bad {
		err = unix.EINVAL
	}
	if err == nil && e.over {
		err = unix.ERANGE
	}
	if err != nil {
		return errorReply(resp, m.Tag, err)
	}
	binary.LittleEndian.PutUint32(resp, uint32(e.n))
	resp[4] = m.Type + 1
	binary.LittleEndian.PutUint16(resp[5:], m.Tag)
	return e.n
}

// errorReply writes Rlerror with the errno err maps to.
func errorReply(resp []byte, tag uint16, err error) int {
	var no unix.Errno
	if !errors.As(err, &no) || no == 0 {
		no = unix.EIO
	}
	binary.LittleEndian.PutUint32(resp, HeaderSize+4)
	resp[4] = Rlerror
	binary.LittleEndian.PutUint16(resp[5:], tag)
	binary.LittleEndian.PutUint32(resp[7:], uint32(no))
	return HeaderSize + 4
}

func (s *Server) dispatch(typ uint8, d *decoder, e *encoder) error {
	switch typ {
	case Tversion:
		return s.version(d, e)
	case Tattach:
		return s.attach(d, e)
	case Tauth:
		return unix.EOPNOTSUPP
	case Tflush:
		d.u16() // oldtag: requests complete synchronously, nothing to flush
		return nil
	case Twalk:
		return s.walk(d, e)
	case Tclunk:
		f, err := s.fid(d.u32(), d)
		if err != nil {
			return err
		}
		s.clunk(f)
		return nil
	case Tremove:
		// Linux removes with Tunlinkat; Tremove still clunks the fid.
		f, err := s.fid(d.u32(), d)
		if err != nil {
			return err
		}
		s.clunk(f)
		return unix.EOPNOTSUPP
	case Tlopen:
		return s.lopen(d, e)
	case Tlcreate:
		return s.lcreate(d, e)
	case Tread:
		return s.read(d, e)
	case Twrite:
		return s.write(d, e)
	case Tgetattr:
		return s.getattr(d, e)
	case Tsetattr:
		return s.setattr(d)
	case Treaddir:
		return s.readdir(d, e)
	case Tmkdir:
		return s.mkdir(d, e)
	case Tsymlink:
		return s.symlink(d, e)
	case Treadlink:
		return s.readlink(d, e)
	case Tunlinkat:
		return s.unlinkat(d)
	case Trenameat:
		return s.renameat(d)
	case Tlink:
		return s.link(d)
	case Tstatfs:
		return s.statfs(d, e)
	case Tfsync:
		return s.fsync(d)
	case Tlock:
		return s.lock(d, e)
	case Tgetlock:
		return s.getlock(d, e)
	case Tmknod:
		return s.mknod(d, e)
	case Txattrwalk, Txattrcreate, Trename:
		// No extended attributes; Linux renames with Trenameat.
		return unix.EOPNOTSUPP
	}
	return unix.EOPNOTSUPP
}

// fid looks up a fid number. A truncated message reports EINVAL.
func (s *Server) fid(n uint32, d *decoder) (*fid, error) {
	if d.bad {
		return nil, unix.EINVAL
	}
	f, ok := s.fids[n]
	if !ok {
		return nil, unix.EBADF
	}
	return f, nil
}

func (s *Server) clunk(f *fid) {
	for k, v := range s.fids {
		if v == f {
			delete(s.fids, k)
		}
	}
	f.close()
}

// newFid checks that n is a free fid number and the table has room.
func (s *Server) newFid(n uint32) error {
	if n == NoFid {
		return unix.EINVAL
	}
	if _, used := s.fids[n]; used {
		return unix.EBADF
	}
	if len(s.fids) >= s.maxFids {
		return unix.EMFILE
	}
	return nil
}

func (s *Server) writable() error {
	if s.ro {
		return unix.EROFS
	}
	return nil
}

func (s *Server) version(d *decoder, e *encoder) error {
	msize := d.u32()
	v := d.str()
	if d.bad {
		return unix.EINVAL
	}
	// A new version starts a new session: every fid is clunked.
	s.clunkAll()
	s.msize = 0
	if msize < MinMsize {
		return unix.EINVAL
	}
	msize = min(msize, s.maxSize)
	if v != Version {
		e.u32(msize)
		e.str("unknown")
		return nil
	}
	s.msize = msize
	e.u32(msize)
	e.str(Version)
	return nil
}

func (s *Server) attach(d *decoder, e *encoder) error {
	n := d.u32()
	d.u32() // afid: no authentication
	d.str() // uname
	d.str() // aname: the share is the whole tree
	d.u32() // n_uname
	if d.bad {
		return unix.EINVAL
	}
	if err := s.newFid(n); err != nil {
		return err
	}
	fd, err := unix.Openat(s.rootFD, ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f, q, err := newFidFor(fd)
	if err != nil {
		return err
	}
	s.fids[n] = f
	e.qid(q)
	return nil
}

// newFidFor wraps an O_PATH descriptor (taking ownership) in a fid.
func newFidFor(fd int) (*fid, Qid, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, Qid{}, err
	}
	return &fid{path: fd, mode: st.Mode & unix.S_IFMT, open: -1}, qidOf(&st), nil
}

func qidOf(st *unix.Stat_t) Qid {
	return Qid{Type: qidType(st.Mode), Path: st.Ino}
}

func qidType(mode uint32) uint8 {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return QTDir
	case unix.S_IFLNK:
		return QTSymlink
	}
	return QTFile
}

// walk: fid[4] newfid[4] nwname[2] nwname*(wname[s]) → nwqid[2] nwqid*(qid[13]).
// Every name must be a plain entry name; each step opens the entry
// relative to the previous descriptor with O_PATH|O_NOFOLLOW, so neither
// ".." nor a symbolic link can lead outside the share.
func (s *Server) walk(d *decoder, e *encoder) error {
	fn, nn := d.u32(), d.u32()
	count := int(d.u16())
	if count > MaxWalk {
		return unix.EINVAL
	}
	names := make([]string, count)
	for i := range names {
		names[i] = d.str()
	}
	f, err := s.fid(fn, d)
	if err != nil {
		return err
	}
	if nn != fn {
		if err := s.newFid(nn); err != nil {
			return err
		}
	}
	cur, err := unix.FcntlInt(uintptr(f.path), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return err
	}
	mode := f.mode
	qids := make([]Qid, 0, count)
	for _, name := range names {
		err = nil
		if !validName(name) {
			err = unix.EPERM
		} else if mode != unix.S_IFDIR {
			err = unix.ENOTDIR
		}
		var next int
		if err == nil {
			next, err = unix.Openat(cur, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		}
		var st unix.Stat_t
		if err == nil {
			if err = unix.Fstat(next, &st); err != nil {
				unix.Close(next)
			}
		}
		if err != nil {
			unix.Close(cur)
			if len(qids) == 0 {
				return err
			}
			// A partial walk succeeds with the qids reached; newfid is
			// not created.
			break
		}
		unix.Close(cur)
		cur, mode = next, st.Mode&unix.S_IFMT
		qids = append(qids, qidOf(&st))
	}
	e.u16(uint16(len(qids)))
	for _, q := range qids {
		e.qid(q)
	}
	if len(qids) < count {
		return nil
	}
	if nn == fn {
		f.close()
		f.path, f.mode = cur, mode
		return nil
	}
	s.fids[nn] = &fid{path: cur, mode: mode, open: -1}
	return nil
}

// hostFlags translates 9P2000.L open flags into host flags: the access
// mode, TRUNC, APPEND and the sync flags; anything else is dropped.
func hostFlags(fl uint32) (int, error) {
	var h int
	switch fl & dotlAccMode {
	case dotlRdonly:
		h = unix.O_RDONLY
	case dotlWronly:
		h = unix.O_WRONLY
	case dotlRdwr:
		h = unix.O_RDWR
	default:
		return 0, unix.EINVAL
	}
	if fl&dotlTrunc != 0 {
		h |= unix.O_TRUNC
	}
	if fl&dotlAppend != 0 {
		h |= unix.O_APPEND
	}
	if fl&dotlDsync != 0 {
		h |= unix.O_DSYNC
	}
	if fl&dotlSync == dotlSync {
		h |= unix.O_SYNC
	}
	return h, nil
}

// permBits keeps the permission bits and the sticky bit of a mode the
// guest asks for. Set-user-ID and set-group-ID are dropped: a guest must
// not be able to plant a set-ID program (owned by the server's user, root
// if strata runs as root) on the host.
func permBits(mode uint32) uint32 { return mode & 0o1777 }

func modifies(h int) bool {
	return h&(unix.O_WRONLY|unix.O_RDWR|unix.O_TRUNC|unix.O_APPEND) != 0
}

// lopen: fid[4] flags[4] → qid[13] iounit[4]. Only regular files and
// directories are opened (never a symlink, device, FIFO or socket), and
// through the fid's own descriptor, so the file opened is the inode the
// walk found.
func (s *Server) lopen(d *decoder, e *encoder) error {
	f, err := s.fid(d.u32(), d)
	fl := d.u32()
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	if f.open >= 0 {
		return unix.EBADF
	}
	h, err := hostFlags(fl)
	if err != nil {
		return err
	}
	switch f.mode {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		if h&unix.O_ACCMODE != unix.O_RDONLY || h&unix.O_TRUNC != 0 {
			return unix.EISDIR
		}
		h |= unix.O_DIRECTORY
	case unix.S_IFLNK:
		return unix.ELOOP
	default:
		return unix.EPERM
	}
	if s.ro && modifies(h) {
		return unix.EROFS
	}
	fd, err := unix.Open(procPath(f.path), h|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return err
	}
	f.open, f.dirent = fd, nil
	e.qid(qidOf(&st))
	e.u32(0) // iounit: the client uses msize
	return nil
}

// lcreate: fid[4] name[s] flags[4] mode[4] gid[4] → qid[13] iounit[4].
// The fid (a directory) becomes the new, open file.
func (s *Server) lcreate(d *decoder, e *encoder) error {
	f, err := s.fid(d.u32(), d)
	name, fl, mode := d.str(), d.u32(), d.u32()
	d.u32() // gid: files belong to the server's user
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	if err := s.writable(); err != nil {
		return err
	}
	if f.open >= 0 || f.mode != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	if !validName(name) {
		return unix.EPERM
	}
	h, err := hostFlags(fl)
	if err != nil {
		return err
	}
	if fl&dotlExcl != 0 {
		h |= unix.O_EXCL
	}
	fd, err := unix.Openat(f.path, name, h|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, permBits(mode))
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return errors.Join(err, unix.EPERM)
	}
	pfd, err := unix.Open(procPath(fd), unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(fd)
		return err
	}
	f.close()
	f.path, f.mode, f.open = pfd, unix.S_IFREG, fd
	e.qid(qidOf(&st))
	e.u32(0)
	return nil
}

// read: fid[4] offset[8] count[4] → count[4] data[count]; the data goes
// straight from the file into the reply buffer.
func (s *Server) read(d *decoder, e *encoder) error {
	f, err := s.fid(d.u32(), d)
	off, count := d.u64(), d.u32()
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	if f.open < 0 {
		return unix.EBADF
	}
	if f.mode == unix.S_IFDIR {
		return unix.EISDIR
	}
	if off > 1<<63-1 {
		return unix.EINVAL
	}
	room := len(e.b) - e.n - 4
	n := min(int(count), max(room, 0))
	buf := e.b[e.n+4 : e.n+4+n]
	got := 0
	for got < n {
		k, err := unix.Pread(f.open, buf[got:], int64(off)+int64(got))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if got == 0 {
				return err
			}
			break
		}
		if k == 0 {
			break
		}
		got += k
	}
	e.u32(uint32(got))
	e.n += got
	return nil
}

// write: fid[4] offset[8] count[4] data[count] → count[4].
func (s *Server) write(d *decoder, e *encoder) error {
	f, err := s.fid(d.u32(), d)
	off, count := d.u64(), d.u32()
	data := d.take(int(count))
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	if err := s.writable(); err != nil {
		return err
	}
	if f.open < 0 {
		return unix.EBADF
	}
	if off > 1<<63-1 {
		return unix.EINVAL
	}
	done := 0
	for done < len(data) {
		k, err := unix.Pwrite(f.open, data[done:], int64(off)+int64(done))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if done == 0 {
				return err
			}
			break
		}
		done += k
	}
	e.u32(uint32(done))
	return nil
}

// getattr: fid[4] request_mask[8] → the basic attributes.
func (s *Server) getattr(d *decoder, e *encoder) error {
	f, err := s.fid(d.u32(), d)
	d.u64()
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	var st unix.Stat_t
	if err := unix.Fstat(f.path, &st); err != nil {
		return err
	}
	e.u64(getattrBasic)
	e.qid(qidOf(&st))
	e.u32(st.Mode)
	e.u32(st.Uid)
	e.u32(st.Gid)
	e.u64(uint64(st.Nlink))
	e.u64(uint64(st.Rdev))
	e.u64(uint64(st.Size))
	e.u64(uint64(st.Blksize))
	e.u64(uint64(st.Blocks))
	e.u64(uint64(st.Atim.Sec))
	e.u64(uint64(st.Atim.Nsec))
	e.u64(uint64(st.Mtim.Sec))
	e.u64(uint64(st.Mtim.Nsec))
	e.u64(uint64(st.Ctim.Sec))
	e.u64(uint64(st.Ctim.Nsec))
	e.u64(0) // btime
	e.u64(0)
	e.u64(0) // gen
	e.u64(0) // data_version
	return nil
}

// setattr: fid[4] valid[4] mode[4] uid[4] gid[4] size[8] atime[8+8]
// mtime[8+8].
func (s *Server) setattr(d *decoder) error {
	f, err := s.fid(d.u32(), d)
	valid, mode, uid, gid, size := d.u32(), d.u32(), d.u32(), d.u32(), d.u64()
	as, an, ms, mn := d.u64(), d.u64(), d.u64(), d.u64()
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	if err := s.writable(); err != nil {
		return err
	}
	link := f.mode == unix.S_IFLNK
	if valid&setattrMode != 0 && !link {
		if err := unix.Chmod(procPath(f.path), permBits(mode)); err != nil {
			return err
		}
	}
	if valid&(setattrUID|setattrGID) != 0 {
		u, g := -1, -1
		if valid&setattrUID != 0 {
			u = int(uid)
		}
		if valid&setattrGID != 0 {
			g = int(gid)
		}
		if err := unix.Fchownat(f.path, "", u, g, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
	}
	if valid&setattrSize != 0 {
		if f.mode != unix.S_IFREG {
			return unix.EINVAL
		}
		if size > 1<<63-1 {
			return unix.EFBIG
		}
		if err := unix.Truncate(procPath(f.path), int64(size)); err != nil {
			return err
		}
	}
	if valid&(setattrAtime|setattrMtime) != 0 && !link {
		ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_OMIT}}
		if valid&setattrAtime != 0 {
			ts[0] = unix.Timespec{Nsec: unix.UTIME_NOW}
			if valid&setattrAtimeSet != 0 {
				ts[0] = unix.Timespec{Sec: int64(as), Nsec: int64(an % 1e9)}
			}
		}
		if valid&setattrMtime != 0 {
			ts[1] = unix.Timespec{Nsec: unix.UTIME_NOW}
			if valid&setattrMtimeSet != 0 {
				ts[1] = unix.Timespec{Sec: int64(ms), Nsec: int64(mn % 1e9)}
			}
		}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, procPath(f.path), ts, 0); err != nil {
			return err
		}
	}
	return nil
}

// readdir: fid[4] offset[8] count[4] → count[4] entries, each qid[13]
// offset[8] type[1] name[s]. The directory is read whole at offset 0 and
// served from that snapshot; an entry's offset is its index + 1. "." and
// ".." are left out.
func (s *Server) readdir(d *decoder, e *encoder) error {
	f, err := s.fid(d.u32(), d)
	off, count := d.u64(), d.u32()
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	if f.open < 0 || f.mode != unix.S_IFDIR {
		return unix.EBADF
	}
	if off == 0 || f.dirent == nil {
		if f.dirent, err = readDir(f.open); err != nil {
			return err
		}
	}
	limit := min(int(count), len(e.b)-e.n-4)
	start := e.n
	e.u32(0)
	used := 0
	for i := off; i < uint64(len(f.dirent)); i++ {
		de := &f.dirent[i]
		n := qidSize + 8 + 1 + 2 + len(de.name)
		if used+n > limit {
			break
		}
		e.qid(de.qid)
		e.u64(i + 1)
		e.u8(de.typ)
		e.str(de.name)
		used += n
	}
	if e.over {
		return unix.ERANGE
	}
	binary.LittleEndian.PutUint32(e.b[start:], uint32(used))
	return nil
}

// readDir reads every entry of the open directory fd.
func readDir(fd int) ([]dirent, error) {
	if _, err := unix.Seek(fd, 0, 0); err != nil {
		return nil, err
	}
	out := []dirent{}
	buf := make([]byte, 16<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return out, nil
		}
		b := buf[:n]
		for len(b) >= 19 {
			// struct linux_dirent64: ino[8] off[8] reclen[2] type[1] name.
			ino := binary.LittleEndian.Uint64(b)
			reclen := int(binary.LittleEndian.Uint16(b[16:]))
			if reclen < 19 || reclen > len(b) {
				break
			}
			typ := b[18]
			name := b[19:reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			b = b[reclen:]
			if nm := string(name); nm != "." && nm != ".." {
				q := Qid{Type: QTFile, Path: ino}
				switch typ {
				case unix.DT_DIR:
					q.Type = QTDir
				case unix.DT_LNK:
					q.Type = QTSymlink
				}
				out = append(out, dirent{qid: q, typ: typ, name: nm})
			}
		}
	}
}

// dirFid looks up a directory fid for the *at requests.
func (s *Server) dirFid(n uint32, d *decoder) (*fid, error) {
	f, err := s.fid(n, d)
	if err != nil {
		return nil, err
	}
	if f.mode != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	return f, nil
}

// statQid returns the qid of name in directory dir, without following a
// final symbolic link.
func statQid(dir int, name string) (Qid, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return Qid{}, err
	}
	return qidOf(&st), nil
}

// mkdir: dfid[4] name[s] mode[4] gid[4] → qid[13].
func (s *Server) mkdir(d *decoder, e *encoder) error {
	dn := d.u32()
	name, mode := d.str(), d.u32()
	d.u32()
	f, err := s.dirFid(dn, d)
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	if err := s.writable(); err != nil {
		return err
	}
	if !validName(name) {
		return unix.EPERM
	}
	if err := unix.Mkdirat(f.path, name, permBits(mode)); err != nil {
		return err
	}
	q, err := statQid(f.path, name)
	if err != nil {
		return err
	}
	e.qid(q)
	return nil
}

// symlink: fid[4] name[s] symtgt[s] gid[4] → qid[13]. The target is
// stored as given: the host never follows links in the share.
func (s *Server) symlink(d *decoder, e *encoder) error {
	dn := d.u32()
	name, target := d.str(), d.str()
	d.u32()
	f, err := s.dirFid(dn, d)
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	if err := s.writable(); err != nil {
		return err
	}
	if !validName(name) || target == "" || len(target) > 4095 || containsNUL(target) {
		return unix.EPERM
	}
	if err := unix.Symlinkat(target, f.path, name); err != nil {
		return err
	}
	q, err := statQid(f.path, name)
	if err != nil {
		return err
	}
	e.qid(q)
	return nil
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// mknod: dfid[4] name[s] mode[4] major[4] minor[4] gid[4] → qid[13].
// Only regular files may be created this way; device nodes, FIFOs and
// sockets are refused.
func (s *Server) mknod(d *decoder, e *encoder) error {
	dn := d.u32()
	name, mode := d.str(), d.u32()
	d.u32()
	d.u32()
	d.u32()
	f, err := s.dirFid(dn, d)
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	if err := s.writable(); err != nil {
		return err
	}
	if !validName(name) || (mode&unix.S_IFMT != unix.S_IFREG && mode&unix.S_IFMT != 0) {
		return unix.EPERM
	}
	fd, err := unix.Openat(f.path, name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_RDONLY, permBits(mode))
	if err != nil {
		return err
	}
	var st unix.Stat_t
	err = unix.Fstat(fd, &st)
	unix.Close(fd)
	if err != nil {
		return err
	}
	e.qid(qidOf(&st))
	return nil
}

// readlink: fid[4] → target[s].
func (s *Server) readlink(d *decoder, e *encoder) error {
	f, err := s.fid(d.u32(), d)
	if err != nil {
		return err
	}
	if f.mode != unix.S_IFLNK {
		return unix.EINVAL
	}
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(f.path, "", buf)
	if err != nil {
		return err
	}
	e.str(string(buf[:n]))
	return nil
}

// unlinkat: dirfd[4] name[s] flags[4].
func (s *Server) unlinkat(d *decoder) error {
	dn := d.u32()
	name, fl := d.str(), d.u32()
	f, err := s.dirFid(dn, d)
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	if err := s.writable(); err != nil {
		return err
	}
	if !validName(name) {
		return unix.EPERM
	}
	h := 0
	if fl&atRemoveDir != 0 {
		h = unix.AT_REMOVEDIR
	}
	return unix.Unlinkat(f.path, name, h)
}

// renameat: olddirfid[4] oldname[s] newdirfid[4] newname[s].
func (s *Server) renameat(d *decoder) error {
	on := d.u32()
	oname := d.str()
	nn := d.u32()
	nname := d.str()
	of, err := s.dirFid(on, d)
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	nf, err := s.dirFid(nn, d)
	if err != nil {
		return err
	}
	if err := s.writable(); err != nil {
		return err
	}
	if !validName(oname) || !validName(nname) {
		return unix.EPERM
	}
	return unix.Renameat(of.path, oname, nf.path, nname)
}

// link: dfid[4] fid[4] name[s]. Only regular files are linked.
func (s *Server) link(d *decoder) error {
	dn, fn := d.u32(), d.u32()
	name := d.str()
	df, err := s.dirFid(dn, d)
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	f, err := s.fid(fn, d)
	if err != nil {
		return err
	}
	if err := s.writable(); err != nil {
		return err
	}
	if !validName(name) || f.mode != unix.S_IFREG {
		return unix.EPERM
	}
	return unix.Linkat(unix.AT_FDCWD, procPath(f.path), df.path, name, unix.AT_SYMLINK_FOLLOW)
}

// statfs: fid[4] → type[4] bsize[4] blocks[8] bfree[8] bavail[8] files[8]
// ffree[8] fsid[8] namelen[4].
func (s *Server) statfs(d *decoder, e *encoder) error {
	f, err := s.fid(d.u32(), d)
	if err != nil {
		return err
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(f.path, &st); err != nil {
		return err
	}
	e.u32(0x01021997) // V9FS_MAGIC
	e.u32(uint32(st.Bsize))
	e.u64(st.Blocks)
	e.u64(st.Bfree)
	e.u64(st.Bavail)
	e.u64(st.Files)
	e.u64(st.Ffree)
	e.u64(uint64(uint32(st.Fsid.Val[0])) | uint64(uint32(st.Fsid.Val[1]))<<32)
	e.u32(uint32(st.Namelen))
	return nil
}

// fsync: fid[4] datasync[4].
func (s *Server) fsync(d *decoder) error {
	f, err := s.fid(d.u32(), d)
	ds := d.u32()
	if err != nil || d.bad {
		return errors.Join(err, unix.EINVAL)
	}
	if f.open < 0 {
		return unix.EBADF
	}
	if ds != 0 {
		return unix.Fdatasync(f.open)
	}
	return unix.Fsync(f.open)
}

// lock: fid[4] type[1] flags[4] start[8] length[8] proc_id[4] client_id[s]
// → status[1]. Locks are not shared with the host: every request
// succeeds (the guest kernel arbitrates its own processes).
func (s *Server) lock(d *decoder, e *encoder) error {
	if _, err := s.fid(d.u32(), d); err != nil {
		return err
	}
	d.u8()
	d.u32()
	d.u64()
	d.u64()
	d.u32()
	d.str()
	e.u8(0) // P9_LOCK_SUCCESS
	return nil
}

// getlock: fid[4] type[1] start[8] length[8] proc_id[4] client_id[s] →
// the same fields; the range is always reported unlocked.
func (s *Server) getlock(d *decoder, e *encoder) error {
	if _, err := s.fid(d.u32(), d); err != nil {
		return err
	}
	d.u8()
	start, length, pid := d.u64(), d.u64(), d.u32()
	id := d.str()
	e.u8(2) // P9_LOCK_TYPE_UNLCK
	e.u64(start)
	e.u64(length)
	e.u32(pid)
	e.str(id)
	return nil
}
