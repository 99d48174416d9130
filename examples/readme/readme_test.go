package readme

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blocks are the packages the README shows in a few lines, one snippet
// file each, in the README's order.
var blocks = []string{"httpx", "health", "resilience", "migrate", "auth", "crud", "ratelimit",
	"jobs", "email", "storage", "webhooks", "ai", "billing", "iap", "featureflags"}

// The snippets that only compile (they need PostgreSQL, Redis or Stripe).
var _ = []any{healthSnippet, migrateSnippet, billingSnippet}

// TestREADMESnippets fails when README.md does not show a snippet file
// verbatim in a ```go block under the heading "### <block>", or shows a
// ```go block that no file provides.
func TestREADMESnippets(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	snippets := loadSnippets(t, ".")
	names := make([]string, 0, len(snippets))
	for name := range snippets {
		names = append(names, name)
	}
	require.ElementsMatch(t, blocks, names, "one snippet file per block")
	for _, problem := range checkREADME(string(readme), snippets) {
		t.Error(problem)
	}
}

func TestCheckREADME(t *testing.T) {
	t.Parallel()
	snippets := map[string]string{"httpx": "import \"net/http\"\n\nmux := http.NewServeMux()"}
	block := "```go\nimport \"net/http\"\n\nmux := http.NewServeMux()\n```\n"
	tests := []struct {
		name   string
		readme string
		want   []string // substrings of the problems, in order
	}{
		{name: "in step", readme: "# R\n\n### httpx\n\n" + block},
		{name: "snippet missing", readme: "# R\n\n### httpx\n\nnothing\n", want: []string{`"httpx" is not shown`}},
		{name: "snippet edited", readme: "### httpx\n\n```go\nimport \"net/http\"\n\nmux := new(http.ServeMux)\n```\n",
			want: []string{`block under "httpx" matches no snippet`, `"httpx" is not shown`}},
		{name: "under another heading", readme: "### health\n\n" + block,
			want: []string{`block under "health" matches no snippet`, `"httpx" is not shown`}},
		{name: "extra go block", readme: "### httpx\n\n" + block + "\n```go\nfmt.Println()\n```\n",
			want: []string{`block under "httpx" matches no snippet`}},
		{name: "sh blocks are not go", readme: "### httpx\n\n" + block + "\n```sh\ngo run .\n```\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := checkREADME(tt.readme, snippets)
			require.Len(t, got, len(tt.want), "%q", got)
			for i, w := range tt.want {
				assert.Contains(t, got[i], w)
			}
		})
	}
}

func TestLoadSnippet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     string
		want    string
		wantErr string
	}{
		{
			name: "imports, declarations and the dedented body",
			src: "package readme\n\nimport \"net/http\"\n\ntype x int\n\nfunc s(mux *http.ServeMux) {\n" +
				"\t// given: mux *http.ServeMux\n\tmux.HandleFunc(\"/\", func(http.ResponseWriter, *http.Request) {\n\t\t_ = x(1)\n\t})\n}\n",
			want: "import \"net/http\"\n\ntype x int\n\n// given: mux *http.ServeMux\n" +
				"mux.HandleFunc(\"/\", func(http.ResponseWriter, *http.Request) {\n\t_ = x(1)\n})",
		},
		{
			name:    "given line out of step with the parameters",
			src:     "package readme\n\nimport \"net/http\"\n\nfunc s(mux *http.ServeMux, n int) {\n\t// given: mux *http.ServeMux\n\t_ = mux\n}\n",
			wantErr: `first line must be "// given: mux *http.ServeMux, n int"`,
		},
		{
			name:    "no function",
			src:     "package readme\n\nvar x = 1\n",
			wantErr: "one function without a receiver",
		},
		{
			name:    "declarations after the function",
			src:     "package readme\n\nfunc s() {\n\t// given: nothing\n}\n\nvar x = 1\n",
			wantErr: "must be the last declaration",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := snippetOf("x.go", []byte(tt.src))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// checkREADME lists what keeps readme and snippets (block name → text)
// apart: a snippet not shown verbatim in a ```go block under its "###"
// heading, and a ```go block that is no snippet.
func checkREADME(readme string, snippets map[string]string) []string {
	var problems []string
	shown := map[string]bool{}
	for _, b := range fencedBlocks(readme, "go") {
		if want, ok := snippets[b.heading]; ok && b.text == want {
			shown[b.heading] = true
			continue
		}
		problems = append(problems, fmt.Sprintf("README.md: the ```go block under %q matches no snippet file of examples/readme:\n%s", b.heading, b.text))
	}
	names := make([]string, 0, len(snippets))
	for name := range snippets {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !shown[name] {
			problems = append(problems, fmt.Sprintf("README.md: snippet %q is not shown verbatim in a ```go block under \"### %s\"; it reads:\n%s",
				name, name, snippets[name]))
		}
	}
	return problems
}

// fenced is one fenced code block of a Markdown text, with the nearest
// heading above it (without its #s) and the section (## heading) it is in.
type fenced struct {
	heading, section, text string
}

// fencedBlocks returns the blocks of md fenced as ```lang.
func fencedBlocks(md, lang string) []fenced {
	var out []fenced
	var heading, section string
	var cur []string
	in, keep := false, false
	for line := range strings.SplitSeq(md, "\n") {
		switch {
		case !in && strings.HasPrefix(line, "```"):
			in, keep, cur = true, strings.TrimPrefix(line, "```") == lang, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			if keep {
				out = append(out, fenced{heading: heading, section: section, text: strings.Join(cur, "\n")})
			}
		case in:
			cur = append(cur, line)
		case strings.HasPrefix(line, "#"):
			heading = strings.TrimSpace(strings.TrimLeft(line, "#"))
			if strings.HasPrefix(line, "## ") {
				section = heading
			}
		}
	}
	return out
}

// loadSnippets reads every snippet file of dir: name (the file's name
// without .go) → snippet.
func loadSnippets(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	out := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || filepath.Base(f) == "doc.go" {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		s, err := snippetOf(f, src)
		require.NoError(t, err)
		out[strings.TrimSuffix(filepath.Base(f), ".go")] = s
	}
	return out
}

// snippetOf is the snippet of one file: everything after the package
// clause up to its one function, then that function's body dedented by one
// tab. The body's first line must be "// given: " and the function's
// parameters, so the README says what the snippet takes as given.
func snippetOf(name string, src []byte) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return "", err
	}
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		if d, ok := d.(*ast.FuncDecl); ok && d.Recv == nil {
			if fn != nil {
				return "", fmt.Errorf("%s: more than one function without a receiver", name)
			}
			fn = d
		}
	}
	if fn == nil {
		return "", fmt.Errorf("%s: want one function without a receiver, the snippet", name)
	}
	if f.Decls[len(f.Decls)-1] != fn {
		return "", fmt.Errorf("%s: the snippet's function %s must be the last declaration", name, fn.Name)
	}
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	start := off(f.Name.End())
	head := strings.TrimSpace(string(src[start:off(fn.Pos())]))

	var lines []string
	for line := range strings.SplitSeq(strings.Trim(string(src[off(fn.Body.Lbrace)+1:off(fn.Body.Rbrace)]), "\n"), "\n") {
		if line != "" && !strings.HasPrefix(line, "\t") {
			return "", fmt.Errorf("%s: body line %q is not indented by a tab", name, line)
		}
		lines = append(lines, strings.TrimPrefix(line, "\t"))
	}

	var params []string
	for _, p := range fn.Type.Params.List {
		typ := string(src[off(p.Type.Pos()):off(p.Type.End())])
		for _, n := range p.Names {
			params = append(params, n.Name+" "+typ)
		}
	}
	given := "// given: " + strings.Join(params, ", ")
	if len(params) == 0 {
		given = "// given: nothing"
	}
	if lines[0] != given {
		return "", fmt.Errorf("%s: the body's first line must be %q, got %q", name, given, lines[0])
	}
	body := strings.Join(lines, "\n")
	if head == "" {
		return body, nil
	}
	return head + "\n\n" + body, nil
}
