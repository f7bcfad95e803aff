package virtio

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

const diskSize = 1 << 20

// newDisk writes a patterned image and opens it.
func newDisk(t *testing.T, readOnly bool) (*DiskFile, string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.img")
	img := make([]byte, diskSize)
	for i := range img {
		img[i] = byte(i*7 + i>>9)
	}
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	df, err := OpenDiskFile(path, readOnly)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { df.Close() })
	return df, path, img
}

// blkReq lays out a request: header, data buffers, status byte.
type blkReq struct {
	hdr, data, status uint64
}

func (d *driver) blkRequest(typ uint32, sector uint64, n int) blkReq {
	r := blkReq{hdr: d.alloc(16, 8), status: d.alloc(1, 1)}
	d.mem.put32(r.hdr, typ)
	d.mem.put64(r.hdr+8, sector)
	if n > 0 {
		r.data = d.alloc(uint64(n), 8)
	}
	d.mem.ram[r.status-d.mem.base] = 0xff
	return r
}

func (d *driver) blkDo(q *drvQueue, indirect bool, typ uint32, sector uint64, data []byte, readLen int) (status byte, used uint32, got []byte) {
	d.t.Helper()
	var r blkReq
	var u usedElem
	switch {
	case readLen > 0:
		r = d.blkRequest(typ, sector, readLen)
		u = d.one(q, indirect, buf{r.hdr, 16, false}, buf{r.data, uint32(readLen), true}, buf{r.status, 1, true})
		got = d.bytesAt(r.data, readLen)
	case len(data) > 0:
		r = d.blkRequest(typ, sector, len(data))
		d.fill(r.data, data)
		u = d.one(q, indirect, buf{r.hdr, 16, false}, buf{r.data, uint32(len(data)), false}, buf{r.status, 1, true})
	default:
		r = d.blkRequest(typ, sector, 0)
		u = d.one(q, indirect, buf{r.hdr, 16, false}, buf{r.status, 1, true})
	}
	return d.mem.ram[r.status-d.mem.base], u.len, got
}

func TestBlk(t *testing.T) {
	for _, mode := range []struct {
		name     string
		feats    uint64
		indirect bool
	}{
		{"direct", ^uint64(0) &^ FeatureEventIdx, false},
		{"indirect", ^uint64(0) &^ FeatureEventIdx, true},
		{"event-idx", ^uint64(0), true},
	} {
		t.Run(mode.name, func(t *testing.T) {
			df, path, img := newDisk(t, false)
			blk := NewBlk(df, false, "strata-disk-0")
			d := newDriver(t, blk, 1<<20)
			d.init(mode.feats, 64)
			q := d.qs[0]
			if d.feats&BlkFRO != 0 || d.feats&BlkFFlush == 0 || d.feats&BlkFDiscard == 0 {
				t.Fatalf("features %#x", d.feats)
			}
			// Config: capacity, seg_max, blk_size, read with 32-bit accesses as Linux does.
			lo, _ := d.m.Read(regConfig, 4)
			hi, _ := d.m.Read(regConfig+4, 4)
			if hi<<32|lo != diskSize/512 {
				t.Fatalf("capacity %d", hi<<32|lo)
			}
			if v, _ := d.m.Read(regConfig+20, 4); v != 512 {
				t.Fatalf("blk_size %d", v)
			}
			if v, _ := d.m.Read(regConfig+36, 4); v == 0 {
				t.Fatal("max_discard_sectors 0")
			}

			// IN: sectors 3..4.
			st, used, got := d.blkDo(q, mode.indirect, blkTIn, 3, nil, 1024)
			if st != blkSOK || used != 1025 || !bytes.Equal(got, img[3*512:5*512]) {
				t.Fatalf("read: status %d used %d match %v", st, used, bytes.Equal(got, img[3*512:5*512]))
			}
			if !d.level {
				t.Fatal("no interrupt after a completion")
			}
			if isr := d.ackIRQ(); isr != InterruptUsedBuffer || d.level {
				t.Fatalf("isr %#x, level %v after ack", isr, d.level)
			}

			// OUT then FLUSH: the file holds the data.
			data := bytes.Repeat([]byte("strata!!"), 256) // 2 KiB
			if st, used, _ := d.blkDo(q, mode.indirect, blkTOut, 100, data, 0); st != blkSOK || used != 1 {
				t.Fatalf("write: status %d used %d", st, used)
			}
			if st, _, _ := d.blkDo(q, mode.indirect, blkTFlush, 0, nil, 0); st != blkSOK {
				t.Fatalf("flush: status %d", st)
			}
			file, _ := os.ReadFile(path)
			if !bytes.Equal(file[100*512:100*512+len(data)], data) {
				t.Fatal("written data not in the file")
			}
			copy(img[100*512:], data)
			if !bytes.Equal(file, img) {
				t.Fatal("write touched bytes outside its range")
			}

			// GET_ID.
			st, used, got = d.blkDo(q, mode.indirect, blkTGetID, 0, nil, 20)
			if st != blkSOK || used != 21 || string(bytes.TrimRight(got, "\x00")) != "strata-disk-0" {
				t.Fatalf("get id: status %d used %d %q", st, used, got)
			}

			// DISCARD sectors 8..15 (4 KiB, hole-punch aligned) and 20..20.
			seg := make([]byte, 32)
			binary.LittleEndian.PutUint64(seg[0:], 8)
			binary.LittleEndian.PutUint32(seg[8:], 8)
			binary.LittleEndian.PutUint64(seg[16:], 20)
			binary.LittleEndian.PutUint32(seg[24:], 1)
			if st, _, _ := d.blkDo(q, mode.indirect, blkTDiscard, 0, seg, 0); st != blkSOK {
				t.Fatalf("discard: status %d", st)
			}
			file, _ = os.ReadFile(path)
			clear(img[8*512 : 16*512])
			clear(img[20*512 : 21*512])
			if !bytes.Equal(file, img) {
				t.Fatal("discarded ranges do not read back as zeros (or others changed)")
			}
			// Discard with the unmap flag is unsupported; out of range is an I/O error.
			binary.LittleEndian.PutUint32(seg[12:], 1)
			if st, _, _ := d.blkDo(q, mode.indirect, blkTDiscard, 0, seg[:16], 0); st != blkSUnsupp {
				t.Fatalf("discard with unmap: status %d", st)
			}
			binary.LittleEndian.PutUint32(seg[12:], 0)
			binary.LittleEndian.PutUint64(seg[0:], diskSize/512-1)
			binary.LittleEndian.PutUint32(seg[8:], 2)
			if st, _, _ := d.blkDo(q, mode.indirect, blkTDiscard, 0, seg[:16], 0); st != blkSIOErr {
				t.Fatalf("discard past the end: status %d", st)
			}

			// Errors: past the end, straddling the end, partial sector, unknown type.
			if st, _, _ := d.blkDo(q, mode.indirect, blkTIn, diskSize/512, nil, 512); st != blkSIOErr {
				t.Fatalf("read past end: status %d", st)
			}
			if st, _, _ := d.blkDo(q, mode.indirect, blkTOut, diskSize/512-1, make([]byte, 1024), 0); st != blkSIOErr {
				t.Fatalf("write straddling the end: status %d", st)
			}
			if st, _, _ := d.blkDo(q, mode.indirect, blkTIn, ^uint64(0)>>1, nil, 512); st != blkSIOErr {
				t.Fatalf("read at a huge sector: status %d", st)
			}
			if st, _, _ := d.blkDo(q, mode.indirect, blkTIn, 0, nil, 100); st != blkSIOErr {
				t.Fatalf("partial-sector read: status %d", st)
			}
			if st, _, _ := d.blkDo(q, mode.indirect, 77, 0, nil, 0); st != blkSUnsupp {
				t.Fatalf("unknown type: status %d", st)
			}
			file, _ = os.ReadFile(path)
			if !bytes.Equal(file, img) {
				t.Fatal("failed requests changed the file")
			}
			// Many requests in one kick, wrapping the ring several times.
			for round := 0; round < 5; round++ {
				var heads []uint16
				for i := 0; i < 16; i++ {
					r := d.blkRequest(blkTIn, uint64(i), 512)
					heads = append(heads, d.post(q, mode.indirect, buf{r.hdr, 16, false}, buf{r.data, 512, true}, buf{r.status, 1, true}))
				}
				d.kick(q)
				if u := d.reap(q); len(u) != len(heads) {
					t.Fatalf("round %d: %d completions, want %d", round, len(u), len(heads))
				}
			}
			if d.m.Broken() {
				t.Fatalf("device broken: %v", d.m.Err())
			}
			d.mem.check(t)
		})
	}
}

func TestBlkDiscardPunchesHole(t *testing.T) {
	df, path, _ := newDisk(t, false)
	if err := df.Discard(0, 64<<10); err != nil {
		t.Fatal(err)
	}
	if df.noPunch {
		t.Skip("host file system cannot punch holes; zeros were written")
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Blocks*512 > diskSize-64<<10 {
		t.Fatalf("file still allocates %d bytes after punching 64 KiB", st.Blocks*512)
	}
	fi, _ := os.Stat(path)
	if fi.Size() != diskSize {
		t.Fatalf("size changed to %d", fi.Size())
	}
}

func TestBlkReadOnly(t *testing.T) {
	df, path, img := newDisk(t, true)
	blk := NewBlk(df, true, "ro")
	d := newDriver(t, blk, 1<<20)
	d.init(^uint64(0), 16)
	q := d.qs[0]
	if d.feats&BlkFRO == 0 {
		t.Fatal("VIRTIO_BLK_F_RO not offered")
	}
	if st, _, _ := d.blkDo(q, false, blkTOut, 0, make([]byte, 512), 0); st != blkSIOErr {
		t.Fatalf("write to read-only disk: status %d", st)
	}
	seg := make([]byte, 16)
	binary.LittleEndian.PutUint32(seg[8:], 8)
	if st, _, _ := d.blkDo(q, false, blkTDiscard, 0, seg, 0); st != blkSIOErr {
		t.Fatalf("discard on read-only disk: status %d", st)
	}
	if st, _, got := d.blkDo(q, false, blkTIn, 1, nil, 512); st != blkSOK || !bytes.Equal(got, img[512:1024]) {
		t.Fatalf("read from read-only disk: status %d", st)
	}
	if st, _, _ := d.blkDo(q, false, blkTFlush, 0, nil, 0); st != blkSOK {
		t.Fatalf("flush on read-only disk: status %d", st)
	}
	file, _ := os.ReadFile(path)
	if !bytes.Equal(file, img) {
		t.Fatal("read-only image changed")
	}
}

// memDisk is an in-memory BlockBackend without Discard (zeros are written).
type memDisk struct{ b []byte }

func (m *memDisk) ReadAt(p []byte, off int64) (int, error)  { return copy(p, m.b[off:]), nil }
func (m *memDisk) WriteAt(p []byte, off int64) (int, error) { return copy(m.b[off:], p), nil }
func (m *memDisk) Sync() error                              { return nil }
func (m *memDisk) Size() int64                              { return int64(len(m.b)) }

func TestBlkDiscardWritesZerosWithoutDiscarder(t *testing.T) {
	md := &memDisk{b: bytes.Repeat([]byte{0xcc}, 64<<10)}
	d := newDriver(t, NewBlk(md, false, ""), 1<<20)
	d.init(^uint64(0), 16)
	seg := make([]byte, 16)
	binary.LittleEndian.PutUint64(seg[0:], 2)
	binary.LittleEndian.PutUint32(seg[8:], 3)
	if st, _, _ := d.blkDo(d.qs[0], false, blkTDiscard, 0, seg, 0); st != blkSOK {
		t.Fatalf("status %d", st)
	}
	for i, b := range md.b {
		want := byte(0xcc)
		if i >= 1024 && i < 2560 {
			want = 0
		}
		if b != want {
			t.Fatalf("byte %d = %#x, want %#x", i, b, want)
		}
	}
}
