package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"
)

// ErrNotFound is returned (wrapped) when a blob or name is not in the store.
var ErrNotFound = errors.New("not found")

// ErrDigestMismatch is returned (wrapped) when content does not hash to
// the digest it was stored or announced under.
var ErrDigestMismatch = errors.New("digest mismatch")

// BlobPath is where the blob with digest d lives (it may not exist).
func (s *Store) BlobPath(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("blob %q: %w", d, err)
	}
	if d.Algorithm() != digest.SHA256 {
		return "", fmt.Errorf("blob %s: only sha256 digests are stored", d)
	}
	return filepath.Join(s.layout, "blobs", string(d.Algorithm()), d.Encoded()), nil
}

// HasBlob reports whether the blob exists (without verifying it).
func (s *Store) HasBlob(d digest.Digest) bool {
	p, err := s.BlobPath(d)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// PutBlob streams r into the store. The content is hashed while it is
// written to a temporary file, fsynced, and renamed into place only if it
// hashes to expected (when expected is non-empty). A failed or cancelled
// write leaves nothing visible. It returns the content's digest and size.
func (s *Store) PutBlob(ctx context.Context, r io.Reader, expected digest.Digest) (digest.Digest, int64, error) {
	if expected != "" {
		if _, err := s.BlobPath(expected); err != nil {
			return "", 0, err
		}
	}
	release, err := s.gcShared()
	if err != nil {
		return "", 0, err
	}
	defer release()
	f, err := os.CreateTemp(s.tmpDir(), "blob-*")
	if err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	tmp := f.Name()
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(tmp)
		}
	}()
	dg := digest.SHA256.Digester()
	n, err := io.Copy(io.MultiWriter(f, dg.Hash()), ctxReader{ctx, r})
	if err != nil {
		return "", n, fmt.Errorf("put blob %s: after %d bytes: %w", orUnknown(expected), n, err)
	}
	got := dg.Digest()
	if expected != "" && got != expected {
		return "", n, fmt.Errorf("put blob: content (%d bytes) hashes to %s, expected %s: %w", n, got, expected, ErrDigestMismatch)
	}
	if err := f.Chmod(0o644); err != nil {
		return "", n, fmt.Errorf("put blob %s: %w", got, err)
	}
	if err := f.Sync(); err != nil {
		return "", n, fmt.Errorf("put blob %s: %w", got, err)
	}
	if err := f.Close(); err != nil {
		return "", n, fmt.Errorf("put blob %s: %w", got, err)
	}
	if err := ctx.Err(); err != nil {
		return "", n, fmt.Errorf("put blob %s: %w", got, err)
	}
	dst, _ := s.BlobPath(got)
	if err := os.Rename(tmp, dst); err != nil {
		return "", n, fmt.Errorf("put blob %s: %w", got, err)
	}
	committed = true
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return "", n, err
	}
	return got, n, nil
}

// PutBlobBytes stores b (see PutBlob).
func (s *Store) PutBlobBytes(ctx context.Context, b []byte) (digest.Digest, error) {
	d := digest.FromBytes(b)
	if s.HasBlob(d) {
		return d, nil
	}
	_, _, err := s.PutBlobReader(ctx, b, d)
	return d, err
}

// PutBlobReader is PutBlob of an in-memory blob.
func (s *Store) PutBlobReader(ctx context.Context, b []byte, d digest.Digest) (digest.Digest, int64, error) {
	return s.PutBlob(ctx, bytesReader(b), d)
}

func orUnknown(d digest.Digest) string {
	if d == "" {
		return "(digest unknown)"
	}
	return d.String()
}

// GetBlob opens the blob d. The returned reader verifies the digest as it
// is read: the final Read returns an error wrapping ErrDigestMismatch
// instead of io.EOF if the stored content has been corrupted.
func (s *Store) GetBlob(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	p, err := s.BlobPath(d)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("blob %s: %w", d, ErrNotFound)
		}
		return nil, fmt.Errorf("blob %s: %w", d, err)
	}
	return &verifyReader{ctx: ctx, f: f, want: d, v: d.Verifier()}, nil
}

// ReadBlob reads and verifies a whole blob (for manifests and configs).
func (s *Store) ReadBlob(ctx context.Context, d digest.Digest) ([]byte, error) {
	rc, err := s.GetBlob(ctx, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// BlobSize is the stored size of blob d.
func (s *Store) BlobSize(d digest.Digest) (int64, error) {
	p, err := s.BlobPath(d)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("blob %s: %w", d, ErrNotFound)
		}
		return 0, err
	}
	return fi.Size(), nil
}

type verifyReader struct {
	ctx  context.Context
	f    *os.File
	want digest.Digest
	v    digest.Verifier
	n    int64
}

func (r *verifyReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.f.Read(p)
	r.n += int64(n)
	r.v.Write(p[:n])
	if err == io.EOF && !r.v.Verified() {
		return n, fmt.Errorf("blob %s (%d bytes, %s): stored content is corrupt: %w", r.want, r.n, r.f.Name(), ErrDigestMismatch)
	}
	return n, err
}

func (r *verifyReader) Close() error { return r.f.Close() }
