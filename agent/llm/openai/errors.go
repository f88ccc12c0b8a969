package openai

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	oai "github.com/sashabaranov/go-openai"

	"github.com/deepctx/deepctx/agent/llm"
)

// maxBodyInError caps how much of a non-JSON error body is quoted in an error.
const maxBodyInError = 512

// wrapError turns an error of go-openai into one of llm's typed errors.
// The end of ctx wins over everything else, so callers can rely on
// errors.Is(err, context.Canceled).
func (m *Model) wrapError(ctx context.Context, c *call, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", m.provider, ctxErr)
	}
	pe := &llm.ProviderError{Provider: m.provider, Err: err}
	typ, ok := describe(err, pe)
	switch {
	case !ok && !c.sent:
		// go-openai refused to build or send the request.
		pe.Kind = llm.ErrBadRequest
		return pe
	case !ok:
		// No response (connection failed), an unreadable one, or a stream
		// that broke after a successful start.
		pe.Kind = llm.ErrTransient
		return pe
	}
	pe.Kind = classify(pe.Status, pe.Code, typ, pe.Message)
	if pe.Code == "" {
		pe.Code = typ
	}
	if pe.Status >= 400 && pe.Status == c.status {
		pe.RetryAfter = retryAfter(c.header, time.Now())
	}
	return pe
}

// describe fills pe's Status, Code and Message from an error response
// reported by go-openai and returns the provider's error type. ok is false
// when err carries no error response.
func describe(err error, pe *llm.ProviderError) (typ string, ok bool) {
	var apiErr *oai.APIError
	var reqErr *oai.RequestError
	hasAPI, hasReq := errors.As(err, &apiErr), errors.As(err, &reqErr)
	if hasAPI {
		pe.Status, pe.Message, typ = apiErr.HTTPStatusCode, apiErr.Message, apiErr.Type
		pe.Code = errorCode(apiErr.Code)
	}
	if hasReq {
		// A non-JSON (or oddly shaped) error body; it may wrap an APIError
		// that lacks the status.
		pe.Status = reqErr.HTTPStatusCode
		if pe.Message == "" {
			pe.Message = bodyText(reqErr.Body)
		}
	}
	return typ, hasAPI || hasReq
}

// classify maps an HTTP status and the provider's error code, type and
// message to one of llm's sentinels: llm.KindOfStatus, refined by the body.
// Status 0 means the error arrived inside a stream that had started with 200.
func classify(status int, code, typ, msg string) error {
	kind := llm.KindOfStatus(status)
	switch {
	case kind == llm.ErrRateLimited && code == "insufficient_quota":
		// Out of credits: waiting does not help, the account must change.
		return llm.ErrAuth
	case kind == llm.ErrAuth || kind == llm.ErrRateLimited:
		return kind
	case isOverflow(code, typ, msg):
		// Some servers report an overflow as a 5xx (older llama.cpp).
		return llm.ErrContextOverflow
	case kind != nil:
		return kind
	case status == 0:
		return classifyInStream(code, typ)
	}
	return llm.ErrTransient
}

// classifyInStream classifies an error event of a running stream by its
// code and type alone.
func classifyInStream(code, typ string) error {
	switch {
	case code == "rate_limit_exceeded" || typ == "rate_limit_error":
		return llm.ErrRateLimited
	case typ == "authentication_error" || typ == "permission_error":
		return llm.ErrAuth
	case typ == "invalid_request_error":
		return llm.ErrBadRequest
	}
	return llm.ErrTransient
}

// isOverflow reports whether an error says the prompt does not fit the
// model's context window.
func isOverflow(code, typ, msg string) bool {
	if code == "context_length_exceeded" || typ == "exceed_context_size_error" {
		return true
	}
	return llm.MentionsContextOverflow(msg)
}

// errorCode renders go-openai's untyped error code (a string, a number or
// nothing). go-openai decodes a JSON null code as the number 0.
func errorCode(code any) string {
	switch c := code.(type) {
	case nil:
		return ""
	case string:
		return c
	case int:
		if c == 0 {
			return ""
		}
		return strconv.Itoa(c)
	}
	return fmt.Sprint(code)
}

// bodyText returns a non-JSON error body fit to quote in an error message.
func bodyText(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > maxBodyInError {
		cut := maxBodyInError
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut-- // do not split a multi-byte character
		}
		s = s[:cut] + "…"
	}
	return s
}

// retryAfter returns the wait the response headers ask for: OpenAI's
// "retry-after-ms" (milliseconds) if present, else the standard Retry-After
// (delay-seconds or an HTTP date, relative to now). It returns 0 when
// neither is present, parseable or positive.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return scaled(ms, time.Millisecond)
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return scaled(secs, time.Second)
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// scaled returns n units, saturating at the longest Duration: converting an
// out-of-range float to an integer is undefined, and a huge Retry-After must
// stay huge (so that a RetryPolicy gives up) rather than wrap negative.
func scaled(n float64, unit time.Duration) time.Duration {
	d := n * float64(unit)
	if d >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(d)
}

// badRequest reports a request this package cannot send as asked.
func (m *Model) badRequest(err error) error {
	return &llm.ProviderError{Kind: llm.ErrBadRequest, Provider: m.provider, Err: err}
}
