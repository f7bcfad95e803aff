// Command interp runs a tiny stack-machine interpreter, regular
// expressions, JSON and text/template.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"text/template"
)

type op struct {
	code string
	arg  int
}

// run executes a program for a simple stack machine.
func run(prog []op) []int {
	var st, out []int
	vars := map[int]int{}
	for pc := 0; pc < len(prog); pc++ {
		o := prog[pc]
		switch o.code {
		case "push":
			st = append(st, o.arg)
		case "load":
			st = append(st, vars[o.arg])
		case "store":
			vars[o.arg] = st[len(st)-1]
			st = st[:len(st)-1]
		case "add", "sub", "mul", "mod", "lt":
			b, a := st[len(st)-1], st[len(st)-2]
			st = st[:len(st)-2]
			var r int
			switch o.code {
			case "add":
				r = a + b
			case "sub":
				r = a - b
			case "mul":
				r = a * b
			case "mod":
				r = a % b
			case "lt":
				if a < b {
					r = 1
				}
			}
			st = append(st, r)
		case "jz":
			v := st[len(st)-1]
			st = st[:len(st)-1]
			if v == 0 {
				pc = o.arg - 1
			}
		case "jmp":
			pc = o.arg - 1
		case "print":
			out = append(out, st[len(st)-1])
			st = st[:len(st)-1]
		}
	}
	return out
}

func parse(src string) []op {
	var prog []op
	for _, line := range strings.Split(strings.TrimSpace(src), "\n") {
		var o op
		f := strings.Fields(line)
		o.code = f[0]
		if len(f) > 1 {
			fmt.Sscan(f[1], &o.arg)
		}
		prog = append(prog, o)
	}
	return prog
}

// sum of (i*i mod 7) for i < 200000
const src = `
push 0
store 0
push 0
store 1
load 0
push 200000
lt
jz 21
load 1
load 0
load 0
mul
push 7
mod
add
store 1
load 0
push 1
add
store 0
jmp 4
load 1
print
`

func main() {
	prog := parse(src)
	fmt.Println("interp", run(prog))

	re := regexp.MustCompile(`(\w+)@(\w+)\.(com|org|net)`)
	text := strings.Repeat("mail alice@example.com and bob@test.org, not carol@bad.xyz; dave@host.net. ", 200)
	ms := re.FindAllStringSubmatch(text, -1)
	fmt.Println("matches", len(ms), ms[0], ms[3])
	fmt.Println(re.ReplaceAllString(text[:80], "<$2:$1>"))
	re2 := regexp.MustCompile(`^(a+)+b?c*[^x]{2,5}$`)
	fmt.Println(re2.MatchString("aaaaaaaaaaaaaaaaaaaaaaaaccqqq"), re2.MatchString("aaaaaaaaaaaaaaaaaaaaaaaax"))

	type Item struct {
		Name  string            `json:"name"`
		Price float64           `json:"price"`
		Tags  []string          `json:"tags,omitempty"`
		Attrs map[string]string `json:"attrs"`
	}
	items := []Item{{"widget", 9.99, []string{"a", "b"}, map[string]string{"z": "1", "a": "2"}}, {"gadget", 1e21, nil, nil}}
	b, _ := json.Marshal(items)
	fmt.Println(string(b))
	var back []Item
	if err := json.Unmarshal(b, &back); err != nil {
		fmt.Println("error", err)
	}
	fmt.Printf("%+v\n", back)
	var anyv any
	json.Unmarshal([]byte(`{"a":[1,2,{"b":null}],"c":"\u00e9\n","d":1.5e3}`), &anyv)
	fmt.Printf("%v\n", anyv)

	t2 := template.Must(template.New("t").Funcs(template.FuncMap{"up": strings.ToUpper, "join": func(s []string) string { return strings.Join(s, "+") }}).Parse(
		`{{range $i, $e := .}}{{$i}}:{{up $e.Name}}={{printf "%.2f" $e.Price}}{{if $e.Tags}} tags={{join $e.Tags}}{{end}}
{{end}}`))
	if err := t2.Execute(os.Stdout, items); err != nil {
		fmt.Println("template error", err)
	}
}
