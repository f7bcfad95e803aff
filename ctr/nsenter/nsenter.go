// Package nsenter joins namespaces before the Go runtime starts.
//
// Importing it (for its side effect) links a C constructor into the
// program. The constructor does nothing unless the environment variable
// _STRATA_NSENTER is set; then, while the process is still
// single-threaded, it joins the namespaces named there with setns(2),
// unshares new ones after the joins, and forks when a pid namespace is
// joined or created, so that the Go runtime of the child starts inside
// every namespace. Joining a mount or user namespace is impossible once
// the Go runtime has started its threads, which is why this is C.
//
// The format of _STRATA_NSENTER is documented in nsenter.c; package ctr
// builds it with Env.
package nsenter

// #cgo CFLAGS: -Wall -Werror -O2
import "C"

import (
	"strconv"
	"strings"
)

// Mode says whether the constructor forks, and what its parent does then.
type Mode string

// The modes.
const (
	// NoFork joins and unshares in place.
	NoFork Mode = "nofork"
	// Wait forks; the parent relays signals to the child and exits with
	// its status, so whoever started the process can wait for it.
	Wait Mode = "wait"
	// Detach forks; the parent exits at once and the child is reparented
	// (to the nearest subreaper, or init).
	Detach Mode = "detach"
)

// Join is one namespace to join: Type as in /proc/PID/ns ("net", "mnt",
// "user", …) and the path of a namespace file.
type Join struct {
	Type string
	Path string
}

// EnvName is the environment variable the constructor reads.
const EnvName = "_STRATA_NSENTER"

// Env returns the environment entry that makes the constructor join joins,
// then unshare the CLONE_NEW* flags in unshare, and report the forked
// child's pid (as the JSON line {"pid":N}) and errors ({"error":"…"}) on
// descriptor syncFd.
func Env(mode Mode, unshare uintptr, syncFd int, joins []Join) string {
	var b strings.Builder
	b.WriteString(EnvName + "=")
	b.WriteString(string(mode))
	b.WriteString(";" + strconv.FormatUint(uint64(unshare), 10))
	b.WriteString(";" + strconv.Itoa(syncFd))
	for _, j := range joins {
		b.WriteString(";" + j.Type + "=" + j.Path)
	}
	return b.String()
}
