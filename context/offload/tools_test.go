package offload

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
)

func toolsByName(s *Store) map[string]Tool {
	m := map[string]Tool{}
	for _, tl := range Tools(s) {
		m[tl.Def.Name] = tl
	}
	return m
}

func call(name, args string) llm.ToolCall {
	return llm.ToolCall{ID: "call_1", Name: name, Args: llm.ArgsFromText(args)}
}

func TestToolDefinitions(t *testing.T) {
	tools := Tools(openStore(t, t.TempDir()))
	require.Len(t, tools, 2)
	for _, tl := range tools {
		require.True(t, json.Valid(tl.Def.Parameters), tl.Def.Name)
		var schema struct {
			Type       string                     `json:"type"`
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		}
		require.NoError(t, json.Unmarshal(tl.Def.Parameters, &schema))
		assert.Equal(t, "object", schema.Type)
		assert.NotEmpty(t, tl.Def.Description)
		for _, r := range schema.Required {
			assert.Contains(t, schema.Properties, r)
		}
	}
	assert.Equal(t, ReadToolName, tools[0].Def.Name)
	assert.Equal(t, SearchToolName, tools[1].Def.Name)
}

func TestReadArtifactTool(t *testing.T) {
	s := openStore(t, t.TempDir(), WithCounter(countWords))
	content := filler(9, 20000)
	h, err := s.Put(bg, content, Meta{})
	require.NoError(t, err)
	read := toolsByName(s)[ReadToolName]

	res := read.Run(bg, call(ReadToolName, `{"handle":"`+string(h)+`"}`))
	require.False(t, res.IsError, res.Content)
	assert.Equal(t, "call_1", res.CallID)
	assert.Equal(t, ReadToolName, res.Name)
	header, body, ok := strings.Cut(res.Content, "\n")
	require.True(t, ok)
	assert.Contains(t, header, "bytes 0-8000 of 20")
	assert.Contains(t, header, `offset=8000`, "the header says where to go on")
	assert.Equal(t, content[:8000], body)

	// Page through with the offsets the tool gives, numbers in any JSON form.
	var got strings.Builder
	got.WriteString(body)
	for off := 8000; off < len(content); off += 5000 {
		res := read.Run(bg, call(ReadToolName, `{"handle":" `+string(h)+` ","offset":`+itoa(off)+`.0,"limit":5e3}`))
		require.False(t, res.IsError, res.Content)
		_, body, _ := strings.Cut(res.Content, "\n")
		got.WriteString(body)
	}
	assert.Equal(t, content, got.String())

	res = read.Run(bg, call(ReadToolName, `{"handle":"`+string(h)+`","offset":19990,"limit":100000}`))
	require.False(t, res.IsError, res.Content)
	assert.Contains(t, res.Content, "end of artifact")
}

func TestToolErrors(t *testing.T) {
	s := openStore(t, t.TempDir(), WithCounter(countWords))
	h, err := s.Put(bg, "some content", Meta{})
	require.NoError(t, err)
	tools := toolsByName(s)
	tests := []struct {
		name, tool, args string
		want             string
	}{
		{"not JSON", ReadToolName, `{"handle": "art_`, "malformed tool arguments"},
		{"prose", ReadToolName, `please read the artifact`, "malformed tool arguments"},
		{"wrong type", ReadToolName, `{"handle": 42}`, "malformed tool arguments"},
		{"array", SearchToolName, `["query"]`, "malformed tool arguments"},
		{"missing handle", ReadToolName, `{}`, `missing required argument "handle"`},
		{"blank args", ReadToolName, ``, `missing required argument "handle"`},
		{"path traversal", ReadToolName, `{"handle": "../../etc/passwd"}`, "invalid artifact handle"},
		{"absolute path", ReadToolName, `{"handle": "/etc/passwd"}`, "invalid artifact handle"},
		{"NUL byte", ReadToolName, `{"handle": "art_0123456789abcde\u0000"}`, "invalid artifact handle"},
		{"unknown handle", ReadToolName, `{"handle": "art_0123456789abcdef"}`, "artifact not found"},
		{"negative offset", ReadToolName, `{"handle": "` + string(h) + `", "offset": -5}`, `"offset" must be at least 0`},
		{"fractional limit", ReadToolName, `{"handle": "` + string(h) + `", "limit": 2.5}`, `"limit" must be a whole number`},
		{"zero limit", ReadToolName, `{"handle": "` + string(h) + `", "limit": 0}`, `"limit" must be at least 1`},
		{"offset past end", ReadToolName, `{"handle": "` + string(h) + `", "offset": 999}`, "offset out of range"},
		{"missing query", SearchToolName, `{"k": 3}`, `missing required argument "query"`},
		{"blank query", SearchToolName, `{"query": "  "}`, `missing required argument "query"`},
		{"punctuation query", SearchToolName, `{"query": "?!"}`, "no searchable words"},
		{"k zero", SearchToolName, `{"query": "content", "k": 0}`, `"k" must be at least 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res llm.ToolResult
			require.NotPanics(t, func() { res = tools[tt.tool].Run(bg, call(tt.tool, tt.args)) })
			assert.True(t, res.IsError)
			assert.Equal(t, "call_1", res.CallID)
			assert.Equal(t, tt.tool, res.Name)
			assert.Contains(t, res.Content, tt.want)
			assert.True(t, strings.HasPrefix(res.Content, tt.tool+" failed: "))
			if strings.Contains(tt.want, "malformed") {
				assert.Contains(t, res.Content, "expected a JSON object such as", "the model is shown well-formed arguments")
			}
		})
	}
}

func TestSearchArtifactsTool(t *testing.T) {
	s := openStore(t, t.TempDir(), WithCounter(countWords))
	search := toolsByName(s)[SearchToolName]

	res := search.Run(bg, call(SearchToolName, `{"query":"anything"}`))
	require.False(t, res.IsError)
	assert.Contains(t, res.Content, "No artifact passages match")

	var want Handle
	for i := range 5 {
		content := filler(uint64(50+i), 3000)
		if i == 3 {
			content += "\nThe Okavango delta flooded in late July.\n"
		}
		h, err := s.Put(bg, content, Meta{})
		require.NoError(t, err)
		if i == 3 {
			want = h
		}
	}
	res = search.Run(bg, call(SearchToolName, `{"query":"Okavango delta flood","k":2}`))
	require.False(t, res.IsError, res.Content)
	assert.Contains(t, res.Content, "2 passages")
	lines := strings.Split(res.Content, "\n")
	require.GreaterOrEqual(t, len(lines), 3)
	assert.Contains(t, lines[1], "1. handle="+string(want))
	assert.Contains(t, lines[2], "Okavango delta flooded")

	res = search.Run(bg, call(SearchToolName, `{"query":"Okavango","k":500}`))
	require.False(t, res.IsError, res.Content)
	assert.LessOrEqual(t, strings.Count(res.Content, "handle="), MaxSearchK)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
