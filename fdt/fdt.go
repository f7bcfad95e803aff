// Package fdt reads and writes flattened device trees: the Devicetree Blob
// (DTB) format, version 17, of the Devicetree Specification.
//
// A Tree is an ordinary in-memory tree of nodes and properties. Build one
// with New, Child and the Set methods, then Marshal it into a blob for a
// guest; or Parse a blob (a hostile one, too: Parse checks every offset and
// length, never panics, and allocates memory in proportion to the input) and
// walk it with Find and Prop.
//
// Names follow the specification: a node name is 1–31 characters of
// [0-9a-zA-Z,._+-], optionally followed by '@' and a unit address of the
// same characters; a property name is 1–31 characters of
// [0-9a-zA-Z,._+?#-]. Marshal and Parse apply the same rules, so every
// tree Parse returns can be marshaled again.
package fdt

import (
	"encoding/binary"
	"strings"
)

// Tree is a device tree: its root node, the boot CPU's physical ID (the
// header's boot_cpuid_phys) and the memory reservation block.
type Tree struct {
	Root    *Node
	BootCPU uint32
	Reserve []Reservation
}

// Reservation is one entry of the memory reservation block: a physical
// range the client program must not use as ordinary memory.
type Reservation struct{ Addr, Size uint64 }

// Node is one node of a tree. Name includes the unit address ("cpu@0");
// the root's Name is "". Properties and children keep the order in which
// they were added, which is the order Marshal writes them in.
type Node struct {
	Name     string
	Props    []Prop
	Children []*Node
}

// Prop is one property: a name and its raw (big-endian) value.
type Prop struct {
	Name  string
	Value []byte
}

// New returns a tree with an empty root node.
func New() *Tree { return &Tree{Root: &Node{}} }

// Child returns n's child with the given name, adding an empty one (after
// the existing children) if there is none.
func (n *Node) Child(name string) *Node {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	c := &Node{Name: name}
	n.Children = append(n.Children, c)
	return c
}

// set replaces the value of property name, or appends the property.
func (n *Node) set(name string, v []byte) {
	for i := range n.Props {
		if n.Props[i].Name == name {
			n.Props[i].Value = v
			return
		}
	}
	n.Props = append(n.Props, Prop{Name: name, Value: v})
}

// SetU32 sets property name to the given 32-bit cells, big-endian.
func (n *Node) SetU32(name string, v ...uint32) {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.BigEndian.AppendUint32(b, x)
	}
	n.set(name, b)
}

// SetU64 sets property name to the given 64-bit values, each as two cells
// (high cell first).
func (n *Node) SetU64(name string, v ...uint64) {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.BigEndian.AppendUint64(b, x)
	}
	n.set(name, b)
}

// SetString sets property name to a string list: each string followed by a
// NUL. A string containing NUL makes Marshal fail, since it could not be
// read back as the same list.
func (n *Node) SetString(name string, v ...string) {
	size := 0
	for _, s := range v {
		size += len(s) + 1
	}
	b := make([]byte, 0, size)
	for _, s := range v {
		b = append(b, s...)
		b = append(b, 0)
	}
	n.set(name, b)
}

// SetBytes sets property name to a copy of b.
func (n *Node) SetBytes(name string, b []byte) {
	n.set(name, append([]byte{}, b...))
}

// SetEmpty sets property name to the empty value (a boolean property such
// as "interrupt-controller" or "ranges").
func (n *Node) SetEmpty(name string) { n.set(name, []byte{}) }

// Prop returns n's property with the given name.
func (n *Node) Prop(name string) (Prop, bool) {
	for _, p := range n.Props {
		if p.Name == name {
			return p, true
		}
	}
	return Prop{}, false
}

// U32 returns the value as one 32-bit cell; ok is false unless the value
// is exactly 4 bytes long.
func (p Prop) U32() (v uint32, ok bool) {
	if len(p.Value) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(p.Value), true
}

// U32s returns the value as 32-bit cells; ok is false unless its length is
// a multiple of 4.
func (p Prop) U32s() (v []uint32, ok bool) {
	if len(p.Value)%4 != 0 {
		return nil, false
	}
	v = make([]uint32, len(p.Value)/4)
	for i := range v {
		v[i] = binary.BigEndian.Uint32(p.Value[4*i:])
	}
	return v, true
}

// Strings returns the value as a string list; ok is false unless the value
// is non-empty and ends with a NUL.
func (p Prop) Strings() (v []string, ok bool) {
	if len(p.Value) == 0 || p.Value[len(p.Value)-1] != 0 {
		return nil, false
	}
	return strings.Split(string(p.Value[:len(p.Value)-1]), "\x00"), true
}

// phandleOf returns n's phandle ("phandle", else "linux,phandle"), or 0.
func phandleOf(n *Node) uint32 {
	for _, name := range [...]string{"phandle", "linux,phandle"} {
		if p, ok := n.Prop(name); ok {
			if v, ok := p.U32(); ok && v != 0 && v != 0xffffffff {
				return v
			}
		}
	}
	return 0
}

// Phandle returns n's phandle, first assigning it one (one more than the
// largest phandle in the tree) and setting its "phandle" property if it
// has none. It returns 0 only if the tree has run out of phandles.
func (t *Tree) Phandle(n *Node) uint32 {
	if v := phandleOf(n); v != 0 {
		return v
	}
	var highest uint32
	walk(t.Root, 0, func(m *Node) {
		if v := phandleOf(m); v > highest {
			highest = v
		}
	})
	if highest >= 0xfffffffe {
		return 0
	}
	n.SetU32("phandle", highest+1)
	return highest + 1
}

// walk calls f for every node under n (n included), depth first, going no
// deeper than MaxDepth (which also stops it on a cyclic tree).
func walk(n *Node, depth int, f func(*Node)) {
	if n == nil || depth > MaxDepth {
		return
	}
	f(n)
	for _, c := range n.Children {
		walk(c, depth+1, f)
	}
}

// Find returns the node at path, or nil. A path is absolute
// ("/soc/serial@10000000"; "/" is the root) or starts with an alias defined
// in /aliases ("serial0/..."). A path component without a unit address
// matches a node whose name is exactly that, else the first child whose
// name without its unit address is that ("/memory" finds
// "/memory@80000000").
func (t *Tree) Find(path string) *Node {
	if t == nil || t.Root == nil || path == "" {
		return nil
	}
	n := t.Root
	if path[0] != '/' {
		alias, rest, _ := strings.Cut(path, "/")
		a := t.Root.lookup("aliases")
		if a == nil {
			return nil
		}
		p, ok := a.Prop(alias)
		if !ok {
			return nil
		}
		s, ok := p.Strings()
		if !ok || len(s) != 1 || !strings.HasPrefix(s[0], "/") {
			return nil
		}
		if n = t.Find(s[0]); n == nil {
			return nil
		}
		path = rest
	}
	for _, comp := range strings.Split(path, "/") {
		if comp == "" {
			continue
		}
		if n = n.lookup(comp); n == nil {
			return nil
		}
	}
	return n
}

// lookup finds the child named comp (see Find).
func (n *Node) lookup(comp string) *Node {
	for _, c := range n.Children {
		if c.Name == comp {
			return c
		}
	}
	if strings.IndexByte(comp, '@') >= 0 {
		return nil
	}
	for _, c := range n.Children {
		if base, _, _ := strings.Cut(c.Name, "@"); base == comp {
			return c
		}
	}
	return nil
}
