package image

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// BenchmarkPutBlob: verified, fsynced blob writes of 16 MiB.
func BenchmarkPutBlob(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 16<<20)
	rand.Read(data)
	d := digest.FromBytes(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.PutBlob(context.Background(), bytes.NewReader(data), d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnpack: unpacking the busybox-static image (one layer) into a
// fresh snapshotter, per driver.
func BenchmarkUnpack(b *testing.B) {
	rootfs := busyboxRootfs(b)
	for _, drv := range []string{"overlay", "copy"} {
		b.Run(drv, func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Import(ctx, bytes.NewReader(rootfs), "bb", HistoryOptions{}); err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				i++
				sn, err := snapshotters()[drv](filepath.Join(s.Root(), "snapshots", fmt.Sprint(drv, i)))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Unpack(ctx, sn, "bb"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
