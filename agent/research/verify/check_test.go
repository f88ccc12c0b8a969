package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/research/verify"
)

// memCorpus is an in-memory corpus: passages by "doc#chunk", counting
// lookups.
type memCorpus struct {
	mu       sync.Mutex
	passages map[string]string
	lookups  map[string]int
}

func newMemCorpus() *memCorpus {
	return &memCorpus{lookups: map[string]int{}, passages: map[string]string{
		"chan#0":  "A send on a channel happens before the corresponding receive from that channel completes.",
		"mutex#2": "For any sync.Mutex variable l, call n of l.Unlock() happens before call m of l.Lock() returns when n < m.",
		"empty#0": "  \n",
	}}
}

func (c *memCorpus) Passage(ctx context.Context, doc string, chunk int) (string, error) {
	key := fmt.Sprintf("%s#%d", doc, chunk)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lookups[key]++
	p, ok := c.passages[key]
	if !ok {
		return "", fmt.Errorf("no passage %s", key)
	}
	return p, nil
}

const report = `# Go memory model

## Summary

A send on a channel happens before the corresponding receive completes [1]. Tomatoes need six hours of direct sunlight every day [1].

## Mutexes

- Unlock call n happens before Lock call m returns when n < m [2][3].
- This claim cites a source the report does not list [7].
- This claim cites a passage that no longer exists [4].
- This claim cites a passage that is empty now [5].
- Nothing supports this sentence in any way at all.

A send on a channel happens before the corresponding receive completes. [1][6]

## Sources

1. Channels — /docs/chan.md (passage 0)
2. Mutexes — /docs/mutex.md (passage 2)
`

var cites = []verify.Citation{
	{N: 1, DocID: "chan", Chunk: 0},
	{N: 2, DocID: "mutex", Chunk: 2},
	{N: 3, DocID: "mutex", Chunk: 2}, // the same passage under a second number
	{N: 4, DocID: "gone", Chunk: 9},
	{N: 5, DocID: "empty", Chunk: 0},
	{N: 6, DocID: "chan", Chunk: 0},
}

func statuses(cv verify.ClaimVerdict) []verify.Status {
	var out []verify.Status
	for _, v := range cv.Verdicts {
		out = append(out, v.Status)
	}
	return out
}

func TestCheck(t *testing.T) {
	corpus := newMemCorpus()
	res, err := verify.Check(context.Background(), report, cites, corpus, verify.Lexical{})
	require.NoError(t, err)

	require.Len(t, res.Claims, 8)
	S, U, I := verify.StatusSupported, verify.StatusUnsupported, verify.StatusInvalid
	want := [][]verify.Status{{S}, {U}, {S, S}, {I}, {I}, {I}, nil, {S, S}}
	for i, w := range want {
		assert.Equal(t, w, statuses(res.Claims[i]), "claim %d: %s", i, res.Claims[i].Claim.Text)
	}
	assert.Equal(t, 5, res.Supported)
	assert.Equal(t, 1, res.Unsupported, "the fabricated claim with a real citation")
	assert.Equal(t, 3, res.Invalid)
	assert.Equal(t, 1, res.Uncited)

	acc, ok := res.CitationAccuracy()
	require.True(t, ok)
	assert.InDelta(t, 5.0/6, acc, 1e-9)
	// Distinct supported (claim, passage) pairs: the channel claim (its
	// repeat and second number cite the same passage) and the mutex claim
	// ([2] and [3] are one passage).
	assert.Equal(t, 2, res.EffectiveCitations())

	assert.Contains(t, res.Claims[3].Verdicts[0].Reason, "not one of the report's 6 sources")
	assert.Contains(t, res.Claims[4].Verdicts[0].Reason, "does not resolve")
	assert.Contains(t, res.Claims[5].Verdicts[0].Reason, "empty")
	assert.Equal(t, "mutex", res.Claims[2].Verdicts[1].DocID)

	// Every distinct passage was resolved once.
	assert.Equal(t, map[string]int{"chan#0": 1, "mutex#2": 1, "gone#9": 1, "empty#0": 1}, corpus.lookups)

	sum := res.Summary()
	assert.Equal(t, verify.Summary{
		Claims: 8, Supported: 5, Unsupported: 1, Invalid: 3, Uncited: 1, Effective: 2,
		UnsupportedClaims: []string{"Tomatoes need six hours of direct sunlight every day."},
		InvalidClaims: []string{
			"This claim cites a source the report does not list.",
			"This claim cites a passage that no longer exists.",
			"This claim cites a passage that is empty now.",
		},
	}, sum)
	sacc, ok := sum.CitationAccuracy()
	assert.True(t, ok)
	assert.Equal(t, acc, sacc)

	// Result and Summary round-trip through JSON, methods included.
	var back verify.Result
	data, err := json.Marshal(res)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, res, back)
	assert.Equal(t, 2, back.EffectiveCitations())
	var sback verify.Summary
	data, err = json.Marshal(sum)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &sback))
	assert.Equal(t, sum, sback)
}

func TestCheckJudgesEachPairOnce(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	sup := verify.SupporterFunc(func(ctx context.Context, claim, passage string) (verify.Support, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[claim]++
		return verify.Support{Supported: true, Score: 1}, nil
	})
	_, err := verify.Check(context.Background(), report, cites, newMemCorpus(), sup)
	require.NoError(t, err)
	for claim, n := range calls {
		assert.Equal(t, 1, n, claim)
	}
}

func TestCheckNoValidCitation(t *testing.T) {
	res, err := verify.Check(context.Background(), "A claim without any citation at all.", nil, newMemCorpus(), nil)
	require.NoError(t, err)
	_, ok := res.CitationAccuracy()
	assert.False(t, ok)
	assert.Equal(t, 1, res.Uncited)
	_, ok = res.Summary().CitationAccuracy()
	assert.False(t, ok)
}

func TestCheckErrors(t *testing.T) {
	_, err := verify.Check(context.Background(), report, cites, nil, nil)
	require.ErrorIs(t, err, verify.ErrNoResolver)

	boom := errors.New("judge down")
	failing := verify.SupporterFunc(func(context.Context, string, string) (verify.Support, error) { return verify.Support{}, boom })
	_, err = verify.Check(context.Background(), report, cites, newMemCorpus(), failing)
	require.ErrorIs(t, err, boom, "a supporter's failure is an error, never a verdict")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = verify.Check(ctx, report, cites, newMemCorpus(), nil)
	require.ErrorIs(t, err, context.Canceled)
}

// A citation in a fragment too short to be a claim is still checked: a
// number that names no source is invalid.
func TestCheckShortCitedFragments(t *testing.T) {
	for _, report := range []string{"Channels block forever [9].", "See [2]."} {
		res, err := verify.Check(context.Background(), report, cites[:1], newMemCorpus(), nil)
		require.NoError(t, err)
		require.Len(t, res.Claims, 1, report)
		assert.Equal(t, 1, res.Invalid, report)
		assert.Equal(t, []string{res.Claims[0].Claim.Text}, res.Summary().InvalidClaims)
	}

	// Attached to the claim before, its bad citation is reported on it.
	res, err := verify.Check(context.Background(),
		"A send on a channel happens before the corresponding receive completes [1]. See [9].", cites, newMemCorpus(), nil)
	require.NoError(t, err)
	require.Len(t, res.Claims, 1)
	assert.Equal(t, []verify.Status{verify.StatusSupported, verify.StatusInvalid}, statuses(res.Claims[0]))
	assert.Equal(t, []verify.BadCitation{{
		N: 9, Status: verify.StatusInvalid, Claim: "A send on a channel happens before the corresponding receive completes.",
	}}, res.Summary().BadCitations)
}

// A claim one citation supports is in neither claim list of the Summary,
// so its other, bad citations are listed one by one.
func TestSummaryBadCitations(t *testing.T) {
	const report = "A send on a channel happens before the corresponding receive completes [1][4][7][2].\n\n" +
		"Tomatoes need six hours of direct sunlight every day [1][7].\n"
	res, err := verify.Check(context.Background(), report, cites, newMemCorpus(), nil)
	require.NoError(t, err)
	require.Len(t, res.Claims, 2)
	S, U, I := verify.StatusSupported, verify.StatusUnsupported, verify.StatusInvalid
	assert.Equal(t, []verify.Status{S, I, I, U}, statuses(res.Claims[0]))
	assert.Equal(t, []verify.Status{U, I}, statuses(res.Claims[1]))

	sum := res.Summary()
	const channel = "A send on a channel happens before the corresponding receive completes."
	assert.Equal(t, []verify.BadCitation{
		{N: 4, DocID: "gone", Chunk: 9, Status: I, Claim: channel},
		{N: 7, Status: I, Claim: channel},
		{N: 2, DocID: "mutex", Chunk: 2, Status: U, Claim: channel},
	}, sum.BadCitations)
	// The existing lists keep their meaning: the tomato claim, which no
	// citation supports, is listed whole and its citations are not.
	assert.Equal(t, []string{"Tomatoes need six hours of direct sunlight every day."}, sum.UnsupportedClaims)
	assert.Empty(t, sum.InvalidClaims)

	var back verify.Summary
	data, err := json.Marshal(sum)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"bad_citations":[{"n":4,"doc_id":"gone","chunk":9,"status":"invalid","claim":`)
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, sum, back)
}

// manyClaims is a report of n distinct claims, each citing [1] and [2]:
// 2n distinct (claim, passage) pairs.
func manyClaims(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "Claim number %d says that a send on a channel happens before its receive [1][2].\n\n", i)
	}
	return b.String()
}

// concurrency wraps a Supporter, recording the calls and how many are in
// flight at most. With wait, until two calls overlap (or a second has
// passed) each call waits for another, so that a pool that can run two
// at once shows it.
type concurrency struct {
	sup      verify.Supporter
	wait     bool
	mu       sync.Mutex
	inFlight int
	max      int
	calls    []string
	overlap  chan struct{}
}

func newConcurrency(sup verify.Supporter, wait bool) *concurrency {
	return &concurrency{sup: sup, wait: wait, overlap: make(chan struct{})}
}

func (c *concurrency) Supports(ctx context.Context, claim, passage string) (verify.Support, error) {
	c.mu.Lock()
	c.inFlight++
	c.calls = append(c.calls, claim)
	if c.inFlight > c.max {
		c.max = c.inFlight
		if c.max == 2 {
			close(c.overlap)
		}
	}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}()
	if c.wait {
		select {
		case <-c.overlap:
		case <-time.After(time.Second):
		}
	}
	return c.sup.Supports(ctx, claim, passage)
}

// alternating supports every other claim, by its number, with the claim
// and passage in the reason: a verdict that depends only on the pair.
var alternating = verify.SupporterFunc(func(_ context.Context, claim, passage string) (verify.Support, error) {
	var n int
	_, _ = fmt.Sscanf(claim, "Claim number %d", &n)
	s := verify.Support{Supported: n%2 == 0, Reason: claim + " | " + passage}
	if s.Supported {
		s.Score = 1
	}
	return s, nil
})

func TestCheckJudgesPairsConcurrently(t *testing.T) {
	many := manyClaims(12)
	seqSup := newConcurrency(alternating, false)
	want, err := verify.CheckWith(t.Context(), many, cites, newMemCorpus(), seqSup, verify.CheckOptions{Parallel: 1})
	require.NoError(t, err)
	assert.Equal(t, 1, seqSup.max, "Parallel 1 judges one pair at a time")
	require.Len(t, seqSup.calls, 24)
	for i, claim := range seqSup.calls {
		assert.Equal(t, fmt.Sprintf("Claim number %d says that a send on a channel happens before its receive.", i/2), claim, "in report order")
	}
	assert.Equal(t, 12, want.Supported)
	assert.Equal(t, 12, want.Unsupported)

	for _, tt := range []struct {
		name  string
		limit int
		check func(sup verify.Supporter) (verify.Result, error)
	}{
		{"CheckWith", 3, func(sup verify.Supporter) (verify.Result, error) {
			return verify.CheckWith(t.Context(), many, cites, newMemCorpus(), sup, verify.CheckOptions{Parallel: 3})
		}},
		{"Check", verify.DefaultParallel, func(sup verify.Supporter) (verify.Result, error) {
			return verify.Check(t.Context(), many, cites, newMemCorpus(), sup)
		}},
		{"zero options", verify.DefaultParallel, func(sup verify.Supporter) (verify.Result, error) {
			return verify.CheckWith(t.Context(), many, cites, newMemCorpus(), sup, verify.CheckOptions{})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sup := newConcurrency(alternating, true)
			got, err := tt.check(sup)
			require.NoError(t, err)
			assert.Greater(t, sup.max, 1, "pairs are judged concurrently")
			assert.LessOrEqual(t, sup.max, tt.limit, "but no more than the limit at once")
			assert.Len(t, sup.calls, 24, "each distinct pair once")
			assert.Equal(t, want, got, "the same result as judging in order")
		})
	}

	// The fixture report, with its repeated and invalid citations, comes
	// out the same whatever the parallelism.
	seq, err := verify.CheckWith(t.Context(), report, cites, newMemCorpus(), verify.Lexical{}, verify.CheckOptions{Parallel: 1})
	require.NoError(t, err)
	par, err := verify.CheckWith(t.Context(), report, cites, newMemCorpus(), newConcurrency(verify.Lexical{}, true), verify.CheckOptions{Parallel: 8})
	require.NoError(t, err)
	assert.Equal(t, seq, par)
}

func TestCheckStopsAtTheFirstSupporterError(t *testing.T) {
	boom := errors.New("judge down")
	var mu sync.Mutex
	started := 0
	// Claim 1 fails at once; every other pair waits for its context, which
	// the failure cancels.
	sup := verify.SupporterFunc(func(ctx context.Context, claim, _ string) (verify.Support, error) {
		mu.Lock()
		started++
		mu.Unlock()
		if strings.HasPrefix(claim, "Claim number 1 ") {
			return verify.Support{}, boom
		}
		select {
		case <-ctx.Done():
			return verify.Support{}, ctx.Err()
		case <-time.After(10 * time.Second):
			return verify.Support{}, errors.New("not cancelled")
		}
	})
	_, err := verify.CheckWith(t.Context(), manyClaims(10), cites, newMemCorpus(), sup, verify.CheckOptions{Parallel: 3})
	require.ErrorIs(t, err, boom, "the failing pair's error, not the cancellations it caused")
	assert.Contains(t, err.Error(), `claim "Claim number 1 says`)
	mu.Lock()
	defer mu.Unlock()
	assert.Less(t, started, 20, "the pairs after the failure were not started")
}
