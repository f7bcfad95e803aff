package image

import (
	digest "github.com/opencontainers/go-digest"
)

// ChainIDs computes the OCI chain IDs of a stack of layer diff IDs:
// chain(0) = diff(0), chain(n) = sha256(chain(n-1) + " " + diff(n)).
// Unpacked layers are snapshots keyed by their chain ID.
func ChainIDs(diffIDs []digest.Digest) []digest.Digest {
	out := make([]digest.Digest, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		out[i] = digest.FromString(out[i-1].String() + " " + d.String())
	}
	return out
}
