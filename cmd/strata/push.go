package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"strata/image"
	"strata/image/registry"
)

func newPushCmd() *cobra.Command {
	f := &registryFlags{}
	c := &cobra.Command{
		Use:   "push NAME[:TAG] [DEST]",
		Short: "upload an image from the image store to a registry",
		Long: `push uploads the store's image NAME to DEST (default: NAME itself, so
127.0.0.1:5000/app:1 goes to that registry). Only layers the registry lacks
are sent, in parallel. Loopback registries are spoken to over plain HTTP.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options(cmd)
			if err != nil {
				return err
			}
			st, err := image.Open(image.ResolveRoot(f.root))
			if err != nil {
				return err
			}
			dest := ""
			if len(args) == 2 {
				dest = args[1]
			}
			ref, err := registry.Push(cmd.Context(), st, args[0], dest, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pushed %s\n", ref)
			return nil
		},
	}
	f.add(c)
	return c
}
