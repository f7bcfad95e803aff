package main

import (
	"os"

	"github.com/spf13/cobra"

	"strata/ctrnet"
	"strata/frontdoor"
)

func newRunCmd() *cobra.Command {
	o := &frontdoor.RunOptions{}
	c := &cobra.Command{
		Use:   "run [flags] IMAGE [CMD [ARGS...]] | run --rootfs DIR [flags] -- CMD [ARGS...]",
		Short: "run a command in a container made from an image or a root filesystem directory",
		Long: `run writes an OCI bundle (config.json generated from the flags) under
ROOT/bundles/NAME and runs the container. Its root filesystem is either an
image of the store under the same root — a writable snapshot of its layers
mounted at ROOT/bundles/NAME/rootfs, with the image's entrypoint, command,
environment, working directory, user and labels as defaults for the flags
and CMD — or, with --rootfs, a directory used in place, read-write.

In the foreground (the default) it uses this terminal's stdin/stdout/stderr
and exits with the container process's status (128+signal when it was
killed). With -d it prints the container's name once the container runs and
returns; a monitor process (strata ctr-monitor) keeps the container, with
its stdout and stderr appended to ROOT/bundles/NAME/container.log (strata
logs), and records its exit status (strata ps -a).

When the container exits its runtime state, cgroups and network are
released; the bundle directory (config, log, exit status) stays until
strata rm, or goes at once with --rm. Networking: none (loopback only, the
default), host, or bridge (a veth on the bridge strata0 and an address from
10.99.0.0/24; --bridge and --subnet choose others).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("root") {
				if env := os.Getenv("STRATA_ROOT"); env != "" {
					o.Root = env
				}
			}
			o.WorkdirSet, o.UserSet = cmd.Flags().Changed("workdir"), cmd.Flags().Changed("user")
			code, err := frontdoor.Run(cmd.Context(), o, args, frontdoor.Stdio{
				Stdin: cmd.InOrStdin(), Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr()})
			if err != nil {
				return err
			}
			if code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
	f := c.Flags()
	// Flags end at IMAGE: what follows is the container's command.
	f.SetInterspersed(false)
	f.StringVar(&o.Root, "root", frontdoor.DefaultRoot, "state root (bundles/ and state/ under it); STRATA_ROOT overrides the default")
	f.StringVar(&o.Rootfs, "rootfs", "", "root filesystem directory (required; used in place, read-write)")
	f.StringVar(&o.Hostname, "hostname", "", "container hostname (default: the container name)")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "environment variable K=V (repeatable)")
	f.StringVarP(&o.Workdir, "workdir", "w", "/", "working directory inside the container (default: the image's)")
	f.StringVarP(&o.User, "user", "u", "0:0", "UID[:GID] to run as (with an image also names from its /etc/passwd and /etc/group; default: the image's user)")
	f.StringVarP(&o.Memory, "memory", "m", "", "memory limit, e.g. 64M (suffixes K, M, G; bytes without)")
	f.Int64Var(&o.Pids, "pids", 0, "maximum number of processes (0: no limit)")
	f.Float64Var(&o.CPUs, "cpus", 0, "CPU quota in CPUs, e.g. 0.5 (0: no limit)")
	f.StringVar(&o.Network, "network", "none", "network: none (loopback only), host, or bridge")
	f.StringVar(&o.Bridge, "bridge", ctrnet.DefaultBridge, "bridge of --network bridge")
	f.StringVar(&o.Subnet, "subnet", ctrnet.DefaultSubnet, "IPv4 subnet of --network bridge's bridge (its .1 is the gateway)")
	f.BoolVarP(&o.Detach, "detach", "d", false, "run in the background, print the name; output goes to the log (strata logs)")
	f.BoolVarP(&o.TTY, "tty", "t", false, "give the container a pseudo-terminal on this terminal (foreground only; TERM=xterm)")
	f.StringArrayVarP(&o.Volumes, "volume", "v", nil, "bind mount HOST:CTR[:ro] (repeatable)")
	f.BoolVar(&o.Rm, "rm", false, "remove the bundle (config, log, exit status) too when the container exits")
	f.StringVar(&o.Name, "name", "", "container name (default: a random one)")
	return c
}
