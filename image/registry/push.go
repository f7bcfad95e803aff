package registry

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PushImage uploads img to dest (a reference such as
// 127.0.0.1:5000/app:1): the layers the registry lacks (in parallel), the
// config, then the manifest under dest's tag or digest.
func PushImage(ctx context.Context, img v1.Image, dest string, o Options) (name.Reference, error) {
	r, err := ParseReference(dest, o.Insecure)
	if err != nil {
		return nil, err
	}
	ropts, err := o.remoteOptions(ctx, r)
	if err != nil {
		return nil, err
	}
	b := newBars(o.Progress)
	if b != nil {
		img = progressImage{Image: img, bars: b}
	}
	err = remote.Write(r, img, ropts...)
	b.wait()
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", r, explain(err))
	}
	return r, nil
}
