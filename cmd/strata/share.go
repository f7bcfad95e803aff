package main

import (
	"fmt"
	"strings"

	"strata/vm"
)

// parseShare parses a --share value: DIR,tag=NAME[,ro].
func parseShare(v string) (vm.Share, error) {
	parts := strings.Split(v, ",")
	sh := vm.Share{Dir: parts[0]}
	for _, o := range parts[1:] {
		switch {
		case o == "ro":
			sh.ReadOnly = true
		case strings.HasPrefix(o, "tag="):
			sh.Tag = strings.TrimPrefix(o, "tag=")
		default:
			return vm.Share{}, fmt.Errorf("--share %s: unknown option %q (want DIR,tag=NAME[,ro])", v, o)
		}
	}
	if sh.Dir == "" || sh.Tag == "" {
		return vm.Share{}, fmt.Errorf("--share %s: want DIR,tag=NAME[,ro]", v)
	}
	return sh, nil
}
