package frontdoor

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseMemory: any accepted size is positive and a whole number of
// its unit; a plain number of bytes round-trips.
func FuzzParseMemory(f *testing.F) {
	for _, s := range []string{"64M", "64MiB", "1g", "512k", "100", "0", "-1M", "9223372036854775807", "4611686018427387904G", "M", "", " 2M "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseMemory(s)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("parseMemory(%q): error %q does not name the input", s, err)
			}
			return
		}
		if n <= 0 {
			t.Fatalf("parseMemory(%q) = %d", s, n)
		}
		if m, err := parseMemory(strconv.FormatInt(n, 10)); err != nil || m != n {
			t.Fatalf("parseMemory(%d) = %d, %v", n, m, err)
		}
	})
}

// FuzzParseUser: an accepted UID[:GID] formats back to the same numbers.
func FuzzParseUser(f *testing.F) {
	for _, s := range []string{"0", "0:0", "1000:1001", "root", "1:", ":1", "4294967296", "-1", "1:2:3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parseUser(s)
		if err != nil {
			return
		}
		v, err := parseUser(fmt.Sprintf("%d:%d", u.UID, u.GID))
		if err != nil || v.UID != u.UID || v.GID != u.GID {
			t.Fatalf("parseUser(%q) = %+v; its formatting parses to %+v, %v", s, u, v, err)
		}
	})
}

// FuzzParseVolume: an accepted volume is a bind of an absolute source to
// a clean absolute destination with rbind and ro or rw.
func FuzzParseVolume(f *testing.F) {
	for _, s := range []string{"/tmp:/data", "/tmp:/data:ro", "/tmp:/data:rw", "/tmp:rel", ":/x", "/tmp:/a/../b:ro", "/tmp:/x:maybe", "a:b:c:d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseVolume(s)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("parseVolume(%q): error %q does not name the input", s, err)
			}
			return
		}
		if m.Type != "bind" || !filepath.IsAbs(m.Source) || m.Destination != filepath.Clean(m.Destination) || !filepath.IsAbs(m.Destination) ||
			len(m.Options) != 2 || m.Options[0] != "rbind" || (m.Options[1] != "ro" && m.Options[1] != "rw") {
			t.Fatalf("parseVolume(%q) = %+v", s, m)
		}
	})
}
