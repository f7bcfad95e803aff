package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"strata/image/snapshot"
)

// reachable walks index.json and returns every blob it references
// (manifests, indexes, configs, layers) and the manifests themselves.
// Problems met on the way (missing or unreadable blobs) are returned too.
func (s *Store) reachable(ctx context.Context) (map[digest.Digest]bool, []ocispec.Manifest, []Problem, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, nil, nil, err
	}
	seen := map[digest.Digest]bool{}
	var manifests []ocispec.Manifest
	var problems []Problem
	var walk func(d ocispec.Descriptor, from string, depth int)
	walk = func(d ocispec.Descriptor, from string, depth int) {
		if seen[d.Digest] {
			return
		}
		seen[d.Digest] = true
		if !s.HasBlob(d.Digest) {
			problems = append(problems, Problem{Digest: d.Digest, What: fmt.Sprintf("%s %s referenced by %s is missing", kindOf(d.MediaType), d.Digest, from)})
			return
		}
		if !isManifestType(d.MediaType) && !isIndex(d.MediaType) {
			return
		}
		if depth > 4 {
			problems = append(problems, Problem{Digest: d.Digest, What: "indexes nested too deeply"})
			return
		}
		raw, err := s.ReadBlob(ctx, d.Digest)
		if err != nil {
			problems = append(problems, Problem{Digest: d.Digest, What: err.Error()})
			return
		}
		refs, err := manifestRefs(raw, d.MediaType)
		if err != nil {
			problems = append(problems, Problem{Digest: d.Digest, What: err.Error()})
			return
		}
		if !isIndex(d.MediaType) {
			var m ocispec.Manifest
			if json.Unmarshal(raw, &m) == nil {
				manifests = append(manifests, m)
			}
		}
		for _, r := range refs {
			walk(r, kindOf(d.MediaType)+" "+d.Digest.String(), depth+1)
		}
	}
	for _, d := range idx.Manifests {
		from := "index.json"
		if n := d.Annotations[ocispec.AnnotationRefName]; n != "" {
			from += " (" + n + ")"
		}
		walk(d, from, 0)
	}
	return seen, manifests, problems, nil
}

func isManifestType(mt string) bool {
	return mt == ocispec.MediaTypeImageManifest || mt == "application/vnd.docker.distribution.manifest.v2+json"
}

func kindOf(mt string) string {
	switch {
	case isIndex(mt):
		return "index"
	case isManifestType(mt):
		return "manifest"
	case mt == ocispec.MediaTypeImageConfig || mt == "application/vnd.docker.container.image.v1+json":
		return "config"
	}
	return "blob"
}

// storedBlobs lists every sha256 blob file.
func (s *Store) storedBlobs() ([]digest.Digest, error) {
	dir := filepath.Join(s.layout, "blobs", "sha256")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store blobs: %w", err)
	}
	var out []digest.Digest
	for _, e := range ents {
		out = append(out, digest.NewDigestFromEncoded(digest.SHA256, e.Name()))
	}
	return out, nil
}

// PruneReport says what Prune removed.
type PruneReport struct {
	Blobs     []digest.Digest // blobs removed
	Bytes     int64           // their total size
	Snapshots []string        // snapshot keys removed
}

// Prune removes every blob no name in index.json reaches (directly or
// through an index, manifest or config), leftover temporary files, and,
// for each snapshotter given, committed snapshots that no image's layer
// chain and no other snapshot uses. It waits for in-flight writes (leases)
// to finish.
func (s *Store) Prune(ctx context.Context, sns ...snapshot.Snapshotter) (PruneReport, error) {
	var rep PruneReport
	unlock, err := s.lock("gc", unix.LOCK_EX)
	if err != nil {
		return rep, err
	}
	defer unlock()
	var keep map[digest.Digest]bool
	var manifests []ocispec.Manifest
	err = s.withLock("index", unix.LOCK_SH, func() error {
		var err error
		keep, manifests, _, err = s.reachable(ctx)
		return err
	})
	if err != nil {
		return rep, err
	}
	all, err := s.storedBlobs()
	if err != nil {
		return rep, err
	}
	for _, d := range all {
		if keep[d] {
			continue
		}
		p, err := s.BlobPath(d)
		if err != nil { // a stray file in blobs/sha256
			p = filepath.Join(s.layout, "blobs", "sha256", d.Encoded())
		}
		fi, _ := os.Stat(p)
		if err := os.Remove(p); err != nil {
			return rep, fmt.Errorf("prune: %w", err)
		}
		rep.Blobs = append(rep.Blobs, d)
		if fi != nil {
			rep.Bytes += fi.Size()
		}
	}
	// Leftovers of crashed writers (live ones hold leases). A crashed
	// diff may have left a view mounted here: detach it first, so that
	// removal never reaches into a snapshot.
	tmps, _ := os.ReadDir(s.tmpDir())
	for _, t := range tmps {
		p := filepath.Join(s.tmpDir(), t.Name())
		if t.IsDir() {
			_ = unix.Unmount(p, unix.MNT_DETACH)
		}
		os.RemoveAll(p)
	}
	if len(sns) > 0 {
		chains := map[string]bool{}
		for _, m := range manifests {
			cfgRaw, err := s.ReadBlob(ctx, m.Config.Digest)
			if err != nil {
				continue
			}
			var cfg ocispec.Image
			if json.Unmarshal(cfgRaw, &cfg) != nil {
				continue
			}
			for _, c := range ChainIDs(cfg.RootFS.DiffIDs) {
				chains[c.String()] = true
			}
		}
		for _, sn := range sns {
			removed, err := pruneSnapshots(ctx, sn, chains)
			rep.Snapshots = append(rep.Snapshots, removed...)
			if err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// Problem is one inconsistency Fsck found.
type Problem struct {
	Digest digest.Digest // the blob concerned, if any
	What   string        // what is wrong
}

// String describes the problem.
func (p Problem) String() string { return p.What }

// Fsck verifies every stored blob's digest and that every manifest reachable
// from index.json has its config and layers. It returns the problems found
// (none: the store is consistent); err is for failures to check at all.
func (s *Store) Fsck(ctx context.Context) ([]Problem, error) {
	var problems []Problem
	all, err := s.storedBlobs()
	if err != nil {
		return nil, err
	}
	for _, d := range all {
		if err := d.Validate(); err != nil {
			problems = append(problems, Problem{Digest: d, What: fmt.Sprintf("stray file %s in blobs/sha256: %v", d.Encoded(), err)})
			continue
		}
		if err := ctx.Err(); err != nil {
			return problems, err
		}
		rc, err := s.GetBlob(ctx, d)
		if err != nil {
			problems = append(problems, Problem{Digest: d, What: err.Error()})
			continue
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			if errors.Is(err, ErrDigestMismatch) {
				err = fmt.Errorf("blob %s: content does not match its digest (corrupt or truncated)", d)
			}
			problems = append(problems, Problem{Digest: d, What: err.Error()})
		}
	}
	err = s.withLock("index", unix.LOCK_SH, func() error {
		_, _, ps, err := s.reachable(ctx)
		problems = append(problems, ps...)
		return err
	})
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].What < problems[j].What })
	return problems, err
}

// pruneSnapshots removes committed snapshots whose key is not in keep and
// that no other snapshot has as parent, repeating until nothing more goes
// (so whole unused chains disappear). Active and view snapshots stay.
func pruneSnapshots(ctx context.Context, sn snapshot.Snapshotter, keep map[string]bool) ([]string, error) {
	var removed []string
	for {
		var infos []snapshot.Info
		if err := sn.Walk(ctx, func(i snapshot.Info) error { infos = append(infos, i); return nil }); err != nil {
			return removed, err
		}
		parents := map[string]bool{}
		for _, i := range infos {
			if i.Parent != "" {
				parents[i.Parent] = true
			}
		}
		n := 0
		for _, i := range infos {
			if i.Kind != snapshot.KindCommitted || keep[i.Key] || parents[i.Key] {
				continue
			}
			if err := sn.Remove(ctx, i.Key); err != nil {
				return removed, fmt.Errorf("prune snapshot %s: %w", i.Key, err)
			}
			removed = append(removed, sn.Name()+":"+i.Key)
			n++
		}
		if n == 0 {
			return removed, nil
		}
	}
}

// FsckSnapshots checks that every snapshot's parent exists and is
// committed, in each snapshotter given.
func FsckSnapshots(ctx context.Context, sns ...snapshot.Snapshotter) ([]Problem, error) {
	var problems []Problem
	for _, sn := range sns {
		var infos []snapshot.Info
		if err := sn.Walk(ctx, func(i snapshot.Info) error { infos = append(infos, i); return nil }); err != nil {
			return problems, err
		}
		kinds := map[string]snapshot.Kind{}
		for _, i := range infos {
			kinds[i.Key] = i.Kind
		}
		for _, i := range infos {
			if i.Parent == "" {
				continue
			}
			k, ok := kinds[i.Parent]
			switch {
			case !ok:
				problems = append(problems, Problem{What: fmt.Sprintf("%s snapshot %q: parent %q is missing", sn.Name(), i.Key, i.Parent)})
			case k != snapshot.KindCommitted:
				problems = append(problems, Problem{What: fmt.Sprintf("%s snapshot %q: parent %q is %s, not committed", sn.Name(), i.Key, i.Parent, k)})
			}
		}
	}
	return problems, nil
}
