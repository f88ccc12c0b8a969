package summarize

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/scripted"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func modelInput() []llm.Message {
	call := msg("a1", llm.RoleAssistant, llm.TextPart("Fetching the spec."),
		llm.ToolCallPart(llm.ToolCall{ID: "call_1", Name: "web_fetch", Args: []byte(`{"url": "https://go.dev/ref/mem"}`)}))
	res := msg("t1", llm.RoleTool, llm.ToolResultPart(llm.ToolResult{CallID: "call_1", Name: "web_fetch", Content: "The Go memory model specifies conditions."}))
	res.Meta.Artifact = "art_mem"
	return []llm.Message{call, res}
}

func TestModelRequest(t *testing.T) {
	m := scripted.New(scripted.Text("  - The memory model is documented (art_mem).\n"))
	s := Model(m, ModelConfig{Temperature: llm.Temp(0)})
	out, err := s.Summarize(context.Background(), Request{Messages: modelInput(), Focus: "Explain Go's memory model.", MaxTokens: 300})
	require.NoError(t, err)
	assert.Equal(t, "- The memory model is documented (art_mem).", out)

	req, ok := m.LastRequest()
	require.True(t, ok)
	assert.Equal(t, llm.CallSummarizer, req.Role)
	assert.Equal(t, 300, req.MaxTokens)
	require.NotNil(t, req.Temperature)
	assert.Zero(t, *req.Temperature)
	assert.Empty(t, req.Tools)
	require.Len(t, req.Messages, 2)
	assert.Equal(t, llm.RoleSystem, req.Messages[0].Role)
	assert.Equal(t, DefaultInstructions, req.Messages[0].Text())
	assert.Equal(t, llm.RoleUser, req.Messages[1].Role)
	assert.Equal(t, "The agent's task (kept verbatim elsewhere; use it to judge what matters):\n"+
		"<task>\nExplain Go's memory model.\n</task>\n\n"+
		"Summarize the transcript below in at most 300 tokens.\n\n"+
		"<transcript>\n"+
		"[assistant]\nFetching the spec.\n\n"+
		"[call web_fetch call_1]\n{\"url\":\"https://go.dev/ref/mem\"}\n\n"+
		"[tool web_fetch call_1 artifact=art_mem]\nThe Go memory model specifies conditions.\n"+
		"</transcript>", req.Messages[1].Text())

	// The same request twice is the same bytes, IDs included.
	m2 := scripted.New(scripted.Text("x"), scripted.Text("x"))
	for range 2 {
		_, err := Model(m2, ModelConfig{}).Summarize(context.Background(), Request{Messages: modelInput(), MaxTokens: 300})
		require.NoError(t, err)
	}
	reqs := m2.Requests()
	assert.Equal(t, reqs[0], reqs[1])
}

func TestModelInstructions(t *testing.T) {
	tests := []struct {
		name     string
		cfg      ModelConfig
		req      string
		expected string
	}{
		{"default", ModelConfig{}, "", DefaultInstructions},
		{"config", ModelConfig{Instructions: "Keep numbers."}, "", "Keep numbers."},
		{"request wins", ModelConfig{Instructions: "Keep numbers."}, "Keep names.", "Keep names."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := scripted.New(scripted.Text("ok"))
			_, err := Model(m, tc.cfg).Summarize(context.Background(), Request{Messages: modelInput(), Instructions: tc.req})
			require.NoError(t, err)
			req, _ := m.LastRequest()
			assert.Equal(t, tc.expected, req.Messages[0].Text())
			assert.Zero(t, req.MaxTokens, "no budget, no cap")
			assert.True(t, strings.HasPrefix(req.Messages[1].Text(), "Summarize the transcript below.\n"))
		})
	}
}

func TestModelErrors(t *testing.T) {
	boom := errors.New("rate limited")
	_, err := Model(scripted.New(scripted.Err(boom)), ModelConfig{}).Summarize(context.Background(), Request{Messages: modelInput()})
	assert.ErrorIs(t, err, boom)

	_, err = Model(scripted.New(scripted.Text("   ")), ModelConfig{}).Summarize(context.Background(), Request{Messages: modelInput()})
	assert.ErrorIs(t, err, ErrEmptySummary)

	m := scripted.New(scripted.Text("unused"))
	_, err = Model(m, ModelConfig{}).Summarize(context.Background(), Request{})
	assert.ErrorIs(t, err, ErrEmptySummary)
	assert.Zero(t, m.Calls(), "nothing to summarize, no call")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Model(scripted.New(scripted.Text("late")), ModelConfig{}).Summarize(ctx, Request{Messages: modelInput()})
	assert.ErrorIs(t, err, context.Canceled)
}
