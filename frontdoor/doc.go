// Package frontdoor is strata's container front door: named containers
// under one state root, run from an image of the store or a root
// filesystem directory without writing a config.json (`strata run`), and
// looked after by name (`ps`, `logs`, `exec`, `stop`, `rm`).
//
// A container is its bundle directory ROOT/bundles/NAME (config.json,
// strata.json, logs, exit status) plus, while it has processes, the
// runtime's state (package ctr) under ROOT/state. Its keeper — `strata run`
// itself in the foreground, or a monitor process (the strata binary
// re-executed, see MaybeMonitor) for a detached one — creates it, wires
// its network (package ctrnet), waits for it, records its exit and
// releases what it held. cmd/strata only parses flags into RunOptions and
// ExecOptions and prints tables. See docs/run.md.
package frontdoor
