package main

import (
	"testing"

	"strata/vm"
)

func TestParseShare(t *testing.T) {
	for in, want := range map[string]vm.Share{
		"/srv/x,tag=data":    {Dir: "/srv/x", Tag: "data"},
		"/srv/x,tag=data,ro": {Dir: "/srv/x", Tag: "data", ReadOnly: true},
		"dir,ro,tag=t":       {Dir: "dir", Tag: "t", ReadOnly: true},
	} {
		if got, err := parseShare(in); err != nil || got != want {
			t.Errorf("%q: %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "/srv/x", "/srv/x,ro", ",tag=t", "/srv/x,tag=", "/srv/x,tag=t,rw"} {
		if _, err := parseShare(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
