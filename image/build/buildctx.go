package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"strata/filetree"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// buildContext is the directory COPY and ADD read from, minus what
// .dockerignore excludes.
type buildContext struct {
	dir     string
	matcher *patternmatcher.PatternMatcher // nil: nothing ignored
}

// openContext reads dir/.dockerignore.
func openContext(dir string) (*buildContext, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("build context %s: not a directory", dir)
	}
	c := &buildContext{dir: abs}
	f, err := os.Open(filepath.Join(abs, ".dockerignore"))
	if err == nil {
		defer f.Close()
		patterns, err := ignorefile.ReadAll(f)
		if err != nil {
			return nil, fmt.Errorf(".dockerignore: %w", err)
		}
		if len(patterns) > 0 {
			if c.matcher, err = patternmatcher.New(patterns); err != nil {
				return nil, fmt.Errorf(".dockerignore: %w", err)
			}
		}
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf(".dockerignore: %w", err)
	}
	return c, nil
}

// ignored reports whether the context path rel (slash-separated) is
// excluded by .dockerignore.
func (c *buildContext) ignored(rel string) bool {
	if c.matcher == nil {
		return false
	}
	m, err := c.matcher.MatchesOrParentMatches(rel)
	return err == nil && m
}

// filter says whether .dockerignore excludes rel, and whether a walk may
// prune it whole (not when an exception, !pattern, could re-include
// something below it).
func (c *buildContext) filter(rel string) (ignored, prune bool) {
	ig := c.ignored(rel)
	return ig, ig && !c.matcher.Exclusions()
}

// filterFunc is buildContext.filter, or nil when nothing is excluded.
type filterFunc func(rel string) (ignored, prune bool)

// skip applies a filter to a walk entry: (true, SkipDir or nil) when the
// entry is excluded.
func (f filterFunc) skip(rel string, d fs.DirEntry) (bool, error) {
	if f == nil {
		return false, nil
	}
	ig, prune := f(rel)
	if !ig {
		return false, nil
	}
	if prune && d != nil && d.IsDir() {
		return true, filepath.SkipDir
	}
	return true, nil
}

// source is one file or directory COPY takes, with the name it has below
// the destination.
type source struct {
	host string // path on the host
	rel  string // relative path the source pattern matched
	dir  bool
	url  bool // an ADD URL download: mode 0600, never unpacked
}

// sources resolves COPY source patterns against a root directory (the
// context, or another stage's root filesystem). Patterns are cleaned and
// may not leave the root; wildcards match as filepath.Match does.
// wildcard reports whether any pattern had one.
func sources(root string, patterns []string, ignored filterFunc) (srcs []source, wildcard bool, err error) {
	for _, p := range patterns {
		clean := strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(p)), "/")
		if clean == "" {
			clean = "."
		}
		if !strings.ContainsAny(clean, "*?[") {
			if ig, _ := ignored.skip(clean, nil); clean != "." && ig {
				return nil, false, fmt.Errorf("COPY source %q is excluded by .dockerignore", p)
			}
			host, err := filetree.ResolveIn(root, clean, true)
			if err != nil {
				return nil, false, err
			}
			fi, err := os.Stat(host)
			if err != nil {
				return nil, false, fmt.Errorf("COPY source %q: %w", p, errNotInContext(err))
			}
			srcs = append(srcs, source{host: host, rel: clean, dir: fi.IsDir()})
			continue
		}
		wildcard = true
		var found []source
		err := filepath.WalkDir(root, func(hp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if hp == root {
				return nil
			}
			rel := filepath.ToSlash(hp[len(root)+1:])
			if ig, err := ignored.skip(rel, d); ig {
				return err
			}
			if ok, _ := path.Match(clean, rel); ok {
				found = append(found, source{host: hp, rel: rel, dir: d.IsDir()})
				if d.IsDir() {
					return filepath.SkipDir
				}
			}
			return nil
		})
		if err != nil {
			return nil, false, err
		}
		if len(found) == 0 {
			return nil, false, fmt.Errorf("COPY source %q matches no file", p)
		}
		srcs = append(srcs, found...)
	}
	return srcs, wildcard, nil
}

func errNotInContext(err error) error {
	if os.IsNotExist(err) {
		return fmt.Errorf("no such file in the build context")
	}
	return err
}

// hashSources digests what the sources contain (names, modes, contents,
// link targets), minus ignored paths: the cache key of a COPY.
func hashSources(srcs []source, root string, ignored filterFunc, sum func(string) (string, error)) (string, error) {
	h := sha256.New()
	for _, s := range srcs {
		fmt.Fprintf(h, "src %s\n", s.rel)
		err := filepath.WalkDir(s.host, func(hp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel := ""
			if hp != s.host {
				rel = filepath.ToSlash(hp[len(s.host)+1:])
			}
			if ignored != nil && rel != "" && strings.HasPrefix(s.host, root) {
				if ig, err := ignored.skip(filepath.ToSlash(strings.TrimPrefix(hp, root+"/")), d); ig {
					return err
				}
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%q %o", rel, fi.Mode())
			switch {
			case fi.Mode()&fs.ModeSymlink != 0:
				t, err := os.Readlink(hp)
				if err != nil {
					return err
				}
				fmt.Fprintf(h, " -> %q", t)
			case fi.Mode().IsRegular():
				fs, err := sum(hp)
				if err != nil {
					return err
				}
				fmt.Fprintf(h, " %s", fs)
			}
			h.Write([]byte{'\n'})
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("hash COPY source %s: %w", s.rel, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// filterFunc returns the context's filter (nil when nothing is ignored).
func (c *buildContext) filterFunc() filterFunc {
	if c.matcher == nil {
		return nil
	}
	return c.filter
}
