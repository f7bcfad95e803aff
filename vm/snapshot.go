package vm

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"strata/dev"
	"strata/netback"
	"strata/riscv"
	"strata/sbi"
	"strata/virtio"
)

// Snapshot file format (docs/snapshots.md):
//
//	offset  size  field
//	0       10    magic "STRATASNAP"
//	10      4     format version (little-endian uint32, SnapshotVersion)
//	14      8     payload length in bytes (little-endian uint64)
//	22      32    SHA-256 of the payload
//	54      ...   payload: a DEFLATE stream of gob values —
//	              one snapState, then pageRun values (runs of non-zero
//	              4 KiB RAM pages), ended by a pageRun with End set.
const (
	snapMagic = "STRATASNAP"
	// SnapshotVersion is the version of the snapshot format written by
	// Snapshot; RestoreVirt accepts only this version.
	SnapshotVersion = 1

	snapHeaderSize = len(snapMagic) + 4 + 8 + sha256.Size
	// snapMaxPayload bounds the payload length a header may claim, so a
	// corrupt header cannot make RestoreVirt allocate without limit.
	snapMaxPayload = 1 << 40
	// maxRunPages bounds one pageRun (1 MiB), keeping gob messages small.
	maxRunPages = 256
)

// Snapshot errors. RestoreVirt's errors wrap these.
var (
	// ErrSnapshotted is returned by Run after it stopped at a slice
	// boundary and wrote the snapshot RequestSnapshot asked for.
	ErrSnapshotted = errors.New("vm: machine state saved to a snapshot")
	// ErrSnapshotMagic: the data does not start with "STRATASNAP".
	ErrSnapshotMagic = errors.New("vm: not a strata snapshot")
	// ErrSnapshotVersion: the snapshot has another format version.
	ErrSnapshotVersion = errors.New("vm: unsupported snapshot version")
	// ErrSnapshotTruncated: the data ends before the payload does.
	ErrSnapshotTruncated = errors.New("vm: snapshot truncated")
	// ErrSnapshotChecksum: the payload does not match its SHA-256.
	ErrSnapshotChecksum = errors.New("vm: snapshot checksum mismatch")
	// ErrSnapshotCorrupt: the payload has a valid checksum but cannot be
	// decoded or does not describe a machine strata can rebuild.
	ErrSnapshotCorrupt = errors.New("vm: snapshot corrupt")
)

// snapConfig is the machine description a snapshot rebuilds the board
// from. Payloads (kernel, initrd, firmware) are not needed: they are in
// RAM.
type snapConfig struct {
	Bios    string
	MemSize uint64
	Harts   int
	Append  string
	Disks   []Disk
	RNG     bool
	Shares  []Share // host directories by path, like disks
	Nets    []netback.Spec
	// VirtioConsole is whether a virtio console sits in the slots (absent
	// in snapshots written before it existed: false, which was right then).
	VirtioConsole bool
	DTB           []byte
	DTBAddr       uint64
	BootROM       []byte // the reset-vector ROM (BiosFirmware only)
}

// snapState is everything but RAM.
type snapState struct {
	Config snapConfig
	Harts  []riscv.HartState
	CLINT  dev.CLINTState
	PLIC   dev.PLICState
	UART   dev.UARTState
	RTC    dev.RTCState
	Virtio []virtio.MMIOState
	SBI    *sbi.State // nil unless BiosBuiltin
	Input  []byte     // console input not yet read through the SBI
}

// pageRun is consecutive non-zero RAM pages starting at guest-physical
// address Addr.
type pageRun struct {
	Addr uint64
	Data []byte
	End  bool // the last value of the stream; Addr and Data are empty
}

// RequestSnapshot asks Run to stop at the next slice boundary (when no
// instruction, device request or SBI call is in progress), write a
// snapshot to VirtConfig.SnapshotPath and return ErrSnapshotted. It is
// safe to call from any goroutine (a signal handler's, for example). The
// machine is left intact: calling Run again continues it.
func (m *Virt) RequestSnapshot() {
	m.snapReq.Store(true)
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// snapshotToFile writes the requested snapshot atomically (a temporary
// file renamed into place) and returns ErrSnapshotted on success.
func (m *Virt) snapshotToFile() error {
	path := m.cfg.SnapshotPath
	if path == "" {
		return errors.New("vm: snapshot requested but VirtConfig.SnapshotPath is empty")
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("vm: snapshot: %w", err)
	}
	tmp := f.Name()
	err = m.Snapshot(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("vm: snapshot %s: %w", path, err)
	}
	return ErrSnapshotted
}

// Snapshot writes the machine's whole state to w: the board description,
// every hart, every device, the SBI, and RAM (all-zero pages skipped,
// DEFLATE-compressed), under a header with a SHA-256 of the payload.
//
// It must not run concurrently with Run: call it after Run has returned
// (its context cancelled, for example) or let Run call it at a slice
// boundary through RequestSnapshot. Disk images are referred to by path
// and flushed, not copied: they must be unchanged when the snapshot is
// restored.
func (m *Virt) Snapshot(w io.Writer) error {
	if m.isDone() {
		return errors.New("vm: snapshot of a machine that has powered off")
	}
	// virtio-net receives on its backend's goroutine, outside run slices:
	// hold such devices still until queues and RAM are saved.
	for _, t := range m.virtio {
		defer t.Quiesce()()
	}
	st := snapState{
		Config: snapConfig{
			Bios: m.cfg.Bios, MemSize: m.cfg.MemSize, Harts: len(m.Harts), Append: m.cfg.Append,
			Disks: m.cfg.Disks, RNG: m.cfg.RNG, Shares: m.cfg.Shares, Nets: m.cfg.Nets, VirtioConsole: m.cfg.VirtioConsole, DTB: m.DTB, DTBAddr: m.DTBAddr,
		},
		CLINT: m.CLINT.SaveState(),
		PLIC:  m.PLIC.SaveState(),
		UART:  m.UART.SaveState(),
		RTC:   m.RTC.SaveState(),
	}
	if m.cfg.Bios == BiosFirmware {
		if rom, ok := m.Bus.Slice(AddrBootROM, riscv.PageSize); ok {
			st.Config.BootROM = rom
		}
	}
	for _, h := range m.Harts {
		st.Harts = append(st.Harts, h.SaveState())
	}
	for i, t := range m.virtio {
		s, err := t.SaveState()
		if err != nil {
			return fmt.Errorf("vm: snapshot of virtio slot %d: %w", i, err)
		}
		st.Virtio = append(st.Virtio, s)
	}
	if m.SBI != nil {
		s := m.SBI.SaveState()
		st.SBI = &s
	}
	m.mu.Lock()
	st.Input = append([]byte(nil), m.input...)
	m.mu.Unlock()
	for _, c := range m.closers {
		if s, ok := c.(interface{ Sync() error }); ok {
			if err := s.Sync(); err != nil {
				return fmt.Errorf("vm: snapshot: flushing a disk: %w", err)
			}
		}
	}

	ram, ok := m.Bus.Slice(AddrRAM, m.cfg.MemSize)
	if !ok {
		return errors.New("vm: snapshot: RAM not found")
	}
	encode := func(out io.Writer) error {
		zw, err := flate.NewWriter(out, flate.BestSpeed)
		if err != nil {
			return err
		}
		enc := gob.NewEncoder(zw)
		if err := enc.Encode(&st); err != nil {
			return fmt.Errorf("vm: snapshot: %w", err)
		}
		if err := writeRAM(enc, AddrRAM, ram); err != nil {
			return fmt.Errorf("vm: snapshot: %w", err)
		}
		return zw.Close()
	}

	// A seekable w (a file) gets the payload streamed after a placeholder
	// header that is filled in at the end; anything else gets it from a
	// buffer, since the header comes first.
	if ws, ok := w.(io.WriteSeeker); ok {
		if start, err := ws.Seek(0, io.SeekCurrent); err == nil {
			if _, err := ws.Write(make([]byte, snapHeaderSize)); err != nil {
				return err
			}
			h := sha256.New()
			cw := &countWriter{w: io.MultiWriter(ws, h)}
			if err := encode(cw); err != nil {
				return err
			}
			if _, err := ws.Seek(start, io.SeekStart); err != nil {
				return err
			}
			if _, err := ws.Write(snapHeader(cw.n, h.Sum(nil))); err != nil {
				return err
			}
			_, err := ws.Seek(start+int64(snapHeaderSize)+cw.n, io.SeekStart)
			return err
		}
	}
	var payload bytes.Buffer
	if err := encode(&payload); err != nil {
		return err
	}
	sum := sha256.Sum256(payload.Bytes())
	if _, err := w.Write(snapHeader(int64(payload.Len()), sum[:])); err != nil {
		return err
	}
	_, err := w.Write(payload.Bytes())
	return err
}

// snapHeader returns the file header for a payload of n bytes with the
// given SHA-256.
func snapHeader(n int64, sum []byte) []byte {
	hdr := make([]byte, 0, snapHeaderSize)
	hdr = append(hdr, snapMagic...)
	hdr = binary.LittleEndian.AppendUint32(hdr, SnapshotVersion)
	hdr = binary.LittleEndian.AppendUint64(hdr, uint64(n))
	return append(hdr, sum...)
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeRAM encodes the non-zero pages of ram (at guest address base) as
// pageRuns, then the end marker.
func writeRAM(enc *gob.Encoder, base uint64, ram []byte) error {
	var zero [riscv.PageSize]byte
	const ps = riscv.PageSize
	for off := 0; off < len(ram); {
		if bytes.Equal(ram[off:off+ps], zero[:]) {
			off += ps
			continue
		}
		end := off + ps
		for end < len(ram) && end-off < maxRunPages*ps && !bytes.Equal(ram[end:end+ps], zero[:]) {
			end += ps
		}
		if err := enc.Encode(&pageRun{Addr: base + uint64(off), Data: ram[off:end]}); err != nil {
			return err
		}
		off = end
	}
	return enc.Encode(&pageRun{End: true})
}

// readSnapshotPayload checks a snapshot's header and checksum and returns
// a reader of its payload. A seekable r (a file) is read twice — once to
// check the checksum, then for decoding — instead of being held in memory.
func readSnapshotPayload(r io.Reader) (io.Reader, error) {
	hdr := make([]byte, snapHeaderSize)
	n, err := io.ReadFull(r, hdr)
	if n < len(snapMagic) || string(hdr[:len(snapMagic)]) != snapMagic {
		if n < len(snapMagic) && string(hdr[:n]) == snapMagic[:n] {
			return nil, fmt.Errorf("%w: %d bytes, shorter than the header", ErrSnapshotTruncated, n)
		}
		return nil, ErrSnapshotMagic
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the header", ErrSnapshotTruncated, n)
	}
	if v := binary.LittleEndian.Uint32(hdr[10:]); v != SnapshotVersion {
		return nil, fmt.Errorf("%w: version %d, this strata reads version %d", ErrSnapshotVersion, v, SnapshotVersion)
	}
	size := binary.LittleEndian.Uint64(hdr[14:])
	if size > snapMaxPayload {
		return nil, fmt.Errorf("%w: header claims a %d-byte payload", ErrSnapshotCorrupt, size)
	}
	var (
		payload bytes.Buffer
		dst     io.Writer = &payload
		h                 = sha256.New()
		start   int64     = -1
	)
	if rs, ok := r.(io.ReadSeeker); ok {
		if start, err = rs.Seek(0, io.SeekCurrent); err != nil {
			start = -1
		} else {
			dst = io.Discard
		}
	}
	got, err := io.Copy(io.MultiWriter(dst, h), io.LimitReader(r, int64(size)))
	if err != nil {
		return nil, fmt.Errorf("vm: reading snapshot: %w", err)
	}
	if uint64(got) != size {
		return nil, fmt.Errorf("%w: payload has %d of %d bytes", ErrSnapshotTruncated, got, size)
	}
	if !bytes.Equal(h.Sum(nil), hdr[22:]) {
		return nil, ErrSnapshotChecksum
	}
	if start < 0 {
		return &payload, nil
	}
	rs := r.(io.ReadSeeker)
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return nil, fmt.Errorf("vm: reading snapshot: %w", err)
	}
	return bufio.NewReaderSize(io.LimitReader(rs, int64(size)), 1<<20), nil
}

// RestoreVirt rebuilds a machine from a snapshot written by Snapshot: the
// board (harts, RAM size, boot mode, virtio devices with disks reopened by
// path) comes from the snapshot, and every hart, device and RAM page is
// loaded, so Run continues the guest where it was saved. From cfg only the
// host side is used: Console, Input, Trace, Logger, MaxInsns (counted
// from the saved instruction count) and SnapshotPath; its machine fields
// are ignored. mtime continues from its saved value; the RTC keeps telling
// the host's wall-clock time.
func RestoreVirt(r io.Reader, cfg VirtConfig) (*Virt, error) {
	payload, err := readSnapshotPayload(r)
	if err != nil {
		return nil, err
	}
	zr := flate.NewReader(payload)
	dec := gob.NewDecoder(zr)
	var st snapState
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSnapshotCorrupt, err)
	}
	sc := st.Config
	cfg.Bios, cfg.MemSize, cfg.Harts, cfg.Append = sc.Bios, sc.MemSize, sc.Harts, sc.Append
	cfg.Disks, cfg.RNG, cfg.Shares, cfg.Nets = sc.Disks, sc.RNG, sc.Shares, sc.Nets
	cfg.VirtioConsole = sc.VirtioConsole
	cfg.Kernel, cfg.Initrd, cfg.Firmware = nil, nil, nil
	cfg.restoring = true
	if len(st.Harts) != sc.Harts {
		return nil, fmt.Errorf("%w: %d hart states for %d harts", ErrSnapshotCorrupt, len(st.Harts), sc.Harts)
	}
	m, err := NewVirt(cfg)
	if err != nil {
		return nil, fmt.Errorf("vm: restore: %w", err)
	}
	if err := m.restore(&st, dec); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// restore loads RAM and the state of every part into a board NewVirt
// built without payloads. RAM comes first, so that virtio queues map and
// validate their rings; the PLIC comes last, so that the lines it drives
// win over the transient levels other devices drive while loading.
func (m *Virt) restore(st *snapState, dec *gob.Decoder) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrSnapshotCorrupt}, args...)...)
	}
	for {
		var run pageRun
		if err := dec.Decode(&run); err != nil {
			return bad("RAM: %v", err)
		}
		if run.End {
			break
		}
		dst, ok := m.Bus.Slice(run.Addr, uint64(len(run.Data)))
		if !ok || run.Addr < AddrRAM {
			return bad("RAM page run at %#x (%d bytes) outside RAM", run.Addr, len(run.Data))
		}
		copy(dst, run.Data)
	}
	if rom := st.Config.BootROM; len(rom) > 0 {
		if _, err := m.Bus.AddROM(AddrBootROM, rom); err != nil {
			return bad("boot ROM: %v", err)
		}
	}
	m.DTB, m.DTBAddr = st.Config.DTB, st.Config.DTBAddr
	if m.cfg.Bios == BiosBuiltin {
		if st.SBI == nil {
			return bad("no SBI state for a machine with the built-in SBI")
		}
		m.SBI = sbi.New(m.Bus, m.Harts, sbiPlatform{m})
		if err := m.SBI.LoadState(*st.SBI); err != nil {
			return bad("%v", err)
		}
	}
	for i, h := range m.Harts {
		if err := h.LoadState(st.Harts[i]); err != nil {
			return bad("hart %d: %v", i, err)
		}
	}
	if len(st.Virtio) != len(m.virtio) {
		return bad("%d virtio slots, the board has %d", len(st.Virtio), len(m.virtio))
	}
	if err := m.UART.LoadState(st.UART); err != nil {
		return bad("%v", err)
	}
	if err := m.RTC.LoadState(st.RTC); err != nil {
		return bad("%v", err)
	}
	for i, t := range m.virtio {
		if err := t.LoadState(st.Virtio[i]); err != nil {
			return bad("virtio slot %d: %v", i, err)
		}
	}
	if err := m.CLINT.LoadState(st.CLINT); err != nil {
		return bad("%v", err)
	}
	if err := m.PLIC.LoadState(st.PLIC); err != nil {
		return bad("%v", err)
	}
	m.mu.Lock()
	m.input = append(m.input, st.Input...)
	m.mu.Unlock()
	return nil
}
