package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"strata/image"
	"strata/image/snapshot"
)

// imageMeta records where a container's root filesystem came from: a
// writable snapshot of an image, mounted at the bundle's rootfs.
type imageMeta struct {
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
func prepareImageRootfs(ctx context.Context, root, ref, key, dir string) (*ocispec.Image, *imageMeta, error) {
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
	meta := &imageMeta{Ref: ref, Digest: desc.Digest.String(), Snapshotter: sn.Name(), Key: key}
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
func releaseImageRootfs(ctx context.Context, root string, m *imageMeta, dir string, remove bool) error {
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
// not: the command (entrypoint + cmd, args replacing cmd), environment
// (flags' --env on top), working directory, user (names looked up in the
// rootfs's /etc/passwd and /etc/group) and labels (as annotations).
func applyImageConfig(spec *specs.Spec, cfg *ocispec.Image, args []string, o *runOptions, workdirSet, userSet bool, rootfs string) error {
	c := cfg.Config
	cmd := c.Cmd
	if len(args) > 0 {
		cmd = args
	}
	spec.Process.Args = append(append([]string{}, c.Entrypoint...), cmd...)
	if len(spec.Process.Args) == 0 {
		return errors.New("no command: the image has neither Entrypoint nor Cmd; give one after the image")
	}
	env := append([]string{}, c.Env...)
	if !hasEnv(env, "PATH") {
		env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	}
	for _, e := range spec.Process.Env {
		if k, _, _ := strings.Cut(e, "="); k == "PATH" || k == "HOME" {
			if hasEnv(env, k) {
				continue // the image's own
			}
		}
		env = setEnv(env, e)
	}
	for _, e := range o.env {
		env = setEnv(env, e)
	}
	spec.Process.Env = env
	if !workdirSet && c.WorkingDir != "" {
		if !filepath.IsAbs(c.WorkingDir) {
			return fmt.Errorf("image WorkingDir %q is not absolute", c.WorkingDir)
		}
		spec.Process.Cwd = filepath.Clean(c.WorkingDir)
	}
	user := c.User
	if userSet {
		user = o.user
	}
	if user != "" {
		u, err := lookupUser(rootfs, user)
		if err != nil {
			return err
		}
		spec.Process.User = u
	}
	if len(c.Labels) > 0 {
		if spec.Annotations == nil {
			spec.Annotations = map[string]string{}
		}
		for k, v := range c.Labels {
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

// lookupUser resolves USER[:GROUP] (names or numbers) against the
// rootfs's /etc/passwd and /etc/group, as docker does: a user name gives
// its uid, primary gid and the groups listing it. The files are read only
// if they are regular files (a symlink could point at the host's).
func lookupUser(rootfs, spec string) (specs.User, error) {
	us, gs, hasGroup := strings.Cut(spec, ":")
	var u specs.User
	passwd := readDB(rootfs, "etc/passwd")
	if uid, err := strconv.ParseUint(us, 10, 32); err == nil {
		u.UID = uint32(uid)
		for _, f := range passwd {
			if len(f) > 3 && f[2] == us {
				if gid, err := strconv.ParseUint(f[3], 10, 32); err == nil {
					u.GID = uint32(gid)
				}
				us = f[0]
				break
			}
		}
	} else {
		found := false
		for _, f := range passwd {
			if len(f) > 3 && f[0] == us {
				uid, err1 := strconv.ParseUint(f[2], 10, 32)
				gid, err2 := strconv.ParseUint(f[3], 10, 32)
				if err1 != nil || err2 != nil {
					return u, fmt.Errorf("user %q: bad /etc/passwd entry", us)
				}
				u.UID, u.GID, found = uint32(uid), uint32(gid), true
				break
			}
		}
		if !found {
			return u, fmt.Errorf("user %q: not in the image's /etc/passwd", us)
		}
	}
	group := readDB(rootfs, "etc/group")
	if hasGroup {
		if gid, err := strconv.ParseUint(gs, 10, 32); err == nil {
			u.GID = uint32(gid)
		} else {
			found := false
			for _, f := range group {
				if len(f) > 2 && f[0] == gs {
					gid, err := strconv.ParseUint(f[2], 10, 32)
					if err != nil {
						return u, fmt.Errorf("group %q: bad /etc/group entry", gs)
					}
					u.GID, found = uint32(gid), true
					break
				}
			}
			if !found {
				return u, fmt.Errorf("group %q: not in the image's /etc/group", gs)
			}
		}
	}
	for _, f := range group {
		if len(f) > 3 {
			for _, m := range strings.Split(f[3], ",") {
				if m == us && m != "" {
					if gid, err := strconv.ParseUint(f[2], 10, 32); err == nil && uint32(gid) != u.GID {
						u.AdditionalGids = append(u.AdditionalGids, uint32(gid))
					}
				}
			}
		}
	}
	return u, nil
}

// readDB reads a colon-separated database file of the rootfs, or nothing
// when it is missing or not a regular file.
func readDB(rootfs, rel string) [][]string {
	p := filepath.Join(rootfs, rel)
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	if fi, err := os.Lstat(filepath.Dir(p)); err != nil || !fi.IsDir() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out
}
