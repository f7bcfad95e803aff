// Package dockerfile parses Dockerfiles into stages of typed instructions.
//
// It understands the instructions strata's builder runs — FROM (with
// `scratch` and `AS name`), RUN, COPY, ADD, ENV, ARG, WORKDIR, USER, CMD,
// ENTRYPOINT, EXPOSE, LABEL — plus SHELL, VOLUME, STOPSIGNAL, HEALTHCHECK,
// ONBUILD and MAINTAINER, line continuations, comments, heredocs and the
// `syntax`/`escape` parser directives. Every error names the line it is
// about. Variable substitution ($VAR, ${VAR:-default}) and quote removal
// are done later, by Expand, with the values the builder knows at that
// step.
package dockerfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// MaxSize bounds the Dockerfile Parse accepts (bytes).
const MaxSize = 4 << 20

// Instruction is one instruction as written.
type Instruction struct {
	// Line and EndLine are the 1-based first and last source lines.
	Line, EndLine int
	// Cmd is the keyword in upper case: "RUN", "COPY", ...
	Cmd string
	// Flags are the --name[=value] options before the arguments, in order.
	Flags []Flag
	// Args are the arguments. In exec (JSON) form they are the array's
	// strings; for RUN, CMD and ENTRYPOINT in shell form Args has one
	// element, the command line; otherwise they are whitespace-separated
	// words with quotes kept (Expand removes them).
	Args []string
	// JSON is true for the exec form (`["a", "b"]`).
	JSON bool
	// Original is the instruction text with continuations joined.
	Original string
	// Sub is HEALTHCHECK's "CMD" or "NONE", and ONBUILD's trigger
	// instruction keyword; Args are then the command's or the trigger's
	// (the trigger's text is in Args[0]).
	Sub string
	// Heredocs are RUN's, COPY's or ADD's inline files, in order. A RUN
	// whose command is only a heredoc marker runs the heredoc as its
	// shell script (Args[0]); otherwise Args[0] is the command line
	// followed by the heredocs as the shell reads them.
	Heredocs []Heredoc
}

// Flag is one --name or --name=value option of an instruction.
type Flag struct {
	Name, Value string
	// HasValue tells --name from --name=.
	HasValue bool
}

// Flag returns the value of the flag named name and whether it is set.
func (in *Instruction) Flag(name string) (string, bool) {
	for _, f := range in.Flags {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// Stage is a FROM instruction and the instructions after it.
type Stage struct {
	// From is the FROM instruction; Base is its image argument (unexpanded)
	// and Name its `AS` name ("" when there is none).
	From         Instruction
	Base, Name   string
	Instructions []Instruction
}

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	// Directives are the parser directives at the top (syntax, escape),
	// keys in lower case.
	Directives map[string]string
	// MetaArgs are the ARG instructions before the first FROM.
	MetaArgs []Instruction
	// Stages are the build stages in order.
	Stages []Stage
	// Escape is the escape character (\\ or `), for Expand.
	Escape byte
}

// Error is a parse error at a line.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("Dockerfile line %d: %s", e.Line, e.Msg) }

func errAt(line int, format string, args ...any) error {
	return &Error{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// allowedFlags lists the options each instruction accepts (the builder
// may still refuse some it does not implement).
var allowedFlags = map[string][]string{
	"FROM":        {"platform"},
	"RUN":         {"mount", "network", "security"},
	"COPY":        {"from", "chown", "chmod", "link", "parents", "exclude"},
	"ADD":         {"chown", "chmod", "link", "keep-git-dir", "checksum", "exclude"},
	"HEALTHCHECK": {"interval", "timeout", "start-period", "start-interval", "retries"},
}

// argKinds says how each known instruction's arguments are read.
const (
	kindWords   = iota // whitespace-separated words (quotes kept)
	kindShell          // exec form (JSON) or one shell command line
	kindJSONOr         // JSON array or words (COPY, ADD, VOLUME)
	kindRaw            // the rest of the line as one argument
	kindHealth         // HEALTHCHECK NONE | HEALTHCHECK [flags] CMD command
	kindOnBuild        // ONBUILD INSTRUCTION
)

var instructions = map[string]int{
	"FROM": kindWords, "RUN": kindShell, "CMD": kindShell, "ENTRYPOINT": kindShell,
	"COPY": kindJSONOr, "ADD": kindJSONOr, "VOLUME": kindJSONOr,
	"ENV": kindWords, "ARG": kindWords, "LABEL": kindWords, "EXPOSE": kindWords,
	"WORKDIR": kindRaw, "USER": kindRaw, "STOPSIGNAL": kindRaw, "MAINTAINER": kindRaw,
	"SHELL": kindShell, "HEALTHCHECK": kindHealth, "ONBUILD": kindOnBuild,
}

// logicalLine is an instruction's text with its line span.
type logicalLine struct {
	start, end int
	text       string
	heredocs   []Heredoc
}

// Heredoc is an inline file of RUN, COPY or ADD (`<<EOF` … `EOF`).
type Heredoc struct {
	// Name is the delimiter word.
	Name string
	// Content is the lines between the instruction and the delimiter,
	// each ending in a newline.
	Content string
	// Expand is false when the delimiter was quoted (<<"EOF", <<'EOF'):
	// the content is then taken literally.
	Expand bool
	// StripTabs is set by <<-: leading tabs are removed from the content
	// lines and the delimiter.
	StripTabs bool
}

// heredocScript is the shell command of a RUN with heredocs: the heredoc
// itself when the command is only its marker, else the command line with
// the heredocs after it, for the shell to read.
func heredocScript(cmd string, hs []Heredoc) string {
	if len(hs) == 1 && strings.HasPrefix(strings.TrimSpace(cmd), "<<") && len(strings.Fields(cmd)) == 1 {
		return hs[0].Content
	}
	var b strings.Builder
	b.WriteString(cmd)
	b.WriteString("\n")
	for _, h := range hs {
		b.WriteString(h.Content)
		b.WriteString(h.Name)
		b.WriteString("\n")
	}
	return b.String()
}

// heredocMarkers finds the <<[-]WORD, <<"WORD" and <<'WORD' markers of a
// RUN, COPY or ADD line, in order.
func heredocMarkers(text string) []Heredoc {
	t := strings.TrimSpace(text)
	kw, _, _ := strings.Cut(t, " ")
	switch strings.ToUpper(kw) {
	case "RUN", "COPY", "ADD":
	default:
		return nil
	}
	var out []Heredoc
	for i := 0; i+2 < len(t); i++ {
		if t[i] != '<' || t[i+1] != '<' || (i > 0 && t[i-1] == '<') {
			continue
		}
		j := i + 2
		h := Heredoc{Expand: true}
		if j < len(t) && t[j] == '-' {
			h.StripTabs = true
			j++
		}
		var quote byte
		if j < len(t) && (t[j] == '"' || t[j] == '\'') {
			quote = t[j]
			h.Expand = false
			j++
		}
		k := j
		for k < len(t) && isNameByte(t[k], k == j) {
			k++
		}
		if k == j {
			continue // <<< or a stray <<
		}
		if quote != 0 {
			if k >= len(t) || t[k] != quote {
				continue
			}
		}
		h.Name = t[j:k]
		out = append(out, h)
		i = k
	}
	return out
}

// Parse reads a Dockerfile.
func Parse(r io.Reader) (*Dockerfile, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read Dockerfile: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("Dockerfile larger than %d bytes", MaxSize)
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	rawLines := strings.Split(text, "\n")

	df := &Dockerfile{Directives: map[string]string{}, Escape: '\\'}
	escape := byte('\\')
	// Parser directives: `# key=value` lines at the very top.
	i := 0
	for ; i < len(rawLines); i++ {
		k, v, ok := directive(rawLines[i])
		if !ok {
			break
		}
		if _, dup := df.Directives[k]; dup {
			return nil, errAt(i+1, "parser directive %q given twice", k)
		}
		df.Directives[k] = v
		if k == "escape" {
			if v != "\\" && v != "`" {
				return nil, errAt(i+1, "escape directive %q: want \\ or `", v)
			}
			escape = v[0]
			df.Escape = escape
		}
	}

	var lines []logicalLine
	var cur strings.Builder
	start := 0
	for ; i < len(rawLines); i++ {
		ln := rawLines[i]
		trimmed := strings.TrimLeftFunc(ln, unicode.IsSpace)
		if strings.HasPrefix(trimmed, "#") {
			continue // comments, also inside a continued instruction
		}
		if cur.Len() == 0 && strings.TrimSpace(ln) == "" {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		} else if strings.TrimSpace(ln) == "" {
			continue // empty continuation line
		}
		body := strings.TrimRightFunc(ln, unicode.IsSpace)
		if strings.HasSuffix(body, string(escape)) {
			cur.WriteString(body[:len(body)-1])
			continue
		}
		cur.WriteString(ln)
		l := logicalLine{start: start, end: i + 1, text: cur.String()}
		cur.Reset()
		// Heredocs (RUN, COPY, ADD): the lines up to each terminator
		// belong to the instruction.
		for _, h := range heredocMarkers(l.text) {
			var body []string
			found := false
			for i++; i < len(rawLines); i++ {
				line := rawLines[i]
				if h.StripTabs {
					line = strings.TrimLeft(line, "\t")
				}
				if line == h.Name {
					found = true
					break
				}
				body = append(body, line)
			}
			if !found {
				return nil, errAt(l.start, "heredoc <<%s has no terminating %q line", h.Name, h.Name)
			}
			h.Content = strings.Join(body, "\n") + "\n"
			if len(body) == 0 {
				h.Content = ""
			}
			l.heredocs = append(l.heredocs, h)
			l.end = i + 1
		}
		lines = append(lines, l)
	}
	if cur.Len() > 0 {
		lines = append(lines, logicalLine{start: start, end: len(rawLines), text: cur.String()})
	}

	for _, l := range lines {
		in, err := parseInstruction(l, escape)
		if err != nil {
			return nil, err
		}
		switch {
		case in.Cmd == "FROM":
			st, err := parseFrom(in)
			if err != nil {
				return nil, err
			}
			for _, prev := range df.Stages {
				if st.Name != "" && strings.EqualFold(prev.Name, st.Name) {
					return nil, errAt(in.Line, "stage name %q already used at line %d", st.Name, prev.From.Line)
				}
			}
			df.Stages = append(df.Stages, st)
		case len(df.Stages) == 0:
			if in.Cmd != "ARG" {
				return nil, errAt(in.Line, "%s before the first FROM (only ARG may come first)", in.Cmd)
			}
			df.MetaArgs = append(df.MetaArgs, in)
		default:
			s := &df.Stages[len(df.Stages)-1]
			s.Instructions = append(s.Instructions, in)
		}
	}
	if len(df.Stages) == 0 {
		return nil, errors.New("Dockerfile has no FROM instruction")
	}
	return df, nil
}

// ParseInstruction parses one instruction's text (an ONBUILD trigger
// stored in an image, say), reporting errors at line.
func ParseInstruction(text string, line int, escape byte) (Instruction, error) {
	in, err := parseInstruction(logicalLine{start: line, end: line, text: text}, escape)
	if err != nil {
		return in, err
	}
	if in.Cmd == "FROM" {
		return in, errAt(line, "FROM cannot be a trigger")
	}
	return in, nil
}

// directive parses a `# key=value` parser directive line.
func directive(line string) (key, value string, ok bool) {
	s := strings.TrimSpace(line)
	if !strings.HasPrefix(s, "#") {
		return "", "", false
	}
	s = strings.TrimSpace(s[1:])
	k, v, found := strings.Cut(s, "=")
	if !found {
		return "", "", false
	}
	k = strings.ToLower(strings.TrimSpace(k))
	if k != "syntax" && k != "escape" && k != "check" {
		return "", "", false
	}
	return k, strings.TrimSpace(v), true
}

func parseInstruction(l logicalLine, escape byte) (Instruction, error) {
	text := strings.TrimSpace(l.text)
	var kw, rest string
	if j := strings.IndexAny(text, " \t"); j >= 0 {
		kw, rest = text[:j], text[j+1:]
	} else {
		kw, rest = text, ""
	}
	in := Instruction{Line: l.start, EndLine: l.end, Cmd: strings.ToUpper(kw), Original: text, Heredocs: l.heredocs}
	kind, known := instructions[in.Cmd]
	if !known {
		return in, errAt(l.start, "unknown instruction %q", kw)
	}
	rest = strings.TrimSpace(rest)
	if allowed, ok := allowedFlags[in.Cmd]; ok {
		var err error
		in.Flags, rest, err = parseFlags(rest, allowed)
		if err != nil {
			return in, errAt(l.start, "%s: %v", in.Cmd, err)
		}
	}
	switch kind {
	case kindShell:
		if args, ok := jsonArray(rest); ok {
			in.Args, in.JSON = args, true
		} else if len(in.Heredocs) > 0 {
			in.Args = []string{heredocScript(rest, in.Heredocs)}
		} else if rest != "" {
			if in.Cmd == "SHELL" {
				return in, errAt(l.start, "SHELL needs the JSON form, e.g. SHELL [\"/bin/sh\", \"-c\"]")
			}
			in.Args = []string{rest}
		}
	case kindJSONOr:
		if args, ok := jsonArray(rest); ok {
			in.Args, in.JSON = args, true
		} else {
			w, err := splitWords(rest, escape)
			if err != nil {
				return in, errAt(l.start, "%s: %v", in.Cmd, err)
			}
			in.Args = w
		}
	case kindWords:
		w, err := splitWords(rest, escape)
		if err != nil {
			return in, errAt(l.start, "%s: %v", in.Cmd, err)
		}
		in.Args = w
	case kindRaw:
		if rest != "" {
			in.Args = []string{rest}
		}
	case kindHealth:
		sub, cmd, _ := strings.Cut(rest, " ")
		in.Sub = strings.ToUpper(sub)
		cmd = strings.TrimSpace(cmd)
		switch {
		case in.Sub == "NONE" && cmd == "" && len(in.Flags) == 0:
		case in.Sub == "CMD" && cmd != "":
			if args, ok := jsonArray(cmd); ok {
				in.Args, in.JSON = args, true
			} else {
				in.Args = []string{cmd}
			}
		default:
			return in, errAt(l.start, "HEALTHCHECK: want NONE or [OPTIONS] CMD COMMAND")
		}
	case kindOnBuild:
		if rest == "" {
			return in, errAt(l.start, "ONBUILD needs an instruction")
		}
		trig, err := parseInstruction(logicalLine{start: l.start, end: l.end, text: rest}, escape)
		if err != nil {
			return in, err
		}
		switch trig.Cmd {
		case "ONBUILD", "FROM", "MAINTAINER":
			return in, errAt(l.start, "ONBUILD %s is not allowed", trig.Cmd)
		}
		in.Sub, in.Args = trig.Cmd, []string{strings.TrimSpace(rest)}
	}
	if err := checkArgs(&in); err != nil {
		return in, err
	}
	return in, nil
}

// checkArgs enforces each instruction's argument count and shape.
func checkArgs(in *Instruction) error {
	n := len(in.Args)
	switch in.Cmd {
	case "RUN", "WORKDIR", "USER", "STOPSIGNAL", "MAINTAINER", "EXPOSE", "VOLUME", "ARG":
		if n == 0 {
			return errAt(in.Line, "%s needs an argument", in.Cmd)
		}
	case "COPY", "ADD":
		if n < 2 {
			return errAt(in.Line, "%s needs at least a source and a destination", in.Cmd)
		}
	case "SHELL":
		if n == 0 {
			return errAt(in.Line, "SHELL needs at least one element")
		}
	case "ENV", "LABEL":
		if n == 0 {
			return errAt(in.Line, "%s needs KEY=VALUE", in.Cmd)
		}
		if in.Cmd == "ENV" && !strings.Contains(in.Args[0], "=") {
			// Legacy form: ENV KEY value with spaces.
			_, rest, _ := strings.Cut(strings.TrimSpace(in.Original[len("ENV"):]), in.Args[0])
			v := strings.TrimSpace(rest)
			if v == "" {
				return errAt(in.Line, "ENV %s needs a value (ENV KEY=VALUE or ENV KEY VALUE)", in.Args[0])
			}
			in.Args = []string{in.Args[0] + "=" + v}
			return nil
		}
		for _, w := range in.Args {
			k, _, ok := strings.Cut(w, "=")
			if !ok || k == "" {
				return errAt(in.Line, "%s: %q is not KEY=VALUE", in.Cmd, w)
			}
		}
	}
	if in.Cmd == "ARG" {
		for _, w := range in.Args {
			k, _, _ := strings.Cut(w, "=")
			if k == "" {
				return errAt(in.Line, "ARG: %q has no name", w)
			}
		}
	}
	return nil
}

func parseFrom(in Instruction) (Stage, error) {
	st := Stage{From: in}
	switch len(in.Args) {
	case 1:
	case 3:
		if !strings.EqualFold(in.Args[1], "AS") {
			return st, errAt(in.Line, "FROM: want FROM IMAGE [AS NAME], got %q", strings.Join(in.Args, " "))
		}
		st.Name = strings.ToLower(in.Args[2])
		if !validStageName(st.Name) {
			return st, errAt(in.Line, "FROM: invalid stage name %q", in.Args[2])
		}
	default:
		return st, errAt(in.Line, "FROM: want FROM IMAGE [AS NAME], got %d words", len(in.Args))
	}
	st.Base = in.Args[0]
	return st, nil
}

func validStageName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || i > 0 && (r == '-' || r == '_' || r == '.')
		if !ok {
			return false
		}
	}
	return true
}

// parseFlags splits leading --name[=value] options off s.
func parseFlags(s string, allowed []string) ([]Flag, string, error) {
	var flags []Flag
	for strings.HasPrefix(s, "--") {
		word := s
		rest := ""
		if j := strings.IndexAny(s, " \t"); j >= 0 {
			word, rest = s[:j], strings.TrimSpace(s[j+1:])
		}
		if word == "--" {
			return nil, "", errors.New("empty flag \"--\"")
		}
		name, value, has := strings.Cut(word[2:], "=")
		known := false
		for _, a := range allowed {
			if a == name {
				known = true
			}
		}
		if !known {
			return nil, "", fmt.Errorf("unknown flag --%s", name)
		}
		flags = append(flags, Flag{Name: name, Value: value, HasValue: has})
		s = rest
	}
	return flags, s, nil
}

// jsonArray parses s as a JSON array of strings.
func jsonArray(s string) ([]string, bool) {
	if !strings.HasPrefix(s, "[") {
		return nil, false
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, false
	}
	return out, true
}

// splitWords splits s at unquoted whitespace, keeping quotes and escapes
// in the words (Expand interprets them).
func splitWords(s string, escape byte) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == 0 && (c == ' ' || c == '\t' || c == '\n'):
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
			continue
		case c == escape && quote != '\'' && i+1 < len(s):
			w.WriteByte(c)
			i++
			c = s[i]
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote != 0 && c == quote:
			quote = 0
		}
		w.WriteByte(c)
		inWord = true
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}
