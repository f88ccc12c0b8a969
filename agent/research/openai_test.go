package research_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/openai"
	"github.com/deepctx/deepctx/agent/llm/openai/openaitest"
	"github.com/deepctx/deepctx/agent/research"
)

// toolArgsError is what the agent tells the model about tool arguments
// that are not a JSON object.
const toolArgsError = "send the arguments as a JSON object"

// flakyResearchModel plays the research model behind the OpenAI server
// like a real, slightly flaky one: it leaves tool-call IDs to the server,
// which numbers them uniquely, and cuts the arguments of the first
// researcher search short. It hides failed tool calls and their error
// results from m, whose logic reads only successful results. malformedSent
// reports whether the cut-short arguments were sent.
func flakyResearchModel(m *researchModel) (model llm.Model, malformedSent func() bool) {
	var mu sync.Mutex
	sent := false
	malformedSent = func() bool {
		mu.Lock()
		defer mu.Unlock()
		return sent
	}
	model = llm.ModelFunc(func(_ context.Context, req llm.Request) (llm.Response, error) {
		req = withoutFailedCalls(req)
		resp, err := m.Respond(req)
		if err != nil {
			return resp, err
		}
		calls := resp.Message.ToolCalls()
		for i := range calls {
			calls[i].ID = ""
		}
		mu.Lock()
		if req.Role == llm.CallResearcher && len(calls) == 1 && calls[0].Name == "search" && !sent {
			sent = true
			calls[0].Args = llm.ArgsFromText(`{"query": "channels`) // cut short, as a flaky model does
		}
		mu.Unlock()
		resp.Message = llm.Assistant(resp.Message.Text(), calls...)
		return resp, nil
	})
	return model, malformedSent
}

// withoutFailedCalls drops the tool calls whose result reports malformed
// arguments, and those results.
func withoutFailedCalls(req llm.Request) llm.Request {
	failed := map[string]bool{}
	for _, m := range req.Messages {
		for _, p := range m.Parts {
			if p.ToolResult != nil && strings.Contains(p.ToolResult.Content, toolArgsError) {
				failed[p.ToolResult.CallID] = true
			}
		}
	}
	msgs := req.Messages[:0:0]
	for _, m := range req.Messages {
		var parts []llm.Part
		for _, p := range m.Parts {
			switch {
			case p.ToolCall != nil && failed[p.ToolCall.ID], p.ToolResult != nil && failed[p.ToolResult.CallID]:
			default:
				parts = append(parts, p)
			}
		}
		if len(parts) > 0 {
			m.Parts = parts
			msgs = append(msgs, m)
		}
	}
	req.Messages = msgs
	return req
}

func TestResearchThroughOpenAIProvider(t *testing.T) {
	idx := newIndex(t)
	flaky, malformedSent := flakyResearchModel(&researchModel{topics: threeTopics, reads: 1})
	srv := openaitest.New(t, openaitest.Config{
		Models:    map[string]llm.Model{"research-model": flaky},
		Role:      openaitest.ResearchRole,
		APIKey:    "test-key",
		RateLimit: []int{3}, // the first researcher's first call, or thereabouts
		Handler: func(w http.ResponseWriter, r openaitest.Request) bool {
			if r.Wire.Stream {
				return false
			}
			openaitest.WriteError(w, http.StatusBadRequest, "invalid_request_error", "", "this server only streams")
			return true
		},
	})
	model, err := openai.New(srv.OpenAIConfig("research-model"))
	require.NoError(t, err)
	var waits []time.Duration
	var mu sync.Mutex
	router := llm.NewRouter(model).WithRetry(llm.RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}})
	a, err := research.New(research.Config{Model: router, Corpus: research.IndexCorpus(idx)})
	require.NoError(t, err)
	res, err := a.Run(context.Background(), "How does Go synchronize goroutines?")
	require.NoError(t, err)

	var rateLimited int
	var sawToolError string
	for _, r := range srv.Requests() {
		if r.Status == http.StatusTooManyRequests {
			rateLimited++
		}
		for _, m := range r.Wire.Messages {
			if m.Role == "tool" && strings.Contains(m.Content, toolArgsError) {
				sawToolError = m.Content
			}
		}
	}
	assert.Equal(t, 1, rateLimited)
	assert.Equal(t, []time.Duration{time.Second}, waits, "the 429's Retry-After was honoured")
	assert.True(t, malformedSent())
	assert.Contains(t, sawToolError, "search", "the malformed arguments were reported back to the model")
	require.Len(t, res.State.Findings, 3)
	for _, f := range res.State.Findings {
		assert.Empty(t, f.Err)
		assert.Regexp(t, keyRe, f.Text, "findings cite passages")
	}
	require.NotEmpty(t, res.Sources)
	require.NoError(t, research.Verify(context.Background(), research.IndexCorpus(idx), res.Report, res.Sources))
	assert.Positive(t, res.State.Usage.Input+res.State.Usage.Output)
}
