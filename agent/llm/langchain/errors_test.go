package langchain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tmc/langchaingo/llms"
	"google.golang.org/api/googleapi"

	"github.com/deepctx/deepctx/agent/llm"
)

func failWith(t *testing.T, cfg Config, ctx context.Context, providerErr error) error {
	t.Helper()
	rec := &recorder{err: providerErr}
	_, err := New(rec, cfg).Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("hi")}})
	require.Error(t, err)
	return err
}

func TestErrorsMapOntoSentinels(t *testing.T) {
	anthropicStatus := func(code int, msg string) error {
		return fmt.Errorf("anthropic: failed to create message: %w",
			fmt.Errorf("API returned unexpected status code: %d: %s", code, msg))
	}
	tests := []struct {
		name       string
		err        error
		want       error
		wantStatus int
		wantCode   string
	}{
		{"typed rate limit", llms.NewError(llms.ErrCodeRateLimit, "x", "slow down"), llm.ErrRateLimited, 0, "rate_limit"},
		{"typed quota", llms.NewError(llms.ErrCodeQuotaExceeded, "x", "quota"), llm.ErrRateLimited, 0, "quota_exceeded"},
		{"typed auth", llms.NewError(llms.ErrCodeAuthentication, "x", "who are you"), llm.ErrAuth, 0, "authentication"},
		{"typed token limit", llms.NewError(llms.ErrCodeTokenLimit, "x", "too big"), llm.ErrContextOverflow, 0, "token_limit"},
		{"typed invalid", llms.NewError(llms.ErrCodeInvalidRequest, "x", "nope"), llm.ErrBadRequest, 0, "invalid_request"},
		{"typed not found", llms.NewError(llms.ErrCodeResourceNotFound, "x", "no model"), llm.ErrBadRequest, 0, "resource_not_found"},
		{"typed content filter", llms.NewError(llms.ErrCodeContentFilter, "x", "blocked"), llm.ErrBadRequest, 0, "content_filter"},
		{"typed unavailable", llms.NewError(llms.ErrCodeProviderUnavailable, "x", "down"), llm.ErrTransient, 0, "provider_unavailable"},
		{"typed timeout", llms.NewError(llms.ErrCodeTimeout, "x", "slow"), llm.ErrTransient, 0, "timeout"},
		{"anthropic 429", anthropicStatus(429, "Number of request tokens has exceeded your per-minute rate limit"), llm.ErrRateLimited, 429, "rate_limit"},
		{"anthropic prompt too long", anthropicStatus(400, "prompt is too long: 210000 tokens > 200000 maximum"), llm.ErrContextOverflow, 400, "token_limit"},
		{"anthropic 400", anthropicStatus(400, "messages: roles must alternate"), llm.ErrBadRequest, 400, ""},
		{"anthropic 401", anthropicStatus(401, "invalid x-api-key"), llm.ErrAuth, 401, ""},
		{"anthropic 529", anthropicStatus(529, "Overloaded"), llm.ErrTransient, 529, ""},
		{"googleapi 429", fmt.Errorf("wrapped: %w", &googleapi.Error{Code: 429, Message: "Resource has been exhausted"}), llm.ErrRateLimited, 429, "rate_limit"},
		{"googleapi 503", &googleapi.Error{Code: 503, Message: "The model is overloaded"}, llm.ErrTransient, 503, ""},
		{"googleapi 403", &googleapi.Error{Code: 403, Message: "API key not valid"}, llm.ErrAuth, 403, ""},
		{"google overflow", errors.New("The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)"), llm.ErrContextOverflow, 0, "token_limit"},
		{"mapper: service unavailable", errors.New("service unavailable, try later"), llm.ErrTransient, 0, "provider_unavailable"},
		{"mapper: not found", errors.New(`model "qwen9" not found, try pulling it first`), llm.ErrBadRequest, 0, "resource_not_found"},
		{"dropped connection", fmt.Errorf("read: %w", syscall.ECONNRESET), llm.ErrTransient, 0, ""},
		{"truncated body", fmt.Errorf("decode: %w", io.ErrUnexpectedEOF), llm.ErrTransient, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := failWith(t, Config{Provider: "prov"}, context.Background(), tt.err)

			require.ErrorIs(t, err, tt.want)
			var pe *llm.ProviderError
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, "prov", pe.Provider)
			assert.Equal(t, tt.wantStatus, pe.Status)
			assert.Equal(t, tt.wantCode, pe.Code)
			assert.ErrorIs(t, err, tt.err, "the provider's error stays reachable")
			assert.Zero(t, llm.RetryAfter(err))
			assert.Equal(t, tt.want == llm.ErrRateLimited || tt.want == llm.ErrTransient, llm.Retryable(err))
		})
	}
}

func TestUnclassifiedErrorsAreNotRetried(t *testing.T) {
	orig := errors.New("the model said no in a way nobody documented")
	err := failWith(t, Config{Provider: "ollama"}, context.Background(), orig)

	assert.ErrorIs(t, err, orig)
	assert.False(t, llm.Retryable(err))
	var pe *llm.ProviderError
	assert.False(t, errors.As(err, &pe))
	assert.Contains(t, err.Error(), "ollama")
}

func TestRefusedConnectionsAreTransient(t *testing.T) {
	orig := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	err := failWith(t, Config{Provider: "anthropic"}, context.Background(), fmt.Errorf("post: %w", orig))
	assert.ErrorIs(t, err, llm.ErrTransient)
	assert.True(t, llm.Retryable(err), "a server that is not up yet is worth a retry")
}

func TestConfigMapErrorClassifies(t *testing.T) {
	cfg := Config{MapError: func(err error) error {
		return llms.NewError(llms.ErrCodeAuthentication, "custom", "bad key").WithCause(err)
	}}
	err := failWith(t, cfg, context.Background(), errors.New("E_KEY"))
	assert.ErrorIs(t, err, llm.ErrAuth)
}

func TestContextEndSurfacesAsContextError(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithTimeout(context.Background(), 0)
	defer cancel2()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want error
	}{
		{"canceled", canceled, fmt.Errorf("send request: %w", context.Canceled), context.Canceled},
		{"canceled, provider says 503", canceled, errors.New("503 service unavailable"), context.Canceled},
		{"deadline", expired, fmt.Errorf("send request: %w", context.DeadlineExceeded), context.DeadlineExceeded},
		{"typed canceled, live context", context.Background(), llms.NewError(llms.ErrCodeCanceled, "x", "canceled"), context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := failWith(t, Config{}, tt.ctx, tt.err)

			assert.ErrorIs(t, err, tt.want)
			assert.False(t, llm.Retryable(err))
			var pe *llm.ProviderError
			assert.False(t, errors.As(err, &pe))
		})
	}
}

func TestPanickingModelBecomesError(t *testing.T) {
	rec := &recorder{panicWith: "index out of range"}
	_, err := New(rec, Config{Provider: "p"}).Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("hi")}})

	require.Error(t, err)
	assert.Contains(t, err.Error(), "panicked")
	assert.Contains(t, err.Error(), "index out of range")
	assert.False(t, llm.Retryable(err))
}
