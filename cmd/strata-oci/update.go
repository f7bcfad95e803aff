package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"

	"strata/ctr"
)

// updateCmd is runc's update: new limits from --resources (a
// LinuxResources JSON file, "-" for stdin) and/or the flags.
func updateCmd(store func() ctr.Store, stdin io.Reader) *cobra.Command {
	var (
		resources                 string
		memory, swap, reservation int64
		cpuShares, cpuPeriod      uint64
		cpuQuota, pids            int64
		cpusetCpus, cpusetMems    string
		blkioWeight               uint16
	)
	c := &cobra.Command{
		Use:   "update [flags] ID",
		Short: "change a container's resource limits",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := &specs.LinuxResources{}
			if resources != "" {
				var data []byte
				var err error
				if resources == "-" {
					data, err = io.ReadAll(stdin)
				} else {
					data, err = os.ReadFile(resources)
				}
				if err != nil {
					return fmt.Errorf("--resources: %w", err)
				}
				if err := json.Unmarshal(data, r); err != nil {
					return fmt.Errorf("--resources %s: %w", resources, err)
				}
			}
			f := cmd.Flags()
			mem := func() *specs.LinuxMemory {
				if r.Memory == nil {
					r.Memory = &specs.LinuxMemory{}
				}
				return r.Memory
			}
			cpu := func() *specs.LinuxCPU {
				if r.CPU == nil {
					r.CPU = &specs.LinuxCPU{}
				}
				return r.CPU
			}
			if f.Changed("memory") {
				mem().Limit = &memory
			}
			if f.Changed("memory-swap") {
				mem().Swap = &swap
			}
			if f.Changed("memory-reservation") {
				mem().Reservation = &reservation
			}
			if f.Changed("cpu-shares") {
				cpu().Shares = &cpuShares
			}
			if f.Changed("cpu-period") {
				cpu().Period = &cpuPeriod
			}
			if f.Changed("cpu-quota") {
				cpu().Quota = &cpuQuota
			}
			if f.Changed("cpuset-cpus") {
				cpu().Cpus = cpusetCpus
			}
			if f.Changed("cpuset-mems") {
				cpu().Mems = cpusetMems
			}
			if f.Changed("pids-limit") {
				r.Pids = &specs.LinuxPids{Limit: &pids}
			}
			if f.Changed("blkio-weight") {
				r.BlockIO = &specs.LinuxBlockIO{Weight: &blkioWeight}
			}
			return store().Update(args[0], r)
		},
	}
	f := c.Flags()
	f.StringVarP(&resources, "resources", "r", "", `a LinuxResources JSON file ("-": stdin)`)
	f.Int64Var(&memory, "memory", 0, "memory limit in bytes")
	f.Int64Var(&swap, "memory-swap", 0, "memory+swap limit in bytes (-1: unlimited)")
	f.Int64Var(&reservation, "memory-reservation", 0, "memory soft limit in bytes")
	f.Uint64Var(&cpuShares, "cpu-shares", 0, "CPU shares (relative weight)")
	f.Uint64Var(&cpuPeriod, "cpu-period", 0, "CFS period in µs")
	f.Int64Var(&cpuQuota, "cpu-quota", 0, "CFS quota in µs per period (-1: none)")
	f.StringVar(&cpusetCpus, "cpuset-cpus", "", "CPUs the container may use, e.g. 0-1")
	f.StringVar(&cpusetMems, "cpuset-mems", "", "memory nodes the container may use")
	f.Int64Var(&pids, "pids-limit", 0, "maximum number of processes (-1: none)")
	f.Uint16Var(&blkioWeight, "blkio-weight", 0, "block I/O weight (10-1000)")
	return c
}
