package eval

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/deepctx/deepctx/agent/research/verify"
)

// Rescore re-scores the finished attempts of the log with scorers,
// without running the system again: each scorer's score is replaced (or
// added) in every record, which is rewritten atomically. The header's
// scorer list gains the new names. It returns how many records it
// rewrote.
func Rescore(ctx context.Context, l *Log, scorers []Named, corpus verify.Resolver) (int, error) {
	h, err := l.Header()
	if err != nil {
		return 0, err
	}
	if h.Suite == nil {
		return 0, fmt.Errorf("eval: log %s has no suite in its header", l.Dir)
	}
	records, err := l.Records()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, rec := range records {
		if rec.Status != RecordOK {
			continue
		}
		smp, ok := h.Suite.Sample(rec.Sample)
		if !ok {
			return n, fmt.Errorf("eval: record %s names a sample the log's suite lacks", rec.Key())
		}
		res := Result{Variant: rec.Variant, Epoch: rec.Epoch, Output: rec.Output, Wall: rec.WallNS, Corpus: corpus, Dir: l.RunDir(rec.Key())}
		start := time.Now()
		scores := ScoreAll(ctx, scorers, smp, res)
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if rec.Scores == nil {
			rec.Scores = map[string]Score{}
		}
		for k, v := range scores {
			rec.Scores[k] = v
		}
		rec.ScoreNS, rec.Scored = time.Since(start), true
		if err := l.rewriteRecord(rec); err != nil {
			return n, err
		}
		n++
	}
	err = l.UpdateHeader(func(h *Header) {
		for _, s := range scorers {
			if !slices.Contains(h.Scorers, s.Name) {
				h.Scorers = append(h.Scorers, s.Name)
			}
		}
	})
	return n, err
}
