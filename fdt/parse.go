package fdt

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// ParseError describes why a blob was rejected; Off is the byte offset in
// the blob where the problem was found.
type ParseError struct {
	Off int
	Msg string
}

// Error formats the error with its offset in hexadecimal.
func (e *ParseError) Error() string { return fmt.Sprintf("fdt: offset %#x: %s", e.Off, e.Msg) }

func perr(off uint64, format string, args ...any) error {
	return &ParseError{Off: int(off), Msg: fmt.Sprintf(format, args...)}
}

// frame is a node being parsed, with the names already used in it.
type frame struct {
	n        *Node
	props    map[string]bool
	children map[string]bool
}

// Parse decodes a Devicetree Blob of version 16 or later (and compatible
// with version 17). Bytes after the header's totalsize are ignored. Every
// offset and length is checked against the blob, so Parse never reads out
// of bounds or panics, and the memory it allocates is proportional to the
// blob's size. It rejects what Marshal would not write: names outside the
// specification's character sets or longer than MaxNameLen, duplicate
// property or node names within a node, nesting deeper than MaxDepth, and
// a structure block that is not exactly one root node followed by FDT_END
// (FDT_NOP tokens are skipped anywhere).
func Parse(b []byte) (*Tree, error) {
	if len(b) < headerSizeV16 {
		return nil, perr(0, "blob is %d bytes, shorter than a header", len(b))
	}
	h := func(i int) uint64 { return uint64(binary.BigEndian.Uint32(b[4*i:])) }
	if h(0) != Magic {
		return nil, perr(0, "bad magic %#x (want %#x)", h(0), Magic)
	}
	total, offStruct, offStrings, offRsv := h(1), h(2), h(3), h(4)
	version, lastComp, bootCPU, sizeStrings := h(5), h(6), h(7), h(8)
	if version < 16 {
		return nil, perr(20, "version %d is too old (need 16 or later)", version)
	}
	if lastComp > Version {
		return nil, perr(24, "last compatible version %d is newer than %d", lastComp, Version)
	}
	hdr := uint64(headerSizeV16)
	if version >= 17 {
		hdr = headerSize
	}
	if total > uint64(len(b)) {
		return nil, perr(4, "totalsize %d exceeds the %d bytes given", total, len(b))
	}
	if total < hdr {
		return nil, perr(4, "totalsize %d is smaller than the header", total)
	}
	var sizeStruct uint64
	if version >= 17 {
		sizeStruct = h(9)
	} else {
		if offStruct > total {
			return nil, perr(8, "structure block offset %#x is past the end (%#x)", offStruct, total)
		}
		sizeStruct = total - offStruct
	}
	b = b[:total]
	block := func(name string, hoff int, off, size uint64, align uint64) error {
		if off < hdr || off%align != 0 || off+size > total {
			return perr(uint64(hoff), "%s block [%#x, +%#x) is misaligned or outside [%#x, %#x)", name, off, size, hdr, total)
		}
		return nil
	}
	if err := block("structure", 8, offStruct, sizeStruct, 4); err != nil {
		return nil, err
	}
	if err := block("strings", 12, offStrings, sizeStrings, 1); err != nil {
		return nil, err
	}
	if err := block("memory reservation", 16, offRsv, 16, 8); err != nil {
		return nil, err
	}

	t := &Tree{BootCPU: uint32(bootCPU)}
	for off := offRsv; ; off += 16 {
		if off+16 > total {
			return nil, perr(off, "memory reservation block has no terminating entry")
		}
		r := Reservation{binary.BigEndian.Uint64(b[off:]), binary.BigEndian.Uint64(b[off+8:])}
		if r.Addr == 0 && r.Size == 0 {
			break
		}
		t.Reserve = append(t.Reserve, r)
	}

	st := b[offStruct : offStruct+sizeStruct]
	strs := b[offStrings : offStrings+sizeStrings]
	var p uint64 // cursor in st
	at := func() uint64 { return offStruct + p }
	u32 := func() (uint32, error) {
		if p+4 > uint64(len(st)) {
			return 0, perr(at(), "structure block ends inside a token")
		}
		v := binary.BigEndian.Uint32(st[p:])
		p += 4
		return v, nil
	}
	align := func() { p = (p + 3) &^ 3 }

	var stack []frame
	for {
		tokOff := at()
		tok, err := u32()
		if err != nil {
			if t.Root != nil && len(stack) == 0 {
				return nil, perr(tokOff, "structure block has no FDT_END token")
			}
			return nil, err
		}
		switch tok {
		case tokNop:
		case tokBeginNode:
			if t.Root != nil && len(stack) == 0 {
				return nil, perr(tokOff, "a second top-level node after the root")
			}
			i := bytes.IndexByte(st[p:], 0)
			if i < 0 {
				return nil, perr(at(), "node name runs past the structure block")
			}
			name := string(st[p : p+uint64(i)])
			p += uint64(i) + 1
			align()
			if p > uint64(len(st)) {
				return nil, perr(tokOff, "node name padding runs past the structure block")
			}
			n := &Node{Name: name}
			if len(stack) == 0 {
				if name != "" {
					return nil, perr(tokOff, "root node name must be empty, not %q", name)
				}
				t.Root = n
			} else {
				if err := checkNodeName(name); err != nil {
					return nil, perr(tokOff, "%v", err)
				}
				parent := &stack[len(stack)-1]
				if parent.children[name] {
					return nil, perr(tokOff, "duplicate node %q", name)
				}
				if len(stack) > MaxDepth {
					return nil, perr(tokOff, "nodes nest deeper than %d", MaxDepth)
				}
				if parent.children == nil {
					parent.children = make(map[string]bool)
				}
				parent.children[name] = true
				parent.n.Children = append(parent.n.Children, n)
			}
			stack = append(stack, frame{n: n})
		case tokEndNode:
			if len(stack) == 0 {
				return nil, perr(tokOff, "FDT_END_NODE outside any node")
			}
			stack = stack[:len(stack)-1]
		case tokProp:
			if len(stack) == 0 {
				return nil, perr(tokOff, "FDT_PROP outside any node")
			}
			size, err := u32()
			if err != nil {
				return nil, err
			}
			nameOff, err := u32()
			if err != nil {
				return nil, err
			}
			if uint64(size) > uint64(len(st))-p {
				return nil, perr(tokOff, "property value of %d bytes runs past the structure block", size)
			}
			if uint64(nameOff) >= uint64(len(strs)) {
				return nil, perr(tokOff, "property name offset %#x is outside the strings block (%d bytes)", nameOff, len(strs))
			}
			i := bytes.IndexByte(strs[nameOff:], 0)
			if i < 0 {
				return nil, perr(offStrings+uint64(nameOff), "property name runs past the strings block")
			}
			name := string(strs[nameOff : uint64(nameOff)+uint64(i)])
			if err := checkPropName(name); err != nil {
				return nil, perr(tokOff, "%v", err)
			}
			f := &stack[len(stack)-1]
			if f.props[name] {
				return nil, perr(tokOff, "duplicate property %q", name)
			}
			if f.props == nil {
				f.props = make(map[string]bool)
			}
			f.props[name] = true
			val := append([]byte{}, st[p:p+uint64(size)]...)
			p += uint64(size)
			align()
			if p > uint64(len(st)) {
				return nil, perr(tokOff, "property padding runs past the structure block")
			}
			f.n.Props = append(f.n.Props, Prop{Name: name, Value: val})
		case tokEnd:
			if t.Root == nil {
				return nil, perr(tokOff, "FDT_END before the root node")
			}
			if len(stack) != 0 {
				return nil, perr(tokOff, "FDT_END with %d node(s) still open", len(stack))
			}
			return t, nil
		default:
			return nil, perr(tokOff, "unknown token %#x", tok)
		}
	}
}
