package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"strata/image"
	"strata/image/snapshot"
)

func newCommitCmd() *cobra.Command {
	f := &imageFlags{}
	var rootfs, base, message, author string
	c := &cobra.Command{
		Use:   "commit CONTAINER|SNAPSHOT NAME[:TAG] | commit --rootfs DIR --image BASE NAME[:TAG]",
		Short: "make a new image from a container's changes: the base image plus one layer, with history",
		Long: `commit makes an image of a container's root filesystem: its changes relative to
the image it was made from become one new layer on top of that image, and the
image's history gets an entry (the message, the author). The container is
named by its name (a container strata run made from an image) or its rootfs
snapshot key — the base image is found from the snapshot's parent unless
--image names it — or, for a container on a plain directory, by --rootfs
with --image.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			sn, err := st.Snapshotter(f.snapshotter)
			if err != nil {
				return err
			}
			h := image.HistoryOptions{Comment: message, Author: author}
			switch {
			case rootfs != "" && len(args) == 1:
				if base == "" {
					return fmt.Errorf("--rootfs needs --image BASE")
				}
				h.CreatedBy = "strata commit --rootfs " + rootfs
				d, err := st.CommitDir(ctx, sn, rootfs, base, args[0], h)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), d.Digest)
				return nil
			case rootfs == "" && len(args) == 2:
				key := args[0]
				if sn, key, err = findSnapshot(cmd, st, f, key); err != nil {
					return err
				}
				if base == "" {
					if base, err = st.ImageForSnapshot(ctx, sn, key); err != nil {
						return err
					}
				}
				h.CreatedBy = "strata commit " + args[0]
				d, err := st.Commit(ctx, sn, key, base, args[1], h)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), d.Digest)
				return nil
			}
			return fmt.Errorf("give SNAPSHOT NAME, or --rootfs DIR --image BASE NAME")
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.root, "root", "", "store root (default $STRATA_ROOT, else /var/lib/strata)")
	fl.StringVar(&f.snapshotter, "snapshotter", "auto", "snapshot driver: overlay, copy or auto")
	fl.StringVar(&rootfs, "rootfs", "", "the container's root filesystem directory (instead of a snapshot)")
	fl.StringVar(&base, "image", "", "the base image (default: found from the snapshot's parent)")
	fl.StringVarP(&message, "message", "m", "", "commit message (history comment)")
	fl.StringVarP(&author, "author", "a", "", "author")
	return c
}

// findSnapshot resolves a container name or snapshot key: in the driver
// --snapshotter names when it was given, else in every driver of the store.
func findSnapshot(cmd *cobra.Command, st *image.Store, f *imageFlags, key string) (snapshot.Snapshotter, string, error) {
	if cmd.Flags().Changed("snapshotter") {
		sn, err := st.Snapshotter(f.snapshotter)
		return sn, key, err
	}
	return st.FindSnapshot(cmd.Context(), key)
}
