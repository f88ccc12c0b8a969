package openai_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/openai"
)

func TestErrorClassification(t *testing.T) {
	overflow := openAIError("This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.",
		"invalid_request_error", "messages", "context_length_exceeded")
	tests := []struct {
		name       string
		status     int
		body       string
		header     []string
		wantKind   error
		wantCode   string
		wantMsg    string
		wantRetry  time.Duration
		retryable  bool
		wantStatus int
	}{
		{
			name: "429 with Retry-After seconds", status: 429, header: []string{"Retry-After", "7"},
			body:     openAIError("Rate limit reached for gpt-4.1 on tokens per min (TPM): Limit 30000, Used 30000, Requested 900.", "tokens", "", "rate_limit_exceeded"),
			wantKind: llm.ErrRateLimited, wantCode: "rate_limit_exceeded", wantMsg: "Rate limit reached", wantRetry: 7 * time.Second, retryable: true,
		},
		{
			name: "429 with retry-after-ms", status: 429, header: []string{"Retry-After", "2", "Retry-After-Ms", "1500"},
			body:     openAIError("Rate limit reached", "requests", "", "rate_limit_exceeded"),
			wantKind: llm.ErrRateLimited, wantCode: "rate_limit_exceeded", wantRetry: 1500 * time.Millisecond, retryable: true,
		},
		{
			name: "429 out of quota is not retryable", status: 429,
			body:     openAIError("You exceeded your current quota, please check your plan and billing details.", "insufficient_quota", "", "insufficient_quota"),
			wantKind: llm.ErrAuth, wantCode: "insufficient_quota", wantMsg: "exceeded your current quota",
		},
		{
			name: "401", status: 401,
			body:     openAIError("Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "", "invalid_api_key"),
			wantKind: llm.ErrAuth, wantCode: "invalid_api_key", wantMsg: "Incorrect API key",
		},
		{
			name: "403", status: 403, body: openAIError("Project does not have access to model gpt-4.1", "invalid_request_error", "", "model_not_found"),
			wantKind: llm.ErrAuth, wantCode: "model_not_found",
		},
		{
			name: "400 context_length_exceeded", status: 400, body: overflow,
			wantKind: llm.ErrContextOverflow, wantCode: "context_length_exceeded", wantMsg: "maximum context length",
		},
		{
			name: "400 overflow known only by its message (vLLM)", status: 400,
			body:     `{"object":"error","message":"This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.","type":"BadRequestError","param":null,"code":400}`,
			wantKind: llm.ErrContextOverflow, wantMsg: "maximum context length",
		},
		{
			name: "400 overflow in an error envelope without code", status: 400,
			body:     `{"error":{"message":"This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.","type":"BadRequestError","param":null,"code":400}}`,
			wantKind: llm.ErrContextOverflow, wantCode: "400",
		},
		{
			name: "400 llama.cpp exceed_context_size_error", status: 400,
			body:     `{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}}`,
			wantKind: llm.ErrContextOverflow,
		},
		{
			name: "400 other", status: 400, body: openAIError("Invalid type for 'messages[0].content'.", "invalid_request_error", "messages[0].content", "invalid_type"),
			wantKind: llm.ErrBadRequest, wantCode: "invalid_type",
		},
		{
			name: "404", status: 404, body: openAIError("The model `gpt-9` does not exist or you do not have access to it.", "invalid_request_error", "", "model_not_found"),
			wantKind: llm.ErrBadRequest, wantCode: "model_not_found",
		},
		{name: "422", status: 422, body: `{"error":{"message":"unprocessable","type":"invalid_request_error"}}`, wantKind: llm.ErrBadRequest, wantCode: "invalid_request_error"},
		{name: "408", status: 408, body: `{"error":{"message":"timeout","type":"server_error"}}`, wantKind: llm.ErrTransient, retryable: true},
		{name: "409", status: 409, body: `{"error":{"message":"conflict","type":"server_error"}}`, wantKind: llm.ErrTransient, retryable: true},
		{
			name: "500", status: 500, body: openAIError("The server had an error while processing your request. Sorry about that!", "server_error", "", ""),
			wantKind: llm.ErrTransient, wantCode: "server_error", wantMsg: "server had an error", retryable: true,
		},
		{
			name: "503 with a non-JSON body and Retry-After", status: 503, header: []string{"Retry-After", "3"},
			body:     "<html><body>upstream overloaded</body></html>",
			wantKind: llm.ErrTransient, wantMsg: "upstream overloaded", wantRetry: 3 * time.Second, retryable: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, replyJSON(tt.status, tt.body, tt.header...))
			m := newModel(t, srv)
			_, genErr := m.Generate(t.Context(), user("hi"))
			_, streamErr := llm.Collect(m.Stream(t.Context(), user("hi")))
			for _, err := range []error{genErr, streamErr} {
				require.ErrorIs(t, err, tt.wantKind, "%v", err)
				var pe *llm.ProviderError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, "openai", pe.Provider)
				assert.Equal(t, tt.status, pe.Status)
				if tt.wantCode != "" {
					assert.Equal(t, tt.wantCode, pe.Code)
				}
				assert.Contains(t, pe.Message, tt.wantMsg)
				assert.Equal(t, tt.wantRetry, pe.RetryAfter)
				assert.Equal(t, tt.wantRetry, llm.RetryAfter(err))
				assert.Equal(t, tt.retryable, llm.Retryable(err))
				assert.Contains(t, err.Error(), "openai")
			}
		})
	}
}

func TestErrorNamesTheConfiguredProvider(t *testing.T) {
	srv := newServer(t, replyJSON(401, openAIError("bad key", "invalid_request_error", "", "invalid_api_key")))
	m := newModel(t, srv, func(c *openai.Config) { c.Provider = "openrouter" })
	_, err := m.Generate(t.Context(), user("hi"))
	var pe *llm.ProviderError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "openrouter", pe.Provider)
	assert.Equal(t, "openrouter: llm: authentication failed (HTTP 401, invalid_api_key): bad key", err.Error())
}

func TestConnectionFailureIsTransient(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	m, err := openai.New(openai.Config{Model: "m", BaseURL: url + "/v1"})
	require.NoError(t, err)

	_, genErr := m.Generate(t.Context(), user("hi"))
	_, streamErr := llm.Collect(m.Stream(t.Context(), user("hi")))
	for _, err := range []error{genErr, streamErr} {
		require.ErrorIs(t, err, llm.ErrTransient)
		var pe *llm.ProviderError
		require.ErrorAs(t, err, &pe)
		assert.Zero(t, pe.Status)
		assert.True(t, llm.Retryable(err))
	}
}

func TestRetryPolicyHonoursRetryAfter(t *testing.T) {
	var attempts atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1) == 1 {
			replyJSON(429, openAIError("slow down", "requests", "", "rate_limit_exceeded"), "Retry-After", "12")(w, r)
			return
		}
		replyJSON(200, textCompletion("done"))(w, r)
	})
	var slept []time.Duration
	policy := llm.RetryPolicy{Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}}

	resp, err := policy.Wrap(newModel(t, srv)).Generate(t.Context(), user("hi"))
	require.NoError(t, err)
	assert.Equal(t, "done", resp.Message.Text())
	assert.Equal(t, []time.Duration{12 * time.Second}, slept)
	assert.Len(t, srv.requests(), 2)
}

func TestCancelledBeforeSending(t *testing.T) {
	srv := newServer(t, replyJSON(200, textCompletion("never")))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	m := newModel(t, srv)
	_, genErr := m.Generate(ctx, user("hi"))
	_, streamErr := llm.Collect(m.Stream(ctx, user("hi")))
	for _, err := range []error{genErr, streamErr} {
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, errors.Is(err, llm.ErrTransient))
	}
	assert.Empty(t, srv.requests())
}
