// Package ctr is strata's OCI container runtime core: it reads an OCI
// bundle (config.json and a root filesystem), validates the configuration,
// and runs the container's process in new Linux namespaces behind a
// pivot_root'ed root filesystem.
//
// The lifecycle follows the OCI runtime specification and runc: Create sets
// everything up and leaves the container's init blocked on a FIFO in the
// container's state directory (like runc's exec.fifo); Start opens that FIFO
// and the init execs the user's process; Kill signals it; Delete removes
// what is left. State lives in one directory per container under a root
// directory (default /run/strata) and stays correct after the process that
// created the container has exited.
//
// The container's init is a re-exec of the running binary (/proc/self/exe)
// marked by an environment variable: a program embedding ctr must call
// MaybeInit first thing in main (and in TestMain for tests). All namespaces
// are created at clone time through exec.Cmd's SysProcAttr.Cloneflags, so
// the init never needs setns and the multi-threaded Go runtime is never in
// two namespaces at once. See docs/containers.md.
package ctr
