package search

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/window"
)

func toolsFixture(t *testing.T) (*Index, string, map[string]window.Tool, *[]Hit) {
	src := t.TempDir()
	writeFiles(t, src, corpus)
	writeFiles(t, src, map[string]string{"long/story.md": "# Story\n\n" + strings.Repeat("Once upon a time there was a long story.\n\n", 12)})
	ix, _ := openIndex(t, Options{ChunkSize: 100, ChunkOverlap: 10})
	_, err := ix.Add(bg, src)
	require.NoError(t, err)
	var seen []Hit
	tools := map[string]window.Tool{}
	for _, tl := range Tools(ix, ToolOptions{OnHit: func(h Hit) { seen = append(seen, h) }}) {
		tools[tl.Def.Name] = tl
		assert.True(t, json.Valid(tl.Def.Parameters), tl.Def.Name)
	}
	require.Len(t, tools, 2)
	return ix, src, tools, &seen
}

func call(tl window.Tool, args string) llm.ToolResult {
	return tl.Run(bg, llm.ToolCall{ID: "call_1", Name: tl.Def.Name, Args: json.RawMessage(args)})
}

func TestSearchToolLayout(t *testing.T) {
	ix, src, tools, seen := toolsFixture(t)
	res := call(tools[SearchToolName], `{"query": "garbage collector", "k": 1}`)
	require.False(t, res.IsError, res.Content)
	assert.Equal(t, "call_1", res.CallID)
	assert.Equal(t, SearchToolName, res.Name)
	hits, err := ix.Search(bg, "garbage collector", 1)
	require.NoError(t, err)
	id := DocID(filepath.Join(src, "gc.md"))
	require.Equal(t, id, hits[0].DocID)
	want := fmt.Sprintf("Found 1 passage for \"garbage collector\":\n\n[%s#%d] Garbage collection — gc.md\n%s", id, hits[0].Chunk, collapse(hits[0].Text))
	assert.Equal(t, want, res.Content)
	require.Len(t, *seen, 1)
	assert.Equal(t, hits[0], (*seen)[0], "OnHit sees what the model saw")

	res = call(tools[SearchToolName], `{"query": "goroutine"}`)
	require.False(t, res.IsError, res.Content)
	lines := strings.Split(res.Content, "\n")
	n := len(*seen) - 1
	assert.Equal(t, fmt.Sprintf("Found %d passages for \"goroutine\":", n), lines[0])
	blocks := strings.Split(res.Content, "\n\n")
	require.Len(t, blocks, n+1, "one blank line between passages, none inside")
	for i, b := range blocks[1:] {
		h := (*seen)[1+i]
		head, body, ok := strings.Cut(b, "\n")
		require.True(t, ok)
		assert.Equal(t, fmt.Sprintf("[%s] %s — %s", h.Key(), h.Title, h.RelPath), head)
		assert.Equal(t, collapse(h.Text), body)
	}

	res = call(tools[SearchToolName], `{"query": "qqqnothing"}`)
	require.False(t, res.IsError)
	assert.Equal(t, `No passages found for "qqqnothing".`, res.Content)
}

func TestReadDocumentToolLayout(t *testing.T) {
	ix, src, tools, seen := toolsFixture(t)
	d, err := ix.Document(DocID(filepath.Join(src, "long", "story.md")))
	require.NoError(t, err)
	n := len(d.Chunks)
	require.Greater(t, n, 4)

	res := call(tools[ReadToolName], fmt.Sprintf(`{"id": "%s#1", "limit": 2}`, d.ID))
	require.False(t, res.IsError, res.Content)
	assert.Equal(t, ReadToolName, res.Name)
	p1, _ := ix.Passage(Key{d.ID, 1})
	p2, _ := ix.Passage(Key{d.ID, 2})
	want := fmt.Sprintf("Document %s: Story — long/story.md (chunks 1-2 of %d)\n\n[%s#1]\n%s\n\n[%s#2]\n%s", d.ID, n, d.ID, collapse(p1), d.ID, collapse(p2))
	assert.Equal(t, want, res.Content)
	require.Len(t, *seen, 2)
	assert.Equal(t, Key{d.ID, 2}, (*seen)[1].Key())
	assert.Equal(t, p2, (*seen)[1].Text)

	res = call(tools[ReadToolName], fmt.Sprintf(`{"id": "%s"}`, d.ID))
	require.False(t, res.IsError, res.Content)
	assert.True(t, strings.HasPrefix(res.Content, fmt.Sprintf("Document %s: Story — long/story.md (chunks 0-2 of %d)\n", d.ID, n)), res.Content)

	res = call(tools[ReadToolName], fmt.Sprintf(`{"id": "%s", "offset": %d, "limit": 10}`, d.ID, n-1))
	require.False(t, res.IsError, res.Content)
	assert.Contains(t, res.Content, fmt.Sprintf("(chunks %d-%d of %d)", n-1, n-1, n))
}

func TestToolErrors(t *testing.T) {
	_, src, tools, seen := toolsFixture(t)
	id := DocID(filepath.Join(src, "gc.md"))
	tests := []struct {
		tool, args, want string
	}{
		{SearchToolName, `not json`, "malformed arguments"},
		{SearchToolName, ``, "missing arguments"},
		{SearchToolName, `{}`, `"query" is required`},
		{SearchToolName, `{"query": "  "}`, `"query" is required`},
		{SearchToolName, `{"query": "x", "k": 0}`, `"k" must be between 1 and 20`},
		{SearchToolName, `{"query": "x", "k": 21}`, `"k" must be between 1 and 20`},
		{SearchToolName, `{"query": 5}`, "malformed arguments"},
		{ReadToolName, `{}`, `"id" is required`},
		{ReadToolName, `{"id": "nope"}`, "is not a document ID"},
		{ReadToolName, `{"id": "abc#x"}`, "is not a passage key"},
		{ReadToolName, `{"id": "000000000000"}`, "no document 000000000000"},
		{ReadToolName, `{"id": "` + id + `", "offset": 99}`, `"offset" 99 is out of range`},
		{ReadToolName, `{"id": "` + id + `", "offset": -1}`, `"offset" -1 is out of range`},
		{ReadToolName, `{"id": "` + id + `#99"}`, `"offset" 99 is out of range`},
		{ReadToolName, `{"id": "` + id + `", "limit": 11}`, `"limit" must be between 1 and 10`},
		{ReadToolName, `[1,2]`, "malformed arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.tool+" "+tt.args, func(t *testing.T) {
			res := call(tools[tt.tool], tt.args)
			assert.True(t, res.IsError)
			assert.Equal(t, "call_1", res.CallID)
			assert.Equal(t, tt.tool, res.Name)
			assert.Contains(t, res.Content, tt.want)
		})
	}
	assert.Empty(t, *seen)
}

func TestToolsAfterClose(t *testing.T) {
	ix, _, tools, _ := toolsFixture(t)
	require.NoError(t, ix.Close())
	res := call(tools[SearchToolName], `{"query": "garbage"}`)
	assert.True(t, res.IsError)
	assert.Contains(t, res.Content, "closed")
}
