package replay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deepctx/deepctx/agent/llm"
)

var errInvalidJSON = errors.New("invalid JSON")

// ErrNotRecorded is matched (errors.Is) by every *NotRecordedError.
var ErrNotRecorded = errors.New("replay: request not recorded")

// NotRecordedError reports a request the cassette holds no answer for.
type NotRecordedError struct {
	// Key is the request's key (see Cassette.Key).
	Key string
	// Path is the cassette file.
	Path string
	// Hint is the start of the request's last user message, scrubbed, to
	// help find which call changed.
	Hint string
}

func (e *NotRecordedError) Error() string {
	return fmt.Sprintf("replay: no recorded response for key %s in %s (last user message: %q); re-record, or open the cassette with ModeReplayOrRecord", e.Key, e.Path, e.Hint)
}

// Is matches ErrNotRecorded.
func (e *NotRecordedError) Is(target error) bool { return target == ErrNotRecorded }

// ReplayedError is a failure that was recorded and is returned again on
// replay. It unwraps to the recorded class: an equivalent *llm.ProviderError
// or *llm.MalformedOutputError when one was recorded, else the llm sentinel
// itself, so errors.Is and errors.As behave as they did when recording.
type ReplayedError struct {
	// Message is the recorded error's text, scrubbed.
	Message string
	// Err is the rebuilt error, or nil for an error of no llm class.
	Err error
}

func (e *ReplayedError) Error() string { return "replay: recorded error: " + e.Message }

// Unwrap returns the rebuilt error.
func (e *ReplayedError) Unwrap() error { return e.Err }

// classes names the llm sentinels in the cassette.
var classes = []struct {
	name     string
	sentinel error
}{
	{"context_overflow", llm.ErrContextOverflow},
	{"rate_limited", llm.ErrRateLimited},
	{"auth", llm.ErrAuth},
	{"bad_request", llm.ErrBadRequest},
	{"transient", llm.ErrTransient},
	{"malformed_output", llm.ErrMalformedOutput},
}

// errorRecord is a failure as the cassette stores it.
type errorRecord struct {
	// Class names the llm sentinel the error matched, or is empty.
	Class     string           `json:"class,omitempty"`
	Message   string           `json:"message"`
	Provider  *providerRecord  `json:"provider,omitempty"`
	Malformed *malformedRecord `json:"malformed,omitempty"`
}

type providerRecord struct {
	Provider   string `json:"provider,omitempty"`
	Status     int    `json:"status,omitempty"`
	Code       string `json:"code,omitempty"`
	Message    string `json:"message,omitempty"`
	RetryAfter string `json:"retry_after,omitempty"`
}

type malformedRecord struct {
	What   string `json:"what"`
	Detail string `json:"detail,omitempty"`
	Raw    string `json:"raw,omitempty"`
}

// recordable reports whether err belongs in a cassette: the end of the
// caller's context is not a property of the request.
func recordable(err error) bool {
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

func newErrorRecord(err error) errorRecord {
	rec := errorRecord{Message: err.Error()}
	for _, c := range classes {
		if errors.Is(err, c.sentinel) {
			rec.Class = c.name
			break
		}
	}
	var pe *llm.ProviderError
	if errors.As(err, &pe) {
		rec.Provider = &providerRecord{Provider: pe.Provider, Status: pe.Status, Code: pe.Code, Message: pe.Message}
		if pe.Message == "" && pe.Err != nil {
			rec.Provider.Message = pe.Err.Error()
		}
		if pe.RetryAfter > 0 {
			rec.Provider.RetryAfter = pe.RetryAfter.String()
		}
	}
	var me *llm.MalformedOutputError
	if errors.As(err, &me) {
		rec.Malformed = &malformedRecord{What: me.What, Detail: me.Detail, Raw: me.Raw}
	}
	return rec
}

// replayed rebuilds the recorded error.
func (r errorRecord) replayed() *ReplayedError {
	var sentinel error
	for _, c := range classes {
		if c.name == r.Class {
			sentinel = c.sentinel
		}
	}
	out := &ReplayedError{Message: r.Message, Err: sentinel}
	switch {
	case r.Provider != nil && sentinel != nil:
		p := r.Provider
		retryAfter, _ := time.ParseDuration(p.RetryAfter)
		out.Err = &llm.ProviderError{Kind: sentinel, Provider: p.Provider, Status: p.Status, Code: p.Code, Message: p.Message, RetryAfter: retryAfter}
	case r.Malformed != nil:
		m := r.Malformed
		out.Err = &llm.MalformedOutputError{What: m.What, Detail: m.Detail, Raw: m.Raw}
	}
	return out
}
