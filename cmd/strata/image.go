package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"strata/image"
)

// imageFlags are shared by the image subcommands.
type imageFlags struct {
	root        string
	snapshotter string
}

func (f *imageFlags) open() (*image.Store, error) {
	return image.Open(image.ResolveRoot(f.root))
}

func newImageCmd() *cobra.Command {
	f := &imageFlags{}
	c := &cobra.Command{
		Use:   "image",
		Short: "manage images in the local store (OCI image layout under ROOT/images)",
	}
	c.PersistentFlags().StringVar(&f.root, "root", "", "store root (default $STRATA_ROOT, else /var/lib/strata)")
	c.PersistentFlags().StringVar(&f.snapshotter, "snapshotter", "auto", "snapshot driver: overlay, copy or auto")
	c.AddCommand(imageLsCmd(f), imageInspectCmd(f), imageHistoryCmd(f), imageTagCmd(f), imageRmCmd(f),
		imagePruneCmd(f), imageSaveCmd(f), imageLoadCmd(f), imageImportCmd(f), imageDiffCmd(f), imageFsckCmd(f))
	return c
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fkB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

func imageAgo(t *time.Time) string {
	if t == nil || t.IsZero() || t.Unix() <= 0 {
		return "N/A"
	}
	d := time.Since(*t)
	switch {
	case d < time.Minute:
		return "seconds ago"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

func imageLsCmd(f *imageFlags) *cobra.Command {
	var quiet bool
	c := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "list images",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			list, err := st.List(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 3, ' ', 0)
			if !quiet {
				fmt.Fprintln(w, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
			}
			for _, n := range list {
				id := n.Descriptor.Digest.Encoded()[:12]
				if quiet {
					fmt.Fprintln(w, id)
					continue
				}
				repo, tag := n.Name, "<none>"
				if r, err := image.ParseReference(n.Name); err == nil {
					repo, tag = strings.TrimSuffix(r.Familiar(), ":"+r.Tag), r.Tag
				}
				created, size := "N/A", "N/A"
				if d, err := st.Describe(ctx, n.Descriptor.Digest.String()); err == nil {
					created, size = imageAgo(d.Created), humanSize(d.Size)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", repo, tag, id, created, size)
			}
			return w.Flush()
		},
	}
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "only image IDs")
	return c
}

func imageInspectCmd(f *imageFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "inspect IMAGE...",
		Short: "show images' manifest, config and names as JSON",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			var out []*image.Description
			for _, a := range args {
				d, err := st.Describe(cmd.Context(), a)
				if err != nil {
					return err
				}
				out = append(out, d)
			}
			e := json.NewEncoder(cmd.OutOrStdout())
			e.SetIndent("", "  ")
			return e.Encode(out)
		},
	}
}

func imageHistoryCmd(f *imageFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "history IMAGE",
		Short: "show the history of an image, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			hist, err := st.History(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 3, ' ', 0)
			fmt.Fprintln(w, "LAYER\tCREATED\tCREATED BY\tSIZE\tCOMMENT")
			for i := len(hist) - 1; i >= 0; i-- {
				h := hist[i]
				layer, size := "<empty>", "0B"
				if h.Layer != nil {
					layer, size = h.Layer.Digest.Encoded()[:12], humanSize(h.Layer.Size)
				}
				by := h.CreatedBy
				if len(by) > 60 {
					by = by[:57] + "..."
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", layer, imageAgo(h.Created), by, size, h.Comment)
			}
			return w.Flush()
		},
	}
}

func imageTagCmd(f *imageFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE TARGET",
		Short: "give an image another name",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			return st.Tag(cmd.Context(), args[0], args[1])
		},
	}
}

func imageRmCmd(f *imageFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "rm IMAGE...",
		Aliases: []string{"rmi"},
		Short:   "remove image names (an ID removes all its names); prune frees the space",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			for _, a := range args {
				names, err := st.Untag(cmd.Context(), a)
				if err != nil {
					return err
				}
				for _, n := range names {
					fmt.Fprintln(cmd.OutOrStdout(), "Untagged:", n)
				}
			}
			return nil
		},
	}
}

func imagePruneCmd(f *imageFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "prune",
		Short: "remove blobs and layer snapshots no image or container uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			sns, err := st.Snapshotters()
			if err != nil {
				return err
			}
			rep, err := st.Prune(cmd.Context(), sns...)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %d blobs (%s) and %d snapshots\n", len(rep.Blobs), humanSize(rep.Bytes), len(rep.Snapshots))
			return nil
		},
	}
}

func imageSaveCmd(f *imageFlags) *cobra.Command {
	var out, format string
	c := &cobra.Command{
		Use:   "save -o FILE [--format docker-archive|oci-archive] IMAGE...",
		Short: "write images to a tar archive (stdout without -o)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			var w io.Writer = cmd.OutOrStdout()
			var file *os.File
			if out != "" && out != "-" {
				if file, err = os.CreateTemp(dirOf(out), ".save-*"); err != nil {
					return err
				}
				defer os.Remove(file.Name())
				w = file
			}
			bw := bufio.NewWriterSize(w, 1<<20)
			if err := st.Save(cmd.Context(), bw, args, image.ArchiveFormat(format)); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			if file != nil {
				if err := file.Close(); err != nil {
					return err
				}
				return os.Rename(file.Name(), out)
			}
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "archive file (default stdout)")
	c.Flags().StringVar(&format, "format", string(image.FormatDocker), "docker-archive or oci-archive")
	return c
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i+1]
	}
	return "."
}

func imageLoadCmd(f *imageFlags) *cobra.Command {
	var in, layoutDir, name string
	c := &cobra.Command{
		Use:   "load [-i FILE | --layout DIR] [--name NAME]",
		Short: "store the images of a docker-archive or oci-archive (stdin without -i) or of an OCI layout directory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			var names []string
			if layoutDir != "" {
				names, err = st.LoadLayout(cmd.Context(), layoutDir, image.LoadOptions{Name: name})
			} else {
				var r io.Reader = cmd.InOrStdin()
				if in != "" && in != "-" {
					fh, err := os.Open(in)
					if err != nil {
						return err
					}
					defer fh.Close()
					r = fh
				}
				names, err = st.Load(cmd.Context(), r, image.LoadOptions{Name: name})
			}
			for _, n := range names {
				fmt.Fprintln(cmd.OutOrStdout(), "Loaded image:", n)
			}
			return err
		},
	}
	c.Flags().StringVarP(&in, "input", "i", "", "archive file (default stdin)")
	c.Flags().StringVar(&layoutDir, "layout", "", "OCI image layout directory (as umoci or skopeo oci: write)")
	c.Flags().StringVar(&name, "name", "", "name for the archive's single image")
	return c
}

func imageImportCmd(f *imageFlags) *cobra.Command {
	var message string
	c := &cobra.Command{
		Use:   "import TARBALL|- NAME[:TAG]",
		Short: "make a one-layer image from a root filesystem tarball (plain, gzip or zstd)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			var r io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				fh, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer fh.Close()
				r = fh
			}
			d, err := st.Import(cmd.Context(), r, args[1], image.HistoryOptions{Comment: message, CreatedBy: "strata image import " + args[0]})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), d.Digest)
			return nil
		},
	}
	c.Flags().StringVarP(&message, "message", "m", "", "comment for the history entry")
	return c
}

func imageDiffCmd(f *imageFlags) *cobra.Command {
	var rootfs, base string
	c := &cobra.Command{
		Use:   "diff CONTAINER|SNAPSHOT | diff --rootfs DIR --image IMAGE",
		Short: "list changes (A added, C changed, D deleted) of a container snapshot or rootfs vs its image",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			sn, err := st.Snapshotter(f.snapshotter)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var lines []string
			switch {
			case len(args) == 1 && rootfs == "":
				sn, key, err := findSnapshot(cmd, st, f, args[0])
				if err != nil {
					return err
				}
				chs, err := sn.Changes(ctx, key)
				if err != nil {
					return err
				}
				for _, c := range chs {
					lines = append(lines, c.Kind.String()+" "+c.Path)
				}
			case len(args) == 0 && rootfs != "" && base != "":
				chs, cleanup, err := st.DiffDir(ctx, sn, rootfs, base)
				cleanup()
				if err != nil {
					return err
				}
				for _, c := range chs {
					lines = append(lines, c.Kind.String()+" "+c.Path)
				}
			default:
				return fmt.Errorf("give a snapshot key, or --rootfs DIR and --image IMAGE")
			}
			for _, l := range lines {
				fmt.Fprintln(cmd.OutOrStdout(), l)
			}
			return nil
		},
	}
	c.Flags().StringVar(&rootfs, "rootfs", "", "a container's root filesystem directory")
	c.Flags().StringVar(&base, "image", "", "the image the rootfs was made from")
	return c
}

func imageFsckCmd(f *imageFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "fsck",
		Short: "verify every blob's digest, every manifest's references and the snapshots' parents; exit 1 on problems",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := f.open()
			if err != nil {
				return err
			}
			ps, err := st.Fsck(cmd.Context())
			if err != nil {
				return err
			}
			sns, err := st.Snapshotters()
			if err != nil {
				return err
			}
			sps, err := image.FsckSnapshots(cmd.Context(), sns...)
			if err != nil {
				return err
			}
			ps = append(ps, sps...)
			for _, p := range ps {
				fmt.Fprintln(cmd.OutOrStdout(), p.What)
			}
			if len(ps) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "strata: %d problems in %s\n", len(ps), st.Root())
				return exitError{1}
			}
			fmt.Fprintln(cmd.OutOrStdout(), "ok")
			return nil
		},
	}
}
