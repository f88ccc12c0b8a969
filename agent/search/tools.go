package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/window"
)

// Names of the tools Tools returns.
const (
	SearchToolName = "search"
	ReadToolName   = "read_document"
)

// Limits of the tools.
const (
	// MaxToolK caps the search tool's k.
	MaxToolK = 20
	// DefaultReadLimit is how many passages read_document returns when
	// the model gives no limit; MaxReadLimit caps it.
	DefaultReadLimit = 3
	MaxReadLimit     = 10
)

// ToolOptions configures Tools.
type ToolOptions struct {
	// OnHit, if set, is called for every passage a tool returns to the
	// model, in the order returned: search hits with their scores, and
	// read_document passages with Score 0. The research agent uses it to
	// learn which sources a researcher saw. It must be safe for
	// concurrent use if the tools are. Optional. Defaults to nil.
	OnHit func(Hit)
}

// Tools returns the search and read_document tools over idx, for
// agents. Their output layout is documented in the package doc; the
// offline engine parses it. Malformed arguments and unknown documents
// come back as results with IsError set, never as panics.
func Tools(idx *Index, opts ToolOptions) []window.Tool {
	return []window.Tool{
		{Def: searchDef, Run: guard(SearchToolName, func(ctx context.Context, c llm.ToolCall) (string, error) {
			return runSearch(ctx, idx, opts, c)
		})},
		{Def: readDef, Run: guard(ReadToolName, func(ctx context.Context, c llm.ToolCall) (string, error) {
			return runRead(idx, opts, c)
		})},
	}
}

var searchDef = llm.ToolDef{
	Name: SearchToolName,
	Description: "Search the local document corpus (hybrid keyword + semantic search). " +
		"Returns the best-matching passages, each headed by its citation key [docid#chunk], the document title and path. " +
		"Cite passages by their key. Use read_document to read around a passage.",
	Parameters: json.RawMessage(`{
  "type": "object",
  "properties": {
    "query": {"type": "string", "description": "What to look for: keywords or a question."},
    "k": {"type": "integer", "minimum": 1, "maximum": 20, "description": "Number of passages to return (default 5)."}
  },
  "required": ["query"],
  "additionalProperties": false
}`),
}

var readDef = llm.ToolDef{
	Name: ReadToolName,
	Description: "Read consecutive passages of one document, by document ID or by a passage key docid#chunk from search results. " +
		"The header says which passages were returned and how many the document has; read on with a larger offset.",
	Parameters: json.RawMessage(`{
  "type": "object",
  "properties": {
    "id": {"type": "string", "description": "A document ID (12 hex digits) or a passage key like 3fa9c2e01b7d#12."},
    "offset": {"type": "integer", "minimum": 0, "description": "First passage to return, from 0 (default 0, or the key's passage)."},
    "limit": {"type": "integer", "minimum": 1, "maximum": 10, "description": "Number of passages to return (default 3)."}
  },
  "required": ["id"],
  "additionalProperties": false
}`),
}

// guard turns a tool body into a window.Tool's Run: it names the call in
// the result, turns errors into error results and recovers panics.
func guard(name string, body func(context.Context, llm.ToolCall) (string, error)) func(context.Context, llm.ToolCall) llm.ToolResult {
	return func(ctx context.Context, call llm.ToolCall) (res llm.ToolResult) {
		res = llm.ToolResult{CallID: call.ID, Name: call.Name}
		if res.Name == "" {
			res.Name = name
		}
		defer func() {
			if r := recover(); r != nil {
				res.Content = fmt.Sprintf("%s failed unexpectedly: %v", name, r)
				res.IsError = true
			}
		}()
		out, err := body(ctx, call)
		if err != nil {
			res.Content, res.IsError = fmt.Sprintf("%s: %v", name, strings.TrimPrefix(err.Error(), "search: ")), true
			return res
		}
		res.Content = out
		return res
	}
}

// decodeArgs decodes a call's JSON object of arguments into v, with a
// message the model can act on when they are malformed.
func decodeArgs(call llm.ToolCall, v any, example string) error {
	if len(strings.TrimSpace(string(call.Args))) == 0 {
		return fmt.Errorf("missing arguments; expected a JSON object like %s", example)
	}
	if err := call.DecodeArgs(v); err != nil {
		return fmt.Errorf("malformed arguments (%v); expected a JSON object like %s", err, example)
	}
	return nil
}

func runSearch(ctx context.Context, idx *Index, opts ToolOptions, call llm.ToolCall) (string, error) {
	const example = `{"query": "garbage collector", "k": 5}`
	var args struct {
		Query string `json:"query"`
		K     *int   `json:"k"`
	}
	if err := decodeArgs(call, &args, example); err != nil {
		return "", err
	}
	q := strings.TrimSpace(args.Query)
	if q == "" {
		return "", fmt.Errorf(`"query" is required and must not be empty; expected a JSON object like %s`, example)
	}
	k := DefaultK
	if args.K != nil {
		if *args.K < 1 || *args.K > MaxToolK {
			return "", fmt.Errorf(`"k" must be between 1 and %d, got %d`, MaxToolK, *args.K)
		}
		k = *args.K
	}
	hits, err := idx.Search(ctx, q, k)
	if err != nil {
		return "", err
	}
	return formatHits(q, hits, opts.OnHit), nil
}

// formatHits renders search results in the layout the package doc
// specifies.
func formatHits(query string, hits []Hit, onHit func(Hit)) string {
	if len(hits) == 0 {
		return fmt.Sprintf("No passages found for %q.", query)
	}
	var b strings.Builder
	noun := "passages"
	if len(hits) == 1 {
		noun = "passage"
	}
	fmt.Fprintf(&b, "Found %d %s for %q:\n", len(hits), noun, query)
	for _, h := range hits {
		fmt.Fprintf(&b, "\n[%s] %s — %s\n%s\n", h.Key(), oneLine(h.Title), h.RelPath, collapse(h.Text))
		if onHit != nil {
			onHit(h)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func runRead(idx *Index, opts ToolOptions, call llm.ToolCall) (string, error) {
	const example = `{"id": "3fa9c2e01b7d#12", "limit": 3}`
	var args struct {
		ID     string `json:"id"`
		Offset *int   `json:"offset"`
		Limit  *int   `json:"limit"`
	}
	if err := decodeArgs(call, &args, example); err != nil {
		return "", err
	}
	id := strings.TrimSpace(args.ID)
	if id == "" {
		return "", fmt.Errorf(`"id" is required: a document ID or a passage key from search results; expected a JSON object like %s`, example)
	}
	offset := 0
	if strings.Contains(id, "#") {
		k, err := ParseKey(id)
		if err != nil {
			return "", fmt.Errorf(`"id" %q is not a passage key like 3fa9c2e01b7d#12 or a document ID like 3fa9c2e01b7d`, args.ID)
		}
		id, offset = k.DocID, k.Chunk
	} else {
		id = strings.Trim(id, "[]")
		if !ValidDocID(id) {
			return "", fmt.Errorf(`"id" %q is not a document ID (12 hex digits like 3fa9c2e01b7d) or a passage key like 3fa9c2e01b7d#12`, args.ID)
		}
	}
	if args.Offset != nil {
		offset = *args.Offset
	}
	limit := DefaultReadLimit
	if args.Limit != nil {
		if *args.Limit < 1 || *args.Limit > MaxReadLimit {
			return "", fmt.Errorf(`"limit" must be between 1 and %d, got %d`, MaxReadLimit, *args.Limit)
		}
		limit = *args.Limit
	}
	d, err := idx.Document(id)
	if errors.Is(err, ErrNotFound) {
		return "", fmt.Errorf("no document %s in the index; use an ID or key from search results", id)
	}
	if err != nil {
		return "", err
	}
	n := len(d.Chunks)
	if n == 0 {
		return "", fmt.Errorf("document %s (%s) has no text", id, oneLine(d.Title))
	}
	if offset < 0 || offset >= n {
		return "", fmt.Errorf(`"offset" %d is out of range: document %s has passages 0-%d`, offset, id, n-1)
	}
	end := min(offset+limit, n)
	var b strings.Builder
	fmt.Fprintf(&b, "Document %s: %s — %s (chunks %d-%d of %d)\n", d.ID, oneLine(d.Title), d.RelPath(), offset, end-1, n)
	for c := offset; c < end; c++ {
		k := Key{d.ID, c}
		text, err := idx.Passage(k)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\n[%s]\n%s\n", k, collapse(text))
		if opts.OnHit != nil {
			sp := d.Chunks[c]
			opts.OnHit(Hit{DocID: d.ID, Title: d.Title, Path: d.Path, RelPath: d.RelPath(), Chunk: c, Start: sp.Start, End: sp.End, Text: text})
		}
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
