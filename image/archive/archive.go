// Package archive unpacks and writes OCI layer tarballs safely: no entry
// is ever written outside the target directory, whatever the tar says.
package archive

// WhiteoutMode says how a layer's deletions (OCI whiteouts) are applied.
type WhiteoutMode int

const (
	// WhiteoutDelete applies a whiteout by deleting the path, and an
	// opaque directory marker by emptying the directory: the target holds
	// the merged tree (the copy snapshotter).
	WhiteoutDelete WhiteoutMode = iota
	// WhiteoutOverlay converts whiteouts to overlayfs's form: a 0/0
	// character device per deleted path and the trusted.overlay.opaque
	// xattr on opaque directories (the overlay snapshotter's upper dir).
	WhiteoutOverlay
)

// ChangeKind is the kind of a filesystem change.
type ChangeKind int

// Change kinds, as `strata image diff` prints them.
const (
	ChangeAdd ChangeKind = iota
	ChangeModify
	ChangeDelete
)

// String is the letter `strata image diff` prints: A, C or D.
func (k ChangeKind) String() string {
	switch k {
	case ChangeAdd:
		return "A"
	case ChangeModify:
		return "C"
	case ChangeDelete:
		return "D"
	}
	return "?"
}

// Change is one changed path in a snapshot relative to its parent.
type Change struct {
	Kind   ChangeKind
	Path   string // absolute path inside the snapshot, e.g. "/etc/passwd"
	Source string // host path of the new content (empty for deletes)
	// Opaque is set on a directory whose lower contents were all hidden
	// (an overlay opaque directory); written as .wh..wh..opq in a layer.
	Opaque bool
}
