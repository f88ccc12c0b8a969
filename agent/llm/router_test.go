package llm_test

import (
	"context"
	"errors"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
)

// flaky fails with the given errors in order, then answers with its name.
type flaky struct {
	name  string
	mu    sync.Mutex
	errs  []error
	calls int
}

func (f *flaky) generate(_ context.Context, req llm.Request) (llm.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return llm.Response{}, err
	}
	return llm.Response{Message: llm.Assistant(f.name + ":" + string(req.Role)), FinishReason: llm.FinishStop}, nil
}

func (f *flaky) model() llm.Model { return llm.ModelFunc(f.generate) }

// sleeps records retry waits instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func rateLimited(after time.Duration) error {
	return &llm.ProviderError{Kind: llm.ErrRateLimited, Provider: "test", Status: 429, RetryAfter: after}
}

var transient = &llm.ProviderError{Kind: llm.ErrTransient, Provider: "test", Status: 503}

func TestRetryHonoursRetryAfterAndBacksOff(t *testing.T) {
	f := &flaky{name: "a", errs: []error{rateLimited(7 * time.Second), transient, transient}}
	s := &sleeps{}
	m := llm.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: 3 * time.Second, Sleep: s.sleep}.Wrap(f.model())

	resp, err := m.Generate(context.Background(), llm.Request{})
	require.NoError(t, err)
	assert.Equal(t, "a:", resp.Message.Text())
	assert.Equal(t, 4, f.calls)
	require.Len(t, s.d, 3)
	assert.Equal(t, 7*time.Second, s.d[0], "Retry-After is honoured exactly")
	assert.LessOrEqual(t, s.d[1], 2*time.Second, "second backoff ceiling is base*2")
	assert.LessOrEqual(t, s.d[2], 3*time.Second, "backoff is capped by MaxDelay")
}

func TestRetryGivesUp(t *testing.T) {
	tests := []struct {
		name      string
		errs      []error
		policy    llm.RetryPolicy
		wantCalls int
		wantIs    error
	}{
		{
			name:      "non-retryable auth error returns at once",
			errs:      []error{&llm.ProviderError{Kind: llm.ErrAuth, Provider: "test", Status: 401}},
			wantCalls: 1, wantIs: llm.ErrAuth,
		},
		{
			name:      "context overflow is not retried",
			errs:      []error{&llm.ProviderError{Kind: llm.ErrContextOverflow, Provider: "test", Status: 400}},
			wantCalls: 1, wantIs: llm.ErrContextOverflow,
		},
		{
			name:      "attempts are bounded",
			errs:      []error{transient, transient, transient, transient},
			policy:    llm.RetryPolicy{MaxAttempts: 3},
			wantCalls: 3, wantIs: llm.ErrTransient,
		},
		{
			name:      "a Retry-After beyond MaxRetryAfter ends retries",
			errs:      []error{rateLimited(time.Hour)},
			policy:    llm.RetryPolicy{MaxRetryAfter: time.Minute},
			wantCalls: 1, wantIs: llm.ErrRateLimited,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &flaky{errs: tt.errs}
			s := &sleeps{}
			tt.policy.Sleep = s.sleep
			_, err := tt.policy.Wrap(f.model()).Generate(context.Background(), llm.Request{})
			require.ErrorIs(t, err, tt.wantIs)
			assert.Equal(t, tt.wantCalls, f.calls)
			assert.Len(t, s.d, tt.wantCalls-1)
		})
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &flaky{errs: []error{transient, transient, transient}}
	policy := llm.RetryPolicy{Sleep: func(context.Context, time.Duration) error {
		cancel()
		return context.Canceled
	}}
	_, err := policy.Wrap(f.model()).Generate(ctx, llm.Request{})
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, llm.ErrTransient, "the provider error is kept")
	assert.Equal(t, 1, f.calls)
}

func TestRetryStreamOnlyBeforeFirstEvent(t *testing.T) {
	f := &flaky{name: "s", errs: []error{transient}}
	s := &sleeps{}
	m := llm.RetryPolicy{Sleep: s.sleep}.Wrap(f.model())
	resp, err := llm.Collect(m.Stream(context.Background(), llm.Request{}))
	require.NoError(t, err)
	assert.Equal(t, "s:", resp.Message.Text())
	assert.Equal(t, 2, f.calls)
}

// brokenStream yields text and then fails with err, counting its calls.
type brokenStream struct {
	mu    sync.Mutex
	calls int
	err   error
}

func (b *brokenStream) Generate(context.Context, llm.Request) (llm.Response, error) {
	return llm.Response{}, errors.New("brokenStream: Generate not used")
}

func (b *brokenStream) Stream(context.Context, llm.Request) iter.Seq2[llm.Event, error] {
	b.mu.Lock()
	b.calls++
	b.mu.Unlock()
	return func(yield func(llm.Event, error) bool) {
		if !yield(llm.Event{Kind: llm.EventText, Text: "partial"}, nil) {
			return
		}
		yield(llm.Event{}, b.err)
	}
}

// drain collects the texts of a stream's events and the error that ended it.
func drain(seq iter.Seq2[llm.Event, error]) (texts []string, err error) {
	for ev, e := range seq {
		if e != nil {
			return texts, e
		}
		texts = append(texts, ev.Text)
	}
	return texts, nil
}

func TestRetryStreamNotRetriedAfterOutput(t *testing.T) {
	b := &brokenStream{err: transient}
	s := &sleeps{}
	texts, err := drain(llm.RetryPolicy{Sleep: s.sleep}.Wrap(b).Stream(context.Background(), llm.Request{}))
	require.ErrorIs(t, err, llm.ErrTransient)
	assert.Equal(t, []string{"partial"}, texts, "output is never duplicated by a retry")
	assert.Equal(t, 1, b.calls)
	assert.Empty(t, s.d)
}

func TestDelayAttemptBelowOneIsTheFirstBackoff(t *testing.T) {
	p := llm.RetryPolicy{BaseDelay: 100 * time.Millisecond}
	for _, attempt := range []int{0, -3} {
		d, ok := p.Delay(attempt, transient)
		require.True(t, ok)
		assert.LessOrEqual(t, d, 100*time.Millisecond)
	}
}

func TestDelayJitterStaysInRange(t *testing.T) {
	p := llm.RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxAttempts: 10}
	seen := map[time.Duration]bool{}
	for range 200 {
		d, ok := p.Delay(3, transient)
		require.True(t, ok)
		require.GreaterOrEqual(t, d, time.Duration(0))
		require.LessOrEqual(t, d, 400*time.Millisecond)
		seen[d] = true
	}
	assert.Greater(t, len(seen), 1, "delays are jittered")
}

func noSleep(context.Context, time.Duration) error { return nil }

func TestRouterRoutesByRoleAndFallsBack(t *testing.T) {
	def := &flaky{name: "default"}
	sum := &flaky{name: "summarizer", errs: []error{&llm.ProviderError{Kind: llm.ErrAuth, Provider: "test", Status: 401}}}
	backup := &flaky{name: "backup"}
	r := llm.NewRouter(def.model()).
		WithRole(llm.CallSummarizer, sum.model(), backup.model()).
		WithRetry(llm.RetryPolicy{Sleep: noSleep})

	resp, err := r.Generate(context.Background(), llm.Request{Role: llm.CallWriter})
	require.NoError(t, err)
	assert.Equal(t, "default:writer", resp.Message.Text())

	resp, err = r.Generate(context.Background(), llm.Request{Role: llm.CallSummarizer})
	require.NoError(t, err)
	assert.Equal(t, "backup:summarizer", resp.Message.Text(), "auth failure falls back")
	assert.Equal(t, 1, sum.calls, "auth errors are not retried")
}

func TestRouterReportsEveryFailure(t *testing.T) {
	a := &flaky{errs: []error{&llm.ProviderError{Kind: llm.ErrAuth, Provider: "a"}}}
	b := &flaky{errs: []error{&llm.ProviderError{Kind: llm.ErrContextOverflow, Provider: "b"}}}
	r := llm.NewRouter(a.model(), b.model()).WithRetry(llm.RetryPolicy{Sleep: noSleep})
	_, err := r.Generate(context.Background(), llm.Request{})
	require.ErrorIs(t, err, llm.ErrAuth)
	require.ErrorIs(t, err, llm.ErrContextOverflow)
	assert.Contains(t, err.Error(), "all 2 models for role default failed, last: b:")
}

func TestRouterStreamFallsBack(t *testing.T) {
	a := &flaky{errs: []error{&llm.ProviderError{Kind: llm.ErrBadRequest, Provider: "a"}}}
	b := &flaky{name: "b"}
	r := llm.NewRouter(a.model(), b.model())
	resp, err := llm.Collect(r.Stream(context.Background(), llm.Request{Role: llm.CallCritic}))
	require.NoError(t, err)
	assert.Equal(t, "b:critic", resp.Message.Text())
}

func TestRouterStreamDoesNotFallBackAfterOutput(t *testing.T) {
	a := &brokenStream{err: transient}
	b := &flaky{name: "b"}
	r := llm.NewRouter(a, b.model()).WithRetry(llm.RetryPolicy{Sleep: noSleep})
	texts, err := drain(r.Stream(context.Background(), llm.Request{}))
	require.ErrorIs(t, err, llm.ErrTransient)
	assert.Equal(t, []string{"partial"}, texts)
	assert.Equal(t, 1, a.calls)
	assert.Zero(t, b.calls, "the fallback would repeat output the caller already has")
}

func TestRouterStreamEarlyBreakStopsTheChain(t *testing.T) {
	a := &brokenStream{err: transient}
	b := &flaky{name: "b"}
	r := llm.NewRouter(a, b.model())
	n := 0
	for range r.Stream(context.Background(), llm.Request{}) {
		n++
		break
	}
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, a.calls)
	assert.Zero(t, b.calls)
}

func TestRouterIsImmutable(t *testing.T) {
	base := llm.NewRouter((&flaky{name: "d"}).model())
	derived := base.WithRole(llm.CallJudge, (&flaky{name: "j"}).model())
	assert.Len(t, base.Chain(llm.CallJudge), 1)
	resp, err := base.Generate(context.Background(), llm.Request{Role: llm.CallJudge})
	require.NoError(t, err)
	assert.Equal(t, "d:judge", resp.Message.Text())
	resp, err = derived.Generate(context.Background(), llm.Request{Role: llm.CallJudge})
	require.NoError(t, err)
	assert.Equal(t, "j:judge", resp.Message.Text())
}

func TestOpenRouter(t *testing.T) {
	var opened []llm.Spec
	open := func(s llm.Spec) (llm.Model, error) {
		opened = append(opened, s)
		if s.Provider == "google" {
			return nil, errors.New("no GOOGLE_API_KEY")
		}
		return (&flaky{name: s.String()}).model(), nil
	}
	r, err := llm.OpenRouter(llm.RouterConfig{
		Default: "openai:gpt-4.1, ollama:qwen3:8b",
		Roles:   map[llm.CallRole]string{llm.CallSummarizer: "ollama:qwen3:8b"},
	}, open)
	require.NoError(t, err)
	assert.Len(t, opened, 2, "each distinct spec is opened once")
	assert.Equal(t, "openai:gpt-4.1 -> ollama:qwen3:8b", r.Describe(llm.CallWriter))
	assert.Equal(t, "ollama:qwen3:8b", r.Describe(llm.CallSummarizer))
	resp, err := r.Generate(context.Background(), llm.Request{Role: llm.CallSummarizer})
	require.NoError(t, err)
	assert.Equal(t, "ollama:qwen3:8b:summarizer", resp.Message.Text())

	_, err = llm.OpenRouter(llm.RouterConfig{Default: "openai:gpt-4.1", Roles: map[llm.CallRole]string{"poet": "openai:gpt-4.1"}}, open)
	require.ErrorContains(t, err, `unknown role "poet"`)

	_, err = llm.OpenRouter(llm.RouterConfig{Default: "google:gemini-2.5-pro"}, open)
	require.ErrorContains(t, err, "open google:gemini-2.5-pro: no GOOGLE_API_KEY")

	_, err = llm.OpenRouter(llm.RouterConfig{}, open)
	require.ErrorContains(t, err, "default route")
}

func TestCollectWithoutDone(t *testing.T) {
	_, err := llm.Collect(func(yield func(llm.Event, error) bool) {
		yield(llm.Event{Kind: llm.EventText, Text: "partial"}, nil)
	})
	require.ErrorIs(t, err, llm.ErrMalformedOutput)
}

func TestRouterNilModelIsAnErrorNotAPanic(t *testing.T) {
	backup := &flaky{name: "backup"}
	r := llm.NewRouter(nil, backup.model())
	resp, err := r.Generate(context.Background(), llm.Request{})
	require.NoError(t, err)
	assert.Equal(t, "backup:", resp.Message.Text(), "a nil model is skipped like a failed one")

	_, err = llm.NewRouter(nil).Generate(context.Background(), llm.Request{})
	require.ErrorIs(t, err, llm.ErrBadRequest)
	_, err = llm.Collect(llm.NewRouter(nil).Stream(context.Background(), llm.Request{}))
	require.ErrorIs(t, err, llm.ErrBadRequest)

	_, err = llm.OpenRouter(llm.RouterConfig{Default: "openai:gpt-4.1"}, func(llm.Spec) (llm.Model, error) { return nil, nil })
	require.ErrorContains(t, err, "opener returned no model")
}

func TestMentionsContextOverflow(t *testing.T) {
	tests := []struct {
		msg  string
		want bool
	}{
		{"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", true},
		{"prompt is too long: 210000 tokens > 200000 maximum", true},
		{"the request exceeds the available context size, try increasing it", true},
		{"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", true},
		{"Rate limit reached for gpt-4.1 in organization org-x on tokens per min (TPM): Limit 30000", false},
		{"Incorrect API key provided", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, llm.MentionsContextOverflow(tt.msg), tt.msg)
	}
}
