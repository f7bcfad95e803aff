package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"strata/cgroup"
	"strata/ctr"
)

// event is one line of `events`, in runc's shape.
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

// The stats types mirror the JSON runc's `events --stats` prints
// (runc/types.Stats); fields strata has no source for are left out.
type stats struct {
	CPU    cpuStats    `json:"cpu"`
	Memory memoryStats `json:"memory"`
	Pids   pidsStats   `json:"pids"`
}

type cpuStats struct {
	Usage      cpuUsage   `json:"usage"`
	Throttling throttling `json:"throttling"`
}

type cpuUsage struct {
	Total  uint64 `json:"total,omitempty"`
	Kernel uint64 `json:"kernel"`
	User   uint64 `json:"user"`
}

type throttling struct {
	Periods          uint64 `json:"periods,omitempty"`
	ThrottledPeriods uint64 `json:"throttledPeriods,omitempty"`
	ThrottledTime    uint64 `json:"throttledTime,omitempty"`
}

type memoryEntry struct {
	Limit uint64 `json:"limit"`
	Usage uint64 `json:"usage,omitempty"`
	Max   uint64 `json:"max,omitempty"`
}

type memoryStats struct {
	Usage    memoryEntry `json:"usage,omitempty"`
	Swap     memoryEntry `json:"swap,omitempty"`
	OOMKills uint64      `json:"oomKills,omitempty"`
}

type pidsStats struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

func toRuncStats(s *cgroup.Stats) *stats {
	return &stats{
		CPU: cpuStats{
			Usage:      cpuUsage{Total: s.CPU.UsageNs, Kernel: s.CPU.SystemNs, User: s.CPU.UserNs},
			Throttling: throttling{Periods: s.CPU.Periods, ThrottledPeriods: s.CPU.ThrottledPeriods, ThrottledTime: s.CPU.ThrottledNs},
		},
		Memory: memoryStats{
			Usage:    memoryEntry{Limit: s.Memory.Limit, Usage: s.Memory.Usage, Max: s.Memory.MaxUsage},
			Swap:     memoryEntry{Usage: s.Memory.SwapUsage},
			OOMKills: s.Memory.OOMKills,
		},
		Pids: pidsStats{Current: s.Pids.Current, Limit: s.Pids.Limit},
	}
}

// eventsCmd is runc's `events [--stats] [--interval D] ID`: one stats
// event with --stats, else a stats event every interval until the
// container stops.
func eventsCmd(store func() ctr.Store, stdout io.Writer) *cobra.Command {
	var once bool
	var interval time.Duration
	c := &cobra.Command{
		Use: "events [flags] ID", Short: "print container stats as JSON events", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval <= 0 {
				return fmt.Errorf("--interval must be positive")
			}
			enc := json.NewEncoder(stdout)
			for {
				st, err := store().Stats(args[0])
				if err != nil {
					if !once {
						if s, serr := store().State(args[0]); serr == nil && s.Status == "stopped" {
							return nil // the stream ends with the container
						}
					}
					return err
				}
				if err := enc.Encode(event{Type: "stats", ID: args[0], Data: toRuncStats(st)}); err != nil {
					return err
				}
				if once {
					return nil
				}
				time.Sleep(interval)
			}
		},
	}
	c.Flags().BoolVar(&once, "stats", false, "print one stats event and exit")
	c.Flags().DurationVar(&interval, "interval", 5*time.Second, "time between stats events")
	return c
}

// psCmd is runc's `ps [--format table|json] ID [ps options]`: the pids
// in the container's cgroup, as a JSON array or a table.
func psCmd(store func() ctr.Store, stdout io.Writer) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use: "ps [flags] ID [ps options]", Short: "list the processes in a container", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pids, err := store().Ps(args[0])
			if err != nil {
				return err
			}
			if pids == nil {
				pids = []int{}
			}
			switch format {
			case "json":
				return printJSON(stdout, pids)
			case "table":
			default:
				return fmt.Errorf("--format: want table or json, not %q", format)
			}
			if len(args) > 1 {
				return psTable(stdout, pids, args[1:])
			}
			w := tabwriter.NewWriter(stdout, 6, 1, 2, ' ', 0)
			fmt.Fprintln(w, "PID\tCMD")
			for _, p := range pids {
				cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/cmdline")
				fmt.Fprintf(w, "%d\t%s\n", p, strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " ")))
			}
			return w.Flush()
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "table", "table or json")
	return c
}

// psTable runs the host's ps with the given options, as runc does, and
// keeps its header and the container's lines.
func psTable(stdout io.Writer, pids []int, opts []string) error {
	out, err := exec.Command("ps", opts...).Output()
	if err != nil {
		return fmt.Errorf("ps: %w", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) == 0 {
		return nil
	}
	col := -1
	for i, h := range strings.Fields(lines[0]) {
		if h == "PID" {
			col = i
		}
	}
	if col < 0 {
		return fmt.Errorf("ps: no PID column in %q", lines[0])
	}
	in := map[string]bool{}
	for _, p := range pids {
		in[strconv.Itoa(p)] = true
	}
	fmt.Fprintln(stdout, lines[0])
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > col && in[f[col]] {
			fmt.Fprintln(stdout, l)
		}
	}
	return nil
}
