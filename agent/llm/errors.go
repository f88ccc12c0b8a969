package llm

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors for the classes of failure callers branch on. Every typed
// error below matches its sentinel with errors.Is, so callers may test the
// class with errors.Is and extract details with errors.As.
var (
	ErrContextOverflow = errors.New("llm: context window exceeded")
	ErrRateLimited     = errors.New("llm: rate limited")
	ErrAuth            = errors.New("llm: authentication failed")
	ErrBadRequest      = errors.New("llm: bad request")
	ErrTransient       = errors.New("llm: transient provider error")
	ErrMalformedOutput = errors.New("llm: malformed model output")
)

// ProviderError is a failure reported by a provider. Kind is one of the
// sentinels above; Status is the HTTP status where there was one.
type ProviderError struct {
	// Kind is the class sentinel: ErrContextOverflow, ErrRateLimited,
	// ErrAuth, ErrBadRequest or ErrTransient.
	Kind error
	// Provider names the provider ("openai", "anthropic", …).
	Provider string
	// Status is the HTTP status, or 0 when there was none.
	Status int
	// Code is the provider's error code, e.g. "context_length_exceeded".
	Code string
	// Message is the provider's own description of the failure.
	Message string
	// RetryAfter is the wait the provider asked for (rate limits), or 0.
	RetryAfter time.Duration
	// Err is the underlying error, if any.
	Err error
}

func (e *ProviderError) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	s := fmt.Sprintf("%s: %v", e.Provider, e.Kind)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.Code != "" {
			s += ", " + e.Code
		}
		s += ")"
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	if msg != "" {
		s += ": " + msg
	}
	return s
}

// Is reports whether target is e's class sentinel.
func (e *ProviderError) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying error.
func (e *ProviderError) Unwrap() error { return e.Err }

// MalformedOutputError reports model output that cannot be used as is: tool
// arguments that are not JSON, structured output that does not parse, a
// stream that ends early. Its message is written to be shown back to the
// model so it can correct itself.
type MalformedOutputError struct {
	// What names the malformed thing ("tool arguments", "structured output").
	What string
	// Detail says what is wrong with it.
	Detail string
	// Raw is the offending output, verbatim.
	Raw string
}

func (e *MalformedOutputError) Error() string {
	s := "malformed " + e.What
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is matches ErrMalformedOutput.
func (e *MalformedOutputError) Is(target error) bool { return target == ErrMalformedOutput }

// Retryable reports whether err is worth retrying: rate limits and transient
// provider errors are; context overflow, auth, bad requests, malformed output
// and cancellation are not.
func Retryable(err error) bool {
	return errors.Is(err, ErrRateLimited) || errors.Is(err, ErrTransient)
}

// KindOfStatus returns the sentinel for the HTTP status of a failed provider
// call, or nil for a status that reports no failure (below 400): 401 and 403
// are ErrAuth, 429 ErrRateLimited, 413 ErrContextOverflow, 408, 409 and
// every 5xx ErrTransient, and any other 4xx ErrBadRequest. Providers refine
// it where the body says more (an out-of-quota 429, an overflow sent as 400).
func KindOfStatus(status int) error {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrAuth
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status == http.StatusRequestEntityTooLarge:
		return ErrContextOverflow
	case status == http.StatusRequestTimeout || status == http.StatusConflict || status >= 500:
		return ErrTransient
	case status >= 400:
		return ErrBadRequest
	}
	return nil
}

// RetryAfter returns the wait a provider asked for in err, or 0.
func RetryAfter(err error) time.Duration {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.RetryAfter
	}
	return 0
}

// overflowPhrases are how OpenAI, Anthropic, Google and the OpenAI-compatible
// servers (vLLM, llama.cpp, OpenRouter, Ollama) word a prompt that does not
// fit the model's context window, lowercased.
var overflowPhrases = []string{
	"context_length_exceeded", "context length exceeded", "maximum context length",
	"exceeds the available context size", "exceed_context_size", "context window",
	"prompt is too long", "input is too long", "too many tokens", "token limit",
	"exceeds the maximum number of tokens",
}

// MentionsContextOverflow reports whether a provider's error message says
// the prompt does not fit the context window. Provider adapters use it for
// servers that signal an overflow only in words.
func MentionsContextOverflow(msg string) bool {
	msg = strings.ToLower(msg)
	for _, p := range overflowPhrases {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
