package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"strata/image/archive"
)

// ArchiveFormat is an image archive format for Save and Load.
type ArchiveFormat string

// Archive formats.
const (
	// FormatDocker is docker save's format: manifest.json and
	// repositories (the blobs are laid out as an OCI layout too, as
	// docker ≥ 25 does, so the archive is also an OCI archive).
	FormatDocker ArchiveFormat = "docker-archive"
	// FormatOCI is a tar of an OCI image layout.
	FormatOCI ArchiveFormat = "oci-archive"
)

// dockerManifestEntry is one image in a docker-archive's manifest.json.
type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// Save writes the named images as a tar archive in format to w.
func (s *Store) Save(ctx context.Context, w io.Writer, names []string, format ArchiveFormat) error {
	if format != FormatDocker && format != FormatOCI {
		return fmt.Errorf("save: unknown format %q (docker-archive or oci-archive)", format)
	}
	if len(names) == 0 {
		return errors.New("save: no images named")
	}
	tw := tar.NewWriter(w)
	written := map[digest.Digest]bool{}
	blob := func(d digest.Digest) (string, error) {
		p := "blobs/sha256/" + d.Encoded()
		if written[d] {
			return p, nil
		}
		if len(written) == 0 {
			if err := tw.WriteHeader(&tar.Header{Name: "blobs/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
				return "", err
			}
			if err := tw.WriteHeader(&tar.Header{Name: "blobs/sha256/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
				return "", err
			}
		}
		size, err := s.BlobSize(d)
		if err != nil {
			return "", err
		}
		rc, err := s.GetBlob(ctx, d)
		if err != nil {
			return "", err
		}
		defer rc.Close()
		if err := tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o644, Size: size}); err != nil {
			return "", err
		}
		if _, err := io.Copy(tw, rc); err != nil {
			return "", fmt.Errorf("save %s: %w", d, err)
		}
		written[d] = true
		return p, nil
	}
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	var dm []dockerManifestEntry
	repos := map[string]map[string]string{}
	for _, n := range names {
		desc, m, err := s.Manifest(ctx, n)
		if err != nil {
			return fmt.Errorf("save %s: %w", n, err)
		}
		e := dockerManifestEntry{}
		for _, l := range m.Layers {
			p, err := blob(l.Digest)
			if err != nil {
				return fmt.Errorf("save %s: %w", n, err)
			}
			e.Layers = append(e.Layers, p)
		}
		if e.Config, err = blob(m.Config.Digest); err != nil {
			return fmt.Errorf("save %s: %w", n, err)
		}
		if _, err := blob(desc.Digest); err != nil {
			return fmt.Errorf("save %s: %w", n, err)
		}
		d := ocispec.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size}
		if ref, err := ParseReference(n); err == nil && ref.Tag != "" {
			ref.Digest = ""
			d.Annotations = map[string]string{ocispec.AnnotationRefName: ref.String(), "io.containerd.image.name": ref.String()}
			e.RepoTags = []string{ref.Familiar()}
			repo := strings.TrimSuffix(ref.Familiar(), ":"+ref.Tag)
			if repos[repo] == nil {
				repos[repo] = map[string]string{}
			}
			if len(m.Layers) > 0 {
				repos[repo][ref.Tag] = m.Layers[len(m.Layers)-1].Digest.Encoded()
			}
		}
		idx.Manifests = append(idx.Manifests, d)
		dm = append(dm, e)
	}
	files := []struct {
		name string
		v    any
	}{
		{ocispec.ImageLayoutFile, ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion}},
		{"index.json", idx},
	}
	if format == FormatDocker {
		files = append(files, struct {
			name string
			v    any
		}{"manifest.json", dm}, struct {
			name string
			v    any
		}{"repositories", repos})
	}
	for _, f := range files {
		b, err := json.Marshal(f.v)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))}); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	return tw.Close()
}

// LoadOptions control Load and LoadLayout.
type LoadOptions struct {
	// Name names the image when the archive has one image and either
	// carries no usable name or the caller wants another one.
	Name string
}

// Load reads a docker-archive or oci-archive (detected: manifest.json
// means docker) from r and stores its images; it returns the names given.
// Every blob is verified as it is stored.
func (s *Store) Load(ctx context.Context, r io.Reader, opts LoadOptions) ([]string, error) {
	release, err := s.Lease(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	tmp, err := os.MkdirTemp(s.tmpDir(), "load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	file := filepath.Join(tmp, "archive.tar")
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(f, ctxReader{ctx, r})
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	// An archive that is both (docker ≥ 25, strata) loads through its OCI
	// index, which keeps manifest digests; a plain docker-archive through
	// manifest.json.
	if !tarHas(file, "index.json") {
		if dm, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(file) }); err == nil && len(dm) > 0 {
			return s.loadDocker(ctx, file, dm, opts)
		}
	}
	// Otherwise an OCI layout in a tar, unpacked with the layer unpacker's
	// rules: nothing lands outside the temporary directory.
	dir := filepath.Join(tmp, "layout")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	f, err = os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := archive.Apply(ctx, dir, f, archive.Options{NoChown: true}); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		return nil, errors.New("load: neither a docker-archive (no manifest.json) nor an oci-archive (no index.json)")
	}
	return s.LoadLayout(ctx, dir, opts)
}

func (s *Store) loadDocker(ctx context.Context, file string, dm tarball.Manifest, opts LoadOptions) ([]string, error) {
	if opts.Name != "" && len(dm) != 1 {
		return nil, fmt.Errorf("load: a name was given but the archive holds %d images", len(dm))
	}
	var names []string
	for i, e := range dm {
		var tag *name.Tag
		if len(e.RepoTags) > 0 {
			t, err := name.NewTag(e.RepoTags[0])
			if err != nil {
				return names, fmt.Errorf("load: image %d: RepoTags %q: %w", i, e.RepoTags[0], err)
			}
			tag = &t
		} else if len(dm) > 1 {
			return names, fmt.Errorf("load: image %d has no RepoTags", i)
		}
		img, err := tarball.ImageFromPath(file, tag)
		if err != nil {
			return names, fmt.Errorf("load: image %d: %w", i, err)
		}
		// The manifest is made anew anyway: make it OCI, which every
		// tool (umoci included) reads.
		if img, err = toOCI(img); err != nil {
			return names, fmt.Errorf("load: image %d: %w", i, err)
		}
		targets := e.RepoTags
		if opts.Name != "" {
			targets = []string{opts.Name}
		}
		if len(targets) == 0 {
			return names, fmt.Errorf("load: image %d has no RepoTags; give it a name", i)
		}
		for _, n := range targets {
			if _, err := s.WriteImage(ctx, img, n); err != nil {
				return names, fmt.Errorf("load %s: %w", n, err)
			}
			nn, _ := NormalizeName(n)
			names = append(names, nn)
		}
	}
	return names, nil
}

// LoadLayout stores the images of the OCI image layout in dir (as umoci or
// skopeo's oci: transport write it). Entries named with a full image name
// (org.opencontainers.image.ref.name containing '/' or ':') keep it;
// opts.Name names a layout's single image otherwise.
func (s *Store) LoadLayout(ctx context.Context, dir string, opts LoadOptions) ([]string, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	ii, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("load %s: index.json: %w", dir, err)
	}
	if opts.Name != "" && len(im.Manifests) != 1 {
		return nil, fmt.Errorf("load %s: a name was given but the layout holds %d images", dir, len(im.Manifests))
	}
	var names []string
	for _, d := range im.Manifests {
		n := opts.Name
		if n == "" {
			ann := d.Annotations[ocispec.AnnotationRefName]
			if full := d.Annotations["io.containerd.image.name"]; full != "" && !strings.ContainsAny(ann, "/:") {
				ann = full
			}
			if ann == "" || !strings.ContainsAny(ann, "/:") {
				return names, fmt.Errorf("load %s: image %s is named %q, not an image name; give it a name", dir, d.Digest, ann)
			}
			n = ann
		}
		img, err := layoutImage(ii, d)
		if err != nil {
			return names, fmt.Errorf("load %s: %w", dir, err)
		}
		if _, err := s.WriteImage(ctx, img, n); err != nil {
			return names, fmt.Errorf("load %s as %s: %w", dir, n, err)
		}
		nn, _ := NormalizeName(n)
		names = append(names, nn)
	}
	return names, nil
}

// layoutImage resolves an index entry to an image (for a nested index, the
// entry for this machine's platform).
func layoutImage(ii v1.ImageIndex, d v1.Descriptor) (v1.Image, error) {
	for depth := 0; depth < 4; depth++ {
		if !d.MediaType.IsIndex() {
			return ii.Image(d.Digest)
		}
		child, err := ii.ImageIndex(d.Digest)
		if err != nil {
			return nil, err
		}
		cm, err := child.IndexManifest()
		if err != nil {
			return nil, err
		}
		found := false
		for _, c := range cm.Manifests {
			if c.Platform == nil || (c.Platform.OS == runtime.GOOS && c.Platform.Architecture == runtime.GOARCH) {
				ii, d, found = child, c, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("index %s: no image for %s/%s", d.Digest, runtime.GOOS, runtime.GOARCH)
		}
	}
	return nil, fmt.Errorf("index %s: nested too deeply", d.Digest)
}

// tarHas reports whether the tar file has an entry called name (at the top).
func tarHas(file, name string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			return false
		}
		if strings.TrimPrefix(h.Name, "./") == name {
			return true
		}
	}
}

// toOCI rebuilds img with OCI media types (manifest, config, layers),
// keeping its config (history, diff IDs) and layer blobs.
func toOCI(img v1.Image) (v1.Image, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	var adds []mutate.Addendum
	for _, l := range layers {
		mt := types.OCILayer
		if lmt, err := l.MediaType(); err == nil && (lmt == types.DockerUncompressedLayer || lmt == types.OCIUncompressedLayer) {
			mt = types.OCIUncompressedLayer
		}
		adds = append(adds, mutate.Addendum{Layer: l, MediaType: mt})
	}
	out, err := mutate.Append(base, adds...)
	if err != nil {
		return nil, err
	}
	return mutate.ConfigFile(out, cfg)
}
