package scorers_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/research/verify"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/scorers"
)

// corpus is an in-memory corpus: "doc#chunk" → passage text.
type corpus map[string]string

func (c corpus) Passage(_ context.Context, docID string, chunk int) (string, error) {
	if t, ok := c[fmt.Sprintf("%s#%d", docID, chunk)]; ok {
		return t, nil
	}
	return "", fmt.Errorf("no passage %s#%d", docID, chunk)
}

var gcCorpus = corpus{
	"gc#0": "The Go garbage collector runs concurrently with the program. The GOGC variable sets the initial " +
		"garbage collection target percentage; the default value of GOGC is 100. Setting GOGC=off disables " +
		"the garbage collector entirely.",
	"mem#1": "The Go memory model specifies the conditions under which reads of a variable in one goroutine " +
		"can be guaranteed to observe values produced by writes to the same variable in a different goroutine.",
}

const (
	trueClaim1 = "The Go garbage collector runs concurrently with the program [1]."
	trueClaim2 = "The default value of GOGC is 100 [1]."
	fabricated = "The collector was rewritten in Rust during 2019 to remove every pause [2]."
	deadDoc    = "Setting GOMEMLIMIT bounds the heap size of the program [3]."
	outOfRange = "Finalizers run on a dedicated goroutine in the runtime [7]."
	uncited    = "Setting GOGC=off disables the garbage collector entirely."
)

var gcReport = "# Garbage collection\n\n## Summary\n\n" +
	strings.Join([]string{trueClaim1, trueClaim2, fabricated, deadDoc, outOfRange}, " ") +
	"\n\n" + uncited + "\n\n## Sources\n\n" +
	"1. GC guide — /goroot/doc/gc-guide.html (passage 0, `gc#0`)\n" +
	"2. Memory model — /goroot/doc/go_mem.html (passage 1, `mem#1`)\n" +
	"3. Gone — /goroot/doc/gone.html (passage 5, `gc#5`)\n"

var gcSources = []eval.Source{
	{N: 1, DocID: "gc", Chunk: 0, Path: "/goroot/doc/gc-guide.html"},
	{N: 2, DocID: "mem", Chunk: 1, Path: "/goroot/doc/go_mem.html"},
	{N: 3, DocID: "gc", Chunk: 5, Path: "/goroot/doc/gone.html"},
}

var gcSample = eval.Sample{ID: "gc", KeyFacts: []eval.Fact{
	{Any: []string{"runs concurrently"}},
	{Any: []string{"default value of GOGC is 100"}},
	{Any: []string{"GOGC=off"}},
	{Any: []string{"Rust"}},
}}

func gcResult() eval.Result {
	return eval.Result{Variant: "v", Epoch: 1, Output: eval.Output{Report: gcReport, Sources: gcSources}, Corpus: gcCorpus}
}

// scoreAll runs every offline scorer on r and returns their scores by name.
func scoreAll(t *testing.T, opts scorers.Options, s eval.Sample, r eval.Result) map[string]eval.Score {
	t.Helper()
	out := map[string]eval.Score{}
	for _, n := range scorers.Offline(opts) {
		v, err := n.Scorer.Score(context.Background(), s, r)
		if errors.Is(err, eval.ErrSkip) {
			v = eval.Score{Skipped: true, Explanation: err.Error()}
		} else {
			require.NoError(t, err, n.Name)
		}
		out[n.Name] = v
	}
	return out
}

func TestCitationScorers(t *testing.T) {
	got := scoreAll(t, scorers.Options{}, gcSample, gcResult())

	acc := got["citation_accuracy"]
	assert.InDelta(t, 2.0/3, acc.Value, 1e-9, acc.Explanation)
	assert.Equal(t, 2.0, got["invalid_citations"].Value)
	assert.Equal(t, 2.0, got["effective_citations"].Value)
	assert.Equal(t, 1.0, got["uncited_claims"].Value)
	assert.Equal(t, []string{uncited}, got["uncited_claims"].Metadata["uncited"])
	invalid := got["invalid_citations"].Metadata["invalid"].([]string)
	require.Len(t, invalid, 2)
	assert.Contains(t, invalid[0], "[3] passage gc#5 does not resolve")
	assert.Contains(t, invalid[1], "[7] is not one of the report's 3 sources")

	// Each citation is marked in the metadata, at the claim's offset.
	claims, ok := acc.Metadata["claims"].([]verify.ClaimVerdict)
	require.True(t, ok)
	status := map[string]verify.Status{}
	for _, c := range claims {
		assert.True(t, strings.HasPrefix(gcReport[c.Claim.Offset:], strings.TrimSuffix(c.Claim.Text, ".")), c.Claim.Text)
		for _, v := range c.Verdicts {
			status[c.Claim.Text] = v.Status
			assert.NotEmpty(t, v.Reason)
		}
	}
	plain := func(s string) string { return strings.TrimSpace(s[:strings.LastIndex(s, " [")]) + "." }
	assert.Equal(t, map[string]verify.Status{
		plain(trueClaim1): verify.StatusSupported,
		plain(trueClaim2): verify.StatusSupported,
		plain(fabricated): verify.StatusUnsupported,
		plain(deadDoc):    verify.StatusInvalid,
		plain(outOfRange): verify.StatusInvalid,
	}, status)
	assert.Equal(t, 2, acc.Metadata["supported"])
	assert.Equal(t, 1, acc.Metadata["unsupported"])
	assert.Equal(t, 2, acc.Metadata["invalid"])
	assert.Equal(t, 1, acc.Metadata["uncited"])
	assert.NotContains(t, acc.Metadata, "rounds")
}

func TestFactInUncitedTextIsNotSupported(t *testing.T) {
	got := scoreAll(t, scorers.Options{}, gcSample, gcResult())
	assert.Equal(t, 1.0, got["fact_recall"].Value)

	sup := got["supported_fact_recall"]
	assert.InDelta(t, 0.5, sup.Value, 1e-9)
	// GOGC=off is in the passage but stated uncited; Rust is cited to a
	// passage that does not say it.
	assert.Equal(t, []string{"GOGC=off", "Rust"}, sup.Metadata["missed"])
	assert.Equal(t, []string{"runs concurrently", "default value of GOGC is 100"}, sup.Metadata["supported"])
	assert.Equal(t, map[string]string{
		"runs concurrently":            "[1] gc#0",
		"default value of GOGC is 100": "[1] gc#0",
	}, sup.Metadata["evidence"])
}

func TestSupportedFactRecallNeedsThePassageToStateTheFact(t *testing.T) {
	tests := []struct {
		name   string
		report string
		want   float64
	}{
		{"cited to the passage that states it", "Setting GOGC=off disables the collector [1].", 1},
		{"cited to another passage", "Setting GOGC=off disables the collector [2].", 0},
		{"cited to a passage that does not exist", "Setting GOGC=off disables the collector [3].", 0},
		{"citation out of range", "Setting GOGC=off disables the collector [9].", 0},
		{"fact only in the sources list", "The collector can be disabled entirely [1].\n\n## Sources\n\n1. GOGC=off", 0},
	}
	s := eval.Sample{ID: "off", KeyFacts: []eval.Fact{{Regex: `gogc\s*=\s*off`}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := eval.Result{Output: eval.Output{Report: tt.report, Sources: gcSources}, Corpus: gcCorpus}
			got := mustScore(t, "supported_fact_recall", s, r)
			assert.Equal(t, tt.want, got.Value)
		})
	}
	requireSkip(t, "supported_fact_recall", eval.Sample{}, gcResult())
}

func TestCitationAccuracyPerRound(t *testing.T) {
	r := gcResult()
	r.Output.Drafts = []eval.Draft{
		{Round: 0, Report: "# D\n\n" + fabricated, Sources: gcSources},
		{Round: 1, Report: "# D\n\n" + deadDoc + "\n\n" + uncited, Sources: gcSources},
		{Round: 2, Report: gcReport, Sources: gcSources},
	}
	got := mustScore(t, "citation_accuracy", gcSample, r)
	rounds, ok := got.Metadata["rounds"].([]*float64)
	require.True(t, ok)
	require.Len(t, rounds, 3)
	require.NotNil(t, rounds[0])
	assert.Equal(t, 0.0, *rounds[0])
	assert.Nil(t, rounds[1], "no valid citation in round 1")
	require.NotNil(t, rounds[2])
	assert.InDelta(t, 2.0/3, *rounds[2], 1e-9)

	facts := mustScore(t, "fact_recall", gcSample, r)
	assert.InDeltaSlice(t, []float64{0.25, 0.25, 1}, facts.Metadata["rounds"], 1e-9)
}

func TestCitationScorersSkipAndFail(t *testing.T) {
	// No cited claims: accuracy skipped, the counts are still scores.
	r := eval.Result{Output: eval.Output{Report: "# T\n\n" + uncited}, Corpus: gcCorpus}
	got := scoreAll(t, scorers.Options{}, eval.Sample{ID: "u"}, r)
	assert.True(t, got["citation_accuracy"].Skipped)
	assert.Equal(t, 0.0, got["invalid_citations"].Value)
	assert.Equal(t, 1.0, got["uncited_claims"].Value)

	// Only invalid citations: accuracy skipped, invalid counted.
	r = eval.Result{Output: eval.Output{Report: "# T\n\n" + outOfRange}, Corpus: gcCorpus}
	got = scoreAll(t, scorers.Options{}, eval.Sample{ID: "i"}, r)
	assert.True(t, got["citation_accuracy"].Skipped)
	assert.Equal(t, 1.0, got["invalid_citations"].Value)

	// Without a corpus the citation scorers fail: no score is invented.
	noCorpus := gcResult()
	noCorpus.Corpus = nil
	for _, name := range []string{"citation_accuracy", "invalid_citations", "effective_citations", "uncited_claims", "supported_fact_recall"} {
		_, err := score(t, name, gcSample, noCorpus)
		require.Error(t, err, name)
		assert.NotErrorIs(t, err, eval.ErrSkip, name)
	}

	// A supporter that fails fails the score.
	bad := verify.SupporterFunc(func(context.Context, string, string) (verify.Support, error) {
		return verify.Support{}, errors.New("judge down")
	})
	n, err := scorers.ByName(scorers.Offline(scorers.Options{Supporter: bad}), "citation_accuracy")
	require.NoError(t, err)
	_, err = n.Scorer.Score(context.Background(), gcSample, gcResult())
	require.ErrorContains(t, err, "judge down")
}

func TestCitationScorersVerifyOnce(t *testing.T) {
	var calls atomic.Int32
	counting := verify.SupporterFunc(func(ctx context.Context, claim, passage string) (verify.Support, error) {
		calls.Add(1)
		return verify.Lexical{}.Supports(ctx, claim, passage)
	})
	all := scorers.Offline(scorers.Options{Supporter: counting})
	var wg sync.WaitGroup
	for range 3 { // the runner may score one result several times concurrently
		for _, n := range all {
			wg.Go(func() {
				_, err := n.Scorer.Score(context.Background(), gcSample, gcResult())
				if !errors.Is(err, eval.ErrSkip) {
					assert.NoError(t, err, n.Name)
				}
			})
		}
	}
	wg.Wait()
	// Three valid claim–passage pairs, each judged once.
	assert.Equal(t, int32(3), calls.Load())

	// Another epoch is another result.
	r := gcResult()
	r.Epoch = 2
	n, err := scorers.ByName(all, "effective_citations")
	require.NoError(t, err)
	_, err = n.Scorer.Score(context.Background(), gcSample, r)
	require.NoError(t, err)
	assert.Equal(t, int32(6), calls.Load())
}

func TestModelSupporterOption(t *testing.T) {
	// A supporter that accepts everything makes the fabricated claim pass:
	// the scorers use the configured supporter, not Lexical.
	yes := verify.SupporterFunc(func(context.Context, string, string) (verify.Support, error) {
		return verify.Support{Supported: true, Score: 1, Reason: "judge says yes"}, nil
	})
	got := scoreAll(t, scorers.Options{Supporter: yes}, gcSample, gcResult())
	assert.Equal(t, 1.0, got["citation_accuracy"].Value)
	assert.Equal(t, 3.0, got["effective_citations"].Value)
}
