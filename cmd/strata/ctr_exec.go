package main

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"strata/frontdoor"

	"github.com/spf13/cobra"
)

func newExecCmd() *cobra.Command {
	o := &frontdoor.ExecOptions{}
	var root string
	var interactive bool
	c := &cobra.Command{
		Use:   "exec [-i] [flags] NAME -- CMD [ARGS...]",
		Short: "run a command inside a running container",
		Long: `exec runs CMD inside a running container of strata run: in all of its
namespaces and its cgroup, with the container's environment, user,
working directory, capabilities and limits unless --env, --user or
--workdir say otherwise. stdout and stderr are this command's; stdin too
with -i (else /dev/null). exec exits with CMD's status (128+N when killed
by signal N); the container keeps running after CMD exits.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return errors.New("exec: want NAME -- CMD [ARGS...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			fs, err := frontStoreOf(cmd, root)
			if err != nil {
				return err
			}
			var stdin io.Reader
			if interactive {
				stdin = cmd.InOrStdin()
			}
			sigs := make(chan os.Signal, 16)
			signal.Notify(sigs, frontdoor.ForwardedSignals...)
			defer signal.Stop(sigs)
			code, err := fs.Exec(args[0], args[1:], o, stdin, cmd.OutOrStdout(), cmd.ErrOrStderr(), sigs)
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
	rootFlag(c, &root)
	f.BoolVarP(&interactive, "interactive", "i", false, "pass stdin to the command")
	f.BoolVarP(&o.TTY, "tty", "t", false, "give the command a pseudo-terminal on this terminal")
	f.StringArrayVarP(&o.Env, "env", "e", nil, "set environment variable K=V (repeatable; added to the container's)")
	f.StringVarP(&o.User, "user", "u", "", "numeric UID[:GID] to run as (default: the container's)")
	f.StringVarP(&o.Workdir, "workdir", "w", "", "working directory (default: the container's)")
	return c
}
