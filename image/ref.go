package image

import (
	"fmt"
	"regexp"
	"strings"

	digest "github.com/opencontainers/go-digest"
)

// DefaultDomain is the registry assumed for names without one.
const DefaultDomain = "docker.io"

// DefaultTag is the tag assumed for names without a tag or digest.
const DefaultTag = "latest"

var (
	pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)
	tagPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	domainPattern = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?$`)
)

// Reference is a parsed, normalised image name: DOMAIN/PATH[:TAG][@DIGEST].
type Reference struct {
	Domain string        // registry host[:port], e.g. "docker.io"
	Path   string        // repository path, e.g. "library/busybox"
	Tag    string        // tag; empty only when Digest is set
	Digest digest.Digest // manifest digest, optional
}

// Repository is DOMAIN/PATH.
func (r Reference) Repository() string { return r.Domain + "/" + r.Path }

// String is the normalised form used as the ref.name annotation:
// "docker.io/library/busybox:latest", "localhost:5000/a/b@sha256:…".
func (r Reference) String() string {
	s := r.Repository()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}

// Familiar is the short form docker prints: "busybox:latest" for
// docker.io/library/busybox:latest, the full name otherwise.
func (r Reference) Familiar() string {
	s := r.String()
	if r.Domain == DefaultDomain {
		s = strings.TrimPrefix(s, DefaultDomain+"/")
		s = strings.TrimPrefix(s, "library/")
	}
	return s
}

// ParseReference parses and normalises an image name the way docker does:
// a first component with a '.' or ':' or equal to "localhost" is the
// registry, otherwise docker.io (and docker.io names of one component get
// "library/"); a missing tag becomes "latest" unless a digest is given.
func ParseReference(s string) (Reference, error) {
	var r Reference
	if s == "" {
		return r, fmt.Errorf("image name: empty")
	}
	if len(s) > 1024 {
		return r, fmt.Errorf("image name %.40q…: too long", s)
	}
	rest := s
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		d, err := digest.Parse(rest[i+1:])
		if err != nil {
			return r, fmt.Errorf("image name %q: digest: %w", s, err)
		}
		r.Digest = d
		rest = rest[:i]
	}
	// A tag is after the last ':' that follows the last '/'.
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i:], "/") {
		r.Tag = rest[i+1:]
		rest = rest[:i]
		if !tagPattern.MatchString(r.Tag) {
			return r, fmt.Errorf("image name %q: invalid tag %q", s, r.Tag)
		}
	}
	parts := strings.Split(rest, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		r.Domain = parts[0]
		parts = parts[1:]
		if !domainPattern.MatchString(r.Domain) {
			return r, fmt.Errorf("image name %q: invalid registry %q", s, r.Domain)
		}
	} else {
		r.Domain = DefaultDomain
	}
	if r.Domain == "index.docker.io" {
		r.Domain = DefaultDomain
	}
	if r.Domain == DefaultDomain && len(parts) == 1 {
		parts = append([]string{"library"}, parts...)
	}
	for _, p := range parts {
		if !pathComponent.MatchString(p) {
			return r, fmt.Errorf("image name %q: invalid repository component %q (lower-case letters, digits, separators . _ __ -)", s, p)
		}
	}
	r.Path = strings.Join(parts, "/")
	if len(r.Repository()) > 255 {
		return r, fmt.Errorf("image name %.40q…: repository name longer than 255 characters", s)
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = DefaultTag
	}
	return r, nil
}

// NormalizeName is ParseReference(s).String().
func NormalizeName(s string) (string, error) {
	r, err := ParseReference(s)
	if err != nil {
		return "", err
	}
	return r.String(), nil
}
