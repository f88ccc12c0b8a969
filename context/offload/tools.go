package offload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
)

// Names of the tools Tools returns.
const (
	ReadToolName   = "read_artifact"
	SearchToolName = "search_artifacts"
)

// Limits of the tools, in bytes of artifact text and in hits.
const (
	// DefaultReadLimit is what read_artifact returns when the model gives
	// no limit: about 2,000 tokens of English.
	DefaultReadLimit = 8000
	// MaxReadLimit caps read_artifact's limit, so one call cannot flood
	// the context with a whole artifact.
	MaxReadLimit = 32000
	// MaxSearchK caps search_artifacts' k.
	MaxSearchK = 20
)

// Tool is a tool an agent can offer a model: its definition and the
// function that runs a call of it. It mirrors the shape agent/tool
// expects without importing it (context packages sit below agent/tool);
// adapt it there.
type Tool struct {
	// Def is what the model sees.
	Def llm.ToolDef
	// Run executes a call. It never panics and never returns a Go error:
	// failures, such as malformed arguments or an unknown handle, come
	// back as a result with IsError set and a message for the model.
	Run func(ctx context.Context, call llm.ToolCall) llm.ToolResult
}

// Tools returns read_artifact and search_artifacts over store, the tools
// that bring offloaded content back:
//
//	read_artifact(handle, offset=0, limit=8000)  a byte range of an artifact
//	search_artifacts(query, k=5)                 the passages closest to query
func Tools(store *Store) []Tool {
	return []Tool{
		{Def: readDef, Run: guard(ReadToolName, `{"handle": "art_0123456789abcdef", "offset": 0, "limit": 8000}`, func(ctx context.Context, c llm.ToolCall) (string, error) { return runRead(ctx, store, c) })},
		{Def: searchDef, Run: guard(SearchToolName, `{"query": "words to find", "k": 5}`, func(ctx context.Context, c llm.ToolCall) (string, error) { return runSearch(ctx, store, c) })},
	}
}

var readDef = llm.ToolDef{
	Name: ReadToolName,
	Description: "Read part of an offloaded tool result (an artifact) by its handle. " +
		"Offsets and limits count bytes of the text; each answer says the offset to read from next.",
	Parameters: json.RawMessage(`{"type":"object","properties":{` +
		`"handle":{"type":"string","pattern":"^art_[0-9a-f]{16}$","description":"The artifact handle, as shown where the content was offloaded, e.g. art_0123456789abcdef."},` +
		`"offset":{"type":"integer","minimum":0,"description":"Byte offset to start reading at. Defaults to 0."},` +
		fmt.Sprintf(`"limit":{"type":"integer","minimum":1,"maximum":%d,"description":"Maximum bytes to return. Defaults to %d."}`, MaxReadLimit, DefaultReadLimit) +
		`},"required":["handle"],"additionalProperties":false}`),
}

var searchDef = llm.ToolDef{
	Name: SearchToolName,
	Description: "Search every offloaded tool result (artifact) for passages about a query. " +
		"Returns handles and byte offsets to pass to " + ReadToolName + ".",
	Parameters: json.RawMessage(`{"type":"object","properties":{` +
		`"query":{"type":"string","description":"Words or a phrase to look for."},` +
		fmt.Sprintf(`"k":{"type":"integer","minimum":1,"maximum":%d,"description":"Number of passages to return. Defaults to %d."}`, MaxSearchK, DefaultSearchK) +
		`},"required":["query"],"additionalProperties":false}`),
}

type readArgs struct {
	Handle *string  `json:"handle"`
	Offset *float64 `json:"offset"`
	Limit  *float64 `json:"limit"`
}

type searchArgs struct {
	Query *string  `json:"query"`
	K     *float64 `json:"k"`
}

func runRead(_ context.Context, store *Store, call llm.ToolCall) (string, error) {
	var a readArgs
	if err := call.DecodeArgs(&a); err != nil {
		return "", err
	}
	if a.Handle == nil {
		return "", errors.New(`missing required argument "handle"`)
	}
	h, err := ParseHandle(strings.TrimSpace(*a.Handle))
	if err != nil {
		return "", err
	}
	offset, err := intArg("offset", a.Offset, 0, 0, math.MaxInt32)
	if err != nil {
		return "", err
	}
	limit, err := intArg("limit", a.Limit, DefaultReadLimit, 1, MaxReadLimit)
	if err != nil {
		return "", err
	}
	sl, err := store.Read(h, offset, limit)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[artifact %s, bytes %d-%d of %d", h, sl.Offset, sl.Next, sl.Total)
	if sl.More {
		fmt.Fprintf(&b, "; more follows: %s(handle=%q, offset=%d)]\n", ReadToolName, h, sl.Next)
	} else {
		b.WriteString("; end of artifact]\n")
	}
	b.WriteString(sl.Text)
	return b.String(), nil
}

func runSearch(ctx context.Context, store *Store, call llm.ToolCall) (string, error) {
	var a searchArgs
	if err := call.DecodeArgs(&a); err != nil {
		return "", err
	}
	if a.Query == nil || strings.TrimSpace(*a.Query) == "" {
		return "", errors.New(`missing required argument "query"`)
	}
	k, err := intArg("k", a.K, DefaultSearchK, 1, MaxSearchK)
	if err != nil {
		return "", err
	}
	hits, err := store.Search(ctx, *a.Query, k)
	if err != nil {
		return "", err
	}
	if len(hits) == 0 {
		return fmt.Sprintf("No artifact passages match %q.", *a.Query), nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d passages for %q, best first; read one with %s(handle, offset, limit):\n", len(hits), *a.Query, ReadToolName)
	for i, hit := range hits {
		fmt.Fprintf(&b, "%d. handle=%s offset=%d limit=%d score=%.3f\n   %s\n", i+1, hit.Handle, hit.Offset, hit.Length, hit.Score, hit.Preview)
	}
	return b.String(), nil
}

// intArg validates an optional integer argument the model may have sent
// as a JSON number of any form (8000, 8000.0, 8e3).
func intArg(name string, v *float64, def, lo, hi int) (int, error) {
	if v == nil {
		return def, nil
	}
	x := *v
	if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, fmt.Errorf("argument %q must be a whole number, not %v", name, x)
	}
	if x < float64(lo) {
		return 0, fmt.Errorf("argument %q must be at least %d, not %v", name, lo, x)
	}
	return int(min(x, float64(hi))), nil
}

// guard turns a tool function into a Run: errors and panics become error
// results the model can read.
func guard(name, example string, run func(context.Context, llm.ToolCall) (string, error)) func(context.Context, llm.ToolCall) llm.ToolResult {
	return func(ctx context.Context, call llm.ToolCall) (res llm.ToolResult) {
		res = llm.ToolResult{CallID: call.ID, Name: name}
		defer func() {
			if r := recover(); r != nil {
				res.Content, res.IsError = fmt.Sprintf("%s failed: internal error: %v", name, r), true
			}
		}()
		out, err := run(ctx, call)
		if err != nil {
			res.Content, res.IsError = fmt.Sprintf("%s failed: %v", name, modelMessage(err, example)), true
			return res
		}
		res.Content = out
		return res
	}
}

// modelMessage phrases err for a model; malformed arguments get an
// example of well-formed ones so the model can correct itself.
func modelMessage(err error, example string) string {
	var mal *llm.MalformedOutputError
	if errors.As(err, &mal) {
		return mal.Error() + "; expected a JSON object such as " + example
	}
	return err.Error()
}
