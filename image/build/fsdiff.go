package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"strata/image"
	"strata/image/archive"
)

// layerBlob is a layer written to the store.
type layerBlob struct {
	Desc   ocispec.Descriptor
	DiffID digest.Digest
}

// writeLayer writes a snapshot's changes as a gzipped layer tar into the
// store (archive.WriteChanges: whiteouts for deletions, opaque markers,
// hard links within the layer). The tar stream is hashed for the diff ID
// on its way into gzip.
func writeLayer(ctx context.Context, st *image.Store, changes []archive.Change) (layerBlob, error) {
	pr, pw := io.Pipe()
	diffHash := sha256.New()
	done := make(chan struct{})
	go func() {
		defer close(done)
		gz, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		err := archive.WriteChanges(io.MultiWriter(gz, diffHash), changes)
		if cerr := gz.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err)
	}()
	d, n, err := st.PutBlob(ctx, pr, "")
	pr.CloseWithError(errors.New("layer writer stopped"))
	<-done
	if err != nil {
		return layerBlob{}, fmt.Errorf("write layer: %w", err)
	}
	return layerBlob{
		Desc:   ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: d, Size: n},
		DiffID: digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(diffHash.Sum(nil))),
	}, nil
}
