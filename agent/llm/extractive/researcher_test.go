package extractive_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/extractive"
)

// checkFindings asserts the findings format: the header, then bullet
// lines each quoting one passage verbatim followed by its key.
func checkFindings(t *testing.T, topic, text string) []string {
	t.Helper()
	head, body, ok := strings.Cut(text, "\n\n")
	require.True(t, ok, text)
	assert.Equal(t, "Findings on: "+topic, head)
	var keys []string
	for _, line := range strings.Split(body, "\n") {
		require.True(t, strings.HasPrefix(line, "- "), "a finding is a bullet: %q", line)
		m := keyPattern.FindAllStringSubmatchIndex(line, -1)
		require.Len(t, m, 1, "one key per finding: %q", line)
		require.Equal(t, len(line), m[0][1], "the key ends the line: %q", line)
		sentence := strings.TrimSpace(line[2:m[0][0]])
		key := line[m[0][2]:m[0][3]]
		var src *fixture
		for i := range corpus {
			if corpus[i].key() == key {
				src = &corpus[i]
			}
		}
		require.NotNil(t, src, "key %s names a corpus passage", key)
		assert.Contains(t, strings.Join(strings.Fields(src.text), " "), sentence, "quoted verbatim from its own passage")
		assert.NotContains(t, sentence, ":=", "no code")
		assert.NotContains(t, sentence, "cut", "no fragment of a cut-off sentence")
		keys = append(keys, key)
	}
	return keys
}

func TestResearcherLoop(t *testing.T) {
	topic := "How does the Go garbage collector keep pause times short?"
	msgs, answer := runResearcher(t, model, topic, func(c llm.ToolCall) llm.ToolResult { return runTool(t, c) })

	var names []string
	var queries []string
	for _, m := range msgs {
		for _, c := range m.ToolCalls() {
			names = append(names, c.Name)
			if c.Name == "search" {
				var a struct {
					Query string `json:"query"`
					K     int    `json:"k"`
				}
				require.NoError(t, c.DecodeArgs(&a))
				assert.Equal(t, 6, a.K)
				queries = append(queries, a.Query)
			}
		}
	}
	require.NotEmpty(t, queries)
	assert.Equal(t, topic, queries[0], "the topic is searched first")
	assert.LessOrEqual(t, len(names), 6, "at most six tool calls")
	assert.Contains(t, names, "read_document", "reads around the best hit")
	keys := checkFindings(t, topic, answer)
	assert.GreaterOrEqual(t, len(keys), 3)
	assert.Contains(t, answer, "Pause times are typically well under a millisecond. [aa11bb22cc33#3]")
}

func TestResearcherStopsWhenSearchesFindNothingNew(t *testing.T) {
	// Every search returns the same two passages: the second search brings
	// nothing new, so the researcher stops searching.
	same := func(c llm.ToolCall) llm.ToolResult {
		if c.Name == "search" {
			return llm.ToolResult{CallID: c.ID, Name: c.Name, Content: searchResult("q", corpus[1], corpus[2])}
		}
		return runTool(t, c)
	}
	msgs, answer := runResearcher(t, model, "How do GOGC and GOMEMLIMIT tune the garbage collector?", same)
	searches := 0
	for _, m := range msgs {
		for _, c := range m.ToolCalls() {
			if c.Name == "search" {
				searches++
			}
		}
	}
	assert.Equal(t, 2, searches)
	assert.Contains(t, answer, "[aa11bb22cc33#4]")
}

func TestResearcherNoSources(t *testing.T) {
	none := func(c llm.ToolCall) llm.ToolResult {
		return llm.ToolResult{CallID: c.ID, Name: c.Name, Content: `No passages found for "x".`}
	}
	topic := "How do octopuses edit their RNA?"
	msgs, answer := runResearcher(t, model, topic, none)
	assert.Equal(t, "Findings on: "+topic+"\n\nNo sources found.", answer)
	n := 0
	for _, m := range msgs {
		n += len(m.ToolCalls())
	}
	assert.Equal(t, 3, n, "the topic and its key phrases are all tried, nothing is read")
}

func TestResearcherAnswersWhenToolsAreOff(t *testing.T) {
	topic := "How does the Go garbage collector keep pause times short?"
	c := llm.ToolCall{ID: "call_a", Name: "search", Args: []byte(`{"query":"garbage collector","k":6}`)}
	history := []llm.Message{
		llm.System("You are a researcher."), llm.User(topic),
		llm.Assistant("", c),
		llm.Tool(llm.ToolResult{CallID: "call_a", Name: "search", Content: searchResult("garbage collector", corpus[0], corpus[3], corpus[4])}),
		llm.User("You have used all 1 tool calls available to you. Do not call any more tools."),
	}
	tests := []struct {
		name string
		req  llm.Request
	}{
		{"tool choice none", llm.Request{Role: llm.CallResearcher, Messages: history, Tools: researcherTools, ToolChoice: llm.ToolChoice{Mode: llm.ToolChoiceNone}}},
		{"no tools", llm.Request{Role: llm.CallResearcher, Messages: history}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := generate(t, tt.req)
			assert.Empty(t, resp.Message.ToolCalls())
			assert.Equal(t, llm.FinishStop, resp.FinishReason)
			keys := checkFindings(t, topic, resp.Message.Text())
			assert.Contains(t, keys, "dd44ee55ff66#2")
		})
	}
}

func TestResearcherCallBudget(t *testing.T) {
	m := extractive.New(extractive.Options{MaxToolCalls: 2})
	msgs, answer := runResearcher(t, m, "How does the Go garbage collector keep pause times short?", func(c llm.ToolCall) llm.ToolResult { return runTool(t, c) })
	n := 0
	for _, msg := range msgs {
		n += len(msg.ToolCalls())
	}
	assert.Equal(t, 2, n)
	assert.Contains(t, answer, "[")
}

func TestResearcherToleratesDamagedResults(t *testing.T) {
	topic := "garbage collector pauses"
	history := []llm.Message{
		llm.User(topic),
		llm.Assistant("", llm.ToolCall{ID: "c1", Name: "search", Args: []byte(`{"query":"garbage collector pauses"}`)}),
		// Offloaded by the context engine: only a preview survives, cut mid-passage.
		llm.Tool(llm.ToolResult{CallID: "c1", Name: "search", Content: "[artifact art_1, 2400 tokens; preview:]\nFound 3 passages for \"garbage collector pauses\":\n\n[aa11bb22cc33#3] A Guide — doc/gc-guide.html\nThe Go garbage collector is a concurrent mark-and-sweep collector. It runs concurr…"}),
		llm.Assistant("", llm.ToolCall{ID: "c2", Name: "search", Args: []byte(`not json`)}),
		llm.Tool(llm.ToolResult{CallID: "c2", Name: "search", Content: "error: bad arguments", IsError: true}),
		llm.Tool(llm.ToolResult{CallID: "orphan", Name: "search", Content: "[zz#x] broken key\n[#1] no id"}),
	}
	resp, err := model.Generate(context.Background(), llm.Request{Role: llm.CallResearcher, Messages: history, ToolChoice: llm.ToolChoice{Mode: llm.ToolChoiceNone}, Tools: researcherTools})
	require.NoError(t, err)
	assert.Equal(t, "Findings on: garbage collector pauses\n\n- The Go garbage collector is a concurrent mark-and-sweep collector. [aa11bb22cc33#3]", resp.Message.Text())
}
