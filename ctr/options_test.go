package ctr

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		in          []string
		flags, prop uintptr
		data        string
	}{
		{[]string{"rbind", "ro", "nosuid"}, unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY | unix.MS_NOSUID, 0, ""},
		{[]string{"ro", "rw"}, 0, 0, ""},
		{[]string{"noexec", "exec", "nodev"}, unix.MS_NODEV, 0, ""},
		{[]string{"rslave", "mode=755", "size=65536k"}, 0, unix.MS_SLAVE | unix.MS_REC, "mode=755,size=65536k"},
		{[]string{"shared", "private"}, 0, unix.MS_PRIVATE, ""},
	}
	for _, tc := range tests {
		flags, prop, data := parseOptions(tc.in)
		if flags != tc.flags || prop != tc.prop || data != tc.data {
			t.Errorf("parseOptions(%q) = %#x, %#x, %q; want %#x, %#x, %q", tc.in, flags, prop, data, tc.flags, tc.prop, tc.data)
		}
	}
}
