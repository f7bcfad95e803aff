package dockerfile

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseMultiStage(t *testing.T) {
	f, err := os.Open("testdata/multistage.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	df, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if df.Directives["syntax"] != "docker/dockerfile:1" || df.Directives["escape"] != `\` {
		t.Errorf("directives %v", df.Directives)
	}
	if len(df.MetaArgs) != 2 || df.MetaArgs[0].Args[0] != "BASE=busybox" || df.MetaArgs[1].Line != 4 {
		t.Errorf("meta args %+v", df.MetaArgs)
	}
	if len(df.Stages) != 2 {
		t.Fatalf("%d stages, want 2", len(df.Stages))
	}
	b := df.Stages[0]
	if b.Base != "$BASE" || b.Name != "build" || b.From.Line != 7 {
		t.Errorf("stage 0: base %q name %q line %d", b.Base, b.Name, b.From.Line)
	}
	env := b.Instructions[0]
	if env.Cmd != "ENV" || env.Line != 8 || env.EndLine != 10 ||
		!reflect.DeepEqual(env.Args, []string{`GREETING="hello world"`, "OTHER=two"}) {
		t.Errorf("ENV %+v", env)
	}
	run := b.Instructions[1]
	if run.Cmd != "RUN" || run.JSON || len(run.Args) != 1 || run.Line != 11 || run.EndLine != 12 ||
		!strings.Contains(run.Args[0], "/greeting &&     echo done") {
		t.Errorf("RUN %+v", run)
	}
	cp := b.Instructions[3]
	if v, ok := cp.Flag("chown"); !ok || v != "1000:1000" || !reflect.DeepEqual(cp.Args, []string{"a.txt", "b.txt", "./"}) {
		t.Errorf("COPY %+v", cp)
	}
	s := df.Stages[1]
	if s.Base != "scratch" || s.Name != "" {
		t.Errorf("stage 1 %+v", s)
	}
	if v, _ := s.Instructions[0].Flag("from"); v != "build" {
		t.Errorf("COPY --from %q", v)
	}
	ep := s.Instructions[4]
	if ep.Cmd != "ENTRYPOINT" || !ep.JSON || !reflect.DeepEqual(ep.Args, []string{"/bin/app", "--flag"}) {
		t.Errorf("ENTRYPOINT %+v", ep)
	}
	if got := s.Instructions[2].Args; !reflect.DeepEqual(got, []string{"8080/tcp", "53/udp"}) {
		t.Errorf("EXPOSE %q", got)
	}
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		name, src string
		cmd       string
		args      []string
		json      bool
	}{
		{"run shell", "FROM a\nRUN echo hi", "RUN", []string{"echo hi"}, false},
		{"run exec", "FROM a\nRUN [\"/bin/echo\", \"hi\"]", "RUN", []string{"/bin/echo", "hi"}, true},
		{"run bad json is shell", "FROM a\nRUN [oops", "RUN", []string{"[oops"}, false},
		{"lower case keyword", "from a\nrun true", "RUN", []string{"true"}, false},
		{"env legacy", "FROM a\nENV PATH /usr/bin:/bin", "ENV", []string{"PATH=/usr/bin:/bin"}, false},
		{"env legacy spaces", "FROM a\nENV MSG hello   there", "ENV", []string{"MSG=hello   there"}, false},
		{"copy json", "FROM a\nCOPY [\"a b\", \"/c\"]", "COPY", []string{"a b", "/c"}, true},
		{"arg no default", "FROM a\nARG X", "ARG", []string{"X"}, false},
		{"workdir raw", "FROM a\nWORKDIR /a b", "WORKDIR", []string{"/a b"}, false},
		{"label quoted", "FROM a\nLABEL a='x y' b=\"z\"", "LABEL", []string{"a='x y'", `b="z"`}, false},
		{"backtick escape", "# escape=`\nFROM a\nRUN echo a `\n  b", "RUN", []string{"echo a   b"}, false},
		{"crlf", "FROM a\r\nUSER nobody\r\n", "USER", []string{"nobody"}, false},
		{"cmd empty json", "FROM a\nCMD []", "CMD", []string{}, true},
		{"shell", "FROM a\nSHELL [\"/bin/bash\", \"-c\"]", "SHELL", []string{"/bin/bash", "-c"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			df, err := Parse(strings.NewReader(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			in := df.Stages[0].Instructions[0]
			if in.Cmd != tc.cmd || in.JSON != tc.json || !reflect.DeepEqual(in.Args, tc.args) && !(len(in.Args) == 0 && len(tc.args) == 0) {
				t.Errorf("got %s %q json=%v, want %s %q json=%v", in.Cmd, in.Args, in.JSON, tc.cmd, tc.args, tc.json)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"no from", "# just a comment\n", 0, "no FROM"},
		{"before from", "\nRUN true\nFROM a", 2, "before the first FROM"},
		{"unknown", "FROM a\n\nFROBNICATE x", 3, "unknown instruction"},
		{"bad flag", "FROM a\nCOPY --frm=x a b", 2, "unknown flag --frm"},
		{"copy one arg", "FROM a\nCOPY a", 2, "source and a destination"},
		{"env no value", "FROM a\nENV X", 2, "needs a value"},
		{"label no eq", "FROM a\nLABEL a=b c", 2, `"c" is not KEY=VALUE`},
		{"from as missing", "FROM a AS", 1, "FROM IMAGE [AS NAME]"},
		{"from bad as", "FROM a BS b", 1, "FROM IMAGE [AS NAME]"},
		{"dup stage", "FROM a AS x\nFROM b AS X", 2, "already used at line 1"},
		{"bad stage name", "FROM a AS -x", 1, "invalid stage name"},
		{"unterminated quote", "FROM a\nENV A=\"x", 2, "unterminated"},
		{"empty run", "FROM a\nRUN", 2, "needs an argument"},
		{"shell form shell", "FROM a\nSHELL /bin/sh", 2, "JSON form"},
		{"bad escape", "# escape=x\nFROM a", 1, "escape directive"},
		{"continued line number", "FROM a\nRUN true\nCOPY \\\n  onlyone", 3, "source and a destination"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.src))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			var pe *Error
			if tc.line > 0 && (!errors.As(err, &pe) || pe.Line != tc.line) {
				t.Errorf("error %q: want line %d", err, tc.line)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "x", "EMPTY": "", "P": "/usr/bin"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	tests := []struct{ in, want, err string }{
		{"$A", "x", ""},
		{"${A}y", "xy", ""},
		{"pre$A.post", "prex.post", ""},
		{"$NOPE", "", ""},
		{"${NOPE:-def}", "def", ""},
		{"${EMPTY:-def}", "def", ""},
		{"${EMPTY-def}", "", ""},
		{"${A:+set}", "set", ""},
		{"${NOPE:+set}", "", ""},
		{"${NOPE:-$A}", "x", ""},
		{"'$A'", "$A", ""},
		{`"$A b"`, "x b", ""},
		{`\$A`, "$A", ""},
		{`"\$A"`, "$A", ""},
		{`"a\b"`, `a\b`, ""},
		{`a\ b`, "a b", ""},
		{"$", "$", ""},
		{"$1", "$1", ""},
		{"${A", "", "missing }"},
		{"${NOPE:?must be set}", "", "must be set"},
		{"${A%x}", "", "unsupported"},
		{`"open`, "", "unterminated"},
		{"$P:/bin", "/usr/bin:/bin", ""},
	}
	for _, tc := range tests {
		got, err := Expand(tc.in, '\\', lookup)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Expand(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	seed, _ := os.ReadFile("testdata/multistage.Dockerfile")
	f.Add(string(seed))
	f.Add("FROM a\nRUN [\"x\"]\nENV A=\"b c\" D='e'\n")
	f.Add("# escape=`\nFROM a\nRUN a `\n b\nCOPY --from=x [\"a\", \"b\"]\n")
	f.Add("ARG X=${Y:-z}\nFROM $X AS n\nLABEL a=b\n")
	f.Add("FROM a\nRUN <<EOF\necho $A\nEOF\nCOPY <<-'X' <<Y /d/\n\tx\n\tX\ny\nY\n")
	f.Add("FROM a\nHEALTHCHECK --interval=1s CMD [\"x\"]\nONBUILD RUN y\nHEALTHCHECK NONE\n")
	f.Fuzz(func(t *testing.T, src string) {
		df, err := Parse(strings.NewReader(src))
		if err != nil {
			var pe *Error
			if errors.As(err, &pe) && (pe.Line < 1 || pe.Line > strings.Count(src, "\n")+1) {
				t.Fatalf("error line %d out of range: %v", pe.Line, err)
			}
			return
		}
		if len(df.Stages) == 0 {
			t.Fatal("parsed without a stage")
		}
		lookup := func(string) (string, bool) { return "v", true }
		for _, st := range df.Stages {
			for _, in := range st.Instructions {
				if in.Line < 1 || in.EndLine < in.Line {
					t.Fatalf("bad line span %d-%d", in.Line, in.EndLine)
				}
				for _, a := range in.Args {
					Expand(a, df.Escape, lookup)
				}
			}
		}
	})
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"$A", "${A:-x}", "'$A'", `"\$A"`, "${A:+${B}}", "${", `a\`, "${A:?}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, w string) {
		out, err := Expand(w, '\\', func(k string) (string, bool) { return "", false })
		if err == nil && !strings.ContainsAny(w, `$'"\`) && out != w {
			t.Fatalf("Expand(%q) = %q: a word without specials changed", w, out)
		}
	})
}

func TestParseHealthcheckOnbuild(t *testing.T) {
	df, err := Parse(strings.NewReader(`FROM a
HEALTHCHECK --interval=5s --retries=3 CMD ["curl", "-f", "http://localhost/"]
HEALTHCHECK CMD wget -q -O- localhost || exit 1
HEALTHCHECK NONE
ONBUILD COPY . /app
onbuild run make
`))
	if err != nil {
		t.Fatal(err)
	}
	ins := df.Stages[0].Instructions
	if h := ins[0]; h.Sub != "CMD" || !h.JSON || len(h.Args) != 3 || len(h.Flags) != 2 {
		t.Errorf("exec healthcheck %+v", h)
	}
	if h := ins[1]; h.Sub != "CMD" || h.JSON || h.Args[0] != "wget -q -O- localhost || exit 1" {
		t.Errorf("shell healthcheck %+v", h)
	}
	if h := ins[2]; h.Sub != "NONE" || len(h.Args) != 0 {
		t.Errorf("healthcheck none %+v", h)
	}
	if o := ins[3]; o.Sub != "COPY" || o.Args[0] != "COPY . /app" {
		t.Errorf("onbuild %+v", o)
	}
	if o := ins[4]; o.Sub != "RUN" || o.Args[0] != "run make" {
		t.Errorf("onbuild lower case %+v", o)
	}
	for _, bad := range []string{"HEALTHCHECK", "HEALTHCHECK CMD", "HEALTHCHECK --interval=1s NONE", "HEALTHCHECK PING x", "HEALTHCHECK --bogus=1 CMD x",
		"ONBUILD", "ONBUILD FROM x", "ONBUILD ONBUILD RUN x", "ONBUILD FROB x"} {
		if _, err := Parse(strings.NewReader("FROM a\n" + bad + "\n")); err == nil {
			t.Errorf("%q accepted", bad)
		} else if !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: error %v does not name line 2", bad, err)
		}
	}
	in, err := ParseInstruction("RUN echo hi", 7, '\\')
	if err != nil || in.Cmd != "RUN" || in.Line != 7 {
		t.Errorf("ParseInstruction: %+v %v", in, err)
	}
	if _, err := ParseInstruction("FROM x", 1, '\\'); err == nil {
		t.Error("ParseInstruction accepted FROM")
	}
}

func TestParseHeredocs(t *testing.T) {
	src := "FROM a\nRUN <<EOF\necho one\necho two\nEOF\nRUN cat <<-\"END\" > /f\n\tliteral $X\n\tEND\nCOPY <<A <<B /dir/\na content\nA\nB\nRUN echo $((1<<2)) && cat <<<x\n"
	df, err := Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	ins := df.Stages[0].Instructions
	if len(ins) != 4 {
		t.Fatalf("%d instructions, want 4", len(ins))
	}
	if r := ins[0]; r.Line != 2 || r.EndLine != 5 || r.Args[0] != "echo one\necho two\n" {
		t.Errorf("bare heredoc RUN: lines %d-%d args %q", r.Line, r.EndLine, r.Args)
	}
	r := ins[1]
	if r.Line != 6 || r.EndLine != 8 || len(r.Heredocs) != 1 || r.Heredocs[0].Expand || !r.Heredocs[0].StripTabs ||
		r.Heredocs[0].Content != "literal $X\n" || r.Args[0] != "cat <<-\"END\" > /f\nliteral $X\nEND\n" {
		t.Errorf("RUN with a command and a quoted <<- heredoc: %+v", r)
	}
	c := ins[2]
	if c.Line != 9 || c.EndLine != 12 || len(c.Heredocs) != 2 || c.Heredocs[0].Content != "a content\n" || c.Heredocs[1].Content != "" ||
		!reflect.DeepEqual(c.Args, []string{"<<A", "<<B", "/dir/"}) {
		t.Errorf("COPY heredocs: %+v", c)
	}
	if r := ins[3]; r.Line != 13 || len(r.Heredocs) != 0 {
		t.Errorf("<< inside arithmetic or <<< taken for a heredoc: %+v", r)
	}
	if _, err := Parse(strings.NewReader("FROM a\nRUN <<EOF\necho never ends\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("unterminated heredoc: %v", err)
	}
}

func TestExpandHeredoc(t *testing.T) {
	lookup := func(k string) (string, bool) { return map[string]string{"A": "x"}[k], k == "A" }
	for in, want := range map[string]string{
		"a=$A \"${A}\" '$A'\n": "a=x \"x\" 'x'\n",
		`\$A \\ \q`:            `$A \ \q`,
		"${NOPE:-d}":           "d",
	} {
		if got, err := ExpandHeredoc(in, lookup); err != nil || got != want {
			t.Errorf("ExpandHeredoc(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
