package llm

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"time"
)

// RetryPolicy retries rate-limited and transient failures with exponential
// backoff and full jitter, honouring the provider's Retry-After. Other
// failures (auth, bad request, context overflow, malformed output,
// cancellation) return at once. The zero value uses the documented defaults.
type RetryPolicy struct {
	// MaxAttempts is the total number of tries, first included.
	// Optional. Defaults to 4. Set 1 to disable retries.
	MaxAttempts int
	// BaseDelay is the backoff before the second try; it doubles each try.
	// Optional. Defaults to 500ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff. Optional. Defaults to 30s.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After honoured; a provider asking
	// for more ends the retries with its error. Optional. Defaults to 2m.
	MaxRetryAfter time.Duration
	// Sleep waits d or until ctx ends. Optional. Defaults to a timer; tests
	// replace it to observe delays without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, if set, is told of each retry before its wait.
	OnRetry func(attempt int, delay time.Duration, err error)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 2 * time.Minute
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	return p
}

// Delay returns the wait before try attempt+1 (attempt counts from 1) after
// err: the provider's Retry-After when it gave one, else a uniformly random
// backoff in [0, min(MaxDelay, BaseDelay·2^(attempt-1))]. ok is false when
// err should not be retried.
func (p RetryPolicy) Delay(attempt int, err error) (d time.Duration, ok bool) {
	p = p.withDefaults()
	if !Retryable(err) || attempt >= p.MaxAttempts {
		return 0, false
	}
	if ra := RetryAfter(err); ra > 0 {
		if ra > p.MaxRetryAfter {
			return 0, false
		}
		return ra, true
	}
	ceiling := p.BaseDelay << min(max(attempt-1, 0), 30)
	if ceiling <= 0 || ceiling > p.MaxDelay {
		ceiling = p.MaxDelay
	}
	return rand.N(ceiling + 1), true
}

// Wrap returns m with this policy applied to every call.
func (p RetryPolicy) Wrap(m Model) Model {
	return &retrying{model: m, policy: p.withDefaults()}
}

type retrying struct {
	model  Model
	policy RetryPolicy
}

func (r *retrying) Generate(ctx context.Context, req Request) (Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := r.model.Generate(ctx, req)
		if err == nil {
			return resp, nil
		}
		if werr := r.wait(ctx, attempt, err); werr != nil {
			return Response{}, werr
		}
	}
}

// Stream retries only failures that happen before the first event: once
// output has reached the caller, a retry would duplicate it.
func (r *retrying) Stream(ctx context.Context, req Request) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for attempt := 1; ; attempt++ {
			failed, started, stopped := forward(r.model.Stream(ctx, req), yield)
			if stopped || failed == nil {
				return
			}
			if started {
				yield(Event{}, failed)
				return
			}
			if werr := r.wait(ctx, attempt, failed); werr != nil {
				yield(Event{}, werr)
				return
			}
		}
	}
}

// forward passes the events of seq to yield until seq ends, fails or yield
// asks to stop. It returns the error that ended seq (nil if none), whether
// any event reached yield, and whether yield asked to stop. The error is not
// passed on: the caller decides whether to retry, fall back or report it.
func forward(seq iter.Seq2[Event, error], yield func(Event, error) bool) (failed error, started, stopped bool) {
	for ev, err := range seq {
		if err != nil {
			return err, started, false
		}
		started = true
		if !yield(ev, nil) {
			return nil, true, true
		}
	}
	return nil, started, false
}

// wait sleeps before the next attempt, or returns the error to give up with.
func (r *retrying) wait(ctx context.Context, attempt int, err error) error {
	if ctx.Err() != nil {
		return err
	}
	delay, ok := r.policy.Delay(attempt, err)
	if !ok {
		if attempt > 1 {
			return fmt.Errorf("llm: giving up after %d attempts: %w", attempt, err)
		}
		return err
	}
	if r.policy.OnRetry != nil {
		r.policy.OnRetry(attempt, delay, err)
	}
	if serr := r.policy.Sleep(ctx, delay); serr != nil {
		return fmt.Errorf("llm: retry wait interrupted (%w) after: %w", serr, err)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
