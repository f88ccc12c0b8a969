package extractive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/extractive"
)

// fixture is one passage of the test corpus.
type fixture struct {
	doc, title, path string
	chunk, of        int
	text             string
}

func (f fixture) key() string { return fmt.Sprintf("%s#%d", f.doc, f.chunk) }

var corpus = []fixture{
	{doc: "aa11bb22cc33", title: "A Guide to the Go Garbage Collector", path: "doc/gc-guide.html", chunk: 3, of: 9,
		text: "The Go garbage collector is a concurrent mark-and-sweep collector. It runs concurrently with the\nprogram, so most of its work does not stop the world. Pause times are typically well under a millisecond."},
	{doc: "aa11bb22cc33", title: "A Guide to the Go Garbage Collector", path: "doc/gc-guide.html", chunk: 4, of: 9,
		text: "The GOGC environment variable sets the garbage collection target percentage. A value of 100 means the heap may grow to twice the live heap before the next collection. Setting GOGC=off disables the collector entirely."},
	{doc: "aa11bb22cc33", title: "A Guide to the Go Garbage Collector", path: "doc/gc-guide.html", chunk: 5, of: 9,
		text: "The memory limit, set with GOMEMLIMIT, caps the total memory the Go runtime uses. When the limit is near, the garbage collector runs more often to stay under it.\n\n```go\ndebug.SetMemoryLimit(1 << 30)\n```"},
	{doc: "dd44ee55ff66", title: "Go 1.5 release notes", path: "doc/go1.5.html", chunk: 2, of: 6,
		text: "Go 1.5 replaced the stop-the-world garbage collector with a concurrent one. The new collector reduced pause times from hundreds of milliseconds to under ten milliseconds in most programs. the rest of this paragraph was cut"},
	{doc: "0a1b2c3d4e5f", title: "Escape analysis", path: "doc/escape.md", chunk: 0, of: 3,
		text: "Escape analysis decides whether a value can live on the stack. Values that do not escape are not managed by the garbage collector, which reduces allocation pressure.\n    x := new(int)"},
	{doc: "0a1b2c3d4e5f", title: "Escape analysis", path: "doc/escape.md", chunk: 1, of: 3,
		text: "The compiler reports its escape decisions with the -gcflags=-m flag. Heap allocations that could be avoided show up in profiles as calls to runtime.newobject."},
}

// searchResult renders passages exactly as the corpus search tool does.
func searchResult(q string, ps ...fixture) string {
	if len(ps) == 0 {
		return fmt.Sprintf("No passages found for %q.", q)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Found %d passages for %q:\n", len(ps), q)
	for _, p := range ps {
		fmt.Fprintf(&b, "\n[%s] %s — %s\n%s\n", p.key(), p.title, p.path, p.text)
	}
	return b.String()
}

// readResult renders chunks as read_document does.
func readResult(ps ...fixture) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Document %s: %s — %s (chunks %d-%d of %d)\n", ps[0].doc, ps[0].title, ps[0].path, ps[0].chunk, ps[len(ps)-1].chunk, ps[0].of)
	for _, p := range ps {
		fmt.Fprintf(&b, "\n[%s]\n%s\n", p.key(), p.text)
	}
	return b.String()
}

// search runs a query over the corpus: passages sharing a word of four
// letters or more with it, in corpus order, at most k.
func search(q string, k int) []fixture {
	var out []fixture
	for _, f := range corpus {
		for _, w := range strings.Fields(strings.ToLower(q)) {
			w = strings.Trim(w, "?.,'\"")
			if len(w) >= 4 && strings.Contains(strings.ToLower(f.title+" "+f.text), w) {
				out = append(out, f)
				break
			}
		}
		if k > 0 && len(out) == k {
			break
		}
	}
	return out
}

// runTool executes a researcher tool call against the corpus.
func runTool(t *testing.T, c llm.ToolCall) llm.ToolResult {
	t.Helper()
	var a struct {
		Query  string `json:"query"`
		K      int    `json:"k"`
		ID     string `json:"id"`
		Offset int    `json:"offset"`
		Limit  int    `json:"limit"`
	}
	require.NoError(t, c.DecodeArgs(&a))
	res := llm.ToolResult{CallID: c.ID, Name: c.Name}
	switch c.Name {
	case "search":
		res.Content = searchResult(a.Query, search(a.Query, a.K)...)
	case "read_document":
		var ps []fixture
		for _, f := range corpus {
			if f.doc == a.ID && f.chunk >= a.Offset && f.chunk < a.Offset+a.Limit {
				ps = append(ps, f)
			}
		}
		if len(ps) == 0 {
			res.Content, res.IsError = "no such document", true
		} else {
			res.Content = readResult(ps...)
		}
	default:
		t.Fatalf("unexpected tool %q", c.Name)
	}
	return res
}

var researcherTools = []llm.ToolDef{
	{Name: "search", Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"},"k":{"type":"integer"}},"required":["query"]}`)},
	{Name: "read_document", Parameters: json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"},"offset":{"type":"integer"},"limit":{"type":"integer"}},"required":["id"]}`)},
	{Name: "think", Parameters: json.RawMessage(`{"type":"object","properties":{"thought":{"type":"string"}}}`)},
}

var supervisorTools = []llm.ToolDef{
	{Name: "conduct_research", Parameters: json.RawMessage(`{"type":"object","properties":{"topic":{"type":"string"}},"required":["topic"]}`)},
	{Name: "think", Parameters: json.RawMessage(`{"type":"object","properties":{"thought":{"type":"string"}}}`)},
	{Name: "research_complete", Parameters: json.RawMessage(`{"type":"object","properties":{}}`)},
}

// runResearcher drives the researcher loop to its answer, like
// context/isolate does, and returns the transcript and the answer.
func runResearcher(t *testing.T, m llm.Model, topic string, exec func(llm.ToolCall) llm.ToolResult) ([]llm.Message, string) {
	t.Helper()
	msgs := []llm.Message{llm.System("You are a researcher."), llm.User(topic)}
	for range 20 {
		resp, err := m.Generate(context.Background(), llm.Request{Role: llm.CallResearcher, Messages: msgs, Tools: researcherTools})
		require.NoError(t, err)
		msgs = append(msgs, resp.Message)
		calls := resp.Message.ToolCalls()
		if len(calls) == 0 {
			require.Equal(t, llm.FinishStop, resp.FinishReason)
			return msgs, resp.Message.Text()
		}
		require.Equal(t, llm.FinishToolCalls, resp.FinishReason)
		for _, c := range calls {
			msgs = append(msgs, llm.Tool(exec(c)))
		}
	}
	t.Fatal("the researcher never answered")
	return nil, ""
}

var keyPattern = regexp.MustCompile(`\[([A-Za-z0-9_.-]+#\d+)\]`)

// newModel is shared: the tokenizer is built once per process anyway.
var model = extractive.New(extractive.Options{})

func generate(t *testing.T, req llm.Request) llm.Response {
	t.Helper()
	resp, err := model.Generate(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, "extractive", resp.Model)
	require.Positive(t, resp.Usage.Input)
	return resp
}

func section(name, body string) string { return "# " + name + "\n" + strings.TrimSpace(body) + "\n" }

func bullets(items ...string) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString("- " + it + "\n")
	}
	return b.String()
}

// bodySentences returns the report's body lines (not headings, not
// blank).
func bodyLines(report string) []string {
	var out []string
	for _, l := range strings.Split(report, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			out = append(out, t)
		}
	}
	return out
}
