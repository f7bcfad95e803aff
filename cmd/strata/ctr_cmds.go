package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strata/frontdoor"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// rootFlag adds --root to a container command, defaulting to $STRATA_ROOT
// or frontdoor.DefaultRoot as `strata run` does.
func rootFlag(c *cobra.Command, root *string) {
	c.Flags().StringVar(root, "root", frontdoor.DefaultRoot, "state root of strata run; STRATA_ROOT overrides the default")
}

// frontStoreOf opens the state root of a container command.
func frontStoreOf(c *cobra.Command, root string) (frontdoor.Store, error) {
	if !c.Flags().Changed("root") {
		if env := os.Getenv("STRATA_ROOT"); env != "" {
			root = env
		}
	}
	return frontdoor.Open(root)
}

func newPsCmd() *cobra.Command {
	var root string
	var all, quiet bool
	c := &cobra.Command{
		Use:   "ps [-a]",
		Short: "list containers of strata run",
		Long: `ps lists the containers under the state root: NAME, STATUS (created,
running, paused, exited (N), stopped when the exit status was not
recorded), PID of the init, CREATED, COMMAND and IP (bridge network).
Without -a only containers that still have processes are shown.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := frontStoreOf(cmd, root)
			if err != nil {
				return err
			}
			list, err := fs.List()
			if err != nil {
				return err
			}
			return writePs(cmd.OutOrStdout(), list, all, quiet, time.Now())
		},
	}
	rootFlag(c, &root)
	c.Flags().BoolVarP(&all, "all", "a", false, "show exited containers too")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "print names only")
	return c
}

// writePs prints the ps table.
func writePs(w io.Writer, list []*frontdoor.Status, all, quiet bool, now time.Time) error {
	if quiet {
		for _, s := range list {
			if all || s.Active() {
				fmt.Fprintln(w, s.Name)
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tPID\tCREATED\tCOMMAND\tIP")
	for _, s := range list {
		if !all && !s.Active() {
			continue
		}
		ip := s.IP
		if ip == "" {
			ip = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s, pidString(s.Pid), ago(s.Created, now), shortCommand(s.Command), ip)
	}
	return tw.Flush()
}

// ago renders t relative to now as ps does: "5 seconds ago".
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	unit := func(n int64, u string) string {
		if n == 1 {
			return fmt.Sprintf("1 %s ago", u)
		}
		return fmt.Sprintf("%d %ss ago", n, u)
	}
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return unit(int64(d/time.Second), "second")
	case d < time.Hour:
		return unit(int64(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return unit(int64(d/time.Hour), "hour")
	}
	return unit(int64(d/(24*time.Hour)), "day")
}

// shortCommand joins a command for the table, at most 40 characters.
func shortCommand(args []string) string {
	if len(args) == 0 {
		return "-"
	}
	s := strings.Join(args, " ")
	s = strings.Map(func(r rune) rune {
		if r < ' ' {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:39]) + "…"
	}
	return `"` + s + `"`
}

func newLogsCmd() *cobra.Command {
	var root string
	var follow bool
	c := &cobra.Command{
		Use:   "logs [-f] NAME",
		Short: "print the output of a detached container",
		Long: `logs prints what a detached container (strata run -d) wrote to its
stdout and stderr, kept in ROOT/bundles/NAME/container.log until strata rm.
With -f it keeps printing new output until the container exits.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := frontStoreOf(cmd, root)
			if err != nil {
				return err
			}
			return fs.Logs(cmd.Context(), args[0], cmd.OutOrStdout(), follow)
		},
	}
	rootFlag(c, &root)
	c.Flags().BoolVarP(&follow, "follow", "f", false, "follow the log until the container exits")
	return c
}

func newStopCmd() *cobra.Command {
	var root string
	var timeout int
	c := &cobra.Command{
		Use:   "stop [-t SECS] NAME...",
		Short: "stop running containers: SIGTERM, then SIGKILL after a timeout",
		Long: `stop sends SIGTERM to each container's init, waits up to -t seconds
(default 10) for it to exit, then SIGKILLs every process of the container;
it returns once the exit status is recorded. Stopping a container that has
already exited does nothing.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout < 0 {
				return fmt.Errorf("-t %d: must not be negative", timeout)
			}
			fs, err := frontStoreOf(cmd, root)
			if err != nil {
				return err
			}
			var errs []error
			for _, name := range args {
				if err := fs.Stop(cmd.Context(), name, time.Duration(timeout)*time.Second); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), name)
			}
			return errors.Join(errs...)
		},
	}
	rootFlag(c, &root)
	c.Flags().IntVarP(&timeout, "time", "t", 10, "seconds to wait after SIGTERM before SIGKILL")
	return c
}

func newRmCmd() *cobra.Command {
	var root string
	var force bool
	c := &cobra.Command{
		Use:   "rm [-f] NAME...",
		Short: "remove containers: bundle, log, state, cgroups, network",
		Long: `rm removes each container's bundle directory (config, log, exit status),
its runtime state and cgroups if any are left, and its bridge address and
veth. A container that still runs is refused unless -f, which SIGKILLs it
first.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := frontStoreOf(cmd, root)
			if err != nil {
				return err
			}
			var errs []error
			for _, name := range args {
				if err := fs.Remove(cmd.Context(), name, force); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), name)
			}
			return errors.Join(errs...)
		},
	}
	rootFlag(c, &root)
	c.Flags().BoolVarP(&force, "force", "f", false, "kill a running container first")
	return c
}

// pidString is a pid for a table: "-" for none.
func pidString(pid int) string {
	if pid <= 0 {
		return "-"
	}
	return strconv.Itoa(pid)
}
