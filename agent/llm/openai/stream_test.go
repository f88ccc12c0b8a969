package openai_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
)

func TestStreamText(t *testing.T) {
	srv := newServer(t, replySSE(
		`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`,
		textChunk("Hel"),
		textChunk("lo, "),
		textChunk("world"),
		finishChunk("stop"),
		usageChunk(120, 64, 40, 8),
	))
	m := newModel(t, srv)

	events, done, err := collect(m.Stream(t.Context(), user("greet")))
	require.NoError(t, err)

	var texts []string
	for _, ev := range events {
		require.Equal(t, llm.EventText, ev.Kind)
		texts = append(texts, ev.Text)
	}
	assert.Equal(t, []string{"Hel", "lo, ", "world"}, texts)
	require.NotNil(t, done, "the stream must end with EventDone")
	assert.Equal(t, "Hello, world", done.Message.Text())
	assert.Equal(t, llm.RoleAssistant, done.Message.Role)
	assert.NotEmpty(t, done.Message.ID)
	assert.Equal(t, llm.FinishStop, done.FinishReason)
	assert.Equal(t, llm.Usage{Input: 120, CachedInput: 64, Output: 40, Reasoning: 8}, done.Usage)
	assert.Equal(t, "gpt-4.1-2025-04-14", done.Model)

	got := srv.last(t)
	assert.Equal(t, "/v1/chat/completions", got.Path)
	assert.Equal(t, true, got.Body["stream"])
	assert.JSONEq(t, `{"include_usage":true}`, jsonOf(t, got.Body["stream_options"]))
}

// parallelCalls are the three calls every variant of TestStreamParallelToolCalls
// must reassemble.
var parallelCalls = []struct{ id, name, args string }{
	{"call_a", "search", `{"query": "go"}`},
	{"call_b", "search", `{"query": "rust"}`},
	{"call_c", "read", `{"path": "/a"}`},
}

func TestStreamParallelToolCalls(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
	}{
		{"indexed, fragments interleaved", []string{
			toolChunk(0, "call_a", "search", ""),
			toolChunk(1, "call_b", "search", ""),
			toolChunk(0, "", "", `{"query":`),
			toolChunk(2, "call_c", "read", `{"pa`),
			toolChunk(1, "", "", `{"query": "ru`),
			toolChunk(0, "", "", ` "go"}`),
			toolChunk(2, "", "", `th": "/a"}`),
			toolChunk(1, "", "", `st"}`),
		}},
		{"no index fields", []string{
			toolChunk(noIndex, "call_a", "search", ""),
			toolChunk(noIndex, "", "", `{"query":`),
			toolChunk(noIndex, "", "", ` "go"}`),
			toolChunk(noIndex, "call_b", "search", `{"query": "ru`),
			toolChunk(noIndex, "", "", `st"}`),
			toolChunk(noIndex, "call_c", "read", `{"path": "/a"}`),
		}},
		{"every call numbered 0", []string{
			toolChunk(0, "call_a", "search", `{"query": "go"}`),
			toolChunk(0, "call_b", "search", `{"query":`),
			toolChunk(0, "", "", ` "rust"}`),
			toolChunk(0, "call_c", "read", `{"path": "/a"}`),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := append(append([]string{}, tt.chunks...), finishChunk("tool_calls"), usageChunk(10, 0, 5, 0))
			srv := newServer(t, replySSE(chunks...))
			events, done, err := collect(newModel(t, srv).Stream(t.Context(), user("look it up")))
			require.NoError(t, err)
			require.NotNil(t, done)

			assert.Equal(t, llm.FinishToolCalls, done.FinishReason)
			calls := done.Message.ToolCalls()
			require.Len(t, calls, len(parallelCalls))
			for i, want := range parallelCalls {
				assert.Equal(t, want.id, calls[i].ID)
				assert.Equal(t, want.name, calls[i].Name)
				assert.JSONEq(t, want.args, string(calls[i].Args))
			}
			assertDeltasRebuild(t, events, calls)
		})
	}
}

// assertDeltasRebuild checks that the streamed tool-call events, joined by
// their Index, give the calls of the final reply.
func assertDeltasRebuild(t *testing.T, events []llm.Event, calls []llm.ToolCall) {
	t.Helper()
	rebuilt := make([]llm.ToolCall, len(calls))
	for _, ev := range events {
		require.Equal(t, llm.EventToolCall, ev.Kind)
		d := ev.ToolCall
		require.Less(t, d.Index, len(calls))
		c := &rebuilt[d.Index]
		if d.ID != "" {
			assert.Empty(t, c.ID, "a call's ID arrives once")
			c.ID = d.ID
		}
		c.Name += d.Name
		c.Args = append(c.Args, d.Args...)
	}
	for i := range calls {
		assert.Equal(t, calls[i].ID, rebuilt[i].ID)
		assert.Equal(t, calls[i].Name, rebuilt[i].Name)
		assert.Equal(t, string(calls[i].Args), string(rebuilt[i].Args))
	}
}

func TestStreamToolCallWithoutIDGetsOne(t *testing.T) {
	srv := newServer(t, replySSE(toolChunk(0, "", "now", "{}"), finishChunk("tool_calls")))
	_, done, err := collect(newModel(t, srv).Stream(t.Context(), user("time?")))
	require.NoError(t, err)
	require.NotNil(t, done)
	calls := done.Message.ToolCalls()
	require.Len(t, calls, 1)
	assert.NotEmpty(t, calls[0].ID)
	assert.Equal(t, "now", calls[0].Name)
}

func TestStreamMalformedToolArgumentsStaySerializable(t *testing.T) {
	srv := newServer(t, replySSE(toolChunk(0, "call_x", "search", `{"query": "trunc`), finishChunk("tool_calls")))
	resp, err := llm.Collect(newModel(t, srv).Stream(t.Context(), user("search")))
	require.NoError(t, err)
	calls := resp.Message.ToolCalls()
	require.Len(t, calls, 1)
	var args map[string]any
	err = calls[0].DecodeArgs(&args)
	assert.ErrorIs(t, err, llm.ErrMalformedOutput)
	assert.JSONEq(t, `"{\"query\": \"trunc"`, string(calls[0].Args))
}

func TestStreamCutShortIsMalformed(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		writeSSE(w, textChunk("partial")) // no finish_reason, no [DONE]
	})
	events, done, err := collect(newModel(t, srv).Stream(t.Context(), user("hi")))
	require.ErrorIs(t, err, llm.ErrMalformedOutput)
	assert.Nil(t, done)
	require.Len(t, events, 1)
	assert.Equal(t, "partial", events[0].Text)
}

func TestStreamErrorEventMidStream(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		writeSSE(w, textChunk("so far"), `{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`)
	})
	events, done, err := collect(newModel(t, srv).Stream(t.Context(), user("hi")))
	require.ErrorIs(t, err, llm.ErrTransient)
	assert.Contains(t, err.Error(), "server had an error")
	assert.Nil(t, done)
	assert.Len(t, events, 1)
}

func TestStreamEarlyBreakClosesTheConnection(t *testing.T) {
	gone := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, textChunk("first"))
		<-r.Context().Done() // the client hung up
		close(gone)
	})
	m := newModel(t, srv)

	var seen []string
	for ev, err := range m.Stream(t.Context(), user("hi")) {
		require.NoError(t, err)
		seen = append(seen, ev.Text)
		break
	}
	assert.Equal(t, []string{"first"}, seen)
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("breaking out of the stream did not close the connection")
	}
}

func TestStreamCancel(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, textChunk("first"))
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	var texts []string
	var streamErr error
	for ev, err := range newModel(t, srv).Stream(ctx, user("hi")) {
		if err != nil {
			streamErr = err
			break
		}
		require.NotEqual(t, llm.EventDone, ev.Kind)
		texts = append(texts, ev.Text)
		cancel()
	}
	assert.Equal(t, []string{"first"}, texts)
	require.ErrorIs(t, streamErr, context.Canceled)
	assert.False(t, llm.Retryable(streamErr))
}

func TestGenerateCancel(t *testing.T) {
	arrived := make(chan struct{})
	srv := newServer(t, func(_ http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()

	_, err := newModel(t, srv).Generate(ctx, user("hi"))
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "openai")
}
