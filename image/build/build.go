// Package build builds OCI images from Dockerfiles into strata's image
// store.
//
// A step that has to run gets an active snapshot (package image/snapshot)
// on top of the stage's unpacked layers, mounted in a work directory: RUN
// executes in a strata container (package ctr) over it, COPY and ADD write
// into it, and the step's layer is the snapshot's changes; the snapshot is
// then committed under the layer's chain ID for the next step. Every
// filesystem step is
// cached under a key chained from the parent's key, the instruction (with
// its variables expanded) and its inputs (the digest of the files COPY
// takes, the key of a --from stage); a rebuild whose keys all hit never
// touches a root filesystem. The image is named only once every step has
// succeeded.
package build

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"strata/filetree"
	"strata/image"
	"strata/image/archive"
	"strata/image/dockerfile"
	"strata/image/registry"
	"strata/image/snapshot"
)

// Options configure a build.
type Options struct {
	// ContextDir is the build context (COPY's sources).
	ContextDir string
	// Dockerfile is the Dockerfile's path (default ContextDir/Dockerfile).
	Dockerfile string
	// Target is the stage to build (default: the last).
	Target string
	// Tags name the image (none: the image is stored unnamed).
	Tags []string
	// BuildArgs override ARG defaults.
	BuildArgs map[string]string
	// NoCache ignores (but still fills) the build cache.
	NoCache bool
	// Network is RUN's network: "none" (default, loopback only) or "host".
	Network string
	// Output receives the step log and RUN output (nil: discarded).
	Output io.Writer
	// Pull configures fetching FROM images missing from the store.
	Pull registry.Options
	// Snapshotter holds the unpacked layers steps run over (default: the
	// store's "auto" one, overlay where it works, else copy).
	Snapshotter snapshot.Snapshotter
}

// Result describes a finished build.
type Result struct {
	// Descriptor is the image manifest's.
	Descriptor ocispec.Descriptor
	// Steps counts the instructions run (FROM included) and Cached the
	// filesystem steps answered from the cache.
	Steps, Cached int
}

// Error is a failed step, naming its Dockerfile line.
type Error struct {
	Line int
	Cmd  string
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("Dockerfile line %d: %s: %v", e.Line, e.Cmd, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// stageState is a stage being built.
type stageState struct {
	cfg     v1.ConfigFile
	layers  []ocispec.Descriptor
	diffIDs []digest.Digest
	key     string            // cache key of the state so far
	args    map[string]string // ARGs declared in this stage
	cmdSet  bool              // CMD given in this stage
	created time.Time         // newest layer's time
	// rootfs is where the stage's filesystem is mounted while a step
	// runs (an active snapshot on top of its layers).
	rootfs string
	// made lists the mount targets the running step's runtime created,
	// left out of its layer when they stayed empty.
	made []string
}

type builder struct {
	hashes   *hashCache
	st       *image.Store
	sn       snapshot.Snapshotter
	o        Options
	df       *dockerfile.Dockerfile
	bctx     *buildContext
	work     string
	out      io.Writer
	metaArgs map[string]*string
	stages   []*stageState
	step     int
	total    int
	cached   int
}

// Build builds the Dockerfile's last stage (or o.Target) and names it
// with o.Tags.
func Build(ctx context.Context, st *image.Store, o Options) (Result, error) {
	var res Result
	if o.Network == "" {
		o.Network = "none"
	}
	if o.Network != "none" && o.Network != "host" {
		return res, fmt.Errorf("network %q: want none or host", o.Network)
	}
	for _, t := range o.Tags {
		if _, err := image.ParseReference(t); err != nil {
			return res, fmt.Errorf("tag %q: %w", t, err)
		}
	}
	bctx, err := openContext(o.ContextDir)
	if err != nil {
		return res, err
	}
	dfPath := o.Dockerfile
	if dfPath == "" {
		dfPath = filepath.Join(bctx.dir, "Dockerfile")
	}
	f, err := os.Open(dfPath)
	if err != nil {
		return res, fmt.Errorf("Dockerfile: %w", err)
	}
	df, err := dockerfile.Parse(f)
	f.Close()
	if err != nil {
		return res, err
	}
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	release, err := st.Lease(ctx)
	if err != nil {
		return res, err
	}
	defer release()
	workRoot := filepath.Join(st.Root(), "build", "work")
	if err := os.MkdirAll(workRoot, 0o700); err != nil {
		return res, err
	}
	work, err := os.MkdirTemp(workRoot, "build-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(work)
	sn := o.Snapshotter
	if sn == nil {
		if sn, err = st.Snapshotter("auto"); err != nil {
			return res, fmt.Errorf("snapshotter: %w", err)
		}
	}
	b := &builder{hashes: loadHashCache(st.Root(), bctx.dir), st: st, sn: sn, o: o, df: df, bctx: bctx, work: work, out: out, metaArgs: map[string]*string{}}
	defer func() {
		// Only a speed-up: a build never fails for it.
		if err := b.hashes.save(); err != nil {
			fmt.Fprintf(out, "warning: %v\n", err)
		}
	}()
	for _, in := range df.MetaArgs {
		for _, w := range in.Args {
			name, def, hasDef := strings.Cut(w, "=")
			var v *string
			if bv, ok := o.BuildArgs[name]; ok {
				v = &bv
			} else if hasDef {
				e, err := dockerfile.Expand(def, df.Escape, b.metaLookup)
				if err != nil {
					return res, &Error{in.Line, "ARG", err}
				}
				v = &e
			}
			b.metaArgs[name] = v
		}
	}
	target := len(df.Stages) - 1
	if o.Target != "" {
		var ok bool
		if target, ok = b.stageIndex(strings.ToLower(o.Target), len(df.Stages)); !ok {
			return res, fmt.Errorf("target %q: no stage of that name", o.Target)
		}
	}
	need, err := b.neededStages(target)
	if err != nil {
		return res, err
	}
	for i, s := range df.Stages {
		if need[i] {
			b.total += 1 + len(s.Instructions)
		}
	}
	b.stages = make([]*stageState, len(df.Stages))
	for i := range df.Stages {
		if !need[i] {
			continue
		}
		if err := b.buildStage(ctx, i); err != nil {
			return res, err
		}
	}
	last := b.stages[target]
	desc, err := b.commit(ctx, last)
	if err != nil {
		return res, err
	}
	res.Descriptor, res.Steps, res.Cached = desc, b.step, b.cached
	fmt.Fprintf(out, "image %s\n", desc.Digest)
	return res, nil
}

// platformArg is a predefined platform ARG: usable in FROM lines, and in
// a stage once declared with ARG. strata builds linux/amd64.
func platformArg(name string) (string, bool) {
	switch name {
	case "TARGETPLATFORM", "BUILDPLATFORM":
		return "linux/amd64", true
	case "TARGETOS", "BUILDOS":
		return "linux", true
	case "TARGETARCH", "BUILDARCH":
		return "amd64", true
	case "TARGETVARIANT", "BUILDVARIANT":
		return "", true
	}
	return "", false
}

func (b *builder) metaLookup(name string) (string, bool) {
	if v, ok := b.metaArgs[name]; ok && v != nil {
		return *v, true
	}
	if v, ok := platformArg(name); ok {
		return v, true
	}
	return "", false
}

// stageIndex finds a stage by name or number among the first n stages.
func (b *builder) stageIndex(ref string, n int) (int, bool) {
	for i := 0; i < n; i++ {
		if strings.EqualFold(b.df.Stages[i].Name, ref) {
			return i, true
		}
	}
	if i, err := strconv.Atoi(ref); err == nil && i >= 0 && i < n {
		return i, true
	}
	return 0, false
}

// neededStages marks the last stage and every stage it depends on (as a
// base or through COPY --from).
func (b *builder) neededStages(target int) ([]bool, error) {
	n := len(b.df.Stages)
	need := make([]bool, n)
	var mark func(i int) error
	mark = func(i int) error {
		if need[i] {
			return nil
		}
		need[i] = true
		s := b.df.Stages[i]
		base, err := dockerfile.Expand(s.Base, b.df.Escape, b.metaLookup)
		if err != nil {
			return &Error{s.From.Line, "FROM", err}
		}
		if j, ok := b.stageIndex(base, i); ok {
			if err := mark(j); err != nil {
				return err
			}
		}
		for _, in := range s.Instructions {
			if from, ok := in.Flag("from"); ok && (in.Cmd == "COPY") {
				if j, ok := b.stageIndex(from, i); ok {
					if err := mark(j); err != nil {
						return err
					}
				} // otherwise an image

			}
		}
		return nil
	}
	return need, mark(target)
}

func (b *builder) logStep(in dockerfile.Instruction, note string) {
	b.step++
	fmt.Fprintf(b.out, "STEP %d/%d (line %d): %s%s\n", b.step, b.total, in.Line, oneLine(in.Original), note)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

func chainKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// buildStage runs stage i.
func (b *builder) buildStage(ctx context.Context, i int) error {
	s := b.df.Stages[i]
	b.logStep(s.From, "")
	state, err := b.from(ctx, i, s)
	if err != nil {
		return err
	}
	b.stages[i] = state
	// The base image's ONBUILD triggers run first, reported at the FROM
	// line; they are not inherited further.
	triggers := state.cfg.Config.OnBuild
	state.cfg.Config.OnBuild = nil
	for _, t := range triggers {
		in, err := dockerfile.ParseInstruction(t, s.From.Line, b.df.Escape)
		if err != nil {
			return &Error{s.From.Line, "FROM", fmt.Errorf("base image's ONBUILD %q: %w", t, err)}
		}
		b.total++
		if err := b.instruction(ctx, i, state, in); err != nil {
			var be *Error
			if errors.As(err, &be) {
				return err
			}
			return &Error{s.From.Line, "ONBUILD " + in.Cmd, err}
		}
	}
	for _, in := range s.Instructions {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := b.instruction(ctx, i, state, in); err != nil {
			var be *Error
			if errors.As(err, &be) {
				return err
			}
			return &Error{in.Line, in.Cmd, err}
		}
	}
	return nil
}

// from starts a stage's state from scratch, an earlier stage or an image.
func (b *builder) from(ctx context.Context, i int, s dockerfile.Stage) (*stageState, error) {
	base, err := dockerfile.Expand(s.Base, b.df.Escape, b.metaLookup)
	if err != nil {
		return nil, &Error{s.From.Line, "FROM", err}
	}
	if p, ok := s.From.Flag("platform"); ok {
		ep, err := dockerfile.Expand(p, b.df.Escape, b.metaLookup)
		if err != nil {
			return nil, &Error{s.From.Line, "FROM", err}
		}
		if ep != "linux/amd64" {
			return nil, &Error{s.From.Line, "FROM", fmt.Errorf("--platform=%s: strata builds linux/amd64 only", ep)}
		}
	}
	st := &stageState{args: map[string]string{}}
	switch {
	case base == "scratch":
		st.cfg = v1.ConfigFile{OS: "linux", Architecture: "amd64", RootFS: v1.RootFS{Type: "layers"}}
		st.key = chainKey("scratch")
	default:
		if j, ok := b.stageIndex(base, i); ok {
			p := b.stages[j]
			raw, _ := json.Marshal(p.cfg)
			json.Unmarshal(raw, &st.cfg)
			st.layers = append([]ocispec.Descriptor(nil), p.layers...)
			st.diffIDs = append([]digest.Digest(nil), p.diffIDs...)
			st.key, st.created = p.key, p.created
			return st, nil
		}
		desc, err := b.baseImage(ctx, base)
		if err != nil {
			return nil, &Error{s.From.Line, "FROM", err}
		}
		_, m, err := b.st.Manifest(ctx, desc.Digest.String())
		if err != nil {
			return nil, &Error{s.From.Line, "FROM", err}
		}
		raw, err := b.st.ReadBlob(ctx, m.Config.Digest)
		if err != nil {
			return nil, &Error{s.From.Line, "FROM", fmt.Errorf("config of %s: %w", base, err)}
		}
		if err := json.Unmarshal(raw, &st.cfg); err != nil {
			return nil, &Error{s.From.Line, "FROM", fmt.Errorf("config of %s: %w", base, err)}
		}
		if len(st.cfg.RootFS.DiffIDs) != len(m.Layers) {
			return nil, &Error{s.From.Line, "FROM", fmt.Errorf("%s: config lists %d diff IDs for %d layers", base, len(st.cfg.RootFS.DiffIDs), len(m.Layers))}
		}
		for k, l := range m.Layers {
			st.layers = append(st.layers, ociLayer(l))
			st.diffIDs = append(st.diffIDs, digest.Digest(st.cfg.RootFS.DiffIDs[k].String()))
		}
		st.key = chainKey("from", desc.Digest.String())
		st.created = st.cfg.Created.Time
	}
	return st, nil
}

// baseImage resolves an image in the store, pulling it when it is
// missing, and returns its manifest's descriptor.
func (b *builder) baseImage(ctx context.Context, ref string) (ocispec.Descriptor, error) {
	desc, _, err := b.st.Manifest(ctx, ref)
	if errors.Is(err, image.ErrNotFound) {
		fmt.Fprintf(b.out, "pulling %s\n", ref)
		if _, perr := registry.Pull(ctx, b.st, ref, b.o.Pull); perr != nil {
			return desc, fmt.Errorf("image %s is not in the store and pulling it failed: %w", ref, perr)
		}
		desc, _, err = b.st.Manifest(ctx, ref)
	}
	return desc, err
}

// ociLayer maps Docker layer media types to their OCI equivalents.
func ociLayer(d ocispec.Descriptor) ocispec.Descriptor {
	switch types.MediaType(d.MediaType) {
	case types.DockerLayer:
		d.MediaType = ocispec.MediaTypeImageLayerGzip
	case types.DockerUncompressedLayer:
		d.MediaType = ocispec.MediaTypeImageLayer
	}
	return d
}

// lookup resolves a variable for Expand: ENV first, then the stage's ARGs.
func (st *stageState) lookup(name string) (string, bool) {
	for _, e := range st.cfg.Config.Env {
		if k, v, _ := strings.Cut(e, "="); k == name {
			return v, true
		}
	}
	v, ok := st.args[name]
	return v, ok
}

func (st *stageState) setEnv(k, v string) {
	kv := k + "=" + v
	for i, e := range st.cfg.Config.Env {
		if ek, _, _ := strings.Cut(e, "="); ek == k {
			st.cfg.Config.Env[i] = kv
			return
		}
	}
	st.cfg.Config.Env = append(st.cfg.Config.Env, kv)
}

func (b *builder) expand(st *stageState, w string) (string, error) {
	return dockerfile.Expand(w, b.df.Escape, st.lookup)
}

// history adds a history entry.
func (st *stageState) history(in dockerfile.Instruction, empty bool) {
	st.cfg.History = append(st.cfg.History, v1.History{
		Created:    v1.Time{Time: st.created},
		CreatedBy:  oneLine(in.Original),
		Comment:    "strata build",
		EmptyLayer: empty,
	})
}

// expandPairs expands the keys and values of K=V arguments (ENV, LABEL)
// with the stage's variables as they are before the instruction.
func (b *builder) expandPairs(st *stageState, args []string) ([][2]string, error) {
	kvs := make([][2]string, 0, len(args))
	for _, w := range args {
		k, v, _ := strings.Cut(w, "=")
		ek, err := b.expand(st, k)
		if err != nil {
			return nil, err
		}
		ev, err := b.expand(st, v)
		if err != nil {
			return nil, err
		}
		kvs = append(kvs, [2]string{ek, ev})
	}
	return kvs, nil
}

// instruction runs one instruction of stage i.
func (b *builder) instruction(ctx context.Context, i int, st *stageState, in dockerfile.Instruction) error {
	c := &st.cfg.Config
	switch in.Cmd {
	case "RUN", "COPY", "ADD", "WORKDIR":
		return b.fsStep(ctx, i, st, in)
	case "ENV":
		// Every value is expanded with the environment before the ENV.
		kvs, err := b.expandPairs(st, in.Args)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			st.setEnv(kv[0], kv[1])
		}
	case "ARG":
		for _, w := range in.Args {
			name, def, hasDef := strings.Cut(w, "=")
			if v, ok := b.o.BuildArgs[name]; ok {
				st.args[name] = v
			} else if hasDef {
				e, err := b.expand(st, def)
				if err != nil {
					return err
				}
				st.args[name] = e
			} else if v, ok := b.metaLookup(name); ok {
				st.args[name] = v
			}
		}
	case "LABEL":
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		kvs, err := b.expandPairs(st, in.Args)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			c.Labels[kv[0]] = kv[1]
		}
	case "USER":
		u, err := b.expand(st, in.Args[0])
		if err != nil {
			return err
		}
		c.User = u
	case "CMD":
		c.Cmd = st.command(in)
		st.cmdSet = true
	case "ENTRYPOINT":
		c.Entrypoint = st.command(in)
		if !st.cmdSet {
			c.Cmd = nil
		}
	case "EXPOSE":
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		for _, w := range in.Args {
			p, err := b.expand(st, w)
			if err != nil {
				return err
			}
			port, proto, hasProto := strings.Cut(p, "/")
			if !hasProto {
				proto = "tcp"
			}
			if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 || (proto != "tcp" && proto != "udp" && proto != "sctp") {
				return fmt.Errorf("EXPOSE %q: want PORT[/tcp|udp|sctp]", p)
			}
			c.ExposedPorts[port+"/"+strings.ToLower(proto)] = struct{}{}
		}
	case "VOLUME":
		if c.Volumes == nil {
			c.Volumes = map[string]struct{}{}
		}
		for _, w := range in.Args {
			v, err := b.expand(st, w)
			if err != nil {
				return err
			}
			c.Volumes[v] = struct{}{}
		}
	case "STOPSIGNAL":
		s, err := b.expand(st, in.Args[0])
		if err != nil {
			return err
		}
		c.StopSignal = s
	case "SHELL":
		c.Shell = in.Args
	case "HEALTHCHECK":
		hc, err := healthcheck(in)
		if err != nil {
			return err
		}
		c.Healthcheck = hc
	case "ONBUILD":
		c.OnBuild = append(c.OnBuild, in.Args[0])
	case "MAINTAINER":
		st.cfg.Author = in.Args[0]
	default:
		return fmt.Errorf("%s is not supported", in.Cmd)
	}
	b.logStep(in, "")
	// Config steps chain the cache key with their effect.
	cfgJSON, _ := json.Marshal(st.cfg.Config)
	argsJSON, _ := json.Marshal(st.args)
	st.key = chainKey(st.key, in.Cmd, string(cfgJSON), string(argsJSON))
	st.history(in, true)
	return nil
}

// healthcheck is HEALTHCHECK's config.
func healthcheck(in dockerfile.Instruction) (*v1.HealthConfig, error) {
	if in.Sub == "NONE" {
		return &v1.HealthConfig{Test: []string{"NONE"}}, nil
	}
	hc := &v1.HealthConfig{Test: append([]string{"CMD-SHELL"}, in.Args...)}
	if in.JSON {
		hc.Test = append([]string{"CMD"}, in.Args...)
	}
	for _, f := range in.Flags {
		if f.Name == "retries" {
			n, err := strconv.Atoi(f.Value)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("--retries=%s: want a count", f.Value)
			}
			hc.Retries = n
			continue
		}
		d, err := time.ParseDuration(f.Value)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("--%s=%s: want a duration such as 30s", f.Name, f.Value)
		}
		switch f.Name {
		case "interval":
			hc.Interval = d
		case "timeout":
			hc.Timeout = d
		case "start-period":
			hc.StartPeriod = d
		case "start-interval":
			// Not in the OCI/Docker v1 config this builder writes.
		}
	}
	return hc, nil
}

// command is CMD's or ENTRYPOINT's argument vector.
func (st *stageState) command(in dockerfile.Instruction) []string {
	if in.JSON {
		return append([]string{}, in.Args...)
	}
	return append(st.shell(), in.Args...)
}

func (st *stageState) shell() []string {
	if len(st.cfg.Config.Shell) > 0 {
		return append([]string{}, st.cfg.Config.Shell...)
	}
	return []string{"/bin/sh", "-c"}
}

// workdir is the stage's working directory.
func (st *stageState) workdir() string {
	if st.cfg.Config.WorkingDir == "" {
		return "/"
	}
	return st.cfg.Config.WorkingDir
}

// cacheEntry is what the cache keeps for a filesystem step.
type cacheEntry struct {
	Layer   *ocispec.Descriptor `json:"layer,omitempty"`
	DiffID  digest.Digest       `json:"diffID,omitempty"`
	Created time.Time           `json:"created"`
}

func (b *builder) cachePath(key string) string {
	return filepath.Join(b.st.Root(), "build", "cache", key[:2], key)
}

func (b *builder) cacheGet(key string) (cacheEntry, bool) {
	var e cacheEntry
	if b.o.NoCache {
		return e, false
	}
	data, err := os.ReadFile(b.cachePath(key))
	if err != nil || json.Unmarshal(data, &e) != nil {
		return e, false
	}
	if e.Layer != nil && !b.st.HasBlob(e.Layer.Digest) {
		return e, false // pruned since
	}
	return e, true
}

func (b *builder) cachePut(key string, e cacheEntry) error {
	p := b.cachePath(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	data, _ := json.Marshal(e)
	tmp := p + ".tmp-" + randHex()
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func randHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// fsStep runs RUN, COPY, ADD or WORKDIR through the cache.
func (b *builder) fsStep(ctx context.Context, i int, st *stageState, in dockerfile.Instruction) error {
	inputs, prepare, err := b.stepInputs(ctx, i, st, in)
	if err != nil {
		return err
	}
	key := chainKey(append([]string{st.key, in.Cmd}, inputs...)...)
	if e, ok := b.cacheGet(key); ok {
		b.logStep(in, " (cached)")
		b.cached++
		st.addLayer(e)
		st.key = key
		st.history(in, e.Layer == nil)
		return nil
	}
	b.logStep(in, "")
	e, err := b.runStep(ctx, st, prepare)
	if err != nil {
		return err
	}
	if err := b.cachePut(key, e); err != nil {
		return fmt.Errorf("build cache: %w", err)
	}
	st.addLayer(e)
	st.key = key
	st.history(in, e.Layer == nil)
	return nil
}

// runStep performs a step in an active snapshot on top of the stage's
// layers, mounted in the work directory, and turns the snapshot's changes
// into a layer; the snapshot is committed under the new chain ID so that
// the next step starts from it.
func (b *builder) runStep(ctx context.Context, st *stageState, prepare func() error) (cacheEntry, error) {
	e := cacheEntry{Created: time.Now().UTC().Truncate(time.Second)}
	top, err := b.unpackState(ctx, st)
	if err != nil {
		return e, err
	}
	key := "build-" + randHex()
	mounts, err := b.sn.Prepare(ctx, key, top)
	if err != nil {
		return e, err
	}
	committed := false
	defer func() {
		if !committed {
			b.sn.Remove(context.WithoutCancel(ctx), key)
		}
	}()
	dir, unmount, err := b.mount(mounts)
	if err != nil {
		return e, err
	}
	defer unmount()
	st.rootfs, st.made = dir, nil
	err = prepare()
	st.rootfs = ""
	if uerr := unmount(); err == nil {
		err = uerr
	}
	if err != nil {
		return e, err
	}
	changes, err := b.sn.Changes(ctx, key)
	if err != nil {
		return e, fmt.Errorf("snapshot changes: %w", err)
	}
	changes = dropMountpoints(changes, st.made)
	if len(changes) == 0 {
		return e, nil
	}
	lb, err := writeLayer(ctx, b.st, changes)
	if err != nil {
		return e, err
	}
	e.Layer, e.DiffID = &lb.Desc, lb.DiffID
	chains := image.ChainIDs(append(append([]digest.Digest{}, st.diffIDs...), lb.DiffID))
	switch err := b.sn.Commit(ctx, chains[len(chains)-1].String(), key); {
	case err == nil:
		committed = true
	case errors.Is(err, snapshot.ErrAlreadyExists):
		// Another build made the same layer; the deferred Remove drops ours.
	default:
		return e, fmt.Errorf("commit snapshot: %w", err)
	}
	return e, nil
}

// mount mounts a snapshot in a new directory of the work directory; the
// returned function unmounts it (once) and removes the directory.
func (b *builder) mount(mounts []snapshot.Mount) (string, func() error, error) {
	dir, err := os.MkdirTemp(b.work, "mnt-")
	if err != nil {
		return "", nil, err
	}
	if err := snapshot.MountAll(mounts, dir); err != nil {
		os.Remove(dir)
		return "", nil, err
	}
	done := false
	return dir, func() error {
		if done {
			return nil
		}
		done = true
		if err := snapshot.Unmount(dir); err != nil {
			return fmt.Errorf("unmount %s: %w", dir, err)
		}
		return os.Remove(dir)
	}, nil
}

// dropMountpoints removes from changes what only a RUN's runtime made:
// /proc, /sys and /dev created as empty mountpoints, the empty
// /etc/resolv.conf and /etc/hosts the host network's binds went over, the
// targets of RUN --mount (made) — and then the directories above them
// that hold no other change.
func dropMountpoints(changes []archive.Change, made []string) []archive.Change {
	runtimeMade := map[string]bool{"/proc": true, "/sys": true, "/dev": true, "/etc/resolv.conf": true, "/etc/hosts": true}
	for _, m := range made {
		runtimeMade[m] = true
	}
	var dropped []string
	out := make([]archive.Change, 0, len(changes))
	for _, c := range changes {
		if c.Kind == archive.ChangeAdd && runtimeMade[c.Path] && emptyEntry(c.Source) {
			dropped = append(dropped, c.Path)
			continue
		}
		out = append(out, c)
	}
	// Parents of dropped entries that only changed because of them, from
	// the deepest up.
	parents := map[string]bool{}
	for _, d := range dropped {
		for p := path.Dir(d); p != "/" && p != "."; p = path.Dir(p) {
			parents[p] = true
		}
	}
	ps := sortedKeys(parents)
	sort.Slice(ps, func(i, j int) bool { return len(ps[i]) > len(ps[j]) })
	for _, p := range ps {
		under := false
		idx := -1
		for k, c := range out {
			if strings.HasPrefix(c.Path, p+"/") {
				under = true
			}
			if c.Path == p && c.Kind != archive.ChangeDelete && !c.Opaque {
				idx = k
			}
		}
		if idx >= 0 && !under {
			out = append(out[:idx], out[idx+1:]...)
		}
	}
	return out
}

// emptyEntry reports whether p is an empty directory or an empty regular
// file.
func emptyEntry(p string) bool {
	fi, err := os.Lstat(p)
	if err != nil {
		return false
	}
	if fi.IsDir() {
		ents, err := os.ReadDir(p)
		return err == nil && len(ents) == 0
	}
	return fi.Mode().IsRegular() && fi.Size() == 0
}

// unpackState makes sure the stage's layers are unpacked as committed
// snapshots and returns the top chain ID ("" without layers). Layers a
// step of this or an earlier build committed are found by chain ID; the
// others are unpacked by the store from an unnamed manifest of the state.
func (b *builder) unpackState(ctx context.Context, st *stageState) (string, error) {
	if len(st.diffIDs) == 0 {
		return "", nil
	}
	chains := image.ChainIDs(st.diffIDs)
	top := chains[len(chains)-1].String()
	if info, err := b.sn.Stat(ctx, top); err == nil && info.Kind == snapshot.KindCommitted {
		return top, nil
	}
	desc, err := b.writeManifest(ctx, st)
	if err != nil {
		return "", err
	}
	got, err := b.st.Unpack(ctx, b.sn, desc.Digest.String())
	if err != nil {
		return "", err
	}
	if got != top {
		return "", fmt.Errorf("unpacked to chain %s, want %s", got, top)
	}
	return top, nil
}

// viewStage mounts a read-only view of a stage's filesystem (COPY
// --from); the returned function unmounts and removes it.
func (b *builder) viewStage(ctx context.Context, st *stageState) (string, func(), error) {
	top, err := b.unpackState(ctx, st)
	if err != nil {
		return "", nil, err
	}
	return b.viewChain(ctx, top)
}

// viewImage mounts a read-only view of a stored image (COPY
// --from=IMAGE).
func (b *builder) viewImage(ctx context.Context, desc ocispec.Descriptor) (string, func(), error) {
	top, err := b.st.Unpack(ctx, b.sn, desc.Digest.String())
	if err != nil {
		return "", nil, err
	}
	return b.viewChain(ctx, top)
}

// viewChain mounts a read-only view of the committed snapshot top.
func (b *builder) viewChain(ctx context.Context, top string) (string, func(), error) {
	key := "build-view-" + randHex()
	mounts, err := b.sn.View(ctx, key, top)
	if err != nil {
		return "", nil, err
	}
	dir, unmount, err := b.mount(mounts)
	if err != nil {
		b.sn.Remove(context.WithoutCancel(ctx), key)
		return "", nil, err
	}
	return dir, func() {
		unmount()
		b.sn.Remove(context.WithoutCancel(ctx), key)
	}, nil
}

func (st *stageState) addLayer(e cacheEntry) {
	if e.Created.After(st.created) {
		st.created = e.Created
	}
	if e.Layer != nil {
		st.layers = append(st.layers, *e.Layer)
		st.diffIDs = append(st.diffIDs, e.DiffID)
	}
}

// stepInputs computes a filesystem step's cache-key inputs and returns
// the function that performs it on the materialised root filesystem.
func (b *builder) stepInputs(ctx context.Context, i int, st *stageState, in dockerfile.Instruction) ([]string, func() error, error) {
	switch in.Cmd {
	case "WORKDIR":
		w, err := b.expand(st, in.Args[0])
		if err != nil {
			return nil, nil, err
		}
		if !path.IsAbs(w) {
			w = path.Join(st.workdir(), w)
		}
		w = path.Clean(w)
		st.cfg.Config.WorkingDir = w
		return []string{w}, func() error { return b.ensureWorkdir(st) }, nil
	case "RUN":
		return b.runInputs(ctx, i, st, in)
	default:
		return b.copyInputs(ctx, i, st, in)
	}
}

// ensureWorkdir creates the working directory in the root filesystem.
func (b *builder) ensureWorkdir(st *stageState) error {
	host, err := filetree.ResolveIn(st.rootfs, st.workdir(), true)
	if err != nil {
		return err
	}
	return mkdirAll(st.rootfs, host, copyOpts{})
}

// runEnv is the environment of a RUN: the image's, then ARGs it lacks.
func (st *stageState) runEnv() []string {
	env := append([]string{}, st.cfg.Config.Env...)
	have := map[string]bool{}
	for _, e := range env {
		k, _, _ := strings.Cut(e, "=")
		have[k] = true
	}
	for _, k := range sortedKeys(st.args) {
		if !have[k] {
			env = append(env, k+"="+st.args[k])
			have[k] = true
		}
	}
	if !have["PATH"] {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	return env
}

// scriptPath is where a RUN heredoc with a #! line is bound for its
// interpreter to run.
const scriptPath = "/dev/.strata-run-script"

// runInputs is RUN's cache-key inputs (argv, environment, working
// directory, user, network) and the step that runs it in a container.
func (b *builder) runInputs(ctx context.Context, i int, st *stageState, in dockerfile.Instruction) ([]string, func() error, error) {
	var mounts []runMount
	for _, f := range in.Flags {
		if f.Name != "mount" {
			return nil, nil, fmt.Errorf("RUN --%s is not supported", f.Name)
		}
		v, err := b.expand(st, f.Value)
		if err != nil {
			return nil, nil, err
		}
		m, err := parseMount(v)
		if err != nil {
			return nil, nil, err
		}
		mounts = append(mounts, m)
	}
	args := in.Args
	script := "" // a heredoc with a #! line, run by its interpreter
	if !in.JSON {
		args = append(st.shell(), in.Args...)
		if len(in.Heredocs) == 1 && in.Args[0] == in.Heredocs[0].Content && strings.HasPrefix(in.Args[0], "#!") {
			script = in.Args[0]
			args = []string{scriptPath}
		}
	}
	if len(args) == 0 {
		return nil, nil, errors.New("RUN needs a command")
	}
	env := st.runEnv()
	argv, _ := json.Marshal(args)
	envJSON, _ := json.Marshal(env)
	inputs := []string{string(argv), string(envJSON), st.workdir(), st.cfg.Config.User, b.o.Network, script}
	for _, m := range mounts {
		inputs = append(inputs, m.key())
		if m.typ == "bind" {
			// What a bind mount shows is an input, as for COPY.
			srcs, _, err := sources(b.bctx.dir, []string{m.source}, b.bctx.filterFunc())
			if err != nil {
				return nil, nil, fmt.Errorf("--mount source=%s: %w", m.source, err)
			}
			h, err := hashSources(srcs, b.bctx.dir, b.bctx.filterFunc(), b.hashes.sum)
			if err != nil {
				return nil, nil, err
			}
			inputs = append(inputs, h)
		}
	}
	run := func() error {
		var extra []specs.Mount
		if script != "" {
			// The script is bound into /dev (a tmpfs), so it is in no layer.
			f, err := os.CreateTemp(b.work, "script-")
			if err != nil {
				return err
			}
			_, err = f.WriteString(script)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Chmod(f.Name(), 0o755)
			}
			if err != nil {
				return err
			}
			extra = append(extra, specs.Mount{Destination: scriptPath, Type: "bind", Source: f.Name(), Options: []string{"bind", "ro"}})
		}
		for _, m := range mounts {
			sm, err := m.spec(b.st.Root(), b.bctx.dir)
			if err != nil {
				return err
			}
			extra = append(extra, sm)
			st.made = append(st.made, m.target)
		}
		if err := b.ensureWorkdir(st); err != nil {
			return err
		}
		uid, gid, groups, err := image.ResolveUser(st.rootfs, st.cfg.Config.User)
		if err != nil {
			return err
		}
		tw := &tailWriter{w: b.out, keep: 4096}
		code, err := runContainer(ctx, runSpec{
			rootfs: st.rootfs, args: args, env: env, cwd: st.workdir(),
			uid: uid, gid: gid, groups: groups, network: b.o.Network, mounts: extra,
		}, filepath.Join(b.work, "ctr"), tw)
		if err != nil {
			return err
		}
		if code != 0 {
			msg := fmt.Sprintf("exit status %d", code)
			if t := tw.tail(5); t != "" {
				msg += "; last output:\n" + t
			}
			return errors.New(msg)
		}
		return nil
	}
	return inputs, run, nil
}

// copyInputs is COPY's and ADD's cache-key inputs (sources, destination,
// options and the digest of what is copied, or the --from stage's key or
// image digest) and the step that copies.
func (b *builder) copyInputs(ctx context.Context, i int, st *stageState, in dockerfile.Instruction) ([]string, func() error, error) {
	var o copyOpts
	var from *stageState
	var fromImage ocispec.Descriptor // COPY --from=IMAGE
	for _, f := range in.Flags {
		switch f.Name {
		case "chown", "chmod":
		case "checksum":
			if in.Cmd != "ADD" {
				return nil, nil, errors.New("COPY --checksum is not supported")
			}
		case "from":
			if in.Cmd != "COPY" {
				return nil, nil, errors.New("ADD --from is not supported")
			}
			if j, ok := b.stageIndex(f.Value, i); ok {
				from = b.stages[j]
				continue
			}
			ref, err := b.expand(st, f.Value)
			if err != nil {
				return nil, nil, err
			}
			if fromImage, err = b.baseImage(ctx, ref); err != nil {
				return nil, nil, fmt.Errorf("--from=%s: %w", f.Value, err)
			}
		default:
			return nil, nil, fmt.Errorf("%s --%s is not supported", in.Cmd, f.Name)
		}
	}
	words := make([]string, len(in.Args))
	for k, a := range in.Args {
		if in.JSON {
			words[k] = a
			continue
		}
		w, err := b.expand(st, a)
		if err != nil {
			return nil, nil, err
		}
		words[k] = w
	}
	srcPatterns, dest := words[:len(words)-1], words[len(words)-1]
	// Heredoc sources (<<EOF) become files in the work directory.
	var inline []source
	var inlineKey []string
	if len(in.Heredocs) > 0 {
		var rest []string
		for k, p := range srcPatterns {
			if !strings.HasPrefix(in.Args[k], "<<") {
				rest = append(rest, p)
				continue
			}
			src, content, err := b.heredocFile(st, in, in.Args[k])
			if err != nil {
				return nil, nil, err
			}
			inline = append(inline, src)
			inlineKey = append(inlineKey, src.rel, content)
		}
		srcPatterns = rest
	}
	// ADD URLs are downloaded (revalidated on every build) into the
	// store's download cache; their content digest keys the step.
	var rest []string
	for _, p := range srcPatterns {
		if !strings.Contains(p, "://") {
			rest = append(rest, p)
			continue
		}
		if in.Cmd != "ADD" {
			return nil, nil, fmt.Errorf("COPY from a URL (%s): use ADD", p)
		}
		checksum, _ := in.Flag("checksum")
		file, sum, err := download(ctx, b.st.Root(), p, checksum)
		if err != nil {
			return nil, nil, err
		}
		inline = append(inline, source{host: file, rel: urlFileName(p), url: true})
		inlineKey = append(inlineKey, p, sum)
	}
	srcPatterns = rest
	if !path.IsAbs(dest) {
		keepSlash := strings.HasSuffix(dest, "/")
		dest = path.Join(st.workdir(), dest)
		if keepSlash {
			dest += "/"
		}
	}
	chown, _ := in.Flag("chown")
	if chown != "" {
		var err error
		if chown, err = b.expand(st, chown); err != nil {
			return nil, nil, err
		}
	}
	if chmod, ok := in.Flag("chmod"); ok {
		m, err := strconv.ParseUint(chmod, 8, 32)
		if err != nil || m > 0o7777 {
			return nil, nil, fmt.Errorf("--chmod=%s: want an octal mode", chmod)
		}
		o.chmod, o.hasChmod = fileMode(uint32(m)), true
	}
	inputs := []string{strings.Join(srcPatterns, "\x00"), dest, chown, fmt.Sprint(o.chmod, o.hasChmod)}
	var srcs []source
	var wildcard bool
	var err error
	switch {
	case from != nil:
		inputs = append(inputs, "stage", from.key)
	case fromImage.Digest != "":
		inputs = append(inputs, "image", fromImage.Digest.String())
	case len(srcPatterns) == 0 && len(inline) > 0:
		// Only heredocs.
	default:
		srcs, wildcard, err = sources(b.bctx.dir, srcPatterns, b.bctx.filterFunc())
		if err != nil {
			return nil, nil, err
		}
		h, err := hashSources(srcs, b.bctx.dir, b.bctx.filterFunc(), b.hashes.sum)
		if err != nil {
			return nil, nil, err
		}
		inputs = append(inputs, "context", h)
		o.ignored, o.ctxRoot = b.bctx.filterFunc(), b.bctx.dir
	}
	if len(inline) > 0 {
		inputs = append(append(inputs, "inline"), inlineKey...)
	}
	run := func() error {
		if from != nil || fromImage.Digest != "" {
			var view string
			var release func()
			var err error
			if from != nil {
				view, release, err = b.viewStage(ctx, from)
			} else {
				view, release, err = b.viewImage(ctx, fromImage)
			}
			if err != nil {
				return err
			}
			defer release()
			if srcs, wildcard, err = sources(view, srcPatterns, nil); err != nil {
				return err
			}
		}
		if chown != "" {
			uid, gid, _, err := image.ResolveUser(st.rootfs, chown)
			if err != nil {
				return fmt.Errorf("--chown=%s: %w", chown, err)
			}
			o.chown, o.uid, o.gid = true, int(uid), int(gid)
		}
		srcs := append(append([]source{}, srcs...), inline...)
		if in.Cmd == "ADD" {
			var rest []source
			for _, s := range srcs {
				if !s.dir && !s.url && isTarName(s.rel) {
					if err := b.addArchive(ctx, st, s, dest); err != nil {
						return err
					}
					continue
				}
				rest = append(rest, s)
			}
			if len(rest) == 0 {
				return nil
			}
			srcs = rest
		}
		return copyInto(st.rootfs, srcs, dest, wildcard, o)
	}
	return inputs, run, nil
}

// heredocFile writes the heredoc a COPY or ADD source word (<<NAME,
// <<-NAME, <<"NAME") refers to into the work directory, variables
// expanded unless its delimiter was quoted, and returns it as a source
// named NAME with its content.
func (b *builder) heredocFile(st *stageState, in dockerfile.Instruction, word string) (source, string, error) {
	name := strings.Trim(strings.TrimPrefix(strings.TrimPrefix(word, "<<"), "-"), `"'`)
	for _, h := range in.Heredocs {
		if h.Name != name {
			continue
		}
		content := h.Content
		if h.Expand {
			var err error
			if content, err = dockerfile.ExpandHeredoc(content, st.lookup); err != nil {
				return source{}, "", fmt.Errorf("heredoc %s: %w", name, err)
			}
		}
		dir, err := os.MkdirTemp(b.work, "heredoc-")
		if err != nil {
			return source{}, "", err
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return source{}, "", err
		}
		os.Chmod(p, 0o644)
		return source{host: p, rel: name}, content, nil
	}
	return source{}, "", fmt.Errorf("no heredoc named %s", name)
}

// fileMode converts Unix permission bits (with setuid, setgid, sticky).
func fileMode(m uint32) fs.FileMode {
	fm := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		fm |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		fm |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		fm |= fs.ModeSticky
	}
	return fm
}

func isTarName(name string) bool {
	for _, ext := range []string{".tar", ".tar.gz", ".tgz", ".tar.zst"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// addArchive unpacks a local tar archive into dest (ADD's extraction).
func (b *builder) addArchive(ctx context.Context, st *stageState, s source, dest string) error {
	host, err := filetree.ResolveIn(st.rootfs, dest, true)
	if err != nil {
		return err
	}
	if err := mkdirAll(st.rootfs, host, copyOpts{}); err != nil {
		return err
	}
	f, err := os.Open(s.host)
	if err != nil {
		return err
	}
	defer f.Close()
	tr, err := archive.Decompress(f)
	if err != nil {
		return fmt.Errorf("ADD %s: %w", s.rel, err)
	}
	defer tr.Close()
	if _, err := archive.Apply(ctx, host, tr, archive.Options{Whiteouts: archive.WhiteoutDelete}); err != nil {
		return fmt.Errorf("ADD %s: %w", s.rel, err)
	}
	return nil
}

// commit writes the stage's config and manifest and names the image.
func (b *builder) commit(ctx context.Context, st *stageState) (ocispec.Descriptor, error) {
	desc, err := b.writeManifest(ctx, st)
	if err != nil {
		return desc, err
	}
	for _, t := range b.o.Tags {
		if err := b.st.SetName(ctx, t, desc); err != nil {
			return desc, err
		}
	}
	return desc, nil
}

// writeManifest stores the stage's config and an OCI manifest, unnamed.
func (b *builder) writeManifest(ctx context.Context, st *stageState) (ocispec.Descriptor, error) {
	cfg := st.cfg
	cfg.RootFS = v1.RootFS{Type: "layers"}
	for _, d := range st.diffIDs {
		h, err := v1.NewHash(d.String())
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, h)
	}
	cfg.Created = v1.Time{Time: st.created}
	if cfg.OS == "" {
		cfg.OS, cfg.Architecture = "linux", "amd64"
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	cd, err := b.st.PutBlobBytes(ctx, raw)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	layers := st.layers
	if layers == nil {
		layers = []ocispec.Descriptor{}
	}
	m := ocispec.Manifest{
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: cd, Size: int64(len(raw))},
		Layers:    layers,
	}
	m.SchemaVersion = 2
	mraw, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return b.st.PutManifest(ctx, mraw, ocispec.MediaTypeImageManifest, "")
}
