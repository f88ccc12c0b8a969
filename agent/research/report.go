package research

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/research/verify"
)

// write has the writer draft the report from the findings.
func (a *Agent) write(ctx context.Context, s State, t *graph.Task) (State, error) {
	resp, err := a.generate(ctx, t, writerRequest(s))
	upd := State{Usage: resp.Usage}
	if err != nil {
		return upd, err
	}
	d, err := cite(ctx, a.cfg.Corpus, resp.Message.Text())
	if err != nil {
		return upd, err
	}
	if err := a.verifyDraft(ctx, t, len(s.Drafts)+1, &d, &upd); err != nil {
		return upd, err
	}
	upd.Drafts = []Draft{d}
	return upd, nil
}

// verifyDraft checks d, the run's n-th draft, claim by claim against the
// corpus with the offline supporter, records the summary on d and emits
// it as a "verification" event. Only
// cancellation fails the step; any other failure leaves d unverified
// with a warning.
func (a *Agent) verifyDraft(ctx context.Context, t *graph.Task, n int, d *Draft, upd *State) error {
	res, err := verify.Check(ctx, d.Report, citations(d.Sources), Resolver(a.cfg.Corpus), verify.Lexical{})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		upd.Warnings = append(upd.Warnings, "verify: "+err.Error()+"; the draft's claims were not checked")
		return nil
	}
	sum := res.Summary()
	d.Verification = &sum
	acc, _ := sum.CitationAccuracy()
	t.Emit("verification", struct {
		Draft       int     `json:"draft"`
		Claims      int     `json:"claims"`
		Supported   int     `json:"supported"`
		Unsupported int     `json:"unsupported"`
		Invalid     int     `json:"invalid"`
		Uncited     int     `json:"uncited"`
		Accuracy    float64 `json:"accuracy"`
	}{n, sum.Claims, sum.Supported, sum.Unsupported, sum.Invalid, sum.Uncited, acc})
	return nil
}

// citations are a draft's sources as the verifier's citations.
func citations(srcs []Source) []verify.Citation {
	out := make([]verify.Citation, len(srcs))
	for i, s := range srcs {
		out[i] = verify.Citation{N: s.N, DocID: s.DocID, Chunk: s.Chunk}
	}
	return out
}

// Resolver resolves the verifier's citations in corpus: the text of the
// passage a document ID and chunk name. The agent's critic and the eval
// harness's scorers check citations through it alike.
func Resolver(corpus Corpus) verify.Resolver {
	return verify.ResolverFunc(func(ctx context.Context, docID string, chunk int) (string, error) {
		s, err := corpus.Source(ctx, docID, chunk)
		return s.Text, err
	})
}

// afterDraft skips the critique loop when it is turned off.
func (a *Agent) afterDraft(ctx context.Context, s State) ([]string, error) {
	if a.cfg.MaxCritiqueRounds < 0 {
		return []string{NodeFinish}, nil
	}
	return []string{NodeCritique}, nil
}

// critique has the critic review the latest draft. A reply that is not a
// critique ends the loop with a warning rather than the run.
func (a *Agent) critique(ctx context.Context, s State, t *graph.Task) (State, error) {
	d := s.Drafts[len(s.Drafts)-1]
	resp, err := a.generate(ctx, t, criticRequest(s, d))
	upd := State{Usage: resp.Usage}
	if err != nil {
		return upd, err
	}
	var c Critique
	if err := decodeJSON(resp.Message.Text(), &c); err != nil {
		upd.Warnings = []string{"critique: " + err.Error() + "; the critique loop stops here"}
		c = Critique{Unreadable: true, Issues: []string{"the critic's reply was not a critique"}}
	}
	c.Score = min(max(c.Score, 0), 1)
	upd.Critiques = []Critique{c}
	t.Emit("critique", struct {
		Round int     `json:"round"`
		Score float64 `json:"score"`
		Issue int     `json:"issues"`
	}{len(s.Critiques) + 1, c.Score, len(c.Issues) + len(c.Uncovered)})
	return upd, nil
}

// afterCritique decides whether the writer revises: not when the critic
// found nothing to fix, the critique is unreadable, the revisions used up, or the last
// revision scored no better than the best draft before it.
func (a *Agent) afterCritique(ctx context.Context, s State) ([]string, error) {
	last := s.Critiques[len(s.Critiques)-1]
	best := -1.0
	for _, c := range s.Critiques[:len(s.Critiques)-1] {
		best = max(best, c.Score)
	}
	switch {
	case last.Unreadable,
		len(s.Critiques) > 1 && last.Score <= best,
		len(last.Issues) == 0 && len(last.Uncovered) == 0, // nothing to fix
		len(s.Drafts)-1 >= a.cfg.MaxCritiqueRounds:
		return []string{NodeFinish}, nil
	}
	return []string{NodeRevise}, nil
}

// revise has the writer fix what the critic found.
func (a *Agent) revise(ctx context.Context, s State, t *graph.Task) (State, error) {
	d, c := s.Drafts[len(s.Drafts)-1], s.Critiques[len(s.Critiques)-1]
	resp, err := a.generate(ctx, t, reviseRequest(s, d, c))
	upd := State{Usage: resp.Usage}
	if err != nil {
		return upd, err
	}
	if strings.TrimSpace(resp.Message.Text()) == "" {
		upd.Warnings = []string{"revise: the writer returned nothing; keeping the previous draft"}
		upd.Drafts = []Draft{d}
		return upd, nil
	}
	nd, err := cite(ctx, a.cfg.Corpus, resp.Message.Text())
	if err != nil {
		return upd, err
	}
	if err := a.verifyDraft(ctx, t, len(s.Drafts)+1, &nd, &upd); err != nil {
		return upd, err
	}
	upd.Drafts = []Draft{nd}
	return upd, nil
}

// finish chooses the best-scored draft (the earliest among equals; the
// last one without critique) whose citations verify once more against the
// corpus. A draft that fails (a passage removed from the index since) is
// passed over with a warning; the run fails only when none verifies.
func (a *Agent) finish(ctx context.Context, s State, t *graph.Task) (State, error) {
	if len(s.Drafts) == 0 {
		return State{}, fmt.Errorf("research: no report was written")
	}
	order := make([]int, len(s.Drafts))
	for i := range order {
		order[i] = len(s.Drafts) - 1 - i // without critique: the latest first
	}
	if len(s.Critiques) > 0 {
		score := func(i int) float64 {
			if i < len(s.Critiques) {
				return s.Critiques[i].Score
			}
			return -1
		}
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(x, y int) bool { return score(order[x]) > score(order[y]) })
	}
	var upd State
	var errs []error
	for _, i := range order {
		d := s.Drafts[i]
		err := Verify(ctx, a.cfg.Corpus, d.Report, d.Sources)
		if err == nil {
			upd.Final = i + 1
			return upd, nil
		}
		if ctx.Err() != nil {
			return upd, err
		}
		errs = append(errs, err)
		upd.Warnings = append(upd.Warnings, fmt.Sprintf("finish: draft %d passed over: %v", i+1, err))
	}
	return State{}, fmt.Errorf("research: no draft's citations verify: %w", errors.Join(errs...))
}
