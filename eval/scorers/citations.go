package scorers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/deepctx/deepctx/agent/research/verify"
	"github.com/deepctx/deepctx/eval"
)

// Citations verifies reports' citations against the corpus and scores
// the result four ways (citation_accuracy, invalid_citations,
// effective_citations, uncited_claims), verifying each result once: its
// verifications are kept in a bounded memo safe for concurrent use.
type Citations struct {
	sup  Supporter
	memo *memo
}

// NewCitations returns citation scorers that judge support with sup
// (nil: the verifier's offline lexical supporter) and remember the last
// size verifications (0: 256).
func NewCitations(sup Supporter, size int) *Citations {
	if sup == nil {
		sup = defaultSupporter()
	}
	if size <= 0 {
		size = 256
	}
	return &Citations{sup: sup, memo: newMemo(size)}
}

// Named returns the four citation scorers, in the order
// citation_accuracy, invalid_citations, effective_citations,
// uncited_claims.
func (c *Citations) Named() []eval.Named {
	return []eval.Named{
		{Name: CitationAccuracy, Scorer: eval.ScorerFunc(c.accuracy), Higher: true},
		{Name: InvalidCitations, Scorer: eval.ScorerFunc(func(ctx context.Context, s eval.Sample, r eval.Result) (eval.Score, error) {
			v, err := c.Verify(ctx, s, r)
			if err != nil {
				return eval.Score{}, err
			}
			return eval.Score{Value: float64(v.Invalid), Explanation: fmt.Sprintf("%d citations do not resolve to a passage", v.Invalid), Metadata: invalidOf(v)}, nil
		}), Higher: false},
		{Name: EffectiveCitations, Scorer: eval.ScorerFunc(func(ctx context.Context, s eval.Sample, r eval.Result) (eval.Score, error) {
			v, err := c.Verify(ctx, s, r)
			if err != nil {
				return eval.Score{}, err
			}
			n := v.EffectiveCitations()
			return eval.Score{Value: float64(n), Explanation: fmt.Sprintf("%d distinct claim–passage pairs supported", n)}, nil
		}), Higher: true},
		{Name: UncitedClaims, Scorer: eval.ScorerFunc(func(ctx context.Context, s eval.Sample, r eval.Result) (eval.Score, error) {
			v, err := c.Verify(ctx, s, r)
			if err != nil {
				return eval.Score{}, err
			}
			return eval.Score{Value: float64(v.Uncited), Explanation: fmt.Sprintf("%d of %d claims cite nothing", v.Uncited, len(v.Claims)), Metadata: uncitedOf(v)}, nil
		}), Higher: false},
	}
}

// Verify returns the verification of r's final report against r.Corpus,
// computing it once per sample, variant, epoch, report and sources.
// Without a corpus it fails.
func (c *Citations) Verify(ctx context.Context, s eval.Sample, r eval.Result) (verify.Result, error) {
	return c.verify(ctx, s.ID, r, r.Output.Report, r.Output.Sources)
}

func (c *Citations) verify(ctx context.Context, id string, r eval.Result, report string, sources []eval.Source) (verify.Result, error) {
	if r.Corpus == nil {
		return verify.Result{}, errNoCorpus
	}
	key := memoKey(id, r.Variant, r.Epoch, report, sources)
	return c.memo.do(ctx, key, func() (verify.Result, error) {
		return check(ctx, report, sources, r.Corpus, c.sup)
	})
}

var errNoCorpus = errors.New("scorers: the result has no corpus to verify citations against")

// accuracy is citation_accuracy: supported / (supported + unsupported)
// over the claim–citation pairs of the final report; invalid citations
// are counted by invalid_citations instead. Metadata: "claims" (every
// claim with its byte offset and the verdict on each citation,
// []verify.ClaimVerdict), the counts "supported", "unsupported",
// "invalid" and "uncited", and "rounds" (each draft's accuracy, in
// Output.Drafts order, nil for a draft without valid citations) when
// there are drafts. Skipped when no cited claim's passage resolves.
func (c *Citations) accuracy(ctx context.Context, s eval.Sample, r eval.Result) (eval.Score, error) {
	v, err := c.Verify(ctx, s, r)
	if err != nil {
		return eval.Score{}, err
	}
	acc, ok := v.CitationAccuracy()
	if !ok {
		return eval.Score{}, eval.Skip(fmt.Sprintf("no cited claim's passage resolves (%d invalid citations)", v.Invalid))
	}
	meta := map[string]any{
		"claims":      v.Claims,
		"supported":   v.Supported,
		"unsupported": v.Unsupported,
		"invalid":     v.Invalid,
		"uncited":     v.Uncited,
	}
	if len(r.Output.Drafts) > 0 {
		rounds := make([]*float64, len(r.Output.Drafts))
		for i, d := range r.Output.Drafts {
			dv, err := c.verify(ctx, s.ID, r, d.Report, d.Sources)
			if err != nil {
				return eval.Score{}, fmt.Errorf("scorers: draft of round %d: %w", d.Round, err)
			}
			if a, ok := dv.CitationAccuracy(); ok {
				rounds[i] = &a
			}
		}
		meta["rounds"] = rounds
	}
	return eval.Score{
		Value: acc,
		Explanation: fmt.Sprintf("%d of %d cited claim–passage pairs supported (%d invalid citations, %d uncited claims)",
			v.Supported, v.Supported+v.Unsupported, v.Invalid, v.Uncited),
		Metadata: meta,
	}, nil
}

func invalidOf(v verify.Result) map[string]any {
	var out []string
	for _, c := range v.Claims {
		for _, cv := range c.Verdicts {
			if cv.Status == verify.StatusInvalid {
				out = append(out, fmt.Sprintf("[%d] %s", cv.N, cv.Reason))
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return map[string]any{"invalid": out}
}

func uncitedOf(v verify.Result) map[string]any {
	var out []string
	for _, c := range v.Claims {
		if len(c.Verdicts) == 0 {
			out = append(out, shorten(c.Claim.Text, 160))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return map[string]any{"uncited": out}
}

func memoKey(id, variant string, epoch int, report string, sources []eval.Source) string {
	h := sha256.New()
	data, _ := json.Marshal(struct {
		ID, Variant, Report string
		Epoch               int
		Sources             []eval.Source
	}{id, variant, report, epoch, sources})
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// memo keeps the last size verifications; concurrent callers of one key
// share a single computation. Failed computations are not kept.
type memo struct {
	mu    sync.Mutex
	size  int
	items map[string]*memoEntry
	order []string // keys, oldest first
}

type memoEntry struct {
	done chan struct{}
	v    verify.Result
	err  error
}

func newMemo(size int) *memo { return &memo{size: size, items: map[string]*memoEntry{}} }

func (m *memo) do(ctx context.Context, key string, f func() (verify.Result, error)) (verify.Result, error) {
	for {
		m.mu.Lock()
		e, ok := m.items[key]
		if !ok {
			e = &memoEntry{done: make(chan struct{})}
			m.items[key] = e
			m.order = append(m.order, key)
			for len(m.order) > m.size {
				delete(m.items, m.order[0])
				m.order = m.order[1:]
			}
			m.mu.Unlock()
			func() {
				defer close(e.done) // waiters never hang, even if f panics
				defer func() {
					if p := recover(); p != nil {
						e.err = fmt.Errorf("scorers: citation check panicked: %v", p)
					}
				}()
				e.v, e.err = f()
			}()
			if e.err != nil {
				m.forget(key, e)
			}
			return e.v, e.err
		}
		m.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return verify.Result{}, ctx.Err()
		}
		if e.err == nil {
			return e.v, nil
		}
		// The computation failed (perhaps its caller was cancelled): try
		// again with this caller's context.
		if err := ctx.Err(); err != nil {
			return verify.Result{}, err
		}
	}
}

func (m *memo) forget(key string, e *memoEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items[key] == e {
		delete(m.items, key)
		for i, k := range m.order {
			if k == key {
				m.order = append(m.order[:i], m.order[i+1:]...)
				break
			}
		}
	}
}
