package main

import (
	"fmt"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"strata/image"
	"strata/image/registry"
)

// registryFlags are the flags pull and push share.
type registryFlags struct {
	root     string
	insecure bool
	creds    string
	authFile string
	jobs     int
	quiet    bool
}

func (f *registryFlags) add(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.root, "root", "", "store root (default $STRATA_ROOT, else /var/lib/strata)")
	fl.BoolVar(&f.insecure, "insecure", false, "allow plain HTTP to a registry that is not on loopback (loopback always may)")
	fl.StringVar(&f.creds, "creds", "", "basic-auth credentials USER:PASS")
	fl.StringVar(&f.authFile, "authfile", "", `auth file {"auths":{"HOST":{"auth":"base64(user:pass)"}}} as podman/skopeo/docker write`)
	fl.IntVar(&f.jobs, "jobs", 4, "layers transferred at once")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bars")
}

// options turns the flags into registry options; progress bars go to
// stderr when it is a terminal.
func (f *registryFlags) options(c *cobra.Command) (registry.Options, error) {
	o := registry.Options{Insecure: f.insecure, AuthFile: f.authFile, Jobs: f.jobs}
	if f.creds != "" {
		u, p, ok := strings.Cut(f.creds, ":")
		if !ok || u == "" {
			return o, fmt.Errorf("--creds %q: want USER:PASS", f.creds)
		}
		o.Username, o.Password = u, p
	}
	if f.jobs < 1 {
		return o, fmt.Errorf("--jobs %d: want at least 1", f.jobs)
	}
	if !f.quiet {
		if file, ok := c.ErrOrStderr().(*os.File); ok && term.IsTerminal(int(file.Fd())) {
			o.Progress = file
		}
	}
	return o, nil
}

func newPullCmd() *cobra.Command {
	f := &registryFlags{}
	var platform, unpack string
	c := &cobra.Command{
		Use:   "pull NAME[:TAG|@DIGEST]",
		Short: "fetch an image from a registry into the image store",
		Long: `pull fetches an image from an OCI Distribution (v2) registry into the store
under its normalised name (busybox = docker.io/library/busybox:latest). Layers
the store lacks are downloaded in parallel and verified against their digests;
nothing is named unless the whole image arrived. From a multi-platform index
the --platform image is chosen. Loopback registries (localhost, 127.0.0.1)
are spoken to over plain HTTP. --unpack DIR also writes the root filesystem
into DIR while later layers are still downloading.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options(cmd)
			if err != nil {
				return err
			}
			os_, arch, ok := strings.Cut(platform, "/")
			if !ok || os_ == "" || arch == "" {
				return fmt.Errorf("--platform %q: want OS/ARCH, e.g. linux/amd64", platform)
			}
			arch, variant, _ := strings.Cut(arch, "/")
			o.Platform = &v1.Platform{OS: os_, Architecture: arch, Variant: variant}
			if unpack != "" {
				if err := os.MkdirAll(unpack, 0o755); err != nil {
					return fmt.Errorf("--unpack: %w", err)
				}
				o.UnpackDir = unpack
			}
			st, err := image.Open(image.ResolveRoot(f.root))
			if err != nil {
				return err
			}
			res, err := registry.Pull(cmd.Context(), st, args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s (%d layers fetched, %d present, %d bytes)\n",
				res.Name, res.Descriptor.Digest, res.Fetched, res.Skipped, res.Bytes)
			return nil
		},
	}
	f.add(c)
	c.Flags().StringVar(&unpack, "unpack", "", "also unpack the image's root filesystem into this directory, each layer as soon as it and those below it arrived")
	c.Flags().StringVar(&platform, "platform", "linux/amd64", "platform to choose from a multi-platform index, OS/ARCH[/VARIANT]")
	return c
}
