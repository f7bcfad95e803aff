package image

import "testing"

// FuzzParseReference: whatever parses, re-parses to itself from its
// normalised string, and that string is stable.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"busybox", "busybox:1.36", "user/app", "localhost:5000/a/b:v1",
		"127.0.0.1:5000/x@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"index.docker.io/library/alpine", "a/../b", "x:", ":", "@", "A/B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		r2, err := ParseReference(r.String())
		if err != nil {
			t.Fatalf("%q parsed to %q, which does not parse: %v", s, r.String(), err)
		}
		if r2 != r {
			t.Fatalf("%q → %+v → %q → %+v", s, r, r.String(), r2)
		}
		if r.Tag == "" && r.Digest == "" {
			t.Fatalf("%q: neither tag nor digest", s)
		}
	})
}
