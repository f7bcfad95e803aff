package fdt

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Format constants of the Devicetree Blob.
const (
	Magic          = 0xd00dfeed // the header's magic number
	Version        = 17         // the version Marshal writes
	LastCompatible = 16         // the oldest version a v17 blob is compatible with

	// MaxDepth is how deeply nodes may nest (the root is at depth 0).
	MaxDepth = 256
	// MaxNameLen is the longest node name (without unit address) or property name.
	MaxNameLen = 31
)

// Structure block tokens.
const (
	tokBeginNode = 0x1
	tokEndNode   = 0x2
	tokProp      = 0x3
	tokNop       = 0x4
	tokEnd       = 0x9
)

const (
	headerSize    = 40 // v17 header: ten 32-bit fields
	headerSizeV16 = 36
)

// nodeChar reports whether c may appear in a node name or unit address.
func nodeChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
		c == ',' || c == '.' || c == '_' || c == '+' || c == '-'
}

// propChar reports whether c may appear in a property name.
func propChar(c byte) bool { return nodeChar(c) || c == '?' || c == '#' }

// checkNodeName validates a non-root node name.
func checkNodeName(name string) error {
	base, unit, hasUnit := strings.Cut(name, "@")
	switch {
	case base == "":
		return fmt.Errorf("node name %q: empty node name", name)
	case len(base) > MaxNameLen:
		return fmt.Errorf("node name %q: longer than %d characters", name, MaxNameLen)
	case hasUnit && unit == "":
		return fmt.Errorf("node name %q: empty unit address after '@'", name)
	}
	for i := 0; i < len(base); i++ {
		if !nodeChar(base[i]) {
			return fmt.Errorf("node name %q: character %q not allowed", name, base[i])
		}
	}
	for i := 0; i < len(unit); i++ {
		if !nodeChar(unit[i]) {
			return fmt.Errorf("node name %q: character %q not allowed in unit address", name, unit[i])
		}
	}
	return nil
}

// checkPropName validates a property name.
func checkPropName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty property name")
	case len(name) > MaxNameLen:
		return fmt.Errorf("property name %q: longer than %d characters", name, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if !propChar(name[i]) {
			return fmt.Errorf("property name %q: character %q not allowed", name, name[i])
		}
	}
	return nil
}

// writer accumulates the structure and strings blocks.
type writer struct {
	st      []byte
	strs    []byte
	strOffs map[string]uint32
}

func (w *writer) u32(v uint32) { w.st = binary.BigEndian.AppendUint32(w.st, v) }

func (w *writer) pad() {
	for len(w.st)%4 != 0 {
		w.st = append(w.st, 0)
	}
}

// nameOff returns the offset of name in the strings block, adding it once.
func (w *writer) nameOff(name string) uint32 {
	if off, ok := w.strOffs[name]; ok {
		return off
	}
	off := uint32(len(w.strs))
	w.strs = append(w.strs, name...)
	w.strs = append(w.strs, 0)
	w.strOffs[name] = off
	return off
}

// node writes n and its subtree; path is n's path for error messages.
func (w *writer) node(n *Node, path string, depth int) error {
	if n == nil {
		return fmt.Errorf("fdt: %s: nil node", path)
	}
	if depth > MaxDepth {
		return fmt.Errorf("fdt: %s: nodes nest deeper than %d (or the tree has a cycle)", path, MaxDepth)
	}
	if depth == 0 {
		if n.Name != "" {
			return fmt.Errorf("fdt: root node name must be empty, not %q", n.Name)
		}
	} else if err := checkNodeName(n.Name); err != nil {
		return fmt.Errorf("fdt: %s: %v", path, err)
	}
	w.u32(tokBeginNode)
	w.st = append(w.st, n.Name...)
	w.st = append(w.st, 0)
	w.pad()
	seen := make(map[string]bool, len(n.Props))
	for _, p := range n.Props {
		if err := checkPropName(p.Name); err != nil {
			return fmt.Errorf("fdt: %s: %v", path, err)
		}
		if seen[p.Name] {
			return fmt.Errorf("fdt: %s: duplicate property %q", path, p.Name)
		}
		seen[p.Name] = true
		if uint64(len(p.Value)) > 0xffffffff {
			return fmt.Errorf("fdt: %s: property %q: value too long", path, p.Name)
		}
		w.u32(tokProp)
		w.u32(uint32(len(p.Value)))
		w.u32(w.nameOff(p.Name))
		w.st = append(w.st, p.Value...)
		w.pad()
	}
	names := make(map[string]bool, len(n.Children))
	for _, c := range n.Children {
		if c == nil {
			return fmt.Errorf("fdt: %s: nil child", path)
		}
		if names[c.Name] {
			return fmt.Errorf("fdt: %s: duplicate child node %q", path, c.Name)
		}
		names[c.Name] = true
		cp := path + c.Name
		if depth > 0 {
			cp = path + "/" + c.Name
		}
		if err := w.node(c, cp, depth+1); err != nil {
			return err
		}
	}
	w.u32(tokEndNode)
	return nil
}

// Marshal encodes t as a version 17 Devicetree Blob: the header, the memory
// reservation block (8-byte aligned, ended by a zero entry), the structure
// block and the strings block (each property name stored once). It fails,
// naming the node or property, on a name the specification does not allow,
// a duplicate property or child name, a reservation that would read back
// as the terminator (address and size both 0), or nesting deeper than
// MaxDepth.
func (t *Tree) Marshal() ([]byte, error) {
	if t == nil || t.Root == nil {
		return nil, fmt.Errorf("fdt: tree has no root node")
	}
	for i, r := range t.Reserve {
		if r.Addr == 0 && r.Size == 0 {
			return nil, fmt.Errorf("fdt: reservation %d is zero (the block's terminator)", i)
		}
	}
	w := &writer{strOffs: make(map[string]uint32)}
	if err := w.node(t.Root, "/", 0); err != nil {
		return nil, err
	}
	w.u32(tokEnd)

	offRsv := uint64(headerSize) // already 8-byte aligned
	offStruct := offRsv + 16*uint64(len(t.Reserve)+1)
	offStrings := offStruct + uint64(len(w.st))
	total := offStrings + uint64(len(w.strs))
	if total > 0xffffffff {
		return nil, fmt.Errorf("fdt: blob would be %d bytes, more than the format allows", total)
	}
	b := make([]byte, 0, total)
	for _, v := range [...]uint32{
		Magic, uint32(total), uint32(offStruct), uint32(offStrings), uint32(offRsv),
		Version, LastCompatible, t.BootCPU, uint32(len(w.strs)), uint32(len(w.st)),
	} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	for _, r := range t.Reserve {
		b = binary.BigEndian.AppendUint64(b, r.Addr)
		b = binary.BigEndian.AppendUint64(b, r.Size)
	}
	b = append(b, make([]byte, 16)...)
	b = append(b, w.st...)
	b = append(b, w.strs...)
	return b, nil
}
