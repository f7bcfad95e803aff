// Package image is strata's image housekeeper: a content-addressed store of
// OCI images under one root directory, laid out as an OCI image-layout so
// skopeo, umoci and other tools read it directly.
//
// The layout under the root (default /var/lib/strata):
//
//	ROOT/images/oci-layout        {"imageLayoutVersion":"1.0.0"}
//	ROOT/images/index.json        one descriptor per name, annotated with
//	                              org.opencontainers.image.ref.name
//	ROOT/images/blobs/sha256/HEX  manifests, configs, layers
//	ROOT/tmp/                     blobs being written (never visible)
//	ROOT/locks/                   flock files (index, gc)
//	ROOT/snapshots/DRIVER/        unpacked layers (see Snapshotter)
//
// Every blob is written to a temporary file, hashed while it streams,
// fsynced and renamed into place only when its digest matches; readers
// verify digests again. index.json is rewritten atomically under an
// exclusive flock, so concurrent writers of the same image are safe.
//
// Names are normalised as docker does: "busybox" is stored as
// "docker.io/library/busybox:latest" (see ParseReference).
package image
