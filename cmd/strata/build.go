package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"strata/image"
	"strata/image/build"
)

func newBuildCmd() *cobra.Command {
	var (
		root, file, network string
		target, snapshotter string
		tags, buildArgs     []string
		noCache, quiet      bool
		pull                registryFlags
	)
	c := &cobra.Command{
		Use:   "build [-t NAME[:TAG]] [-f Dockerfile] [--target STAGE] [--build-arg K=V] CONTEXT",
		Short: "build an image from a Dockerfile into the image store",
		Long: `build runs the Dockerfile's last stage (and the stages it needs) into the
image store: RUN in a strata container over the stage's root filesystem, COPY
and ADD from CONTEXT (minus .dockerignore) or from an earlier stage, every step
a layer with a history entry. Steps are cached by their parent, instruction and
inputs (the digest of what COPY takes), so an unchanged rebuild runs nothing.
The image is named only when every step succeeded. FROM images missing from
the store are pulled.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ba := map[string]string{}
			for _, kv := range buildArgs {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return fmt.Errorf("--build-arg %q: want K=V", kv)
				}
				ba[k] = v
			}
			st, err := image.Open(image.ResolveRoot(root))
			if err != nil {
				return err
			}
			o := build.Options{
				ContextDir: args[0], Dockerfile: file, Target: target, Tags: tags, BuildArgs: ba,
				NoCache: noCache, Network: network, Output: cmd.ErrOrStderr(),
			}
			if quiet {
				o.Output = nil
			}
			if o.Pull, err = pull.options(cmd); err != nil {
				return err
			}
			if o.Snapshotter, err = st.Snapshotter(snapshotter); err != nil {
				return err
			}
			res, err := build.Build(cmd.Context(), st, o)
			if err != nil {
				return err
			}
			for _, t := range tags {
				n, _ := image.NormalizeName(t)
				fmt.Fprintf(cmd.OutOrStdout(), "%s\n", n)
			}
			if len(tags) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), res.Descriptor.Digest)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&root, "root", "", "store root (default $STRATA_ROOT, else /var/lib/strata)")
	f.StringArrayVarP(&tags, "tag", "t", nil, "name the image NAME[:TAG] (repeatable)")
	f.StringVarP(&file, "file", "f", "", "Dockerfile path (default CONTEXT/Dockerfile)")
	f.StringVar(&snapshotter, "snapshotter", "auto", "snapshot driver for the steps: overlay, copy or auto")
	f.StringVar(&target, "target", "", "build this stage (default: the last)")
	f.StringArrayVar(&buildArgs, "build-arg", nil, "set an ARG: K=V (repeatable)")
	f.BoolVar(&noCache, "no-cache", false, "run every step (the cache is still refreshed)")
	f.StringVar(&network, "network", "none", "network for RUN: none (loopback only) or host")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the result, not the steps and RUN output")
	f.BoolVar(&pull.insecure, "insecure", false, "allow plain HTTP for FROM pulls from a registry not on loopback")
	f.StringVar(&pull.creds, "creds", "", "USER:PASS for FROM pulls")
	f.StringVar(&pull.authFile, "authfile", "", "auth file for FROM pulls")
	pull.jobs, pull.quiet = 4, true
	return c
}
