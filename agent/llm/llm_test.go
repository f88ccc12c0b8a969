package llm_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in      string
		want    llm.Spec
		wantErr string
	}{
		{in: "openai:gpt-4.1", want: llm.Spec{Provider: "openai", Model: "gpt-4.1"}},
		{in: "ollama:qwen3:8b", want: llm.Spec{Provider: "ollama", Model: "qwen3:8b"}},
		{in: " anthropic:claude-sonnet-4-5 ", want: llm.Spec{Provider: "anthropic", Model: "claude-sonnet-4-5"}},
		{in: "OpenAI:gpt-4o", want: llm.Spec{Provider: "openai", Model: "gpt-4o"}},
		{in: "google:gemini-2.5-pro", want: llm.Spec{Provider: "google", Model: "gemini-2.5-pro"}},
		{in: "extractive", want: llm.Spec{Provider: "extractive"}},
		{in: "gpt-4.1-mini", want: llm.Spec{Provider: "openai", Model: "gpt-4.1-mini"}},
		{in: "o3-mini", want: llm.Spec{Provider: "openai", Model: "o3-mini"}},
		{in: "claude-haiku-4-5", want: llm.Spec{Provider: "anthropic", Model: "claude-haiku-4-5"}},
		{in: "gemini-2.5-flash", want: llm.Spec{Provider: "google", Model: "gemini-2.5-flash"}},
		{in: "", wantErr: "empty model spec"},
		{in: "openai:", wantErr: "names no model"},
		{in: "acme:large", wantErr: `unknown provider "acme"`},
		{in: "mystery-model", wantErr: "names no provider"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := llm.ParseSpec(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSpecStringRoundTrips(t *testing.T) {
	for _, s := range []string{"openai:gpt-4.1", "ollama:qwen3:8b", "extractive"} {
		spec, err := llm.ParseSpec(s)
		require.NoError(t, err)
		assert.Equal(t, s, spec.String())
	}
}

func TestParseChain(t *testing.T) {
	specs, err := llm.ParseChain("openai:gpt-4.1, ollama:qwen3:8b")
	require.NoError(t, err)
	assert.Equal(t, []llm.Spec{{Provider: "openai", Model: "gpt-4.1"}, {Provider: "ollama", Model: "qwen3:8b"}}, specs)

	_, err = llm.ParseChain("openai:gpt-4.1,,")
	require.Error(t, err)
}

func TestMessageAccessors(t *testing.T) {
	call := llm.ToolCall{ID: "c1", Name: "search", Args: json.RawMessage(`{"q":"go"}`)}
	m := llm.Assistant("looking", call)
	assert.Equal(t, llm.RoleAssistant, m.Role)
	assert.Equal(t, "looking", m.Text())
	assert.Equal(t, []llm.ToolCall{call}, m.ToolCalls())
	assert.NotEmpty(t, m.ID)
	assert.NotEqual(t, m.ID, llm.User("x").ID, "IDs are unique")

	r := llm.Tool(llm.ToolResult{CallID: "c1", Content: "hits"})
	assert.Equal(t, []llm.ToolResult{{CallID: "c1", Content: "hits"}}, r.ToolResults())
	assert.Empty(t, r.Text())

	assert.Len(t, llm.Assistant("").Parts, 0, "no empty text part")
}

func TestMessageJSONRoundTrip(t *testing.T) {
	in := llm.Assistant("x", llm.ToolCall{ID: "c", Name: "n", Args: json.RawMessage(`{"a":1}`)})
	in.Meta = llm.Meta{Pinned: true, Artifact: "sha256:ab", Provenance: "tool:search"}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	var out llm.Message
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)
}

func TestDecodeArgs(t *testing.T) {
	var v struct {
		Q string `json:"q"`
	}
	require.NoError(t, llm.ToolCall{Args: json.RawMessage(`{"q":"go"}`)}.DecodeArgs(&v))
	assert.Equal(t, "go", v.Q)

	require.NoError(t, llm.ToolCall{}.DecodeArgs(&v), "empty args decode as {}")

	err := llm.ToolCall{ID: "c9", Name: "search", Args: json.RawMessage(`{"q": "go"`)}.DecodeArgs(&v)
	require.ErrorIs(t, err, llm.ErrMalformedOutput)
	var mo *llm.MalformedOutputError
	require.ErrorAs(t, err, &mo)
	assert.Equal(t, `{"q": "go"`, mo.Raw)
	assert.Contains(t, err.Error(), "tool search (call c9)")

	stored := llm.ToolCall{ID: "c10", Name: "search", Args: llm.ArgsFromText(`{"q": "go"`)}
	_, err = json.Marshal(stored)
	require.NoError(t, err, "broken arguments stay serializable")
	err = stored.DecodeArgs(&v)
	require.ErrorAs(t, err, &mo)
	assert.Equal(t, `{"q": "go"`, mo.Raw, "the model's own text is reported")
	assert.Contains(t, mo.Detail, "arguments are not valid JSON")
}

func TestArgsFromText(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"object kept verbatim", `{ "a" : 1 }`, `{ "a" : 1 }`},
		{"blank is nil", "  ", ""},
		{"broken JSON becomes a JSON string", `{"a":`, `"{\"a\":"`},
		{"plain text becomes a JSON string", `search for go`, `"search for go"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(llm.ArgsFromText(tt.raw)))
		})
	}
}

func TestProviderErrorClassification(t *testing.T) {
	rl := &llm.ProviderError{Kind: llm.ErrRateLimited, Provider: "openai", Status: 429, RetryAfter: 3 * time.Second, Message: "slow down"}
	wrapped := fmt.Errorf("research: %w", rl)
	assert.ErrorIs(t, wrapped, llm.ErrRateLimited)
	assert.NotErrorIs(t, wrapped, llm.ErrTransient)
	assert.True(t, llm.Retryable(wrapped))
	assert.Equal(t, 3*time.Second, llm.RetryAfter(wrapped))
	assert.Equal(t, "openai: llm: rate limited (HTTP 429), retry after 3s: slow down", rl.Error())

	overflow := &llm.ProviderError{Kind: llm.ErrContextOverflow, Provider: "openai", Status: 400, Code: "context_length_exceeded"}
	assert.False(t, llm.Retryable(overflow))
	assert.Contains(t, overflow.Error(), "context_length_exceeded")

	cause := errors.New("connection reset")
	tr := &llm.ProviderError{Kind: llm.ErrTransient, Provider: "vllm", Err: cause}
	assert.ErrorIs(t, tr, cause)
	assert.True(t, llm.Retryable(tr))

	assert.False(t, llm.Retryable(&llm.MalformedOutputError{What: "stream"}))
	assert.False(t, llm.Retryable(errors.New("plain")))
}

func TestKindOfStatus(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{200, nil}, {304, nil},
		{400, llm.ErrBadRequest}, {404, llm.ErrBadRequest}, {422, llm.ErrBadRequest},
		{401, llm.ErrAuth}, {403, llm.ErrAuth},
		{429, llm.ErrRateLimited},
		{413, llm.ErrContextOverflow},
		{408, llm.ErrTransient}, {409, llm.ErrTransient}, {500, llm.ErrTransient}, {503, llm.ErrTransient}, {529, llm.ErrTransient},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, llm.KindOfStatus(tt.status), "status %d", tt.status)
	}
}

func TestUsageAdd(t *testing.T) {
	u := llm.Usage{Input: 10, CachedInput: 4, Output: 5, Reasoning: 2}.Add(llm.Usage{Input: 1, Output: 1})
	assert.Equal(t, llm.Usage{Input: 11, CachedInput: 4, Output: 6, Reasoning: 2}, u)
	assert.Equal(t, 17, u.Total())
}
