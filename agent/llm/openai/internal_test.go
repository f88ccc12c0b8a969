package openai

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	oai "github.com/sashabaranov/go-openai"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"absent", nil, 0},
		{"seconds", map[string]string{"Retry-After": "20"}, 20 * time.Second},
		{"fractional seconds", map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond},
		{"HTTP date", map[string]string{"Retry-After": "Sat, 01 Mar 2025 12:00:45 GMT"}, 45 * time.Second},
		{"HTTP date in the past", map[string]string{"Retry-After": "Sat, 01 Mar 2025 11:59:00 GMT"}, 0},
		{"milliseconds win", map[string]string{"Retry-After": "20", "Retry-After-Ms": "250"}, 250 * time.Millisecond},
		{"bad milliseconds fall back", map[string]string{"Retry-After": "3", "Retry-After-Ms": "soon"}, 3 * time.Second},
		{"negative", map[string]string{"Retry-After": "-5"}, 0},
		{"garbage", map[string]string{"Retry-After": "later"}, 0},
		{"absurd seconds saturate", map[string]string{"Retry-After": "1e30"}, math.MaxInt64},
		{"absurd milliseconds saturate", map[string]string{"Retry-After-Ms": "1e300"}, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			assert.Equal(t, tt.want, retryAfter(h, now))
		})
	}
}

func TestHugeRetryAfterEndsRetries(t *testing.T) {
	h := http.Header{}
	h.Set("Retry-After", "1e30")
	err := &llm.ProviderError{Kind: llm.ErrRateLimited, RetryAfter: retryAfter(h, time.Now())}
	_, ok := llm.RetryPolicy{}.Delay(1, err)
	assert.False(t, ok, "a wait beyond MaxRetryAfter gives up instead of retrying at once")
}

func TestBodyTextKeepsUTF8Valid(t *testing.T) {
	body := strings.Repeat("a", maxBodyInError-1) + "ééé"
	got := bodyText([]byte(body))
	assert.True(t, utf8.ValidString(got), "%q", got[len(got)-8:])
	assert.Equal(t, strings.Repeat("a", maxBodyInError-1)+"…", got)
	assert.Equal(t, "short", bodyText([]byte("  short\n")))
}

func TestInsertMember(t *testing.T) {
	tests := []struct {
		name, doc, want string
		value           any
		wantErr         bool
	}{
		{name: "empty object", doc: `{}`, value: 0.0, want: `{"temperature":0}`},
		{name: "before existing members", doc: `{"model":"m","stream":false}`, value: 0.0, want: `{"temperature":0,"model":"m","stream":false}`},
		{name: "leading whitespace", doc: " \n{ \"a\":1}", value: 0.25, want: `{"temperature":0.25, "a":1}`},
		{name: "not an object", doc: `[1]`, value: 0.0, wantErr: true},
		{name: "empty body", doc: ``, value: 0.0, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := insertMember([]byte(tt.doc), "temperature", tt.value)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestFinishReason(t *testing.T) {
	tests := []struct {
		in       oai.FinishReason
		hasCalls bool
		want     llm.FinishReason
	}{
		{"stop", false, llm.FinishStop},
		{"eos", false, llm.FinishStop},
		{"length", false, llm.FinishLength},
		{"tool_calls", true, llm.FinishToolCalls},
		{"function_call", true, llm.FinishToolCalls},
		{"content_filter", false, llm.FinishFilter},
		{"", false, llm.FinishUnknown},
		{"", true, llm.FinishToolCalls},
		{"stop", true, llm.FinishToolCalls},
		{"length", true, llm.FinishLength},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, finishReason(tt.in, tt.hasCalls), "finishReason(%q, %v)", tt.in, tt.hasCalls)
	}
}

func TestClassifyErrorsInsideAStream(t *testing.T) {
	tests := []struct {
		code, typ, msg string
		want           error
	}{
		{"rate_limit_exceeded", "", "slow down", llm.ErrRateLimited},
		{"", "rate_limit_error", "slow down", llm.ErrRateLimited},
		{"", "authentication_error", "bad key", llm.ErrAuth},
		{"", "invalid_request_error", "bad", llm.ErrBadRequest},
		{"context_length_exceeded", "invalid_request_error", "too long", llm.ErrContextOverflow},
		{"", "server_error", "oops", llm.ErrTransient},
		{"", "", "", llm.ErrTransient},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, classify(0, tt.code, tt.typ, tt.msg), "classify(0, %q, %q)", tt.code, tt.typ)
	}
}
