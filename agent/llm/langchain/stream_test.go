package langchain

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/fake"

	"github.com/deepctx/deepctx/agent/llm"
)

func hiRequest() llm.Request { return llm.Request{Messages: []llm.Message{llm.User("hi")}} }

// drain collects a stream's events and its error, if any.
func drain(seq func(func(llm.Event, error) bool)) ([]llm.Event, error) {
	var events []llm.Event
	for ev, err := range seq {
		if err != nil {
			return events, err
		}
		events = append(events, ev)
	}
	return events, nil
}

func kinds(events []llm.Event) []llm.EventKind {
	var out []llm.EventKind
	for _, ev := range events {
		out = append(out, ev.Kind)
	}
	return out
}

func TestStreamYieldsChunksThenToolCallsThenDone(t *testing.T) {
	rec := &recorder{
		chunks: []string{"Hel", "", "lo"},
		resp: &llms.ContentResponse{Choices: []*llms.ContentChoice{{
			Content: "Hello", StopReason: "tool_calls",
			ToolCalls:      []llms.ToolCall{{ID: "c1", FunctionCall: &llms.FunctionCall{Name: "search", Arguments: `{"q":"x"}`}}},
			GenerationInfo: map[string]any{"PromptTokens": 3, "CompletionTokens": 2},
		}}},
	}
	events, err := drain(New(rec, Config{}).Stream(context.Background(), hiRequest()))
	require.NoError(t, err)

	assert.Equal(t, []llm.EventKind{llm.EventText, llm.EventText, llm.EventToolCall, llm.EventDone}, kinds(events))
	assert.Equal(t, "Hel", events[0].Text)
	assert.Equal(t, "lo", events[1].Text)
	assert.Equal(t, &llm.ToolCallDelta{Index: 0, ID: "c1", Name: "search", Args: `{"q":"x"}`}, events[2].ToolCall)
	resp := events[3].Response
	require.NotNil(t, resp)
	assert.Equal(t, "Hello", resp.Message.Text())
	assert.Equal(t, []llm.ToolCall{{ID: "c1", Name: "search", Args: json.RawMessage(`{"q":"x"}`)}}, resp.Message.ToolCalls())
	assert.Equal(t, llm.Usage{Input: 3, Output: 2}, resp.Usage)
	assert.Equal(t, llm.FinishToolCalls, resp.FinishReason)
	_, opts, _ := rec.received()
	assert.NotNil(t, opts.StreamingFunc, "the adapter asks the model to stream")
}

func TestStreamOfNonStreamingModelYieldsWholeText(t *testing.T) {
	m := New(fake.NewFakeLLM([]string{"all at once"}), Config{})
	events, err := drain(m.Stream(context.Background(), hiRequest()))
	require.NoError(t, err)

	assert.Equal(t, []llm.EventKind{llm.EventText, llm.EventDone}, kinds(events))
	assert.Equal(t, "all at once", events[0].Text)
	resp, err := llm.Collect(m.Stream(context.Background(), hiRequest()))
	require.NoError(t, err)
	assert.Equal(t, "all at once", resp.Message.Text())
}

func TestStreamEarlyBreakCancelsTheCall(t *testing.T) {
	rec := &recorder{chunks: []string{"a", "b", "c"}, resp: textReply("abc")}
	var got []string
	for ev, err := range New(rec, Config{}).Stream(context.Background(), hiRequest()) {
		require.NoError(t, err)
		got = append(got, ev.Text)
		break
	}

	assert.Equal(t, []string{"a"}, got)
	// The loop returns only after the model did: its next chunk was refused.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.ErrorIs(t, rec.streamErr, context.Canceled)
}

func TestStreamCallerCancellationEndsWithContextError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{chunks: []string{"a", "b"}, resp: textReply("ab")}
	rec.beforeChunk = func(i int) {
		if i == 1 {
			cancel()
		}
	}
	events, err := drain(New(rec, Config{}).Stream(ctx, hiRequest()))

	assert.Equal(t, []llm.EventKind{llm.EventText}, kinds(events))
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, llm.Retryable(err))
}

func TestStreamErrors(t *testing.T) {
	tests := []struct {
		name      string
		rec       *recorder
		req       llm.Request
		wantKinds []llm.EventKind
		want      error
	}{
		{"before any output", &recorder{err: llms.NewError(llms.ErrCodeRateLimit, "x", "slow")}, hiRequest(), nil, llm.ErrRateLimited},
		{"after some output", &recorder{chunks: []string{"par"}, err: llms.NewError(llms.ErrCodeProviderUnavailable, "x", "gone")}, hiRequest(), []llm.EventKind{llm.EventText}, llm.ErrTransient},
		{"bad request", &recorder{resp: textReply("x")}, llm.Request{}, nil, llm.ErrBadRequest},
		{"no choices", &recorder{resp: &llms.ContentResponse{}}, hiRequest(), nil, llm.ErrMalformedOutput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := drain(New(tt.rec, Config{}).Stream(context.Background(), tt.req))

			assert.Equal(t, tt.wantKinds, kinds(events))
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

func TestStreamPanickingModelBecomesErrorEvent(t *testing.T) {
	events, err := drain(New(&recorder{panicWith: errors.New("boom")}, Config{}).Stream(context.Background(), hiRequest()))

	assert.Empty(t, events)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "boom")
}
