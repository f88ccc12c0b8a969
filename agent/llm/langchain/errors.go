package langchain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"syscall"

	"github.com/tmc/langchaingo/llms"
	"google.golang.org/api/googleapi"

	"github.com/deepctx/deepctx/agent/llm"
)

// mapError turns an error of the wrapped model into a deepctx error.
//
// The end of ctx surfaces as ctx.Err(), wrapped. Otherwise the error is
// classified, first match wins, by: an HTTP 429; the wording of a context
// overflow (langchaingo's mappers file "prompt is too long" under
// invalid_request); a typed *llms.Error; the HTTP status where one can be
// recovered (googleapi.Error, or "status code: NNN" in the message, as
// langchaingo's anthropic writes it); Config.MapError; dropped or refused
// connections (transient, as in the openai package).
// A classified error becomes an *llm.ProviderError with Kind set (see
// kindOf). An unclassified error is returned wrapped but without a Kind, so
// llm.Retryable reports false: retrying failures nobody understood tends to
// repeat them. langchaingo does not expose Retry-After, so RetryAfter is 0.
func (m *Model) mapError(ctx context.Context, err error) error {
	p := m.cfg.Provider
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("langchain: %s: %w: %w", p, ctxErr, err)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("langchain: %s: %w", p, err)
	}
	kind, code, status := m.classify(err)
	if kind == nil {
		return fmt.Errorf("langchain: %s: %w", p, err)
	}
	return &llm.ProviderError{Kind: kind, Provider: p, Status: status, Code: code, Message: err.Error(), Err: err}
}

// classify returns the sentinel for err (nil when unknown), an error code
// and the HTTP status (0 when unknown).
func (m *Model) classify(err error) (kind error, code string, status int) {
	status = httpStatus(err)
	if status == 429 {
		return llm.ErrRateLimited, string(llms.ErrCodeRateLimit), status
	}
	if llm.MentionsContextOverflow(err.Error()) {
		return llm.ErrContextOverflow, string(llms.ErrCodeTokenLimit), status
	}
	var le *llms.Error
	if errors.As(err, &le) && le.Code != llms.ErrCodeUnknown {
		return kindOf(le.Code), string(le.Code), status
	}
	if k := llm.KindOfStatus(status); k != nil {
		return k, "", status
	}
	if errors.As(m.cfg.MapError(err), &le) && le.Code != llms.ErrCodeUnknown {
		return kindOf(le.Code), string(le.Code), status
	}
	var netErr *net.OpError
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.As(err, &netErr) {
		return llm.ErrTransient, "", status
	}
	return nil, "", status
}

// kindOf maps langchaingo's error codes onto deepctx's sentinels. Quota
// errors count as rate limits: Google reports per-minute quotas that way;
// an exhausted billing quota fails again after the retry budget. Content
// filters, missing models and unsupported features are bad requests: the
// same request fails the same way.
func kindOf(c llms.ErrorCode) error {
	switch c {
	case llms.ErrCodeAuthentication:
		return llm.ErrAuth
	case llms.ErrCodeRateLimit, llms.ErrCodeQuotaExceeded:
		return llm.ErrRateLimited
	case llms.ErrCodeTokenLimit:
		return llm.ErrContextOverflow
	case llms.ErrCodeInvalidRequest, llms.ErrCodeResourceNotFound, llms.ErrCodeContentFilter, llms.ErrCodeNotImplemented:
		return llm.ErrBadRequest
	case llms.ErrCodeTimeout, llms.ErrCodeProviderUnavailable:
		return llm.ErrTransient
	}
	return nil
}

var statusPattern = regexp.MustCompile(`status code:? (\d{3})\b`)

// httpStatus recovers the HTTP status of a failed call, or 0.
func httpStatus(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	if m := statusPattern.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}
