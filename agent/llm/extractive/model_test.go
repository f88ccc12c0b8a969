package extractive_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/extractive"
	"github.com/deepctx/deepctx/context/tokens"
)

func compressRequest(answer string, budget int) llm.Request {
	return llm.Request{
		Role: llm.CallCompressor,
		Messages: []llm.Message{
			llm.System("compress"),
			llm.User("Brief:\nHow do GOGC and GOMEMLIMIT tune the collector?\n\nAnswer to compress:\n" + answer),
		},
		MaxTokens: budget,
	}
}

func TestCompressor(t *testing.T) {
	answer := "I searched the corpus three times and read two documents.\n\n" + findingsText + "\n\nOverall the collector seems well documented."
	tok := tokens.ForModel("gpt-4.1")
	tests := []struct {
		name   string
		budget int
	}{
		{"no budget keeps every cited line", 0},
		{"generous", 400},
		{"tight", 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := generate(t, compressRequest(answer, tt.budget))
			out := resp.Message.Text()
			if tt.budget > 0 {
				assert.LessOrEqual(t, tok.Count(out), tt.budget)
			}
			assert.Less(t, tok.Count(out), tok.Count(answer))
			assert.NotContains(t, out, "searched the corpus", "narration without a key is dropped")
			kept := 0
			for _, l := range strings.Split(out, "\n") {
				if l == "" || strings.HasPrefix(l, "Findings on: ") {
					continue
				}
				assert.Regexp(t, keyPattern, l, "every kept line carries a key")
				assert.Contains(t, findingsText, l, "lines are kept verbatim")
				kept++
			}
			switch tt.budget {
			case 0:
				assert.Equal(t, 11, kept, "the repeated line of the findings is kept once")
			case 60:
				assert.Contains(t, out, "GOGC", "the most relevant lines are kept first")
				assert.Less(t, kept, 11)
			}
		})
	}
}

func TestCompressorWithoutKeys(t *testing.T) {
	answer := "The GOGC variable sets the collection target. The weather was nice that day. GOMEMLIMIT caps the memory of the runtime."
	resp := generate(t, compressRequest(answer, 22))
	out := resp.Message.Text()
	assert.Equal(t, "The GOGC variable sets the collection target. GOMEMLIMIT caps the memory of the runtime.", out,
		"the relevant sentences, in their order; the irrelevant one dropped")
}

func TestSummarizerDelegates(t *testing.T) {
	call := llm.ToolCall{ID: "call_1", Name: "search", Args: json.RawMessage(`{"query":"gc"}`)}
	msgs := []llm.Message{
		llm.System("summarize"),
		llm.User("How does the Go garbage collector keep pauses short?"),
		llm.Assistant("", call),
		llm.Tool(llm.ToolResult{CallID: "call_1", Name: "search", Content: searchResult("gc", corpus...)}),
	}
	resp := generate(t, llm.Request{Role: llm.CallSummarizer, Messages: msgs, MaxTokens: 120})
	out := resp.Message.Text()
	assert.Contains(t, out, "[tool search call_1", "summarize.Extractive tags its sentences with their provenance")
	assert.LessOrEqual(t, tokens.ForModel("gpt-4.1").Count(out), 120)
	assert.Equal(t, llm.FinishStop, resp.FinishReason)
}

// TestDeterminism runs every role 20 times and expects byte-identical
// responses.
func TestDeterminism(t *testing.T) {
	user := llm.User(writerUser(findingsText))
	researcher := []llm.Message{
		llm.User("How does the Go garbage collector keep pause times short?"),
		llm.Assistant("", llm.ToolCall{ID: "c1", Name: "search", Args: json.RawMessage(`{"query":"gc","k":6}`)}),
		llm.Tool(llm.ToolResult{CallID: "c1", Name: "search", Content: searchResult("gc", corpus...)}),
	}
	reqs := map[string]llm.Request{
		"clarify":    {Role: llm.CallPlanner, Schema: &llm.ResponseSchema{Name: "clarify_decision"}, Messages: []llm.Message{llm.User(section("Question", reportBrief))}},
		"brief":      {Role: llm.CallPlanner, Schema: &llm.ResponseSchema{Name: "research_brief"}, Messages: []llm.Message{llm.User(section("Question", reportBrief))}},
		"supervisor": {Role: llm.CallPlanner, Tools: supervisorTools, Messages: []llm.Message{llm.User(section("Research brief", reportBrief) + section("Sub-questions", bullets(reportSubqs...)))}},
		"researcher": {Role: llm.CallResearcher, Tools: researcherTools, Messages: researcher},
		"findings":   {Role: llm.CallResearcher, Messages: researcher},
		"compressor": compressRequest(findingsText, 80),
		"summarizer": {Role: llm.CallSummarizer, Messages: researcher, MaxTokens: 100},
		"writer":     {Role: llm.CallWriter, Messages: []llm.Message{user}},
		"critic":     {Role: llm.CallCritic, Schema: &llm.ResponseSchema{Name: "critique"}, Messages: []llm.Message{llm.User(writerUser(findingsText, section("Report", "# T\n\n## Summary\n\nUncited words here for sure. Pause times are typically well under a millisecond. [aa11bb22cc33#3]")))}},
	}
	for name, req := range reqs {
		t.Run(name, func(t *testing.T) {
			first, err := json.Marshal(generate(t, req))
			require.NoError(t, err)
			for range 20 {
				again, err := json.Marshal(generate(t, req))
				require.NoError(t, err)
				require.Equal(t, string(first), string(again))
			}
		})
	}
}

func TestBadRequests(t *testing.T) {
	tests := []struct {
		name string
		req  llm.Request
		want string
	}{
		{"judge", llm.Request{Role: llm.CallJudge, Messages: []llm.Message{llm.User("Score this report.")}}, `role "judge" is not served`},
		{"unknown role", llm.Request{Role: "poet", Messages: []llm.Message{llm.User("Write a poem.")}}, `role "poet"`},
		{"default role, plain prompt", llm.Request{Messages: []llm.Message{llm.User("Hello?")}}, "cannot tell what the request asks for"},
		{"planner without schema or tools", llm.Request{Role: llm.CallPlanner, Messages: []llm.Message{llm.User("Plan.")}}, "planner request"},
		{"clarify without question", llm.Request{Role: llm.CallPlanner, Schema: &llm.ResponseSchema{Name: "clarify_decision"}, Messages: []llm.Message{llm.System("x")}}, "no question"},
		{"supervisor without user", llm.Request{Role: llm.CallPlanner, Tools: supervisorTools}, "without a user message"},
		{"researcher without topic", llm.Request{Role: llm.CallResearcher, Tools: researcherTools, Messages: []llm.Message{llm.System("x")}}, "without a user message"},
		{"writer without findings", llm.Request{Role: llm.CallWriter, Messages: []llm.Message{llm.User("Write a report on Go.")}}, "no # Findings"},
		{"critic without report", llm.Request{Role: llm.CallCritic, Messages: []llm.Message{llm.User(section("Findings", findingsText))}}, "no # Report"},
		{"compressor without text", llm.Request{Role: llm.CallCompressor, Messages: []llm.Message{llm.User("Brief:\nx\n\nAnswer to compress:\n ")}}, "nothing to compress"},
		{"summarizer without messages", llm.Request{Role: llm.CallSummarizer, Messages: []llm.Message{llm.System("x")}}, "no messages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := model.Generate(context.Background(), tt.req)
			require.Error(t, err)
			assert.ErrorIs(t, err, llm.ErrBadRequest)
			var pe *llm.ProviderError
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, "extractive", pe.Provider)
			assert.Contains(t, err.Error(), tt.want)
			assert.False(t, llm.Retryable(err))
		})
	}
}

func TestOddInputsDoNotPanic(t *testing.T) {
	odd := []string{
		"", "#", "# Findings", "# Report\n# Report\n## \n- [#]", "[a#1]", "[a#99999999999999999999999] x",
		"# Question\n???", "# Sub-questions\n-\n- \n# Limits\nmax_iterations: x",
		strings.Repeat("word ", 5000), "\x00\xff\xfe", "# Findings\n- [a#1] [b#2]\n# Report\n[a#1]. [c#3]",
	}
	roles := []llm.Request{
		{Role: llm.CallPlanner, Schema: &llm.ResponseSchema{Name: "clarify_decision"}},
		{Role: llm.CallPlanner, Schema: &llm.ResponseSchema{Name: "research_brief"}},
		{Role: llm.CallPlanner, Tools: supervisorTools},
		{Role: llm.CallResearcher, Tools: researcherTools},
		{Role: llm.CallCompressor, MaxTokens: 5},
		{Role: llm.CallSummarizer, MaxTokens: 5},
		{Role: llm.CallWriter},
		{Role: llm.CallCritic},
	}
	for _, text := range odd {
		for _, base := range roles {
			req := base
			req.Messages = []llm.Message{llm.User(text), llm.Tool(llm.ToolResult{CallID: "x", Content: text})}
			assert.NotPanics(t, func() {
				_, err := model.Generate(context.Background(), req)
				if err != nil {
					assert.True(t, errors.Is(err, llm.ErrBadRequest) || strings.HasPrefix(err.Error(), "extractive:"), "%s: %v", base.Role, err)
				}
			}, "%s on %q", base.Role, text)
		}
	}
}

func TestCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := model.Generate(ctx, llm.Request{Role: llm.CallWriter, Messages: []llm.Message{llm.User(writerUser(findingsText))}})
	require.ErrorIs(t, err, context.Canceled)
	for _, err := range model.Stream(ctx, llm.Request{Role: llm.CallWriter, Messages: []llm.Message{llm.User(writerUser(findingsText))}}) {
		if err != nil {
			require.ErrorIs(t, err, context.Canceled)
		}
	}
}

func TestStreamMatchesGenerate(t *testing.T) {
	for _, req := range []llm.Request{
		{Role: llm.CallWriter, Messages: []llm.Message{llm.User(writerUser(findingsText))}},
		{Role: llm.CallPlanner, Tools: supervisorTools, Messages: []llm.Message{llm.User(section("Sub-questions", bullets(reportSubqs...)))}},
	} {
		want := generate(t, req)
		got, err := llm.Collect(model.Stream(context.Background(), req))
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
}

func TestUsageCountsTokens(t *testing.T) {
	tok := tokens.ForModel("gpt-4.1")
	req := llm.Request{Role: llm.CallWriter, Messages: []llm.Message{llm.User(writerUser(findingsText))}}
	resp := generate(t, req)
	assert.Equal(t, tok.CountRequest(req), resp.Usage.Input)
	assert.Equal(t, tok.Count(resp.Message.Text()), resp.Usage.Output)
}

func TestRoleInferred(t *testing.T) {
	resp := generate(t, llm.Request{Messages: []llm.Message{llm.User(writerUser(findingsText))}})
	assert.True(t, strings.HasPrefix(resp.Message.Text(), "# How does Go"), "a request with # Findings and no role is a writer request")
}

func Example() {
	m := extractive.New(extractive.Options{})
	resp, err := m.Generate(context.Background(), llm.Request{
		Role:     llm.CallPlanner,
		Schema:   &llm.ResponseSchema{Name: "research_brief"},
		Messages: []llm.Message{llm.User("# Question\nWhat is GOGC and how does it affect garbage collection pauses?")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Model, resp.Message.Text())
	// Output:
	// extractive {"brief":"What is GOGC and how does it affect garbage collection pauses?","sub_questions":["What is GOGC?","How does GOGC affect garbage collection pauses?"]}
}
