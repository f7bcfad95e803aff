package registry

import (
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// bars draws one progress bar per layer; a nil *bars draws nothing.
type bars struct {
	p *mpb.Progress
}

func newBars(w io.Writer) *bars {
	if w == nil {
		return nil
	}
	return &bars{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithAutoRefresh())}
}

// wrap returns r counting into a new bar labelled with the digest's short
// form; done must be called with the transfer's outcome.
func (b *bars) wrap(label string, size int64, r io.Reader) (io.Reader, func(error)) {
	if b == nil {
		return r, func(error) {}
	}
	bar := b.p.AddBar(size,
		mpb.PrependDecorators(decor.Name(label, decor.WC{W: 14, C: decor.DindentRight})),
		mpb.AppendDecorators(decor.OnComplete(decor.CountersKibiByte("% .1f / % .1f"), "done")),
	)
	pr, err := bar.ProxyReader(r)
	if err != nil {
		bar.Abort(true)
		return r, func(error) {}
	}
	return pr, func(err error) {
		if err != nil {
			bar.Abort(false)
			return
		}
		bar.SetTotal(-1, true)
	}
}

// wait flushes the bars.
func (b *bars) wait() {
	if b != nil {
		b.p.Wait()
	}
}

func shortDigest(h v1.Hash) string {
	if len(h.Hex) < 12 {
		return h.Hex
	}
	return h.Hex[:12]
}

// progressLayer reports a layer's upload through a bar.
type progressLayer struct {
	v1.Layer
	bars *bars
}

func (l progressLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	d, _ := l.Digest()
	size, _ := l.Size()
	r, done := l.bars.wrap(shortDigest(d), size, rc)
	return &doneReadCloser{Reader: r, c: rc, done: done}, nil
}

type doneReadCloser struct {
	io.Reader
	c    io.Closer
	done func(error)
	err  error
}

func (d *doneReadCloser) Read(p []byte) (int, error) {
	n, err := d.Reader.Read(p)
	if err != nil && err != io.EOF {
		d.err = err
	}
	return n, err
}

func (d *doneReadCloser) Close() error {
	d.done(d.err)
	return d.c.Close()
}

// progressImage is img with its layers reporting progress.
type progressImage struct {
	v1.Image
	bars *bars
}

func (p progressImage) Layers() ([]v1.Layer, error) {
	ls, err := p.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		out[i] = progressLayer{Layer: l, bars: p.bars}
	}
	return out, nil
}

func (p progressImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := p.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return progressLayer{Layer: l, bars: p.bars}, nil
}
