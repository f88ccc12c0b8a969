package research_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/extractive"
	"github.com/deepctx/deepctx/agent/llm/scripted"
	"github.com/deepctx/deepctx/agent/research"
	"github.com/deepctx/deepctx/agent/research/verify"
)

// fabricatedClaim is said by no passage of the corpus. (It shares no word
// with the question, so dropping it changes nothing else the critic
// checks.)
const fabricatedClaim = "The scheduler was first designed for the Plan 9 operating system in 1987."

// fabricatingWriter is the offline engine, except that the writer's first
// draft carries a fabricated sentence pinned on a real source key.
func fabricatingWriter(t *testing.T) *scripted.Model {
	ext := extractive.New(extractive.Options{})
	return scripted.Func(func(req llm.Request) (llm.Response, error) {
		resp, err := ext.Generate(context.Background(), req)
		if err != nil || req.Role != llm.CallWriter || section(lastUser(req), "Report") != "" {
			return resp, err
		}
		key := keyRe.FindString(section(lastUser(req), "Findings"))
		require.NotEmpty(t, key, "the findings cite passages")
		text := strings.Replace(resp.Message.Text(), "## Summary\n\n", "## Summary\n\n"+fabricatedClaim+" "+key+" ", 1)
		resp.Message = llm.Assistant(text)
		return resp, nil
	})
}

func TestCritiqueLoopDropsUnsupportedClaims(t *testing.T) {
	idx := newIndex(t)
	model := fabricatingWriter(t)
	a, err := research.New(research.Config{Model: model, Corpus: research.IndexCorpus(idx)})
	require.NoError(t, err)
	var evs events
	res, err := a.Run(context.Background(), "How do channels and mutexes synchronize goroutines in Go?", graph.WithSinks(&evs))
	require.NoError(t, err)

	// The first draft's verification caught the fabricated claim.
	require.GreaterOrEqual(t, len(res.State.Drafts), 2)
	first := res.State.Drafts[0]
	require.Contains(t, first.Report, "Plan 9")
	require.NotNil(t, first.Verification)
	assert.Contains(t, first.Verification.UnsupportedClaims, fabricatedClaim)
	assert.Equal(t, 1, first.Verification.Unsupported)
	acc0, ok := first.Verification.CitationAccuracy()
	require.True(t, ok)
	assert.Less(t, acc0, 1.0)

	// The critic was shown it and raised an issue; the writer was told to
	// fix or drop it.
	critics := model.RequestsFor(llm.CallCritic)
	require.NotEmpty(t, critics)
	assert.Contains(t, section(lastUser(critics[0]), extractive.SectionClaimCheck), "- unsupported: "+fabricatedClaim)
	assert.Contains(t, res.State.Critiques[0].Issues, "unsupported: "+fabricatedClaim)
	writers := model.RequestsFor(llm.CallWriter)
	require.GreaterOrEqual(t, len(writers), 2)
	assert.Contains(t, section(lastUser(writers[1]), extractive.SectionClaimCheck), "- unsupported: "+fabricatedClaim)
	assert.Contains(t, writers[1].Messages[0].Text(), "or drop it")

	// The revision dropped it, verifies clean and was chosen.
	second := res.State.Drafts[1]
	assert.NotContains(t, second.Report, "Plan 9")
	require.NotNil(t, second.Verification)
	assert.Zero(t, second.Verification.Unsupported, "%v", second.Verification.UnsupportedClaims)
	assert.Zero(t, second.Verification.Invalid)
	acc1, ok := second.Verification.CitationAccuracy()
	require.True(t, ok)
	assert.Equal(t, 1.0, acc1)
	assert.Greater(t, res.State.Critiques[1].Score, res.State.Critiques[0].Score)
	assert.NotContains(t, res.Report, "Plan 9")

	// Each draft's verification is an event, and the state (verification
	// included) round-trips through JSON as checkpoints need.
	ve := evs.custom("verification")
	require.Len(t, ve, len(res.State.Drafts))
	var e struct {
		Draft       int     `json:"draft"`
		Unsupported int     `json:"unsupported"`
		Accuracy    float64 `json:"accuracy"`
	}
	require.NoError(t, json.Unmarshal(ve[0], &e))
	assert.Equal(t, 1, e.Draft)
	assert.Equal(t, 1, e.Unsupported)
	assert.InDelta(t, acc0, e.Accuracy, 1e-9)
	data, err := json.Marshal(res.State)
	require.NoError(t, err)
	var back research.State
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, res.State.Drafts[0].Verification, back.Drafts[0].Verification)
	assert.Contains(t, string(data), `"verification":{"claims":`)
}

// The agent's summary is the verifier's, run against the corpus.
func TestDraftVerificationMatchesVerifier(t *testing.T) {
	idx := newIndex(t)
	a, err := research.New(research.Config{Model: fabricatingWriter(t), Corpus: research.IndexCorpus(idx), MaxCritiqueRounds: -1})
	require.NoError(t, err)
	res, err := a.Run(context.Background(), "How do channels synchronize goroutines?")
	require.NoError(t, err)
	require.Len(t, res.State.Drafts, 1)
	cites := make([]verify.Citation, len(res.Sources))
	for i, s := range res.Sources {
		cites[i] = verify.Citation{N: s.N, DocID: s.DocID, Chunk: s.Chunk}
	}
	resolver := verify.ResolverFunc(func(ctx context.Context, doc string, chunk int) (string, error) {
		s, err := research.IndexCorpus(idx).Source(ctx, doc, chunk)
		return s.Text, err
	})
	want, err := verify.Check(context.Background(), res.Report, cites, resolver, verify.Lexical{})
	require.NoError(t, err)
	assert.Equal(t, want.Summary(), *res.State.Drafts[0].Verification)
}
