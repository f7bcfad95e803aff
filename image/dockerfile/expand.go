package dockerfile

import (
	"fmt"
	"strings"
)

// Expand substitutes variables in one word and removes its quotes and
// escapes, the way Docker treats the arguments of ENV, ARG, LABEL, COPY,
// ADD, WORKDIR, USER, EXPOSE and FROM: $NAME and ${NAME}, ${NAME:-word}
// (word when NAME is unset or empty), ${NAME-word} (when unset),
// ${NAME:+word} and ${NAME+word} (word when set), ${NAME:?message} (an
// error when unset or empty). Single quotes are literal; inside double
// quotes only the escape character before ", $ or itself is special.
// lookup returns a variable's value and whether it is set.
func Expand(word string, escape byte, lookup func(string) (string, bool)) (string, error) {
	var out strings.Builder
	var quote byte
	for i := 0; i < len(word); i++ {
		c := word[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
				continue
			}
			out.WriteByte(c)
		case c == escape:
			if i+1 >= len(word) {
				out.WriteByte(c)
				continue
			}
			n := word[i+1]
			if quote == '"' && n != '"' && n != '$' && n != escape {
				out.WriteByte(c)
				continue
			}
			out.WriteByte(n)
			i++
		case c == '"' && quote == '"':
			quote = 0
		case (c == '"' || c == '\'') && quote == 0:
			quote = c
		case c == '$':
			val, n, err := expandVar(word[i:], escape, lookup)
			if err != nil {
				return "", err
			}
			out.WriteString(val)
			i += n - 1
		default:
			out.WriteByte(c)
		}
	}
	if quote != 0 {
		return "", fmt.Errorf("%q: unterminated %c quote", word, quote)
	}
	return out.String(), nil
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// expandVar expands the $... reference at the start of s and returns its
// value and the number of bytes it used.
func expandVar(s string, escape byte, lookup func(string) (string, bool)) (string, int, error) {
	if len(s) < 2 {
		return "$", 1, nil
	}
	if s[1] != '{' {
		j := 1
		for j < len(s) && isNameByte(s[j], j == 1) {
			j++
		}
		if j == 1 {
			return "$", 1, nil
		}
		v, _ := lookup(s[1:j])
		return v, j, nil
	}
	// ${...}: find the matching brace.
	depth := 0
	end := -1
	for j := 1; j < len(s) && end < 0; j++ {
		switch s[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				end = j
			}
		}
	}
	if end < 0 {
		return "", 0, fmt.Errorf("%q: missing } in variable reference", s)
	}
	body := s[2:end]
	j := 0
	for j < len(body) && isNameByte(body[j], j == 0) {
		j++
	}
	name := body[:j]
	if name == "" {
		return "", 0, fmt.Errorf("%q: bad variable name", s[:end+1])
	}
	v, set := lookup(name)
	op := body[j:]
	if op == "" {
		return v, end + 1, nil
	}
	colon := strings.HasPrefix(op, ":")
	if colon {
		op = op[1:]
	}
	if op == "" {
		return "", 0, fmt.Errorf("%q: missing operator after :", s[:end+1])
	}
	arg := op[1:]
	present := set && (!colon || v != "")
	switch op[0] {
	case '-':
		if present {
			return v, end + 1, nil
		}
		w, err := Expand(arg, escape, lookup)
		return w, end + 1, err
	case '+':
		if !present {
			return "", end + 1, nil
		}
		w, err := Expand(arg, escape, lookup)
		return w, end + 1, err
	case '?':
		if present {
			return v, end + 1, nil
		}
		msg := arg
		if msg == "" {
			msg = "is not set"
		}
		return "", 0, fmt.Errorf("variable %s: %s", name, msg)
	}
	return "", 0, fmt.Errorf("%q: unsupported variable operator %q", s[:end+1], op)
}

// ExpandHeredoc substitutes variables in a heredoc's content as a shell
// does in an unquoted here-document: $NAME and ${…} forms are expanded
// and a backslash quotes $, ` and itself; quotes are kept as they are.
func ExpandHeredoc(content string, lookup func(string) (string, bool)) (string, error) {
	var out strings.Builder
	for i := 0; i < len(content); i++ {
		c := content[i]
		switch {
		case c == '\\' && i+1 < len(content) && (content[i+1] == '$' || content[i+1] == '`' || content[i+1] == '\\'):
			out.WriteByte(content[i+1])
			i++
		case c == '$':
			val, n, err := expandVar(content[i:], '\\', lookup)
			if err != nil {
				return "", err
			}
			out.WriteString(val)
			i += n - 1
		default:
			out.WriteByte(c)
		}
	}
	return out.String(), nil
}
