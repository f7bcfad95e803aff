package frontdoor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"strata/image"
	"strata/image/snapshot"
)

// ImageMeta records where a container's root filesystem came from: a
// writable snapshot of an image, mounted at the bundle's rootfs.
type ImageMeta struct {
	// Ref is the image as given; Digest the manifest it resolved to.
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	// Snapshotter and Key name the container's active snapshot in the
	// image store under the same root.
	Snapshotter string `json:"snapshotter"`
	Key         string `json:"key"`
}

// prepareImageRootfs makes the root filesystem of a container run from an
// image: an active snapshot named key on top of the image's layers
// (unpacked once per chain ID), mounted at dir. It returns the image's
// config and the record to release it with.
func prepareImageRootfs(ctx context.Context, root, ref, key, dir string) (*ocispec.Image, *ImageMeta, error) {
	st, err := image.Open(root)
	if err != nil {
		return nil, nil, err
	}
	desc, err := st.Resolve(ctx, ref)
	if err != nil {
		return nil, nil, fmt.Errorf("image %q: %w (strata pull, import or build it first)", ref, err)
	}
	cfg, _, err := st.Config(ctx, desc.Digest.String())
	if err != nil {
		return nil, nil, fmt.Errorf("image %q: %w", ref, err)
	}
	sn, err := st.Snapshotter("auto")
	if err != nil {
		return nil, nil, err
	}
	// Hold a lease so a concurrent prune does not take the layers away.
	release, err := st.Lease(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	mounts, err := st.PrepareRootfs(ctx, sn, desc.Digest.String(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("image %q: %w", ref, err)
	}
	meta := &ImageMeta{Ref: ref, Digest: desc.Digest.String(), Snapshotter: sn.Name(), Key: key}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		sn.Remove(ctx, key)
		return nil, nil, fmt.Errorf("rootfs: %w", err)
	}
	if err := snapshot.MountAll(mounts, dir); err != nil {
		sn.Remove(ctx, key)
		return nil, nil, fmt.Errorf("image %q: %w", ref, err)
	}
	return cfg, meta, nil
}

// releaseImageRootfs unmounts a container's image rootfs at dir and, with
// remove, deletes its snapshot (the container's changes). Nothing mounted
// (after a reboot) and an already removed snapshot are fine.
func releaseImageRootfs(ctx context.Context, root string, m *ImageMeta, dir string, remove bool) error {
	if m == nil {
		return nil
	}
	var errs []error
	if err := snapshot.Unmount(dir); err != nil && !errors.Is(err, fs.ErrInvalid) && !errors.Is(err, os.ErrNotExist) && !strings.Contains(err.Error(), "invalid argument") {
		errs = append(errs, err)
	}
	if remove {
		st, err := image.Open(root)
		if err == nil {
			var sn snapshot.Snapshotter
			if sn, err = st.Snapshotter(m.Snapshotter); err == nil {
				if err = sn.Remove(ctx, m.Key); errors.Is(err, snapshot.ErrNotFound) {
					err = nil
				}
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remove snapshot %s: %w", m.Key, err))
		}
	}
	return errors.Join(errs...)
}

// applyImageConfig sets what the image's config says where the flags did
// not (image.ProcessFor, docker's rules): the command (entrypoint + cmd,
// args replacing cmd), environment (--env on top; TERM and HOME only when
// the image has none), working directory, user (names looked up in the
// rootfs's /etc/passwd and /etc/group by image.ResolveUser) and labels
// (as annotations).
func applyImageConfig(spec *specs.Spec, cfg *ocispec.Image, args []string, o *RunOptions, rootfs string) error {
	ov := image.RunOverrides{Cmd: args, Env: o.Env}
	if o.WorkdirSet {
		ov.WorkingDir = o.Workdir
	}
	if o.UserSet {
		ov.User = o.User
	}
	p, err := image.ProcessFor(cfg.Config, ov)
	if err != nil {
		return fmt.Errorf("%w: give a command after the image", err)
	}
	env := p.Env
	for _, d := range []string{"TERM=xterm", "HOME=/root"} {
		if k, _, _ := strings.Cut(d, "="); !hasEnv(env, k) {
			env = append(env, d)
		}
	}
	if !filepath.IsAbs(p.Cwd) {
		return fmt.Errorf("working directory %q is not absolute", p.Cwd)
	}
	uid, gid, extra, err := image.ResolveUser(rootfs, p.User)
	if err != nil {
		return err
	}
	spec.Process.Args = p.Args
	spec.Process.Env = env
	spec.Process.Cwd = filepath.Clean(p.Cwd)
	spec.Process.User = specs.User{UID: uid, GID: gid, AdditionalGids: extra}
	if len(p.Labels) > 0 {
		if spec.Annotations == nil {
			spec.Annotations = map[string]string{}
		}
		for k, v := range p.Labels {
			spec.Annotations[k] = v
		}
	}
	return nil
}

func hasEnv(env []string, key string) bool {
	for _, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			return true
		}
	}
	return false
}
